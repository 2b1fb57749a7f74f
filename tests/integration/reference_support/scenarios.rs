//! Invite scenarios whose expected outcome is the same for channels.invite and groups.invite
//! (the two routes share getUserListFromParams, addUsersToRoom and addUserToRoom), written once
//! and run per room kind from
//! `reference_invite_channels.rs` and `reference_invite_groups.rs`.
//!
//! Every scenario starts its own server. Unless a scenario says otherwise, the room `town` is
//! created by the admin, who is therefore its owner and only member.

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

/// getUserListFromParams: no user key at all, or only empty ones → error-users-params-not-provided.
pub(crate) async fn no_user_fields_is_users_params_not_provided(kind: RoomKind) {
    let w = World::new(kind).await;
    for body in [
        json!({"roomId": w.room.id}),
        json!({"roomId": w.room.id, "userId": ""}),
        json!({"roomId": w.room.id, "userIds": [null, ""], "username": null}),
    ] {
        let reply = w.admin_invite(&body).await;
        assert_error_body(
            &reply,
            400,
            USERS_PARAMS_NOT_PROVIDED,
            "error-users-params-not-provided",
        );
    }
}

/// channels.ts / groups.ts: nothing resolved → the kind's "no valid users" error, nothing changes.
pub(crate) async fn all_unknown_users_is_no_valid_users(kind: RoomKind) {
    let w = World::new(kind).await;
    let before = w.counters().await;
    for body in [
        json!({"roomId": w.room.id, "userIds": ["no-such-id-1", "no-such-id-2"]}),
        json!({"roomId": w.room.id, "userId": "no-such-id"}),
        json!({"roomId": w.room.id, "usernames": ["ghost"]}),
    ] {
        let reply = w.admin_invite(&body).await;
        assert_no_valid_users(kind, &reply);
    }
    assert_eq!(w.counters().await, before, "failed invites change nothing");
}

/// getUserListFromParams, mixed valid and unknown ids: 200, the unknown ones silently dropped.
pub(crate) async fn mixed_known_and_unknown_ids_add_only_known(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let (msgs, users) = w.counters().await;
    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userIds": ["no-such-id", alice.id]}))
        .await;
    let room = expect_invited(kind, &reply);
    assert_eq!(room["usersCount"], json!(users + 1), "one user added");
    assert_eq!(room["msgs"], json!(msgs + 1), "one system message");
    assert_eq!(w.members().await, sorted(&[w.admin(), "alice"]));
}

/// getUserListFromParams: an empty `userIds` is "present" and hides `usernames`.
pub(crate) async fn empty_user_ids_hides_usernames(kind: RoomKind) {
    let w = World::new(kind).await;
    w.h.create_user("bob").await;
    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userIds": [], "usernames": ["bob"]}))
        .await;
    assert_error_body(
        &reply,
        400,
        USERS_PARAMS_NOT_PROVIDED,
        "error-users-params-not-provided",
    );
    assert_eq!(w.members().await, sorted(&[w.admin()]), "bob was not added");
}

/// getUserListFromParams: with `userId` present every entry is looked up as an id, so `usernames`
/// are lost.
pub(crate) async fn user_id_with_usernames_loses_the_usernames(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    w.h.create_user("bob").await;
    let body = json!({"roomId": w.room.id, "userId": alice.id, "usernames": ["bob", "rocket.cat"]});
    expect_invited(kind, &w.admin_invite(&body).await);
    // "bob" is looked up as an _id and dropped; "rocket.cat" survives because its _id is its name.
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice", "rocket.cat"])
    );
}

/// getUserListFromParams: only the first truthy sole key counts; `userIds` beats `usernames`.
pub(crate) async fn only_one_sole_key_and_user_ids_over_usernames(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let bob = w.h.create_user("bob").await;
    let carol = w.h.create_user("carol").await;
    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userId": alice.id, "username": bob.username}))
        .await;
    expect_invited(kind, &reply);
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice"]),
        "username ignored when userId is set"
    );

    let reply = w
        .admin_invite(
            &json!({"roomId": w.room.id, "userIds": [carol.id], "usernames": [bob.username]}),
        )
        .await;
    expect_invited(kind, &reply);
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice", "carol"]),
        "usernames ignored with userIds"
    );
}

/// getUserListFromParams: a non-array `userIds`/`usernames` → the raw TypeError, no errorType.
pub(crate) async fn non_array_user_list_is_a_type_error_without_error_type(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    for body in [
        json!({"roomId": w.room.id, "userIds": alice.id}),
        json!({"roomId": w.room.id, "usernames": "alice"}),
        json!({"roomId": w.room.id, "userIds": 42}),
        json!({"roomId": w.room.id, "usernames": {"0": "alice"}}),
    ] {
        let reply = w.admin_invite(&body).await;
        reply.expect_status(400, &format!("non-array list {body}"));
        assert_eq!(
            reply.body,
            json!({"success": false, "error": "userListParam.push is not a function"}),
            "TypeError body for {body} (no errorType key)"
        );
    }
    assert_eq!(w.members().await, sorted(&[w.admin()]), "nobody added");
}

