//! The commands over report files: `merge` (the shards of a partitioned run into one report),
//! `diff` (two reports case by case) and `expectations update` (an expectations file from a
//! report). None of them contacts a server.

use camino::{Utf8Path, Utf8PathBuf};

use super::error::CliError;
use super::run_command::announce_gate;
use super::terminal::summary;
use crate::exit::Exit;
use crate::expectations::{self, Date, TODO_REASON};
use crate::report::merge::{Part, merge};
use crate::report::model::RunReport;

/// Flags of `rc-conform merge`.
#[derive(Debug, clap::Args)]
pub(super) struct MergeArgs {
    /// The partial reports (`report.json` of each `--partition hash:K/N` run).
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<Utf8PathBuf>,
    /// Where the merged reports go.
    #[arg(long, value_name = "DIR")]
    report_dir: Utf8PathBuf,
}

/// Flags of `rc-conform diff`.
#[derive(Debug, clap::Args)]
pub(super) struct DiffArgs {
    /// The earlier report (`report.json`).
    old: Utf8PathBuf,
    /// The later report (`report.json`).
    new: Utf8PathBuf,
}

/// Subcommands of `rc-conform expectations`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ExpectationsCommand {
    /// Write (or rewrite) an expectations file from a report: every failing or error case
    /// listed (existing entries keep their reason, link and conditions), entries of cases
    /// that now pass removed, entries of cases the report did not run kept.
    Update(UpdateArgs),
}

/// Flags of `rc-conform expectations update`.
#[derive(Debug, clap::Args)]
pub(super) struct UpdateArgs {
    /// The report of the run (`report.json`).
    #[arg(long, value_name = "FILE")]
    report: Utf8PathBuf,
    /// The expectations file to write; an existing one is read first.
    #[arg(long, value_name = "FILE")]
    file: Utf8PathBuf,
}

fn read(path: &Utf8Path) -> Result<RunReport, CliError> {
    crate::report::json::read(path).map_err(|source| CliError::ReadReport {
        path: path.to_owned(),
        source,
    })
}

/// Runs `rc-conform merge`; exits as `run` would have for the merged report.
pub(super) fn merge_reports(args: &MergeArgs) -> Result<Exit, CliError> {
    let parts = args
        .reports
        .iter()
        .map(|path| {
            Ok(Part {
                path: path.clone(),
                report: read(path)?,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let merged = merge(&parts)?;
    for warning in &merged.warnings {
        anstream::eprintln!("warning: {warning}");
    }
    let report = &merged.report;
    let written = crate::report::render::write_all(&args.report_dir, report)?;
    anstream::println!(
        "rc-conform merge of {} parts ({}): {}",
        parts.len(),
        report.run.run_id,
        summary(report)
    );
    let written: Vec<&str> = written.iter().map(|p| p.as_str()).collect();
    anstream::println!("report: {}", written.join(", "));
    if report.run.interrupted {
        anstream::eprintln!("a part of this report was interrupted before every case ran");
    }
    Ok(announce_gate(report))
}

/// Runs `rc-conform diff`: exit 1 on a regression.
pub(super) fn diff(args: &DiffArgs) -> Result<Exit, CliError> {
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let diff = crate::report::diff::diff(&old, &new);
    anstream::print!(
        "{}",
        diff.render(&old, &new, args.old.as_str(), args.new.as_str())
    );
    Ok(if diff.has_regressions() {
        Exit::Failures
    } else {
        Exit::Ok
    })
}

/// Runs an `expectations` subcommand.
pub(super) fn expectations(command: &ExpectationsCommand) -> Result<Exit, CliError> {
    let ExpectationsCommand::Update(args) = command;
    let report = read(&args.report)?;
    let existing = if args.file.exists() {
        Some(expectations::load(&args.file).map_err(CliError::ExpectationsUnchanged)?)
    } else {
        None
    };
    let update = expectations::update(existing.as_ref(), &report, Date::today());
    fs_err::write(&args.file, expectations::render(&update.entries)).map_err(|source| {
        CliError::Write {
            path: args.file.clone(),
            source,
        }
    })?;
    for id in &update.added {
        anstream::println!("added:   {id} (reason: \"{TODO_REASON}\")");
    }
    for id in &update.removed {
        anstream::println!("removed: {id} (passes now)");
    }
    for warning in &update.warnings {
        anstream::eprintln!("warning: {warning}");
    }
    anstream::println!(
        "{}: {} entries ({} kept, {} added, {} removed)",
        args.file,
        update.entries.len(),
        update.kept,
        update.added.len(),
        update.removed.len()
    );
    Ok(Exit::Ok)
}
