//! The decision procedure, step by step: each step of the endpoint's `decision_order` either
//! passes (and records what it found) or decides the call with a failure kind.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::world::{World, room_id, truthy};
use super::{ActorMembership, Decision, Outcome, fail};
use crate::api::{Endpoint, RoomType};
use crate::case::{Auth, Body, MessageExpectation, RoomRef, UserRef, Version};
use crate::spec::kinds::looks_federated;
use crate::spec::premise::{EndpointModel, Membership, PremiseModel, RoomLookup, Scope, Step};

/// A step passed, or the outcome that decides the call (boxed: most steps pass).
type Passed = Result<(), Box<Outcome>>;

/// One call going through the steps: what the steps found so far.
struct Steps<'w> {
    model: &'w PremiseModel,
    endpoint: Endpoint,
    em: &'w EndpointModel,
    world: &'w mut World,
    body: Map<String, Value>,
    actor: Option<UserRef>,
    room: Option<RoomRef>,
    invitees: Vec<UserRef>,
    authorization: Option<(ActorMembership, BTreeSet<String>)>,
    decided_by: String,
}

/// Runs one request (`auth`, `body`) through `endpoint`'s decision order at `version`.
pub(super) fn run_steps(
    model: &PremiseModel,
    endpoint: Endpoint,
    world: &mut World,
    (auth, body): (&Auth, &Body),
    version: &Version,
) -> Outcome {
    let (Some(order), Some(em)) = (
        model.decision_order.get(&endpoint),
        model.endpoints.get(&endpoint),
    ) else {
        return fail("unknown-endpoint", None);
    };
    let body = world.body(body);
    let federated = names_federated(&body);
    let mut steps = Steps {
        model,
        endpoint,
        em,
        world,
        body,
        actor: None,
        room: None,
        invitees: Vec::new(),
        authorization: None,
        decided_by: String::new(),
    };
    for step in order {
        let passed = match step {
            Step::Authenticate => steps.authenticate(auth),
            Step::ValidateBody => steps.validate_body(version),
            Step::RequireRoomParam => steps.require_room_param(),
            Step::FindRoom => steps.find_room(),
            Step::RejectArchived => steps.reject_archived(),
            Step::ResolveInvitees => steps.resolve_invitees(),
            Step::Authorize => steps.authorize(),
            Step::AddInvitees => Ok(()),
        };
        if let Err(mut outcome) = passed {
            if federated {
                outcome.kinds.push("federated".to_owned());
            }
            return *outcome;
        }
    }
    let mut outcome = steps.add_invitees();
    if federated {
        outcome.kinds.push("federated".to_owned());
    }
    outcome
}

/// Whether an invitee parameter names a federated user id (`@user:server`).
fn names_federated(body: &Map<String, Value>) -> bool {
    ["userId", "username", "user", "userIds", "usernames"]
        .iter()
        .filter_map(|k| body.get(*k))
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .any(|v| v.as_str().is_some_and(looks_federated))
}

