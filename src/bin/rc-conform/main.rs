//! The `rc-conform` command line: parses arguments, runs one command, maps its outcome to a
//! documented exit code. All logic lives in the library.

use std::process::ExitCode;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Parser, Subcommand};
use rc_conform::check::{CheckError, CheckPaths, render_report, run_check};
use rc_conform::exit::Exit;

mod diff;
mod expectations;
mod merge;
mod run;

/// Conformance harness and spec checker for servers that speak the Rocket.Chat REST API.
#[derive(Debug, Parser)]
#[command(name = "rc-conform", version, about, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the case files and specs offline: validity, premise coverage, agreement with the
    /// premise model, and the documentation's own examples against the derived schemas.
    Check {
        /// The specs directory.
        #[arg(long, default_value = "specs", env = "RC_CONFORM_SPECS")]
        specs: Utf8PathBuf,
        /// The case directory.
        #[arg(long, default_value = "cases", env = "RC_CONFORM_CASES")]
        cases: Utf8PathBuf,
        /// Also list every required coverage cell with the cases that cover it.
        #[arg(long)]
        cells: bool,
    },
    /// Run the cases against a target server (default: the embedded reference server).
    Run(Box<rc_conform::cli::run::RunArgs>),
    /// Finish cleaning up after a run that could not (crash, kill): undo its ledger.
    Cleanup(rc_conform::cli::run::CleanupArgs),
    /// Run the in-memory reference server (a Rocket.Chat REST subset) until Ctrl-C.
    Serve(rc_conform::cli::serve::ServeArgs),
    /// Maintain an expectations file (the target's known deviations).
    Expectations {
        #[command(subcommand)]
        command: expectations::ExpectationsCommand,
    },
    /// Combine the report.json of each shard (`run --partition hash:K/N`) into one report and
    /// write every format; exits as `run` would have for the whole suite.
    Merge(merge::MergeArgs),
    /// Compare two report.json files: regressions, fixes, new and removed cases; exit 1 on
    /// a regression.
    Diff(diff::DiffArgs),
}

fn main() -> ExitCode {
    // Warnings (another run holds the target's lock, no user pool, …) go to stderr;
    // RC_CONFORM_LOG=debug shows more. Secrets never reach the log: only redacted records do.
    let filter = tracing_subscriber::EnvFilter::try_from_env("RC_CONFORM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(exit) => exit.into(),
        Err(error) => {
            anstream::eprintln!("error: {error:#}");
            Exit::BadInput.into()
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Check {
            specs,
            cases,
            cells,
        } => check(specs, cases, cells),
        Command::Run(args) => run::run(*args),
        Command::Cleanup(args) => run::cleanup(args),
        Command::Serve(args) => serve(args),
        Command::Expectations { command } => expectations::run(command),
        Command::Merge(args) => merge::run(&args),
        Command::Diff(args) => diff::run(&args),
    }
}

fn check(specs: Utf8PathBuf, cases: Utf8PathBuf, cells: bool) -> anyhow::Result<Exit> {
    let paths = CheckPaths { specs, cases };
    match run_check(&paths) {
        Ok(report) => {
            anstream::print!("{}", render_report(&report, cells));
            Ok(if report.passed() {
                Exit::Ok
            } else {
                Exit::Failures
            })
        }
        Err(CheckError::Load(errors)) => {
            let renderer = annotate_snippets::Renderer::styled();
            for d in &errors.0 {
                anstream::eprintln!("{}\n", d.render(&renderer));
            }
            anstream::eprintln!(
                "error: {} problem(s) in the case files; nothing was checked",
                errors.0.len()
            );
            Ok(Exit::BadInput)
        }
        Err(other) => {
            anstream::eprintln!("error: {other}");
            Ok(Exit::BadInput)
        }
    }
}

fn serve(args: rc_conform::cli::serve::ServeArgs) -> anyhow::Result<Exit> {
    if args.list_deviations {
        anstream::print!("{}", rc_conform::cli::serve::deviation_list());
        return Ok(Exit::Ok);
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let server = rc_conform::reference::start(args.config(), args.addr())
            .await
            .with_context(|| format!("starting the reference server on {}", args.addr()))?;
        anstream::println!(
            "rc-conform reference server (Rocket.Chat {}) listening on {}; admin user `{}`; Ctrl-C stops it",
            args.server_version,
            server.url(),
            args.admin_user
        );
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        server.shutdown().await;
        Ok(Exit::Ok)
    })
}
