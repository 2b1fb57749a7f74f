//! The whole suite against the reference server, at `--jobs 1` and at the default, compared
//! with a raw replay of the very same HTTP requests at the same concurrency (plain reqwest,
//! no planning, ledger, judging or reports), so the harness's own overhead shows; plus the
//! HTTP requests per case by purpose. `cargo bench --bench suite`; the figures also go to
//! `reports/bench/suite.md`. `RC_CONFORM_BENCH_RUNS` sets the paired runs per setting
//! (default 21).
//!
//! Wall time is the figure that counts, and the one a shared machine disturbs most; beside it,
//! the process's processor time over the same stretch (the server's included, which both sides
//! make work alike) shows the harness's own work with far less noise.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use rc_conform::reference::{ServerConfig, start};
use rc_conform::report::model::Verdict;
use rc_conform::run::{AdminCredentials, Interrupt, RunOptions, Target, run};
use rc_conform::spec::Specs;
use rc_conform::target::{RawExchange, Recording, Secret};
use serde_json::Value;

/// Ids and tokens the server chose in the recorded run → the ones it chooses in the replay,
/// learned by pairing the keys of each recorded answer's objects with the replayed one's.
#[derive(Default)]
struct IdMap(Mutex<HashMap<String, String>>);

impl IdMap {
    /// Learns from the objects of a recorded answer and its replayed twin. Not inside
    /// arrays: a listing may order ties differently in the replay, and pairing its entries by
    /// position would map ids crosswise; every id the replay needs comes from a creation or
    /// login answer, outside any array.
    fn learn(&self, old: &Value, new: &Value) {
        let (Value::Object(a), Value::Object(b)) = (old, new) else {
            return;
        };
        for (k, va) in a {
            let Some(vb) = b.get(k) else { continue };
            if let (Value::String(x), Value::String(y)) = (va, vb)
                && matches!(k.as_str(), "_id" | "rid" | "userId" | "authToken")
                && x != y
                && let Ok(mut map) = self.0.lock()
            {
                map.insert(x.clone(), y.clone());
            }
            self.learn(va, vb);
        }
    }

    /// `text` with every learned id or token replaced. Ids and tokens are whole runs of
    /// `[A-Za-z0-9_-]`, so one pass looks each run up (not one search of the text per id: the
    /// replay's own cost must stay small, or it would flatter the harness).
    fn apply(&self, text: &str) -> String {
        let Ok(map) = self.0.lock() else {
            return text.to_owned();
        };
        let is_token = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !is_token(c)).unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            out.push_str(map.get(run).map_or(run, String::as_str));
            let sep = tail.chars().next().map_or(0, char::len_utf8);
            out.push_str(&tail[..sep]);
            rest = &tail[sep..];
        }
        out
    }
}

/// One stage of a run: its run-level requests in order, and its lanes.
type Stage = (Vec<Recorded>, BTreeMap<usize, Vec<Recorded>>);

/// A recorded request with its recorded answer parsed (before the clock starts).
struct Recorded {
    raw: RawExchange,
    answer: Option<Value>,
}

/// Replays one request; whether its answer's status is the one the run got.
async fn replay_one(http: &reqwest::Client, base: &str, ids: &IdMap, recorded: &Recorded) -> bool {
    let r = &recorded.raw;
    let mut req = http.request(r.method.clone(), format!("{base}{}", ids.apply(&r.path)));
    for (name, value) in &r.headers {
        req = req.header(name, ids.apply(value));
    }
    if let Some((content_type, body)) = &r.body {
        req = req.body(ids.apply(body));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
    }
    let Ok(response) = req.send().await else {
        return r.status.is_none();
    };
    let same = r.status == Some(response.status().as_u16());
    let Ok(bytes) = response.bytes().await else {
        return false;
    };
    if let (Some(old), Ok(new)) = (&recorded.answer, serde_json::from_slice::<Value>(&bytes)) {
        ids.learn(old, &new);
    }
    same
}

