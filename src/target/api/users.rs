//! The user endpoints: `users.create` (with the two-factor fallback headers),
//! `users.delete`, `users.setActiveStatus` and `users.info` (an id by username, and a user's
//! rooms).
//!
//! It creates and reads users as asked; which users a run needs is decided elsewhere.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Identified, decode, take_array};
use super::session::Session;
use super::{Api, ApiError, path_escape};
use crate::target::record::Sent;
use crate::target::request::{Purpose, Request};
use crate::target::secret::Secret;

/// The answer of `users.create` and `users.info`.
#[derive(Deserialize)]
struct UserAnswer<'a> {
    /// The user.
    #[serde(borrow)]
    user: Identified<'a>,
}

/// The answer of `users.info?includeUserRooms=true`.
#[derive(Deserialize)]
struct UserRoomsAnswer<'a> {
    /// The user.
    #[serde(borrow)]
    user: UserRooms<'a>,
}

/// A user document with its subscriptions.
#[derive(Deserialize)]
struct UserRooms<'a> {
    /// `rooms`: absent on a server that ignores `includeUserRooms`. The documents are moved
    /// out of the answer afterwards, whole.
    #[serde(default, borrow)]
    rooms: Option<Vec<Subscription<'a>>>,
}

/// A subscription document, as far as the runner relies on it (checked, not kept: the
/// document is moved out whole).
#[derive(Deserialize)]
struct Subscription<'a> {
    /// `rid`: the room.
    #[serde(rename = "rid")]
    _room_id: &'a str,
}

impl Api {
    /// `POST users.create` as `admin`, with the two-factor password fallback headers
    /// (`two_factor_code` = hex SHA-256 of the admin's password). Returns the new user's id.
    pub async fn create_user(
        &self,
        admin: &Session,
        two_factor_code: Option<&Secret>,
        username: &str,
        password: &Secret,
        roles: &[String],
    ) -> Result<String, ApiError> {
        self.client.redactor().register(password);
        let body = json!({
            "username": username,
            "name": username,
            "email": format!("{username}@rc-conform.invalid"),
            "password": password.expose(),
            "roles": roles,
            "verified": false,
            "joinDefaultChannels": false,
            "requirePasswordChange": false,
            "sendWelcomeEmail": false,
        });
        let mut request =
            Request::post("/api/v1/users.create", body, Purpose::Provision).auth(admin.auth());
        if let Some(code) = two_factor_code {
            request
                .headers
                .push(("X-2FA-Method".to_owned(), Secret::new("password")));
            request
                .headers
                .push(("X-2FA-Code".to_owned(), code.clone()));
        }
        let what = format!("creating user `{username}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: UserAnswer = decode(&what, &sent, &body)?;
        Ok(answer.user.id.to_owned())
    }

    /// `POST users.delete` (with `confirmRelinquish`, so owned rooms do not block it).
    pub async fn delete_user(&self, admin: &Session, user_id: &str) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/users.delete",
            json!({ "userId": user_id, "confirmRelinquish": true }),
            Purpose::Cleanup,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("deleting user {user_id}"), request)
            .await
            .map(|_| ())
    }

    /// `POST users.setActiveStatus`.
    pub async fn set_active(
        &self,
        admin: &Session,
        user_id: &str,
        active: bool,
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/users.setActiveStatus",
            json!({ "userId": user_id, "activeStatus": active, "confirmRelinquish": true }),
            purpose,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("setting user {user_id} active={active}"), request)
            .await
            .map(|_| ())
    }

    /// `GET users.info?username=`: the user's id, or `None` when no such user exists.
    pub async fn user_id_by_username(
        &self,
        admin: &Session,
        username: &str,
    ) -> Result<Option<String>, ApiError> {
        let request = Request::get(
            format!("/api/v1/users.info?username={}", path_escape(username)),
            Purpose::Cleanup,
        )
        .auth(admin.auth());
        let what = "looking up a user";
        match self.expect_ok(what, request).await {
            Ok((sent, body)) => {
                let answer: UserAnswer = decode(what, &sent, &body)?;
                Ok(Some(answer.user.id.to_owned()))
            }
            Err(ApiError::Refused {
                status: 400 | 404, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET users.info?userId=&includeUserRooms=true` as `admin` (who holds
    /// `view-other-user-channels`): the user's subscription documents (`rid`, `name`, `t`, …),
    /// so a deactivated user's memberships show too. `None` when the answer has no
    /// `user.rooms` (a server without the parameter).
    pub async fn user_rooms(
        &self,
        admin: &Session,
        user_id: &str,
    ) -> Result<(Sent, Option<Vec<Value>>), ApiError> {
        let request = Request::get(
            format!(
                "/api/v1/users.info?userId={}&includeUserRooms=true",
                path_escape(user_id)
            ),
            Purpose::Verify,
        )
        .auth(admin.auth());
        let what = format!("reading the rooms of user {user_id}");
        let (sent, mut body) = self.expect_ok(&what, request).await?;
        let answer: UserRoomsAnswer = decode(&what, &sent, &body)?;
        if answer.user.rooms.is_none() {
            return Ok((sent, None));
        }
        Ok((sent, take_array(&mut body, "/user/rooms")))
    }
}
