//! The permissions a run changes and where they go: the run-wide grants (the rate-limit
//! bypass for fixture users) and each grant group's, applied with `permissions.update` and
//! put back exactly.
//!
//! Where a target offers custom roles, an elevation goes to a run-scoped role that stands in
//! for the built-in role (created here, ledger first, and given to the run's fixture users
//! only, by provisioning); a built-in role gains a permission only with
//! `--allow-global-grants` or on the embedded server, and otherwise the cases that need it are
//! skipped ([`policy`]). Every permission the run will change is written to the ledger with
//! the role list to restore, in one synced write, before the first change: a crash at any
//! point then restores each to its state before the run. This module owns that order; it does
//! not decide which cases need which grants (the plan does).

mod log;
pub(crate) mod policy;

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

pub(crate) use self::log::GrantLog;
use self::policy::{Allowed, BYPASS, GroupInput, PlannedRole, Skipped};
use super::ledger::{Durable, Entry, Ledger};
use super::plan::{Group, Plan};
use super::preflight::Preflight;
use super::prepare::Prepared;
use super::{RunError, RunOptions};
use crate::report::model::RunRoleRecord;
use crate::spec::premise::PremiseModel;
use crate::target::Purpose;
use crate::target::api::roles::RoleScope;
use crate::target::api::{Api, ApiError, Session};

/// A permission and the complete role list it gets.
pub(super) type Grant = (String, Vec<String>);

/// The run's own roles, as provisioning gives them to fixture users (by `_id`).
#[derive(Debug, Clone, Default)]
pub struct RunRoles {
    /// Stand-ins of scope `Users`, by the built-in role they stand in for: every fixture user
    /// that holds the built-in role is created with its stand-in too.
    pub users: BTreeMap<String, String>,
    /// Stand-ins of scope `Subscriptions`, by room role: every fixture user given the room
    /// role in a fixture room gets its stand-in in that room.
    pub rooms: BTreeMap<String, String>,
    /// The role that carries `api-bypass-rate-limit`: every fixture user that logs in gets it.
    pub bypass: Option<String>,
}

/// The run's grants, decided once the run lock is held.
#[derive(Debug)]
pub(super) struct RunGrants {
    /// Every permission's role list before the run.
    pub(super) before: IndexMap<String, Vec<String>>,
    /// Per plan group: the complete lists applied for it.
    pub(super) groups: Vec<Vec<Grant>>,
    /// Lists applied for the whole run (the rate-limit bypass), complete.
    pub(super) extra: Vec<Grant>,
    /// The run's own roles.
    pub(super) roles: RunRoles,
    /// What was granted where, for the report.
    pub(super) log: GrantLog,
    /// What the report says of the decision.
    pub(super) notes: Vec<String>,
}

/// What deciding the grants needs from the run being prepared.
pub(super) struct Context<'a> {
    pub(super) api: &'a Api,
    pub(super) admin: &'a Session,
    pub(super) ledger: &'a Ledger,
    pub(super) options: &'a RunOptions,
    pub(super) preflight: &'a Preflight,
    pub(super) model: &'a PremiseModel,
    pub(super) run_id: &'a str,
}

