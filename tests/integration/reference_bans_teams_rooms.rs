//! Black-box tests of the rooms the invites meet beyond plain channels and groups: bans (the
//! 2026 feature, from 8.3.0 on), team main rooms, discussions and livechat rooms.

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, RoomKind, assert_not_allowed, assert_room_not_found, config_with_version, sorted,
};
use serde_json::json;

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

/// The invite refusal of a banned user.
fn banned_refusal() -> serde_json::Value {
    json!({"success": false, "error": "User is banned from this room [error-user-is-banned]",
           "errorType": "error-user-is-banned", "details": {"method": "addUsersToRoom"}})
}

#[tokio::test]
async fn a_banned_user_is_no_member_and_cannot_be_invited_until_unbanned() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (alice, alice_session) = h.user_session("alice").await;
        let room = h.create_room(&h.admin, kind, "town", &["alice"]).await;
        let (msgs, users) = h.counters(&h.admin, &room).await;
        let reply = h.ban(&h.admin, &room, &alice, true).await;
        reply.expect_status(200, "rooms.banUser");
        assert_eq!(reply.body, json!({"success": true}));
        assert_eq!(h.member_names(&h.admin, &room).await, sorted(&["rc-admin"]));
        assert_eq!(h.counters(&h.admin, &room).await, (msgs + 1, users - 1));
        assert_eq!(h.message_types(&room).await[0], "user-banned");
        let info = h
            .api
            .get(
                Some(&alice_session),
                &kind.route("info"),
                &[("roomId", &room.id)],
            )
            .await;
        assert_ne!(info.status, 200, "a banned user cannot read the room");
        for unban_before_add in [None, Some(true)] {
            let mut body = json!({"roomId": room.id, "userId": alice.id});
            if let Some(flag) = unban_before_add {
                body["unbanBeforeAdd"] = json!(flag);
            }
            let reply = h.api.invite(&h.admin, kind, &body).await;
            reply.expect_status(400, "invite of a banned user");
            assert_eq!(
                reply.body,
                banned_refusal(),
                "unbanBeforeAdd {unban_before_add:?}"
            );
        }
        h.ban(&h.admin, &room, &alice, false)
            .await
            .expect_status(200, "rooms.unbanUser");
        assert_eq!(h.message_types(&room).await[0], "user-unbanned");
        assert_eq!(
            h.counters(&h.admin, &room).await.1,
            users - 1,
            "unbanning adds nobody"
        );
        let back = expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        assert_eq!(back["usersCount"], json!(users));
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&["alice", "rc-admin"])
        );
    }
}

#[tokio::test]
async fn banning_needs_ban_user_and_a_member() {
    let h = Harness::start().await;
    let (_, mia) = h.user_session("mia").await;
    let stranger = h.create_user("stranger").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &["mia"])
        .await;
    let reply = h.ban(&mia, &room, &stranger, true).await;
    reply.expect_status(400, "ban by a plain member");
    assert_eq!(
        reply.body,
        json!({"success": false, "error": "Not allowed"})
    );
    let reply = h.ban(&h.admin, &room, &stranger, true).await;
    assert_eq!(
        reply.body,
        json!({"success": false, "error": "User is not in this room"})
    );
    let reply = h.ban(&h.admin, &room, &stranger, false).await;
    assert_eq!(reply.body["errorType"], json!("error-user-not-banned"));
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/rooms.banUser",
            &json!({"userId": stranger.id}),
        )
        .await;
    assert_eq!(reply.body["errorType"], json!("error-invalid-params"));
}

#[tokio::test]
async fn releases_before_8_3_have_no_ban_endpoints() {
    let h = Harness::start_with(config_with_version("8.2.0")).await;
    for path in ["/api/v1/rooms.banUser", "/api/v1/rooms.unbanUser"] {
        let reply = h
            .api
            .post(Some(&h.admin), path, &json!({"roomId": "x"}))
            .await;
        reply.expect_status(404, path);
        assert_eq!(
            reply.body,
            json!({"success": false, "error": "Resource not found"})
        );
    }
}

