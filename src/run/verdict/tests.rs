//! Tests of the parent module.

use super::*;
use crate::target::client::RateLimitWait;

fn mismatch(check: Check, level: Level, effect: Effect) -> Mismatch {
    Mismatch::new(check, "x".into(), "y".into(), level, effect)
}

fn exchange(retries: Vec<String>, waits: Vec<RateLimitWait>) -> Exchange {
    Exchange {
        method: "POST".into(),
        url: "http://127.0.0.1:1/api/v1/channels.invite".into(),
        request_headers: Vec::new(),
        request_body: None,
        status: Some(200),
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        attempts: 1 + u32::try_from(retries.len() + waits.len()).unwrap_or(0),
        retries,
        rate_limit_waits: waits,
        duration_ms: 1,
        note: None,
    }
}

/// The verdict and reason of a case whose one call has `mismatches` and `exchange`.
fn decided(mismatches: Vec<Mismatch>, unread: &[&str], exchange: Exchange) -> CaseRecord {
    let mut record: CaseRecord = serde_json::from_value(serde_json::json!({
        "id": "c", "title": "t", "endpoint": "channels.invite", "premise": "p",
        "room_type": null, "cell": "", "source": "s", "divergence": null,
        "location": "f:1:1", "verdict": "pass", "judged": null, "reason": null,
        "duration_ms": 0, "calls": [], "setup_transcript": []
    }))
    .expect("a record");
    record.calls.push(CallRecord {
        expected: serde_json::json!({"status": 200}),
        expectation_source: "default".into(),
        compared: Compared::default(),
        status: Some(200),
        mismatches,
        transcript: vec![exchange],
        curl: String::new(),
        reference: None,
    });
    let unread: Vec<String> = unread.iter().map(|s| (*s).to_owned()).collect();
    let line: Line = serde_json::from_value(serde_json::json!({
        "id": "8.x", "since": "8.0.0", "until": "9.0.0", "emulate": "8.5.0",
        "routes": "r", "unparsed_bodies": true
    }))
    .expect("a line");
    decide(&mut record, &unread, Some(&line));
    record
}

#[test]
fn a_contract_miss_fails_before_anything_else() {
    let r = decided(
        vec![
            mismatch(Check::ErrorType, Level::Exact, Effect::NonStrict),
            mismatch(Check::Status, Level::Contract, Effect::Fails),
        ],
        &[],
        exchange(vec!["attempt 1: status 503".into()], Vec::new()),
    );
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.judged,
        Some(CaseJudged {
            contract: false,
            exact: false,
            not_established: false
        })
    );
}

#[test]
fn unread_state_makes_an_error_even_beside_a_contract_miss() {
    let r = decided(
        vec![mismatch(Check::Status, Level::Contract, Effect::Fails)],
        &["members of town"],
        exchange(Vec::new(), Vec::new()),
    );
    assert_eq!(r.verdict, Verdict::Error);
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains("could not be read (members of town)"),
        "{reason}"
    );
    assert!(reason.contains("also differed in status"), "{reason}");
    assert_eq!(r.judged, None);
}

#[test]
fn state_that_could_not_be_read_is_an_error_not_a_failure() {
    let r = decided(
        Vec::new(),
        &["members of town"],
        exchange(Vec::new(), Vec::new()),
    );
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.reason.is_some_and(|t| t.contains("members of town")));
    assert_eq!(r.judged, None);
}

#[test]
fn an_established_difference_is_non_strict_and_an_unestablished_one_is_noted() {
    let r = decided(
        vec![mismatch(Check::ErrorType, Level::Exact, Effect::NonStrict)],
        &[],
        exchange(Vec::new(), Vec::new()),
    );
    assert_eq!(r.verdict, Verdict::NonStrict);
    assert!(
        r.reason
            .is_some_and(|t| t.contains("differs from Rocket.Chat 8.x in errorType"))
    );
    let r = decided(
        vec![mismatch(Check::Error, Level::Incidental, Effect::Noted)],
        &[],
        exchange(Vec::new(), Vec::new()),
    );
    assert_eq!(r.verdict, Verdict::Pass);
    assert!(
        r.reason
            .is_some_and(|t| t.contains("not established for Rocket.Chat 8.x"))
    );
    assert_eq!(r.judged.map(|j| j.not_established), Some(true));
}

#[test]
fn transport_retries_make_a_case_flaky_and_rate_limit_waits_do_not() {
    let retried = decided(
        Vec::new(),
        &[],
        exchange(vec!["attempt 1: connection failed".into()], Vec::new()),
    );
    assert_eq!(retried.verdict, Verdict::Flaky);
    let waited = decided(
        Vec::new(),
        &[],
        exchange(
            Vec::new(),
            vec![RateLimitWait {
                attempt: 1,
                waited_ms: 60_000,
            }],
        ),
    );
    assert_eq!(waited.verdict, Verdict::Pass);
    assert!(
        waited
            .reason
            .is_some_and(|t| t.contains("waited 60.0 s for the target's rate limiter"))
    );
}

#[test]
fn on_an_incidental_answer_only_the_incidental_contract_fails() {
    let finding = |check: Check, actual: &str| Finding {
        check,
        expected: "x".into(),
        actual: actual.into(),
    };
    assert_eq!(
        incidental_level(&finding(Check::Status, "422"), true),
        Level::Incidental
    );
    assert_eq!(
        incidental_level(&finding(Check::Status, "200"), true),
        Level::Contract
    );
    assert_eq!(
        incidental_level(&finding(Check::Status, "500"), true),
        Level::Contract
    );
    assert_eq!(
        incidental_level(&finding(Check::Success, "true"), true),
        Level::Contract
    );
    assert_eq!(
        incidental_level(&finding(Check::Body, "html"), false),
        Level::Incidental
    );
    assert_eq!(
        incidental_level(&finding(Check::ErrorType, "z"), true),
        Level::Incidental
    );
    let members = Check::Members {
        room: "town".into(),
    };
    assert_eq!(
        incidental_level(&finding(members, "[guest]"), true),
        Level::Contract
    );
}
