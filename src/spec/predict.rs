//! The premise model as an oracle: for a case, what each call must answer.
//!
//! A [`World`] is the case's setup seen abstractly (users, rooms, members, room roles,
//! permission role lists). Each call runs through the endpoint's `decision_order`; the first
//! failing step decides, otherwise the first premise that holds. Owns no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::lines::LineId;
use super::premise::{Answer, Membership, PremiseModel, RoomLookup, Scope, Step};
use crate::api::{Endpoint, RoomType};
use crate::case::{
    Auth, Body, Call, Case, Reference, RoomField, RoomRef, Template, UserField, UserRef, Version,
};

/// What decided a call's outcome.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// The named premise held and the call succeeded.
    Premise(String),
    /// The named failure kind answered.
    Failure(String),
}

impl Decision {
    /// The premise or failure-kind name.
    pub fn name(&self) -> &str {
        match self {
            Decision::Premise(n) | Decision::Failure(n) => n,
        }
    }
}

/// Whether the actor is a member of the room, when the call got that far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActorMembership {
    /// Holds a subscription.
    Member,
    /// Does not.
    NonMember,
}

/// The model's prediction for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Where the call falls: what decided it, its room's type, the actor's authorization.
    pub placement: Placement,
    /// The answer, with `error` filled in.
    pub answer: Answer,
    /// Members of every room after the call.
    pub members_after: BTreeMap<RoomRef, BTreeSet<UserRef>>,
    /// Users newly added to the room by this call.
    pub added: Vec<UserRef>,
    /// The room the call resolved.
    pub room: Option<RoomRef>,
    /// The lines the answer's exact strings are established for.
    pub established: Vec<LineId>,
}

/// Where the model places one call: what decided it, the type of the room it resolved, and
/// the actor's membership and grants when it reached authorization (its coverage cell).
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// What decided.
    pub decision: Decision,
    /// The type of the room the call resolved, if any.
    pub room_type: Option<RoomType>,
    /// Membership and grants of the actor, for calls that reached `authorize`.
    pub authorization: Option<(ActorMembership, BTreeSet<String>)>,
}

struct RoomState {
    name: String,
    room_type: RoomType,
    archived: bool,
    members: BTreeSet<UserRef>,
    room_roles: BTreeMap<UserRef, Vec<String>>,
}

/// A case's setup as the model sees it, updated call by call.
pub struct World {
    users: BTreeMap<UserRef, (Vec<String>, bool)>,
    rooms: BTreeMap<RoomRef, RoomState>,
    permissions: BTreeMap<String, Vec<String>>,
}

const ID_PREFIX: &str = "\u{27ea}id:";
const NAME_PREFIX: &str = "\u{27ea}";

