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

use super::model::{CallRecord, CaseRecord, Check, Compared, Effect, RunReport, Verdict};
use crate::api::{Endpoint, RoomType};
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

/// Whether the run as a whole holds: its gate lets it pass.
pub(crate) fn run_passed(report: &RunReport) -> bool {
    report.gate() == crate::exit::Exit::Ok
}

/// How a run ended, as every format heads its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The gate passes.
    Passed,
    /// The run was interrupted: whatever ran, it never passes.
    Interrupted,
    /// The gate fails.
    Failed,
}

impl Ending {
    /// The ending of `report`.
    pub(crate) fn of(report: &RunReport) -> Ending {
        if report.run.interrupted {
            Ending::Interrupted
        } else if run_passed(report) {
            Ending::Passed
        } else {
            Ending::Failed
        }
    }
}

/// The heading of a report, without a mark: what ended how (`every case passed (160 ran, 2
/// skipped)`, `interrupted: 40 of 162 cases ran`, `3 of 160 cases failed`).
pub(crate) fn heading_text(report: &RunReport) -> String {
    let strict = report.run.strict;
    let skipped = report.totals.count(Verdict::Skipped);
    let ran = report.cases.len() - skipped;
    let failing = report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(strict))
        .count();
    let non_strict = report.totals.non_strict;
    match Ending::of(report) {
        Ending::Interrupted => format!(
            "interrupted: {ran} of {} cases ran{}",
            report.cases.len(),
            if failing > 0 {
                format!(", {failing} failed")
            } else {
                String::new()
            }
        ),
        Ending::Passed if non_strict > 0 => format!(
            "the contract held in every case ({ran} ran, {non_strict} non-strict, {skipped} skipped)"
        ),
        Ending::Passed => format!("every case passed ({ran} ran, {skipped} skipped)"),
        Ending::Failed if failing > 0 => format!("{failing} of {ran} cases failed"),
        Ending::Failed => {
            let (left, errors) = (report.cleanup.leftovers.len(), report.cleanup.errors.len());
            format!("cleanup did not finish ({left} left behind, {errors} undo errors)")
        }
    }
}

/// A template environment as the reports use it: strict about undefined values, blocks
/// trimmed, with the one template `name`.
pub(crate) fn environment(
    name: &'static str,
    source: &'static str,
    configure: impl FnOnce(&mut minijinja::Environment<'static>),
) -> Result<minijinja::Environment<'static>, RenderError> {
    let error = |source| RenderError::Template {
        template: name,
        source,
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(error)?;
    env.set_syntax(syntax);
    configure(&mut env);
    env.add_template(name, source).map_err(error)?;
    Ok(env)
}

/// `url` without any `user:password@` part, in case a target was given with one.
pub(crate) fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            let mut text = parsed.to_string();
            // The URL type writes a root path as `/`; keep the target as it was given.
            if parsed.path() == "/" && !url.ends_with('/') && text.ends_with('/') {
                text.pop();
            }
            text
        }
        _ => url.to_owned(),
    }
}

/// The one-line reason a case is shown: for a failing case its first contract misses, for a
/// `non-strict` one its first differences (expected vs actual), else the verdict's reason.
pub(crate) fn headline(case: &CaseRecord) -> String {
    if case.verdict == Verdict::UnexpectedPass {
        let why = case
            .reason
            .as_deref()
            .unwrap_or("the expectations file says it fails");
        return format!("unexpected pass: {why}");
    }
    let shown = |effect: Effect| {
        case.calls
            .iter()
            .flat_map(|c| &c.mismatches)
            .filter(|m| m.effect == effect)
            .take(2)
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
    };
    let first = match shown(Effect::Fails) {
        fails if !fails.is_empty() => fails,
        _ => shown(Effect::NonStrict),
    };
    if !first.is_empty() {
        return first.join("; ");
    }
    case.reason
        .clone()
        .unwrap_or_else(|| case.verdict.name().to_owned())
}

/// A mismatch as the Markdown and HTML reports show it: its text, level and effect.
#[derive(Debug, Serialize)]
pub(crate) struct MismatchView {
    /// The mismatch as one line.
    pub(crate) text: String,
    /// `contract`, `exact` or `incidental`.
    pub(crate) level: &'static str,
    /// `fails`, `non-strict` or `noted`.
    pub(crate) effect: &'static str,
}

impl MismatchView {
    /// The views of a call's mismatches, schema violations apart (see [`ViolationView`]).
    pub(crate) fn of_call(call: &CallRecord) -> Vec<MismatchView> {
        call.mismatches
            .iter()
            .filter(|m| !matches!(m.check, Check::Schema { .. }))
            .map(|m| MismatchView {
                text: m.text.clone(),
                level: m.level.name(),
                effect: effect_label(m.effect),
            })
            .collect()
    }
}

/// A schema violation as the HTML and Markdown reports show it: schema, pointer (the root
/// spelled out) and message, with its effect.
#[derive(Debug, Serialize)]
pub(crate) struct ViolationView {
    schema: String,
    pointer: String,
    message: String,
    effect: &'static str,
}

impl ViolationView {
    /// The schema violations of a call.
    pub(crate) fn of_call(call: &CallRecord) -> Vec<ViolationView> {
        call.mismatches
            .iter()
            .filter_map(|m| match &m.check {
                Check::Schema { schema, pointer } => Some(ViolationView {
                    schema: schema.clone(),
                    pointer: if pointer.is_empty() {
                        "(root)".to_owned()
                    } else {
                        pointer.clone()
                    },
                    message: m.expected.clone(),
                    effect: effect_label(m.effect),
                }),
                _ => None,
            })
            .collect()
    }
}

