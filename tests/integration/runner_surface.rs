//! The runner's fixtures of the invite surface end to end, with the `rc-conform` binary
//! against a reference server started here: teams, discussions, omnichannel rooms, bans,
//! kicks and leaves are provisioned and undone without leaving anything behind, also when
//! the answer of a creation is lost (the ledger has the name first); and a target that lacks a
//! setup endpoint skips the cases that need it, naming the endpoint.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use crate::fault_proxy::{Fault, FaultProxy, Seen};
use crate::server_snapshot::{ADMIN, PASSWORD, snapshot};
use rc_conform::reference::{ServerConfig, start};
use serde_json::Value;

/// The cases of the surface's room kinds, for both endpoints.
const KINDS: &str = "kinds/team-main,kinds/discussion,kinds/omnichannel";
/// Every surface case with a setup step of its own: kinds, bans, kicks and leaves.
const SURFACE: &str = "kinds/,bans/,reinvite/";

fn run(url: &str, report: &Path, filter: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_EXPECTATIONS")
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD)
        .args(["run", "-q", "--target", url, "--grant-settle-ms", "0"])
        .args(["--filter", filter, "--report-dir"])
        .arg(report);
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

fn report(dir: &Path) -> Value {
    let written = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&written).expect("report.json parses")
}

/// The names the ledger gave the run's omnichannel rooms: each is its visitor's token.
fn visitor_tokens(dir: &Path) -> Vec<String> {
    let ledger = std::fs::read_to_string(dir.join("ledger.jsonl")).expect("ledger.jsonl");
    ledger
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["entry"] == "room" && e["room_type"] == "l")
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect()
}

/// Whether the server still knows a livechat visitor with `token`.
async fn visitor_known(url: &str, token: &str) -> bool {
    let answer: Value = reqwest::Client::new()
        .post(format!("{url}/api/v1/livechat/room.close"))
        .json(&serde_json::json!({ "rid": "none", "token": token }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    answer["error"] != "invalid-token"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_surface_fixtures_are_provisioned_and_undone_without_a_trace() {
    let server = start(
        ServerConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the reference server starts");
    let before = snapshot(server.url()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = output(run(server.url(), dir.path(), SURFACE)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = report(dir.path());
    assert_eq!(report["totals"]["pass"], 18, "{}", report["totals"]);
    assert_eq!(snapshot(server.url()).await, before);
    let tokens = visitor_tokens(dir.path());
    assert_eq!(tokens.len(), 2, "one omnichannel room per endpoint");
    for token in tokens {
        assert!(!visitor_known(server.url(), &token).await, "{token} left");
    }
    server.shutdown().await;
}

/// Whether `seen` creates a surface fixture whose answer the rule loses.
fn creates_surface_fixture(seen: &Seen<'_>) -> bool {
    matches!(
        seen.path,
        "/api/v1/teams.create" | "/api/v1/rooms.createDiscussion" | "/api/v1/livechat/room"
    )
}

/// The first `teams.create`, `rooms.createDiscussion` and `livechat/room` reach the server,
/// which creates the team, the discussion and the room, but their answers are lost (a gateway
/// answers 504). Those cases are errors, and nothing is left: the ledger named each object
/// before it was created, and cleanup finds it by that name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_of_surface_creations_leave_nothing_behind() {
    let server = start(
        ServerConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the reference server starts");
    let before = snapshot(server.url()).await;
    let lost: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_by_rule = lost.clone();
    let proxy = FaultProxy::start(server.url(), move |seen| {
        let mut lost = seen_by_rule.lock().expect("lost");
        if creates_surface_fixture(seen) && !lost.iter().any(|p| p == seen.path) {
            lost.push(seen.path.to_owned());
            return Fault::LoseAnswer(Box::new(Fault::json_error(504, "Gateway Timeout")));
        }
        Fault::Forward
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = output(run(proxy.url(), dir.path(), KINDS)).await;
    proxy.shutdown().await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = report(dir.path());
    assert_eq!(report["totals"]["error"], 3, "{}", text(&out));
    assert_eq!(report["cleanup"]["leftovers"], serde_json::json!([]));
    assert_eq!(report["cleanup"]["errors"], serde_json::json!([]));
    assert_eq!(lost.lock().expect("lost").len(), 3);
    assert_eq!(snapshot(server.url()).await, before);
    for token in visitor_tokens(dir.path()) {
        assert!(!visitor_known(server.url(), &token).await, "{token} left");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_a_setup_endpoint_skips_the_cases_that_need_it() {
    let missing = [
        "teams.create",
        "rooms.createDiscussion",
        "livechat/room",
        "channels.kick",
    ];
    let config = ServerConfig {
        without: missing.iter().map(|e| (*e).to_owned()).collect(),
        ..ServerConfig::default()
    };
    let server = start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts");
    let before = snapshot(server.url()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = output(run(server.url(), dir.path(), "kinds/,reinvite/after-kick")).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = report(dir.path());
    let skipped: Vec<(String, String)> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| {
            c["verdict"] == "skipped" && !c["reason"].as_str().unwrap_or("").contains("--filter")
        })
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("").to_owned(),
                c["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("channels.invite/kinds/team-main", "/api/v1/teams.create"),
        (
            "channels.invite/kinds/discussion",
            "/api/v1/rooms.createDiscussion",
        ),
        ("channels.invite/kinds/omnichannel", "/api/v1/livechat/room"),
        (
            "channels.invite/reinvite/after-kick",
            "/api/v1/channels.kick",
        ),
        ("groups.invite/kinds/team-main", "/api/v1/teams.create"),
        (
            "groups.invite/kinds/discussion",
            "/api/v1/rooms.createDiscussion",
        ),
        ("groups.invite/kinds/omnichannel", "/api/v1/livechat/room"),
    ];
    for (id, endpoint) in expected {
        let reason = skipped
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{id} was not skipped: {skipped:#?}"));
        assert!(
            reason.contains(endpoint) && reason.contains("404"),
            "{id}: {reason}"
        );
    }
    assert_eq!(
        report["totals"]["pass"], 1,
        "groups.invite/reinvite/after-kick"
    );
    assert_eq!(snapshot(server.url()).await, before);
    server.shutdown().await;
}
