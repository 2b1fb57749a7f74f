//! Black-box tests of the user provisioning endpoints of the reference server
//! (`apps/meteor/server/api/v1/users.ts` @00e428ca): users.create (with the 2FA password
//! fallback of `apps/meteor/app/2fa/server/code/index.ts`),
//! users.info, users.delete, users.setActiveStatus.

use crate::reference_support::{
    Harness, RoomKind, assert_login_failed, assert_login_required, login, sha256_hex,
};
use rc_conform::reference::ServerConfig;
use serde_json::{Value, json};

// ---- users.create --------------------------------------------------------------------------------

fn new_user_body(username: &str) -> Value {
    json!({
        "username": username,
        "name": format!("Test {username}"),
        "email": format!("{username}@example.org"),
        "password": format!("pw-{username}"),
    })
}

#[tokio::test]
async fn users_create_defaults_to_role_user_active_and_joins_general() {
    let h = Harness::start().await;
    let reply = h.users_create_raw(&new_user_body("alice")).await;
    reply.expect_status(200, "users.create");
    assert_eq!(reply.body["success"], json!(true));
    let user = &reply.body["user"];
    assert!(user["_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(user["username"], json!("alice"));
    assert_eq!(user["name"], json!("Test alice"));
    assert_eq!(user["roles"], json!(["user"]));
    assert_eq!(user["active"], json!(true));
    assert!(user["type"].is_string(), "type is present: {user}");
    assert_eq!(user["emails"][0]["address"], json!("alice@example.org"));

    let reply = h
        .api
        .get(
            Some(&h.admin),
            "/api/v1/channels.members",
            &[("roomId", "GENERAL")],
        )
        .await;
    reply.expect_status(200, "channels.members general");
    let names: Vec<&str> = reply.body["members"]
        .as_array()
        .expect("members array")
        .iter()
        .filter_map(|m| m["username"].as_str())
        .collect();
    assert!(
        names.contains(&"alice"),
        "joinDefaultChannels defaults to true: {names:?}"
    );
}

#[tokio::test]
async fn users_create_with_join_default_channels_false_stays_out_of_general() {
    let h = Harness::start().await;
    let mut body = new_user_body("alice");
    body["joinDefaultChannels"] = json!(false);
    h.users_create_raw(&body)
        .await
        .expect_status(200, "users.create");
    let reply = h
        .api
        .get(
            Some(&h.admin),
            "/api/v1/channels.members",
            &[("roomName", "general")],
        )
        .await;
    reply.expect_status(200, "channels.members general");
    let listed = reply.body["members"]
        .as_array()
        .expect("members array")
        .iter()
        .any(|m| m["username"] == json!("alice"));
    assert!(!listed, "alice must not be in general: {reply:#?}");
}

#[tokio::test]
async fn users_create_assigns_the_given_roles_and_active_flag() {
    let h = Harness::start().await;
    let mut body = new_user_body("robo");
    body["roles"] = json!(["bot"]);
    body["active"] = json!(false);
    let reply = h.users_create_raw(&body).await;
    reply.expect_status(200, "users.create");
    assert_eq!(reply.body["user"]["roles"], json!(["bot"]));
    assert_eq!(reply.body["user"]["active"], json!(false));
}

#[tokio::test]
async fn users_create_without_two_factor_headers_is_totp_required() {
    let h = Harness::start().await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.create",
            &new_user_body("alice"),
        )
        .await;
    reply.expect_status(400, "users.create without 2FA headers");
    assert_eq!(
        reply.body,
        json!({
            "success": false,
            "error": "TOTP Required [totp-required]",
            "errorType": "totp-required",
            "details": {"method": "password", "codeGenerated": false, "availableMethods": []},
        })
    );
    h.assert_no_user_named("alice", "the user was not created")
        .await;
}

#[tokio::test]
async fn users_create_with_a_wrong_two_factor_code_is_refused() {
    let h = Harness::start().await;
    let req = h
        .api
        .request(
            reqwest::Method::POST,
            "/api/v1/users.create",
            Some(&h.admin),
        )
        .header("X-2FA-Method", "password")
        .header("X-2FA-Code", sha256_hex("not-the-password"))
        .json(&new_user_body("alice"));
    let reply = crate::reference_support::read(req).await;
    reply.expect_status(400, "wrong 2FA code");
    assert_eq!(reply.body["success"], json!(false));
    h.assert_no_user_named("alice", "the user was not created")
        .await;
}

#[tokio::test]
async fn users_create_in_test_mode_needs_no_two_factor_headers() {
    let h = Harness::start_with(ServerConfig {
        test_mode: true,
        ..ServerConfig::default()
    })
    .await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.create",
            &new_user_body("alice"),
        )
        .await;
    reply.expect_status(200, "users.create in TEST_MODE");
    assert_eq!(reply.body["user"]["username"], json!("alice"));
}

