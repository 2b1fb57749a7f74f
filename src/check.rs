//! `rc-conform check`: the offline spec checker.
//!
//! It loads the specs and every case file, holds each case's expectations against the premise
//! model's prediction, measures coverage of the model, and validates the documentation's own
//! examples against the schemas derived from it. It never contacts a server.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

use crate::case::{Case, Expectation, KnownNames, LoadErrors, Suite, Version, load_suite};
use crate::spec::coverage::Coverage;
use crate::spec::docs::{DocFinding, DocsError, check_doc_examples};
use crate::spec::predict::{Decision, Prediction, predict_case, version_of};
use crate::spec::premise::{Divergence, PremiseModel, PremiseModelError};
use crate::spec::schemas::{SchemaError, SchemaRegistry};

/// Where `check` reads from.
#[derive(Debug, Clone)]
pub struct CheckPaths {
    /// The specs directory (`premises.yaml`, `schemas/`, `docs/`, `doc-findings.yaml`).
    pub specs: Utf8PathBuf,
    /// The case directory.
    pub cases: Utf8PathBuf,
}

/// Why `check` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The premise model is unreadable or inconsistent.
    #[error(transparent)]
    Model(#[from] PremiseModelError),
    /// The schemas could not be loaded.
    #[error(transparent)]
    Schemas(#[from] SchemaError),
    /// The doc pages could not be read.
    #[error(transparent)]
    Docs(#[from] DocsError),
    /// The acknowledged doc findings file is unreadable.
    #[error("{path}: {message}")]
    Acknowledged {
        /// The file.
        path: Utf8PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Case files failed to load.
    #[error(transparent)]
    Load(#[from] LoadErrors),
}

/// A case whose expectation differs from the model's prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The case.
    pub case_id: String,
    /// Where the call (or case) is written.
    pub origin: String,
    /// Which field, e.g. `calls[0].expect.errorType`.
    pub field: String,
    /// What the case says.
    pub case_says: String,
    /// What the model predicts.
    pub model_says: String,
}

/// A documentation finding and whether `specs/doc-findings.yaml` acknowledges it.
#[derive(Debug, Clone)]
pub struct ReportedFinding {
    /// The finding.
    pub finding: DocFinding,
    /// The acknowledgement's reason, if listed.
    pub acknowledged: Option<String>,
}

/// Everything `check` found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The suite that was checked.
    pub cases: usize,
    /// Files loaded.
    pub files: usize,
    /// Coverage of the premise model.
    pub coverage: Coverage,
    /// Cases that disagree with the model.
    pub disagreements: Vec<Disagreement>,
    /// Doc examples that fail their schemas.
    pub findings: Vec<ReportedFinding>,
    /// Acknowledged findings that no longer occur.
    pub stale_acknowledgements: Vec<String>,
    /// Doc examples checked.
    pub examples_checked: usize,
    /// The documented divergences between docs and server.
    pub divergences: Vec<Divergence>,
    /// The model's premises and failure kinds, in order (the matrix's rows).
    pub premise_names: Vec<String>,
    /// Cases carrying a divergence note.
    pub divergent_cases: Vec<(String, String)>,
    /// The version lines of the model, each with what is not established for it.
    pub lines: Vec<LineReport>,
}

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
fn line_reports(model: &PremiseModel) -> Vec<LineReport> {
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

impl CheckReport {
    /// Whether every check holds: full coverage, no disagreement, no unacknowledged or stale
    /// documentation finding.
    pub fn passed(&self) -> bool {
        self.coverage.uncovered().is_empty()
            && self.disagreements.is_empty()
            && self.findings.iter().all(|f| f.acknowledged.is_some())
            && self.stale_acknowledgements.is_empty()
    }
}

/// The specs `check` and the runner share, loaded once.
#[derive(Debug)]
pub struct Specs {
    /// The premise model, shared with work that runs beside a run's stages.
    pub model: std::sync::Arc<PremiseModel>,
    /// The schema registry, shared with concurrent cases.
    pub schemas: std::sync::Arc<SchemaRegistry>,
}

impl Specs {
    /// Loads `premises.yaml` and `schemas/` from the specs directory.
    pub fn load(specs: &Utf8Path) -> Result<Specs, CheckError> {
        let model = std::sync::Arc::new(PremiseModel::load(&specs.join("premises.yaml"))?);
        let schemas = std::sync::Arc::new(SchemaRegistry::load(&specs.join("schemas"))?);
        Ok(Specs { model, schemas })
    }

    /// The names a case file may use.
    pub fn known_names(&self) -> KnownNames {
        KnownNames {
            premises: self.model.premise_names().into_iter().collect(),
            schemas: self.schemas.ids().map(str::to_owned).collect(),
            roles: self
                .model
                .roles
                .global
                .iter()
                .chain(&self.model.roles.room)
                .cloned()
                .collect(),
        }
    }

    /// Loads the case directory with these specs' names.
    pub fn load_cases(&self, dir: &Utf8Path) -> Result<Suite, LoadErrors> {
        load_suite(dir, &self.known_names())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledgement {
    page: String,
    schema: String,
    pointer: String,
    reason: String,
}

/// Runs every offline check.
pub fn run_check(paths: &CheckPaths) -> Result<CheckReport, CheckError> {
    let specs = Specs::load(&paths.specs)?;
    let suite = specs.load_cases(&paths.cases)?;
    let mut coverage = Coverage::new(&specs.model);
    let mut disagreements = Vec::new();
    for case in &suite.cases {
        disagreements.extend(hold_against_model(&specs.model, case, &mut coverage));
    }
    let docs = check_doc_examples(&paths.specs.join("docs"), &specs.schemas)?;
    let ack_path = paths.specs.join("doc-findings.yaml");
    let acks = load_acknowledgements(&ack_path)?;
    let mut used = vec![false; acks.len()];
    let findings = docs
        .findings
        .into_iter()
        .map(|finding| {
            let hit = acks.iter().position(|a| {
                a.page == finding.page
                    && a.schema == finding.schema_id
                    && finding
                        .violations
                        .iter()
                        .any(|v| v.instance_pointer == a.pointer)
            });
            if let Some(i) = hit {
                used[i] = true;
            }
            ReportedFinding {
                acknowledged: hit.map(|i| acks[i].reason.clone()),
                finding,
            }
        })
        .collect();
    let stale_acknowledgements = acks
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(a, _)| format!("{} {} {}", a.page, a.schema, a.pointer))
        .collect();
    Ok(CheckReport {
        cases: suite.cases.len(),
        files: suite.files.len(),
        coverage,
        disagreements,
        findings,
        stale_acknowledgements,
        examples_checked: docs.checked.len(),
        divergences: specs.model.divergences.clone(),
        premise_names: specs.model.premise_names(),
        divergent_cases: suite
            .cases
            .iter()
            .filter_map(|c| c.divergence.as_ref().map(|d| (c.id.clone(), d.clone())))
            .collect(),
        lines: line_reports(&specs.model),
    })
}

fn load_acknowledgements(path: &Utf8Path) -> Result<Vec<Acknowledgement>, CheckError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs_err::read_to_string(path).map_err(|e| CheckError::Acknowledged {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        findings: Vec<Acknowledgement>,
    }
    crate::case::parse_yaml::<File>(path, &std::sync::Arc::from(text))
        .map(|f| f.findings)
        .map_err(|d| CheckError::Acknowledged {
            path: path.to_owned(),
            message: format!("{}:{}: {}: {}", d.line, d.column, d.field, d.message),
        })
}

/// Compares each call of `case` with the model at every version point the model
/// distinguishes within the case's range (the default version and each threshold), using the
/// expectation that applies there, and records coverage at the case's first version.
pub fn hold_against_model(
    model: &PremiseModel,
    case: &Case,
    coverage: &mut Coverage,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let points = version_points(model, case);
    for (n, version) in points.iter().enumerate() {
        let predictions = predict_case(model, case, version);
        let at = if points.len() > 1 {
            format!(" at server version {version}")
        } else {
            String::new()
        };
        let mut push = |origin: &str, field: String, case_says: String, model_says: String| {
            out.push(Disagreement {
                case_id: case.id.clone(),
                origin: origin.to_owned(),
                field,
                case_says,
                model_says: format!("{model_says}{at}"),
            });
        };
        if n == 0
            && let Some(first) = predictions.first()
            && first.placement.decision.name() != case.premise
        {
            push(
                &case.origin.to_string(),
                "premise".into(),
                case.premise.clone(),
                describe(&first.placement.decision),
            );
        }
        for (i, (call, prediction)) in case.calls.iter().zip(&predictions).enumerate() {
            if n == 0 {
                coverage.record(&case.id, case.endpoint, prediction);
            }
            let which = match call
                .alternatives
                .iter()
                .position(|a| a.versions.contains(version))
            {
                Some(j) => format!("alternatives[{j}].expect"),
                None => "expect".to_owned(),
            };
            for (field, says, predicted) in compare(call.expectation_for(Some(version)), prediction)
            {
                push(
                    &call.origin.to_string(),
                    format!("calls[{i}].{which}.{field}"),
                    says,
                    predicted,
                );
            }
        }
    }
    out
}

/// The versions at which `case` is held against the model: the model's default version and
/// every version threshold it knows, kept when inside the case's range (the range's own
/// lower bound stands in when the default lies below it).
pub fn version_points(model: &PremiseModel, case: &Case) -> Vec<Version> {
    let mut points: Vec<Version> = model
        .lines
        .iter()
        .map(crate::spec::lines::Line::emulated)
        .chain(case.versions.since.clone())
        .filter(|v| case.versions.contains(v))
        .collect();
    for alt in case.calls.iter().flat_map(|c| &c.alternatives) {
        if let Some(since) = &alt.versions.since
            && case.versions.contains(since)
        {
            points.push(since.clone());
        }
    }
    points.sort();
    points.dedup();
    if points.is_empty() {
        points.push(version_of(model, case.versions.since.as_ref()));
    }
    points
}

fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Premise(p) => format!("success through premise `{p}`"),
        Decision::Failure(k) => format!("failure `{k}`"),
    }
}

fn show<T: std::fmt::Debug>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or("(not stated)".to_owned(), |v| format!("{v:?}"))
}

/// Field-by-field differences between an expectation and a prediction:
/// `(field, what the case says, what the model predicts)`.
fn compare(expect: &Expectation, p: &Prediction) -> Vec<(String, String, String)> {
    let a = &p.answer;
    let mut out = Vec::new();
    let why = format!(" ({})", describe(&p.placement.decision));
    if expect.status != a.status {
        out.push((
            "status".into(),
            expect.status.to_string(),
            format!("{}{why}", a.status),
        ));
    }
    // A whole body, when the model gives one, says whether `success` is there at all.
    let success = match &a.body {
        Some(body) => body.get("success").and_then(serde_json::Value::as_bool),
        None => Some(a.status == 200),
    };
    if expect.success.is_some() && expect.success != success {
        out.push((
            "success".into(),
            show(&expect.success),
            format!(
                "{}{why}",
                success.map_or_else(|| "no `success` key".to_owned(), |s| s.to_string())
            ),
        ));
    }
    let predicted_type = a.error_type.clone().or_else(|| {
        a.body
            .as_ref()
            .and_then(|b| b.get("errorType"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });
    if expect.error_type != predicted_type {
        out.push((
            "errorType".into(),
            show(&expect.error_type),
            format!("{}{why}", show(&predicted_type)),
        ));
    }
    let predicted_error = a.error.clone().or_else(|| {
        a.body
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });
    if let Some(error) = &expect.error
        && predicted_error.as_ref() != Some(error)
        && a.error_template.is_none()
    {
        out.push((
            "error".into(),
            format!("{error:?}"),
            format!("{}{why}", show(&predicted_error)),
        ));
    }
    for key in &a.absent {
        if !expect.absent.contains(key) {
            out.push((
                "absent".into(),
                format!("{:?}", expect.absent),
                format!("must list `{key}`{why}"),
            ));
        }
    }
    if let Some(details) = &a.details
        && let Some(method) = expect.fields.get("/details/method")
        && details.get("method") != Some(method)
    {
        out.push((
            "fields./details/method".into(),
            method.to_string(),
            format!("{details}{why}"),
        ));
    }
    if expect.schema.as_deref() != Some(a.schema.as_str()) {
        out.push((
            "schema".into(),
            show(&expect.schema),
            format!("{:?}{why}", a.schema),
        ));
    }
    for (room, m) in &expect.members_after {
        let Some(after) = p.members_after.get(room) else {
            continue;
        };
        for u in &m.includes {
            if !after.contains(u) {
                out.push((
                    format!("members_after.{}.includes", room.name()),
                    u.name().to_owned(),
                    format!("`{}` is not a member afterwards{why}", u.name()),
                ));
            }
        }
        for u in &m.excludes {
            if after.contains(u) {
                out.push((
                    format!("members_after.{}.excludes", room.name()),
                    u.name().to_owned(),
                    format!("`{}` is a member afterwards{why}", u.name()),
                ));
            }
        }
    }
    for (room, delta) in &expect.room_delta {
        let added = if p.room.as_ref() == Some(room) {
            p.added.len() as i64
        } else {
            0
        };
        for (name, value) in [("usersCount", delta.users_count), ("msgs", delta.msgs)] {
            if let Some(v) = value
                && v != added
            {
                out.push((
                    format!("room_delta.{}.{name}", room.name()),
                    v.to_string(),
                    format!("{added}{why}"),
                ));
            }
        }
    }
    out
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
    out.push_str(&render_lines(&report.lines));
    let verdict = if report.passed() { "PASSED" } else { "FAILED" };
    let _ = writeln!(out, "check {verdict}");
    out
}
