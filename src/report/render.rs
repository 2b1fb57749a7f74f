//! Every report file of a run, written from one [`RunReport`]: `report.json`, `junit.xml`,
//! `summary.md` and `report.html`, plus what the renderers share: the compatibility matrix
//! (premise × endpoint × room type), the text form of a transcript, the one-line headline
//! of a failing case and the verdict marks.
//!
//! It owns the report directory's file names and the views several formats show alike. It
//! must not judge anything or change a verdict: it shows the [`RunReport`] as it is, and it
//! never adds a secret (it sees only redacted records) or any reference to outside resources.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::model::{CallRecord, CaseRecord, RunReport, Verdict};
use crate::api::Endpoint;
use crate::target::Exchange;

/// Why a report file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Writing a file (or creating the directory) failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: Utf8PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A template could not be rendered (a bug in the template, not in the input).
    #[error("cannot render {template}: {source}")]
    Template {
        /// The template's name.
        template: &'static str,
        /// The cause.
        #[source]
        source: minijinja::Error,
    },
    /// The JUnit document could not be serialized.
    #[error("cannot serialize junit.xml: {0}")]
    Junit(#[from] quick_junit::SerializeError),
}

/// File name of the machine-readable report.
pub const JSON_FILE: &str = "report.json";
/// File name of the JUnit XML report.
pub const JUNIT_FILE: &str = "junit.xml";
/// File name of the Markdown summary.
pub const MARKDOWN_FILE: &str = "summary.md";
/// File name of the self-contained HTML report.
pub const HTML_FILE: &str = "report.html";

/// Writes `report.json`, `junit.xml`, `summary.md` and `report.html` into `dir` (created when
/// missing) and returns their paths, in that order.
pub fn write_all(dir: &Utf8Path, report: &RunReport) -> Result<Vec<Utf8PathBuf>, RenderError> {
    let write_error = |path: Utf8PathBuf| move |source| RenderError::Write { path, source };
    fs_err::create_dir_all(dir).map_err(write_error(dir.to_owned()))?;
    let json = dir.join(JSON_FILE);
    super::json::write(dir, report).map_err(write_error(json.clone()))?;
    let mut written = vec![json];
    for (name, text) in [
        (JUNIT_FILE, super::junit::render(report)?),
        (MARKDOWN_FILE, super::markdown::render(report)?),
        (HTML_FILE, super::html::render(report)?),
    ] {
        let path = dir.join(name);
        fs_err::write(&path, text).map_err(write_error(path.clone()))?;
        written.push(path);
    }
    Ok(written)
}

/// A short mark for a verdict, as the Markdown and HTML reports show it.
pub(crate) fn verdict_mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::ExpectedFail => "🟡",
        Verdict::UnexpectedPass => "❗",
        Verdict::Flaky => "🔁",
        Verdict::Skipped => "⏭️",
        Verdict::Error => "💥",
    }
}

/// A mark for a verdict in the HTML report: plain symbols that common system fonts have (the
/// page loads no font and cannot count on an emoji font).
pub(crate) fn verdict_symbol(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::ExpectedFail => "≈",
        Verdict::UnexpectedPass => "!",
        Verdict::Flaky => "↻",
        Verdict::Skipped => "–",
        Verdict::Error => "‼",
    }
}

/// Every verdict in the order reports list them.
pub(crate) const VERDICTS: [Verdict; 7] = [
    Verdict::Pass,
    Verdict::Fail,
    Verdict::Error,
    Verdict::UnexpectedPass,
    Verdict::ExpectedFail,
    Verdict::Flaky,
    Verdict::Skipped,
];

/// How many cases of `report` have `verdict` (from the totals).
pub(crate) fn count(report: &RunReport, verdict: Verdict) -> usize {
    let t = &report.totals;
    match verdict {
        Verdict::Pass => t.pass,
        Verdict::Fail => t.fail,
        Verdict::ExpectedFail => t.expected_fail,
        Verdict::UnexpectedPass => t.unexpected_pass,
        Verdict::Flaky => t.flaky,
        Verdict::Skipped => t.skipped,
        Verdict::Error => t.error,
    }
}

/// Whether the run as a whole holds: no case fails the gate and cleanup left nothing.
pub(crate) fn run_passed(report: &RunReport) -> bool {
    !report.cases.iter().any(|c| c.verdict.fails_gate())
        && report.cleanup.leftovers.is_empty()
        && report.cleanup.errors.is_empty()
}

/// `url` without any `user:password@` part, in case a target was given with one.
pub(crate) fn without_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// The one-line reason a case is shown as failing: its first mismatches (expected vs actual),
/// else its first schema violation, else the verdict's reason.
pub(crate) fn headline(case: &CaseRecord) -> String {
    if case.verdict == Verdict::UnexpectedPass {
        let why = case
            .reason
            .as_deref()
            .unwrap_or("the expectations file says it fails");
        return format!("unexpected pass: {why}");
    }
    let mismatches: Vec<&str> = case
        .calls
        .iter()
        .flat_map(|c| &c.mismatches)
        .take(2)
        .map(String::as_str)
        .collect();
    if !mismatches.is_empty() {
        return mismatches.join("; ");
    }
    if let Some(v) = case.calls.iter().flat_map(|c| &c.schema_violations).next() {
        return format!(
            "schema {}: {} {}",
            v.schema,
            pointer_label(&v.pointer),
            v.message
        );
    }
    case.reason
        .clone()
        .unwrap_or_else(|| case.verdict.name().to_owned())
}

