//! Stage 4 for the rooms several cases share (see [`crate::run::share`]): each room's members
//! read once, through its members endpoint (it does not depend on `includeUserRooms`), for
//! every case of the room, and the guard's comparison with the state before the calls.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{CaseState, Prepared};
use crate::case::{RoomRef, UserRef};
use crate::run::call;
use crate::run::judge::{Counters, SharedRoomNote};
use crate::run::lanes::in_lanes;
use crate::run::observe::{CounterRead, counters_of};
use crate::run::provision::{Fixtures, LiveUser};
use crate::run::share::Outcome;
use crate::run::share::guard::{self, Gained, Mate, RoomState};
use crate::target::Exchange;
use crate::target::api::Api;

/// A room the called cases of a batch share: its id and, per case, the room's logical name.
#[derive(Debug)]
pub(super) struct SharedRoom {
    id: String,
    cases: Vec<(usize, RoomRef)>,
    /// Its members after the calls, and the exchange that read them (shared by its cases).
    read: Option<(Vec<String>, Exchange)>,
    /// Its read failed: the exchange.
    failed: Option<Exchange>,
    /// Its counters after the calls, read with its members when the listing lacks them, and
    /// the exchange.
    counters: Option<(Counters, Exchange)>,
    /// The messages it gained across the calls, read only when its `msgs` grew (`None`: not
    /// read, or the read failed), and the exchange.
    messages: Option<Vec<Gained>>,
    messages_read: Option<Exchange>,
}

impl SharedRoom {
    /// Its counters after the calls: from the listing, else read with its members.
    fn counters_after(&self, listing: &CounterRead) -> Option<Counters> {
        listing
            .get(&self.id)
            .or(self.counters.as_ref().map(|c| c.0))
    }
}

/// Runs `read` for every shared room `pick` gives a value for, `jobs` rooms at a time, as the
/// room's reader (with the fixtures of its first case, in that case's lane), and `store`s what
/// it returned into the room.
async fn each_room<X, T, Fut>(
    run: &Prepared<'_>,
    states: &[CaseState],
    rooms: &mut [SharedRoom],
    pick: impl Fn(&SharedRoom) -> Option<X>,
    mut read: impl FnMut(Api, Arc<Fixtures>, RoomRef, X) -> Fut,
    mut store: impl FnMut(&mut SharedRoom, T),
) where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let items = rooms
        .iter()
        .enumerate()
        .filter_map(|(n, room)| {
            let picked = pick(room)?;
            let (index, name) = room.cases.first()?;
            let fixtures = states[*index].live()?.fixtures.clone();
            Some((*index + 1, (n, fixtures, name.clone(), picked)))
        })
        .collect();
    let done = in_lanes(
        items,
        run.options.jobs,
        None,
        |(n, fixtures, name, picked)| {
            let out = read(run.api.clone(), fixtures, name, picked);
            async move { (n, out.await) }
        },
    )
    .await;
    for (n, out) in done.into_values().filter_map(Result::ok) {
        if let Some(room) = rooms.get_mut(n) {
            store(room, out);
        }
    }
}

/// The rooms two or more of the bulk cases of `indices` that share rooms use (a guest whose
/// host could not be provisioned has rooms of its own).
pub(super) fn shared_rooms(
    run: &Prepared<'_>,
    states: &[CaseState],
    indices: &[usize],
) -> Vec<SharedRoom> {
    let mut by_id: BTreeMap<String, Vec<(usize, RoomRef)>> = BTreeMap::new();
    let sharing = &run.provisioner.sharing;
    for &index in indices.iter().filter(|&&i| sharing.place(i).is_some()) {
        let Some(live) = states[index].live().filter(|l| l.bulk) else {
            continue;
        };
        for (room, room_live) in &live.fixtures.rooms {
            if matches!(room, RoomRef::Fixture(_)) {
                by_id
                    .entry(room_live.id.clone())
                    .or_default()
                    .push((index, room.clone()));
            }
        }
    }
    by_id
        .into_iter()
        .filter(|(_, cases)| cases.len() > 1)
        .map(|(id, cases)| SharedRoom {
            id,
            cases,
            read: None,
            failed: None,
            counters: None,
            messages: None,
            messages_read: None,
        })
        .collect()
}

