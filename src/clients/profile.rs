//! The client compatibility profiles of `specs/clients.yaml`: for each real client, the
//! requests it sends to the invite endpoints and what it needs back, with the source they
//! were read from.
//!
//! Loading validates the file against `specs/clients.schema.json` first (every violation with
//! its JSON pointer), then reads it strictly (`file:line:column` on a wrong key or type), then
//! checks what a schema cannot: the placeholders of each body fit the way the client calls
//! (`$user` one call per user, `$users` one call for all), ids are unique. Nothing here sends
//! a request or judges an answer ([`super::needs`] does).

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::Utf8Path;

use crate::built_in::Source;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::Endpoint;

/// The most invitees a use may name (each is a user the run creates).
pub const MAX_INVITEES: usize = 5;

/// Why `clients.yaml` could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// `clients.schema.json` is not a usable JSON Schema.
    #[error("{path}: not a usable JSON Schema: {message}")]
    Schema {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The profiles break the schema or a rule of their own.
    #[error("{path}: {}", .problems.join("; "))]
    Invalid {
        /// The file.
        path: String,
        /// Every problem found.
        problems: Vec<String>,
    },
}

/// Every client profile, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientProfiles {
    /// The profiles.
    pub profiles: Vec<Profile>,
}

/// How a client calls an endpoint for several users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Calls {
    /// One request per invitee (`$user` in the body).
    PerUser,
    /// One request for every invitee (`$users` in the body).
    Once,
}

/// One real client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A short stable id (`go-sdk`).
    pub id: String,
    /// The client's name as people know it.
    pub name: String,
    /// Where its requests were read: repository, file and function.
    pub source: String,
    /// Which versions of the client this describes, and the commit read when known.
    pub version: String,
    /// What else a reader of the profile should know.
    #[serde(default)]
    pub notes: Option<String>,
    /// Each way it uses the invite endpoints.
    pub uses: Vec<Use>,
}

/// One way a client uses an invite endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Use {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// What the client does, in a few words (its function and how it calls).
    pub what: String,
    /// How many users the client invites at once here.
    pub invitees: usize,
    /// One request per user or one for all.
    pub calls: Calls,
    /// The JSON body it sends, with placeholders.
    pub body: Value,
    /// What it needs back.
    pub needs: Needs,
}

/// Which value of the room an answer must echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Echo {
    /// The room's `_id`.
    #[serde(rename = "room.id")]
    RoomId,
    /// The room's `name`.
    #[serde(rename = "room.name")]
    RoomName,
}

/// What a client needs from the server for one use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    /// The HTTP status of every answer.
    pub status: u16,
    /// `success` of every answer, when the client reads it.
    #[serde(default)]
    pub success: Option<bool>,
    /// Pointers that must be present in every answer (the client decodes them).
    #[serde(default)]
    pub present: Vec<String>,
    /// Pointers whose value must equal a value of the room.
    #[serde(default)]
    pub echo: BTreeMap<String, Echo>,
    /// Afterwards, one system message of this type (`au`) per invitee in the room, its `msg`
    /// the invitee's username, authored by the inviter.
    #[serde(default)]
    pub added_message: Option<String>,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    clients: Vec<Profile>,
}

/// A value a body placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `$room`: the room's `_id`.
    RoomId,
    /// `$room.name`.
    RoomName,
    /// `$user`: the invitee's `_id` (one call per user).
    UserId,
    /// `$user.username`.
    Username,
    /// `$users`: every invitee's `_id` (one call for all).
    UserIds,
    /// `$users.username`.
    Usernames,
}

impl Slot {
    /// The placeholder of a string value (`$room` → `RoomId`); `None` for a literal
    /// (`$$x` is the literal `$x`). `Err` names an unknown placeholder.
    pub fn of(text: &str) -> Result<Option<Slot>, String> {
        if !text.starts_with('$') || text.starts_with("$$") {
            return Ok(None);
        }
        match text {
            "$room" => Ok(Some(Slot::RoomId)),
            "$room.name" => Ok(Some(Slot::RoomName)),
            "$user" => Ok(Some(Slot::UserId)),
            "$user.username" => Ok(Some(Slot::Username)),
            "$users" => Ok(Some(Slot::UserIds)),
            "$users.username" => Ok(Some(Slot::Usernames)),
            other => Err(format!(
                "unknown placeholder `{other}` (known: $room, $room.name, $user, $user.username, $users, $users.username; `$$` for a literal `$`)"
            )),
        }
    }

