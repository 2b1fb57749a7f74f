//! Room provisioning and inspection: channels/groups `create`, `delete`, `info`, `members`,
//! and `im.create` for direct-message fixtures.
//!
//! Owns `createRoom` (name validation, members, owner role), `eraseRoom`, the member listing
//! (active users only, paginated) and direct rooms. It must not grant room roles or change
//! room settings (see `room_roles.rs` and `room_settings.rs`).

use std::sync::Arc;

use axum::extract::State;
use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind, UserRef};
use super::request::{Body, Params, Query, text, truthy};
use super::store::Store;
use super::{App, Deviation, Rules, ids};

/// `API_Default_Count` and `API_Upper_Count_Limit`.
const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 100;

fn room_json(rules: &Rules, room: &Room) -> Value {
    room.to_json(rules.breaks(Deviation::MsgsAsString))
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

/// POST /api/v1/channels.create
pub(crate) async fn channels_create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        // createChannelValidator: permission first, then the parameters.
        if !store.has_permission(&caller.id, "create-c", None) {
            return Err(ApiError::forbidden(app.rules.envelope));
        }
        if !truthy(params.get("name")) {
            return Err(ApiError::failure("Param \"name\" is required"));
        }
        if truthy(params.get("members")) && !params.get("members").is_some_and(Value::is_array) {
            return Err(ApiError::failure(
                "Param \"members\" must be an array if provided",
            ));
        }
        let room = create_room(store, &caller, RoomKind::Channel, &params)?;
        success(json!({"channel": room_json(&app.rules, &room)}))
    })
}

/// POST /api/v1/groups.create
pub(crate) async fn groups_create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        if !truthy(params.get("name")) {
            return Err(ApiError::failure("Body param \"name\" is required"));
        }
        if truthy(params.get("members")) && !params.get("members").is_some_and(Value::is_array) {
            return Err(ApiError::failure(
                "Body param \"members\" must be an array if provided",
            ));
        }
        // createPrivateGroupMethod refuses with a Meteor error the route does not translate.
        if !store.has_permission(&caller.id, "create-p", None) {
            return Err(ApiError::meteor("error-not-allowed", "Not allowed")
                .with_details(json!({"method": "createPrivateGroup"})));
        }
        let room = create_room(store, &caller, RoomKind::Group, &params)?;
        success(json!({"group": room_json(&app.rules, &room)}))
    })
}

/// `createRoom` for `c` and `p`: validates, inserts, subscribes members (creator as owner).
/// Members added at creation get no system message.
fn create_room(
    store: &mut Store,
    caller: &Caller,
    kind: RoomKind,
    params: &Params,
) -> Result<Room, ApiError> {
    let name = match params.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(ApiError::type_error(&format!(
                "Match error: Expected string, got {}",
                js_type(other)
            )));
        }
        None => String::new(),
    };
    let mut members = Vec::new();
    if let Some(Value::Array(items)) = params.get("members") {
        for (index, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(username) => members.push(username.to_owned()),
                None => {
                    return Err(ApiError::type_error(&format!(
                        "Match error: Expected string, got {} in field [{index}]",
                        js_type(item)
                    )));
                }
            }
        }
    }
    let trimmed = name.trim().to_owned();
    if trimmed.is_empty() {
        return Err(ApiError::meteor("error-invalid-name", "Invalid name")
            .with_details(json!({"function": "RocketChat.createRoom"})));
    }
    let valid = trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ApiError::meteor(
            "error-invalid-room-name",
            &format!("{trimmed} is not a valid room name."),
        )
        .with_details(
            json!({"function": "RocketChat.getValidRoomName", "channel_name": trimmed}),
        ));
    }
    if store.room_by_name(&trimmed).is_some() {
        return Err(ApiError::meteor(
            "error-duplicate-channel-name",
            &format!("A channel with name '{trimmed}' exists"),
        )
        .with_details(
            json!({"function": "RocketChat.getValidRoomName", "channel_name": trimmed}),
        ));
    }
    let owner = store
        .user(&caller.id)
        .cloned()
        .ok_or_else(|| ApiError::meteor("error-invalid-user", "Invalid user"))?;
    if !truthy(params.get("excludeSelf")) && !members.contains(&owner.username) {
        members.push(owner.username.clone());
    }
    let now = store.now();
    let room = Room {
        id: ids::document_id(),
        kind,
        name: Some(trimmed),
        fname: Some(name),
        creator: Some(UserRef {
            id: owner.id.clone(),
            username: owner.username.clone(),
            name: owner.name.clone(),
        }),
        created_at: now,
        updated_at: now,
        msgs: 0,
        users_count: 0,
        default: false,
        read_only: params.get("readOnly") == Some(&Value::Bool(true)),
        archived: false,
        last_message_at: None,
        participants: Vec::new(),
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
    };
    if !store.has_permission(&caller.id, permission, Some(&room.id)) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "eraseRoom"})));
    }
    store.remove_room(&room.id);
    Ok(())
}