/// Reads the members of every shared room, `jobs` rooms at a time, as the room's reader, and
/// its counters where the listing lacks them.
pub(super) async fn read_members(
    run: &Prepared<'_>,
    states: &[CaseState],
    rooms: &mut [SharedRoom],
    listing: &CounterRead,
) {
    let unlisted = |room: &SharedRoom| Some(listing.get(&room.id).is_none());
    each_room(
        run,
        states,
        rooms,
        unlisted,
        |api, fixtures, name, unlisted| async move {
            let mut transcript = Vec::new();
            let ids = call::read_members(&api, &fixtures, &name, &mut transcript).await;
            let members = transcript.pop();
            let mut counters = None;
            if unlisted {
                let info = call::read_room(&api, &fixtures, &name, &mut transcript).await;
                counters = info.as_ref().map(counters_of).zip(transcript.pop());
            }
            (ids, members, counters)
        },
        |room, (ids, exchange, counters)| {
            room.counters = counters;
            match (ids, exchange) {
                (Some(ids), Some(exchange)) => room.read = Some((ids, exchange)),
                (_, exchange) => room.failed = exchange,
            }
        },
    )
    .await;
}

/// Reads the messages each shared room gained across the calls, where its `msgs` grew by other
/// than its new members (one `au` message each): whether they are the new members' `au`
/// messages, and whose.
pub(super) async fn read_messages(
    run: &Prepared<'_>,
    states: &[CaseState],
    rooms: &mut [SharedRoom],
    listing: &CounterRead,
) {
    // How many messages the room gained, when they are not one per new member.
    let unexplained = |room: &SharedRoom| {
        let before = state_before(run, states, room)?;
        let after = room.counters_after(listing)?;
        let gained = usize::try_from(after.1? - before.counters.1?).ok()?;
        let (members, _) = room.read.as_ref()?;
        let joined = members
            .iter()
            .filter(|m| !before.members.contains(*m))
            .count();
        (gained > 0 && gained != joined).then_some(gained)
    };
    each_room(
        run,
        states,
        rooms,
        unexplained,
        |api, fixtures, name, count| async move {
            let mut transcript = Vec::new();
            let messages =
                call::read_new_messages(&api, &fixtures, &name, count, &mut transcript).await;
            (messages, transcript.pop())
        },
        |room, (messages, exchange)| {
            // The user each message's `msg` names, among every user of the room's cases.
            let by_username: BTreeMap<String, String> = room_users(states, room)
                .map(|(_, user)| (user.username.to_lowercase(), user.id.clone()))
                .collect();
            room.messages = messages.map(|all| {
                all.into_iter()
                    .map(|m| Gained {
                        names: by_username.get(&m.msg.to_lowercase()).cloned(),
                        t: m.t,
                    })
                    .collect()
            });
            room.messages_read = exchange;
        },
    )
    .await;
}

