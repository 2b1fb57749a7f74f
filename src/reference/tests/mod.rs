//! Self-tests of the reference server through its router (`oneshot`) and over a real socket.
//!
//! They protect the invite decision order, the side effects, the prelude (auth, 2FA, rate
//! limiting, HTTP hygiene), the release lines and a sample of deviations. Exhaustive black-box
//! coverage lives in `tests/reference_*.rs`; these must not reach into the store. This module
//! holds the client they share; the tests are grouped by concept in its submodules.

use axum::Router;
use axum::body::Body as HttpBody;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{ServerConfig, ids, router};

mod invite;
mod prelude;
mod versions_and_deviations;

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
