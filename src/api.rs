//! The vocabulary every stage shares: the endpoints under test, room types, case ids and
//! premise names.
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
    /// `l`: an omnichannel (livechat) room, opened by a visitor.
    #[serde(rename = "l")]
    Omnichannel,
}

impl RoomType {
    /// Every room type, in display order.
    pub const ALL: [RoomType; 4] = [
        RoomType::Public,
        RoomType::Private,
        RoomType::Direct,
        RoomType::Omnichannel,
    ];

    /// The one-letter code of the `t` field.
    pub fn code(self) -> &'static str {
        match self {
            RoomType::Public => "c",
            RoomType::Private => "p",
            RoomType::Direct => "d",
            RoomType::Omnichannel => "l",
        }
    }
}

impl fmt::Display for RoomType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Defines a name newtype: a `String` with its own meaning, compared and shown as text.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name(text.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

name_type!(
    /// A case's id, stable and unique across the suite
    /// (`channels.invite/joined-room/room-moderator`).
    CaseId
);

name_type!(
    /// A premise or a failure kind of the premise model (`add-user-to-joined-room`,
    /// `not-allowed`): what decides a call.
    PremiseName
);

/// A name that is not an endpoint under test or a room type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not one of the names this tool knows")]
pub struct UnknownName(pub String);

impl std::str::FromStr for Endpoint {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == text)
            .ok_or_else(|| UnknownName(text.to_owned()))
    }
}

impl std::str::FromStr for RoomType {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RoomType::ALL
            .into_iter()
            .find(|t| t.code() == text)
            .ok_or_else(|| UnknownName(text.to_owned()))
    }
}
