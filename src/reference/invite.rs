//! POST channels.invite and POST groups.invite: the decision procedures of the semantics
//! notes §1.1/§1.2 and the side effects of §2, step by step.
//!
//! Owns the order of checks (room → archive → invitees → empty list → permission → adds), the
//! three permission premises of `addUsersToRoom`, what adding a user writes, and the success
//! body. Every invite-related deviation is checked here, at its step. It must not parse HTTP
//! beyond the typed 9.0 body check, and must not know how other routes find rooms.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::envelope::{ApiError, Reply, success};
use super::family::Family;
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind};
use super::request::{Params, Payload, truthy};
use super::store::Store;
use super::{App, Deviation, Rules, incidental, invitees, schema};

/// POST /api/v1/channels.invite, /api/v1/groups.invite
pub(crate) async fn invite(
    family: Family,
    State(app): State<Arc<App>>,
    caller: Caller,
    payload: Payload,
) -> Reply {
    if let Some(refusal) = incidental::refusal(&app.rules, &payload) {
        return Err(refusal);
    }
    let (envelope, params) = (app.rules.envelope, payload.params);
    let params = match family {
        _ if !app.rules.closed_invite_bodies => params,
        Family::Channels => schema::channels_invite_body(envelope, params)?,
        Family::Groups => schema::groups_invite_body(envelope, params)?,
    };
    app.with_store(|store| match family {
        Family::Channels => invite_to_channel(store, &app.rules, &caller, &params),
        Family::Groups => invite_to_group(store, &app.rules, &caller, &params),
    })
}

/// §1.1 channels.invite.
fn invite_to_channel(store: &mut Store, rules: &Rules, caller: &Caller, params: &Params) -> Reply {
    // Step A — find the channel (roomId key wins; only `c`), then the archive check.
    let room = find_channel_to_invite(store, rules, params)?;
    if rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, &caller.id, &room)?;
    }
    // Step C — resolve invitees (unknown ones silently dropped).
    let invitees = invitees::resolve(store, rules, params)?;
    // Step D — nothing resolved: the route passes code and message the wrong way round.
    if invitees.is_empty() {
        if rules.breaks(Deviation::UnswappedEmptyList) {
            return Err(empty_invite_list());
        }
        return Err(ApiError::failure_typed(
            "invalid-user-invite-list",
            "Cannot invite if no users are provided",
        ));
    }
    // Steps E/F — addUsersToRoom.
    add_users_to_room(store, rules, &caller.id, &room, &invitees)?;
    // Step G — the room re-read after the adds.
    respond(store, rules, Family::Channels, &room.id)
}

/// §1.2 groups.invite.
fn invite_to_group(store: &mut Store, rules: &Rules, caller: &Caller, params: &Params) -> Reply {
    // Step A — idOrName = roomId || roomName, refused when blank.
    let id_or_name = group_id_or_name(params)?;
    // Step B — `_id` or `name` on either key; only `p`. No access check, no archive check.
    let room = store
        .room_by_id_or_name(&id_or_name)
        .filter(|room| room.kind == RoomKind::Group)
        .cloned()
        .ok_or_else(lookup::group_not_found)?;
    if rules.breaks(Deviation::GroupsArchivedRejected) && room.archived {
        return Err(lookup::group_archived(&room));
    }
    if rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, &caller.id, &room)?;
    }
    // Step C — resolve invitees.
    let invitees = invitees::resolve(store, rules, params)?;
    // Step D — nothing resolved (proper code and message here).
    if invitees.is_empty() {
        return Err(empty_invite_list());
    }
    // Steps E/F — addUsersToRoom.
    add_users_to_room(store, rules, &caller.id, &room, &invitees)?;
    // Step G — the room re-read after the adds.
    respond(store, rules, Family::Groups, &room.id)
}

/// channels.invite Step A with its deviations.
fn find_channel_to_invite(store: &Store, rules: &Rules, params: &Params) -> Result<Room, ApiError> {
    let names_no_room = !params.contains_key("roomId") && !params.contains_key("roomName");
    if names_no_room && rules.breaks(Deviation::RoomParamErrorOnChannels) {
        return Err(lookup::room_param_missing());
    }
    let accepts = |room: &&Room| match room.kind {
        RoomKind::Channel => true,
        RoomKind::Direct => rules.breaks(Deviation::DirectRoomAccepted),
        RoomKind::Group => false,
    };
    let room = lookup::room_by_id_key_first(store, params)
        .filter(accepts)
        .cloned()
        .ok_or_else(lookup::channel_not_found)?;
    if room.archived && !rules.breaks(Deviation::ArchivedChannelAccepted) {
        return Err(lookup::channel_archived(&room));
    }
    Ok(room)
}

/// groups.invite Step A: `idOrName?.trim()` must be a non-blank string.
fn group_id_or_name(params: &Params) -> Result<String, ApiError> {
    let key_or_empty = |key: &str| params.get(key).cloned().unwrap_or_else(|| json!(""));
    let room_id = key_or_empty("roomId");
    let id_or_name = if truthy(Some(&room_id)) {
        room_id
    } else {
        key_or_empty("roomName")
    };
    match id_or_name {
        Value::String(text) if !text.trim().is_empty() => Ok(text),
        Value::String(_) | Value::Null => Err(lookup::room_param_missing()),
        // A number, boolean, array or object has no `.trim`: a TypeError, no errorType.
        _ => Err(ApiError::type_error("idOrName?.trim is not a function")),
    }
}

