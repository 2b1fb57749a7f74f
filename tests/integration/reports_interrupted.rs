//! An interrupted run is never shown as passed: report.json carries `run.interrupted` and
//! what interrupted it, summary.md's heading, the HTML title and JUnit say "interrupted" and
//! show no check mark, the terminal summary (here: `merge`'s) says so, and `merge` of any
//! interrupted shard exits 5.

use std::process::Command;

use camino::Utf8PathBuf;
use rc_conform::report::model::{RunReport, Totals, Verdict};
use serde_json::Value;

use crate::reports::{read_junit, report_schema, small_report, violations};

/// A report whose every case that ran passed, interrupted by SIGTERM: what used to look green.
fn interrupted_passing() -> RunReport {
    let mut report = small_report();
    for case in &mut report.cases {
        if case.verdict != Verdict::Skipped {
            case.verdict = Verdict::Pass;
        }
    }
    report.totals = Totals::of(report.cases.iter().map(|c| c.verdict));
    report.cleanup.leftovers.clear();
    report.run.interrupted = true;
    report.run.interrupt_reason = Some("SIGTERM".into());
    report
}

fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = Utf8PathBuf::from_path_buf(tmp.path().join("out")).expect("UTF-8 path");
    (tmp, path)
}

fn merge(parts: &[&Utf8PathBuf], out: &Utf8PathBuf) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rc-conform"))
        .env("NO_COLOR", "1")
        .arg("merge")
        .args(parts.iter().map(|p| p.as_str()))
        .args(["--report-dir", out.as_str()])
        .output()
        .expect("merge runs")
}

#[test]
fn an_interrupted_run_says_so_in_every_format_and_never_shows_a_check_mark() {
    let (_tmp, out) = dir();
    let report = interrupted_passing();
    rc_conform::report::render::write_all(&out, &report).expect("reports written");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("json"))
            .expect("JSON");
    assert_eq!(json["run"]["interrupted"], true);
    assert_eq!(json["run"]["interrupt_reason"], "SIGTERM");
    assert_eq!(violations(&report_schema(), &json), Vec::<String>::new());
    let md = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
    let heading = md.lines().next().unwrap_or_default();
    assert!(heading.contains("interrupted by SIGTERM"), "{heading}");
    assert!(
        !heading.contains('✅') && !md.contains("every case passed"),
        "{heading}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(
        title.contains("interrupted by SIGTERM") && !title.contains('✓'),
        "{title}"
    );
    let junit = read_junit(&out.join("junit.xml"));
    let run = &junit["cases"]["run"];
    assert_eq!(run["classname"], "rc-conform", "{junit:#}");
    assert_eq!(run["results"][0]["kind"], "error", "{junit:#}");
    let message = run["results"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("interrupted by SIGTERM"), "{message}");
    assert!(junit["errors"].as_u64() >= Some(1), "{junit:#}");
    let suite = &junit["suites"][0]["properties"];
    assert_eq!(suite["interrupted"], "true", "{junit:#}");
    assert_eq!(suite["interrupt_reason"], "SIGTERM", "{junit:#}");
}

#[test]
fn merge_of_an_interrupted_shard_exits_5_and_says_so() {
    let (_tmp, out) = dir();
    let whole = interrupted_passing();
    let half = whole.cases.len() / 2;
    let mut first = whole.clone();
    first.cases.truncate(half);
    first.run.interrupted = false;
    first.run.interrupt_reason = None;
    first.run.partition = Some("hash:1/2".into());
    let mut second = whole;
    second.cases.drain(..half);
    second.run.partition = Some("hash:2/2".into());
    for part in [&mut first, &mut second] {
        part.totals = Totals::of(part.cases.iter().map(|c| c.verdict));
    }
    let (a, b) = (out.join("a.json"), out.join("b.json"));
    std::fs::create_dir_all(&out).expect("dir");
    for (path, part) in [(&a, &first), (&b, &second)] {
        std::fs::write(path, serde_json::to_string(part).expect("JSON")).expect("write");
    }
    let merged_dir = out.join("merged");
    let done = merge(&[&a, &b], &merged_dir);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(
        done.status.code(),
        Some(5),
        "{stdout}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("interrupted by SIGTERM"), "{stdout}");
    let merged: Value = serde_json::from_str(
        &std::fs::read_to_string(merged_dir.join("report.json")).expect("merged report"),
    )
    .expect("JSON");
    assert_eq!(merged["run"]["interrupted"], true);
    // Neither part interrupted: merge exits as the gate says, not 5.
    let clean = out.join("clean");
    let done = merge(&[&a], &clean);
    assert_ne!(done.status.code(), Some(5));
}
