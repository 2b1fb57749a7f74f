//! How route parameters name rooms and users, with the exact errors the real helpers throw.
//!
//! Owns `findChannelByIdOrName`, `getRoomFromParams` / `findPrivateGroupByIdOrName`,
//! `canAccessRoom` and `getUserFromParams`. It must not change state, and it knows no
//! deviations: routes that bend a lookup compose the raw pieces themselves.

use super::envelope::ApiError;
use super::model::{Room, RoomKind, User};
use super::request::{Params, nonblank, truthy};
use super::store::Store;

const CHANNEL_NOT_FOUND: &str =
    "The required \"roomId\" or \"roomName\" param provided does not match any channel";
const GROUP_NOT_FOUND: &str =
    "The required \"roomId\" or \"roomName\" param provided does not match any group";
const ROOM_PARAM_MISSING: &str = "The parameter \"roomId\" or \"roomName\" is required";

/// `error-room-not-found` as channel routes word it.
pub(crate) fn channel_not_found() -> ApiError {
    ApiError::meteor("error-room-not-found", CHANNEL_NOT_FOUND)
}

/// `error-room-not-found` as group routes word it.
pub(crate) fn group_not_found() -> ApiError {
    ApiError::meteor("error-room-not-found", GROUP_NOT_FOUND)
}

/// `error-room-param-not-provided`.
pub(crate) fn room_param_missing() -> ApiError {
    ApiError::meteor("error-room-param-not-provided", ROOM_PARAM_MISSING)
}

/// `error-room-archived` for a channel.
pub(crate) fn channel_archived(room: &Room) -> ApiError {
    ApiError::meteor(
        "error-room-archived",
        &format!("The channel, {}, is archived", room.display_name()),
    )
}

/// `error-room-archived` for a private group.
pub(crate) fn group_archived(room: &Room) -> ApiError {
    ApiError::meteor(
        "error-room-archived",
        &format!("The private group, {}, is archived", room.display_name()),
    )
}

/// The raw lookup both room helpers share: if the key `roomId` is present (whatever its
/// value) the room is looked up by `_id` and `roomName` is ignored; otherwise by exact `name`.
/// Falsy or non-string values match nothing.
pub(crate) fn room_by_id_key_first<'a>(store: &'a Store, params: &Params) -> Option<&'a Room> {
    let wanted = |key: &str| {
        params
            .get(key)
            .and_then(|value| value.as_str())
            .filter(|text| !text.is_empty())
    };
    if params.contains_key("roomId") {
        wanted("roomId").and_then(|id| store.room(id))
    } else if params.contains_key("roomName") {
        wanted("roomName").and_then(|name| store.room_by_name(name))
    } else {
        None
    }
}

/// `findChannelByIdOrName`: a public channel or a livechat room (`t` is `c` or `l`), refused
/// when archived unless told otherwise.
pub(crate) fn find_channel(
    store: &Store,
    params: &Params,
    check_archived: bool,
) -> Result<Room, ApiError> {
    let room = room_by_id_key_first(store, params)
        .filter(|room| matches!(room.kind, RoomKind::Channel | RoomKind::Livechat))
        .ok_or_else(channel_not_found)?;
    if check_archived && room.archived {
        return Err(channel_archived(room));
    }
    Ok(room.clone())
}

/// `getRoomFromParams` of groups.ts: a private group, no access check.
pub(crate) fn group_room(store: &Store, params: &Params) -> Result<Room, ApiError> {
    let has_id = params.contains_key("roomId");
    let has_name = params.contains_key("roomName");
    if (!has_id && !has_name)
        || (has_id && !truthy(params.get("roomId")) && has_name && !truthy(params.get("roomName")))
    {
        return Err(room_param_missing());
    }
    room_by_id_key_first(store, params)
        .filter(|room| room.kind == RoomKind::Group)
        .cloned()
        .ok_or_else(group_not_found)
}

/// `findPrivateGroupByIdOrName`: a private group the caller can access (else not found).
pub(crate) fn find_group(
    store: &Store,
    params: &Params,
    caller_id: &str,
    check_archived: bool,
) -> Result<Room, ApiError> {
    let room = group_room(store, params)?;
    if !can_access(store, &room, caller_id) {
        return Err(group_not_found());
    }
    if check_archived && room.archived {
        return Err(group_archived(&room));
    }
    Ok(room)
}

/// `canAccessRoom`: never for a user banned from the room (the ban validators of the 2026 ban
/// feature; a banned subscription is no membership); public channels for holders of
/// `view-c-room`; otherwise members holding `view-joined-room` or `view-<t>-room`.
pub(crate) fn can_access(store: &Store, room: &Room, user_id: &str) -> bool {
    if store
        .subscription(&room.id, user_id)
        .is_some_and(|sub| sub.banned)
    {
        return false;
    }
    if room.kind == RoomKind::Channel && store.has_permission(user_id, "view-c-room", None) {
        return true;
    }
    store.is_member(&room.id, user_id)
        && (store.has_permission(user_id, "view-joined-room", None)
            || store.has_permission(user_id, &format!("view-{}-room", room.kind.code()), None))
}

/// `getUserFromParams`: the first non-blank of `userId` (by id), `username`, `user` (by
/// username, case-insensitive).
pub(crate) fn user_from_params(store: &Store, params: &Params) -> Result<User, ApiError> {
    let found = if let Some(id) = nonblank(params, "userId") {
        store.user(id)
    } else if let Some(username) = nonblank(params, "username").or_else(|| nonblank(params, "user"))
    {
        store.user_by_username(username)
    } else {
        return Err(ApiError::meteor(
            "error-user-param-not-provided",
            "The required \"userId\" or \"username\" param was not provided",
        ));
    };
    found.cloned().ok_or_else(|| {
        ApiError::meteor(
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
        )
    })
}
