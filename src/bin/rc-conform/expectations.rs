//! `rc-conform expectations update`: rewrites an expectations file from a report, so that
//! it lists exactly the cases that fail (new ones with a reason still to be written) and
//! drops the entries of cases that pass again.

use camino::Utf8PathBuf;
use rc_conform::exit::Exit;
use rc_conform::expectations::{self, Date, ExpectationsError, TODO_REASON};

/// Subcommands of `rc-conform expectations`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ExpectationsCommand {
    /// Write (or rewrite) an expectations file from a report: every failing or error case
    /// listed (existing entries keep their reason, link and conditions), entries of cases
    /// that now pass removed, entries of cases the report did not run kept.
    Update(UpdateArgs),
}

/// Flags of `rc-conform expectations update`.
#[derive(Debug, clap::Args)]
pub(crate) struct UpdateArgs {
    /// The report of the run (`report.json`).
    #[arg(long, value_name = "FILE")]
    report: Utf8PathBuf,
    /// The expectations file to write; an existing one is read first.
    #[arg(long, value_name = "FILE")]
    file: Utf8PathBuf,
}

/// Runs an `expectations` subcommand.
pub(crate) fn run(command: ExpectationsCommand) -> anyhow::Result<Exit> {
    match command {
        ExpectationsCommand::Update(args) => update(&args),
    }
}

fn update(args: &UpdateArgs) -> anyhow::Result<Exit> {
    let report = match rc_conform::report::json::read(&args.report) {
        Ok(r) => r,
        Err(e) => {
            anstream::eprintln!("error: cannot read the report {}: {e}", args.report);
            return Ok(Exit::BadInput);
        }
    };
    let existing = if args.file.exists() {
        match expectations::load(&args.file) {
            Ok(f) => Some(f),
            Err(e) => {
                if let ExpectationsError::Invalid(problems) = &e {
                    let renderer = annotate_snippets::Renderer::styled();
                    for d in problems {
                        anstream::eprintln!("{}\n", d.render(&renderer));
                    }
                }
                anstream::eprintln!("error: {e}; the file was not changed");
                return Ok(Exit::BadInput);
            }
        }
    } else {
        None
    };
    let update = expectations::update(existing.as_ref(), &report, Date::today());
    if let Err(e) = fs_err::write(&args.file, expectations::render(&update.entries)) {
        anstream::eprintln!("error: {e}");
        return Ok(Exit::BadInput);
    }
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
