//! Tests of the expectations file: parsing, applying, updating and the round trip.

use super::*;
use crate::report::model::{
    CallRecord, Check, CleanupRecord, Compared, Conformance, Effect, FORMAT_VERSION, Mismatch,
    RunMeta,
};
use crate::spec::levels::Level;
use crate::verdict::Totals;

/// What the run's verdict stage does with the file: settles each record whose case has an
/// entry that applies, and recomputes the totals; returns the entries not applied.
fn apply(report: &mut RunReport, file: &ExpectationsFile, today: Date) -> Vec<Warning> {
    let version = Version::parse(&report.run.judged_version);
    for record in &mut report.cases {
        if let Some(entry) = file.entry_for(&record.id, version.as_ref(), today) {
            settle(record, entry);
        }
    }
    report.totals = Totals::of(report.cases.iter().map(|c| c.verdict));
    file.ignored(version.as_ref(), today)
}

/// A record of case `id` with `verdict` (a failing one has a call with a mismatch).
pub(crate) fn record(id: &str, verdict: Verdict, location: &str) -> CaseRecord {
    let call = CallRecord {
        expected: serde_json::json!({"status": 200}),
        expectation_source: "default".into(),
        compared: Compared::default(),
        status: Some(400),
        mismatches: vec![Mismatch::new(
            Check::Status,
            "200".into(),
            "400".into(),
            Level::Contract,
            Effect::Fails,
        )],
        transcript: Vec::new(),
        curl: String::new(),
        reference: None,
    };
    CaseRecord {
        id: id.into(),
        title: format!("the case {id}"),
        endpoint: crate::api::Endpoint::ChannelsInvite,
        premise: "add-user-to-joined-room".into(),
        room_type: Some(crate::api::RoomType::Public),
        cell: "cell".into(),
        source: "docs".into(),
        divergence: None,
        location: location.into(),
        verdict,
        listed: None,
        judged: None,
        reason: (verdict == Verdict::Error).then(|| "setup could not be provisioned".into()),
        duration_ms: 5,
        calls: match verdict {
            Verdict::Error | Verdict::Skipped => Vec::new(),
            _ => vec![call],
        },
        setup_transcript: Vec::new(),
    }
}

/// A report of `cases` judged at 8.5.0.
pub(crate) fn report(cases: Vec<CaseRecord>) -> RunReport {
    let totals = Totals::of(cases.iter().map(|c| c.verdict));
    RunReport {
        format_version: FORMAT_VERSION,
        run: RunMeta {
            run_id: "abc234".into(),
            target: "http://127.0.0.1:3000".into(),
            embedded: true,
            server_version: Some("8.5.0".into()),
            judged_version: "8.5.0".into(),
            tool_version: "0.1.0".into(),
            suite: "built-in".into(),
            cases_commit: None,
            started_at: "2026-11-23T05:00:00.000Z".into(),
            finished_at: "2026-11-23T05:01:00.000Z".into(),
            filter: None,
            partition: None,
            preflight: vec!["server version 8.5.0".into()],
            strict: false,
            line: Some("8.x".into()),
            interrupted: false,
            interrupt_reason: None,
            insecure: false,
            gate_clients: false,
        },
        totals,
        conformance: Conformance::default(),
        cases,
        divergences: Vec::new(),
        cleanup: CleanupRecord::default(),
        requests: Vec::new(),
        rate_limit: Default::default(),
        grant_groups: Vec::new(),
        premise_order: Vec::new(),
        clients: Vec::new(),
        grants: Default::default(),
    }
}

fn today() -> Date {
    Date::parse("2026-11-23").expect("a date")
}

fn file(text: &str) -> ExpectationsFile {
    parse(Utf8Path::new("expectations.yaml"), text).expect("a valid file")
}