impl RunGrants {
    /// Reads the permissions (after the run lock is taken: another run's temporary grants are
    /// gone), decides where each elevation of `plan` goes, skips the cases that cannot run
    /// (removing them from their groups), and creates the run-scoped roles, ledger first.
    pub(super) async fn prepare(
        cx: &Context<'_>,
        plan: &mut Plan<'_>,
    ) -> Result<RunGrants, RunError> {
        let (api, admin) = (cx.api, cx.admin);
        let before = api
            .permissions(admin, Purpose::Provision)
            .await
            .map_err(RunError::Permissions)?;
        let global = cx.options.allow_global_grants || cx.options.target.embedded;
        let custom_roles = cx.preflight.custom_roles;
        let allowed = Allowed {
            custom_roles,
            global,
            admin_roles: &cx.preflight.admin_roles,
            run_id: cx.run_id,
        };
        let groups: Vec<GroupInput<'_>> = plan
            .groups
            .iter()
            .map(|g| GroupInput {
                grants: g.grants.clone(),
                members: g
                    .members
                    .iter()
                    .map(|&i| (i, &**plan.cases[i].case))
                    .collect(),
            })
            .collect();
        let decision = policy::decide(&groups, &before, cx.model, &allowed);
        let mut notes = skip_notes(plan, &decision.skipped);
        let translated = apply_skips(plan, decision.groups, &decision.skipped);
        let mut roles = decision.roles;
        let extra = bypass(cx, plan, &before, &allowed, &mut roles, &mut notes);
        let log = GrantLog::new(global, custom_roles);
        let created = create_roles(cx, &roles, &log).await?;
        let ids: BTreeMap<&str, &str> = created
            .iter()
            .map(|(p, id)| (p.name.as_str(), id.as_str()))
            .collect();
        let substitute = |lists: Vec<Grant>| -> Vec<Grant> {
            lists
                .into_iter()
                .map(|(p, list)| {
                    let list = list
                        .into_iter()
                        .map(|r| ids.get(r.as_str()).map_or(r, |id| (*id).to_owned()))
                        .collect();
                    (p, list)
                })
                .collect()
        };
        Ok(RunGrants {
            groups: translated.into_iter().map(&substitute).collect(),
            extra: substitute(extra),
            roles: run_roles(&created),
            before,
            log,
            notes,
        })
    }

