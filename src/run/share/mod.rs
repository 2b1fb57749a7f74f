//! Sharing rooms between cases: fewer rooms to create and delete.
//!
//! A case may use the rooms of another case (its host) only when
//!
//! - both run in the same grant group, with one call each, sent alone;
//! - both expect the same kind of outcome, by the model and by their expectations:
//!   - a *refusal* that adds nobody and records no message (a status of 400 or more, no counter
//!     change, no message), or
//!   - an *addition* that adds only users of the case's own (or the bot) and whose
//!     expectation reads nothing a room-mate's call changes too (no `usersCount` or other
//!     moving field of the answer's room, no answer room compared with the room, no messages
//!     listed): its counters are judged on its own share of the room's change (below);
//! - their rooms are set up identically: plain channels or groups, created by the same users
//!   (up to the logical names), with the same members, room roles and state, and nobody
//!   removed;
//! - their users come from the pool, and no user of one is named by the call of another: the
//!   room's users are shared, a caller from outside the room that no body names is one pool
//!   user for the whole share (a share needs no more logins, which a rate limiter counts), every
//!   other user of a case (its invitees) is a pool user of its own (a pool position no
//!   room-mate takes), and no two room-mates name the same room user (or the admin or the bot)
//!   in their bodies; an addition names no room user and not the admin at all, so no call of
//!   the share changes who calls another.
//!
//! An invite's decision depends on its caller, its room and its invitees, never on who else is
//! in the room, so a room-mate's addition changes no other case's outcome. And every user a
//! call names, that an add could bring into a shared room, belongs to one case at most: the
//! guard ([`guard`]) reads the room once after the calls, compares it with the state before,
//! gives each case the change that is its own (its users that became members and their `au`
//! messages) and fails a refusal whose call changed the room, never its room-mates. A change
//! no single case explains (a shared caller brought in, a member gone, counters or messages
//! the new members do not account for) fails every case of the room.

pub mod guard;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::plan::Plan;
use super::pool::{key, poolable};
use super::predicted::Predicted;
use crate::api::RoomType;
use crate::case::{Case, RoomFixture, RoomKind, RoomRef, UserRef, Version};
use crate::spec::predict::Decision;

/// Where a pool user of a case comes from: its logical name, its role set (the pool's key)
/// and its position among the pool's users of that role set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The logical name in the case.
    pub name: String,
    /// The sorted role set.
    pub roles: Vec<String>,
    /// The position among the pool users of that role set.
    pub index: usize,
}

/// What the cases of a share expect of their call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// A refusal that leaves the room as it was.
    Refusal,
    /// A success that adds users of the case's own only.
    Addition,
}

/// A case's place in a room share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// What the case expects of its call.
    pub outcome: Outcome,
    /// The plan index of the case that creates the rooms (slot 0).
    pub host: usize,
    /// The plan indexes of every case of the share, the host first.
    pub mates: Vec<usize>,
    /// Where each of the case's users comes from in the pool.
    pub positions: Vec<Position>,
}

/// How the runnable cases of a plan share rooms: a place for each case of a share of two or
/// more; every other case has rooms of its own.
#[derive(Debug, Clone, Default)]
pub struct Sharing {
    /// Plan index → place.
    places: BTreeMap<usize, Place>,
    /// Case id → plan index.
    by_id: HashMap<String, usize>,
}

impl Sharing {
    /// The place of the case with plan index `index`, when it shares rooms.
    pub fn place(&self, index: usize) -> Option<&Place> {
        self.places.get(&index)
    }

    /// The place of the case `id`, when it shares rooms.
    pub fn place_of(&self, id: &str) -> Option<&Place> {
        self.places.get(self.by_id.get(id)?)
    }

    /// Whether the case with plan index `index` uses another case's rooms.
    pub fn is_guest(&self, index: usize) -> bool {
        self.place(index).is_some_and(|p| p.host != index)
    }

    /// The shares: each host's plan index with its place.
    pub fn hosts(&self) -> impl Iterator<Item = (usize, &Place)> {
        self.places
            .iter()
            .filter(|(i, p)| p.host == **i)
            .map(|(i, p)| (*i, p))
    }

    /// How many cases use another case's rooms.
    pub fn guests(&self) -> usize {
        self.places.iter().filter(|(i, p)| p.host != **i).count()
    }
}

