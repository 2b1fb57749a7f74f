//! The rooms and invitees beyond plain channels and groups, as the premise model names them
//! (`specs/premises.yaml`: `features`, `room_kinds`, `invitee_kinds`, `added_message`): the
//! Rocket.Chat features a setup may need (with the release that brought each and the
//! endpoints a runner calls for it), the kinds of room an invite can meet (a team's main room,
//! a discussion, an omnichannel room) and the kinds of invitee (banned, federated-looking).
//!
//! This module owns the section's shape and its consistency with the names the case format
//! knows; the prediction reads it ([`super::predict`]), and coverage requires every kind for
//! every endpoint ([`super::coverage`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::premise::PremiseModel;
use crate::api::RoomType;
use crate::case::{RoomKind, Version};

/// A Rocket.Chat feature a case's setup may need.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// The first release that has it (absent: every line the model knows).
    #[serde(default)]
    pub since: Option<String>,
    /// The endpoints a runner calls for it (named in the reason of a skipped case).
    pub endpoints: Vec<String>,
    /// Where the feature and its release are established.
    pub source: String,
}

impl Feature {
    /// The first release that has it, parsed.
    pub fn since_version(&self) -> Option<Version> {
        self.since.as_deref().and_then(Version::parse)
    }
}

/// A kind of room an invite can meet besides a plain channel or group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomKindModel {
    /// The feature its setup needs.
    pub feature: String,
    /// The room types it comes in.
    pub types: Vec<RoomType>,
    /// The type of the system message an invite records for each added user, when it is not
    /// the model's `added_message`.
    #[serde(default)]
    pub added_message: Option<String>,
    /// What an invite does with it, and where that is established.
    pub source: String,
}

/// A kind of invitee the decision procedure treats apart.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteeKindModel {
    /// The feature its setup needs, if any.
    #[serde(default)]
    pub feature: Option<String>,
    /// The failure kind it produces, if any.
    #[serde(default)]
    pub failure: Option<String>,
    /// What the invite does with it, and where that is established.
    pub source: String,
}

/// The invitee kinds the decision procedure knows: a user whose subscription is banned, and a
/// username of the federated form `@user:server`.
pub const INVITEE_KINDS: [&str; 2] = ["banned", "federated"];

/// Whether `text` has the form of a federated (Matrix) user id, `@user:server`: the test
/// `addUsersToRoom` applies (`username.includes('@') && username.includes(':')`).
pub fn looks_federated(text: &str) -> bool {
    text.contains('@') && text.contains(':')
}

impl PremiseModel {
    /// The feature named `name`.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.get(name)
    }

    /// The type of the system message an invite records for each user it adds to a room of
    /// `kind`.
    pub fn added_message(&self, kind: Option<&str>) -> &str {
        kind.and_then(|k| self.room_kinds.get(k))
            .and_then(|k| k.added_message.as_deref())
            .unwrap_or(&self.added_message)
    }

    /// Every kind coverage requires for each endpoint: the room kinds, then the invitee kinds.
    pub fn kind_names(&self) -> Vec<String> {
        self.room_kinds
            .keys()
            .chain(self.invitee_kinds.keys())
            .cloned()
            .collect()
    }

    /// The lists of the section: the room kinds are those the case format knows, the invitee
    /// kinds those the decision procedure knows, and every feature and failure they name
    /// exists.
    pub(super) fn kinds_consistency(&self) -> Result<(), String> {
        for feature in self.features.values() {
            if feature.since.is_some() && feature.since_version().is_none() {
                return Err(format!(
                    "features: `{}` is not a version",
                    feature.since.as_deref().unwrap_or_default()
                ));
            }
        }
        let mut known_rooms: Vec<&str> = RoomKind::NAMES.to_vec();
        known_rooms.sort_unstable();
        let mut listed: Vec<&str> = self.room_kinds.keys().map(String::as_str).collect();
        listed.sort_unstable();
        if listed != known_rooms {
            return Err(format!(
                "room_kinds must list {known_rooms:?} (the kinds case files can set up), not {listed:?}"
            ));
        }
        let mut listed: Vec<&str> = self.invitee_kinds.keys().map(String::as_str).collect();
        listed.sort_unstable();
        if listed != INVITEE_KINDS {
            return Err(format!(
                "invitee_kinds must list {INVITEE_KINDS:?}, not {listed:?}"
            ));
        }
        let features = self
            .room_kinds
            .iter()
            .map(|(k, m)| (k, Some(&m.feature)))
            .chain(
                self.invitee_kinds
                    .iter()
                    .map(|(k, m)| (k, m.feature.as_ref())),
            );
        for (kind, feature) in features {
            if let Some(f) = feature
                && !self.features.contains_key(f)
            {
                return Err(format!("kind `{kind}` needs the unknown feature `{f}`"));
            }
        }
        for (kind, model) in &self.invitee_kinds {
            if let Some(f) = &model.failure
                && !self.failures.contains_key(f)
            {
                return Err(format!(
                    "invitee kind `{kind}` names the unknown failure `{f}`"
                ));
            }
        }
        Ok(())
    }
}

/// Features by name, as `KnownNames` hands them to the case loader: the first release of each.
pub fn feature_gates(model: &PremiseModel) -> BTreeMap<String, Option<Version>> {
    model
        .features
        .iter()
        .map(|(name, f)| (name.clone(), f.since_version()))
        .collect()
}
