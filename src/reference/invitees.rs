//! Who an invite names: Rocket.Chat's `getUserListFromParams`, quirks included.
//!
//! Owns the resolution of `userId` / `username` / `user` / `userIds` / `usernames` into user
//! ids (first truthy single selector; `userIds` hides `usernames` even when empty; an id
//! selector makes every entry an id; unknown entries are dropped; no `active` filter), and the
//! `unknown-invitee-fails` deviation, which lives exactly where unknown entries are dropped.
//! It must not check permissions or change state.

use serde_json::{Value, json};

use super::envelope::ApiError;
use super::request::{Params, truthy};
use super::store::Store;
use super::{Deviation, Rules};

/// The list the helper builds before any lookup.
struct Requested {
    entries: Vec<Value>,
    by_id: bool,
}

/// Steps 1–4 of `getUserListFromParams`: build, clean and classify the requested list.
fn requested(params: &Params) -> Result<Requested, ApiError> {
    let sole = ["userId", "username", "user"]
        .iter()
        .filter_map(|key| params.get(*key))
        .find(|value| truthy(Some(value)));
    let list = ["userIds", "usernames"]
        .iter()
        .filter_map(|key| params.get(*key))
        .find(|value| truthy(Some(value)));
    let mut entries = match list {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        // `userListParam.push(...)` on a string, number, boolean or object.
        Some(_) => return Err(ApiError::type_error("userListParam.push is not a function")),
    };
    entries.push(sole.cloned().unwrap_or_else(|| json!("")));
    entries.retain(|entry| truthy(Some(entry)));
    let mut unique: Vec<Value> = Vec::with_capacity(entries.len());
    for entry in entries {
        // `new Set(...)`: primitives by value, objects and arrays by identity (never equal).
        let seen = matches!(entry, Value::String(_) | Value::Number(_) | Value::Bool(_))
            && unique.contains(&entry);
        if !seen {
            unique.push(entry);
        }
    }
    if unique.is_empty() {
        return Err(ApiError::meteor(
            "error-users-params-not-provided",
            "Please provide \"userId\" or \"username\" or \"userIds\" or \"usernames\" as param",
        ));
    }
    Ok(Requested {
        entries: unique,
        by_id: truthy(params.get("userIds")) || truthy(params.get("userId")),
    })
}

/// Resolves the invitees to user ids, in the store's natural order, each at most once.
/// An empty result is the caller's business (the endpoints word it differently).
pub(crate) fn resolve(
    store: &Store,
    rules: &Rules,
    params: &Params,
) -> Result<Vec<String>, ApiError> {
    let Requested { entries, by_id } = requested(params)?;
    let mut wanted = Vec::with_capacity(entries.len());
    for entry in &entries {
        match entry.as_str() {
            Some(text) if by_id => wanted.push(text.to_owned()),
            Some(text) => wanted.push(text.to_lowercase()),
            // Ids: Mongo `$in` with a non-string matches no string `_id`.
            None if by_id => wanted.push(String::new()),
            // Usernames: `escapeRegExp(entry)` calls `.replace` on a non-string.
            None => return Err(ApiError::type_error("input.replace is not a function")),
        }
    }
    let matches = |key: &str| wanted.iter().any(|w| !w.is_empty() && w == key);
    let found: Vec<&str> = store
        .users()
        .filter(|user| {
            if by_id {
                matches(&user.id)
            } else {
                matches(&user.username.to_lowercase())
            }
        })
        .map(|user| user.id.as_str())
        .collect();
    if rules.breaks(Deviation::UnknownInviteeFails) {
        let every_entry_known = wanted.iter().all(|w| {
            store.users().any(|user| {
                if by_id {
                    user.id == *w
                } else {
                    user.username.to_lowercase() == *w
                }
            })
        });
        if !every_entry_known {
            return Err(ApiError::meteor("error-user-not-found", "User not found")
                .with_details(json!({"method": "addUsersToRoom"})));
        }
    }
    Ok(found.into_iter().map(str::to_owned).collect())
}
