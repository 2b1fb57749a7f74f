//! The suite benchmark's figures: one measurement's times, and the tables made of them.

use std::fmt::Write as _;
use std::time::Duration;

use super::timing::{Took, median, ms, range};

/// One measurement at one setting.
pub(crate) struct Measured {
    /// `--jobs`.
    pub(crate) jobs: usize,
    /// Cases that ran (not skipped).
    pub(crate) cases: usize,
    /// Requests in the recorded run (the ones the replays send).
    pub(crate) recorded: usize,
    /// Requests the `rc-conform run` process counted in its `report.json`.
    pub(crate) process_requests: u64,
    /// `rc-conform run`, exec to exit.
    pub(crate) process: Duration,
    /// `rc-conform serve` started, the replay, the server stopped.
    pub(crate) process_replay: Duration,
    /// The run alone, in process.
    pub(crate) harness: Took,
    /// The replay alone, in process.
    pub(crate) replay: Took,
    /// `rc-conform --version`, exec to exit.
    pub(crate) exec: Duration,
    /// Loading the built-in specs and suite.
    pub(crate) load: Duration,
    /// Writing the four reports of the in-process run.
    pub(crate) reports: Duration,
    /// The Hurl side, when `hurl` is on PATH.
    pub(crate) hurl: Option<Duration>,
    /// HTTP requests by purpose, from the in-process run's report.
    pub(crate) requests: Vec<(String, u64)>,
}

/// `| median | range |` of the ratios `of` gives, one per run.
fn ratio_cells(all: &[Measured], of: impl Fn(&Measured) -> f64) -> String {
    let (lo, hi) = range(all.iter().map(&of));
    format!("{:.2} | {lo:.2}–{hi:.2}", median(all.iter().map(of)))
}

/// The median of a time over the runs, in milliseconds.
fn med(all: &[Measured], of: impl Fn(&Measured) -> Duration) -> f64 {
    median(all.iter().map(|m| ms(of(m))))
}

/// The tables of `settings` (each a setting's `n` runs).
pub(crate) fn render(n: usize, settings: &[Vec<Measured>], with_hurl: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{n} runs per setting, the sides alternating within each run; medians, and the range \
         of the per-run ratios (each run's harness against the replay made right after it).\n\n\
         **Whole process** (what a user waits for). `rc-conform run --jobs N`: exec to exit of \
         the release binary with the embedded server (start-up, loading the built-in suite, \
         starting the server, the run, writing report.json, junit.xml, summary.md and \
         report.html). Replay: spawn `rc-conform serve --port 0` and wait for its listening \
         line, build a runtime and a reqwest client, replay the recorded requests stage by \
         stage, kill the server and wait for its exit.\n\n\
         | jobs | cases | requests (run / replay) | `rc-conform run` | replay process | ratio | range |\n\
         |---:|---:|---:|---:|---:|---:|---:|"
    );
    for all in settings {
        let last = all.last().expect("a run");
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} | {:.0} ms | {:.0} ms | {} |",
            last.jobs,
            last.cases,
            last.process_requests,
            last.recorded,
            med(all, |m| m.process),
            med(all, |m| m.process_replay),
            ratio_cells(all, |m| m.process.as_secs_f64()
                / m.process_replay.as_secs_f64()),
        );
    }
    in_process_table(&mut out, settings);
    let _ = writeln!(
        out,
        "\n**Where the process's time goes** (medians, measured apart): exec to exit of \
         `rc-conform --version`; loading the built-in specs and suite, schemas compiled; the run in process; \
         writing the four reports of that run.\n\n\
         | jobs | `rc-conform run` | exec | load | run | reports | rest |\n\
         |---:|---:|---:|---:|---:|---:|---:|"
    );
    for all in settings {
        let parts = [
            med(all, |m| m.exec),
            med(all, |m| m.load),
            med(all, |m| m.harness.wall),
            med(all, |m| m.reports),
        ];
        let whole = med(all, |m| m.process);
        let _ = writeln!(
            out,
            "| {} | {whole:.0} ms | {:.1} ms | {:.1} ms | {:.0} ms | {:.1} ms | {:.0} ms |",
            all[0].jobs,
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            whole - parts.iter().sum::<f64>(),
        );
    }
    hurl_table(&mut out, settings, with_hurl);
    requests_table(&mut out, settings);
    out
}

/// The in-process pair.
fn in_process_table(out: &mut String, settings: &[Vec<Measured>]) {
    let _ = writeln!(
        out,
        "\n**In process** (the run alone against a server already listening, no loading, no \
         reports; the replay alone likewise; each on a current-thread runtime, the server on a \
         thread of its own, as the command runs); processor time of the whole bench process (the \
         in-process server's included) over the same stretches.\n\n\
         | jobs | harness | raw replay | ratio | range | processor time (harness / replay) |\n\
         |---:|---:|---:|---:|---:|---:|"
    );
    for all in settings {
        let _ = writeln!(
            out,
            "| {} | {:.0} ms | {:.0} ms | {} | {:.2} |",
            all[0].jobs,
            med(all, |m| m.harness.wall),
            med(all, |m| m.replay.wall),
            ratio_cells(all, |m| m.harness.wall.as_secs_f64()
                / m.replay.wall.as_secs_f64()),
            median(
                all.iter()
                    .map(|m| m.harness.cpu.as_secs_f64() / m.replay.cpu.as_secs_f64())
            ),
        );
    }
}

/// The Hurl side-by-side, or why there is none.
fn hurl_table(out: &mut String, settings: &[Vec<Measured>], with_hurl: bool) {
    if !with_hurl {
        let _ = writeln!(
            out,
            "\n**Hurl**: skipped, `hurl` is not on PATH (`cargo install hurl --locked`)."
        );
        return;
    }
    let _ = writeln!(
        out,
        "\n**Hurl** (`{}`): the recorded requests as Hurl files, status asserted, ids and tokens \
         captured from the answers where a later request sends them; per stage one `hurl \
         --test` of its run-level requests and one of its lanes (one file each, `--jobs N`; \
         lanes that send an id another lane of the stage captured, one step later), the \
         captures handed to the next stages as variables; timed like the replay process (the server's start and stop included).\n\n\
         | jobs | `rc-conform run` | Hurl | rc-conform / Hurl | range |\n|---:|---:|---:|---:|---:|",
        super::hurl::version()
    );
    for all in settings {
        let hurl = |m: &Measured| m.hurl.unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {:.0} ms | {:.0} ms | {} |",
            all[0].jobs,
            med(all, |m| m.process),
            med(all, hurl),
            ratio_cells(all, |m| m.process.as_secs_f64() / hurl(m).as_secs_f64()),
        );
    }
}

/// HTTP requests per case by purpose, from the last run at the last setting.
fn requests_table(out: &mut String, settings: &[Vec<Measured>]) {
    let Some(m) = settings.last().and_then(|all| all.last()) else {
        return;
    };
    let total: u64 = m.requests.iter().map(|(_, n)| n).sum();
    let per_case = |n: u64| n as f64 / m.cases as f64;
    let _ = writeln!(
        out,
        "\nHTTP requests per case ({} cases, {total} requests):\n\n\
         | purpose | requests | per case |\n|---|---:|---:|",
        m.cases
    );
    for (purpose, n) in &m.requests {
        let _ = writeln!(out, "| {purpose} | {n} | {:.2} |", per_case(*n));
    }
    let _ = writeln!(out, "| **all** | {total} | **{:.2}** |", per_case(total));
}
