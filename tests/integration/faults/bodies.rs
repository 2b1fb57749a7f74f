//! Broken connections and bodies: resets, non-JSON, truncated and oversized bodies.
use super::*;

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
