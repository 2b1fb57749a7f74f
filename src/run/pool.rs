//! The user pool: fixture users shared between cases, to spare each case the creation, login
//! and deletion of its own users.
//!
//! Sharing users keeps cases isolated because everything a call changes is per room (an
//! invite adds a subscription to the case's own room; room roles live on the case's own
//! subscriptions), and rooms stay per case. Two kinds of case keep dedicated users: those on
//! the shared `general` channel (an invite there would stay for later cases) and those with a
//! deactivated user (deactivation must follow the user's login and room setup).

use std::collections::BTreeMap;

use super::plan::Plan;
use super::provision::{LiveUser, ProvisionError, Provisioner};
use crate::case::Case;

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
    /// How many users of each role set the runnable poolable cases of `plan` need at most.
    pub fn needs(plan: &Plan<'_>) -> BTreeMap<Vec<String>, usize> {
        let mut needs: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        for planned in plan
            .cases
            .iter()
            .filter(|p| p.skip.is_none() && poolable(p.case))
        {
            let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
            for user in planned.case.setup.users.values() {
                *counts.entry(key(&user.roles)).or_default() += 1;
            }
            for (k, n) in counts {
                let need = needs.entry(k).or_default();
                *need = (*need).max(n);
            }
        }
        needs
    }

    /// Creates and logs in the pool's users, one after another: their order of creation is
    /// the order in which a server lists them (a bulk invite resolves its users in that order),
    /// so it must be the same in every run.
    pub async fn provision(
        provisioner: &Provisioner,
        needs: &BTreeMap<Vec<String>, usize>,
    ) -> Result<UserPool, ProvisionError> {
        let mut pool = UserPool::default();
        for (n, (roles, count)) in needs.iter().enumerate() {
            for i in 0..*count {
                let username = format!("rcc-{}-pool{n}-{i}", provisioner.run_id);
                let user = provisioner.create_user(&username, roles, true).await?;
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
