//! The room-role endpoints (service.ts @028925b2).

use super::*;

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
