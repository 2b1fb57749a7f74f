//! The role endpoints: whether the target offers custom roles (a `roles.create` probe that
//! creates nothing), `roles.create`, `roles.delete`, `roles.addUserToRole` and a role's id by
//! name (`roles.list`).
//!
//! It creates and removes the roles it is asked to; which roles a run needs, and what they are
//! granted, is the runner's business.

use serde::Deserialize;
use serde_json::json;

use super::answer::decode;
use super::session::Session;
use super::{Api, ApiError};
use crate::target::request::{Purpose, Request};

/// The scope of a role: held by a user (`Users`) or on one room's subscription
/// (`Subscriptions`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RoleScope {
    /// Held globally, on the user.
    Users,
    /// Held on a subscription, for one room.
    Subscriptions,
}

impl RoleScope {
    /// The scope as Rocket.Chat names it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleScope::Users => "Users",
            RoleScope::Subscriptions => "Subscriptions",
        }
    }
}

/// What the probe learned about custom roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomRoles {
    /// `roles.create` is served and licensed: it refused the empty probe body for its content.
    Available,
    /// The target does not offer them; why, in a few words.
    Unavailable(String),
}

/// The answer of `roles.create` and `roles.addUserToRole`.
#[derive(Deserialize)]
struct RoleAnswer<'a> {
    /// The role.
    #[serde(borrow)]
    role: RoleDocument<'a>,
}

/// A role document, as far as the runner reads it.
#[derive(Deserialize)]
struct RoleDocument<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `name`.
    #[serde(default, borrow)]
    name: Option<&'a str>,
}

/// The answer of `roles.list`.
#[derive(Deserialize)]
struct RolesAnswer<'a> {
    /// Every role.
    #[serde(borrow)]
    roles: Vec<RoleDocument<'a>>,
}

impl Api {
    /// Whether the target offers custom roles, without creating one: `roles.create` with an
    /// empty body is refused by the Enterprise license check on a Community server
    /// (`error-action-not-allowed`, "This is an enterprise feature") or not routed at all
    /// (404), and refused for its missing `name` where custom roles exist
    /// (`error-invalid-role-properties`; `invalid-params` where a schema validates first).
    pub async fn custom_roles(&self, admin: &Session) -> Result<CustomRoles, ApiError> {
        let request =
            Request::post("/api/v1/roles.create", json!({}), Purpose::Preflight).auth(admin.auth());
        match self
            .expect_ok("probing custom roles (roles.create)", request)
            .await
        {
            Err(ApiError::Refused { message, .. })
                if message.contains("invalid-role-properties")
                    || message.contains("invalid-params") =>
            {
                Ok(CustomRoles::Available)
            }
            Err(ApiError::Refused { status: 404, .. }) => Ok(CustomRoles::Unavailable(
                "roles.create is not served (404)".to_owned(),
            )),
            Err(ApiError::Refused { message, .. }) => Ok(CustomRoles::Unavailable(format!(
                "roles.create answered {message}"
            ))),
            Err(e) => Err(e),
            // An empty role was created: a server that validates nothing. It has no name to
            // find it by; say so rather than guess.
            Ok(_) => Ok(CustomRoles::Unavailable(
                "roles.create accepted an empty body; custom roles are not used on such a server"
                    .to_owned(),
            )),
        }
    }

    /// `POST roles.create`: a role named `name` of `scope`; returns its `_id`.
    pub async fn create_role(
        &self,
        admin: &Session,
        name: &str,
        scope: RoleScope,
        description: &str,
    ) -> Result<String, ApiError> {
        let request = Request::post(
            "/api/v1/roles.create",
            json!({ "name": name, "scope": scope.as_str(), "description": description }),
            Purpose::Provision,
        )
        .auth(admin.auth());
        let what = format!("creating role `{name}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: RoleAnswer = decode(&what, &sent, &body)?;
        Ok(answer.role.id.to_owned())
    }

    /// `POST roles.delete` (the role must be held by nobody).
    pub async fn delete_role(&self, admin: &Session, role_id: &str) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/roles.delete",
            json!({ "roleId": role_id }),
            Purpose::Cleanup,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("deleting role {role_id}"), request)
            .await
            .map(|_| ())
    }

    /// `POST roles.addUserToRole`: `username` gets the role, on `room_id`'s subscription for a
    /// `Subscriptions` role.
    pub async fn add_user_to_role(
        &self,
        admin: &Session,
        role_id: &str,
        username: &str,
        room_id: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut body = json!({ "roleId": role_id, "username": username });
        if let Some(room_id) = room_id {
            body["roomId"] = json!(room_id);
        }
        let request = Request::post("/api/v1/roles.addUserToRole", body, Purpose::Provision)
            .auth(admin.auth());
        self.expect_ok(&format!("giving `{username}` role {role_id}"), request)
            .await
            .map(|_| ())
    }

    /// The `_id` of the role named `name` (`GET roles.list`), if there is one.
    pub async fn role_id_by_name(
        &self,
        admin: &Session,
        name: &str,
    ) -> Result<Option<String>, ApiError> {
        let request = Request::get("/api/v1/roles.list", Purpose::Cleanup).auth(admin.auth());
        let what = "listing roles";
        let (sent, body) = self.expect_ok(what, request).await?;
        let answer: RolesAnswer = decode(what, &sent, &body)?;
        Ok(answer
            .roles
            .iter()
            .find(|r| r.name == Some(name) || r.id == name)
            .map(|r| r.id.to_owned()))
    }
}
