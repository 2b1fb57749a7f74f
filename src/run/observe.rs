//! Reading room state in bulk, for every case at once.
//!
//! Cases never touch each other's rooms, so one read of every room the run created sees, for
//! each room, the effects of its own case only. The counters (`usersCount`, `msgs`) come from
//! one `rooms.adminRooms` listing of the run's rooms (a page per 100 rooms), read once after
//! all fixtures exist and once after the last call; memberships come from the users' side,
//! one `users.info?includeUserRooms=true` per user a membership expectation names (it reads
//! the subscriptions, so deactivated users show too). Each case's evidence is an excerpt of
//! those answers cut down to its own rooms, marked as such.
//!
//! A target that cannot answer a bulk read (an error, a room missing from the listing, no
//! `rooms` in `users.info`) is read room by room instead, as a case outside the bulk path is.

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};

use super::judge::Counters;
use super::lanes::in_lanes;
use crate::target::Exchange;
use crate::target::api::{Api, Session};

/// One page of a listing: the exchange and the documents it listed.
#[derive(Debug, Clone)]
struct Page {
    exchange: Exchange,
    rooms: Vec<Value>,
}

/// The counters of every listed room, by room id, and the pages that listed them.
#[derive(Debug, Default)]
pub struct CounterRead {
    pages: Vec<Page>,
    by_id: HashMap<String, (usize, Counters)>,
    /// The failing exchange, when the listing failed.
    failure: Option<Exchange>,
}

/// A room's counters as the server reports them.
pub fn counters_of(room: &Value) -> Counters {
    (
        room.get("usersCount").and_then(Value::as_i64),
        room.get("msgs").and_then(Value::as_i64),
    )
}

impl CounterRead {
    /// Lists every room whose name contains `filter` (the run's name prefix).
    pub async fn read(api: &Api, admin: &Session, filter: &str) -> CounterRead {
        match api
            .admin_room_pages(admin, filter, crate::target::Purpose::Verify)
            .await
        {
            Ok(pages) => {
                let pages: Vec<Page> = pages
                    .into_iter()
                    .map(|(exchange, rooms)| Page { exchange, rooms })
                    .collect();
                let mut by_id = HashMap::new();
                for (index, page) in pages.iter().enumerate() {
                    for room in &page.rooms {
                        // A room listed without both counters as numbers is read on its own.
                        if let (Some(id), (Some(users), Some(msgs))) =
                            (id_of(room, "_id"), counters_of(room))
                        {
                            by_id.insert(id.to_owned(), (index, (Some(users), Some(msgs))));
                        }
                    }
                }
                CounterRead {
                    pages,
                    by_id,
                    failure: None,
                }
            }
            Err(e) => CounterRead {
                failure: Some(e.exchange().clone()),
                ..CounterRead::default()
            },
        }
    }

    /// The counters of room `id`, if the listing had it.
    pub fn get(&self, id: &str) -> Option<Counters> {
        self.by_id.get(id).map(|(_, c)| *c)
    }

    /// The evidence for rooms `ids`: each page that listed one of them, its body cut down to
    /// those rooms; or the failing exchange.
    pub fn evidence(&self, ids: &BTreeSet<&str>, when: &str) -> Vec<Exchange> {
        if let Some(exchange) = &self.failure {
            return vec![exchange.clone()];
        }
        let listed = self.by_id.len();
        let mut pages: BTreeSet<usize> = BTreeSet::new();
        for id in ids {
            if let Some((page, _)) = self.by_id.get(*id) {
                pages.insert(*page);
            }
        }
        pages
            .into_iter()
            .map(|index| {
                let page = &self.pages[index];
                excerpt(
                    &page.exchange,
                    json!({ "rooms": kept(&page.rooms, "_id", ids), "success": true }),
                    format!(
                        "the counters {when}: an excerpt of one listing of the run's {listed} rooms, \
                         shared by every case; only this case's rooms are kept"
                    ),
                )
            })
            .collect()
    }
}

