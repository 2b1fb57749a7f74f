//! The client compatibility profiles end to end: the `rc-conform` binary evaluates
//! `specs/clients.yaml` against the embedded reference server at 9.0.0 (the typed routes'
//! closed bodies break the Go SDK's bulk invite and the React Native app's group invite) and
//! at 8.5.0 (every client ok); each format shows the clients (report.json validated against
//! its schema, junit.xml read by junitparser, summary.md, report.html); `diff` names the
//! clients a release breaks; `--gate-clients` gates them; a filtered run, a partitioned run
//! and a target without `channels.messages` report `not-run` with the reason; a run against a
//! server started here leaves it as it found it.

use std::process::{Command, Output};
use std::sync::OnceLock;

use camino::Utf8PathBuf;
use serde_json::{Value, json};

mod formats;
mod selection;

/// A case the runs select, so that they stay short (`--clients` evaluates the profiles anyway).
const CASE: &str = "channels.invite/users/user-key";
const BROKEN_AT_9: [&str; 2] = ["go-sdk", "react-native"];
const OK_AT_9: [&str; 3] = ["python-rocketchat-api", "js-sdk", "ruqola"];

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for `name` under `target/tmp/clients/`, per test process.
fn scratch(name: &str) -> Utf8PathBuf {
    let dir = Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("clients")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_REPORT_DIR")
        .env_remove("RC_CONFORM_ADMIN_USER")
        .env_remove("RC_CONFORM_ADMIN_PASSWORD")
        .env_remove("RC_CONFORM_GATE_CLIENTS")
        .env_remove("RC_CONFORM_MESSAGE_FORMAT");
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A run of the binary against the embedded server: its output, directory and report.json.
struct Run {
    out: Output,
    dir: Utf8PathBuf,
    report: Value,
}

fn embedded(name: &str, args: &[&str]) -> Run {
    let dir = scratch(name);
    let out = binary()
        .args(["run", "-q", "--report-dir", dir.as_str()])
        .args(args)
        .output()
        .expect("the binary runs");
    let text_of = std::fs::read_to_string(dir.join("report.json"))
        .unwrap_or_else(|e| panic!("report.json ({e}):\n{}", text(&out)));
    let report = serde_json::from_str(&text_of).expect("report.json is JSON");
    Run { out, dir, report }
}

/// The 9.0.0 run, made once for every test that reads it.
fn at_9() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        embedded(
            "at-9",
            &["--server-version", "9.0.0", "--filter", CASE, "--clients"],
        )
    })
}

/// The 8.5.0 run, made once.
fn at_8() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        embedded(
            "at-8",
            &["--server-version", "8.5.0", "--filter", CASE, "--clients"],
        )
    })
}

/// Client id → status.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().expect(k).to_owned();
            (field("id"), field("status"))
        })
        .collect()
}

fn client<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no client {id}"))
}

#[test]
fn at_9_0_0_the_closed_bodies_break_the_go_sdk_and_the_react_native_group_invite() {
    let run = at_9();
    assert_eq!(run.out.status.code(), Some(0), "{}", text(&run.out));
    let mut expected: Vec<(String, String)> = Vec::new();
    for id in [
        "go-sdk",
        "react-native",
        "python-rocketchat-api",
        "js-sdk",
        "ruqola",
    ] {
        let status = if BROKEN_AT_9.contains(&id) {
            "broken"
        } else {
            "ok"
        };
        expected.push((id.to_owned(), status.to_owned()));
    }
    assert_eq!(statuses(&run.report), expected);
    // The React Native app's channel invites (by username, one per user) still hold.
    let uses = client(&run.report, "react-native")["uses"]
        .as_array()
        .expect("uses");
    let by_endpoint: Vec<(&str, &str)> = uses
        .iter()
        .map(|u| {
            (
                u["endpoint"].as_str().expect("e"),
                u["status"].as_str().expect("s"),
            )
        })
        .collect();
    assert_eq!(
        by_endpoint,
        [("channels.invite", "ok"), ("groups.invite", "broken")]
    );
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    assert!(
        stdout.contains("clients: 3 ok, 2 broken (Rocket.Chat Go SDK, "),
        "{}",
        text(&run.out)
    );
}

#[test]
fn at_8_5_0_every_client_is_ok() {
    let run = at_8();
    assert_eq!(run.out.status.code(), Some(0), "{}", text(&run.out));
    for (id, status) in statuses(&run.report) {
        assert_eq!(
            status,
            "ok",
            "{id}: {}",
            client(&run.report, &id)["details"]
        );
    }
    assert_eq!(statuses(&run.report).len(), 5);
}

#[test]
fn a_broken_client_carries_the_request_and_the_answer_that_break_it() {
    let go = client(&at_9().report, "go-sdk");
    let details = go["details"].as_str().expect("details");
    assert!(
        details.starts_with("channels.invite {roomId, userIds}, one call for 2 users: ")
            && details.contains("status: needs 200, got 400 (error-invalid-params)"),
        "{details}"
    );
    let used = &go["uses"][0];
    assert_eq!(
        used["unmet"][0],
        "request 1: status: needs 200, got 400 (error-invalid-params)"
    );
    let exchange = &used["exchanges"][0];
    assert!(
        exchange["url"]
            .as_str()
            .expect("url")
            .ends_with("/api/v1/channels.invite")
    );
    let sent: Value =
        serde_json::from_str(exchange["request_body"].as_str().expect("body")).expect("JSON");
    assert_eq!(sent["userIds"].as_array().map(Vec::len), Some(2), "{sent}");
    assert_eq!(exchange["status"], 400);
    let answer = exchange["response_body"].as_str().expect("answer");
    assert!(answer.contains("error-invalid-params"), "{answer}");
    let headers = exchange["request_headers"].as_array().expect("headers");
    let token = headers
        .iter()
        .find(|h| h[0] == "X-Auth-Token")
        .expect("token header");
    assert_eq!(token[1], "<redacted>");
    // A client that holds keeps no evidence: its needs say enough.
    let python = client(&at_9().report, "python-rocketchat-api");
    assert!(
        python["uses"]
            .as_array()
            .expect("uses")
            .iter()
            .all(|u| u["exchanges"] == json!([]))
    );
}

#[test]
fn report_json_with_clients_validates_against_its_schema() {
    let text = std::fs::read_to_string(root().join("specs/report.schema.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a usable schema");
    for run in [at_9(), at_8()] {
        let errors: Vec<String> = validator
            .iter_errors(&run.report)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", run.dir);
    }
}

#[test]
fn a_server_that_writes_no_added_user_message_breaks_the_js_sdk() {
    let args = [
        "--filter",
        CASE,
        "--clients",
        "--deviate",
        "no-added-user-message",
    ];
    let run = embedded("no-au", &args);
    let js = client(&run.report, "js-sdk");
    assert_eq!(js["status"], "broken", "{js}");
    let details = js["details"].as_str().expect("details");
    assert!(
        details.contains("added message: needs a message of type `au` with msg `rcc-"),
        "{details}"
    );
    let urls: Vec<&str> = js["uses"][0]["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .filter_map(|e| e["url"].as_str())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.contains("/api/v1/channels.messages?")),
        "{urls:?}"
    );
    assert_eq!(client(&run.report, "ruqola")["status"], "ok");
}
