//! Runs of the suite as the benchmarks make them: in process (the library's run, with the
//! options the command line would give it) and as whole processes of the release binary
//! (`rc-conform run`, `rc-conform serve`).
#![allow(dead_code)] // shared by the suite and latency benchmarks; each uses part of it

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use clap::Parser;
use rc_conform::case::Suite;
use rc_conform::cli::run::{Destination, RunArgs};
use rc_conform::report::model::{RunReport, Verdict};
use rc_conform::run::{Interrupt, RunOptions, Target};
use rc_conform::spec::Specs;
use rc_conform::target::{RawExchange, Recording};

use super::timing::{Timer, Took};

/// The release binary the benchmark was built with.
pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_rc-conform");

/// `rc-conform run`'s flags, parsed as the command parses them.
#[derive(Parser)]
struct RunCommand {
    #[command(flatten)]
    run: RunArgs,
}

/// The flags of `rc-conform run ARGS…`.
pub(crate) fn run_args(args: &[&str]) -> RunArgs {
    RunCommand::try_parse_from(std::iter::once("run").chain(args.iter().copied()))
        .expect("run flags")
        .run
}

/// The target of `args` (`--target` and its credentials), as the command resolves it.
pub(crate) fn given_target(args: &RunArgs) -> Target {
    match args.destination().expect("a usable destination") {
        Destination::Target {
            url,
            admin,
            network,
        } => Target {
            url,
            admin,
            embedded: false,
            network,
        },
        Destination::Embedded(_) => panic!("the flags name no --target"),
    }
}

/// One in-process run of the suite against `target` with the options `args` give (reports
/// into a temporary directory): its time (the run alone: no loading, no report files) and
/// its report. Asserts that every case passed or was skipped.
pub(crate) async fn in_process(
    specs: &Specs,
    suite: &Suite,
    args: &RunArgs,
    target: Target,
    recording: Option<Recording>,
) -> (Took, RunReport) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run_id = rc_conform::run::new_run_id();
    let mut options: RunOptions = args.options(target, &run_id).expect("run options");
    options.report_dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let timer = Timer::start();
    let outcome = rc_conform::run::run(
        suite,
        specs,
        &options,
        &run_id,
        &Interrupt::default(),
        &|_| {},
        recording,
    )
    .await
    .expect("the run starts");
    let took = timer.end();
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

/// The requests of one in-process run (recorded, untimed: recording is the benchmark's
/// cost, not the tool's).
pub(crate) async fn record(
    specs: &Specs,
    suite: &Suite,
    args: &RunArgs,
    target: Target,
) -> Vec<RawExchange> {
    let recording: Recording = Arc::default();
    let _ = in_process(specs, suite, args, target, Some(recording.clone())).await;
    std::mem::take(&mut *recording.lock().expect("recording"))
}

/// Runs `rc-conform run ARGS… --report-dir DIR -q` from exec to exit; asserts it exited 0
/// and wrote its reports. Returns its wall time and the requests its `report.json` counts.
pub(crate) fn run_process(args: &[&str], dir: &Utf8Path) -> (Duration, u64) {
    let timer = Timer::start();
    let status = Command::new(BINARY)
        .arg("run")
        .args(args)
        .args(["--report-dir", dir.as_str(), "-q"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("rc-conform run starts");
    let wall = timer.end().wall;
    assert!(status.success(), "rc-conform run {args:?}: {status}");
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(dir.join(file).is_file(), "rc-conform run wrote no {file}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("read"))
            .expect("report.json");
    let requests = report["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["count"].as_u64())
        .sum();
    (wall, requests)
}

/// `rc-conform serve` as a process of its own, on a free port.
pub(crate) struct Serve {
    child: Child,
    /// Its root URL.
    pub(crate) url: String,
}

impl Serve {
    /// Starts `rc-conform serve --port 0 ARGS…` and waits for the line that says where it
    /// listens (it listens from then on).
    pub(crate) fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(BINARY)
            .args(["serve", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rc-conform serve starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read");
        let url = line
            .split_once("listening on ")
            .and_then(|(_, rest)| rest.split(';').next())
            .expect("serve says where it listens")
            .trim()
            .to_owned();
        Serve { child, url }
    }

    /// Stops the server and waits for its exit.
    pub(crate) fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
