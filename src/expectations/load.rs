//! Loading the expectations file: strict YAML, unknown keys rejected, every problem as
//! `file:line:column`.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    expectations: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    case: Spanned<String>,
    verdict: ExpectedVerdict,
    reason: Spanned<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    since: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
    #[serde(default)]
    expires: Option<Spanned<String>>,
}

/// Reads and parses the expectations file at `path`.
pub fn load(path: &Utf8Path) -> Result<ExpectationsFile, ExpectationsError> {
    let text = fs_err::read_to_string(path).map_err(|source| ExpectationsError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parses an expectations file's `text`; `path` names it in diagnostics.
pub fn parse(path: &Utf8Path, text: &str) -> Result<ExpectationsFile, ExpectationsError> {
    let source: Arc<str> = Arc::from(text);
    let raw: RawFile =
        crate::case::parse_yaml(path, &source).map_err(|d| ExpectationsError::Invalid(vec![*d]))?;
    let mut reader = EntryReader {
        path,
        source: &source,
        problems: Vec::new(),
    };
    let entries: Vec<Expectation> = raw
        .expectations
        .into_iter()
        .enumerate()
        .map(|(index, raw)| reader.entry(index, raw.value))
        .collect();
    if reader.problems.is_empty() {
        Ok(ExpectationsFile {
            path: path.to_owned(),
            entries,
            source,
        })
    } else {
        Err(ExpectationsError::Invalid(reader.problems))
    }
}

/// Reads the entries of one file, collecting every problem.
struct EntryReader<'a> {
    path: &'a Utf8Path,
    source: &'a Arc<str>,
    problems: Vec<Diagnostic>,
}

impl EntryReader<'_> {
    fn problem(&mut self, at: &Location, field: String, message: String) {
        self.problems.push(Diagnostic::new(
            self.path.to_owned(),
            Some(self.source.clone()),
            at.line(),
            at.column(),
            field,
            message,
        ));
    }

    /// Entry `index` of the file.
    fn entry(&mut self, index: usize, raw: RawEntry) -> Expectation {
        let (line, column) = (raw.case.referenced.line(), raw.case.referenced.column());
        let field = |name: &str| format!("expectations[{index}].{name}");
        if raw.reason.value.trim().is_empty() {
            self.problem(
                &raw.reason.referenced,
                field("reason"),
                "the reason is empty: say why the case deviates".to_owned(),
            );
        }
        if let Some(at) = cut_by_comment(self.source, &raw.reason) {
            self.problem(
                &at,
                field("reason"),
                "the reason stops before ` #`, which starts a YAML comment: quote the reason (reason: \"… (issue #123)\")".to_owned(),
            );
        }
        let versions = VersionRange {
            since: self.version(&field("since"), raw.since.as_ref()),
            until: self.version(&field("until"), raw.until.as_ref()),
        };
        let expires = raw.expires.as_ref().and_then(|e| {
            let date = Date::parse(&e.value);
            if date.is_none() {
                self.problem(
                    &e.referenced,
                    field("expires"),
                    format!("`{}` is not a date: expected YYYY-MM-DD", e.value),
                );
            }
            date
        });
        Expectation {
            case: raw.case.value,
            verdict: raw.verdict,
            reason: raw.reason.value,
            link: raw.link,
            since: raw.since.map(|s| s.value),
            until: raw.until.map(|s| s.value),
            versions,
            expires,
            line,
            column,
        }
    }

    /// A version condition, when given and valid.
    fn version(&mut self, field: &str, value: Option<&Spanned<String>>) -> Option<Version> {
        let value = value?;
        let parsed = Version::parse(&value.value);
        if parsed.is_none() {
            self.problem(
                &value.referenced,
                field.to_owned(),
                format!(
                    "`{}` is not a version: expected a quoted string like \"8.1.0\"",
                    value.value
                ),
            );
        }
        parsed
    }
}

/// Where an unquoted scalar `value` is followed on its line by ` #` — a YAML comment that
/// silently cut the text (`reason: fails (issue #123)` reads as `fails (issue`).
fn cut_by_comment(source: &str, value: &Spanned<String>) -> Option<Location> {
    let at = value.referenced;
    let line = source
        .lines()
        .nth(usize::try_from(at.line()).ok()?.checked_sub(1)?)?;
    let column = usize::try_from(at.column()).ok()?.checked_sub(1)?;
    let start = line.char_indices().nth(column).map(|(i, _)| i)?;
    let rest = line[start..].strip_prefix(value.value.as_str())?;
    let comment = rest.trim_start();
    (comment.starts_with('#') && rest.len() > comment.len()).then_some(at)
}
