//! A profile's body with its placeholders filled in: the room's id and name, the invitee of
//! a per-user call or every invitee of a call for all. Pure.

use serde_json::Value;

use super::profile::{Calls, Slot, Use};

/// A user the client invites: its `_id` and `username`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    /// `_id`.
    pub id: String,
    /// `username`.
    pub username: String,
}

/// What the placeholders of one request stand for.
#[derive(Debug, Clone, Copy)]
pub struct Fill<'a> {
    /// The room's `_id`.
    pub room_id: &'a str,
    /// The room's `name`.
    pub room_name: &'a str,
    /// The invitee of this request (one call per user).
    pub user: Option<&'a Invitee>,
    /// Every invitee of the use.
    pub users: &'a [Invitee],
}

/// `template` with every placeholder replaced (`$$x` becomes the literal `$x`).
pub fn fill(template: &Value, with: &Fill<'_>) -> Value {
    match template {
        Value::String(text) => match Slot::of(text) {
            Ok(Some(slot)) => slot_value(slot, with),
            _ => Value::String(
                text.strip_prefix('$')
                    .filter(|t| t.starts_with('$'))
                    .map_or_else(|| text.clone(), str::to_owned),
            ),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, with)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, with)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn slot_value(slot: Slot, with: &Fill<'_>) -> Value {
    let user = |get: fn(&Invitee) -> &String| {
        with.user
            .map_or(Value::Null, |u| Value::String(get(u).clone()))
    };
    let users = |get: fn(&Invitee) -> &String| {
        Value::Array(
            with.users
                .iter()
                .map(|u| Value::String(get(u).clone()))
                .collect(),
        )
    };
    match slot {
        Slot::RoomId => Value::String(with.room_id.to_owned()),
        Slot::RoomName => Value::String(with.room_name.to_owned()),
        Slot::UserId => user(|u| &u.id),
        Slot::Username => user(|u| &u.username),
        Slot::UserIds => users(|u| &u.id),
        Slot::Usernames => users(|u| &u.username),
    }
}

/// The bodies a use sends into room (`room_id`, `room_name`) for `invitees`, in order: one
/// per invitee, or one for all.
pub fn bodies(of: &Use, room_id: &str, room_name: &str, invitees: &[Invitee]) -> Vec<Value> {
    let fill_for = |user: Option<&Invitee>| {
        fill(
            &of.body,
            &Fill {
                room_id,
                room_name,
                user,
                users: invitees,
            },
        )
    };
    match of.calls {
        Calls::PerUser => invitees.iter().map(|u| fill_for(Some(u))).collect(),
        Calls::Once => vec![fill_for(None)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invitees() -> Vec<Invitee> {
        ["a", "b"]
            .iter()
            .map(|n| Invitee {
                id: format!("ID-{n}"),
                username: (*n).to_owned(),
            })
            .collect()
    }

    fn one_use(calls: Calls, body: Value) -> Use {
        serde_json::from_value(json!({
            "endpoint": "groups.invite", "what": "w", "invitees": 2,
            "calls": calls, "body": body, "needs": {"status": 200}
        }))
        .expect("a use")
    }

    #[test]
    fn a_call_for_all_names_every_invitee() {
        let u = one_use(
            Calls::Once,
            json!({"roomId": "$room", "usernames": "$users.username", "note": "$$room"}),
        );
        assert_eq!(
            bodies(&u, "R1", "town", &invitees()),
            [json!({"roomId": "R1", "usernames": ["a", "b"], "note": "$room"})]
        );
    }

    #[test]
    fn a_call_per_user_names_one_each() {
        let u = one_use(
            Calls::PerUser,
            json!({"roomName": "$room.name", "userId": "$user"}),
        );
        assert_eq!(
            bodies(&u, "R1", "town", &invitees()),
            [
                json!({"roomName": "town", "userId": "ID-a"}),
                json!({"roomName": "town", "userId": "ID-b"})
            ]
        );
    }
}
