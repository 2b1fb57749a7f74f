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
    /// The docs directory could not be listed.
    #[error("{dir}: cannot list the docs directory: {source}")]
    ReadDir {
        /// The directory.
        dir: Utf8PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A page could not be read (or is not UTF-8).
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The page.
        path: Utf8PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
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
    let read_dir_error = |source| DocsError::ReadDir {
        dir: docs_dir.to_owned(),
        source,
    };
    let mut pages = Vec::new();
    for entry in fs_err::read_dir(docs_dir).map_err(read_dir_error)? {
        let entry = entry.map_err(read_dir_error)?;
        let is_file = entry.file_type().map_err(read_dir_error)?.is_file();
        if let Some(name) = entry.file_name().to_str()
            && is_file
            && name.ends_with(".txt")
        {
            pages.push(name.to_owned());
        }
    }
    pages.sort();

    let mut report = DocReport {
        checked: Vec::new(),
        findings: Vec::new(),
    };
    for page in pages {
        let path = docs_dir.join(&page);
        let text = fs_err::read_to_string(&path).map_err(|source| DocsError::Read {
            path: path.clone(),
            source,
        })?;
        let examples = extract_examples(&path, &text)?;
        let endpoint = page.strip_suffix(".txt").unwrap_or(&page);
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

/// Finds every JSON example in `text`, the contents of the page at `path` (whose file name is
/// recorded in each example). An example whose kind the headings do not tell is an error.
pub fn extract_examples(path: &Utf8Path, text: &str) -> Result<Vec<DocExample>, DocsError> {
    let page = path.file_name().unwrap_or(path.as_str());
    let lines: Vec<Line> = text.lines().map(Line::classify).collect();
    let mut examples = Vec::new();
    for block in json_blocks(text) {
        let context = Context::before(&lines, block.line - 1, block.in_curl);
        let Some(kind) = context.kind() else {
            return Err(DocsError::Unclassified {
                path: path.to_owned(),
                line: block.line,
            });
        };
        examples.push(DocExample {
            page: page.to_owned(),
            line: block.line,
            title: context.title(block.line),
            kind,
            value: block.value,
        });
    }
    Ok(examples)
}

/// A JSON object found in the text.
struct Block {
    /// 1-based line of the opening brace.
    line: usize,
    /// Whether the brace follows a `curl` data flag (`-d '{`).
    in_curl: bool,
    value: Value,
}

/// Flags after which a quoted JSON request body follows in a curl call.
const CURL_DATA_FLAGS: [&str; 5] = ["-d", "--data", "--data-raw", "--data-binary", "--json"];

/// Scans for balanced-brace JSON objects that start a line or a curl data argument and
/// parse as JSON; everything else (prose, outlines, braces that do not parse) is skipped.
fn json_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    while let Some(found) = text[offset..].find('{') {
        let start = offset + found;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = text[line_start..start].trim();
        let in_curl = is_curl_data_prefix(prefix);
        if (prefix.is_empty() || in_curl)
            && let Some(end) = balanced_end(text, start)
            && let Some(value) = parse_scraped(&text[start..end])
            && value.is_object()
        {
            blocks.push(Block {
                line: text[..start].matches('\n').count() + 1,
                in_curl,
                value,
            });
            offset = end;
        } else {
            offset = start + 1;
        }
    }
    blocks
}

/// `… -d '`, `--data "`, … at the end of the text before a brace.
fn is_curl_data_prefix(prefix: &str) -> bool {
    let Some(rest) = prefix
        .strip_suffix('\'')
        .or_else(|| prefix.strip_suffix('"'))
    else {
        return false;
    };
    let rest = rest.trim_end();
    let rest = rest.strip_suffix('=').unwrap_or(rest);
    CURL_DATA_FLAGS.iter().any(|flag| {
        rest.strip_suffix(flag)
            .is_some_and(|before| before.is_empty() || before.ends_with(char::is_whitespace))
    })
}

/// The byte offset just past the brace that closes the one at `start`, skipping braces
/// inside JSON strings; `None` when the text ends first.
fn balanced_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (index, ch) in text[start..].char_indices() {
        if in_string {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(start + index + ch.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses a block after undoing what scraping does to whitespace (non-breaking and
/// zero-width spaces, which JSON does not accept between tokens).
fn parse_scraped(block: &str) -> Option<Value> {
    serde_json::from_str(block).ok().or_else(|| {
        let cleaned: String = block
            .chars()
            .filter(|ch| !matches!(ch, '\u{200B}' | '\u{FEFF}'))
            .map(|ch| if ch == '\u{00A0}' { ' ' } else { ch })
            .collect();
        serde_json::from_str(&cleaned).ok()
    })
}

/// What a line of a page means to the classifier.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    Blank,
    /// A line that is only an HTTP status (`200`).
    Status(u16),
    /// "Body parameters" (any case).
    BodyParameters,
    /// "Responses" (any case).
    Responses,
    /// A short heading-like line ("Example Response", "Add a user", "Success").
    Label(String),
    /// Part of a curl call (its options, URL or continuation).
    Curl,
    /// The last line of a JSON block (`}`, `}'`).
    Closing,
    /// Anything else: prose, values, outline entries, JSON.
    Other,
}

impl Line {
    fn classify(raw: &str) -> Line {
        let line = raw.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{200B}');
        if line.is_empty() {
            return Line::Blank;
        }
        if line.len() == 3
            && line.bytes().all(|b| b.is_ascii_digit())
            && let Ok(status) = line.parse::<u16>()
            && (100..600).contains(&status)
        {
            return Line::Status(status);
        }
        if line.eq_ignore_ascii_case("body parameters") {
            return Line::BodyParameters;
        }
        if line.eq_ignore_ascii_case("responses") {
            return Line::Responses;
        }
        if line.starts_with('}') || line.ends_with("}'") || line.ends_with("}\"") {
            return Line::Closing;
        }
        if line.starts_with("curl ") || line.ends_with('\\') || line.starts_with('-') {
            return Line::Curl;
        }
        if is_label(line) {
            return Line::Label(line.to_owned());
        }
        Line::Other
    }
}

/// A heading-like line: short, starts with a letter, made of letters, digits, spaces and a
/// little punctuation, no final period; one word only if it is a capitalised plain word
/// ("Example", "Success"), so example values such as `ByehQjC44FwMeiLbX` are not headings.
fn is_label(line: &str) -> bool {
    let chars = line.chars().count();
    let Some(first) = line.chars().next() else {
        return false;
    };
    if !(2..=40).contains(&chars) || !first.is_alphabetic() || line.ends_with('.') {
        return false;
    }
    if !line
        .chars()
        .all(|ch| ch.is_alphanumeric() || matches!(ch, ' ' | '-' | '\'' | '’' | '(' | ')' | '/'))
    {
        return false;
    }
    line.contains(' ') || (first.is_uppercase() && line.chars().skip(1).all(char::is_lowercase))
}

/// What the lines before an example say about it.
#[derive(Debug, Default)]
struct Context {
    in_curl: bool,
    /// The nearest label in the example's own stretch of text.
    label: Option<String>,
    /// The nearest status line in the example's section.
    status: Option<u16>,
    /// Whether the section is a "Body parameters" one.
    body_parameters: bool,
    /// The section heading ("Add a user", "Body parameters", "Responses").
    section: Option<String>,
}

impl Context {
    /// Reads backwards from the line before `index` (0-based line of the opening brace).
    fn before(lines: &[Line], index: usize, in_curl: bool) -> Context {
        let mut context = Context {
            in_curl,
            ..Context::default()
        };
        let mut label_open = true;
        for at in (0..index).rev() {
            match &lines[at] {
                Line::Label(text) if label_open => {
                    context.label = Some(text.clone());
                    label_open = false;
                }
                // The end of an earlier example: labels before it are not ours.
                Line::Closing => label_open = false,
                Line::Status(status) => {
                    label_open = false;
                    context.status = context.status.or(Some(*status));
                }
                Line::BodyParameters => {
                    context.body_parameters = context.status.is_none();
                    context.section = Some(section_heading(lines, at));
                    break;
                }
                Line::Responses => {
                    context.section = Some("Responses".to_owned());
                    break;
                }
                _ => {}
            }
        }
        context
    }

    fn kind(&self) -> Option<ExampleKind> {
        let label = self.label.as_deref().unwrap_or_default().to_lowercase();
        if self.in_curl {
            Some(ExampleKind::Request)
        } else if let Some(status) = self.status {
            Some(ExampleKind::Response { status })
        } else if label.contains("response") {
            Some(ExampleKind::Response { status: 200 })
        } else if self.body_parameters || label.contains("request") || label.contains("call") {
            Some(ExampleKind::Request)
        } else {
            None
        }
    }

    /// "Add a user — Example Call", "Responses 200 — Success", "Body parameters — Example".
    fn title(&self, line: usize) -> String {
        let mut head = self.section.clone().unwrap_or_default();
        if let Some(status) = self.status {
            if !head.is_empty() {
                head.push(' ');
            }
            head.push_str(&status.to_string());
        }
        match (head.is_empty(), &self.label) {
            (false, Some(label)) => format!("{head} — {label}"),
            (false, None) => head,
            (true, Some(label)) => label.clone(),
            (true, None) => format!("example at line {line}"),
        }
    }
}

/// The heading of a "Body parameters" section: the label just before it ("Add a user"), or
/// "Body parameters" itself when there is none.
fn section_heading(lines: &[Line], body_parameters_at: usize) -> String {
    lines[..body_parameters_at]
        .iter()
        .rev()
        .find(|line| **line != Line::Blank)
        .and_then(|line| match line {
            Line::Label(text) if text.contains(' ') => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "Body parameters".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract(text: &str) -> Vec<DocExample> {
        match extract_examples(Utf8Path::new("specs/docs/x.invite.txt"), text) {
            Ok(examples) => examples,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn curl_bodies_are_requests_titled_by_section_and_call() {
        let text = "Add a user\n\nBody Parameters\n\nExample Call\n\ncurl -H \"X: y\" \\\n     https://h/api \\\n     --data-raw '{ \n  \"roomId\": \"r\" }'\n";
        let examples = extract(text);
        assert_eq!(examples.len(), 1);
        assert_eq!(examples[0].kind, ExampleKind::Request);
        assert_eq!(examples[0].line, 9);
        assert_eq!(examples[0].title, "Add a user — Example Call");
        assert_eq!(examples[0].page, "x.invite.txt");
    }

    #[test]
    fn status_lines_give_the_response_status() {
        let text = "Responses\n200\n\nOK\n\nSuccess\n{\n  \"success\": true\n}\nobject\n400\n\nBad Request\n\nNope\n{\"success\": false}\n";
        let examples = extract(text);
        let summary: Vec<(usize, ExampleKind, &str)> = examples
            .iter()
            .map(|e| (e.line, e.kind, e.title.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    7,
                    ExampleKind::Response { status: 200 },
                    "Responses 200 — Success"
                ),
                (
                    16,
                    ExampleKind::Response { status: 400 },
                    "Responses 400 — Nope"
                ),
            ]
        );
    }

    #[test]
    fn prose_braces_outlines_and_unbalanced_blocks_are_skipped() {
        let text = "Example Response\nSee {roomId} in the text.\n{ not json }\nobject\n  group\n  string\n{\n  \"open\": \n";
        assert!(extract(text).is_empty());
    }

    #[test]
    fn scraped_whitespace_is_tolerated() {
        let text = "Example Response\n{\n\u{a0}\u{a0}\"success\":\u{a0}true\n}\n";
        let examples = extract(text);
        assert_eq!(examples.len(), 1);
        assert_eq!(examples[0].value, serde_json::json!({"success": true}));
    }

    #[test]
    fn braces_inside_strings_do_not_end_a_block() {
        let text = "Example Response\n{\"error\": \"bad } brace {\", \"success\": false}\n";
        assert_eq!(extract(text)[0].value["error"], "bad } brace {");
    }

    #[test]
    fn an_example_without_headings_is_an_error_not_a_guess() {
        let result = extract_examples(Utf8Path::new("p.txt"), "Some text\n{\"a\": 1}\n");
        assert!(matches!(
            result,
            Err(DocsError::Unclassified { line: 2, .. })
        ));
    }

    #[test]
    fn example_values_are_not_headings() {
        assert!(!is_label("ByehQjC44FwMeiLbX"));
        assert!(!is_label("roomId*"));
        assert!(!is_label("The channel ID."));
        assert!(is_label("Example"));
        assert!(is_label("Add bulk users"));
    }

    #[test]
    fn curl_data_flags_are_recognised() {
        assert!(is_curl_data_prefix("-d '"));
        assert!(is_curl_data_prefix("https://h/api -d '"));
        assert!(is_curl_data_prefix("--data=\""));
        assert!(!is_curl_data_prefix("x-d '"));
        assert!(!is_curl_data_prefix("-H 'X: {'"));
    }

    #[test]
    fn responses_map_to_the_endpoint_then_the_shared_family() {
        assert_eq!(
            candidate_schema_ids("groups.invite", ExampleKind::Response { status: 400 }),
            vec!["groups.invite/400", "invite/400"]
        );
        assert_eq!(
            candidate_schema_ids("groups.invite", ExampleKind::Request),
            vec!["groups.invite/request-v0", "groups.invite/request"]
        );
    }
}
