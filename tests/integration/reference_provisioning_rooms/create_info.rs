//! channels/groups create and info.

use super::*;

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
