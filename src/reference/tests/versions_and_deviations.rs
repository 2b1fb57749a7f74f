//! The impersonated release and deliberate deviations: what `/api/info` reports, the 9.x typed bodies and envelope, and a sample of deviations.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::super::{Deviation, ServerConfig};
use super::Client;

#[tokio::test]
async fn info_reports_the_configured_version() {
    let client = Client::new(ServerConfig {
        version: "7.10.2".into(),
        ..ServerConfig::default()
    });
    let answer = client.call(Method::GET, "/api/info", None, None).await;
    assert_eq!(answer.body, json!({"version": "7.10.2", "success": true}));
}

#[tokio::test]
async fn version_9_closes_the_invite_bodies_and_the_401_envelope() {
    let client = Client::new(ServerConfig {
        version: "9.0.0".into(),
        ..ServerConfig::default()
    });
    let anonymous = client
        .call(Method::POST, "/api/v1/groups.invite", None, Some(json!({})))
        .await;
    assert_eq!(
        anonymous.body,
        json!({"success": false, "error": "You must be logged in to do this."})
    );
    let admin = client.admin().await;
    let bulk = client
        .post(
            "/api/v1/channels.invite",
            &admin,
            json!({"roomId": "GENERAL", "userIds": ["rocket.cat"]}),
        )
        .await;
    assert_eq!(bulk.error_type(), Some("error-invalid-params"));
    assert_eq!(
        bulk.body["error"],
        json!("must NOT have additional properties")
    );
}

#[tokio::test]
async fn deviations_break_their_rule_and_nothing_else() {
    let deviations = [
        Deviation::NotAllowedAs403,
        Deviation::WrongRoomKey,
        Deviation::MsgsAsString,
    ];
    let client = Client::new(ServerConfig {
        deviations: deviations.into_iter().collect(),
        ..ServerConfig::default()
    });
    let admin = client.admin().await;
    let bob = client.user(&admin, "bob").await;
    let room = client.room(&admin, "channels", "town").await;
    let group = client.room(&admin, "groups", "club").await;
    let ok = client
        .post(
            "/api/v1/channels.invite",
            &admin,
            json!({"roomId": room, "userId": bob}),
        )
        .await;
    assert!(ok.body.get("channel").is_none());
    assert_eq!(ok.body["room"]["msgs"], json!("1"));
    let bob_session = client.login("bob", "pw").await;
    let refused = client
        .post(
            "/api/v1/groups.invite",
            &bob_session,
            json!({"roomId": group, "userId": bob}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_type(), Some("error-not-allowed"));
}
