//! The case file as written: serde types that mirror the YAML one to one.
//!
//! Only the loader reads these; nothing outside `case` sees them. Fields that a later
//! diagnostic must point at are [`Spanned`], so a reference error names its own line.
//!
//! A case file has two forms. The YAML a user writes, read by serde-saphyr; and, for the
//! files compiled into the binary, the same [`RawFile`] as JSON, which `build.rs` (which
//! includes this module) writes at build time from that YAML and the loader reads back
//! ([`from_compiled`]) at a small fraction of the YAML's parsing cost, every position kept.

use std::cell::Cell;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_saphyr::Location;

use crate::api::{Endpoint, RoomType};

/// How a case file's name ends: the files the loader reads below a case directory, and the
/// built-in ones `build.rs` compiles.
pub(super) const CASE_FILE_SUFFIXES: [&str; 2] = [".yaml", ".yml"];

/// The options every YAML file of the project is read with: strict booleans, leading-zero
/// numbers as strings (duplicate keys are rejected by default).
pub(super) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
    }
}

/// `text` read as YAML into `T` with [`yaml_options`]: the one read of a YAML file, by the
/// loader (`parse_yaml`, which adds the diagnostic) and by `build.rs` (which compiles the
/// built-in case files).
pub(super) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        T::deserialize(de)
    })
}

/// A value and where the file writes it: `referenced` where it is used, `defined` where an
/// anchor defines it (the same place unless it comes through an alias).
#[derive(Debug)]
pub(super) struct Spanned<T> {
    pub(super) value: T,
    pub(super) referenced: Location,
    pub(super) defined: Location,
}

thread_local! {
    /// Whether this thread is reading the compiled (JSON) form.
    static COMPILED: Cell<bool> = const { Cell::new(false) };
}

/// A case file read back from its compiled form (see the module's docs).
pub(super) fn from_compiled(json: &str) -> serde_json::Result<RawFile> {
    /// Puts the thread back to reading YAML, however the read ends.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            COMPILED.set(false);
        }
    }
    COMPILED.set(true);
    let _reset = Reset;
    serde_json::from_str(json)
}

/// A position in the compiled form.
#[derive(Serialize)]
struct At {
    line: u64,
    column: u64,
}

impl From<&Location> for At {
    fn from(at: &Location) -> At {
        At {
            line: at.line(),
            column: at.column(),
        }
    }
}

/// The compiled form of a [`Spanned`] value: `{"v": value, "r": position}`, and `"d":
/// position` where it is defined elsewhere (through an alias).
#[derive(Serialize)]
struct CompiledOut<'a, T> {
    v: &'a T,
    r: At,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<At>,
}

/// What the compiled form reads back; a position reads as a serde-saphyr [`Location`].
#[derive(Deserialize)]
struct CompiledIn<T> {
    v: T,
    r: Location,
    #[serde(default)]
    d: Option<Location>,
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CompiledOut {
            v: &self.value,
            r: At::from(&self.referenced),
            d: (self.defined != self.referenced).then(|| At::from(&self.defined)),
        }
        .serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if COMPILED.get() {
            let CompiledIn { v, r, d } = CompiledIn::deserialize(deserializer)?;
            return Ok(Spanned {
                value: v,
                referenced: r,
                defined: d.unwrap_or(r),
            });
        }
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(Spanned {
            value: spanned.value,
            referenced: spanned.referenced,
            defined: spanned.defined,
        })
    }
}

/// A case file: one or more cases.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) cases: Vec<Spanned<RawCase>>,
}

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSetup {
    #[serde(default)]
    pub(super) users: IndexMap<String, Spanned<RawUser>>,
    #[serde(default)]
    pub(super) permissions: IndexMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) rooms: IndexMap<String, Spanned<RawRoom>>,
}

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawAuth {
    Session,
    None,
    WrongToken,
    UserIdOnly,
    TokenOnly,
}

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessage {
    pub(super) t: String,
    pub(super) by: Spanned<String>,
    pub(super) user: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMembership {
    #[serde(default)]
    pub(super) includes: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) excludes: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelta {
    #[serde(default, rename = "usersCount")]
    pub(super) users_count: Option<i64>,
    #[serde(default)]
    pub(super) msgs: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlternative {
    #[serde(default)]
    pub(super) since: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) until: Option<Spanned<String>>,
    pub(super) source: String,
    pub(super) expect: Spanned<RawExpect>,
}
