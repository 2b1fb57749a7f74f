//! Invites through the router: the documented order of checks, the side effects, and who may invite where.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::{ServerConfig, ids, start};
use super::{Client, Session};

#[tokio::test]
async fn channels_invite_reports_errors_in_the_documented_order() {
    let client = Client::new(ServerConfig::default());
    let admin = client.admin().await;
    let bob = client.user(&admin, "bob").await;
    client.user(&admin, "carol").await;
    let carol = client.login("carol", "pw").await;
    let room = client.room(&admin, "channels", "town").await;
    let invite = |body: Value, who: Session| {
        let client = &client;
        async move { client.post("/api/v1/channels.invite", &who, body).await }
    };
    // No room key at all: not found (not "param not provided").
    assert_eq!(
        invite(json!({}), admin.clone()).await.error_type(),
        Some("error-room-not-found")
    );
    // roomId key wins even when empty.
    let named = invite(
        json!({"roomId": "", "roomName": "town", "userId": bob}),
        admin.clone(),
    )
    .await;
    assert_eq!(named.error_type(), Some("error-room-not-found"));
    // Users missing, then unknown (swapped fields), all before the permission check.
    let missing = invite(json!({"roomId": room}), carol.clone()).await;
    assert_eq!(
        missing.error_type(),
        Some("error-users-params-not-provided")
    );
    let unknown = invite(json!({"roomId": room, "userIds": ["nope"]}), carol.clone()).await;
    assert_eq!(unknown.body["error"], json!("invalid-user-invite-list"));
    assert_eq!(
        unknown.error_type(),
        Some("Cannot invite if no users are provided")
    );
    // A plain non-member user lacks every premise.
    let refused = invite(json!({"roomId": room, "userId": bob}), carol.clone()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["details"], json!({"method": "addUsersToRoom"}));
    // Archived channels are refused before anything about users.
    client
        .post("/api/v1/channels.archive", &admin, json!({"roomId": room}))
        .await;
    let archived = invite(json!({"roomId": room}), carol).await;
    assert_eq!(archived.error_type(), Some("error-room-archived"));
}

#[tokio::test]
async fn an_invite_adds_once_and_an_existing_member_is_a_no_op() {
    let client = Client::new(ServerConfig::default());
    let admin = client.admin().await;
    let bob = client.user(&admin, "bob").await;
    let room = client.room(&admin, "channels", "town").await;
    let body = json!({"roomId": room, "userIds": [bob, bob, "unknown"]});
    let first = client
        .post("/api/v1/channels.invite", &admin, body.clone())
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["channel"]["usersCount"], json!(2));
    assert_eq!(first.body["channel"]["msgs"], json!(1));
    assert!(first.body["channel"]["lm"].is_string());
    let again = client.post("/api/v1/channels.invite", &admin, body).await;
    assert_eq!(again.body["channel"]["usersCount"], json!(2));
    assert_eq!(again.body["channel"]["msgs"], json!(1));
}

#[tokio::test]
async fn admins_may_invite_into_any_channel_but_not_into_groups_they_are_not_in() {
    let client = Client::new(ServerConfig::default());
    let admin = client.admin().await;
    client.user(&admin, "dora").await;
    let bob = client.user(&admin, "bob").await;
    let dora = client.login("dora", "pw").await;
    let channel = client.room(&dora, "channels", "doras-channel").await;
    let group = client.room(&dora, "groups", "doras-group").await;
    let public = client
        .post(
            "/api/v1/channels.invite",
            &admin,
            json!({"roomId": channel, "userId": bob}),
        )
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    // groups.invite: either key may carry a name; no access check; any-p-room held by nobody.
    let private = client
        .post(
            "/api/v1/groups.invite",
            &admin,
            json!({"roomId": "doras-group", "userId": bob}),
        )
        .await;
    assert_eq!(private.error_type(), Some("error-not-allowed"));
    // The owner room role authorises add-user-to-joined-room.
    let by_owner = client
        .post(
            "/api/v1/groups.invite",
            &dora,
            json!({"roomName": group, "username": "BOB"}),
        )
        .await;
    assert_eq!(by_owner.status, StatusCode::OK, "{}", by_owner.body);
    assert_eq!(by_owner.body["group"]["t"], json!("p"));
}

#[tokio::test]
async fn serves_concurrent_invites_over_a_real_socket() {
    let server = match start(ServerConfig::default(), ([127, 0, 0, 1], 0).into()).await {
        Ok(server) => server,
        Err(error) => panic!("start: {error}"),
    };
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.url());
    let login: Value = match http
        .post(url("/api/v1/login"))
        .json(&json!({"username": "rc-admin", "password": "rc-admin-password"}))
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(error) => panic!("login: {error}"),
    };
    let uid = login["data"]["userId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let token = login["data"]["authToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let post = |path: &'static str, body: Value| {
        let request = http
            .post(url(path))
            .header("x-user-id", &uid)
            .header("x-auth-token", &token)
            .header("x-2fa-method", "password")
            .header("x-2fa-code", ids::password_digest("rc-admin-password"))
            .json(&body);
        async move {
            match request.send().await {
                Ok(response) => response.json::<Value>().await.unwrap_or_default(),
                Err(error) => panic!("{path}: {error}"),
            }
        }
    };
    let created = post("/api/v1/channels.create", json!({"name": "busy"})).await;
    let room = created["channel"]["_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut users = Vec::new();
    for index in 0..20 {
        let name = format!("user{index}");
        let user = post(
            "/api/v1/users.create",
            json!({"username": name, "email": format!("{name}@example.com"), "name": name,
                   "password": "pw", "joinDefaultChannels": false}),
        )
        .await;
        users.push(user["user"]["_id"].as_str().unwrap_or_default().to_owned());
    }
    let invites = users.iter().map(|user| {
        post(
            "/api/v1/channels.invite",
            json!({"roomId": room, "userId": user}),
        )
    });
    let answers = futures_join_all(invites).await;
    assert!(
        answers
            .iter()
            .all(|answer| answer["success"] == json!(true))
    );
    let info = post(
        "/api/v1/channels.invite",
        json!({"roomId": room, "userIds": users}),
    )
    .await;
    assert_eq!(info["channel"]["usersCount"], json!(21));
    assert_eq!(info["channel"]["msgs"], json!(20));
    server.shutdown().await;
}

/// Runs the futures concurrently on the current task set (no extra dependency).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<Value>
where
    F: std::future::Future<Output = Value> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut values = Vec::with_capacity(handles.len());
    for handle in handles {
        values.push(handle.await.unwrap_or_default());
    }
    values
}