fn user_id(user: &UserRef) -> String {
    format!("{ID_PREFIX}u:{}\u{27eb}", user.name())
}
fn username(user: &UserRef) -> String {
    format!("{NAME_PREFIX}{}\u{27eb}", user.name())
}
fn room_id(room: &RoomRef) -> String {
    format!("{ID_PREFIX}r:{}\u{27eb}", room.name())
}
fn room_name(room: &RoomRef) -> String {
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
            },
        );
        for (name, r) in &case.setup.rooms {
            let room = RoomRef::Fixture(name.clone());
            let members: BTreeSet<UserRef> = r.all_members().into_iter().collect();
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

    fn body(&self, call: &Call) -> Map<String, Value> {
        match &call.body {
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

    fn find_user_by_id(&self, id: &str) -> Option<UserRef> {
        if id == "rocket.cat" {
            return Some(UserRef::Bot);
        }
        self.users.keys().find(|u| user_id(u) == id).cloned()
    }

    fn find_user_by_name(&self, name: &str) -> Option<UserRef> {
        if name.eq_ignore_ascii_case("rocket.cat") {
            return Some(UserRef::Bot);
        }
        let wanted = name.to_lowercase();
        self.users
            .keys()
            .find(|u| username(u).to_lowercase() == wanted)
            .cloned()
    }

    fn find_room(&self, pred: impl Fn(&RoomRef, &RoomState) -> bool) -> Option<RoomRef> {
        self.rooms
            .iter()
            .find(|(r, s)| pred(r, s))
            .map(|(r, _)| r.clone())
    }

    fn members(&self) -> BTreeMap<RoomRef, BTreeSet<UserRef>> {
        self.rooms
            .iter()
            .map(|(r, s)| (r.clone(), s.members.clone()))
            .collect()
    }

    /// The type of `room`, when the call resolved one.
    fn type_of(&self, room: Option<&RoomRef>) -> Option<RoomType> {
        room.and_then(|r| self.rooms.get(r)).map(|s| s.room_type)
    }

    fn holds(&self, roles: &[String], permission: &str) -> bool {
        self.permissions
            .get(permission)
            .is_some_and(|granted| roles.iter().any(|r| granted.contains(r)))
    }
}

/// Renders a template with the model's own ids and names.
fn render(template: &Template) -> Value {
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
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// The version a case (or an alternative) is judged at.
pub fn version_of(model: &PremiseModel, since: Option<&Version>) -> Version {
    since.cloned().unwrap_or_else(|| model.default_version())
}

/// Predicts every call of `case` at server `version`.
pub fn predict_case(model: &PremiseModel, case: &Case, version: &Version) -> Vec<Prediction> {
    let mut world = World::new(model, case);
    case.calls
        .iter()
        .map(|call| predict_call(model, case.endpoint, &mut world, call, version))
        .collect()
}

/// Where the model places the first call of `case` at `version`: what [`predict_case`] says
/// of it, without building its answer and the memberships after it.
pub fn place_first_call(model: &PremiseModel, case: &Case, version: &Version) -> Option<Placement> {
    let call = case.calls.first()?;
    let mut world = World::new(model, case);
    let outcome = run_steps(model, case.endpoint, &mut world, call, version);
    Some(outcome.placed(&world).0)
}

struct Outcome {
    decision: Decision,
    room: Option<RoomRef>,
    authorization: Option<(ActorMembership, BTreeSet<String>)>,
    added: Vec<UserRef>,
}

impl Outcome {
    /// Where the call falls (`world` knows its room's type), and the room it resolved and
    /// the users it added.
    fn placed(self, world: &World) -> (Placement, Option<RoomRef>, Vec<UserRef>) {
        let placement = Placement {
            room_type: world.type_of(self.room.as_ref()),
            decision: self.decision,
            authorization: self.authorization,
        };
        (placement, self.room, self.added)
    }
}

fn predict_call(
    model: &PremiseModel,
    endpoint: Endpoint,
    world: &mut World,
    call: &Call,
    version: &Version,
) -> Prediction {
    let outcome = run_steps(model, endpoint, world, call, version);
    let kind = match &outcome.decision {
        Decision::Premise(_) => "success",
        Decision::Failure(k) => k.as_str(),
    };
    let (mut answer, established) = answer_at(model, endpoint, kind, version);
    if let (Some(template), Some(room)) = (&answer.error_template, &outcome.room) {
        answer.error = Some(template.replace("{room_name}", room.name()));
    }
    let (placement, room, added) = outcome.placed(world);
    Prediction {
        placement,
        answer,
        members_after: world.members(),
        added,
        room,
        established,
    }
}

/// The answer of `endpoint` for `kind` on the line of `version`, and the lines it is
/// established for.
fn answer_at(
    model: &PremiseModel,
    endpoint: Endpoint,
    kind: &str,
    version: &Version,
) -> (Answer, Vec<LineId>) {
    let found = model
        .endpoints
        .get(&endpoint)
        .and_then(|em| Some((em, em.answers.get(kind)?)));
    let Some((em, answer)) = found else {
        let unknown = Answer {
            status: 0,
            error: None,
            error_template: None,
            error_type: None,
            details: None,
            absent: Vec::new(),
            body: None,
            schema: String::new(),
            established: None,
            on: BTreeMap::new(),
        };
        return (unknown, Vec::new());
    };
    let established = model.established(em, answer).to_vec();
    let line = model.behaviour_at(version).map(|l| &l.id);
    let on_line = line.and_then(|l| answer.on.get(l)).unwrap_or(answer);
    (on_line.clone(), established)
}

fn fail(kind: &str, room: Option<RoomRef>) -> Outcome {
    Outcome {
        decision: Decision::Failure(kind.to_owned()),
        room,
        authorization: None,
        added: Vec::new(),
    }
}

fn run_steps(
    model: &PremiseModel,
    endpoint: Endpoint,
    world: &mut World,
    call: &Call,
    version: &Version,
) -> Outcome {
    let Some(steps) = model.decision_order.get(&endpoint) else {
        return fail("unknown-endpoint", None);
    };
    let Some(em) = model.endpoints.get(&endpoint) else {
        return fail("unknown-endpoint", None);
    };
    let mut body = world.body(call);
    let mut actor: Option<UserRef> = None;
    let mut room: Option<RoomRef> = None;
    let mut invitees: Vec<UserRef> = Vec::new();
    let mut authorization = None;
    let mut decided_by = String::new();
    for step in steps {
        match step {
            Step::Authenticate => match &call.auth {
                Auth::As(u) if world.users.get(u).is_some_and(|(_, active)| *active) => {
                    actor = Some(u.clone())
                }
                _ => return fail("unauthenticated", None),
            },
            Step::ValidateBody => {
                let typed = model.behaviour_at(version).is_some_and(|l| l.typed_bodies);
                if typed {
                    if !typed_body_ok(endpoint, &body) {
                        return fail("invalid-body", None);
                    }
                    coerce_to_strings(&mut body);
                }
            }
            Step::RequireRoomParam => {
                let id_or_name = if truthy(body.get("roomId")) {
                    body.get("roomId")
                } else {
                    body.get("roomName")
                };
                match id_or_name {
                    Some(Value::String(s)) if !s.trim().is_empty() => {}
                    v if !truthy(v) => return fail("room-param-missing", None),
                    Some(Value::String(_)) => return fail("room-param-missing", None),
                    _ => return fail("room-param-malformed", None),
                }
            }
            Step::FindRoom => {
                let found = match em.room_lookup {
                    RoomLookup::IdKeyWins => {
                        if let Some(v) = body.get("roomId") {
                            let id = v.as_str().unwrap_or("");
                            world.find_room(|r, _| room_id(r) == id)
                        } else if let Some(v) = body.get("roomName") {
                            let name = v.as_str().unwrap_or("");
                            world.find_room(|_, s| s.name == name)
                        } else {
                            return fail("room-param-missing", None);
                        }
                    }
                    RoomLookup::IdOrName => {
                        let v = if truthy(body.get("roomId")) {
                            body.get("roomId")
                        } else {
                            body.get("roomName")
                        };
                        let key = v.and_then(Value::as_str).unwrap_or("").to_owned();
                        world.find_room(|r, s| room_id(r) == key || s.name == key)
                    }
                };
                let Some(found) = found else {
                    return fail("room-not-found", None);
                };
                let t = world.rooms.get(&found).map(|s| s.room_type);
                match t {
                    Some(t) if em.room_types.contains(&t) => room = Some(found),
                    Some(RoomType::Direct) => return fail("direct-room", Some(found)),
                    _ => return fail("room-type-mismatch", Some(found)),
                }
            }
            Step::RejectArchived => {
                if room
                    .as_ref()
                    .and_then(|r| world.rooms.get(r))
                    .is_some_and(|s| s.archived)
                {
                    return fail("room-archived", room);
                }
            }
            Step::ResolveInvitees => match resolve_invitees(world, &body) {
                Ok(list) if list.is_empty() => return fail("no-invitee-resolved", room),
                Ok(list) => invitees = list,
                Err(kind) => return fail(kind, room),
            },
            Step::Authorize => {
                let (Some(actor), Some(r)) = (&actor, &room) else {
                    return fail("not-allowed", room);
                };
                let (verdict, membership, grants) = authorize(model, world, actor, r);
                authorization = Some((membership, grants));
                match verdict {
                    Some(premise) => decided_by = premise,
                    None => {
                        let mut out = fail("not-allowed", room);
                        out.authorization = authorization;
                        return out;
                    }
                }
            }
            Step::AddInvitees => {}
        }
    }
    let mut added = Vec::new();
    if let Some(state) = room.as_ref().and_then(|r| world.rooms.get_mut(r)) {
        for user in invitees {
            if state.members.insert(user.clone()) {
                added.push(user);
            }
        }
    }
    Outcome {
        decision: Decision::Premise(decided_by),
        room,
        authorization,
        added,
    }
}

/// `getUserListFromParams` followed by the lookup (semantics §1.1 Step C).
fn resolve_invitees(
    world: &World,
    body: &Map<String, Value>,
) -> Result<Vec<UserRef>, &'static str> {
    let sole = ["userId", "username", "user"]
        .iter()
        .find_map(|k| body.get(*k).filter(|v| truthy(Some(v))));
    let list_param = if truthy(body.get("userIds")) {
        body.get("userIds")
    } else if truthy(body.get("usernames")) {
        body.get("usernames")
    } else {
        None
    };
    let mut entries: Vec<Value> = match list_param {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err("invitee-list-malformed"),
    };
    if let Some(s) = sole {
        entries.push(s.clone());
    }
    let mut seen = Vec::new();
    for e in entries {
        if truthy(Some(&e)) && !seen.contains(&e) {
            seen.push(e);
        }
    }
    if seen.is_empty() {
        return Err("users-params-missing");
    }
    let by_id = truthy(body.get("userIds")) || truthy(body.get("userId"));
    let mut resolved = Vec::new();
    for entry in seen {
        let Some(text) = entry.as_str() else {
            // A username lookup escapes its input with `.replace`, which only strings have
            // (behaviour E6); an id lookup simply finds nothing.
            if by_id {
                continue;
            }
            return Err("invitee-entry-malformed");
        };
        let user = if by_id {
            world.find_user_by_id(text)
        } else {
            world.find_user_by_name(text)
        };
        if let Some(u) = user
            && !resolved.contains(&u)
        {
            resolved.push(u);
        }
    }
    Ok(resolved)
}

/// The premises in order; returns the first that holds, the actor's membership and the
/// grants it holds for this room (e.g. `add-user-to-joined-room(room-role)`).
fn authorize(
    model: &PremiseModel,
    world: &World,
    actor: &UserRef,
    room: &RoomRef,
) -> (Option<String>, ActorMembership, BTreeSet<String>) {
    let global: Vec<String> = world
        .users
        .get(actor)
        .map(|(r, _)| r.clone())
        .unwrap_or_default();
    let state = world.rooms.get(room);
    let member = state.is_some_and(|s| s.members.contains(actor));
    let room_roles: Vec<String> = state
        .and_then(|s| s.room_roles.get(actor))
        .cloned()
        .unwrap_or_default();
    let room_type = state.map(|s| s.room_type);
    let mut grants = BTreeSet::new();
    let mut verdict = None;
    for premise in &model.premises {
        let via_global = world.holds(&global, &premise.permission);
        let via_room =
            premise.scope == Scope::Room && member && world.holds(&room_roles, &premise.permission);
        if via_global {
            grants.insert(format!("{}(global-role)", premise.permission));
        }
        if via_room {
            grants.insert(format!("{}(room-role)", premise.permission));
        }
        let applies = room_type.is_some_and(|t| premise.room_types.contains(&t));
        let membership_ok = premise.membership == Membership::NotRequired || member;
        if verdict.is_none() && applies && membership_ok && (via_global || via_room) {
            verdict = Some(premise.name.clone());
        }
    }
    let membership = if member {
        ActorMembership::Member
    } else {
        ActorMembership::NonMember
    };
    (verdict, membership, grants)
}

/// The typed routes' closed bodies (semantics §1.1 G5, §1.3): channels.invite allows
/// roomId/roomName (anyOf) with userId/username/user; groups.invite is a `oneOf` of
/// {roomId} and {roomName} objects (so not both), each with a required userId and optional
/// unbanBeforeAdd, name and typeGroup (behaviour §2.1).
fn typed_body_ok(endpoint: Endpoint, body: &Map<String, Value>) -> bool {
    let (allowed, required_user, one_room_key): (&[&str], bool, bool) = match endpoint {
        Endpoint::ChannelsInvite => (
            &["roomId", "roomName", "userId", "username", "user"],
            false,
            false,
        ),
        Endpoint::GroupsInvite => (
            &[
                "roomId",
                "roomName",
                "userId",
                "unbanBeforeAdd",
                "name",
                "typeGroup",
            ],
            true,
            true,
        ),
    };
    let keys_ok = body.keys().all(|k| allowed.contains(&k.as_str()));
    let types_ok = body.iter().all(|(k, v)| match k.as_str() {
        "unbanBeforeAdd" => v.is_boolean() || v.is_null(),
        "name" | "typeGroup" => v.is_string() || v.is_null(),
        _ => v.is_string() || v.is_number(),
    });
    let room_keys =
        usize::from(body.contains_key("roomId")) + usize::from(body.contains_key("roomName"));
    let room_ok = if one_room_key {
        room_keys == 1
    } else {
        room_keys >= 1
    };
    let user_ok = !required_user || body.contains_key("userId");
    keys_ok && types_ok && room_ok && user_ok
}

/// The typed routes' ajv instance coerces types: a number where a string is declared becomes
/// that number's text (semantics §1.1 G5).
fn coerce_to_strings(body: &mut Map<String, Value>) {
    for (key, value) in body.iter_mut() {
        if key != "unbanBeforeAdd"
            && let Value::Number(n) = value
        {
            *value = Value::String(n.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    #[test]
    fn placing_the_first_call_agrees_with_predicting_the_case() {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let specs = Specs::load(&root.join("specs")).expect("specs");
        let suite = specs.load_cases(&root.join("cases")).expect("cases");
        for version in [Version::parse("8.5.0"), Version::parse("9.0.0")] {
            let version = version.expect("a version");
            for case in &suite.cases {
                let predicted = predict_case(&specs.model, case, &version);
                let first = predicted.first().expect("every case has a call");
                let placed = place_first_call(&specs.model, case, &version).expect("placed");
                assert_eq!(placed, first.placement, "{} at {version}", case.id);
            }
        }
    }
}
