//! The 2026 room bans: `POST rooms.banUser` and `POST rooms.unbanUser` (served from 8.3.0 on,
//! see [`super::version::Version::ROOM_BANS`]; older releases answer them as unknown routes).
//!
//! Owns `banUserFromRoomMethod` (server/lib/banUserFromRoom.ts @234c4daf), `performUserBan`
//! (app/lib/server/functions/banUserFromRoom.ts @38a46007) and the unban. A ban keeps the
//! subscription with `status: "BANNED"`, takes the room roles, `usersCount` − 1, removes a main
//! room's team membership and records `user-banned`; the banned user is then no member (not
//! listed, no access) and the invite refuses them (`invite.rs`). The unban deletes the banned
//! subscription and records `user-unbanned` (the feature's `docs/features/ban-user.md`: "after
//! unban the user does not become a member"); the ban's first version restored the membership
//! instead, and which of the two a given release carries is not established. The routes are
//! typed (`body: isRoomsBanUserProps`): a body without `roomId` is `error-invalid-params` on
//! every line. The method throws plain `Error`s, answered 400 `{success: false, error}`
//! without `errorType`. It must not add users.

use serde_json::json;

use super::envelope::{ApiError, Envelope, Reply, success};
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind, User};
use super::records::Draft;
use super::request::{Call, Params};
use super::store::Store;

/// A plain `Error` thrown by the ban methods.
fn thrown(message: &str) -> ApiError {
    ApiError::thrown_error(message)
}

/// The typed body: a string `roomId` and a user (`userId` or `username`).
fn room_id(params: &Params) -> Result<String, ApiError> {
    match params.get("roomId") {
        Some(serde_json::Value::String(id)) => Ok(id.clone()),
        Some(_) => Err(ApiError::invalid_params(
            Envelope::Breaking,
            &["must be string".to_owned()],
        )),
        None => Err(ApiError::invalid_params(
            Envelope::Breaking,
            &["must have required property 'roomId'".to_owned()],
        )),
    }
}

/// What both routes need: the room (maybe unknown), the caller's check, the target user.
fn prelude(
    store: &Store,
    caller: &Caller,
    params: &Params,
) -> Result<(String, Option<Room>, User), ApiError> {
    let rid = room_id(params)?;
    let target = lookup::user_from_params(store, params)?;
    if !store.has_permission(&caller.id, "ban-user", Some(&rid)) {
        return Err(thrown("Not allowed"));
    }
    let room = store.room(&rid).cloned();
    Ok((rid, room, target))
}

/// POST /api/v1/rooms.banUser
pub(crate) async fn ban_user(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let (_, room, target) = prelude(store, &caller, &params)?;
        // The room type's `allowMemberAction(BAN)`: channels and groups only.
        let room = room
            .filter(|room| matches!(room.kind, RoomKind::Channel | RoomKind::Group))
            .ok_or_else(|| thrown("Not allowed"))?;
        if !lookup::can_access(store, &room, &caller.id) {
            return Err(thrown(
                "The required \"roomId\" or \"roomName\" param provided does not match any group",
            ));
        }
        let Some(subscription) = store.subscription(&room.id, &target.id) else {
            return Err(thrown("User is not in this room"));
        };
        if subscription.banned {
            return Err(thrown("User is already banned from this room"));
        }
        if subscription.roles.iter().any(|role| role == "owner") && owner_count(store, &room) == 1 {
            return Err(thrown(
                "You are the last owner. Please set new owner before banning the user.",
            ));
        }
        perform_ban(store, &caller, &room, &target);
        success(json!({}))
    })
}

fn owner_count(store: &Store, room: &Room) -> usize {
    store
        .subscriptions_of_room(&room.id)
        .filter(|sub| sub.roles.iter().any(|role| role == "owner"))
        .count()
}

/// `performUserBan`.
fn perform_ban(store: &mut Store, caller: &Caller, room: &Room, target: &User) {
    store.ban(&room.id, &target.id);
    store.adjust_users_count(&room.id, -1);
    if let (true, Some(team_id)) = (room.links.team_main, &room.links.team_id) {
        store.remove_team_member(team_id, &target.id);
    }
    if let Some(by) = store.author(&caller.id) {
        store.record_message(&room.id, Draft::system("user-banned", &target.username, by));
    }
}

/// POST /api/v1/rooms.unbanUser
pub(crate) async fn unban_user(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let (_, room, target) = prelude(store, &caller, &params)?;
        let room = room.ok_or_else(|| {
            ApiError::meteor("error-invalid-room", "Invalid room")
                .with_details(json!({"method": "unbanUserFromRoom"}))
        })?;
        let banned = store
            .subscription(&room.id, &target.id)
            .is_some_and(|sub| sub.banned);
        if !banned {
            return Err(ApiError::meteor(
                "error-user-not-banned",
                "User is not banned from this room",
            )
            .with_details(json!({"method": "unbanUserFromRoom"})));
        }
        store.unsubscribe(&room.id, &target.id);
        if let Some(by) = store.author(&caller.id) {
            let draft = Draft::system("user-unbanned", &target.username, by.brief());
            store.record_message(&room.id, draft);
        }
        success(json!({}))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_needs_a_room_id_string() {
        let mut params = Params::new();
        assert!(room_id(&params).is_err());
        params.insert("roomId".into(), json!(5));
        assert!(room_id(&params).is_err());
        params.insert("roomId".into(), json!("r"));
        assert_eq!(room_id(&params).ok().as_deref(), Some("r"));
    }
}
