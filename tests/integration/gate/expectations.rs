//! The expectations file: expected failures, unexpected passes, ignored entries, updates.

use super::*;

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
