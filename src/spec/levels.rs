//! Levels of an expectation (`specs/premises.yaml`, `levels`): which checks are *contract*
//! (what the docs promise and clients rely on, judged on every server), which are *exact*
//! (Rocket.Chat's own strings, judged where established for the target's line), and which
//! answers are *incidental* (an accident of the implementation: input outside the documented
//! request contract, or a failure kind that exists only because a route calls a method its
//! input lacks).
//!
//! The level is a property of the check and of the failure kind, declared once in the specs,
//! never set per case. This module classifies; the run's verdict stage decides what a miss
//! at each level means.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::premise::PremiseModel;
use crate::case::{Body, Reference, Template};

/// The level of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// What the docs promise and clients rely on: a miss fails the case on every server.
    Contract,
    /// Rocket.Chat's own answer, judged where established for the target's line.
    Exact,
    /// An accident of Rocket.Chat's code: shown, never a failure.
    Incidental,
}

impl Level {
    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Contract => "contract",
            Level::Exact => "exact",
            Level::Incidental => "incidental",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kinds of check an expectation makes, as `levels` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CheckKind {
    /// The HTTP status (and that a response came at all).
    #[serde(rename = "status")]
    Status,
    /// The body's `success`.
    #[serde(rename = "success")]
    Success,
    /// The body against its schema.
    #[serde(rename = "schema")]
    Schema,
    /// Room membership afterwards.
    #[serde(rename = "members_after")]
    MembersAfter,
    /// Changes of `usersCount` and `msgs`.
    #[serde(rename = "room_delta")]
    RoomDelta,
    /// The system messages a call records.
    #[serde(rename = "messages_after")]
    MessagesAfter,
    /// The room object of a 200 answer against the room as read afterwards.
    #[serde(rename = "answer_room")]
    AnswerRoom,
    /// The body's `errorType`.
    #[serde(rename = "errorType")]
    ErrorType,
    /// The body's `error` text.
    #[serde(rename = "error")]
    Error,
    /// Keys that must be absent.
    #[serde(rename = "absent")]
    Absent,
    /// Body fields by JSON pointer.
    #[serde(rename = "fields")]
    Fields,
}

impl CheckKind {
    /// Every kind.
    pub const ALL: [CheckKind; 11] = [
        CheckKind::Status,
        CheckKind::Success,
        CheckKind::Schema,
        CheckKind::MembersAfter,
        CheckKind::RoomDelta,
        CheckKind::MessagesAfter,
        CheckKind::AnswerRoom,
        CheckKind::ErrorType,
        CheckKind::Error,
        CheckKind::Absent,
        CheckKind::Fields,
    ];
}

/// The `levels` section of the premise model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    /// Checks judged on every server.
    pub contract: Vec<CheckKind>,
    /// Checks judged where the answer is established for the target's line.
    pub exact: Vec<CheckKind>,
    /// Field pointer prefixes that are contract (the room object of a 200 body).
    pub contract_fields: Vec<String>,
    /// Failure kinds whose answer the docs show, with the citation: their `errorType` and
    /// `details` are contract.
    pub documented: BTreeMap<String, String>,
    /// What makes an answer incidental.
    pub incidental: Incidental,
}

/// What makes an answer incidental.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incidental {
    /// Failure kinds that are accidents of the routes' code.
    pub failures: Vec<String>,
    /// Documented parameters that are strings.
    pub strings: Vec<String>,
    /// Documented parameters that are arrays of strings.
    pub string_lists: Vec<String>,
    /// What every server must still do with such input (shown in reports).
    pub contract: String,
}

impl Levels {
    /// Checks the section against `model`: every check kind has exactly one level, and the
    /// failure kinds it names exist.
    pub(super) fn consistency(&self, model: &PremiseModel) -> Result<(), String> {
        for kind in CheckKind::ALL {
            let n = usize::from(self.contract.contains(&kind))
                + usize::from(self.exact.contains(&kind));
            if n != 1 {
                return Err(format!(
                    "levels: the check `{kind:?}` must be listed once, under contract or exact"
                ));
            }
        }
        for kind in self.documented.keys().chain(&self.incidental.failures) {
            if !model.failures.contains_key(kind) {
                return Err(format!("levels names the unknown failure kind `{kind}`"));
            }
        }
        Ok(())
    }

    /// The level of a check of `kind` (at `pointer`, for fields) on an answer of failure kind
    /// `failure` (none for a success), before incidental input is considered.
    pub fn level_of(&self, kind: CheckKind, pointer: Option<&str>, failure: Option<&str>) -> Level {
        let documented = failure.is_some_and(|f| self.documented.contains_key(f));
        match kind {
            CheckKind::Fields
                if pointer.is_some_and(|p| {
                    self.contract_fields
                        .iter()
                        .any(|prefix| p.starts_with(prefix.as_str()))
                        || (documented && p.starts_with("/details"))
                }) =>
            {
                Level::Contract
            }
            CheckKind::ErrorType if documented => Level::Contract,
            _ if self.contract.contains(&kind) => Level::Contract,
            _ => Level::Exact,
        }
    }

    /// Whether answers of failure kind `failure` are incidental whatever the input.
    pub fn incidental_failure(&self, failure: &str) -> bool {
        self.incidental.failures.iter().any(|f| f == failure)
    }

