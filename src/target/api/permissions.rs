//! The permission endpoints: `permissions.listAll` (every permission's role list) and
//! `permissions.update` (one permission's role list replaced).
//!
//! It reads and writes role lists; restoring them after a run is the runner's job.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::Api;
use super::ApiError;
use super::session::Session;
use crate::target::request::{Purpose, Request};

impl Api {
    /// `GET permissions.listAll`: every permission's role list.
    pub async fn permissions(
        &self,
        admin: &Session,
        purpose: Purpose,
    ) -> Result<IndexMap<String, Vec<String>>, ApiError> {
        let request = Request::get("/api/v1/permissions.listAll", purpose).auth(admin.auth());
        let (_, body) = self.expect_ok("listing permissions", request).await?;
        let mut out = IndexMap::new();
        for p in body
            .get("update")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = p.get("_id").and_then(Value::as_str) {
                let roles = p
                    .get("roles")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(id.to_owned(), roles);
            }
        }
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
        let request = Request::post(
            "/api/v1/permissions.update",
            json!({ "permissions": [{ "_id": permission, "roles": roles }] }),
            purpose,
        )
        .auth(admin.auth());
        self.expect_ok(&format!("setting permission `{permission}`"), request)
            .await
            .map(|_| ())
    }
}
