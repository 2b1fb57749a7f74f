//! Fault injection end to end: the `rc-conform` binary runs a handful of cases against a
//! reference server through `fault_proxy`, which misbehaves on chosen requests — latency,
//! timeouts, 5xx, 503 and 429 answers, connection resets, truncated, non-JSON and oversized
//! bodies, failed and lost provisioning answers.
//!
//! Every faulted run must end normally with the documented exit code, print no panic, write a
//! `report.json` that parses and validates against `specs/report.schema.json`, give the
//! affected cases the right verdict and evidence (mismatches, attempts, retries), leave the
//! other cases alone, and leave the real server as it found it: users, rooms, roles and
//! permission grants are compared before and after, read from the server directly, not
//! through the proxy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::fault_proxy::{Fault, FaultProxy, Logged, Seen};
use axum::http::Method;
use rc_conform::reference::{ServerConfig, start};
use serde_json::{Value, json};

use crate::server_snapshot::{ADMIN, PASSWORD, Snapshot, snapshot};

const CHANNELS_INVITE: &str = "/api/v1/channels.invite";
const GROUPS_INVITE: &str = "/api/v1/groups.invite";

/// The channels.invite cases every run selects: an admin invite by `user`, a bulk invite by
/// usernames (two users), a room moderator's invite, and a member's invite under a global
/// permission grant (so the run changes and restores a permission).
const CHANNEL_CASES: [&str; 4] = [
    "channels.invite/users/user-key",
    "channels.invite/users/bulk-usernames",
    "channels.invite/joined-room/room-moderator",
    "channels.invite/joined-room/global-role-grant",
];
/// The one groups.invite case every run selects: faults on `groups.invite` hit it alone.
const GROUP_CASE: &str = "groups.invite/users/user-key";
/// The one case whose setup appoints a room moderator (`channels.addModerator`).
const MOD_CASE: &str = "channels.invite/joined-room/room-moderator";

/// The client's retry budget (`ClientConfig::attempts`).
const ATTEMPTS: u64 = 4;
/// The client's body limit (`ClientConfig::max_body`).
const MAX_BODY: usize = 4 * 1024 * 1024;

fn all_cases() -> Vec<&'static str> {
    let mut all = CHANNEL_CASES.to_vec();
    all.push(GROUP_CASE);
    all
}

// --- the server's state ------------------------------------------------------------------

/// What differs between two snapshots, one line per user, room, role or grant.
fn changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (what, b, a) in [
        ("user", &before.users, &after.users),
        ("room", &before.rooms, &after.rooms),
        ("role", &before.roles, &after.roles),
        ("permission", &before.permissions, &after.permissions),
    ] {
        out.extend(
            a.iter()
                .filter(|x| !b.contains(x))
                .map(|x| format!("{what} now: {x}")),
        );
        out.extend(
            b.iter()
                .filter(|x| !a.contains(x))
                .map(|x| format!("{what} before: {x}")),
        );
    }
    out
}

// --- running the binary through the proxy ------------------------------------------------

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
        .expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("report.schema.json: {e}"))
}

/// A run through a faulting proxy, after the checks every faulted run must pass.
pub(crate) struct Faulted {
    out: Output,
    pub(crate) report: Value,
    log: Vec<Logged>,
}

impl Faulted {
    pub(crate) fn code(&self) -> Option<i32> {
        self.out.status.code()
    }

    pub(crate) fn text(&self) -> String {
        text(&self.out)
    }

