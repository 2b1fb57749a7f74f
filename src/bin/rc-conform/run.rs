//! The `run` and `cleanup` commands: wiring flags, Ctrl-C, terminal output (a progress bar
//! on a terminal, one line per case otherwise), the expectations file and the report files
//! around the library's runner.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rc_conform::case::Version;
use rc_conform::check::Specs;
use rc_conform::cli::run::{CleanupArgs, RunArgs};
use rc_conform::exit::Exit;
use rc_conform::expectations::{self, ExpectationsError, ExpectationsFile};
use rc_conform::report::model::{CaseRecord, Effect, RunReport, Verdict};
use rc_conform::run::ledger::{Ledger, run_of};
use rc_conform::run::{Interrupt, RunError};
use rc_conform::target::api::Api;
use rc_conform::target::{Client, ClientConfig, Purpose, Redactor};

fn print_case(r: &CaseRecord, verbose: bool, strict: bool) {
    let style = anstyle::Style::new()
        .fg_color(Some(r.verdict.color().into()))
        .bold();
    anstream::println!(
        "{style}{:>15}{style:#} {} ({} ms)",
        r.verdict.name().to_uppercase(),
        r.id,
        r.duration_ms
    );
    if verbose || r.verdict.fails_gate(strict) || r.verdict == Verdict::NonStrict {
        if let Some(reason) = &r.reason {
            anstream::println!("                {reason}");
        }
        for (i, c) in r.calls.iter().enumerate() {
            for m in &c.mismatches {
                let tag = match m.effect {
                    Effect::Fails => String::new(),
                    _ => format!(" [{}]", rc_conform::report::render::effect_label(m.effect)),
                };
                anstream::println!("                call {i}: {}{tag}", m.text);
            }
        }
    }
}

/// The one-line totals of a report, with its conformance figures.
pub(crate) fn summary(report: &RunReport) -> String {
    let c = &report.conformance;
    let line = c.line.as_deref().map_or_else(
        || "Rocket.Chat (no line: contract only)".to_owned(),
        |l| format!("Rocket.Chat {l}"),
    );
    format!(
        "{}; contract {}/{}, exact agreement with {line} {}/{}",
        report.totals.line(),
        c.contract,
        c.judged,
        c.exact,
        c.judged
    )
}

/// Writes every report format into `dir`, returning the files written.
pub(crate) fn write_reports(
    dir: &Utf8Path,
    report: &RunReport,
) -> anyhow::Result<Vec<Utf8PathBuf>> {
    rc_conform::report::render::write_all(dir, report)
        .with_context(|| format!("writing the reports into {dir}"))
}

/// The live view of a run: one plain line per case when stdout is not a terminal; on a
/// terminal a progress bar, with a line above it for each case that did not simply pass.
struct Terminal {
    bar: Option<ProgressBar>,
    quiet: bool,
    verbose: bool,
    strict: bool,
}

impl Terminal {
    fn new(args: &RunArgs, selected: u64) -> Terminal {
        let bar = (!args.quiet && std::io::stdout().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(selected), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "{spinner} {pos}/{len} cases [{bar:30}] {elapsed} {wide_msg}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Terminal {
            bar,
            quiet: args.quiet,
            verbose: args.verbose,
            strict: args.strict,
        }
    }

    /// Shows a case's record as the run decided it.
    fn case(&self, record: &CaseRecord) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(record.id.clone());
                if self.verbose || record.verdict != Verdict::Pass {
                    bar.suspend(|| print_case(record, self.verbose, self.strict));
                }
            }
            None if !self.quiet => print_case(record, self.verbose, self.strict),
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Loads the expectations file of `--expectations` and checks it names cases of `suite`;
/// `Err` carries the exit code after the problems were printed.
fn load_expectations(
    path: &Utf8Path,
    suite: &rc_conform::case::Suite,
) -> Result<ExpectationsFile, Exit> {
    let checked = expectations::load(path).and_then(|file| {
        file.check_cases(suite.cases.iter().map(|c| c.id.as_str()))
            .map(|()| file)
    });
    checked.map_err(|e| {
        if let ExpectationsError::Invalid(problems) = &e {
            let renderer = annotate_snippets::Renderer::styled();
            for d in problems {
                anstream::eprintln!("{}\n", d.render(&renderer));
            }
        }
        anstream::eprintln!("error: {e}; nothing was sent to any server");
        Exit::BadInput
    })
}

