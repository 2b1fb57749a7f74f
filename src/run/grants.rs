//! The permissions a run changes: the run-wide grants (the rate-limit bypass for fixture
//! users) and each grant group's, applied with `permissions.update` and put back exactly.
//!
//! Every permission the run will change is written to the ledger with the role list to
//! restore, in one synced write, before the first change: a crash at any point then restores
//! each to its state before the run. This module owns that order; it does not decide which
//! cases need which grants (the plan does).

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::ledger::{Durable, Entry};
use super::plan::{Group, Plan};
use super::preflight::Preflight;
use super::prepare::Prepared;
use super::{RunError, RunOptions};
use crate::target::Purpose;
use crate::target::api::ApiError;

/// A permission and the complete role list it gets.
pub(super) type Grant = (String, Vec<String>);

/// The run's policy for grants: what it adds for the whole run (how it waits for a change to
/// take effect is [`super::settle`]'s).
#[derive(Debug, Clone)]
pub(super) struct RunGrants {
    /// Roles added to permissions for the whole run (the rate-limit bypass).
    pub(super) extra: Vec<Grant>,
}

impl RunGrants {
    /// The grants of a run of `plan`, given what preflight found (`_options` decide nothing
    /// here since the settle wait moved to [`super::settle`]).
    pub(super) fn new(_options: &RunOptions, preflight: &Preflight, plan: &Plan<'_>) -> RunGrants {
        let mut extra = Vec::new();
        if preflight.bypass_rate_limit {
            // Every global role a fixture user of the plan holds; added to the permission's
            // list as it stands once the run lock is held.
            let mut roles: Vec<String> = vec!["user".to_owned()];
            for planned in plan.cases.iter().filter(|p| p.skip.is_none()) {
                for user in planned.case.setup.users.values() {
                    for role in &user.roles {
                        if !roles.contains(role) {
                            roles.push(role.clone());
                        }
                    }
                }
            }
            extra.push(("api-bypass-rate-limit".to_owned(), roles));
        }
        RunGrants { extra }
    }
}

/// The permissions as they were before the run changed any, and the ledger's promise that
/// their restore lines are on disk.
pub(super) struct Changes {
    before: IndexMap<String, Vec<String>>,
    on_disk: Option<Durable>,
    restored: BTreeMap<String, bool>,
}

impl Changes {
    /// Reads the permissions (again, not from preflight: another run's temporary grants may
    /// still have been applied then), writes every permission the run will change to the
    /// ledger, and applies the run-wide grants.
    pub(super) async fn begin(run: &Prepared<'_>) -> Result<Changes, RunError> {
        let (api, admin) = (&run.api, &run.preflight.admin);
        let before = api
            .permissions(admin, Purpose::Provision)
            .await
            .map_err(RunError::Permissions)?;
        let touched: BTreeSet<&String> = run
            .grants
            .extra
            .iter()
            .map(|(p, _)| p)
            .chain(
                run.plan
                    .groups
                    .iter()
                    .flat_map(|g| g.grants.iter().map(|(p, _)| p)),
            )
            .collect();
        let entries: Vec<Entry> = touched
            .iter()
            .map(|p| Entry::Permission {
                id: (*p).clone(),
                previous: before.get(*p).cloned().unwrap_or_default(),
            })
            .collect();
        // The sync overlaps provisioning; the first change waits for it.
        let on_disk = Some(run.ledger.record_durable(&entries)?);
        let mut changes = Changes {
            before,
            on_disk,
            restored: BTreeMap::new(),
        };
        for (permission, added) in &run.grants.extra {
            changes.on_disk().await?;
            let mut roles = changes.previous(permission);
            roles.extend(
                added
                    .iter()
                    .filter(|r| !roles.contains(r))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            api.set_permission(admin, permission, &roles, Purpose::Provision)
                .await
                .map_err(RunError::Permissions)?;
        }
        Ok(changes)
    }

    /// Every permission's role list before the run, as read from the target.
    pub(super) fn before(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.before
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The role list `permission` had before the run.
    fn previous(&self, permission: &str) -> Vec<String> {
        self.before.get(permission).cloned().unwrap_or_default()
    }

    /// Waits, the first time only, until the ledger's permission lines are on disk: before
    /// the first change.
    pub(super) async fn on_disk(&mut self) -> Result<(), RunError> {
        match self.on_disk.take() {
            Some(durable) => Ok(durable.wait().await?),
            None => Ok(()),
        }
    }

    /// Applies `group`'s grants (after [`Changes::on_disk`]): the permissions changed, or the
    /// refusal with the ones applied before it (to be put back all the same).
    pub(super) async fn apply(
        &mut self,
        run: &Prepared<'_>,
        group: &Group,
    ) -> Result<Vec<String>, (ApiError, Vec<String>)> {
        let mut applied = Vec::new();
        for (permission, roles) in &group.grants {
            match run
                .api
                .set_permission(&run.preflight.admin, permission, roles, Purpose::Provision)
                .await
            {
                Ok(()) => applied.push(permission.clone()),
                Err(e) => return Err((e, applied)),
            }
        }
        Ok(applied)
    }

    /// Puts `applied` back to the lists they had before the run.
    pub(super) async fn put_back(&mut self, run: &Prepared<'_>, applied: Vec<String>) {
        for permission in applied {
            let previous = self.previous(&permission);
            let put_back = run
                .api
                .set_permission(
                    &run.preflight.admin,
                    &permission,
                    &previous,
                    Purpose::Cleanup,
                )
                .await
                .is_ok();
            self.restored.insert(permission, put_back);
        }
    }

    /// Records in the ledger that the group grants were put back (not the run-wide ones,
    /// which cleanup restores).
    pub(super) fn close(self, run: &Prepared<'_>) -> Result<(), RunError> {
        let done: Vec<Entry> = self
            .restored
            .into_iter()
            .filter(|(p, put_back)| *put_back && !run.grants.extra.iter().any(|(e, _)| e == p))
            .map(|(id, _)| Entry::PermissionRestored { id })
            .collect();
        run.ledger.record_all(&done)?;
        Ok(())
    }
}
