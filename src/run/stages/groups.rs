//! Stage 3 for one grant group: its permission changes in one request (those of the group
//! before that it does not share put back, its own applied), the wait for them to take effect
//! ([`crate::run::settle`]), then its calls. A permission the next group sets too is not put
//! back in between: it changes once, from one group's list to the next.

use std::sync::Arc;

use super::{CaseState, Records, calls};
use crate::report::model::{GrantGroupRecord, GrantRecord, SettleRecord};
use crate::run::grants::Changes;
use crate::run::plan::Group;
use crate::run::prepare::Prepared;
use crate::run::settle::{GrantSettle, SettlePlan, settle};

/// Changes the permissions for group `n`, waits for the change, and makes its calls. `held`
/// holds the permissions a group changed and that are not put back yet.
#[allow(clippy::too_many_arguments)]
pub(super) async fn call_group(
    run: &Prepared<'_>,
    changes: &mut Changes,
    plan: &mut SettlePlan,
    (n, group): (usize, &Group),
    held: &mut Vec<String>,
    states: &mut [CaseState],
    out: &mut Records<'_, '_>,
    records: &mut Vec<GrantGroupRecord>,
) {
    // The lists applied are the run's (a built-in role may stand in for a run-scoped one);
    // the plan's group names the same permissions.
    let lists = run.grants.groups.get(n).map_or(&[][..], Vec::as_slice);
    let ours: Vec<&String> = lists.iter().map(|(p, _)| p).collect();
    let stale: Vec<String> = held.iter().filter(|p| !ours.contains(p)).cloned().collect();
    held.retain(|p| ours.contains(&p));
    // The previous group's grants this one does not share go back in the same request.
    let settled = match changes.switch(run, &stale, n).await {
        Ok(applied) => {
            absorb(held, applied);
            let settled = settle(run, plan, n).await;
            run.api.client().next_stage();
            calls::make_calls(run, &group.members, states).await;
            settled
        }
        Err(e) => {
            // Whatever the refused request changed is put back.
            absorb(held, stale);
            absorb(held, ours.into_iter().cloned().collect());
            run.api.client().next_stage();
            changes.put_back(run, std::mem::take(held)).await;
            let reason = format!("applying the case's permission grants failed: {e}");
            for &index in &group.members {
                if matches!(states[index], CaseState::Provisioned(_)) {
                    states[index] = CaseState::Idle;
                    let case = run.plan.cases[index].case;
                    let record = run
                        .verdicts
                        .stopped(case, &reason, vec![e.exchange().clone()]);
                    out.emit(index, record);
                }
            }
            SettleRecord {
                how: "none".to_owned(),
                note: Some(reason),
                ..SettleRecord::default()
            }
        }
    };
    if !lists.is_empty() {
        records.push(GrantGroupRecord {
            grants: lists
                .iter()
                .map(|(permission, roles)| GrantRecord {
                    permission: permission.clone(),
                    roles: roles.clone(),
                })
                .collect(),
            cases: group.members.len(),
            sets: group.sets,
            settle: settled,
        });
    }
}

fn absorb(held: &mut Vec<String>, applied: Vec<String>) {
    for permission in applied {
        if !held.contains(&permission) {
            held.push(permission);
        }
    }
}

/// Provisions the fixtures of the settle probes (when the run observes its changes on a
/// target), `jobs` at a time; one that cannot be made leaves its probes to the fixed wait.
pub(super) async fn provision_probes(run: &Prepared<'_>, plan: &mut SettlePlan) {
    let observing = matches!(run.options.grant_settle, GrantSettle::Observe { .. });
    let needed = plan.transitions.iter().any(|t| !t.probes.is_empty());
    if !observing || run.embedded() || !needed {
        return;
    }
    let first = run.plan.cases.len() + 1;
    // Numbered after the cases: `rcc-<run>-<n>-probe`, one number per fixture.
    let items = plan
        .shapes
        .iter()
        .cloned()
        .enumerate()
        .map(|(shape, case)| (first + shape, (first + shape, case)))
        .collect();
    let made = crate::run::lanes::in_lanes(
        items,
        run.options.jobs,
        Some(run.interrupt),
        |(number, case)| {
            let provisioner = run.provisioner.clone();
            async move { provisioner.provision(number, &case).await.ok() }
        },
    )
    .await;
    for (shape, fixtures) in made {
        if let Ok(Some(fixtures)) = fixtures {
            crate::run::record::register_sessions(&run.sessions, &fixtures).await;
            plan.fixtures[shape] = Some(Arc::new(fixtures));
        }
    }
}
