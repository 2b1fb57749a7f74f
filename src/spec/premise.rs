//! The premise model as data: `specs/premises.yaml` loaded into types.
//!
//! This module owns the file's shape and its consistency (every endpoint answers every
//! failure its decision order can produce). It does not evaluate cases: [`super::predict`]
//! interprets the model.

use std::collections::BTreeMap;

use camino::Utf8Path;
use indexmap::IndexMap;
use serde::Deserialize;

use super::kinds::{Feature, InviteeKindModel, RoomKindModel};
use super::levels::Levels;
use super::lines::{Line, LineId};
use crate::api::{Endpoint, RoomType};
use crate::case::Version;

/// Why the premise model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PremiseModelError {
    /// The file could not be read.
    #[error("cannot read the premise model {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid premise model.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole premise model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiseModel {
    /// Format version of the file.
    pub model_version: u32,
    /// The version lines the model's facts were established for, oldest first.
    pub lines: Vec<Line>,
    /// The line the model describes when a case names no version.
    pub default_line: LineId,
    /// Which checks of an expectation are contract, exact or incidental.
    pub levels: Levels,
    /// Role ids by scope.
    pub roles: Roles,
    /// Default role lists of the permissions the premises use.
    pub permissions: IndexMap<String, Vec<String>>,
    /// The premises, tried in order by the `authorize` step.
    pub premises: Vec<Premise>,
    /// Failure kinds with a one-line description and citation.
    pub failures: IndexMap<String, String>,
    /// Features a setup may need, by name (see [`super::kinds`]).
    #[serde(default)]
    pub features: IndexMap<String, Feature>,
    /// Kinds of room beyond plain channels and groups, by name.
    #[serde(default)]
    pub room_kinds: IndexMap<String, RoomKindModel>,
    /// Kinds of invitee the decision procedure treats apart, by name.
    #[serde(default)]
    pub invitee_kinds: IndexMap<String, InviteeKindModel>,
    /// The type of the system message an invite records for each user it adds (a room kind
    /// may name another).
    #[serde(default = "default_added_message")]
    pub added_message: String,
    /// Per endpoint, the steps in the order the server runs them.
    pub decision_order: BTreeMap<Endpoint, Vec<Step>>,
    /// Per endpoint, its room lookup and its answers.
    pub endpoints: BTreeMap<Endpoint, EndpointModel>,
    /// Where the docs and the real server disagree.
    pub divergences: Vec<Divergence>,
}

fn default_added_message() -> String {
    "au".to_owned()
}

/// Role ids by scope.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// Global roles (scope `Users`).
    pub global: Vec<String>,
    /// Room-scoped roles (scope `Subscriptions`).
    pub room: Vec<String>,
}

/// Whether a premise requires the actor to be a member of the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Membership {
    /// The actor must hold a subscription to the room.
    Required,
    /// Membership is not looked at.
    NotRequired,
}

/// Which of the actor's roles a premise's permission check collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Global roles plus the roles on the actor's subscription to this room.
    Room,
    /// Global roles only.
    Global,
}

/// One premise: a permission that lets an actor invite into some rooms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Premise {
    /// The premise's name (used by cases).
    pub name: String,
    /// The permission it checks.
    pub permission: String,
    /// Room types it applies to.
    pub room_types: Vec<RoomType>,
    /// Whether membership is required.
    pub membership: Membership,
    /// Which roles count.
    pub scope: Scope,
    /// What the documentation says.
    pub docs: String,
    /// Where the server's behaviour is established.
    pub source: String,
    /// How the docs and the server disagree, if they do.
    #[serde(default)]
    pub divergence: Option<String>,
}

/// A step of the decision procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Auth headers name a live session.
    Authenticate,
    /// The typed routes' closed request body (from `typed_bodies_since`).
    ValidateBody,
    /// `roomId || roomName` must be a non-blank string.
    RequireRoomParam,
    /// The room is looked up and its type checked.
    FindRoom,
    /// An archived room is refused.
    RejectArchived,
    /// Invitees are resolved from the user parameters.
    ResolveInvitees,
    /// Some premise must hold.
    Authorize,
    /// Invitees not yet members are added.
    AddInvitees,
}

/// How an endpoint finds the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomLookup {
    /// `roomId` key present → by id (even when empty); else `roomName` by name.
    IdKeyWins,
    /// `roomId || roomName`, matched against id or name.
    IdOrName,
}

/// An endpoint's lookup rule and answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointModel {
    /// How the room is found.
    pub room_lookup: RoomLookup,
    /// Room types the endpoint accepts.
    pub room_types: Vec<RoomType>,
    /// Room types its lookup finds besides `room_types`, which no room-type premise of the
    /// endpoint covers (channels.invite finds omnichannel rooms).
    #[serde(default)]
    pub also_finds: Vec<RoomType>,
    /// The lines its answers are established for, unless an answer says otherwise.
    pub established: Vec<LineId>,
    /// The answer per failure kind, plus `success`.
    pub answers: IndexMap<String, Answer>,
}

