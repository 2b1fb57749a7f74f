//! Every YAML case as its own test, through libtest's interface (filtering, `--list`,
//! `--exact`): `cargo test --test conformance [-- FILTER]`.
//!
//! Without `RC_CONFORM_TARGET` each trial runs against its own embedded reference server, so
//! trials are isolated and run in parallel. With it, trials share the target: those that
//! change permissions hold a write lock, the others a read lock, so grants never overlap
//! with another trial. Credentials come from `RC_CONFORM_ADMIN_USER` /
//! `RC_CONFORM_ADMIN_PASSWORD` (or `_TOKEN` / `_ID`).

use std::sync::{Arc, RwLock};

use camino::Utf8PathBuf;
use libtest_mimic::{Arguments, Failed, Trial};
use rc_conform::case::Suite;
use rc_conform::reference::{ServerConfig, start};
use rc_conform::report::model::Verdict;
use rc_conform::run::plan::Filter;
use rc_conform::run::{AdminCredentials, Interrupt, RunOptions, Target};
use rc_conform::spec::Specs;
use rc_conform::target::Secret;

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn admin_from_env() -> Option<AdminCredentials> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("RC_CONFORM_ADMIN_USER"),
        var("RC_CONFORM_ADMIN_PASSWORD"),
        var("RC_CONFORM_ADMIN_TOKEN"),
        var("RC_CONFORM_ADMIN_ID"),
    ) {
        (Some(user), Some(password), _, _) => Some(AdminCredentials::Password {
            user,
            password: Secret::new(password),
        }),
        (_, _, Some(token), Some(user_id)) => Some(AdminCredentials::Token {
            user_id,
            token: Secret::new(token),
        }),
        _ => None,
    }
}

fn run_one(suite: &Suite, specs: &Specs, id: &str, target: Option<String>) -> Result<(), Failed> {
    let report_dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let report_dir = Utf8PathBuf::from_path_buf(report_dir.path().to_path_buf())
        .map_err(|_| Failed::from("non-UTF-8 temp dir"))?;
    // The embedded server is the reference itself: any difference from it counts. A target
    // passes a non-strict case unless RC_CONFORM_STRICT asks otherwise.
    let strict = target.is_none() || std::env::var_os("RC_CONFORM_STRICT").is_some();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))?;
    let config = ServerConfig::default();
    let server = match &target {
        Some(_) => None,
        None => Some(
            runtime
                .block_on(start(
                    config.clone(),
                    "127.0.0.1:0".parse().map_err(|_| Failed::from("address"))?,
                ))
                .map_err(|e| Failed::from(e.to_string()))?,
        ),
    };
    let target = match (&server, target) {
        (Some(server), _) => Target::embedded(server.url(), &config),
        (None, Some(url)) => Target {
            url,
            admin: admin_from_env().ok_or_else(|| {
                Failed::from("RC_CONFORM_TARGET needs RC_CONFORM_ADMIN_USER/PASSWORD or TOKEN/ID")
            })?,
            embedded: false,
            network: Default::default(),
        },
        (None, None) => return Err("no target".into()),
    };
    let options = options(target, id, report_dir, strict);
    let run_id = rc_conform::run::new_run_id();
    let outcome = runtime
        .block_on(rc_conform::run::run(
            suite,
            specs,
            &options,
            &run_id,
            &Interrupt::default(),
            &|_| {},
            None,
        ))
        .map_err(|e| Failed::from(e.to_string()))?;
    if let Some(server) = server {
        runtime.block_on(server.shutdown());
    }
    let report = outcome.report;
    if !report.cleanup.leftovers.is_empty() || !report.cleanup.errors.is_empty() {
        return Err(format!(
            "cleanup left {:?}, errors {:?}",
            report.cleanup.leftovers, report.cleanup.errors
        )
        .into());
    }
    let record = report
        .cases
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Failed::from("the case was not planned"))?;
    verdict_of(record, strict)
}

/// The options of one trial: its case only, one job, strict on the embedded server.
fn options(target: Target, id: &str, report_dir: Utf8PathBuf, strict: bool) -> RunOptions {
    RunOptions {
        filter: Some(Filter::exact(id)),
        jobs: 1,
        strict,
        clients: rc_conform::run::ClientSelection::Never,
        ..RunOptions::new(target, report_dir)
    }
}

/// A trial's outcome from its case's record.
fn verdict_of(record: &rc_conform::report::model::CaseRecord, strict: bool) -> Result<(), Failed> {
    match record.verdict {
        Verdict::Pass | Verdict::Flaky => Ok(()),
        Verdict::NonStrict if !strict => Ok(()),
        Verdict::Skipped => Ok(()),
        other => {
            let mut message = format!(
                "{}: {}\n",
                other.name(),
                record.reason.clone().unwrap_or_default()
            );
            for (i, call) in record.calls.iter().enumerate() {
                for m in &call.mismatches {
                    message.push_str(&format!("  call {i}: {m} [{}]\n", m.level));
                }
                message.push_str(&format!("  reproduce: {}\n", call.curl));
            }
            Err(message.into())
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let specs = match Specs::load(&root().join("specs")) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("cannot load specs: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let suite = match specs.load_cases(&root().join("cases")) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            for d in &e.0 {
                eprintln!("{d}");
            }
            return std::process::ExitCode::from(2);
        }
    };
    let target = std::env::var("RC_CONFORM_TARGET")
        .ok()
        .filter(|t| !t.is_empty());
    let grants_lock = Arc::new(RwLock::new(()));
    let trials = suite
        .cases
        .iter()
        .map(|case| {
            let (suite, specs, target, lock) = (
                suite.clone(),
                specs.clone(),
                target.clone(),
                grants_lock.clone(),
            );
            let id = case.id.clone();
            let changes_grants = !case.setup.permissions.is_empty();
            Trial::test(case.id.to_string(), move || {
                if target.is_none() {
                    return run_one(&suite, &specs, &id, None);
                }
                if changes_grants {
                    let _guard = lock.write().map_err(|_| Failed::from("lock poisoned"))?;
                    run_one(&suite, &specs, &id, target)
                } else {
                    let _guard = lock.read().map_err(|_| Failed::from("lock poisoned"))?;
                    run_one(&suite, &specs, &id, target)
                }
            })
            .with_kind(case.endpoint.name())
        })
        .collect();
    // Return the exit code instead of Conclusion::exit(), which would skip destructors.
    let conclusion = libtest_mimic::run(&args, trials);
    if conclusion.has_failed() {
        std::process::ExitCode::from(101)
    } else {
        std::process::ExitCode::SUCCESS
    }
}
