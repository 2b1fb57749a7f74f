//! The CI gate end to end, through the `rc-conform` binary: every documented exit code, the
//! expectations file, sharding with `--partition` and `merge`, and `diff`.
//!
//! Exit 5 (interrupted) is covered by `tests/runner.rs`,
//! `sigint_midway_undoes_the_ledger_and_exits_with_the_interrupted_code`.

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

// --- exit codes -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_0_when_every_selected_case_holds() {
    let (_dir, dir) = temp();
    let out = output(run_embedded(&dir, &["--filter", "joined-room"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains(" 0 failed"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_when_the_target_breaks_a_rule() {
    let (_dir, dir) = temp();
    let args = ["--filter", "joined-room", "--deviate", "ignore-room-roles"];
    let out = output(run_embedded(&dir, &args)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("FAIL {ROOM_ROLE_CASE}")),
        "{}",
        text(&out)
    );
    assert_eq!(verdict_of(&report(&dir), ROOM_ROLE_CASE), "fail");
}

#[test]
fn exit_2_for_broken_case_files_before_anything_is_sent() {
    let (_dir, dir) = temp();
    // An unreachable target: had anything been sent, the exit code would be 3.
    let mut cmd = binary();
    cmd.args(["run", "--target", "http://127.0.0.1:9", "--admin-user", "a"])
        .args([
            "--admin-password",
            "b",
            "--cases",
            "tests/fixtures/broken-cases",
        ])
        .arg("--report-dir")
        .arg(&dir);
    let out = output_now(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("nothing was sent"), "{}", text(&out));
    assert!(!dir.join("ledger.jsonl").exists());
}

#[test]
fn exit_2_for_usage_errors_and_0_for_help() {
    for args in [
        &["run", "--no-such-flag"][..],
        &["no-such-command"],
        &[],
        &["run", "--partition", "hash:3/2"],
        &["run", "--jobs", "many"],
        &["run", "--jobs", "0"],
        &["cleanup", "--ledger", "l.jsonl", "--jobs", "0"],
        &["run", "--quiet", "--verbose"],
        &["merge", "--report-dir", "x"],
        &["diff", "only-one.json"],
        &["expectations", "update", "--report", "r.json"],
    ] {
        let mut cmd = binary();
        cmd.args(args);
        let out = output_now(cmd);
        assert_eq!(
            out.status.code(),
            Some(2),
            "rc-conform {args:?}: {}",
            text(&out)
        );
    }
    for args in [
        &["--help"][..],
        &["--version"],
        &["run", "--help"],
        &["merge", "--help"],
        &["diff", "--help"],
        &["expectations", "update", "--help"],
    ] {
        let mut cmd = binary();
        cmd.args(args);
        let out = output_now(cmd);
        assert_eq!(
            out.status.code(),
            Some(0),
            "rc-conform {args:?}: {}",
            text(&out)
        );
    }
}

#[test]
fn exit_3_when_the_target_is_unreachable() {
    let (_dir, dir) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--target", "http://127.0.0.1:9", "--timeout", "5"])
        .args(["--admin-user", ADMIN, "--admin-password", PASSWORD])
        .arg("--report-dir")
        .arg(&dir);
    let out = output_now(cmd);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("nothing was created"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_when_cleanup_cannot_delete_the_users_it_created() {
    let server = server().await;
    let proxy = FaultProxy::start(server.url(), |seen| {
        if seen.path == "/api/v1/users.delete" {
            Fault::json_error(500, "Internal server error")
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_dir, dir) = temp();
    let mut cmd = binary();
    cmd.args(["run", "--target", proxy.url(), "--filter", ROOM_ROLE_CASE])
        .args(["--admin-user", ADMIN, "--admin-password", PASSWORD])
        .args(["--grant-settle-ms", "0", "--report-dir"])
        .arg(&dir);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        stderr(&out).contains("left behind: user rcc-"),
        "{}",
        text(&out)
    );
    let leftovers = report(&dir)["cleanup"]["leftovers"].clone();
    assert!(
        leftovers.as_array().is_some_and(|l| !l.is_empty()),
        "report.json lists the leftovers: {leftovers}"
    );
    // Tidy up: delete what the run left, on the server itself, without the proxy.
    assert_eq!(
        delete_run_users(server.url()).await,
        0,
        "no user of the run is left"
    );
    proxy.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_6_when_no_case_is_selected() {
    let (_dir, dir) = temp();
    // A repeated flag: the last one wins.
    let args = [
        "--filter",
        "joined-room",
        "--filter",
        "no-such-case-anywhere",
    ];
    let out = output(run_embedded(&dir, &args)).await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    assert!(
        stderr(&out).contains("no case was selected"),
        "{}",
        text(&out)
    );
}

// --- the expectations file --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expected_failure_passes_the_gate() {
    let (_dir, dir) = temp();
    let file = fixture("room-roles-ignored.yaml");
    let args = ["--filter", "joined-room", "--deviate", "ignore-room-roles"];
    let mut cmd = run_embedded(&dir, &args);
    cmd.args(["--expectations", &file]);
    let out = output(cmd).await;
    // Only the listed case is expected to fail; the other room-role cases still fail.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let broad = report(&dir);
    assert_eq!(verdict_of(&broad, ROOM_ROLE_CASE), "expected-fail");
    assert!(verdicts(&broad).values().any(|v| v == "fail"));

    let (_dir, dir) = temp();
    let args = ["--filter", ROOM_ROLE_CASE, "--deviate", "ignore-room-roles"];
    let mut cmd = run_embedded(&dir, &args);
    cmd.args(["--expectations", &file]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("EXPECTED-FAIL {ROOM_ROLE_CASE}")),
        "{}",
        text(&out)
    );
    let report = report(&dir);
    assert_eq!(verdict_of(&report, ROOM_ROLE_CASE), "expected-fail");
    assert_eq!(report["totals"]["expected_fail"], 1);
    assert_eq!(report["totals"]["fail"], 0);
    let reason = report["cases"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == ROOM_ROLE_CASE))
        .map(|c| c["reason"].to_string())
        .unwrap_or_default();
    assert!(
        reason.contains("issue #123") && reason.contains("https://tracker.example/123"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_case_that_passes_is_an_unexpected_pass_and_fails_the_gate() {
    let (_dir, dir) = temp();
    let mut cmd = run_embedded(&dir, &["--filter", ROOM_ROLE_CASE]);
    cmd.args(["--expectations", &fixture("room-roles-ignored.yaml")]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("UNEXPECTED-PASS {ROOM_ROLE_CASE}")),
        "{}",
        text(&out)
    );
    let report = report(&dir);
    assert_eq!(verdict_of(&report, ROOM_ROLE_CASE), "unexpected-pass");
    assert_eq!(report["totals"]["unexpected_pass"], 1);
    assert_eq!(report["totals"]["pass"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_other_version_entries_are_ignored_with_a_warning() {
    let (_dir, dir) = temp();
    let args = ["--filter", ROOM_ROLE_CASE, "--deviate", "ignore-room-roles"];
    let mut cmd = run_embedded(&dir, &args);
    cmd.args(["--expectations", &fixture("expired-and-other-version.yaml")]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(verdict_of(&report(&dir), ROOM_ROLE_CASE), "fail");
    let err = stderr(&out);
    assert!(
        err.contains("expired-and-other-version.yaml:3: `channels.invite/joined-room/room-moderator`: the entry expired on 2020-12-31"),
        "{err}"
    );
    assert!(
        err.contains("expired-and-other-version.yaml:7:") && err.contains("9.0.0 and later"),
        "{err}"
    );
}

#[test]
fn an_expectations_file_naming_an_unknown_case_exits_2_before_anything_is_sent() {
    let (_dir, dir) = temp();
    for (file, wanted) in [
        ("unknown-case.yaml", "unknown-case.yaml:5:11"),
        ("unknown-key.yaml", "unknown-key.yaml:4:5"),
    ] {
        let mut cmd = binary();
        // An unreachable target: had anything been sent, the exit code would be 3.
        cmd.args(["run", "--target", "http://127.0.0.1:9", "--admin-user", "a"])
            .args(["--admin-password", "b", "--expectations", &fixture(file)])
            .arg("--report-dir")
            .arg(&dir);
        let out = output_now(cmd);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", text(&out));
        assert!(stderr(&out).contains(wanted), "{file}: {}", text(&out));
    }
    assert!(!dir.join("ledger.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expectations_update_lists_the_failures_and_then_the_run_passes() {
    let (tmp, dir) = temp();
    let args = ["--filter", "joined-room", "--deviate", "ignore-room-roles"];
    let out = output(run_embedded(&dir, &args)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let file = tmp.path().join("expectations.yaml");
    // An existing entry keeps its reason.
    std::fs::copy(fixture("room-roles-ignored.yaml"), &file).expect("copy");
    let mut update = binary();
    update
        .args(["expectations", "update", "--report"])
        .arg(dir.join("report.json"))
        .arg("--file")
        .arg(&file);
    let out = output(update).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(&file).expect("the expectations file");
    let failing: Vec<String> = verdicts(&report(&dir))
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .map(|(id, _)| id)
        .collect();
    for id in &failing {
        assert!(
            written.contains(&format!("case: \"{id}\"")),
            "{id} missing:\n{written}"
        );
    }
    assert_eq!(
        written.matches("TODO: explain").count(),
        failing.len() - 1,
        "{written}"
    );
    assert!(
        written.contains("our fork ignores room roles (issue #123)"),
        "{written}"
    );

    let (_dir2, dir2) = temp();
    let mut rerun = run_embedded(&dir2, &args);
    rerun.arg("--expectations").arg(&file);
    let out = output(rerun).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report(&dir2)["totals"]["expected_fail"], failing.len());
}

// --- sharding, merge and diff -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_partitions_merged_equal_a_single_run() {
    let (tmp, whole) = temp();
    let (first, second, merged) = (
        tmp.path().join("p1"),
        tmp.path().join("p2"),
        tmp.path().join("merged"),
    );
    let (a, b, c) = tokio::join!(
        output(run_embedded(&whole, &[])),
        output(run_embedded(&first, &["--partition", "hash:1/2"])),
        output(run_embedded(&second, &["--partition", "hash:2/2"])),
    );
    for out in [&a, &b, &c] {
        assert_eq!(out.status.code(), Some(0), "{}", text(out));
    }
    let mut merge = binary();
    merge
        .arg("merge")
        .arg(first.join("report.json"))
        .arg(second.join("report.json"))
        .arg("--report-dir")
        .arg(&merged);
    let out = output(merge).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (single, combined) = (report(&whole), report(&merged));
    let (p1, p2) = (verdicts(&report(&first)), verdicts(&report(&second)));
    assert!(!p1.is_empty() && !p2.is_empty(), "both shards ran cases");
    assert!(
        p1.keys().all(|id| !p2.contains_key(id)),
        "the shards are disjoint"
    );
    assert_eq!(verdicts(&combined), verdicts(&single));
    assert_eq!(combined["totals"], single["totals"]);
    let ids = |r: &Value| -> Vec<Value> {
        r["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    assert_eq!(ids(&combined), ids(&single), "suite order");
    assert_eq!(combined["run"]["partition"], "merged from 2 parts");
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(merged.join(file).exists(), "{file} written");
    }

    // A shard merged with itself is refused.
    let mut twice = binary();
    twice
        .arg("merge")
        .arg(first.join("report.json"))
        .arg(first.join("report.json"))
        .arg("--report-dir")
        .arg(tmp.path().join("twice"));
    let out = output(twice).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("exactly one part"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_of_a_passing_and_a_failing_report_lists_the_regressions() {
    let (tmp, passing) = temp();
    let failing = tmp.path().join("failing");
    let (good, bad) = tokio::join!(
        output(run_embedded(&passing, &["--filter", "joined-room"])),
        output(run_embedded(
            &failing,
            &["--filter", "joined-room", "--deviate", "ignore-room-roles"]
        )),
    );
    assert_eq!(good.status.code(), Some(0), "{}", text(&good));
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let regressed: Vec<String> = verdicts(&report(&failing))
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .map(|(id, _)| id)
        .collect();
    assert!(regressed.contains(&ROOM_ROLE_CASE.to_owned()));

    let mut diff = binary();
    diff.arg("diff")
        .arg(passing.join("report.json"))
        .arg(failing.join("report.json"));
    let out = output(diff).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let listed = stdout(&out);
    assert!(
        listed.contains(&format!("## Regressions ({})", regressed.len())),
        "{listed}"
    );
    for id in &regressed {
        assert!(listed.contains(&format!("- {id}: pass → fail")), "{listed}");
    }

    // The other way round they are fixes, and nothing regressed.
    let mut back = binary();
    back.arg("diff")
        .arg(failing.join("report.json"))
        .arg(passing.join("report.json"));
    let out = output(back).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("## Fixes ({})", regressed.len())),
        "{}",
        text(&out)
    );
}
