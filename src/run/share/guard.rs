//! The guard of a shared room: after the calls, the room is read once (its members, and its
//! counters from the listing) and compared with the state before (the members the run gave it,
//! the counters listed before the calls). A change is the change of the case it belongs to:
//! a user newly a member belongs to the one case whose body names that user or whose own user
//! it is (no two room-mates have one in common, see [`super`]), and so does the `au` message
//! naming that user. Each case is judged on its own change only, as if its room-mates' calls
//! had not happened: a refusal with a change fails, an addition is judged on the members and
//! messages it added (its share of the counters). A change no single case explains
//! (a member gone, a user nobody named, counters the new members do not account for) fails
//! every case of the room: never a case outside it. When the room's `msgs` grew by as many as
//! it has new members, each new member is credited with one (its `au` message); when it grew
//! otherwise, the new messages are read: each must be the `au` message of a new member, else a
//! room-mate's call may have left one, and every case of the room fails.

use std::collections::{BTreeMap, BTreeSet};

use crate::run::judge::Counters;

/// The room as the guard compares it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomState {
    /// Member user ids.
    pub members: BTreeSet<String>,
    /// `(usersCount, msgs)`.
    pub counters: Counters,
}

/// One case of a shared room: its plan index and the user ids a change may belong to (its
/// own users and the users its body names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mate {
    /// The plan index.
    pub index: usize,
    /// The user ids that mark a change as this case's.
    pub marks: BTreeSet<String>,
}

/// What the guard found for one shared room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// The cases the change belongs to, each with what it changed.
    pub culprits: BTreeMap<usize, String>,
    /// A change no single case explains, failing every case of the room.
    pub unexplained: Option<String>,
    /// Per case, its own change of the counters: the members it added and their `au`
    /// messages (cases that changed nothing are absent).
    pub own: BTreeMap<usize, (i64, i64)>,
}

impl Finding {
    /// What case `index` is charged with, if anything.
    pub fn charged(&self, index: usize) -> Option<&str> {
        self.unexplained
            .as_deref()
            .or_else(|| self.culprits.get(&index).map(String::as_str))
    }

    /// The counters of the room as case `index`'s call alone would have left them, from the
    /// counters `before` the calls.
    pub fn own_counters(&self, index: usize, before: Counters) -> Counters {
        let (users, msgs) = self.own.get(&index).copied().unwrap_or_default();
        (before.0.map(|b| b + users), before.1.map(|b| b + msgs))
    }

    /// Whether the room changed at all.
    pub fn changed(&self) -> bool {
        self.unexplained.is_some() || !self.culprits.is_empty()
    }
}

/// A message the room gained across the calls, as the guard reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gained {
    /// `t`.
    pub t: Option<String>,
    /// The id of the user its `msg` names, when it names one of the room's cases' users.
    pub names: Option<String>,
}

