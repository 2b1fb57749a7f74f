//! The runner: preflight, plan, provision, call, judge, cleanup, for one target.
//!
//! Data flows one way (see DESIGN.md); this module sets the run up (target, preflight, ledger,
//! run lock, user pool) and tears it down (permissions back before the lock goes, then
//! cleanup, which runs while the calls are judged). The cases themselves go through the
//! stages of `execute`: provisioning, one bulk read of the rooms' state, the
//! calls group by grant group, another bulk read, judging. Cleanup always runs: after passes,
//! failures, a panicking case, target errors or an interrupt.

pub mod call;
mod checkout;
pub mod cleanup;
pub mod differential;
mod execute;
pub mod judge;
mod lanes;
pub mod ledger;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod pool;
pub mod preflight;
pub mod provision;
mod record;
pub mod verdict;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use camino::Utf8PathBuf;
use tokio::sync::{Mutex, Notify};

use self::ledger::{Entry, Ledger, LedgerError};
use self::plan::{Filter, Partition};
use self::provision::Provisioner;
use crate::case::{Suite, Version};
use crate::check::Specs;
use crate::expectations::{Date, ExpectationsFile};
use crate::report::model::{
    CaseRecord, CleanupRecord, Conformance, RateLimitRecord, RequestCount, RunMeta, RunReport,
};
use crate::target::api::{Api, Session};
use crate::target::{Client, ClientConfig, Redactor, Secret};
use crate::verdict::Totals;

pub use self::preflight::AdminCredentials;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Target root URL; `None` starts the embedded reference server.
    pub target: Option<String>,
    /// Admin credentials for the target (ignored for the embedded server).
    pub admin: Option<AdminCredentials>,
    /// Case selection.
    pub filter: Option<Filter>,
    /// Partition of the suite.
    pub partition: Option<Partition>,
    /// Cases run at once within a group.
    pub jobs: usize,
    /// Where the ledger (and the reports) go.
    pub report_dir: Utf8PathBuf,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Wait after changing permissions before relying on them (role caches).
    pub grant_settle: Option<Duration>,
    /// Grant `api-bypass-rate-limit` to the fixture users' roles for the run (restored after),
    /// even when preflight sees no rate limiter.
    pub bypass_rate_limit: bool,
    /// Keep the rate limiter for fixture users even when preflight sees it (then wait).
    pub keep_rate_limit: bool,
    /// The embedded server's settings.
    pub embedded: crate::reference::ServerConfig,
    /// Longest wait for another run's lock on the same target.
    pub lock_timeout: Duration,
    /// `non-strict` fails the gate.
    pub strict: bool,
    /// The target's known deviations.
    pub expectations: Option<Arc<ExpectationsFile>>,
}

/// Why a run could not start (nothing was created on the target).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The target is unreachable or the admin cannot do what the run needs.
    #[error("the target is not usable: {0}")]
    Unusable(String),
    /// The ledger could not be written, so nothing may be created.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The embedded reference server did not start.
    #[error("the embedded reference server did not start: {0}")]
    Embedded(String),
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The report value: every verdict and total final.
    pub report: RunReport,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// Entries of the expectations file that were not applied, and why.
    pub warnings: Vec<crate::expectations::Warning>,
}

/// A handle that interrupts a run: cases not yet started are not started, running ones are
/// abandoned, and cleanup runs.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Interrupt {
    /// Interrupts the run.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
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

/// Runs `suite` against the target of `options`.
pub async fn run(
    suite: &Suite,
    specs: &Specs,
    options: &RunOptions,
    run_id: &str,
    interrupt: &Interrupt,
    progress: &(dyn Fn(&CaseRecord) + Sync),
) -> Result<RunOutcome, RunError> {
    run_recorded(suite, specs, options, run_id, interrupt, progress, None).await
}

