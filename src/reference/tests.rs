//! Self-tests of the reference server through its router (`oneshot`) and over a real socket.
//!
//! They protect the invite decision order, the side effects, the prelude (auth, 2FA, rate
//! limiting, HTTP hygiene) and a sample of deviations. Exhaustive black-box coverage lives in
//! `tests/reference_*.rs`; these must not reach into the store.

use axum::Router;
use axum::body::Body as HttpBody;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{Deviation, ServerConfig, ids, router, start};

struct Client {
    app: Router,
}

#[derive(Clone)]
struct Session {
    user_id: String,
    token: String,
}

struct Answer {
    status: StatusCode,
    body: Value,
    headers: axum::http::HeaderMap,
}

impl Answer {
    fn error_type(&self) -> Option<&str> {
        self.body.get("errorType").and_then(Value::as_str)
    }
}

impl Client {
    fn new(config: ServerConfig) -> Client {
        Client {
            app: router(config),
        }
    }

    async fn send(&self, request: Request<HttpBody>) -> Answer {
        let response = match self.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        who: Option<&Session>,
        body: Option<Value>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(session) = who {
            builder = builder
                .header("x-user-id", &session.user_id)
                .header("x-auth-token", &session.token)
                .header("x-2fa-method", "password")
                .header("x-2fa-code", ids::password_digest("rc-admin-password"));
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(HttpBody::from(body.to_string())),
            None => builder.body(HttpBody::empty()),
        };
        self.send(request.unwrap_or_default()).await
    }

    async fn post(&self, path: &str, who: &Session, body: Value) -> Answer {
        self.call(Method::POST, path, Some(who), Some(body)).await
    }

    async fn login(&self, user: &str, password: &str) -> Session {
        let answer = self
            .call(
                Method::POST,
                "/api/v1/login",
                None,
                Some(json!({"user": user, "password": password})),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login {user}: {}",
            answer.body
        );
        Session {
            user_id: answer.body["data"]["userId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            token: answer.body["data"]["authToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    async fn admin(&self) -> Session {
        self.login("rc-admin", "rc-admin-password").await
    }

    /// Creates a user (not in #general) and returns its id.
    async fn user(&self, admin: &Session, username: &str) -> String {
        let answer = self
            .post(
                "/api/v1/users.create",
                admin,
                json!({"username": username, "email": format!("{username}@example.com"),
                       "name": username, "password": "pw", "joinDefaultChannels": false}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "users.create: {}",
            answer.body
        );
        answer.body["user"]["_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn room(&self, owner: &Session, prefix: &str, name: &str) -> String {
        let answer = self
            .post(
                &format!("/api/v1/{prefix}.create"),
                owner,
                json!({"name": name}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{prefix}.create: {}",
            answer.body
        );
        let key = if prefix == "channels" {
            "channel"
        } else {
            "group"
        };
        answer.body[key]["_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

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
    let huge = json!({"roomId": "x".repeat(super::request::MAX_BODY_BYTES)});
    let too_large = client.post("/api/v1/channels.invite", &admin, huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["success"], json!(false));
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
