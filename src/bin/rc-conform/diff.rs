//! `rc-conform diff OLD NEW`: what changed between two reports, as plain text; exit 1 when
//! a case regressed.

use camino::Utf8PathBuf;
use rc_conform::exit::Exit;

/// Flags of `rc-conform diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The earlier report (`report.json`).
    old: Utf8PathBuf,
    /// The later report (`report.json`).
    new: Utf8PathBuf,
}

/// Runs `rc-conform diff`.
pub(crate) fn run(args: &DiffArgs) -> anyhow::Result<Exit> {
    let mut reports = Vec::new();
    for path in [&args.old, &args.new] {
        match rc_conform::report::json::read(path) {
            Ok(r) => reports.push(r),
            Err(e) => {
                anstream::eprintln!("error: cannot read the report {path}: {e}");
                return Ok(Exit::BadInput);
            }
        }
    }
    let [old, new] = reports.as_slice() else {
        return Ok(Exit::BadInput);
    };
    let diff = rc_conform::report::diff::diff(old, new);
    anstream::print!(
        "{}",
        diff.render(old, new, args.old.as_str(), args.new.as_str())
    );
    Ok(if diff.has_regressions() {
        Exit::Failures
    } else {
        Exit::Ok
    })
}
