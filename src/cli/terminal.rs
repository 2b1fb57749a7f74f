//! The live view of a run on the terminal: one plain line per case when stdout is not a
//! terminal (CI logs); on a terminal a progress bar, with a line above it for each case that
//! did not simply pass. It shows records as the run decided them and decides nothing.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::model::{CaseRecord, ClientRecord, ClientStatus, Effect, RunReport};
use crate::report::render::effect_label;
use crate::run::Event;
use crate::verdict::Verdict;

/// How much the terminal shows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Verbosity {
    /// The summary only.
    pub(super) quiet: bool,
    /// Every case with its details.
    pub(super) verbose: bool,
    /// Whether non-strict cases fail the run (they are shown as failures then).
    pub(super) strict: bool,
}

/// The terminal view of one run.
pub(super) struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    shown: Verbosity,
}

impl Terminal {
    /// A view that shows what `shown` asks for.
    pub(super) fn new(shown: Verbosity) -> Terminal {
        Terminal {
            bar: Mutex::new(None),
            shown,
        }
    }

    /// Shows one event of the run.
    pub(super) fn event(&self, event: Event<'_>) {
        match event {
            Event::Started(start) => self.start(start.selected),
            Event::CaseFinished(record) => self.case(record),
            Event::ClientFinished(client) => self.client(client),
            Event::CaseStarted { .. } | Event::CleanupFinished(_) => {}
        }
    }

    fn start(&self, selected: usize) {
        if self.shown.quiet || !std::io::stdout().is_terminal() {
            return;
        }
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(selected).unwrap_or(u64::MAX)),
            ProgressDrawTarget::stdout(),
        );
        let style = ProgressStyle::with_template(
            "{spinner} {pos}/{len} cases [{bar:30}] {elapsed} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn case(&self, record: &CaseRecord) {
        let bar = self.bar.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(record.id.to_string());
                if self.shown.verbose || record.verdict != Verdict::Pass {
                    bar.suspend(|| print_case(record, self.shown));
                }
            }
            None if !self.shown.quiet => print_case(record, self.shown),
            None => {}
        }
    }

    fn client(&self, client: &ClientRecord) {
        let bar = self.bar.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| print_client(client)),
            None if !self.shown.quiet => print_client(client),
            None => {}
        }
    }

    /// Clears the progress bar.
    pub(super) fn finish(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

fn print_case(r: &CaseRecord, shown: Verbosity) {
    let style = anstyle::Style::new()
        .fg_color(Some(r.verdict.color().into()))
        .bold();
    anstream::println!(
        "{style}{:>15}{style:#} {} ({} ms)",
        r.verdict.name().to_uppercase(),
        r.id,
        r.duration_ms
    );
    if shown.verbose || r.verdict.fails_gate(shown.strict) || r.verdict == Verdict::NonStrict {
        if let Some(reason) = &r.reason {
            anstream::println!("                {reason}");
        }
        for (i, c) in r.calls.iter().enumerate() {
            for m in &c.mismatches {
                let tag = match m.effect {
                    Effect::Fails => String::new(),
                    other => format!(" [{}]", effect_label(other)),
                };
                anstream::println!("                call {i}: {}{tag}", m.text);
            }
        }
    }
}

fn print_client(c: &ClientRecord) {
    let color = match c.status {
        ClientStatus::Ok => anstyle::AnsiColor::Green,
        ClientStatus::Broken => anstyle::AnsiColor::Red,
        ClientStatus::NotRun => anstyle::AnsiColor::Yellow,
    };
    let style = anstyle::Style::new().fg_color(Some(color.into())).bold();
    let status = format!("client {}", c.status.name()).to_uppercase();
    anstream::println!("{style}{status:>15}{style:#} {}", c.name);
    if c.status != ClientStatus::Ok {
        anstream::println!("                {}", c.details);
    }
}

/// The clients line of the summary (`clients: 4 ok, 1 broken (Rocket.Chat Go SDK)`), when
/// the run has client profiles.
pub(super) fn clients_summary(report: &RunReport) -> Option<String> {
    if report.clients.is_empty() {
        return None;
    }
    let (ok, broken, not_run) = crate::report::clients::counts(report);
    let names: Vec<&str> = report.broken_clients().map(|c| c.name.as_str()).collect();
    let named = if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    };
    let gate = if report.run.gate_clients {
        "they fail the run (--gate-clients)"
    } else {
        "reported, not gated (--gate-clients gates them)"
    };
    Some(format!(
        "clients: {ok} ok, {broken} broken{named}, {not_run} not run; {gate}"
    ))
}

/// The one-line totals of a report, with its conformance figures.
pub(super) fn summary(report: &RunReport) -> String {
    let c = &report.conformance;
    let line = c.line.as_deref().map_or_else(
        || "Rocket.Chat (no line: contract only)".to_owned(),
        |l| format!("Rocket.Chat {l}"),
    );
    let interrupted = if report.run.interrupted {
        format!("{}; ", crate::report::render::heading_text(report))
    } else {
        String::new()
    };
    format!(
        "{interrupted}{}; contract {}/{}, exact agreement with {line} {}/{}",
        report.totals.line(),
        c.contract,
        c.judged,
        c.exact,
        c.judged
    )
}
