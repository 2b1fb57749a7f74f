//! A case's setup as the premise model sees it: users with their global roles, rooms with
//! their members, room roles and state, the permission role lists; and the call bodies
//! rendered with the model's own ids and names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::super::premise::PremiseModel;
use crate::api::RoomType;
use crate::case::{Body, Case, Reference, RoomField, RoomRef, Template, UserField, UserRef};

/// A room as the model sees it.
pub(super) struct RoomState {
    pub(super) name: String,
    pub(super) room_type: RoomType,
    pub(super) archived: bool,
    pub(super) members: BTreeSet<UserRef>,
    pub(super) room_roles: BTreeMap<UserRef, Vec<String>>,
    /// The room kind's name in the model (`team-main`, …), none for a plain room.
    pub(super) kind: Option<&'static str>,
    /// Users whose subscription is banned: no members, refused by an invite.
    pub(super) banned: BTreeSet<UserRef>,
}

/// A case's setup as the model sees it, updated call by call.
pub struct World {
    pub(super) users: BTreeMap<UserRef, (Vec<String>, bool)>,
    pub(super) rooms: BTreeMap<RoomRef, RoomState>,
    pub(super) permissions: BTreeMap<String, Vec<String>>,
}

const ID_PREFIX: &str = "\u{27ea}id:";
const NAME_PREFIX: &str = "\u{27ea}";

pub(super) fn user_id(user: &UserRef) -> String {
    format!("{ID_PREFIX}u:{}\u{27eb}", user.name())
}
pub(super) fn username(user: &UserRef) -> String {
    format!("{NAME_PREFIX}{}\u{27eb}", user.name())
}
pub(super) fn room_id(room: &RoomRef) -> String {
    format!("{ID_PREFIX}r:{}\u{27eb}", room.name())
}
pub(super) fn room_name(room: &RoomRef) -> String {
    format!("{NAME_PREFIX}{}\u{27eb}", room.name())
}

impl World {
    /// The world of a case before its first call.
    pub fn new(model: &PremiseModel, case: &Case) -> World {
        let mut users = BTreeMap::new();
        users.insert(
            UserRef::Admin,
            (vec!["admin".to_owned(), "user".to_owned()], true),
        );
        users.insert(UserRef::Bot, (vec!["bot".to_owned()], true));
        for (name, u) in &case.setup.users {
            users.insert(UserRef::Fixture(name.clone()), (u.roles.clone(), u.active));
        }
        let mut rooms = BTreeMap::new();
        rooms.insert(
            RoomRef::General,
            RoomState {
                name: room_name(&RoomRef::General),
                room_type: RoomType::Public,
                archived: false,
                members: BTreeSet::from([UserRef::Admin]),
                room_roles: BTreeMap::new(),
                kind: None,
                banned: BTreeSet::new(),
            },
        );
        for (name, r) in &case.setup.rooms {
            let room = RoomRef::Fixture(name.clone());
            let members: BTreeSet<UserRef> = r.members_after_setup().into_iter().collect();
            let room_roles = members
                .iter()
                .map(|m| {
                    (
                        m.clone(),
                        r.room_roles_of(m).into_iter().map(str::to_owned).collect(),
                    )
                })
                .collect();
            rooms.insert(
                room.clone(),
                RoomState {
                    name: room_name(&room),
                    room_type: r.room_type,
                    archived: r.archived,
                    members,
                    room_roles,
                    kind: r.kind.name(),
                    banned: r.removals.banned.iter().cloned().collect(),
                },
            );
        }
        let mut permissions: BTreeMap<String, Vec<String>> = model
            .permissions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in &case.setup.permissions {
            permissions.insert(k.clone(), v.clone());
        }
        World {
            users,
            rooms,
            permissions,
        }
    }

    /// A body rendered with the model's ids and names, as the route reads it.
    pub(super) fn body(&self, body: &Body) -> Map<String, Value> {
        match body {
            Body::Json(t) => match render(t) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            Body::Raw { text, content_type } => {
                let json = content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/json"));
                match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(m)) if json => m,
                    _ => Map::new(),
                }
            }
        }
    }

    pub(super) fn find_user_by_id(&self, id: &str) -> Option<UserRef> {
        if id == "rocket.cat" {
            return Some(UserRef::Bot);
        }
        self.users.keys().find(|u| user_id(u) == id).cloned()
    }

    pub(super) fn find_user_by_name(&self, name: &str) -> Option<UserRef> {
        if name.eq_ignore_ascii_case("rocket.cat") {
            return Some(UserRef::Bot);
        }
        let wanted = name.to_lowercase();
        self.users
            .keys()
            .find(|u| username(u).to_lowercase() == wanted)
            .cloned()
    }

    pub(super) fn find_room(&self, pred: impl Fn(&RoomRef, &RoomState) -> bool) -> Option<RoomRef> {
        self.rooms
            .iter()
            .find(|(r, s)| pred(r, s))
            .map(|(r, _)| r.clone())
    }

    pub(super) fn members(&self) -> BTreeMap<RoomRef, BTreeSet<UserRef>> {
        self.rooms
            .iter()
            .map(|(r, s)| (r.clone(), s.members.clone()))
            .collect()
    }

    /// The type of `room`, when the call resolved one.
    pub(super) fn type_of(&self, room: Option<&RoomRef>) -> Option<RoomType> {
        room.and_then(|r| self.rooms.get(r)).map(|s| s.room_type)
    }

    /// The kind of `room`, when the call resolved one of a kind besides plain.
    pub(super) fn kind_of(&self, room: Option<&RoomRef>) -> Option<&'static str> {
        room.and_then(|r| self.rooms.get(r)).and_then(|s| s.kind)
    }

    pub(super) fn holds(&self, roles: &[String], permission: &str) -> bool {
        self.permissions
            .get(permission)
            .is_some_and(|granted| roles.iter().any(|r| granted.contains(r)))
    }
}

/// Renders a template with the model's own ids and names.
pub(super) fn render(template: &Template) -> Value {
    match template {
        Template::Literal(v) => v.clone(),
        Template::Ref(Reference::User(u, UserField::Id)) => Value::String(user_id(u)),
        Template::Ref(Reference::User(u, UserField::Username)) => Value::String(username(u)),
        Template::Ref(Reference::Room(r, RoomField::Id)) => Value::String(room_id(r)),
        Template::Ref(Reference::Room(r, RoomField::Name)) => Value::String(room_name(r)),
        Template::Array(items) => Value::Array(items.iter().map(render).collect()),
        Template::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), render(v))).collect())
        }
    }
}

/// JavaScript truthiness of a JSON value.
pub(super) fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}