/// Compares `after` with `before` for the cases `mates`; `messages` are the messages the room
/// gained (read only when `msgs` grew by other than its new members; `None` when not read or
/// not readable); `name_of` names a user id in a finding.
pub fn compare(
    before: &RoomState,
    after: &RoomState,
    mates: &[Mate],
    messages: Option<&[Gained]>,
    name_of: &dyn Fn(&str) -> String,
) -> Finding {
    let mut finding = Finding::default();
    let gained: Vec<&String> = after.members.difference(&before.members).collect();
    let lost: Vec<&String> = before.members.difference(&after.members).collect();
    let mut unexplained: Vec<String> = Vec::new();
    for id in &gained {
        let owners: Vec<&Mate> = mates.iter().filter(|m| m.marks.contains(*id)).collect();
        match owners.as_slice() {
            [owner] => {
                finding.own.entry(owner.index).or_default().0 += 1;
                let entry = finding.culprits.entry(owner.index).or_default();
                if !entry.is_empty() {
                    entry.push_str(", ");
                }
                entry.push_str(&format!("{} became a member", name_of(id)));
            }
            _ => unexplained.push(format!("{} became a member", name_of(id))),
        }
    }
    for id in lost {
        unexplained.push(format!("{} is no longer a member", name_of(id)));
    }
    let delta = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a - b);
    let users = delta(after.counters.0, before.counters.0);
    let msgs = delta(after.counters.1, before.counters.1);
    let joined = i64::try_from(gained.len()).unwrap_or(i64::MAX);
    // Each new member counts once and may bring one `au` message naming it; anything else is
    // no single case's. Messages as many as the new members are theirs, one each; otherwise
    // the messages read tell each new member's `au` from a message a room-mate's call left.
    let messages_explained = match (msgs, messages) {
        (Some(d), Some(m)) if d > 0 => {
            let named: BTreeSet<&str> = m.iter().filter_map(|g| g.names.as_deref()).collect();
            usize::try_from(d).is_ok_and(|d| d == m.len())
                && named.len() == m.len()
                && m.iter().all(|g| {
                    g.t.as_deref() == Some("au")
                        && g.names.as_ref().is_some_and(|id| gained.contains(&id))
                })
        }
        (Some(d), None) if d > 0 => d == joined,
        (Some(d), _) => d == 0,
        (None, _) => true,
    };
    if messages_explained {
        let credited: Vec<&String> = match messages {
            Some(m) => m.iter().filter_map(|g| g.names.as_ref()).collect(),
            None if msgs.is_some_and(|d| d > 0) => gained.clone(),
            None => Vec::new(),
        };
        for id in credited {
            if let Some(owner) = mates.iter().find(|m| m.marks.contains(id)) {
                finding.own.entry(owner.index).or_default().1 += 1;
            }
        }
    }
    if users.is_some_and(|d| d != joined) || !messages_explained {
        unexplained.push(format!(
            "usersCount {:?} → {:?}, msgs {:?} → {:?} with {} new member(s)",
            before.counters.0,
            after.counters.0,
            before.counters.1,
            after.counters.1,
            gained.len()
        ));
    }
    if !unexplained.is_empty() {
        let mut all: Vec<String> = finding.culprits.values().cloned().collect();
        all.extend(unexplained);
        finding.unexplained = Some(all.join("; "));
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(members: &[&str], counters: (i64, i64)) -> RoomState {
        RoomState {
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            counters: (Some(counters.0), Some(counters.1)),
        }
    }

    fn mates() -> Vec<Mate> {
        [(3, ["u3", "a3"]), (5, ["u5", "a5"]), (8, ["u8", "x8"])]
            .into_iter()
            .map(|(index, marks)| Mate {
                index,
                marks: marks.iter().map(|m| (*m).to_owned()).collect(),
            })
            .collect()
    }

    fn named(id: &str) -> String {
        format!("user {id}")
    }

    fn au(id: &str) -> Gained {
        Gained {
            t: Some("au".to_owned()),
            names: Some(id.to_owned()),
        }
    }

    #[test]
    fn an_unchanged_room_charges_nobody() {
        let before = state(&["admin"], (1, 1));
        let found = compare(&before, &before.clone(), &mates(), None, &named);
        assert!(!found.changed());
        assert!(mates().iter().all(|m| found.charged(m.index).is_none()));
    }

    #[test]
    fn a_new_member_is_charged_to_the_case_it_belongs_to_only() {
        let before = state(&["admin"], (1, 1));
        let after = state(&["admin", "u5"], (2, 2));
        let found = compare(&before, &after, &mates(), Some(&[au("u5")]), &named);
        assert_eq!(found.charged(5), Some("user u5 became a member"));
        assert_eq!(found.charged(3), None);
        assert_eq!(found.charged(8), None);
        // Added without its `au` message: nothing else changed either.
        let quiet = state(&["admin", "u5"], (2, 1));
        let found = compare(&before, &quiet, &mates(), None, &named);
        assert_eq!(found.charged(3), None);
        assert!(found.charged(5).is_some());
    }

    #[test]
    fn a_message_that_is_not_the_new_members_au_is_charged_to_every_case_of_the_room() {
        let before = state(&["admin"], (1, 1));
        let after = state(&["admin", "u5"], (2, 2));
        let posted = Gained {
            t: None,
            names: None,
        };
        for messages in [Some(vec![posted]), Some(vec![au("u3")])] {
            let found = compare(&before, &after, &mates(), messages.as_deref(), &named);
            for mate in mates() {
                assert!(found.charged(mate.index).is_some(), "{messages:?}");
            }
        }
    }

    #[test]
    fn each_addition_is_credited_with_its_own_members_and_their_messages_only() {
        let before = state(&["admin"], (1, 1));
        // Messages as many as the new members: one each, nothing read.
        let after = state(&["admin", "u3", "a3", "u8"], (4, 4));
        let found = compare(&before, &after, &mates(), None, &named);
        assert!(found.unexplained.is_none(), "{found:?}");
        assert_eq!(found.own_counters(3, before.counters), (Some(3), Some(3)));
        assert_eq!(found.own_counters(8, before.counters), (Some(2), Some(2)));
        assert_eq!(found.own_counters(5, before.counters), before.counters);
        // Fewer messages than new members: read, and each `au` goes to its member's case.
        let short = state(&["admin", "u3", "a3", "u8"], (4, 3));
        let read = [au("u3"), au("u8")];
        let found = compare(&before, &short, &mates(), Some(&read), &named);
        assert!(found.unexplained.is_none(), "{found:?}");
        assert_eq!(found.own_counters(3, before.counters), (Some(3), Some(2)));
        assert_eq!(found.own_counters(8, before.counters), (Some(2), Some(2)));
        // Not read, or not readable: no case can be credited, every case fails.
        let found = compare(&before, &short, &mates(), None, &named);
        assert!(mates().iter().all(|m| found.charged(m.index).is_some()));
    }

    #[test]
    fn a_change_no_single_case_explains_is_charged_to_every_case_of_the_room() {
        let before = state(&["admin", "m"], (2, 1));
        for after in [
            state(&["admin", "m", "stranger"], (3, 2)),
            state(&["admin"], (1, 1)),
            state(&["admin", "m"], (2, 3)),
            state(&["admin", "m", "u3"], (2, 2)),
        ] {
            let found = compare(&before, &after, &mates(), None, &named);
            for mate in mates() {
                assert!(found.charged(mate.index).is_some(), "{after:?}");
            }
        }
    }
}
