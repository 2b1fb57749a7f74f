//! Request-body schemas checked before a handler runs, evaluated the way Rocket.Chat's ajv
//! instance does (`coerceTypes: true`, first error only).
//!
//! Owns the legacy `validateParams` checks of the provisioning routes and the closed typed
//! invite bodies of 9.0+ releases, and the exact ajv message texts. It must not look at state.

use serde_json::{Value, json};

use super::envelope::{ApiError, Envelope};
use super::request::Params;

/// The JSON type a property must have (after ajv's scalar coercion).
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Flag,
    NullableText,
    NullableFlag,
}

/// An object schema: typed properties, required names, and whether others are refused.
struct ObjectSchema {
    properties: &'static [(&'static str, Kind)],
    required: &'static [&'static str],
    closed: bool,
}

fn coerce(kind: Kind, value: &Value) -> Result<Value, &'static str> {
    match (kind, value) {
        (Kind::NullableText | Kind::NullableFlag, Value::Null) => Ok(Value::Null),
        (Kind::Text | Kind::NullableText, Value::String(_)) => Ok(value.clone()),
        (Kind::Text | Kind::NullableText, Value::Number(number)) => Ok(json!(number.to_string())),
        (Kind::Text | Kind::NullableText, Value::Bool(flag)) => Ok(json!(flag.to_string())),
        (Kind::Text, Value::Null) => Ok(json!("")),
        (Kind::Text | Kind::NullableText, _) => Err("must be string"),
        (Kind::Flag | Kind::NullableFlag, Value::Bool(_)) => Ok(value.clone()),
        (Kind::Flag | Kind::NullableFlag, Value::String(text)) if text == "true" => Ok(json!(true)),
        (Kind::Flag | Kind::NullableFlag, Value::String(text)) if text == "false" => {
            Ok(json!(false))
        }
        (Kind::Flag | Kind::NullableFlag, Value::Number(number))
            if number.as_f64() == Some(1.0) =>
        {
            Ok(json!(true))
        }
        (Kind::Flag | Kind::NullableFlag, Value::Number(number))
            if number.as_f64() == Some(0.0) =>
        {
            Ok(json!(false))
        }
        (Kind::Flag, Value::Null) => Ok(json!(false)),
        (Kind::Flag | Kind::NullableFlag, _) => Err("must be boolean"),
    }
}

impl ObjectSchema {
    /// ajv keyword order for objects: `required`, `additionalProperties`, `properties`.
    /// Coerces the typed properties in place; returns the first error message.
    fn check(&self, params: &mut Params) -> Result<(), String> {
        if let Some(missing) = self
            .required
            .iter()
            .find(|name| !params.contains_key(**name))
        {
            return Err(format!("must have required property '{missing}'"));
        }
        if self.closed
            && params
                .keys()
                .any(|key| !self.properties.iter().any(|(name, _)| name == key))
        {
            return Err("must NOT have additional properties".to_owned());
        }
        for (name, kind) in self.properties {
            if let Some(value) = params.get_mut(*name) {
                *value = coerce(*kind, value).map_err(str::to_owned)?;
            }
        }
        Ok(())
    }
}

/// The 9.0+ typed channels.invite body: string `roomId`, `roomName`, `userId`, `username`,
/// `user`; `anyOf` roomId/roomName; nothing else.
pub(crate) fn channels_invite_body(
    envelope: Envelope,
    mut params: Params,
) -> Result<Params, ApiError> {
    const BODY: ObjectSchema = ObjectSchema {
        properties: &[
            ("roomId", Kind::Text),
            ("roomName", Kind::Text),
            ("userId", Kind::Text),
            ("username", Kind::Text),
            ("user", Kind::Text),
        ],
        required: &[],
        closed: true,
    };
    if !params.contains_key("roomId") && !params.contains_key("roomName") {
        let messages = [
            "must have required property 'roomId'".to_owned(),
            "must have required property 'roomName'".to_owned(),
            "must match a schema in anyOf".to_owned(),
        ];
        return Err(ApiError::invalid_params(envelope, &messages));
    }
    BODY.check(&mut params)
        .map_err(|message| ApiError::invalid_params(envelope, &[message]))?;
    Ok(params)
}

