//! The CI gate end to end, through the `rc-conform` binary: every documented exit code, the
//! expectations file, sharding with `--partition` and `merge`, and `diff`.
//!
//! Exit 5 (interrupted) is covered by `tests/runner.rs`,
//! `sigint_midway_undoes_the_ledger_and_exits_with_the_interrupted_code`.

mod exit_codes;
mod expectations;
mod sharding;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::fault_proxy::{Fault, FaultProxy};
use rc_conform::reference::{RunningServer, ServerConfig, start};
use serde_json::Value;

const ADMIN: &str = "rc-admin";
const PASSWORD: &str = "rc-admin-password";
/// One case that needs a room role; `--deviate ignore-room-roles` makes it fail.
const ROOM_ROLE_CASE: &str = "channels.invite/joined-room/room-moderator";

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_EXPECTATIONS")
        .env_remove("RC_CONFORM_REPORT_DIR");
    cmd
}

/// `rc-conform run` on the embedded server, reports into `report_dir`.
fn run_embedded(report_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.arg("run")
        .arg("--report-dir")
        .arg(report_dir)
        .args(extra);
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join")
}

fn output_now(mut cmd: Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/expectations/{name}")
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("a JSON report")
}

/// Case id → verdict.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_owned(),
                c["verdict"].as_str().expect("verdict").to_owned(),
            )
        })
        .collect()
}

fn verdict_of(report: &Value, id: &str) -> String {
    verdicts(report)
        .remove(id)
        .unwrap_or_else(|| panic!("no record of {id}"))
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report");
    (dir, path)
}

async fn server() -> RunningServer {
    start(
        ServerConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the reference server starts")
}

/// Deletes every user whose name carries a run id (`rcc-`) through the server's REST API;
/// returns how many such users remain afterwards.
async fn delete_run_users(url: &str) -> usize {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let login: Value = http
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({"user": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let id = login["data"]["userId"].as_str().expect("userId").to_owned();
    let token = login["data"]["authToken"]
        .as_str()
        .expect("authToken")
        .to_owned();
    let run_users = || async {
        let list: Value = http
            .get(format!("{url}/api/v1/users.list?count=100"))
            .header("X-User-Id", &id)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("users.list")
            .json()
            .await
            .expect("users.list body");
        list["users"]
            .as_array()
            .expect("users")
            .iter()
            .filter(|u| {
                u["username"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("rcc-"))
            })
            .filter_map(|u| u["_id"].as_str().map(str::to_owned))
            .collect::<Vec<String>>()
    };
    for user in run_users().await {
        let answer = http
            .post(format!("{url}/api/v1/users.delete"))
            .header("X-User-Id", &id)
            .header("X-Auth-Token", &token)
            .json(&serde_json::json!({"userId": user, "confirmRelinquish": true}))
            .send()
            .await
            .expect("users.delete");
        assert!(
            answer.status().is_success(),
            "users.delete {user}: {}",
            answer.status()
        );
    }
    run_users().await.len()
}