    /// Every permission's role list before the run, by permission (what the settle plan
    /// starts from).
    pub(super) fn before_by_permission(&self) -> BTreeMap<String, Vec<String>> {
        self.before
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The role list `permission` had before the run.
    pub(super) fn previous(&self, permission: &str) -> Vec<String> {
        self.before.get(permission).cloned().unwrap_or_default()
    }

    /// The ids of the run's own roles.
    pub(super) fn run_role_ids(&self) -> Vec<String> {
        let r = &self.roles;
        r.users
            .values()
            .chain(r.rooms.values())
            .chain(&r.bypass)
            .cloned()
            .collect()
    }
}

/// Marks the skipped cases in `plan` and removes them from its groups (dropping groups left
/// empty, with their lists): the lists of the groups that remain, in order.
fn apply_skips(
    plan: &mut Plan<'_>,
    lists: Vec<Vec<Grant>>,
    skipped: &[Skipped],
) -> Vec<Vec<Grant>> {
    for skip in skipped {
        if let Some(planned) = plan.cases.get_mut(skip.index) {
            planned.skip = Some(skip.reason.clone());
        }
    }
    let gone: BTreeSet<usize> = skipped.iter().map(|s| s.index).collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut kept = Vec::new();
    for (mut group, list) in std::mem::take(&mut plan.groups).into_iter().zip(lists) {
        group.members.retain(|i| !gone.contains(i));
        if !group.members.is_empty() {
            groups.push(group);
            kept.push(list);
        }
    }
    plan.groups = groups;
    kept
}

/// The preflight note (and warning) on skipped cases: each with the grants it needs.
fn skip_notes(plan: &Plan<'_>, skipped: &[Skipped]) -> Vec<String> {
    if skipped.is_empty() {
        return Vec::new();
    }
    let listed: Vec<String> = skipped
        .iter()
        .map(|s| {
            let needs: Vec<String> = s.needs.iter().map(|(p, r)| format!("{p} → {r}")).collect();
            format!("{} ({})", plan.cases[s.index].case.id, needs.join(", "))
        })
        .collect();
    let note = format!(
        "grants: {} case(s) skipped: they need a permission added to a built-in role, which only --allow-global-grants permits (on a server you may change): {}",
        listed.len(),
        listed.join("; ")
    );
    tracing::warn!("{note}");
    vec![note]
}

/// The run-wide bypass of the rate limiter, when preflight wants it: on a run-scoped role
/// with custom roles, on the fixture users' built-in roles when allowed, else nowhere (with
/// a note and an estimate of the waits).
fn bypass(
    cx: &Context<'_>,
    plan: &Plan<'_>,
    before: &IndexMap<String, Vec<String>>,
    allowed: &Allowed<'_>,
    roles: &mut Vec<PlannedRole>,
    notes: &mut Vec<String>,
) -> Vec<Grant> {
    if !cx.preflight.bypass_rate_limit {
        return Vec::new();
    }
    let mut list = before.get(BYPASS).cloned().unwrap_or_default();
    if allowed.custom_roles {
        let name = policy::bypass_name(cx.run_id);
        list.push(name.clone());
        roles.push(PlannedRole {
            name,
            scope: RoleScope::Users,
            stands_for: None,
        });
        notes.push("rate limiter: api-bypass-rate-limit goes to a run-scoped role held by the fixture users that log in, for the run".into());
    } else if allowed.global {
        // Every global role a fixture user of the plan holds.
        let mut added: Vec<String> = vec!["user".to_owned()];
        for planned in plan.cases.iter().filter(|p| p.skip.is_none()) {
            for user in planned.case.setup.users.values() {
                added.extend(user.roles.iter().cloned());
            }
        }
        for role in added {
            if !list.contains(&role) {
                list.push(role);
            }
        }
        notes.push("rate limiter: api-bypass-rate-limit is added to the fixture users' built-in roles for the run (allowed by --allow-global-grants or the embedded server) and restored after".into());
    } else {
        notes.push(super::estimate::rate_limit_note(plan, cx.preflight));
        return Vec::new();
    }
    vec![(BYPASS.to_owned(), list)]
}

/// Creates the run-scoped roles (each written to the ledger first); a failure undoes what the
/// ledger holds so far.
async fn create_roles(
    cx: &Context<'_>,
    roles: &[PlannedRole],
    log: &GrantLog,
) -> Result<Vec<(PlannedRole, String)>, RunError> {
    let mut created = Vec::new();
    for role in roles {
        cx.ledger.record(&Entry::Role {
            name: role.name.clone(),
            scope: role.scope,
        })?;
        let description = match &role.stands_for {
            Some(r) => format!(
                "rc-conform run {}: stands in for `{r}` for its fixture users",
                cx.run_id
            ),
            None => format!(
                "rc-conform run {}: its fixture users bypass the rate limiter",
                cx.run_id
            ),
        };
        let id = cx
            .api
            .create_role(cx.admin, &role.name, role.scope, &description)
            .await
            .map_err(RunError::Roles)?;
        cx.ledger.record(&Entry::RoleId {
            name: role.name.clone(),
            id: id.clone(),
        })?;
        log.role(RunRoleRecord {
            name: role.name.clone(),
            id: id.clone(),
            scope: role.scope.as_str().to_owned(),
            stands_for: role.stands_for.clone(),
            permissions: Vec::new(),
        });
        created.push((role.clone(), id));
    }
    Ok(created)
}

/// The created roles, as provisioning uses them.
fn run_roles(created: &[(PlannedRole, String)]) -> RunRoles {
    let mut roles = RunRoles::default();
    for (role, id) in created {
        match (&role.stands_for, role.scope) {
            (None, _) => roles.bypass = Some(id.clone()),
            (Some(r), RoleScope::Users) => {
                roles.users.insert(r.clone(), id.clone());
            }
            (Some(r), RoleScope::Subscriptions) => {
                roles.rooms.insert(r.clone(), id.clone());
            }
        }
    }
    roles
}

/// The permissions as they were before the run changed any, and the ledger's promise that
/// their restore lines are on disk.
pub(super) struct Changes {
    on_disk: Option<Durable>,
    restored: BTreeMap<String, bool>,
}

impl Changes {
    /// Writes every permission the run will change to the ledger (with its list before the
    /// run), and applies the run-wide grants.
    pub(super) async fn begin(run: &Prepared<'_>) -> Result<Changes, RunError> {
        let grants = &run.grants;
        let touched: BTreeSet<&String> = grants
            .extra
            .iter()
            .chain(grants.groups.iter().flatten())
            .map(|(p, _)| p)
            .collect();
        let entries: Vec<Entry> = touched
            .iter()
            .map(|p| Entry::Permission {
                id: (*p).clone(),
                previous: grants.before.get(*p).cloned().unwrap_or_default(),
            })
            .collect();
        // The sync overlaps provisioning; the first change waits for it.
        let on_disk = Some(run.ledger.record_durable(&entries)?);
        let mut changes = Changes {
            on_disk,
            restored: BTreeMap::new(),
        };
        for (permission, list) in &grants.extra {
            changes.on_disk().await?;
            set(run, permission, list, Purpose::Provision)
                .await
                .map_err(RunError::Permissions)?;
        }
        Ok(changes)
    }

