//! How the answers of the target are read: the envelope every Rocket.Chat answer shares
//! ([`Envelope`]: did it fail, and why) and the typed reading of an endpoint's answer
//! ([`decode`]), whose failure names the field that is missing or mistyped.
//!
//! Answers are read through borrowed views of the parsed body: nothing is copied, and the
//! documents a caller keeps whole (listed rooms, subscriptions, a room's info) are moved out
//! afterwards ([`take`]). It never sends a request and never decides what an answer means for
//! a run.

use std::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::{ApiError, refused};
use crate::target::record::Sent;

/// The fields of the envelope Rocket.Chat wraps around every answer that tell a failure:
/// `success: false` (REST v1) or `status: "error"` (login), with the reason in `errorType`,
/// `error` or `message`.
///
/// The envelope never fails an answer by its own shape: a field of another type than the one
/// Rocket.Chat uses counts as absent (a successful answer may carry, say, a user's presence
/// `status`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Envelope<'a> {
    /// `success`.
    #[serde(default)]
    success: Loose<bool>,
    /// `status` (`"success"` or `"error"` on `login`).
    #[serde(default, borrow)]
    status: Loose<&'a str>,
    /// `error`: the reason, or an error code.
    #[serde(default, borrow)]
    error: Loose<&'a str>,
    /// `errorType`: the error code.
    #[serde(default, borrow, rename = "errorType")]
    error_type: Loose<&'a str>,
    /// `message`.
    #[serde(default, borrow)]
    message: Loose<&'a str>,
}

impl<'a> Envelope<'a> {
    /// Whether the answer says it failed (`success: false` or `status: "error"`).
    pub(super) fn failed(&self) -> bool {
        self.success.get() == Some(&false) || self.status.get() == Some(&"error")
    }

    /// Why it failed: `errorType`, else `error`, else `message`.
    pub(super) fn reason(&self) -> Option<&'a str> {
        [&self.error_type, &self.error, &self.message]
            .into_iter()
            .find_map(|field| field.get().copied())
    }
}

/// A field read as `T` when it is one, and as absent otherwise.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Loose<T> {
    /// The value, of the expected type.
    Fits(T),
    /// Anything else (not read).
    Other(IgnoredAny),
}

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose::Other(IgnoredAny)
    }
}

impl<T> Loose<T> {
    fn get(&self) -> Option<&T> {
        match self {
            Loose::Fits(value) => Some(value),
            Loose::Other(_) => None,
        }
    }
}

/// A document (a user, a room, a member), as far as its `_id`.
#[derive(Debug, Deserialize)]
pub(super) struct Identified<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    pub(super) id: &'a str,
}

/// The answer `body` of `what` (as `sent`) read as `T`, or a refusal that names the field
/// that does not fit.
pub(super) fn decode<'a, T: Deserialize<'a>>(
    what: &str,
    sent: &Sent,
    body: &'a Value,
) -> Result<T, ApiError> {
    decode_at(what, sent, "", body)
}

/// [`decode`] of `value`, found at `at` in the answer (e.g. `rooms[3]`), for the refusal.
pub(super) fn decode_at<'a, T: Deserialize<'a>>(
    what: &str,
    sent: &Sent,
    at: &str,
    value: &'a Value,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| refused(what, sent, does_not_fit(at, e.path(), e.inner())))
}

/// What a refusal says of an answer that does not fit: where, and what was wrong.
fn does_not_fit(at: &str, path: &serde_path_to_error::Path, error: &impl fmt::Display) -> String {
    let path = path.to_string();
    let place = match (at, path.as_str()) {
        ("", ".") => String::new(),
        ("", path) => path.to_owned(),
        (at, ".") => at.to_owned(),
        (at, path) if path.starts_with('[') => format!("{at}{path}"),
        (at, path) => format!("{at}.{path}"),
    };
    if place.is_empty() {
        format!("the answer does not fit: {error}")
    } else {
        format!("the answer does not fit at `{place}`: {error}")
    }
}

/// The value at `pointer` in `body`, moved out rather than copied (`Null` when absent).
pub(super) fn take(body: &mut Value, pointer: &str) -> Value {
    body.pointer_mut(pointer).map_or(Value::Null, Value::take)
}

/// The array at `pointer` in `body`, moved out rather than copied.
pub(super) fn take_array(body: &mut Value, pointer: &str) -> Option<Vec<Value>> {
    match take(body, pointer) {
        Value::Array(items) => Some(items),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(body: &Value) -> Envelope<'_> {
        Envelope::deserialize(body).unwrap_or_default()
    }

    #[test]
    fn the_envelope_tells_a_failure_and_its_reason() {
        let body = json!({ "success": false, "error": "No such room", "errorType": "error-room-not-found" });
        assert!(envelope(&body).failed());
        assert_eq!(envelope(&body).reason(), Some("error-room-not-found"));
        let body = json!({ "status": "error", "message": "Unauthorized" });
        assert!(envelope(&body).failed());
        assert_eq!(envelope(&body).reason(), Some("Unauthorized"));
    }

    #[test]
    fn envelope_fields_of_another_type_count_as_absent() {
        let body =
            json!({ "success": "no", "status": "online", "error": { "code": 1 }, "message": "m" });
        assert!(!envelope(&body).failed());
        assert_eq!(envelope(&body).reason(), Some("m"));
    }

    #[test]
    fn places_join_the_prefix_and_the_path() {
        let cases = [
            ("", "", "the answer does not fit: e"),
            ("rooms[2]", "", "the answer does not fit at `rooms[2]`: e"),
            ("", "data", "the answer does not fit at `data`: e"),
            (
                "rooms[2]",
                "t",
                "the answer does not fit at `rooms[2].t`: e",
            ),
        ];
        for (at, field, expected) in cases {
            let body = if field.is_empty() {
                json!(1)
            } else {
                json!({ field: 1 })
            };
            #[derive(Debug, Deserialize)]
            #[allow(dead_code)]
            struct Strict {
                #[serde(default)]
                data: Option<String>,
                #[serde(default)]
                t: Option<String>,
            }
            let err = serde_path_to_error::deserialize::<_, Strict>(&body)
                .err()
                .map(|e| does_not_fit(at, e.path(), &"e"));
            assert_eq!(err.as_deref(), Some(expected));
        }
    }
}
