//! Room-scoped roles over REST: `addOwner` / `addModerator` / `addLeader` and their `remove*`
//! twins, for channels and groups (semantics §3.2).
//!
//! Owns `addRoomOwner` and friends: the caller needs `set-owner` / `set-moderator` /
//! `set-leader` in the room's scope, the target must already be a member, and the role is kept
//! on the target's subscription. It must not create memberships.

use std::sync::Arc;

use axum::extract::State;
use serde_json::json;

use super::App;
use super::envelope::{ApiError, Reply, success};
use super::gate::Caller;
use super::lookup;
use super::model::{Room, User};
use super::request::{Body, Params};
use super::store::Store;

/// The three room roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoomRole {
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

/// Which route family resolves the room.
#[derive(Debug, Clone, Copy)]
enum Family {
    Channels,
    Groups,
}

fn find_room(
    store: &Store,
    family: Family,
    params: &Params,
    caller: &Caller,
) -> Result<Room, ApiError> {
    match family {
        Family::Channels => lookup::find_channel(store, params, true),
        Family::Groups => lookup::find_group(store, params, &caller.id, true),
    }
}

/// `addRoom<Role>`.
fn add_room_role(
    store: &mut Store,
    caller: &Caller,
    room: &Room,
    target: &User,
    role: RoomRole,
) -> Result<(), ApiError> {
    let (title, article, noun) = role.words();
    let details = json!({"method": format!("addRoom{title}")});
    if !store.has_permission(&caller.id, role.permission(), Some(&room.id)) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed").with_details(details));
    }
    let Some(subscription) = store.subscription_mut(&room.id, &target.id) else {
        return Err(
            ApiError::meteor("error-user-not-in-room", "User is not in this room")
                .with_details(details),
        );
    };
    if subscription.roles.iter().any(|held| held == role.id()) {
        return Err(ApiError::meteor(
            &format!("error-user-already-{noun}"),
            &format!("User is already {article}"),
        )
        .with_details(details));
    }
    subscription.roles.push(role.id().to_owned());
    // `subscription-role-added` system message.
    store.record_system_message(&room.id);
    Ok(())
}

/// `removeRoom<Role>`.
fn remove_room_role(
    store: &mut Store,
    caller: &Caller,
    room: &Room,
    target: &User,
    role: RoomRole,
) -> Result<(), ApiError> {
    let (title, article, noun) = role.words();
    let details = json!({"method": format!("removeRoom{title}")});
    if !store.has_permission(&caller.id, role.permission(), Some(&room.id)) {
        return Err(ApiError::meteor("error-not-allowed", "Not allowed").with_details(details));
    }
    let holds = match store.subscription(&room.id, &target.id) {
        None => {
            return Err(
                ApiError::meteor("error-user-not-in-room", "User is not in this room")
                    .with_details(details),
            );
        }
        Some(subscription) => subscription.roles.iter().any(|held| held == role.id()),
    };
    if !holds {
        return Err(ApiError::meteor(
            &format!("error-user-not-{noun}"),
            &format!("User is not {article}"),
        )
        .with_details(details));
    }
    if role == RoomRole::Owner {
        let owners = store
            .subscriptions_of_room(&room.id)
            .filter(|sub| sub.roles.iter().any(|held| held == "owner"))
            .count();
        if owners == 1 {
            return Err(ApiError::meteor(
                "error-remove-last-owner",
                "This is the last owner. Please set a new owner before removing this one.",
            )
            .with_details(details));
        }
    }
    if let Some(subscription) = store.subscription_mut(&room.id, &target.id) {
        subscription.roles.retain(|held| held != role.id());
    }
    // `subscription-role-removed` system message.
    store.record_system_message(&room.id);
    Ok(())
}

fn change(
    app: &App,
    family: Family,
    role: RoomRole,
    grant: bool,
    caller: &Caller,
    params: &Params,
) -> Reply {
    app.with_store(|store| {
        let room = find_room(store, family, params, caller)?;
        let target = lookup::user_from_params(store, params)?;
        if grant {
            add_room_role(store, caller, &room, &target, role)?;
        } else {
            remove_room_role(store, caller, &room, &target, role)?;
        }
        success(json!({}))
    })
}

macro_rules! room_role_route {
    ($(#[$doc:meta])* $name:ident, $family:expr, $role:expr, $grant:expr) => {
        $(#[$doc])*
        pub(crate) async fn $name(
            State(app): State<Arc<App>>,
            caller: Caller,
            Body(params): Body,
        ) -> Reply {
            change(&app, $family, $role, $grant, &caller, &params)
        }
    };
}

room_role_route!(/// POST /api/v1/channels.addOwner
    channels_add_owner, Family::Channels, RoomRole::Owner, true);
room_role_route!(/// POST /api/v1/channels.addModerator
    channels_add_moderator, Family::Channels, RoomRole::Moderator, true);
room_role_route!(/// POST /api/v1/channels.addLeader
    channels_add_leader, Family::Channels, RoomRole::Leader, true);
room_role_route!(/// POST /api/v1/channels.removeOwner
    channels_remove_owner, Family::Channels, RoomRole::Owner, false);
room_role_route!(/// POST /api/v1/channels.removeModerator
    channels_remove_moderator, Family::Channels, RoomRole::Moderator, false);
room_role_route!(/// POST /api/v1/channels.removeLeader
    channels_remove_leader, Family::Channels, RoomRole::Leader, false);
room_role_route!(/// POST /api/v1/groups.addOwner
    groups_add_owner, Family::Groups, RoomRole::Owner, true);
room_role_route!(/// POST /api/v1/groups.addModerator
    groups_add_moderator, Family::Groups, RoomRole::Moderator, true);
room_role_route!(/// POST /api/v1/groups.addLeader
    groups_add_leader, Family::Groups, RoomRole::Leader, true);
room_role_route!(/// POST /api/v1/groups.removeOwner
    groups_remove_owner, Family::Groups, RoomRole::Owner, false);
room_role_route!(/// POST /api/v1/groups.removeModerator
    groups_remove_moderator, Family::Groups, RoomRole::Moderator, false);
room_role_route!(/// POST /api/v1/groups.removeLeader
    groups_remove_leader, Family::Groups, RoomRole::Leader, false);
