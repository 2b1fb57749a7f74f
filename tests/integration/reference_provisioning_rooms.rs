//! Black-box tests of the room-side provisioning endpoints of the reference server
//! (Rocket.Chat's routes; room roles: `apps/meteor/server/services/authorization/service.ts`
//! @028925b2; groups.* behind `findPrivateGroupByIdOrName` of
//! `apps/meteor/app/api/server/v1/groups.ts` @acf7dd00): channels/groups create, delete, archive,
//! setReadOnly, info, members, the room-role endpoints, and im.create.

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, Room, RoomKind, assert_error_type, assert_not_allowed, assert_room_not_found, sorted,
};
use serde_json::json;

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

// ---- create / info ---------------------------------------------------------------------------

#[tokio::test]
async fn create_makes_the_creator_owner_and_adds_only_known_members() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (olga_user, olga) = h.user_session("olga").await;
        h.create_user("alice").await;
        let reply = h
            .api
            .post(
                Some(&olga),
                &kind.route("create"),
                &json!({"name": "olgas", "members": ["alice", "ghost"]}),
            )
            .await;
        reply.expect_status(200, &format!("{}.create", kind.prefix()));
        assert_eq!(reply.keys(), sorted(&[kind.key(), "success"]));
        assert_eq!(reply.body["success"], json!(true));
        let room = &reply.body[kind.key()];
        let id = room["_id"]
            .as_str()
            .expect("the new room has an _id")
            .to_owned();
        assert_eq!(room["t"], json!(kind.t()));
        assert_eq!(room["name"], json!("olgas"));
        assert_eq!(room["u"]["_id"], json!(olga_user.id));
        assert_eq!(room["u"]["username"], json!("olga"));
        assert_eq!(
            room["usersCount"],
            json!(2),
            "creator + alice; ghost skipped"
        );
        assert_eq!(
            room["msgs"],
            json!(0),
            "members added at creation get no au message"
        );
        assert_eq!(room["ro"], json!(false));

        let room = Room {
            id,
            name: "olgas".to_owned(),
            kind,
        };
        let info = h.room_info(&olga, &room).await;
        assert_eq!(info["_id"], json!(room.id));
        assert_eq!(info["t"], json!(kind.t()));
        assert_eq!(info["usersCount"], json!(2));
        assert_eq!(
            h.member_names(&olga, &room).await,
            sorted(&["alice", "olga"])
        );
        let reply = h.room_role(&olga, &room, "addOwner", &olga_user).await;
        assert_error_type(&reply, 400, "error-user-already-owner");
    }
}

#[tokio::test]
async fn create_with_read_only_sets_ro() {
    for kind in KINDS {
        let h = Harness::start().await;
        let reply = h
            .api
            .post(
                Some(&h.admin),
                &kind.route("create"),
                &json!({"name": "news", "readOnly": true}),
            )
            .await;
        reply.expect_status(200, "create readOnly");
        assert_eq!(reply.body[kind.key()]["ro"], json!(true));
    }
}

#[tokio::test]
async fn duplicate_room_name_is_error_duplicate_channel_name() {
    for kind in KINDS {
        let h = Harness::start().await;
        h.create_room(&h.admin, kind, "town", &[]).await;
        let reply = h
            .api
            .post(
                Some(&h.admin),
                &kind.route("create"),
                &json!({"name": "town"}),
            )
            .await;
        assert_error_type(&reply, 400, "error-duplicate-channel-name");
    }
}

#[tokio::test]
async fn invalid_room_name_is_error_invalid_room_name() {
    for kind in KINDS {
        let h = Harness::start().await;
        for name in ["has space", "semi;colon", "slash/name"] {
            let reply = h
                .api
                .post(
                    Some(&h.admin),
                    &kind.route("create"),
                    &json!({"name": name}),
                )
                .await;
            assert_error_type(&reply, 400, "error-invalid-room-name");
        }
    }
}

