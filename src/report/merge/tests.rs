//! Merging shard reports: agreement checks, partitions, totals.

use super::*;
use crate::expectations::tests::{record, report};
use crate::report::model::Verdict;

fn part(name: &str, partition: &str, cases: Vec<CaseRecord>) -> Part {
    let mut r = report(cases);
    r.run.run_id = name.into();
    r.run.partition = Some(partition.into());
    r.requests = vec![RequestCount {
        purpose: "call".into(),
        count: 10,
    }];
    r.cleanup = CleanupRecord {
        unverified: Vec::new(),
        ledger: format!("reports/{name}/ledger.jsonl"),
        undone: 3,
        errors: Vec::new(),
        leftovers: Vec::new(),
    };
    Part {
        path: Utf8PathBuf::from(format!("{name}/report.json")),
        report: r,
    }
}

fn shards() -> Vec<Part> {
    use Verdict::{Fail, Pass, Skipped};
    let cases = [
        [
            ("b", Pass, "cases/b.yaml:4:5"),
            ("a2", Fail, "cases/a/z.yaml:30:5"),
        ],
        [
            ("a1", Pass, "cases/a/z.yaml:4:5"),
            ("c", Skipped, "cases/b.yaml:10:5"),
        ],
    ];
    let [mut first, mut second] = [("one", 1), ("two", 2)].map(|(name, n)| {
        let records = cases[n - 1].iter().map(|&(id, v, at)| record(id, v, at));
        part(name, &format!("hash:{n}/2"), records.collect())
    });
    first.report.run.started_at = "2026-11-23T05:00:02.000Z".into();
    first.report.run.finished_at = "2026-11-23T05:09:00.000Z".into();
    second.report.requests.push(RequestCount {
        purpose: "provision".into(),
        count: 4,
    });
    second.report.cleanup.leftovers = vec!["user rcc-two-001-mod".into()];
    vec![first, second]
}

#[test]
fn disjoint_shards_merge_into_one_report_in_suite_order() {
    let merged = merge(&shards()).expect("mergeable");
    assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
    let r = merged.report;
    let ids: Vec<&str> = r.cases.iter().map(|c| c.id.as_str()).collect();
    // cases/a/z.yaml before cases/b.yaml (path components), then by line.
    assert_eq!(ids, ["a1", "a2", "b", "c"]);
    assert_eq!((r.totals.pass, r.totals.fail, r.totals.skipped), (2, 1, 1));
    assert_eq!(r.run.run_id, "one,two");
    assert_eq!(r.run.partition.as_deref(), Some("merged from 2 parts"));
    assert_eq!(r.run.started_at, "2026-11-23T05:00:00.000Z");
    assert_eq!(r.run.finished_at, "2026-11-23T05:09:00.000Z");
    assert_eq!(r.run.preflight, ["server version 8.5.0"]);
    assert_eq!(
        r.requests,
        [
            RequestCount {
                purpose: "call".into(),
                count: 20
            },
            RequestCount {
                purpose: "provision".into(),
                count: 4
            },
        ]
    );
    assert_eq!(r.cleanup.undone, 6);
    assert_eq!(r.cleanup.leftovers, ["user rcc-two-001-mod"]);
    assert_eq!(
        r.cleanup.ledger,
        "reports/one/ledger.jsonl, reports/two/ledger.jsonl"
    );
}

#[test]
fn a_case_in_two_parts_is_refused() {
    let mut parts = shards();
    parts[1]
        .report
        .cases
        .push(record("b", Verdict::Pass, "cases/b.yaml:4:5"));
    assert_eq!(
        merge(&parts).map(|_| ()),
        Err(MergeError::DuplicateCase {
            id: "b".into(),
            first: "one/report.json".into(),
            second: "two/report.json".into(),
        })
    );
}

#[test]
fn parts_of_different_runs_are_refused() {
    let mut parts = shards();
    parts[1].report.run.tool_version = "0.2.0".into();
    let Err(e) = merge(&parts) else {
        panic!("tool versions differ")
    };
    assert_eq!(
        e.to_string(),
        "two/report.json has tool version `0.2.0`, but one/report.json has `0.1.0`: only parts of one run can be merged"
    );
    let mut parts = shards();
    for p in &mut parts {
        p.report.run.embedded = false;
    }
    parts[1].report.run.target = "https://other.example".into();
    assert!(matches!(
        merge(&parts),
        Err(MergeError::Mismatch { what: "target", .. })
    ));
    // Embedded servers differ in port only: fine.
    let mut parts = shards();
    parts[1].report.run.target = "http://127.0.0.1:4000".into();
    let merged = merge(&parts).expect("embedded parts merge");
    assert_eq!(
        merged.report.run.target,
        "http://127.0.0.1:3000, http://127.0.0.1:4000"
    );
    assert_eq!(merge(&[]).map(|_| ()), Err(MergeError::NoParts));
}

#[test]
fn a_missing_shard_is_named() {
    let mut parts = shards();
    parts[1].report.run.partition = Some("hash:3/3".into());
    parts[0].report.run.partition = Some("hash:1/3".into());
    let merged = merge(&parts).expect("mergeable");
    assert_eq!(
        merged.warnings,
        ["no part for partition hash:2/3: the merged report lacks its cases"]
    );
}

#[test]
fn divergences_are_combined_by_id() {
    let mut parts = shards();
    let divergence = |cases: &[&str]| DivergenceRecord {
        id: "room-roles".into(),
        docs: "d".into(),
        server: "s".into(),
        cases: cases.iter().map(|c| (*c).to_owned()).collect(),
    };
    parts[0].report.divergences = vec![divergence(&["b"])];
    parts[1].report.divergences = vec![divergence(&["a1"])];
    let merged = merge(&parts).expect("mergeable");
    assert_eq!(merged.report.divergences, [divergence(&["a1", "b"])]);
}
