//! Accounts: `GET /api/info`, `login`, `logout`, `me`, `users.create`, `users.info`,
//! `users.delete` and `users.setActiveStatus`.
//!
//! Owns credentials (password digests, login tokens), the `saveUser` validation order of
//! users.create (2FA first, then `create-user`, roles, username, e-mail, availability), the
//! default-channel join, deletion with its ownership hand-over, and deactivation (which revokes
//! login tokens). It must not touch room settings or room roles.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::envelope::{ApiError, Reply, success};
use super::gate::{Caller, require_any_permission};
use super::model::{Email, RoomKind, User};
use super::records::Draft;
use super::request::{Body, Call, Params, nonblank, text, truthy};
use super::store::Store;
use super::{App, Deviation, Rules, ids, lookup, ownership, schema, two_factor};

/// GET /api/info
pub(crate) async fn server_info(State(app): State<Arc<App>>) -> Reply {
    success(json!({"version": app.version}))
}

fn login_refused() -> Response {
    let body = json!({"status": "error", "error": "Unauthorized", "message": "Unauthorized"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// Which account the login body names (`user` is a username or, with `@`, an e-mail).
fn account_named<'a>(store: &'a Store, params: &Params) -> Option<&'a User> {
    if let Some(user) = text(params, "user") {
        return if user.contains('@') {
            store.user_by_email(user)
        } else {
            store.user_by_username(user)
        };
    }
    if let Some(username) = text(params, "username") {
        return store.user_by_username(username);
    }
    text(params, "email").and_then(|email| store.user_by_email(email))
}

/// The password as typed, or `{digest, algorithm: "sha-256"}` as Meteor clients send it.
fn password_matches(user: &User, password: Option<&Value>) -> bool {
    let Some(stored) = user.password_digest.as_deref() else {
        return false;
    };
    match password {
        Some(Value::String(plain)) => ids::password_digest(plain) == stored,
        Some(Value::Object(hashed)) => hashed
            .get("digest")
            .and_then(Value::as_str)
            .is_some_and(|digest| digest.to_lowercase() == stored),
        _ => false,
    }
}

/// POST /api/v1/login
pub(crate) async fn login(State(app): State<Arc<App>>, Body(params): Body) -> Response {
    app.with_store(|store| {
        let (user, token) = if let Some(resume) = nonblank(&params, "resume") {
            match store.token_owner(resume) {
                Some(user) => (user.clone(), resume.to_owned()),
                None => return login_refused(),
            }
        } else {
            match account_named(store, &params) {
                Some(user) if password_matches(user, params.get("password")) => {
                    let user = user.clone();
                    let token = store.issue_token(&user.id);
                    (user, token)
                }
                _ => return login_refused(),
            }
        };
        if !user.active {
            store.revoke_token(&token);
            return login_refused();
        }
        let body = json!({
            "status": "success",
            "data": {"userId": user.id, "authToken": token, "me": user.full_json()},
        });
        Json(body).into_response()
    })
}

/// POST /api/v1/logout
pub(crate) async fn logout(State(app): State<Arc<App>>, caller: Caller) -> Json<Value> {
    app.with_store(|store| store.revoke_token(&caller.token));
    Json(json!({"status": "success", "data": {"message": "You've been logged out!"}}))
}

/// GET /api/v1/me
pub(crate) async fn me(State(app): State<Arc<App>>, caller: Caller) -> Reply {
    app.with_store(|store| {
        let user = store
            .user(&caller.id)
            .ok_or_else(|| ApiError::unauthenticated(app.rules.envelope))?;
        success(user.full_json())
    })
}

fn save_user_error(code: &str, reason: &str, extra: Value) -> ApiError {
    let mut details = json!({"method": "insertOrUpdateUser"});
    if let (Value::Object(details), Value::Object(extra)) = (&mut details, extra) {
        details.extend(extra);
    }
    ApiError::meteor(code, reason).with_details(details)
}

fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Rocket.Chat's `validateEmail`, approximately: `local@label.label…tld`.
fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local
            .chars()
            .any(|c| c.is_whitespace() || "<>()[]\\,;:@\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// POST /api/v1/users.create
pub(crate) async fn users_create(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    Body(mut params): Body,
) -> Reply {
    schema::users_create_body(app.rules.envelope, &mut params)?;
    app.with_store(|store| create_user(store, &app.rules, &caller, &headers, &params))
}

/// What users.create reads from its body.
struct NewUser {
    username: String,
    email: String,
    name: String,
    password: String,
    /// `roles` when it is an array (its strings), else `["user"]`.
    roles: Vec<String>,
}

impl NewUser {
    fn from_params(params: &Params) -> NewUser {
        let field = |key: &str| text(params, key).unwrap_or_default().to_owned();
        let roles = match params.get("roles") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => vec!["user".to_owned()],
        };
        NewUser {
            username: field("username"),
            email: field("email"),
            name: field("name"),
            password: field("password"),
            roles,
        }
    }
}

/// The 2FA check of users.create; a success is remembered for this login and client
/// (`apps/meteor/app/2fa/server/code/index.ts`,
/// Accounts_TwoFactorAuthentication_RememberFor).
fn ensure_two_factor(
    store: &mut Store,
    rules: &Rules,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let caller_user = store
        .user(&caller.id)
        .cloned()
        .ok_or_else(|| ApiError::unauthenticated(rules.envelope))?;
    let remembered_as = two_factor::fingerprint(&caller.token, headers);
    if !store.two_factor_remembered(&remembered_as, two_factor::REMEMBER_FOR_MS) {
        two_factor::verify(rules, headers, &caller_user)?;
        if rules.two_factor {
            store.remember_two_factor(remembered_as);
        }
    }
    Ok(())
}

/// saveUser → validateUserData, in its order.
fn validate_user_data(store: &Store, caller: &Caller, new: &NewUser) -> Result<(), ApiError> {
    let NewUser {
        username,
        email,
        roles,
        ..
    } = new;
    if !store.has_permission(&caller.id, "create-user", None) {
        return Err(save_user_error(
            "error-action-not-allowed",
            "Adding user is not allowed",
            json!({"action": "Adding_user"}),
        ));
    }
    if roles != &["user"] && !store.has_permission(&caller.id, "assign-roles", None) {
        return Err(save_user_error(
            "error-action-not-allowed",
            "Assign roles is not allowed",
            json!({"action": "Assign_role"}),
        ));
    }
    if !valid_username(username) {
        return Err(save_user_error(
            "error-input-is-not-a-valid-field",
            &format!("{username} is not a valid username"),
            json!({"input": username, "field": "Username"}),
        ));
    }
    if !valid_email(email) {
        return Err(save_user_error(
            "error-invalid-email",
            &format!("Invalid email {email}"),
            json!({"email": email}),
        ));
    }
    let taken = |what: &str| {
        save_user_error(
            "error-field-unavailable",
            &format!("{what} is already in use :("),
            json!({"field": what}),
        )
    };
    if store.user_by_username(username).is_some() {
        return Err(taken(username));
    }
    if store.user_by_email(email).is_some() {
        return Err(taken(email));
    }
    if roles.iter().any(|role| store.role(role).is_none()) {
        return Err(ApiError::meteor("error-invalid-role", "Invalid role"));
    }
    Ok(())
}

fn create_user(
    store: &mut Store,
    rules: &Rules,
    caller: &Caller,
    headers: &HeaderMap,
    params: &Params,
) -> Reply {
    ensure_two_factor(store, rules, caller, headers)?;
    let new = NewUser::from_params(params);
    validate_user_data(store, caller, &new)?;
    let NewUser {
        username,
        email,
        name,
        password,
        roles,
    } = new;
    let now = store.now();
    let user = User {
        id: ids::document_id(),
        username,
        name,
        emails: vec![Email {
            address: email,
            verified: truthy(params.get("verified")),
        }],
        password_digest: Some(ids::password_digest(&password)),
        roles,
        active: params.get("active") != Some(&Value::Bool(false)),
        bot: false,
        require_password_change: truthy(params.get("requirePasswordChange")),
        created_at: now,
        updated_at: now,
    };
    store.insert_user(user.clone());
    let join_default_channels = params
        .get("joinDefaultChannels")
        .is_none_or(|value| truthy(Some(value)));
    if join_default_channels {
        join_default_rooms(
            store,
            &user.id,
            truthy(params.get("joinDefaultChannelsSilenced")),
        );
    }
    success(json!({"user": user.full_json()}))
}

/// `addUserToDefaultChannels`: each default room, with a `uj` message unless silenced.
fn join_default_rooms(store: &mut Store, user_id: &str, silenced: bool) {
    let defaults: Vec<String> = store
        .rooms()
        .filter(|room| room.default && room.kind != RoomKind::Direct)
        .map(|room| room.id.clone())
        .collect();
    for room_id in defaults {
        if store.is_member(&room_id, user_id) {
            continue;
        }
        store.join(&room_id, user_id, Vec::new());
        if !silenced && let Some(author) = store.author(user_id) {
            let draft = Draft::system("uj", &author.username.clone(), author);
            store.record_message(&room_id, draft);
        }
    }
}

/// GET /api/v1/users.info
pub(crate) async fn users_info(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        let found = if truthy(params.get("userId")) {
            text(&params, "userId").and_then(|id| store.user(id))
        } else if truthy(params.get("username")) {
            text(&params, "username").and_then(|name| store.user_by_username(name))
        } else {
            return Err(ApiError::failure("Invalid search query."));
        };
        let user = found.ok_or_else(|| ApiError::failure("User not found."))?;
        let full = user.id == caller.id
            || store.has_permission(&caller.id, "view-full-other-user-info", None);
        let mut doc = if full {
            user.full_json()
        } else {
            user.limited_json()
        };
        // `includeUserRooms`: the user's subscriptions, for the user itself or a holder of
        // `view-other-user-channels` (projection rid, name, t, roles, unread; by type, name).
        let include_rooms = text(&params, "includeUserRooms")
            .is_some_and(|v| matches!(v.trim().to_lowercase().as_str(), "true" | "1"));
        if include_rooms
            && (user.id == caller.id
                || store.has_permission(&caller.id, "view-other-user-channels", None))
        {
            let mut rooms: Vec<(String, String, Value)> = store
                .subscriptions_of_user(&user.id)
                .filter_map(|sub| {
                    let room = store.room(&sub.room_id)?;
                    let name = room.name.clone().unwrap_or_default();
                    let kind = room.kind.code().to_owned();
                    let entry = json!({"rid": room.id, "name": name, "t": kind, "roles": sub.roles, "unread": 0});
                    Some((kind, name, entry))
                })
                .collect();
            rooms.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            if let Value::Object(map) = &mut doc {
                map.insert(
                    "rooms".into(),
                    Value::Array(rooms.into_iter().map(|(_, _, r)| r).collect()),
                );
            }
        }
        success(json!({"user": doc}))
    })
}

