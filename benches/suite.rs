//! What users wait for: the whole suite against the embedded reference server, timed as the
//! `rc-conform run` process (from exec to exit: start-up, loading the built-in suite, starting
//! the embedded server, the run, writing every report) beside a raw replay of the very same
//! HTTP requests that is equally whole (starting an `rc-conform serve` process and waiting
//! until it listens, the replay with plain reqwest, stopping the server); the same pair in
//! process (the run alone against the replay alone, each on a current-thread runtime with the
//! server on a thread of its own, as the command runs); where the process's time goes; and,
//! when `hurl` is on PATH, the same requests as Hurl files. `cargo bench --bench suite`; the
//! figures also go to `reports/bench/suite.md`. `RC_CONFORM_BENCH_RUNS` sets the paired runs
//! per setting (default 21).
//!
//! Wall time is the figure that counts, and the one a shared machine disturbs most; beside the
//! in-process pair, the process's processor time over the same stretch (the server's
//! included, which both sides make work alike) shows the harness's own work with less noise.

#[path = "support/suite/hurl.rs"]
mod hurl;
#[path = "support/suite/process.rs"]
mod process;
#[path = "support/suite/replay.rs"]
mod replay;
mod support;
#[path = "support/suite/tables.rs"]
mod tables;
#[path = "support/suite/timing.rs"]
mod timing;

use std::time::Duration;

use camino::Utf8PathBuf;
use rc_conform::built_in::Source;
use rc_conform::case::Suite;
use rc_conform::reference::{ServerConfig, start_apart};
use rc_conform::report::model::Verdict;
use rc_conform::spec::Specs;
use rc_conform::target::RawExchange;

use process::{Serve, in_process, record, run_args, run_process};
use tables::Measured;
use timing::{Timer, Took};

/// A fresh in-process reference server with the default configuration, on a thread of its
/// own as the command starts it, and its target as the command makes it.
async fn fresh_server() -> (
    rc_conform::reference::RunningServer,
    rc_conform::run::Target,
) {
    let config = ServerConfig::default();
    let server = start_apart(config.clone(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("server");
    let target = rc_conform::run::Target::embedded(server.url(), &config);
    (server, target)
}

/// The in-process pair: the run alone (no loading, no reports) against a fresh server, then
/// the replay alone against another; and the time `write_all` takes for the run's reports.
async fn in_process_pair(
    specs: &Specs,
    suite: &Suite,
    jobs: usize,
    records: &[RawExchange],
) -> (Took, Took, Duration, usize, Vec<(String, u64)>) {
    let args = run_args(&["--jobs", &jobs.to_string()]);
    let (server, target) = fresh_server().await;
    let (harness, report) = in_process(specs, suite, &args, target, None).await;
    server.shutdown().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let timer = Timer::start();
    rc_conform::report::render::write_all(&dir, &report).expect("reports");
    let reports = timer.end().wall;
    let (fresh, _) = fresh_server().await;
    let stages = replay::stages(records);
    let timer = Timer::start();
    let differing = replay::replay(stages, fresh.url(), jobs).await;
    let replayed = timer.end();
    fresh.shutdown().await;
    // A replay that goes another way (ids not mapped, a request refused) would not be the
    // same work, and its time would say nothing about the harness.
    assert_eq!(differing, 0, "the replay must get the run's answers");
    let cases = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .count();
    let requests = report
        .requests
        .iter()
        .map(|r| (r.purpose.clone(), r.count))
        .collect();
    (harness, replayed, reports, cases, requests)
}

/// The whole replay: start `rc-conform serve` and wait until it listens, build a runtime and
/// a client, replay, stop the server; from the spawn to the server's exit.
fn process_replay(records: &[RawExchange], jobs: usize) -> Duration {
    let stages = replay::stages(records);
    let timer = Timer::start();
    let serve = Serve::start(&[]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let differing = runtime.block_on(replay::replay(stages, &serve.url, jobs));
    drop(runtime);
    serve.stop();
    let wall = timer.end().wall;
    assert_eq!(differing, 0, "the replay must get the run's answers");
    wall
}

/// Exec to exit of `rc-conform --version`: what starting the binary costs at all.
fn exec_floor() -> Duration {
    let timer = Timer::start();
    let status = std::process::Command::new(process::BINARY)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("rc-conform starts");
    assert!(status.success());
    timer.end().wall
}

/// Loading the built-in specs and suite, as `run` does before anything else (the case files
/// parsed while the specs load), and compiling the schemas, which the command does beside
/// the run's first requests: timed here with the loading, so that the row keeps counting it.
fn load_built_in() -> (Duration, Specs, Suite) {
    let timer = Timer::start();
    let (specs, suite) =
        Specs::load_with_cases(&Source::built_in_specs(), &Source::built_in_cases())
            .expect("specs")
            .expect("cases");
    specs
        .schemas
        .compile_all()
        .expect("the built-in schemas compile");
    (timer.end().wall, specs, suite)
}

/// One measurement at `jobs`: a recorded run gives the requests; then, alternating, the
/// process pair, the in-process pair, the breakdown and (when `hurl` is on PATH) Hurl.
fn measure(runtime: &tokio::runtime::Runtime, jobs: usize, with_hurl: bool) -> Measured {
    let (load, specs, suite) = load_built_in();
    let args = run_args(&["--jobs", &jobs.to_string()]);
    let records = runtime.block_on(async {
        let (server, target) = fresh_server().await;
        let records = record(&specs, &suite, &args, target).await;
        server.shutdown().await;
        records
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let (process, process_requests) = run_process(&["--jobs", &jobs.to_string()], &dir);
    let process_replay = process_replay(&records, jobs);
    // As the command runs: the harness (and the replay) on a current-thread runtime, the
    // server on its own thread.
    let (harness, replayed, reports, cases, requests) =
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(in_process_pair(&specs, &suite, jobs, &records));
    let hurl = with_hurl.then(|| hurl::whole(&records, jobs, &[]));
    Measured {
        jobs,
        cases,
        recorded: records.len(),
        process_requests,
        process,
        process_replay,
        harness,
        replay: replayed,
        exec: exec_floor(),
        load,
        reports,
        hurl,
        requests,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let with_hurl = hurl::available();
    // Warm up (page cache, allocator, connection setup) before measuring; then, per setting,
    // alternate the sides `runs` times: single runs of a few hundred milliseconds swing too
    // much on a shared machine.
    for jobs in [1, 8] {
        let _ = measure(&runtime, jobs, with_hurl);
    }
    let n = timing::runs(21);
    let mut settings = Vec::new();
    for jobs in [1, 8] {
        settings.push((0..n).map(|_| measure(&runtime, jobs, with_hurl)).collect());
    }
    let out = tables::render(n, &settings, with_hurl);
    support::publish("suite", &out);
}