/// What makes two cases room-mates: the same kind of outcome and the same rooms: the rooms in
/// order with every fixture user named by its place among the rooms' users, and the role sets
/// of those users. Refusals and additions never share a room: a change of the counters that the
/// new members do not account for can then be charged to the cases that may have made it (any
/// case of a refusals' room, any case of an additions' room), never to a refusal for what an
/// addition did.
type RoomKey = (Outcome, Vec<RoomFixture>, Vec<Vec<String>>);

/// A share being formed.
struct Forming {
    key: RoomKey,
    /// The cases, host first (all of the outcome in `key`).
    members: Vec<usize>,
    /// The room users (and built-in users) the cases claim, by canonical name.
    named: BTreeSet<String>,
    /// How many pool users of their own its cases take.
    own: usize,
}

/// The most pool users of their own the cases of one share take: every one of them is a pool
/// user the run creates and deletes, so a share grown past the pool the rest of the plan needs
/// costs more requests than the room it saves.
const OWN_USERS: usize = 6;

/// Plans the shares of `plan` at `version` (see the module documentation), with the cases'
/// predictions made before the run.
pub fn plan(plan: &Plan<'_>, version: &Version, predicted: &Predicted) -> Sharing {
    let mut forming: Vec<Forming> = Vec::new();
    for group in &plan.groups {
        for &index in &group.members {
            let case = plan.cases[index].case;
            if plan.cases[index].skip.is_some() {
                continue;
            }
            let Some(outcome) = shareable(case, version, predicted) else {
                continue;
            };
            let rooms = RoomUsers::of(case);
            let key: RoomKey = (outcome, rooms.canonical(case), rooms.role_sets(case));
            let named = rooms.claimed(case);
            let own = rooms.own_users(case);
            match forming
                .iter_mut()
                .find(|f| f.key == key && f.named.is_disjoint(&named) && f.own + own <= OWN_USERS)
            {
                Some(share) => {
                    share.named.extend(named);
                    share.members.push(index);
                    share.own += own;
                }
                None => forming.push(Forming {
                    key,
                    members: vec![index],
                    named,
                    own,
                }),
            }
        }
    }
    let mut sharing = Sharing::default();
    for share in forming.into_iter().filter(|f| f.members.len() > 1) {
        let cases: Vec<&Case> = share
            .members
            .iter()
            .map(|&i| plan.cases[i].case.as_ref())
            .collect();
        let (outcome, host) = (share.key.0, share.members[0]);
        for (&index, positions) in share.members.iter().zip(positions(&cases)) {
            sharing
                .by_id
                .insert(plan.cases[index].case.id.as_str().to_owned(), index);
            sharing.places.insert(
                index,
                Place {
                    outcome,
                    host,
                    mates: share.members.clone(),
                    positions,
                },
            );
        }
    }
    sharing
}

/// The pool positions of the users of the cases of one share, case by case. Per role set: the
/// room users first (the same users for every case), then the callers (users of a case's own
/// that call and that no body names: the same few users for every case, so that a share does
/// not need more logins, which a rate limiter counts), then every other user of a case's own
/// (its invitees, a caller its body names), each at a position no other case of the share takes.
fn positions(cases: &[&Case]) -> Vec<Vec<Position>> {
    let kinds: Vec<(RoomUsers, Vec<UserKind>)> = cases
        .iter()
        .map(|case| {
            let rooms = RoomUsers::of(case);
            let kinds = rooms.kinds(case);
            (rooms, kinds)
        })
        .collect();
    let Some((host_rooms, _)) = kinds.first() else {
        return Vec::new();
    };
    let mut next = host_rooms.counts(cases[0]);
    let mut callers_of: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for (_, case_kinds) in &kinds {
        let mut count: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
        for kind in case_kinds.iter().filter(|k| k.caller) {
            *count.entry(&kind.position.roles).or_default() += 1;
        }
        for (roles, n) in count {
            let most = callers_of.entry(roles.clone()).or_default();
            *most = (*most).max(n);
        }
    }
    for (roles, n) in &callers_of {
        *next.entry(roles.clone()).or_default() += n;
    }
    let first_caller = host_rooms.counts(cases[0]);
    kinds
        .into_iter()
        .map(|(_, case_kinds)| {
            let mut callers: BTreeMap<Vec<String>, usize> = BTreeMap::new();
            case_kinds
                .into_iter()
                .map(|kind| {
                    let mut position = kind.position;
                    if kind.caller {
                        let taken = callers.entry(position.roles.clone()).or_default();
                        position.index =
                            first_caller.get(&position.roles).copied().unwrap_or(0) + *taken;
                        *taken += 1;
                    } else if !kind.room {
                        let counter = next.entry(position.roles.clone()).or_default();
                        position.index = *counter;
                        *counter += 1;
                    }
                    position
                })
                .collect()
        })
        .collect()
}

