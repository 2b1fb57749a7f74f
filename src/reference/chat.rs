//! `POST chat.delete`: a message removed as `deleteMessageValidatingPermission` removes it.
//!
//! Owns the route's checks in their order (`apps/meteor/app/api/server/v1/chat.ts`: the
//! message must exist and be in `roomId`; then `canDeleteMessage`: the room-scoped
//! `force-delete-message`, else `delete-message` or, for one's own message,
//! `delete-own-message`) and the removal with the default settings (`Message_KeepHistory` and
//! `Message_ShowDeletedStatus` off: the message goes, the room's `msgs` drops by one;
//! `apps/meteor/app/lib/server/functions/deleteMessage.ts`). Block-time limits are not emulated.

use serde_json::json;

use super::envelope::{ApiError, Reply, success};
use super::request::{Call, text};

/// POST /api/v1/chat.delete
pub(crate) async fn delete(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let mut missing = Vec::new();
    for key in ["msgId", "roomId"] {
        if text(&params, key).is_none() {
            missing.push(format!("must have required property '{key}'"));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::invalid_params(app.rules.envelope, &missing));
    }
    let msg_id = text(&params, "msgId").unwrap_or_default().to_owned();
    let room_id = text(&params, "roomId").unwrap_or_default().to_owned();
    app.with_store(|store| {
        let Some(message) = store.message(&msg_id).cloned() else {
            return Err(ApiError::failure(format!(
                "No message found with the id of \"{msg_id}\"."
            )));
        };
        if message.room_id != room_id {
            return Err(ApiError::failure(
                "The room id provided does not match where the message is from.",
            ));
        }
        let own = message.draft.author.id == caller.id;
        let allowed = store.has_permission(&caller.id, "force-delete-message", Some(&room_id))
            || store.has_permission(&caller.id, "delete-message", Some(&room_id))
            || (own && store.has_permission(&caller.id, "delete-own-message", Some(&room_id)));
        if !allowed {
            return Err(ApiError::meteor("error-action-not-allowed", "Not allowed"));
        }
        store.remove_message(&msg_id);
        let now = store.now();
        success(json!({
            "_id": message.id,
            "ts": now.millis().to_string(),
            "message": {"_id": message.id, "rid": message.room_id, "u": {"_id": message.draft.author.id, "username": message.draft.author.username}},
        }))
    })
}