#[tokio::test]
async fn channels_create_without_create_c_is_403_unauthorized() {
    let h = Harness::start().await;
    h.set_permission_roles("create-c", &["admin"]).await;
    let (_, alice) = h.user_session("alice").await;
    let reply = h
        .api
        .post(
            Some(&alice),
            "/api/v1/channels.create",
            &json!({"name": "mine"}),
        )
        .await;
    reply.expect_status(403, "channels.create without create-c");
    assert_eq!(
        reply.body,
        json!({"success": false, "error": "unauthorized"})
    );
}

#[tokio::test]
async fn groups_info_and_members_hide_the_group_from_a_non_member_admin() {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let room = h.create_room(&olga, RoomKind::Group, "olgas", &[]).await;
    for method in ["info", "members"] {
        let reply = h
            .api
            .get(
                Some(&h.admin),
                &room.kind.route(method),
                &[("roomId", room.id.as_str())],
            )
            .await;
        assert_error_type(&reply, 400, "error-room-not-found");
    }
}

// ---- delete / archive / setReadOnly ------------------------------------------------------------

#[tokio::test]
async fn channels_delete_removes_the_channel() {
    let h = Harness::start().await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let alice = h.create_user("alice").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/channels.delete",
            &json!({"roomId": room.id}),
        )
        .await;
    reply.expect_status(200, "channels.delete");
    assert_eq!(reply.body, json!({"success": true}));
    let reply = h
        .api
        .get(
            Some(&h.admin),
            "/api/v1/channels.info",
            &[("roomId", room.id.as_str())],
        )
        .await;
    assert_room_not_found(RoomKind::Channel, &reply);
    let reply = h
        .api
        .invite(
            &h.admin,
            RoomKind::Channel,
            &json!({"roomId": room.id, "userId": alice.id}),
        )
        .await;
    assert_room_not_found(RoomKind::Channel, &reply);
}

#[tokio::test]
async fn groups_delete_needs_a_member_and_removes_the_group() {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let alice = h.create_user("alice").await;
    let room = h.create_room(&olga, RoomKind::Group, "olgas", &[]).await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/groups.delete",
            &json!({"roomId": room.id}),
        )
        .await;
    assert_error_type(&reply, 400, "error-room-not-found");
    let reply = h
        .api
        .post(
            Some(&olga),
            "/api/v1/groups.delete",
            &json!({"roomId": room.id}),
        )
        .await;
    reply.expect_status(200, "groups.delete by the owner");
    assert_eq!(reply.body, json!({"success": true}));
    let reply = h
        .api
        .invite(
            &olga,
            RoomKind::Group,
            &json!({"roomId": room.id, "userId": alice.id}),
        )
        .await;
    assert_room_not_found(RoomKind::Group, &reply);
}

#[tokio::test]
async fn archive_twice_is_error_room_archived_and_unarchive_restores_invites() {
    for kind in KINDS {
        let h = Harness::start().await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        let alice = h.create_user("alice").await;
        let body = json!({"roomId": room.id});
        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("archive"), &body)
            .await;
        reply.expect_status(200, "archive");
        assert_eq!(reply.body, json!({"success": true}));
        if kind == RoomKind::Channel {
            assert_eq!(h.room_info(&h.admin, &room).await["archived"], json!(true));
        }
        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("archive"), &body)
            .await;
        assert_error_type(&reply, 400, "error-room-archived");

        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("unarchive"), &body)
            .await;
        reply.expect_status(200, "unarchive");
        assert_eq!(reply.body, json!({"success": true}));
        assert_ne!(h.room_info(&h.admin, &room).await["archived"], json!(true));
        let reply = h
            .api
            .invite(
                &h.admin,
                kind,
                &json!({"roomId": room.id, "userId": alice.id}),
            )
            .await;
        expect_invited(kind, &reply);
    }
}