#[tokio::test]
async fn typed_9x_routes_treat_unban_before_add_by_their_schemas() {
    let h = Harness::start_with(config_with_version("9.0.0")).await;
    let alice = h.create_user("alice").await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("room-{}", kind.t()), &[])
            .await;
        expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        h.ban(&h.admin, &room, &alice, true)
            .await
            .expect_status(200, "ban");
        let body = json!({"roomId": room.id, "userId": alice.id, "unbanBeforeAdd": true});
        let reply = h.api.invite(&h.admin, kind, &body).await;
        let expected = match kind {
            RoomKind::Channel => "error-invalid-params",
            RoomKind::Group => "error-user-is-banned",
        };
        assert_eq!(
            reply.body["errorType"],
            json!(expected),
            "{}",
            kind.prefix()
        );
    }
}

#[tokio::test]
async fn a_team_main_room_belongs_to_its_team_and_invites_join_the_team() {
    for kind in KINDS {
        let h = Harness::start().await;
        let bob = h.create_user("bob").await;
        let alice = h.create_user("alice").await;
        let (team, room) = h
            .create_team(&h.admin, "crew", kind, &[bob.id.as_str()])
            .await;
        assert_eq!(team["name"], json!("crew"));
        assert_eq!(
            team["type"],
            json!(if kind == RoomKind::Group { 1 } else { 0 })
        );
        let info = h.room_info(&h.admin, &room).await;
        assert_eq!(
            (&info["t"], &info["teamMain"]),
            (&json!(kind.t()), &json!(true))
        );
        assert_eq!(info["teamId"], team["_id"]);
        assert_eq!((&info["msgs"], &info["usersCount"]), (&json!(0), &json!(2)));
        assert_eq!(
            info["u"]["_id"],
            json!(h.admin.user_id),
            "owned by the creator"
        );
        assert_eq!(
            h.team_member_names("crew").await,
            sorted(&["bob", "rc-admin"])
        );
        let answer = expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        assert_eq!(answer["msgs"], json!(1));
        let message = &h.messages(&room).await[0];
        assert_eq!(
            (&message["t"], &message["msg"]),
            (&json!("added-user-to-team"), &json!("alice"))
        );
        assert_eq!(
            h.team_member_names("crew").await,
            sorted(&["alice", "bob", "rc-admin"])
        );
        let reply = h
            .api
            .post(
                Some(&h.admin),
                "/api/v1/teams.delete",
                &json!({"teamName": "crew"}),
            )
            .await;
        assert_eq!(reply.body, json!({"success": true}));
        let gone = h
            .api
            .get(Some(&h.admin), &kind.route("info"), &[("roomId", &room.id)])
            .await;
        assert_eq!(gone.body["errorType"], json!("error-room-not-found"));
    }
}

#[tokio::test]
async fn teams_need_create_team_and_a_free_name() {
    let h = Harness::start().await;
    h.set_permission_roles("create-team", &["admin"]).await;
    let (_, plain) = h.user_session("plain").await;
    let body = json!({"name": "crew", "type": 0});
    h.api
        .post(Some(&plain), "/api/v1/teams.create", &body)
        .await
        .expect_status(403, "no create-team");
    h.create_room(&h.admin, RoomKind::Channel, "taken", &[])
        .await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/teams.create",
            &json!({"name": "taken", "type": 0}),
        )
        .await;
    assert_eq!(
        reply.body,
        json!({"success": false, "error": "room-name-already-exists"})
    );
}

