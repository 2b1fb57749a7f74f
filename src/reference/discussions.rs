//! Discussions: `POST rooms.createDiscussion` `{prid, t_name, users?, reply?}`.
//!
//! Owns `createDiscussion` as far as the invite rules need it: the parent must exist and the
//! caller hold `start-discussion` or `start-discussion-other-user` in its scope and see it; the
//! discussion is a room of the parent's type (`c` or `p`; a group for a direct parent) whose
//! `name` is a random id and `fname` the `t_name`, with `prid` the parent, the caller its
//! owner and the named users (usernames) joined without messages; the parent records
//! `discussion-created` (`msg` the `t_name`, `drid` the discussion); a `reply` becomes the
//! discussion's first message. The discussion's `createRoom(type, Random.id(), user, members,
//! …, {fname: name, prid})` and the parent's `saveSystemMessage('discussion-created', prid,
//! name, user, {drid})` are established (the VideoConference service, `apps/meteor/server/services/video-conference/service.ts` in RocketChat/Rocket.Chat); the route's
//! parameter checks and error texts are recalled from `rooms.ts`, not re-read. A discussion is
//! deleted like its type's rooms (channels.delete / groups.delete). It must not invite.

use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind, UserRef};
use super::records::Draft;
use super::request::{Call, Params, text, truthy};
use super::rooms::room_json;
use super::store::Store;
use super::{App, ids};

/// The route's own parameter checks.
fn check_params(params: &Params) -> Result<(String, String), ApiError> {
    let Some(prid) = text(params, "prid").filter(|prid| !prid.is_empty()) else {
        return Err(ApiError::failure("Body parameter \"prid\" is required."));
    };
    let Some(name) = text(params, "t_name").filter(|name| !name.is_empty()) else {
        return Err(ApiError::failure("Body parameter \"t_name\" is required."));
    };
    if truthy(params.get("users")) && !params.get("users").is_some_and(Value::is_array) {
        return Err(ApiError::failure(
            "Body parameter \"users\" must be an array.",
        ));
    }
    Ok((prid.to_owned(), name.to_owned()))
}

/// POST /api/v1/rooms.createDiscussion
pub(crate) async fn create(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let (prid, name) = check_params(&params)?;
    app.with_store(|store| {
        let parent = permitted_parent(store, &caller, &prid)?;
        let discussion = create_discussion(store, &caller, &parent, &name, &params)?;
        answer(&app, &discussion)
    })
}

fn method_error(code: &str, reason: &str) -> ApiError {
    ApiError::meteor(code, reason).with_details(json!({"method": "DiscussionCreation"}))
}

/// The parent room, if the caller may start a discussion in it.
fn permitted_parent(store: &Store, caller: &Caller, prid: &str) -> Result<Room, ApiError> {
    let parent = store
        .room(prid)
        .cloned()
        .ok_or_else(|| method_error("error-invalid-room", "Invalid room"))?;
    let may_start = ["start-discussion", "start-discussion-other-user"]
        .iter()
        .any(|permission| store.has_permission(&caller.id, permission, Some(prid)));
    if !may_start || !lookup::can_access(store, &parent, &caller.id) {
        return Err(method_error(
            "error-action-not-allowed",
            "You are not allowed to create a discussion",
        ));
    }
    Ok(parent)
}

/// The discussion room, its members, the parent's `discussion-created` and the reply.
fn create_discussion(
    store: &mut Store,
    caller: &Caller,
    parent: &Room,
    name: &str,
    params: &Params,
) -> Result<Room, ApiError> {
    let creator = store
        .author(&caller.id)
        .ok_or_else(|| method_error("error-invalid-user", "Invalid user"))?;
    let kind = match parent.kind {
        RoomKind::Channel => RoomKind::Channel,
        RoomKind::Group | RoomKind::Direct | RoomKind::Livechat => RoomKind::Group,
    };
    let mut room = Room::new(ids::document_id(), kind, store.now());
    room.name = Some(ids::document_id());
    room.fname = Some(name.to_owned());
    room.creator = Some(UserRef {
        id: creator.id.clone(),
        username: creator.username.clone(),
        name: creator.name.clone().unwrap_or_default(),
    });
    room.links.prid = Some(parent.id.clone());
    let room_id = room.id.clone();
    store.insert_room(room);
    store.join(&room_id, &creator.id, vec!["owner".to_owned()]);
    for member in invited(store, params) {
        if member != creator.id && !store.is_member(&room_id, &member) {
            store.join(&room_id, &member, Vec::new());
        }
    }
    let pointer =
        Draft::system("discussion-created", name, creator.clone()).with("drid", json!(room_id));
    store.record_message(&parent.id, pointer);
    if let Some(reply) = text(params, "reply").filter(|reply| !reply.is_empty()) {
        let first = Draft {
            kind: None,
            msg: reply.to_owned(),
            author: creator,
            extra: serde_json::Map::new(),
        };
        store.record_message(&room_id, first);
    }
    store
        .room(&room_id)
        .cloned()
        .ok_or_else(|| method_error("error-invalid-room", "Invalid room"))
}

/// The users `users` names (usernames, case-insensitive; unknown ones skipped).
fn invited(store: &Store, params: &Params) -> Vec<String> {
    let Some(Value::Array(names)) = params.get("users") else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|name| store.user_by_username(name))
        .map(|user| user.id.clone())
        .collect()
}

/// `{discussion: <room with rid>, success: true}`.
fn answer(app: &App, discussion: &Room) -> Reply {
    let mut doc = room_json(&app.rules, discussion);
    if let Value::Object(map) = &mut doc {
        map.insert("rid".into(), json!(discussion.id));
    }
    success(json!({"discussion": doc}))
}
