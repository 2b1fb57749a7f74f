//! Leaving a room: `channels.kick` / `groups.kick` (`removeUserFromRoomMethod`) and
//! `channels.leave` / `groups.leave` (`leaveRoomMethod`, then `removeUserFromRoom`).
//!
//! Owns who may remove whom, the last-owner refusals, and what a departure writes: the
//! subscription deleted (`usersCount` − 1), the room roles gone with it, the system message
//! (`ru` by the remover for a kick; `ul`, or `ult` in a team's main room, by the user for a
//! leave), the team membership of a main room removed, and the note that the user departed
//! (read only by the `kicked-user-not-reinvitable` deviation). Sources: the legacy routes of
//! `apps/meteor/app/api/server/v1/channels.ts` (a 7.x version; both answer
//! `{channel}` re-read) and `apps/meteor/server/api/v1/groups.ts` @575c1631 (both answer `{}`),
//! `removeUserFromRoomMethod` (`apps/meteor/server/methods/removeUserFromRoom.ts`),
//! `leaveRoomMethod` (`apps/meteor/app/lib/server/methods/leaveRoom.ts`) and `removeUserFromRoom`
//! (app/lib/server/functions/removeUserFromRoom.ts @00123e4d). It must not add users.

use serde_json::json;

use super::envelope::{ApiError, Reply, success};
use super::family::Family;
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind, User};
use super::records::{Author, Draft};
use super::request::Call;
use super::rooms::room_answer;
use super::store::Store;

/// POST /api/v1/channels.kick, /api/v1/groups.kick
pub(crate) async fn kick(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let room = match family {
            Family::Channels => lookup::find_channel(store, &params, true)?,
            Family::Groups => lookup::group_room(store, &params)?,
        };
        let target = lookup::user_from_params(store, &params)?;
        remove_user_from_room_method(store, &caller, &room, &target)?;
        answer(store, &app.rules, family, &room.id)
    })
}

/// POST /api/v1/channels.leave, /api/v1/groups.leave
pub(crate) async fn leave(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, true)?;
        let user = store
            .user(&caller.id)
            .cloned()
            .ok_or_else(|| ApiError::failure("Invalid user"))?;
        leave_room_method(store, &room, &user)?;
        answer(store, &app.rules, family, &room.id)
    })
}

/// channels.* re-read the channel (`findChannelByIdOrName`); groups.* answer `{}`.
fn answer(store: &Store, rules: &super::Rules, family: Family, room_id: &str) -> Reply {
    match (family, store.room(room_id)) {
        (Family::Channels, Some(room)) => room_answer(family, rules, room),
        (Family::Channels, None) => Err(family.not_found()),
        (Family::Groups, _) => success(json!({})),
    }
}

fn method_error(code: &str, reason: &str, method: &str) -> ApiError {
    ApiError::meteor(code, reason).with_details(json!({"method": method}))
}

/// Whether the user is the room's only owner (`hasRole(owner)` and one owner in the room).
fn is_last_owner(store: &Store, room: &Room, user_id: &str) -> bool {
    let owner = |user: &str| {
        store
            .subscription(&room.id, user)
            .is_some_and(|sub| sub.roles.iter().any(|role| role == "owner"))
    };
    owner(user_id)
        && store
            .subscriptions_of_room(&room.id)
            .filter(|sub| sub.roles.iter().any(|role| role == "owner"))
            .count()
            == 1
}

/// `removeUserFromRoomMethod`: `remove-user` in the room's scope; the room type must allow
/// removals (livechat allows only invite and join); without `kick-user-from-any-<t>-room`
/// the caller must see the room and the target must be subscribed; the last owner stays.
fn remove_user_from_room_method(
    store: &mut Store,
    caller: &Caller,
    room: &Room,
    target: &User,
) -> Result<(), ApiError> {
    let method = "removeUserFromRoom";
    let allowed = matches!(room.kind, RoomKind::Channel | RoomKind::Group);
    if !allowed || !store.has_permission(&caller.id, "remove-user", Some(&room.id)) {
        return Err(method_error("error-not-allowed", "Not allowed", method));
    }
    let kick_any = match room.kind {
        RoomKind::Channel => "kick-user-from-any-c-room",
        _ => "kick-user-from-any-p-room",
    };
    let can_kick_any = store.has_permission(&caller.id, kick_any, None);
    if !can_kick_any && !lookup::can_access(store, room, &caller.id) {
        return Err(lookup::group_not_found());
    }
    if !can_kick_any && store.subscription(&room.id, &target.id).is_none() {
        return Err(method_error(
            "error-user-not-in-room",
            "User is not in this room",
            method,
        ));
    }
    if is_last_owner(store, room, &target.id) {
        return Err(method_error(
            "error-you-are-last-owner",
            "You are the last owner. Please set new owner before leaving the room.",
            method,
        ));
    }
    let remover = store
        .author(&caller.id)
        .ok_or_else(|| method_error("error-invalid-user", "Invalid user", method))?;
    depart(store, room, &target.id);
    store.record_message(&room.id, Draft::system("ru", &target.username, remover));
    Ok(())
}

/// `leaveRoomMethod`: the room type must allow leaving, `leave-c` / `leave-p`, a subscription,
/// and not the last owner; then `removeUserFromRoom` (`ul`, or `ult` in a team's main room).
fn leave_room_method(store: &mut Store, room: &Room, user: &User) -> Result<(), ApiError> {
    let method = "leaveRoom";
    let permission = match room.kind {
        RoomKind::Channel => "leave-c",
        RoomKind::Group => "leave-p",
        RoomKind::Direct | RoomKind::Livechat => {
            return Err(method_error("error-not-allowed", "Not allowed", method));
        }
    };
    if !store.has_permission(&user.id, permission, None) {
        return Err(method_error("error-not-allowed", "Not allowed", method));
    }
    if store.subscription(&room.id, &user.id).is_none() {
        return Err(method_error(
            "error-user-not-in-room",
            "You are not in this room",
            method,
        ));
    }
    if is_last_owner(store, room, &user.id) {
        return Err(method_error(
            "error-you-are-last-owner",
            "You are the last owner. Please set new owner before leaving the room.",
            method,
        ));
    }
    let kind = if room.links.team_main { "ult" } else { "ul" };
    let author = Author {
        id: user.id.clone(),
        username: user.username.clone(),
        name: Some(user.name.clone()),
    };
    store.record_message(&room.id, Draft::system(kind, &user.username, author));
    depart(store, room, &user.id);
    Ok(())
}

/// The departure itself: subscription deleted (`usersCount` − 1 for a subscription that was a
/// membership), team membership of a main room removed, and the departure noted.
fn depart(store: &mut Store, room: &Room, user_id: &str) {
    let member = store.is_member(&room.id, user_id);
    if store.unsubscribe(&room.id, user_id) > 0 && member {
        store.adjust_users_count(&room.id, -1);
    }
    if let (true, Some(team_id)) = (room.links.team_main, &room.links.team_id) {
        store.remove_team_member(team_id, user_id);
    }
    store.note_departure(&room.id, user_id);
}