#[tokio::test]
async fn set_read_only_toggles_and_refuses_the_same_value() {
    for kind in KINDS {
        let h = Harness::start().await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        let set = |ro: bool| json!({"roomId": room.id, "readOnly": ro});
        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("setReadOnly"), &set(true))
            .await;
        reply.expect_status(200, "setReadOnly true");
        assert_eq!(reply.body["success"], json!(true));
        assert_eq!(reply.body[kind.key()]["ro"], json!(true));
        assert_eq!(reply.body[kind.key()]["_id"], json!(room.id));

        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("setReadOnly"), &set(true))
            .await;
        reply.expect_status(400, "setReadOnly same value");
        let what = match kind {
            RoomKind::Channel => "channel",
            RoomKind::Group => "private group",
        };
        assert_eq!(
            reply.body,
            json!({
                "success": false,
                "error": format!("The {what} read only setting is the same as what it would be changed to."),
            })
        );

        let reply = h
            .api
            .post(Some(&h.admin), &kind.route("setReadOnly"), &set(false))
            .await;
        reply.expect_status(200, "setReadOnly false");
        assert_eq!(reply.body[kind.key()]["ro"], json!(false));
    }
}

// ---- members / im.create -----------------------------------------------------------------------

#[tokio::test]
async fn members_lists_active_members_only() {
    for kind in KINDS {
        let h = Harness::start().await;
        h.create_user("alice").await;
        let bob = h.create_user("bob").await;
        let room = h
            .create_room(&h.admin, kind, "town", &["alice", "bob"])
            .await;
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&[&h.admin_username, "alice", "bob"])
        );
        h.set_active(&bob, false).await;
        let reply = h.members_reply(&h.admin, &room).await;
        assert_eq!(reply.body["success"], json!(true));
        assert_eq!(reply.body["count"], json!(2), "count is the page length");
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&[&h.admin_username, "alice"])
        );
    }
}

#[tokio::test]
async fn im_create_returns_a_direct_room_that_invites_do_not_accept() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let bob = h.create_user("bob").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/im.create",
            &json!({"username": "alice"}),
        )
        .await;
    reply.expect_status(200, "im.create");
    assert_eq!(reply.body["success"], json!(true));
    let room = &reply.body["room"];
    let id = room["_id"].as_str().expect("im.create returns room._id");
    assert_eq!(room["rid"], json!(id));
    assert_eq!(room["t"], json!("d"));
    let mut usernames: Vec<String> =
        serde_json::from_value(room["usernames"].clone()).expect("usernames array");
    usernames.sort();
    assert_eq!(usernames, sorted(&[&h.admin_username, &alice.username]));
    for kind in KINDS {
        let reply = h
            .api
            .invite(&h.admin, kind, &json!({"roomId": id, "userId": bob.id}))
            .await;
        assert_room_not_found(kind, &reply);
    }
}

// ---- room roles (service.ts @028925b2) -----------------------------------------------------------

#[tokio::test]
async fn room_role_endpoints_grant_refuse_twice_and_revoke() {
    for kind in KINDS {
        let h = Harness::start().await;
        let alice = h.create_user("alice").await;
        let bob = h.create_user("bob").await;
        let room = h.create_room(&h.admin, kind, "town", &["alice"]).await;
        for (role, already) in [
            ("Owner", "error-user-already-owner"),
            ("Moderator", "error-user-already-moderator"),
            ("Leader", "error-user-already-leader"),
        ] {
            let add = format!("add{role}");
            let remove = format!("remove{role}");
            let reply = h.room_role(&h.admin, &room, &add, &alice).await;
            reply.expect_status(200, &add);
            assert_eq!(
                reply.body,
                json!({"success": true}),
                "{}.{add}",
                kind.prefix()
            );
            assert_error_type(
                &h.room_role(&h.admin, &room, &add, &alice).await,
                400,
                already,
            );
            assert_error_type(
                &h.room_role(&h.admin, &room, &add, &bob).await,
                400,
                "error-user-not-in-room",
            );
            let reply = h.room_role(&h.admin, &room, &remove, &alice).await;
            reply.expect_status(200, &remove);
            assert_eq!(
                reply.body,
                json!({"success": true}),
                "{}.{remove}",
                kind.prefix()
            );
            h.room_role(&h.admin, &room, &add, &alice)
                .await
                .expect_status(200, "grant again after revoke");
        }
    }
}

