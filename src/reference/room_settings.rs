//! Room state switches: `archive`, `unarchive` and `setReadOnly` of both route families (see
//! `family.rs` for what differs between `channels.*` and `groups.*`).
//!
//! Owns `archiveRoom` / `unarchiveRoom` (room-scoped `archive-room` / `unarchive-room`) and the
//! read-only branch of `saveRoomSettings` (`edit-room`, then `set-readonly`), each posting its
//! system message. It must not touch membership.

use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::family::{Family, ReadOnlyParam};
use super::gate::Caller;
use super::model::{Room, RoomKind};
use super::records::Draft;
use super::request::{Call, Params, truthy};
use super::rooms::room_answer;
use super::store::Store;
use super::{App, schema};

/// A settings change's system message by the caller (`msg` the caller's username: an
/// emulation choice, not established).
fn system_message(store: &mut Store, caller: &Caller, room: &Room, kind: &'static str) {
    if let Some(author) = store.author(&caller.id) {
        let draft = Draft::system(kind, &author.username.clone(), author);
        store.record_message(&room.id, draft);
    }
}

/// `archiveRoom`.
fn archive_room(store: &mut Store, caller: &Caller, room: &Room) -> Result<(), ApiError> {
    if !store.has_permission(&caller.id, "archive-room", Some(&room.id)) {
        return Err(ApiError::meteor("error-not-authorized", "Not authorized")
            .with_details(json!({"method": "archiveRoom"})));
    }
    if room.kind == RoomKind::Direct {
        return Err(ApiError::meteor(
            "error-direct-message-room",
            "Direct Messages can not be archived",
        )
        .with_details(json!({"method": "archiveRoom"})));
    }
    if let Some(stored) = store.room_mut(&room.id) {
        stored.archived = true;
    }
    system_message(store, caller, room, "room-archived");
    Ok(())
}

/// `unarchiveRoom`.
fn unarchive_room(store: &mut Store, caller: &Caller, room: &Room) -> Result<(), ApiError> {
    if !store.has_permission(&caller.id, "unarchive-room", Some(&room.id)) {
        return Err(ApiError::meteor("error-not-authorized", "Not authorized")
            .with_details(json!({"method": "unarchiveRoom"})));
    }
    if let Some(stored) = store.room_mut(&room.id) {
        stored.archived = false;
    }
    system_message(store, caller, room, "room-unarchived");
    Ok(())
}

/// The `readOnly` branch of `saveRoomSettings`.
fn save_read_only(
    store: &mut Store,
    caller: &Caller,
    room: &Room,
    read_only: bool,
) -> Result<(), ApiError> {
    let refused = |reason: &str| {
        ApiError::meteor("error-action-not-allowed", reason)
            .with_details(json!({"method": "saveRoomSettings", "action": "Editing_room"}))
    };
    if !store.has_permission(&caller.id, "edit-room", Some(&room.id)) {
        return Err(refused("Editing room is not allowed"));
    }
    if read_only != room.read_only
        && !store.has_permission(&caller.id, "set-readonly", Some(&room.id))
    {
        return Err(refused("Editing readOnly room is not allowed"));
    }
    if read_only != room.read_only {
        if let Some(stored) = store.room_mut(&room.id) {
            stored.read_only = read_only;
        }
        let kind = if read_only {
            "room-set-read-only"
        } else {
            "room-removed-read-only"
        };
        system_message(store, caller, room, kind);
    }
    Ok(())
}

/// POST /api/v1/channels.archive, /api/v1/groups.archive
pub(crate) async fn archive(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, true)?;
        archive_room(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/channels.unarchive, /api/v1/groups.unarchive
pub(crate) async fn unarchive(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let spec = family.spec();
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, false)?;
        if spec.unarchive_requires_archived && !room.archived {
            return Err(ApiError::failure(format!(
                "The {}, {}, is not archived",
                spec.noun,
                room.display_name()
            )));
        }
        unarchive_room(store, &caller, &room)?;
        success(json!({}))
    })
}

/// The requested `readOnly`, read the family's way.
fn requested_read_only(family: Family, app: &App, params: &mut Params) -> Result<bool, ApiError> {
    match family.spec().read_only_param {
        ReadOnlyParam::Validated => {
            schema::set_read_only_body(app.rules.envelope, params)?;
            Ok(params.get("readOnly") == Some(&Value::Bool(true)))
        }
        ReadOnlyParam::Truthy => match params.get("readOnly") {
            None => Err(ApiError::failure("The bodyParam \"readOnly\" is required")),
            requested => Ok(truthy(requested)),
        },
    }
}

/// POST /api/v1/channels.setReadOnly, /api/v1/groups.setReadOnly
pub(crate) async fn set_read_only(family: Family, call: Call) -> Reply {
    let (app, caller, mut params) = call.parts();
    let read_only = requested_read_only(family, &app, &mut params)?;
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, true)?;
        if room.read_only == read_only {
            return Err(ApiError::failure(format!(
                "The {} read only setting is the same as what it would be changed to.",
                family.spec().noun
            )));
        }
        save_read_only(store, &caller, &room, read_only)?;
        let room = store
            .room(&room.id)
            .cloned()
            .ok_or_else(|| family.not_found())?;
        room_answer(family, &app.rules, &room)
    })
}

/// POST /api/v1/channels.setTopic, /api/v1/groups.setTopic: `topic` must be present; the
/// channels route refuses an unchanged topic; `saveRoomSettings` `roomTopic` needs the
/// room-scoped `edit-room` and posts `room_changed_topic` (its `msg` the new topic). As in
/// `apps/meteor/app/api/server/v1/channels.ts` and `groups.ts` (`setTopic`).
pub(crate) async fn set_topic(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let Some(topic) = params.get("topic") else {
        return Err(ApiError::failure("The bodyParam \"topic\" is required"));
    };
    let topic = topic.as_str().unwrap_or_default().to_owned();
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, false)?;
        if family == Family::Channels && room.topic.as_deref() == Some(topic.as_str()) {
            return Err(ApiError::failure(
                "The channel topic is the same as what it would be changed to.",
            ));
        }
        if !store.has_permission(&caller.id, "edit-room", Some(&room.id)) {
            return Err(ApiError::meteor(
                "error-action-not-allowed",
                "Editing room is not allowed",
            )
            .with_details(json!({"method": "saveRoomSettings", "action": "Editing_room"})));
        }
        if let Some(stored) = store.room_mut(&room.id) {
            stored.topic = Some(topic.clone());
        }
        if let Some(author) = store.author(&caller.id) {
            store.record_message(
                &room.id,
                Draft::system("room_changed_topic", &topic, author),
            );
        }
        success(json!({"topic": topic}))
    })
}
