//! Room provisioning and inspection: `create`, `delete`, `info` and `members` of both route
//! families (see `family.rs` for what differs between `channels.*` and `groups.*`).
//!
//! Owns `createRoom` (name validation, members, owner role), `eraseRoom` and the member listing
//! (active users only, paginated). It must not grant room roles or change room settings (see
//! `room_roles.rs` and `room_settings.rs`); direct rooms are in `direct.rs`.

use serde_json::{Map, Value, json};

use super::envelope::{ApiError, Reply, success};
use super::family::Family;
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind, UserRef};
use super::paging::Page;
use super::request::{Call, Params, text, truthy};
use super::store::Store;
use super::{App, Deviation, Rules, ids};

/// The room as routes return it (the one place `msgs-as-string` is consulted for rooms).
pub(crate) fn room_json(rules: &Rules, room: &Room) -> Value {
    room.to_json(rules.breaks(Deviation::MsgsAsString))
}

/// `{<family key>: <room>, success: true}`.
pub(crate) fn room_answer(family: Family, rules: &Rules, room: &Room) -> Reply {
    let mut body = Map::new();
    body.insert(family.spec().key.to_owned(), room_json(rules, room));
    success(Value::Object(body))
}

/// JavaScript `typeof`-ish name used in `check()` messages.
fn js_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "object",
    }
}

/// POST /api/v1/channels.create, /api/v1/groups.create
pub(crate) async fn create(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let spec = family.spec();
    app.with_store(|store| {
        let permitted = store.has_permission(&caller.id, spec.create_permission, None);
        if !permitted && spec.create_permission_first {
            return Err(family.create_refused(app.rules.envelope));
        }
        let label = spec.create_param_label;
        if !truthy(params.get("name")) {
            return Err(ApiError::failure(format!("{label} \"name\" is required")));
        }
        if truthy(params.get("members")) && !params.get("members").is_some_and(Value::is_array) {
            return Err(ApiError::failure(format!(
                "{label} \"members\" must be an array if provided"
            )));
        }
        if !permitted {
            return Err(family.create_refused(app.rules.envelope));
        }
        let room = create_room(store, &caller, spec.kind, &params)?;
        room_answer(family, &app.rules, &room)
    })
}

/// The `name` parameter as `check(name, String)` sees it (absent reads as "").
fn name_param(params: &Params) -> Result<String, ApiError> {
    match params.get("name") {
        Some(Value::String(name)) => Ok(name.clone()),
        Some(other) => Err(ApiError::type_error(&format!(
            "Match error: Expected string, got {}",
            js_type(other)
        ))),
        None => Ok(String::new()),
    }
}

/// The `members` parameter as `check(members, Match.Optional([String]))` sees it.
fn members_param(params: &Params) -> Result<Vec<String>, ApiError> {
    let Some(Value::Array(items)) = params.get("members") else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.as_str().map(str::to_owned).ok_or_else(|| {
                ApiError::type_error(&format!(
                    "Match error: Expected string, got {} in field [{index}]",
                    js_type(item)
                ))
            })
        })
        .collect()
}

/// `getValidRoomName`: a non-blank name of letters, digits, `-`, `_` and `.`, not yet taken.
pub(crate) fn valid_room_name(store: &Store, name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim().to_owned();
    if trimmed.is_empty() {
        return Err(ApiError::meteor("error-invalid-name", "Invalid name")
            .with_details(json!({"function": "RocketChat.createRoom"})));
    }
    let details = json!({"function": "RocketChat.getValidRoomName", "channel_name": trimmed});
    let valid = trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ApiError::meteor(
            "error-invalid-room-name",
            &format!("{trimmed} is not a valid room name."),
        )
        .with_details(details));
    }
    if store.room_by_name(&trimmed).is_some() {
        return Err(ApiError::meteor(
            "error-duplicate-channel-name",
            &format!("A channel with name '{trimmed}' exists"),
        )
        .with_details(details));
    }
    Ok(trimmed)
}