fn last_admin_refusal(user: &User, store: &Store, method: &str) -> Option<ApiError> {
    let is_admin = user.roles.iter().any(|role| role == "admin");
    (is_admin && user.active && store.active_admin_count() <= 1).then(|| {
        ApiError::meteor(
            "error-action-not-allowed",
            "Leaving the app without admins is not allowed.",
        )
        .with_details(json!({"method": method, "action": "Remove_last_admin"}))
    })
}

/// POST /api/v1/users.delete
pub(crate) async fn users_delete(call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    app.with_store(|store| {
        require_any_permission(store, &caller, &["delete-user"], app.rules.envelope)?;
        let user = lookup::user_from_params(store, &params)?;
        if let Some(refusal) = last_admin_refusal(&user, store, "deleteUser") {
            return Err(refusal);
        }
        let ownerships = ownership::sole_ownerships(store, &user.id);
        if !ownerships.is_empty() && !truthy(params.get("confirmRelinquish")) {
            return Err(ownership::last_owner_refusal(&ownerships));
        }
        let mut deleted_rooms = ownership::relinquish(store, &ownerships, true);
        for room_id in store.direct_rooms_of(&user.id) {
            store.remove_room(&room_id);
            deleted_rooms.push(room_id);
        }
        let memberships: Vec<String> = store
            .subscriptions_of_user(&user.id)
            .map(|sub| sub.room_id.clone())
            .collect();
        for room_id in memberships {
            store.adjust_users_count(&room_id, -1);
        }
        store.remove_user(&user.id);
        success(json!({"deletedRooms": deleted_rooms}))
    })
}

