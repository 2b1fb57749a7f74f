//! `rc-conform check`: the offline spec checker's command: prints what it found and exits 1
//! when anything does not hold.

use camino::Utf8PathBuf;

use super::error::CliError;
use crate::check::{CheckPaths, render_report, run_check};
use crate::exit::Exit;

/// Flags of `rc-conform check`.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct CheckArgs {
    /// The specs directory.
    #[arg(long, default_value = "specs", env = "RC_CONFORM_SPECS")]
    pub(super) specs: Utf8PathBuf,
    /// The case directory.
    #[arg(long, default_value = "cases", env = "RC_CONFORM_CASES")]
    pub(super) cases: Utf8PathBuf,
    /// Also list every required coverage cell with the cases that cover it.
    #[arg(long)]
    pub(super) cells: bool,
}

/// Runs `rc-conform check`.
pub(super) fn check(args: &CheckArgs) -> Result<Exit, CliError> {
    let paths = CheckPaths {
        specs: args.specs.clone(),
        cases: args.cases.clone(),
    };
    let report = run_check(&paths)?;
    anstream::print!("{}", render_report(&report, args.cells));
    Ok(if report.passed() {
        Exit::Ok
    } else {
        Exit::Failures
    })
}
