//! channels/groups delete, archive and setReadOnly.

use super::*;

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