/// What the server answers in one situation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The exact `error`, when fixed.
    #[serde(default)]
    pub error: Option<String>,
    /// The `error` with `{room_name}` to fill in, when it names the room.
    #[serde(default)]
    pub error_template: Option<String>,
    /// The `errorType`.
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    /// The `details` object.
    #[serde(default)]
    pub details: Option<serde_json::Value>,
    /// Top-level keys the body must not have.
    #[serde(default)]
    pub absent: Vec<String>,
    /// A whole body, when the answer is fixed (401).
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// The schema the body satisfies.
    pub schema: String,
    /// The lines this answer's exact strings are established for (default: the endpoint's).
    #[serde(default)]
    pub established: Option<Vec<LineId>>,
    /// The answer on the lines named, where it differs from this one.
    #[serde(default)]
    pub on: BTreeMap<LineId, Answer>,
}

/// A documented disagreement between the docs and the real server.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Stable id.
    pub id: String,
    /// What the docs say.
    pub docs: String,
    /// What the server does.
    pub server: String,
    /// Where that is established.
    pub source: String,
}

impl PremiseModel {
    /// Loads and checks `specs/premises.yaml`.
    pub fn load(path: &Utf8Path) -> Result<PremiseModel, PremiseModelError> {
        let text = fs_err::read_to_string(path).map_err(|source| PremiseModelError::Read {
            path: path.to_string(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses and checks a premise model; `path` is used in messages.
    pub fn parse(path: &Utf8Path, text: &str) -> Result<PremiseModel, PremiseModelError> {
        Self::parse_with(path, text, None)
    }

    /// [`PremiseModel::parse`], read from `compiled` (the YAML's data as JSON, written at
    /// build time) when given: the same model, without parsing YAML. Should the JSON not
    /// read, the YAML is parsed and its problem told with its line.
    pub fn parse_with(
        path: &Utf8Path,
        text: &str,
        compiled: Option<&str>,
    ) -> Result<PremiseModel, PremiseModelError> {
        let invalid = |message: String| PremiseModelError::Invalid {
            path: path.to_string(),
            message,
        };
        let model: PremiseModel = match compiled.and_then(|json| serde_json::from_str(json).ok()) {
            Some(model) => model,
            None => crate::case::parse_yaml(path, &std::sync::Arc::from(text)).map_err(|d| {
                invalid(format!(
                    "{}:{}: {}: {}",
                    d.line, d.column, d.field, d.message
                ))
            })?,
        };
        model.consistency().map_err(invalid)?;
        Ok(model)
    }

    fn consistency(&self) -> Result<(), String> {
        super::lines::consistency(self)?;
        self.levels.consistency(self)?;
        self.kinds_consistency()?;
        for premise in &self.premises {
            if !self.permissions.contains_key(&premise.permission) {
                return Err(format!(
                    "premise `{}` checks `{}`, which has no default role list",
                    premise.name, premise.permission
                ));
            }
        }
        for endpoint in Endpoint::ALL {
            let steps = self
                .decision_order
                .get(&endpoint)
                .ok_or_else(|| format!("no decision_order for {endpoint}"))?;
            let model = self
                .endpoints
                .get(&endpoint)
                .ok_or_else(|| format!("no endpoints entry for {endpoint}"))?;
            let mut needed = vec!["success"];
            for step in steps {
                needed.extend(step.failures(model.room_lookup));
            }
            for kind in needed {
                if kind != "success" && !self.failures.contains_key(kind) {
                    return Err(format!(
                        "failure kind `{kind}` is not described under `failures`"
                    ));
                }
                if !model.answers.contains_key(kind) {
                    return Err(format!(
                        "{endpoint} has no answer for `{kind}`, which its decision order can produce"
                    ));
                }
            }
            for kind in model.answers.keys() {
                if kind != "success" && !self.failures.contains_key(kind) {
                    return Err(format!("{endpoint} answers unknown failure kind `{kind}`"));
                }
            }
        }
        Ok(())
    }

    /// Every name a case's `premise` may take: premises, then failure kinds.
    pub fn premise_names(&self) -> Vec<String> {
        self.premises
            .iter()
            .map(|p| p.name.clone())
            .chain(self.failures.keys().cloned())
            .collect()
    }

    /// The version the model describes by default: the default line's emulated version.
    pub fn default_version(&self) -> Version {
        self.line(&self.default_line)
            .map_or_else(|| Version(vec![0, 0, 0]), Line::emulated)
    }

    /// The answer of `endpoint` for `kind`.
    pub fn answer(&self, endpoint: Endpoint, kind: &str) -> Option<&Answer> {
        self.endpoints.get(&endpoint)?.answers.get(kind)
    }
}

impl Step {
    /// The failure kinds this step can produce.
    pub fn failures(self, lookup: RoomLookup) -> &'static [&'static str] {
        match self {
            Step::Authenticate => &["unauthenticated"],
            Step::ValidateBody => &["invalid-body"],
            Step::RequireRoomParam => &["room-param-missing", "room-param-malformed"],
            Step::FindRoom => match lookup {
                RoomLookup::IdKeyWins => &[
                    "room-param-missing",
                    "room-not-found",
                    "room-type-mismatch",
                    "direct-room",
                ],
                RoomLookup::IdOrName => &["room-not-found", "room-type-mismatch", "direct-room"],
            },
            Step::RejectArchived => &["room-archived"],
            Step::ResolveInvitees => &[
                "users-params-missing",
                "invitee-list-malformed",
                "invitee-entry-malformed",
                "no-invitee-resolved",
            ],
            Step::Authorize => &["not-allowed"],
            Step::AddInvitees => &["invitee-banned"],
        }
    }
}
