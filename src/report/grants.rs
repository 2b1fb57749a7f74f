//! What a run granted, for the report: the run-scoped roles it created for its fixture users,
//! and every change it made to a built-in role's permissions (with when it began and ended).

use serde::{Deserialize, Serialize};

/// Where the run's elevations went.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GrantsRecord {
    /// Whether the run was allowed to add permissions to built-in roles
    /// (`--allow-global-grants`, or the embedded server).
    pub global_allowed: bool,
    /// Whether the target offered custom roles (`roles.create`).
    pub custom_roles: bool,
    /// The roles the run created and gave to its fixture users only.
    pub run_roles: Vec<RunRoleRecord>,
    /// Every change of a built-in role's permission, in the order made.
    pub builtin: Vec<BuiltinGrantRecord>,
}

/// A role the run created for its fixture users.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunRoleRecord {
    /// Its name (carries the run id).
    pub name: String,
    /// Its `_id` on the target.
    pub id: String,
    /// `Users` (held by the user) or `Subscriptions` (held in one room).
    pub scope: String,
    /// The built-in role whose grants it stands in for (`None`: the rate-limit bypass).
    pub stands_for: Option<String>,
    /// The permissions it was granted during the run.
    pub permissions: Vec<String>,
}

/// One change of a built-in role's permission.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BuiltinGrantRecord {
    /// The permission.
    pub permission: String,
    /// The built-in role.
    pub role: String,
    /// `added` (the role gained the permission) or `removed` (it lost it).
    pub change: String,
    /// When the change was made, RFC 3339.
    pub from: String,
    /// When it was undone, RFC 3339 (`None`: not by the run; its ledger restores it).
    pub to: Option<String>,
}
