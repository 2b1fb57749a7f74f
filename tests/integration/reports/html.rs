//! `report.html`: self-contained, escaped, and opened in headless Chromium.

#[path = "../browser/cdp.rs"]
mod cdp;

use rc_conform::report::model::{CaseRecord, Check, RunReport, Verdict};
use rc_conform::report::render;
use serde_json::{Value, json};

use super::fixture::{schema_violations, small_report};
use super::{Rendered, failing_run, first_failing, reports_home, scratch};

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
#[ignore = "needs headless Chromium (bash .ci/run installs it); run: cargo test --test integration -- --ignored reports::"]
fn report_html_in_headless_chromium() {
    let mut browser = cdp::Browser::launch(1400, 1100);
    the_harness_sees_requests_and_console_errors(&mut browser);
    a_hostile_report_is_shown_as_text(&mut browser);

    let run = failing_run();
    open_the_failing_run(&mut browser, run);
    let seen = explore_the_failing_run(&mut browser, run);
    the_failing_case_is_shown_with_its_evidence(&seen, &run.report);
    the_filters_show_what_they_select(&seen, &run.report);
    keep_for_a_person(run);
}

/// The harness sees what a page loads and logs: a canary page with both.
fn the_harness_sees_requests_and_console_errors(browser: &mut cdp::Browser) {
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
}

/// A report full of markup: shown as text, loads nothing, runs nothing.
fn a_hostile_report_is_shown_as_text(browser: &mut cdp::Browser) {
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
}

/// The failing run's page opens without errors, requests nothing but itself, and is pictured
/// as `report.png`.
fn open_the_failing_run(browser: &mut cdp::Browser, run: &Rendered) {
    let page = run.dir.join("report.html");
    let (url, log) = browser.open(page.as_std_path());
    assert_eq!(log.errors, Vec::<String>::new(), "console errors");
    assert_eq!(
        log.requests,
        std::slice::from_ref(&url),
        "the page must request nothing but itself"
    );
    std::fs::write(run.dir.join("report.png"), browser.screenshot()).expect("screenshot");
}

/// The first passing case of a report.
fn first_passing(report: &RunReport) -> &CaseRecord {
    report
        .cases
        .iter()
        .find(|c| c.verdict == Verdict::Pass)
        .expect("a pass")
}

/// Pictures the first failing case as `report-case.png`, then reads the page and works its
/// filters in a script; returns what the script saw, as JSON.
fn explore_the_failing_run(browser: &mut cdp::Browser, run: &Rendered) -> Value {
    let failing = first_failing(&run.report);
    let idx = run
        .report
        .cases
        .iter()
        .position(|c| c.id == failing.id)
        .expect("index");
    let passing = first_passing(&run.report);
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
    serde_json::from_str(browser.eval(&script).as_str().expect("string"))
        .expect("the page script returns JSON")
}

/// The matrix and the failing case as the page shows them: unfolded, with its transcript,
/// its mismatches and the pointers of its schema violations.
fn the_failing_case_is_shown_with_its_evidence(seen: &Value, report: &RunReport) {
    let failing = first_failing(report);
    let premises = report
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
}

/// The cases shown at the start (those failing the gate), with every verdict, by search, by
/// endpoint and by a matrix cell.
fn the_filters_show_what_they_select(seen: &Value, report: &RunReport) {
    let passing = first_passing(report);
    let gate = report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(false))
        .count();
    assert_eq!(seen["shownAtStart"], json!(gate));
    assert_eq!(seen["shownAll"], json!(report.cases.len()));
    assert_eq!(seen["shownSearch"], json!([passing.id]));
    let groups = report
        .cases
        .iter()
        .filter(|c| c.endpoint.name() == "groups.invite")
        .count();
    assert_eq!(seen["shownGroups"], json!(groups));
    assert!(seen["shownCell"].as_u64().unwrap_or(0) >= 1);
}

/// For a person to look at: the page and its pictures at a stable place.
fn keep_for_a_person(run: &Rendered) {
    let shown = reports_home().join("browser");
    let _ = std::fs::remove_dir_all(&shown);
    std::fs::create_dir_all(&shown).expect("browser dir");
    for name in ["report.html", "report.png", "report-case.png"] {
        std::fs::copy(run.dir.join(name), shown.join(name)).expect("copy");
    }
}
