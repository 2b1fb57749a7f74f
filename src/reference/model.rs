//! The documents the reference server keeps: users, rooms, subscriptions, roles, permissions.
//!
//! Owns their shapes and how each renders as Rocket.Chat JSON (field names, date format,
//! which fields appear when). It must not decide who may do what; that is in the route modules.

use serde_json::{Map, Value, json};

use super::clock::Moment;

/// `u` of a room: the creator, denormalised.
#[derive(Debug, Clone)]
pub(crate) struct UserRef {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) name: String,
}

/// One e-mail address of a user.
#[derive(Debug, Clone)]
pub(crate) struct Email {
    pub(crate) address: String,
    pub(crate) verified: bool,
}

/// A human account or a bot.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) name: String,
    pub(crate) emails: Vec<Email>,
    /// Lowercase hex SHA-256 of the password; `None` for accounts that cannot log in.
    pub(crate) password_digest: Option<String>,
    /// Global (`Users`-scoped) roles.
    pub(crate) roles: Vec<String>,
    pub(crate) active: bool,
    pub(crate) bot: bool,
    pub(crate) require_password_change: bool,
    pub(crate) created_at: Moment,
    pub(crate) updated_at: Moment,
}

impl User {
    fn status(&self) -> &'static str {
        if self.bot { "online" } else { "offline" }
    }

    fn kind(&self) -> &'static str {
        if self.bot { "bot" } else { "user" }
    }

    fn emails_json(&self) -> Value {
        Value::Array(
            self.emails
                .iter()
                .map(|email| json!({"address": email.address, "verified": email.verified}))
                .collect(),
        )
    }

    /// The document as its owner or a privileged reader sees it (users.create, me, users.info).
    pub(crate) fn full_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("_id".into(), json!(self.id));
        doc.insert("createdAt".into(), json!(self.created_at.iso()));
        doc.insert("username".into(), json!(self.username));
        doc.insert("emails".into(), self.emails_json());
        doc.insert("type".into(), json!(self.kind()));
        doc.insert("status".into(), json!(self.status()));
        doc.insert("active".into(), json!(self.active));
        doc.insert("_updatedAt".into(), json!(self.updated_at.iso()));
        doc.insert("roles".into(), json!(self.roles));
        doc.insert("name".into(), json!(self.name));
        doc.insert(
            "requirePasswordChange".into(),
            json!(self.require_password_change),
        );
        doc.insert("settings".into(), json!({"preferences": {}}));
        Value::Object(doc)
    }

    /// The document as an ordinary user sees someone else (users.info without privileges).
    pub(crate) fn limited_json(&self) -> Value {
        json!({
            "_id": self.id,
            "username": self.username,
            "name": self.name,
            "type": self.kind(),
            "status": self.status(),
            "active": self.active,
        })
    }

    /// An entry of channels.members / groups.members.
    pub(crate) fn member_json(&self) -> Value {
        json!({
            "_id": self.id,
            "status": self.status(),
            "name": self.name,
            "username": self.username,
            "_updatedAt": self.updated_at.iso(),
        })
    }
}

/// The room types the reference server can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomKind {
    /// `c`: public channel.
    Channel,
    /// `p`: private group.
    Group,
    /// `d`: direct messages.
    Direct,
    /// `l`: an omnichannel (livechat) conversation with a visitor.
    Livechat,
}

impl RoomKind {
    pub(crate) fn code(self) -> &'static str {
        match self {
            RoomKind::Channel => "c",
            RoomKind::Group => "p",
            RoomKind::Direct => "d",
            RoomKind::Livechat => "l",
        }
    }
}

/// What ties a room to a team, a parent room or a visitor (absent on plain rooms).
#[derive(Debug, Clone, Default)]
pub(crate) struct RoomLinks {
    /// `teamId`: the team the room belongs to.
    pub(crate) team_id: Option<String>,
    /// `teamMain`: the room is its team's main room.
    pub(crate) team_main: bool,
    /// `prid`: the parent of a discussion.
    pub(crate) prid: Option<String>,
    /// Livechat only: `open` and the visitor `v` (`_id`, `username`, `token`).
    pub(crate) livechat: Option<LivechatState>,
}

/// The omnichannel part of an `l` room.
#[derive(Debug, Clone)]
pub(crate) struct LivechatState {
    pub(crate) open: bool,
    pub(crate) visitor_id: String,
    pub(crate) visitor_username: String,
    pub(crate) visitor_token: String,
}

/// A room of any kind.
#[derive(Debug, Clone)]
pub(crate) struct Room {
    pub(crate) id: String,
    pub(crate) kind: RoomKind,
    pub(crate) name: Option<String>,
    pub(crate) fname: Option<String>,
    pub(crate) creator: Option<UserRef>,
    pub(crate) created_at: Moment,
    pub(crate) updated_at: Moment,
    pub(crate) msgs: u64,
    pub(crate) users_count: u64,
    pub(crate) default: bool,
    pub(crate) read_only: bool,
    pub(crate) archived: bool,
    pub(crate) last_message_at: Option<Moment>,
    /// `topic` (`saveRoomSettings` `roomTopic`), absent until set.
    pub(crate) topic: Option<String>,
    /// Participants of a direct room, as (user id, username).
    pub(crate) participants: Vec<(String, String)>,
    /// Team, discussion and livechat links.
    pub(crate) links: RoomLinks,
}

