//! Interrupts as CI systems and shells send them: Ctrl-C (SIGINT), SIGTERM (`timeout`, `docker
//! stop`, a cancelled CI job), SIGHUP (a closed terminal) and, on Windows, Ctrl-Break. The first
//! stops the run (nothing more is sent, cleanup runs, exit 5); a second during cleanup stops at
//! once with exit 7 and says which ledger holds what may be left and the command that finishes
//! it (after cleanup has finished, a second interrupt abandons nothing and is only noted).

use camino::Utf8PathBuf;

use crate::exit::Exit;
use crate::run::Interrupt;

/// Where a run's cleanup can be finished after it was abandoned: its ledger and target.
#[derive(Debug, Clone)]
pub(super) struct Resume {
    /// The run's ledger.
    pub(super) ledger: Utf8PathBuf,
    /// The target (none for the embedded server, which goes with the process).
    pub(super) target: Option<String>,
}

/// Watches for interrupts until the process ends: the first triggers `interrupt`, the second
/// exits at once.
pub(super) async fn watch(interrupt: Interrupt, resume: Resume) {
    let mut signals = match Signals::new() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::warn!(
                "interrupts cannot be watched ({e}); Ctrl-C ends the run without cleanup"
            );
            return;
        }
    };
    let first = signals.next().await;
    anstream::eprintln!(
        "interrupted ({first}): stopping the cases and undoing the ledger (interrupt again to abandon cleanup)"
    );
    interrupt.trigger_because(first);
    let mut second = signals.next().await;
    // Once cleanup has run to its end there is nothing to abandon: the reports follow.
    while interrupt.is_cleaned() {
        anstream::eprintln!(
            "interrupted again ({second}): cleanup has already finished; writing the reports"
        );
        second = signals.next().await;
    }
    match &resume.target {
        Some(target) => anstream::eprintln!(
            "interrupted again ({second}): cleanup abandoned. What this run created and has not removed is named in {ledger}; finish it with:\n  rc-conform cleanup --ledger {ledger} --target {target}",
            ledger = resume.ledger,
        ),
        None => anstream::eprintln!(
            "interrupted again ({second}): stopped (the embedded server goes with the process)"
        ),
    }
    std::process::exit(i32::from(Exit::Abandoned.code()));
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The name of the next signal.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}

#[cfg(windows)]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

#[cfg(windows)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            ctrl_break: tokio::signal::windows::ctrl_break()?,
        })
    }

    /// The name of the next signal.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.ctrl_c.recv() => "Ctrl-C",
            _ = self.ctrl_break.recv() => "Ctrl-Break",
        }
    }
}
