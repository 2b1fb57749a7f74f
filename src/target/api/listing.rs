//! The room listing: `rooms.adminRooms`, page by page, as documents (for the counters read
//! in bulk) or as [`ListedRoom`]s (for cleanup and the leftover check).
//!
//! It lists; it never deletes or judges what it finds.

use serde_json::Value;

use super::session::Session;
use super::{Api, ApiError, path_escape, take_array};
use crate::target::record::Sent;
use crate::target::request::{Purpose, Request};

/// One room as `rooms.adminRooms` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRoom {
    /// `_id`
    pub id: String,
    /// `name` (or `fname`, or the usernames of a direct room).
    pub name: String,
    /// `t`
    pub room_type: String,
}

impl Api {
    /// `GET rooms.adminRooms?filter=` page by page ([`LIST_PAGE`] rooms at a time, until the
    /// answer's `total`): each page as sent with the documents it listed, for the rooms of
    /// every type whose name contains `filter`.
    pub async fn admin_room_pages(
        &self,
        admin: &Session,
        filter: &str,
        purpose: Purpose,
    ) -> Result<Vec<(Sent, Vec<Value>)>, ApiError> {
        let mut pages: Vec<(Sent, Vec<Value>)> = Vec::new();
        let mut listed = 0;
        loop {
            let path = format!(
                "/api/v1/rooms.adminRooms?filter={}&types[]=c&types[]=p&types[]=d&offset={listed}&count={LIST_PAGE}",
                path_escape(filter),
            );
            let request = Request::get(path, purpose).auth(admin.auth());
            let (sent, mut body) = self
                .expect_ok("listing rooms (rooms.adminRooms)", request)
                .await?;
            let page = take_array(&mut body, "/rooms").unwrap_or_default();
            let total = body.get("total").and_then(Value::as_u64);
            let received = page.len();
            listed += received;
            pages.push((sent, page));
            // A server that pages differently, or ignores `offset`, ends the listing rather
            // than looping: an empty page, or no `total` and a short page.
            let more = match total {
                Some(total) => (listed as u64) < total,
                None => received == LIST_PAGE,
            };
            if received == 0 || !more || pages.len() >= MAX_PAGES {
                break;
            }
        }
        Ok(pages)
    }

    /// [`Api::admin_room_pages`] as id, name and type (for cleanup and the leftover check).
    pub async fn rooms_named(
        &self,
        admin: &Session,
        filter: &str,
    ) -> Result<Vec<ListedRoom>, ApiError> {
        let pages = self
            .admin_room_pages(admin, filter, Purpose::Cleanup)
            .await?;
        Ok(pages
            .iter()
            .flat_map(|(_, rooms)| rooms)
            .map(|r| {
                let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                let name = r
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        r.get("usernames").and_then(Value::as_array).map(|u| {
                            u.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                    })
                    .unwrap_or_default();
                ListedRoom {
                    id: s("_id"),
                    name,
                    room_type: s("t"),
                }
            })
            .collect())
    }
}

/// Rooms per `rooms.adminRooms` page: `API_Upper_Count_Limit`'s default.
pub const LIST_PAGE: usize = 100;

/// Pages read at most from one listing (100,000 rooms).
const MAX_PAGES: usize = 1000;
