//! Room-scoped roles over REST: `addOwner` / `addModerator` / `addLeader` and their `remove*`
//! twins, for both route families (`apps/meteor/server/services/authorization/service.ts`
//! @028925b2: room roles live on the subscription).
//!
//! Owns `addRoomOwner` and friends: the caller needs `set-owner` / `set-moderator` /
//! `set-leader` in the room's scope, the target must already be a member, and the role is kept
//! on the target's subscription. It must not create memberships.

use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::family::Family;
use super::gate::Caller;
use super::lookup;
use super::model::{Room, User};
use super::records::{Author, Draft};
use super::request::Call;
use super::store::Store;

/// The three room roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomRole {
    Owner,
    Moderator,
    Leader,
}

impl RoomRole {
    fn id(self) -> &'static str {
        match self {
            RoomRole::Owner => "owner",
            RoomRole::Moderator => "moderator",
            RoomRole::Leader => "leader",
        }
    }

    fn permission(self) -> &'static str {
        match self {
            RoomRole::Owner => "set-owner",
            RoomRole::Moderator => "set-moderator",
            RoomRole::Leader => "set-leader",
        }
    }

    /// (method name for `details`, article + noun for messages)
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RoomRole::Owner => ("Owner", "an owner", "owner"),
            RoomRole::Moderator => ("Moderator", "a moderator", "moderator"),
            RoomRole::Leader => ("Leader", "a leader", "leader"),
        }
    }
}

/// The six routes of each family: (operation, role, whether it grants the role).
pub(crate) const OPERATIONS: [(&str, RoomRole, bool); 6] = [
    ("addOwner", RoomRole::Owner, true),
    ("addModerator", RoomRole::Moderator, true),
    ("addLeader", RoomRole::Leader, true),
    ("removeOwner", RoomRole::Owner, false),
    ("removeModerator", RoomRole::Moderator, false),
    ("removeLeader", RoomRole::Leader, false),
];

/// `set-owner` / `set-moderator` / `set-leader` in the room's scope, else `error-not-allowed`.
fn ensure_may_set(
    store: &Store,
    caller: &Caller,
    room: &Room,
    role: RoomRole,
    details: &Value,
) -> Result<(), ApiError> {
    if store.has_permission(&caller.id, role.permission(), Some(&room.id)) {
        return Ok(());
    }
    Err(ApiError::meteor("error-not-allowed", "Not allowed").with_details(details.clone()))
}

fn not_in_room(details: Value) -> ApiError {
    ApiError::meteor("error-user-not-in-room", "User is not in this room").with_details(details)
}

/// One `add*` / `remove*` call whose caller (`by`) may set the role; `details` names the
/// method.
struct Assignment<'a> {
    room: &'a Room,
    target: &'a User,
    role: RoomRole,
    details: Value,
    by: Author,
}

impl Assignment<'_> {
    /// `subscription-role-added` / `-removed`: `msg` the target's username, `role` the role.
    fn system_message(&self, kind: &'static str) -> Draft {
        Draft::system(kind, &self.target.username, self.by.clone())
            .with("role", json!(self.role.id()))
    }
}

impl Assignment<'_> {
    /// `addRoom<Role>`.
    fn add(self, store: &mut Store) -> Result<(), ApiError> {
        let (_, article, noun) = self.role.words();
        let Some(subscription) = store.subscription_mut(&self.room.id, &self.target.id) else {
            return Err(not_in_room(self.details));
        };
        if subscription.roles.iter().any(|held| held == self.role.id()) {
            return Err(ApiError::meteor(
                &format!("error-user-already-{noun}"),
                &format!("User is already {article}"),
            )
            .with_details(self.details));
        }
        subscription.roles.push(self.role.id().to_owned());
        store.record_message(
            &self.room.id,
            self.system_message("subscription-role-added"),
        );
        Ok(())
    }

    /// `removeRoom<Role>`.
    fn remove(self, store: &mut Store) -> Result<(), ApiError> {
        let (_, article, noun) = self.role.words();
        let holds = match store.subscription(&self.room.id, &self.target.id) {
            None => return Err(not_in_room(self.details)),
            Some(subscription) => subscription.roles.iter().any(|held| held == self.role.id()),
        };
        if !holds {
            return Err(ApiError::meteor(
                &format!("error-user-not-{noun}"),
                &format!("User is not {article}"),
            )
            .with_details(self.details));
        }
        if self.role == RoomRole::Owner {
            let owners = store
                .subscriptions_of_room(&self.room.id)
                .filter(|sub| sub.roles.iter().any(|held| held == "owner"))
                .count();
            if owners == 1 {
                return Err(ApiError::meteor(
                    "error-remove-last-owner",
                    "This is the last owner. Please set a new owner before removing this one.",
                )
                .with_details(self.details));
            }
        }
        if let Some(subscription) = store.subscription_mut(&self.room.id, &self.target.id) {
            subscription.roles.retain(|held| held != self.role.id());
        }
        store.record_message(
            &self.room.id,
            self.system_message("subscription-role-removed"),
        );
        Ok(())
    }
}

/// POST /api/v1/{channels,groups}.{add,remove}{Owner,Moderator,Leader}
pub(crate) async fn change(family: Family, role: RoomRole, grant: bool, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let (title, _, _) = role.words();
    let method = if grant { "addRoom" } else { "removeRoom" };
    let details = json!({"method": format!("{method}{title}")});
    app.with_store(|store| {
        let room = family.find_room(store, &params, &caller.id, true)?;
        let target = lookup::user_from_params(store, &params)?;
        ensure_may_set(store, &caller, &room, role, &details)?;
        let by = store
            .author(&caller.id)
            .ok_or_else(|| ApiError::meteor("error-invalid-user", "Invalid user"))?;
        let assignment = Assignment {
            room: &room,
            target: &target,
            role,
            details,
            by,
        };
        if grant {
            assignment.add(store)?;
        } else {
            assignment.remove(store)?;
        }
        success(json!({}))
    })
}
