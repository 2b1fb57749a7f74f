//! Stages 2 and 4: the state the bulk cases are judged on, read once for all of them (one
//! listing of the run's rooms for the counters, one `users.info` per user for memberships),
//! and room by room for what those reads miss.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{CaseState, Live, Prepared, each_case, expectation, members_read_alone, shared};
use crate::case::RoomRef;
use crate::run::call::{self, Made};
use crate::run::judge::Counters;
use crate::run::observe::{CounterRead, Evidence, MembershipRead, counters_of};
use crate::target::Exchange;

/// The run's name prefix: every room of a bulk case carries it.
fn run_prefix(run: &Prepared<'_>) -> String {
    format!("rcc-{}-", run.run_id)
}

/// Rooms of one case that a bulk read missed, and the messages it reads room by room.
#[derive(Debug, Default)]
struct Unread {
    /// Rooms whose counters the listing did not give.
    counters: Vec<RoomRef>,
    /// Rooms with a member whose rooms are not known.
    members: Vec<RoomRef>,
    /// Rooms whose gained messages the expectation names: how many (`None`: the change of
    /// `msgs` from the counters read alone, against `before`).
    messages: Vec<(RoomRef, Option<usize>)>,
    /// The counters before the call, for the rooms whose messages are counted here.
    before: BTreeMap<RoomRef, Counters>,
}

/// What reading rooms one by one found for one case.
#[derive(Debug, Default)]
struct ReadAlone {
    counters: BTreeMap<RoomRef, Counters>,
    rooms: BTreeMap<RoomRef, serde_json::Value>,
    members: BTreeMap<RoomRef, Vec<String>>,
    messages: BTreeMap<RoomRef, Vec<crate::run::judge::ObservedMessage>>,
    evidence: Vec<Exchange>,
}

/// Stage 2: the counters of the bulk cases' rooms, from one listing; a room the listing
/// misses is read on its own.
pub(super) async fn read_before(run: &Prepared<'_>, states: &mut [CaseState]) {
    // A case that reads its rooms around its own call takes the counters before it from the
    // listing too, for the rooms the listing has, unless it is on `general` (its counters
    // before are those left by the `general` case before it).
    let needing: Vec<usize> = states
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            s.live().is_some()
                && !run.plan.cases[*i].case.touches_general()
                && !counted_rooms(run, *i).is_empty()
        })
        .map(|(i, _)| i)
        .collect();
    if needing.is_empty() {
        return;
    }
    let listing =
        Arc::new(CounterRead::read(&run.api, &run.preflight.admin, &run_prefix(run)).await);
    let mut unlisted: BTreeMap<usize, Unread> = BTreeMap::new();
    for &index in &needing {
        let CaseState::Provisioned(live) = &mut states[index] else {
            continue;
        };
        let mut listed = BTreeSet::new();
        for room in &counted_rooms(run, index) {
            let Some(room_live) = live.fixtures.rooms.get(room) else {
                continue;
            };
            match listing.get(&room_live.id) {
                Some(c) => {
                    live.before.insert(room.clone(), c);
                    listed.insert(room_live.id.clone());
                }
                None if live.bulk => unlisted
                    .entry(index)
                    .or_default()
                    .counters
                    .push(room.clone()),
                None => {}
            }
        }
        live.evidence.push(Evidence::Counters {
            read: listing.clone(),
            rooms: listed.into_iter().collect(),
            when: "before the call",
        });
    }
    for (index, alone) in read_alone(run, states, unlisted).await {
        if let CaseState::Provisioned(live) = &mut states[index] {
            live.before.extend(alone.counters);
            live.evidence
                .extend(alone.evidence.into_iter().map(Evidence::Own));
        }
    }
}