/// One user of a case as the share places it.
struct UserKind {
    /// Its position (final for a room user).
    position: Position,
    /// A room user.
    room: bool,
    /// A user of the case's own that calls and that no body names.
    caller: bool,
}

/// The kind of outcome `case` may share its rooms for, if any: one call sent alone, pool
/// users, plain channels and groups without removals, and a refusal that changes nothing or
/// an addition of its own users only, by the model and by its expectation (see the module
/// documentation).
fn shareable(case: &Case, version: &Version, predicted: &Predicted) -> Option<Outcome> {
    let [call] = case.calls.as_slice() else {
        return None;
    };
    let plain_rooms = !case.setup.rooms.is_empty()
        && case.setup.rooms.values().all(|r| {
            // The guard reads a shared room through its members endpoint, which refuses an
            // archived group (`groups.members` looks the group up with the archived check).
            let readable = r.room_type == RoomType::Public || !r.archived;
            r.kind == RoomKind::Plain
                && matches!(r.room_type, RoomType::Public | RoomType::Private)
                && readable
                && r.removals.is_empty()
        });
    if !call.together.is_empty() || !poolable(case) || !plain_rooms {
        return None;
    }
    let expect = call.expectation_for(Some(version));
    // The users the expectation names: a refusal's are fixtures.
    let named_users: Vec<&UserRef> = expect
        .members_after
        .values()
        .flat_map(|m| m.includes.iter().chain(&m.excludes))
        .collect();
    let fixture_users = named_users.iter().all(|u| matches!(u, UserRef::Fixture(_)));
    let predicted = predicted.case(case, version);
    let prediction = predicted.first()?;
    if !expect.rooms().all(|r| matches!(r, RoomRef::Fixture(_))) || expect.answer_room.is_some() {
        return None;
    }
    if expect.status >= 400 {
        let unchanged = expect
            .room_delta
            .values()
            .all(|d| d.users_count.unwrap_or(0) == 0 && d.msgs.unwrap_or(0) == 0)
            && expect.messages_after.values().all(Vec::is_empty);
        let refused = matches!(prediction.placement.decision, Decision::Failure(_))
            && prediction.added.is_empty()
            && prediction.messages.is_empty();
        return (unchanged && refused && fixture_users).then_some(Outcome::Refusal);
    }
    let rooms = RoomUsers::of(case);
    let own = |u: &UserRef| match u {
        UserRef::Fixture(_) => rooms.canonical_name(u).is_none(),
        UserRef::Bot => true,
        UserRef::Admin => false,
    };
    let addition = (200..300).contains(&expect.status)
        && expect.messages_after.is_empty()
        && expect.fields.keys().all(|pointer| fixed_field(pointer))
        && matches!(prediction.placement.decision, Decision::Premise(_))
        && prediction.added.iter().all(own)
        && expect.members_after.values().all(|m| {
            // It adds its own users (or the bot); it may say who stays out, the admin too
            // (no addition names the admin, so none brings it in).
            m.includes.iter().all(own) && m.excludes.iter().all(|u| own(u) || *u == UserRef::Admin)
        })
        && rooms.claimed(case).iter().all(|name| name == "bot");
    addition.then_some(Outcome::Addition)
}

/// Whether the answer's field at `pointer` is one no room-mate's call changes: the room's
/// identity, type and state, not its counters, its last message or its update time.
fn fixed_field(pointer: &str) -> bool {
    const FIXED: [&str; 11] = [
        "success", "_id", "t", "name", "fname", "ro", "archived", "teamMain", "teamId", "prid",
        "default",
    ];
    pointer
        .rsplit('/')
        .next()
        .is_some_and(|last| FIXED.contains(&last))
}

/// The fixture users a case's rooms name, in the order the rooms name them.
struct RoomUsers(Vec<String>);

