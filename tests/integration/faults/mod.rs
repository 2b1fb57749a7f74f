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

mod bodies;
pub(crate) mod bulk_reads;
mod provisioning;
mod statuses;

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
    let mut cmd = run_command(proxy.url(), &report_dir, extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("join");
    let log = proxy.log();
    proxy.shutdown().await;
    let after = snapshot(server.url()).await;
    server.shutdown().await;

    let report = ended_normally_with_a_valid_report(&out, &report_dir);
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

/// The binary running every selected case against `target` as the reference server's admin,
/// its reports into `report_dir`; `extra` arguments come last, so they may override.
fn run_command(target: &str, report_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_EXPECTATIONS")
        .env_remove("RC_CONFORM_REPORT_DIR")
        .env("RC_CONFORM_ADMIN_USER", ADMIN)
        .env("RC_CONFORM_ADMIN_PASSWORD", PASSWORD)
        .args(["run", "--target", target, "--grant-settle-ms", "0"])
        // The proxy fronts a disposable reference server: built-in grants are harmless there.
        .arg("--allow-global-grants")
        .args(["--timeout", "3", "--filter", &all_cases().join(",")])
        .arg("--report-dir")
        .arg(report_dir)
        // A flag given twice takes its last value: `extra` may override the above.
        .args(extra);
    cmd
}

/// Checks that the run ended with a run verdict and no panic, and that its report.json
/// parses, validates against its schema and records no panicked case; returns the report.
fn ended_normally_with_a_valid_report(out: &Output, report_dir: &Path) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 4)),
        "the run ends with a run verdict, not a crash or a refusal:\n{}",
        text(out)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "panic text on stderr:\n{}",
        text(out)
    );
    let written = std::fs::read_to_string(report_dir.join("report.json"))
        .unwrap_or_else(|e| panic!("report.json: {e}\n{}", text(out)));
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
    report
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