/// `rc-conform run`.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<Exit> {
    let run_id = rc_conform::run::new_run_id();
    let mut options = match args.options(&run_id) {
        Ok(o) => o,
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let specs = match Specs::load(&args.specs) {
        Ok(s) => s,
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let suite = match specs.load_cases(&args.cases) {
        Ok(s) => s,
        Err(errors) => {
            let renderer = annotate_snippets::Renderer::styled();
            for d in &errors.0 {
                anstream::eprintln!("{}\n", d.render(&renderer));
            }
            anstream::eprintln!(
                "error: {} problem(s) in the case files; nothing was sent to any server",
                errors.0.len()
            );
            return Ok(Exit::BadInput);
        }
    };
    options.expectations = match args
        .expectations
        .as_deref()
        .map(|p| load_expectations(p, &suite))
    {
        None => None,
        Some(Ok(file)) => Some(std::sync::Arc::new(file)),
        Some(Err(exit)) => return Ok(exit),
    };
    let embedded_version = if options.target.is_none() {
        Version::parse(&options.embedded.version)
    } else {
        None
    };
    let selected = suite
        .cases
        .iter()
        .filter(|c| options.partition.is_none_or(|p| p.contains(&c.id)))
        .filter(|c| options.filter.as_ref().is_none_or(|f| f.matches(&c.id)))
        .filter(|c| {
            embedded_version
                .as_ref()
                .is_none_or(|v| c.versions.contains(v))
        })
        .count();
    let terminal = Terminal::new(&args, u64::try_from(selected).unwrap_or(u64::MAX));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let interrupt = Interrupt::default();
    let verbose = args.verbose;
    let outcome = runtime.block_on(async {
        let watcher = interrupt.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                anstream::eprintln!("interrupted: stopping the cases and undoing the ledger (Ctrl-C again to abandon cleanup)");
                watcher.trigger();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(Exit::Interrupted.code()));
                }
            }
        });
        let progress = |r: &CaseRecord| terminal.case(r);
        rc_conform::run::run(&suite, &specs, &options, &run_id, &interrupt, &progress).await
    });
    terminal.finish();
    let outcome = match outcome {
        Ok(o) => o,
        Err(RunError::Unusable(e)) => {
            anstream::eprintln!("error: the target is not usable, nothing was created: {e}");
            return Ok(Exit::TargetUnusable);
        }
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::TargetUnusable);
        }
    };
    for warning in &outcome.warnings {
        anstream::eprintln!("warning: {warning}");
    }
    let report = &outcome.report;
    let written = write_reports(&options.report_dir, report)?;
    for note in &report.run.preflight {
        if verbose {
            anstream::println!("preflight: {note}");
        }
    }
    anstream::println!(
        "\nrc-conform {}: {} against {} (Rocket.Chat {})",
        report.run.run_id,
        summary(report),
        report.run.target,
        report
            .run
            .server_version
            .as_deref()
            .unwrap_or("version unknown")
    );
    let written: Vec<&str> = written.iter().map(|p| p.as_str()).collect();
    anstream::println!("report: {}", written.join(", "));
    let cleanup = &report.cleanup;
    for e in &cleanup.errors {
        anstream::eprintln!("cleanup: {e}");
    }
    for l in &cleanup.leftovers {
        anstream::eprintln!("left behind: {l}");
    }
    for u in &cleanup.unverified {
        anstream::eprintln!("not verified (the target offers no way to look): {u}");
    }
    let exit = gate(report);
    if exit == Exit::Leftovers {
        anstream::eprintln!(
            "error: cleanup left objects behind; `rc-conform cleanup --ledger {}` retries it",
            cleanup.ledger
        );
    }
    Ok(exit)
}

/// The exit code a finished run's report stands for (the report's own gate), said in a line
/// where it is not obvious.
pub(crate) fn gate(report: &RunReport) -> Exit {
    let exit = report.gate();
    if exit == Exit::NoCases {
        anstream::eprintln!("no case was selected");
    }
    exit
}

/// `rc-conform cleanup --ledger FILE`.
pub(crate) fn cleanup(args: CleanupArgs) -> anyhow::Result<Exit> {
    let ledger = match Ledger::open(&args.ledger) {
        Ok(ledger) => ledger,
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let target = args.target.clone().or_else(|| {
        ledger
            .read_with(|entries| run_of(entries).map(|(_, target)| target.to_owned()))
            .ok()?
    });
    let Some(target) = target else {
        anstream::eprintln!("error: the ledger names no target; give --target");
        return Ok(Exit::BadInput);
    };
    let credentials = match args.admin.credentials() {
        Ok(Some(c)) => c,
        Ok(None) => {
            anstream::eprintln!(
                "error: cleanup needs the admin credentials of the target (--admin-user/--admin-password or --admin-token/--admin-id)"
            );
            return Ok(Exit::BadInput);
        }
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = Client::new(ClientConfig::new(target.clone()), Redactor::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let api = Api::new(client);
        let admin = match &credentials {
            rc_conform::run::AdminCredentials::Password { user, password } => {
                match api.login(user, password, Purpose::Cleanup).await {
                    Ok(s) => s,
                    Err(e) => {
                        anstream::eprintln!("error: cannot log in to {target}: {e}");
                        return Ok(Exit::TargetUnusable);
                    }
                }
            }
            rc_conform::run::AdminCredentials::Token { user_id, token } => {
                rc_conform::target::api::Session {
                    user_id: user_id.clone(),
                    token: token.clone(),
                }
            }
        };
        let record =
            rc_conform::run::cleanup::undo(&api, &admin, &ledger, &Default::default(), args.jobs)
                .await;
        anstream::println!(
            "cleanup of {}: {} step(s) undone",
            Utf8PathBuf::from(record.ledger.clone()),
            record.undone
        );
        for e in &record.errors {
            anstream::eprintln!("cleanup: {e}");
        }
        for l in &record.leftovers {
            anstream::eprintln!("left behind: {l}");
        }
        Ok(if record.errors.is_empty() && record.leftovers.is_empty() {
            Exit::Ok
        } else {
            Exit::Leftovers
        })
    })
}
