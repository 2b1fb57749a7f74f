//! Failed and lost provisioning answers: an error for that case only, nothing left behind.
use super::*;

/// A provisioning call that fails makes that case `error` (its setup could not be
/// provisioned, with the failing exchange as evidence) and its call is never made; the other
/// cases are unaffected. Two faults: `channels.addModerator` answering 500 once (an answer:
/// not retried), and `groups.create` of the group case's room resetting the connection on
/// every attempt (retried, then given up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_provisioning_is_an_error_for_that_case_only() {
    let sightings = Sightings::default();
    let run = faulted_run(
        move |seen| {
            if seen.path == "/api/v1/channels.addModerator" && sightings.count(seen) == 1 {
                Fault::json_error(500, "Internal server error")
            } else if creates_case_room(seen, "groups") {
                Fault::Reset
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());

    assert_eq!(run.verdict(MOD_CASE), "error", "{}", run.text());
    let case = run.case(MOD_CASE);
    let reason = case["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("setup could not be provisioned: channels.addModerator in room ")
            && reason.ends_with(": HTTP 500: Internal server error"),
        "{reason}"
    );
    assert_eq!(case["calls"], json!([]));
    let setup = case["setup_transcript"]
        .as_array()
        .expect("setup_transcript");
    assert_eq!(setup.len(), 1, "{setup:#?}");
    assert!(
        setup[0]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/api/v1/channels.addModerator")),
        "{setup:#?}"
    );
    assert_eq!(setup[0]["status"], 500);
    assert_eq!(setup[0]["attempts"], 1);

    assert_eq!(run.verdict(GROUP_CASE), "error", "{}", run.text());
    let case = run.case(GROUP_CASE);
    let reason = case["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("setup could not be provisioned: creating room `rcc-")
            && reason.contains("-hideout` (groups.create): connection failed:"),
        "{reason}"
    );
    let setup = case["setup_transcript"]
        .as_array()
        .expect("setup_transcript");
    assert_eq!(setup.len(), 1, "{setup:#?}");
    assert_eq!(setup[0]["status"], Value::Null);
    assert_eq!(setup[0]["attempts"], ATTEMPTS);
    assert_eq!(setup[0]["retries"].as_array().map(Vec::len), Some(3));

    let unaffected: Vec<&str> = CHANNEL_CASES
        .iter()
        .copied()
        .filter(|id| *id != MOD_CASE)
        .collect();
    run.assert_passed(&unaffected);
    assert_eq!(run.report["totals"]["error"], 2, "{}", run.report["totals"]);
    assert_eq!(run.report["totals"]["pass"], 3, "{}", run.report["totals"]);
    // Neither errored case made its call.
    assert_eq!(run.seen(CHANNELS_INVITE).len(), unaffected.len());
    assert!(run.seen(GROUPS_INVITE).is_empty());
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    for id in [MOD_CASE, GROUP_CASE] {
        assert!(stdout.contains(&format!("ERROR {id}")), "{}", run.text());
    }
}

/// The run's first `users.create` answers 500 once. Whoever needed that user — one case
/// (which is then `error` with the 500 as evidence) or the run's shared user pool (which the
/// runner may give up for per-case users) — nothing else is affected and nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_create_500_once_errors_at_most_the_case_that_needed_the_user() {
    let faulted: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_by_rule = faulted.clone();
    let run = faulted_run(
        move |seen| {
            let mut faulted = seen_by_rule.lock().expect("faulted");
            match created_user(seen) {
                Some(user) if faulted.is_empty() => {
                    faulted.push(user);
                    Fault::json_error(500, "Internal server error")
                }
                _ => Fault::Forward,
            }
        },
        &[],
    )
    .await;
    let faulted = faulted.lock().expect("faulted").clone();
    assert_eq!(
        faulted.len(),
        1,
        "a users.create was faulted: {:?}",
        run.log
    );
    let errors: Vec<&str> = all_cases()
        .into_iter()
        .filter(|id| run.verdict(id) != "pass")
        .collect();
    assert!(errors.len() <= 1, "{}", run.text());
    for id in &errors {
        assert_eq!(run.verdict(id), "error", "{}", run.text());
        let reason = run.case(id)["reason"].as_str().expect("reason");
        assert_eq!(
            reason,
            format!(
                "setup could not be provisioned: creating user `{}`: HTTP 500: Internal server error",
                faulted[0]
            ),
        );
    }
    let passed: Vec<&str> = all_cases()
        .into_iter()
        .filter(|id| !errors.contains(id))
        .collect();
    run.assert_passed(&passed);
    assert_eq!(
        run.code(),
        Some(if errors.is_empty() { 0 } else { 1 }),
        "{}",
        run.text()
    );
}

/// The run's first `users.create` reaches the server, which creates the user, but the answer
/// is lost on the way back (a gateway answers 502). The runner cannot know the user's id,
/// but the ledger has its name: the user must not be left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_users_create_answer_leaves_no_user_behind() {
    let faulted: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_by_rule = faulted.clone();
    let run = faulted_run(
        move |seen| {
            let mut faulted = seen_by_rule.lock().expect("faulted");
            match created_user(seen) {
                Some(user) if faulted.is_empty() => {
                    faulted.push(user);
                    Fault::LoseAnswer(Box::new(Fault::respond(
                        502,
                        "text/html",
                        "<html>Bad Gateway</html>",
                    )))
                }
                _ => Fault::Forward,
            }
        },
        &[],
    )
    .await;
    // faulted_run has compared the server's users before and after; the rest is verdicts.
    for id in all_cases() {
        let verdict = run.verdict(id);
        assert!(verdict == "pass" || verdict == "error", "{id}: {verdict}");
    }
}

/// `groups.create` of the group case's room reaches the server, which creates the group, but
/// the answer is lost (a gateway answers 504). The case is an error, and the group must not
/// be left behind: its name is in the ledger, and the run's own leftover check finds it by
/// that name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_groups_create_answer_leaves_no_room_behind() {
    let run = faulted_run(
        |seen| {
            if creates_case_room(seen, "groups") {
                Fault::LoseAnswer(Box::new(Fault::json_error(504, "Gateway Timeout")))
            } else {
                Fault::Forward
            }
        },
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.text());
    assert_eq!(run.verdict(GROUP_CASE), "error", "{}", run.text());
    run.assert_passed(&CHANNEL_CASES);
}