/// The rooms whose counters case `index` needs before and after its call: those its
/// expectation counts and, for a case that shares rooms, every room (the guard compares them).
fn counted_rooms(run: &Prepared<'_>, index: usize) -> Vec<RoomRef> {
    let case = run.plan.cases[index].case;
    let mut rooms: Vec<RoomRef> = expectation(case, &run.version)
        .map(|e| e.counted_rooms().into_iter().cloned().collect())
        .unwrap_or_default();
    if run.provisioner.sharing.place(index).is_some() {
        for name in case.setup.rooms.keys() {
            let room = RoomRef::Fixture(name.clone());
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
    }
    rooms
}

/// Reads the rooms of `unread` one by one, as the case's own readers (`jobs` cases at a
/// time), as a case outside the bulk reads does around its call.
async fn read_alone(
    run: &Prepared<'_>,
    states: &[CaseState],
    mut unread: BTreeMap<usize, Unread>,
) -> BTreeMap<usize, ReadAlone> {
    let indices: Vec<usize> = unread.keys().copied().collect();
    let read = each_case(run, &indices, "while its rooms were read", |index| {
        let api = run.api.clone();
        let fixtures = states[index]
            .live()
            .map(|l| l.fixtures.clone())
            .unwrap_or_default();
        let rooms = unread.remove(&index).unwrap_or_default();
        async move {
            let mut found = ReadAlone::default();
            for room in rooms.counters {
                if let Some(info) =
                    call::read_room(&api, &fixtures, &room, &mut found.evidence).await
                {
                    found.counters.insert(room.clone(), counters_of(&info));
                    found.rooms.insert(room, info);
                }
            }
            for room in rooms.members {
                if let Some(ids) =
                    call::read_members(&api, &fixtures, &room, &mut found.evidence).await
                {
                    found.members.insert(room, ids);
                }
            }
            read_messages(&api, &fixtures, rooms.messages, &rooms.before, &mut found).await;
            found
        }
    })
    .await;
    read.into_iter()
        .filter_map(|(index, outcome)| Some((index, outcome.ok()?)))
        .collect()
}

/// The messages the rooms of `wanted` gained, room by room: as many as each room's `msgs`
/// grew (counted by the bulk read, or from the counters `found` read alone against `before`).
async fn read_messages(
    api: &crate::target::api::Api,
    fixtures: &crate::run::provision::Fixtures,
    wanted: Vec<(RoomRef, Option<usize>)>,
    before: &BTreeMap<RoomRef, Counters>,
    found: &mut ReadAlone,
) {
    for (room, count) in wanted {
        let count = count.or_else(|| {
            let (b, a) = (before.get(&room)?, found.counters.get(&room)?);
            call::gained(*b, *a)
        });
        let Some(count) = count else {
            continue;
        };
        if let Some(new) =
            call::read_new_messages(api, fixtures, &room, count, &mut found.evidence).await
        {
            found.messages.insert(room, new);
        }
    }
}

/// Stage 4: the counters and memberships of the bulk cases of `indices` after their calls,
/// from one listing and one read per user; what those miss is read room by room.
pub(super) async fn read_after(run: &Prepared<'_>, states: &mut [CaseState], indices: &[usize]) {
    let called: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| matches!(&states[i], CaseState::Called(live, _) if live.bulk))
        .collect();
    if called.is_empty() {
        return;
    }
    let (listing, memberships) = bulk_after(run, states, &called).await;
    let mut shared_rooms = shared::shared_rooms(run, states, &called);
    shared::read_members(run, states, &mut shared_rooms, &listing).await;
    shared::read_messages(run, states, &mut shared_rooms, &listing).await;
    let mut unread: BTreeMap<usize, Unread> = BTreeMap::new();
    for &index in &called {
        if let CaseState::Called(live, made) = &mut states[index]
            && let Some(made) = made.first_mut()
        {
            unread.insert(index, take_counters(live, made, &listing));
        }
    }
    shared::guard(states, &shared_rooms, &listing, run);
    let mut missing: BTreeMap<usize, Unread> = BTreeMap::new();
    for &index in &called {
        let CaseState::Called(live, made) = &mut states[index] else {
            continue;
        };
        let (Some(expect), Some(made)) = (
            expectation(run.plan.cases[index].case, &run.version),
            made.first_mut(),
        ) else {
            continue;
        };
        let alone = members_read_alone(run.plan.cases[index].case);
        let mut missed = unread.remove(&index).unwrap_or_default();
        // A shared room's counters come from the guard, the case's own share of its change.
        missed
            .counters
            .retain(|room| !made.observed.counters.contains_key(room));
        missed.members = take_members(live, made, expect, &memberships, &alone);
        for room in expect.messages_after.keys() {
            let gained = made
                .observed
                .counters
                .get(room)
                .and_then(|(b, a)| call::gained(*b, *a));
            missed.messages.push((room.clone(), gained));
            if let Some(b) = live.before.get(room) {
                missed.before.insert(room.clone(), *b);
            }
        }
        let nothing =
            missed.counters.is_empty() && missed.members.is_empty() && missed.messages.is_empty();
        if !nothing {
            missing.insert(index, missed);
        }
    }
    let unread = std::mem::take(&mut missing);
    for (index, alone) in read_alone(run, states, unread).await {
        if let CaseState::Called(live, made) = &mut states[index]
            && let Some(made) = made.first_mut()
        {
            for (room, after) in alone.counters {
                if let Some(b) = live.before.get(&room) {
                    made.observed.counters.insert(room, (*b, after));
                }
            }
            made.observed.rooms_after.extend(alone.rooms);
            made.observed.members_after.extend(alone.members);
            made.observed.messages.extend(alone.messages);
            live.evidence
                .extend(alone.evidence.into_iter().map(Evidence::Own));
        }
    }
}