/// The rooms of each user, read from the users' side: each user's subscriptions, or the
/// exchange that did not give them (a failure, or an answer without `user.rooms` from a
/// server that does not support `includeUserRooms`).
#[derive(Debug, Default)]
pub struct MembershipRead {
    by_user: HashMap<String, Result<UserRooms, Exchange>>,
}

/// A user's subscriptions as read.
#[derive(Debug, Clone)]
struct UserRooms {
    exchange: Exchange,
    ids: HashSet<String>,
    subscriptions: Vec<Value>,
}

impl MembershipRead {
    /// Reads the rooms of every user in `user_ids`, `jobs` at a time.
    pub async fn read(
        api: &Api,
        admin: &Session,
        user_ids: BTreeSet<String>,
        jobs: usize,
    ) -> MembershipRead {
        let users: Vec<(usize, String)> = user_ids.into_iter().enumerate().collect();
        let read = in_lanes(users.clone(), jobs, None, |user| {
            let (api, admin) = (api.clone(), admin.clone());
            async move {
                match api.user_rooms(&admin, &user).await {
                    Ok((exchange, Some(subscriptions))) => Ok(UserRooms {
                        exchange,
                        ids: subscriptions
                            .iter()
                            .filter_map(|s| id_of(s, "rid"))
                            .map(str::to_owned)
                            .collect(),
                        subscriptions,
                    }),
                    Ok((exchange, None)) => Err(exchange),
                    Err(e) => Err(e.exchange().clone()),
                }
            }
        })
        .await;
        let by_user = read
            .into_iter()
            .filter_map(|(position, out)| Some((users[position].1.clone(), out.ok()?)))
            .collect();
        MembershipRead { by_user }
    }

    /// Whether user `user_id` is a member of room `room_id`; `None` when not known.
    pub fn is_member(&self, user_id: &str, room_id: &str) -> Option<bool> {
        match self.by_user.get(user_id)? {
            Ok(read) => Some(read.ids.contains(room_id)),
            Err(_) => None,
        }
    }

    /// The evidence about `user_id` in rooms `room_ids`: the answer cut down to those rooms,
    /// or the failing exchange.
    pub fn evidence(&self, user_id: &str, room_ids: &BTreeSet<&str>) -> Option<Exchange> {
        Some(match self.by_user.get(user_id)? {
            Ok(read) => excerpt(
                &read.exchange,
                json!({
                    "user": { "_id": user_id, "rooms": kept(&read.subscriptions, "rid", room_ids) },
                    "success": true
                }),
                format!(
                    "memberships after the calls: an excerpt of the user's {} subscriptions, \
                     read once for every case; only this case's rooms are kept",
                    read.ids.len()
                ),
            ),
            Err(exchange) => exchange.clone(),
        })
    }
}

/// The string `key` of a document.
fn id_of<'v>(document: &'v Value, key: &str) -> Option<&'v str> {
    document.get(key).and_then(Value::as_str)
}

/// The documents of `all` whose `key` is one of `ids`.
fn kept<'v>(all: &'v [Value], key: &str, ids: &BTreeSet<&str>) -> Vec<&'v Value> {
    all.iter()
        .filter(|d| id_of(d, key).is_some_and(|id| ids.contains(id)))
        .collect()
}

/// `exchange` with its body replaced by `body` and a note saying what was cut.
fn excerpt(exchange: &Exchange, body: Value, note: String) -> Exchange {
    // Field by field: cloning the whole record would copy the full body only to drop it.
    Exchange {
        method: exchange.method.clone(),
        url: exchange.url.clone(),
        request_headers: exchange.request_headers.clone(),
        request_body: exchange.request_body.clone(),
        status: exchange.status,
        response_headers: exchange.response_headers.clone(),
        response_body: Some(body.to_string()),
        error: exchange.error.clone(),
        attempts: exchange.attempts,
        retries: exchange.retries.clone(),
        duration_ms: exchange.duration_ms,
        note: Some(note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_come_from_users_count_and_msgs() {
        assert_eq!(
            counters_of(&json!({"usersCount": 3, "msgs": 7})),
            (Some(3), Some(7))
        );
        assert_eq!(counters_of(&json!({"msgs": "7"})), (None, None));
    }
}
