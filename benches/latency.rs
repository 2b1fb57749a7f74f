//! What the harness adds beyond the round trips a run cannot avoid: the whole suite as an
//! `rc-conform run` process (exec to exit, reports written) against an `rc-conform serve
//! --latency-ms N` process (every answer N ms late, an emulated network round trip), against
//! the critical-path floor: the run's sequential depth in requests × N. The depth comes from
//! the run's own structure, recorded in process against a server with the same latency: per
//! stage, its run-level requests one after another, then the longer of its longest lane and
//! its lane requests spread over `--jobs` lanes. Beside it, the raw replay of the recorded
//! requests (plain reqwest, stage by stage) against a fresh server of the same kind, and, when
//! `hurl` is on PATH, the same requests as Hurl files. The servers start before the clock:
//! this is a run against a server that is already up.
//!
//! `cargo bench --bench latency`; the figures also go to `reports/bench/latency.md`.
//! `RC_CONFORM_BENCH_RUNS` sets the runs (default 5), `RC_CONFORM_BENCH_LATENCY_MS` the round
//! trip (default 20), `RC_CONFORM_BENCH_JOBS` the lanes (default 8).

#[path = "support/suite/hurl.rs"]
mod hurl;
#[path = "support/suite/process.rs"]
mod process;
#[path = "support/suite/replay.rs"]
mod replay;
mod support;
#[path = "support/suite/timing.rs"]
mod timing;

use std::fmt::Write as _;
use std::time::Duration;

use camino::Utf8PathBuf;
use rc_conform::built_in::Source;
use rc_conform::reference::{ServerConfig, start};
use rc_conform::spec::Specs;
use rc_conform::target::RawExchange;

use process::{Serve, given_target, record, run_args, run_process};
use timing::{Timer, median, ms, range};

/// A setting from the environment, else `default`.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// `run`'s flags against `url` with the serve default admin, `jobs` lanes.
fn flags(url: &str, jobs: usize) -> Vec<String> {
    [
        "--target",
        url,
        "--admin-user",
        "rc-admin",
        "--admin-password",
        "rc-admin-password",
        "--jobs",
        &jobs.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The requests of one in-process run against an in-process server answering `latency` late.
fn recorded(latency: Duration, jobs: usize) -> Vec<RawExchange> {
    let specs = Specs::load_from(&Source::built_in_specs()).expect("specs");
    let suite = specs
        .load_cases_from(&Source::built_in_cases())
        .expect("cases");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = ServerConfig {
            latency,
            ..ServerConfig::default()
        };
        let server = start(config, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("server");
        let flags = flags(server.url(), jobs);
        let args = run_args(&flags.iter().map(String::as_str).collect::<Vec<_>>());
        let records = record(&specs, &suite, &args, given_target(&args)).await;
        server.shutdown().await;
        records
    })
}

/// One run of each side.
struct Sides {
    /// `rc-conform run`, exec to exit.
    run: Duration,
    /// The requests its `report.json` counts.
    requests: u64,
    /// The raw replay.
    replay: Duration,
    /// Hurl, when it is on PATH.
    hurl: Option<Duration>,
}

/// One run of each side, each against a fresh `serve --latency-ms N` (started untimed).
fn measure(
    serve: &[&str],
    records: &[RawExchange],
    jobs: usize,
    plan: Option<&hurl::Plan>,
) -> Sides {
    let server = Serve::start(serve);
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let flags = flags(&server.url, jobs);
    let (run, requests) = run_process(&flags.iter().map(String::as_str).collect::<Vec<_>>(), &dir);
    server.stop();
    let server = Serve::start(serve);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stages = replay::stages(records);
    let timer = Timer::start();
    let differing = runtime.block_on(replay::replay(stages, &server.url, jobs));
    let replayed = timer.end().wall;
    server.stop();
    assert_eq!(differing, 0, "the replay must get the run's answers");
    let hurl = plan.map(|plan| {
        let server = Serve::start(serve);
        let timer = Timer::start();
        hurl::run(plan, &server.url, jobs);
        let took = timer.end().wall;
        server.stop();
        took
    });
    Sides {
        run,
        requests,
        replay: replayed,
        hurl,
    }
}

fn main() {
    let latency = setting("RC_CONFORM_BENCH_LATENCY_MS", 20);
    let jobs = setting("RC_CONFORM_BENCH_JOBS", 8) as usize;
    let n = timing::runs(5);
    let records = recorded(Duration::from_millis(latency), jobs);
    let stages = replay::stages(&records);
    let depth = replay::depth(&stages, jobs);
    let floor = Duration::from_millis(depth as u64 * latency);
    let overlapping = replay::interleaved(&records);
    let plan = hurl::available().then(|| hurl::plan(&records));
    let latency_flag = latency.to_string();
    let serve = ["--latency-ms", latency_flag.as_str()];
    let all: Vec<_> = (0..n)
        .map(|_| measure(&serve, &records, jobs, plan.as_ref()))
        .collect();
    let cell = |of: fn(&Sides) -> Option<Duration>| {
        let ratios = || {
            all.iter()
                .filter_map(of)
                .map(|d| d.as_secs_f64() / floor.as_secs_f64())
        };
        let (lo, hi) = range(ratios());
        let wall = median(all.iter().filter_map(of).map(ms));
        format!(
            "{:.2} s | {:.2} ({lo:.2}–{hi:.2})",
            wall / 1e3,
            median(ratios())
        )
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{n} runs, `--jobs {jobs}`, every answer {latency} ms late (`rc-conform serve \
         --latency-ms {latency}`, a process of its own, started before the clock for each side). \
         `rc-conform run --target …`: exec to exit, every report written. Floor: the run's \
         sequential depth ({depth} requests: per stage, its run-level requests, then the longer \
         of its longest lane and its lane requests over {jobs} lanes; {} stages, {} requests \
         recorded, {} run-level request(s) completed amid a stage's lanes) × {latency} ms. \
         Medians, and the range of wall / floor.\n\n\
         | side | wall | wall / floor (range) |\n|---|---:|---:|\n\
         | floor | {:.2} s | 1.00 |\n| `rc-conform run` ({} requests) | {} |\n| raw replay | {} |",
        stages.len(),
        records.len(),
        overlapping,
        floor.as_secs_f64(),
        median(all.iter().map(|s| s.requests as f64)),
        cell(|s| Some(s.run)),
        cell(|s| Some(s.replay)),
    );
    match &plan {
        Some(_) => {
            let _ = writeln!(
                out,
                "| Hurl (`{}`) | {} |",
                hurl::version(),
                cell(|s| s.hurl)
            );
            let ratios = all
                .iter()
                .filter_map(|s| Some(s.run.as_secs_f64() / s.hurl?.as_secs_f64()));
            let (lo, hi) = range(ratios.clone());
            let _ = writeln!(
                out,
                "\nrc-conform / Hurl: {:.2} ({lo:.2}–{hi:.2})",
                median(ratios)
            );
        }
        None => {
            let _ = writeln!(out, "\nHurl: skipped, `hurl` is not on PATH.");
        }
    }
    support::publish("latency", &out);
}
