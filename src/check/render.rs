//! What `check` prints: the report as Markdown (so the README can carry its matrix), and the
//! version lines with what is not established for each.

use std::fmt::Write as _;

use super::CheckReport;
use crate::spec::premise::PremiseModel;

/// A version line as `check` reports it.
#[derive(Debug, Clone)]
pub struct LineReport {
    /// The line's name.
    pub id: String,
    /// Its versions, in words.
    pub versions: String,
    /// The version the reference server runs for it.
    pub emulate: String,
    /// Where its facts come from.
    pub routes: String,
    /// What is not established for it: judged at contract level there, and emulated by the
    /// reference server as a choice rather than a fact.
    pub not_established: Vec<String>,
}

/// The lines of `model`, each with what is not established for it.
pub(super) fn line_reports(model: &PremiseModel) -> Vec<LineReport> {
    model
        .lines
        .iter()
        .map(|line| {
            let mut gaps = Vec::new();
            for (endpoint, em) in &model.endpoints {
                if !em.established.contains(&line.id) {
                    gaps.push(format!("the answers of {endpoint}"));
                    continue;
                }
                // A closed-body refusal only happens on the lines with typed routes.
                let untyped = crate::spec::premise::Step::ValidateBody.failures(em.room_lookup);
                for (kind, answer) in &em.answers {
                    if !line.typed_bodies && untyped.contains(&kind.as_str()) {
                        continue;
                    }
                    if !model.established(em, answer).contains(&line.id) {
                        gaps.push(format!("{endpoint} `{kind}`"));
                    }
                }
            }
            if !line.unparsed_bodies {
                gaps.push(
                    "the answer to a body that does not parse as a JSON object (the body parser's)"
                        .to_owned(),
                );
            }
            let versions = match &line.until {
                Some(until) => format!("{} up to (not including) {until}", line.since),
                None => format!("{} and later", line.since),
            };
            LineReport {
                id: line.id.to_string(),
                versions,
                emulate: line.emulate.clone(),
                routes: line.routes.clone(),
                not_established: gaps,
            }
        })
        .collect()
}

/// The version lines section: each line, and what is not established for it (judged at
/// contract level on that line; the reference server's emulation there is a choice).
fn render_lines(lines: &[LineReport]) -> String {
    let mut out = String::from("## Version lines\n\n");
    out.push_str("| line | versions | reference server runs | sources |\n|---|---|---|---|\n");
    for l in lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            l.id, l.versions, l.emulate, l.routes
        );
    }
    out.push_str(
        "\nNot established (judged at contract level on the line, the actual answer recorded; the reference server's emulation there is a choice, not a fact):\n\n",
    );
    for l in lines.iter().filter(|l| !l.not_established.is_empty()) {
        let _ = writeln!(out, "- {}: {}", l.id, l.not_established.join("; "));
    }
    out.push('\n');
    out
}

/// Renders the report as the text `check` prints (Markdown, so the README can carry it).
pub fn render_report(report: &CheckReport, show_cells: bool) -> String {
    let mut out = render_coverage(report, show_cells);
    out.push_str(&render_agreement(report));
    out.push_str(&render_docs(report));
    out.push_str(&render_lines(&report.lines));
    out.push_str(&render_clients(&report.clients));
    let verdict = if report.passed() { "PASSED" } else { "FAILED" };
    let _ = writeln!(out, "check {verdict}");
    out
}

/// The client compatibility profiles, each with the requests it sends.
fn render_clients(profiles: &[crate::clients::Profile]) -> String {
    let mut out = String::from("## Client compatibility profiles\n\n");
    if profiles.is_empty() {
        out.push_str("None (no specs/clients.yaml).\n\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{} profiles loaded, valid against specs/clients.schema.json; every run evaluates them against its target.\n",
        profiles.len()
    );
    for p in profiles {
        let requests: Vec<String> = p.uses.iter().map(|u| u.request_text()).collect();
        let _ = writeln!(
            out,
            "- **{}** (`{}`): {}",
            p.name,
            p.id,
            requests.join("; ")
        );
    }
    out.push('\n');
    out
}

/// The case files and the coverage of the model (with its matrix).
fn render_coverage(report: &CheckReport, show_cells: bool) -> String {
    let mut out = String::new();
    let required = report.coverage.required.len();
    let uncovered = report.coverage.uncovered();
    let _ = writeln!(
        out,
        "## Case files\n\n{} cases in {} files loaded cleanly.\n",
        report.cases, report.files
    );
    let _ = writeln!(
        out,
        "## Coverage of the premise model\n\n{} of {} cells covered ({:.0}%).\n",
        required - uncovered.len(),
        required,
        report.coverage.ratio() * 100.0
    );
    out.push_str(&report.coverage.matrix_markdown(&report.premise_names));
    out.push('\n');
    if !uncovered.is_empty() {
        out.push_str("Uncovered cells (no case exercises them):\n\n");
        for cell in &uncovered {
            let _ = writeln!(out, "- UNCOVERED {cell}");
        }
        out.push('\n');
    }
    if show_cells {
        out.push_str("Required cells:\n\n");
        out.push_str(&report.coverage.cells_markdown());
        out.push('\n');
    }
    out
}

/// Every disagreement between a case and the model.
fn render_agreement(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Expectations against the model\n");
    if report.disagreements.is_empty() {
        out.push_str("Every case's expectations agree with the model.\n\n");
    } else {
        for d in &report.disagreements {
            let _ = writeln!(
                out,
                "- DISAGREES {origin}: case `{id}` {field}: the case says {says}, the model predicts {model}",
                origin = d.origin,
                id = d.case_id,
                field = d.field,
                says = d.case_says,
                model = d.model_says
            );
        }
        out.push('\n');
    }
    out
}

/// The documentation findings and the divergences between the docs and the server.
fn render_docs(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Documentation findings\n\n{} documentation examples checked against the schemas derived from them.\n",
        report.examples_checked
    );
    for f in &report.findings {
        match &f.acknowledged {
            Some(reason) => {
                let _ = writeln!(out, "- FINDING {} (acknowledged: {reason})", f.finding);
            }
            None => {
                let _ = writeln!(
                    out,
                    "- NEW FINDING {} (not in specs/doc-findings.yaml)",
                    f.finding
                );
            }
        }
    }
    for stale in &report.stale_acknowledgements {
        let _ = writeln!(
            out,
            "- STALE acknowledgement in specs/doc-findings.yaml: {stale} no longer occurs"
        );
    }
    let _ = writeln!(
        out,
        "\n## Divergences between the docs and the real server\n"
    );
    for d in &report.divergences {
        let _ = writeln!(
            out,
            "- **{}**: docs: {}; server: {} ({})",
            d.id, d.docs, d.server, d.source
        );
    }
    let _ = writeln!(
        out,
        "\n{} cases carry a divergence note.\n",
        report.divergent_cases.len()
    );
    out
}
