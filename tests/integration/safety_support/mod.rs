//! What the safety tests share: a reference server served in the test (not the embedded
//! one), the `rc-conform` binary run against it as a user runs it, the report it writes, and
//! the proof that no built-in role ever gained a permission (every role list the server was
//! ever given, from its own record of `permissions.update`).

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rc_conform::reference::{RunningServer, ServerConfig, start};
use serde_json::{Value, json};

use crate::server_snapshot::{ADMIN, PASSWORD};

/// A reference server on a free loopback port.
pub async fn server(config: ServerConfig) -> RunningServer {
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts")
}

/// The binary, from the repository root, without a target in the environment.
pub fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_ALLOW_GLOBAL_GRANTS")
        .env_remove("RC_CONFORM_ADMIN_TOKEN")
        .env_remove("RC_CONFORM_ADMIN_ID");
    cmd
}

/// `rc-conform run` against `url` as the server's admin (password), reports into
/// `report_dir`, no settle wait.
pub fn run_against(url: &str, report_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.args(["run", "--target", url, "--report-dir"])
        .arg(report_dir)
        .args(["--grant-settle-ms", "0"])
        .args(extra)
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD);
    cmd
}

/// `rc-conform cleanup` with the admin's credentials and `args`.
pub fn cleanup(args: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.arg("cleanup")
        .args(args)
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD);
    cmd
}

/// Runs `cmd` to its end off the async runtime.
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join")
}

/// Both streams, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temporary directory and a report directory inside it.
pub fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report");
    (dir, path)
}

/// The report.json in `dir`.
pub fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("JSON report")
}

/// The reason of each skipped case of `report`, by case id.
pub fn skipped(report: &Value) -> BTreeMap<String, String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["verdict"] == "skipped")
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The cases of `report` whose verdict is neither `pass` nor `skipped`.
pub fn not_passed(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["verdict"] != "pass" && c["verdict"] != "skipped")
        .map(|c| format!("{} {}: {}", c["id"], c["verdict"], c["reason"]))
        .collect()
}

/// The skips of `report` for a grant to a built-in role.
pub fn grant_skips(report: &Value) -> Vec<String> {
    skipped(report)
        .into_iter()
        .filter(|(_, reason)| reason.contains("built-in role"))
        .map(|(id, _)| id)
        .collect()
}

/// The admin's session on `url`: (user id, token).
pub async fn admin_session(url: &str) -> (String, String) {
    let login: Value = reqwest::Client::new()
        .post(format!("{url}/api/v1/login"))
        .json(&json!({"user": ADMIN, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    (
        login["data"]["userId"].as_str().expect("userId").to_owned(),
        login["data"]["authToken"]
            .as_str()
            .expect("authToken")
            .to_owned(),
    )
}

/// Every built-in role that any role list written to `server` added to a permission, as
/// `permission → role`: the built-in roles are those `roles.list` shows before the run, and a
/// role is added when a written list has it and the permission's list before the run had not.
pub fn built_in_additions(
    server: &RunningServer,
    built_ins: &[String],
    before: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut added = Vec::new();
    for (permission, roles) in server.permission_writes() {
        let had = before.get(&permission).cloned().unwrap_or_default();
        for role in roles
            .iter()
            .filter(|r| built_ins.contains(r) && !had.contains(r))
        {
            added.push(format!("{permission} → {role}"));
        }
    }
    added.sort();
    added.dedup();
    added
}

/// The server's roles and every permission's role list, read as the admin.
pub async fn roles_and_permissions(url: &str) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let (id, token) = admin_session(url).await;
    let get = |path: &str| {
        reqwest::Client::new()
            .get(format!("{url}{path}"))
            .header("X-User-Id", id.clone())
            .header("X-Auth-Token", token.clone())
            .send()
    };
    let roles: Value = get("/api/v1/roles.list")
        .await
        .expect("roles")
        .json()
        .await
        .expect("roles body");
    let permissions: Value = get("/api/v1/permissions.listAll")
        .await
        .expect("permissions")
        .json()
        .await
        .expect("permissions body");
    let roles = roles["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["_id"].as_str().map(str::to_owned))
        .collect();
    let permissions = permissions["update"]
        .as_array()
        .expect("update")
        .iter()
        .map(|p| {
            let roles = p["roles"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (p["_id"].as_str().unwrap_or_default().to_owned(), roles)
        })
        .collect();
    (roles, permissions)
}
