//! Preparing a run: the target's API, preflight, the version and line the cases are judged
//! at, the plan, the verdict stage, the ledger, the run lock and the user pool. Everything
//! the stages share is owned here, in [`Prepared`]; nothing is created on the target before
//! preflight has passed and the ledger is open.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::Mutex;

use super::grants::{self, RunGrants};
use super::ledger::{Entry, Ledger};
use super::lock::RunLock;
use super::plan::Plan;
use super::pool::UserPool;
use super::predicted::Predicted;
use super::preflight::Preflight;
use super::provision::Provisioner;
use super::verdict::VerdictStage;
use super::{Interrupt, RunError, RunOptions, cleanup, lock, plan, preflight};
use crate::case::{Suite, Version};
use crate::expectations::Date;
use crate::spec::Specs;
use crate::spec::lines::Line;
use crate::target::api::{Api, Session};
use crate::target::{Client, ClientConfig, Redactor};

/// The sessions of every fixture user, by username (cleanup deletes private groups as one of
/// their members).
pub(super) type Sessions = Arc<Mutex<BTreeMap<String, Session>>>;

/// What a run has once it is ready to provision: owned, shared by the stages.
pub(super) struct Prepared<'a> {
    /// The suite, the specs and the options of the run.
    pub(super) suite: &'a Suite,
    /// The specs.
    pub(super) specs: &'a Specs,
    /// The options.
    pub(super) options: &'a RunOptions,
    /// The run id.
    pub(super) run_id: String,
    /// The run's interrupt.
    pub(super) interrupt: &'a Interrupt,
    /// When the run started.
    pub(super) started: SystemTime,
    /// The day expectation entries are judged on.
    pub(super) today: Date,
    /// The target's root URL.
    pub(super) url: String,
    /// The target's API (its client counts every request).
    pub(super) api: Api,
    /// What preflight established.
    pub(super) preflight: Preflight,
    /// The version the cases are judged at.
    pub(super) version: Version,
    /// The target's Rocket.Chat line, when its version falls in one.
    pub(super) line: Option<Line>,
    /// The plan.
    pub(super) plan: Plan<'a>,
    /// Where each case's verdict is decided.
    pub(super) verdicts: Arc<VerdictStage>,
    /// The ledger.
    pub(super) ledger: Ledger,
    /// Provisioning (its API, admin session and ledger serve every stage).
    pub(super) provisioner: Provisioner,
    /// Every fixture session.
    pub(super) sessions: Sessions,
    /// The permissions the run changes and how it waits for them.
    pub(super) grants: RunGrants,
    /// The run lock, when the target is shared.
    pub(super) lock: Option<RunLock>,
    /// Notes for the report (a ledger set aside, no user pool).
    pub(super) notes: Vec<String>,
}