#[tokio::test]
async fn users_create_with_a_taken_username_is_400() {
    let h = Harness::start().await;
    h.create_user("alice").await;
    let mut body = new_user_body("alice");
    body["email"] = json!("other@example.org");
    let reply = h.users_create_raw(&body).await;
    reply.expect_status(400, "duplicate username");
    assert_eq!(reply.body["success"], json!(false));
}

#[tokio::test]
async fn users_create_by_a_plain_user_is_refused() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    let req = h
        .api
        .request(reqwest::Method::POST, "/api/v1/users.create", Some(&alice))
        .header("X-2FA-Method", "password")
        .header("X-2FA-Code", sha256_hex(&alice_user.password))
        .json(&new_user_body("bob"));
    let reply = crate::reference_support::read(req).await;
    // users.create needs create-user; the status is not pinned (403 route gate or 400 method
    // error).
    assert!(
        reply.status == 403 || reply.status == 400,
        "users.create without create-user must fail: {reply:#?}"
    );
    assert_eq!(reply.body["success"], json!(false));
    h.assert_no_user_named("bob", "bob was not created").await;
}

// ---- users.info / users.delete / users.setActiveStatus ------------------------------------------

#[tokio::test]
async fn users_info_finds_by_id_and_username_and_rejects_unknown() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    for query in [("userId", alice.id.as_str()), ("username", "alice")] {
        let reply = h.users_info(&h.admin, &[query]).await;
        reply.expect_status(200, &format!("users.info {query:?}"));
        assert_eq!(reply.body["success"], json!(true));
        assert_eq!(reply.body["user"]["_id"], json!(alice.id));
        assert_eq!(reply.body["user"]["username"], json!("alice"));
        assert_eq!(reply.body["user"]["active"], json!(true));
    }
    let reply = h.users_info(&h.admin, &[("userId", "no-such-id")]).await;
    reply.expect_status(400, "unknown user");
    assert_eq!(reply.body["success"], json!(false));
    assert_eq!(reply.body["error"], json!("User not found."));
}

#[tokio::test]
async fn users_delete_removes_the_user_and_its_sessions() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.delete",
            &json!({"userId": alice_user.id}),
        )
        .await;
    reply.expect_status(200, "users.delete");
    assert_eq!(reply.body["success"], json!(true));
    let info = h
        .users_info(&h.admin, &[("userId", alice_user.id.as_str())])
        .await;
    info.expect_status(400, "deleted user is unknown");
    assert_login_required(&h.api.get(Some(&alice), "/api/v1/me", &[]).await);
    let reply = h
        .api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": "alice", "password": alice_user.password}),
        )
        .await;
    assert_login_failed(&reply);
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_reactivation_allows_login() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.setActiveStatus",
            &json!({"userId": alice_user.id, "activeStatus": false}),
        )
        .await;
    reply.expect_status(200, "users.setActiveStatus false");
    assert_eq!(
        reply.body,
        json!({"user": {"_id": alice_user.id, "active": false}, "success": true})
    );
    assert_login_required(&h.api.get(Some(&alice), "/api/v1/me", &[]).await);
    let info = h
        .users_info(&h.admin, &[("userId", alice_user.id.as_str())])
        .await;
    assert_eq!(info.body["user"]["active"], json!(false));

    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.setActiveStatus",
            &json!({"userId": alice_user.id, "activeStatus": true}),
        )
        .await;
    reply.expect_status(200, "users.setActiveStatus true");
    assert_eq!(
        reply.body,
        json!({"user": {"_id": alice_user.id, "active": true}, "success": true})
    );
    assert_login_required(&h.api.get(Some(&alice), "/api/v1/me", &[]).await);
    let again = login(&h.api, "alice", &alice_user.password).await;
    h.api
        .get(Some(&again), "/api/v1/me", &[])
        .await
        .expect_status(200, "me after reactivation");
}

