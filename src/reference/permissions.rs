//! Permissions and roles over REST: `permissions.listAll` / `permissions.update` and
//! `roles.list` / `roles.create` / `roles.delete` / `roles.addUserToRole` /
//! `roles.removeUserFromRole`.
//!
//! Owns the edits of the role lists (replace, never merge), role assignment (global roles on
//! the user, room roles on the subscription) and the Community/Enterprise split for custom
//! roles. It must not evaluate permissions for other routes; `Store::has_permission` does.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use serde_json::{Value, json};

use super::clock::Moment;
use super::envelope::{ApiError, Reply, success};
use super::gate::{Caller, require_any_permission};
use super::lookup;
use super::model::{Role, RoleScope, User};
use super::request::{Call, Params, nonblank, text, truthy};
use super::store::Store;
use super::{App, ids};

fn all_permissions(store: &Store) -> Vec<Value> {
    store
        .permissions()
        .map(|permission| permission.to_json())
        .collect()
}

/// GET /api/v1/permissions.listAll
pub(crate) async fn list_all(call: Call) -> Reply {
    let (app, _, params) = call.parts();
    let since = match nonblank(&params, "updatedSince") {
        None => None,
        Some(raw) => Some(Moment::parse_iso(raw).ok_or_else(|| {
            ApiError::meteor(
                "error-roomId-param-invalid",
                "The \"updatedSince\" query parameter must be a valid date.",
            )
        })?),
    };
    app.with_store(|store| {
        let update: Vec<Value> = store
            .permissions()
            .filter(|permission| since.is_none_or(|since| permission.updated_at > since))
            .map(|permission| permission.to_json())
            .collect();
        success(json!({"update": update, "remove": []}))
    })
}

/// The body `permissions.update` accepts: `{permissions: [{_id, roles: [unique strings]}]}`.
fn requested_grants(params: &Params) -> Option<Vec<(String, Vec<String>)>> {
    let entries = params.get("permissions")?.as_array()?;
    let mut grants = Vec::with_capacity(entries.len());
    for entry in entries {
        let entry = entry.as_object()?;
        if entry.keys().any(|key| key != "_id" && key != "roles") {
            return None;
        }
        let id = entry.get("_id")?.as_str()?.to_owned();
        let roles: Vec<String> = entry
            .get("roles")?
            .as_array()?
            .iter()
            .map(|role| role.as_str().map(str::to_owned))
            .collect::<Option<_>>()?;
        if roles.iter().collect::<BTreeSet<_>>().len() != roles.len() {
            return None;
        }
        grants.push((id, roles));
    }
    Some(grants)
}

/// POST /api/v1/permissions.update — replaces each named permission's role list.
pub(crate) async fn update(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        require_any_permission(store, &caller, &["access-permissions"], app.rules.envelope)?;
        let grants = requested_grants(&params).ok_or_else(|| {
            ApiError::failure_typed("Invalid body params", "error-invalid-body-params")
        })?;
        let known: BTreeSet<&str> = grants
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| store.permission(id).is_some())
            .collect();
        if known.len() != grants.len() {
            return Err(ApiError::failure_typed(
                "Invalid permission",
                "error-invalid-permission",
            ));
        }
        let wanted_roles: BTreeSet<&str> = grants
            .iter()
            .flat_map(|(_, roles)| roles.iter().map(String::as_str))
            .collect();
        if wanted_roles.iter().any(|role| store.role(role).is_none()) {
            return Err(ApiError::failure_typed(
                "Invalid role",
                "error-invalid-role",
            ));
        }
        for (id, roles) in grants {
            store.set_permission_roles(&id, roles);
        }
        success(json!({"permissions": all_permissions(store)}))
    })
}

/// GET /api/v1/roles.list
pub(crate) async fn roles_list(State(app): State<Arc<App>>, _caller: Caller) -> Reply {
    app.with_store(|store| {
        let roles: Vec<Value> = store.roles().map(|role| role.to_json(false)).collect();
        success(json!({"roles": roles}))
    })
}

