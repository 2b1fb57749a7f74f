//! Verification reads under faults, end to end through `fault_proxy`: a read is a `GET`, so
//! a timeout or a body that breaks off is retried like every `GET`, and a read that cannot be
//! made at all leaves its case an `error` (a target problem), never a `fail`.
//!
//! `users.info` comes back without the user's rooms, so the runner reads memberships room by
//! room with `channels.members` / `groups.members`, the reads the faults hit.

use std::time::Duration;

use crate::fault_proxy::Fault;
use crate::faults::bulk_reads::without_user_rooms;
use crate::faults::{Sightings, faulted_run};
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

/// The first members read the run sends breaks off mid-body and the second outlasts
/// `--timeout` (the proxy counts sightings per path): each is sent again and read, so every
/// case passes, those whose reads were retried marked `flaky` as every retried request marks
/// it (the retries are in their evidence).
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
    let faults = run.seen(MEMBERS);
    let count = |prefix: &str| faults.iter().filter(|f| f.starts_with(prefix)).count();
    assert_eq!((count("truncated"), count("delay")), (1, 1), "{faults:?}");
    assert!(count("forward") >= 2, "{faults:?}");
    let cases = run.report["cases"].as_array().expect("cases");
    let verdicts: Vec<&str> = cases
        .iter()
        .map(|c| c["verdict"].as_str().expect("verdict"))
        .collect();
    assert!(
        verdicts
            .iter()
            .all(|v| ["pass", "flaky", "skipped"].contains(v)),
        "{verdicts:?}"
    );
    // Every members read in the evidence was read in the end; the timed-out one is there
    // with its retry.
    let reads: Vec<&Value> = cases
        .iter()
        .flat_map(|c| c["calls"].as_array().into_iter().flatten())
        .flat_map(members_reads)
        .collect();
    assert!(!reads.is_empty(), "{cases:#?}");
    assert!(reads.iter().all(|r| r["status"] == 200), "{reads:#?}");
    let retries: Vec<&str> = reads
        .iter()
        .flat_map(|r| r["retries"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        retries.iter().any(|r| r.contains("no response within 1s")),
        "{retries:?}"
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