/// getUserListFromParams (duplicates removed) and addUserToRoom: one subscription, one message.
pub(crate) async fn duplicate_ids_are_added_once(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let (msgs, users) = w.counters().await;
    let reply = w
        .admin_invite(
            &json!({"roomId": w.room.id, "userIds": [alice.id, alice.id], "userId": alice.id}),
        )
        .await;
    let room = expect_invited(kind, &reply);
    assert_eq!(room["usersCount"], json!(users + 1));
    assert_eq!(room["msgs"], json!(msgs + 1));
    assert_eq!(w.counters().await, (msgs + 1, users + 1));

    // Case variants of one username are distinct strings but resolve to one user.
    w.h.create_user("bob").await;
    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "usernames": ["bob", "BOB", "Bob"]}))
        .await;
    let room = expect_invited(kind, &reply);
    assert_eq!(room["usersCount"], json!(users + 2));
    assert_eq!(room["msgs"], json!(msgs + 2));
}

/// getUserListFromParams (findByUsernamesIgnoringCase): username lookups fold case; `username`
/// and `user` both work.
pub(crate) async fn usernames_match_case_insensitively(kind: RoomKind) {
    let w = World::new(kind).await;
    w.h.create_user("alice").await;
    w.h.create_user("bob").await;
    w.h.create_user("carol").await;
    expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "usernames": ["ALICE"]}))
            .await,
    );
    expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "username": "Bob"}))
            .await,
    );
    expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "user": "carol"}))
            .await,
    );
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice", "bob", "carol"])
    );
}

/// addUsersToRoom, an invitee already a member (the caller too): 200, nothing changes.
pub(crate) async fn already_member_invite_changes_nothing(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
            .await,
    );
    let (msgs, users) = w.counters().await;

    let room = expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
            .await,
    );
    assert_eq!(
        (room["msgs"].clone(), room["usersCount"].clone()),
        (json!(msgs), json!(users))
    );
    let room = expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "userId": w.h.admin.user_id}))
            .await,
    );
    assert_eq!(
        (room["msgs"].clone(), room["usersCount"].clone()),
        (json!(msgs), json!(users))
    );
    assert_eq!(
        w.counters().await,
        (msgs, users),
        "no message, no count change"
    );
    assert_eq!(w.members().await, sorted(&[w.admin(), "alice"]));

    // A member next to a newcomer: only the newcomer counts.
    let bob = w.h.create_user("bob").await;
    let body = json!({"roomId": w.room.id, "userIds": [alice.id, bob.id]});
    let room = expect_invited(kind, &w.admin_invite(&body).await);
    assert_eq!(
        (room["msgs"].clone(), room["usersCount"].clone()),
        (json!(msgs + 1), json!(users + 1))
    );
}

/// getUserListFromParams and addUserToRoom check no `active` flag (#38918, #21869): a
/// deactivated invitee resolves and is added
/// (usersCount and msgs grow), but member lists show active users only.
pub(crate) async fn deactivated_invitee_is_added_but_not_listed(kind: RoomKind) {
    let w = World::new(kind).await;
    let dora = w.h.create_user("dora").await;
    w.h.set_active(&dora, false).await;
    let (msgs, users) = w.counters().await;
    let room = expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "userId": dora.id}))
            .await,
    );
    assert_eq!(
        room["usersCount"],
        json!(users + 1),
        "deactivated user counted as added"
    );
    assert_eq!(room["msgs"], json!(msgs + 1));
    assert_eq!(
        w.members().await,
        sorted(&[w.admin()]),
        "members lists active users only"
    );
}

/// addUserToRoom has no read-only check → 200.
pub(crate) async fn read_only_room_accepts_invites(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let reply =
        w.h.api
            .post(
                Some(&w.h.admin),
                &kind.route("setReadOnly"),
                &json!({"roomId": w.room.id, "readOnly": true}),
            )
            .await;
    reply.expect_status(200, "fixture: setReadOnly");
    let room = expect_invited(
        kind,
        &w.admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
            .await,
    );
    assert_eq!(room["ro"], json!(true));
    assert_eq!(w.members().await, sorted(&[w.admin(), "alice"]));
}

