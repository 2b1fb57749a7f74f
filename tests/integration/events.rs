//! The event stream of `rc-conform run --message-format ndjson`, read as a consumer would:
//! the binary runs against the embedded reference server, every line of its stdout is parsed
//! and validated against `specs/events.schema.json`, the order of the events is checked, and
//! the figures of `run-finished` are compared with the `report.json` the run wrote.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use camino::Utf8PathBuf;
use serde_json::{Value, json};

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh report directory for one run of this test process.
fn scratch(name: &str) -> Utf8PathBuf {
    let dir = Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("events")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("specs/events.schema.json")).expect("schema");
    serde_json::from_str(&text).expect("events.schema.json is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema())
        .unwrap_or_else(|e| panic!("events.schema.json: {e}"))
}

fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// What one run gave: its exit code, its events, its stderr and its report.json.
struct Streamed {
    code: Option<i32>,
    events: Vec<Value>,
    stderr: String,
    report: Value,
}

/// Runs the binary with `args` (and `env`), validating every stdout line as it is read.
fn stream(name: &str, args: &[&str], env: &[(&str, &str)]) -> Streamed {
    let dir = scratch(name);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_REPORT_DIR")
        .env_remove("RC_CONFORM_ADMIN_USER")
        .env_remove("RC_CONFORM_ADMIN_PASSWORD")
        .env_remove("RC_CONFORM_MESSAGE_FORMAT")
        .envs(env.iter().copied())
        .arg("run")
        .args(args)
        .arg("--report-dir")
        .arg(&dir);
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stdout.ends_with('\n'),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let validator = validator();
    let events: Vec<Value> = stdout
        .lines()
        .enumerate()
        .map(|(n, line)| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line {} is not JSON ({e}): {line}", n + 1));
            assert_eq!(
                violations(&validator, &event),
                Vec::<String>::new(),
                "line {}: {line}",
                n + 1
            );
            event
        })
        .collect();
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let report = serde_json::from_str(&text).expect("report.json is JSON");
    Streamed {
        code: out.status.code(),
        events,
        stderr,
        report,
    }
}

fn name(event: &Value) -> &str {
    event["event"].as_str().expect("every event has a name")
}

/// The order a consumer relies on; gives the ids of the finished cases with their verdicts.
fn check_order(events: &[Value]) -> BTreeMap<String, String> {
    let names: Vec<&str> = events.iter().map(name).collect();
    assert_eq!(names.first(), Some(&"run-started"), "{names:?}");
    assert_eq!(names.last(), Some(&"run-finished"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "run-started").count(), 1);
    assert_eq!(names.iter().filter(|n| **n == "run-finished").count(), 1);
    assert_eq!(
        names.iter().filter(|n| **n == "cleanup-finished").count(),
        1
    );
    let cleanup = names.iter().position(|n| *n == "cleanup-finished");
    let mut started = BTreeSet::new();
    let mut finished = BTreeMap::new();
    for event in events {
        let id = event["id"].as_str().map(str::to_owned);
        match (name(event), id) {
            ("case-started", Some(id)) => assert!(started.insert(id), "started twice"),
            ("case-finished", Some(id)) => {
                assert!(started.contains(&id), "{id} finished before it started");
                let verdict = event["verdict"].as_str().expect("verdict").to_owned();
                assert!(finished.insert(id, verdict).is_none(), "finished twice");
            }
            _ => {}
        }
    }
    let started_ids: BTreeSet<&String> = started.iter().collect();
    let finished_ids: BTreeSet<&String> = finished.keys().collect();
    assert_eq!(
        started_ids, finished_ids,
        "a case-finished for every case-started"
    );
    assert!(cleanup.is_some_and(|c| c < names.len() - 1));
    let selected = events[0]["selected"].as_u64().expect("selected");
    assert_eq!(finished.len() as u64, selected, "every selected case ran");
    finished
}

