//! Settling permission changes by evidence, end to end over real sockets: the whole suite
//! against a reference server that emulates a real one (a round trip, a permission cache that
//! lags behind `permissions.update`). With the default settings every case passes and each
//! grant group's wait is observed by probes; without a wait cases fail (the lag is real); a
//! probe that never shows its change stops at the deadline; the fixed wait stays available.

use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use rc_conform::reference::{ServerConfig, start};
use rc_conform::report::model::{RunReport, Verdict};
use rc_conform::run::{GrantSettle, Interrupt, RunOptions, Target};
use rc_conform::spec::Specs;
use serde_json::Value;

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run of the whole suite against a reference server (not as the embedded target) with
/// `latency` per answer and `lag` on permission changes.
struct Lagged {
    report: RunReport,
    /// Requests the server received, the run's whole traffic.
    received: u64,
    wall: Duration,
    dir: tempfile::TempDir,
}

async fn run_lagged(latency: Duration, lag: Duration, settle: GrantSettle) -> Lagged {
    let specs = Specs::load(&root().join("specs")).expect("specs load");
    let suite = specs.load_cases(&root().join("cases")).expect("cases load");
    let config = ServerConfig {
        latency,
        permission_lag: lag,
        ..ServerConfig::default()
    };
    let server = start(config.clone(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts");
    let dir = tempfile::tempdir().expect("temp dir");
    // Judged as a target of its own (lock, settle), not as the embedded server.
    let target = Target {
        embedded: false,
        ..Target::embedded(server.url(), &config)
    };
    let report_dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8");
    let options = RunOptions {
        grant_settle: settle,
        lock_timeout: Duration::from_secs(60),
        // A disposable reference server: built-in grants are harmless there.
        allow_global_grants: true,
        clients: rc_conform::run::ClientSelection::Never,
        ..RunOptions::new(target, report_dir)
    };
    let started = Instant::now();
    let run_id = rc_conform::run::new_run_id();
    let outcome = rc_conform::run::run(
        &suite,
        &specs,
        &options,
        &run_id,
        &Interrupt::default(),
        &|_| {},
        None,
    )
    .await
    .expect("the run starts");
    let wall = started.elapsed();
    let received = server.request_total();
    server.shutdown().await;
    Lagged {
        report: outcome.report,
        received,
        wall,
        dir,
    }
}

fn not_passing(report: &RunReport) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Skipped))
        .map(|c| format!("{} {:?}: {:?}", c.id, c.verdict, c.reason))
        .collect()
}

fn ran(report: &RunReport) -> usize {
    report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .count()
}

/// The acceptance run: a 20 ms round trip and a 300 ms permission cache lag, default
/// settings. Every case passes, each group's change is observed by probes (no fixed sleep),
/// and the reports show each group's wait (report.json valid against its schema).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_round_trip_and_a_lagging_permission_cache_every_case_passes_by_default() {
    let run = run_lagged(
        Duration::from_millis(20),
        Duration::from_millis(300),
        GrantSettle::default(),
    )
    .await;
    let report = &run.report;
    assert_eq!(not_passing(report), Vec::<String>::new());
    // The probes' fixtures are cleaned up with the cases'.
    assert_eq!(report.cleanup.leftovers, Vec::<String>::new());
    assert_eq!(report.cleanup.errors, Vec::<String>::new());
    assert!(!report.grant_groups.is_empty());
    for group in &report.grant_groups {
        assert_eq!(group.settle.how, "observed", "{group:#?}");
        assert!(group.settle.unobserved.is_empty(), "{group:#?}");
        assert!(group.settle.probes > 0, "{group:#?}");
    }
    // The lag is waited for: at least one group saw it.
    assert!(
        report
            .grant_groups
            .iter()
            .any(|g| g.settle.waited_ms >= 200),
        "{:#?}",
        report.grant_groups
    );
    // A debug build on a shared machine: the release figure (< 5 s) is in the README.
    assert!(run.wall < Duration::from_secs(20), "took {:?}", run.wall);
    let per_case = run.received as f64 / ran(report) as f64;
    eprintln!(
        "{} requests for {} cases: {per_case:.2} per case, {:?}",
        run.received,
        ran(report),
        run.wall
    );
    assert!(per_case < 4.5, "{per_case:.2} requests per case");
    rc_conform::report::render::write_all(
        &Utf8PathBuf::from_path_buf(run.dir.path().join("out")).expect("UTF-8"),
        report,
    )
    .expect("reports written");
    assert_reports_show_the_groups(&run.dir.path().join("out"), report);
}

fn assert_reports_show_the_groups(dir: &std::path::Path, report: &RunReport) {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let written: Value = serde_json::from_str(&text).expect("JSON");
    let schema_text =
        std::fs::read_to_string(root().join("specs/report.schema.json")).expect("schema");
    let schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&written)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    let groups = written["grant_groups"].as_array().expect("grant_groups");
    assert_eq!(groups.len(), report.grant_groups.len());
    let summary = std::fs::read_to_string(dir.join("summary.md")).expect("summary.md");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    // One list item per group.
    let items = summary
        .lines()
        .filter(|l| l.starts_with("- `") && l.contains(" ms (observed"))
        .count();
    assert_eq!(items, report.grant_groups.len(), "{summary}");
    for group in &report.grant_groups {
        let waited = format!("waited {} ms (observed", group.settle.waited_ms);
        assert!(summary.contains(&waited), "{waited} not in summary.md");
        assert!(html.contains(&waited), "{waited} not in report.html");
    }
}

/// Without a wait the same lag makes cases fail: the probes are what makes the run above
/// pass, not luck.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_wait_the_lagging_permission_cache_fails_cases() {
    let run = run_lagged(
        Duration::ZERO,
        Duration::from_millis(300),
        GrantSettle::Fixed(Duration::ZERO),
    )
    .await;
    assert!(!not_passing(&run.report).is_empty());
    for group in &run.report.grant_groups {
        assert_eq!(group.settle.how, "none", "{group:#?}");
        assert_eq!(group.settle.probes, 0);
    }
}

/// A change that does not show within the deadline is waited for that long and no longer;
/// the group's calls are then made and the report says which change did not show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_never_shows_is_waited_for_until_the_deadline_only() {
    let deadline = Duration::from_millis(300);
    let run = run_lagged(
        Duration::ZERO,
        Duration::from_secs(3),
        GrantSettle::Observe { deadline },
    )
    .await;
    assert!(!run.report.grant_groups.is_empty());
    for group in &run.report.grant_groups {
        let settle = &group.settle;
        assert_eq!(settle.how, "unobserved", "{group:#?}");
        assert!(!settle.unobserved.is_empty(), "{group:#?}");
        // The deadline, plus at most one probe's round trip and the shortest pause.
        assert!(
            (300..1000).contains(&settle.waited_ms),
            "waited {} ms",
            settle.waited_ms
        );
        let note = settle.note.as_deref().unwrap_or_default();
        assert!(note.contains("within 300 ms"), "{note}");
    }
}

/// `--grant-settle-ms`: a fixed wait for targets where no probe works, recorded as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_wait_is_still_available_and_recorded() {
    let run = run_lagged(
        Duration::ZERO,
        Duration::from_millis(300),
        GrantSettle::Fixed(Duration::from_millis(450)),
    )
    .await;
    assert_eq!(not_passing(&run.report), Vec::<String>::new());
    for group in &run.report.grant_groups {
        assert_eq!(group.settle.how, "fixed", "{group:#?}");
        assert_eq!(group.settle.waited_ms, 450);
        assert_eq!(group.settle.probes, 0);
    }
}