/// The guard: each shared room compared with its state before the calls. Puts into each case's
/// call its members of the room, the counters it is judged on (a room-mate's change taken out)
/// and the guard's notes against it.
pub(super) fn guard(
    states: &mut [CaseState],
    rooms: &[SharedRoom],
    listing: &Arc<CounterRead>,
    run: &Prepared<'_>,
) {
    for room in rooms {
        let Some(before) = state_before(run, states, room) else {
            continue;
        };
        let after = room.read.as_ref().map(|(ids, _)| RoomState {
            members: ids.iter().cloned().collect(),
            counters: room.counters_after(listing).unwrap_or_default(),
        });
        let mates: Vec<Mate> = room
            .cases
            .iter()
            .map(|(index, _)| Mate {
                index: *index,
                marks: marks(run, states, *index, &before),
            })
            .collect();
        let names = names(states, room);
        let finding = after.as_ref().map(|after| {
            let messages = room.messages.as_deref();
            guard::compare(&before, after, &mates, messages, &|id| name_of(&names, id))
        });
        for (index, name) in &room.cases {
            let CaseState::Called(live, made) = &mut states[*index] else {
                continue;
            };
            let before_counters = live.before.get(name).copied();
            let Some(made) = made.first_mut() else {
                continue;
            };
            let observed = &mut made.observed;
            match (&room.read, &finding) {
                (Some((ids, exchange)), Some(finding)) => {
                    observed.members_after.insert(name.clone(), ids.clone());
                    made.transcript.push(exchange.clone());
                    made.transcript
                        .extend(room.counters.iter().map(|(_, e)| e.clone()));
                    made.transcript.extend(room.messages_read.iter().cloned());
                    // An addition's own change is what it is judged on; a refusal's fails it.
                    let charged = match run.provisioner.sharing.place(*index) {
                        Some(place) if place.outcome == Outcome::Addition => {
                            finding.unexplained.as_deref()
                        }
                        _ => finding.charged(*index),
                    };
                    if let Some(change) = charged {
                        observed.shared.push(SharedRoomNote::Changed {
                            room: name.clone(),
                            change: change.to_owned(),
                        });
                    } else if let Some(b) = before_counters {
                        // Room-mates' changes, each charged to its case: this case is judged
                        // on the room as its own call left it.
                        observed
                            .counters
                            .insert(name.clone(), (b, finding.own_counters(*index, b)));
                    }
                }
                _ => {
                    if let Some(exchange) = &room.failed {
                        made.transcript.push(exchange.clone());
                    }
                    observed.shared.push(SharedRoomNote::Unread(name.clone()));
                }
            }
        }
    }
}

/// The room's state before the calls: the members the run gave it (the setup of its first
/// case, as that case's users) and the counters listed before the calls.
fn state_before(run: &Prepared<'_>, states: &[CaseState], room: &SharedRoom) -> Option<RoomState> {
    let (index, name) = room.cases.first()?;
    let live = states[*index].live()?;
    let case = run.plan.cases[*index].case;
    let fixture = case.setup.rooms.get(name.name())?;
    let members = fixture
        .members_after_setup()
        .iter()
        .filter_map(|u| live.fixtures.users.get(u).map(|l| l.id.clone()))
        .collect();
    let counters = room
        .cases
        .iter()
        .find_map(|(i, n)| states[*i].live()?.before.get(n).copied())
        .unwrap_or_default();
    Some(RoomState { members, counters })
}

/// The user ids a change of the room may belong to for case `index`: its users that are not
/// members before (its own), every user its bodies name and every user its expectation says
/// it adds (the planner lets no room-mate claim one of them, see [`crate::run::share`]).
fn marks(
    run: &Prepared<'_>,
    states: &[CaseState],
    index: usize,
    before: &RoomState,
) -> BTreeSet<String> {
    let Some(live) = states[index].live() else {
        return BTreeSet::new();
    };
    let named = run.plan.cases[index].case.users_named_by_bodies();
    let own = live
        .fixtures
        .users
        .iter()
        .filter(|(u, l)| matches!(u, UserRef::Fixture(_)) && !before.members.contains(&l.id))
        .map(|(_, l)| l.id.clone());
    let case = run.plan.cases[index].case;
    let added = super::expectation(case, &run.version)
        .into_iter()
        .flat_map(|e| e.members_after.values().flat_map(|m| &m.includes));
    let by_body = named
        .iter()
        .chain(added)
        .filter_map(|u| live.fixtures.users.get(u).map(|l| l.id.clone()));
    own.chain(by_body).collect()
}

/// User id → `case-id: user` for every user of the room's cases.
fn names(states: &[CaseState], room: &SharedRoom) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for (user, l) in room_users(states, room) {
        names
            .entry(l.id.clone())
            .or_insert_with(|| format!("{} ({})", user.name(), l.username));
    }
    names
}

/// Every user of every case of `room` (a pool user once per case that has it).
fn room_users<'a>(
    states: &'a [CaseState],
    room: &'a SharedRoom,
) -> impl Iterator<Item = (&'a UserRef, &'a LiveUser)> {
    room.cases
        .iter()
        .filter_map(|(index, _)| states[*index].live())
        .flat_map(|live| &live.fixtures.users)
}

fn name_of(names: &BTreeMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}
