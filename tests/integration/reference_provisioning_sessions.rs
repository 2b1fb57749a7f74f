//! Black-box tests of sessions and server identity on the reference server
//! (`apps/meteor/server/api/ApiClass.ts` @0358e0dc, `apps/meteor/server/api/default/info.ts`):
//! `/api/info`, login (password, email, resume token), logout, me, and the seed data of
//! `apps/meteor/server/startup/initialData.ts` @0bfd1635.

use crate::reference_support::{
    Harness, RoomKind, assert_login_failed, assert_login_required, config_with_version, sorted,
};
use serde_json::json;

// ---- /api/info -----------------------------------------------------------------------------

#[tokio::test]
async fn api_info_reports_the_configured_version_to_the_admin() {
    let h = Harness::start().await;
    let reply = h.api.get(Some(&h.admin), "/api/info", &[]).await;
    reply.expect_status(200, "GET /api/info");
    assert_eq!(reply.body["success"], json!(true));
    assert_eq!(reply.body["version"], json!("8.5.0"));

    let h9 = Harness::start_with(config_with_version("9.0.0")).await;
    let reply = h9.api.get(Some(&h9.admin), "/api/info", &[]).await;
    reply.expect_status(200, "GET /api/info on 9.0.0");
    assert_eq!(reply.body["version"], json!("9.0.0"));
}

#[tokio::test]
async fn api_info_without_auth_reveals_at_most_the_version() {
    let h = Harness::start().await;
    let reply = h.api.get(None, "/api/info", &[]).await;
    reply.expect_status(200, "GET /api/info unauthenticated");
    assert_eq!(reply.body["success"], json!(true));
    if let Some(version) = reply.body.get("version") {
        let version = version.as_str().expect("version is a string");
        assert!(
            "8.5.0".starts_with(version),
            "version {version:?} is a prefix of 8.5.0"
        );
    }
}

// ---- login / logout / me -----------------------------------------------------------------------

#[tokio::test]
async fn login_returns_user_id_auth_token_and_me() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let reply = h
        .api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": "alice", "password": alice.password}),
        )
        .await;
    reply.expect_status(200, "login");
    assert_eq!(reply.body["status"], json!("success"));
    assert_eq!(reply.body["data"]["userId"], json!(alice.id));
    assert!(
        reply.body["data"]["authToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(reply.body["data"]["me"]["_id"], json!(alice.id));
    assert_eq!(reply.body["data"]["me"]["username"], json!("alice"));
}

#[tokio::test]
async fn login_accepts_email_as_user_and_the_username_key() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    for body in [
        json!({"user": "alice@example.org", "password": alice.password}),
        json!({"username": "alice", "password": alice.password}),
    ] {
        let reply = h.api.post(None, "/api/v1/login", &body).await;
        reply.expect_status(200, &format!("login with {body}"));
        assert_eq!(reply.body["data"]["userId"], json!(alice.id));
    }
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_user_is_401() {
    let h = Harness::start().await;
    h.create_user("alice").await;
    let reply = h
        .api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": "alice", "password": "wrong"}),
        )
        .await;
    assert_login_failed(&reply);
    let reply = h
        .api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": "nobody", "password": "x"}),
        )
        .await;
    assert_login_failed(&reply);
}

#[tokio::test]
async fn deactivated_user_cannot_log_in() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    h.set_active(&alice, false).await;
    let reply = h
        .api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": "alice", "password": alice.password}),
        )
        .await;
    assert_login_failed(&reply);
}

#[tokio::test]
async fn logout_answers_success_and_invalidates_the_token() {
    let h = Harness::start().await;
    let (_, alice) = h.user_session("alice").await;
    let reply = h.api.post(Some(&alice), "/api/v1/logout", &json!({})).await;
    reply.expect_status(200, "logout");
    assert_eq!(
        reply.body,
        json!({"status": "success", "data": {"message": "You've been logged out!"}})
    );
    assert_login_required(&h.api.get(Some(&alice), "/api/v1/me", &[]).await);
}

#[tokio::test]
async fn me_returns_the_callers_user_document() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    let reply = h.api.get(Some(&alice), "/api/v1/me", &[]).await;
    reply.expect_status(200, "me");
    assert_eq!(reply.body["success"], json!(true));
    assert_eq!(reply.body["_id"], json!(alice_user.id));
    assert_eq!(reply.body["username"], json!("alice"));
    assert_eq!(reply.body["roles"], json!(["user"]));
    assert_eq!(reply.body["active"], json!(true));

    let reply = h.api.get(Some(&h.admin), "/api/v1/me", &[]).await;
    reply.expect_status(200, "me as admin");
    assert_eq!(reply.body["username"], json!(h.admin_username));
    let roles = reply.body["roles"].as_array().expect("roles is an array");
    assert!(
        roles.contains(&json!("admin")),
        "admin holds the admin role: {roles:?}"
    );
}

#[tokio::test]
async fn login_accepts_a_resume_token() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    let reply = h
        .api
        .post(None, "/api/v1/login", &json!({"resume": alice.token}))
        .await;
    reply.expect_status(200, "login with resume");
    assert_eq!(reply.body["status"], json!("success"));
    assert_eq!(reply.body["data"]["userId"], json!(alice_user.id));
    let reply = h
        .api
        .post(None, "/api/v1/login", &json!({"resume": "not-a-token"}))
        .await;
    assert_login_failed(&reply);
}

// ---- seed data (initialData.ts) ----------------------------------------------------------------

#[tokio::test]
async fn fresh_server_has_general_and_rocket_cat() {
    let h = Harness::start().await;
    let reply = h
        .api
        .get(
            Some(&h.admin),
            "/api/v1/channels.info",
            &[("roomName", "general")],
        )
        .await;
    reply.expect_status(200, "channels.info general");
    assert_eq!(reply.body["channel"]["_id"], json!("GENERAL"));
    assert_eq!(reply.body["channel"]["name"], json!("general"));
    assert_eq!(reply.body["channel"]["t"], json!("c"));
    let reply = h.users_info(&h.admin, &[("username", "rocket.cat")]).await;
    reply.expect_status(200, "users.info rocket.cat");
    assert_eq!(reply.body["user"]["_id"], json!("rocket.cat"));
}

#[tokio::test]
async fn rocket_cat_can_be_invited_by_its_id_like_the_upstream_e2e_test() {
    // Rocket.Chat's own test (apps/meteor/tests/end-to-end/api/channels.ts @03171a3d) invites
    // {roomId, userId: "rocket.cat"} and expects msgs + 1.
    let h = Harness::start().await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let (msgs, _) = h.counters(&h.admin, &room).await;
    let reply = h
        .api
        .invite(
            &h.admin,
            room.kind,
            &json!({"roomId": room.id, "userId": "rocket.cat"}),
        )
        .await;
    reply.expect_status(200, "invite rocket.cat");
    assert_eq!(reply.body["channel"]["msgs"], json!(msgs + 1));
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        sorted(&[&h.admin_username, "rocket.cat"])
    );
}
