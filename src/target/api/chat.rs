//! A room's messages and topic: `channels.messages` / `groups.messages` (newest first),
//! `chat.delete`, and `channels.setTopic` / `groups.setTopic`.
//!
//! The runner uses them to undo what a run leaves in rooms it did not create (the system
//! messages of invites into `general`) and to keep the run lock's heartbeat; which messages go
//! is the runner's decision.

use serde::Deserialize;
use serde_json::json;

use super::answer::decode;
use super::session::Session;
use super::{Api, ApiError, path_escape, prefix};
use crate::api::RoomType;
use crate::target::request::{Purpose, Request};

/// A message as the runner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessage {
    /// `_id`.
    pub id: String,
    /// `t`: the system message type (`au`, `ru`, …), absent on a user's message.
    pub kind: Option<String>,
    /// `msg`: for a membership message, the username it is about.
    pub msg: String,
    /// `ts`, as sent.
    pub ts: String,
}

/// The answer of `channels.messages` / `groups.messages`.
#[derive(Deserialize)]
struct MessagesAnswer<'a> {
    /// One page of messages.
    #[serde(borrow)]
    messages: Vec<MessageDocument<'a>>,
}

/// A message document, as far as the runner reads it.
#[derive(Deserialize)]
struct MessageDocument<'a> {
    /// `_id`.
    #[serde(rename = "_id")]
    id: &'a str,
    /// `t`.
    #[serde(default, borrow, rename = "t")]
    kind: Option<&'a str>,
    /// `msg`.
    #[serde(default, borrow)]
    msg: Option<&'a str>,
    /// `ts`.
    #[serde(default, borrow)]
    ts: Option<&'a str>,
}

impl Api {
    /// `GET channels.messages` / `groups.messages`: a page of 100 of the room's messages,
    /// newest first, from `offset`.
    pub async fn room_messages(
        &self,
        reader: &Session,
        room_type: RoomType,
        room_id: &str,
        offset: usize,
        purpose: Purpose,
    ) -> Result<Vec<RoomMessage>, ApiError> {
        let path = format!(
            "/api/v1/{}.messages?roomId={}&offset={offset}&count=100&sort={}",
            prefix(room_type),
            path_escape(room_id),
            path_escape(r#"{"ts":-1}"#),
        );
        let request = Request::get(path, purpose).auth(reader.auth());
        let what = format!("reading the messages of room {room_id}");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: MessagesAnswer = decode(&what, &sent, &body)?;
        Ok(answer
            .messages
            .into_iter()
            .map(|m| RoomMessage {
                id: m.id.to_owned(),
                kind: m.kind.map(str::to_owned),
                msg: m.msg.unwrap_or_default().to_owned(),
                ts: m.ts.unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// `POST chat.delete`: removes message `msg_id` of room `room_id`.
    pub async fn delete_message(
        &self,
        actor: &Session,
        room_id: &str,
        msg_id: &str,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            "/api/v1/chat.delete",
            json!({ "roomId": room_id, "msgId": msg_id }),
            Purpose::Cleanup,
        )
        .auth(actor.auth());
        self.expect_ok(&format!("deleting message {msg_id}"), request)
            .await
            .map(|_| ())
    }

    /// `POST channels.setTopic` / `groups.setTopic`.
    pub async fn set_topic(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
        topic: &str,
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            format!("/api/v1/{}.setTopic", prefix(room_type)),
            json!({ "roomId": room_id, "topic": topic }),
            purpose,
        )
        .auth(actor.auth());
        self.expect_ok(&format!("setting the topic of room {room_id}"), request)
            .await
            .map(|_| ())
    }

    /// The `topic` of the room named exactly `name`, as `rooms.adminRooms` lists it: `None`
    /// when no such room is listed, `Some(None)` when it has no topic.
    pub async fn listed_topic(
        &self,
        admin: &Session,
        name: &str,
    ) -> Result<Option<Option<String>>, ApiError> {
        let pages = self
            .admin_room_pages(admin, name, Purpose::Preflight)
            .await?;
        let found = pages
            .iter()
            .flat_map(|(_, docs)| docs)
            .find(|doc| doc.get("name").and_then(|n| n.as_str()) == Some(name));
        Ok(found.map(|doc| doc.get("topic").and_then(|t| t.as_str()).map(str::to_owned)))
    }
}
