//! Who gets invited: the user list of the body (getUserListFromParams) and what adding
//! them does to the room (addUsersToRoom, addUserToRoom).

use super::*;

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
