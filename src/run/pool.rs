//! The user pool: fixture users shared between cases, to spare each case the creation, login
//! and deletion of its own users.
//!
//! Sharing users keeps cases isolated because everything a call changes is per room (an
//! invite adds a subscription to the case's own room; room roles live on the case's own
//! subscriptions), and rooms stay per case. Two kinds of case keep dedicated users: those on
//! the shared `general` channel (an invite there would stay for later cases) and those with a
//! deactivated user (deactivation must follow the user's login and room setup).

use std::collections::{BTreeMap, BTreeSet};

use super::plan::Plan;
use super::provision::{LiveUser, ProvisionError, Provisioner};
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
fn key(roles: &[String]) -> Vec<String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

/// Whether `case` may use pooled users.
pub fn poolable(case: &Case) -> bool {
    !case.touches_general() && case.setup.users.values().all(|u| u.active)
}

impl UserPool {
    /// How many users of each role set the runnable poolable cases of `plan` need at most, and
    /// which of them need a session. Positions are counted as [`UserPool::assign`] takes users.
    pub fn needs(plan: &Plan<'_>) -> BTreeMap<Vec<String>, Need> {
        let mut needs: BTreeMap<Vec<String>, Need> = BTreeMap::new();
        for planned in plan
            .cases
            .iter()
            .filter(|p| p.skip.is_none() && poolable(p.case))
        {
            let mut taken: BTreeMap<Vec<String>, usize> = BTreeMap::new();
            for (name, user) in &planned.case.setup.users {
                let k = key(&user.roles);
                let index = taken.entry(k.clone()).or_default();
                let need = needs.entry(k).or_default();
                need.count = need.count.max(*index + 1);
                if planned.case.needs_session(&UserRef::Fixture(name.clone())) {
                    need.sessions.insert(*index);
                }
                *index += 1;
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

    /// The pool users `case` gets, by logical name; `None` when the case is not poolable or
    /// the pool is short (it then provisions its own).
    pub fn assign(&self, case: &Case) -> Option<BTreeMap<String, LiveUser>> {
        if !poolable(case) {
            return None;
        }
        let mut taken: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        let mut assigned = BTreeMap::new();
        for (name, user) in &case.setup.users {
            let k = key(&user.roles);
            let index = taken.entry(k.clone()).or_default();
            let live = self.users.get(&k)?.get(*index)?.clone();
            *index += 1;
            assigned.insert(name.clone(), live);
        }
        Some(assigned)
    }

    /// Every pool user.
    pub fn users(&self) -> impl Iterator<Item = &LiveUser> {
        self.users.values().flatten()
    }
}
