use std::collections::BTreeSet;

use super::*;
use crate::run::grouping::tests::loaded;
use crate::run::plan::plan as plan_suite;

#[test]
fn shares_hold_refusals_of_one_group_with_the_same_rooms_and_no_invitee_in_common() {
    let (specs, suite) = loaded();
    for version in ["6.6.0", "8.5.0", "9.0.0"] {
        let version = Version::parse(version).expect("version");
        let mut planned = plan_suite(&suite, None, None, &version);
        crate::run::grouping::merge(&mut planned, &specs.model, &version);
        let sharing = plan(&planned, &specs.model, &version);
        assert!(
            sharing.guests() > 20,
            "{version}: {} guests",
            sharing.guests()
        );
        for (host, place) in sharing.hosts() {
            let group = planned
                .groups
                .iter()
                .position(|g| g.members.contains(&host))
                .expect("the host runs");
            let host_case = planned.cases[host].case;
            let host_rooms = RoomUsers::of(host_case);
            let mut named = BTreeSet::new();
            let mut own = BTreeSet::new();
            for &mate in &place.mates {
                let case = planned.cases[mate].case;
                assert!(shareable(case, &specs.model, &version), "{}", case.id);
                assert!(planned.groups[group].members.contains(&mate), "{}", case.id);
                let rooms = RoomUsers::of(case);
                assert_eq!(rooms.canonical(case), host_rooms.canonical(host_case));
                for name in rooms.named_by_body(case) {
                    assert!(named.insert(name), "{}: a user named twice", case.id);
                }
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
        }
    }
}

#[test]
fn cases_that_add_a_user_or_have_a_room_of_another_kind_never_share() {
    let (specs, suite) = loaded();
    let version = Version::parse("8.5.0").expect("version");
    let mut planned = plan_suite(&suite, None, None, &version);
    crate::run::grouping::merge(&mut planned, &specs.model, &version);
    let sharing = plan(&planned, &specs.model, &version);
    for id in [
        "channels.invite/joined-room/room-owner-creator",
        "channels.invite/room/direct-room",
        "channels.invite/kinds/omnichannel",
        "channels.invite/bans/banned-invitee",
    ] {
        let index = planned
            .cases
            .iter()
            .position(|p| p.case.id.as_str() == id)
            .expect("the case is in the suite");
        assert!(sharing.place(index).is_none(), "{id} shares");
    }
}
