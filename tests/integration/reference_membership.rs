//! Black-box tests of the reference server's membership surface around the invites: kicks and
//! leaves and the invite that follows them, the messages every membership change records,
//! `channels.messages` / `groups.messages`, concurrent invites, the room object of the 200
//! answer, and federated-looking usernames.

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, Reply, Room, RoomKind, Session, assert_no_valid_users, assert_not_allowed,
    config_with_version, sorted,
};
use serde_json::{Value, json};

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

/// The kind's 200 answer of kick and leave: channels re-read the channel, groups say nothing.
fn assert_departure_answer(kind: RoomKind, reply: &Reply, room: &Room) {
    reply.expect_status(200, "departure");
    match kind {
        RoomKind::Channel => assert_eq!(reply.body["channel"]["_id"], json!(room.id)),
        RoomKind::Group => assert_eq!(reply.body, json!({"success": true})),
    }
}

#[tokio::test]
async fn a_kicked_user_leaves_with_an_ru_message_and_can_be_invited_again() {
    for kind in KINDS {
        let h = Harness::start().await;
        let alice = h.create_user("alice").await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        let (msgs, users) = h.counters(&h.admin, &room).await;
        assert_departure_answer(kind, &h.kick(&h.admin, &room, &alice).await, &room);
        assert_eq!(h.member_names(&h.admin, &room).await, sorted(&["rc-admin"]));
        assert_eq!(h.counters(&h.admin, &room).await, (msgs + 1, users - 1));
        let kicked = &h.messages(&room).await[0];
        assert_eq!(kicked["t"], json!("ru"));
        assert_eq!(kicked["msg"], json!("alice"));
        assert_eq!(
            kicked["u"]["_id"],
            json!(h.admin.user_id),
            "u is the remover"
        );
        let back = expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        assert_eq!(back["usersCount"], json!(users), "a fresh subscription");
        assert_eq!(back["msgs"], json!(msgs + 2));
        assert_eq!(h.message_types(&room).await[0], "au");
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&["alice", "rc-admin"])
        );
    }
}

#[tokio::test]
async fn a_user_who_left_has_a_ul_message_and_can_be_invited_again() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (bob, bob_session) = h.user_session("bob").await;
        let room = h.create_room(&h.admin, kind, "town", &["bob"]).await;
        let (msgs, users) = h.counters(&h.admin, &room).await;
        assert_departure_answer(kind, &h.leave(&bob_session, &room).await, &room);
        assert_eq!(h.counters(&h.admin, &room).await, (msgs + 1, users - 1));
        let left = &h.messages(&room).await[0];
        assert_eq!((&left["t"], &left["msg"]), (&json!("ul"), &json!("bob")));
        assert_eq!(left["u"]["_id"], json!(bob.id), "u is the user who left");
        expect_invited(kind, &h.invite_user(&h.admin, &room, &bob).await);
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&["bob", "rc-admin"])
        );
        assert_eq!(h.counters(&h.admin, &room).await, (msgs + 2, users));
    }
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_kicked() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (olga, olga_session) = h.user_session("olga").await;
        let room = h.create_room(&olga_session, kind, "olgas", &[]).await;
        let reply = h.leave(&olga_session, &room).await;
        reply.expect_status(400, "last owner leaves");
        assert_eq!(
            reply.body,
            json!({"success": false,
                   "error": "You are the last owner. Please set new owner before leaving the room. [error-you-are-last-owner]",
                   "errorType": "error-you-are-last-owner", "details": {"method": "leaveRoom"}})
        );
        // The admin kicks from any channel; outside a group, without
        // kick-user-from-any-p-room, it cannot see the group at all.
        let expected = match kind {
            RoomKind::Channel => "error-you-are-last-owner",
            RoomKind::Group => "error-room-not-found",
        };
        let reply = h.kick(&h.admin, &room, &olga).await;
        assert_eq!(reply.body["errorType"], json!(expected));
        assert_eq!(
            h.member_names(&olga_session, &room).await,
            sorted(&["olga"])
        );
    }
}