/// POST /api/v1/users.setActiveStatus
pub(crate) async fn users_set_active_status(call: Call) -> Reply {
    let (app, caller, mut params) = call.parts();
    let rules = &app.rules;
    app.with_store(|store| {
        require_any_permission(
            store,
            &caller,
            &["edit-other-user-active-status", "manage-moderation-actions"],
            rules.envelope,
        )?;
        schema::set_active_status_body(rules.envelope, &mut params)?;
        let active = params.get("activeStatus") == Some(&Value::Bool(true));
        let Some(user) = text(&params, "userId")
            .and_then(|id| store.user(id))
            .cloned()
        else {
            return Err(ApiError::failure("User not found"));
        };
        if !active {
            if let Some(refusal) = last_admin_refusal(&user, store, "setUserActiveStatus") {
                return Err(refusal);
            }
            let ownerships = ownership::sole_ownerships(store, &user.id);
            if !ownerships.is_empty() && !truthy(params.get("confirmRelinquish")) {
                return Err(ownership::last_owner_refusal(&ownerships));
            }
            ownership::relinquish(store, &ownerships, false);
        }
        let now = store.now();
        if let Some(stored) = store.user_mut(&user.id) {
            stored.active = active;
            stored.updated_at = now;
        }
        // Deactivation logs the user out everywhere.
        if !active && !rules.breaks(Deviation::AcceptDeactivatedToken) {
            store.revoke_tokens_of(&user.id);
        }
        success(json!({"user": {"_id": user.id, "active": active}}))
    })
}
