//! Rooms shared between cases, end to end against the reference server: a deviation that
//! makes some refusals of a share add their invitee fails exactly those cases (the guard
//! charges each with its own change) and none of their room-mates; a deviation that changes
//! what some additions of a share add fails those and not the others (each is judged on its
//! own share of the room's change); and the run's requests a case, counted by the server.

use std::collections::BTreeSet;

use crate::mutation::run_against;
use camino::Utf8PathBuf;
use rc_conform::case::{Suite, Version};
use rc_conform::reference::Deviation;
use rc_conform::report::model::{CaseRecord, RunReport, Verdict};
use rc_conform::spec::Specs;

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn loaded() -> (Specs, Suite) {
    let specs = Specs::load(&root().join("specs")).expect("specs load");
    let suite = specs.load_cases(&root().join("cases")).expect("cases load");
    (specs, suite)
}

/// The ids of the cases that share rooms with `id` at `version` (itself included).
fn share_of(suite: &Suite, specs: &Specs, version: &Version, id: &str) -> BTreeSet<String> {
    let mut plan = rc_conform::run::plan::plan(suite, None, None, version);
    let predicted = rc_conform::run::predicted::Predicted::of(&plan, &specs.model, version);
    rc_conform::run::grouping::merge(&mut plan, version, &predicted);
    let sharing = rc_conform::run::share::plan(&plan, version, &predicted);
    sharing
        .place_of(id)
        .map(|place| {
            place
                .mates
                .iter()
                .map(|&i| plan.cases[i].case.id.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the guard charged the case with a change of its shared room.
fn charged(case: &CaseRecord) -> bool {
    case.calls
        .iter()
        .flat_map(|c| &c.mismatches)
        .any(|m| m.expected.starts_with("the room unchanged: it is shared"))
}

fn case<'r>(report: &'r RunReport, id: &str) -> &'r CaseRecord {
    report
        .cases
        .iter()
        .find(|c| c.id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} is in the report"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_that_changes_its_shared_room_fails_and_its_room_mates_do_not() {
    let (specs, suite) = loaded();
    let version = Version::parse("8.5.0").expect("version");
    // An archived channel accepted: the two cases whose refusal was the archive add their
    // invitees; the unauthorised caller is still refused for its permission.
    let adders = [
        "channels.invite/room/archived",
        "channels.invite/room/archived-by-name",
    ];
    let refused = "channels.invite/precedence/unauthorised-archived";
    let share = share_of(&suite, &specs, &version, adders[0]);
    let expected: BTreeSet<String> = adders
        .iter()
        .chain([&refused])
        .map(|s| (*s).to_owned())
        .collect();
    assert!(
        expected.is_subset(&share),
        "the three share one room: {share:?}"
    );
    let deviation = "archived-channel-accepted"
        .parse::<Deviation>()
        .expect("a deviation");
    let (report, _) = run_against(&suite, &specs, BTreeSet::from([deviation])).await;
    for id in adders {
        let record = case(&report, id);
        assert_eq!(record.verdict, Verdict::Fail, "{id}");
        assert!(charged(record), "{id} is charged with its own change");
    }
    for mate in share.iter().filter(|id| !adders.contains(&id.as_str())) {
        let record = case(&report, mate);
        assert_ne!(record.verdict, Verdict::Fail, "{mate}: {:?}", record.reason);
        assert!(
            !charged(record),
            "{mate} is charged with a room-mate's change"
        );
    }
    let failed: BTreeSet<&str> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(failed, adders.into_iter().collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_addition_that_adds_too_few_fails_and_its_room_mates_do_not() {
    let (specs, suite) = loaded();
    let version = Version::parse("8.5.0").expect("version");
    // A bulk invite that adds only its first user: the bulk case fails on its second invitee
    // and on the counters it moved, its room-mates that invite one user each pass.
    let bulk = "channels.invite/users/bulk-usernames";
    let share = share_of(&suite, &specs, &version, bulk);
    let single = "channels.invite/users/username";
    assert!(share.contains(single), "they share one room: {share:?}");
    let deviation = "bulk-first-only".parse::<Deviation>().expect("a deviation");
    let (report, _) = run_against(&suite, &specs, BTreeSet::from([deviation])).await;
    assert_eq!(case(&report, bulk).verdict, Verdict::Fail);
    let mut passed = 0;
    for mate in &share {
        let record = case(&report, mate);
        if record.verdict == Verdict::Pass {
            passed += 1;
            continue;
        }
        // A room-mate fails only for its own invitees (a bulk invite of its own).
        let reasons: Vec<&str> = record
            .calls
            .iter()
            .flat_map(|c| &c.mismatches)
            .map(|m| m.expected.as_str())
            .collect();
        assert!(
            !reasons.iter().any(|r| r.contains("shared")),
            "{mate} is charged with the room: {reasons:?}"
        );
    }
    assert!(passed > 0 && case(&report, single).verdict == Verdict::Pass);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_rooms_cut_the_requests_a_case_and_every_case_passes() {
    let (specs, suite) = loaded();
    let (report, requests) = run_against(&suite, &specs, BTreeSet::new()).await;
    let ran = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .count();
    let passing = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .count();
    assert_eq!(passing, ran, "every case that runs passes");
    let total: u64 = requests.values().sum();
    let by_report: u64 = report.requests.iter().map(|r| r.count).sum();
    assert_eq!(
        total, by_report,
        "the report counts what the server counted"
    );
    let per_case = total as f64 / ran as f64;
    let created = |kind: &str| {
        requests
            .get(&format!("POST /api/v1/{kind}.create"))
            .copied()
    };
    let rooms = created("channels").unwrap_or(0) + created("groups").unwrap_or(0);
    assert!(
        (rooms as usize) < ran / 2,
        "{rooms} rooms for {ran} cases: refusals and additions share theirs"
    );
    assert!(
        per_case <= 3.0,
        "{per_case:.2} requests a case: {requests:#?}"
    );
}
