//! Finding the JSON examples in a page's plain text and telling each one's kind and name
//! from the headings around it.

use camino::Utf8Path;
use serde_json::Value;

use super::{DocExample, DocsError, ExampleKind};

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
pub(super) fn is_curl_data_prefix(prefix: &str) -> bool {
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
pub(super) fn is_label(line: &str) -> bool {
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