    pub(crate) fn case(&self, id: &str) -> &Value {
        self.report["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no record of {id}:\n{}", self.text()))
    }

    pub(crate) fn verdict(&self, id: &str) -> &str {
        self.case(id)["verdict"].as_str().expect("verdict")
    }

    /// The case's one call.
    pub(crate) fn call(&self, id: &str) -> &Value {
        let calls = self.case(id)["calls"].as_array().expect("calls");
        assert_eq!(calls.len(), 1, "{id} makes one call: {calls:#?}");
        &calls[0]
    }

    fn mismatches(&self, id: &str) -> Vec<String> {
        self.call(id)["mismatches"]
            .as_array()
            .expect("mismatches")
            .iter()
            .map(|m| {
                m["text"]
                    .as_str()
                    .expect("a mismatch has its text")
                    .to_owned()
            })
            .collect()
    }

    /// The exchange of the call under test in the case's transcript.
    fn invite(&self, id: &str) -> &Value {
        let path = invite_path(id);
        let found: Vec<&Value> = self.call(id)["transcript"]
            .as_array()
            .expect("transcript")
            .iter()
            .filter(|e| e["url"].as_str().is_some_and(|u| u.ends_with(path)))
            .collect();
        assert_eq!(found.len(), 1, "{id}: one {path} exchange: {found:#?}");
        found[0]
    }

    fn attempts(&self, id: &str) -> u64 {
        self.invite(id)["attempts"].as_u64().expect("attempts")
    }

    fn retries(&self, id: &str) -> Vec<String> {
        self.invite(id)["retries"]
            .as_array()
            .expect("retries")
            .iter()
            .map(|r| r.as_str().expect("a retry is text").to_owned())
            .collect()
    }

    /// Requests the proxy handled for `path`, with what it did to each.
    pub(crate) fn seen(&self, path: &str) -> Vec<String> {
        self.log
            .iter()
            .filter(|l| l.path == path)
            .map(|l| l.fault.clone())
            .collect()
    }

    /// Asserts that every case of `ids` passed outright (no retry).
    fn assert_passed(&self, ids: &[&str]) {
        for id in ids {
            assert_eq!(self.verdict(id), "pass", "{id}:\n{}", self.text());
            assert_eq!(self.attempts(id), 1, "{id}");
        }
    }
}

fn invite_path(id: &str) -> &'static str {
    if id.starts_with("groups.invite/") {
        GROUPS_INVITE
    } else {
        CHANNELS_INVITE
    }
}

/// Runs the selected cases through a proxy applying `rule` in front of a fresh reference
/// server, then checks what every faulted run must hold: a normal exit, no panic, a
/// report.json that parses, validates and records a clean cleanup, and the server's users,
/// rooms, roles and permissions exactly as before.
pub(crate) async fn faulted_run(
    rule: impl Fn(&Seen<'_>) -> Fault + Send + Sync + 'static,
    extra: &[&str],
) -> Faulted {
    let server = start(
        ServerConfig::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the reference server starts");
    let before = snapshot(server.url()).await;
    let proxy = FaultProxy::start(server.url(), rule).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let report_dir: PathBuf = dir.path().join("report");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_EXPECTATIONS")
        .env_remove("RC_CONFORM_REPORT_DIR")
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD)
        .args(["run", "--target", proxy.url(), "--grant-settle-ms", "0"])
        .args(["--timeout", "3", "--filter", &all_cases().join(",")])
        .arg("--report-dir")
        .arg(&report_dir)
        // A flag given twice takes its last value: `extra` may override the above.
        .args(extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join");
    let log = proxy.log();
    proxy.shutdown().await;
    let after = snapshot(server.url()).await;
    server.shutdown().await;

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "the run ends with a run verdict, not a crash or a refusal:\n{}",
        text(&out)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "panic text on stderr:\n{}",
        text(&out)
    );
    let written = std::fs::read_to_string(report_dir.join("report.json"))
        .unwrap_or_else(|e| panic!("report.json: {e}\n{}", text(&out)));
    let report: Value = serde_json::from_str(&written).expect("report.json parses");
    let violations: Vec<String> = report_schema()
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        violations.is_empty(),
        "report.json breaks its schema: {violations:#?}"
    );
    for case in report["cases"].as_array().expect("cases") {
        assert!(
            !case["reason"]
                .as_str()
                .is_some_and(|r| r.contains("panicked")),
            "a case panicked: {case:#}"
        );
    }
    let changed = changes(&before, &after);
    assert!(
        changed.is_empty(),
        "the run left the server changed: {changed:#?}\ncleanup: {}\n{}",
        report["cleanup"],
        text(&out)
    );
    assert_eq!(
        report["cleanup"]["leftovers"],
        json!([]),
        "{}",
        report["cleanup"]
    );
    assert_eq!(
        report["cleanup"]["errors"],
        json!([]),
        "{}",
        report["cleanup"]
    );
    assert_ne!(out.status.code(), Some(4), "{}", text(&out));
    Faulted { out, report, log }
}

// --- rules -------------------------------------------------------------------------------

