//! The runner: one run of a suite against one target, from preflight to a finished report.
//!
//! Each stage owns one typed value and hands it on: the loaded [`Suite`] becomes a
//! [`plan::Plan`] in `prepare` (with everything the stages share: the target's API, the
//! ledger, the run lock, the user pool, the verdict stage); `stages` turn each planned case
//! into its final [`CaseRecord`] (provisioning, bulk reads, calls group by grant group,
//! judging in [`verdict`]); the `clients` stage then evaluates the client compatibility
//! profiles against the target; `finish` puts permissions back, cleans up and assembles the
//! [`RunReport`], verdicts and totals final. Renderers and the exit gate only read it.
//!
//! The runner talks to the target over HTTP only; starting the embedded reference server is
//! the command line's business ([`Target`] says only where the server is). Cleanup always
//! runs: after passes, failures, a panicking case, target errors or an interrupt.

pub mod call;
mod checkout;
pub mod cleanup;
mod clients;
pub mod differential;
mod estimate;
pub mod events;
mod finish;
mod grants;
pub mod grouping;
pub mod judge;
mod judging;
mod lanes;
pub mod ledger;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod pool;
pub mod predicted;
pub mod preflight;
mod prepare;
pub mod provision;
mod record;
pub mod settle;
pub mod share;
mod stages;
pub mod verdict;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use camino::Utf8PathBuf;
use tokio::sync::Notify;

use self::ledger::LedgerError;
use self::plan::{Filter, Partition};
use crate::case::Suite;
use crate::expectations::{ExpectationsFile, Warning};
use crate::report::model::{CaseRecord, RunReport};
use crate::spec::Specs;
use crate::target::api::ApiError;

pub use self::events::{Event, Observer, RunStart};
pub use self::grants::RunRoles;
pub use self::preflight::AdminCredentials;
pub use self::settle::GrantSettle;

/// Where the target is and how to act on it as admin.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server root URL.
    pub url: String,
    /// Admin credentials.
    pub admin: AdminCredentials,
    /// Whether it is the embedded reference server (this run's alone: no run lock, no settle
    /// wait, no differential evidence).
    pub embedded: bool,
    /// What the network to it needs (certificates, headers, proxy).
    pub network: crate::target::Network,
}

impl Target {
    /// The embedded reference server listening at `url`, started with `config` (whose admin
    /// the run logs in as).
    pub fn embedded(url: &str, config: &crate::reference::ServerConfig) -> Self {
        Target {
            url: url.to_owned(),
            admin: AdminCredentials::Password {
                user: config.admin_username.clone(),
                password: crate::target::Secret::new(config.admin_password.clone()),
            },
            embedded: true,
            network: crate::target::Network::default(),
        }
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The target.
    pub target: Target,
    /// Case selection.
    pub filter: Option<Filter>,
    /// Partition of the suite.
    pub partition: Option<Partition>,
    /// Requests in flight at once.
    pub jobs: usize,
    /// Where the ledger (and the reports) go.
    pub report_dir: Utf8PathBuf,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How to wait after changing permissions before relying on them (role caches).
    pub grant_settle: GrantSettle,
    /// Grant `api-bypass-rate-limit` to the fixture users' roles for the run (restored after),
    /// even when preflight sees no rate limiter.
    pub bypass_rate_limit: bool,
    /// Keep the rate limiter for fixture users even when preflight sees it (then wait).
    pub keep_rate_limit: bool,
    /// Longest wait for another run's lock on the same target.
    pub lock_timeout: Duration,
    /// A lock whose heartbeat has not changed for this long was left by a run that is gone:
    /// the run stops and says how to clear it instead of waiting for it.
    pub lock_stale_after: Duration,
    /// Built-in roles may gain permissions for a group's calls or the rate-limit bypass
    /// (`--allow-global-grants`): for a disposable server.
    pub allow_global_grants: bool,
    /// `non-strict` fails the gate.
    pub strict: bool,
    /// The target's known deviations.
    pub expectations: Option<Arc<ExpectationsFile>>,
    /// Whether the client compatibility profiles are evaluated.
    pub clients: ClientSelection,
    /// A broken client fails the gate (`--gate-clients`).
    pub gate_clients: bool,
}

impl RunOptions {
    /// A run of the whole suite against `target` with the command line's defaults (8 jobs,
    /// 30 s timeouts, settle by probe, a 600 s lock wait, no built-in grants, client profiles
    /// as `run` decides), its ledger and reports in `report_dir`.
    pub fn new(target: Target, report_dir: Utf8PathBuf) -> Self {
        RunOptions {
            target,
            filter: None,
            partition: None,
            jobs: 8,
            report_dir,
            timeout: Duration::from_secs(30),
            grant_settle: GrantSettle::default(),
            bypass_rate_limit: false,
            keep_rate_limit: false,
            lock_timeout: Duration::from_secs(600),
            lock_stale_after: Duration::from_secs(60),
            allow_global_grants: false,
            strict: false,
            expectations: None,
            clients: ClientSelection::Auto,
            gate_clients: false,
        }
    }
}

/// Whether a run evaluates the client compatibility profiles (`specs/clients.yaml`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientSelection {
    /// Unless `--filter` narrows the run; a partitioned run evaluates them in its first part
    /// (`hash:1/N`) only.
    #[default]
    Auto,
    /// Always (`--clients`), in a filtered run and in every part too.
    Always,
    /// Never (`--no-clients`): the report has no client records.
    Never,
}