/// The room re-read and addUserToRoom: 200 `{<key>: room, success: true}`, one `au` message and
/// one count per added
/// user, members listed; bulk `userIds` works on the default (8.5.0) version.
pub(crate) async fn success_returns_room_and_counts_each_added_user(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let bob = w.h.create_user("bob").await;
    let carol = w.h.create_user("carol").await;
    let (msgs, users) = w.counters().await;
    assert_eq!(users, 1, "a new room counts only its creator");

    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userId": alice.id}))
        .await;
    let room = expect_invited(kind, &reply);
    assert_eq!(
        reply.keys(),
        sorted(&[kind.key(), "success"]),
        "no other top-level keys"
    );
    assert_eq!(room["_id"], json!(w.room.id));
    assert_eq!(room["t"], json!(kind.t()));
    assert_eq!(room["name"], json!("town"));
    assert_eq!(
        room["u"]["_id"],
        json!(w.h.admin.user_id),
        "u is the creator"
    );
    assert_eq!(room["u"]["username"], json!(w.admin()));
    assert_eq!(
        room["msgs"],
        json!(msgs + 1),
        "msgs includes the au message"
    );
    assert_eq!(room["usersCount"], json!(users + 1));
    assert_eq!(room["ro"], json!(false));
    assert!(room["ts"].is_string(), "ts is an ISO date string: {room}");
    assert!(
        room["_updatedAt"].is_string(),
        "_updatedAt is an ISO date string: {room}"
    );
    for hidden in [
        "joinCode",
        "members",
        "importIds",
        "e2e",
        "usernames",
        "archived",
    ] {
        assert!(
            room.get(hidden).is_none(),
            "{hidden} must not be in the room object: {room}"
        );
    }

    let reply = w
        .admin_invite(&json!({"roomId": w.room.id, "userIds": [bob.id, carol.id]}))
        .await;
    let room = expect_invited(kind, &reply);
    assert_eq!(room["msgs"], json!(msgs + 3), "one message per added user");
    assert_eq!(room["usersCount"], json!(users + 3));
    assert_eq!(
        w.counters().await,
        (msgs + 3, users + 3),
        "info agrees with the invite answer"
    );

    let members = w.h.members_reply(&w.h.admin, &w.room).await;
    assert_eq!(members.body["count"], json!(4));
    assert_eq!(members.body["total"], json!(4));
    assert_eq!(members.body["offset"], json!(0));
    assert_eq!(members.body["success"], json!(true));
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "alice", "bob", "carol"])
    );
}

/// addUsersToRoom: a member with the plain user role lacks add-user-to-joined-room →
/// error-not-allowed.
pub(crate) async fn plain_member_cannot_invite(kind: RoomKind) {
    let h = Harness::start().await;
    let (_, mia) = h.user_session("mia").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&h.admin, kind, "town", &["mia"]).await;
    let before = h.counters(&h.admin, &room).await;
    let reply = h
        .api
        .invite(&mia, kind, &json!({"roomId": room.id, "userId": xavier.id}))
        .await;
    assert_not_allowed(&reply);
    assert_eq!(h.counters(&h.admin, &room).await, before);
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        sorted(&[&h.admin_username, "mia"])
    );
}

/// addUsersToRoom and permissions.ts: a plain non-member holds neither any-c nor any-p by default.
pub(crate) async fn plain_non_member_cannot_invite(kind: RoomKind) {
    let w = World::new(kind).await;
    let (_, nils) = w.h.user_session("nils").await;
    let xavier = w.h.create_user("xavier").await;
    let reply = w
        .invite_as(&nils, &json!({"roomId": w.room.id, "userId": xavier.id}))
        .await;
    assert_not_allowed(&reply);
    assert_eq!(w.members().await, sorted(&[w.admin()]));
}

/// The routes resolve the invitees before addUsersToRoom checks the permission.
pub(crate) async fn unauthorised_caller_gets_users_errors_first(kind: RoomKind) {
    let h = Harness::start().await;
    let (_, mia) = h.user_session("mia").await;
    let room = h.create_room(&h.admin, kind, "town", &["mia"]).await;
    let reply = h
        .api
        .invite(
            &mia,
            kind,
            &json!({"roomId": room.id, "userIds": ["no-such-id"]}),
        )
        .await;
    assert_no_valid_users(kind, &reply);
    let reply = h.api.invite(&mia, kind, &json!({"roomId": room.id})).await;
    assert_error_body(
        &reply,
        400,
        USERS_PARAMS_NOT_PROVIDED,
        "error-users-params-not-provided",
    );
}

/// A member with the owner room role: the creator is owner; owner holds
/// add-user-to-joined-room in the room scope (permissions.ts @014c0860, service.ts @028925b2).
pub(crate) async fn room_owner_may_invite(kind: RoomKind) {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&olga, kind, "olgas", &[]).await;
    let reply = h
        .api
        .invite(
            &olga,
            kind,
            &json!({"roomId": room.id, "userId": xavier.id}),
        )
        .await;
    let invited = expect_invited(kind, &reply);
    assert_eq!(invited["usersCount"], json!(2));
    assert_eq!(
        h.member_names(&olga, &room).await,
        sorted(&["olga", "xavier"])
    );
}

