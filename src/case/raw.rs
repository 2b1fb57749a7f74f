//! The case file as written: serde types that mirror the YAML one to one.
//!
//! Only the loader reads these; nothing outside `case` sees them. Fields that a later
//! diagnostic must point at are `Spanned`, so a reference error names its own line.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::api::{Endpoint, RoomType};

/// A case file: one or more cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) cases: Vec<Spanned<RawCase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCase {
    pub(super) id: Spanned<String>,
    pub(super) title: String,
    pub(super) endpoint: Endpoint,
    pub(super) premise: Spanned<String>,
    pub(super) source: String,
    #[serde(default)]
    pub(super) divergence: Option<String>,
    #[serde(default)]
    pub(super) since: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) until: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) setup: RawSetup,
    #[serde(default)]
    pub(super) call: Option<Spanned<RawCall>>,
    #[serde(default)]
    pub(super) calls: Vec<Spanned<RawCall>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSetup {
    #[serde(default)]
    pub(super) users: IndexMap<String, Spanned<RawUser>>,
    #[serde(default)]
    pub(super) permissions: IndexMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) rooms: IndexMap<String, Spanned<RawRoom>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    #[serde(default)]
    pub(super) roles: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub(super) active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoom {
    #[serde(rename = "type")]
    pub(super) room_type: RoomType,
    #[serde(default)]
    pub(super) creator: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) members: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) owners: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) moderators: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) leaders: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) archived: bool,
    #[serde(default)]
    pub(super) read_only: bool,
    #[serde(default)]
    pub(super) team: bool,
    #[serde(default)]
    pub(super) parent: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) banned: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) unbanned: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) kicked: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) left: Vec<Spanned<String>>,
}

/// Auth variants besides a user's own session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawAuth {
    Session,
    None,
    WrongToken,
    UserIdOnly,
    TokenOnly,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCall {
    #[serde(default, rename = "as")]
    pub(super) actor: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) auth: Option<RawAuth>,
    #[serde(default)]
    pub(super) body: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    pub(super) concurrent: Option<Spanned<Vec<serde_json::Value>>>,
    #[serde(default)]
    pub(super) raw: Option<String>,
    #[serde(default)]
    pub(super) content_type: Option<String>,
    pub(super) expect: Spanned<RawExpect>,
    #[serde(default)]
    pub(super) alternatives: Vec<Spanned<RawAlternative>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub(super) status: u16,
    #[serde(default)]
    pub(super) success: Option<bool>,
    #[serde(default, rename = "errorType")]
    pub(super) error_type: Option<String>,
    #[serde(default)]
    pub(super) error: Option<String>,
    #[serde(default)]
    pub(super) absent: Vec<String>,
    #[serde(default)]
    pub(super) fields: IndexMap<String, serde_json::Value>,
    #[serde(default)]
    pub(super) schema: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) members_after: IndexMap<String, Spanned<RawMembership>>,
    #[serde(default)]
    pub(super) room_delta: IndexMap<String, Spanned<RawDelta>>,
    #[serde(default)]
    pub(super) messages_after: IndexMap<String, Spanned<Vec<RawMessage>>>,
    #[serde(default)]
    pub(super) answer_room: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessage {
    pub(super) t: String,
    pub(super) by: Spanned<String>,
    pub(super) user: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMembership {
    #[serde(default)]
    pub(super) includes: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) excludes: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelta {
    #[serde(default, rename = "usersCount")]
    pub(super) users_count: Option<i64>,
    #[serde(default)]
    pub(super) msgs: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlternative {
    #[serde(default)]
    pub(super) since: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) until: Option<Spanned<String>>,
    pub(super) source: String,
    pub(super) expect: Spanned<RawExpect>,
}
