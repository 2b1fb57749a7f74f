//! The grant groups of a run as the report shows them: each group's grants, how many cases
//! ran under them, and how the run waited for the change to take effect before calling.

use serde::{Deserialize, Serialize};

/// One grant group of a run (the group of the server's own permissions is not listed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GrantGroupRecord {
    /// Each permission the group set, with the complete role list it got.
    pub grants: Vec<GrantRecord>,
    /// Cases that ran under the group's grants.
    pub cases: usize,
    /// Distinct grant sets of those cases (more than one when groups were merged because the
    /// premise model predicts no case's outcome changes under the union).
    pub sets: usize,
    /// How the run waited for the change to take effect.
    pub settle: SettleRecord,
}

/// A permission and the role list a group gave it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GrantRecord {
    /// The permission id.
    pub permission: String,
    /// The complete role list.
    pub roles: Vec<String>,
}

/// How a run waited after changing permissions, before a group's calls.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SettleRecord {
    /// `observed` (probes showed each change), `unobserved` (the deadline passed first; the
    /// calls were made anyway), `fixed` (a fixed wait) or `none` (no wait: the embedded
    /// server, `--grant-settle-ms 0`, or nothing changed).
    pub how: String,
    /// Milliseconds from the last permission change to the first call.
    pub waited_ms: u64,
    /// Probe requests sent.
    pub probes: u64,
    /// Permissions whose change a probe showed.
    pub observed: Vec<String>,
    /// Permissions whose change no probe showed before the deadline, or that have no probe.
    pub unobserved: Vec<String>,
    /// Why the run waited as it did, when it was not by observation.
    pub note: Option<String>,
}