/// run-finished agrees with report.json, with the process and with the case events.
fn check_finish(run: &Streamed, finished: &BTreeMap<String, String>) {
    let last = run.events.last().expect("events");
    assert_eq!(last["totals"], run.report["totals"]);
    assert_eq!(last["conformance"], run.report["conformance"]);
    assert_eq!(last["run_id"], run.report["run"]["run_id"]);
    assert_eq!(last["run_id"], run.events[0]["run_id"]);
    assert_eq!(last["exit_code"].as_i64(), run.code.map(i64::from));
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for verdict in finished.values() {
        *tally.entry(verdict.replace('-', "_")).or_default() += 1;
    }
    *tally.entry("skipped".into()).or_default() += run.events[0]["skipped"].as_u64().expect("n");
    for (verdict, count) in last["totals"].as_object().expect("totals") {
        let counted = tally.get(verdict).copied().unwrap_or(0);
        assert_eq!(Some(counted), count.as_u64(), "{verdict}");
    }
    let reports: Vec<&str> = last["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(reports.len(), 4, "{reports:?}");
    assert!(reports.iter().all(|p| std::path::Path::new(p).is_file()));
    assert!(run.stderr.contains("report: "), "the summary is on stderr");
}

#[test]
fn the_whole_suite_streams_valid_events_in_order() {
    let run = stream("whole", &["--message-format", "ndjson"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let finished = check_order(&run.events);
    check_finish(&run, &finished);
    let cases = run.report["cases"].as_array().expect("cases").len();
    let skipped = run.events[0]["skipped"].as_u64().expect("skipped");
    assert_eq!(
        finished.len() as u64 + skipped,
        cases as u64,
        "every case is accounted for"
    );
    assert_eq!(run.events[0]["line"], "8.x");
    let cleanup = run.events.iter().find(|e| name(e) == "cleanup-finished");
    assert_eq!(cleanup.map(|c| &c["leftovers"]), Some(&json!([])));
}

#[test]
fn a_filtered_run_streams_only_the_selected_cases() {
    let filter = "channels.invite/room/*,groups.invite/auth/*";
    let run = stream(
        "filtered",
        &["--filter", filter],
        &[("RC_CONFORM_MESSAGE_FORMAT", "ndjson")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let finished = check_order(&run.events);
    check_finish(&run, &finished);
    assert!(finished.len() >= 4, "{finished:?}");
    assert!(run.events[0]["skipped"].as_u64() > Some(0));
    for id in finished.keys() {
        assert!(
            id.starts_with("channels.invite/room/") || id.starts_with("groups.invite/auth/"),
            "{id}"
        );
    }
}

#[test]
fn failures_carry_their_mismatches_and_the_exit_code() {
    let run = stream(
        "failing",
        &[
            "--message-format",
            "ndjson",
            "--deviate",
            "ignore-room-roles",
            "--filter",
            "*/joined-room/*",
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let finished = check_order(&run.events);
    check_finish(&run, &finished);
    let failed: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| name(e) == "case-finished" && e["verdict"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    for event in failed {
        let mismatches = event["mismatches"].as_array().expect("mismatches");
        assert!(mismatches.iter().any(|m| m["effect"] == "fails"), "{event}");
    }
}

#[test]
fn the_schema_is_closed_and_knows_only_its_events() {
    assert_eq!(
        violations(&jsonschema::draft202012::meta::validator(), &schema()),
        Vec::<String>::new()
    );
    let validator = validator();
    let good = json!({"event": "case-started", "time": "2026-01-02T03:04:05.678Z", "id": "x"});
    assert_eq!(violations(&validator, &good), Vec::<String>::new());
    let mut extra = good.clone();
    extra["colour"] = json!("red");
    assert!(!violations(&validator, &extra).is_empty());
    let mut unknown = good.clone();
    unknown["event"] = json!("case-paused");
    assert!(!violations(&validator, &unknown).is_empty());
    let mut time = good;
    time["time"] = json!("yesterday");
    assert!(!violations(&validator, &time).is_empty());
}
