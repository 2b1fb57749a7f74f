//! The prelude and HTTP hygiene: authentication before the body, the 2FA fallback, the rate limiter, misses and oversized bodies.

use axum::body::Body as HttpBody;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use super::super::ServerConfig;
use super::Client;

#[tokio::test]
async fn unauthenticated_invite_is_401_before_the_body_is_read() {
    let client = Client::new(ServerConfig::default());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/channels.invite")
        .header("content-type", "application/json")
        .body(HttpBody::from("{broken"))
        .unwrap_or_default();
    let answer = client.send(request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body["status"], json!("error"));
    assert_eq!(
        answer.body["message"],
        json!("You must be logged in to do this.")
    );
}

#[tokio::test]
async fn users_create_demands_the_password_fallback_outside_test_mode() {
    let client = Client::new(ServerConfig::default());
    let admin = client.admin().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/users.create")
        .header("x-user-id", &admin.user_id)
        .header("x-auth-token", &admin.token)
        .header("content-type", "application/json")
        .body(HttpBody::from(
            json!({"username": "eve", "email": "eve@example.com", "name": "Eve", "password": "x"})
                .to_string(),
        ))
        .unwrap_or_default();
    let answer = client.send(request).await;
    assert_eq!(answer.error_type(), Some("totp-required"));
    assert_eq!(
        answer.body["details"],
        json!({"method": "password", "codeGenerated": false, "availableMethods": []})
    );
}

#[tokio::test]
async fn the_rate_limiter_refuses_the_eleventh_login() {
    let client = Client::new(ServerConfig {
        rate_limit: true,
        ..ServerConfig::default()
    });
    for _ in 0..10 {
        client.admin().await;
    }
    let refused = client
        .call(
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"user": "rc-admin", "password": "rc-admin-password"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_type(), Some("error-too-many-requests"));
    assert_eq!(
        refused
            .headers
            .get("x-ratelimit-remaining")
            .map(|v| v.as_bytes()),
        Some(&b"0"[..])
    );
}

#[tokio::test]
async fn misses_and_oversized_bodies_answer_json() {
    let client = Client::new(ServerConfig::default());
    let missing = client.call(Method::GET, "/api/v1/nope", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["success"], json!(false));
    let wrong_method = client
        .call(Method::DELETE, "/api/v1/login", None, None)
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["success"], json!(false));
    let admin = client.admin().await;
    let huge = json!({"roomId": "x".repeat(super::super::request::MAX_BODY_BYTES)});
    let too_large = client.post("/api/v1/channels.invite", &admin, huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["success"], json!(false));
}

#[tokio::test]
async fn a_head_request_reads_the_query_like_its_get() {
    let client = Client::new(ServerConfig::default());
    let admin = client.admin().await;
    for method in [Method::GET, Method::HEAD] {
        let found = client
            .call(
                method.clone(),
                "/api/v1/channels.info?roomId=GENERAL",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{method}");
        let missing = client
            .call(method.clone(), "/api/v1/channels.info", Some(&admin), None)
            .await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{method}");
    }
}