#[tokio::test]
async fn kicking_needs_remove_user_and_a_subscribed_target() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (_, olga) = h.user_session("olga").await;
        let (_, mia) = h.user_session("mia").await;
        let stranger = h.create_user("stranger").await;
        let room = h.create_room(&olga, kind, "olgas", &["mia"]).await;
        let reply = h.kick(&mia, &room, &stranger).await;
        reply.expect_status(400, "kick by a plain member");
        assert_eq!(reply.body["errorType"], json!("error-not-allowed"));
        assert_eq!(
            reply.body["details"],
            json!({"method": "removeUserFromRoom"})
        );
        let reply = h.kick(&olga, &room, &stranger).await;
        reply.expect_status(400, "kick of a non-member");
        assert_eq!(
            reply.body,
            json!({"success": false, "error": "User is not in this room [error-user-not-in-room]",
                   "errorType": "error-user-not-in-room", "details": {"method": "removeUserFromRoom"}})
        );
    }
}

#[tokio::test]
async fn an_invite_records_an_au_message_document() {
    for kind in KINDS {
        let h = Harness::start().await;
        let alice = h.create_user("alice").await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        expect_invited(kind, &h.invite_user(&h.admin, &room, &alice).await);
        let message = h.messages(&room).await[0].clone();
        let mut keys: Vec<&str> = message
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "_id",
                "_updatedAt",
                "groupable",
                "msg",
                "rid",
                "t",
                "ts",
                "u"
            ]
        );
        assert_eq!(message["t"], json!("au"));
        assert_eq!(message["rid"], json!(room.id));
        assert_eq!(message["msg"], json!("alice"));
        assert_eq!(
            message["u"],
            json!({"_id": h.admin.user_id, "username": h.admin_username})
        );
    }
}