impl Steps<'_> {
    fn authenticate(&mut self, auth: &Auth) -> Passed {
        match auth {
            Auth::As(u) if self.world.users.get(u).is_some_and(|(_, active)| *active) => {
                self.actor = Some(u.clone());
                Ok(())
            }
            _ => Err(fail("unauthenticated", None).into()),
        }
    }

    fn validate_body(&mut self, version: &Version) -> Passed {
        let typed = self
            .model
            .behaviour_at(version)
            .is_some_and(|l| l.typed_bodies);
        if typed {
            if !typed_body_ok(self.endpoint, &self.body) {
                return Err(fail("invalid-body", None).into());
            }
            coerce_to_strings(&mut self.body);
        }
        Ok(())
    }

    fn require_room_param(&mut self) -> Passed {
        let id_or_name = if truthy(self.body.get("roomId")) {
            self.body.get("roomId")
        } else {
            self.body.get("roomName")
        };
        match id_or_name {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
            v if !truthy(v) => Err(fail("room-param-missing", None).into()),
            Some(Value::String(_)) => Err(fail("room-param-missing", None).into()),
            _ => Err(fail("room-param-malformed", None).into()),
        }
    }

    fn find_room(&mut self) -> Passed {
        let body = &self.body;
        let world = &*self.world;
        let found = match self.em.room_lookup {
            RoomLookup::IdKeyWins => {
                if let Some(v) = body.get("roomId") {
                    let id = v.as_str().unwrap_or("");
                    world.find_room(|r, _| room_id(r) == id)
                } else if let Some(v) = body.get("roomName") {
                    let name = v.as_str().unwrap_or("");
                    world.find_room(|_, s| s.name == name)
                } else {
                    return Err(fail("room-param-missing", None).into());
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
            return Err(fail("room-not-found", None).into());
        };
        match world.rooms.get(&found).map(|s| s.room_type) {
            Some(t) if self.em.room_types.contains(&t) || self.em.also_finds.contains(&t) => {
                self.room = Some(found);
                Ok(())
            }
            Some(RoomType::Direct) => Err(fail("direct-room", Some(found)).into()),
            _ => Err(fail("room-type-mismatch", Some(found)).into()),
        }
    }

    fn reject_archived(&mut self) -> Passed {
        let archived = self
            .room
            .as_ref()
            .and_then(|r| self.world.rooms.get(r))
            .is_some_and(|s| s.archived);
        if archived {
            Err(fail("room-archived", self.room.clone()).into())
        } else {
            Ok(())
        }
    }

    fn resolve_invitees(&mut self) -> Passed {
        match resolve_invitees(self.world, &self.body) {
            Ok(list) if list.is_empty() => {
                Err(fail("no-invitee-resolved", self.room.clone()).into())
            }
            Ok(list) => {
                self.invitees = list;
                Ok(())
            }
            Err(kind) => Err(fail(kind, self.room.clone()).into()),
        }
    }

    fn authorize(&mut self) -> Passed {
        let (Some(actor), Some(room)) = (&self.actor, &self.room) else {
            return Err(fail("not-allowed", self.room.clone()).into());
        };
        let (verdict, membership, grants) = authorize(self.model, self.world, actor, room);
        self.authorization = Some((membership, grants));
        match verdict {
            Some(premise) => {
                self.decided_by = premise;
                Ok(())
            }
            None => {
                let mut out = fail("not-allowed", self.room.clone());
                out.authorization = self.authorization.take();
                Err(out.into())
            }
        }
    }

    /// Every step passed: the invitees not yet members join the room, each with the room
    /// kind's added-user message by the actor; a banned invitee is refused while the others
    /// join (`Promise.all` over the invitees), and the call answers `invitee-banned`.
    fn add_invitees(self) -> Outcome {
        let mut added = Vec::new();
        let mut messages = Vec::new();
        let mut banned = false;
        let kind = self.world.kind_of(self.room.as_ref());
        let t = self.model.added_message(kind).to_owned();
        let by = self.actor.clone().unwrap_or(UserRef::Admin);
        if let Some(state) = self.room.as_ref().and_then(|r| self.world.rooms.get_mut(r)) {
            for user in self.invitees {
                if state.banned.contains(&user) {
                    banned = true;
                } else if state.members.insert(user.clone()) {
                    messages.push(MessageExpectation {
                        t: t.clone(),
                        by: by.clone(),
                        user: user.clone(),
                    });
                    added.push(user);
                }
            }
        }
        let decision = if banned {
            Decision::Failure("invitee-banned".to_owned())
        } else {
            Decision::Premise(self.decided_by)
        };
        Outcome {
            decision,
            room: self.room,
            // A refused invitee fails the call after authorization: its cell is the failure's.
            authorization: if banned { None } else { self.authorization },
            added,
            messages,
            kinds: if banned {
                vec!["banned".to_owned()]
            } else {
                Vec::new()
            },
        }
    }
}

/// `getUserListFromParams` followed by the lookup (Rocket.Chat
/// `apps/meteor/server/api/lib/getUserFromParams.ts` @0781f57b).
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
            // (#18880); an id lookup simply finds nothing.
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

/// The typed routes' closed bodies (channels.invite: PR #41415; groups.invite: PRs #41422,
/// #41632, `packages/rest-typings/src/v1/groups/GroupsInviteProps.ts`): channels.invite allows
/// roomId/roomName (anyOf) with userId/username/user; groups.invite is a `oneOf` of
/// {roomId} and {roomName} objects (so not both), each with a required userId and optional
/// unbanBeforeAdd, name and typeGroup (`packages/rest-typings/src/v1/groups/BaseProps.ts`).
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
/// that number's text (`packages/rest-typings/src/v1/Ajv.ts`, `coerceTypes`).
fn coerce_to_strings(body: &mut Map<String, Value>) {
    for (key, value) in body.iter_mut() {
        if key != "unbanBeforeAdd"
            && let Value::Number(n) = value
        {
            *value = Value::String(n.to_string());
        }
    }
}
