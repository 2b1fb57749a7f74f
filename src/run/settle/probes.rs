//! Finding probes: for each permission a run changes between two grant groups, a call the
//! premise model says is allowed on one side of the change and refused on the other, on a
//! small fixture of its own (a room and at most one user) that the call leaves unchanged:
//! the invitee is already a member, so an allowed call adds nobody and a refused one changes
//! nothing either.
//!
//! Pure: the model decides, nothing is sent here.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::api::{Endpoint, RoomType};
use crate::case::{
    Auth, Body, Call, Case, Expectation, Origin, Reference, RoomField, RoomFixture, RoomRef, Setup,
    Template, UserField, UserFixture, UserRef, Version, VersionRange,
};
use crate::spec::predict::{Decision, predict_case_granted};
use crate::spec::premise::PremiseModel;

/// Permission → the complete role list permission checks see.
pub(crate) type State = BTreeMap<String, Vec<String>>;

/// One probe of a change: its call, its fixture, and the decision that shows the change
/// took effect.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// The permission whose change it shows.
    pub(crate) permission: String,
    /// The probe as a one-call case (its setup is its fixture's).
    pub(crate) case: Arc<Case>,
    /// Index into [`Probes::fixtures`].
    pub(crate) fixture: usize,
    /// Whether the call is allowed once the change took effect.
    pub(crate) allowed_after: bool,
}

/// The fixtures of a run's probes: one per distinct setup, however many probes call on it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Probes {
    /// A case of each fixture's setup (what gets provisioned).
    pub(crate) fixtures: Vec<Arc<Case>>,
}

/// How the actor of a probe relates to its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// A plain user outside the room (created by the admin).
    Outsider,
    /// The admin outside the room (created by a plain user).
    AdminOutsider,
    /// A plain user who created (so owns) the room.
    Creator,
    /// A plain member without a room role.
    Member,
    /// A member holding a room role.
    RoomRole(&'static str),
    /// The admin, creator of the room.
    Admin,
}

const RELATIONS: [Relation; 8] = [
    Relation::Outsider,
    Relation::AdminOutsider,
    Relation::Creator,
    Relation::Member,
    Relation::RoomRole("moderator"),
    Relation::RoomRole("leader"),
    Relation::RoomRole("owner"),
    Relation::Admin,
];

impl Probes {
    /// A probe for each change from `before` to `after` (the whole states permission checks
    /// see), and the permissions for which the model knows none. Fixtures of earlier probes
    /// are reused when a call on them fits.
    pub(crate) fn for_transition(
        &mut self,
        model: &PremiseModel,
        version: &Version,
        before: &State,
        after: &State,
    ) -> (Vec<Probe>, Vec<String>) {
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        let changed = after
            .iter()
            .filter(|(p, roles)| before.get(*p) != Some(*roles))
            .map(|(p, _)| p)
            .chain(before.keys().filter(|p| !after.contains_key(*p)));
        for permission in changed {
            // The change of `permission` alone, and with the others not in effect yet: the
            // probe must tell the new state from both.
            let mut only_others = after.clone();
            match before.get(permission) {
                Some(roles) => only_others.insert(permission.clone(), roles.clone()),
                None => only_others.remove(permission),
            };
            match self.find(model, version, after, &[&only_others, before]) {
                Some((case, fixture, allowed_after)) => found.push(Probe {
                    permission: permission.clone(),
                    case,
                    fixture,
                    allowed_after,
                }),
                None => missing.push(permission.clone()),
            }
        }
        (found, missing)
    }

    /// The first call the model decides one way under `after` and the other way under each
    /// of `others`, on a fixture already planned if one fits, else on a new one.
    fn find(
        &mut self,
        model: &PremiseModel,
        version: &Version,
        after: &State,
        others: &[&State],
    ) -> Option<(Arc<Case>, usize, bool)> {
        let flips = |case: &Case| {
            let allowed_after = allowed(model, version, case, after);
            others
                .iter()
                .all(|o| allowed(model, version, case, o) != allowed_after)
                .then_some(allowed_after)
        };
        let candidates: Vec<Case> = [Endpoint::ChannelsInvite, Endpoint::GroupsInvite]
            .into_iter()
            .flat_map(|e| RELATIONS.map(|r| shape(e, r)))
            .collect();
        let planned = |case: &Case| self.fixture_of(case);
        let pick = candidates
            .iter()
            .filter(|c| planned(c).is_some())
            .chain(candidates.iter())
            .find_map(|c| Some((c, flips(c)?)))?;
        let (case, allowed_after) = (pick.0.clone(), pick.1);
        let fixture = match self.fixture_of(&case) {
            Some(i) => i,
            None => {
                self.fixtures.push(Arc::new(case.clone()));
                self.fixtures.len() - 1
            }
        };
        Some((Arc::new(case), fixture, allowed_after))
    }

    /// The planned fixture whose setup is `case`'s.
    fn fixture_of(&self, case: &Case) -> Option<usize> {
        let key = setup_key(case);
        self.fixtures.iter().position(|f| setup_key(f) == key)
    }
}

/// A setup's identity: its users and rooms as written.
fn setup_key(case: &Case) -> String {
    format!("{:?} {:?}", case.setup.users, case.setup.rooms)
}

/// Whether the model allows the call of `case` when permission checks see `state`.
fn allowed(model: &PremiseModel, version: &Version, case: &Case, state: &State) -> bool {
    let grants: Vec<(String, Vec<String>)> =
        state.iter().map(|(p, r)| (p.clone(), r.clone())).collect();
    predict_case_granted(model, case, version, &grants)
        .first()
        .is_some_and(|p| matches!(p.placement.decision, Decision::Premise(_)))
}

