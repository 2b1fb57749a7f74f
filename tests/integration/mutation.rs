//! The suite against every deviation of the reference server: each deviation breaks exactly
//! one rule, and at least one case must catch it: as `fail` when the rule is part of the
//! contract (the run fails), as `non-strict` when only an exact or incidental detail of
//! Rocket.Chat's answer changes (the run fails with `--strict`). Against the faithful server
//! every case passes. The table of which cases caught which deviation, and how, is kept in
//! the README between `<!-- mutation-table:start -->` and `<!-- mutation-table:end -->`; this
//! test fails when the README is stale (run with `RC_CONFORM_BLESS=1` to rewrite it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use camino::Utf8PathBuf;
use rc_conform::case::Suite;
use rc_conform::reference::{Deviation, ServerConfig, start};
use rc_conform::report::model::{RunReport, Verdict};
use rc_conform::run::{Interrupt, RunOptions, Target};
use rc_conform::spec::Specs;

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run of `suite` against a fresh reference server with `deviations`, as the embedded
/// target: the report and the requests the server counted, by path.
pub(crate) async fn run_against(
    suite: &Suite,
    specs: &Specs,
    deviations: BTreeSet<Deviation>,
) -> (RunReport, BTreeMap<String, u64>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig {
        deviations,
        ..ServerConfig::default()
    };
    let server = start(config.clone(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the reference server starts");
    let report_dir = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("UTF-8 dir");
    let options = RunOptions {
        lock_timeout: Duration::from_secs(60),
        clients: rc_conform::run::ClientSelection::Never,
        ..RunOptions::new(Target::embedded(server.url(), &config), report_dir)
    };
    let run_id = rc_conform::run::new_run_id();
    let report = rc_conform::run::run(
        suite,
        specs,
        &options,
        &run_id,
        &Interrupt::default(),
        &|_| {},
        None,
    )
    .await
    .expect("the run starts")
    .report;
    let requests = server.requests();
    server.shutdown().await;
    (report, requests)
}

fn failing(report: &RunReport, strict: bool) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(strict))
        .map(|c| c.id.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deviation_is_caught_by_a_case_and_the_faithful_server_passes_all() {
    let specs = std::sync::Arc::new(Specs::load(&root().join("specs")).expect("specs load"));
    let suite = std::sync::Arc::new(specs.load_cases(&root().join("cases")).expect("cases load"));

    let (faithful, _) = run_against(&suite, &specs, BTreeSet::new()).await;
    assert!(
        failing(&faithful, true).is_empty(),
        "against the faithful server these failed: {:?}",
        failing(&faithful, true)
    );
    assert!(
        faithful
            .cases
            .iter()
            .all(|c| matches!(c.verdict, Verdict::Pass | Verdict::Skipped))
    );
    assert!(
        faithful.cleanup.leftovers.is_empty(),
        "leftovers: {:?}",
        faithful.cleanup.leftovers
    );

    // One embedded server per deviation, all runs at once.
    let mut runs = tokio::task::JoinSet::new();
    for &d in Deviation::ALL {
        let (suite, specs) = (suite.clone(), specs.clone());
        runs.spawn(async move { (d, run_against(&suite, &specs, BTreeSet::from([d])).await.0) });
    }
    let mut results = runs.join_all().await;
    results.sort_by_key(|(d, _)| *d);

    let mut uncaught = Vec::new();
    let mut table =
        String::from("| deviation | caught as | cases that catch it |\n|---|---|---|\n");
    for (deviation, report) in &results {
        let caught = failing(report, true);
        if caught.is_empty() {
            uncaught.push(deviation.name());
        }
        let fails = failing(report, false).len();
        let how = match (fails, caught.len() - fails) {
            (0, n) => format!("{n} non-strict"),
            (f, 0) => format!("{f} fail"),
            (f, n) => format!("{f} fail, {n} non-strict"),
        };
        let shown: Vec<String> = caught.iter().take(4).map(|id| format!("`{id}`")).collect();
        let more = if caught.len() > 4 {
            format!(" and {} more", caught.len() - 4)
        } else {
            String::new()
        };
        table.push_str(&format!(
            "| `{}` | {how} | {} ({} in all){more} |\n",
            deviation.name(),
            shown.join(", "),
            caught.len()
        ));
        assert!(
            report.cleanup.leftovers.is_empty(),
            "{}: leftovers {:?}",
            deviation.name(),
            report.cleanup.leftovers
        );
    }
    assert!(
        uncaught.is_empty(),
        "no case catches these deviations: {uncaught:?}\n{table}"
    );
    keep_readme_table(&table);
}

fn keep_readme_table(table: &str) {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = (
        "<!-- mutation-table:start -->\n",
        "<!-- mutation-table:end -->",
    );
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!(
            "README.md has no mutation-table markers; add them and run with RC_CONFORM_BLESS=1\n{table}"
        );
    };
    let current = &readme[a + start.len()..b];
    if current == table {
        return;
    }
    if std::env::var_os("RC_CONFORM_BLESS").is_some() {
        let updated = format!("{}{table}{}", &readme[..a + start.len()], &readme[b..]);
        std::fs::write(&path, updated).expect("README.md written");
    } else {
        panic!(
            "the README's mutation table is stale; run `RC_CONFORM_BLESS=1 cargo test --test mutation` to rewrite it. The current table:\n{table}"
        );
    }
}