fn is_invite(seen: &Seen<'_>) -> bool {
    seen.method == Method::POST && (seen.path == CHANNELS_INVITE || seen.path == GROUPS_INVITE)
}

/// How often each distinct request (path and body) has been seen. A retry re-sends the same
/// body and every case's call names its own fixtures, so "the first sighting" is each case's
/// first attempt.
#[derive(Default)]
pub(crate) struct Sightings(Mutex<HashMap<(String, Vec<u8>), u32>>);

impl Sightings {
    /// Counts `seen` and returns how often it has been seen, this time included.
    pub(crate) fn count(&self, seen: &Seen<'_>) -> u32 {
        let mut all = self.0.lock().expect("sightings");
        let n = all
            .entry((seen.path.to_owned(), seen.body.to_vec()))
            .or_default();
        *n += 1;
        *n
    }
}

/// Whether `seen` creates a case's room with `{prefix}.create` (the run's lock group,
/// `rc-conform-lock`, is not a case's room).
fn creates_case_room(seen: &Seen<'_>, prefix: &str) -> bool {
    seen.path == format!("/api/v1/{prefix}.create")
        && serde_json::from_slice::<Value>(seen.body)
            .is_ok_and(|b| b["name"].as_str().is_some_and(|n| n.starts_with("rcc-")))
}

/// The username `seen` creates, when it is a `users.create`.
fn created_user(seen: &Seen<'_>) -> Option<String> {
    if seen.path != "/api/v1/users.create" {
        return None;
    }
    let body: Value = serde_json::from_slice(seen.body).ok()?;
    body["username"].as_str().map(str::to_owned)
}

// --- latency and timeouts ----------------------------------------------------------------

