//! `summary.md`: the run as GitHub-flavoured Markdown for a PR comment or
//! `$GITHUB_STEP_SUMMARY`, from `templates/summary.md.j2`.
//!
//! It owns the summary's shape: verdict heading, totals, run metadata, the compatibility
//! matrix, the client compatibility table (each broken client with the requests and answers
//! that break it), each gate-failing case with its evidence (mismatches, schema violations,
//! the curl to reproduce, the transcript folded in `<details>`), expected failures, skips,
//! divergences, preflight, cleanup and request counts. A passing run stays short. The text
//! stays under a PR comment's limit: when the evidence would not fit, transcripts go first,
//! then the detailed failures shrink to a list (report.html and junit.xml keep everything).
//! Every value from the report is escaped for Markdown here; nothing is judged here.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::Serialize;

use super::clients::ClientView;
use super::model::{CaseRecord, RunReport, Verdict};
use super::render::{CallView, Ending, RenderError, heading_text, headline, without_credentials};
use super::transcript::transcript_text;
use crate::excerpt::one_line;

/// The most text the summary may have: GitHub comments take 65,536 characters.
pub const SIZE_BUDGET: usize = 60_000;
/// Bodies in the summary's transcripts are cut at this many bytes.
const BODY_LIMIT: usize = 2_000;
/// Failing cases listed one line each, at most, when the details do not fit.
const BRIEF_LIMIT: usize = 200;
/// Characters of a listed case's headline.
const BRIEF_TEXT: usize = 160;
const TEMPLATE: &str = "summary.md.j2";

/// The Markdown summary of `report`.
pub fn render(report: &RunReport) -> Result<String, RenderError> {
    let env = environment()?;
    let failing: Vec<&CaseRecord> = report
        .cases
        .iter()
        .filter(|c| c.verdict.fails_gate(report.run.strict))
        .collect();
    let mut detailed = failing.len();
    let mut transcripts = true;
    loop {
        let text = render_with(&env, report, &failing, detailed, transcripts)?;
        if text.len() <= SIZE_BUDGET || (detailed == 0 && !transcripts) {
            return Ok(text);
        }
        if transcripts {
            transcripts = false;
        } else {
            detailed /= 2;
        }
    }
}

fn environment() -> Result<Environment<'static>, RenderError> {
    super::render::environment(TEMPLATE, include_str!("templates/summary.md.j2"), |env| {
        env.add_filter("md_text", md_text);
        env.add_filter("md_cell", md_cell);
        env.add_filter("md_code", md_code);
        env.add_filter("md_fence", md_fence);
    })
}

fn template_error(source: minijinja::Error) -> RenderError {
    RenderError::Template {
        template: TEMPLATE,
        source,
    }
}

#[derive(Serialize)]
struct TotalView {
    mark: &'static str,
    label: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct Brief {
    mark: &'static str,
    id: String,
    text: String,
}

#[derive(Serialize)]
struct FailureView {
    mark: &'static str,
    id: String,
    title: String,
    verdict: &'static str,
    source: String,
    location: String,
    premise: String,
    room_type: String,
    duration_ms: u64,
    divergence: Option<String>,
    reason: Option<String>,
    setup_transcript: String,
    setup_exchanges: usize,
    calls: Vec<CallView>,
}

fn render_with(
    env: &Environment<'static>,
    report: &RunReport,
    failing: &[&CaseRecord],
    detailed: usize,
    transcripts: bool,
) -> Result<String, RenderError> {
    let totals: Vec<TotalView> = Verdict::ALL
        .iter()
        .map(|&v| TotalView {
            mark: v.mark(),
            label: v.plural(),
            count: report.totals.count(v),
        })
        .collect();
    let failures: Vec<FailureView> = failing
        .iter()
        .take(detailed)
        .map(|c| failure_view(c, transcripts))
        .collect();
    let rest = failing.get(detailed..).unwrap_or_default();
    let brief: Vec<Brief> = rest
        .iter()
        .take(BRIEF_LIMIT)
        .map(|c| Brief {
            mark: c.verdict.mark(),
            id: c.id.to_string(),
            text: one_line(&headline(c), BRIEF_TEXT),
        })
        .collect();
    let brief_of = |verdict: Verdict| -> Vec<Brief> {
        report
            .cases
            .iter()
            .filter(|c| c.verdict == verdict)
            .map(|c| Brief {
                mark: c.verdict.mark(),
                id: c.id.to_string(),
                text: c.reason.clone().unwrap_or_else(|| headline(c)),
            })
            .collect()
    };
    let mut run = report.run.clone();
    run.target = without_credentials(&run.target);
    if let Some(commit) = &mut run.cases_commit {
        commit.truncate(12);
    }
    let ctx = context! {
        heading => heading(report),
        totals => Value::from(Serde(&totals)),
        run => Value::from(Serde(&run)),
        failing_count => failing.len(),
        failures => Value::from(Serde(&failures)),
        brief => Value::from(Serde(&brief)),
        brief_more => rest.len().saturating_sub(BRIEF_LIMIT),
        expected_fails => Value::from(Serde(&brief_of(Verdict::ExpectedFail))),
        non_strict => Value::from(Serde(&non_strict_briefs(report))),
        rate_limit_seconds => format!("{:.1}", report.rate_limit.waited_ms as f64 / 1000.0),
        skipped => Value::from(Serde(&brief_of(Verdict::Skipped))),
        clients => Value::from(Serde(&ClientView::of(report, transcripts, BODY_LIMIT, false))),
        ..super::render::shared_context(report),
    };
    env.get_template(TEMPLATE)
        .and_then(|t| t.render(ctx))
        .map_err(template_error)
}

/// Each `non-strict` case with every detail that differed from the line it was compared with.
fn non_strict_briefs(report: &RunReport) -> Vec<Brief> {
    report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::NonStrict)
        .map(|c| {
            let details: Vec<&str> = c
                .calls
                .iter()
                .flat_map(|call| &call.mismatches)
                .filter(|m| m.effect == super::model::Effect::NonStrict)
                .map(|m| m.text.as_str())
                .collect();
            Brief {
                mark: c.verdict.mark(),
                id: c.id.to_string(),
                text: details.join("; "),
            }
        })
        .collect()
}

