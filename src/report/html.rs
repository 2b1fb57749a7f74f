//! `report.html`: the run as one self-contained page, from `templates/report.html.j2` with the
//! inline `templates/report.css` and `templates/report.js`.
//!
//! It owns the page: summary header with totals, the colored compatibility matrix, the client
//! compatibility section (each client ok, broken with its evidence, or not run), the case list
//! (filterable by verdict, endpoint and matrix cell, searchable by id and title) with each
//! case's expected vs actual, mismatches, schema violations with pointers, curl and full
//! transcript, then divergences, preflight notes, cleanup and requests. Every value is
//! HTML-escaped as the template engine escapes it, but in one pass of our own (the page's
//! formatter): the engine's escaping went through its `Display` plumbing one quote at a time,
//! most of the page's time with a megabyte of JSON transcripts. The JSON the script reads is
//! escaped so that it cannot close its `<script>` element. The page must never reference
//! anything outside itself (no URL, font, CDN or image), and a Content-Security-Policy says so
//! to the browser.

use minijinja::context;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Output, State};
use serde::Serialize;

use super::clients::ClientView;
use super::matrix::endpoint_order;
use super::model::{CallRecord, CaseRecord, RunReport, Verdict};
use super::render::{
    CallView, Ending, RenderError, call_exchange, heading_text, headline, script_json,
    without_credentials,
};
use super::transcript::{pretty_body, transcript_text};
use crate::api::RoomType;

const TEMPLATE: &str = "report.html.j2";
/// Bodies are shown whole up to this many bytes (report.json cut them at 64 KiB already).
const BODY_LIMIT: usize = 64 * 1024;
/// Failing cases start unfolded when there are at most this many.
const OPEN_LIMIT: usize = 20;

/// The HTML report of `report`.
pub fn render(report: &RunReport) -> Result<String, RenderError> {
    let mut page = Vec::new();
    render_to(report, &mut page)?;
    Ok(String::from_utf8(page).expect("the template engine writes UTF-8"))
}

/// The HTML report of `report`, written to `out` as it is rendered.
pub fn render_to(report: &RunReport, out: &mut impl std::io::Write) -> Result<(), RenderError> {
    let env =
        super::render::environment(TEMPLATE, include_str!("templates/report.html.j2"), |env| {
            env.set_formatter(formatter);
            env.add_filter("text", element_text);
        })?;
    let strict = report.run.strict;
    let failing = report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(strict))
        .count();
    let open = failing <= OPEN_LIMIT;
    let cases: Vec<CaseView> = report
        .cases
        .iter()
        .enumerate()
        .map(|(idx, c)| case_view(idx, c, open && c.verdict.fails_gate(strict), strict))
        .collect();
    let mut run = report.run.clone();
    run.target = without_credentials(&run.target);
    let ending = Ending::of(report);
    let ctx = context! {
        mark => match ending {
            Ending::Passed => "✓",
            Ending::Interrupted => "■",
            Ending::Failed => "✗",
        },
        heading => heading_text(report),
        passed => ending == Ending::Passed,
        totals => Value::from(Serde(&totals(report))),
        run => Value::from(Serde(&run)),
        endpoints => Value::from(Serde(&endpoint_order(report))),
        cases => Value::from(Serde(&cases)),
        default_problems => failing > 0,
        clients => Value::from(Serde(&ClientView::of(report, true, BODY_LIMIT, true))),
        index_json => Value::from_safe_string(script_json(&index(report))),
        css => Value::from_safe_string(include_str!("templates/report.css").to_owned()),
        js => Value::from_safe_string(include_str!("templates/report.js").to_owned()),
        ..super::render::shared_context(report),
    };
    env.get_template(TEMPLATE)
        .and_then(|t| t.render_captured_to(ctx, out))
        .map(|_| ())
        .map_err(template_error)
}

/// What the page's script filters by, one entry per case.
fn index(report: &RunReport) -> Vec<IndexEntry<'_>> {
    report
        .cases
        .iter()
        .map(|c| IndexEntry {
            id: &c.id,
            title: &c.title,
            endpoint: c.endpoint.name(),
            premise: &c.premise,
            room: c.room_type.map_or("-", RoomType::code),
            verdict: c.verdict.name(),
            gate: c.verdict.fails_gate(report.run.strict),
        })
        .collect()
}

/// The totals per verdict, as chips.
fn totals(report: &RunReport) -> Vec<TotalView> {
    Verdict::ALL
        .iter()
        .map(|&v| TotalView {
            verdict: v.name(),
            mark: v.symbol(),
            label: v.name().replace('-', " "),
            count: report.totals.count(v),
        })
        .collect()
}

fn template_error(source: minijinja::Error) -> RenderError {
    RenderError::Template {
        template: TEMPLATE,
        source,
    }
}

/// What the script searches and filters by, one entry per case in list order.
#[derive(Serialize)]
struct IndexEntry<'a> {
    id: &'a str,
    title: &'a str,
    endpoint: &'a str,
    premise: &'a str,
    room: &'a str,
    verdict: &'static str,
    gate: bool,
}

#[derive(Serialize)]
struct TotalView {
    verdict: &'static str,
    mark: &'static str,
    label: String,
    count: usize,
}

#[derive(Serialize)]
struct CaseView {
    idx: usize,
    id: String,
    title: String,
    endpoint: String,
    premise: String,
    room_type: String,
    cell: String,
    verdict: &'static str,
    mark: &'static str,
    open: bool,
    headline: Option<String>,
    source: String,
    location: String,
    divergence: Option<String>,
    reason: Option<String>,
    duration_ms: u64,
    setup_transcript: String,
    calls: Vec<CallDetail>,
}