/// The body `roles.create` accepts (`isRoleCreateProps`: `name` a string; `description` a
/// string; `scope` `Users` or `Subscriptions`; `mandatory2fa` a boolean; nothing else), or
/// `None`.
fn role_create_props(params: &Params) -> Option<(String, RoleScope)> {
    let optional = |key: &str, check: fn(&Value) -> bool| params.get(key).is_none_or(check);
    let known = ["name", "description", "scope", "mandatory2fa"];
    if params.keys().any(|key| !known.contains(&key.as_str()))
        || !optional("description", |v| v.is_string() || v.is_null())
        || !optional("mandatory2fa", |v| v.is_boolean() || v.is_null())
    {
        return None;
    }
    let name = params.get("name")?.as_str()?.to_owned();
    let scope = match params.get("scope") {
        None | Some(Value::Null) => RoleScope::Users,
        Some(scope) => RoleScope::parse(scope.as_str()?)?,
    };
    Some((name, scope))
}

/// POST /api/v1/roles.create (Enterprise: custom roles): the license, the body, then
/// `access-permissions`, then a unique name; the role gets a random `_id`
/// (`apps/meteor/ee/server/api/roles.ts`, `insertRoleAsync`).
pub(crate) async fn roles_create(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    if !app.rules.enterprise {
        return Err(ApiError::enterprise_only());
    }
    let Some((name, scope)) = role_create_props(&params) else {
        return Err(ApiError::meteor(
            "error-invalid-role-properties",
            "The role properties are invalid.",
        ));
    };
    app.with_store(|store| {
        if !store.has_permission(&caller.id, "access-permissions", None) {
            return Err(ApiError::meteor(
                "error-action-not-allowed",
                "Accessing permissions is not allowed",
            ));
        }
        if store.role_by_id_or_name(&name).is_some() {
            return Err(ApiError::meteor(
                "error-duplicate-role-names-not-allowed",
                "Role name already exists",
            ));
        }
        let role = Role {
            id: ids::document_id(),
            name,
            description: text(&params, "description").unwrap_or_default().to_owned(),
            scope,
            protected: false,
            mandatory_2fa: truthy(params.get("mandatory2fa")),
            updated_at: store.now(),
        };
        store.insert_role(role.clone());
        success(json!({"role": role.to_json(true)}))
    })
}

/// POST /api/v1/roles.delete: a core route (`apps/meteor/app/api/server/v1/roles.ts`, route-level
/// `access-permissions`), so a Community server deletes unprotected roles too; a role someone
/// holds (globally or on a subscription) is refused.
pub(crate) async fn roles_delete(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        require_any_permission(store, &caller, &["access-permissions"], app.rules.envelope)?;
        let role = nonblank(&params, "roleId")
            .and_then(|id| store.role_by_id_or_name(id))
            .cloned()
            .ok_or_else(|| ApiError::meteor("error-invalid-roleId", "This role does not exist"))?;
        if role.protected {
            return Err(ApiError::meteor(
                "error-role-protected",
                "Cannot delete a protected role",
            ));
        }
        if store.role_in_use(&role.id) {
            return Err(ApiError::meteor(
                "error-role-in-use",
                "Cannot delete role because it's in use",
            ));
        }
        store.remove_role(&role.id);
        success(json!({}))
    })
}

fn requested_role(params: &Params) -> Option<&str> {
    nonblank(params, "roleId").or_else(|| nonblank(params, "roleName"))
}

/// Puts the role where it lives: on the user (Users) or on the room's subscription.
fn grant_role(store: &mut Store, user: &User, role: &Role, room: Option<&str>) {
    match (role.scope, room) {
        (RoleScope::Users, _) => {
            store.lag_role_change(&user.id, None);
            if let Some(stored) = store.user_mut(&user.id)
                && !stored.roles.contains(&role.id)
            {
                stored.roles.push(role.id.clone());
            }
        }
        (RoleScope::Subscriptions, Some(rid)) => {
            store.lag_role_change(&user.id, Some(rid));
            if let Some(subscription) = store.subscription_mut(rid, &user.id) {
                subscription.roles.push(role.id.clone());
            }
        }
        (RoleScope::Subscriptions, None) => {}
    }
}

