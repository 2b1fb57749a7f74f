//! The runner end to end, as a user runs it: the `rc-conform` binary against a reference
//! server started here on a free loopback port, with the server's state compared before and
//! after through its REST API (users, rooms, roles, permission grants).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rc_conform::reference::{RunningServer, ServerConfig, start};
use serde_json::Value;

use crate::server_snapshot::{ADMIN, PASSWORD, snapshot};

async fn server(test_mode: bool) -> RunningServer {
    let config = ServerConfig {
        test_mode,
        ..ServerConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts")
}

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET");
    cmd
}

fn run_against(url: &str, report_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.args(["run", "--target", url, "--report-dir"])
        .arg(report_dir)
        .args(["--grant-settle-ms", "0"])
        .args(extra);
    cmd.env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD);
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report");
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_production_mode_passes_and_leaves_the_server_as_it_was() {
    let server = server(false).await;
    let before = snapshot(server.url()).await;
    let (_dir, report) = temp();
    let out = output(run_against(server.url(), &report, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(" 0 failed"),
        "{}",
        text(&out)
    );
    assert_eq!(snapshot(server.url()).await, before);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(report.join("report.json")).expect("report.json"),
    )
    .expect("JSON report");
    assert!(
        report["run"]["preflight"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("password fallback")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_test_mode_passes_and_leaves_the_server_as_it_was() {
    let server = server(true).await;
    let before = snapshot(server.url()).await;
    let (_dir, report) = temp();
    let out = output(run_against(server.url(), &report, &[])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_against_one_server_both_pass() {
    let server = server(false).await;
    let before = snapshot(server.url()).await;
    let ((_a, ra), (_b, rb)) = (temp(), temp());
    let (first, second) = tokio::join!(
        output(run_against(server.url(), &ra, &[])),
        output(run_against(server.url(), &rb, &[]))
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert_eq!(snapshot(server.url()).await, before);
}

/// Waits until the run's ledger shows a permission grant (the run is in the middle of its
/// cases, holding a grant), or panics after 60 s.
fn wait_for_grant(child: &mut Child, ledger: &Path) {
    let started = Instant::now();
    loop {
        if std::fs::read_to_string(ledger).is_ok_and(|t| t.contains("\"entry\":\"permission\"")) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended before it reached a grant: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no grant in the ledger after 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`-INT`, `-TERM`) with the shell's built-in `kill`: `/usr/bin/kill` comes
/// from procps, which slim images lack, while `sh` is everywhere.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("sh")
        .args([
            "-c",
            "kill \"$1\" \"$2\"",
            "sh",
            signal,
            &child.id().to_string(),
        ])
        .status()
        .expect("sh runs");
    assert!(status.success());
}

/// Runs the binary against `url` and sends `signal_name` once it holds a grant (a long settle
/// after each grant keeps the run inside a grant group for a while); returns its output.
async fn signal_midway(url: &str, report: &Path, signal_name: &'static str) -> Output {
    let mut cmd = run_against(url, report, &["--grant-settle-ms", "4000", "--jobs", "1"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let ledger = report.join("ledger.jsonl");
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("spawn");
        wait_for_grant(&mut child, &ledger);
        signal(&child, signal_name);
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_midway_undoes_the_ledger_and_exits_with_the_interrupted_code() {
    let server = server(false).await;
    let before = snapshot(server.url()).await;
    let (_dir, report) = temp();
    let out = signal_midway(server.url(), &report, "-INT").await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert_eq!(snapshot(server.url()).await, before, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_cleanup_from_the_ledger_leaves_nothing() {
    let server = server(false).await;
    let before = snapshot(server.url()).await;
    let (_dir, report) = temp();
    signal_midway(server.url(), &report, "-KILL").await;
    let ledger = report.join("ledger.jsonl");
    assert_ne!(
        snapshot(server.url()).await,
        before,
        "the killed run should have left its fixtures and grant"
    );
    let mut cleanup = binary();
    cleanup
        .args(["cleanup", "--ledger"])
        .arg(&ledger)
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD);
    let out = output(cleanup).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_deviated_server_the_run_fails_and_names_the_failing_cases() {
    let (_dir, report) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--deviate", "ignore-room-roles", "--report-dir"])
        .arg(&report);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL channels.invite/joined-room/room-moderator"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL groups.invite/joined-room/room-owner"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_stops_before_anything_with_exit_3() {
    let (_dir, report) = temp();
    let out = output(run_against(
        "http://127.0.0.1:9",
        &report,
        &["--timeout", "5"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was created"),
        "{}",
        text(&out)
    );
    assert!(
        !report.join("ledger.jsonl").exists(),
        "no ledger: nothing may have been created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_case_files_exit_2_and_send_nothing() {
    let server = server(false).await;
    let before = snapshot(server.url()).await;
    let cases = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cases.path().join("broken.yaml"),
        "cases:\n  - id: x\n    endpoint: nowhere\n",
    )
    .expect("write");
    let (_dir, report) = temp();
    let mut cmd = run_against(server.url(), &report, &["--cases"]);
    cmd.arg(cases.path());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken.yaml:3:"),
        "{}",
        text(&out)
    );
    assert_eq!(snapshot(server.url()).await, before);
    assert!(!report.join("ledger.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_selects_nothing_exits_6() {
    let (_dir, report) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--filter", "no-such-case-anywhere", "--report-dir"])
        .arg(&report);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
}

#[test]
fn the_conformance_harness_lists_one_test_per_case() {
    let specs = rc_conform::spec::Specs::load(&camino::Utf8PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/specs"
    )))
    .expect("specs");
    let suite = specs
        .load_cases(&camino::Utf8PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/cases"
        )))
        .expect("cases");
    let out = Command::new(env!("CARGO"))
        .args(["test", "-q", "--test", "conformance", "--", "--list"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // libtest-mimic prints `[kind] name: test`; the kind is the endpoint.
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(|l| l.split_once("] ").map_or(l, |(_, name)| name))
        .collect();
    let mut ids: Vec<&str> = suite.cases.iter().map(|c| c.id.as_str()).collect();
    let mut listed_sorted = listed.clone();
    ids.sort_unstable();
    listed_sorted.sort_unstable();
    assert_eq!(listed_sorted, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_server_is_detected_bypassed_for_the_run_and_restored() {
    // A production server with the default API rate limiter: fixture users would get 10 calls a
    // minute per route. On a disposable server (--allow-global-grants) the run must see it,
    // grant the bypass to built-in roles for the run only, and finish fast.
    let config = ServerConfig {
        rate_limit: true,
        ..ServerConfig::default()
    };
    let server = start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("server starts");
    let before = snapshot(server.url()).await;
    let (_dir, report) = temp();
    let started = Instant::now();
    let out = output(run_against(
        server.url(),
        &report,
        &["--allow-global-grants"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        snapshot(server.url()).await,
        before,
        "the bypass grant must be restored"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(report.join("report.json")).expect("report.json"),
    )
    .expect("JSON report");
    let notes: Vec<&str> = report["run"]["preflight"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with("rate limiter: on"))
            && notes.iter().any(|n| n
                .contains("api-bypass-rate-limit is added to the fixture users' built-in roles")),
        "{notes:#?}"
    );
}