/// Why a run could not start (nothing was created on the target).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP client could not be built for the target (a CA file, a header, a proxy).
    #[error("the HTTP client for the target could not be built: {0}")]
    Client(#[from] crate::target::ClientError),
    /// Preflight found the target unusable.
    #[error(transparent)]
    Preflight(#[from] preflight::PreflightError),
    /// The run lock could not be taken.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// The permissions the run changes could not be read or changed.
    #[error("changing the run's permissions: {0}")]
    Permissions(#[source] ApiError),
    /// A run-scoped role could not be created.
    #[error("creating the run's role: {0}")]
    Roles(#[source] ApiError),
    /// The run lock could not be released.
    #[error("releasing the run lock: {0}")]
    Release(#[source] lock::LockError),
    /// The ledger could not be written, so nothing may be created.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The report value: every verdict and total final.
    pub report: RunReport,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// Entries of the expectations file that were not applied, and why.
    pub warnings: Vec<Warning>,
}

/// A handle that interrupts a run: cases not yet started are not started, running ones are
/// abandoned, and cleanup runs.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
    reason: Arc<std::sync::Mutex<Option<String>>>,
    cleaned: Arc<AtomicBool>,
}

impl Interrupt {
    /// Interrupts the run.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Interrupts the run, saying why (`SIGTERM`, …): the report carries it.
    pub fn trigger_because(&self, reason: &str) {
        if let Ok(mut held) = self.reason.lock()
            && held.is_none()
        {
            *held = Some(reason.to_owned());
        }
        self.trigger();
    }

    /// Records that cleanup has run to its end (a second interrupt then abandons nothing).
    pub fn cleanup_finished(&self) {
        self.cleaned.store(true, Ordering::SeqCst);
    }

    /// Whether cleanup has run to its end.
    pub fn is_cleaned(&self) -> bool {
        self.cleaned.load(Ordering::SeqCst)
    }

    /// Why the run was interrupted, when it was and a reason was given.
    pub fn reason(&self) -> Option<String> {
        if !self.is_set() {
            return None;
        }
        self.reason
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .or_else(|| Some("interrupted".to_owned()))
    }

    /// Whether the run was interrupted.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        let notified = self.notify.notified();
        if self.is_set() {
            return;
        }
        notified.await;
    }
}

/// A short run id: `rcc-<id>` prefixes every name the run creates.
pub fn new_run_id() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Runs `suite` against the target of `options`; `observer` hears each event as it happens.
/// `recording`, when given, receives every request and answer (benchmarks that replay a
/// run's traffic; the records hold live tokens and are never written out).
pub async fn run(
    suite: &Suite,
    specs: &Specs,
    options: &RunOptions,
    run_id: &str,
    interrupt: &Interrupt,
    observer: Observer<'_>,
    recording: Option<crate::target::Recording>,
) -> Result<RunOutcome, RunError> {
    let prepared = prepare::prepare(suite, specs, options, run_id, interrupt, recording).await?;
    observer(Event::Started(RunStart {
        run_id,
        target: &prepared.url,
        server_version: prepared.preflight.server_version.as_deref(),
        line: prepared.line.as_ref().map(|l| l.id.0.as_str()),
        selected: prepared.plan.selected(),
        skipped: prepared.plan.cases.len() - prepared.plan.selected(),
    }));
    let mut records: Vec<Option<CaseRecord>> = vec![None; prepared.plan.cases.len()];
    let mut judging = judging::Judging::default();
    let mut grant_groups = Vec::new();
    let executed = stages::execute(
        &prepared,
        observer,
        &mut records,
        &mut judging,
        &mut grant_groups,
    )
    .await;
    let clients = clients::evaluate(&prepared, &executed).await;
    let executed = executed.map(|()| grant_groups);
    finish::finish(prepared, executed, records, judging, clients, observer).await
}
