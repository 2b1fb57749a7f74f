//! `GET channels.messages` / `GET groups.messages`: a room's messages, newest first.
//!
//! Owns the listing: the room as the family finds it (channels: `findChannelByIdOrName` and
//! `canAccessRoom`, else 403; groups: `findPrivateGroupByIdOrName`, whose access rule answers
//! "not found"), the `sort` query (`{"ts": 1}` for oldest first; default `{ts: -1}`) and the
//! page (`offset`, `count`). The routes are those of the legacy `groups.ts` @575c1631
//! (`Messages.findPaginated(query, {sort: sort || {ts: -1}})`); channels.messages already
//! appears in the pre-TypeScript API tests (`request.get(api('channels.messages'))`), so every
//! emulated line serves both without a version gate. It must not write.

use serde_json::Value;

use super::envelope::Reply;
use super::family::Family;
use super::paging::Page;
use super::request::{Call, text};
use super::rooms::visible_room;

/// Whether the `sort` query asks for oldest first (`{"ts": 1}`); anything else is newest first.
fn oldest_first(sort: Option<&str>) -> bool {
    sort.and_then(|raw| serde_json::from_str::<Value>(raw).ok())
        .and_then(|sort| sort.get("ts").and_then(Value::as_i64))
        .is_some_and(|direction| direction > 0)
}

/// GET /api/v1/channels.messages, /api/v1/groups.messages
pub(crate) async fn messages(family: Family, call: Call) -> Reply {
    let (app, caller, params) = call.parts();
    let page = Page::read(|key| text(&params, key));
    let ascending = oldest_first(text(&params, "sort"));
    app.with_store(|store| {
        let room = visible_room(family, &app, store, &caller, &params, false)?;
        let mut items: Vec<Value> = store
            .messages_of_room(&room.id)
            .map(|message| message.to_json())
            .collect();
        if !ascending {
            items.reverse();
        }
        page.answer("messages", items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ascending_ts_sort_turns_the_order() {
        assert!(oldest_first(Some(r#"{"ts": 1}"#)));
        assert!(!oldest_first(Some(r#"{"ts": -1}"#)));
        assert!(!oldest_first(Some("not json")));
        assert!(!oldest_first(None));
    }
}
