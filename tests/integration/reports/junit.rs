//! `junit.xml`, read by Python's junitparser.

use camino::Utf8Path;
use rc_conform::report::render;
use serde_json::{Value, json};
use std::process::Command;

use super::fixture::{schema_violations, small_report};
use super::{failing_run, first_failing, output_text, scratch};

const JUNITPARSER: &str = r#"
import json, sys
try:
    from junitparser import JUnitXml
except ImportError:
    sys.exit("junitparser is not installed: pip install junitparser==5.0.3")
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
       "skipped": xml.skipped, "suites": [], "cases": {}}
for suite in xml:
    listed = []
    out["suites"].append({"name": suite.name, "tests": suite.tests,
        "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped,
        "properties": {p.name: p.value for p in suite.properties()}, "cases": listed})
    for case in suite:
        out["cases"][case.name] = {"name": case.name, "classname": case.classname,
            "time": case.time,
            "results": [{"kind": type(r).__name__.lower(), "message": r.message,
                         "text": r.text or ""} for r in case.result],
            "system_out": case.system_out or ""}
        listed.append(out["cases"][case.name])
print(json.dumps(out))
"#;

pub(crate) fn junitparser(path: &Utf8Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", JUNITPARSER])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to read junit.xml with junitparser: {e}"));
    assert!(
        out.status.success(),
        "junitparser could not read {path} (install it with `pip install junitparser==5.0.3`):\n{}",
        output_text(&out)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[test]
#[ignore = "needs python3 with junitparser (bash .ci/run installs it); run: cargo test --test integration -- --ignored reports::"]
fn junit_xml_is_read_by_junitparser_with_the_report_totals() {
    let run = failing_run();
    let parsed = junitparser(&run.dir.join("junit.xml"));
    let t = &run.report.totals;
    assert_eq!(parsed["tests"], json!(run.report.cases.len()));
    assert_eq!(parsed["failures"], json!(t.fail + t.unexpected_pass));
    assert_eq!(parsed["errors"], json!(t.error));
    assert_eq!(parsed["skipped"], json!(t.skipped));

    // Counted again from the test cases themselves, not from the attributes.
    let cases = parsed["cases"].as_object().expect("cases");
    assert_eq!(cases.len(), run.report.cases.len());
    let kind_count = |kind: &str| {
        cases
            .values()
            .filter(|c| {
                c["results"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["kind"] == kind))
            })
            .count()
    };
    assert_eq!(kind_count("failure"), t.fail + t.unexpected_pass);
    assert_eq!(kind_count("error"), t.error);
    assert_eq!(kind_count("skipped"), t.skipped);

    let suites = parsed["suites"].as_array().expect("suites");
    assert_eq!(
        suites
            .iter()
            .map(|s| s["name"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["channels.invite", "groups.invite"]
    );
    for suite in suites {
        let props = &suite["properties"];
        assert_eq!(props["target"], json!(run.report.run.target));
        assert_eq!(props["server_version"], json!("8.5.0"));
        assert_eq!(props["run_id"], json!(run.report.run.run_id));
        assert_eq!(props["tool_version"], json!(run.report.run.tool_version));
    }

    let case = first_failing(&run.report);
    let junit = &cases[case.id.as_str()];
    assert_eq!(
        junit["classname"],
        json!(format!("{}/{}", case.endpoint, case.premise))
    );
    assert_eq!(junit["time"], json!(case.duration_ms as f64 / 1000.0));
    let failure = &junit["results"][0];
    assert_eq!(failure["kind"], "failure");
    let message = failure["message"].as_str().expect("message");
    let first = &case.calls[0].mismatches[0];
    assert!(
        message.contains(first.text.as_str()) && message.contains("expected"),
        "the failure message should name the expectation `{first}`: {message}"
    );
    let text = failure["text"].as_str().expect("text");
    for call in &case.calls {
        for m in &call.mismatches {
            assert!(
                text.contains(m.text.as_str()),
                "failure text lacks `{m}`:\n{text}"
            );
        }
        for m in schema_violations(call) {
            assert!(
                text.contains(&m.expected),
                "failure text lacks `{}`",
                m.expected
            );
        }
    }
    let out = junit["system_out"].as_str().expect("system-out");
    assert!(
        out.contains("> POST ") && out.contains(&format!("/api/v1/{}\n", case.endpoint)),
        "system-out lacks the call:\n{out}"
    );
    assert!(out.contains("< 400"), "system-out lacks the status:\n{out}");
}

#[test]
#[ignore = "needs python3 with junitparser (bash .ci/run installs it); run: cargo test --test integration -- --ignored reports::"]
fn junit_maps_every_verdict() {
    let dir = scratch("junit-small");
    let report = small_report();
    render::write_all(&dir, &report).expect("renders");
    let parsed = junitparser(&dir.join("junit.xml"));
    let kinds = |id: &str| -> Vec<String> {
        parsed["cases"][id]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                format!(
                    "{}: {}",
                    r["kind"].as_str().unwrap_or(""),
                    r["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert_eq!(
        kinds("channels.invite/joined-room/room-moderator"),
        Vec::<String>::new()
    );
    assert_eq!(
        kinds("groups.invite/joined-room/room-owner"),
        ["failure: status: expected 200, got 400; success: expected true, got false"]
    );
    assert_eq!(
        kinds("channels.invite/any-c-room/non-member"),
        ["error: setup could not be provisioned: users.create answered 400"]
    );
    assert_eq!(
        kinds("channels.invite/body/typed-route-rejects-userIds"),
        ["skipped: applies to server versions >= 9.0.0, the target is 8.5.0"]
    );
    assert_eq!(
        kinds("channels.invite/room/archived"),
        ["failure: unexpected pass: expectations/rc-7.yaml says it fails (RC-123)"]
    );
    // Expected failures and flaky cases pass, with a note.
    assert_eq!(kinds("groups.invite/room/archived"), Vec::<String>::new());
    assert!(
        parsed["cases"]["groups.invite/room/archived"]["system_out"]
            .as_str()
            .is_some_and(|s| s.contains("expected failure (passes the gate): known on 7.x"))
    );
    assert_eq!(
        kinds("channels.invite/users/unknown-ids"),
        Vec::<String>::new()
    );
    let xml = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    assert!(
        xml.contains("<flakyError message=\"connection reset by peer\" type=\"transport-retry\">"),
        "{xml}"
    );
}