fn problems(text: &str) -> Vec<String> {
    match parse(Utf8Path::new("expectations.yaml"), text) {
        Err(ExpectationsError::Invalid(d)) => d.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

const FULL: &str = r#"expectations:
  - case: a/fails
    verdict: fail
    reason: our fork accepts archived channels
    link: https://tracker.example/123#c4
    since: "7.0.0"
    until: "9.0.0"
    expires: 2027-01-31
  - case: b/errors
    verdict: error
    reason: "no users.create here (issue #9)"
"#;

#[test]
fn a_full_entry_is_read_with_every_field_and_its_position() {
    let f = file(FULL);
    let e = &f.entries[0];
    assert_eq!(e.case, "a/fails");
    assert_eq!(e.verdict, ExpectedVerdict::Fail);
    assert_eq!(e.link.as_deref(), Some("https://tracker.example/123#c4"));
    assert_eq!(e.versions.since, Version::parse("7.0.0"));
    assert_eq!(e.versions.until, Version::parse("9.0.0"));
    assert_eq!(e.expires, Date::parse("2027-01-31"));
    assert_eq!((e.line, e.column), (2, 11));
    assert_eq!(f.entries[1].verdict, ExpectedVerdict::Error);
    assert_eq!(f.entries[1].reason, "no users.create here (issue #9)");
}

#[test]
fn bad_entries_are_reported_with_file_line_and_column() {
    let unknown =
        problems("expectations:\n  - case: a\n    verdict: fail\n    reason: r\n    owner: me\n");
    assert_eq!(unknown.len(), 1);
    assert!(
        unknown[0]
            .starts_with("expectations.yaml:5:5: expectations[0].owner: unknown field `owner`"),
        "{unknown:?}"
    );
    let verdict = problems("expectations:\n  - case: a\n    verdict: pass\n    reason: r\n");
    assert!(
        verdict[0].starts_with("expectations.yaml:3:"),
        "{verdict:?}"
    );
    assert!(verdict[0].contains("unknown variant `pass`"), "{verdict:?}");
    let missing = problems("expectations:\n  - case: a\n    verdict: fail\n");
    assert!(missing[0].contains("missing field `reason`"), "{missing:?}");
    let several = problems(
        "expectations:\n  - case: a\n    verdict: fail\n    reason: \" \"\n    since: 7.x\n    expires: 2027-02-30\n",
    );
    assert_eq!(several.len(), 3, "{several:?}");
    assert!(
        several[0]
            .starts_with("expectations.yaml:4:13: expectations[0].reason: the reason is empty")
    );
    assert!(
        several[1]
            .starts_with("expectations.yaml:5:12: expectations[0].since: `7.x` is not a version")
    );
    assert!(several[2].starts_with(
        "expectations.yaml:6:14: expectations[0].expires: `2027-02-30` is not a date"
    ));
}

#[test]
fn a_reason_cut_by_a_yaml_comment_is_an_error() {
    let cut =
        problems("expectations:\n  - case: a\n    verdict: fail\n    reason: fails (issue #123)\n");
    assert!(
        cut[0].starts_with(
            "expectations.yaml:4:13: expectations[0].reason: the reason stops before ` #`"
        ),
        "{cut:?}"
    );
    // A comment on its own line, or a quoted `#`, is fine.
    file(
        "expectations:\n  # the fork\n  - case: a\n    verdict: fail\n    reason: \"fails (issue #123)\"\n",
    );
}

#[test]
fn entries_naming_no_case_of_the_suite_are_reported_where_they_are() {
    let f = file(FULL);
    assert!(f.check_cases(["a/fails", "b/errors", "c"]).is_ok());
    let Err(ExpectationsError::Invalid(d)) = f.check_cases(["a/fails"]) else {
        panic!("b/errors is unknown");
    };
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].to_string(),
        "expectations.yaml:9:11: expectations[1].case: `b/errors` names no case of the suite"
    );
}

#[test]
fn dates_are_real_calendar_days() {
    assert!(Date::parse("2028-02-29").is_some());
    assert!(Date::parse("2027-02-29").is_none());
    assert!(Date::parse("2100-02-29").is_none());
    assert!(Date::parse("2000-02-29").is_some());
    assert!(Date::parse("2027-13-01").is_none());
    assert!(Date::parse("2027-1-01").is_none());
    assert!(Date::parse("+027-01-01").is_none());
    assert!(Date::parse("2027-01-31") < Date::parse("2027-02-01"));
    assert_eq!(today().to_string(), "2026-11-23");
    assert_eq!(Date::today().to_string().len(), 10);
}

