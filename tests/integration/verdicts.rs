//! Truthful verdicts on every server, as a user meets them through the binary: the levels of
//! an expectation (a contract miss fails, an established exact difference is `non-strict`,
//! an unestablished one is recorded), `--strict`, the version lines of the premise model,
//! and the reference server's answer beside a failed call.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use camino::Utf8PathBuf;
use rc_conform::reference::{Deviation, RunningServer, ServerConfig, start};
use serde_json::Value;

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_STRICT")
        .env_remove("RC_CONFORM_EXPECTATIONS");
    cmd
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

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json parses")
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no record of {id}"))
}

/// `rc-conform run` against the embedded server with `args`, into a fresh report directory.
fn embedded(args: &[&str]) -> (Output, Value, tempfile::TempDir) {
    let (dir, path) = temp();
    let out = binary()
        .arg("run")
        .arg("--report-dir")
        .arg(&path)
        .args(args)
        .output()
        .expect("the binary runs");
    let report = report(&path);
    (out, report, dir)
}

fn model_lines() -> Vec<(String, String)> {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let specs = rc_conform::spec::Specs::load(&root.join("specs")).expect("specs");
    specs
        .model
        .lines
        .iter()
        .map(|l| (l.id.to_string(), l.emulate.clone()))
        .collect()
}

