//! Cleanup: undoing a ledger in reverse (rooms, then users, permissions restored to their
//! exact previous role lists), then looking for anything that still carries the run id.
//!
//! It runs at the end of every run (pass, fail, panic, target error, Ctrl-C) and from a saved
//! ledger after a crash (`rc-conform cleanup --ledger FILE`). It only ever touches objects
//! the ledger names.

use std::collections::BTreeMap;

use super::ledger::{Entry, Ledger, Undo, pending_undo};
use crate::api::RoomType;
use crate::report::model::CleanupRecord;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// Undoes everything `ledger` still records, using `sessions` (username → session) to
/// delete private groups as one of their members, and the admin otherwise.
pub async fn undo(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    sessions: &BTreeMap<String, Session>,
) -> CleanupRecord {
    let mut record = CleanupRecord {
        ledger: ledger.path().to_string(),
        ..CleanupRecord::default()
    };
    let entries = match Ledger::read(ledger.path()) {
        Ok(e) => e,
        Err(e) => {
            record.errors.push(e.to_string());
            return record;
        }
    };
    let run_id = entries.iter().find_map(|e| match e {
        Entry::Run { run_id, .. } => Some(run_id.clone()),
        _ => None,
    });
    let steps = pending_undo(&entries);
    for step in &steps {
        let outcome = match step {
            // Direct rooms go with their members.
            Undo::Room {
                room_type: RoomType::Direct,
                ..
            } => continue,
            Undo::Room {
                name,
                id,
                room_type,
                deleter,
            } => {
                // A creation whose answer was lost has no id: look the room up by its name,
                // but only a name that carries this run's id (the run lock's name does not,
                // and a room of that name may be another run's).
                let ours = run_id
                    .as_ref()
                    .is_some_and(|r| name.contains(&format!("rcc-{r}-")));
                let id = match id {
                    Some(id) => Some(id.clone()),
                    None if !ours => None,
                    None => match api.rooms_named(admin, name).await {
                        Ok(rooms) => rooms.into_iter().find(|r| &r.name == name).map(|r| r.id),
                        Err(e) => {
                            record.errors.push(e.to_string());
                            continue;
                        }
                    },
                };
                match id {
                    Some(id) => {
                        delete_room(api, admin, sessions.get(deleter), *room_type, &id).await
                    }
                    None => continue, // never created
                }
            }
            Undo::User { username, id } => {
                // Likewise a user: by id, or by username when the answer was lost.
                let id = match id {
                    Some(id) => Some(id.clone()),
                    None => match api.user_id_by_username(admin, username).await {
                        Ok(found) => found,
                        Err(e) => {
                            record.errors.push(e.to_string());
                            continue;
                        }
                    },
                };
                match id {
                    Some(id) => absent_is_fine(api.delete_user(admin, &id).await),
                    None => continue, // never created
                }
            }
            Undo::Permission { id, previous } => {
                let r = api
                    .set_permission(admin, id, previous, Purpose::Cleanup)
                    .await;
                if r.is_ok() {
                    let _ = ledger.record(&Entry::PermissionRestored { id: id.clone() });
                }
                r
            }
        };
        match outcome {
            Ok(()) => record.undone += 1,
            Err(e) => record.errors.push(e.to_string()),
        }
    }
    if record.errors.is_empty() {
        let _ = ledger.record(&Entry::Cleaned);
    }
    if let Some(run_id) = run_id {
        record.leftovers = leftovers(api, admin, &run_id, &entries).await;
    }
    record
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

/// What still carries the run id on the target: rooms by name, and every user the ledger
/// names (by username, so a creation whose answer was lost is found too).
pub async fn leftovers(api: &Api, admin: &Session, run_id: &str, entries: &[Entry]) -> Vec<String> {
    let mut left = Vec::new();
    match api.rooms_named(admin, &format!("rcc-{run_id}")).await {
        Ok(rooms) => left.extend(
            rooms
                .into_iter()
                .map(|r| format!("room {} ({}, type {})", r.name, r.id, r.room_type)),
        ),
        Err(e) => left.push(format!("rooms could not be listed: {e}")),
    }
    // Every user the run set out to create, whether or not its creation answered.
    for entry in entries {
        if let Entry::User { username } = entry {
            match api.user_id_by_username(admin, username).await {
                Ok(None) => {}
                Ok(Some(id)) => left.push(format!("user {username} ({id})")),
                Err(e) => left.push(format!("user {username} could not be checked: {e}")),
            }
        }
    }
    left
}
