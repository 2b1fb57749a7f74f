//! `rc-conform check`: the offline spec checker.
//!
//! It loads the specs and every case file, holds each case's expectations against the premise
//! model's prediction, measures coverage of the model, validates the documentation's own
//! examples against the schemas derived from it, and loads the client compatibility profiles
//! (invalid ones stop it, as an invalid premise model does). It never contacts a server.

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

use crate::built_in::Source;
use crate::case::LoadErrors;
use crate::spec::coverage::Coverage;
use crate::spec::docs::{DocFinding, DocsError, check_doc_examples_from};
use crate::spec::premise::Divergence;
use crate::spec::{Specs, SpecsError};

mod agreement;
mod render;

pub use agreement::{Disagreement, hold_against_model, hold_all_against_model, version_points};
pub use render::{LineReport, render_report};

/// Where `check` reads from.
#[derive(Debug, Clone)]
pub struct CheckPaths {
    /// The specs (`premises.yaml`, `schemas/`, `docs/`, `doc-findings.yaml`): a directory or
    /// the built-in specs.
    pub specs: Source,
    /// The cases: a directory or the built-in cases.
    pub cases: Source,
}

impl CheckPaths {
    /// The suite built into the binary.
    pub fn built_in() -> CheckPaths {
        CheckPaths {
            specs: Source::built_in_specs(),
            cases: Source::built_in_cases(),
        }
    }

    /// A specs directory and a case directory.
    pub fn dirs(specs: &Utf8Path, cases: &Utf8Path) -> CheckPaths {
        CheckPaths {
            specs: Source::Dir(specs.to_owned()),
            cases: Source::Dir(cases.to_owned()),
        }
    }
}

/// Why `check` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The premise model or the schemas could not be loaded.
    #[error(transparent)]
    Specs(#[from] SpecsError),
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
    /// The client compatibility profiles (loaded and valid against their schema).
    pub clients: Vec<crate::clients::Profile>,
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
    let (specs, suite) = Specs::load_with_cases(&paths.specs, &paths.cases)??;
    let (coverage, disagreements) = hold_all_against_model(&specs.model, &suite.cases);
    let docs = check_doc_examples_from(&paths.specs.join("docs"), &specs.schemas)?;
    let acks = load_acknowledgements(&paths.specs)?;
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
            .filter_map(|c| c.divergence.as_ref().map(|d| (c.id.to_string(), d.clone())))
            .collect(),
        lines: render::line_reports(&specs.model),
        clients: specs.clients.profiles.clone(),
    })
}

fn load_acknowledgements(specs: &Source) -> Result<Vec<Acknowledgement>, CheckError> {
    const FILE: &str = "doc-findings.yaml";
    let path = specs.path(FILE);
    if !specs.exists(FILE) {
        return Ok(Vec::new());
    }
    let text = specs.read(FILE).map_err(|e| CheckError::Acknowledged {
        path: path.clone(),
        message: e.to_string(),
    })?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        findings: Vec<Acknowledgement>,
    }
    crate::case::parse_yaml::<File>(&path, &std::sync::Arc::from(text.as_ref()))
        .map(|f| f.findings)
        .map_err(|d| CheckError::Acknowledged {
            path: path.clone(),
            message: format!("{}:{}: {}: {}", d.line, d.column, d.field, d.message),
        })
}
