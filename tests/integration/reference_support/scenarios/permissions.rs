//! Who may invite: room roles, global permissions, and the rooms the route does not serve.

use super::*;

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
