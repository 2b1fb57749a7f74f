//! The report files of a run, each checked by a consumer of its format: `junit.xml` read by
//! Python's junitparser, `report.json` validated against `specs/report.schema.json`, the
//! Markdown matrix parsed back, `report.html` opened in headless Chromium, and every file a
//! run writes searched for the admin password, its two-factor digest and login tokens.
//!
//! The failing run is the `rc-conform` binary against the embedded reference server with the
//! `ignore-room-roles` deviation. Its reports stay under `target/tmp/reports/run-<pid>/` for a
//! person to look at; the browser test also copies the page and its screenshots (`report.png`,
//! `report-case.png`) to `target/tmp/reports/browser/`.

#[path = "browser/cdp.rs"]
mod cdp;

use std::process::{Command, Output};
use std::sync::OnceLock;

use camino::{Utf8Path, Utf8PathBuf};
use rc_conform::report::model::{
    CallRecord, CaseRecord, Check, CleanupRecord, Compared, Conformance, DivergenceRecord, Effect,
    FORMAT_VERSION, Mismatch, RequestCount, RunMeta, RunReport, Totals, Verdict,
};
use rc_conform::report::{json, markdown, render};
use rc_conform::spec::levels::Level;
use rc_conform::target::Exchange;
use serde_json::{Value, json};

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

// ---------------------------------------------------------------- junit.xml

/// Reads a JUnit file with junitparser and prints what it understood, as JSON.
const JUNITPARSER: &str = r#"
import json, sys
try:
    from junitparser import JUnitXml
except ImportError:
    sys.exit("junitparser is not installed: pip install junitparser==5.0.3")
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
       "skipped": xml.skipped, "suites": [], "cases": {}}
for suite in xml:
    out["suites"].append({"name": suite.name, "tests": suite.tests,
        "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped,
        "properties": {p.name: p.value for p in suite.properties()}})
    for case in suite:
        out["cases"][case.name] = {"classname": case.classname, "time": case.time,
            "results": [{"kind": type(r).__name__.lower(), "message": r.message,
                         "text": r.text or ""} for r in case.result],
            "system_out": case.system_out or ""}
print(json.dumps(out))
"#;