/// The 9.0+ typed groups.invite body (`isGroupsInviteProps`): `oneOf` {roomId, userId} /
/// {roomName, userId}, each also allowing nullable `name`, `typeGroup`, `unbanBeforeAdd`.
pub(crate) fn groups_invite_body(envelope: Envelope, params: Params) -> Result<Params, ApiError> {
    const BY_ID: ObjectSchema = ObjectSchema {
        properties: &[
            ("roomId", Kind::Text),
            ("name", Kind::NullableText),
            ("typeGroup", Kind::NullableText),
            ("userId", Kind::Text),
            ("unbanBeforeAdd", Kind::NullableFlag),
        ],
        required: &["roomId", "userId"],
        closed: true,
    };
    const BY_NAME: ObjectSchema = ObjectSchema {
        properties: &[
            ("roomName", Kind::Text),
            ("name", Kind::NullableText),
            ("typeGroup", Kind::NullableText),
            ("userId", Kind::Text),
            ("unbanBeforeAdd", Kind::NullableFlag),
        ],
        required: &["roomName", "userId"],
        closed: true,
    };
    let mut messages = Vec::new();
    let mut passing = Vec::new();
    for branch in [&BY_ID, &BY_NAME] {
        let mut candidate = params.clone();
        match branch.check(&mut candidate) {
            Ok(()) => passing.push(candidate),
            Err(message) => messages.push(message),
        }
    }
    if passing.len() == 1 {
        return Ok(passing.remove(0));
    }
    messages.push("must match exactly one schema in oneOf".to_owned());
    Err(ApiError::invalid_params(envelope, &messages))
}

fn validate(
    envelope: Envelope,
    schema: &ObjectSchema,
    params: &mut Params,
) -> Result<(), ApiError> {
    schema
        .check(params)
        .map_err(|message| ApiError::invalid_params(envelope, &[message]))
}

/// `isUserCreateParamsPOST` (required part).
pub(crate) fn users_create_body(envelope: Envelope, params: &mut Params) -> Result<(), ApiError> {
    const BODY: ObjectSchema = ObjectSchema {
        properties: &[
            ("email", Kind::Text),
            ("name", Kind::Text),
            ("password", Kind::Text),
            ("username", Kind::Text),
            ("active", Kind::Flag),
            ("joinDefaultChannels", Kind::Flag),
            ("verified", Kind::Flag),
            ("requirePasswordChange", Kind::Flag),
        ],
        required: &["email", "name", "password", "username"],
        closed: false,
    };
    validate(envelope, &BODY, params)
}

/// `isUserSetActiveStatusParamsPOST`.
pub(crate) fn set_active_status_body(
    envelope: Envelope,
    params: &mut Params,
) -> Result<(), ApiError> {
    const BODY: ObjectSchema = ObjectSchema {
        properties: &[
            ("activeStatus", Kind::Flag),
            ("userId", Kind::Text),
            ("confirmRelinquish", Kind::Flag),
        ],
        required: &["activeStatus", "userId"],
        closed: false,
    };
    validate(envelope, &BODY, params)
}

/// `isChannelsSetReadOnlyProps` (the `readOnly` part).
pub(crate) fn set_read_only_body(envelope: Envelope, params: &mut Params) -> Result<(), ApiError> {
    const BODY: ObjectSchema = ObjectSchema {
        properties: &[("readOnly", Kind::Flag)],
        required: &["readOnly"],
        closed: false,
    };
    validate(envelope, &BODY, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(value: Value) -> Params {
        match value {
            Value::Object(map) => map,
            _ => Params::new(),
        }
    }

    #[test]
    fn typed_channels_body_refuses_bulk_keys_and_coerces_scalars() {
        let refused = channels_invite_body(
            Envelope::Breaking,
            params(json!({"roomId": "r", "userIds": ["a"]})),
        );
        assert!(refused.is_err());
        let coerced = channels_invite_body(Envelope::Breaking, params(json!({"roomId": 123})));
        assert_eq!(
            coerced.ok().and_then(|p| p.get("roomId").cloned()),
            Some(json!("123"))
        );
        let missing = channels_invite_body(Envelope::Breaking, params(json!({"userId": "u"})));
        assert_eq!(missing.err().map(|e| e.status().as_u16()), Some(400));
    }

    #[test]
    fn typed_groups_body_needs_exactly_one_room_key_and_a_user_id() {
        assert!(
            groups_invite_body(
                Envelope::Breaking,
                params(json!({"roomId": "r", "userId": "u"}))
            )
            .is_ok()
        );
        assert!(
            groups_invite_body(
                Envelope::Breaking,
                params(json!({"roomId": "r", "username": "u"}))
            )
            .is_err()
        );
        assert!(
            groups_invite_body(
                Envelope::Breaking,
                params(json!({"roomId": "r", "roomName": "n", "userId": "u"}))
            )
            .is_err()
        );
    }
}
