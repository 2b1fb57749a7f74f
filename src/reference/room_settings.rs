//! Room state switches: `archive`, `unarchive` and `setReadOnly` for channels and groups.
//!
//! Owns `archiveRoom` / `unarchiveRoom` (room-scoped `archive-room` / `unarchive-room`) and the
//! read-only branch of `saveRoomSettings` (`edit-room`, then `set-readonly`), each posting its
//! system message. It must not touch membership.

use std::sync::Arc;

use axum::extract::State;
use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::Caller;
use super::lookup;
use super::model::{Room, RoomKind};
use super::request::{Body, truthy};
use super::store::Store;
use super::{App, Deviation, schema};

/// `archiveRoom`.
fn archive(store: &mut Store, caller: &Caller, room: &Room) -> Result<(), ApiError> {
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
    store.record_system_message(&room.id);
    Ok(())
}

/// `unarchiveRoom`.
fn unarchive(store: &mut Store, caller: &Caller, room: &Room) -> Result<(), ApiError> {
    if !store.has_permission(&caller.id, "unarchive-room", Some(&room.id)) {
        return Err(ApiError::meteor("error-not-authorized", "Not authorized")
            .with_details(json!({"method": "unarchiveRoom"})));
    }
    if let Some(stored) = store.room_mut(&room.id) {
        stored.archived = false;
    }
    store.record_system_message(&room.id);
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
        store.record_system_message(&room.id);
    }
    Ok(())
}

/// POST /api/v1/channels.archive
pub(crate) async fn channels_archive(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, true)?;
        archive(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/groups.archive
pub(crate) async fn groups_archive(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, true)?;
        archive(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/channels.unarchive
pub(crate) async fn channels_unarchive(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, false)?;
        if !room.archived {
            return Err(ApiError::failure(format!(
                "The channel, {}, is not archived",
                room.display_name()
            )));
        }
        unarchive(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/groups.unarchive
pub(crate) async fn groups_unarchive(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, false)?;
        unarchive(store, &caller, &room)?;
        success(json!({}))
    })
}

/// POST /api/v1/channels.setReadOnly
pub(crate) async fn channels_set_read_only(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(mut params): Body,
) -> Reply {
    schema::set_read_only_body(app.rules.envelope, &mut params)?;
    let read_only = params.get("readOnly") == Some(&Value::Bool(true));
    app.with_store(|store| {
        let room = lookup::find_channel(store, &params, true)?;
        if room.read_only == read_only {
            return Err(ApiError::failure(
                "The channel read only setting is the same as what it would be changed to.",
            ));
        }
        save_read_only(store, &caller, &room, read_only)?;
        let room = lookup::find_channel(store, &params, true)?;
        success(json!({"channel": room.to_json(app.rules.breaks(Deviation::MsgsAsString))}))
    })
}

/// POST /api/v1/groups.setReadOnly
pub(crate) async fn groups_set_read_only(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(params): Body,
) -> Reply {
    let Some(requested) = params.get("readOnly") else {
        return Err(ApiError::failure("The bodyParam \"readOnly\" is required"));
    };
    let read_only = truthy(Some(requested));
    app.with_store(|store| {
        let room = lookup::find_group(store, &params, &caller.id, true)?;
        if room.read_only == read_only {
            return Err(ApiError::failure(
                "The private group read only setting is the same as what it would be changed to.",
            ));
        }
        save_read_only(store, &caller, &room, read_only)?;
        let room = store
            .room(&room.id)
            .cloned()
            .ok_or_else(lookup::group_not_found)?;
        success(json!({"group": room.to_json(app.rules.breaks(Deviation::MsgsAsString))}))
    })
}