fn heading(report: &RunReport) -> String {
    let server = report
        .run
        .server_version
        .as_deref()
        .map_or(String::new(), |v| format!(" against Rocket.Chat {v}"));
    let mark = match Ending::of(report) {
        Ending::Passed => "✅",
        Ending::Interrupted => "⏹️",
        Ending::Failed => "❌",
    };
    format!("{mark} rc-conform: {}{server}", heading_text(report))
}

fn failure_view(case: &CaseRecord, transcripts: bool) -> FailureView {
    let calls = case
        .calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            let transcript = if transcripts {
                transcript_text(&call.transcript, BODY_LIMIT, false)
            } else {
                String::new()
            };
            CallView::of(i + 1, call, "none (no response)", transcript)
        })
        .collect();
    FailureView {
        mark: case.verdict.mark(),
        id: case.id.to_string(),
        title: case.title.clone(),
        verdict: case.verdict.name(),
        source: case.source.clone(),
        location: case.location.clone(),
        premise: case.premise.to_string(),
        room_type: case
            .room_type
            .map_or("-", crate::api::RoomType::code)
            .to_owned(),
        duration_ms: case.duration_ms,
        divergence: case.divergence.clone(),
        reason: match case.verdict {
            Verdict::UnexpectedPass => Some(headline(case)),
            _ => case.reason.clone(),
        },
        setup_transcript: if transcripts {
            transcript_text(&case.setup_transcript, BODY_LIMIT, false)
        } else {
            String::new()
        },
        setup_exchanges: case.setup_transcript.len(),
        calls,
    }
}

/// Text with Markdown's inline syntax escaped, on one line. Backticks stay: report texts use
/// them for names, and a code span cannot open anything else.
fn md_text(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for a table cell: as [`md_text`] (which escapes `|` too).
fn md_cell(value: String) -> String {
    md_text(value)
}

/// An inline code span that holds `value` whatever backticks it has; in a table (`table` is
/// true) pipes are escaped, as GFM requires even inside code spans.
fn md_code(value: String, table: Option<bool>) -> String {
    let value = value.replace(['\n', '\r'], " ");
    let value = if table.unwrap_or(false) {
        value.replace('|', "\\|")
    } else {
        value
    };
    let ticks = "`".repeat(longest_run(&value, '`') + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') || value.is_empty() {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{value}{pad}{ticks}")
}

/// A fenced code block that holds `value` whatever backticks it has.
fn md_fence(value: String, lang: Option<String>) -> String {
    let fence = "`".repeat(longest_run(&value, '`').max(2) + 1);
    let lang = lang.unwrap_or_default();
    format!("{fence}{lang}\n{}\n{fence}", value.trim_end_matches('\n'))
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_survive_backticks() {
        assert_eq!(md_code("a`b".into(), None), "``a`b``");
        assert_eq!(md_code("`x`".into(), None), "`` `x` ``");
        assert_eq!(md_code("a|b".into(), Some(true)), "`a\\|b`");
        assert_eq!(md_fence("```\nx".into(), None), "````\n```\nx\n````");
    }

    #[test]
    fn text_cannot_open_markup() {
        assert_eq!(
            md_text("<b>*x*</b> | y".into()),
            "\\<b\\>\\*x\\*\\</b\\> \\| y"
        );
    }
}