    /// Waits, the first time only, until the ledger's permission lines are on disk: before
    /// the first change.
    pub(super) async fn on_disk(&mut self) -> Result<(), RunError> {
        match self.on_disk.take() {
            Some(durable) => Ok(durable.wait().await?),
            None => Ok(()),
        }
    }

    /// Puts `stale` back to the lists they had before the run and applies the grants of group
    /// `n`, in one `permissions.update` (after [`Changes::on_disk`]): the permissions it
    /// changed to the group's lists, or the refusal (the group's permissions may then be
    /// changed or not, and `stale` still needs putting back).
    pub(super) async fn switch(
        &mut self,
        run: &Prepared<'_>,
        stale: &[String],
        n: usize,
    ) -> Result<Vec<String>, ApiError> {
        let group = run.grants.groups.get(n).map_or(&[][..], Vec::as_slice);
        let mut lists: Vec<(String, Vec<String>)> = stale
            .iter()
            .map(|p| (p.clone(), run.grants.previous(p)))
            .collect();
        lists.extend(group.iter().cloned());
        if lists.is_empty() {
            return Ok(Vec::new());
        }
        run.api
            .set_permissions(&run.preflight.admin, &lists, Purpose::Provision)
            .await?;
        for permission in stale {
            run.grants.log.restored(permission);
            self.restored.insert(permission.clone(), true);
        }
        let roles = run.grants.run_role_ids();
        for (permission, list) in group {
            let before = run.grants.previous(permission);
            run.grants.log.applied(permission, &before, list, &roles);
            self.restored.remove(permission);
        }
        Ok(group.iter().map(|(p, _)| p.clone()).collect())
    }

    /// Puts `applied` back to the lists they had before the run: in one
    /// `permissions.update`, else (refused) one by one, so that one refusal leaves no other
    /// permission changed.
    pub(super) async fn put_back(&mut self, run: &Prepared<'_>, applied: Vec<String>) {
        if applied.is_empty() {
            return;
        }
        let lists: Vec<(String, Vec<String>)> = applied
            .iter()
            .map(|p| (p.clone(), run.grants.previous(p)))
            .collect();
        let admin = &run.preflight.admin;
        let at_once = run
            .api
            .set_permissions(admin, &lists, Purpose::Cleanup)
            .await
            .is_ok();
        for (permission, previous) in lists {
            let put_back = at_once
                || run
                    .api
                    .set_permission(admin, &permission, &previous, Purpose::Cleanup)
                    .await
                    .is_ok();
            if put_back {
                run.grants.log.restored(&permission);
            }
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

/// Sets `permission` to `list`, and logs the change.
async fn set(
    run: &Prepared<'_>,
    permission: &str,
    list: &[String],
    purpose: Purpose,
) -> Result<(), ApiError> {
    run.api
        .set_permission(&run.preflight.admin, permission, list, purpose)
        .await?;
    let before = run
        .grants
        .before
        .get(permission)
        .cloned()
        .unwrap_or_default();
    run.grants
        .log
        .applied(permission, &before, list, &run.grants.run_role_ids());
    Ok(())
}