#[test]
fn every_case_passes_at_one_version_of_each_line_or_is_skipped_by_its_condition() {
    let lines = model_lines();
    assert!(lines.len() >= 4, "{lines:?}");
    for (line, version) in lines {
        let (out, report, _dir) = embedded(&["-q", "--server-version", &version]);
        assert_eq!(out.status.code(), Some(0), "{line}: {}", text(&out));
        assert_eq!(report["run"]["line"], line.as_str());
        for c in report["cases"].as_array().expect("cases") {
            match c["verdict"].as_str() {
                Some("pass") => {}
                Some("skipped") => assert!(
                    c["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("applies to server versions")),
                    "{line}: {c:#}"
                ),
                other => panic!("{line}: {} is {other:?}: {c:#}", c["id"]),
            }
        }
        let conformance = &report["conformance"];
        assert_eq!(conformance["line"], line.as_str());
        assert_eq!(conformance["contract"], conformance["judged"]);
        assert_eq!(conformance["exact"], conformance["judged"]);
    }
}

#[test]
fn an_established_exact_difference_is_non_strict_and_fails_only_a_strict_run() {
    let id = "channels.invite/users/unknown-ids";
    let args = ["-q", "--deviate", "unswapped-empty-list", "--filter", id];
    let (out, report, _dir) = embedded(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record = case(&report, id);
    assert_eq!(record["verdict"], "non-strict", "{record:#}");
    let mismatches = record["calls"][0]["mismatches"]
        .as_array()
        .expect("mismatches");
    assert!(!mismatches.is_empty());
    for m in mismatches {
        assert_eq!(m["level"], "exact", "{m:#}");
        assert_eq!(m["effect"], "non-strict", "{m:#}");
    }
    assert_eq!(record["calls"][0]["compared"]["line"], "8.x");
    assert_eq!(report["totals"]["non_strict"], 1);
    assert_eq!(report["conformance"]["contract"], 1);
    assert_eq!(report["conformance"]["exact"], 0);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("contract 1/1, exact agreement with Rocket.Chat 8.x 0/1"),
        "{}",
        text(&out)
    );

    let mut strict = args.to_vec();
    strict.push("--strict");
    let (out, report, dir) = embedded(&strict);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(report["run"]["strict"], true);
    assert_eq!(case(&report, id)["verdict"], "non-strict");
    let summary =
        std::fs::read_to_string(dir.path().join("report").join("summary.md")).expect("summary.md");
    assert!(summary.contains("Non-strict (1)"), "{summary}");
    assert!(summary.contains("Rocket.Chat 8.x"), "{summary}");
}

#[test]
fn a_contract_deviation_fails_whatever_the_strictness() {
    let id = "groups.invite/joined-room/room-owner";
    let (out, report, _dir) = embedded(&["-q", "--deviate", "no-subscription", "--filter", id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let record = case(&report, id);
    assert_eq!(record["verdict"], "fail", "{record:#}");
    assert!(
        record["calls"][0]["mismatches"]
            .as_array()
            .expect("mismatches")
            .iter()
            .any(|m| m["level"] == "contract" && m["effect"] == "fails" && m["check"] == "members"),
        "{record:#}"
    );
}

#[test]
fn a_detail_not_established_for_the_line_is_recorded_and_not_judged() {
    // groups.invite's answers were not read for 6.x (one 6.0-era route validated its body):
    // the precedence of its errors is recorded on 6.x, and judged (non-strict) on 8.x.
    let id = "groups.invite/precedence/unauthorised-all-unknown";
    let on = |version: &str| {
        embedded(&[
            "-q",
            "--server-version",
            version,
            "--deviate",
            "permission-before-invitees",
            "--filter",
            id,
        ])
    };
    let (out, report, _dir) = on("6.6.0");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record = case(&report, id);
    assert_eq!(record["verdict"], "pass", "{record:#}");
    let call = &record["calls"][0];
    assert_eq!(call["compared"]["line"], "6.x");
    assert_eq!(call["compared"]["established"], false);
    assert!(
        call["mismatches"]
            .as_array()
            .expect("mismatches")
            .iter()
            .all(|m| m["effect"] == "noted"),
        "{call:#}"
    );
    assert!(
        record["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not established for Rocket.Chat 6.x")),
        "{record:#}"
    );
    assert_eq!(report["conformance"]["not_established"], 1);

    let (out, report, _dir) = on("8.5.0");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(case(&report, id)["verdict"], "non-strict");
}

async fn served(deviation: Deviation) -> RunningServer {
    let config = ServerConfig {
        deviations: [deviation].into(),
        ..ServerConfig::default()
    };
    start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_against_a_target_carries_the_reference_servers_answer() {
    let server = served(Deviation::NotAllowedAs403).await;
    let id = "channels.invite/joined-room/room-leader";
    let (dir, path) = temp();
    let mut cmd = binary();
    cmd.args(["run", "-q", "--target", server.url(), "--filter", id])
        .args(["--grant-settle-ms", "0", "--report-dir"])
        .arg(&path)
        .env("RC_CONFORM_ADMIN_USER", "rc-admin")
        .env("RC_CONFORM_ADMIN_PASSWORD", "rc-admin-password");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join");
    server.shutdown().await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = report(&path);
    let call = &case(&report, id)["calls"][0];
    assert_eq!(call["status"], 403);
    let reference = &call["reference"];
    assert_eq!(reference["version"], "8.5.0", "{call:#}");
    assert_eq!(reference["status"], 400);
    assert_eq!(reference["body"]["errorType"], "error-not-allowed");
    for file in ["summary.md", "junit.xml", "report.html"] {
        let shown = std::fs::read_to_string(dir.path().join("report").join(file)).expect(file);
        assert!(
            shown.contains("the reference server (Rocket.Chat 8.5.0) answered 400"),
            "{file} does not show the reference answer"
        );
    }
}

#[test]
fn a_server_that_differs_only_on_incidental_details_passes_unless_strict() {
    let args = [
        "-q",
        "--server-version",
        "7.4.0",
        "--deviate",
        "incidental-answers",
    ];
    let (out, report, _dir) = embedded(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["totals"]["fail"], 0, "{}", report["totals"]);
    assert!(report["totals"]["non_strict"].as_u64().unwrap_or(0) >= 9);
    for c in report["cases"].as_array().expect("cases") {
        if c["verdict"] == "non-strict" {
            let call = &c["calls"][0];
            assert!(call["compared"]["incidental"].is_string(), "{c:#}");
            assert!(
                call["mismatches"]
                    .as_array()
                    .expect("mismatches")
                    .iter()
                    .all(|m| m["level"] == "incidental"),
                "{c:#}"
            );
        }
    }
    let mut strict = args.to_vec();
    strict.push("--strict");
    let (out, _, _dir) = embedded(&strict);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_documented_error_type_that_differs_is_a_failure_not_non_strict() {
    let (out, report, _dir) = embedded(&["-q", "--deviate", "not-allowed-error-type"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(report["totals"]["non_strict"], 0);
    let failed: Vec<&Value> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    for c in failed {
        assert!(
            c["calls"][0]["mismatches"]
                .as_array()
                .expect("mismatches")
                .iter()
                .any(|m| m["check"] == "errorType" && m["level"] == "contract"),
            "{c:#}"
        );
    }
}

#[test]
fn without_a_room_listing_the_leak_check_reads_each_room_of_the_ledger() {
    let (out, report, _dir) = embedded(&["-q", "--without", "rooms.adminRooms"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["totals"]["fail"], 0);
    assert_eq!(report["cleanup"]["leftovers"], serde_json::json!([]));
    assert_eq!(report["cleanup"]["unverified"], serde_json::json!([]));
}
