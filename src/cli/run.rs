//! The flags of `rc-conform run` (and their `RC_CONFORM_*` environment variables), resolved
//! into [`crate::run::RunOptions`] once the command knows its target.

use std::time::Duration;

use camino::Utf8PathBuf;

use super::admin::{AccessArgs, CredentialsError};
use crate::reference::{Deviation, ServerConfig};
use crate::run::plan::{Filter, Partition, SelectionError};
use crate::run::{AdminCredentials, ClientSelection, GrantSettle, RunOptions, Target};

/// Why the flags do not make a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// `--filter` or `--partition` is unusable.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The admin credentials flags are incomplete.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// `cleanup` without admin credentials.
    #[error(
        "cleanup needs the admin credentials of the target (--admin-user/--admin-password or --admin-token/--admin-id)"
    )]
    CleanupWithoutCredentials,
    /// `--target` is not the root URL of an HTTP(S) server.
    #[error("--target `{0}` is not a server URL: expected http://host[:port][/path] or https://…")]
    Target(String),
    /// A target without admin credentials.
    #[error(
        "--target needs admin credentials: --admin-user and --admin-password (or RC_CONFORM_ADMIN_USER / RC_CONFORM_ADMIN_PASSWORD), or --admin-token and --admin-id"
    )]
    TargetWithoutCredentials,
}

/// Flags of `rc-conform run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Target server root URL; without it the embedded reference server is started on a free
    /// loopback port.
    #[arg(long, env = "RC_CONFORM_TARGET")]
    pub target: Option<String>,
    /// How to log in to the target and reach it.
    #[command(flatten)]
    pub access: AccessArgs,
    /// A case directory to run instead of the built-in cases (your own cases; `rc-conform
    /// cases export DIR` writes the built-in suite out to start from).
    #[arg(long, value_name = "DIR", env = "RC_CONFORM_CASES")]
    pub cases: Option<Utf8PathBuf>,
    /// A specs directory to use instead of the built-in specs.
    #[arg(long, value_name = "DIR", env = "RC_CONFORM_SPECS")]
    pub specs: Option<Utf8PathBuf>,
    /// Only cases whose id matches: comma-separated substrings or globs.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only this share of the suite: hash:K/N.
    #[arg(long)]
    pub partition: Option<String>,
    /// Requests in flight at once: cases provisioned, called and read back concurrently
    /// (calls within a group of cases that share permission grants), objects deleted at once.
    #[arg(long, default_value_t = 8, env = "RC_CONFORM_JOBS", value_parser = jobs)]
    pub jobs: usize,
    /// Where the ledger and reports go (default reports/RUN-ID).
    #[arg(long, env = "RC_CONFORM_REPORT_DIR")]
    pub report_dir: Option<Utf8PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Wait this many milliseconds after changing permissions instead of observing the
    /// change with probes (for a target where no probe works); 0: no wait.
    #[arg(long, value_name = "MS")]
    pub grant_settle_ms: Option<u64>,
    /// The longest wait for one grant group's permission change to show in the probes;
    /// after it the group's calls are made anyway and the report says so.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub grant_settle_deadline_ms: u64,
    /// Grant api-bypass-rate-limit to the fixture users' roles for the run (restored after)
    /// even when preflight sees no rate limiter. When it sees one, this is the default.
    #[arg(long, conflicts_with = "no_bypass_rate_limit")]
    pub bypass_rate_limit: bool,
    /// Keep the API rate limiter for fixture users even when preflight sees it: calls wait as
    /// the server says (slow on a production server).
    #[arg(long)]
    pub no_bypass_rate_limit: bool,
    /// Embedded server: the version to emulate.
    #[arg(long, default_value = "8.5.0", conflicts_with = "target")]
    pub server_version: String,
    /// Embedded server: behave as with TEST_MODE (no 2FA, no rate limiter).
    #[arg(long, conflicts_with = "target")]
    pub test_mode: bool,
    /// Embedded server: break one rule (repeatable; see `serve --list-deviations`).
    #[arg(long = "deviate", value_name = "NAME", conflicts_with = "target")]
    pub deviations: Vec<Deviation>,
    /// Embedded server: how it imitates an imperfect real server (latency, permission lag,
    /// missing endpoints, rate limiter, edition).
    #[command(flatten)]
    pub imitate: ImitateArgs,
    /// Known deviations of the target (YAML, see README "Expectations file"): a listed case
    /// that fails as listed is expected-fail, a listed case that passes is unexpected-pass.
    #[arg(long, value_name = "FILE", env = "RC_CONFORM_EXPECTATIONS")]
    pub expectations: Option<Utf8PathBuf>,
    /// Make `non-strict` cases (the contract held, an exact detail differs from the
    /// Rocket.Chat line the target reports) fail the run with exit 1.
    #[arg(long, env = "RC_CONFORM_STRICT")]
    pub strict: bool,
    /// Evaluate the client compatibility profiles (specs/clients.yaml) in a --filter run or
    /// in a part other than hash:1/N too (by default a full run, or its first part, does).
    #[arg(long, conflicts_with = "no_clients")]
    pub clients: bool,
    /// Do not evaluate the client compatibility profiles.
    #[arg(long)]
    pub no_clients: bool,
    /// A broken client fails the run (exit 1). By default the clients are reported and do not
    /// change the exit code.
    #[arg(long, env = "RC_CONFORM_GATE_CLIENTS")]
    pub gate_clients: bool,
    /// Seconds to wait for another run on the same target to finish (the run lock).
    #[arg(long, default_value_t = 600)]
    pub lock_timeout: u64,
    /// Seconds without a heartbeat after which another run's lock counts as left by a run
    /// that is gone: the run stops (exit 3) and says how to clear it.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub lock_stale_after: u64,
    /// Let built-in roles (`user`, `leader`, …) gain permissions for the cases that need them
    /// and for the rate-limit bypass, for as long as those cases run: every user of the server
    /// holding the role gets them meanwhile. For a disposable server; without it such cases are
    /// skipped where no run-scoped role can stand in.
    #[arg(long, env = "RC_CONFORM_ALLOW_GLOBAL_GRANTS")]
    pub allow_global_grants: bool,
    /// What stdout carries: `human` lines, or `ndjson`, one JSON event per line (the summary
    /// then goes to stderr; see specs/events.schema.json).
    #[arg(long, value_enum, default_value_t, env = "RC_CONFORM_MESSAGE_FORMAT")]
    pub message_format: super::ndjson::MessageFormat,
    /// Print only the summary (no progress, no case lines).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every case with its details (reason, mismatches), passing ones too.
    #[arg(short, long)]
    pub verbose: bool,
}