/// `createRoom` for `c` and `p`: validates, inserts, subscribes members (creator as owner).
/// Members added at creation get no system message.
fn create_room(
    store: &mut Store,
    caller: &Caller,
    kind: RoomKind,
    params: &Params,
) -> Result<Room, ApiError> {
    let name = name_param(params)?;
    let mut members = members_param(params)?;
    let trimmed = valid_room_name(store, &name)?;
    let owner = store
        .user(&caller.id)
        .cloned()
        .ok_or_else(|| ApiError::meteor("error-invalid-user", "Invalid user"))?;
    if !truthy(params.get("excludeSelf")) && !members.contains(&owner.username) {
        members.push(owner.username.clone());
    }
    let room = Room {
        name: Some(trimmed),
        fname: Some(name),
        creator: Some(UserRef {
            id: owner.id.clone(),
            username: owner.username.clone(),
            name: owner.name.clone(),
        }),
        read_only: params.get("readOnly") == Some(&Value::Bool(true)),
        ..Room::new(ids::document_id(), kind, store.now())
    };
    store.insert_room(room.clone());
    // `Users.findUsersByUsernames`: exact usernames, unknown ones skipped.
    let joining: Vec<String> = store
        .users()
        .filter(|user| members.contains(&user.username))
        .map(|user| user.id.clone())
        .collect();
    for user_id in &joining {
        let roles = if *user_id == owner.id {
            vec!["owner".to_owned()]
        } else {
            Vec::new()
        };
        store.join(&room.id, user_id, roles);
    }
    store
        .room(&room.id)
        .cloned()
        .ok_or_else(lookup::channel_not_found)
}

/// `eraseRoom`: `delete-c` / `delete-p` in the room's scope, then everything goes.
fn erase_room(store: &mut Store, caller: &Caller, room: &Room) -> Result<(), ApiError> {
    let permission = match room.kind {
        RoomKind::Group => "delete-p",
        RoomKind::Channel | RoomKind::Direct => "delete-c",
        RoomKind::Livechat => "remove-closed-livechat-room",
    };
    // The livechat directive's `canBeDeleted`: only a closed conversation (an emulation
    // choice, not established).
    let open_chat = room.links.livechat.as_ref().is_some_and(|chat| chat.open);
    if open_chat || !store.has_permission(&caller.id, permission, Some(&room.id)) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "eraseRoom"})));
    }
    store.remove_room(&room.id);
    Ok(())
}

/// POST /api/v1/channels.delete, /api/v1/groups.delete
pub(crate) async fn delete(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, false)?;
        erase_room(store, &caller, &room)?;
        success(json!({}))
    })
}

/// The room of `info` / `members` as the caller may see it. `canAccessRoom` only ever refuses
/// here for channels: the group lookup already answered "not found" for a group the caller
/// cannot access.
pub(crate) fn visible_room(
    family: Family,
    app: &App,
    store: &Store,
    caller: &Caller,
    params: &Params,
    refuse_archived: bool,
) -> Result<Room, ApiError> {
    let room = family.find_room(store, params, &caller.id, refuse_archived)?;
    if !lookup::can_access(store, &room, &caller.id) {
        return Err(ApiError::forbidden(app.rules.envelope));
    }
    Ok(room)
}

/// GET /api/v1/channels.info, /api/v1/groups.info
pub(crate) async fn info(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let room = visible_room(family, &app, store, &caller, &params, false)?;
        room_answer(family, &app.rules, &room)
    })
}

/// GET /api/v1/channels.members, /api/v1/groups.members
pub(crate) async fn members(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let refuse_archived = family.spec().members_refuses_archived;
    app.with_store(|store| {
        let room = visible_room(family, &app, store, &caller, &params, refuse_archived)?;
        list_members(store, &room, &params)
    })
}

/// `findUsersOfRoom`: one entry per subscription of an active user, sorted by username.
fn list_members(store: &Store, room: &Room, params: &Params) -> Reply {
    let page = Page::read(|key| text(params, key));
    let mut members: Vec<_> = store
        .subscriptions_of_room(&room.id)
        .filter_map(|sub| store.user(&sub.user_id))
        .filter(|user| user.active)
        .collect();
    members.sort_by(|a, b| a.username.cmp(&b.username));
    page.answer(
        "members",
        members.iter().map(|user| user.member_json()).collect(),
    )
}
