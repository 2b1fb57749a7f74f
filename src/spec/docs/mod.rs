//! The documentation-example checker: every JSON example on the scraped doc pages in
//! `specs/docs/`, run through the schema it must satisfy.
//!
//! This module owns finding the examples in the pages' plain text (balanced-brace JSON blocks
//! that start a line or follow `curl … -d '`; the schema outlines and prose have no braces and
//! are skipped), classifying each as a request or a response with a status from the nearby
//! headings, naming it after those headings, mapping it to schema ids, and reporting every
//! example that fails as a [`DocFinding`]. A failing example is a documentation finding, never
//! a reason to change a schema; this module must not edit schemas, pages or cases, and it never
//! touches a server.
//!
//! Classification, in order: a body of a `curl` call is a request; an example under a status
//! line (`200`, `400`, … on a line of its own) is a response with that status; an example
//! headed "… Response" with no status line in its section is a success response (status 200:
//! the older page layout shows only success responses after its calls); an example under
//! "Body parameters" is a request. Anything else is an error rather than a guess.
//!
//! Schema ids: a request example of endpoint `E` (the page's file name without `.txt`) is
//! checked against `E/request-v0` and `E/request`, whichever exist; a response with status `S`
//! against `E/S`, or else the shared `<action>/S` (`invite/400` for `groups.invite`).

use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use serde_json::Value;

use super::schemas::{SchemaError, SchemaRegistry, Violation};
use crate::built_in::{Source, SourceError};

/// Whether an example shows a request body or a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ExampleKind {
    /// A request body (a `curl -d` body or a "Body parameters" example).
    Request,
    /// A response body with its HTTP status.
    Response {
        /// The HTTP status the example documents.
        status: u16,
    },
}

impl fmt::Display for ExampleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExampleKind::Request => f.write_str("request"),
            ExampleKind::Response { status } => write!(f, "response {status}"),
        }
    }
}

/// One JSON example found on a documentation page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocExample {
    /// The page's file name, e.g. `channels.invite.txt`.
    pub page: String,
    /// 1-based line where the JSON starts (the line of its opening brace).
    pub line: usize,
    /// The nearby headings, e.g. `Add a user — Example Response`.
    pub title: String,
    /// Request or response (with status).
    pub kind: ExampleKind,
    /// The parsed example.
    pub value: Value,
}

/// One (example, schema) pair that was checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedExample {
    /// Path of the page, as the docs directory was given joined with the file name.
    #[serde(serialize_with = "serialize_path")]
    pub path: Utf8PathBuf,
    /// The example.
    pub example: DocExample,
    /// The schema id it was checked against.
    pub schema_id: String,
    /// Whether it satisfied the schema.
    pub valid: bool,
}

/// A documentation example that does not satisfy the schema derived from the documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocFinding {
    /// Path of the page, as the docs directory was given joined with the file name; used when
    /// rendering.
    #[serde(serialize_with = "serialize_path")]
    pub path: Utf8PathBuf,
    /// The page's file name, e.g. `channels.invite.txt`.
    pub page: String,
    /// 1-based line where the example's JSON starts.
    pub line: usize,
    /// The example's title (see [`DocExample::title`]).
    pub title: String,
    /// The schema id it fails.
    pub schema_id: String,
    /// Every violation, with masked messages.
    pub violations: Vec<Violation>,
}

/// Renders one line: `specs/docs/channels.invite.txt:49: "Add a user — Example Response" does
/// not satisfy channels.invite/200: /channel/usernames is not of type "array"` (further
/// violations are joined with `; `).
impl fmt::Display for DocFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: \"{}\" does not satisfy {}: ",
            self.path, self.line, self.title, self.schema_id
        )?;
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

/// Paths serialise as plain strings (without relying on camino's optional serde feature).
fn serialize_path<S: serde::Serializer>(path: &Utf8Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(path.as_str())
}

