//! Administration listings: `rooms.adminRooms` (rooms of every type by name, for holders of
//! `view-room-administration`; the runner's leftover check) and `users.list` (every user).
//!
//! Read-only; it must not change any state.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use serde_json::{Value, json};

use super::App;
use super::envelope::{Reply, success};
use super::gate::{Caller, require_any_permission};
use super::request::decode_urlencoded;

/// `API_Default_Count` and `API_Upper_Count_Limit`.
const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 100;

/// GET /api/v1/rooms.adminRooms?filter=&types[]=&offset=&count=
pub(crate) async fn admin_rooms(State(app): State<Arc<App>>, caller: Caller, uri: Uri) -> Reply {
    let pairs = decode_urlencoded(uri.query().unwrap_or_default());
    let value = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let filter = value("filter").unwrap_or_default().to_lowercase();
    let types: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "types[]" || k == "types")
        .map(|(_, v)| v.as_str())
        .collect();
    let number = |key: &str| {
        value(key)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let offset = number("offset");
    let count = match number("count") {
        0 => DEFAULT_COUNT,
        n => n.min(MAX_COUNT),
    };
    app.with_store(|store| {
        require_any_permission(
            store,
            &caller,
            &["view-room-administration"],
            app.rules.envelope,
        )?;
        let mut rooms: Vec<Value> = store
            .rooms()
            .filter(|room| types.is_empty() || types.contains(&room.kind.code()))
            .map(|room| room.to_json(false))
            .filter(|doc| {
                filter.is_empty()
                    || ["name", "fname"].iter().any(|k| {
                        doc.get(*k)
                            .and_then(Value::as_str)
                            .is_some_and(|n| n.to_lowercase().contains(&filter))
                    })
                    || doc
                        .get("usernames")
                        .and_then(Value::as_array)
                        .is_some_and(|u| {
                            u.iter()
                                .filter_map(Value::as_str)
                                .any(|n| n.to_lowercase().contains(&filter))
                        })
            })
            .collect();
        rooms.sort_by(|a, b| {
            a.get("name")
                .and_then(Value::as_str)
                .cmp(&b.get("name").and_then(Value::as_str))
        });
        let total = rooms.len();
        let page: Vec<Value> = rooms.into_iter().skip(offset).take(count).collect();
        success(json!({"rooms": page, "count": page.len(), "offset": offset, "total": total}))
    })
}

/// GET /api/v1/users.list?offset=&count= (every user, sorted by username; `view-d-room`).
pub(crate) async fn users_list(State(app): State<Arc<App>>, caller: Caller, uri: Uri) -> Reply {
    let pairs = decode_urlencoded(uri.query().unwrap_or_default());
    let number = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let offset = number("offset");
    let count = match number("count") {
        0 => DEFAULT_COUNT,
        n => n.min(MAX_COUNT),
    };
    app.with_store(|store| {
        require_any_permission(store, &caller, &["view-d-room"], app.rules.envelope)?;
        let mut users: Vec<_> = store.users().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        let total = users.len();
        let page: Vec<Value> = users
            .iter()
            .skip(offset)
            .take(count)
            .map(|u| {
                let mut doc = u.member_json();
                if let Some(map) = doc.as_object_mut() {
                    map.insert("active".into(), json!(u.active));
                    map.insert("roles".into(), json!(u.roles));
                }
                doc
            })
            .collect();
        success(json!({"users": page, "count": page.len(), "offset": offset, "total": total}))
    })
}