#[test]
fn a_case_that_fails_as_listed_is_an_expected_failure_and_one_that_passes_is_not() {
    let f = file(FULL);
    let mut r = report(vec![
        record("a/fails", Verdict::Fail, "x:1:1"),
        record("b/errors", Verdict::Error, "x:2:1"),
        record("c", Verdict::Fail, "x:3:1"),
    ]);
    let warnings = apply(&mut r, &f, today());
    assert!(warnings.is_empty(), "{warnings:?}");
    let verdicts: Vec<Verdict> = r.cases.iter().map(|c| c.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::ExpectedFail, Verdict::ExpectedFail, Verdict::Fail]
    );
    assert!(!r.cases[0].verdict.fails_gate(false) && r.cases[2].verdict.fails_gate(false));
    assert_eq!(
        r.cases[0].reason.as_deref(),
        Some("expected fail: our fork accepts archived channels (https://tracker.example/123#c4)")
    );
    assert_eq!(
        r.cases[1].reason.as_deref(),
        Some("expected error: no users.create here (issue #9); setup could not be provisioned")
    );
    assert_eq!(
        (r.totals.expected_fail, r.totals.fail, r.totals.error),
        (2, 1, 0)
    );

    let mut passing = report(vec![
        record("a/fails", Verdict::Pass, "x:1:1"),
        record("b/errors", Verdict::Flaky, "x:2:1"),
    ]);
    apply(&mut passing, &f, today());
    assert!(
        passing
            .cases
            .iter()
            .all(|c| c.verdict == Verdict::UnexpectedPass)
    );
    assert!(passing.cases.iter().all(|c| c.verdict.fails_gate(false)));
    assert_eq!(
        (passing.totals.unexpected_pass, passing.totals.pass),
        (2, 0)
    );
    // Applying twice changes nothing more.
    let again = passing.clone();
    apply(&mut passing, &f, today());
    assert_eq!(passing, again);
}

#[test]
fn a_case_that_fails_otherwise_than_listed_keeps_its_verdict() {
    let f = file(FULL);
    let mut r = report(vec![
        record("a/fails", Verdict::Error, "x:1:1"),
        record("b/errors", Verdict::Fail, "x:2:1"),
        record("c", Verdict::Skipped, "x:3:1"),
    ]);
    apply(&mut r, &f, today());
    assert_eq!(r.cases[0].verdict, Verdict::Error);
    assert!(
        r.cases[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("lists it as `fail`"))
    );
    assert_eq!(r.cases[1].verdict, Verdict::Fail);
    assert_eq!(r.cases[2].verdict, Verdict::Skipped);
}

#[test]
fn expired_and_other_version_entries_do_not_apply_and_are_named() {
    let f = file(FULL);
    let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
    let later = Date::parse("2027-02-01").expect("date");
    let warnings = apply(&mut r, &f, later);
    assert_eq!(r.cases[0].verdict, Verdict::Fail);
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        "expectations.yaml:2: `a/fails`: the entry expired on 2027-01-31 and is ignored: the case must pass again, or the entry needs a new date"
    );
    // Still applies on its last day.
    let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
    apply(&mut r, &f, Date::parse("2027-01-31").expect("date"));
    assert_eq!(r.cases[0].verdict, Verdict::ExpectedFail);

    let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
    r.run.judged_version = "9.0.0".into();
    let warnings = apply(&mut r, &f, today());
    assert_eq!(r.cases[0].verdict, Verdict::Fail);
    assert!(
        warnings[0]
            .message
            .contains("7.0.0 up to (not including) 9.0.0, the run was judged at 9.0.0"),
        "{warnings:?}"
    );
}

#[test]
fn the_first_entry_that_applies_decides() {
    let f = file(
        "expectations:\n  - case: a\n    verdict: error\n    reason: on 9\n    since: \"9.0.0\"\n  - case: a\n    verdict: fail\n    reason: before 9\n",
    );
    let v8 = Version::parse("8.5.0");
    let v9 = Version::parse("9.1.0");
    assert_eq!(
        f.entry_for("a", v8.as_ref(), today()).map(|e| e.verdict),
        Some(ExpectedVerdict::Fail)
    );
    assert_eq!(
        f.entry_for("a", v9.as_ref(), today()).map(|e| e.verdict),
        Some(ExpectedVerdict::Error)
    );
    assert_eq!(
        f.entry_for("a", None, today()).map(|e| e.verdict),
        Some(ExpectedVerdict::Fail)
    );
}