#[tokio::test]
async fn room_role_endpoints_validate_the_target_user() {
    for kind in KINDS {
        let h = Harness::start().await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        let route = kind.route("addModerator");
        let reply = h
            .api
            .post(Some(&h.admin), &route, &json!({"roomId": room.id}))
            .await;
        assert_error_type(&reply, 400, "error-user-param-not-provided");
        let reply = h
            .api
            .post(
                Some(&h.admin),
                &route,
                &json!({"roomId": room.id, "userId": "no-such-id"}),
            )
            .await;
        assert_error_type(&reply, 400, "error-invalid-user");
    }
}

#[tokio::test]
async fn revoking_moderator_takes_away_the_right_to_invite() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (mia_user, mia) = h.user_session("mia").await;
        let x = h.create_user("xavier").await;
        let y = h.create_user("yuri").await;
        let room = h.create_room(&h.admin, kind, "town", &["mia"]).await;
        h.room_role(&h.admin, &room, "addModerator", &mia_user)
            .await
            .expect_status(200, "addModerator");
        expect_invited(
            kind,
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": x.id}))
                .await,
        );
        h.room_role(&h.admin, &room, "removeModerator", &mia_user)
            .await
            .expect_status(200, "removeModerator");
        assert_not_allowed(
            &h.api
                .invite(&mia, kind, &json!({"roomId": room.id, "userId": y.id}))
                .await,
        );
    }
}

#[tokio::test]
async fn groups_room_roles_hide_the_group_from_a_non_member_admin() {
    let h = Harness::start().await;
    let (_, olga) = h.user_session("olga").await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&olga, RoomKind::Group, "olgas", &["alice"])
        .await;
    let reply = h.room_role(&h.admin, &room, "addOwner", &alice).await;
    assert_error_type(&reply, 400, "error-room-not-found");
}

#[tokio::test]
async fn members_honours_count_and_offset() {
    for kind in KINDS {
        let h = Harness::start().await;
        for name in ["alice", "bob", "carol"] {
            h.create_user(name).await;
        }
        let room = h
            .create_room(&h.admin, kind, "town", &["alice", "bob", "carol"])
            .await;
        let reply = h
            .api
            .get(
                Some(&h.admin),
                &kind.route("members"),
                &[
                    ("roomId", room.id.as_str()),
                    ("count", "2"),
                    ("offset", "1"),
                ],
            )
            .await;
        reply.expect_status(200, "members page");
        assert_eq!(
            reply.body["members"].as_array().map(Vec::len),
            Some(2),
            "{reply:#?}"
        );
        assert_eq!(reply.body["count"], json!(2));
        assert_eq!(reply.body["offset"], json!(1));
        assert_eq!(reply.body["total"], json!(4));
    }
}

#[tokio::test]
async fn room_owner_may_grant_room_roles_but_a_plain_member_may_not() {
    // permissions.ts @014c0860: set-owner / set-moderator / set-leader are held by admin and owner
    // (room scope).
    for kind in KINDS {
        let h = Harness::start().await;
        let (_, olga) = h.user_session("olga").await;
        let (alice_user, alice) = h.user_session("alice").await;
        let bob = h.create_user("bob").await;
        let room = h.create_room(&olga, kind, "olgas", &["alice", "bob"]).await;
        let reply = h.room_role(&alice, &room, "addModerator", &bob).await;
        assert_eq!(
            reply.body["success"],
            json!(false),
            "a plain member cannot grant: {reply:#?}"
        );
        assert!(
            reply.status == 400 || reply.status == 403,
            "refused: {reply:#?}"
        );
        for method in ["addModerator", "addLeader", "addOwner"] {
            let reply = h.room_role(&olga, &room, method, &alice_user).await;
            reply.expect_status(200, &format!("owner {method}"));
            assert_eq!(reply.body, json!({"success": true}));
        }
        // Now an owner herself, alice may grant too.
        h.room_role(&alice, &room, "addModerator", &bob)
            .await
            .expect_status(200, "new owner grants");
    }
}