/// 200 ms of latency on every call under test changes no verdict and causes no retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_within_the_timeout_changes_nothing() {
    let run = faulted_run(
        |seen| {
            if is_invite(seen) {
                Fault::delayed(Duration::from_millis(200), Fault::Forward)
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    run.assert_passed(&all_cases());
    for id in all_cases() {
        assert!(run.retries(id).is_empty(), "{id}");
        let took = run.invite(id)["duration_ms"].as_u64().expect("duration_ms");
        assert!(took >= 200, "{id}: the call took {took} ms");
    }
    assert_eq!(run.report["totals"]["pass"], 5, "{}", run.report["totals"]);
    assert_eq!(run.seen(CHANNELS_INVITE).len(), CHANNEL_CASES.len());
    assert_eq!(run.seen(GROUPS_INVITE).len(), 1);
}

/// Latency beyond `--timeout` fails the call with a timeout in its evidence, without a retry
/// (a timed-out POST may have been acted on); the other cases are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_beyond_the_timeout_fails_the_call_with_a_timeout() {
    let run = faulted_run(
        |seen| {
            if seen.method == Method::POST && seen.path == GROUPS_INVITE {
                // Never reached: the client hangs up after 2 s, and the proxy drops the call.
                Fault::delayed(Duration::from_secs(5), Fault::Forward)
            } else {
                Fault::Forward
            }
        },
        &["--timeout", "2"],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "fail", "{}", run.text());
    let mismatches = run.mismatches(GROUP_CASE);
    assert!(
        mismatches
            .iter()
            .any(|m| m
                == "response: expected HTTP 200, got no usable response (no response within 2s)"),
        "{mismatches:#?}"
    );
    let invite = run.invite(GROUP_CASE);
    assert_eq!(invite["status"], Value::Null, "{invite:#}");
    assert_eq!(invite["error"], "no response within 2s", "{invite:#}");
    let took = invite["duration_ms"].as_u64().expect("duration_ms");
    assert!(
        (2000..4500).contains(&took),
        "the call gave up after {took} ms"
    );
    assert_eq!(run.attempts(GROUP_CASE), 1);
    assert!(run.retries(GROUP_CASE).is_empty());
    assert_eq!(run.call(GROUP_CASE)["status"], Value::Null);
    assert_eq!(run.seen(GROUPS_INVITE).len(), 1, "{:?}", run.log);
    run.assert_passed(&CHANNEL_CASES);
    assert!(
        String::from_utf8_lossy(&run.out.stdout).contains(&format!("FAIL {GROUP_CASE}")),
        "{}",
        run.text()
    );
}

// --- error statuses ----------------------------------------------------------------------

/// 500 and 502 are answers, not transport failures: no retry, and the case fails with the
/// status in its mismatches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_500_and_502_are_not_retried_and_fail_with_the_status() {
    let run = faulted_run(
        |seen| match (seen.method == Method::POST, seen.path) {
            (true, CHANNELS_INVITE) => Fault::json_error(500, "Internal server error"),
            (true, GROUPS_INVITE) => Fault::respond(502, "text/html", "<html>Bad Gateway</html>"),
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    for (id, status) in CHANNEL_CASES
        .iter()
        .map(|id| (*id, 500))
        .chain([(GROUP_CASE, 502)])
    {
        assert_eq!(run.verdict(id), "fail", "{id}:\n{}", run.text());
        let mismatches = run.mismatches(id);
        assert!(
            mismatches.contains(&format!("status: expected 200, got {status}")),
            "{id}: {mismatches:#?}"
        );
        assert_eq!(run.call(id)["status"], status, "{id}");
        assert_eq!(run.invite(id)["status"], status, "{id}");
        assert_eq!(run.attempts(id), 1, "{id}");
        assert!(run.retries(id).is_empty(), "{id}");
    }
    assert!(
        run.mismatches(GROUP_CASE)
            .iter()
            .any(|m| m.starts_with("body: expected JSON, got 24 bytes that are not JSON")),
        "{:#?}",
        run.mismatches(GROUP_CASE)
    );
    assert_eq!(run.seen(CHANNELS_INVITE).len(), CHANNEL_CASES.len());
    assert_eq!(run.seen(GROUPS_INVITE).len(), 1);
    assert_eq!(run.report["totals"]["fail"], 5, "{}", run.report["totals"]);
}

/// A 503 once is retried; the case passes on the second attempt and is `flaky`, with both
/// attempts and the reason in its transcript. Flaky does not fail the gate: exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_once_is_retried_and_the_case_is_flaky() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| {
            if is_invite(seen) && sightings.count(seen) == 1 {
                Fault::json_error(503, "Service Unavailable")
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    for id in all_cases() {
        assert_eq!(run.verdict(id), "flaky", "{id}:\n{}", run.text());
        assert_eq!(
            run.case(id)["reason"],
            "a request was retried for transport reasons (see the transcript)"
        );
        assert!(run.mismatches(id).is_empty(), "{id}");
        assert_eq!(run.attempts(id), 2, "{id}");
        assert_eq!(
            run.retries(id),
            ["attempt 1: status 503; retried after 400 ms"],
            "{id}"
        );
        assert_eq!(run.invite(id)["status"], 200, "{id}");
    }
    assert_eq!(run.report["totals"]["flaky"], 5, "{}", run.report["totals"]);
    assert_eq!(
        run.seen(CHANNELS_INVITE).len(),
        2 * CHANNEL_CASES.len(),
        "{:?}",
        run.log
    );
    assert_eq!(run.seen(GROUPS_INVITE), ["respond 503", "forward"]);
}

/// A 429 with `Retry-After: 1` is sent again after the second it asks for. That is the
/// target's rate limiter at work, not flakiness: the case passes, the wait is counted in the
/// report, and the cases the 429 did not touch simply pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_for_counted_and_not_flaky() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| {
            if seen.path == GROUPS_INVITE && sightings.count(seen) == 1 {
                Fault::json_error(429, "error-too-many-requests").with_header("Retry-After", "1")
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "pass", "{}", run.text());
    assert_eq!(run.attempts(GROUP_CASE), 2);
    assert!(run.retries(GROUP_CASE).is_empty());
    assert_eq!(
        run.invite(GROUP_CASE)["rate_limit_waits"],
        serde_json::json!([{"attempt": 1, "waited_ms": 1000}])
    );
    assert_eq!(
        run.report["rate_limit"],
        serde_json::json!({"waits": 1, "waited_ms": 1000})
    );
    assert!(
        run.case(GROUP_CASE)["reason"]
            .as_str()
            .is_some_and(|r| r.contains("waited 1.0 s for the target's rate limiter")),
        "{}",
        run.case(GROUP_CASE)
    );
    let took = run.invite(GROUP_CASE)["duration_ms"]
        .as_u64()
        .expect("duration_ms");
    assert!(took >= 1000, "the retry waited {took} ms in all");
    assert_eq!(run.seen(GROUPS_INVITE), ["respond 429", "forward"]);
    run.assert_passed(&CHANNEL_CASES);
    assert_eq!(run.report["totals"]["flaky"], 0);
    assert_eq!(run.report["totals"]["pass"], 5);
}

// --- broken connections and bodies -------------------------------------------------------

/// A connection reset before any response is a connection failure: retried. Once, the case
/// passes as flaky; on every attempt, the case fails after the retry budget with the
/// connection failure as evidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_resets_are_retried_and_fail_the_case_when_they_persist() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| match (seen.method == Method::POST, seen.path) {
            (true, CHANNELS_INVITE) if sightings.count(seen) == 1 => Fault::Reset,
            (true, GROUPS_INVITE) => Fault::Reset,
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    for id in CHANNEL_CASES {
        assert_eq!(run.verdict(id), "flaky", "{id}:\n{}", run.text());
        assert_eq!(run.attempts(id), 2, "{id}");
        let retries = run.retries(id);
        assert_eq!(retries.len(), 1, "{id}: {retries:?}");
        assert!(
            retries[0].starts_with("attempt 1: connection failed:")
                && retries[0].ends_with("retried after 400 ms"),
            "{id}: {retries:?}"
        );
    }
    assert_eq!(run.verdict(GROUP_CASE), "fail", "{}", run.text());
    assert_eq!(run.attempts(GROUP_CASE), ATTEMPTS);
    let retries = run.retries(GROUP_CASE);
    assert_eq!(retries.len(), 3, "{retries:?}");
    for (i, (retry, wait)) in retries.iter().zip([400, 800, 1600]).enumerate() {
        assert!(
            retry.starts_with(&format!("attempt {}: connection failed:", i + 1))
                && retry.ends_with(&format!("retried after {wait} ms")),
            "{retries:?}"
        );
    }
    let invite = run.invite(GROUP_CASE);
    assert_eq!(invite["status"], Value::Null);
    assert!(
        invite["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("connection failed:")),
        "{invite:#}"
    );
    let mismatches = run.mismatches(GROUP_CASE);
    assert!(
        mismatches.iter().any(|m| m.starts_with(
            "response: expected HTTP 200, got no usable response (connection failed:"
        )),
        "{mismatches:#?}"
    );
    assert_eq!(run.seen(GROUPS_INVITE), ["reset"; ATTEMPTS as usize]);
}

/// A 200 whose body is HTML fails the case with "not JSON" evidence, without a retry. A body
/// cut short on every attempt (`Content-Length` larger than what is sent, then the
/// connection closes; the server never sees the call) fails the case with the transport
/// error as evidence. Neither panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_and_truncated_bodies_fail_the_case_with_evidence() {
    let run = faulted_run(
        |seen| match (seen.method == Method::POST, seen.path) {
            (true, CHANNELS_INVITE) => Fault::respond(200, "text/html", "<html>oops</html>"),
            (true, GROUPS_INVITE) => Fault::Truncated {
                declared: 400,
                body: br#"{"group":{"_id":"#.to_vec(),
            },
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    for id in CHANNEL_CASES {
        assert_eq!(run.verdict(id), "fail", "{id}:\n{}", run.text());
        // The body comes first; the state read afterwards (the call never reached the server,
        // so nothing changed) is judged too.
        assert_eq!(
            run.mismatches(id).first().map(String::as_str),
            Some("body: expected JSON, got 17 bytes that are not JSON: \"<html>oops</html>\""),
            "{id}"
        );
        assert_eq!(run.call(id)["status"], 200, "{id}");
        assert_eq!(run.invite(id)["response_body"], "<html>oops</html>", "{id}");
        assert_eq!(run.attempts(id), 1, "{id}");
    }
    assert_eq!(run.seen(CHANNELS_INVITE).len(), CHANNEL_CASES.len());

    assert_eq!(run.verdict(GROUP_CASE), "fail", "{}", run.text());
    let invite = run.invite(GROUP_CASE);
    assert_eq!(invite["status"], Value::Null, "{invite:#}");
    assert!(
        invite["error"]
            .as_str()
            .is_some_and(|e| e.contains("the response (status 200) broke off")),
        "{invite:#}"
    );
    let mismatches = run.mismatches(GROUP_CASE);
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert!(
        mismatches[0].starts_with(
            "response: expected HTTP 200, got no usable response (the response (status 200) broke off"
        ),
        "{mismatches:#?}"
    );
    assert_eq!(run.call(GROUP_CASE)["status"], Value::Null);
}

/// A body cut short (`Content-Length` larger than what is sent, then the connection closes)
/// after the server acted on the call fails the case with the transport error as evidence.
/// It is not retried: a response had begun, so the POST reached the server, and sending it
/// again would invite twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_fails_the_case_without_a_retry() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| {
            if seen.method == Method::POST
                && seen.path == GROUPS_INVITE
                && sightings.count(seen) == 1
            {
                Fault::LoseAnswer(Box::new(Fault::Truncated {
                    declared: 400,
                    body: br#"{"group":{"_id":"#.to_vec(),
                }))
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(
        run.seen(GROUPS_INVITE).len(),
        1,
        "the invite was sent again after its response had begun: {:?}\nretries: {:?}\n{}",
        run.seen(GROUPS_INVITE),
        run.retries(GROUP_CASE),
        run.text()
    );
    assert_eq!(run.attempts(GROUP_CASE), 1);
    assert_eq!(run.code(), Some(1), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "fail", "{}", run.text());
    let invite = run.invite(GROUP_CASE);
    assert_eq!(invite["status"], Value::Null, "{invite:#}");
    assert!(invite["error"].is_string(), "{invite:#}");
    let mismatches = run.mismatches(GROUP_CASE);
    assert!(
        mismatches
            .iter()
            .any(|m| m.starts_with("response: expected HTTP 200, got no usable response (")),
        "{mismatches:#?}"
    );
    run.assert_passed(&CHANNEL_CASES);
}

/// A 10 MB body is cut at the client's limit: the case fails with "response body larger
/// than …" evidence, without a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_fails_the_case_with_body_too_large_evidence() {
    let run = faulted_run(
        |seen| {
            if seen.method == Method::POST && seen.path == GROUPS_INVITE {
                Fault::Oversized { bytes: 10_000_000 }
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "fail", "{}", run.text());
    let error = format!("response body larger than {MAX_BODY} bytes");
    assert_eq!(
        run.mismatches(GROUP_CASE),
        [format!(
            "response: expected HTTP 200, got no usable response ({error})"
        )]
    );
    assert_eq!(run.invite(GROUP_CASE)["error"], error.as_str());
    assert_eq!(run.attempts(GROUP_CASE), 1);
    assert_eq!(run.seen(GROUPS_INVITE), ["oversized 10000000 bytes"]);
    run.assert_passed(&CHANNEL_CASES);
}

// --- provisioning ------------------------------------------------------------------------

/// A provisioning call that fails makes that case `error` (its setup could not be
/// provisioned, with the failing exchange as evidence) and its call is never made; the other
/// cases are unaffected. Two faults: `channels.addModerator` answering 500 once (an answer:
/// not retried), and `groups.create` of the group case's room resetting the connection on
/// every attempt (retried, then given up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_provisioning_is_an_error_for_that_case_only() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| {
            if seen.path == "/api/v1/channels.addModerator" && sightings.count(seen) == 1 {
                Fault::json_error(500, "Internal server error")
            } else if creates_case_room(seen, "groups") {
                Fault::Reset
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());

    assert_eq!(run.verdict(MOD_CASE), "error", "{}", run.text());
    let case = run.case(MOD_CASE);
    let reason = case["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("setup could not be provisioned: channels.addModerator in room ")
            && reason.ends_with(": HTTP 500: Internal server error"),
        "{reason}"
    );
    assert_eq!(case["calls"], json!([]));
    let setup = case["setup_transcript"]
        .as_array()
        .expect("setup_transcript");
    assert_eq!(setup.len(), 1, "{setup:#?}");
    assert!(
        setup[0]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/api/v1/channels.addModerator")),
        "{setup:#?}"
    );
    assert_eq!(setup[0]["status"], 500);
    assert_eq!(setup[0]["attempts"], 1);

    assert_eq!(run.verdict(GROUP_CASE), "error", "{}", run.text());
    let case = run.case(GROUP_CASE);
    let reason = case["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("setup could not be provisioned: creating room `rcc-")
            && reason.contains("-hideout` (groups.create): connection failed:"),
        "{reason}"
    );
    let setup = case["setup_transcript"]
        .as_array()
        .expect("setup_transcript");
    assert_eq!(setup.len(), 1, "{setup:#?}");
    assert_eq!(setup[0]["status"], Value::Null);
    assert_eq!(setup[0]["attempts"], ATTEMPTS);
    assert_eq!(setup[0]["retries"].as_array().map(Vec::len), Some(3));

    let unaffected: Vec<&str> = CHANNEL_CASES
        .iter()
        .copied()
        .filter(|id| *id != MOD_CASE)
        .collect();
    run.assert_passed(&unaffected);
    assert_eq!(run.report["totals"]["error"], 2, "{}", run.report["totals"]);
    assert_eq!(run.report["totals"]["pass"], 3, "{}", run.report["totals"]);
    // Neither errored case made its call.
    assert_eq!(run.seen(CHANNELS_INVITE).len(), unaffected.len());
    assert!(run.seen(GROUPS_INVITE).is_empty());
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    for id in [MOD_CASE, GROUP_CASE] {
        assert!(stdout.contains(&format!("ERROR {id}")), "{}", run.text());
    }
}

/// The run's first `users.create` answers 500 once. Whoever needed that user — one case
/// (which is then `error` with the 500 as evidence) or the run's shared user pool (which the
/// runner may give up for per-case users) — nothing else is affected and nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_create_500_once_errors_at_most_the_case_that_needed_the_user() {
    let faulted: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_by_rule = faulted.clone();
    let run = faulted_run(
        move |seen| {
            let mut faulted = seen_by_rule.lock().expect("faulted");
            match created_user(seen) {
                Some(user) if faulted.is_empty() => {
                    faulted.push(user);
                    Fault::json_error(500, "Internal server error")
                }
                _ => Fault::Forward,
            }
        },
        &[],
    )
    .await;
    let faulted = faulted.lock().expect("faulted").clone();
    assert_eq!(
        faulted.len(),
        1,
        "a users.create was faulted: {:?}",
        run.log
    );
    let errors: Vec<&str> = all_cases()
        .into_iter()
        .filter(|id| run.verdict(id) != "pass")
        .collect();
    assert!(errors.len() <= 1, "{}", run.text());
    for id in &errors {
        assert_eq!(run.verdict(id), "error", "{}", run.text());
        let reason = run.case(id)["reason"].as_str().expect("reason");
        assert_eq!(
            reason,
            format!(
                "setup could not be provisioned: creating user `{}`: HTTP 500: Internal server error",
                faulted[0]
            ),
        );
    }
    let passed: Vec<&str> = all_cases()
        .into_iter()
        .filter(|id| !errors.contains(id))
        .collect();
    run.assert_passed(&passed);
    assert_eq!(
        run.code(),
        Some(if errors.is_empty() { 0 } else { 1 }),
        "{}",
        run.text()
    );
}

/// The run's first `users.create` reaches the server, which creates the user, but the answer
/// is lost on the way back (a gateway answers 502). The runner cannot know the user's id,
/// but the ledger has its name: the user must not be left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_users_create_answer_leaves_no_user_behind() {
    let faulted: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_by_rule = faulted.clone();
    let run = faulted_run(
        move |seen| {
            let mut faulted = seen_by_rule.lock().expect("faulted");
            match created_user(seen) {
                Some(user) if faulted.is_empty() => {
                    faulted.push(user);
                    Fault::LoseAnswer(Box::new(Fault::respond(
                        502,
                        "text/html",
                        "<html>Bad Gateway</html>",
                    )))
                }
                _ => Fault::Forward,
            }
        },
        &[],
    )
    .await;
    // faulted_run has compared the server's users before and after; the rest is verdicts.
    for id in all_cases() {
        let verdict = run.verdict(id);
        assert!(verdict == "pass" || verdict == "error", "{id}: {verdict}");
    }
}

