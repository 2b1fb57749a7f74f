//! When the profiles run and what that does: not in a `--filter` run (unless `--clients`),
//! not at all with `--no-clients` (no record), in the first part of a partitioned run only (and `merge` keeps
//! that part's results), `not-run` with the evidence when a read the needs ask for is missing,
//! a gate only with `--gate-clients`, and a run against a server started here leaves it as it
//! found it, the clients' users and rooms included.

use rc_conform::reference::ServerConfig;
use serde_json::Value;

use super::{CASE, binary, client, embedded, statuses, text};
use crate::server_snapshot::{ADMIN, PASSWORD, snapshot};

fn all_not_run_because(report: &Value, why: &str) {
    let got = statuses(report);
    assert_eq!(got.len(), 5, "{got:?}");
    for (id, status) in got {
        assert_eq!(status, "not-run", "{id}");
        let details = client(report, &id)["details"].as_str().expect("details");
        assert!(details.contains(why), "{id}: {details}");
    }
}

#[test]
fn a_filtered_run_leaves_the_clients_not_run_and_no_clients_too() {
    let filtered = embedded("filtered", &["--filter", CASE]);
    assert_eq!(
        filtered.out.status.code(),
        Some(0),
        "{}",
        text(&filtered.out)
    );
    all_not_run_because(
        &filtered.report,
        "a --filter run evaluates no client profile",
    );
    let none = embedded("no-clients", &["--filter", CASE, "--no-clients"]);
    assert_eq!(none.report["clients"], serde_json::json!([]));
    let requests = |r: &Value| r["requests"].clone();
    assert_eq!(
        requests(&filtered.report),
        requests(&none.report),
        "not-run clients send nothing"
    );
}

#[test]
fn the_first_part_evaluates_the_clients_and_merge_keeps_its_results() {
    let args = |k: &str| ["--server-version", "9.0.0", "--partition", k].map(str::to_owned);
    let one = embedded("part-1", &args("hash:1/2").each_ref().map(String::as_str));
    let two = embedded("part-2", &args("hash:2/2").each_ref().map(String::as_str));
    assert_eq!(one.out.status.code(), Some(0), "{}", text(&one.out));
    assert_eq!(two.out.status.code(), Some(0), "{}", text(&two.out));
    assert_eq!(client(&one.report, "go-sdk")["status"], "broken");
    all_not_run_because(
        &two.report,
        "partition hash:1/2 evaluates the client profiles",
    );
    let merged = super::scratch("merged");
    let out = binary()
        .args(["merge", "--report-dir", merged.as_str()])
        .arg(two.dir.join("report.json"))
        .arg(one.dir.join("report.json"))
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(merged.join("report.json")).expect("merged report"),
    )
    .expect("JSON");
    assert_eq!(statuses(&report), statuses(&one.report));
}

#[test]
fn gate_clients_fails_a_run_that_breaks_a_client() {
    let args = ["--server-version", "9.0.0", "--filter", CASE, "--clients"];
    let gated = embedded("gated", &[&args[..], &["--gate-clients"]].concat());
    assert_eq!(gated.out.status.code(), Some(1), "{}", text(&gated.out));
    assert_eq!(gated.report["run"]["gate_clients"], true);
    let md = std::fs::read_to_string(gated.dir.join("summary.md")).expect("summary.md");
    assert!(
        md.starts_with("# ❌ rc-conform: the target breaks 2 client(s) (--gate-clients)"),
        "{md}"
    );
    let stdout = String::from_utf8_lossy(&gated.out.stdout);
    assert!(
        stdout.contains("they fail the run (--gate-clients)"),
        "{stdout}"
    );
    let at_8 = [
        "--server-version",
        "8.5.0",
        "--filter",
        CASE,
        "--clients",
        "--gate-clients",
    ];
    let passing = embedded("gated-ok", &at_8);
    assert_eq!(passing.out.status.code(), Some(0), "{}", text(&passing.out));
}

#[test]
fn a_need_the_target_cannot_show_leaves_the_client_not_run_with_the_evidence() {
    let run = embedded(
        "no-messages",
        &[
            "--filter",
            CASE,
            "--clients",
            "--without",
            "channels.messages",
        ],
    );
    assert_eq!(run.out.status.code(), Some(0), "{}", text(&run.out));
    let js = client(&run.report, "js-sdk");
    assert_eq!(js["status"], "not-run");
    let used = &js["uses"][0];
    let reason = used["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("the need `added_message` could not be checked:")
            && reason.contains("404"),
        "{reason}"
    );
    let urls: Vec<&str> = used["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter_map(|e| e["url"].as_str())
        .collect();
    assert!(
        urls.iter().any(|u| u.contains("/api/v1/channels.invite")),
        "{urls:?}"
    );
    assert!(
        urls.iter()
            .any(|u| u.contains("/api/v1/channels.messages?")),
        "{urls:?}"
    );
    assert_eq!(client(&run.report, "ruqola")["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_removes_the_clients_users_and_rooms() {
    let config = ServerConfig {
        version: "9.0.0".to_owned(),
        ..ServerConfig::default()
    };
    let server = rc_conform::reference::start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts");
    let before = snapshot(server.url()).await;
    let dir = super::scratch("cleanup");
    let mut cmd = binary();
    cmd.args([
        "run",
        "-q",
        "--target",
        server.url(),
        "--grant-settle-ms",
        "0",
    ])
    .args(["--filter", CASE, "--clients", "--report-dir", dir.as_str()])
    .env("RC_CONFORM_ADMIN_USER", ADMIN)
    .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    assert_eq!(client(&report, "go-sdk")["status"], "broken");
    let ledger = std::fs::read_to_string(dir.join("ledger.jsonl")).expect("ledger");
    assert!(
        ledger.contains("-cl-c\"") && ledger.contains("-cl-p\""),
        "the client rooms are in the ledger"
    );
    assert_eq!(report["cleanup"]["leftovers"], serde_json::json!([]));
    assert_eq!(snapshot(server.url()).await, before);
    server.shutdown().await;
}
