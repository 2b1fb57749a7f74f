//! The HTTP side of the fixtures: a client bound to one server, whole answers, logging in.

use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use super::RoomKind;

/// One HTTP answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status code.
    pub(crate) status: u16,
    /// Response headers.
    pub(crate) headers: HeaderMap,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub(crate) body: Value,
    /// The raw body text.
    pub(crate) text: String,
}

impl Reply {
    /// A response header as text, if present.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as an object (panics with the whole reply when it is not one).
    pub(crate) fn object(&self) -> &Map<String, Value> {
        self.body
            .as_object()
            .unwrap_or_else(|| panic!("expected a JSON object body, got {self:?}"))
    }

    /// The top-level keys of the body, sorted.
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.object().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// Asserts the status, with the whole reply in the message.
    #[track_caller]
    pub(crate) fn expect_status(&self, status: u16, what: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "{what}: unexpected status; reply: {self:#?}"
        );
        self
    }
}

/// Credentials of a logged-in user.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// `X-User-Id`.
    pub(crate) user_id: String,
    /// `X-Auth-Token`.
    pub(crate) token: String,
}

/// A cheap, cloneable HTTP client bound to one server.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// `base` is the server URL without a trailing slash.
    pub(crate) fn new(base: &str) -> Self {
        Api {
            client: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The full URL of `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request builder with the session's auth headers (if any).
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        session: Option<&Session>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(s) = session {
            req = req
                .header("X-User-Id", &s.user_id)
                .header("X-Auth-Token", &s.token);
        }
        req
    }

    /// POST a JSON body.
    pub(crate) async fn post(&self, session: Option<&Session>, path: &str, body: &Value) -> Reply {
        read(
            self.request(reqwest::Method::POST, path, session)
                .json(body),
        )
        .await
    }

    /// GET `path` with a query.
    pub(crate) async fn get(
        &self,
        session: Option<&Session>,
        path: &str,
        query: &[(&str, &str)],
    ) -> Reply {
        read(
            self.request(reqwest::Method::GET, path, session)
                .query(query),
        )
        .await
    }

    /// The invite endpoint of `kind`.
    pub(crate) async fn invite(&self, session: &Session, kind: RoomKind, body: &Value) -> Reply {
        self.post(Some(session), &kind.route("invite"), body).await
    }
}

/// Sends a prepared request and reads the whole answer.
pub(crate) async fn read(req: reqwest::RequestBuilder) -> Reply {
    let resp = req
        .send()
        .await
        .expect("the reference server answers HTTP requests");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("the response body can be read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// `POST login` with `{user, password}`, asserting 200.
pub(crate) async fn login(api: &Api, user: &str, password: &str) -> Session {
    let reply = api
        .post(
            None,
            "/api/v1/login",
            &json!({"user": user, "password": password}),
        )
        .await;
    reply.expect_status(200, &format!("fixture: login {user}"));
    let field = |name: &str| {
        reply.body["data"][name]
            .as_str()
            .unwrap_or_else(|| panic!("login {user}: data.{name} missing: {reply:#?}"))
            .to_owned()
    };
    Session {
        user_id: field("userId"),
        token: field("authToken"),
    }
}
