//! The room endpoints: `channels.create` / `groups.create` / `im.create`, delete, archive,
//! room roles, and the room-by-room reads (`*.members`, `*.info`, `*.messages`).
//!
//! It acts on the rooms it is given; it never chooses which rooms a case needs.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Identified, decode, take, take_array};
use super::session::Session;
use super::{Api, ApiError, path_escape, prefix, refused};
use crate::api::RoomType;
use crate::evidence::Exchange;
use crate::target::record::Sent;
use crate::target::request::{Purpose, Request};

/// The answer of `channels.create` / `channels.info`.
#[derive(Deserialize)]
struct ChannelAnswer<T> {
    /// The room.
    channel: T,
}

/// The answer of `groups.create` / `groups.info`.
#[derive(Deserialize)]
struct GroupAnswer<T> {
    /// The room.
    group: T,
}

/// The room of a `channels.*` (public) or `groups.*` (private) answer `body`, read as `T`.
fn room_of<'a, T: Deserialize<'a>>(
    room_type: RoomType,
    what: &str,
    sent: &Sent,
    body: &'a Value,
) -> Result<T, ApiError> {
    if room_type == RoomType::Public {
        decode::<ChannelAnswer<T>>(what, sent, body).map(|a| a.channel)
    } else {
        decode::<GroupAnswer<T>>(what, sent, body).map(|a| a.group)
    }
}

/// The answer of `im.create`.
#[derive(Deserialize)]
struct DirectAnswer<'a> {
    /// The direct room.
    #[serde(borrow)]
    room: DirectRoom<'a>,
}

/// The direct room of an `im.create` answer: its id is `_id`, or `rid` on servers that answer
/// with the subscription.
#[derive(Deserialize)]
struct DirectRoom<'a> {
    /// `_id`.
    #[serde(default, borrow, rename = "_id")]
    id: Option<&'a str>,
    /// `rid`.
    #[serde(default, borrow)]
    rid: Option<&'a str>,
}

/// The answer of `channels.members` / `groups.members`.
#[derive(Deserialize)]
struct MembersAnswer<'a> {
    /// The members (one page: the request asks for all of them).
    #[serde(borrow)]
    members: Vec<Identified<'a>>,
}

/// A room-scoped role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRole {
    /// `owner`
    Owner,
    /// `moderator`
    Moderator,
    /// `leader`
    Leader,
}

