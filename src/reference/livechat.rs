//! Omnichannel, as far as the invite rules need it: a visitor opens a livechat room (`t: l`)
//! over REST, unauthenticated, as the Livechat widget does — `POST livechat/visitor`
//! `{visitor: {token, name?}}`, `GET livechat/room?token=` — and closes it with
//! `POST livechat/room.close` `{rid, token}`, and is removed with its rooms by
//! `DELETE livechat/visitor/:token`. Omnichannel is always enabled here.
//!
//! Owns visitors (by token) and their rooms: one open room per visitor, reused by later
//! `livechat/room` calls; no agent, department or inquiry exists, so the room has no
//! subscriptions (a real server may need an online agent or `Livechat_accept_chats_with_no_agents`
//! to open it: an emulation choice). What the invite endpoints do with an `l` room is decided in
//! `invite.rs` (`findChannelByIdOrName` accepts `l`; the livechat directive allows `INVITE`,
//! `apps/meteor/server/lib/rooms/roomTypes/livechat.ts`, so only the joined-room premise can
//! authorise). The answer shapes (`{visitor}`, `{room, newRoom}`, `{rid, comment}`) are recalled
//! from the Livechat API, not re-read. It must not touch other room types.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::App;
use super::envelope::{ApiError, Reply, success};
use super::ids;
use super::model::{LivechatState, Room, RoomKind};
use super::records::Visitor;
use super::request::{Body, Query, text};
use super::store::Store;

/// POST /api/v1/livechat/visitor `{visitor: {token, name?}}`: registers (or updates) the
/// visitor with this token.
pub(crate) async fn register_visitor(State(app): State<Arc<App>>, Body(params): Body) -> Reply {
    let visitor = params.get("visitor").and_then(Value::as_object);
    let Some(token) = visitor.and_then(|v| v.get("token")).and_then(Value::as_str) else {
        return Err(ApiError::type_error(
            "Match error: Missing key 'token' in field visitor",
        ));
    };
    let name = visitor
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    app.with_store(|store| {
        let visitor = match store.visitor(token).cloned() {
            Some(known) => Visitor {
                name: name.unwrap_or(known.name.clone()),
                ..known
            },
            None => new_visitor(store, token, name),
        };
        store.insert_visitor(visitor.clone());
        success(json!({"visitor": visitor.to_json()}))
    })
}

fn new_visitor(store: &mut Store, token: &str, name: Option<String>) -> Visitor {
    let number = store.visitor_count() + 1;
    let username = format!("guest-{number}");
    Visitor {
        id: ids::document_id(),
        token: token.to_owned(),
        name: name.unwrap_or_else(|| username.clone()),
        username,
        created_at: store.now(),
    }
}

fn invalid_token() -> ApiError {
    ApiError::failure("invalid-token")
}

/// GET /api/v1/livechat/room?token= : the visitor's open room, created when there is none.
pub(crate) async fn room(State(app): State<Arc<App>>, Query(params): Query) -> Reply {
    let token = text(&params, "token").unwrap_or_default().to_owned();
    app.with_store(|store| {
        let visitor = store.visitor(&token).cloned().ok_or_else(invalid_token)?;
        if let Some(open) = open_room_of(store, &visitor.token) {
            let doc = open.to_json(false);
            return success(json!({"room": doc, "newRoom": false}));
        }
        let mut room = Room::new(ids::document_id(), RoomKind::Livechat, store.now());
        room.fname = Some(visitor.name.clone());
        room.links.livechat = Some(LivechatState {
            open: true,
            visitor_id: visitor.id.clone(),
            visitor_username: visitor.username.clone(),
            visitor_token: visitor.token.clone(),
        });
        let doc = room.to_json(false);
        store.insert_room(room);
        success(json!({"room": doc, "newRoom": true}))
    })
}

fn open_room_of<'a>(store: &'a Store, token: &str) -> Option<&'a Room> {
    store.rooms().find(|room| {
        room.links
            .livechat
            .as_ref()
            .is_some_and(|chat| chat.open && chat.visitor_token == token)
    })
}

/// POST /api/v1/livechat/room.close `{rid, token}`: the visitor closes its open room.
pub(crate) async fn close(State(app): State<Arc<App>>, Body(params): Body) -> Reply {
    let token = text(&params, "token").unwrap_or_default().to_owned();
    let rid = text(&params, "rid").unwrap_or_default().to_owned();
    app.with_store(|store| {
        store.visitor(&token).ok_or_else(invalid_token)?;
        let room = store
            .room_mut(&rid)
            .filter(|room| {
                room.links
                    .livechat
                    .as_ref()
                    .is_some_and(|c| c.visitor_token == token)
            })
            .ok_or_else(|| ApiError::failure("invalid-room"))?;
        match room.links.livechat.as_mut() {
            Some(chat) if chat.open => chat.open = false,
            _ => return Err(ApiError::failure("room-closed")),
        }
        success(json!({"rid": rid, "comment": "Closed by visitor"}))
    })
}

/// DELETE /api/v1/livechat/visitor/:token : the visitor and its rooms are removed
/// (apps/meteor/app/livechat/imports/server/rest/visitor.ts: a visitor with an open room is
/// refused unless the GDPR setting allows it; `removeGuest` → `cleanGuestHistory` deletes its
/// rooms' messages and subscriptions and the rooms; the visitor is disabled, here removed).
pub(crate) async fn remove_visitor(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
) -> Reply {
    app.with_store(|store| {
        let visitor = store.visitor(&token).cloned().ok_or_else(invalid_token)?;
        if open_room_of(store, &token).is_some() {
            return Err(ApiError::meteor(
                "visitor-has-open-rooms",
                "Cannot remove visitors with opened rooms",
            ));
        }
        let rooms: Vec<String> = store
            .rooms()
            .filter(|room| {
                room.links
                    .livechat
                    .as_ref()
                    .is_some_and(|chat| chat.visitor_token == token)
            })
            .map(|room| room.id.clone())
            .collect();
        for room in rooms {
            store.remove_room(&room);
        }
        store.remove_visitor(&token);
        let ts = store.now();
        success(json!({"visitor": {"_id": visitor.id, "ts": ts.iso()}}))
    })
}
