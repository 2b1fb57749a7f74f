//! The session endpoints: `GET /api/info` (the server's version), `POST login` (a
//! [`Session`]) and the two-factor password fallback code.
//!
//! It never keeps a session; the caller holds it.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Api, ApiError, refused};
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

impl Api {
    /// `GET /api/info`: the server's version, if it says.
    pub async fn server_version(&self, auth: Option<&Session>) -> Result<Option<String>, ApiError> {
        let mut request = Request::get("/api/info", Purpose::Preflight);
        if let Some(s) = auth {
            request = request.auth(s.auth());
        }
        let (_, body) = self
            .expect_ok("reading the server version (GET /api/info)", request)
            .await?;
        Ok(body
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned))
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
        let data = body.get("data");
        let user_id = data.and_then(|d| d.get("userId")).and_then(Value::as_str);
        let token = data
            .and_then(|d| d.get("authToken"))
            .and_then(Value::as_str);
        match (user_id, token) {
            (Some(id), Some(token)) => {
                let token = Secret::new(token);
                self.client.redactor().register(&token);
                Ok((
                    Session {
                        user_id: id.to_owned(),
                        token,
                    },
                    sent,
                ))
            }
            _ => Err(refused(
                &what,
                &sent,
                "no data.userId/data.authToken in the answer".into(),
            )),
        }
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
