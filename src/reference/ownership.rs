//! What happens to the rooms a user owns alone when the user is deleted or deactivated
//! (`getSubscribedRoomsForUserWithDetails`, `relinquishRoomOwnerships`).
//!
//! Owns the detection of sole ownerships, the `user-last-owner` refusal, and the hand-over to
//! the longest-standing other member (or the removal of rooms nobody else is in). It must not
//! decide whether a deletion or deactivation is allowed otherwise.

use serde_json::{Value, json};

use super::envelope::ApiError;
use super::model::RoomKind;
use super::store::Store;

/// A room the user is the only owner of.
#[derive(Debug, Clone)]
pub(crate) struct SoleOwnership {
    room_id: String,
    kind: RoomKind,
    /// The member who becomes owner; `None` when the user is alone in the room.
    successor: Option<String>,
}

/// Rooms (not direct messages) where `user_id` is the one and only owner.
pub(crate) fn sole_ownerships(store: &Store, user_id: &str) -> Vec<SoleOwnership> {
    let owned: Vec<String> = store
        .subscriptions_of_user(user_id)
        .filter(|sub| sub.roles.iter().any(|role| role == "owner"))
        .map(|sub| sub.room_id.clone())
        .collect();
    owned
        .into_iter()
        .filter_map(|room_id| {
            let room = store.room(&room_id)?;
            if room.kind == RoomKind::Direct {
                return None;
            }
            let others: Vec<_> = store
                .subscriptions_of_room(&room_id)
                .filter(|sub| sub.user_id != user_id)
                .collect();
            if others
                .iter()
                .any(|sub| sub.roles.iter().any(|role| role == "owner"))
            {
                return None;
            }
            Some(SoleOwnership {
                successor: others.first().map(|sub| sub.user_id.clone()),
                room_id,
                kind: room.kind,
            })
        })
        .collect()
}

/// `Meteor.Error('user-last-owner', '', rooms)`.
pub(crate) fn last_owner_refusal(ownerships: &[SoleOwnership]) -> ApiError {
    let rooms: Vec<Value> = ownerships
        .iter()
        .map(|owned| {
            json!({
                "rid": owned.room_id,
                "t": owned.kind.code(),
                "shouldBeRemoved": owned.successor.is_none(),
                "shouldChangeOwner": owned.successor.is_some(),
            })
        })
        .collect();
    ApiError::meteor("user-last-owner", "").with_details(Value::Array(rooms))
}

/// Hands each room to its successor; rooms nobody else is in are removed when asked to.
/// Returns the ids of removed rooms.
pub(crate) fn relinquish(
    store: &mut Store,
    ownerships: &[SoleOwnership],
    remove_lonely_rooms: bool,
) -> Vec<String> {
    let mut removed = Vec::new();
    for owned in ownerships {
        match &owned.successor {
            Some(successor) => {
                if let Some(sub) = store.subscription_mut(&owned.room_id, successor) {
                    sub.roles.push("owner".to_owned());
                }
            }
            None if remove_lonely_rooms => {
                store.remove_room(&owned.room_id);
                removed.push(owned.room_id.clone());
            }
            None => {}
        }
    }
    removed
}