/// Takes the role from where it lives: from the user (Users) or from the room's subscription
/// (nothing without a room).
fn revoke_role(store: &mut Store, user: &User, role: &Role, room: Option<&str>) {
    match (role.scope, room) {
        (RoleScope::Users, _) => {
            store.lag_role_change(&user.id, None);
            if let Some(stored) = store.user_mut(&user.id) {
                stored.roles.retain(|held| *held != role.id);
            }
        }
        (RoleScope::Subscriptions, Some(rid)) => {
            store.lag_role_change(&user.id, Some(rid));
            if let Some(subscription) = store.subscription_mut(rid, &user.id) {
                subscription.roles.retain(|held| *held != role.id);
            }
        }
        (RoleScope::Subscriptions, None) => {}
    }
}

/// POST /api/v1/roles.addUserToRole
pub(crate) async fn add_user_to_role(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let user = lookup::user_from_params(store, &params)?;
        let Some(wanted) = requested_role(&params) else {
            return Err(ApiError::failure("error-invalid-role-properties"));
        };
        let role = store
            .role_by_id_or_name(wanted)
            .cloned()
            .ok_or_else(|| ApiError::failure_typed("error-role-not-found", "Role not found"))?;
        let room = nonblank(&params, "roomId");
        if store.has_role(&user.id, &role, room) {
            return Err(ApiError::meteor(
                "error-user-already-in-role",
                "User already in role",
            ));
        }
        // The `authorization:addUserToRole` method.
        let details =
            json!({"method": "authorization:addUserToRole", "action": "Accessing_permissions"});
        if !store.has_permission(&caller.id, "access-permissions", None) {
            return Err(ApiError::meteor(
                "error-action-not-allowed",
                "Accessing permissions is not allowed",
            )
            .with_details(details));
        }
        if role.id == "admin" && !store.has_permission(&caller.id, "assign-admin-role", None) {
            return Err(ApiError::meteor(
                "error-action-not-allowed",
                "Assigning admin is not allowed",
            )
            .with_details(
                json!({"method": "authorization:addUserToRole", "action": "Assign_admin"}),
            ));
        }
        if let (RoleScope::Subscriptions, Some(rid)) = (role.scope, room)
            && !store.is_member(rid, &user.id)
        {
            return Err(
                ApiError::meteor("error-invalid-user", "User is not part of given room")
                    .with_details(json!({"method": "authorization:addUserToRole"})),
            );
        }
        grant_role(store, &user, &role, room);
        success(json!({"role": role.to_json(true)}))
    })
}

/// POST /api/v1/roles.removeUserFromRole
pub(crate) async fn remove_user_from_role(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        require_any_permission(store, &caller, &["access-permissions"], app.rules.envelope)?;
        let Some(wanted) = requested_role(&params) else {
            return Err(ApiError::failure("error-invalid-role-properties"));
        };
        let user = nonblank(&params, "username")
            .and_then(|username| store.user_by_username(username))
            .cloned()
            .ok_or_else(|| {
                ApiError::meteor("error-invalid-user", "There is no user with this username")
            })?;
        let role = store
            .role_by_id_or_name(wanted)
            .cloned()
            .ok_or_else(|| ApiError::meteor("error-invalid-roleId", "This role does not exist"))?;
        let room = nonblank(&params, "scope").or_else(|| nonblank(&params, "roomId"));
        if !store.has_role(&user.id, &role, room) {
            return Err(ApiError::meteor(
                "error-user-not-in-role",
                "User is not in this role",
            ));
        }
        if role.id == "admin" && store.active_admin_count() <= 1 {
            return Err(ApiError::meteor(
                "error-admin-required",
                "You need to have at least one admin",
            ));
        }
        revoke_role(store, &user, &role, room);
        success(json!({"role": role.to_json(true)}))
    })
}