/// The probe fixture of `relation` for `endpoint`: a room of the endpoint's type, an actor,
/// and a call that invites a user who is already a member.
fn shape(endpoint: Endpoint, relation: Relation) -> Case {
    let room_type = match endpoint {
        Endpoint::GroupsInvite => RoomType::Private,
        _ => RoomType::Public,
    };
    let actor = UserRef::Fixture("prober".to_owned());
    let mut room = RoomFixture::new(room_type);
    let (caller, invitee) = match relation {
        Relation::Outsider => (actor.clone(), UserRef::Admin),
        Relation::AdminOutsider => {
            room.creator = actor.clone();
            (UserRef::Admin, actor.clone())
        }
        Relation::Member | Relation::RoomRole(_) => {
            room.members.push(actor.clone());
            match relation {
                Relation::RoomRole("moderator") => room.moderators.push(actor.clone()),
                Relation::RoomRole("leader") => room.leaders.push(actor.clone()),
                Relation::RoomRole(_) => room.owners.push(actor.clone()),
                _ => {}
            }
            (actor.clone(), actor.clone())
        }
        Relation::Creator => {
            room.creator = actor.clone();
            (actor.clone(), actor.clone())
        }
        Relation::Admin => (UserRef::Admin, UserRef::Admin),
    };
    let mut users = IndexMap::new();
    if caller == actor || invitee == actor || room.creator == actor {
        users.insert(
            "prober".to_owned(),
            UserFixture {
                roles: vec!["user".to_owned()],
                active: true,
            },
        );
    }
    let room_ref = RoomRef::Fixture("probe".to_owned());
    let body = IndexMap::from([
        (
            "roomId".to_owned(),
            Template::Ref(Reference::Room(room_ref, RoomField::Id)),
        ),
        (
            "userId".to_owned(),
            Template::Ref(Reference::User(invitee, UserField::Id)),
        ),
    ]);
    let setup = Setup {
        users,
        permissions: IndexMap::new(),
        rooms: IndexMap::from([("probe".to_owned(), room)]),
    };
    let call = Call {
        auth: Auth::As(caller),
        body: Body::Json(Template::Object(body)),
        together: Vec::new(),
        expect: Expectation::default(),
        alternatives: Vec::new(),
        origin: origin(),
    };
    probe_case(
        format!("settle-probe/{endpoint:?}/{relation:?}"),
        endpoint,
        setup,
        call,
    )
}

/// Where a probe comes from, for its records.
fn origin() -> Origin {
    Origin {
        file: "(settle probe)".into(),
        line: 0,
        column: 0,
    }
}

/// A probe as a one-call case.
fn probe_case(id: String, endpoint: Endpoint, setup: Setup, call: Call) -> Case {
    Case {
        id: id.into(),
        title: "A call whose outcome shows that a permission change took effect".to_owned(),
        endpoint,
        premise: "not-allowed".into(),
        source: "the premise model (run/settle)".to_owned(),
        divergence: None,
        versions: VersionRange::default(),
        requires: Vec::new(),
        setup,
        calls: vec![call],
        origin: origin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    fn state(model: &PremiseModel, changes: &[(&str, &[&str])]) -> State {
        let mut s: State = model
            .permissions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (p, roles) in changes {
            s.insert(
                (*p).to_owned(),
                roles.iter().map(|r| (*r).to_owned()).collect(),
            );
        }
        s
    }

    #[test]
    fn every_grant_of_the_suite_has_a_probe_that_flips_with_it_alone() {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let specs = Specs::load(&root.join("specs")).expect("specs");
        let model = &specs.model;
        let version = Version::parse("8.5.0").expect("version");
        let defaults = state(model, &[]);
        let mut probes = Probes::default();
        for grant in [
            ("add-user-to-joined-room", &["admin", "moderator"][..]),
            (
                "add-user-to-joined-room",
                &["admin", "owner", "moderator", "leader"][..],
            ),
            (
                "add-user-to-joined-room",
                &["admin", "owner", "moderator", "user"][..],
            ),
            ("add-user-to-any-c-room", &[][..]),
            ("add-user-to-any-c-room", &["admin", "user"][..]),
            ("add-user-to-any-p-room", &["admin"][..]),
            ("add-user-to-any-p-room", &["user"][..]),
        ] {
            let after = state(model, &[grant]);
            let (found, missing) = probes.for_transition(model, &version, &defaults, &after);
            assert!(missing.is_empty(), "{grant:?}");
            assert_eq!(found.len(), 1, "{grant:?}");
            let case = found[0].case.clone();
            assert_ne!(
                allowed(model, &version, &case, &defaults),
                allowed(model, &version, &case, &after),
                "{grant:?}: {}",
                case.id
            );
            // And back: restoring the default is observed too.
            let (back, missing) = probes.for_transition(model, &version, &after, &defaults);
            assert!(missing.is_empty() && back.len() == 1, "{grant:?} restored");
        }
        assert!(
            probes.fixtures.len() <= 6,
            "{} fixtures",
            probes.fixtures.len()
        );
    }

    #[test]
    fn a_permission_the_model_does_not_know_has_no_probe() {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let specs = Specs::load(&root.join("specs")).expect("specs");
        let version = Version::parse("8.5.0").expect("version");
        let before = state(&specs.model, &[]);
        let after = state(&specs.model, &[("view-room-administration", &["user"][..])]);
        let (found, missing) =
            Probes::default().for_transition(&specs.model, &version, &before, &after);
        assert!(found.is_empty());
        assert_eq!(missing, ["view-room-administration"]);
    }
}