#[tokio::test]
async fn deleting_the_last_owner_of_a_room_needs_confirm_relinquish() {
    let h = Harness::start().await;
    let (olga_user, olga) = h.user_session("olga").await;
    h.create_room(&olga, RoomKind::Channel, "olgas", &[]).await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.delete",
            &json!({"userId": olga_user.id}),
        )
        .await;
    reply.expect_status(400, "users.delete of a last owner");
    assert_eq!(reply.body["success"], json!(false));
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.delete",
            &json!({"userId": olga_user.id, "confirmRelinquish": true}),
        )
        .await;
    reply.expect_status(200, "users.delete with confirmRelinquish");
    assert_eq!(reply.body["success"], json!(true));
}

#[tokio::test]
async fn a_successful_two_factor_check_is_remembered_for_the_login() {
    // 2fa/server/code: a recent successful 2FA check is remembered for this login (same client), so a
    // second users.create right after one with the headers needs none.
    let h = Harness::start().await;
    h.create_user("alice").await;
    let reply = h
        .api
        .post(
            Some(&h.admin),
            "/api/v1/users.create",
            &new_user_body("bob"),
        )
        .await;
    reply.expect_status(200, "users.create within the remembered 2FA window");
    assert_eq!(reply.body["user"]["username"], json!("bob"));
}

// ---- users.info?includeUserRooms ------------------------------------------------------------------

/// The rooms a `users.info` answer lists, by id (`None`: no `user.rooms`).
fn listed_rooms(reply: &crate::reference_support::Reply) -> Option<Vec<String>> {
    reply.body["user"]["rooms"].as_array().map(|rooms| {
        rooms
            .iter()
            .map(|r| r["rid"].as_str().unwrap_or_default().to_owned())
            .collect()
    })
}

#[tokio::test]
async fn users_info_lists_a_users_subscriptions_for_the_admin_and_the_user_alone() {
    let h = Harness::start().await;
    let (alice, alice_session) = h.user_session("alice").await;
    let (_bob, bob_session) = h.user_session("bob").await;
    let group = h
        .create_room(&h.admin, RoomKind::Group, "secret", &["alice"])
        .await;
    let query = [("userId", alice.id.as_str()), ("includeUserRooms", "true")];
    // The admin holds view-other-user-channels: alice's group is listed.
    let reply = h.users_info(&h.admin, &query).await;
    reply.expect_status(200, "users.info with includeUserRooms");
    let rooms = listed_rooms(&reply).expect("the admin gets user.rooms");
    assert!(rooms.contains(&group.id), "{rooms:?}");
    let entry =
        &reply.body["user"]["rooms"][rooms.iter().position(|r| *r == group.id).unwrap_or(0)];
    assert_eq!(entry["t"], json!("p"));
    assert_eq!(entry["name"], json!("secret"));
    // The user may read its own rooms; another user without the permission gets no list.
    let own = h.users_info(&alice_session, &query).await;
    assert!(listed_rooms(&own).is_some_and(|r| r.contains(&group.id)));
    let other = h.users_info(&bob_session, &query).await;
    other.expect_status(200, "users.info about someone else");
    assert_eq!(listed_rooms(&other), None);
    // Without the parameter (or with a value that is not "true"/"1") there is no list.
    for value in [None, Some("false"), Some("yes")] {
        let mut q = vec![("userId", alice.id.as_str())];
        q.extend(value.map(|v| ("includeUserRooms", v)));
        let plain = h.users_info(&h.admin, &q).await;
        assert_eq!(listed_rooms(&plain), None, "includeUserRooms={value:?}");
    }
}

#[tokio::test]
async fn users_info_lists_a_deactivated_users_rooms() {
    let h = Harness::start().await;
    let (alice, _) = h.user_session("alice").await;
    let channel = h
        .create_room(&h.admin, RoomKind::Channel, "town", &["alice"])
        .await;
    h.api
        .post(
            Some(&h.admin),
            "/api/v1/users.setActiveStatus",
            &json!({"userId": alice.id, "activeStatus": false}),
        )
        .await
        .expect_status(200, "deactivating alice");
    let query = [("userId", alice.id.as_str()), ("includeUserRooms", "1")];
    let reply = h.users_info(&h.admin, &query).await;
    assert!(
        listed_rooms(&reply).is_some_and(|r| r.contains(&channel.id)),
        "{reply:#?}"
    );
}
