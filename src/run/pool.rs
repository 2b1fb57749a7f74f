//! The user pool: fixture users shared between cases, to spare each case the creation, login
//! and deletion of its own users.
//!
//! Sharing users keeps cases isolated because everything a call changes is per room (an
//! invite adds a subscription to the case's own room; room roles live on the case's own
//! subscriptions), and rooms stay per case, but for refusals that share theirs (see
//! [`super::share`]: each case of a share takes pool users no room-mate takes, at the
//! positions its place gives). Two kinds of user stay dedicated: every user of a case on
//! the shared `general` channel (an invite there would stay for later cases) and a deactivated
//! user (deactivation must follow the user's login and room setup); the other users of a case
//! with a deactivated one come from the pool.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::Plan;
use super::provision::{LiveUser, ProvisionError, Provisioner};
use super::share::{Position, Sharing};
use crate::case::{Case, UserRef};

/// What the pool holds of one role set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Need {
    /// How many users: as many as the most demanding case takes.
    pub count: usize,
    /// The positions (in the order cases take them) whose user some case acts or creates a
    /// room with: only those log in, since the login route is rate-limited for every caller.
    pub sessions: BTreeSet<usize>,
}

/// Pool users by role set, each list long enough for the most demanding case.
#[derive(Debug, Clone, Default)]
pub struct UserPool {
    users: BTreeMap<Vec<String>, Vec<LiveUser>>,
}

/// The key a user is pooled under: its sorted global roles.
pub(super) fn key(roles: &[String]) -> Vec<String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

/// Whether every user of `case` comes from the pool.
pub fn poolable(case: &Case) -> bool {
    !case.touches_general() && case.setup.users.values().all(|u| u.active)
}

/// Whether the user `name` of `case` comes from the pool: an active user of a case that is not
/// on `general`.
pub(super) fn pooled(case: &Case, name: &str) -> bool {
    !case.touches_general() && case.setup.users.get(name).is_some_and(|u| u.active)
}

impl UserPool {
    /// How many pool users of each role set the runnable cases of `plan` need at most (their
    /// pooled users only), and which of them need a session: positions as [`positions`] gives
    /// them (a case that shares rooms takes the positions of its place in `sharing`).
    pub fn needs(plan: &Plan<'_>, sharing: &Sharing) -> BTreeMap<Vec<String>, Need> {
        let mut needs: BTreeMap<Vec<String>, Need> = BTreeMap::new();
        for (index, planned) in plan.cases.iter().enumerate() {
            if planned.skip.is_some() {
                continue;
            }
            let place = sharing.place(index).map(|p| p.positions.as_slice());
            for position in positions(planned.case, place) {
                let need = needs.entry(position.roles).or_default();
                need.count = need.count.max(position.index + 1);
                if planned
                    .case
                    .needs_session(&UserRef::Fixture(position.name.clone()))
                {
                    need.sessions.insert(position.index);
                }
            }
        }
        needs
    }

    /// Creates the pool's users, one after another, and logs in those a case needs a session
    /// of: their order of creation is the order in which a server lists them (a bulk invite
    /// resolves its users in that order), so it must be the same in every run.
    pub async fn provision(
        provisioner: &Provisioner,
        needs: &BTreeMap<Vec<String>, Need>,
    ) -> Result<UserPool, ProvisionError> {
        let mut pool = UserPool::default();
        for (n, (roles, need)) in needs.iter().enumerate() {
            for i in 0..need.count {
                let username = format!("rcc-{}-pool{n}-{i}", provisioner.run_id);
                let login = need.sessions.contains(&i);
                let user = provisioner.create_user(&username, roles, login).await?;
                pool.users.entry(roles.clone()).or_default().push(user);
            }
        }
        Ok(pool)
    }

    /// The pool users `case` gets, by logical name (its pooled users only), at `shared`
    /// positions when it shares rooms; `None` when the pool is short (the case then
    /// provisions its own).
    pub fn assign(
        &self,
        case: &Case,
        shared: Option<&[Position]>,
    ) -> Option<BTreeMap<String, LiveUser>> {
        let mut assigned = BTreeMap::new();
        for position in positions(case, shared) {
            let live = self
                .users
                .get(&position.roles)?
                .get(position.index)?
                .clone();
            assigned.insert(position.name, live);
        }
        Some(assigned)
    }

    /// The pool users that hold the role set `roles` (sorted) and no other.
    pub fn with_roles(&self, roles: &[String]) -> &[LiveUser] {
        self.users.get(roles).map_or(&[], Vec::as_slice)
    }

    /// Every pool user.
    pub fn users(&self) -> impl Iterator<Item = &LiveUser> {
        self.users.values().flatten()
    }
}

/// Where each pooled user of `case` comes from in the pool: the `shared` positions of a case
/// that shares rooms, else the pooled users in setup order, each role set counted from 0.
pub fn positions(case: &Case, shared: Option<&[Position]>) -> Vec<Position> {
    if let Some(shared) = shared {
        return shared.to_vec();
    }
    let mut taken: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    case.setup
        .users
        .iter()
        .filter(|(name, _)| pooled(case, name))
        .map(|(name, user)| {
            let roles = key(&user.roles);
            let index = taken.entry(roles.clone()).or_default();
            *index += 1;
            Position {
                name: name.clone(),
                roles,
                index: *index - 1,
            }
        })
        .collect()
}
