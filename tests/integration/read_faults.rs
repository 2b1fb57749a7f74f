//! Verification reads under faults, end to end through `fault_proxy`: a read is a `GET`, so
//! a timeout or a body that breaks off is retried like every `GET`, and a read that cannot be
//! made at all leaves its case an `error` (a target problem), never a `fail`.
//!
//! `users.info` comes back without the user's rooms, so the runner reads memberships room by
//! room with `channels.members` / `groups.members`, the reads the faults hit.

use std::time::Duration;

use crate::fault_proxy::Fault;
use crate::faults::{Sightings, faulted_run, without_user_rooms};
use serde_json::Value;

const MEMBERS: &str = "/api/v1/channels.members";
/// A channels.invite case whose membership expectation is read with `channels.members`.
const READ_CASE: &str = "channels.invite/users/user-key";

/// The `channels.members` exchanges of the case's call.
fn members_reads(call: &Value) -> Vec<&Value> {
    call["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .filter(|e| e["url"].as_str().is_some_and(|u| u.contains(MEMBERS)))
        .collect()
}

/// A members read breaks off mid-body the first time it is sent and outlasts `--timeout` the
/// second: each is sent again and read, and the case passes, marked `flaky` as every retried
/// request marks it (the retries are in its evidence).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_read_that_breaks_off_or_times_out_is_retried() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| match seen.path {
            "/api/v1/users.info" => Fault::Rewrite(without_user_rooms),
            MEMBERS => match sightings.count(seen) {
                1 => Fault::Truncated {
                    declared: 200,
                    body: b"{\"members\":[".to_vec(),
                },
                2 => Fault::Delay(Duration::from_millis(1600), Box::new(Fault::Forward)),
                _ => Fault::Forward,
            },
            _ => Fault::Forward,
        },
        &["--timeout", "1"],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.text());
    assert_eq!(run.verdict(READ_CASE), "flaky", "{}", run.text());
    let call = run.call(READ_CASE);
    let reads = members_reads(call);
    assert!(!reads.is_empty(), "{READ_CASE} read its members: {call:#}");
    // Each distinct members read met both faults and was sent until it was read: as many
    // truncated bodies as timeouts, and a forwarded attempt after each pair.
    let faults = run.seen(MEMBERS);
    let count = |prefix: &str| faults.iter().filter(|f| f.starts_with(prefix)).count();
    assert!(count("truncated") > 0, "{faults:?}");
    assert_eq!(count("truncated"), count("delay"), "{faults:?}");
    assert!(count("forward") >= count("truncated"), "{faults:?}");
    for read in &reads {
        assert_eq!(read["status"], 200, "{read:#}");
        assert!(read["attempts"].as_u64() >= Some(2), "{read:#}");
    }
    let cases = run.report["cases"].as_array().expect("cases");
    assert!(
        cases.iter().all(|c| c["verdict"] == "pass"
            || c["verdict"] == "flaky"
            || c["verdict"] == "skipped"),
        "{cases:#?}"
    );
}

/// A members read that never succeeds (every attempt's connection is reset) makes the case
/// an `error` whose reason names the unread state, not a `fail`; cases that need no such read
/// still pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_read_that_cannot_be_made_is_an_error_not_a_failure() {
    let run = faulted_run(
        |seen| match seen.path {
            "/api/v1/users.info" => Fault::Rewrite(without_user_rooms),
            MEMBERS => Fault::Reset,
            _ => Fault::Forward,
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    let case = run.case(READ_CASE);
    assert_eq!(case["verdict"], "error", "{case:#}");
    let reason = case["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be read"), "{reason}");
    let cases = run.report["cases"].as_array().expect("cases");
    assert!(
        cases.iter().all(|c| c["verdict"] != "fail"),
        "no case fails for a read it could not make: {cases:#?}"
    );
    assert_eq!(run.verdict("groups.invite/users/user-key"), "pass");
}
