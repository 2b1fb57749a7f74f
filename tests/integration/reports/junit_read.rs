//! Reading a `junit.xml` for the tests that are not about the reader: Python's junitparser
//! where it is installed (always in `bash .ci/run`), otherwise quick-junit's deserializer (a
//! parse of the XML independent of the serializer that wrote it), so plain `cargo test`
//! passes on a machine with only Rust. Both give the same JSON: totals, the suites with their
//! properties and cases, and every case by name.

use std::process::Command;

use camino::Utf8Path;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_json::{Map, Value, json};

use super::junit::junitparser;

/// The reading of `path` by junitparser, or by quick-junit where junitparser is missing.
pub(crate) fn read_junit(path: &Utf8Path) -> Value {
    if junitparser_installed() {
        return junitparser(path);
    }
    let xml = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report = Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("{path} is not a JUnit report: {e}"));
    reading(&report)
}

fn junitparser_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import junitparser"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The JSON junitparser's script prints, built from quick-junit's reading.
fn reading(report: &Report) -> Value {
    let mut cases = Map::new();
    let mut suites = Vec::new();
    for suite in &report.test_suites {
        let mut listed = Vec::new();
        for case in &suite.test_cases {
            let value = json!({
                "name": case.name.as_str(),
                "classname": case.classname.as_ref().map(|c| c.as_str()),
                "time": case.time.map(|t| t.as_secs_f64()),
                "results": results(&case.status),
                "system_out": case.system_out.as_ref().map_or("", |s| s.as_str()),
            });
            cases.insert(case.name.to_string(), value.clone());
            listed.push(value);
        }
        let properties: Map<String, Value> = suite
            .properties
            .iter()
            .map(|p| (p.name.to_string(), json!(p.value.as_str())))
            .collect();
        suites.push(json!({
            "name": suite.name.as_str(), "tests": suite.tests, "failures": suite.failures,
            "errors": suite.errors, "skipped": suite.skipped, "properties": properties,
            "cases": listed,
        }));
    }
    let sum = |key: &str| -> u64 { suites.iter().filter_map(|s| s[key].as_u64()).sum() };
    json!({
        "tests": sum("tests"), "failures": sum("failures"), "errors": sum("errors"),
        "skipped": sum("skipped"), "suites": suites, "cases": cases,
    })
}

/// A case's results as junitparser lists them: none for a pass, else one with its kind.
fn results(status: &TestCaseStatus) -> Value {
    let text =
        |d: &Option<quick_junit::XmlString>| d.as_ref().map_or("", |d| d.as_str()).to_owned();
    let message = |m: &Option<quick_junit::XmlString>| m.as_ref().map(|m| m.to_string());
    match status {
        TestCaseStatus::Success { .. } => json!([]),
        TestCaseStatus::NonSuccess {
            kind,
            message: m,
            description,
            ..
        } => {
            let kind = match kind {
                NonSuccessKind::Failure => "failure",
                NonSuccessKind::Error => "error",
            };
            json!([{"kind": kind, "message": message(m), "text": text(description)}])
        }
        TestCaseStatus::Skipped {
            message: m,
            description,
            ..
        } => json!([{"kind": "skipped", "message": message(m), "text": text(description)}]),
    }
}
