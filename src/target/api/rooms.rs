//! The room endpoints: `channels.create` / `groups.create` / `im.create`, delete, archive,
//! room roles, and the room-by-room reads (`*.members`, `*.info`).
//!
//! It acts on the rooms it is given; it never chooses which rooms a case needs.

use serde_json::{Value, json};

use super::session::Session;
use super::{Api, ApiError, path_escape, prefix, refused};
use crate::api::RoomType;
use crate::evidence::Exchange;
use crate::target::request::{Purpose, Request};

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
        let key = if room_type == RoomType::Public {
            "/channel/_id"
        } else {
            "/group/_id"
        };
        body.pointer(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refused(&what, &sent, format!("no {key} in the answer")))
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
        body.pointer("/room/_id")
            .or_else(|| body.pointer("/room/rid"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| refused(&what, &sent, "no room._id in the answer".into()))
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
        let (sent, body) = self
            .expect_ok(&format!("listing members of {room_id}"), request)
            .await?;
        let ids = body
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|u| u.get("_id").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((sent.exchange(), ids))
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
        let key = if room_type == RoomType::Public {
            "channel"
        } else {
            "group"
        };
        let request = Request::get(
            format!("/api/v1/{p}.info?roomId={}", path_escape(room_id)),
            purpose,
        )
        .auth(actor.auth());
        let (sent, mut body) = self
            .expect_ok(&format!("reading room {room_id}"), request)
            .await?;
        let room = body.get_mut(key).map_or(Value::Null, Value::take);
        Ok((sent.exchange(), room))
    }
}
