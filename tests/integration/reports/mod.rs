//! The report files of a run, each checked by a consumer of its format: `junit.xml` read by
//! Python's junitparser, `report.json` validated against `specs/report.schema.json`, the
//! Markdown matrix parsed back, `report.html` opened in headless Chromium, and every file a
//! run writes searched for the admin password, its two-factor digest and login tokens.
//! The junitparser and Chromium tests need those programs, so plain `cargo test` ignores them
//! (the ignore message says how to run them); `bash .ci/run` installs both and runs them.
//! The other tests that read `junit.xml` use junitparser where it is installed and
//! quick-junit's deserializer where it is not (`junit_read.rs`).
//!
//! The failing run is the `rc-conform` binary against the embedded reference server with the
//! `ignore-room-roles` deviation. Its reports stay under `target/tmp/reports/run-<pid>/` for a
//! person to look at; the browser test also copies the page and its screenshots (`report.png`,
//! `report-case.png`) to `target/tmp/reports/browser/`.

mod fixture;
mod html;
mod junit;
mod junit_read;
mod schema;
mod secrets;
mod summary;

pub(crate) use fixture::small_report;
pub(crate) use junit_read::read_junit;
pub(crate) use schema::{report_schema, violations};

use std::process::{Command, Output};
use std::sync::OnceLock;

use camino::Utf8PathBuf;
use rc_conform::report::model::{CaseRecord, RunReport, Verdict};
use rc_conform::report::{json, render};

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reports_home() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reports")
}

/// This test process's directory, `target/tmp/reports/run-<pid>/` (under nextest each test is
/// a process of its own, so each gets its own); those of processes that are gone are removed.
fn process_dir() -> &'static Utf8PathBuf {
    static DIR: OnceLock<Utf8PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let home = reports_home();
        for entry in std::fs::read_dir(&home).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("run-")
                && !std::path::Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        home.join(format!("run-{}", std::process::id()))
    })
}

/// A fresh directory of this process (kept after the test for a look).
fn scratch(name: &str) -> Utf8PathBuf {
    let dir = process_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rc-conform"));
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("RC_CONFORM_TARGET")
        .env_remove("RC_CONFORM_REPORT_DIR")
        .env_remove("RC_CONFORM_ADMIN_USER")
        .env_remove("RC_CONFORM_ADMIN_PASSWORD");
    cmd
}

fn output_text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Rendered {
    dir: Utf8PathBuf,
    report: RunReport,
    paths: Vec<Utf8PathBuf>,
}

/// The suite against the reference server with `ignore-room-roles`: some cases fail.
fn failing_run() -> &'static Rendered {
    static RUN: OnceLock<Rendered> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch("failing-run");
        let out = binary()
            .args([
                "run",
                "-q",
                "--deviate",
                "ignore-room-roles",
                // The client profiles have their own tests (clients.rs); these count cases.
                "--no-clients",
                "--report-dir",
            ])
            .arg(&dir)
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
        let report = json::read(&dir.join("report.json")).expect("report.json reads back");
        assert!(
            report.cases.iter().any(|c| c.verdict == Verdict::Fail),
            "the deviation should fail some case"
        );
        let paths = render::write_all(&dir, &report).expect("the reports render");
        Rendered { dir, report, paths }
    })
}

fn first_failing(report: &RunReport) -> &CaseRecord {
    report
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Fail)
        .expect("a failing case")
}

#[test]
fn write_all_writes_the_four_reports() {
    let run = failing_run();
    let names: Vec<&str> = run.paths.iter().filter_map(|p| p.file_name()).collect();
    assert_eq!(
        names,
        ["report.json", "junit.xml", "summary.md", "report.html"]
    );
    for p in &run.paths {
        assert!(p.starts_with(&run.dir) && p.is_file(), "{p}");
    }
    assert_eq!(
        json::read(&run.dir.join("report.json")).expect("reads"),
        run.report
    );
}
