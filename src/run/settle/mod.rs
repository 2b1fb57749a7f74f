//! Settling permission changes by evidence: after a grant group's permissions are changed,
//! the run waits until the change shows, not for a fixed time.
//!
//! A real server's permission checks lag behind `permissions.update`: Rocket.Chat memoises
//! which roles hold a permission (`rolesHasPermissionCached` in
//! `apps/meteor/server/services/authorization/service.ts`) and clears that cache when the
//! change event reaches the instance. For each permission a group changes (or puts back from
//! the group before), `probes` finds a call the premise model says flips with that change,
//! on a small fixture of its own that the call leaves unchanged (the invitee is already a
//! member). After the change the run sends the probe of the permission changed last until it
//! shows the new decision, then confirms the others, each up to the deadline; it reports how
//! long that took. Where no probe exists (a permission the model does not know, a probe
//! fixture that could not be made) it waits [`FALLBACK`], and `--grant-settle-ms` makes
//! every wait a fixed one. The embedded server has no lag and is not waited for.

mod probes;
mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use self::probes::{Probe, Probes, State};
use super::plan::Plan;
use super::provision::Fixtures;
use crate::case::{Case, Version};
use crate::report::model::SettleRecord;
use crate::spec::premise::PremiseModel;

pub(super) use self::wait::settle;

/// The wait where no probe can show a change: Rocket.Chat's role cache keeps a user's roles
/// for 1 s (`getRolesCached`, `maxAge: 1000`), so a little more than that.
pub const FALLBACK: Duration = Duration::from_millis(1200);

/// How a run waits for its permission changes to take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSettle {
    /// Probe each change until it shows, up to `deadline` per group (the default; nothing
    /// is waited for on the embedded server).
    Observe {
        /// The longest wait for one group.
        deadline: Duration,
    },
    /// Wait this long after each group's changes (`--grant-settle-ms`; zero: no wait).
    Fixed(Duration),
}

impl Default for GrantSettle {
    fn default() -> Self {
        GrantSettle::Observe {
            deadline: Duration::from_secs(10),
        }
    }
}

/// What one group's change is and how it can be observed.
#[derive(Debug, Clone, Default)]
pub(super) struct Transition {
    /// The permissions whose role lists change before the group's calls, in the order they
    /// are changed (put back first, then the group's own).
    pub(super) changed: Vec<String>,
    /// A probe per changed permission the model can observe.
    pub(super) probes: Vec<Probe>,
    /// Changed permissions without a probe.
    pub(super) missing: Vec<String>,
}

/// The run's settle plan: how it waits, each group's transition, the probe fixtures.
#[derive(Debug, Default)]
pub(super) struct SettlePlan {
    /// Per plan group, in plan order.
    pub(super) transitions: Vec<Transition>,
    /// The probe fixtures, each as a case of its setup.
    pub(super) shapes: Vec<Arc<Case>>,
    /// Each one once provisioned (none: not provisioned, its probes fall back).
    pub(super) fixtures: Vec<Option<Arc<Fixtures>>>,
    /// The wait the last observed change took, a hint for the next.
    pub(super) hint: Option<Duration>,
}

impl SettlePlan {
    /// The transitions of `plan`'s groups from `before` (the role lists permission checks
    /// saw before the run, by permission), and the probes that observe them when `probing`
    /// (the run observes its changes on a target that needs it).
    pub(super) fn new(
        probing: bool,
        plan: &Plan<'_>,
        model: &PremiseModel,
        version: &Version,
        before: &BTreeMap<String, Vec<String>>,
    ) -> SettlePlan {
        let start: State = model
            .permissions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(before.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect();
        let mut found = Probes::default();
        let mut transitions = Vec::new();
        let (mut state, mut held): (State, Vec<String>) = (start.clone(), Vec::new());
        for group in &plan.groups {
            let mut next = start.clone();
            next.extend(group.grants.iter().cloned());
            let ours: Vec<&String> = group.grants.iter().map(|(p, _)| p).collect();
            let mut changed: Vec<String> =
                held.iter().filter(|p| !ours.contains(p)).cloned().collect();
            changed.extend(
                group
                    .grants
                    .iter()
                    .filter(|(p, roles)| state.get(p) != Some(roles))
                    .map(|(p, _)| p.clone()),
            );
            changed.retain(|p| state.get(p) != next.get(p));
            let (probes, missing) = if probing {
                found.for_transition(model, version, &state, &next)
            } else {
                (Vec::new(), Vec::new())
            };
            transitions.push(Transition {
                changed,
                probes,
                missing,
            });
            held = ours.into_iter().cloned().collect();
            state = next;
        }
        let fixtures = vec![None; found.fixtures.len()];
        SettlePlan {
            transitions,
            shapes: found.fixtures,
            fixtures,
            hint: None,
        }
    }
}

/// A record of no wait, with `note`.
fn none(note: Option<&str>) -> SettleRecord {
    SettleRecord {
        how: "none".to_owned(),
        note: note.map(str::to_owned),
        ..SettleRecord::default()
    }
}