/// The embedded server's imitation of an imperfect real server (as `rc-conform serve` has).
#[derive(Debug, Clone, clap::Args)]
pub struct ImitateArgs {
    /// Embedded server: delay every answer by this many milliseconds (a network round trip).
    #[arg(long, default_value_t = 0, conflicts_with = "target")]
    pub latency_ms: u64,
    /// Embedded server: a permission change reaches permission checks only this many
    /// milliseconds later (a role cache that lags).
    #[arg(long, default_value_t = 0, conflicts_with = "target")]
    pub permission_lag_ms: u64,
    /// Embedded server: answer this endpoint as an unknown route (repeatable, e.g.
    /// `rooms.adminRooms`).
    #[arg(long, value_name = "ENDPOINT", conflicts_with = "target")]
    pub without: Vec<String>,
    /// Embedded server: run the API rate limiter (10 calls a minute per route and client).
    #[arg(long, conflicts_with = "target")]
    pub rate_limit: bool,
    /// Embedded server: with --rate-limit, send no X-RateLimit-* headers.
    #[arg(long, conflicts_with = "target")]
    pub hide_rate_limit_headers: bool,
    /// Embedded server: answer custom-role endpoints as an Enterprise server.
    #[arg(long, conflicts_with = "target")]
    pub enterprise: bool,
}

/// Where a run goes: a target given with `--target`, or the embedded server to start.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A server given with `--target`, with its admin.
    Target {
        /// Its root URL.
        url: String,
        /// Admin credentials.
        admin: AdminCredentials,
        /// What the network to it needs.
        network: crate::target::Network,
    },
    /// The embedded reference server, to be started with this configuration.
    Embedded(ServerConfig),
}