fn junitparser(path: &Utf8Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", JUNITPARSER])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to read junit.xml with junitparser: {e}"));
    assert!(
        out.status.success(),
        "junitparser could not read {path} (install it with `pip install junitparser==5.0.3`):\n{}",
        output_text(&out)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[test]
fn junit_xml_is_read_by_junitparser_with_the_report_totals() {
    let run = failing_run();
    let parsed = junitparser(&run.dir.join("junit.xml"));
    let t = &run.report.totals;
    assert_eq!(parsed["tests"], json!(run.report.cases.len()));
    assert_eq!(parsed["failures"], json!(t.fail + t.unexpected_pass));
    assert_eq!(parsed["errors"], json!(t.error));
    assert_eq!(parsed["skipped"], json!(t.skipped));

    // Counted again from the test cases themselves, not from the attributes.
    let cases = parsed["cases"].as_object().expect("cases");
    assert_eq!(cases.len(), run.report.cases.len());
    let kind_count = |kind: &str| {
        cases
            .values()
            .filter(|c| {
                c["results"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["kind"] == kind))
            })
            .count()
    };
    assert_eq!(kind_count("failure"), t.fail + t.unexpected_pass);
    assert_eq!(kind_count("error"), t.error);
    assert_eq!(kind_count("skipped"), t.skipped);

    let suites = parsed["suites"].as_array().expect("suites");
    assert_eq!(
        suites
            .iter()
            .map(|s| s["name"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["channels.invite", "groups.invite"]
    );
    for suite in suites {
        let props = &suite["properties"];
        assert_eq!(props["target"], json!(run.report.run.target));
        assert_eq!(props["server_version"], json!("8.5.0"));
        assert_eq!(props["run_id"], json!(run.report.run.run_id));
        assert_eq!(props["tool_version"], json!(run.report.run.tool_version));
    }

    let case = first_failing(&run.report);
    let junit = &cases[case.id.as_str()];
    assert_eq!(
        junit["classname"],
        json!(format!("{}/{}", case.endpoint, case.premise))
    );
    assert_eq!(junit["time"], json!(case.duration_ms as f64 / 1000.0));
    let failure = &junit["results"][0];
    assert_eq!(failure["kind"], "failure");
    let message = failure["message"].as_str().expect("message");
    let first = &case.calls[0].mismatches[0];
    assert!(
        message.contains(first.text.as_str()) && message.contains("expected"),
        "the failure message should name the expectation `{first}`: {message}"
    );
    let text = failure["text"].as_str().expect("text");
    for call in &case.calls {
        for m in &call.mismatches {
            assert!(
                text.contains(m.text.as_str()),
                "failure text lacks `{m}`:\n{text}"
            );
        }
        for m in schema_violations(call) {
            assert!(
                text.contains(&m.expected),
                "failure text lacks `{}`",
                m.expected
            );
        }
    }
    let out = junit["system_out"].as_str().expect("system-out");
    assert!(
        out.contains("> POST ") && out.contains(&format!("/api/v1/{}\n", case.endpoint)),
        "system-out lacks the call:\n{out}"
    );
    assert!(out.contains("< 400"), "system-out lacks the status:\n{out}");
}

#[test]
fn junit_maps_every_verdict() {
    let dir = scratch("junit-small");
    let report = small_report();
    render::write_all(&dir, &report).expect("renders");
    let parsed = junitparser(&dir.join("junit.xml"));
    let kinds = |id: &str| -> Vec<String> {
        parsed["cases"][id]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                format!(
                    "{}: {}",
                    r["kind"].as_str().unwrap_or(""),
                    r["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert_eq!(
        kinds("channels.invite/joined-room/room-moderator"),
        Vec::<String>::new()
    );
    assert_eq!(
        kinds("groups.invite/joined-room/room-owner"),
        ["failure: status: expected 200, got 400; success: expected true, got false"]
    );
    assert_eq!(
        kinds("channels.invite/any-c-room/non-member"),
        ["error: setup could not be provisioned: users.create answered 400"]
    );
    assert_eq!(
        kinds("channels.invite/body/typed-route-rejects-userIds"),
        ["skipped: applies to server versions >= 9.0.0, the target is 8.5.0"]
    );
    assert_eq!(
        kinds("channels.invite/room/archived"),
        ["failure: unexpected pass: expectations/rc-7.yaml says it fails (RC-123)"]
    );
    // Expected failures and flaky cases pass, with a note.
    assert_eq!(kinds("groups.invite/room/archived"), Vec::<String>::new());
    assert!(
        parsed["cases"]["groups.invite/room/archived"]["system_out"]
            .as_str()
            .is_some_and(|s| s.contains("expected failure (passes the gate): known on 7.x"))
    );
    assert_eq!(
        kinds("channels.invite/users/unknown-ids"),
        Vec::<String>::new()
    );
    let xml = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    assert!(
        xml.contains("<flakyError message=\"connection reset by peer\" type=\"transport-retry\">"),
        "{xml}"
    );
}

// ---------------------------------------------------------------- report.json

fn report_schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("specs/report.schema.json")).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(schema["$id"], "rc-conform:report");
    assert_eq!(
        schema["properties"]["format_version"]["const"],
        json!(FORMAT_VERSION)
    );
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("report.schema.json: {e}"))
}

fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn report_json_validates_against_its_schema() {
    let validator = report_schema();
    let run = failing_run();
    let text = std::fs::read_to_string(run.dir.join("report.json")).expect("report.json");
    let written: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(violations(&validator, &written), Vec::<String>::new());
    let small = serde_json::to_value(small_report()).expect("serializes");
    assert_eq!(violations(&validator, &small), Vec::<String>::new());

    // The schema is closed where the structs are.
    let mut extra = small.clone();
    extra["cases"][0]["colour"] = json!("red");
    assert!(!violations(&validator, &extra).is_empty());
    let mut missing = small.clone();
    missing["run"]
        .as_object_mut()
        .expect("run")
        .remove("cases_commit");
    assert!(!violations(&validator, &missing).is_empty());
    let mut verdict = small.clone();
    verdict["cases"][0]["verdict"] = json!("passed");
    assert!(!violations(&validator, &verdict).is_empty());
    let mut header = small;
    header["cases"][1]["calls"][0]["transcript"][0]["request_headers"][0] = json!(["X-Only-Name"]);
    assert!(!violations(&validator, &header).is_empty());
}

// ---------------------------------------------------------------- summary.md

/// The matrix table of a summary: column heads and, per premise, its cells.
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

// ---------------------------------------------------------------- report.html

const HOSTILE: &str = r#"</script><script>window.__pwned = 1</script><img src="http://127.0.0.1:9/leak.png"> & 'quotes'"#;

fn hostile_report() -> RunReport {
    let mut report = small_report();
    report.cases[1].title = HOSTILE.to_owned();
    report.cases[1].calls[0].transcript[0].response_body =
        Some(r#"<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><iframe src="http://127.0.0.1:9/"></iframe>"#.to_owned());
    report.cases[1].calls[0].mismatches[0].text = HOSTILE.to_owned();
    report
}

#[test]
fn report_html_is_self_contained_and_escapes_the_report() {
    let html = rc_conform::report::html::render(&hostile_report()).expect("renders");
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the index and the page script"
    );
    assert!(!html.contains("<img") && !html.contains("<iframe") && !html.contains("<link"));
    // Escaped text never holds a raw `<`, so every `<` opens a real tag (the page's own CSS
    // and script hold none): no tag may load anything, and links stay inside the page.
    for tag in html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default())
    {
        assert!(
            !tag.contains(" src="),
            "a tag that loads something: <{tag}>"
        );
        if let Some((_, href)) = tag.split_once(" href=\"") {
            assert!(href.starts_with('#'), "an outside link: <{tag}>");
        }
    }
    assert!(!html.contains("url(") && !html.contains("@import"));
    let index = html
        .split("<script type=\"application/json\" id=\"rc-index\">")
        .nth(1)
        .expect("index");
    let index = index.split("</script>").next().expect("index end");
    assert!(!index.contains('<'), "the index JSON must not contain `<`");
    let parsed: Value = serde_json::from_str(index).expect("index is JSON");
    assert_eq!(parsed[1]["title"], HOSTILE);
}

