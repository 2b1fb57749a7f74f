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
    let mut deleted_users = Vec::new();
    let mut orphaned_groups = Vec::new();
    for step in &steps {
        let outcome = match step {
            Undo::Room {
                room_type: RoomType::Direct,
                ..
            } => Ok(()), // removed with its members
            Undo::Room {
                name,
                id,
                room_type,
                deleter,
            } => {
                let Some(id) = id.clone() else {
                    orphaned_groups.push(name.clone());
                    continue;
                };
                let by_member = sessions.get(deleter);
                match (
                    by_member,
                    api.delete_room(by_member.unwrap_or(admin), *room_type, &id)
                        .await,
                ) {
                    (_, Ok(())) => Ok(()),
                    (Some(_), Err(e)) | (None, Err(e)) => {
                        match api.delete_room(admin, *room_type, &id).await {
                            Ok(()) => Ok(()),
                            Err(_) if *room_type == RoomType::Private => {
                                // Only members may delete a group; with its members deleted the
                                // server removes it as orphaned. Checked among the leftovers.
                                orphaned_groups.push(name.clone());
                                continue;
                            }
                            Err(_) => Err(e),
                        }
                    }
                }
            }
            Undo::User { id, .. } => match id {
                Some(id) => {
                    let r = api.delete_user(admin, id).await;
                    if r.is_ok() {
                        deleted_users.push(id.clone());
                    }
                    absent_is_fine(r)
                }
                None => Ok(()),
            },
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

/// What still carries the run id on the target: rooms by name, users by the ledger's ids.
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
    for entry in entries {
        if let Entry::UserId { username, id } = entry {
            match api.user_exists(admin, id).await {
                Ok(false) => {}
                Ok(true) => left.push(format!("user {username} ({id})")),
                Err(e) => left.push(format!("user {username} ({id}) could not be checked: {e}")),
            }
        }
    }
    left
}