/// `Cannot invite if no valid users are provided [error-empty-invite-list]`.
fn empty_invite_list() -> ApiError {
    ApiError::meteor(
        "error-empty-invite-list",
        "Cannot invite if no valid users are provided",
    )
}

/// `addUsersToRoomMethod`: permission, then each invitee (already-members are a no-op).
fn add_users_to_room(
    store: &mut Store,
    rules: &Rules,
    caller_id: &str,
    room: &Room,
    invitees: &[String],
) -> Result<(), ApiError> {
    // The method's own direct-room refusal (unreachable unless `direct-room-accepted`).
    if room.kind == RoomKind::Direct && !rules.breaks(Deviation::DirectRoomAccepted) {
        return Err(ApiError::meteor(
            "error-cant-invite-for-direct-room",
            "Can't invite user to direct rooms",
        )
        .with_details(json!({"method": "addUsersToRoom"})));
    }
    if !rules.breaks(Deviation::PermissionBeforeInvitees) {
        ensure_caller_may_add_users(store, rules, caller_id, room)?;
    }
    let invitees = if rules.breaks(Deviation::BulkFirstOnly) {
        &invitees[..invitees.len().min(1)]
    } else {
        invitees
    };
    for invitee in invitees {
        let already_member = store.is_member(&room.id, invitee);
        // An existing member only gets an ephemeral "already in here" notice: no change.
        if already_member && !rules.breaks(Deviation::DuplicateSubscription) {
            continue;
        }
        add_user_to_room(store, rules, &room.id, invitee);
    }
    Ok(())
}

/// `addUserToRoom` side effects (§2.2): subscription, `usersCount` + 1, an `au` system
/// message (`msgs` + 1, `lm` and `_updatedAt` move). No `active`, read-only or archive check.
fn add_user_to_room(store: &mut Store, rules: &Rules, room_id: &str, user_id: &str) {
    if !rules.breaks(Deviation::NoSubscription) {
        store.subscribe(room_id, user_id, Vec::new());
    }
    if !rules.breaks(Deviation::UsersCountNotUpdated) {
        store.adjust_users_count(room_id, 1);
    }
    store.record_system_message(room_id);
}

/// The permission step of `addUsersToRoom`, answered as `error-not-allowed`.
fn ensure_caller_may_add_users(
    store: &Store,
    rules: &Rules,
    caller_id: &str,
    room: &Room,
) -> Result<(), ApiError> {
    if caller_may_add_users(store, rules, caller_id, room) {
        return Ok(());
    }
    let code = if rules.breaks(Deviation::NotAllowedErrorType) {
        "error-action-not-allowed"
    } else {
        "error-not-allowed"
    };
    let refusal =
        ApiError::meteor(code, "Not allowed").with_details(json!({"method": "addUsersToRoom"}));
    if rules.breaks(Deviation::NotAllowedAs403) {
        return Err(refusal.with_status(StatusCode::FORBIDDEN));
    }
    Err(refusal)
}

/// The three premises; any one suffices:
/// (a) member AND `add-user-to-joined-room` in the room's scope (global + subscription roles);
/// (b) `t == c` AND global `add-user-to-any-c-room` (membership not required);
/// (c) `t == p` AND global `add-user-to-any-p-room` (membership not required).
fn caller_may_add_users(store: &Store, rules: &Rules, caller_id: &str, room: &Room) -> bool {
    let member = store.is_member(&room.id, caller_id);
    let joined_scope = if rules.breaks(Deviation::IgnoreRoomRoles) {
        None
    } else {
        Some(room.id.as_str())
    };
    let joined_room = (member || rules.breaks(Deviation::IgnoreMembershipForJoinedRoom))
        && store.has_permission(caller_id, "add-user-to-joined-room", joined_scope);
    let membership_for_any = member || !rules.breaks(Deviation::RequireMembershipForAnyGrant);
    let any_public = room.kind == RoomKind::Channel
        && !rules.breaks(Deviation::IgnoreAnyCGrant)
        && membership_for_any
        && store.has_permission(caller_id, "add-user-to-any-c-room", None);
    let any_private = room.kind == RoomKind::Group
        && !rules.breaks(Deviation::IgnoreAnyPGrant)
        && membership_for_any
        && store.has_permission(caller_id, "add-user-to-any-p-room", None);
    joined_room || any_public || any_private
}

/// `{channel|group: <room>, success: true}` with the room as it is now.
fn respond(store: &Store, rules: &Rules, family: Family, room_id: &str) -> Reply {
    let room = store.room(room_id).ok_or_else(|| family.not_found())?;
    let key = if rules.breaks(Deviation::WrongRoomKey) {
        "room"
    } else {
        family.spec().key
    };
    let mut body = Map::new();
    body.insert(
        key.to_owned(),
        room.to_json(rules.breaks(Deviation::MsgsAsString)),
    );
    success(Value::Object(body))
}