/// [`run`], also recording every request and answer into `recording` (benchmarks that
/// replay a run's traffic; the records hold live tokens and are never written out).
pub async fn run_recorded(
    suite: &Suite,
    specs: &Specs,
    options: &RunOptions,
    run_id: &str,
    interrupt: &Interrupt,
    progress: &(dyn Fn(&CaseRecord) + Sync),
    recording: Option<crate::target::Recording>,
) -> Result<RunOutcome, RunError> {
    let started = SystemTime::now();
    let redactor = Redactor::default();
    let (url, admin, embedded) = match &options.target {
        Some(url) => {
            let admin = options.admin.clone().ok_or_else(|| RunError::Unusable("no admin credentials: give --admin-user and --admin-password (or RC_CONFORM_ADMIN_USER / RC_CONFORM_ADMIN_PASSWORD), or --admin-token and --admin-id".into()))?;
            (url.trim_end_matches('/').to_owned(), admin, None)
        }
        None => {
            let server = crate::reference::start(
                options.embedded.clone(),
                "127.0.0.1:0"
                    .parse()
                    .map_err(|e| RunError::Embedded(format!("{e}")))?,
            )
            .await
            .map_err(|e| RunError::Embedded(e.to_string()))?;
            let admin = AdminCredentials::Password {
                user: options.embedded.admin_username.clone(),
                password: Secret::new(options.embedded.admin_password.clone()),
            };
            (server.url().to_owned(), admin, Some(server))
        }
    };
    let mut config = ClientConfig::new(url.clone());
    config.timeout = options.timeout;
    let mut client =
        Client::new(config, redactor.clone()).map_err(|e| RunError::Unusable(e.to_string()))?;
    if let Some(recording) = recording {
        client = client.recording_into(recording);
    }
    let api = Api::new(client);
    let pre = preflight::preflight(&api, &admin, options, embedded.is_some()).await?;
    let version = pre
        .server_version
        .as_deref()
        .and_then(Version::parse)
        .unwrap_or_else(|| specs.model.default_version());
    let plan = plan::plan(suite, options.filter.as_ref(), options.partition, &version);
    let line = pre
        .server_version
        .as_deref()
        .and_then(Version::parse)
        .and_then(|v| specs.model.line_of(&v))
        .cloned();
    let today = Date::today();
    let verdicts = Arc::new(verdict::VerdictStage {
        model: specs.model.clone(),
        schemas: specs.schemas.clone(),
        version: version.clone(),
        line: line.clone(),
        expectations: options.expectations.clone(),
        today,
    });
    let started_ledger = Ledger::start(&options.report_dir.join("ledger.jsonl"))?;
    let ledger = started_ledger.ledger;
    let ledger_note = started_ledger.set_aside.map(|aside| {
        let note = format!(
            "ledger: an earlier run's ledger in this report directory still had work to undo; \
             it was moved to {aside} and left alone: `rc-conform cleanup --ledger {aside}` \
             finishes it"
        );
        tracing::warn!("{note}");
        note
    });
    // In the kernel before anything is created (what a crash or kill needs); on disk with
    // the permission lines, whose sync covers every line before them.
    ledger.record(&Entry::Run {
        run_id: run_id.to_owned(),
        target: url.clone(),
    })?;
    let provisioner = Provisioner {
        api: api.clone(),
        admin: pre.admin.clone(),
        admin_username: pre.admin_username.clone(),
        two_factor: pre.two_factor.clone(),
        ledger: ledger.clone(),
        run_id: run_id.to_owned(),
        pool: None,
    };
    let sessions: Arc<Mutex<BTreeMap<String, Session>>> = Arc::default();
    let mut records: Vec<Option<CaseRecord>> = vec![None; plan.cases.len()];
    let settle = options.grant_settle.unwrap_or(if embedded.is_some() {
        Duration::ZERO
    } else {
        Duration::from_millis(1200)
    });
    let mut extra_grants = Vec::new();
    if pre.bypass_rate_limit {
        // Every global role a fixture user of the plan holds.
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
        // The roles are added to the permission's list as it stands once the run lock is held.
        extra_grants.push(("api-bypass-rate-limit".to_owned(), roles));
    }
    // Another run on the same target must not change permissions under this one: hold the
    // target's run lock while cases run (the embedded server is this run's alone).
    let held = if embedded.is_some() {
        None
    } else {
        let waiting =
            || tracing::warn!("another rc-conform run holds the lock on this target; waiting");
        match lock::acquire(&api, &pre.admin, &ledger, options.lock_timeout, &waiting).await {
            Ok(held) => Some(held),
            Err(e) => {
                let _ =
                    cleanup::undo(&api, &pre.admin, &ledger, &BTreeMap::new(), options.jobs).await;
                return Err(RunError::Unusable(e.to_string()));
            }
        }
    };
    // Users shared between cases (see `pool`); without a pool every case makes its own.
    let mut provisioner = provisioner;
    let mut pool_note = None;
    if !interrupt.is_set() {
        api.client().next_stage();
        match pool::UserPool::provision(&provisioner, &pool::UserPool::needs(&plan)).await {
            Ok(pool) => {
                let mut all = sessions.lock().await;
                for user in pool.users() {
                    if let Some(s) = &user.session {
                        all.insert(user.username.clone(), s.clone());
                    }
                }
                provisioner.pool = Some(Arc::new(pool));
            }
            Err(e) => {
                tracing::warn!("no user pool ({e}); each case provisions its own users");
                pool_note = Some(format!(
                    "user pool: could not be created ({e}); each case provisioned its own users"
                ));
            }
        }
    }
    let context = execute::Context {
        plan: &plan,
        provisioner: &provisioner,
        verdicts: &verdicts,
        options,
        version: &version,
        interrupt,
        sessions: &sessions,
        settle,
        extra_grants: &extra_grants,
        progress,
    };
    let mut judging = execute::Judging::default();
    let mut run_result = execute::execute(&context, &mut records, &mut judging).await;
    api.client().next_stage();
    // Permissions go back before the run lock does, so the next run reads the server's own.
    let (restored, restore_errors) = cleanup::restore_permissions(&api, &pre.admin, &ledger).await;
    if let Some(held) = held
        && let Err(e) = held.release(&api, &pre.admin, &ledger).await
    {
        run_result = run_result.and(Err(RunError::Unusable(format!(
            "releasing the run lock: {e}"
        ))));
    }
    // Cleanup runs while the last cases are judged (the one waits on the target, the other on
    // the processor).
    let cleanup = tokio::spawn({
        let (api, admin, ledger) = (api.clone(), pre.admin.clone(), ledger.clone());
        let sessions = sessions.lock().await.clone();
        let jobs = options.jobs;
        async move { cleanup::undo(&api, &admin, &ledger, &sessions, jobs).await }
    });
    judging.finish(&context, &mut records).await;
    let mut cases: Vec<CaseRecord> = plan
        .cases
        .iter()
        .zip(records)
        .map(|(planned, r)| r.unwrap_or_else(|| verdicts.not_run(planned, interrupt.is_set())))
        .collect();
    // Against a target, what the reference server answers to the calls that failed (while
    // cleanup runs: the one waits on the target, the other is local).
    let differential_note = if embedded.is_none() && !interrupt.is_set() {
        let at = line
            .as_ref()
            .map_or_else(|| version.clone(), |l| l.emulated());
        differential::attach(suite, specs, options, &at, &mut cases).await
    } else {
        None
    };
    let totals = Totals::of(cases.iter().map(|c| c.verdict));
    let warnings = options
        .expectations
        .as_ref()
        .map(|f| f.ignored(Some(&version), today))
        .unwrap_or_default();
    let mut cleanup = cleanup.await.unwrap_or_else(|e| CleanupRecord {
        ledger: ledger.path().to_string(),
        errors: vec![format!(
            "cleanup stopped: {e}; run `rc-conform cleanup --ledger`"
        )],
        ..CleanupRecord::default()
    });
    cleanup.undone += restored;
    cleanup.errors.extend(restore_errors);
    let requests = api
        .client()
        .request_counts()
        .into_iter()
        .map(|(p, n)| RequestCount {
            purpose: format!("{p:?}").to_lowercase(),
            count: n,
        })
        .collect();
    let (waits, waited_ms) = api.client().rate_limit_waits();
    let line_id = line.as_ref().map(|l| l.id.to_string());
    let report = RunReport {
        format_version: crate::report::model::FORMAT_VERSION,
        run: RunMeta {
            run_id: run_id.to_owned(),
            target: url,
            embedded: embedded.is_some(),
            server_version: pre.server_version.clone(),
            judged_version: version.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            cases_commit: record::git_commit(suite),
            started_at: crate::report::model::rfc3339(started),
            finished_at: crate::report::model::rfc3339(SystemTime::now()),
            filter: options.filter.as_ref().map(|f| f.text().to_owned()),
            partition: options.partition.map(|p| p.to_string()),
            preflight: pre
                .notes
                .into_iter()
                .chain(ledger_note)
                .chain(pool_note)
                .chain(differential_note)
                .collect(),
            strict: options.strict,
            line: line_id.clone(),
            interrupted: interrupt.is_set(),
        },
        totals,
        conformance: Conformance::of(&cases, line_id),
        divergences: record::divergences(specs, &cases),
        cases,
        cleanup,
        requests,
        rate_limit: RateLimitRecord { waits, waited_ms },
        premise_order: specs.model.premise_names(),
    };
    if let Some(server) = embedded {
        server.shutdown().await;
    }
    run_result?;
    Ok(RunOutcome {
        report,
        interrupted: interrupt.is_set(),
        warnings,
    })
}
