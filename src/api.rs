//! The Rocket.Chat vocabulary every stage shares: the endpoints under test and room types.
//!
//! It owns names and their spellings only; no behaviour lives here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An invite endpoint under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Endpoint {
    /// `POST /api/v1/channels.invite`
    #[serde(rename = "channels.invite")]
    ChannelsInvite,
    /// `POST /api/v1/groups.invite`
    #[serde(rename = "groups.invite")]
    GroupsInvite,
}

impl Endpoint {
    /// Every endpoint, in display order.
    pub const ALL: [Endpoint; 2] = [Endpoint::ChannelsInvite, Endpoint::GroupsInvite];

    /// The endpoint's name as Rocket.Chat spells it (`channels.invite`).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::ChannelsInvite => "channels.invite",
            Endpoint::GroupsInvite => "groups.invite",
        }
    }

    /// The request path below the server root.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::ChannelsInvite => "/api/v1/channels.invite",
            Endpoint::GroupsInvite => "/api/v1/groups.invite",
        }
    }

    /// The key of the room object in a 200 body (`channel` or `group`).
    pub fn room_key(self) -> &'static str {
        match self {
            Endpoint::ChannelsInvite => "channel",
            Endpoint::GroupsInvite => "group",
        }
    }

    /// The room type this endpoint is for.
    pub fn room_type(self) -> RoomType {
        match self {
            Endpoint::ChannelsInvite => RoomType::Public,
            Endpoint::GroupsInvite => RoomType::Private,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A room's type, as the `t` field spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoomType {
    /// `c`: a public channel.
    #[serde(rename = "c")]
    Public,
    /// `p`: a private group.
    #[serde(rename = "p")]
    Private,
    /// `d`: a direct-message room.
    #[serde(rename = "d")]
    Direct,
}

impl RoomType {
    /// Every room type, in display order.
    pub const ALL: [RoomType; 3] = [RoomType::Public, RoomType::Private, RoomType::Direct];

    /// The one-letter code of the `t` field.
    pub fn code(self) -> &'static str {
        match self {
            RoomType::Public => "c",
            RoomType::Private => "p",
            RoomType::Direct => "d",
        }
    }
}

impl fmt::Display for RoomType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