/// The outcome of checking every example of every page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocReport {
    /// Every (example, schema) pair checked, in page and line order.
    pub checked: Vec<CheckedExample>,
    /// The pairs that failed, in the same order.
    pub findings: Vec<DocFinding>,
}

/// What can stop the checker (a failing example is a finding, not an error).
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The docs directory could not be listed, or a page could not be read (or is not UTF-8).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A JSON example whose kind the headings around it do not tell.
    #[error(
        "{path}:{line}: found a JSON example but cannot tell whether it is a request or a response (no curl call, status line, \"Example Response\" or \"Body parameters\" heading before it)"
    )]
    Unclassified {
        /// The page.
        path: Utf8PathBuf,
        /// 1-based line of the example.
        line: usize,
    },
    /// No schema in the registry fits an example.
    #[error("{path}:{line}: no schema for this {kind} example; looked for {}", tried.join(", "))]
    NoSchema {
        /// The page.
        path: Utf8PathBuf,
        /// 1-based line of the example.
        line: usize,
        /// The example's kind.
        kind: ExampleKind,
        /// The ids looked for.
        tried: Vec<String>,
    },
    /// The registry refused a validation.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Checks every example of every `*.txt` page in `docs_dir` (sorted by name, not recursing)
/// against the schemas it must satisfy.
pub fn check_doc_examples(
    docs_dir: &Utf8Path,
    registry: &SchemaRegistry,
) -> Result<DocReport, DocsError> {
    check_doc_examples_from(&Source::Dir(docs_dir.to_owned()), registry)
}

/// [`check_doc_examples`] of a directory or of the built-in pages (`specs/docs`).
pub fn check_doc_examples_from(
    docs: &Source,
    registry: &SchemaRegistry,
) -> Result<DocReport, DocsError> {
    let pages = docs.list(&[".txt"], "docs")?;
    let mut report = DocReport {
        checked: Vec::new(),
        findings: Vec::new(),
    };
    for page in pages {
        let path = docs.path(page.as_str());
        let text = docs.read_text(page.as_str())?;
        let page = page.as_str();
        let examples = extract_examples(&path, &text)?;
        let endpoint = page.strip_suffix(".txt").unwrap_or(page);
        for example in examples {
            let tried = candidate_schema_ids(endpoint, example.kind);
            let ids: Vec<&String> = tried.iter().filter(|id| registry.contains(id)).collect();
            let ids = match (example.kind, ids.as_slice()) {
                (_, []) => {
                    return Err(DocsError::NoSchema {
                        path,
                        line: example.line,
                        kind: example.kind,
                        tried,
                    });
                }
                // A response has one schema: the first that exists.
                (ExampleKind::Response { .. }, [first, ..]) => vec![*first],
                (ExampleKind::Request, all) => all.to_vec(),
            };
            for id in ids {
                let violations = registry.validate(id, &example.value)?;
                report.checked.push(CheckedExample {
                    path: path.clone(),
                    example: example.clone(),
                    schema_id: id.clone(),
                    valid: violations.is_empty(),
                });
                if !violations.is_empty() {
                    report.findings.push(DocFinding {
                        path: path.clone(),
                        page: example.page.clone(),
                        line: example.line,
                        title: example.title.clone(),
                        schema_id: id.clone(),
                        violations,
                    });
                }
            }
        }
    }
    Ok(report)
}

/// The schema ids an example of `endpoint` may be checked against, most specific first.
fn candidate_schema_ids(endpoint: &str, kind: ExampleKind) -> Vec<String> {
    match kind {
        ExampleKind::Request => vec![
            format!("{endpoint}/request-v0"),
            format!("{endpoint}/request"),
        ],
        ExampleKind::Response { status } => {
            let mut ids = vec![format!("{endpoint}/{status}")];
            if let Some((_, action)) = endpoint.rsplit_once('.') {
                ids.push(format!("{action}/{status}"));
            }
            ids
        }
    }
}

mod extract;

pub use extract::extract_examples;

#[cfg(test)]
mod tests;
