//! `junit.xml`: the run as JUnit XML (the Jenkins flavour, written by the sibling
//! `junit_xml`), which GitHub test-report actions, GitLab and Jenkins ingest.
//!
//! One `<testsuite>` per endpoint (so each CI shows per-endpoint totals), one `<testcase>` per
//! case with `classname` = `endpoint/premise`, name = the case id and the case's wall time.
//! Verdicts map as: fail → `<failure>` (message: the first mismatches, text: every mismatch),
//! unexpected pass → `<failure>`, error → `<error>`, skipped → `<skipped>`, expected fail →
//! passed with a note, flaky → passed with a `<flakyError>` per transport retry, non-strict →
//! passed with the differences in `<system-out>` and a `non-strict` property (a `<failure>`
//! when the run is strict). The transcript goes into `<system-out>`. A testsuite `clients`
//! has a testcase per client compatibility profile (a failure for a broken client, skipped
//! for one not run). An interrupted run gets one more suite, `rc-conform`, whose testcase
//! `run` is an `<error>` saying what interrupted it, so that no JUnit reader shows the run as
//! passed. This module only maps the [`RunReport`]; it decides no verdict.

use std::time::Duration;

use super::junit_xml::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use super::matrix::endpoint_order;
use super::model::{CaseRecord, RunReport, Verdict};
use super::render::{RenderError, compared_text, headline, reference_text};
use super::transcript::push_transcript;

/// Bodies in `<system-out>` are cut at this many bytes (report.json has them whole).
const BODY_LIMIT: usize = 16 * 1024;

/// The JUnit XML document of `report`.
pub fn render(report: &RunReport) -> Result<String, RenderError> {
    let mut junit = Report::new("rc-conform");
    let mut total = Duration::ZERO;
    for endpoint in endpoint_order(report) {
        let mut suite = TestSuite::new(endpoint.name());
        suite.add_properties(properties(report));
        let mut time = Duration::ZERO;
        for case in report.cases.iter().filter(|c| c.endpoint == endpoint) {
            time += Duration::from_millis(case.duration_ms);
            suite.add_test_case(test_case(case, report.run.strict));
        }
        suite.set_time(time);
        total += time;
        junit.add_test_suite(suite);
    }
    if let Some(clients) = super::clients::junit_suite(report, BODY_LIMIT) {
        junit.add_test_suite(clients);
    }
    if report.run.interrupted {
        junit.add_test_suite(interrupted_suite(report));
    }
    junit.set_time(total);
    Ok(junit.to_xml())
}

/// Every change of a built-in role's permission, `permission:role:added|removed@from..to`,
/// comma-separated (`none` when there was none).
fn built_in_grants(report: &RunReport) -> String {
    let changes: Vec<String> = report
        .grants
        .builtin
        .iter()
        .map(|c| {
            format!(
                "{}:{}:{}@{}..{}",
                c.permission,
                c.role,
                c.change,
                c.from,
                c.to.as_deref().unwrap_or("not restored")
            )
        })
        .collect();
    if changes.is_empty() {
        "none".to_owned()
    } else {
        changes.join(",")
    }
}

/// The suite that says the run was interrupted: one errored testcase.
fn interrupted_suite(report: &RunReport) -> TestSuite {
    let mut suite = TestSuite::new("rc-conform");
    suite.add_properties(properties(report));
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    let by = report
        .run
        .interrupt_reason
        .as_deref()
        .unwrap_or("an interrupt");
    status
        .set_message(format!(
            "interrupted by {by}: {}",
            super::render::heading_text(report)
        ))
        .set_type("interrupted");
    let mut case = TestCase::new("run", status);
    case.set_classname("rc-conform");
    suite.add_test_case(case);
    suite
}

fn properties(report: &RunReport) -> Vec<Property> {
    let run = &report.run;
    let mut props = vec![
        Property::new(
            "target",
            super::render::without_credentials(&run.target).as_str(),
        ),
        Property::new(
            "server_version",
            run.server_version.as_deref().unwrap_or("unknown"),
        ),
        Property::new("judged_version", run.judged_version.as_str()),
        Property::new("strict", if run.strict { "true" } else { "false" }),
        Property::new("insecure", if run.insecure { "true" } else { "false" }),
        Property::new(
            "interrupted",
            if run.interrupted { "true" } else { "false" },
        ),
        Property::new(
            "contract_conformance",
            format!(
                "{}/{}",
                report.conformance.contract, report.conformance.judged
            )
            .as_str(),
        ),
        Property::new(
            "exact_agreement",
            format!("{}/{}", report.conformance.exact, report.conformance.judged).as_str(),
        ),
        Property::new("run_id", run.run_id.as_str()),
        Property::new("built_in_grants", built_in_grants(report).as_str()),
        Property::new("tool_version", run.tool_version.as_str()),
        Property::new("embedded", if run.embedded { "true" } else { "false" }),
        Property::new("started_at", run.started_at.as_str()),
        Property::new("finished_at", run.finished_at.as_str()),
    ];
    let suite = (!run.suite.is_empty()).then(|| run.suite.clone());
    let optional = [
        ("interrupt_reason", &run.interrupt_reason),
        ("line", &run.line),
        ("suite", &suite),
        ("cases_commit", &run.cases_commit),
        ("filter", &run.filter),
        ("partition", &run.partition),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            props.push(Property::new(name, value.as_str()));
        }
    }
    props
}