impl RoomUsers {
    fn of(case: &Case) -> RoomUsers {
        let mut users: Vec<String> = Vec::new();
        for room in case.setup.rooms.values() {
            let named = std::iter::once(&room.creator)
                .chain(&room.members)
                .chain(&room.owners)
                .chain(&room.moderators)
                .chain(&room.leaders);
            for user in named {
                if let UserRef::Fixture(name) = user
                    && !users.contains(name)
                {
                    users.push(name.clone());
                }
            }
        }
        RoomUsers(users)
    }

    /// The canonical name of `user`: `#k` for the k-th room user, the logical name of the
    /// built-in users, `None` for a user of the case's own.
    fn canonical_name(&self, user: &UserRef) -> Option<String> {
        match user {
            UserRef::Fixture(name) => self
                .0
                .iter()
                .position(|n| n == name)
                .map(|k| format!("#{k}")),
            other => Some(other.name().to_owned()),
        }
    }

    /// The case's rooms with every room user renamed to its canonical name.
    fn canonical(&self, case: &Case) -> Vec<RoomFixture> {
        let rename = |u: &UserRef| match u {
            UserRef::Fixture(_) => UserRef::Fixture(self.canonical_name(u).unwrap_or_default()),
            other => other.clone(),
        };
        let all = |v: &[UserRef]| v.iter().map(rename).collect::<Vec<_>>();
        case.setup
            .rooms
            .values()
            .map(|r| RoomFixture {
                creator: rename(&r.creator),
                members: all(&r.members),
                owners: all(&r.owners),
                moderators: all(&r.moderators),
                leaders: all(&r.leaders),
                ..r.clone()
            })
            .collect()
    }

    /// The role sets of the room users, in order.
    fn role_sets(&self, case: &Case) -> Vec<Vec<String>> {
        self.0
            .iter()
            .map(|name| {
                case.setup
                    .users
                    .get(name)
                    .map(|u| key(&u.roles))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// How many room users hold each role set: the first pool position of a case's own users.
    fn counts(&self, case: &Case) -> BTreeMap<Vec<String>, usize> {
        let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        for roles in self.role_sets(case) {
            *counts.entry(roles).or_default() += 1;
        }
        counts
    }

    /// The room users and built-in users the case's bodies name, by canonical name.
    fn named_by_body(&self, case: &Case) -> BTreeSet<String> {
        case.users_named_by_bodies()
            .iter()
            .filter_map(|u| self.canonical_name(u))
            .collect()
    }

    /// The room users and built-in users the case claims, by canonical name: those its
    /// bodies name and those its expectation says become members (the bot a username in a
    /// body adds); no two room-mates claim one.
    fn claimed(&self, case: &Case) -> BTreeSet<String> {
        let mut claimed = self.named_by_body(case);
        let expectations = case.calls.iter().flat_map(|c| {
            std::iter::once(&c.expect).chain(c.alternatives.iter().map(|a| &a.expect))
        });
        for expect in expectations {
            let includes = expect.members_after.values().flat_map(|m| &m.includes);
            claimed.extend(includes.filter_map(|u| self.canonical_name(u)));
        }
        claimed
    }

    /// How many users of its own the case takes from the pool: those neither in its rooms nor
    /// calling unnamed (a share's callers are shared).
    fn own_users(&self, case: &Case) -> usize {
        self.kinds(case)
            .iter()
            .filter(|k| !k.room && !k.caller)
            .count()
    }

    /// Each user of the case: a room user with its position (its place among the room users
    /// of its role set), or a user of its own, a caller or not.
    fn kinds(&self, case: &Case) -> Vec<UserKind> {
        let role_sets = self.role_sets(case);
        let named = case.users_named_by_bodies();
        case.setup
            .users
            .iter()
            .map(|(name, user)| {
                let roles = key(&user.roles);
                let user_ref = UserRef::Fixture(name.clone());
                let place = self.0.iter().position(|n| n == name);
                let index = place.map_or(0, |k| {
                    role_sets[..k].iter().filter(|r| **r == roles).count()
                });
                UserKind {
                    position: Position {
                        name: name.clone(),
                        roles,
                        index,
                    },
                    room: place.is_some(),
                    caller: place.is_none()
                        && case.needs_session(&user_ref)
                        && !named.contains(&user_ref),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
