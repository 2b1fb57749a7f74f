//! What a run leaves besides its rooms, users and permission changes: the system messages of
//! invites into a room it did not create (`general`), and its run-scoped roles.

use super::Undo;
use crate::report::model::CleanupRecord;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// Pages of 100 messages read at most, newest first, to find the run's messages in a room.
const MESSAGE_PAGES: usize = 5;

/// Deletes, in each room of a `Messages` step, every message whose text names one of the
/// run's fixture users (`rcc-<run id>-…`): the `au` messages of invites into `general`.
pub(super) async fn delete_messages(
    api: &Api,
    admin: &Session,
    run_id: Option<&str>,
    steps: &[Undo],
    record: &mut CleanupRecord,
) {
    let Some(run_id) = run_id else {
        return;
    };
    let marker = format!("rcc-{run_id}-");
    for step in steps {
        let Undo::Messages { room_id, room_type } = step else {
            continue;
        };
        let mut ours = Vec::new();
        for page in 0..MESSAGE_PAGES {
            match api
                .room_messages(admin, *room_type, room_id, page * 100, Purpose::Cleanup)
                .await
            {
                Ok(messages) => {
                    let last = messages.len() < 100;
                    ours.extend(messages.into_iter().filter(|m| m.msg.contains(&marker)));
                    if last {
                        break;
                    }
                }
                Err(e) => {
                    record.errors.push(format!(
                        "the messages of room {room_id} could not be read: {e}"
                    ));
                    break;
                }
            }
        }
        for message in ours {
            match api.delete_message(admin, room_id, &message.id).await {
                Ok(()) => record.undone += 1,
                Err(e) => record.errors.push(format!(
                    "message {} ({}) in room {room_id} about `{}`: {e}",
                    message.id,
                    message.kind.as_deref().unwrap_or("message"),
                    message.msg
                )),
            }
        }
    }
}

/// Deletes each run-scoped role of `steps`: by id, or by its name (which carries the run id)
/// when the creation's answer was lost. A role that is gone counts as deleted.
pub(super) async fn delete_roles(
    api: &Api,
    admin: &Session,
    run_id: Option<&str>,
    steps: &[Undo],
    record: &mut CleanupRecord,
) {
    for step in steps {
        let Undo::Role { name, id } = step else {
            continue;
        };
        let ours = run_id.is_some_and(|r| name.contains(&format!("rcc-{r}-")));
        let id = match id {
            Some(id) => Some(id.clone()),
            None if !ours => None,
            None => match api.role_id_by_name(admin, name).await {
                Ok(id) => id,
                Err(e) => {
                    record.errors.push(format!("role {name}: {e}"));
                    continue;
                }
            },
        };
        let Some(id) = id else {
            continue;
        };
        match api.delete_role(admin, &id).await {
            Ok(()) => record.undone += 1,
            Err(ApiError::Refused { message, .. }) if message.contains("invalid-roleId") => {}
            Err(e) => record.errors.push(format!("role {name} ({id}): {e}")),
        }
    }
}
