//! Reading room state in bulk, for every case at once.
//!
//! Cases never touch each other's rooms (the refusals that share a room change nothing, or
//! the guard of [`super::share::guard`] says whose change it is), so one read of every room the
//! run created sees, for each room, the effects of its own case only. The counters (`usersCount`, `msgs`) come from
//! one `rooms.adminRooms` listing of the run's rooms (a page per 100 rooms), read once after
//! all fixtures exist and once after the last call; memberships come from the users' side,
//! one `users.info?includeUserRooms=true` per user a membership expectation names (it reads
//! the subscriptions, so deactivated users show too). Each case's evidence is an excerpt of
//! those answers cut down to its own rooms, marked as such, and cut when the cases are judged
//! ([`Evidence`]), not while the stages wait on the target.
//!
//! A target that cannot answer a bulk read (an error, a room missing from the listing, no
//! `rooms` in `users.info`) is read room by room instead, as a case outside the bulk path is.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::judge::Counters;
use super::lanes::in_lanes;
use crate::target::api::{Api, Session};
use crate::target::{Exchange, Sent};

/// One page of a listing: the request as sent and the documents it listed.
#[derive(Debug, Clone)]
struct Page {
    sent: Sent,
    rooms: Vec<Value>,
}

/// The counters of every listed room, by room id, and the pages that listed them.
#[derive(Debug, Default)]
pub struct CounterRead {
    pages: Vec<Page>,
    /// Room id → its page, its place on the page, its counters.
    by_id: HashMap<String, (usize, usize, Counters)>,
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
                    .map(|(sent, rooms)| Page { sent, rooms })
                    .collect();
                let mut by_id = HashMap::new();
                for (index, page) in pages.iter().enumerate() {
                    for (place, room) in page.rooms.iter().enumerate() {
                        // A room listed without both counters as numbers is read on its own.
                        if let (Some(id), (Some(users), Some(msgs))) =
                            (id_of(room, "_id"), counters_of(room))
                        {
                            by_id.insert(id.to_owned(), (index, place, (Some(users), Some(msgs))));
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
        self.by_id.get(id).map(|(_, _, c)| *c)
    }

    /// The document of room `id` as the listing showed it, if it had it.
    pub fn document(&self, id: &str) -> Option<&Value> {
        let (page, place, _) = self.by_id.get(id)?;
        self.pages.get(*page)?.rooms.get(*place)
    }

    /// The evidence for rooms `ids`: each page that listed one of them, its body cut down to
    /// those rooms; or the failing exchange.
    pub fn evidence(&self, ids: &[String], when: &str) -> Vec<Exchange> {
        if let Some(exchange) = &self.failure {
            return vec![exchange.clone()];
        }
        let mut pages: std::collections::BTreeMap<usize, Vec<&Value>> = Default::default();
        for id in ids {
            if let Some((page, place, _)) = self.by_id.get(id) {
                pages
                    .entry(*page)
                    .or_default()
                    .push(&self.pages[*page].rooms[*place]);
            }
        }
        pages
            .into_iter()
            .map(|(index, rooms)| {
                self.pages[index].sent.excerpt(
                    &body(&ListingExcerpt {
                        rooms: &rooms,
                        success: true,
                    }),
                    format!(
                        "the counters {when}: an excerpt of one listing of the run's {} rooms, \
                         shared by every case; only this case's rooms are kept",
                        self.by_id.len()
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
    sent: Sent,
    /// Room id → its subscription's place in `subscriptions`.
    ids: HashMap<String, usize>,
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
                    Ok((sent, Some(subscriptions))) => Ok(UserRooms {
                        sent,
                        ids: subscriptions
                            .iter()
                            .enumerate()
                            .filter_map(|(place, s)| Some((id_of(s, "rid")?.to_owned(), place)))
                            .collect(),
                        subscriptions,
                    }),
                    Ok((sent, None)) => Err(sent.exchange()),
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
            Ok(read) => Some(read.ids.contains_key(room_id)),
            Err(_) => None,
        }
    }

    /// The evidence about `user_id` in rooms `room_ids`: the answer cut down to those rooms,
    /// or the failing exchange.
    pub fn evidence(&self, user_id: &str, room_ids: &[String]) -> Option<Exchange> {
        Some(match self.by_user.get(user_id)? {
            Ok(read) => {
                let rooms: Vec<&Value> = room_ids
                    .iter()
                    .filter_map(|id| read.ids.get(id).map(|&place| &read.subscriptions[place]))
                    .collect();
                read.sent.excerpt(
                    &body(&UserExcerpt {
                        user: UserRoomsExcerpt {
                            id: user_id,
                            rooms: &rooms,
                        },
                        success: true,
                    }),
                    format!(
                        "memberships after the calls: an excerpt of the user's {} subscriptions, \
                         read once for every case; only this case's rooms are kept",
                        read.ids.len()
                    ),
                )
            }
            Err(exchange) => exchange.clone(),
        })
    }
}

/// The body of a listing's excerpt: the kept rooms as listed.
#[derive(serde::Serialize)]
struct ListingExcerpt<'v> {
    rooms: &'v [&'v Value],
    success: bool,
}

/// The body of a `users.info` excerpt: the kept subscriptions as read.
#[derive(serde::Serialize)]
struct UserExcerpt<'v> {
    user: UserRoomsExcerpt<'v>,
    success: bool,
}

#[derive(serde::Serialize)]
struct UserRoomsExcerpt<'v> {
    #[serde(rename = "_id")]
    id: &'v str,
    rooms: &'v [&'v Value],
}

/// An excerpt's body as JSON text, written straight from the documents (not through a copy of
/// them as a new value).
fn body(excerpt: &impl serde::Serialize) -> String {
    serde_json::to_string(excerpt).unwrap_or_default()
}

/// One entry of a bulk case's transcript: an exchange of the case's own, or its part of a
/// read shared by every case, cut down to its rooms only when the case is judged (cutting is
/// work for the processor, best done while cleanup waits on the target).
#[derive(Debug)]
pub enum Evidence {
    /// An exchange of the case's own.
    Own(Exchange),
    /// The counters of the case's rooms in a listing.
    Counters {
        /// The listing.
        read: Arc<CounterRead>,
        /// The case's room ids.
        rooms: Vec<String>,
        /// When it was read ("before the call").
        when: &'static str,
    },
    /// A user's memberships in the case's rooms.
    Memberships {
        /// The users' rooms as read.
        read: Arc<MembershipRead>,
        /// The user's id.
        user: String,
        /// The case's room ids.
        rooms: Vec<String>,
    },
}

impl Evidence {
    /// The exchanges this entry stands for, appended to `out`.
    pub fn cut_into(self, out: &mut Vec<Exchange>) {
        match self {
            Evidence::Own(exchange) => out.push(exchange),
            Evidence::Counters { read, rooms, when } => out.extend(read.evidence(&rooms, when)),
            Evidence::Memberships { read, user, rooms } => {
                out.extend(read.evidence(&user, &rooms));
            }
        }
    }
}

/// The string `key` of a document.
fn id_of<'v>(document: &'v Value, key: &str) -> Option<&'v str> {
    document.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_come_from_users_count_and_msgs() {
        assert_eq!(
            counters_of(&json!({"usersCount": 3, "msgs": 7})),
            (Some(3), Some(7))
        );
        assert_eq!(counters_of(&json!({"msgs": "7"})), (None, None));
    }
}