/// POST /api/v1/channels.delete
pub(crate) async fn channels_delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, false)?;
        erase_room(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/groups.delete
pub(crate) async fn groups_delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, false)?;
        erase_room(store, &caller, &room)?;
        success(json!({}))
    })
}

/// GET /api/v1/channels.info
pub(crate) async fn channels_info(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(params): Query,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, false)?;
        if !lookup::can_access(store, &room, &caller.id) {
            return Err(ApiError::forbidden(app.rules.envelope));
        }
        success(json!({"channel": room_json(&app.rules, &room)}))
    })
}

/// GET /api/v1/groups.info
pub(crate) async fn groups_info(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(params): Query,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, false)?;
        success(json!({"group": room_json(&app.rules, &room)}))
    })
}

/// GET /api/v1/channels.members
pub(crate) async fn channels_members(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(params): Query,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, false)?;
        if !lookup::can_access(store, &room, &caller.id) {
            return Err(ApiError::forbidden(app.rules.envelope));
        }
        list_members(store, &room, &params)
    })
}

/// GET /api/v1/groups.members (the archive check applies here, as on the real route).
pub(crate) async fn groups_members(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(params): Query,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, true)?;
        list_members(store, &room, &params)
    })
}

fn pagination(params: &Params) -> (usize, usize) {
    let number = |key: &str| {
        text(params, key)
            .and_then(|value| value.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let offset = usize::try_from(number("offset")).unwrap_or(0);
    let count = match usize::try_from(number("count")).unwrap_or(0) {
        0 => DEFAULT_COUNT,
        count => count.min(MAX_COUNT),
    };
    (offset, count)
}

/// `findUsersOfRoom`: one entry per subscription of an active user, sorted by username.
fn list_members(store: &Store, room: &Room, params: &Params) -> Reply {
    let (offset, count) = pagination(params);
    let mut members: Vec<_> = store
        .subscriptions_of_room(&room.id)
        .filter_map(|sub| store.user(&sub.user_id))
        .filter(|user| user.active)
        .collect();
    members.sort_by(|a, b| a.username.cmp(&b.username));
    let total = members.len();
    let page: Vec<Value> = members
        .iter()
        .skip(offset)
        .take(count)
        .map(|user| user.member_json())
        .collect();
    success(json!({"members": page, "count": page.len(), "offset": offset, "total": total}))
}

/// POST /api/v1/im.create
pub(crate) async fn im_create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let usernames: Vec<String> = match (text(&params, "username"), text(&params, "usernames")) {
            (Some(username), _) if !username.is_empty() => vec![username.to_owned()],
            (_, Some(list)) => list.split(',').map(|name| name.trim().to_owned()).collect(),
            _ => {
                return Err(ApiError::meteor(
                    "error-room-not-found",
                    "The required \"username\" or \"usernames\" param provided does not match any direct message",
                ));
            }
        };
        let room = create_direct_room(store, &caller, &usernames)?;
        let mut doc = room_json(&app.rules, &room);
        if let Value::Object(map) = &mut doc {
            map.insert("rid".into(), json!(room.id));
        }
        success(json!({"room": doc}))
    })
}

/// `createDirectMessage`: the caller and the named users; an existing room is reused.
fn create_direct_room(
    store: &mut Store,
    caller: &Caller,
    usernames: &[String],
) -> Result<Room, ApiError> {
    let invalid_user = || {
        ApiError::meteor("error-invalid-user", "Invalid user")
            .with_details(json!({"method": "createDirectMessage"}))
    };
    let me = store.user(&caller.id).cloned().ok_or_else(invalid_user)?;
    let mut members = vec![(me.id.clone(), me.username.clone())];
    for username in usernames.iter().filter(|name| **name != me.username) {
        let user = store.user_by_username(username).ok_or_else(invalid_user)?;
        if !members.iter().any(|(id, _)| *id == user.id) {
            members.push((user.id.clone(), user.username.clone()));
        }
    }
    let mut uids: Vec<String> = members.iter().map(|(id, _)| id.clone()).collect();
    uids.sort();
    let rid = uids.concat();
    if let Some(existing) = store.room(&rid) {
        return Ok(existing.clone());
    }
    if !store.has_permission(&me.id, "create-d", None) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "createDirectMessage"})));
    }
    members.sort_by(|a, b| a.1.cmp(&b.1));
    let now = store.now();
    store.insert_room(Room {
        id: rid.clone(),
        kind: RoomKind::Direct,
        name: None,
        fname: None,
        creator: None,
        created_at: now,
        updated_at: now,
        msgs: 0,
        users_count: 0,
        default: false,
        read_only: false,
        archived: false,
        last_message_at: None,
        participants: members.clone(),
    });
    for (user_id, _) in &members {
        store.join(&rid, user_id, Vec::new());
    }
    store.room(&rid).cloned().ok_or_else(invalid_user)
}
