//! The parts of the case model for the invite surface beyond plain rooms: the kind of a room
//! fixture (a team's main room, a discussion, an omnichannel room), the members a setup
//! removes again before the call (banned, unbanned, kicked, left), and the system messages
//! an expectation names.

use super::model::{RoomRef, UserRef};

/// What kind of room a fixture is, besides its type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RoomKind {
    /// A plain channel, group or direct room.
    #[default]
    Plain,
    /// A team's main room (`teams.create`): a channel or group with `teamMain`.
    TeamMain,
    /// A discussion of another room of the setup (`rooms.createDiscussion`, `prid`).
    Discussion {
        /// The parent room.
        parent: RoomRef,
    },
    /// An omnichannel (livechat) room, opened by a visitor (`t: l`).
    Omnichannel,
}

impl RoomKind {
    /// The names of the kinds besides `Plain`, as the premise model's `room_kinds` spells them.
    pub const NAMES: [&'static str; 3] = ["team-main", "discussion", "omnichannel"];

    /// The kind's name in the premise model, `None` for a plain room.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            RoomKind::Plain => None,
            RoomKind::TeamMain => Some("team-main"),
            RoomKind::Discussion { .. } => Some("discussion"),
            RoomKind::Omnichannel => Some("omnichannel"),
        }
    }

    /// The feature of the premise model its setup needs.
    pub fn feature(&self) -> Option<&'static str> {
        match self {
            RoomKind::Plain => None,
            RoomKind::TeamMain => Some("teams"),
            RoomKind::Discussion { .. } => Some("discussions"),
            RoomKind::Omnichannel => Some("omnichannel"),
        }
    }
}

/// Members the setup removes from a room after creating it, before any call: each was listed
/// in `members` and so joined at creation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removals {
    /// Banned (`rooms.banUser`): the subscription stays, marked banned; no membership.
    pub banned: Vec<UserRef>,
    /// Banned, then unbanned (`rooms.unbanUser`).
    pub unbanned: Vec<UserRef>,
    /// Removed by the room's creator (`channels.kick` / `groups.kick`).
    pub kicked: Vec<UserRef>,
    /// Left the room on their own (`channels.leave` / `groups.leave`).
    pub left: Vec<UserRef>,
}

impl Removals {
    /// The four lists with their field names, in the order the runner applies them.
    pub fn lists(&self) -> [(&'static str, &Vec<UserRef>); 4] {
        [
            ("banned", &self.banned),
            ("unbanned", &self.unbanned),
            ("kicked", &self.kicked),
            ("left", &self.left),
        ]
    }

    /// Whether `user` is removed by any of them.
    pub fn removes(&self, user: &UserRef) -> bool {
        self.lists().iter().any(|(_, list)| list.contains(user))
    }

    /// Whether no member is removed.
    pub fn is_empty(&self) -> bool {
        self.lists().iter().all(|(_, list)| list.is_empty())
    }

    /// The feature of the premise model the removals need: bans need `room-bans`.
    pub fn feature(&self) -> Option<&'static str> {
        (!self.banned.is_empty() || !self.unbanned.is_empty()).then_some("room-bans")
    }
}

/// A system message a call must have recorded in a room: its type, who it is by (`u`) and the
/// user it names (its `msg` is that user's username), e.g. `au` by the inviter naming the
/// invitee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExpectation {
    /// The message type `t` (`au`, `added-user-to-team`).
    pub t: String,
    /// The author (`u`).
    pub by: UserRef,
    /// The user whose username is the message's `msg`.
    pub user: UserRef,
}
