//! channels/groups members, and im.create.

use super::*;

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
