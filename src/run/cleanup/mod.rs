//! Cleanup: undoing a ledger in reverse (rooms, then users, the run's messages in rooms it did
//! not create, permissions restored to their exact previous role lists, the run's roles), then
//! looking for anything that still carries the run id.
//!
//! It runs at the end of every run (pass, fail, panic, target error, Ctrl-C) and from a saved
//! ledger after a crash (`rc-conform cleanup --ledger FILE`). It only ever touches objects
//! the ledger names.

use std::collections::BTreeMap;

use super::lanes::in_lanes;
use super::ledger::{Entry, Ledger, Undo, pending_undo, run_of};
use crate::api::RoomType;
use crate::report::model::CleanupRecord;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// Undoes everything `ledger` still records, using `sessions` (username → session) to
/// delete private groups as one of their members, and the admin otherwise; rooms and users
/// `jobs` at a time.
pub async fn undo(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    sessions: &BTreeMap<String, Session>,
    jobs: usize,
) -> CleanupRecord {
    let mut record = CleanupRecord {
        ledger: ledger.path().to_string(),
        ..CleanupRecord::default()
    };
    let read = ledger.read_with(|entries| {
        (
            run_of(entries).map(|(run_id, _)| run_id.to_owned()),
            pending_undo(entries),
            usernames(entries),
        )
    });
    let (run_id, steps, created) = match read {
        Ok(read) => read,
        Err(e) => {
            record.errors.push(e.to_string());
            return record;
        }
    };
    // Rooms first, then users (only members may delete a private group, so they must still
    // exist), each `jobs` at a time; then permissions, one by one, in undo order.
    let deleter = Deleter {
        api,
        admin,
        sessions,
        run_id: run_id.as_deref(),
        jobs,
    };
    let ledger_rooms = deleter.delete(&steps, &mut record).await;
    // Then the system messages the run left in rooms it did not create, the permissions,
    // and last the run's roles (nobody holds them now, and no permission names them).
    residue::delete_messages(api, admin, run_id.as_deref(), &steps, &mut record).await;
    let (undone, errors) = restore(api, admin, ledger, &steps).await;
    record.undone += undone;
    record.errors.extend(errors);
    residue::delete_roles(api, admin, run_id.as_deref(), &steps, &mut record).await;
    // The last line goes to the disk while the leftovers are looked for. Failing to write it
    // only means a later run sets this ledger aside instead of replacing it.
    let cleaned = if record.errors.is_empty() {
        ledger.record_durable(&[Entry::Cleaned]).ok()
    } else {
        None
    };
    if let Some(run_id) = run_id {
        let found = leftovers(api, admin, &run_id, &ledger_rooms, created, jobs).await;
        record.leftovers = found.left;
        record.unverified = found.unverified;
    }
    if let Some(cleaned) = cleaned {
        let _ = cleaned.wait().await;
    }
    record
}

/// What deleting a ledger's rooms and users needs.
struct Deleter<'a> {
    api: &'a Api,
    admin: &'a Session,
    sessions: &'a BTreeMap<String, Session>,
    run_id: Option<&'a str>,
    jobs: usize,
}

impl Deleter<'_> {
    /// Deletes the rooms, then the users, of `steps` into `record`; the rooms, each with
    /// whether the server confirmed its deletion.
    async fn delete(&self, steps: &[Undo], record: &mut CleanupRecord) -> Vec<(Undo, bool)> {
        let rooms: Vec<Undo> = steps
            .iter()
            .filter(|s| matches!(s, Undo::Room { room_type, .. } if *room_type != RoomType::Direct))
            .cloned()
            .collect();
        let users: Vec<Undo> = steps
            .iter()
            .filter(|s| matches!(s, Undo::User { .. }))
            .cloned()
            .collect();
        let deleted = self.batch(rooms.clone(), record).await;
        self.batch(users, record).await;
        rooms
            .into_iter()
            .enumerate()
            .map(|(i, room)| (room, deleted.contains(&i)))
            .collect()
    }

    /// Undoes `batch`, `jobs` at a time: the positions the server confirmed as deleted.
    async fn batch(&self, batch: Vec<Undo>, record: &mut CleanupRecord) -> Vec<usize> {
        self.api.client().next_stage();
        let items = batch.into_iter().enumerate().collect();
        let done = in_lanes(items, self.jobs, None, |step| {
            let (api, admin) = (self.api.clone(), self.admin.clone());
            let deleter = match &step {
                Undo::Room { deleter, .. } => self.sessions.get(deleter).cloned(),
                _ => None,
            };
            let run_id = self.run_id.map(str::to_owned);
            async move { undo_one(&api, &admin, deleter.as_ref(), run_id.as_deref(), &step).await }
        })
        .await;
        let mut deleted = Vec::new();
        for (position, outcome) in done {
            match outcome {
                Ok(Ok(true)) => {
                    record.undone += 1;
                    deleted.push(position);
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => record.errors.push(e),
                Err(panic) => record.errors.push(format!("a deletion panicked: {panic}")),
            }
        }
        deleted
    }
}

