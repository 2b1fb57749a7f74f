//! The `run` and `cleanup` commands: wiring flags, Ctrl-C, terminal output and report files
//! around the library's runner.

use anyhow::Context as _;
use camino::Utf8PathBuf;
use rc_conform::check::Specs;
use rc_conform::cli::run::{CleanupArgs, RunArgs};
use rc_conform::exit::Exit;
use rc_conform::report::model::{CaseRecord, RunReport, Verdict};
use rc_conform::run::ledger::{Entry, Ledger};
use rc_conform::run::{Interrupt, RunError};
use rc_conform::target::api::Api;
use rc_conform::target::{Client, ClientConfig, Purpose, Redactor};

fn verdict_label(v: Verdict) -> anstyle::Style {
    use anstyle::{AnsiColor, Style};
    let color = match v {
        Verdict::Pass | Verdict::ExpectedFail => AnsiColor::Green,
        Verdict::Flaky | Verdict::Skipped => AnsiColor::Yellow,
        Verdict::Fail | Verdict::UnexpectedPass | Verdict::Error => AnsiColor::Red,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

fn print_case(r: &CaseRecord, verbose: bool) {
    let style = verdict_label(r.verdict);
    anstream::println!(
        "{style}{:>15}{style:#} {} ({} ms)",
        r.verdict.name().to_uppercase(),
        r.id,
        r.duration_ms
    );
    if verbose
        || matches!(
            r.verdict,
            Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass
        )
    {
        if let Some(reason) = &r.reason {
            anstream::println!("                {reason}");
        }
        for (i, c) in r.calls.iter().enumerate() {
            for m in &c.mismatches {
                anstream::println!("                call {i}: {m}");
            }
            for v in &c.schema_violations {
                anstream::println!(
                    "                call {i}: schema {}: {} {}",
                    v.schema,
                    if v.pointer.is_empty() {
                        "(root)"
                    } else {
                        &v.pointer
                    },
                    v.message
                );
            }
        }
    }
}

fn summary(report: &RunReport) -> String {
    let t = &report.totals;
    format!(
        "{} passed, {} failed, {} errors, {} flaky, {} expected failures, {} unexpected passes, {} skipped",
        t.pass, t.fail, t.error, t.flaky, t.expected_fail, t.unexpected_pass, t.skipped
    )
}

/// `rc-conform run`.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<Exit> {
    let run_id = rc_conform::run::new_run_id();
    let options = match args.options(&run_id) {
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
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let interrupt = Interrupt::default();
    let quiet = args.quiet;
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
        let progress = move |r: &CaseRecord| {
            if !quiet {
                print_case(r, verbose);
            }
        };
        rc_conform::run::run(&suite, &specs, &options, &run_id, &interrupt, &progress).await
    });
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
    let report = &outcome.report;
    rc_conform::report::json::write(&options.report_dir, report)
        .with_context(|| format!("writing the report into {}", options.report_dir))?;
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
    anstream::println!("report: {}", options.report_dir.join("report.json"));
    let cleanup = &report.cleanup;
    for e in &cleanup.errors {
        anstream::eprintln!("cleanup: {e}");
    }
    for l in &cleanup.leftovers {
        anstream::eprintln!("left behind: {l}");
    }
    let ran = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .count();
    Ok(if outcome.interrupted {
        Exit::Interrupted
    } else if !cleanup.leftovers.is_empty() || !cleanup.errors.is_empty() {
        Exit::Leftovers
    } else if ran == 0 {
        anstream::eprintln!("no case was selected");
        Exit::NoCases
    } else if report.cases.iter().any(|c| c.verdict.fails_gate()) {
        Exit::Failures
    } else {
        Exit::Ok
    })
}

/// `rc-conform cleanup --ledger FILE`.
pub(crate) fn cleanup(args: CleanupArgs) -> anyhow::Result<Exit> {
    let entries = match Ledger::read(&args.ledger) {
        Ok(e) => e,
        Err(e) => {
            anstream::eprintln!("error: {e}");
            return Ok(Exit::BadInput);
        }
    };
    let target = args.target.clone().or_else(|| {
        entries.iter().find_map(|e| match e {
            Entry::Run { target, .. } => Some(target.clone()),
            _ => None,
        })
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
        let ledger = Ledger::create(&args.ledger)?;
        let record =
            rc_conform::run::cleanup::undo(&api, &admin, &ledger, &Default::default()).await;
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
