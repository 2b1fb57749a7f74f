//! The `rc-conform` command line: parses arguments, runs one command, maps its outcome to a
//! documented exit code. All logic lives in the library.

use std::process::ExitCode;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Parser, Subcommand};
use rc_conform::check::{CheckError, CheckPaths, render_report, run_check};
use rc_conform::exit::Exit;

/// Conformance harness and spec checker for servers that speak the Rocket.Chat REST API.
#[derive(Debug, Parser)]
#[command(name = "rc-conform", version, about)]
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
}

fn main() -> ExitCode {
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
        Command::Check { specs, cases, cells } => check(specs, cases, cells),
    }
}

fn check(specs: Utf8PathBuf, cases: Utf8PathBuf, cells: bool) -> anyhow::Result<Exit> {
    let paths = CheckPaths { specs: specs.clone(), cases };
    match run_check(&paths) {
        Ok(report) => {
            let model = rc_conform::spec::premise::PremiseModel::load(&specs.join("premises.yaml"))
                .context("reloading the premise model")?;
            anstream::print!("{}", render_report(&report, &model, cells));
            Ok(if report.passed() { Exit::Ok } else { Exit::Failures })
        }
        Err(CheckError::Load(errors)) => {
            let renderer = annotate_snippets::Renderer::styled();
            for d in &errors.0 {
                anstream::eprintln!("{}\n", d.render(&renderer));
            }
            anstream::eprintln!("error: {} problem(s) in the case files; nothing was checked", errors.0.len());
            Ok(Exit::BadInput)
        }
        Err(other) => {
            anstream::eprintln!("error: {other}");
            Ok(Exit::BadInput)
        }
    }
}