/// The processor time of this process so far, every thread's (Linux: each thread's
/// `schedstat`, in nanoseconds), or zero where it cannot be read.
fn process_cpu() -> Duration {
    let threads = std::fs::read_dir("/proc/self/task").into_iter().flatten();
    let nanos = threads
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// Wall and processor time of one timed stretch.
#[derive(Clone, Copy)]
struct Took {
    wall: Duration,
    cpu: Duration,
}

/// Starts timing a stretch: its [`Took`] once `end` is called.
struct Timer(Instant, Duration);

impl Timer {
    fn start() -> Timer {
        Timer(Instant::now(), process_cpu())
    }

    fn end(self) -> Took {
        Took {
            wall: self.0.elapsed(),
            cpu: process_cpu().saturating_sub(self.1),
        }
    }
}

/// Replays `records` against `base` as the run made them: stage after stage; within a stage,
/// the run-level requests first, in order, then the lanes (a case's requests, or one of the
/// run's parallel reads) `jobs` at a time, each lane's requests in order.
/// Returns the time taken and the number of answers whose status differed from the run's.
async fn replay(records: Vec<RawExchange>, base: &str, jobs: usize) -> (Took, usize) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let ids = Arc::new(IdMap::default());
    let differing = Arc::new(AtomicUsize::new(0));
    let mut stages: BTreeMap<u32, Stage> = BTreeMap::new();
    for raw in records {
        let stage = stages.entry(raw.stage).or_default();
        let lane = raw.lane;
        let answer = raw
            .response
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let r = Recorded { raw, answer };
        match lane {
            Some(lane) => stage.1.entry(lane).or_default().push(r),
            None => stage.0.push(r),
        }
    }
    let timer = Timer::start();
    for (_, (run_level, lanes)) in stages {
        for r in &run_level {
            if !replay_one(&http, base, &ids, r).await {
                differing.fetch_add(1, Ordering::Relaxed);
            }
        }
        let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
        let mut tasks = tokio::task::JoinSet::new();
        for (_, requests) in lanes {
            let (http, ids, semaphore, base, differing) = (
                http.clone(),
                ids.clone(),
                semaphore.clone(),
                base.to_owned(),
                differing.clone(),
            );
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                for r in &requests {
                    if !replay_one(&http, &base, &ids, r).await {
                        differing.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        tasks.join_all().await;
    }
    (timer.end(), differing.load(Ordering::Relaxed))
}

struct Measured {
    jobs: usize,
    harness: Took,
    replay: Took,
    cases: usize,
    requests: Vec<(String, u64)>,
}

/// One run of the suite against a fresh reference server: its wall time and report.
async fn suite_run(
    specs: &Specs,
    suite: &rc_conform::case::Suite,
    jobs: usize,
    recording: Option<Recording>,
) -> (Took, rc_conform::report::model::RunReport) {
    let config = ServerConfig::default();
    let server = start(config.clone(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("server");
    let dir = tempfile::tempdir().expect("temp dir");
    let options = RunOptions {
        target: Target {
            url: server.url().to_owned(),
            admin: AdminCredentials::Password {
                user: config.admin_username.clone(),
                password: Secret::new(config.admin_password.clone()),
            },
            embedded: false,
            network: Default::default(),
        },
        filter: None,
        partition: None,
        jobs,
        report_dir: Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8"),
        timeout: Duration::from_secs(30),
        grant_settle: rc_conform::run::GrantSettle::Fixed(Duration::ZERO),
        bypass_rate_limit: false,
        keep_rate_limit: false,
        lock_timeout: Duration::from_secs(60),
        lock_stale_after: std::time::Duration::from_secs(60),
        allow_global_grants: false,
        strict: false,
        expectations: None,
        clients: rc_conform::run::ClientSelection::Never,
        gate_clients: false,
    };
    let timer = Timer::start();
    let outcome = run(
        suite,
        specs,
        &options,
        &rc_conform::run::new_run_id(),
        &Interrupt::default(),
        &|_| {},
        recording,
    )
    .await
    .expect("the run starts");
    let took = timer.end();
    server.shutdown().await;
    assert!(
        outcome
            .report
            .cases
            .iter()
            .all(|c| matches!(c.verdict, Verdict::Pass | Verdict::Skipped)),
        "the suite must pass against the reference server"
    );
    (took, outcome.report)
}

/// A recorded run (untimed: recording is the benchmark's cost, not the tool's) gives the
/// requests to replay; then a plain run is timed, and the replay of the recorded requests.
async fn measure(specs: &Specs, suite: &rc_conform::case::Suite, jobs: usize) -> Measured {
    let recording: Recording = Arc::default();
    let _ = suite_run(specs, suite, jobs, Some(recording.clone())).await;
    let records = std::mem::take(&mut *recording.lock().expect("recording"));
    let (harness, report) = suite_run(specs, suite, jobs, None).await;
    let fresh = start(
        ServerConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("server");
    let (replay, differing) = replay(records, fresh.url(), jobs).await;
    fresh.shutdown().await;
    // A replay that goes another way (ids not mapped, a request refused) would not be the
    // same work, and its time would say nothing about the harness.
    assert_eq!(
        differing, 0,
        "the replay must get the run's answers: {differing} status(es) differed"
    );
    let cases = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .count();
    Measured {
        jobs,
        harness,
        replay,
        cases,
        requests: report
            .requests
            .iter()
            .map(|r| (r.purpose.clone(), r.count))
            .collect(),
    }
}

/// Paired runs per setting: `RC_CONFORM_BENCH_RUNS`, else 21.
fn runs() -> usize {
    std::env::var("RC_CONFORM_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(21)
}

/// One setting's figures over its runs: the median harness and replay times, and the median
/// and range of the per-run ratios (each run's harness against the replay right after it, so
/// the machine's drift between runs cancels out), and the median ratio of processor time.
struct Summary {
    last: Measured,
    harness: Duration,
    replay: Duration,
    ratio: f64,
    ratio_range: (f64, f64),
    cpu_ratio: f64,
}

fn summarize(all: Vec<Measured>) -> Summary {
    let median = |of: fn(&Measured) -> f64| {
        let mut v: Vec<f64> = all.iter().map(of).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = |m: &Measured| m.harness.wall.as_secs_f64() / m.replay.wall.as_secs_f64();
    let range = all
        .iter()
        .map(ratio)
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let cpu_ratio = median(|m| m.harness.cpu.as_secs_f64() / m.replay.cpu.as_secs_f64());
    let harness = Duration::from_secs_f64(median(|m| m.harness.wall.as_secs_f64()));
    let replay = Duration::from_secs_f64(median(|m| m.replay.wall.as_secs_f64()));
    let ratio = median(ratio);
    Summary {
        harness,
        replay,
        ratio,
        ratio_range: range,
        cpu_ratio,
        last: all.into_iter().last().expect("at least one run"),
    }
}

fn main() {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let specs = Specs::load(&root.join("specs")).expect("specs");
    let suite = specs.load_cases(&root.join("cases")).expect("cases");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut out = String::new();
    runtime.block_on(async {
        // Warm up (connection setup, allocator, page cache) before measuring; then, per
        // setting, alternate harness and replay `runs()` times: single runs of a few hundred
        // milliseconds swing too much on a shared machine.
        for jobs in [1, 8] {
            let _ = measure(&specs, &suite, jobs).await;
        }
        let n = runs();
        let mut runs = Vec::new();
        for jobs in [1, 8] {
            let mut all = Vec::new();
            for _ in 0..n {
                all.push(measure(&specs, &suite, jobs).await);
            }
            runs.push(summarize(all));
        }
        out.push_str(&format!(
            "{n} runs per setting, each run's harness followed by its replay; medians, and the \
             range of the per-run ratios of wall time; processor time of the whole process \
             (the server's included) over the same stretches.\n\n\
             | jobs | cases | harness | raw replay | overhead (harness / replay) | range | \
             processor time (harness / replay) |\n|---:|---:|---:|---:|---:|---:|---:|\n"
        ));
        for s in &runs {
            out.push_str(&format!(
                "| {} | {} | {:.0} ms | {:.0} ms | {:.2} | {:.2}–{:.2} | {:.2} |\n",
                s.last.jobs,
                s.last.cases,
                s.harness.as_secs_f64() * 1e3,
                s.replay.as_secs_f64() * 1e3,
                s.ratio,
                s.ratio_range.0,
                s.ratio_range.1,
                s.cpu_ratio
            ));
        }
        let m = &runs[1].last;
        let total: u64 = m.requests.iter().map(|(_, n)| n).sum();
        out.push_str(&format!("\nHTTP requests per case ({} cases, {} requests):\n\n| purpose | requests | per case |\n|---|---:|---:|\n", m.cases, total));
        for (purpose, n) in &m.requests {
            out.push_str(&format!("| {purpose} | {n} | {:.2} |\n", *n as f64 / m.cases as f64));
        }
        out.push_str(&format!("| **all** | {total} | **{:.2}** |\n", total as f64 / m.cases as f64));
    });
    support::publish("suite", &out);
}
