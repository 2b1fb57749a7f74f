//! Cleanup: undoing a ledger in reverse (rooms, then users, the run's messages in rooms it did
//! not create, permissions restored to their exact previous role lists, the run's roles), then
//! looking for anything that still carries the run id.
//!
//! It runs at the end of every run (pass, fail, panic, target error, Ctrl-C) and from a saved
//! ledger after a crash (`rc-conform cleanup --ledger FILE`). It only ever touches objects
//! the ledger names.

use std::collections::{BTreeMap, BTreeSet};

mod steps;

use self::steps::{is_gone, undo_one};
use super::lanes::in_lanes;
use super::ledger::{Entry, Ledger, Undo, pending_undo, run_of};
use crate::api::RoomType;
use crate::report::model::CleanupRecord;
use crate::target::Purpose;
use crate::target::api::{Api, Session};

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
    let (ledger_rooms, users_deleted) = deleter.delete(&steps, &mut record).await;
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
        // A user whose deletion the server just confirmed is not looked up again: the run has
        // that answer already.
        let created = created
            .into_iter()
            .filter(|u| !users_deleted.contains(u))
            .collect();
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
    /// whether the server confirmed its deletion, and the usernames whose deletion it
    /// confirmed.
    async fn delete(
        &self,
        steps: &[Undo],
        record: &mut CleanupRecord,
    ) -> (Vec<(Undo, bool)>, BTreeSet<String>) {
        // Teams go with rooms: deleting a team deletes its main room.
        let rooms: Vec<Undo> = steps
            .iter()
            .filter(|s| match s {
                Undo::Room { room_type, .. } => *room_type != RoomType::Direct,
                Undo::Team { .. } => true,
                Undo::User { .. }
                | Undo::Permission { .. }
                | Undo::Role { .. }
                | Undo::Messages { .. } => false,
            })
            .cloned()
            .collect();
        let users: Vec<Undo> = steps
            .iter()
            .filter(|s| matches!(s, Undo::User { .. }))
            .cloned()
            .collect();
        let deleted = self.batch(rooms.clone(), record).await;
        let gone = self.batch(users.clone(), record).await;
        let users_deleted = gone
            .into_iter()
            .filter_map(|i| match users.get(i) {
                Some(Undo::User { username, .. }) => Some(username.clone()),
                _ => None,
            })
            .collect();
        let rooms = rooms
            .into_iter()
            .enumerate()
            .map(|(i, room)| (room, deleted.contains(&i)))
            .collect();
        (rooms, users_deleted)
    }

    /// Undoes `batch`, `jobs` at a time: the positions the server confirmed as deleted.
    async fn batch(&self, batch: Vec<Undo>, record: &mut CleanupRecord) -> Vec<usize> {
        self.api.client().next_stage();
        let items = batch.into_iter().enumerate().collect();
        let done = in_lanes(items, self.jobs, None, |step| {
            let (api, admin) = (self.api.clone(), self.admin.clone());
            let deleter = match &step {
                Undo::Room { deleter, .. } | Undo::Team { deleter, .. } => {
                    self.sessions.get(deleter).cloned()
                }
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
