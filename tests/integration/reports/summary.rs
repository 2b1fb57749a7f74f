//! `summary.md`: the Markdown matrix parsed back, its snapshots and its size budget.

use rc_conform::report::markdown;
use rc_conform::report::model::{CaseRecord, Totals, Verdict};

use super::fixture::small_report;
use super::{failing_run, first_failing};

fn matrix_table(md: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let split = |line: &str| -> Vec<String> {
        line.trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let mut lines = md
        .lines()
        .skip_while(|l| !l.starts_with("| premise / failure |"));
    let head = split(lines.next().expect("the matrix table"));
    let separator = lines.next().expect("separator");
    assert!(separator.starts_with("|---|"), "{separator}");
    let rows = lines
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let mut cells = split(l);
            let premise = cells.remove(0);
            (premise, cells)
        })
        .collect();
    (head[1..].to_vec(), rows)
}

#[test]
fn summary_matrix_shows_the_failing_cells_and_adds_up_to_the_totals() {
    let run = failing_run();
    let md = std::fs::read_to_string(run.dir.join("summary.md")).expect("summary.md");
    assert!(md.starts_with("# ❌ rc-conform: "), "{md}");
    assert!(md.len() <= markdown::SIZE_BUDGET);
    let (columns, rows) = matrix_table(&md);
    let cell = |case: &CaseRecord| -> &str {
        let col = format!(
            "{} {}",
            case.endpoint,
            case.room_type.map_or("-", |t| t.code())
        );
        let c = columns
            .iter()
            .position(|h| *h == col)
            .unwrap_or_else(|| panic!("no column {col}"));
        let (_, cells) = rows
            .iter()
            .find(|(p, _)| case.premise == *p)
            .unwrap_or_else(|| panic!("no row {}", case.premise));
        &cells[c]
    };
    for case in run
        .report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(false))
    {
        assert!(
            cell(case).ends_with('❌'),
            "{}: cell `{}`",
            case.id,
            cell(case)
        );
        assert!(
            md.contains(&format!("### ❌ `{}`", case.id)),
            "no evidence for {}",
            case.id
        );
    }
    let (mut passed, mut ran) = (0, 0);
    for (_, cells) in &rows {
        for c in cells {
            if let Some((a, b)) = c.trim_end_matches(['❌', '🟡', ' ']).split_once('/') {
                passed += a.parse::<usize>().expect("passed count");
                ran += b.parse::<usize>().expect("ran count");
            }
        }
    }
    let t = &run.report.totals;
    assert_eq!(passed, t.pass + t.flaky);
    assert_eq!(ran, run.report.cases.len() - t.skipped);
    // Rows follow specs/premises.yaml.
    let premises: Vec<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        &premises[..3],
        [
            "add-user-to-joined-room",
            "add-user-to-any-c-room",
            "add-user-to-any-p-room"
        ]
    );

    let case = first_failing(&run.report);
    assert!(
        md.contains(&format!("```sh\n{}\n```", case.calls[0].curl)),
        "no curl for {}",
        case.id
    );
    assert!(md.contains("<details><summary>Transcript ("));
}

#[test]
fn summary_md_of_a_small_report() {
    insta::assert_snapshot!(
        "summary_small",
        markdown::render(&small_report()).expect("renders")
    );
}

#[test]
fn summary_md_of_a_passing_run_is_short() {
    let mut report = small_report();
    report
        .cases
        .retain(|c| matches!(c.verdict, Verdict::Pass | Verdict::Skipped));
    report.totals = Totals::of(report.cases.iter().map(|c| c.verdict));
    report.cleanup.leftovers.clear();
    let md = markdown::render(&report).expect("renders");
    assert!(
        md.starts_with("# ✅ rc-conform: every case passed (1 ran, 1 skipped)"),
        "{md}"
    );
    assert!(!md.contains("## Failures"));
    assert!(md.len() < 3_000, "{} bytes", md.len());
    insta::assert_snapshot!("summary_passing", md);
}

#[test]
fn summary_md_fits_a_pr_comment_however_much_fails() {
    let mut report = small_report();
    let template = report.cases[1].clone();
    let big = "x".repeat(60_000);
    report.cases = (0..400)
        .map(|i| {
            let mut c = template.clone();
            c.id = format!("groups.invite/generated/case-{i}").into();
            c.calls[0].transcript[0].response_body = Some(big.clone());
            c
        })
        .collect();
    report.totals = Totals {
        fail: 400,
        ..Totals::default()
    };
    let md = markdown::render(&report).expect("renders");
    assert!(md.len() <= markdown::SIZE_BUDGET, "{} bytes", md.len());
    assert!(md.contains("## Failures (400)"));
    assert!(md.contains("groups.invite/generated/case-0"));
    assert!(md.contains("… and "), "the rest is counted");
}