impl RunArgs {
    /// Where the run goes, from `--target`, the credentials flags and the embedded server's
    /// flags.
    pub fn destination(&self) -> Result<Destination, ArgsError> {
        if let Some(url) = &self.target {
            check_target(url)?;
        }
        let admin = self.access.admin.credentials()?;
        match (&self.target, admin) {
            (Some(url), Some(admin)) => Ok(Destination::Target {
                url: url.clone(),
                admin,
                network: self.access.network.network(),
            }),
            (Some(_), None) => Err(ArgsError::TargetWithoutCredentials),
            (None, _) => Ok(Destination::Embedded(ServerConfig {
                admin_password: format!(
                    "rc-{}",
                    crate::run::new_run_id() + &crate::run::new_run_id()
                ),
                version: self.server_version.clone(),
                test_mode: self.test_mode,
                deviations: self.deviations.iter().copied().collect(),
                rate_limit: self.imitate.rate_limit,
                rate_limit_headers: !self.imitate.hide_rate_limit_headers,
                enterprise: self.imitate.enterprise,
                latency: Duration::from_millis(self.imitate.latency_ms),
                permission_lag: Duration::from_millis(self.imitate.permission_lag_ms),
                without: self.imitate.without.iter().cloned().collect(),
                ..ServerConfig::default()
            })),
        }
    }

    /// Where the run's ledger and reports go: `--report-dir`, or `reports/<run_id>`.
    pub fn report_dir(&self, run_id: &str) -> Utf8PathBuf {
        self.report_dir
            .clone()
            .unwrap_or_else(|| Utf8PathBuf::from("reports").join(run_id))
    }

    /// The run options these flags describe against `target`; `run_id` names the default
    /// report directory.
    pub fn options(&self, target: Target, run_id: &str) -> Result<RunOptions, ArgsError> {
        let filter = self
            .filter
            .as_deref()
            .map(str::parse::<Filter>)
            .transpose()?;
        let partition = self
            .partition
            .as_deref()
            .map(str::parse::<Partition>)
            .transpose()?;
        Ok(RunOptions {
            target,
            filter,
            partition,
            jobs: self.jobs,
            report_dir: self.report_dir(run_id),
            timeout: Duration::from_secs(self.timeout.max(1)),
            grant_settle: match self.grant_settle_ms {
                Some(ms) => GrantSettle::Fixed(Duration::from_millis(ms)),
                None => GrantSettle::Observe {
                    deadline: Duration::from_millis(self.grant_settle_deadline_ms),
                },
            },
            bypass_rate_limit: self.bypass_rate_limit,
            keep_rate_limit: self.no_bypass_rate_limit,
            lock_timeout: Duration::from_secs(self.lock_timeout),
            lock_stale_after: Duration::from_secs(self.lock_stale_after),
            allow_global_grants: self.allow_global_grants,
            strict: self.strict,
            expectations: None,
            clients: match (self.clients, self.no_clients) {
                (true, _) => ClientSelection::Always,
                (false, true) => ClientSelection::Never,
                (false, false) => ClientSelection::Auto,
            },
            gate_clients: self.gate_clients,
        })
    }
}

/// Requires `url` to be an `http` or `https` URL with a host and no query or fragment.
pub(super) fn check_target(url: &str) -> Result<(), ArgsError> {
    let usable = reqwest::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if usable {
        Ok(())
    } else {
        Err(ArgsError::Target(url.to_owned()))
    }
}

/// Why a `--jobs` value is unusable.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// Zero jobs would run nothing.
    #[error("must be at least 1")]
    Zero,
    /// Not a whole number.
    #[error(transparent)]
    NotANumber(#[from] std::num::ParseIntError),
}

/// `--jobs`: a whole number of at least 1.
pub(super) fn jobs(text: &str) -> Result<usize, JobsError> {
    match text.trim().parse::<usize>()? {
        0 => Err(JobsError::Zero),
        n => Ok(n),
    }
}
