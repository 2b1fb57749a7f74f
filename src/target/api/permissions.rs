//! The permission endpoints: `permissions.listAll` (every permission's role list) and
//! `permissions.update` (one permission's role list replaced).
//!
//! `permissions.update` is read for its envelope alone (success or the reason it failed).
//! It reads and writes role lists; restoring them after a run is the runner's job.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::json;

use super::answer::decode;
use super::session::Session;
use super::{Api, ApiError};
use crate::target::request::{Purpose, Request};

/// The answer of `permissions.listAll` (without `updatedSince`: every permission is in
/// `update`).
#[derive(Deserialize)]
struct ListAllAnswer<'a> {
    /// Every permission.
    #[serde(borrow)]
    update: Vec<Permission<'a>>,
}

/// One permission and the roles that hold it.
#[derive(Deserialize)]
struct Permission<'a> {
    /// `_id`: the permission's name.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `roles` (absent: none).
    #[serde(default, borrow)]
    roles: Vec<&'a str>,
}

impl Api {
    /// `GET permissions.listAll`: every permission's role list.
    pub async fn permissions(
        &self,
        admin: &Session,
        purpose: Purpose,
    ) -> Result<IndexMap<String, Vec<String>>, ApiError> {
        let request = Request::get("/api/v1/permissions.listAll", purpose).auth(admin.auth());
        let what = "listing permissions";
        let (sent, body) = self.expect_ok(what, request).await?;
        let answer: ListAllAnswer = decode(what, &sent, &body)?;
        let out = answer
            .update
            .into_iter()
            .map(|p| {
                (
                    p.id.to_owned(),
                    p.roles.into_iter().map(str::to_owned).collect(),
                )
            })
            .collect();
        Ok(out)
    }

    /// `POST permissions.update` for one permission (replaces its role list).
    pub async fn set_permission(
        &self,
        admin: &Session,
        permission: &str,
        roles: &[String],
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        self.set_permissions(admin, &[(permission.to_owned(), roles.to_vec())], purpose)
            .await
    }

    /// Sets every permission of `lists` to its role list in one `permissions.update` (as
    /// [`Api::set_permission`] does one).
    pub async fn set_permissions(
        &self,
        admin: &Session,
        lists: &[(String, Vec<String>)],
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let permissions: Vec<_> = lists
            .iter()
            .map(|(permission, roles)| json!({ "_id": permission, "roles": roles }))
            .collect();
        let names: Vec<&str> = lists.iter().map(|(p, _)| p.as_str()).collect();
        let request = Request::post(
            "/api/v1/permissions.update",
            json!({ "permissions": permissions }),
            purpose,
        )
        .auth(admin.auth());
        let what = format!("setting permission `{}`", names.join("`, `"));
        self.expect_ok(&what, request).await.map(|_| ())
    }
}