/// The reads of stage 4 shared by every called bulk case: one listing when some case
/// expects counter changes, one `users.info` per user a membership expectation names.
async fn bulk_after(
    run: &Prepared<'_>,
    states: &[CaseState],
    called: &[usize],
) -> (Arc<CounterRead>, Arc<MembershipRead>) {
    let mut any_counters = false;
    let mut users = BTreeSet::new();
    for &index in called {
        let (Some(expect), Some(live)) = (
            expectation(run.plan.cases[index].case, &run.version),
            states[index].live(),
        ) else {
            continue;
        };
        // A case that shares rooms reads them through the rooms' own members read.
        let sharing = run.provisioner.sharing.place(index).is_some();
        any_counters |= sharing || !expect.counted_rooms().is_empty();
        let alone = members_read_alone(run.plan.cases[index].case);
        let shared = expect
            .members_after
            .iter()
            .filter(|(room, _)| !sharing && !alone.contains(room))
            .map(|(_, m)| m);
        for m in shared {
            for user in m.includes.iter().chain(&m.excludes) {
                if let Some(found) = live.fixtures.users.get(user) {
                    users.insert(found.id.clone());
                }
            }
        }
    }
    let admin = &run.preflight.admin;
    let listing = Arc::new(if any_counters {
        CounterRead::read(&run.api, admin, &run_prefix(run)).await
    } else {
        CounterRead::default()
    });
    let memberships =
        Arc::new(MembershipRead::read(&run.api, admin, users, run.options.jobs).await);
    (listing, memberships)
}

/// The counters after the call from the shared listing, into `made`; the rooms it missed.
fn take_counters(live: &mut Live, made: &mut Made, listing: &Arc<CounterRead>) -> Unread {
    let mut missed = Unread::default();
    live.evidence
        .extend(made.transcript.drain(..).map(Evidence::Own));
    let mut listed = BTreeSet::new();
    for (room, b) in &live.before {
        let Some(room_live) = live.fixtures.rooms.get(room) else {
            continue;
        };
        match listing.get(&room_live.id) {
            Some(after) => {
                listed.insert(room_live.id.clone());
                made.observed.counters.insert(room.clone(), (*b, after));
                if let Some(document) = listing.document(&room_live.id) {
                    let document = document.clone();
                    made.observed.rooms_after.insert(room.clone(), document);
                }
            }
            None => missed.counters.push(room.clone()),
        }
    }
    live.evidence.push(Evidence::Counters {
        read: listing.clone(),
        rooms: listed.into_iter().collect(),
        when: "after the calls",
    });
    missed
}

/// The memberships after the call from the shared reads, into `made`; the rooms with a
/// member whose rooms are not known.
fn take_members(
    live: &mut Live,
    made: &mut Made,
    expect: &crate::case::Expectation,
    memberships: &Arc<MembershipRead>,
    alone: &[RoomRef],
) -> Vec<RoomRef> {
    let mut missed = Vec::new();
    let mut shown: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (room, m) in &expect.members_after {
        let Some(room_live) = live.fixtures.rooms.get(room) else {
            continue;
        };
        if made.observed.members_after.contains_key(room) {
            // Read with the room it shares with other cases.
            continue;
        }
        if alone.contains(room) {
            missed.push(room.clone());
            continue;
        }
        let ids: Vec<&str> = m
            .includes
            .iter()
            .chain(&m.excludes)
            .filter_map(|u| live.fixtures.users.get(u).map(|l| l.id.as_str()))
            .collect();
        // The members among the named users, if every one of them is known.
        let known = ids.iter().try_fold(Vec::new(), |mut members, id| {
            if memberships.is_member(id, &room_live.id)? {
                members.push((*id).to_owned());
            }
            Some(members)
        });
        match known {
            Some(member_ids) => {
                for id in ids {
                    shown
                        .entry(id.to_owned())
                        .or_default()
                        .insert(room_live.id.clone());
                }
                made.observed.members_after.insert(room.clone(), member_ids);
            }
            None => missed.push(room.clone()),
        }
    }
    for (user, rooms) in shown {
        live.evidence.push(Evidence::Memberships {
            read: memberships.clone(),
            user,
            rooms: rooms.into_iter().collect(),
        });
    }
    missed
}