/// Puts back every permission `ledger` says the run changed and has not restored, to its
/// state before the run: the number restored and the errors. The runner calls this before it
/// releases the run lock, so that the next run reads the permissions as they were.
pub async fn restore_permissions(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
) -> (usize, Vec<String>) {
    match ledger.read_with(pending_undo) {
        Ok(steps) => restore(api, admin, ledger, &steps).await,
        Err(e) => (0, vec![e.to_string()]),
    }
}

/// The permission steps of `steps`, one by one, in undo order.
async fn restore(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    steps: &[Undo],
) -> (usize, Vec<String>) {
    let (mut undone, mut errors) = (0, Vec::new());
    for step in steps {
        if let Undo::Permission { id, previous } = step {
            match api
                .set_permission(admin, id, previous, Purpose::Cleanup)
                .await
            {
                Ok(()) => {
                    let _ = ledger.record(&Entry::PermissionRestored { id: id.clone() });
                    undone += 1;
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    (undone, errors)
}

/// Undoes one room or user step: `Ok(true)` when something was deleted, `Ok(false)` when it
/// was never created.
async fn undo_one(
    api: &Api,
    admin: &Session,
    deleter: Option<&Session>,
    run_id: Option<&str>,
    step: &Undo,
) -> Result<bool, String> {
    match step {
        Undo::Room {
            name,
            id,
            room_type,
            ..
        } => {
            // A creation whose answer was lost has no id: look the room up by its name, but
            // only a name that carries this run's id (the run lock's name does not, and a
            // room of that name may be another run's).
            let ours = run_id.is_some_and(|r| name.contains(&format!("rcc-{r}-")));
            let id = match id {
                Some(id) => Some(id.clone()),
                None if !ours => None,
                None => api
                    .rooms_named(admin, name)
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .find(|r| &r.name == name)
                    .map(|r| r.id),
            };
            match id {
                Some(id) => delete_room(api, admin, deleter, *room_type, &id)
                    .await
                    .map(|()| true)
                    .map_err(|e| e.to_string()),
                None => Ok(false),
            }
        }
        Undo::User { username, id } => {
            // Likewise a user: by id, or by username when the answer was lost.
            let id = match id {
                Some(id) => Some(id.clone()),
                None => api
                    .user_id_by_username(admin, username)
                    .await
                    .map_err(|e| e.to_string())?,
            };
            match id {
                Some(id) => absent_is_fine(api.delete_user(admin, &id).await)
                    .map(|()| true)
                    .map_err(|e| e.to_string()),
                None => Ok(false),
            }
        }
        Undo::Permission { .. } | Undo::Role { .. } | Undo::Messages { .. } => Ok(false),
    }
}

/// Deletes a room as a member (only members may delete a private group), else as the admin.
/// A room that is gone counts as deleted. A private group the admin cannot see goes with its
/// last member (users are deleted next), which the leftover check verifies.
async fn delete_room(
    api: &Api,
    admin: &Session,
    member: Option<&Session>,
    room_type: RoomType,
    id: &str,
) -> Result<(), ApiError> {
    if let Some(member) = member {
        match api.delete_room(member, room_type, id).await {
            Ok(()) => return Ok(()),
            Err(e) if is_gone(&e) => return Ok(()),
            Err(_) => {}
        }
    }
    match api.delete_room(admin, room_type, id).await {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    }
}

/// Whether the server says the object does not exist (any more).
fn is_gone(e: &ApiError) -> bool {
    matches!(e, ApiError::Refused { status: 400 | 404, message, .. } if message.contains("not-found") || message.contains("not found"))
}

fn absent_is_fine(r: Result<(), ApiError>) -> Result<(), ApiError> {
    match r {
        Err(ApiError::Refused {
            status: 400 | 404,
            ref message,
            ..
        }) if message.contains("not-found")
            || message.contains("not found")
            || message.contains("invalid-user") =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Every user the run set out to create, whether or not its creation answered.
fn usernames(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::User { username } => Some(username.clone()),
            _ => None,
        })
        .collect()
}

mod leftovers;
mod residue;

pub use leftovers::{Leftovers, leftovers};