#[derive(Serialize)]
struct CallDetail {
    #[serde(flatten)]
    call: CallView,
    expected: String,
    actual: String,
}

fn case_view(idx: usize, case: &CaseRecord, open: bool, strict: bool) -> CaseView {
    let shows_headline = case.verdict.fails_gate(strict)
        || matches!(case.verdict, Verdict::ExpectedFail | Verdict::NonStrict);
    CaseView {
        idx,
        id: case.id.to_string(),
        title: case.title.clone(),
        endpoint: case.endpoint.name().to_owned(),
        premise: case.premise.to_string(),
        room_type: case.room_type.map_or("-", RoomType::code).to_owned(),
        cell: case.cell.clone(),
        verdict: case.verdict.name(),
        mark: case.verdict.symbol(),
        open,
        headline: shows_headline.then(|| headline(case)),
        source: case.source.clone(),
        location: case.location.clone(),
        divergence: case.divergence.clone(),
        reason: case.reason.clone(),
        duration_ms: case.duration_ms,
        setup_transcript: transcript_text(&case.setup_transcript, BODY_LIMIT, true),
        calls: case
            .calls
            .iter()
            .enumerate()
            .map(|(i, call)| call_view(case, i + 1, call))
            .collect(),
    }
}

fn call_view(case: &CaseRecord, number: usize, call: &CallRecord) -> CallDetail {
    let exchange = call_exchange(case, call);
    let actual = match exchange {
        Some(e) => match (&e.response_body, &e.error) {
            (Some(body), _) => pretty_body(body),
            (None, Some(error)) => format!("(no usable response: {error})"),
            (None, None) => "(empty body)".to_owned(),
        },
        None => "(the call's exchange is not in the transcript)".to_owned(),
    };
    let transcript = transcript_text(&call.transcript, BODY_LIMIT, true);
    CallDetail {
        call: CallView::of(number, call, "none", transcript),
        expected: serde_json::to_string_pretty(&call.expected)
            .unwrap_or_else(|_| call.expected.to_string()),
        actual,
    }
}

/// The `text` filter: `value` as the content of an element (the page's `<pre>` blocks of
/// transcripts and bodies), where only `<`, `>` and `&` can be taken for markup. Quotes and
/// slashes stay as they are: a JSON transcript is full of them, and the engine's escaping of
/// every one (`&quot;`, `&#x2f;`) made a fifth of the page. Never for attribute values.
fn element_text(value: &str) -> Value {
    let mut escaped = String::new();
    super::escape::replacing_into(&mut escaped, value, markup_entity);
    Value::from_safe_string(escaped)
}

/// The engine's entity for a byte that could open markup anywhere (`<`, `>`, `&`).
fn markup_entity(byte: u8) -> Option<&'static str> {
    match byte {
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'&' => Some("&amp;"),
        _ => None,
    }
}

/// The page's formatter: a string the template prints is HTML-escaped with the engine's own
/// entities (`&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#x27;`, `&#x2f;`) in one pass; everything
/// else (safe strings, numbers, other values, other escape modes) as the engine writes it.
fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if !value.is_safe() && *state.auto_escape() == AutoEscape::Html => {
            super::escape::replacing_to(out, text, |byte| match byte {
                b'"' => Some("&quot;"),
                b'\'' => Some("&#x27;"),
                b'/' => Some("&#x2f;"),
                _ => markup_entity(byte),
            })
            .map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use minijinja::value::Value;

    #[test]
    fn element_text_escapes_what_could_open_markup_and_keeps_quotes() {
        let shown = super::element_text(r#"{"a": "</pre><b>&amp;'x'/y"}"#);
        assert!(shown.is_safe());
        assert_eq!(
            shown.as_str(),
            Some(r#"{"a": "&lt;/pre&gt;&lt;b&gt;&amp;amp;'x'/y"}"#)
        );
    }

    #[test]
    fn the_pages_formatter_writes_what_the_engine_writes() {
        let text = "{\"a\": \"<b>&'c'</b>\"}\n\tünï/cödé \\ end";
        let source = "{{ text }}|{{ safe }}|{{ n }}|{{ big }}|{{ yes }}|{{ none }}|{{ list }}|{{ map }}|{{ digits }}|{{ text|safe }}{% autoescape false %}|{{ text }}{% endautoescape %}";
        let ctx = minijinja::context! {
                text,
                safe => Value::from_safe_string("<i>kept</i>".to_owned()),
                n => -3,
                big => 12_345_678_901_u64,
                yes => true,
                none => (),
                list => vec!["<a>", "b/c"],
                map => minijinja::context! { k => "'v'" },
                digits => "0123",
        };
        let render = |with_formatter: bool| {
            let mut env = minijinja::Environment::new();
            if with_formatter {
                env.set_formatter(super::formatter);
            }
            env.add_template("t.html", source).expect("template");
            env.get_template("t.html")
                .and_then(|t| t.render(&ctx))
                .expect("render")
        };
        let (ours, engine) = (render(true), render(false));
        assert_eq!(ours, engine);
        assert!(ours.starts_with(
            "{&quot;a&quot;: &quot;&lt;b&gt;&amp;&#x27;c&#x27;&lt;&#x2f;b&gt;&quot;}"
        ));
    }
}
