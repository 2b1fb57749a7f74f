//! Invite scenarios whose expected outcome is the same for channels.invite and groups.invite
//! (the two routes share getUserListFromParams, addUsersToRoom and addUserToRoom), written once
//! and run per room kind from
//! `reference_invite_channels.rs` and `reference_invite_groups.rs`.
//!
//! Every scenario starts its own server. Unless a scenario says otherwise, the room `town` is
//! created by the admin, who is therefore its owner and only member.

mod permissions;
mod user_lists;

pub(crate) use permissions::*;
pub(crate) use user_lists::*;

use serde_json::{Value, json};

use super::{
    Harness, Reply, Room, RoomKind, Session, USERS_PARAMS_NOT_PROVIDED, assert_error_body,
    assert_no_valid_users, assert_not_allowed, assert_room_not_found, sorted,
};

/// A server with an admin-created room of one kind.
pub(crate) struct World {
    /// The running server.
    pub(crate) h: Harness,
    /// The admin's room `town`.
    pub(crate) room: Room,
}

impl World {
    /// Starts a server and creates `town` as the admin.
    pub(crate) async fn new(kind: RoomKind) -> World {
        let h = Harness::start().await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        World { h, room }
    }

    /// The room kind.
    pub(crate) fn kind(&self) -> RoomKind {
        self.room.kind
    }

    /// Invite into any room as `caller`.
    pub(crate) async fn invite_as(&self, caller: &Session, body: &Value) -> Reply {
        self.h.api.invite(caller, self.kind(), body).await
    }

    /// Invite as the admin.
    pub(crate) async fn admin_invite(&self, body: &Value) -> Reply {
        self.invite_as(&self.h.admin, body).await
    }

    /// Usernames listed by the members endpoint (read as the admin, a member).
    pub(crate) async fn members(&self) -> Vec<String> {
        self.h.member_names(&self.h.admin, &self.room).await
    }

    /// `(msgs, usersCount)` (read as the admin).
    pub(crate) async fn counters(&self) -> (i64, i64) {
        self.h.counters(&self.h.admin, &self.room).await
    }

    /// The admin's username.
    pub(crate) fn admin(&self) -> &str {
        &self.h.admin_username
    }
}

/// Asserts a 200 invite answer and returns the room object it carries (the room re-read).
#[track_caller]
pub(crate) fn expect_invited(kind: RoomKind, reply: &Reply) -> Value {
    reply.expect_status(200, "invite");
    assert_eq!(
        reply.body["success"],
        json!(true),
        "success flag: {reply:#?}"
    );
    reply.body[kind.key()].clone()
}