#[tokio::test]
async fn a_discussion_takes_its_parents_type_and_accepts_invites() {
    for kind in KINDS {
        let h = Harness::start().await;
        h.create_user("alice").await;
        let bob = h.create_user("bob").await;
        let parent = h.create_room(&h.admin, kind, "town", &[]).await;
        let (discussion, room) = h
            .create_discussion(&h.admin, &parent, "Plans", &["alice"])
            .await;
        assert_eq!(discussion["t"], json!(kind.t()));
        assert_eq!(
            (&discussion["prid"], &discussion["fname"]),
            (&json!(parent.id), &json!("Plans"))
        );
        assert_ne!(
            discussion["name"],
            json!("Plans"),
            "the name is a random id"
        );
        assert_eq!(discussion["rid"], discussion["_id"]);
        let pointer = &h.messages(&parent).await[0];
        assert_eq!(
            (&pointer["t"], &pointer["msg"]),
            (&json!("discussion-created"), &json!("Plans"))
        );
        assert_eq!(pointer["drid"], discussion["_id"]);
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&["alice", "rc-admin"])
        );
        expect_invited(kind, &h.invite_user(&h.admin, &room, &bob).await);
        assert_eq!(h.message_types(&room).await[0], "au");
        let reply = h
            .api
            .post(
                Some(&h.admin),
                &kind.route("delete"),
                &json!({"roomId": room.id}),
            )
            .await;
        assert_eq!(reply.body, json!({"success": true}));
    }
}

#[tokio::test]
async fn a_livechat_room_passes_the_channel_lookup_but_nobody_may_invite() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let room = h.livechat_room("visitor-token").await;
    assert_eq!((&room["t"], &room["open"]), (&json!("l"), &json!(true)));
    let rid = room["_id"].as_str().unwrap_or_default().to_owned();
    let again = h
        .api
        .get(None, "/api/v1/livechat/room", &[("token", "visitor-token")])
        .await;
    assert_eq!(
        (&again.body["room"]["_id"], &again.body["newRoom"]),
        (&json!(rid), &json!(false))
    );
    let body = json!({"roomId": rid, "userId": alice.id});
    assert_not_allowed(&h.api.invite(&h.admin, RoomKind::Channel, &body).await);
    assert_room_not_found(
        RoomKind::Group,
        &h.api.invite(&h.admin, RoomKind::Group, &body).await,
    );
    let delete = |rid: String| {
        let api = h.api.clone();
        let admin = h.admin.clone();
        async move {
            api.post(
                Some(&admin),
                "/api/v1/channels.delete",
                &json!({"roomId": rid}),
            )
            .await
        }
    };
    assert_eq!(
        delete(rid.clone()).await.body["errorType"],
        json!("error-not-allowed")
    );
    let closed = h
        .api
        .post(
            None,
            "/api/v1/livechat/room.close",
            &json!({"rid": rid, "token": "visitor-token"}),
        )
        .await;
    closed.expect_status(200, "livechat/room.close");
    assert_eq!(delete(rid).await.body, json!({"success": true}));
}

#[tokio::test]
async fn deleting_a_visitor_refuses_an_open_room_and_then_removes_its_rooms() {
    let h = Harness::start().await;
    let room = h.livechat_room("leaving-visitor").await;
    let rid = room["_id"].as_str().unwrap_or_default().to_owned();
    let path = "/api/v1/livechat/visitor/leaving-visitor";
    let delete =
        || super::reference_support::read(h.api.request(reqwest::Method::DELETE, path, None));
    let refused = delete().await;
    refused.expect_status(400, "a visitor with an open room");
    assert_eq!(refused.body["errorType"], json!("visitor-has-open-rooms"));
    h.api
        .post(
            None,
            "/api/v1/livechat/room.close",
            &json!({"rid": rid, "token": "leaving-visitor"}),
        )
        .await
        .expect_status(200, "livechat/room.close");
    let removed = delete().await;
    removed.expect_status(200, "DELETE livechat/visitor/:token");
    assert_eq!(removed.body["success"], json!(true));
    let info = h
        .api
        .get(Some(&h.admin), "/api/v1/channels.info", &[("roomId", &rid)])
        .await;
    assert_eq!(
        info.status, 400,
        "the room went with its visitor: {}",
        info.text
    );
    let gone = h
        .api
        .get(
            None,
            "/api/v1/livechat/room",
            &[("token", "leaving-visitor")],
        )
        .await;
    assert_eq!(gone.body["error"], json!("invalid-token"));
    assert_eq!(delete().await.body["error"], json!("invalid-token"));
}
