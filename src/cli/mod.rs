//! The command line: every subcommand's flags (and their `RC_CONFORM_*` environment
//! variables), its work, and the one place where an outcome becomes a documented exit code.
//! The `rc-conform` binary only calls [`main`].
//!
//! Commands return a [`CliError`] rather than printing and exiting; the library below does
//! the work.

pub mod admin;
mod cases;
mod check;
pub mod cleanup;
mod error;
pub mod ndjson;
pub mod network;
mod reports;
pub mod run;
mod run_command;
pub mod serve;
mod signals;
mod terminal;

use clap::{Parser, Subcommand};

pub use self::error::CliError;
pub use self::run::ArgsError;
use crate::exit::Exit;

/// What `rc-conform --help` says after the commands: the three uses, as the README's first
/// screen shows them.
const USES: &str = "\
Three uses (the suite is built in: every command works from any directory):

An implementer checking their server
  rc-conform run                     # the suite against the built-in reference server
  export RC_CONFORM_ADMIN_USER=admin RC_CONFORM_ADMIN_PASSWORD=...
  rc-conform run --target https://chat.example.org
  rc-conform cases export my-suite   # the built-in cases and specs, to edit or extend
  rc-conform check --cases my-suite/cases --specs my-suite/specs
  rc-conform run --cases my-suite/cases --specs my-suite/specs --target https://chat.example.org
  Then read reports/<run-id>/summary.md or report.html: each failure with the evidence, the
  reference server's answer and a curl command to reproduce it.

A CI gate
  rc-conform run --target \"$STAGING_URL\" --report-dir reports
  The exit code is the gate; reports/junit.xml feeds the CI's test view, summary.md the job
  summary; --expectations FILE lists the target's known deviations. The repository is also a
  GitHub Action (action.yml) and a container image (Dockerfile).

A release audit
  rc-conform run --target https://rc-next.example.org --strict --report-dir reports/7.13.6
  rc-conform diff reports/7.12.0/report.json reports/7.13.6/report.json
  report.html (one self-contained file) and summary.md are the record; diff exits 1 on a
  regression.

Exit codes: 0 held, 1 conformance failures, 2 bad input, 3 target unusable, 4 cleanup left
objects behind, 5 interrupted, 6 no case selected. The README has the reference.";

/// Conformance harness and spec checker for servers that speak the Rocket.Chat REST API.
///
/// It runs a suite of cases for channels.invite and groups.invite against a server (or the
/// reference server built in), provisioning every fixture over the server's own REST API and
/// removing it after, and writes junit.xml, report.json, summary.md and report.html.
#[derive(Debug, Parser)]
#[command(
    name = "rc-conform",
    version,
    about,
    long_about,
    after_help = USES,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the case files and specs offline: validity, premise coverage, agreement with the
    /// premise model, and the documentation's own examples against the derived schemas.
    Check(check::CheckArgs),
    /// Run the cases against a target server (default: the embedded reference server).
    Run(Box<run::RunArgs>),
    /// Finish cleaning up after a run that could not (crash, kill): undo its ledger.
    Cleanup(cleanup::CleanupArgs),
    /// Run the in-memory reference server (a Rocket.Chat REST subset) until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Maintain an expectations file (the target's known deviations).
    Expectations {
        #[command(subcommand)]
        command: reports::ExpectationsCommand,
    },
    /// Combine the report.json of each shard (`run --partition hash:K/N`) into one report and
    /// write every format; exits as `run` would have for the whole suite.
    Merge(reports::MergeArgs),
    /// Compare two report.json files: regressions, fixes, new and removed cases; exit 1 on
    /// a regression.
    Diff(reports::DiffArgs),
    /// The suite built into the binary: `cases export DIR` writes it out for editing.
    Cases {
        #[command(subcommand)]
        command: cases::CasesCommand,
    },
}

/// The `rc-conform` program: parses the arguments, runs one command, and maps its outcome to
/// a documented exit code.
pub fn main() -> Exit {
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
    match dispatch(&cli.command) {
        Ok(exit) => exit,
        Err(error) => error.report(),
    }
}

fn dispatch(command: &Command) -> Result<Exit, CliError> {
    match command {
        Command::Check(args) => check::check(args),
        Command::Run(args) => run_command::run(args),
        Command::Cleanup(args) => cleanup::cleanup(args),
        Command::Serve(args) => serve::serve(args),
        Command::Expectations { command } => reports::expectations(command),
        Command::Merge(args) => reports::merge_reports(args),
        Command::Diff(args) => reports::diff(args),
        Command::Cases { command } => cases::cases(command),
    }
}