#[test]
fn report_html_in_headless_chromium() {
    let mut browser = cdp::Browser::launch(1400, 1100);

    // The harness sees what a page loads and logs: a canary page with both.
    let canary = scratch("canary").join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><title>canary</title><img src=\"http://127.0.0.1:9/canary.png\">\
         <script>console.error('canary')</script>",
    )
    .expect("canary page");
    let (_, log) = browser.open(canary.as_std_path());
    assert!(
        log.requests.iter().any(|r| r.ends_with("/canary.png")),
        "the harness missed a request: {log:?}"
    );
    assert!(
        log.errors.iter().any(|e| e.contains("canary")),
        "the harness missed a console error: {log:?}"
    );

    // A report full of markup: shown as text, loads nothing, runs nothing.
    let hostile_dir = scratch("hostile");
    render::write_all(&hostile_dir, &hostile_report()).expect("renders");
    let (url, log) = browser.open(hostile_dir.join("report.html").as_std_path());
    assert_eq!(log.errors, Vec::<String>::new(), "console errors");
    assert!(
        log.requests.iter().all(|r| *r == url),
        "requests: {:?}",
        log.requests
    );
    let seen = browser.eval(
        "JSON.stringify({pwned: window.__pwned === undefined ? null : window.__pwned, \
         title: document.querySelector('#case-1 .title').textContent, \
         images: document.images.length})",
    );
    let seen: Value = serde_json::from_str(seen.as_str().expect("string")).expect("JSON");
    assert_eq!(seen, json!({"pwned": null, "title": HOSTILE, "images": 0}));

    // The failing run.
    let run = failing_run();
    let page = run.dir.join("report.html");
    let (url, log) = browser.open(page.as_std_path());
    assert_eq!(log.errors, Vec::<String>::new(), "console errors");
    assert_eq!(
        log.requests,
        std::slice::from_ref(&url),
        "the page must request nothing but itself"
    );
    std::fs::write(run.dir.join("report.png"), browser.screenshot()).expect("screenshot");

    let failing = first_failing(&run.report);
    let idx = run
        .report
        .cases
        .iter()
        .position(|c| c.id == failing.id)
        .expect("index");
    let passing = run
        .report
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Pass)
        .expect("a pass");
    // A second picture: the failing case's evidence, just below the sticky filter bar.
    browser.eval(&format!(
        "(() => {{ const c = document.getElementById('case-{idx}'); \
         window.scrollTo(0, c.getBoundingClientRect().top + window.scrollY - 70); return 0; }})()"
    ));
    std::fs::write(run.dir.join("report-case.png"), browser.screenshot()).expect("screenshot");
    let script = format!(
        r#"(() => {{
          const out = {{}};
          const m = document.querySelector('table.matrix');
          out.matrixRows = m ? m.querySelectorAll('tbody tr').length : 0;
          out.failedCells = m ? m.querySelectorAll('td.s-failed').length : 0;
          const c = document.getElementById('case-{idx}');
          out.caseId = c.querySelector('.cid').textContent;
          out.caseShown = !c.hidden && c.open;
          out.transcript = Array.from(c.querySelectorAll('pre.transcript')).map(p => p.textContent).join('\n');
          out.mismatches = Array.from(c.querySelectorAll('ul.mismatches li')).map(li => li.textContent);
          out.pointers = Array.from(c.querySelectorAll('table.violations tr td:nth-child(2)')).map(td => td.textContent);
          const shown = () => Array.from(document.querySelectorAll('details.case')).filter(d => !d.hidden).length;
          out.shownAtStart = shown();
          const verdict = document.getElementById('f-verdict');
          const search = document.getElementById('f-search');
          verdict.value = 'all'; verdict.dispatchEvent(new Event('change'));
          out.shownAll = shown();
          search.value = {passing}; search.dispatchEvent(new Event('input'));
          out.shownSearch = Array.from(document.querySelectorAll('details.case')).filter(d => !d.hidden).map(d => d.querySelector('.cid').textContent);
          document.getElementById('f-clear').click();
          const endpoint = document.getElementById('f-endpoint');
          endpoint.value = 'groups.invite'; endpoint.dispatchEvent(new Event('change'));
          out.shownGroups = shown();
          document.getElementById('f-clear').click();
          document.querySelector('td.s-failed button').click();
          out.shownCell = shown();
          document.getElementById('f-clear').click();
          return JSON.stringify(out);
        }})()"#,
        passing = serde_json::to_string(&passing.id).expect("JSON string"),
    );
    let seen: Value = serde_json::from_str(browser.eval(&script).as_str().expect("string"))
        .expect("the page script returns JSON");
    let premises = run
        .report
        .cases
        .iter()
        .map(|c| &c.premise)
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(seen["matrixRows"], json!(premises.len()));
    assert!(seen["failedCells"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(seen["caseId"], json!(failing.id));
    assert_eq!(
        seen["caseShown"],
        json!(true),
        "failing cases are listed and unfolded first"
    );
    let transcript = seen["transcript"].as_str().expect("transcript");
    let call = &failing.calls[0];
    for e in &call.transcript {
        assert!(
            transcript.contains(&format!("> {} {}", e.method, e.url)),
            "transcript lacks {}",
            e.url
        );
    }
    assert!(transcript.contains("X-Auth-Token: <redacted>"));
    let listed: Vec<&str> = call
        .mismatches
        .iter()
        .filter(|m| !matches!(m.check, Check::Schema { .. }))
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(seen["mismatches"], json!(listed));
    assert_eq!(
        seen["pointers"],
        json!(
            schema_violations(call)
                .map(|m| match &m.check {
                    Check::Schema { pointer, .. } if !pointer.is_empty() => pointer.clone(),
                    _ => "(root)".to_owned(),
                })
                .collect::<Vec<_>>()
        )
    );
    let gate = run
        .report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(false))
        .count();
    assert_eq!(seen["shownAtStart"], json!(gate));
    assert_eq!(seen["shownAll"], json!(run.report.cases.len()));
    assert_eq!(seen["shownSearch"], json!([passing.id]));
    let groups = run
        .report
        .cases
        .iter()
        .filter(|c| c.endpoint.name() == "groups.invite")
        .count();
    assert_eq!(seen["shownGroups"], json!(groups));
    assert!(seen["shownCell"].as_u64().unwrap_or(0) >= 1);

    // For a person to look at: the page and its pictures at a stable place.
    let shown = reports_home().join("browser");
    let _ = std::fs::remove_dir_all(&shown);
    std::fs::create_dir_all(&shown).expect("browser dir");
    for name in ["report.html", "report.png", "report-case.png"] {
        std::fs::copy(run.dir.join(name), shown.join(name)).expect("copy");
    }
}