/// A report and the update of a file that lists passing, failing, expired, unrun and
/// other-version cases.
fn update_scenario() -> (RunReport, Update) {
    let existing = file(
        r#"expectations:
  - case: still/fails
    verdict: fail
    reason: known (issue 1)
    link: https://tracker.example/1
  - case: now/passes
    verdict: fail
    reason: fixed since
  - case: not/run
    verdict: error
    reason: other partition
  - case: old/expired
    verdict: fail
    reason: was to be fixed
    expires: 2020-01-01
  - case: on/nine
    verdict: fail
    reason: only on 9
    since: "9.0.0"
"#,
    );
    let r = report(vec![
        record("still/fails", Verdict::ExpectedFail, "x:1:1"),
        record("now/passes", Verdict::UnexpectedPass, "x:2:1"),
        record("old/expired", Verdict::Fail, "x:3:1"),
        record("on/nine", Verdict::Fail, "x:4:1"),
        record("new/error", Verdict::Error, "x:5:1"),
        record("new/pass", Verdict::Pass, "x:6:1"),
    ]);
    let u = update(Some(&existing), &r, today());
    (r, u)
}

#[test]
fn update_lists_every_failure_keeps_reasons_and_drops_passing_cases() {
    let (_, u) = update_scenario();
    let listed: Vec<(&str, &str, &str)> = u
        .entries
        .iter()
        .map(|e| (e.case.as_str(), e.verdict.name(), e.reason.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("still/fails", "fail", "known (issue 1)"),
            ("not/run", "error", "other partition"),
            ("old/expired", "fail", "was to be fixed"),
            ("on/nine", "fail", "only on 9"),
            ("on/nine", "fail", TODO_REASON),
            ("new/error", "error", TODO_REASON),
        ]
    );
    assert_eq!(
        u.entries[0].link.as_deref(),
        Some("https://tracker.example/1")
    );
    assert_eq!(u.removed, ["now/passes"]);
    assert_eq!(u.added, ["on/nine", "new/error"]);
    assert_eq!(u.kept, 4);
    assert_eq!(u.warnings.len(), 1);
    assert!(
        u.warnings[0]
            .message
            .contains("expired on 2020-01-01 and the case still fails")
    );
}

#[test]
fn an_updated_file_reads_back_and_passes_the_gate_except_for_the_expired_entry() {
    let (r, u) = update_scenario();
    let text = render(&u.entries);
    let back = file(&text);
    let strip = |es: &[Expectation]| -> Vec<Expectation> {
        es.iter()
            .map(|e| Expectation {
                line: 0,
                column: 0,
                ..e.clone()
            })
            .collect()
    };
    assert_eq!(strip(&back.entries), strip(&u.entries));
    // The next run, before any file is applied, has the plain verdicts.
    let mut again = r.clone();
    for c in &mut again.cases {
        c.verdict = match c.verdict {
            Verdict::ExpectedFail => Verdict::Fail,
            Verdict::UnexpectedPass => Verdict::Pass,
            v => v,
        };
    }
    apply(&mut again, &back, today());
    let failing: Vec<&str> = again
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(false))
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(failing, ["old/expired"]);
}

#[test]
fn update_without_a_file_writes_every_failure_and_an_empty_list_reads_back() {
    let r = report(vec![
        record("a", Verdict::Fail, "x:1:1"),
        record("b", Verdict::Pass, "x:2:1"),
    ]);
    let u = update(None, &r, today());
    assert_eq!(u.added, ["a"]);
    let text = render(&u.entries);
    assert!(
        text.contains("  - case: \"a\"\n    verdict: fail\n    reason: \"TODO: explain\"\n"),
        "{text}"
    );
    assert!(file(&render(&[])).entries.is_empty());
    // Strings that need quoting survive.
    let mut tricky = Expectation::new("a", ExpectedVerdict::Fail, "a \"quoted\" #1: yes\nno");
    tricky.expires = Date::parse("2027-01-31");
    let back = file(&render(std::slice::from_ref(&tricky)));
    assert_eq!(back.entries[0].reason, tricky.reason);
    assert_eq!(back.entries[0].expires, tricky.expires);
}
