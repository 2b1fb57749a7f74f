//! What a request is and what came back: its [`Purpose`], [`Auth`] headers, [`RequestBody`]
//! and the [`Response`] with its body read.
//!
//! Plain data only: sending ([`super::client`]), retrying (the `retry` module) and recording
//! ([`super::record`]) live elsewhere, and nothing here knows Rocket.Chat's endpoints.

use serde::Serialize;
use serde_json::Value;

use super::secret::Secret;

/// What a request is for; requests are counted per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Version, login and capability checks before a run.
    Preflight,
    /// Creating fixtures and applying grants.
    Provision,
    /// The calls under test.
    Call,
    /// Reading state to judge a call.
    Verify,
    /// Undoing fixtures and grants.
    Cleanup,
    /// Observing that a permission change took effect (probes).
    Settle,
}

impl Purpose {
    /// Every purpose, in flow order.
    pub const ALL: [Purpose; 6] = [
        Purpose::Preflight,
        Purpose::Provision,
        Purpose::Settle,
        Purpose::Call,
        Purpose::Verify,
        Purpose::Cleanup,
    ];
}

/// The auth headers of a request.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// `X-User-Id`.
    pub user_id: Option<String>,
    /// `X-Auth-Token`.
    pub token: Option<Secret>,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// No body.
    None,
    /// A JSON body.
    Json(Value),
    /// Text sent as is, with an optional content type.
    Raw {
        /// The text.
        text: String,
        /// The `Content-Type`.
        content_type: Option<String>,
    },
}

/// One request to the target.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: reqwest::Method,
    /// Path and query below the root, e.g. `/api/v1/channels.members?roomId=x`.
    pub path: String,
    /// Auth headers.
    pub auth: Auth,
    /// Body.
    pub body: RequestBody,
    /// Other headers; values are secrets when they carry credentials (2FA code).
    pub headers: Vec<(String, Secret)>,
    /// What it is for.
    pub purpose: Purpose,
}

impl Request {
    /// A `GET` of `path`.
    pub fn get(path: impl Into<String>, purpose: Purpose) -> Request {
        Request {
            method: reqwest::Method::GET,
            path: path.into(),
            auth: Auth::default(),
            body: RequestBody::None,
            headers: Vec::new(),
            purpose,
        }
    }

    /// A `POST` of a JSON body to `path`.
    pub fn post(path: impl Into<String>, body: Value, purpose: Purpose) -> Request {
        Request {
            method: reqwest::Method::POST,
            path: path.into(),
            auth: Auth::default(),
            body: RequestBody::Json(body),
            headers: Vec::new(),
            purpose,
        }
    }

    /// The same request with auth headers.
    pub fn auth(mut self, auth: Auth) -> Request {
        self.auth = auth;
        self
    }
}

/// A response with its body read.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The body as text (lossy UTF-8).
    pub text: String,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Response headers, lower-case names.
    pub headers: Vec<(String, String)>,
}

/// A request body as sent: its content type and text (JSON serialised once, for every
/// attempt and the record).
pub(super) fn body_text(body: &RequestBody) -> Option<(Option<String>, String)> {
    match body {
        RequestBody::None => None,
        RequestBody::Json(v) => Some((Some("application/json".to_owned()), v.to_string())),
        RequestBody::Raw { text, content_type } => Some((content_type.clone(), text.clone())),
    }
}
