//! What a check of a call looked at ([`Check`]), and a check that did not hold
//! ([`Mismatch`]): what was expected, what came, at which level, and what it does to the
//! case's verdict ([`Effect`]).

use serde::{Deserialize, Serialize};

use crate::spec::levels::{CheckKind, Level};

/// What a check looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum Check {
    /// That a response came at all.
    Response,
    /// The HTTP status.
    Status,
    /// That the body is JSON.
    Body,
    /// `success`.
    Success,
    /// `errorType`.
    #[serde(rename = "errorType")]
    ErrorType,
    /// `error`.
    Error,
    /// A key that must be absent.
    Absent {
        /// The key.
        key: String,
    },
    /// A body field by JSON pointer.
    Field {
        /// The pointer.
        pointer: String,
    },
    /// The body against a schema.
    Schema {
        /// The schema id.
        schema: String,
        /// Where in the body (empty: the root).
        pointer: String,
    },
    /// A room's members afterwards.
    Members {
        /// The room's logical name.
        room: String,
    },
    /// A room counter's change.
    Counter {
        /// The room's logical name.
        room: String,
        /// `usersCount` or `msgs`.
        counter: String,
    },
    /// The system messages a call recorded in a room.
    Messages {
        /// The room's logical name.
        room: String,
    },
    /// A field of the 200 answer's room object against the room as read afterwards.
    AnswerRoom {
        /// The room's logical name.
        room: String,
        /// The field (`_id`, `msgs`, …).
        field: String,
    },
}

impl Check {
    /// The kind of check, as the levels of the premise model name it.
    pub fn kind(&self) -> CheckKind {
        match self {
            Check::Response | Check::Status => CheckKind::Status,
            Check::Body | Check::Success => CheckKind::Success,
            Check::ErrorType => CheckKind::ErrorType,
            Check::Error => CheckKind::Error,
            Check::Absent { .. } => CheckKind::Absent,
            Check::Field { .. } => CheckKind::Fields,
            Check::Schema { .. } => CheckKind::Schema,
            Check::Members { .. } => CheckKind::MembersAfter,
            Check::Counter { .. } => CheckKind::RoomDelta,
            Check::Messages { .. } => CheckKind::MessagesAfter,
            Check::AnswerRoom { .. } => CheckKind::AnswerRoom,
        }
    }

    /// What was checked, in a few words (`errorType`, `members of town`).
    pub fn label(&self) -> String {
        match self {
            Check::Response => "response".to_owned(),
            Check::Status => "status".to_owned(),
            Check::Body => "body".to_owned(),
            Check::Success => "success".to_owned(),
            Check::ErrorType => "errorType".to_owned(),
            Check::Error => "error".to_owned(),
            Check::Absent { key } => format!("{key} (absent)"),
            Check::Field { pointer } => pointer.clone(),
            Check::Schema { schema, .. } => format!("schema {schema}"),
            Check::Members { room } => format!("members of {room}"),
            Check::Counter { room, counter } => format!("{room}.{counter}"),
            Check::Messages { room } => format!("messages of {room}"),
            Check::AnswerRoom { room, field } => format!("answer's {room}.{field}"),
        }
    }

    /// A field check's pointer.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Check::Field { pointer } => Some(pointer),
            _ => None,
        }
    }
}

/// What a mismatch does to the case's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// A contract miss: the case fails.
    Fails,
    /// An established exact or incidental difference: the case is `non-strict`.
    NonStrict,
    /// A detail not established for the target's line: recorded, not judged.
    Noted,
}

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// What was checked.
    #[serde(flatten)]
    pub check: Check,
    /// What was expected.
    pub expected: String,
    /// What came.
    pub actual: String,
    /// The level of the check for this call.
    pub level: Level,
    /// What it does to the verdict.
    pub effect: Effect,
    /// The mismatch as one line of text, as every format shows it.
    pub text: String,
}

impl Mismatch {
    /// A mismatch of `check`, with its one-line text.
    pub fn new(
        check: Check,
        expected: String,
        actual: String,
        level: Level,
        effect: Effect,
    ) -> Mismatch {
        let text = describe(&check, &expected, &actual);
        Mismatch {
            check,
            expected,
            actual,
            level,
            effect,
            text,
        }
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The one-line text of a mismatch (`status: expected 200, got 400`).
fn describe(check: &Check, expected: &str, actual: &str) -> String {
    match check {
        Check::Response => format!("response: expected {expected}, got {actual}"),
        Check::Status => format!("status: expected {expected}, got {actual}"),
        Check::Body => format!("body: expected {expected}, got {actual}"),
        Check::Success => format!("success: expected {expected}, got {actual}"),
        Check::ErrorType => format!("errorType: expected {expected}, got {actual}"),
        Check::Error => format!("error: expected {expected}, got {actual}"),
        Check::Absent { key } => format!("{key}: expected {expected}, got {actual}"),
        Check::Field { pointer } => format!("{pointer}: expected {expected}, got {actual}"),
        Check::Schema { schema, pointer } => {
            let at = if pointer.is_empty() {
                "(root)"
            } else {
                pointer
            };
            format!("schema {schema}: {at} {expected}")
        }
        Check::Members { room } => format!("members of {room}: expected {expected}, got {actual}"),
        Check::Counter { room, counter } => {
            format!("{room}.{counter}: expected {expected}, {actual}")
        }
        Check::Messages { room } => {
            format!("messages recorded in {room}: expected {expected}, got {actual}")
        }
        Check::AnswerRoom { room, field } => {
            format!("the answer's {field} of {room}: expected {expected}, got {actual}")
        }
    }
}
