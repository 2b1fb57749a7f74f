//! Latency, timeouts and error statuses: 500, 502, 503 and 429 answers.
use super::*;

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
