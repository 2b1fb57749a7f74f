//! `rc-conform merge`: combines the `report.json` of each shard of a partitioned run into
//! one report, and writes every report format from it.

use camino::Utf8PathBuf;
use rc_conform::exit::Exit;
use rc_conform::report::merge::{Part, merge};

/// Flags of `rc-conform merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The partial reports (`report.json` of each `--partition hash:K/N` run).
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<Utf8PathBuf>,
    /// Where the merged reports go.
    #[arg(long, value_name = "DIR")]
    report_dir: Utf8PathBuf,
}

/// Runs `rc-conform merge`; exits as `run` would have for the merged report.
pub(crate) fn run(args: &MergeArgs) -> anyhow::Result<Exit> {
    let mut parts = Vec::new();
    for path in &args.reports {
        match rc_conform::report::json::read(path) {
            Ok(report) => parts.push(Part {
                path: path.clone(),
                report,
            }),
            Err(e) => {
                anstream::eprintln!("error: cannot read the report {path}: {e}");
                return Ok(Exit::BadInput);
            }
        }
    }
    let merged = match merge(&parts) {
        Ok(m) => m,
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    for warning in &merged.warnings {
        anstream::eprintln!("warning: {warning}");
    }
    let report = &merged.report;
    let written = crate::run::write_reports(&args.report_dir, report)?;
    anstream::println!(
        "rc-conform merge of {} parts ({}): {}",
        parts.len(),
        report.run.run_id,
        crate::run::summary(report)
    );
    let written: Vec<&str> = written.iter().map(|p| p.as_str()).collect();
    anstream::println!("report: {}", written.join(", "));
    Ok(crate::run::gate(report))
}
