//! The runner: preflight, plan, provision, call, judge, cleanup, for one target.
//!
//! Data flows one way (see DESIGN.md); this module orchestrates the stages and owns the
//! run's concurrency: groups of cases that share a grant set run one after another, the
//! cases of a group run concurrently up to `jobs`. Cleanup always runs: after passes,
//! failures, a panicking case, target errors or an interrupt.

pub mod call;
pub mod cleanup;
pub mod judge;
pub mod ledger;
pub mod lock;
pub mod plan;
pub mod pool;
pub mod preflight;
pub mod provision;
mod record;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use camino::Utf8PathBuf;
use tokio::sync::{Mutex, Notify, Semaphore};

use self::ledger::{Entry, Ledger, LedgerError};
use self::plan::{Filter, Partition, Plan};
use self::provision::Provisioner;
use crate::case::{Suite, Version};
use crate::check::Specs;
use crate::report::model::{CaseRecord, RequestCount, RunMeta, RunReport, Totals};
use crate::target::api::{Api, Session};
use crate::target::{Client, ClientConfig, Purpose, Redactor, Secret};

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
    /// The report value.
    pub report: RunReport,
    /// Whether the run was interrupted.
    pub interrupted: bool,
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
    let ledger = Ledger::create(&options.report_dir.join("ledger.jsonl"))?;
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
                let _ = cleanup::undo(&api, &pre.admin, &ledger, &BTreeMap::new()).await;
                return Err(RunError::Unusable(e.to_string()));
            }
        }
    };
    // Users shared between cases (see `pool`); without a pool every case makes its own.
    let mut provisioner = provisioner;
    let mut pool_note = None;
    if !interrupt.is_set() {
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
    let mut run_result = run_groups(
        &plan,
        &provisioner,
        specs,
        options,
        &version,
        interrupt,
        &sessions,
        &mut records,
        settle,
        &extra_grants,
        progress,
    )
    .await;
    if let Some(held) = held
        && let Err(e) = held.release(&api, &pre.admin, &ledger).await
    {
        run_result = run_result.and(Err(RunError::Unusable(format!(
            "releasing the run lock: {e}"
        ))));
    }
    let sessions = sessions.lock().await.clone();
    let cleanup = cleanup::undo(&api, &pre.admin, &ledger, &sessions).await;
    let mut totals = Totals::default();
    let mut cases: Vec<CaseRecord> = plan
        .cases
        .iter()
        .zip(records)
        .map(|(planned, r)| r.unwrap_or_else(|| record::not_run(planned, interrupt.is_set())))
        .collect();
    record::place_in_model(specs, suite, &version, &mut cases);
    for c in &cases {
        totals.add(c.verdict);
    }
    let requests = api
        .client()
        .request_counts()
        .into_iter()
        .map(|(p, n)| RequestCount {
            purpose: format!("{p:?}").to_lowercase(),
            count: n,
        })
        .collect();
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
            preflight: pre.notes.into_iter().chain(pool_note).collect(),
        },
        totals,
        divergences: record::divergences(specs, &cases),
        cases,
        cleanup,
        requests,
    };
    if let Some(server) = embedded {
        server.shutdown().await;
    }
    run_result?;
    Ok(RunOutcome {
        report,
        interrupted: interrupt.is_set(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn run_groups(
    plan: &Plan<'_>,
    provisioner: &Provisioner,
    specs: &Specs,
    options: &RunOptions,
    version: &Version,
    interrupt: &Interrupt,
    sessions: &Arc<Mutex<BTreeMap<String, Session>>>,
    records: &mut [Option<CaseRecord>],
    settle: Duration,
    extra_grants: &[(String, Vec<String>)],
    progress: &(dyn Fn(&CaseRecord) + Sync),
) -> Result<(), RunError> {
    let api = &provisioner.api;
    let admin = &provisioner.admin;
    // Read again, not taken from preflight: preflight ran before the run lock was held, when
    // another run could still have had its temporary grants applied; these are the lists to
    // restore.
    let current = api
        .permissions(admin, Purpose::Provision)
        .await
        .map_err(|e| RunError::Unusable(e.to_string()))?;
    for (permission, added) in extra_grants {
        let previous = current.get(permission).cloned().unwrap_or_default();
        let mut roles = previous.clone();
        roles.extend(added.iter().filter(|r| !previous.contains(r)).cloned());
        provisioner.ledger.record(&Entry::Permission {
            id: permission.clone(),
            previous,
        })?;
        api.set_permission(admin, permission, &roles, Purpose::Provision)
            .await
            .map_err(|e| RunError::Unusable(e.to_string()))?;
    }
    for group in &plan.groups {
        if interrupt.is_set() {
            break;
        }
        let mut applied = Vec::new();
        let mut grant_error = None;
        for (permission, roles) in &group.grants {
            let previous = current.get(permission).cloned().unwrap_or_default();
            provisioner.ledger.record(&Entry::Permission {
                id: permission.clone(),
                previous: previous.clone(),
            })?;
            match api
                .set_permission(admin, permission, roles, Purpose::Provision)
                .await
            {
                Ok(()) => applied.push((permission.clone(), previous)),
                Err(e) => {
                    grant_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = grant_error {
            for &i in &group.members {
                let r = record::setup_error(
                    &plan.cases[i],
                    &format!("applying the case's permission grants failed: {e}"),
                    vec![e.exchange().clone()],
                );
                progress(&r);
                records[i] = Some(r);
            }
        } else {
            if !group.grants.is_empty() && !settle.is_zero() {
                tokio::time::sleep(settle).await;
            }
            run_group(
                plan,
                group,
                provisioner,
                specs,
                options,
                version,
                interrupt,
                sessions,
                records,
                progress,
            )
            .await;
        }
        for (permission, previous) in applied {
            if api
                .set_permission(admin, &permission, &previous, Purpose::Cleanup)
                .await
                .is_ok()
            {
                provisioner
                    .ledger
                    .record(&Entry::PermissionRestored { id: permission })?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run_group(
    plan: &Plan<'_>,
    group: &plan::Group,
    provisioner: &Provisioner,
    specs: &Specs,
    options: &RunOptions,
    version: &Version,
    interrupt: &Interrupt,
    sessions: &Arc<Mutex<BTreeMap<String, Session>>>,
    records: &mut [Option<CaseRecord>],
    progress: &(dyn Fn(&CaseRecord) + Sync),
) {
    let semaphore = Arc::new(Semaphore::new(options.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut index_of_task = std::collections::HashMap::new();
    let general = Arc::new(Mutex::new(()));
    for &index in &group.members {
        let case = plan.cases[index].case.clone();
        let number = plan.cases[index].number;
        let provisioner = provisioner.clone();
        let semaphore = semaphore.clone();
        let sessions = sessions.clone();
        let version = version.clone();
        let schemas = specs.schemas.clone();
        let general = general.clone();
        let handle = tasks.spawn(crate::target::CASE_NUMBER.scope(number, async move {
            let Ok(_permit) = semaphore.acquire_owned().await else {
                return (index, None);
            };
            // Cases on the shared `general` channel take turns: their counters and members
            // must see only their own effects.
            let _general = if case.touches_general() {
                Some(general.lock().await)
            } else {
                None
            };
            let started = Instant::now();
            let outcome =
                record::run_case(&provisioner, &schemas, number, &case, &version, &sessions).await;
            (
                index,
                Some(record::finish(&case, outcome, started.elapsed())),
            )
        }));
        index_of_task.insert(handle.id(), index);
    }
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                None => break,
                Some(Ok((index, Some(r)))) => {
                    progress(&r);
                    records[index] = Some(r);
                }
                Some(Ok((_, None))) => {}
                Some(Err(e)) => {
                    // A panicking case is an error verdict; the others and cleanup go on.
                    if let Some(&index) = index_of_task.get(&e.id()) {
                        let r = record::setup_error(&plan.cases[index], &format!("the case panicked: {e}"), Vec::new());
                        progress(&r);
                        records[index] = Some(r);
                    }
                }
            },
            () = interrupt.wait() => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break;
            }
        }
    }
}
