//! The premise model as an oracle: for a case, what each call must answer.
//!
//! A [`World`] is the case's setup seen abstractly (users, rooms, members, room roles,
//! permission role lists). Each call runs through the endpoint's `decision_order`
//! (`steps`); the first failing step decides, otherwise the first premise that holds. Owns
//! no I/O.

mod steps;
mod world;

use std::collections::{BTreeMap, BTreeSet};

use super::lines::LineId;
use super::premise::{Answer, PremiseModel};
use crate::api::{Endpoint, RoomType};
use crate::case::{Call, Case, MessageExpectation, RoomRef, UserRef, Version};

pub use world::World;

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
    /// The system messages the call records in its room, one per added user.
    pub messages: Vec<MessageExpectation>,
    /// The room the call resolved.
    pub room: Option<RoomRef>,
    /// The lines the answer's exact strings are established for.
    pub established: Vec<LineId>,
    /// The answers to the bodies sent together with the first (`concurrent:`), in order.
    pub together: Vec<Answer>,
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
    /// The kinds the call met (the premise model's `room_kinds` and `invitee_kinds`): its
    /// room's kind, a banned invitee, a federated-looking name.
    pub kinds: Vec<String>,
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

/// Predicts every call of `case` at `version` as if its setup granted `grants` (permission →
/// the complete role list) on top of the server's defaults, instead of its own grants: what a
/// run that applies `grants` for the case should see.
pub fn predict_case_granted(
    model: &PremiseModel,
    case: &Case,
    version: &Version,
    grants: &[(String, Vec<String>)],
) -> Vec<Prediction> {
    let mut world = World::new(model, case);
    world.permissions = model
        .permissions
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (permission, roles) in grants {
        world.permissions.insert(permission.clone(), roles.clone());
    }
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
    let request = (&call.auth, &call.body);
    let outcome = steps::run_steps(model, case.endpoint, &mut world, request, version);
    Some(outcome.placed(&world))
}

pub(super) struct Outcome {
    pub(super) decision: Decision,
    pub(super) room: Option<RoomRef>,
    pub(super) authorization: Option<(ActorMembership, BTreeSet<String>)>,
    pub(super) added: Vec<UserRef>,
    pub(super) messages: Vec<MessageExpectation>,
    pub(super) kinds: Vec<String>,
}

impl Outcome {
    /// Where the call falls (`world` knows its room's type and kind).
    fn placed(&self, world: &World) -> Placement {
        let kinds = world
            .kind_of(self.room.as_ref())
            .map(str::to_owned)
            .into_iter()
            .chain(self.kinds.iter().cloned())
            .collect();
        Placement {
            room_type: world.type_of(self.room.as_ref()),
            decision: self.decision.clone(),
            authorization: self.authorization.clone(),
            kinds,
        }
    }

    /// The failure kind that answers, or `success`.
    fn answer_kind(&self) -> &str {
        match &self.decision {
            Decision::Premise(_) => "success",
            Decision::Failure(k) => k.as_str(),
        }
    }
}

/// Predicts one call: each of its bodies in turn (bodies sent together reach the server in
/// some order; invites of users into one room end the same in every order).
fn predict_call(
    model: &PremiseModel,
    endpoint: Endpoint,
    world: &mut World,
    call: &Call,
    version: &Version,
) -> Prediction {
    let outcome = steps::run_steps(model, endpoint, world, (&call.auth, &call.body), version);
    let (answer, established) = filled_answer(model, endpoint, &outcome, version);
    let placement = outcome.placed(world);
    let (mut added, mut messages) = (outcome.added, outcome.messages);
    let mut together = Vec::new();
    for body in &call.together {
        let next = steps::run_steps(model, endpoint, world, (&call.auth, body), version);
        together.push(filled_answer(model, endpoint, &next, version).0);
        added.extend(next.added);
        messages.extend(next.messages);
    }
    Prediction {
        placement,
        answer,
        members_after: world.members(),
        added,
        messages,
        room: outcome.room,
        established,
        together,
    }
}

/// The answer of `outcome` at `version`, its `error` filled in, and the lines it is
/// established for.
fn filled_answer(
    model: &PremiseModel,
    endpoint: Endpoint,
    outcome: &Outcome,
    version: &Version,
) -> (Answer, Vec<LineId>) {
    let (mut answer, established) = answer_at(model, endpoint, outcome.answer_kind(), version);
    if let (Some(template), Some(room)) = (&answer.error_template, &outcome.room) {
        answer.error = Some(template.replace("{room_name}", room.name()));
    }
    (answer, established)
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

pub(super) fn fail(kind: &str, room: Option<RoomRef>) -> Outcome {
    Outcome {
        decision: Decision::Failure(kind.to_owned()),
        room,
        authorization: None,
        added: Vec::new(),
        messages: Vec::new(),
        kinds: Vec::new(),
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