// ---------------------------------------------------------------- redaction

const SECRET_PASSWORD: &str = "s3cret-Pa55word-xyz";

#[test]
fn no_secret_reaches_any_report_file_or_the_terminal() {
    use rc_conform::reference::{ServerConfig, start};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(start(
            ServerConfig {
                admin_password: SECRET_PASSWORD.into(),
                ..ServerConfig::default()
            },
            "127.0.0.1:0".parse().expect("address"),
        ))
        .expect("the reference server starts");
    let url = server.url().to_owned();
    let login = || -> String {
        rt.block_on(async {
            let http = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client");
            let answer: Value = http
                .post(format!("{url}/api/v1/login"))
                .json(&json!({"user": "rc-admin", "password": SECRET_PASSWORD}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login body");
            answer["data"]["authToken"]
                .as_str()
                .expect("authToken")
                .to_owned()
        })
    };
    let before = login();

    let dir = scratch("redaction");
    let out = binary()
        .args([
            "run",
            "--target",
            &url,
            "--grant-settle-ms",
            "0",
            "-v",
            "--report-dir",
        ])
        .arg(&dir)
        .env("RC_CONFORM_ADMIN_USER", "rc-admin")
        .env("RC_CONFORM_ADMIN_PASSWORD", SECRET_PASSWORD)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = login();
    let report = json::read(&dir.join("report.json")).expect("report.json");
    render::write_all(&dir, &report).expect("the reports render");
    rt.block_on(server.shutdown());

    // Tokens are 43 characters of URL-safe base64; any such word in a report is a leak.
    let token_shaped = |t: &str| {
        t.len() == 43
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    assert!(token_shaped(&before) && token_shaped(&after));
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(SECRET_PASSWORD.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut texts: Vec<(String, String)> = vec![
        (
            "stdout".into(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".into(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for entry in walkdir::WalkDir::new(&dir) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).expect("read");
            texts.push((
                entry.path().display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    let names: Vec<&str> = texts
        .iter()
        .map(|(n, _)| n.rsplit('/').next().unwrap_or(""))
        .collect();
    for expected in [
        "report.json",
        "junit.xml",
        "summary.md",
        "report.html",
        "ledger.jsonl",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} was not written: {names:?}"
        );
    }
    for (name, text) in &texts {
        for (what, secret) in [
            ("the admin password", SECRET_PASSWORD),
            ("its SHA-256 (the 2FA code)", &digest),
            ("a login token", &before),
            ("a login token", &after),
        ] {
            assert_eq!(text.matches(secret).count(), 0, "{name} contains {what}");
        }
        let leaked: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|w| token_shaped(w) && !w.starts_with("rcc-"))
            .collect();
        assert_eq!(
            leaked,
            Vec::<&str>::new(),
            "{name} contains token-shaped words"
        );
    }
    assert!(
        texts.iter().any(|(_, t)| t.contains("<redacted>")),
        "the transcripts show where secrets were"
    );
}

// ---------------------------------------------------------------- a small report

fn exchange(method: &str, path: &str, body: Option<&str>, status: u16, answer: &str) -> Exchange {
    Exchange {
        method: method.into(),
        url: format!("http://127.0.0.1:3000{path}"),
        request_headers: vec![
            ("X-User-Id".into(), "u1d0fTheM0derat".into()),
            ("X-Auth-Token".into(), "<redacted>".into()),
        ],
        request_body: body.map(str::to_owned),
        status: Some(status),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: Some(answer.into()),
        error: None,
        attempts: 1,
        retries: vec![],
        rate_limit_waits: vec![],
        duration_ms: 3,
        note: None,
    }
}

/// The schema violations among a call's mismatches.
fn schema_violations(call: &CallRecord) -> impl Iterator<Item = &Mismatch> {
    call.mismatches
        .iter()
        .filter(|m| matches!(m.check, Check::Schema { .. }))
}

/// A contract mismatch that fails its case.
fn miss(check: Check, expected: &str, actual: &str) -> Mismatch {
    Mismatch::new(
        check,
        expected.into(),
        actual.into(),
        Level::Contract,
        Effect::Fails,
    )
}

fn case(id: &str, premise: &str, room: Option<&str>, verdict: Verdict) -> CaseRecord {
    let endpoint = id.split('/').next().unwrap_or_default();
    CaseRecord {
        id: id.into(),
        title: format!("Title of {id}"),
        endpoint: endpoint.parse().expect("an endpoint"),
        premise: premise.into(),
        room_type: room.map(|r| r.parse().expect("a room type")),
        cell: format!("{endpoint} · {premise}"),
        source: "channels.invite.txt premise 1; semantics §3.2".into(),
        divergence: None,
        location: format!("cases/{endpoint}/some.yaml:4:5"),
        verdict,
        listed: None,
        judged: None,
        reason: None,
        duration_ms: 42,
        calls: vec![],
        setup_transcript: vec![],
    }
}

fn call(
    expected: Value,
    status: u16,
    mismatches: Vec<Mismatch>,
    transcript: Vec<Exchange>,
) -> CallRecord {
    CallRecord {
        expected,
        expectation_source: "default".into(),
        compared: Compared {
            line: Some("7.x".into()),
            established: true,
            incidental: None,
        },
        status: Some(status),
        mismatches,
        reference: None,
        curl: "curl -sS -X POST 'http://127.0.0.1:3000/api/v1/groups.invite' -H \"X-User-Id: $RC_USER_ID\" -H \"X-Auth-Token: $RC_TOKEN\" -H 'Content-Type: application/json' --data-raw '{\"roomId\":\"r00m\",\"userId\":\"gu3st\"}'".into(),
        transcript,
    }
}

/// A fixed report with one case of each verdict.
fn small_report() -> RunReport {
    let ok = r#"{"success":true}"#;
    let invite = |endpoint: &str, status: u16, answer: &str| {
        exchange(
            "POST",
            &format!("/api/v1/{endpoint}"),
            Some(r#"{"roomId":"r00m","userId":"gu3st"}"#),
            status,
            answer,
        )
    };
    let mut pass = case(
        "channels.invite/joined-room/room-moderator",
        "add-user-to-joined-room",
        Some("c"),
        Verdict::Pass,
    );
    pass.calls = vec![call(
        json!({"status": 200, "success": true}),
        200,
        vec![],
        vec![invite("channels.invite", 200, ok)],
    )];
    pass.divergence = Some(
        "The docs do not say that room-scoped roles count (divergence joined-room-is-room-scoped)"
            .into(),
    );

    let mut fail = case(
        "groups.invite/joined-room/room-owner",
        "add-user-to-joined-room",
        Some("p"),
        Verdict::Fail,
    );
    let mut failed_call = call(
        json!({"status": 200, "success": true, "schema": "groups.invite/200"}),
        400,
        vec![
            miss(Check::Status, "200", "400"),
            miss(Check::Success, "true", "false"),
            miss(
                Check::Members {
                    room: "town".into(),
                },
                "to include guest",
                "[boss]",
            ),
        ],
        vec![
            invite(
                "groups.invite",
                400,
                r#"{"success":false,"error":"Not allowed [error-not-allowed]","errorType":"error-not-allowed"}"#,
            ),
            exchange(
                "GET",
                "/api/v1/groups.members?roomId=r00m",
                None,
                200,
                r#"{"members":[{"username":"boss"}],"success":true}"#,
            ),
        ],
    );
    failed_call.mismatches.extend([
        miss(
            Check::Schema {
                schema: "groups.invite/200".into(),
                pointer: String::new(),
            },
            "\"group\" is a required property",
            "{…}",
        ),
        miss(
            Check::Schema {
                schema: "groups.invite/200".into(),
                pointer: "/success".into(),
            },
            "true was expected",
            "false",
        ),
    ]);
    fail.calls = vec![failed_call];

    let mut error = case(
        "channels.invite/any-c-room/non-member",
        "add-user-to-any-c-room",
        Some("c"),
        Verdict::Error,
    );
    error.reason = Some("setup could not be provisioned: users.create answered 400".into());
    error.setup_transcript = vec![exchange(
        "POST",
        "/api/v1/users.create",
        Some(r#"{"username":"rcc-abc123-003-guest","password":"<redacted>"}"#),
        400,
        r#"{"success":false,"error":"Username is already in use"}"#,
    )];

    let mut skipped = case(
        "channels.invite/body/typed-route-rejects-userIds",
        "invalid-body",
        None,
        Verdict::Skipped,
    );
    skipped.reason = Some("applies to server versions >= 9.0.0, the target is 8.5.0".into());
    skipped.duration_ms = 0;

    let mut xfail = case(
        "groups.invite/room/archived",
        "room-archived",
        Some("p"),
        Verdict::ExpectedFail,
    );
    xfail.reason = Some("known on 7.x (expectations/rc-7.yaml, RC-77)".into());
    xfail.calls = vec![call(
        json!({"status": 400}),
        200,
        vec![miss(Check::Status, "400", "200")],
        vec![invite("groups.invite", 200, ok)],
    )];

    let mut xpass = case(
        "channels.invite/room/archived",
        "room-archived",
        Some("c"),
        Verdict::UnexpectedPass,
    );
    xpass.reason = Some("expectations/rc-7.yaml says it fails (RC-123)".into());
    xpass.calls = vec![call(
        json!({"status": 400}),
        400,
        vec![],
        vec![invite("channels.invite", 400, r#"{"success":false}"#)],
    )];

    let mut flaky = case(
        "channels.invite/users/unknown-ids",
        "no-invitee-resolved",
        Some("c"),
        Verdict::Flaky,
    );
    flaky.reason = Some("a request was retried for transport reasons (see the transcript)".into());
    let mut retried = invite(
        "channels.invite",
        400,
        r#"{"success":false,"errorType":"invalid-user-invite-list"}"#,
    );
    retried.attempts = 2;
    retried.retries = vec!["connection reset by peer".into()];
    flaky.calls = vec![call(json!({"status": 400}), 400, vec![], vec![retried])];

    let cases = vec![pass, fail, error, skipped, xfail, xpass, flaky];
    let totals = Totals::of(cases.iter().map(|c| c.verdict));
    RunReport {
        format_version: FORMAT_VERSION,
        run: RunMeta {
            run_id: "abc123".into(),
            target: "https://admin:hunter2@chat.example.org".into(),
            embedded: false,
            server_version: Some("7.10.0".into()),
            judged_version: "7.10.0".into(),
            tool_version: "0.1.0".into(),
            cases_commit: Some("874e7d46e824d1c70e1312cfe56f0185cf2f6845".into()),
            started_at: "2026-11-23T05:19:31.123Z".into(),
            finished_at: "2026-11-23T05:19:33.456Z".into(),
            filter: Some("*invite*".into()),
            partition: Some("hash:1/2".into()),
            preflight: vec![
                "server version 7.10.0 (GET /api/info)".into(),
                "admin `rc-admin` holds every permission the run needs".into(),
            ],
            strict: false,
            line: Some("7.x".into()),
            interrupted: false,
            insecure: false,
        },
        totals,
        conformance: Conformance {
            line: Some("7.x".into()),
            judged: 5,
            contract: 3,
            exact: 3,
            not_established: 0,
        },
        cases,
        divergences: vec![DivergenceRecord {
            id: "joined-room-is-room-scoped".into(),
            docs: "channels.invite.txt premise 1 does not say that room roles count".into(),
            server: "add-user-to-joined-room is checked with the room as scope".into(),
            cases: vec!["channels.invite/joined-room/room-moderator".into()],
        }],
        cleanup: CleanupRecord {
            ledger: "reports/abc123/ledger.jsonl".into(),
            undone: 21,
            errors: vec![],
            leftovers: vec!["room rcc-abc123-002-town (r00m)".into()],
            unverified: vec![],
        },
        requests: vec![
            RequestCount {
                purpose: "preflight".into(),
                count: 4,
            },
            RequestCount {
                purpose: "call".into(),
                count: 6,
            },
        ],
        rate_limit: Default::default(),
        grant_groups: Vec::new(),
        premise_order: vec![
            "add-user-to-joined-room".into(),
            "add-user-to-any-c-room".into(),
            "invalid-body".into(),
            "room-archived".into(),
            "no-invitee-resolved".into(),
        ],
    }
}