/// A JSON pointer as reports show it: `(root)` for the empty pointer.
pub(crate) fn pointer_label(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// The exchange of `call` that is the call under test (the others verify state): the request
/// to the case's endpoint.
pub(crate) fn call_exchange<'a>(case: &CaseRecord, call: &'a CallRecord) -> Option<&'a Exchange> {
    let suffix = format!("/api/v1/{}", case.endpoint);
    call.transcript.iter().find(|e| {
        let path = e.url.split(['?', '#']).next().unwrap_or_default();
        path.ends_with(&suffix)
    })
}

/// A body as reports show it: pretty JSON when it parses, else as received.
pub(crate) fn pretty_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) if v.is_object() || v.is_array() => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_owned())
        }
        _ => body.to_owned(),
    }
}

/// `text` cut to at most `limit` bytes (at a character boundary), with a note of the cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… ({} more bytes in report.json)",
        &text[..end],
        text.len() - end
    )
}

/// One exchange as text: request line, headers and body, then status, headers and body (HTTP
/// style, `>` for what was sent and `<` for what came back). JSON bodies are pretty-printed
/// when `pretty`; bodies longer than `body_limit` bytes are cut.
pub(crate) fn exchange_text(e: &Exchange, body_limit: usize, pretty: bool) -> String {
    let body = |b: &str| {
        cut(
            &if pretty { pretty_body(b) } else { b.to_owned() },
            body_limit,
        )
    };
    let mut out = String::new();
    if let Some(note) = &e.note {
        out.push_str(&format!("* {note}\n"));
    }
    out.push_str(&format!("> {} {}\n", e.method, e.url));
    for (name, value) in &e.request_headers {
        out.push_str(&format!("> {name}: {value}\n"));
    }
    if let Some(text) = &e.request_body {
        out.push_str(">\n");
        out.push_str(&body(text));
        out.push('\n');
    }
    if e.attempts > 1 {
        out.push_str(&format!("* {} attempts\n", e.attempts));
    }
    for retry in &e.retries {
        out.push_str(&format!("* retried: {retry}\n"));
    }
    match e.status {
        Some(status) => out.push_str(&format!("< {status} ({} ms)\n", e.duration_ms)),
        None => out.push_str(&format!("< (no response, {} ms)\n", e.duration_ms)),
    }
    if let Some(error) = &e.error {
        out.push_str(&format!("* error: {error}\n"));
    }
    for (name, value) in &e.response_headers {
        out.push_str(&format!("< {name}: {value}\n"));
    }
    if let Some(text) = &e.response_body {
        out.push_str("<\n");
        out.push_str(&body(text));
        out.push('\n');
    }
    out
}

/// Exchanges as text (see [`exchange_text`]), separated by blank lines.
pub(crate) fn transcript_text(exchanges: &[Exchange], body_limit: usize, pretty: bool) -> String {
    exchanges
        .iter()
        .map(|e| exchange_text(e, body_limit, pretty))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The premise model this build ships, for the order of the matrix rows.
const PREMISES_YAML: &str = include_str!("../../specs/premises.yaml");

/// Premises and failure kinds of `report` in the order of `specs/premises.yaml`; names the
/// model does not know follow in order of first appearance.
pub(crate) fn premise_order(report: &RunReport) -> Vec<String> {
    let known = crate::spec::premise::PremiseModel::parse(
        Utf8Path::new("specs/premises.yaml"),
        PREMISES_YAML,
    )
    .map(|m| m.premise_names())
    .unwrap_or_default();
    let present = |p: &String| report.cases.iter().any(|c| &c.premise == p);
    let mut order: Vec<String> = known.into_iter().filter(present).collect();
    for case in &report.cases {
        if !order.contains(&case.premise) {
            order.push(case.premise.clone());
        }
    }
    order
}

/// Endpoints of `report`: the known ones in display order, then others by first appearance.
pub(crate) fn endpoint_order(report: &RunReport) -> Vec<String> {
    let mut order: Vec<String> = Endpoint::ALL
        .iter()
        .map(|e| e.name().to_owned())
        .filter(|e| report.cases.iter().any(|c| &c.endpoint == e))
        .collect();
    for case in &report.cases {
        if !order.contains(&case.endpoint) {
            order.push(case.endpoint.clone());
        }
    }
    order
}

/// The room-type columns of each endpoint: the three room types, then `-` (no room resolved).
pub(crate) const ROOM_COLUMNS: [&str; 4] = ["c", "p", "d", "-"];

/// The compatibility matrix: premises × (endpoint × room type), counting cases.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Matrix {
    /// Column heads, endpoint-major.
    pub(crate) columns: Vec<MatrixColumn>,
    /// One row per premise or failure kind, in model order.
    pub(crate) rows: Vec<MatrixRow>,
}

