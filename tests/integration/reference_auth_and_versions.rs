//! Black-box tests of authentication, TEST_MODE and version emulation on the reference server
//! (authentication first and the 401 bodies of `apps/meteor/server/api/ApiClass.ts` @0358e0dc
//! and @b2da2544, the typed channels.invite of PR #41415, the validation errors of
//! `packages/http-router/src/Router.ts` @3a8f6b51, TEST_MODE).

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Api, Harness, LOGIN_REQUIRED, RoomKind, Session, assert_login_required, assert_room_not_found,
    config_with_version, read, sorted,
};
use rc_conform::reference::ServerConfig;
use serde_json::json;

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];

/// Sends an invite with arbitrary auth headers (`None` = header absent).
async fn invite_with_headers(
    api: &Api,
    kind: RoomKind,
    user_id: Option<&str>,
    token: Option<&str>,
    body: &str,
) -> crate::reference_support::Reply {
    let mut req = api
        .request(reqwest::Method::POST, &kind.route("invite"), None)
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(id) = user_id {
        req = req.header("X-User-Id", id);
    }
    if let Some(t) = token {
        req = req.header("X-Auth-Token", t);
    }
    read(req).await
}

#[tokio::test]
async fn invite_without_valid_credentials_is_401_before_anything_else() {
    let h = Harness::start().await;
    let (alice_user, alice) = h.user_session("alice").await;
    for kind in KINDS {
        let room = h
            .create_room(&h.admin, kind, &format!("town-{}", kind.t()), &[])
            .await;
        let valid = json!({"roomId": room.id, "userId": alice_user.id}).to_string();
        let cases: [(Option<&str>, Option<&str>, &str); 7] = [
            (None, None, &valid),
            (Some(&h.admin.user_id), None, &valid),
            (None, Some(&h.admin.token), &valid),
            (Some(&h.admin.user_id), Some("not-a-token"), &valid),
            (Some(&h.admin.user_id), Some(&alice.token), &valid),
            (Some("no-such-user"), Some(&h.admin.token), &valid),
            // Auth is checked before body parsing and validation.
            (Some(&h.admin.user_id), Some("not-a-token"), "{not json"),
        ];
        for (user_id, token, body) in cases {
            let reply = invite_with_headers(&h.api, kind, user_id, token, body).await;
            assert_login_required(&reply);
        }
        assert_eq!(
            h.member_names(&h.admin, &room).await,
            sorted(&[&h.admin_username]),
            "nobody added"
        );
    }
}

#[tokio::test]
async fn other_routes_answer_the_same_401_body() {
    let h = Harness::start().await;
    assert_login_required(&h.api.get(None, "/api/v1/me", &[]).await);
    assert_login_required(
        &h.api
            .post(None, "/api/v1/channels.create", &json!({"name": "x"}))
            .await,
    );
    assert_login_required(&h.api.get(None, "/api/v1/permissions.listAll", &[]).await);
    let bad = Session {
        user_id: h.admin.user_id.clone(),
        token: "forged".to_owned(),
    };
    assert_login_required(&h.api.get(Some(&bad), "/api/v1/me", &[]).await);
}

#[tokio::test]
async fn version_9_drops_status_and_message_from_the_401_body() {
    let h = Harness::start_with(config_with_version("9.0.0")).await;
    for kind in KINDS {
        let reply = h.api.post(None, &kind.route("invite"), &json!({})).await;
        reply.expect_status(401, "9.0 unauthenticated");
        assert_eq!(
            reply.body,
            json!({"success": false, "error": LOGIN_REQUIRED})
        );
    }
}

#[tokio::test]
async fn version_9_channels_invite_rejects_bulk_and_unknown_keys_as_invalid_params() {
    let h = Harness::start_with(config_with_version("9.0.0")).await;
    let alice = h.create_user("alice").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    for body in [
        json!({"roomId": room.id, "userIds": [alice.id]}),
        json!({"roomId": room.id, "usernames": ["alice"]}),
        json!({"roomId": room.id, "userId": alice.id, "extra": 1}),
        json!({"userId": alice.id}),
    ] {
        let reply = h.api.invite(&h.admin, RoomKind::Channel, &body).await;
        reply.expect_status(400, &format!("9.0 typed channels.invite {body}"));
        assert_eq!(reply.body["success"], json!(false));
        assert_eq!(
            reply.body["errorType"],
            json!("error-invalid-params"),
            "{body}: {reply:#?}"
        );
        let error = reply.body["error"].as_str().expect("error text");
        assert!(
            !error.is_empty() && !error.ends_with("[error-invalid-params]"),
            "ajv text without suffix: {error:?}"
        );
    }
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        sorted(&[&h.admin_username])
    );

    // The single-user forms still work and a body without users still reaches Step C.
    let reply = h
        .api
        .invite(
            &h.admin,
            RoomKind::Channel,
            &json!({"roomId": room.id, "userId": alice.id}),
        )
        .await;
    expect_invited(RoomKind::Channel, &reply);
    let reply = h
        .api
        .invite(&h.admin, RoomKind::Channel, &json!({"roomId": room.id}))
        .await;
    assert_eq!(
        reply.body["errorType"],
        json!("error-users-params-not-provided"),
        "{reply:#?}"
    );
}

#[tokio::test]
async fn default_version_channels_invite_accepts_bulk_user_ids() {
    let h = Harness::start().await;
    let alice = h.create_user("alice").await;
    let bob = h.create_user("bob").await;
    let room = h
        .create_room(&h.admin, RoomKind::Channel, "town", &[])
        .await;
    let reply = h
        .api
        .invite(
            &h.admin,
            RoomKind::Channel,
            &json!({"roomId": room.id, "userIds": [alice.id, bob.id]}),
        )
        .await;
    expect_invited(RoomKind::Channel, &reply);
    assert_eq!(
        h.member_names(&h.admin, &room).await,
        sorted(&[&h.admin_username, "alice", "bob"])
    );
}

#[tokio::test]
async fn test_mode_adds_a_stack_to_error_bodies() {
    let h = Harness::start_with(ServerConfig {
        test_mode: true,
        ..ServerConfig::default()
    })
    .await;
    let reply = h.api.invite(&h.admin, RoomKind::Channel, &json!({})).await;
    reply.expect_status(400, "TEST_MODE room-not-found");
    assert_eq!(reply.body["errorType"], json!("error-room-not-found"));
    assert!(
        reply.body["stack"].is_string(),
        "stack in TEST_MODE: {reply:#?}"
    );

    let production = Harness::start().await;
    assert_room_not_found(
        RoomKind::Channel,
        &production
            .api
            .invite(&production.admin, RoomKind::Channel, &json!({}))
            .await,
    );
}
