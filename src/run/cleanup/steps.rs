//! Undoing one step of a ledger: a room (a channel or group deleted, an omnichannel room
//! closed and its visitor deleted), a team (deleted with its main room) or a user, each found
//! by its id or, when its creation's answer was lost, by the name that carries the run id.

use crate::api::RoomType;
use crate::run::ledger::Undo;
use crate::target::Purpose;
use crate::target::api::{Api, ApiError, Session};

/// Undoes one room, team or user step: `Ok(true)` when something was deleted, `Ok(false)`
/// when it was never created.
pub(super) async fn undo_one(
    api: &Api,
    admin: &Session,
    deleter: Option<&Session>,
    run_id: Option<&str>,
    step: &Undo,
) -> Result<bool, String> {
    // A creation whose answer was lost has no id: look it up by its name, but only a name
    // that carries this run's id (the run lock's name does not, and a room of that name may
    // be another run's).
    let ours = |name: &str| run_id.is_some_and(|r| name.contains(&format!("rcc-{r}-")));
    match step {
        Undo::Room {
            name,
            id,
            room_type: RoomType::Omnichannel,
            ..
        } => undo_livechat(api, name, id.as_deref(), ours(name)).await,
        Undo::Room {
            name,
            id,
            room_type,
            ..
        } => {
            let id = match id {
                Some(id) => Some(id.clone()),
                None if !ours(name) => None,
                None => room_named(api, admin, name).await?,
            };
            match id {
                Some(id) => delete_room(api, admin, deleter, *room_type, &id)
                    .await
                    .map(|()| true)
                    .map_err(|e| e.to_string()),
                None => Ok(false),
            }
        }
        Undo::Team { name, id, .. } => {
            if id.is_none() && !ours(name) {
                return Ok(false);
            }
            let actor = deleter.unwrap_or(admin);
            match api.delete_team(actor, name, id.as_deref()).await {
                Ok(()) => Ok(true),
                Err(e) if is_gone(&e) || e.to_string().contains("team-does-not-exist") => {
                    Ok(id.is_some())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Undo::User { username, id } => undo_user(api, admin, username, id.as_deref()).await,
        Undo::Permission { .. } | Undo::Role { .. } | Undo::Messages { .. } => Ok(false),
    }
}

/// The id of the room of the run named `name` (or given that display name: a discussion's
/// `name` is a random id), from the listing.
async fn room_named(api: &Api, admin: &Session, name: &str) -> Result<Option<String>, String> {
    Ok(api
        .rooms_named(admin, name)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|r| r.name == name || r.fname.as_deref() == Some(name))
        .map(|r| r.id))
}

/// An omnichannel room: its visitor (whose token is the room's ledger name) closes it and is
/// deleted with it. Without the room's id, the visitor's open room is asked for first; a
/// visitor that is unknown was never created or is gone.
async fn undo_livechat(
    api: &Api,
    token: &str,
    id: Option<&str>,
    ours: bool,
) -> Result<bool, String> {
    if id.is_none() && !ours {
        return Ok(false);
    }
    let unknown = |e: &ApiError| e.to_string().contains("invalid-token");
    let room = match id {
        Some(id) => Some(id.to_owned()),
        None => match api.livechat_room(token, Purpose::Cleanup).await {
            Ok(id) => Some(id),
            Err(e) if unknown(&e) => return Ok(false),
            // No room could be opened (or found): the visitor alone is deleted.
            Err(_) => None,
        },
    };
    if let Some(room) = room {
        match api.close_livechat(token, &room).await {
            Err(e) if unknown(&e) => return Ok(id.is_some()),
            // Closed already, or gone with the visitor: deleting it follows either way.
            Ok(()) | Err(_) => {}
        }
    }
    match api.delete_visitor(token).await {
        Ok(()) => Ok(true),
        Err(e) if unknown(&e) => Ok(id.is_some()),
        Err(e) => Err(e.to_string()),
    }
}

/// A user: by id, or by username when the creation's answer was lost.
async fn undo_user(
    api: &Api,
    admin: &Session,
    username: &str,
    id: Option<&str>,
) -> Result<bool, String> {
    let id = match id {
        Some(id) => Some(id.to_owned()),
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
    // Only a private group needs a member; a channel goes to the admin, who keeps the
    // rate-limit bypass when the run's grants are restored before cleanup (a pool user that
    // created many rooms would be limited).
    if let Some(member) = member.filter(|_| room_type == RoomType::Private) {
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
pub(super) fn is_gone(e: &ApiError) -> bool {
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
