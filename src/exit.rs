//! The documented exit codes of `rc-conform`, one per failure class.
//!
//! Every command maps its outcome to one of these; the README carries the same table.

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything held.
    Ok = 0,
    /// Conformance failures, unexpected passes, or `check` findings.
    Failures = 1,
    /// Bad input or usage; nothing was sent to any server.
    BadInput = 2,
    /// The target is unreachable or unusable; nothing was created.
    TargetUnusable = 3,
    /// Cleanup left objects behind on the target.
    Leftovers = 4,
    /// Interrupted (Ctrl-C, SIGTERM, SIGHUP); the ledger was undone.
    Interrupted = 5,
    /// No case was selected.
    NoCases = 6,
    /// Interrupted twice: cleanup was abandoned; the ledger names what may be left, and
    /// `rc-conform cleanup --ledger` finishes it.
    Abandoned = 7,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}