impl Room {
    /// A room of `kind` created at `now`: no name, no creator, no members or messages, not
    /// default, writable, not archived.
    pub(crate) fn new(id: String, kind: RoomKind, now: Moment) -> Room {
        Room {
            id,
            kind,
            name: None,
            fname: None,
            creator: None,
            created_at: now,
            updated_at: now,
            msgs: 0,
            users_count: 0,
            default: false,
            read_only: false,
            archived: false,
            last_message_at: None,
            topic: None,
            participants: Vec::new(),
            links: RoomLinks::default(),
        }
    }

    /// The room as the REST API returns it (default exclusion projection applied).
    /// `msgs_as_string` is the `msgs-as-string` deviation: the one place `msgs` is written.
    pub(crate) fn to_json(&self, msgs_as_string: bool) -> Value {
        let msgs = if msgs_as_string {
            json!(self.msgs.to_string())
        } else {
            json!(self.msgs)
        };
        let mut doc = Map::new();
        doc.insert("_id".into(), json!(self.id));
        if self.kind == RoomKind::Direct {
            doc.insert("t".into(), json!("d"));
            let (uids, usernames): (Vec<_>, Vec<_>) = self.participants.iter().cloned().unzip();
            doc.insert("usernames".into(), json!(usernames));
            doc.insert("uids".into(), json!(uids));
        } else {
            if let Some(fname) = &self.fname {
                doc.insert("fname".into(), json!(fname));
            }
            doc.insert("customFields".into(), json!({}));
            doc.insert("name".into(), json!(self.name));
            doc.insert("t".into(), json!(self.kind.code()));
        }
        doc.insert("msgs".into(), msgs);
        doc.insert("usersCount".into(), json!(self.users_count));
        if let Some(creator) = &self.creator {
            doc.insert(
                "u".into(),
                json!({"_id": creator.id, "username": creator.username, "name": creator.name}),
            );
        }
        doc.insert("ts".into(), json!(self.created_at.iso()));
        if self.kind != RoomKind::Direct {
            doc.insert("ro".into(), json!(self.read_only));
            doc.insert("default".into(), json!(self.default));
            doc.insert("sysMes".into(), json!(true));
            doc.insert("broadcast".into(), json!(false));
            doc.insert("encrypted".into(), json!(false));
        }
        doc.insert("_updatedAt".into(), json!(self.updated_at.iso()));
        if let Some(lm) = self.last_message_at {
            doc.insert("lm".into(), json!(lm.iso()));
        }
        if self.archived {
            doc.insert("archived".into(), json!(true));
        }
        if let Some(topic) = &self.topic {
            doc.insert("topic".into(), json!(topic));
        }
        self.links.write(&mut doc);
        Value::Object(doc)
    }

    /// The name used in human-readable errors ("The channel, NAME, is archived").
    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

impl RoomLinks {
    /// Adds `teamId`, `teamMain`, `prid`, and a livechat room's `open` and `v`.
    fn write(&self, doc: &mut Map<String, Value>) {
        if let Some(team_id) = &self.team_id {
            doc.insert("teamId".into(), json!(team_id));
        }
        if self.team_main {
            doc.insert("teamMain".into(), json!(true));
        }
        if let Some(prid) = &self.prid {
            doc.insert("prid".into(), json!(prid));
        }
        if let Some(chat) = &self.livechat {
            doc.insert("open".into(), json!(chat.open));
            doc.insert(
                "v".into(),
                json!({"_id": chat.visitor_id, "username": chat.visitor_username,
                       "token": chat.visitor_token}),
            );
        }
    }
}

/// A user's membership of a room; room-scoped roles live here. A banned user keeps the
/// subscription with `status: "BANNED"` (`banByRoomIdAndUserId`) and counts as no member.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) room_id: String,
    pub(crate) user_id: String,
    pub(crate) roles: Vec<String>,
    /// `status: "BANNED"`.
    pub(crate) banned: bool,
}

/// Where a role is held: on the user (global) or on a subscription (one room).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleScope {
    Users,
    Subscriptions,
}

impl RoleScope {
    pub(crate) fn name(self) -> &'static str {
        match self {
            RoleScope::Users => "Users",
            RoleScope::Subscriptions => "Subscriptions",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RoleScope> {
        match text {
            "Users" => Some(RoleScope::Users),
            "Subscriptions" => Some(RoleScope::Subscriptions),
            _ => None,
        }
    }
}

/// A role definition.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) scope: RoleScope,
    pub(crate) protected: bool,
    pub(crate) mandatory_2fa: bool,
    pub(crate) updated_at: Moment,
}

impl Role {
    /// The role as roles.list (without `_updatedAt`) or roles.create/addUserToRole return it.
    pub(crate) fn to_json(&self, with_updated_at: bool) -> Value {
        let mut doc = Map::new();
        doc.insert("_id".into(), json!(self.id));
        doc.insert("name".into(), json!(self.name));
        doc.insert("description".into(), json!(self.description));
        doc.insert("scope".into(), json!(self.scope.name()));
        doc.insert("protected".into(), json!(self.protected));
        doc.insert("mandatory2fa".into(), json!(self.mandatory_2fa));
        if with_updated_at {
            doc.insert("_updatedAt".into(), json!(self.updated_at.iso()));
        }
        Value::Object(doc)
    }
}

/// A permission and the roles that hold it.
#[derive(Debug, Clone)]
pub(crate) struct Permission {
    pub(crate) id: String,
    pub(crate) roles: Vec<String>,
    pub(crate) updated_at: Moment,
}

impl Permission {
    pub(crate) fn to_json(&self) -> Value {
        json!({"_id": self.id, "roles": self.roles, "_updatedAt": self.updated_at.iso()})
    }
}
