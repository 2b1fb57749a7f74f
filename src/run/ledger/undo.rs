//! What remains to undo of a ledger, derived from its entries: everything after the last
//! `Cleaned` line, newest first, with each permission restored to its *oldest* recorded
//! previous value (the state before the run).

use super::Entry;
use crate::api::RoomType;

/// What remains to undo, derived from the entries: newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Delete this room (by id when known, else look it up by name).
    Room {
        /// Name.
        name: String,
        /// Id, when the creation answered.
        id: Option<String>,
        /// Type.
        room_type: RoomType,
        /// Member username that may delete it.
        deleter: String,
    },
    /// Delete this team (by id when known, else by name) and with it its main room.
    Team {
        /// Name.
        name: String,
        /// Id, when the creation answered.
        id: Option<String>,
        /// Member username that may delete it.
        deleter: String,
    },
    /// Delete this user.
    User {
        /// Username.
        username: String,
        /// Id, when the creation answered.
        id: Option<String>,
    },
    /// Put this permission's role list back.
    Permission {
        /// Permission id.
        id: String,
        /// The list to restore.
        previous: Vec<String>,
    },
    /// Delete this run-scoped role (once nobody holds it and no permission names it).
    Role {
        /// Name (carries the run id).
        name: String,
        /// Id, when the creation answered.
        id: Option<String>,
    },
    /// Delete the messages of this room (which the run did not create) that name the run's
    /// fixture users.
    Messages {
        /// The room's id.
        room_id: String,
        /// Its type.
        room_type: RoomType,
    },
}

/// The undo list of `entries`: everything after the last `Cleaned`, newest first; each
/// permission restored to its *oldest* recorded previous value.
pub fn pending_undo(entries: &[Entry]) -> Vec<Undo> {
    let start = entries
        .iter()
        .rposition(|e| matches!(e, Entry::Cleaned))
        .map_or(0, |i| i + 1);
    let live = Live(&entries[start..]);
    let mut undo = Vec::new();
    let mut permissions_seen: Vec<&str> = Vec::new();
    let mut rooms_seen: Vec<&str> = Vec::new();
    for (i, entry) in live.0.iter().enumerate().rev() {
        match entry {
            Entry::User { username } => undo.push(Undo::User {
                username: username.clone(),
                id: live.user_id(i + 1, username),
            }),
            Entry::Team { name, deleter } => undo.push(Undo::Team {
                name: name.clone(),
                id: live.team_id(i + 1, name),
                deleter: deleter.clone(),
            }),
            Entry::Room { name, .. } if live.removed_after(i + 1, name) => {}
            Entry::Room {
                name,
                room_type,
                deleter,
            } => undo.push(Undo::Room {
                name: name.clone(),
                id: live.room_id(i + 1, name),
                room_type: *room_type,
                deleter: deleter.clone(),
            }),
            Entry::Role { name, .. } => undo.push(Undo::Role {
                name: name.clone(),
                id: live.role_id(i + 1, name),
            }),
            Entry::RoomMessages { room_id, room_type }
                if !rooms_seen.contains(&room_id.as_str()) =>
            {
                rooms_seen.push(room_id);
                undo.push(Undo::Messages {
                    room_id: room_id.clone(),
                    room_type: *room_type,
                });
            }
            Entry::Permission { id, .. } if !permissions_seen.contains(&id.as_str()) => {
                permissions_seen.push(id);
                if !live.restored_after(i + 1, id) {
                    undo.push(Undo::Permission {
                        id: id.clone(),
                        previous: live.oldest_previous(id),
                    });
                }
            }
            _ => {}
        }
    }
    undo
}

/// The entries after the last `Cleaned` line, with the lookups the undo list needs.
struct Live<'a>(&'a [Entry]);

impl Live<'_> {
    /// The id a user creation got: the first matching id entry from `at` on (a name can
    /// recur, as the run lock's does).
    fn user_id(&self, at: usize, name: &str) -> Option<String> {
        self.0[at..].iter().find_map(|e| match e {
            Entry::UserId { username, id } if username == name => Some(id.clone()),
            _ => None,
        })
    }

    /// The id a room creation got, as [`Live::user_id`].
    fn room_id(&self, at: usize, n: &str) -> Option<String> {
        self.0[at..].iter().find_map(|e| match e {
            Entry::RoomId { name, id } if name == n => Some(id.clone()),
            _ => None,
        })
    }

    /// The id a team creation got, as [`Live::user_id`].
    fn team_id(&self, at: usize, n: &str) -> Option<String> {
        self.0[at..].iter().find_map(|e| match e {
            Entry::TeamId { name, id } if name == n => Some(id.clone()),
            _ => None,
        })
    }

    /// The id a role creation got, as [`Live::user_id`].
    fn role_id(&self, at: usize, n: &str) -> Option<String> {
        self.0[at..].iter().find_map(|e| match e {
            Entry::RoleId { name, id } if name == n => Some(id.clone()),
            _ => None,
        })
    }

    /// Whether the room named `n` is recorded as gone from `at` on, before it is created again.
    fn removed_after(&self, at: usize, n: &str) -> bool {
        self.0[at..]
            .iter()
            .take_while(|e| !matches!(e, Entry::Room { name, .. } if name == n))
            .any(|e| matches!(e, Entry::Removed { name } if name == n))
    }

    /// Whether permission `id` is recorded as restored from `at` on.
    fn restored_after(&self, at: usize, id: &str) -> bool {
        self.0[at..]
            .iter()
            .any(|e| matches!(e, Entry::PermissionRestored { id: r } if r == id))
    }

    /// The oldest recorded previous list of permission `id`: the state before the run.
    fn oldest_previous(&self, id: &str) -> Vec<String> {
        self.0
            .iter()
            .find_map(|e| match e {
                Entry::Permission { id: p, previous } if p == id => Some(previous.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }
}