/// A column of the matrix.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatrixColumn {
    /// Endpoint name.
    pub(crate) endpoint: String,
    /// `c`, `p`, `d` or `-`.
    pub(crate) room_type: String,
}

/// A row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatrixRow {
    /// Premise or failure kind.
    pub(crate) premise: String,
    /// One cell per column.
    pub(crate) cells: Vec<MatrixCell>,
}

/// The cases of one premise × endpoint × room type.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct MatrixCell {
    /// Passed (pass or flaky).
    pub(crate) passed: usize,
    /// Cases that ran (everything but skipped).
    pub(crate) total: usize,
    /// Cases that fail the gate (fail, error, unexpected pass).
    pub(crate) failed: usize,
    /// Expected failures.
    pub(crate) expected_fail: usize,
    /// Skipped cases.
    pub(crate) skipped: usize,
    /// `none`, `skipped`, `failed`, `expected-fail` or `passed`: the cell's state.
    pub(crate) state: &'static str,
    /// The cell as text: `passed/total`, with ❌ when any failed, `·` when no case is there.
    pub(crate) text: String,
}

impl Matrix {
    /// The matrix of `report`.
    pub(crate) fn of(report: &RunReport) -> Matrix {
        let columns: Vec<MatrixColumn> = endpoint_order(report)
            .into_iter()
            .flat_map(|endpoint| {
                ROOM_COLUMNS.iter().map(move |t| MatrixColumn {
                    endpoint: endpoint.clone(),
                    room_type: (*t).to_owned(),
                })
            })
            .collect();
        let mut cells: BTreeMap<(&str, &str, &str), MatrixCell> = BTreeMap::new();
        for case in &report.cases {
            let room = case.room_type.as_deref().unwrap_or("-");
            let cell = cells
                .entry((case.premise.as_str(), case.endpoint.as_str(), room))
                .or_default();
            match case.verdict {
                Verdict::Skipped => cell.skipped += 1,
                v => {
                    cell.total += 1;
                    if matches!(v, Verdict::Pass | Verdict::Flaky) {
                        cell.passed += 1;
                    }
                    if v.fails_gate() {
                        cell.failed += 1;
                    }
                    if v == Verdict::ExpectedFail {
                        cell.expected_fail += 1;
                    }
                }
            }
        }
        let rows = premise_order(report)
            .into_iter()
            .map(|premise| {
                let cells = columns
                    .iter()
                    .map(|col| {
                        let key = (
                            premise.as_str(),
                            col.endpoint.as_str(),
                            col.room_type.as_str(),
                        );
                        finish_cell(cells.get(&key).cloned().unwrap_or_default())
                    })
                    .collect();
                MatrixRow { premise, cells }
            })
            .collect();
        Matrix { columns, rows }
    }
}

fn finish_cell(mut cell: MatrixCell) -> MatrixCell {
    let (state, text) = if cell.total == 0 && cell.skipped == 0 {
        ("none", "·".to_owned())
    } else if cell.total == 0 {
        ("skipped", "⏭️".to_owned())
    } else if cell.failed > 0 {
        ("failed", format!("{}/{} ❌", cell.passed, cell.total))
    } else if cell.expected_fail > 0 {
        (
            "expected-fail",
            format!("{}/{} 🟡", cell.passed, cell.total),
        )
    } else {
        ("passed", format!("{}/{}", cell.passed, cell.total))
    };
    cell.state = state;
    cell.text = text;
    cell
}

/// JSON for a `<script type="application/json">` element: `<`, `>`, `&` and the line
/// separators are escaped so that no `</script>` or `<!--` can end the element early.
pub(crate) fn script_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped_from_a_target_url() {
        assert_eq!(
            without_credentials("https://admin:pw@chat.example.org/x?a=b@c"),
            "https://chat.example.org/x?a=b@c"
        );
        assert_eq!(
            without_credentials("http://127.0.0.1:3000"),
            "http://127.0.0.1:3000"
        );
        assert_eq!(without_credentials("not a url"), "not a url");
    }

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let text = script_json(&serde_json::json!({ "t": "</script><!-- & \u{2028}" }));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["t"], "</script><!-- & \u{2028}");
    }

    #[test]
    fn cut_keeps_char_boundaries() {
        assert_eq!(cut("abc", 5), "abc");
        assert!(cut("ééé", 3).starts_with('é'));
    }
}

/// A schema violation as the HTML and Markdown reports show it (the root pointer spelled out).
#[derive(Debug, serde::Serialize)]
pub(super) struct ViolationView {
    schema: String,
    pointer: String,
    message: String,
}

impl ViolationView {
    /// The view of `v`.
    pub(super) fn of(v: &super::model::SchemaViolation) -> ViolationView {
        ViolationView {
            schema: v.schema.clone(),
            pointer: pointer_label(&v.pointer).to_owned(),
            message: v.message.clone(),
        }
    }
}
