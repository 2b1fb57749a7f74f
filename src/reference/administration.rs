//! Administration listings: `rooms.adminRooms` (rooms of every type by name, for holders of
//! `view-room-administration`; the runner's leftover check) and `users.list` (every user).
//!
//! Read-only; it must not change any state.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use serde_json::{Value, json};

use super::App;
use super::envelope::Reply;
use super::gate::{Caller, require_any_permission};
use super::model::Room;
use super::paging::Page;
use super::request::decode_urlencoded;

/// The query's pairs and a reader of a key's last occurrence.
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    decode_urlencoded(uri.query().unwrap_or_default())
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Whether the room's name, display name or (direct rooms) a participant contains `filter`.
fn matches_filter(doc: &Value, filter: &str) -> bool {
    let contains = |text: &str| text.to_lowercase().contains(filter);
    filter.is_empty()
        || ["name", "fname"]
            .iter()
            .any(|key| doc.get(*key).and_then(Value::as_str).is_some_and(contains))
        || doc
            .get("usernames")
            .and_then(Value::as_array)
            .is_some_and(|names| names.iter().filter_map(Value::as_str).any(contains))
}

fn listed(room: &Room, types: &[&str]) -> bool {
    types.is_empty() || types.contains(&room.kind.code())
}

/// GET /api/v1/rooms.adminRooms?filter=&types[]=&offset=&count=
pub(crate) async fn admin_rooms(State(app): State<Arc<App>>, caller: Caller, uri: Uri) -> Reply {
    let pairs = query_pairs(&uri);
    let filter = last(&pairs, "filter").unwrap_or_default().to_lowercase();
    let types: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "types[]" || k == "types")
        .map(|(_, v)| v.as_str())
        .collect();
    let page = Page::read(|key| last(&pairs, key));
    app.with_store(|store| {
        require_any_permission(
            store,
            &caller,
            &["view-room-administration"],
            app.rules.envelope,
        )?;
        let mut rooms: Vec<Value> = store
            .rooms()
            .filter(|room| listed(room, &types))
            .map(|room| room.to_json(false))
            .filter(|doc| matches_filter(doc, &filter))
            .collect();
        rooms.sort_by(|a, b| {
            a.get("name")
                .and_then(Value::as_str)
                .cmp(&b.get("name").and_then(Value::as_str))
        });
        page.answer("rooms", rooms)
    })
}

/// GET /api/v1/users.list?offset=&count= (every user, sorted by username; `view-d-room`).
pub(crate) async fn users_list(State(app): State<Arc<App>>, caller: Caller, uri: Uri) -> Reply {
    let pairs = query_pairs(&uri);
    let page = Page::read(|key| last(&pairs, key));
    app.with_store(|store| {
        require_any_permission(store, &caller, &["view-d-room"], app.rules.envelope)?;
        let mut users: Vec<_> = store.users().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        let docs = users
            .iter()
            .map(|u| {
                let mut doc = u.member_json();
                if let Some(map) = doc.as_object_mut() {
                    map.insert("active".into(), json!(u.active));
                    map.insert("roles".into(), json!(u.roles));
                }
                doc
            })
            .collect();
        page.answer("users", docs)
    })
}