    /// Why `body` is outside the documented request contract, if it is: not a JSON object,
    /// or a documented parameter of another JSON type.
    pub fn outside_contract(&self, body: &Body) -> Option<String> {
        let object = match body {
            Body::Raw { text, .. } => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => {
                    return self
                        .outside_params(map.iter().map(|(k, v)| (k.as_str(), Shape::of(v))));
                }
                Ok(_) => return Some("the body is JSON but not an object".to_owned()),
                Err(_) => return Some("the body is not JSON".to_owned()),
            },
            Body::Json(Template::Object(map)) => map,
            Body::Json(Template::Literal(Value::Object(map))) => {
                return self.outside_params(map.iter().map(|(k, v)| (k.as_str(), Shape::of(v))));
            }
            Body::Json(_) => return Some("the body is not a JSON object".to_owned()),
        };
        self.outside_params(
            object
                .iter()
                .map(|(k, t)| (k.as_str(), Shape::of_template(t))),
        )
    }

    fn outside_params<'a>(&self, params: impl Iterator<Item = (&'a str, Shape)>) -> Option<String> {
        for (key, shape) in params {
            let string = self.incidental.strings.iter().any(|s| s == key);
            let list = self.incidental.string_lists.iter().any(|s| s == key);
            if string && shape != Shape::String {
                return Some(format!(
                    "`{key}` is {}, the docs make it a string",
                    shape.name()
                ));
            }
            if list && shape != Shape::StringList {
                return Some(format!(
                    "`{key}` is {}, the docs make it an array of strings",
                    shape.name()
                ));
            }
        }
        None
    }
}

/// The JSON shape of a parameter, as far as the input contract cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    String,
    StringList,
    Other(&'static str),
}

impl Shape {
    fn of(value: &Value) -> Shape {
        match value {
            Value::String(_) => Shape::String,
            Value::Array(items) if items.iter().all(Value::is_string) => Shape::StringList,
            Value::Array(_) => Shape::Other("an array with entries that are not strings"),
            Value::Null => Shape::Other("null"),
            Value::Bool(_) => Shape::Other("a boolean"),
            Value::Number(_) => Shape::Other("a number"),
            Value::Object(_) => Shape::Other("an object"),
        }
    }

    fn of_template(template: &Template) -> Shape {
        match template {
            Template::Literal(v) => Shape::of(v),
            // A reference becomes an id, a username or a room name: a string.
            Template::Ref(Reference::User(..) | Reference::Room(..)) => Shape::String,
            Template::Array(items) => {
                if items.iter().all(|t| Shape::of_template(t) == Shape::String) {
                    Shape::StringList
                } else {
                    Shape::Other("an array with entries that are not strings")
                }
            }
            Template::Object(_) => Shape::Other("an object"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::String => "a string",
            Shape::StringList => "an array of strings",
            Shape::Other(name) => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn levels() -> Levels {
        serde_json::from_value(json!({
            "contract": ["status", "success", "schema", "members_after", "room_delta"],
            "exact": ["errorType", "error", "absent", "fields"],
            "contract_fields": ["/channel/", "/group/"],
            "documented": { "not-allowed": "groups.invite.txt" },
            "incidental": {
                "failures": ["invitee-list-malformed"],
                "strings": ["roomId", "userId", "username"],
                "string_lists": ["userIds"],
                "contract": "4xx"
            }
        }))
        .expect("levels")
    }

    #[test]
    fn checks_take_the_level_the_specs_give_them() {
        let l = levels();
        assert_eq!(
            l.level_of(CheckKind::Status, None, Some("room-not-found")),
            Level::Contract
        );
        assert_eq!(
            l.level_of(CheckKind::ErrorType, None, Some("room-not-found")),
            Level::Exact
        );
        assert_eq!(
            l.level_of(CheckKind::Error, None, Some("not-allowed")),
            Level::Exact
        );
        assert_eq!(
            l.level_of(CheckKind::Fields, Some("/channel/t"), None),
            Level::Contract
        );
        assert_eq!(
            l.level_of(CheckKind::Fields, Some("/status"), Some("unauthenticated")),
            Level::Exact
        );
    }

    #[test]
    fn a_documented_answers_error_type_and_details_are_contract() {
        let l = levels();
        assert_eq!(
            l.level_of(CheckKind::ErrorType, None, Some("not-allowed")),
            Level::Contract
        );
        assert_eq!(
            l.level_of(
                CheckKind::Fields,
                Some("/details/method"),
                Some("not-allowed")
            ),
            Level::Contract
        );
        assert_eq!(
            l.level_of(
                CheckKind::Fields,
                Some("/details/method"),
                Some("room-archived")
            ),
            Level::Exact
        );
    }

    #[test]
    fn input_outside_the_documented_contract_is_recognised() {
        let l = levels();
        let raw = |text: &str| Body::Raw {
            text: text.to_owned(),
            content_type: Some("application/json".to_owned()),
        };
        assert!(l.outside_contract(&raw("not json")).is_some());
        assert!(l.outside_contract(&raw("[1,2]")).is_some());
        assert!(
            l.outside_contract(&raw(r#"{"roomId":"x","userId":"y"}"#))
                .is_none()
        );
        let json = |v: Value| Body::Json(Template::Literal(v));
        assert!(
            l.outside_contract(&json(json!({"roomId": 12345})))
                .is_some()
        );
        assert!(
            l.outside_contract(&json(json!({"roomId": "a", "username": ["b"]})))
                .is_some()
        );
        assert!(
            l.outside_contract(&json(json!({"roomId": "a", "userIds": "b"})))
                .is_some()
        );
        assert!(
            l.outside_contract(&json(json!({"roomId": "a", "userIds": ["b"], "note": 1})))
                .is_none()
        );
    }
}