/// Prepares a run: preflight, plan, ledger, lock, pool.
pub(super) async fn prepare<'a>(
    suite: &'a Suite,
    specs: &'a Specs,
    options: &'a RunOptions,
    run_id: &str,
    interrupt: &'a Interrupt,
    recording: Option<crate::target::Recording>,
) -> Result<Prepared<'a>, RunError> {
    let started = SystemTime::now();
    let url = options.target.url.trim_end_matches('/').to_owned();
    let api = connect(&url, options, recording)?;
    let embedded = options.target.embedded;
    let preflight = preflight::preflight(&api, &options.target.admin, options, embedded).await?;
    let reported = preflight.server_version.as_deref().and_then(Version::parse);
    let version = reported
        .clone()
        .unwrap_or_else(|| specs.model.default_version());
    let line = reported.and_then(|v| specs.model.line_of(&v)).cloned();
    let (mut plan, predicted) = plan_run(suite, specs, options, &version);
    let today = Date::today();
    let verdicts = Arc::new(VerdictStage {
        model: specs.model.clone(),
        schemas: specs.schemas.clone(),
        version: version.clone(),
        line: line.clone(),
        expectations: options.expectations.clone(),
        today,
        predicted: predicted.clone(),
    });
    let (ledger, mut notes) = open_ledger(options, run_id, &url)?;
    notes.extend(network_notes(&options.target.network));
    let lock = take_lock(&api, &preflight.admin, &ledger, options, (run_id, &url)).await?;
    let cx = grants::Context {
        api: &api,
        admin: &preflight.admin,
        ledger: &ledger,
        options,
        preflight: &preflight,
        model: &specs.model,
        run_id,
    };
    let grants = decide_grants(&cx, &mut plan).await?;
    let sharing = Arc::new(super::share::plan(&plan, &version, &predicted));
    let provisioner = Provisioner {
        api: api.clone(),
        admin: preflight.admin.clone(),
        admin_username: preflight.admin_username.clone(),
        two_factor: preflight.two_factor.clone(),
        ledger: ledger.clone(),
        run_id: run_id.to_owned(),
        pool: None,
        roles: Arc::new(grants.roles.clone()),
        sharing,
    };
    notes.extend(grants.notes.iter().cloned());
    record_touched_rooms(&plan, &ledger)?;
    let mut prepared = Prepared {
        suite,
        specs,
        options,
        run_id: run_id.to_owned(),
        interrupt,
        started,
        today,
        url,
        api,
        preflight,
        version,
        line,
        plan,
        verdicts,
        ledger,
        provisioner,
        sessions: Sessions::default(),
        grants,
        lock,
        notes: Vec::new(),
    };
    notes.extend(prepared.provision_pool().await);
    prepared.notes = notes;
    Ok(prepared)
}

/// The run's plan at `version`, its grant groups merged where the model says no verdict
/// changes, and its cases' predictions.
fn plan_run<'a>(
    suite: &'a Suite,
    specs: &Specs,
    options: &RunOptions,
    version: &Version,
) -> (Plan<'a>, Arc<Predicted>) {
    let mut plan = plan::plan(suite, options.filter.as_ref(), options.partition, version);
    let predicted = Arc::new(Predicted::of(&plan, &specs.model, version));
    super::grouping::merge(&mut plan, version, &predicted);
    (plan, predicted)
}

/// What the report says of the network: an unverified certificate, a gateway's headers (by
/// name), internal CA certificates.
fn network_notes(network: &crate::target::Network) -> Vec<String> {
    let mut notes = Vec::new();
    if network.insecure {
        notes.push("network: --insecure: the target's certificate and host name were not verified; the connection could have been intercepted".to_owned());
    }
    if !network.ca_certs.is_empty() {
        let files: Vec<&str> = network.ca_certs.iter().map(|p| p.as_str()).collect();
        notes.push(format!(
            "network: certificates trusted besides the platform's roots: {}",
            files.join(", ")
        ));
    }
    if !network.headers.is_empty() {
        let names: Vec<&str> = network.headers.iter().map(|(n, _)| n.as_str()).collect();
        notes.push(format!(
            "network: headers sent on every request (values redacted): {}",
            names.join(", ")
        ));
    }
    notes
}

/// The target's API: one client with the run's timeout and redactor.
fn connect(
    url: &str,
    options: &RunOptions,
    recording: Option<crate::target::Recording>,
) -> Result<Api, RunError> {
    let mut config = ClientConfig::new(url.to_owned()).with_network(&options.target.network);
    config.timeout = options.timeout;
    let mut client = Client::new(config, Redactor::default())?;
    if let Some(recording) = recording {
        client = client.recording_into(recording);
    }
    Ok(Api::new(client))
}