    /// Whether the placeholder names invitees the way `calls` sends them.
    fn fits(self, calls: Calls) -> bool {
        match self {
            Slot::RoomId | Slot::RoomName => true,
            Slot::UserId | Slot::Username => calls == Calls::PerUser,
            Slot::UserIds | Slot::Usernames => calls == Calls::Once,
        }
    }
}

/// Every string of `value`, depth first.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

impl Use {
    /// The request in a few words: `channels.invite {roomId, userIds}, one call for 2 users`.
    pub fn request_text(&self) -> String {
        let keys: Vec<&str> = self
            .body
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let how = match (self.calls, self.invitees) {
            (Calls::PerUser, 1) => "one call for 1 user".to_owned(),
            (Calls::PerUser, n) => format!("one call per user, {n} users"),
            (Calls::Once, n) => format!("one call for {n} user{}", if n == 1 { "" } else { "s" }),
        };
        format!("{} {{{}}}, {how}", self.endpoint, keys.join(", "))
    }

    /// What is wrong with this use beyond the schema.
    fn problems(&self, at: &str) -> Vec<String> {
        let mut out = Vec::new();
        if !(1..=MAX_INVITEES).contains(&self.invitees) {
            out.push(format!("{at}: invitees must be 1 to {MAX_INVITEES}"));
        }
        if !self.body.is_object() {
            out.push(format!("{at}: the body must be a JSON object"));
        }
        let mut texts = Vec::new();
        strings(&self.body, &mut texts);
        let mut names_invitees = false;
        for text in texts {
            match Slot::of(&text) {
                Ok(Some(slot)) if !slot.fits(self.calls) => out.push(format!(
                    "{at}: `{text}` does not fit `calls: {}` (one call per user names `$user`, one call for all `$users`)",
                    serde_json::to_value(self.calls)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                )),
                Ok(Some(slot)) => {
                    names_invitees |= !matches!(slot, Slot::RoomId | Slot::RoomName);
                }
                Ok(None) => {}
                Err(e) => out.push(format!("{at}: {e}")),
            }
        }
        if !names_invitees {
            out.push(format!("{at}: the body names no invitee"));
        }
        for pointer in self.needs.present.iter().chain(self.needs.echo.keys()) {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                out.push(format!("{at}: `{pointer}` is not a JSON pointer"));
            }
        }
        out
    }
}

impl ClientProfiles {
    /// Loads `clients.yaml` of `specs` (validated against its `clients.schema.json`); a
    /// missing `clients.yaml` means no profile.
    pub fn load_from(specs: &Source) -> Result<ClientProfiles, ClientsError> {
        const CLIENTS: &str = "clients.yaml";
        const SCHEMA: &str = "clients.schema.json";
        if !specs.exists(CLIENTS) {
            return Ok(ClientProfiles::default());
        }
        let read = |name: &str| {
            specs.read(name).map_err(|source| ClientsError::Read {
                path: specs.path(name).to_string(),
                source,
            })
        };
        // The built-in profiles, in the JSON form build.rs wrote of their YAML: the test suite
        // holds them to the schema (`the_repository_profiles_load`), so they are read here
        // without compiling it (a millisecond of every run).
        if let Some(file) = specs
            .compiled(CLIENTS)
            .and_then(|json| serde_json::from_str::<File>(json).ok())
        {
            return Self::checked(&specs.path(CLIENTS), file);
        }
        let (text, schema_text) = (read(CLIENTS)?, read(SCHEMA)?);
        Self::parse(
            &specs.path(CLIENTS),
            &text,
            &specs.path(SCHEMA),
            &schema_text,
        )
    }

    /// Parses the profiles of `text` (read from `path`) against the schema `schema_text`.
    pub fn parse(
        path: &Utf8Path,
        text: &str,
        schema_path: &Utf8Path,
        schema_text: &str,
    ) -> Result<ClientProfiles, ClientsError> {
        let invalid = |problems: Vec<String>| ClientsError::Invalid {
            path: path.to_string(),
            problems,
        };
        let diagnostic = |d: Box<crate::case::Diagnostic>| {
            invalid(vec![format!(
                "{}:{}: {}: {}",
                d.line, d.column, d.field, d.message
            )])
        };
        let source: Arc<str> = Arc::from(text);
        let value: Value = crate::case::parse_yaml(path, &source).map_err(diagnostic)?;
        let violations = schema_violations(schema_path, schema_text, &value)?;
        if !violations.is_empty() {
            return Err(invalid(violations));
        }
        // Typed from the value already parsed; should that fail, the YAML is parsed again to
        // tell the problem with its line.
        let file = match File::deserialize(&value) {
            Ok(file) => file,
            Err(_) => crate::case::parse_yaml(path, &source).map_err(diagnostic)?,
        };
        Self::checked(path, file)
    }

