//! What a run tells its observers as it goes: the run started (target, version, line, how
//! many cases will run), a case started, a case finished (its final record), a client
//! profile evaluated, cleanup finished. The terminal view and the machine-readable event
//! stream are observers; the run never waits on them beyond the call.

use serde::Serialize;

use crate::report::model::{CaseRecord, CleanupRecord, ClientRecord};

/// What a run announces once preflight passed and the plan is made (the `run-started`
/// event of the machine-readable stream carries these fields as they are).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RunStart<'a> {
    /// The run id.
    pub run_id: &'a str,
    /// The target, without credentials.
    pub target: &'a str,
    /// The version the target reported.
    pub server_version: Option<&'a str>,
    /// The Rocket.Chat line that version falls in.
    pub line: Option<&'a str>,
    /// Cases selected to run.
    pub selected: usize,
    /// Cases the plan skips (filter, partition, version conditions).
    pub skipped: usize,
}

/// One thing that happened during a run.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Preflight passed and the plan is made.
    Started(RunStart<'a>),
    /// A case's setup is about to be provisioned.
    CaseStarted {
        /// The case id.
        id: &'a str,
    },
    /// A case has its final record (verdict decided).
    CaseFinished(&'a CaseRecord),
    /// A client compatibility profile has its result (after the cases, before cleanup).
    ClientFinished(&'a ClientRecord),
    /// Cleanup finished.
    CleanupFinished(&'a CleanupRecord),
}

/// Something that watches a run.
pub type Observer<'o> = &'o (dyn Fn(Event<'_>) + Sync);
