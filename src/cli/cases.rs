//! `rc-conform cases`: the suite built into the binary, for editing. `cases export DIR` writes
//! it out as `DIR/cases/…` and `DIR/specs/…`, the layout `run --cases DIR/cases` and
//! `check --cases DIR/cases --specs DIR/specs` read.

use camino::Utf8PathBuf;

use super::error::CliError;
use crate::built_in;
use crate::exit::Exit;

/// Subcommands of `rc-conform cases`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum CasesCommand {
    /// Write the built-in suite (cases and specs) into DIR, to edit it or add your own cases;
    /// then `run --cases DIR/cases` (and `--specs DIR/specs` for edited specs).
    Export(ExportArgs),
}

/// Flags of `rc-conform cases export`.
#[derive(Debug, clap::Args)]
pub(super) struct ExportArgs {
    /// The directory to write (created if missing; refused when it holds anything, unless
    /// --force).
    #[arg(value_name = "DIR")]
    dir: Utf8PathBuf,
    /// Write into a directory that is not empty, overwriting the suite's files there.
    #[arg(long)]
    force: bool,
}

/// Runs `rc-conform cases …`.
pub(super) fn cases(command: &CasesCommand) -> Result<Exit, CliError> {
    match command {
        CasesCommand::Export(args) => {
            let written = built_in::export(&args.dir, args.force)?;
            let cases = built_in::FILES
                .iter()
                .filter(|(path, _)| {
                    path.starts_with("cases/")
                        && (path.ends_with(".yaml") || path.ends_with(".yml"))
                })
                .count();
            anstream::println!(
                "wrote {} files ({cases} case files) of the built-in suite (rc-conform {}, suite {}) to {}",
                written.len(),
                env!("CARGO_PKG_VERSION"),
                built_in::FINGERPRINT,
                args.dir
            );
            anstream::println!(
                "run them with: rc-conform run --cases {} --specs {}",
                args.dir.join(built_in::CASES),
                args.dir.join(built_in::SPECS)
            );
            Ok(Exit::Ok)
        }
    }
}
