//! Every documented exit code.

use super::*;

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
