//! Fault tests of interrupts, as CI cancellation, `timeout`, `docker stop` and a closed
//! terminal send them, against a served reference server (latency keeps the run in each
//! moment long enough to signal it there): one SIGTERM or SIGHUP stops the run, cleanup runs
//! and the exit code is 5; a second SIGINT abandons cleanup with exit 7 and prints the ledger
//! and the exact `rc-conform cleanup --ledger …` command, after which the server equals its
//! state before the run (users, rooms, roles, permissions, `#general`). A run killed outright
//! leaves a lock that the next run recognises as stale instead of waiting for it.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use rc_conform::reference::{RunningServer, ServerConfig};
use serde_json::Value;

use crate::safety_support::{
    admin_session, cleanup, output, report, run_against, server, temp, text,
};
use crate::server_snapshot::snapshot;

/// A server slow enough (a 10 ms round trip) to be signalled in each moment of a run.
async fn slow_server(enterprise: bool) -> RunningServer {
    server_answering_in(enterprise, Duration::from_millis(10)).await
}

/// A reference server whose every answer takes `latency`.
async fn server_answering_in(enterprise: bool, latency: Duration) -> RunningServer {
    server(ServerConfig {
        enterprise,
        latency,
        ..ServerConfig::default()
    })
    .await
}

/// Starts a run against `url` (two requests at a time) with both streams piped.
fn spawn_run(url: &str, dir: &Path) -> Child {
    let mut cmd = run_against(url, dir, &["--jobs", "2"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.spawn().expect("the run starts")
}

/// Polls `ready` until it holds; panics if the run ends first or after 60 s.
async fn wait_for(child: &mut Child, what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    loop {
        if ready().await {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before {what}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no {what} after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {name}");
}

async fn finished(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join")
}

/// The ledger's lines of kind `entry`.
fn ledger_lines(dir: &Path, entry: &str) -> usize {
    std::fs::read_to_string(dir.join("ledger.jsonl"))
        .map(|t| t.matches(&format!("\"entry\":\"{entry}\"")).count())
        .unwrap_or(0)
}

/// The moment of a run at which a test signals it.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// Users are being created.
    Provisioning,
    /// A grant group's permissions were applied.
    GrantGroup,
}

/// Waits for `moment` of the run of `child` against `server`, reporting into `dir`.
async fn reach(moment: Moment, child: &mut Child, server: &RunningServer, dir: &Path) {
    match moment {
        Moment::Provisioning => {
            wait_for(child, "provisioning", async || {
                ledger_lines(dir, "user") >= 6
            })
            .await;
        }
        Moment::GrantGroup => {
            wait_for(child, "a grant group", async || {
                !server.permission_writes().is_empty()
            })
            .await;
        }
    }
}

/// The users the server lists now.
async fn user_count(url: &str) -> u64 {
    let (id, token) = admin_session(url).await;
    let body: Value = reqwest::Client::new()
        .get(format!("{url}/api/v1/users.list?count=1"))
        .header("X-User-Id", id)
        .header("X-Auth-Token", token)
        .send()
        .await
        .expect("users.list")
        .json()
        .await
        .expect("users.list body");
    body["total"].as_u64().expect("total")
}

/// One signal at `moment`: exit 5, the interrupt named on stderr and in report.json, and the
/// server as it was.
async fn one_signal(name: &str, moment: Moment, enterprise: bool) {
    let server = slow_server(enterprise).await;
    let before = snapshot(server.url()).await;
    let (_dir, dir) = temp();
    let mut child = spawn_run(server.url(), &dir);
    reach(moment, &mut child, &server, &dir).await;
    signal(&child, name);
    let out = finished(child).await;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{name} at {moment:?}: {}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("interrupted (SIG{name})")),
        "{stderr}"
    );
    let report = report(&dir);
    assert_eq!(report["run"]["interrupted"], true);
    assert_eq!(report["run"]["interrupt_reason"], format!("SIG{name}"));
    assert_eq!(
        snapshot(server.url()).await,
        before,
        "{name} at {moment:?}: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_provisioning_cleans_up_and_exits_5() {
    one_signal("TERM", Moment::Provisioning, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_a_grant_group_cleans_up_and_exits_5() {
    one_signal("TERM", Moment::GrantGroup, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_while_provisioning_cleans_up_and_exits_5() {
    one_signal("HUP", Moment::Provisioning, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_in_a_grant_group_cleans_up_and_exits_5() {
    one_signal("HUP", Moment::GrantGroup, false).await;
}

/// The second SIGINT, which abandons cleanup: sent again every 100 ms until the run exits,
/// since two signals that arrive before the run has handled the first are delivered as one.
async fn abandon(child: &mut Child) {
    let started = Instant::now();
    while child.try_wait().expect("the run's status").is_none() {
        signal(child, "INT");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run still runs 60 s after the second interrupt"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `rc-conform cleanup …` command an abandoned run printed, as arguments.
fn printed_cleanup(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rc-conform cleanup --ledger "))
        .unwrap_or_else(|| panic!("no cleanup command in:\n{stderr}"));
    line.split_whitespace().skip(2).map(str::to_owned).collect()
}

/// Two SIGINTs, the first at `moment` and the second at once or once cleanup has begun
/// deleting: exit 7 with the ledger and the cleanup command, which then leaves the server as
/// it was.
async fn double_sigint(moment: Moment, enterprise: bool, during_cleanup: bool) {
    // Sent once cleanup is deleting, the second signal must land before the last deletion:
    // answers slow enough that the rest of cleanup outlasts a poll and a `kill` on a loaded
    // machine (at 10 ms a deletion, a few deletions could not).
    let latency = Duration::from_millis(if during_cleanup { 50 } else { 10 });
    let server = server_answering_in(enterprise, latency).await;
    let before = snapshot(server.url()).await;
    let (_dir, dir) = temp();
    let mut child = spawn_run(server.url(), &dir);
    reach(moment, &mut child, &server, &dir).await;
    let most = user_count(server.url()).await;
    signal(&child, "INT");
    if during_cleanup {
        wait_for(&mut child, "cleanup", async || {
            user_count(server.url()).await < most
        })
        .await;
    }
    abandon(&mut child).await;
    let out = finished(child).await;
    assert_eq!(out.status.code(), Some(7), "{moment:?}: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ledger = dir.join("ledger.jsonl");
    assert!(stderr.contains(&ledger.display().to_string()), "{stderr}");
    let args = printed_cleanup(&stderr);
    assert_eq!(
        args[..2],
        ["--ledger".to_owned(), ledger.display().to_string()],
        "{stderr}"
    );
    assert!(args.contains(&server.url().to_owned()), "{args:?}");
    if !during_cleanup {
        // Sent at once, the second signal stops cleanup before it deletes anything. Sent
        // once cleanup is deleting, it may land after the last deletion (on a loaded machine
        // the deletions can outrun the signal): only the exit and the command are certain.
        assert_ne!(
            snapshot(server.url()).await,
            before,
            "cleanup was abandoned: {stderr}"
        );
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = output(cleanup(&args)).await;
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert_eq!(
        snapshot(server.url()).await,
        before,
        "{moment:?}: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_sigint_while_provisioning_exits_7_and_names_the_cleanup_that_finishes_it() {
    double_sigint(Moment::Provisioning, false, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigint_during_cleanup_exits_7_and_names_the_cleanup_that_finishes_it() {
    double_sigint(Moment::Provisioning, true, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_sigint_in_a_grant_group_exits_7_and_names_the_cleanup_that_finishes_it() {
    double_sigint(Moment::GrantGroup, true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_left_by_a_killed_run_is_recognised_and_its_cleanup_named() {
    let server = slow_server(true).await;
    let before = snapshot(server.url()).await;
    let ((_a, first), (_b, second)) = (temp(), temp());
    let mut child = spawn_run(server.url(), &first);
    reach(Moment::GrantGroup, &mut child, &server, &first).await;
    signal(&child, "KILL");
    let _ = finished(child).await;
    let started = Instant::now();
    let out = output(run_against(
        server.url(),
        &second,
        &["--lock-stale-after", "2"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let command = format!(
        "rc-conform cleanup --ledger {} --target {}",
        first.join("ledger.jsonl").display(),
        server.url()
    );
    assert!(
        stderr.contains("left by a run that is gone") && stderr.contains(&command),
        "{stderr}"
    );
    let ledger = first.join("ledger.jsonl").display().to_string();
    let done = output(cleanup(&["--ledger", &ledger, "--target", server.url()])).await;
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert_eq!(snapshot(server.url()).await, before);
}