/// What a mismatch does, as reports label it.
pub fn effect_label(effect: Effect) -> &'static str {
    match effect {
        Effect::Fails => "fails",
        Effect::NonStrict => "non-strict",
        Effect::Noted => "noted",
    }
}

/// What a call was compared with, in words: `Rocket.Chat 8.x`, with the level of an
/// incidental answer and whether the line establishes it.
pub(crate) fn compared_text(call: &CallRecord) -> String {
    let Compared {
        line,
        established,
        incidental,
    } = &call.compared;
    let mut text = match (line, established) {
        (Some(line), true) => format!("compared with Rocket.Chat {line}"),
        (Some(line), false) => format!("not established for Rocket.Chat {line}: contract only"),
        (None, _) => "no Rocket.Chat line for the target's version: contract only".to_owned(),
    };
    if let Some(why) = incidental {
        text.push_str(&format!("; incidental ({why})"));
    }
    text
}

/// The reference server's answer to a call, as text: status and body.
pub(crate) fn reference_text(call: &CallRecord) -> Option<String> {
    let r = call.reference.as_ref()?;
    let status = r.status.map_or("no answer".to_owned(), |s| s.to_string());
    let body = match &r.body {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => String::new(),
    };
    Some(format!(
        "the reference server (Rocket.Chat {}) answered {status}\n{body}",
        r.version
    ))
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
    let kept = crate::excerpt::prefix(text, limit);
    if kept.len() == text.len() {
        return text.to_owned();
    }
    format!(
        "{kept}\n… ({} more bytes in report.json)",
        text.len() - kept.len()
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
    for wait in &e.rate_limit_waits {
        out.push_str(&format!(
            "* rate-limited: attempt {} answered 429; sent again after {} ms\n",
            wait.attempt, wait.waited_ms
        ));
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

/// Premises and failure kinds of `report` in the order of the premise model the run used;
/// names the model does not know follow in order of first appearance.
pub(crate) fn premise_order(report: &RunReport) -> Vec<String> {
    let present = |p: &String| report.cases.iter().any(|c| &c.premise == p);
    let mut order: Vec<String> = report
        .premise_order
        .iter()
        .filter(|p| present(p))
        .cloned()
        .collect();
    for case in &report.cases {
        if !order.iter().any(|p| case.premise == *p) {
            order.push(case.premise.to_string());
        }
    }
    order
}

/// Endpoints of `report`, in display order.
pub(crate) fn endpoint_order(report: &RunReport) -> Vec<Endpoint> {
    Endpoint::ALL
        .into_iter()
        .filter(|e| report.cases.iter().any(|c| c.endpoint == *e))
        .collect()
}

/// The room-type columns of each endpoint: the four room types, then `-` (no room resolved).
/// The omnichannel column `l` is shown only when a case of the report resolves such a room.
pub(crate) const ROOM_COLUMNS: [&str; 5] = ["c", "p", "d", "l", "-"];

/// The room-type columns `report` shows: [`ROOM_COLUMNS`], without `l` when no case has it.
fn room_columns(report: &RunReport) -> Vec<&'static str> {
    let omnichannel = RoomType::Omnichannel.code();
    let has_omnichannel = report
        .cases
        .iter()
        .any(|c| c.room_type == Some(RoomType::Omnichannel));
    ROOM_COLUMNS
        .into_iter()
        .filter(|t| has_omnichannel || *t != omnichannel)
        .collect()
}

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
    /// `c`, `p`, `d`, `l` or `-`.
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
    /// Cases that fail the gate (fail, error, unexpected pass; non-strict when strict).
    pub(crate) failed: usize,
    /// Cases whose contract held with an exact detail that differs.
    pub(crate) non_strict: usize,
    /// Expected failures.
    pub(crate) expected_fail: usize,
    /// Skipped cases.
    pub(crate) skipped: usize,
    /// `none`, `skipped`, `failed`, `expected-fail`, `non-strict` or `passed`: the cell's
    /// state.
    pub(crate) state: &'static str,
    /// The cell as text: `passed/total`, with ❌ when any failed, `·` when no case is there.
    pub(crate) text: String,
}

impl Matrix {
    /// The matrix of `report`.
    pub(crate) fn of(report: &RunReport) -> Matrix {
        let shown = room_columns(report);
        let columns: Vec<MatrixColumn> = endpoint_order(report)
            .into_iter()
            .flat_map(|endpoint| {
                shown.iter().map(move |t| MatrixColumn {
                    endpoint: endpoint.name().to_owned(),
                    room_type: (*t).to_owned(),
                })
            })
            .collect();
        let mut cells: BTreeMap<(&str, &str, &str), MatrixCell> = BTreeMap::new();
        for case in &report.cases {
            let room = case.room_type.map_or("-", RoomType::code);
            let cell = cells
                .entry((case.premise.as_str(), case.endpoint.name(), room))
                .or_default();
            match case.verdict {
                Verdict::Skipped => cell.skipped += 1,
                v => {
                    cell.total += 1;
                    if matches!(v, Verdict::Pass | Verdict::Flaky | Verdict::NonStrict) {
                        cell.passed += 1;
                    }
                    if v.fails_gate(report.run.strict) {
                        cell.failed += 1;
                    }
                    if v == Verdict::NonStrict {
                        cell.non_strict += 1;
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
    } else if cell.non_strict > 0 {
        ("non-strict", format!("{}/{} 🔶", cell.passed, cell.total))
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
