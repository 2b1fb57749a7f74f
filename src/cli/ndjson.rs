//! The machine-readable event stream of `rc-conform run --message-format ndjson`: one JSON
//! object per line on stdout as the run goes (`run-started`, `case-started`, `case-finished`,
//! `client-finished`, `cleanup-finished`, `run-finished`), each with its `event` name and an RFC 3339 `time`.
//! `specs/events.schema.json` describes every event; the names and fields are stable, as
//! cargo's `--message-format json` messages are. In this mode nothing else goes to stdout:
//! the human summary moves to stderr, where warnings and errors already are.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use camino::Utf8PathBuf;
use serde::Serialize;

use super::terminal::{Terminal, Verbosity};
use crate::exit::Exit;
use crate::report::model::{
    CaseRecord, CleanupRecord, ClientStatus, Conformance, Effect, RunReport,
};
use crate::run::{Event, RunStart};
use crate::spec::levels::Level;
use crate::verdict::{Totals, Verdict};

/// How `run` reports on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Lines for people: progress, a line per case, the summary.
    #[default]
    Human,
    /// One JSON event per line (newline-delimited JSON); the summary goes to stderr.
    Ndjson,
}

/// One line of the stream. The variant names are the `event` values.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
enum Line<'a> {
    RunStarted {
        time: String,
        #[serde(flatten)]
        start: RunStart<'a>,
    },
    CaseStarted {
        time: String,
        id: &'a str,
    },
    CaseFinished {
        time: String,
        id: &'a str,
        verdict: Verdict,
        duration_ms: u64,
        reason: Option<&'a str>,
        mismatches: Vec<MismatchLine<'a>>,
    },
    ClientFinished {
        time: String,
        id: &'a str,
        name: &'a str,
        source: &'a str,
        status: ClientStatus,
        details: &'a str,
    },
    CleanupFinished {
        time: String,
        undone: usize,
        errors: &'a [String],
        leftovers: &'a [String],
        unverified: &'a [String],
    },
    RunFinished {
        time: String,
        run_id: &'a str,
        exit_code: u8,
        interrupted: bool,
        totals: &'a Totals,
        conformance: &'a Conformance,
        reports: &'a [Utf8PathBuf],
    },
}

/// A mismatch of a finished case: the call it belongs to and its one-line text.
#[derive(Debug, Serialize)]
struct MismatchLine<'a> {
    call: usize,
    level: Level,
    effect: Effect,
    text: &'a str,
}

/// The event stream on stdout.
#[derive(Debug, Default)]
pub(super) struct EventStream {
    broken: AtomicBool,
}

impl EventStream {
    /// Writes the line of one run event.
    pub(super) fn event(&self, event: Event<'_>) {
        let time = now();
        let line = match event {
            Event::Started(start) => Line::RunStarted { time, start },
            Event::CaseStarted { id } => Line::CaseStarted { time, id },
            Event::CaseFinished(record) => case_finished(time, record),
            Event::ClientFinished(client) => Line::ClientFinished {
                time,
                id: &client.id,
                name: &client.name,
                source: &client.source,
                status: client.status,
                details: &client.details,
            },
            Event::CleanupFinished(cleanup) => cleanup_finished(time, cleanup),
        };
        self.write(&line);
    }

    /// Writes `run-finished`: the exit code the run stands for, its totals and figures, and
    /// the report files written.
    pub(super) fn finished(&self, report: &RunReport, exit: Exit, reports: &[Utf8PathBuf]) {
        self.write(&Line::RunFinished {
            time: now(),
            run_id: &report.run.run_id,
            exit_code: exit.code(),
            interrupted: report.run.interrupted,
            totals: &report.totals,
            conformance: &report.conformance,
            reports,
        });
    }

    /// One line, written and flushed at once so that a reader sees each event as it happens.
    /// A closed stdout does not stop the run (cleanup still has to happen): it is said once.
    fn write(&self, line: &Line<'_>) {
        let Ok(mut text) = serde_json::to_string(line) else {
            return;
        };
        text.push('\n');
        let mut out = std::io::stdout().lock();
        let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        if let Err(e) = written
            && !self.broken.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("the event stream could not be written to stdout: {e}");
        }
    }
}

fn case_finished(time: String, record: &CaseRecord) -> Line<'_> {
    let mismatches = record
        .calls
        .iter()
        .enumerate()
        .flat_map(|(call, c)| {
            c.mismatches.iter().map(move |m| MismatchLine {
                call,
                level: m.level,
                effect: m.effect,
                text: &m.text,
            })
        })
        .collect();
    Line::CaseFinished {
        time,
        id: &record.id,
        verdict: record.verdict,
        duration_ms: record.duration_ms,
        reason: record.reason.as_deref(),
        mismatches,
    }
}

fn cleanup_finished(time: String, cleanup: &CleanupRecord) -> Line<'_> {
    Line::CleanupFinished {
        time,
        undone: cleanup.undone,
        errors: &cleanup.errors,
        leftovers: &cleanup.leftovers,
        unverified: &cleanup.unverified,
    }
}

fn now() -> String {
    crate::report::model::rfc3339(std::time::SystemTime::now())
}

/// What watches a run as it goes: the terminal view, or the event stream.
pub(super) enum LiveView {
    /// Progress and case lines for people.
    Terminal(Terminal),
    /// One JSON event per line.
    Events(EventStream),
}

impl LiveView {
    /// The view `format` asks for.
    pub(super) fn new(format: MessageFormat, shown: Verbosity) -> LiveView {
        match format {
            MessageFormat::Human => LiveView::Terminal(Terminal::new(shown)),
            MessageFormat::Ndjson => LiveView::Events(EventStream::default()),
        }
    }

    /// Shows one event of the run.
    pub(super) fn event(&self, event: Event<'_>) {
        match self {
            LiveView::Terminal(terminal) => terminal.event(event),
            LiveView::Events(stream) => stream.event(event),
        }
    }

    /// Ends the live part (clears the progress bar).
    pub(super) fn finish(&self) {
        if let LiveView::Terminal(terminal) = self {
            terminal.finish();
        }
    }
}

/// Prints one line of the human summary: to stdout, or to stderr when stdout carries the
/// event stream.
pub(super) fn summary_line(format: MessageFormat, text: std::fmt::Arguments<'_>) {
    match format {
        MessageFormat::Human => anstream::println!("{text}"),
        MessageFormat::Ndjson => anstream::eprintln!("{text}"),
    }
}
