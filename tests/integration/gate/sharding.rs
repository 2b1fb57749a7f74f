//! Sharding with `--partition` and `merge`, and `diff`.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_partitions_merged_equal_a_single_run() {
    let (tmp, whole) = temp();
    let (first, second, merged) = (
        tmp.path().join("p1"),
        tmp.path().join("p2"),
        tmp.path().join("merged"),
    );
    let (a, b, c) = tokio::join!(
        output(run_embedded(&whole, &[])),
        output(run_embedded(&first, &["--partition", "hash:1/2"])),
        output(run_embedded(&second, &["--partition", "hash:2/2"])),
    );
    for out in [&a, &b, &c] {
        assert_eq!(out.status.code(), Some(0), "{}", text(out));
    }
    let mut merge = binary();
    merge
        .arg("merge")
        .arg(first.join("report.json"))
        .arg(second.join("report.json"))
        .arg("--report-dir")
        .arg(&merged);
    let out = output(merge).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (single, combined) = (report(&whole), report(&merged));
    let (p1, p2) = (verdicts(&report(&first)), verdicts(&report(&second)));
    assert!(!p1.is_empty() && !p2.is_empty(), "both shards ran cases");
    assert!(
        p1.keys().all(|id| !p2.contains_key(id)),
        "the shards are disjoint"
    );
    assert_eq!(verdicts(&combined), verdicts(&single));
    assert_eq!(combined["totals"], single["totals"]);
    let ids = |r: &Value| -> Vec<Value> {
        r["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    assert_eq!(ids(&combined), ids(&single), "suite order");
    assert_eq!(combined["run"]["partition"], "merged from 2 parts");
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(merged.join(file).exists(), "{file} written");
    }

    // A shard merged with itself is refused.
    let mut twice = binary();
    twice
        .arg("merge")
        .arg(first.join("report.json"))
        .arg(first.join("report.json"))
        .arg("--report-dir")
        .arg(tmp.path().join("twice"));
    let out = output(twice).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("exactly one part"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_of_a_passing_and_a_failing_report_lists_the_regressions() {
    let (tmp, passing) = temp();
    let failing = tmp.path().join("failing");
    let (good, bad) = tokio::join!(
        output(run_embedded(&passing, &["--filter", "joined-room"])),
        output(run_embedded(
            &failing,
            &["--filter", "joined-room", "--deviate", "ignore-room-roles"]
        )),
    );
    assert_eq!(good.status.code(), Some(0), "{}", text(&good));
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let regressed: Vec<String> = verdicts(&report(&failing))
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .map(|(id, _)| id)
        .collect();
    assert!(regressed.contains(&ROOM_ROLE_CASE.to_owned()));

    let mut diff = binary();
    diff.arg("diff")
        .arg(passing.join("report.json"))
        .arg(failing.join("report.json"));
    let out = output(diff).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let listed = stdout(&out);
    assert!(
        listed.contains(&format!("## Regressions ({})", regressed.len())),
        "{listed}"
    );
    for id in &regressed {
        assert!(listed.contains(&format!("- {id}: pass → fail")), "{listed}");
    }

    // The other way round they are fixes, and nothing regressed.
    let mut back = binary();
    back.arg("diff")
        .arg(failing.join("report.json"))
        .arg(passing.join("report.json"));
    let out = output(back).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("## Fixes ({})", regressed.len())),
        "{}",
        text(&out)
    );
}
