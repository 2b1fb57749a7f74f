//! Every report file of a run, written from one [`RunReport`]: `report.json`, `junit.xml`,
//! `summary.md` and `report.html`, plus what the renderers share: the compatibility matrix
//! (premise × endpoint × room type), the text form of a transcript, the one-line headline
//! of a failing case and the verdict marks.
//!
//! It owns the report directory's file names and the views several formats show alike. It
//! must not judge anything or change a verdict: it shows the [`RunReport`] as it is, and it
//! never adds a secret (it sees only redacted records) or any reference to outside resources.

use camino::{Utf8Path, Utf8PathBuf};

use serde::Serialize;

use super::model::{CallRecord, CaseRecord, Check, Compared, Effect, RunReport, Verdict};
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
}

/// File name of the machine-readable report.
pub const JSON_FILE: &str = "report.json";
/// File name of the JUnit XML report.
pub const JUNIT_FILE: &str = "junit.xml";
/// File name of the Markdown summary.
pub const MARKDOWN_FILE: &str = "summary.md";
/// File name of the self-contained HTML report.
pub const HTML_FILE: &str = "report.html";

/// A report format's writing of a [`RunReport`] into the file at the path it is given.
type Writer = fn(&Utf8Path, &RunReport) -> Result<(), RenderError>;

/// Writes `report.json`, `junit.xml`, `summary.md` and `report.html` into `dir` (created when
/// missing) and returns their paths, in that order. The four are rendered and written on the
/// machine's cores at once (the HTML page's rendering, the long one, first); the first error,
/// in that order, is the one returned.
pub fn write_all(dir: &Utf8Path, report: &RunReport) -> Result<Vec<Utf8PathBuf>, RenderError> {
    fs_err::create_dir_all(dir).map_err(write_error(dir.to_owned()))?;
    // The longest first (the HTML page), so that the others share the other cores meanwhile.
    let writers: [(&str, Writer); 4] = [
        (HTML_FILE, write_html),
        (JSON_FILE, write_json),
        (JUNIT_FILE, |path, report| {
            write_text(path, super::junit::render(report)?)
        }),
        (MARKDOWN_FILE, |path, report| {
            write_text(path, super::markdown::render(report)?)
        }),
    ];
    let mut written = crate::parallel::in_parallel(&writers, |&(name, write)| {
        let path = dir.join(name);
        write(&path, report)?;
        Ok(path)
    });
    // Back to the order the callers list them in: report.json, junit.xml, summary.md,
    // report.html.
    written.rotate_left(1);
    written.into_iter().collect()
}

/// `report.json`, serialized straight into its file.
fn write_json(path: &Utf8Path, report: &RunReport) -> Result<(), RenderError> {
    super::json::write(path, report).map_err(write_error(path.to_owned()))
}

/// `report.html`, rendered straight into its file (through a buffer), not into a string
/// of a megabyte and more first.
fn write_html(path: &Utf8Path, report: &RunReport) -> Result<(), RenderError> {
    let file = fs_err::File::create(path).map_err(write_error(path.to_owned()))?;
    let mut file = std::io::BufWriter::with_capacity(64 * 1024, file);
    super::html::render_to(report, &mut file)?;
    std::io::Write::flush(&mut file).map_err(write_error(path.to_owned()))
}

/// A report rendered as text, written into its file.
fn write_text(path: &Utf8Path, text: String) -> Result<(), RenderError> {
    fs_err::write(path, text).map_err(write_error(path.to_owned()))
}

/// The error of a failed write of `path`.
fn write_error(path: Utf8PathBuf) -> impl FnOnce(std::io::Error) -> RenderError {
    move |source| RenderError::Write { path, source }
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
/// skipped)`, `interrupted by SIGTERM: 40 of 162 cases ran`, `3 of 160 cases failed`).
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
            "interrupted{}: {ran} of {} cases ran{}",
            report
                .run
                .interrupt_reason
                .as_deref()
                .map(|r| format!(" by {r}"))
                .unwrap_or_default(),
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
        Ending::Failed if report.gate() == crate::exit::Exit::Failures => {
            let broken = report.broken_clients().count();
            format!("the target breaks {broken} client(s) (--gate-clients)")
        }
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

/// A call as the Markdown and HTML reports show it: what it was compared with, its status,
/// mismatches, schema violations, the reference answer, the curl and the transcript.
#[derive(Debug, Serialize)]
pub(crate) struct CallView {
    number: usize,
    expectation_source: String,
    compared: String,
    status: String,
    mismatches: Vec<MismatchView>,
    violations: Vec<ViolationView>,
    reference: Option<String>,
    curl: String,
    transcript: String,
    exchanges: usize,
}

impl CallView {
    /// The view of `call`, the `number`th of its case (from 1): `no_status` stands for a
    /// status when there was no response, `transcript` is the call's transcript as the report
    /// shows it.
    pub(crate) fn of(
        number: usize,
        call: &CallRecord,
        no_status: &str,
        transcript: String,
    ) -> CallView {
        CallView {
            number,
            expectation_source: call.expectation_source.clone(),
            compared: compared_text(call),
            status: call.status.map_or(no_status.to_owned(), |s| s.to_string()),
            mismatches: MismatchView::of_call(call),
            violations: ViolationView::of_call(call),
            reference: reference_text(call),
            curl: call.curl.clone(),
            transcript,
            exchanges: call.transcript.len(),
        }
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

/// What the Markdown and HTML pages both show as the model holds it: the totals' size, the
/// matrix, the conformance and rate-limit records, divergences, preflight, grants, cleanup,
/// the requests on the wire and whether the clients gate the run.
pub(crate) fn shared_context(report: &RunReport) -> minijinja::Value {
    use minijinja::value::{Serde, Value};
    minijinja::context! {
        total => report.cases.len(),
        matrix => Value::from(Serde(&super::matrix::Matrix::of(report))),
        conformance => Value::from(Serde(&report.conformance)),
        rate_limit => Value::from(Serde(&report.rate_limit)),
        divergences => Value::from(Serde(&report.divergences)),
        preflight => Value::from(Serde(&report.run.preflight)),
        grants => Value::from(Serde(&report.grants)),
        grant_groups => Value::from(Serde(&report.grant_groups)),
        cleanup => Value::from(Serde(&report.cleanup)),
        requests => Value::from(Serde(&report.requests)),
        requests_total => report.requests.iter().map(|r| r.count).sum::<u64>(),
        clients_gated => report.run.gate_clients,
    }
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
}