#[tokio::test]
async fn a_bulk_invite_records_one_au_per_added_user_and_none_for_members() {
    for kind in KINDS {
        let h = Harness::start().await;
        let (a, b) = (h.create_user("alice").await, h.create_user("bob").await);
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        let body = json!({"roomId": room.id, "userIds": [a.id, b.id, h.admin.user_id]});
        expect_invited(kind, &h.api.invite(&h.admin, kind, &body).await);
        let au: Vec<String> = h
            .messages(&room)
            .await
            .iter()
            .filter(|m| m["t"] == json!("au"))
            .map(|m| m["msg"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            sorted(&au.iter().map(String::as_str).collect::<Vec<_>>()),
            sorted(&["alice", "bob"])
        );
        let before = h.messages(&room).await.len();
        expect_invited(kind, &h.invite_user(&h.admin, &room, &a).await);
        assert_eq!(
            h.messages(&room).await.len(),
            before,
            "re-inviting a member records nothing"
        );
    }
}

#[tokio::test]
async fn messages_come_newest_first_and_page_like_other_listings() {
    let h = Harness::start().await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    for name in ["u1", "u2", "u3"] {
        let user = h.create_user(name).await;
        expect_invited(
            RoomKind::Channel,
            &h.invite_user(&h.admin, &room, &user).await,
        );
    }
    let names = |reply: &Reply| -> Vec<String> {
        reply.body["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["msg"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let newest = h.messages_reply(&h.admin, &room, &[]).await;
    assert_eq!(names(&newest), ["u3", "u2", "u1"]);
    assert_eq!(newest.body["total"], json!(3));
    let oldest = h
        .messages_reply(&h.admin, &room, &[("sort", r#"{"ts":1}"#)])
        .await;
    assert_eq!(names(&oldest), ["u1", "u2", "u3"]);
    let page = h
        .messages_reply(&h.admin, &room, &[("count", "1"), ("offset", "1")])
        .await;
    assert_eq!(names(&page), ["u2"]);
    assert_eq!(
        (
            &page.body["count"],
            &page.body["offset"],
            &page.body["total"]
        ),
        (&json!(1), &json!(1), &json!(3))
    );
}

#[tokio::test]
async fn only_those_who_can_read_the_room_get_its_messages() {
    let h = Harness::start().await;
    let (_, outsider) = h.user_session("outsider").await;
    let channel = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let group = h.create_room(&h.admin, RoomKind::Group, "club", &[]).await;
    h.messages_reply(&outsider, &channel, &[])
        .await
        .expect_status(200, "view-c-room reads");
    let reply = h.messages_reply(&outsider, &group, &[]).await;
    assert_eq!(reply.body["errorType"], json!("error-room-not-found"));
    h.set_permission_roles("view-c-room", &["admin"]).await;
    h.messages_reply(&outsider, &channel, &[])
        .await
        .expect_status(403, "no view-c-room");
}

/// Sends `bodies` to the invite endpoint of `kind` at once, over separate connections.
async fn invite_concurrently(h: &Harness, kind: RoomKind, bodies: Vec<Value>) -> Vec<u16> {
    let mut calls = tokio::task::JoinSet::new();
    for body in bodies {
        let (api, admin): (_, Session) = (h.api.clone(), h.admin.clone());
        calls.spawn(async move { api.invite(&admin, kind, &body).await.status });
    }
    calls.join_all().await
}

#[tokio::test]
async fn concurrent_invites_are_counted_exactly_and_subscribe_each_user_once() {
    for kind in KINDS {
        let h = Harness::start().await;
        let room = h.create_room(&h.admin, kind, "town", &[]).await;
        let mut users = Vec::new();
        for n in 0..8 {
            users.push(h.create_user(&format!("user{n}")).await);
        }
        let bodies = users
            .iter()
            .map(|u| json!({"roomId": room.id, "userId": u.id}))
            .collect();
        assert_eq!(invite_concurrently(&h, kind, bodies).await, vec![200; 8]);
        let (msgs, count) = h.counters(&h.admin, &room).await;
        assert_eq!(
            (msgs, count),
            (8, 9),
            "eight au messages, eight new members"
        );
        let twice = h.create_user("twice").await;
        let same = vec![json!({"roomId": room.id, "userId": twice.id}); 4];
        assert_eq!(invite_concurrently(&h, kind, same).await, vec![200; 4]);
        assert_eq!(
            h.counters(&h.admin, &room).await,
            (9, 10),
            "one subscription, one au"
        );
        let names = h.member_names(&h.admin, &room).await;
        assert_eq!(names.iter().filter(|n| *n == "twice").count(), 1);
        assert_eq!(names.len(), 10);
    }
}

/// Asserts that the invite's room object agrees with what `<kind>.info` shows next.
async fn assert_answer_matches_info(h: &Harness, room: &Room, answer: &Value) {
    let info = h.room_info(&h.admin, room).await;
    for key in ["_id", "name", "t", "msgs", "usersCount"] {
        assert_eq!(answer[key], info[key], "{key} of {}", room.name);
    }
}

#[tokio::test]
async fn the_invite_answer_shows_the_room_as_info_does() {
    let h = Harness::start().await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("plain-{}", kind.t()), &[])
            .await;
        let user = h.create_user(&format!("a-{}", kind.t())).await;
        let answer = expect_invited(kind, &h.invite_user(&h.admin, &room, &user).await);
        assert_answer_matches_info(&h, &room, &answer).await;
        let (_, team_room) = h
            .create_team(&h.admin, &format!("team-{}", kind.t()), kind, &[])
            .await;
        let user = h.create_user(&format!("t-{}", kind.t())).await;
        let answer = expect_invited(kind, &h.invite_user(&h.admin, &team_room, &user).await);
        assert_answer_matches_info(&h, &team_room, &answer).await;
        assert_eq!(answer["teamMain"], json!(true));
        let (_, discussion) = h.create_discussion(&h.admin, &room, "talk", &[]).await;
        let user = h.create_user(&format!("d-{}", kind.t())).await;
        let answer = expect_invited(kind, &h.invite_user(&h.admin, &discussion, &user).await);
        assert_answer_matches_info(&h, &discussion, &answer).await;
        assert_eq!(answer["prid"], json!(room.id));
    }
}

#[tokio::test]
async fn federated_looking_usernames_resolve_to_nobody_on_every_line() {
    for version in ["7.4.0", "8.5.0", "9.0.0"] {
        let h = Harness::start_with(config_with_version(version)).await;
        for kind in KINDS {
            let room = h
                .create_room(&h.admin, kind, &format!("local-{}", kind.t()), &[])
                .await;
            let key = if version == "9.0.0" && kind == RoomKind::Group {
                "userId"
            } else {
                "username"
            };
            let body = json!({"roomId": room.id, key: "@alice:example.org"});
            let reply = h.api.invite(&h.admin, kind, &body).await;
            assert_no_valid_users(kind, &reply);
        }
    }
    let h = Harness::start().await;
    let group = h.create_room(&h.admin, RoomKind::Group, "quiet", &[]).await;
    let (_, plain) = h.user_session("plain").await;
    assert_not_allowed(
        &h.api
            .invite(
                &plain,
                RoomKind::Group,
                &json!({"roomId": group.id, "username": "rocket.cat"}),
            )
            .await,
    );
}