    /// The profiles of `file` (read from `path`), when their ids are unique and each use's
    /// body fits the way it is called.
    fn checked(path: &Utf8Path, file: File) -> Result<ClientProfiles, ClientsError> {
        let invalid = |problems: Vec<String>| ClientsError::Invalid {
            path: path.to_string(),
            problems,
        };
        let mut problems = Vec::new();
        let mut ids: Vec<&str> = Vec::new();
        for (i, profile) in file.clients.iter().enumerate() {
            if ids.contains(&profile.id.as_str()) {
                problems.push(format!("/clients/{i}: the id `{}` is taken", profile.id));
            }
            ids.push(&profile.id);
            for (j, u) in profile.uses.iter().enumerate() {
                problems.extend(u.problems(&format!("/clients/{i}/uses/{j}")));
            }
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        Ok(ClientProfiles {
            profiles: file.clients,
        })
    }

    /// The most invitees any use needs (the users the run creates for the profiles).
    pub fn invitees(&self) -> usize {
        self.profiles
            .iter()
            .flat_map(|p| &p.uses)
            .map(|u| u.invitees)
            .max()
            .unwrap_or(0)
    }
}

/// Every violation of `value` against the JSON Schema `schema_text`, with its pointer.
fn schema_violations(
    schema_path: &Utf8Path,
    schema_text: &str,
    value: &Value,
) -> Result<Vec<String>, ClientsError> {
    let unusable = |message: String| ClientsError::Schema {
        path: schema_path.to_string(),
        message,
    };
    let schema: Value = serde_json::from_str(schema_text).map_err(|e| unusable(e.to_string()))?;
    let validator = jsonschema::draft202012::options()
        .build(&schema)
        .map_err(|e| unusable(e.to_string()))?;
    Ok(validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "(root)" } else { &at })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = include_str!("../../specs/clients.schema.json");

    fn parse(yaml: &str) -> Result<ClientProfiles, ClientsError> {
        ClientProfiles::parse(
            Utf8Path::new("clients.yaml"),
            yaml,
            Utf8Path::new("clients.schema.json"),
            SCHEMA,
        )
    }

    fn one(body: &str, calls: &str) -> String {
        format!(
            "clients:\n  - id: x\n    name: X\n    source: s\n    version: v\n    uses:\n      - endpoint: channels.invite\n        what: w\n        invitees: 2\n        calls: {calls}\n        body: {body}\n        needs: {{ status: 200 }}\n"
        )
    }

    #[test]
    fn the_repository_profiles_load() {
        let text = include_str!("../../specs/clients.yaml");
        let profiles = parse(text).expect("specs/clients.yaml loads");
        assert!(profiles.profiles.len() >= 5);
        assert!(profiles.invitees() >= 2);
    }

    #[test]
    fn placeholders_must_fit_the_way_the_client_calls() {
        assert!(parse(&one("{ roomId: $room, userIds: $users }", "once")).is_ok());
        let Err(e) = parse(&one("{ roomId: $room, userId: $users }", "per-user")) else {
            panic!("$users in a per-user call")
        };
        assert!(
            e.to_string().contains("does not fit `calls: per-user`"),
            "{e}"
        );
        let Err(e) = parse(&one("{ roomId: $room, userId: $usr }", "per-user")) else {
            panic!("unknown placeholder")
        };
        assert!(e.to_string().contains("unknown placeholder `$usr`"), "{e}");
        let Err(e) = parse(&one("{ roomId: $room }", "once")) else {
            panic!("no invitee")
        };
        assert!(e.to_string().contains("names no invitee"), "{e}");
    }

    #[test]
    fn the_schema_and_strict_reading_refuse_unknown_keys() {
        let text = one("{ roomId: $room, userIds: $users }", "once").replace("what: w", "wat: w");
        let Err(ClientsError::Invalid { problems, .. }) = parse(&text) else {
            panic!("an unknown key")
        };
        assert!(
            problems.iter().any(|p| p.starts_with("/clients/0/uses/0")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_request_reads_as_words() {
        let profiles = parse(&one("{ roomId: $room, userIds: $users }", "once")).expect("loads");
        let text = profiles.profiles[0].uses[0].request_text();
        assert_eq!(
            text,
            "channels.invite {roomId, userIds}, one call for 2 users"
        );
    }
}
