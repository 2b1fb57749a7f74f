//! Direct-message rooms for fixtures: `im.create`.
//!
//! Owns `createDirectMessage`: the caller plus the named users, an existing room with the same
//! participants reused, `create-d` needed for a new one. It must not touch other room types.

use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::Caller;
use super::model::{Room, RoomKind};
use super::request::{Call, text};
use super::rooms::room_json;
use super::store::Store;

/// POST /api/v1/im.create
pub(crate) async fn im_create(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
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
        participants: members.clone(),
        ..Room::new(rid.clone(), RoomKind::Direct, now)
    });
    for (user_id, _) in &members {
        store.join(&rid, user_id, Vec::new());
    }
    store.room(&rid).cloned().ok_or_else(invalid_user)
}
