//! The documents that membership changes leave behind: messages, teams and their members,
//! and omnichannel visitors.
//!
//! Owns their shapes and how each renders as Rocket.Chat JSON. A system message is what
//! `Message.saveSystemMessage(type, rid, msg, user, extraData)` stores: `_id`, `t`, `rid`, `ts`,
//! `msg`, `u` and `groupable: false`, plus the extra fields of its type (`role`, `drid`). It must
//! not decide when a document is written; the route modules do, through the store.

use serde_json::{Map, Value, json};

use super::clock::Moment;

/// `u` of a message: who it is attributed to. `name` is present when the whole user document
/// was handed to `saveSystemMessage`, absent when `extraData.u` carried `{_id, username}` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Author {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) name: Option<String>,
}

impl Author {
    /// The same author as `{_id, username}` (what `extraData.u` holds).
    pub(crate) fn brief(&self) -> Author {
        Author {
            name: None,
            ..self.clone()
        }
    }

    fn to_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("_id".into(), json!(self.id));
        doc.insert("username".into(), json!(self.username));
        if let Some(name) = &self.name {
            doc.insert("name".into(), json!(name));
        }
        Value::Object(doc)
    }
}

/// What a new message says: its type (`None` for a plain user message), text, author and the
/// extra fields of its type.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub(crate) kind: Option<&'static str>,
    pub(crate) msg: String,
    pub(crate) author: Author,
    pub(crate) extra: Map<String, Value>,
}

impl Draft {
    /// A system message of type `kind`.
    pub(crate) fn system(kind: &'static str, msg: &str, author: Author) -> Draft {
        Draft {
            kind: Some(kind),
            msg: msg.to_owned(),
            author,
            extra: Map::new(),
        }
    }

    /// Adds an extra field (`role`, `drid`).
    pub(crate) fn with(mut self, key: &str, value: Value) -> Draft {
        self.extra.insert(key.to_owned(), value);
        self
    }
}

/// A stored message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) id: String,
    pub(crate) room_id: String,
    pub(crate) ts: Moment,
    pub(crate) draft: Draft,
}

impl Message {
    /// The message as `channels.messages` / `groups.messages` return it.
    pub(crate) fn to_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("_id".into(), json!(self.id));
        if let Some(kind) = self.draft.kind {
            doc.insert("t".into(), json!(kind));
        }
        doc.insert("rid".into(), json!(self.room_id));
        doc.insert("ts".into(), json!(self.ts.iso()));
        doc.insert("msg".into(), json!(self.draft.msg));
        doc.insert("u".into(), self.draft.author.to_json());
        if self.draft.kind.is_some() {
            doc.insert("groupable".into(), json!(false));
        }
        for (key, value) in &self.draft.extra {
            doc.insert(key.clone(), value.clone());
        }
        doc.insert("_updatedAt".into(), json!(self.ts.iso()));
        Value::Object(doc)
    }
}

/// A team: `type` 0 is public (main room `c`), 1 private (main room `p`).
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: u8,
    pub(crate) room_id: String,
    pub(crate) created_by: Author,
    pub(crate) created_at: Moment,
    pub(crate) members: Vec<TeamMember>,
}

/// One membership of a team (`rocketchat_team_member`).
#[derive(Debug, Clone)]
pub(crate) struct TeamMember {
    pub(crate) user_id: String,
    pub(crate) roles: Vec<String>,
    pub(crate) created_by: Author,
    pub(crate) created_at: Moment,
}

impl Team {
    /// The team as teams.create returns it.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "_id": self.id,
            "name": self.name,
            "type": self.kind,
            "createdAt": self.created_at.iso(),
            "createdBy": self.created_by.brief().to_json(),
            "_updatedAt": self.created_at.iso(),
            "roomId": self.room_id,
        })
    }

    /// Whether `user_id` is a member of the team.
    pub(crate) fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|member| member.user_id == user_id)
    }
}

impl TeamMember {
    /// An entry of teams.members, with the user's public fields.
    pub(crate) fn to_json(&self, user: Value) -> Value {
        let mut doc = Map::new();
        doc.insert("user".into(), user);
        if !self.roles.is_empty() {
            doc.insert("roles".into(), json!(self.roles));
        }
        doc.insert("createdBy".into(), self.created_by.brief().to_json());
        doc.insert("createdAt".into(), json!(self.created_at.iso()));
        Value::Object(doc)
    }
}

/// An omnichannel visitor (`rocketchat_livechat_visitor`), known by its token.
#[derive(Debug, Clone)]
pub(crate) struct Visitor {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) username: String,
    pub(crate) created_at: Moment,
}

impl Visitor {
    /// The visitor as livechat/visitor returns it.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "_id": self.id,
            "username": self.username,
            "name": self.name,
            "token": self.token,
            "status": "online",
            "ts": self.created_at.iso(),
            "_updatedAt": self.created_at.iso(),
        })
    }
}
