//! The leftover check: what still carries the run id on the target after cleanup.

use super::{Undo, in_lanes, is_gone};
use crate::api::RoomType;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// What the leftover check found.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Objects known to be left on the target.
    pub left: Vec<String>,
    /// Objects whose removal could not be verified.
    pub unverified: Vec<String>,
}

impl Leftovers {
    /// Sorts the outcomes of checking objects of kind `what` (a user, a room): nothing left,
    /// left, not verifiable, or a check that panicked.
    fn sort(
        &mut self,
        outcomes: impl IntoIterator<Item = Result<Option<Result<String, String>>, String>>,
        what: &str,
    ) {
        for outcome in outcomes {
            match outcome {
                Ok(None) => {}
                Ok(Some(Ok(left))) => self.left.push(left),
                Ok(Some(Err(unchecked))) => self.unverified.push(unchecked),
                Err(panic) => self
                    .unverified
                    .push(format!("a {what} could not be checked: {panic}")),
            }
        }
    }
}

/// What still carries the run id on the target: rooms by name (one `rooms.adminRooms`
/// listing; where the target lacks it or refuses it, each room of the ledger on its own), and
/// every user of `created` (by username, so a creation whose answer was lost is found too).
pub async fn leftovers(
    api: &Api,
    admin: &Session,
    run_id: &str,
    ledger_rooms: &[(Undo, bool)],
    created: Vec<String>,
    jobs: usize,
) -> Leftovers {
    api.client().next_stage();
    let mut found = Leftovers::default();
    match api.rooms_named(admin, &format!("rcc-{run_id}")).await {
        Ok(rooms) => found.left.extend(
            rooms
                .into_iter()
                .map(|r| format!("room {} ({}, type {})", r.name, r.id, r.room_type)),
        ),
        Err(ApiError::Refused {
            status: 403 | 404, ..
        }) => rooms_one_by_one(api, admin, ledger_rooms, jobs, &mut found).await,
        Err(e) => found
            .unverified
            .push(format!("the run's rooms could not be listed: {e}")),
    }
    let users: Vec<(usize, String)> = created.into_iter().enumerate().collect();
    let checked = in_lanes(users, jobs, None, |username| {
        let (api, admin) = (api.clone(), admin.clone());
        async move {
            match api.user_id_by_username(&admin, &username).await {
                Ok(None) => None,
                Ok(Some(id)) => Some(Ok(format!("user {username} ({id})"))),
                Err(e) => Some(Err(format!("user {username} could not be checked: {e}"))),
            }
        }
    })
    .await;
    found.sort(checked.into_values(), "user");
    found
}

/// The leftover check of rooms without a listing: each room of the ledger read on its own
/// as the admin. A channel that is not found is gone; a private group is readable only by
/// its members, so one that is not found cannot be told from one that is hidden: it counts
/// as gone when its deletion was confirmed by this cleanup, and as not verified otherwise.
async fn rooms_one_by_one(
    api: &Api,
    admin: &Session,
    rooms: &[(Undo, bool)],
    jobs: usize,
    found: &mut Leftovers,
) {
    let rooms: Vec<(usize, (Undo, bool))> = rooms.iter().cloned().enumerate().collect();
    let read = in_lanes(rooms, jobs, None, |(step, deleted)| {
        let (api, admin) = (api.clone(), admin.clone());
        async move {
            let Undo::Room {
                name,
                id,
                room_type,
                ..
            } = step
            else {
                return None;
            };
            let Some(id) = id else {
                return Some(Err(format!(
                    "room {name}: its creation gave no id and the target cannot list rooms (rooms.adminRooms)"
                )));
            };
            match api.room_info(&admin, room_type, &id, Purpose::Cleanup).await {
                Ok(_) => Some(Ok(format!("room {name} ({id}, type {room_type})"))),
                Err(e) if is_gone(&e) && (room_type == RoomType::Public || deleted) => None,
                Err(e) if is_gone(&e) => Some(Err(format!(
                    "private group {name} ({id}): not readable by the admin and the target cannot list rooms (rooms.adminRooms)"
                ))),
                Err(e) => Some(Err(format!("room {name} ({id}) could not be checked: {e}"))),
            }
        }
    })
    .await;
    found.sort(read.into_values(), "room");
}
