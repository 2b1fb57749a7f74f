//! Preflight refuses what cannot work, with a one-line reason and the documented exit code,
//! before anything is created: credentials that cannot create users (two-factor without a
//! password to fall back on) and an admin without the permissions a run needs (3, an unusable
//! target); an unusable `--report-dir`, a malformed `--target` or `--server-version` (2, bad
//! local input, before anything is sent at all).

use std::net::TcpListener;
use std::time::Duration;

use rc_conform::reference::ServerConfig;
use serde_json::json;

use crate::safety_support::{admin_session, binary, output, run_against, server, temp, text};
use crate::server_snapshot::snapshot;

/// The one line a refusal prints.
fn one_line(o: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}", text(o));
    assert!(lines[0].starts_with("error: "), "{}", text(o));
    lines[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_users_create_refuses_for_two_factor_stops_in_preflight_with_exit_3() {
    // Outside TEST_MODE the reference server asks users.create for a second factor, and a
    // token gives no password to fall back on.
    let server = server(ServerConfig::default()).await;
    let before = snapshot(server.url()).await;
    let (id, token) = admin_session(server.url()).await;
    let (_dir, dir) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--target", server.url(), "--report-dir"])
        .arg(&dir)
        .env("RC_CONFORM_ADMIN_TOKEN", &token)
        .env("RC_CONFORM_ADMIN_ID", &id);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let line = one_line(&out);
    assert!(
        line.contains("totp-required") && line.contains("--admin-password"),
        "{line}"
    );
    assert!(!line.contains(&token), "the token reached the terminal");
    assert!(
        !dir.join("ledger.jsonl").exists(),
        "nothing may have been created"
    );
    assert_eq!(snapshot(server.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_without_the_permissions_a_run_needs_stops_in_preflight_with_exit_3() {
    let server = server(ServerConfig {
        test_mode: true,
        ..ServerConfig::default()
    })
    .await;
    let (id, token) = admin_session(server.url()).await;
    let created = reqwest::Client::new()
        .post(format!("{}/api/v1/users.create", server.url()))
        .header("X-User-Id", id)
        .header("X-Auth-Token", token)
        .json(&json!({"username": "plain", "name": "plain", "email": "plain@example.invalid", "password": "Plain-Pass-1"}))
        .send()
        .await
        .expect("users.create");
    assert!(created.status().is_success());
    let before = snapshot(server.url()).await;
    let (_dir, dir) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--target", server.url(), "--report-dir"])
        .arg(&dir)
        .env("RC_CONFORM_ADMIN_USER", "plain")
        .env("RC_CONFORM_ADMIN_PASSWORD", "Plain-Pass-1");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let line = one_line(&out);
    assert!(
        line.contains("lacks") && line.contains("create-user"),
        "{line}"
    );
    assert!(!dir.join("ledger.jsonl").exists());
    assert_eq!(snapshot(server.url()).await, before);
}

/// A port that records whether anything connected to it.
fn listener() -> (TcpListener, String) {
    let socket = TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}", socket.local_addr().expect("address"));
    (socket, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_report_dir_exits_2_before_anything_is_sent() {
    let (socket, url) = listener();
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let out = output(run_against(&url, &file.join("reports"), &[])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let line = one_line(&out);
    assert!(
        line.contains("--report-dir") && line.contains("nothing was sent"),
        "{line}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(socket.accept().is_err(), "the target was contacted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_target_or_server_version_exits_2_before_anything_is_sent() {
    let (socket, url) = listener();
    let (_dir, dir) = temp();
    for target in [
        "ftp://example.org",
        "not a url",
        "127.0.0.1:3000",
        "http://",
        &format!("{url}/?x=1"),
    ] {
        let out = output(run_against(target, &dir, &[])).await;
        assert_eq!(out.status.code(), Some(2), "{target}: {}", text(&out));
        assert!(
            one_line(&out).contains("is not a server URL"),
            "{target}: {}",
            text(&out)
        );
    }
    let mut cmd = binary();
    cmd.args(["run", "--server-version", "8.x", "--report-dir"])
        .arg(&dir);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        one_line(&out).contains("invalid server version `8.x`"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("ledger.jsonl").exists());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(socket.accept().is_err(), "the target was contacted");
}