impl Api {
    /// `POST channels.create` / `groups.create` as `creator`; returns the room id.
    pub async fn create_room(
        &self,
        creator: &Session,
        room_type: RoomType,
        name: &str,
        members: &[String],
        read_only: bool,
    ) -> Result<String, ApiError> {
        let p = prefix(room_type);
        let request = Request::post(
            format!("/api/v1/{p}.create"),
            json!({ "name": name, "members": members, "readOnly": read_only }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating room `{name}` ({p}.create)");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let room: Identified = room_of(room_type, &what, &sent, &body)?;
        Ok(room.id.to_owned())
    }

    /// `POST im.create` as `creator` with `username`; returns the room id.
    pub async fn create_direct(
        &self,
        creator: &Session,
        username: &str,
    ) -> Result<String, ApiError> {
        let request = Request::post(
            "/api/v1/im.create",
            json!({ "username": username }),
            Purpose::Provision,
        )
        .auth(creator.auth());
        let what = format!("creating a direct room with `{username}`");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: DirectAnswer = decode(&what, &sent, &body)?;
        let id = answer.room.id.or(answer.room.rid).ok_or_else(|| {
            let message = "the answer does not fit at `room`: missing field `_id` (or `rid`)";
            refused(&what, &sent, message.to_owned())
        })?;
        Ok(id.to_owned())
    }

    /// `POST <channels|groups>.<action>` with `body` as `actor`, requiring success.
    async fn room_action(
        &self,
        actor: &Session,
        room_type: RoomType,
        action: &str,
        body: Value,
        purpose: Purpose,
        what: String,
    ) -> Result<(), ApiError> {
        let request = Request::post(
            format!("/api/v1/{}.{action}", prefix(room_type)),
            body,
            purpose,
        )
        .auth(actor.auth());
        self.expect_ok(&what, request).await.map(|_| ())
    }

    /// `POST channels.delete` / `groups.delete` as `actor` (a member, for groups).
    pub async fn delete_room(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(), ApiError> {
        let what = format!("deleting room {room_id} ({}.delete)", prefix(room_type));
        self.room_action(
            actor,
            room_type,
            "delete",
            json!({ "roomId": room_id }),
            Purpose::Cleanup,
            what,
        )
        .await
    }

    /// `POST channels.archive` / `groups.archive`.
    pub async fn archive(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(), ApiError> {
        let what = format!("archiving room {room_id}");
        self.room_action(
            actor,
            room_type,
            "archive",
            json!({ "roomId": room_id }),
            Purpose::Provision,
            what,
        )
        .await
    }

    /// `POST channels.addOwner|addModerator|addLeader` (or the groups twins).
    pub async fn add_room_role(
        &self,
        actor: &Session,
        room_type: RoomType,
        role: RoomRole,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), ApiError> {
        let action = match role {
            RoomRole::Owner => "addOwner",
            RoomRole::Moderator => "addModerator",
            RoomRole::Leader => "addLeader",
        };
        let what = format!("{}.{action} in room {room_id}", prefix(room_type));
        self.room_action(
            actor,
            room_type,
            action,
            json!({ "roomId": room_id, "userId": user_id }),
            Purpose::Provision,
            what,
        )
        .await
    }

    /// `GET channels.members` / `groups.members` as `actor`: the members' user ids (active
    /// users only, as the server lists them).
    pub async fn members(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
    ) -> Result<(Exchange, Vec<String>), ApiError> {
        let p = prefix(room_type);
        let request = Request::get(
            format!(
                "/api/v1/{p}.members?roomId={}&count=0",
                path_escape(room_id)
            ),
            Purpose::Verify,
        )
        .auth(actor.auth());
        let what = format!("listing members of {room_id}");
        let (sent, body) = self.expect_ok(&what, request).await?;
        let answer: MembersAnswer = decode(&what, &sent, &body)?;
        let ids = answer.members.iter().map(|m| m.id.to_owned()).collect();
        Ok((sent.exchange(), ids))
    }

    /// `GET channels.messages` / `groups.messages` as `actor`: the room's newest `count`
    /// messages (the server's default order, newest first).
    pub async fn messages(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
        count: usize,
    ) -> Result<(Exchange, Vec<Value>), ApiError> {
        let p = prefix(room_type);
        let request = Request::get(
            format!(
                "/api/v1/{p}.messages?roomId={}&count={count}",
                path_escape(room_id)
            ),
            Purpose::Verify,
        )
        .auth(actor.auth());
        let what = format!("reading the messages of room {room_id} ({p}.messages)");
        let (sent, mut body) = self.expect_ok(&what, request).await?;
        let messages = take_array(&mut body, "/messages").ok_or_else(|| {
            let message = "the answer does not fit: no `messages` array".to_owned();
            refused(&what, &sent, message)
        })?;
        Ok((sent.exchange(), messages))
    }

    /// `GET channels.info` / `groups.info` as `actor`: the room object.
    pub async fn room_info(
        &self,
        actor: &Session,
        room_type: RoomType,
        room_id: &str,
        purpose: Purpose,
    ) -> Result<(Exchange, Value), ApiError> {
        let p = prefix(room_type);
        let request = Request::get(
            format!("/api/v1/{p}.info?roomId={}", path_escape(room_id)),
            purpose,
        )
        .auth(actor.auth());
        let what = format!("reading room {room_id}");
        let (sent, mut body) = self.expect_ok(&what, request).await?;
        let _: Identified = room_of(room_type, &what, &sent, &body)?;
        let key = if room_type == RoomType::Public {
            "/channel"
        } else {
            "/group"
        };
        Ok((sent.exchange(), take(&mut body, key)))
    }
}