/// The `<failure>` of a case that fails the gate: its headline, verdict and evidence.
fn failure(case: &CaseRecord) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(headline(case))
        .set_type(case.verdict.name())
        .set_description(evidence(case));
    status
}

fn test_case(case: &CaseRecord, strict: bool) -> TestCase {
    let status = match case.verdict {
        Verdict::NonStrict if strict => failure(case),
        Verdict::Pass | Verdict::ExpectedFail | Verdict::NonStrict => TestCaseStatus::success(),
        Verdict::Flaky => {
            let mut status = TestCaseStatus::success();
            status.add_reruns(retries(case));
            status
        }
        Verdict::Fail | Verdict::UnexpectedPass => failure(case),
        Verdict::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(case.reason.as_deref().unwrap_or("setup failed"))
                .set_type("setup");
            status
        }
        Verdict::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(case.reason.as_deref().unwrap_or("not run"));
            status
        }
    };
    let mut test = TestCase::new(case.id.as_str(), status);
    test.set_classname(format!("{}/{}", case.endpoint, case.premise))
        .set_time(Duration::from_millis(case.duration_ms));
    if case.verdict == Verdict::NonStrict {
        test.add_property(Property::new("non-strict", headline(case).as_str()));
    }
    if case.verdict != Verdict::Skipped {
        test.set_system_out(system_out(case));
    }
    test
}

/// Each transport retry of a flaky case as a `<flakyError>`.
fn retries(case: &CaseRecord) -> Vec<TestRerun> {
    case.calls
        .iter()
        .flat_map(|c| &c.transcript)
        .flat_map(|e| {
            e.retries.iter().map(move |why| TestRerun {
                kind: NonSuccessKind::Error,
                message: Some(why.clone()),
                ty: Some("transport-retry".into()),
                description: Some(format!("{} {}: {why}", e.method, e.url)),
            })
        })
        .collect()
}

/// Every mismatch of a case, call by call, with its level, and the reference server's
/// answer when the run has it.
fn evidence(case: &CaseRecord) -> String {
    let mut out = String::new();
    if let Some(reason) = &case.reason {
        out.push_str(&format!("{reason}\n"));
    }
    for (i, call) in case.calls.iter().enumerate() {
        if call.mismatches.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "call {} (expectation: {}; {}):\n",
            i + 1,
            call.expectation_source,
            compared_text(call)
        ));
        for m in &call.mismatches {
            out.push_str(&format!(
                "  {} [{}, {}]\n",
                m.text,
                m.level,
                super::render::effect_label(m.effect)
            ));
        }
        if let Some(reference) = reference_text(call) {
            out.push_str(&format!("  {}\n", reference.replace('\n', "\n  ")));
        }
        out.push_str(&format!("  reproduce: {}\n", call.curl));
    }
    out.push_str(&format!(
        "source: {}\ncase: {}\n",
        case.source, case.location
    ));
    out
}

/// Notes, then every exchange of the case (setup, then each call).
fn system_out(case: &CaseRecord) -> String {
    let mut out = format!(
        "{} — {}\nverdict: {}\nsource: {}\ncase: {}\ncell: {}\n",
        case.id,
        case.title,
        case.verdict.name(),
        case.source,
        case.location,
        case.cell
    );
    if let Some(divergence) = &case.divergence {
        out.push_str(&format!("divergence: {divergence}\n"));
    }
    match case.verdict {
        Verdict::ExpectedFail => out.push_str(&format!(
            "expected failure (passes the gate): {}\n",
            case.reason
                .as_deref()
                .unwrap_or("listed in the expectations file")
        )),
        Verdict::NonStrict => {
            out.push_str(
                "non-strict (passes unless the run is strict): the contract held, an exact detail differs\n",
            );
            out.push_str(&evidence(case));
        }
        Verdict::Pass | Verdict::Flaky | Verdict::Error => {
            if let Some(reason) = &case.reason {
                out.push_str(&format!("note: {reason}\n"));
            }
        }
        _ => {}
    }
    if case.verdict == Verdict::ExpectedFail {
        for m in case.calls.iter().flat_map(|c| &c.mismatches) {
            out.push_str(&format!("  {}\n", m.text));
        }
    }
    if !case.setup_transcript.is_empty() {
        out.push_str("\n== setup ==\n");
        push_transcript(&mut out, &case.setup_transcript, BODY_LIMIT, false);
    }
    for (i, call) in case.calls.iter().enumerate() {
        out.push_str(&format!(
            "\n== call {} (expectation: {}; status {}) ==\n",
            i + 1,
            call.expectation_source,
            call.status.map_or("none".to_owned(), |s| s.to_string())
        ));
        push_transcript(&mut out, &call.transcript, BODY_LIMIT, false);
    }
    out
}
