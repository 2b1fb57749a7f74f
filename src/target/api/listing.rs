//! The room listing: `rooms.adminRooms`, page by page, as documents (for the counters read
//! in bulk) or as [`ListedRoom`]s (for cleanup and the leftover check).
//!
//! It lists; it never deletes or judges what it finds.

use serde::Deserialize;
use serde_json::Value;

use super::answer::{Identified, decode, decode_at, take_array};
use super::session::Session;
use super::{Api, ApiError, path_escape};
use crate::target::record::Sent;
use crate::target::request::{Purpose, Request};

/// One room as `rooms.adminRooms` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRoom {
    /// `_id`
    pub id: String,
    /// `name` (or the usernames of a direct room, comma-separated; or `fname` when the room
    /// has no name, as an omnichannel room).
    pub name: String,
    /// `fname`, the display name (a discussion's given name; its `name` is a random id).
    pub fname: Option<String>,
    /// `t`
    pub room_type: String,
}

/// What a failing listing was doing.
const WHAT: &str = "listing rooms (rooms.adminRooms)";

/// One page of a `rooms.adminRooms` answer.
#[derive(Deserialize)]
struct AdminRoomsPage<'a> {
    /// The rooms of the page (checked here, moved out of the answer whole afterwards).
    #[serde(borrow)]
    rooms: Vec<Identified<'a>>,
    /// Rooms matching in all (absent on servers that do not say).
    #[serde(default)]
    total: Option<u64>,
}

/// A listed room document, as far as cleanup reads it.
#[derive(Deserialize)]
struct ListedDocument<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `name` (absent on a direct room).
    #[serde(default, borrow)]
    name: Option<&'a str>,
    /// `usernames` (a direct room's members).
    #[serde(default, borrow)]
    usernames: Option<Vec<&'a str>>,
    /// `fname`.
    #[serde(default, borrow)]
    fname: Option<&'a str>,
    /// `t`: the room type.
    #[serde(rename = "t")]
    room_type: &'a str,
}

impl Api {
    /// `GET rooms.adminRooms?filter=` page by page ([`LIST_PAGE`] rooms at a time, until the
    /// answer's `total`): each page as sent with the documents it listed, for the rooms of
    /// every type (omnichannel rooms included) whose name contains `filter`.
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
                "/api/v1/rooms.adminRooms?filter={}&types[]=c&types[]=p&types[]=d&types[]=l&offset={listed}&count={LIST_PAGE}",
                path_escape(filter),
            );
            let request = Request::get(path, purpose).auth(admin.auth());
            let (sent, mut body) = self.expect_ok(WHAT, request).await?;
            let answer: AdminRoomsPage = decode(WHAT, &sent, &body)?;
            let (received, total) = (answer.rooms.len(), answer.total);
            let page = take_array(&mut body, "/rooms").unwrap_or_default();
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
        let mut rooms = Vec::new();
        for (sent, page) in &pages {
            for (place, document) in page.iter().enumerate() {
                let at = format!("rooms[{place}]");
                let room: ListedDocument = decode_at(WHAT, sent, &at, document)?;
                let name = match (room.name, room.usernames, room.fname) {
                    (Some(name), _, _) => name.to_owned(),
                    (None, Some(usernames), _) => usernames.join(","),
                    (None, None, Some(fname)) => fname.to_owned(),
                    (None, None, None) => String::new(),
                };
                rooms.push(ListedRoom {
                    id: room.id.to_owned(),
                    name,
                    fname: room.fname.map(str::to_owned),
                    room_type: room.room_type.to_owned(),
                });
            }
        }
        Ok(rooms)
    }
}

/// Rooms per `rooms.adminRooms` page: `API_Upper_Count_Limit`'s default.
pub const LIST_PAGE: usize = 100;

/// Pages read at most from one listing (100,000 rooms).
const MAX_PAGES: usize = 1000;