/// Starts the run's ledger (an earlier run's unfinished ledger is set aside, with a note)
/// and writes its first line before anything is created.
fn open_ledger(
    options: &RunOptions,
    run_id: &str,
    url: &str,
) -> Result<(Ledger, Vec<String>), RunError> {
    let started = Ledger::start(&options.report_dir.join("ledger.jsonl"))?;
    let notes = started
        .set_aside
        .map(|aside| {
            let note = format!(
                "ledger: an earlier run's ledger in this report directory still had work to undo; \
                 it was moved to {aside} and left alone: `rc-conform cleanup --ledger {aside}` \
                 finishes it"
            );
            tracing::warn!("{note}");
            note
        })
        .into_iter()
        .collect();
    // In the kernel before anything is created (what a crash or kill needs); on disk with
    // the permission lines, whose sync covers every line before them.
    started.ledger.record(&Entry::Run {
        run_id: run_id.to_owned(),
        target: url.to_owned(),
    })?;
    Ok((started.ledger, notes))
}

/// The run's grants ([`RunGrants::prepare`]); when they cannot be set up, what the ledger
/// holds (the run lock, roles created so far) is undone.
async fn decide_grants(
    cx: &grants::Context<'_>,
    plan: &mut Plan<'_>,
) -> Result<RunGrants, RunError> {
    match RunGrants::prepare(cx, plan).await {
        Ok(grants) => Ok(grants),
        Err(e) => {
            let sessions = BTreeMap::new();
            let _ = cleanup::undo(cx.api, cx.admin, cx.ledger, &sessions, cx.options.jobs).await;
            Err(e)
        }
    }
}

/// The rooms the run did not create whose messages its cases change (`general`): written to
/// the ledger before any case runs, so that cleanup deletes the system messages that name the
/// run's fixture users.
fn record_touched_rooms(plan: &Plan<'_>, ledger: &Ledger) -> Result<(), RunError> {
    let touches = plan
        .cases
        .iter()
        .any(|p| p.skip.is_none() && p.case.touches_general());
    if touches {
        ledger.record(&Entry::RoomMessages {
            room_id: "GENERAL".to_owned(),
            room_type: crate::api::RoomType::Public,
        })?;
    }
    Ok(())
}

/// Another run on the same target must not change permissions under this one: a shared
/// target's run lock is held while cases run (the embedded server is this run's alone).
async fn take_lock(
    api: &Api,
    admin: &Session,
    ledger: &Ledger,
    options: &RunOptions,
    (run_id, url): (&str, &str),
) -> Result<Option<RunLock>, RunError> {
    if options.target.embedded {
        return Ok(None);
    }
    let waiting =
        || tracing::warn!("another rc-conform run holds the lock on this target; waiting");
    let holder = lock::Holder::this_process(run_id, ledger.path());
    let taking = lock::Taking {
        holder: &holder,
        target: url,
        timeout: options.lock_timeout,
        stale_after: options.lock_stale_after,
    };
    match lock::acquire(api, admin, ledger, &taking, &waiting).await {
        Ok(held) => Ok(Some(held)),
        Err(e) => {
            let _ = cleanup::undo(api, admin, ledger, &BTreeMap::new(), options.jobs).await;
            Err(RunError::Lock(e))
        }
    }
}

impl Prepared<'_> {
    /// Users shared between cases (see [`UserPool`]); without a pool every case makes its
    /// own, and the report says why.
    async fn provision_pool(&mut self) -> Option<String> {
        if self.interrupt.is_set() {
            return None;
        }
        self.api.client().next_stage();
        match UserPool::provision(
            &self.provisioner,
            &UserPool::needs(&self.plan, &self.provisioner.sharing),
        )
        .await
        {
            Ok(pool) => {
                let mut all = self.sessions.lock().await;
                for user in pool.users() {
                    if let Some(s) = &user.session {
                        all.insert(user.username.clone(), s.clone());
                    }
                }
                self.provisioner.pool = Some(Arc::new(pool));
                None
            }
            Err(e) => {
                tracing::warn!("no user pool ({e}); each case provisions its own users");
                Some(format!(
                    "user pool: could not be created ({e}); each case provisioned its own users"
                ))
            }
        }
    }

    /// Whether the target is the embedded server.
    pub(super) fn embedded(&self) -> bool {
        self.options.target.embedded
    }
}