/// A member with the moderator room role (granted by addModerator; service.ts @028925b2).
pub(crate) async fn room_moderator_may_invite(kind: RoomKind) {
    let h = Harness::start().await;
    let (mia_user, mia) = h.user_session("mia").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&h.admin, kind, "town", &["mia"]).await;
    let reply = h
        .room_role(&h.admin, &room, "addModerator", &mia_user)
        .await;
    reply.expect_status(200, "fixture: addModerator");
    assert_eq!(reply.body, json!({"success": true}));
    let reply = h
        .api
        .invite(&mia, kind, &json!({"roomId": room.id, "userId": xavier.id}))
        .await;
    expect_invited(kind, &reply);
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        sorted(&[&h.admin_username, "mia", "xavier"])
    );
}

/// permissions.ts @014c0860: `leader` is not among add-user-to-joined-room's default roles.
pub(crate) async fn room_leader_cannot_invite(kind: RoomKind) {
    let h = Harness::start().await;
    let (lea_user, lea) = h.user_session("lea").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&h.admin, kind, "town", &["lea"]).await;
    h.room_role(&h.admin, &room, "addLeader", &lea_user)
        .await
        .expect_status(200, "fixture: addLeader");
    let reply = h
        .api
        .invite(&lea, kind, &json!({"roomId": room.id, "userId": xavier.id}))
        .await;
    assert_not_allowed(&reply);
}

/// addUsersToRoom, a non-member granted any-c / any-p: 200 without joining.
pub(crate) async fn non_member_granted_any_room_permission_may_invite(kind: RoomKind) {
    let w = World::new(kind).await;
    let (permission, roles): (&str, &[&str]) = match kind {
        RoomKind::Channel => ("add-user-to-any-c-room", &["admin", "user"]),
        RoomKind::Group => ("add-user-to-any-p-room", &["user"]),
    };
    w.h.set_permission_roles(permission, roles).await;
    let (_, nils) = w.h.user_session("nils").await;
    let xavier = w.h.create_user("xavier").await;
    let reply = w
        .invite_as(&nils, &json!({"roomId": w.room.id, "userId": xavier.id}))
        .await;
    expect_invited(kind, &reply);
    assert_eq!(
        w.members().await,
        sorted(&[w.admin(), "xavier"]),
        "the caller did not join"
    );
}

/// service.ts / addUsersToRoom: with add-user-to-joined-room taken from `owner`, a plain owner is
/// refused.
pub(crate) async fn owner_without_joined_room_permission_is_not_allowed(kind: RoomKind) {
    let h = Harness::start().await;
    h.set_permission_roles("add-user-to-joined-room", &["admin", "moderator"])
        .await;
    let (_, olga) = h.user_session("olga").await;
    let xavier = h.create_user("xavier").await;
    let room = h.create_room(&olga, kind, "olgas", &[]).await;
    let reply = h
        .api
        .invite(
            &olga,
            kind,
            &json!({"roomId": room.id, "userId": xavier.id}),
        )
        .await;
    assert_not_allowed(&reply);
    assert_eq!(h.member_names(&olga, &room).await, sorted(&["olga"]));
}

/// channels.ts / groups.ts, a room of the other type or a DM: a room of the other kind, a DM, an
/// unknown id or
/// an unknown name → error-room-not-found.
pub(crate) async fn other_room_kinds_and_unknown_rooms_are_not_found(kind: RoomKind) {
    let w = World::new(kind).await;
    let alice = w.h.create_user("alice").await;
    let other_kind = match kind {
        RoomKind::Channel => RoomKind::Group,
        RoomKind::Group => RoomKind::Channel,
    };
    let other =
        w.h.create_room(&w.h.admin, other_kind, "elsewhere", &[])
            .await;
    let dm =
        w.h.api
            .post(
                Some(&w.h.admin),
                "/api/v1/im.create",
                &json!({"username": "alice"}),
            )
            .await;
    dm.expect_status(200, "fixture: im.create");
    let dm_id = dm.body["room"]["_id"]
        .as_str()
        .expect("im.create returns room._id")
        .to_owned();
    for body in [
        json!({"roomId": other.id, "userId": alice.id}),
        json!({"roomName": "elsewhere", "userId": alice.id}),
        json!({"roomId": dm_id, "userId": alice.id}),
        json!({"roomId": "no-such-room", "userId": alice.id}),
        json!({"roomName": "no-such-room", "userId": alice.id}),
        json!({"roomId": "no-such-room"}),
    ] {
        let reply = w.admin_invite(&body).await;
        assert_room_not_found(kind, &reply);
    }
}
