//! `rc-conform run`: load everything (nothing is sent before every file has loaded), start the
//! embedded reference server when no target is given, watch interrupts, run, write every
//! report, and exit as the report's gate says.

use std::net::SocketAddr;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};

use super::error::CliError;
use super::ndjson::{LiveView, MessageFormat, summary_line};
use super::run::{Destination, RunArgs};
use super::signals::{self, Resume};
use super::terminal::{self, Verbosity};
use crate::built_in::{self, Source};
use crate::case::Suite;
use crate::exit::Exit;
use crate::expectations::{self, ExpectationsFile};
use crate::reference::RunningServer;
use crate::report::model::RunReport;
use crate::run::{Interrupt, RunOutcome, Target};
use crate::spec::Specs;

/// Runs `rc-conform run`.
pub(super) fn run(args: &RunArgs) -> Result<Exit, CliError> {
    let run_id = crate::run::new_run_id();
    let destination = args.destination()?;
    // The harness on one thread (its CPU work, judging, goes to blocking threads); the
    // embedded server on a thread of its own (`start_apart`), so the two do not take turns.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    // The embedded server starts while the files load: starting it sends nothing, and
    // nothing goes to any target before every file has loaded.
    let (loaded, started) = std::thread::scope(|scope| {
        let starting = scope.spawn(|| runtime.block_on(start(destination)));
        let loaded = load(args, &run_id);
        let started = crate::parallel::joined(starting);
        (loaded, started)
    });
    // A file that does not load is the error to report, whatever became of the server.
    let (specs, suite, expectations, report_dir) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            if let Ok((_, Some(server))) = started {
                runtime.block_on(server.shutdown());
            }
            return Err(e);
        }
    };
    let (target, server) = started?;
    // The built-in schemas compile while the run starts, on a core the first requests leave
    // idle, rather than in the first judging (a schema that did not compile would be told
    // there, per call).
    let schemas = specs.schemas.clone();
    std::thread::spawn(move || schemas.compile_all());
    let exit = runtime.block_on(async {
        let mut options = args.options(target, &run_id)?;
        options.report_dir = report_dir;
        options.expectations = expectations.map(Arc::new);
        let resume = Resume {
            ledger: options.report_dir.join("ledger.jsonl"),
            target: server.is_none().then(|| options.target.url.clone()),
        };
        let interrupt = Interrupt::default();
        tokio::spawn(signals::watch(interrupt.clone(), resume));
        let shown = Verbosity {
            quiet: args.quiet,
            verbose: args.verbose,
            strict: args.strict,
        };
        let view = LiveView::new(args.message_format, shown);
        let observer = |e: crate::run::Event<'_>| view.event(e);
        let ran = crate::run::run(
            &suite, &specs, &options, &run_id, &interrupt, &observer, None,
        )
        .await;
        view.finish();
        let report_dir = options.report_dir;
        let (verbose, format) = (args.verbose, args.message_format);
        // The embedded server stops while the reports are written: nothing is sent to it
        // after the run, and the reports read nothing from it.
        let stopped = async {
            if let Some(server) = server {
                server.shutdown().await;
            }
        };
        let written = async {
            let outcome = ran?;
            // On a blocking thread, so that the interrupt watcher on this one still answers
            // while the reports are written.
            tokio::task::spawn_blocking(move || {
                let exit = finish(&outcome, &report_dir, verbose, format);
                // The process ends now: its memory goes back at once, without a megabyte of
                // records freed piece by piece first (a millisecond of every run).
                std::mem::forget(outcome);
                exit
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        };
        tokio::join!(stopped, written).1
    });
    // Likewise the suite and the specs, which nothing reads after the run.
    std::mem::forget(suite);
    std::mem::forget(specs);
    exit
}

/// What a run loads before it sends anything: the specs, the suite, the expectations file
/// (checked against the suite) and the report directory (checked to be writable).
fn load(
    args: &RunArgs,
    run_id: &str,
) -> Result<(Specs, Suite, Option<ExpectationsFile>, Utf8PathBuf), CliError> {
    let specs = Source::dir_or_built_in(args.specs.as_deref(), built_in::SPECS);
    let cases = Source::dir_or_built_in(args.cases.as_deref(), built_in::CASES);
    let (specs, suite) = Specs::load_with_cases(&specs, &cases)??;
    let expectations = args
        .expectations
        .as_deref()
        .map(|path| load_expectations(path, &suite))
        .transpose()?;
    let report_dir = match args.report_dir {
        Some(_) => args.report_dir(run_id),
        None => default_report_dir(&args.report_dir(run_id), run_id),
    };
    check_report_dir(&report_dir)?;
    Ok((specs, suite, expectations, report_dir))
}

/// Requires the report directory to be a directory this process can write (created when
/// missing), before anything is sent: the ledger must be written before anything is created.
fn check_report_dir(dir: &Utf8Path) -> Result<(), CliError> {
    let unusable = |source| CliError::ReportDir {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(unusable)?;
    let probe = dir.join(format!(".rc-conform-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(unusable)?;
    std::fs::remove_file(&probe).map_err(unusable)
}

/// The target of the run: the one given, or the embedded server started now.
async fn start(destination: Destination) -> Result<(Target, Option<RunningServer>), CliError> {
    match destination {
        Destination::Target {
            url,
            admin,
            network,
        } => Ok((
            Target {
                url,
                admin,
                embedded: false,
                network,
            },
            None,
        )),
        Destination::Embedded(config) => {
            let server = crate::reference::start_apart(
                config.clone(),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            )
            .await?;
            Ok((Target::embedded(server.url(), &config), Some(server)))
        }
    }
}

/// The default report directory, `reports/<run-id>` in the working directory, or, where that
/// cannot be created (a read-only directory such as `/` for a user), the same below the
/// system's temporary directory, with a warning that says where the reports go.
fn default_report_dir(preferred: &Utf8Path, run_id: &str) -> Utf8PathBuf {
    let parent = preferred.parent().unwrap_or(preferred);
    if fs_err::create_dir_all(parent).is_ok() {
        return preferred.to_owned();
    }
    let fallback = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .unwrap_or_else(|_| Utf8PathBuf::from("/tmp"))
        .join("rc-conform")
        .join("reports")
        .join(run_id);
    tracing::warn!(
        "cannot create {preferred} in the working directory; the reports go to {fallback} (--report-dir chooses)"
    );
    fallback
}

/// Loads the expectations file and checks it names cases of `suite`.
fn load_expectations(path: &Utf8Path, suite: &Suite) -> Result<ExpectationsFile, CliError> {
    let file = expectations::load(path)?;
    file.check_cases(suite.cases.iter().map(|c| c.id.as_str()))?;
    Ok(file)
}

/// Writes every report, prints the summary and what cleanup could not do, and exits as the
/// report's gate says.
fn finish(
    outcome: &RunOutcome,
    report_dir: &Utf8Path,
    verbose: bool,
    format: MessageFormat,
) -> Result<Exit, CliError> {
    for warning in &outcome.warnings {
        anstream::eprintln!("warning: {warning}");
    }
    let report = &outcome.report;
    let written = crate::report::render::write_all(report_dir, report)?;
    if verbose {
        for note in &report.run.preflight {
            summary_line(format, format_args!("preflight: {note}"));
        }
    }
    summary_line(
        format,
        format_args!(
            "\nrc-conform {}: {} against {} (Rocket.Chat {})",
            report.run.run_id,
            terminal::summary(report),
            report.run.target,
            report
                .run
                .server_version
                .as_deref()
                .unwrap_or("version unknown")
        ),
    );
    if let Some(clients) = terminal::clients_summary(report) {
        summary_line(format, format_args!("{clients}"));
    }
    let names: Vec<&str> = written.iter().map(|p| p.as_str()).collect();
    summary_line(format, format_args!("report: {}", names.join(", ")));
    let exit = announce_gate(report);
    if format == MessageFormat::Ndjson {
        super::ndjson::EventStream::default().finished(report, exit, &written);
    }
    Ok(exit)
}

/// The report's gate, with what the user must know about cleanup and an empty selection.
pub(super) fn announce_gate(report: &RunReport) -> Exit {
    let cleanup = &report.cleanup;
    for e in &cleanup.errors {
        anstream::eprintln!("cleanup: {e}");
    }
    for l in &cleanup.leftovers {
        anstream::eprintln!("left behind: {l}");
    }
    for u in &cleanup.unverified {
        anstream::eprintln!("not verified (the target offers no way to look): {u}");
    }
    let exit = report.gate();
    match exit {
        Exit::NoCases => anstream::eprintln!("no case was selected"),
        Exit::Leftovers => anstream::eprintln!(
            "error: cleanup left objects behind; `rc-conform cleanup --ledger {}` retries it",
            cleanup.ledger
        ),
        _ => {}
    }
    exit
}
