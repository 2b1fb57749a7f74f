//! The `incidental-answers` deviation: the invite endpoints validate their input themselves,
//! as an independent implementation of the API would, instead of answering out-of-contract
//! input the way the impersonated line happens to.
//!
//! Owns the documented request contract of `channels.invite` / `groups.invite` — a JSON object
//! body whose `roomId`, `roomName`, `userId`, `username` and `user` are strings and whose
//! `userIds` / `usernames` are arrays of strings (a `null` value counts as absent) — and the
//! one answer given to anything outside it: 400 `{success: false, errorType:
//! "error-invalid-params", error: "Invalid request: …"}`. Documented input is not looked at
//! here, so it behaves exactly as the line does. It must not change state.

use serde_json::Value;

use super::envelope::ApiError;
use super::request::{Params, Payload};
use super::{Deviation, Rules};

/// Parameters the contract types as strings.
const TEXT_PARAMS: [&str; 5] = ["roomId", "roomName", "userId", "username", "user"];
/// Parameters the contract types as arrays of strings.
const LIST_PARAMS: [&str; 2] = ["userIds", "usernames"];
/// The paths the contract covers.
const INVITE_PATHS: [&str; 2] = ["/api/v1/channels.invite", "/api/v1/groups.invite"];

fn refused(problem: &str) -> ApiError {
    ApiError::invalid_request(&format!("Invalid request: {problem}"))
}

/// The first way `params` leaves the contract, if any.
fn violation(params: &Params) -> Option<String> {
    let present = |key: &str| params.get(key).filter(|value| !value.is_null());
    for key in TEXT_PARAMS {
        if present(key).is_some_and(|value| !value.is_string()) {
            return Some(format!("{key} must be a string"));
        }
    }
    for key in LIST_PARAMS {
        match present(key) {
            None => {}
            Some(Value::Array(entries)) => {
                if let Some(index) = entries.iter().position(|entry| !entry.is_string()) {
                    return Some(format!("{key}[{index}] must be a string"));
                }
            }
            Some(_) => return Some(format!("{key} must be an array")),
        }
    }
    None
}

/// Under `incidental-answers`, the refusal of an invite body outside the contract.
pub(crate) fn refusal(rules: &Rules, payload: &Payload) -> Option<ApiError> {
    if !rules.breaks(Deviation::IncidentalAnswers) {
        return None;
    }
    if !payload.json_object {
        return Some(refused("the body must be a JSON object"));
    }
    violation(&payload.params).map(|problem| refused(&problem))
}

/// Under `incidental-answers`, the refusal that replaces a body parser's answer to a body it
/// could not read, on the invite paths.
pub(crate) fn unreadable_body_refusal(rules: &Rules, path: &str) -> Option<ApiError> {
    (rules.breaks(Deviation::IncidentalAnswers) && INVITE_PATHS.contains(&path))
        .then(|| refused("the body must be a JSON object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation_of(body: Value) -> Option<String> {
        match body {
            Value::Object(params) => violation(&params),
            _ => Some("not an object".to_owned()),
        }
    }

    #[test]
    fn documented_input_keeps_to_the_contract() {
        assert_eq!(
            violation_of(json!({"roomId": "r", "userIds": ["a", "b"], "extra": 1})),
            None
        );
        assert_eq!(
            violation_of(json!({"roomName": null, "usernames": null})),
            None
        );
    }

    #[test]
    fn names_the_first_parameter_outside_the_contract() {
        assert_eq!(
            violation_of(json!({"roomId": 5})).as_deref(),
            Some("roomId must be a string")
        );
        assert_eq!(
            violation_of(json!({"roomId": "r", "user": ["x"]})).as_deref(),
            Some("user must be a string")
        );
        assert_eq!(
            violation_of(json!({"userIds": "a,b"})).as_deref(),
            Some("userIds must be an array")
        );
        assert_eq!(
            violation_of(json!({"usernames": ["a", 7]})).as_deref(),
            Some("usernames[1] must be a string")
        );
    }
}