/// `groups.create` of the group case's room reaches the server, which creates the group, but
/// the answer is lost (a gateway answers 504). The case is an error, and the group must not
/// be left behind: its name is in the ledger, and the run's own leftover check finds it by
/// that name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_groups_create_answer_leaves_no_room_behind() {
    let run = faulted_run(
        |seen| {
            if creates_case_room(seen, "groups") {
                Fault::LoseAnswer(Box::new(Fault::json_error(504, "Gateway Timeout")))
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "error", "{}", run.text());
    run.assert_passed(&CHANNEL_CASES);
}

/// Drops `usersCount` and `msgs` from every room a `rooms.adminRooms` answer lists.
fn without_counters(body: &[u8]) -> Vec<u8> {
    let mut answer: Value = serde_json::from_slice(body).expect("a JSON listing");
    for room in answer["rooms"].as_array_mut().into_iter().flatten() {
        if let Some(room) = room.as_object_mut() {
            room.remove("usersCount");
            room.remove("msgs");
        }
    }
    answer.to_string().into_bytes()
}

/// Drops `user.rooms` from a `users.info` answer (a server without `includeUserRooms`).
pub(crate) fn without_user_rooms(body: &[u8]) -> Vec<u8> {
    let mut answer: Value = serde_json::from_slice(body).expect("a JSON answer");
    if let Some(user) = answer["user"].as_object_mut() {
        user.remove("rooms");
    }
    answer.to_string().into_bytes()
}

/// A target whose bulk reads come back without what they are for (a listing without the
/// counters, `users.info` without the user's rooms) is read room by room instead: every case
/// passes, and its evidence holds the room's own info and members reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_bulk_reads_the_state_is_read_room_by_room() {
    let run = faulted_run(
        |seen| match seen.path {
            "/api/v1/rooms.adminRooms" => Fault::Rewrite(without_counters),
            "/api/v1/users.info" => Fault::Rewrite(without_user_rooms),
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    run.assert_passed(&all_cases());
    let urls = |id: &str| -> Vec<String> {
        run.call(id)["transcript"]
            .as_array()
            .expect("transcript")
            .iter()
            .map(|e| e["url"].as_str().expect("url").to_owned())
            .collect()
    };
    for id in all_cases() {
        let urls = urls(id);
        let kind = if id.starts_with("groups.") {
            "groups"
        } else {
            "channels"
        };
        assert!(
            urls.iter()
                .any(|u| u.contains(&format!("/api/v1/{kind}.info"))),
            "{id} read its room's counters itself: {urls:#?}"
        );
    }
    let id = "channels.invite/users/user-key";
    assert!(
        urls(id)
            .iter()
            .any(|u| u.contains("/api/v1/channels.members")),
        "{id} read its room's members itself: {:#?}",
        urls(id)
    );
}

/// Against a target that supports them, the counters and memberships come from the bulk
/// reads, and each case's evidence is an excerpt of them that names only its own rooms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_are_shared_and_each_case_keeps_an_excerpt() {
    let run = faulted_run(|_| Fault::Forward, &[]).await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    run.assert_passed(&all_cases());
    // One listing before the calls, one after the default-grant group's calls (read and
    // judged while the grant groups run), one after the grant groups', and one for the
    // leftover check: never one per case.
    assert_eq!(run.seen("/api/v1/rooms.adminRooms").len(), 4);
    let id = "channels.invite/users/user-key";
    let sent: Value = serde_json::from_str(run.invite(id)["request_body"].as_str().expect("body"))
        .expect("a JSON body");
    let room_id = sent["roomId"]
        .as_str()
        .expect("the call names its room by id");
    let transcript = run.call(id)["transcript"].as_array().expect("transcript");
    let excerpts: Vec<&Value> = transcript
        .iter()
        .filter(|e| e["note"].is_string())
        .collect();
    // The counters before and after, and the invitee's rooms.
    assert_eq!(excerpts.len(), 3, "{transcript:#?}");
    for e in excerpts {
        let body: Value =
            serde_json::from_str(e["response_body"].as_str().expect("body")).expect("JSON");
        let listed = body["rooms"]
            .as_array()
            .or_else(|| body["user"]["rooms"].as_array())
            .expect("the excerpt lists rooms");
        let ids: Vec<&str> = listed
            .iter()
            .map(|r| {
                r["_id"]
                    .as_str()
                    .or_else(|| r["rid"].as_str())
                    .expect("an id")
            })
            .collect();
        assert_eq!(ids, [room_id], "only this case's room: {e:#?}");
    }
}
