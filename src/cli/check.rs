//! `rc-conform check`: the offline spec checker's command: prints what it found and exits 1
//! when anything does not hold.

use camino::Utf8PathBuf;

use super::error::CliError;
use crate::built_in::{self, Source};
use crate::check::{CheckPaths, render_report, run_check};
use crate::exit::Exit;

/// Flags of `rc-conform check`.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct CheckArgs {
    /// A specs directory to use instead of the built-in specs.
    #[arg(long, value_name = "DIR", env = "RC_CONFORM_SPECS")]
    pub(super) specs: Option<Utf8PathBuf>,
    /// A case directory to use instead of the built-in cases.
    #[arg(long, value_name = "DIR", env = "RC_CONFORM_CASES")]
    pub(super) cases: Option<Utf8PathBuf>,
    /// Also list every required coverage cell with the cases that cover it.
    #[arg(long)]
    pub(super) cells: bool,
}

/// Runs `rc-conform check`.
pub(super) fn check(args: &CheckArgs) -> Result<Exit, CliError> {
    let paths = CheckPaths {
        specs: Source::dir_or_built_in(args.specs.as_deref(), built_in::SPECS),
        cases: Source::dir_or_built_in(args.cases.as_deref(), built_in::CASES),
    };
    let report = run_check(&paths)?;
    anstream::print!("{}", render_report(&report, args.cells));
    Ok(if report.passed() {
        Exit::Ok
    } else {
        Exit::Failures
    })
}
