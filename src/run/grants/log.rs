//! The record of where the run's grants went, for the report: the run-scoped roles it made
//! and, for each built-in role's permission it changed, when the change began and ended.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::report::model::{BuiltinGrantRecord, GrantsRecord, RunRoleRecord, rfc3339};

/// Shared by the stages and the finish; records what happened as it happens.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrantLog {
    record: Arc<Mutex<GrantsRecord>>,
}

impl GrantLog {
    /// A log of a run with these permissions.
    pub(crate) fn new(global_allowed: bool, custom_roles: bool) -> GrantLog {
        GrantLog {
            record: Arc::new(Mutex::new(GrantsRecord {
                global_allowed,
                custom_roles,
                ..GrantsRecord::default()
            })),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut GrantsRecord) -> T) -> Option<T> {
        self.record.lock().ok().map(|mut r| f(&mut r))
    }

    /// A run-scoped role was created.
    pub(crate) fn role(&self, role: RunRoleRecord) {
        self.with(|r| r.run_roles.push(role));
    }

    /// `permission`'s list became `applied` (it was `before`): each built-in role it gained
    /// or lost is recorded from now on. `run_roles` are the ids of the run's own roles.
    pub(crate) fn applied(
        &self,
        permission: &str,
        before: &[String],
        applied: &[String],
        run_roles: &[String],
    ) {
        let now = rfc3339(SystemTime::now());
        let open = |role: &String, change: &str| BuiltinGrantRecord {
            permission: permission.to_owned(),
            role: role.clone(),
            change: change.to_owned(),
            from: now.clone(),
            to: None,
        };
        self.with(|r| {
            for role in applied.iter().filter(|x| !before.contains(x)) {
                let own = r.run_roles.iter_mut().find(|rr| &rr.id == role);
                match own {
                    Some(own) if !own.permissions.iter().any(|p| p == permission) => {
                        own.permissions.push(permission.to_owned());
                    }
                    Some(_) => {}
                    None if !run_roles.contains(role) => r.builtin.push(open(role, "added")),
                    None => {}
                }
            }
            for role in before.iter().filter(|x| !applied.contains(x)) {
                r.builtin.push(open(role, "removed"));
            }
        });
    }

    /// `permission` is back to its list before the run: its open changes end now.
    pub(crate) fn restored(&self, permission: &str) {
        let now = rfc3339(SystemTime::now());
        self.with(|r| {
            for change in r
                .builtin
                .iter_mut()
                .filter(|c| c.permission == permission && c.to.is_none())
            {
                change.to = Some(now.clone());
            }
        });
    }

    /// Every permission is back: all open changes end now.
    pub(crate) fn all_restored(&self) {
        let now = rfc3339(SystemTime::now());
        self.with(|r| {
            for change in r.builtin.iter_mut().filter(|c| c.to.is_none()) {
                change.to = Some(now.clone());
            }
        });
    }

    /// The record as it stands.
    pub(crate) fn snapshot(&self) -> GrantsRecord {
        self.with(|r| r.clone()).unwrap_or_default()
    }
}
