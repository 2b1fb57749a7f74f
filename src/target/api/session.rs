//! The session endpoints: `GET /api/info` (the server's version), `POST login` (a
//! [`Session`]), `GET me` (the account's username and roles) and the two-factor password
//! fallback code.
//!
//! It never keeps a session; the caller holds it.

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::answer::decode;
use super::{Api, ApiError};
use crate::target::record::Sent;
use crate::target::request::{Auth, Purpose, Request};
use crate::target::secret::Secret;

/// A logged-in user's credentials.
#[derive(Debug, Clone)]
pub struct Session {
    /// `X-User-Id`.
    pub user_id: String,
    /// `X-Auth-Token`.
    pub token: Secret,
}

impl Session {
    /// Both auth headers.
    pub fn auth(&self) -> Auth {
        Auth {
            user_id: Some(self.user_id.clone()),
            token: Some(self.token.clone()),
        }
    }
}

/// The answer of `GET /api/info`.
#[derive(Deserialize)]
struct InfoAnswer<'a> {
    /// The server's version (servers may hide it).
    #[serde(default, borrow)]
    version: Option<&'a str>,
}

/// The answer of `POST login`.
#[derive(Deserialize)]
struct LoginAnswer<'a> {
    /// The session.
    #[serde(borrow)]
    data: LoginData<'a>,
}

/// `data` of a login answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginData<'a> {
    /// `X-User-Id` of the session.
    user_id: &'a str,
    /// `X-Auth-Token` of the session.
    auth_token: &'a str,
}

/// The account of a session, as `GET me` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// `username` (empty when the answer has none).
    pub username: String,
    /// `roles`, global roles only (empty when the answer has none).
    pub roles: Vec<String>,
}

/// The answer of `GET me` (the user document itself, with the envelope's `success`).
#[derive(Deserialize)]
struct MeAnswer<'a> {
    /// `username`.
    #[serde(default, borrow)]
    username: Option<&'a str>,
    /// `roles`.
    #[serde(default, borrow)]
    roles: Vec<&'a str>,
}

impl Api {
    /// `GET /api/info`: the server's version, if it says.
    pub async fn server_version(&self, auth: Option<&Session>) -> Result<Option<String>, ApiError> {
        let mut request = Request::get("/api/info", Purpose::Preflight);
        if let Some(s) = auth {
            request = request.auth(s.auth());
        }
        let what = "reading the server version (GET /api/info)";
        let (sent, body) = self.expect_ok(what, request).await?;
        let info: InfoAnswer = decode(what, &sent, &body)?;
        Ok(info.version.map(str::to_owned))
    }

    /// `GET me` as `session`: its username and roles.
    pub async fn me(&self, session: &Session, purpose: Purpose) -> Result<Me, ApiError> {
        let request = Request::get("/api/v1/me", purpose).auth(session.auth());
        let what = "reading the account (GET me)";
        let (sent, body) = self.expect_ok(what, request).await?;
        let me: MeAnswer = decode(what, &sent, &body)?;
        Ok(Me {
            username: me.username.unwrap_or_default().to_owned(),
            roles: me.roles.into_iter().map(str::to_owned).collect(),
        })
    }

    /// `POST login` with a username and password; the token is registered for redaction.
    pub async fn login(
        &self,
        user: &str,
        password: &Secret,
        purpose: Purpose,
    ) -> Result<Session, ApiError> {
        self.login_recorded(user, password, purpose)
            .await
            .map(|(session, _)| session)
    }

    /// [`Api::login`], also returning what was sent (the answer's headers tell whether the
    /// API rate limiter is on: the login route is limited for every caller).
    pub async fn login_recorded(
        &self,
        user: &str,
        password: &Secret,
        purpose: Purpose,
    ) -> Result<(Session, Sent), ApiError> {
        self.client.redactor().register(password);
        let request = Request::post(
            "/api/v1/login",
            json!({ "user": user, "password": password.expose() }),
            purpose,
        );
        let what = format!("logging in as `{user}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        // Registered before the answer is read: the record of an answer that does not fit
        // (say, without `userId`) must not show the token either.
        if let Some(token) = body.pointer("/data/authToken").and_then(Value::as_str) {
            self.client.redactor().register(&Secret::new(token));
        }
        let answer: LoginAnswer = decode(&what, &sent, &body)?;
        let session = Session {
            user_id: answer.data.user_id.to_owned(),
            token: Secret::new(answer.data.auth_token),
        };
        self.client.redactor().register(&session.token);
        Ok((session, sent))
    }
}

/// The two-factor password fallback code for `password`: its SHA-256 in lower-case hex.
pub fn two_factor_code(password: &Secret) -> Secret {
    let digest = Sha256::digest(password.expose().as_bytes());
    Secret::new(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )
}
