use std::collections::BTreeSet;

use super::*;
use crate::run::grouping::tests::loaded;
use crate::run::plan::plan as plan_suite;
use crate::run::predicted::Predicted;

/// `suite` planned at `version`, with its shares and the predictions they were planned with.
fn shared<'s>(
    specs: &crate::spec::Specs,
    suite: &'s crate::case::Suite,
    version: &str,
) -> (Plan<'s>, Sharing, Version, Predicted) {
    let version = Version::parse(version).expect("version");
    let mut planned = plan_suite(suite, None, None, &version);
    let predicted = Predicted::of(&planned, &specs.model, &version);
    crate::run::grouping::merge(&mut planned, &version, &predicted);
    let sharing = plan(&planned, &version, &predicted);
    (planned, sharing, version, predicted)
}

#[test]
fn shares_hold_cases_with_the_same_rooms_and_no_user_in_common() {
    let (specs, suite) = loaded();
    for version in ["6.6.0", "8.5.0", "9.0.0"] {
        let (planned, sharing, version, predicted) = shared(&specs, &suite, version);
        assert!(
            sharing.guests() > 60,
            "{version}: {} guests",
            sharing.guests()
        );
        for (host, place) in sharing.hosts() {
            let host_case = planned.cases[host].case;
            let host_rooms = RoomUsers::of(host_case);
            let mut claimed = BTreeSet::new();
            let mut own = BTreeSet::new();
            let mut own_users = 0;
            for &mate in &place.mates {
                let case = planned.cases[mate].case;
                let outcome = shareable(case, &version, &predicted);
                assert_eq!(outcome, Some(sharing.place(mate).expect("placed").outcome));
                let rooms = RoomUsers::of(case);
                assert_eq!(rooms.canonical(case), host_rooms.canonical(host_case));
                let names = rooms.claimed(case);
                if outcome == Some(Outcome::Addition) {
                    // An addition names no room user and not the admin: no call of the share
                    // changes who calls another.
                    assert!(names.iter().all(|n| n == "bot"), "{}: {names:?}", case.id);
                }
                for name in names {
                    assert!(claimed.insert(name), "{}: a user claimed twice", case.id);
                }
                own_users += rooms.own_users(case);
                // Every user of a case's own but its unnamed callers (shared, for the logins)
                // is a pool user no room-mate has.
                let callers: Vec<String> = rooms
                    .kinds(case)
                    .into_iter()
                    .filter(|k| k.caller)
                    .map(|k| k.position.name)
                    .collect();
                let positions = &sharing.place(mate).expect("placed").positions;
                for p in positions {
                    if !rooms.0.contains(&p.name) && !callers.contains(&p.name) {
                        assert!(
                            own.insert((p.roles.clone(), p.index)),
                            "{}: a pool user of its own twice",
                            case.id
                        );
                    }
                }
            }
            assert!(own_users <= OWN_USERS, "{}: {own_users}", host_case.id);
        }
    }
}

#[test]
fn refusals_share_with_refusals_and_additions_with_additions_across_grant_groups() {
    let (specs, suite) = loaded();
    let (planned, sharing, _, _) = shared(&specs, &suite, "8.5.0");
    let group_of = |i: usize| planned.groups.iter().position(|g| g.members.contains(&i));
    let places: Vec<&Place> = sharing.hosts().map(|(_, p)| p).collect();
    for outcome in [Outcome::Refusal, Outcome::Addition] {
        assert!(
            places.iter().any(|p| p.outcome == outcome),
            "no {outcome:?} share"
        );
    }
    for place in &places {
        for &mate in &place.mates {
            let outcome = sharing.place(mate).expect("placed").outcome;
            assert_eq!(outcome, place.outcome, "a refusal shares with an addition");
        }
    }
    let across = places.iter().any(|p| {
        let groups: BTreeSet<Option<usize>> = p.mates.iter().map(|&m| group_of(m)).collect();
        groups.len() > 1
    });
    assert!(across, "no share spans two grant groups");
    let creator = planned
        .cases
        .iter()
        .position(|p| p.case.id.as_str() == "channels.invite/users/user-key")
        .expect("the case is in the suite");
    assert_eq!(
        sharing.place(creator).map(|p| p.outcome),
        Some(Outcome::Addition)
    );
}

#[test]
fn cases_whose_outcome_a_room_mate_could_change_never_share() {
    let (specs, suite) = loaded();
    let (planned, sharing, _, _) = shared(&specs, &suite, "8.5.0");
    for id in [
        // Rooms of another kind, or a member removed.
        "channels.invite/room/direct-room",
        "channels.invite/kinds/omnichannel",
        "channels.invite/bans/banned-invitee",
        // An archived group, which its members endpoint does not read.
        "groups.invite/room/archived",
        // The answer's room counters, the room's messages: a room-mate's call changes them.
        "channels.invite/answer/room-object",
        "channels.invite/messages/one-per-added-user",
        // An addition of the admin or of a room user, and calls sent together.
        "channels.invite/effects/self-as-non-member-admin",
        "channels.invite/effects/bulk-with-an-existing-member",
        "channels.invite/concurrency/different-users",
    ] {
        let index = planned
            .cases
            .iter()
            .position(|p| p.case.id.as_str() == id)
            .expect("the case is in the suite");
        assert!(sharing.place(index).is_none(), "{id} shares");
    }
}
