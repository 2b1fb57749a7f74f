//! The expectations file: known deviations of a target, kept outside the cases (as
//! wptrunner's expectation files are), each with its reason, an optional link, an optional
//! server-version condition and an optional expiry date.
//!
//! This module loads the file (strict YAML, unknown keys rejected, every problem as
//! `file:line:column`), applies it to a finished [`RunReport`] (a case that fails as listed
//! becomes `expected-fail`, a listed case that passes becomes `unexpected-pass`) and rewrites
//! it from a report (`rc-conform expectations update`). Everything here is a pure function
//! over values: it never runs a case, and it never touches a server.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::model::{CaseRecord, RunReport, Totals, Verdict};
use crate::case::{Diagnostic, Version, VersionRange};

/// The reason `expectations update` gives an entry it adds.
pub const TODO_REASON: &str = "TODO: explain";

/// The verdict an entry expects of its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedVerdict {
    /// Some expectation of the case does not hold.
    Fail,
    /// The case's setup cannot be provisioned on the target.
    Error,
}

impl ExpectedVerdict {
    /// The name used in the file.
    pub fn name(self) -> &'static str {
        match self {
            ExpectedVerdict::Fail => "fail",
            ExpectedVerdict::Error => "error",
        }
    }
}

/// A calendar date, `YYYY-MM-DD`, as `expires` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD` (a real date of the Gregorian calendar).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = text.get(range)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = digits(0..4)?;
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Today, in UTC.
    pub fn today() -> Date {
        let now = super::model::rfc3339(std::time::SystemTime::now());
        Date::parse(now.get(..10).unwrap_or_default()).unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One entry of the file: a case the target is known to fail, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The case id.
    pub case: String,
    /// The verdict the case is expected to get.
    pub verdict: ExpectedVerdict,
    /// Why (an issue, a decision); shown in the reports.
    pub reason: String,
    /// A link to the tracker, if any.
    pub link: Option<String>,
    /// First server version the entry applies to, as written.
    pub since: Option<String>,
    /// First server version it no longer applies to, as written.
    pub until: Option<String>,
    /// `since`/`until`, parsed.
    pub versions: VersionRange,
    /// The last day the entry applies.
    pub expires: Option<Date>,
    /// Line of the entry's `case:` value in its file (0 for an entry not read from a file).
    pub line: u64,
    /// Column of the entry's `case:` value (0 for an entry not read from a file).
    pub column: u64,
}

impl Expectation {
    /// An unconditional entry.
    pub fn new(
        case: impl Into<String>,
        verdict: ExpectedVerdict,
        reason: impl Into<String>,
    ) -> Self {
        Expectation {
            case: case.into(),
            verdict,
            reason: reason.into(),
            link: None,
            since: None,
            until: None,
            versions: VersionRange::default(),
            expires: None,
            line: 0,
            column: 0,
        }
    }

    /// Whether the entry applies to a run judged at `version` (unknown: only an entry
    /// without a version condition applies) on `today`.
    pub fn applicability(&self, version: Option<&Version>, today: Date) -> Applicability {
        if let Some(expires) = self.expires
            && today > expires
        {
            return Applicability::Expired(expires);
        }
        let in_range = match version {
            Some(v) => self.versions.contains(v),
            None => self.versions.is_any(),
        };
        if in_range {
            Applicability::Applies
        } else {
            Applicability::OtherVersion
        }
    }

    fn describe_versions(&self) -> String {
        match (&self.since, &self.until) {
            (Some(s), Some(u)) => format!("{s} up to (not including) {u}"),
            (Some(s), None) => format!("{s} and later"),
            (None, Some(u)) => format!("before {u}"),
            (None, None) => "every version".to_owned(),
        }
    }
}

/// Whether an entry applies to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// It applies.
    Applies,
    /// Its `expires` date has passed.
    Expired(Date),
    /// Its version condition excludes the run's server version.
    OtherVersion,
}

/// A loaded expectations file.
#[derive(Debug, Clone)]
pub struct ExpectationsFile {
    /// Where it was read from.
    pub path: Utf8PathBuf,
    /// Its entries, in file order.
    pub entries: Vec<Expectation>,
    source: Arc<str>,
}

/// Why an expectations file cannot be used. Either way nothing may be sent to a server.
#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    /// The file cannot be read.
    #[error("cannot read the expectations file {path}: {source}")]
    Read {
        /// The file.
        path: Utf8PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid expectations file, or names cases the suite does not have.
    #[error("{} problem(s) in the expectations file", .0.len())]
    Invalid(Vec<Diagnostic>),
}

/// A note about an entry that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The expectations file.
    pub file: Utf8PathBuf,
    /// The entry's line.
    pub line: u64,
    /// The entry's case id.
    pub case: String,
    /// What happened and what to do.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}`: {}",
            self.file, self.line, self.case, self.message
        )
    }
}

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
    let diagnostic = |at: &Location, field: String, message: String| {
        Diagnostic::new(
            path.to_owned(),
            Some(source.clone()),
            at.line(),
            at.column(),
            field,
            message,
        )
    };
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
    };
    let mut field = String::new();
    let parsed: Result<RawFile, _> =
        serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
            serde_path_to_error::deserialize(de).map_err(|e| {
                field = e.path().to_string();
                e.into_inner()
            })
        });
    let raw = parsed.map_err(|error| {
        let at = error.location().unwrap_or(Location::UNKNOWN);
        let field = field.replace(".value", "").replace(".?", "");
        let field = if field == "?" { String::new() } else { field };
        ExpectationsError::Invalid(vec![diagnostic(
            &at,
            field,
            short_message(&error.to_string()),
        )])
    })?;
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    for (index, raw) in raw.expectations.into_iter().enumerate() {
        let raw = raw.value;
        let (line, column) = (raw.case.referenced.line(), raw.case.referenced.column());
        let field = |name: &str| format!("expectations[{index}].{name}");
        if raw.reason.value.trim().is_empty() {
            problems.push(diagnostic(
                &raw.reason.referenced,
                field("reason"),
                "the reason is empty: say why the case deviates".to_owned(),
            ));
        }
        if let Some(at) = cut_by_comment(&source, &raw.reason) {
            problems.push(diagnostic(
                &at,
                field("reason"),
                "the reason stops before ` #`, which starts a YAML comment: quote the reason (reason: \"… (issue #123)\")".to_owned(),
            ));
        }
        let mut version = |name: &str, value: &Option<Spanned<String>>| {
            let value = value.as_ref()?;
            let parsed = Version::parse(&value.value);
            if parsed.is_none() {
                problems.push(diagnostic(
                    &value.referenced,
                    field(name),
                    format!(
                        "`{}` is not a version: expected a quoted string like \"8.1.0\"",
                        value.value
                    ),
                ));
            }
            parsed
        };
        let versions = VersionRange {
            since: version("since", &raw.since),
            until: version("until", &raw.until),
        };
        let expires = raw.expires.as_ref().and_then(|e| {
            let date = Date::parse(&e.value);
            if date.is_none() {
                problems.push(diagnostic(
                    &e.referenced,
                    field("expires"),
                    format!("`{}` is not a date: expected YYYY-MM-DD", e.value),
                ));
            }
            date
        });
        entries.push(Expectation {
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
        });
    }
    if problems.is_empty() {
        Ok(ExpectationsFile {
            path: path.to_owned(),
            entries,
            source,
        })
    } else {
        Err(ExpectationsError::Invalid(problems))
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

/// serde-saphyr prefixes its message with the position and appends a snippet; keep the
/// sentence, since the diagnostic renders position and snippet itself.
fn short_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.split_once(": ") {
        Some((position, rest)) if position.starts_with("line ") => rest.to_owned(),
        _ => first.to_owned(),
    }
}

impl ExpectationsFile {
    /// Fails with one diagnostic per entry whose case id is not among `ids` (the suite's).
    pub fn check_cases<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), ExpectationsError> {
        let known: BTreeSet<&str> = ids.into_iter().collect();
        let problems: Vec<Diagnostic> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !known.contains(e.case.as_str()))
            .map(|(index, e)| {
                Diagnostic::new(
                    self.path.clone(),
                    Some(self.source.clone()),
                    e.line,
                    e.column,
                    format!("expectations[{index}].case"),
                    format!("`{}` names no case of the suite", e.case),
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ExpectationsError::Invalid(problems))
        }
    }

    /// The entry that decides case `id`'s verdict in a run judged at `version` on `today`:
    /// the first that applies.
    pub fn entry_for(
        &self,
        id: &str,
        version: Option<&Version>,
        today: Date,
    ) -> Option<&Expectation> {
        self.entries
            .iter()
            .find(|e| e.case == id && e.applicability(version, today) == Applicability::Applies)
    }

    /// A warning for every entry that does not apply to a run judged at `version` on
    /// `today` (expired, or for other server versions).
    pub fn ignored(&self, version: Option<&Version>, today: Date) -> Vec<Warning> {
        let shown = version.map_or_else(|| "unknown".to_owned(), Version::to_string);
        self.entries
            .iter()
            .filter_map(|e| {
                let message = match e.applicability(version, today) {
                    Applicability::Applies => return None,
                    Applicability::Expired(on) => format!(
                        "the entry expired on {on} and is ignored: the case must pass again, or the entry needs a new date"
                    ),
                    Applicability::OtherVersion => format!(
                        "the entry is for server versions {}, the run was judged at {shown}; ignored",
                        e.describe_versions()
                    ),
                };
                Some(Warning {
                    file: self.path.clone(),
                    line: e.line,
                    case: e.case.clone(),
                    message,
                })
            })
            .collect()
    }
}

/// Whether a verdict means the case's expectations held.
fn passed(verdict: Verdict) -> bool {
    matches!(
        verdict,
        Verdict::Pass | Verdict::Flaky | Verdict::UnexpectedPass
    )
}

/// The verdict the case got before any expectations file was applied, if it failed.
fn failed_as(record: &CaseRecord) -> Option<ExpectedVerdict> {
    match record.verdict {
        Verdict::Fail => Some(ExpectedVerdict::Fail),
        Verdict::Error => Some(ExpectedVerdict::Error),
        // An error record has no calls: its setup never got that far.
        Verdict::ExpectedFail if record.calls.is_empty() => Some(ExpectedVerdict::Error),
        Verdict::ExpectedFail => Some(ExpectedVerdict::Fail),
        _ => None,
    }
}

/// Applies one `entry` to the `record` of its case: a case that fails as listed becomes
/// `expected-fail`, one that passes becomes `unexpected-pass`; a skipped case, or one that
/// failed otherwise than listed, keeps its verdict (the reason says what was listed).
pub fn judge(record: &mut CaseRecord, entry: &Expectation) {
    let link = entry
        .link
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let listed = format!("{}{link}", entry.reason);
    match record.verdict {
        Verdict::Skipped | Verdict::ExpectedFail => {}
        v if passed(v) => {
            record.verdict = Verdict::UnexpectedPass;
            record.reason = Some(format!(
                "the expectations file lists it as `{}` ({listed}) but it passed: remove the entry (`rc-conform expectations update`)",
                entry.verdict.name()
            ));
        }
        _ => {
            let original = record.reason.take();
            if failed_as(record) == Some(entry.verdict) {
                record.verdict = Verdict::ExpectedFail;
                record.reason = Some(match original {
                    Some(o) => format!("expected {}: {listed}; {o}", entry.verdict.name()),
                    None => format!("expected {}: {listed}", entry.verdict.name()),
                });
            } else {
                let note = format!(
                    "the expectations file lists it as `{}` ({listed})",
                    entry.verdict.name()
                );
                record.reason = Some(match original {
                    Some(o) => format!("{o}; {note}"),
                    None => note,
                });
            }
        }
    }
}

/// Applies `file` to every record of `report` (at the report's judged version, on `today`),
/// recomputes the totals, and returns a warning for every entry that was not applied.
/// Entries for cases the report does not hold (another partition, a filter) are left alone.
pub fn apply(report: &mut RunReport, file: &ExpectationsFile, today: Date) -> Vec<Warning> {
    let version = Version::parse(&report.run.judged_version);
    for record in &mut report.cases {
        if let Some(entry) = file.entry_for(&record.id, version.as_ref(), today) {
            judge(record, entry);
        }
    }
    report.totals = report.cases.iter().fold(Totals::default(), |mut t, c| {
        t.add(c.verdict);
        t
    });
    file.ignored(version.as_ref(), today)
}

/// The result of rewriting an expectations file from a report.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// The new entries, in file order: the kept ones, then the added ones.
    pub entries: Vec<Expectation>,
    /// Case ids of the entries added (with [`TODO_REASON`]).
    pub added: Vec<String>,
    /// Case ids of the entries removed (their cases now pass).
    pub removed: Vec<String>,
    /// How many entries were kept.
    pub kept: usize,
    /// Entries kept that need a person's attention.
    pub warnings: Vec<Warning>,
}

/// Rewrites `existing` (or an empty file) from `report`: every case that fails or errors is
/// listed (an existing entry keeps its reason, link and conditions), entries whose cases now
/// pass are removed, entries for cases the report does not run are kept.
pub fn update(existing: Option<&ExpectationsFile>, report: &RunReport, today: Date) -> Update {
    let version = Version::parse(&report.run.judged_version);
    let mut out = Update::default();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let path = existing.map(|f| f.path.clone()).unwrap_or_default();
    for entry in existing.map(|f| f.entries.as_slice()).unwrap_or_default() {
        let record = report.cases.iter().find(|c| c.id == entry.case);
        let Some(record) = record.filter(|r| r.verdict != Verdict::Skipped) else {
            out.entries.push(entry.clone());
            continue;
        };
        let failing = failed_as(record);
        match (entry.applicability(version.as_ref(), today), failing) {
            (Applicability::OtherVersion, _) => out.entries.push(entry.clone()),
            (Applicability::Expired(on), Some(_)) => {
                covered.insert(&record.id);
                out.warnings.push(Warning {
                    file: path.clone(),
                    line: entry.line,
                    case: entry.case.clone(),
                    message: format!(
                        "the entry expired on {on} and the case still fails: give it a new date or fix the target"
                    ),
                });
                out.entries.push(entry.clone());
            }
            (Applicability::Applies, Some(now)) => {
                let mut kept = entry.clone();
                if covered.insert(&record.id) {
                    kept.verdict = now;
                }
                out.entries.push(kept);
            }
            (_, None) => out.removed.push(entry.case.clone()),
        }
    }
    out.kept = out.entries.len();
    for record in &report.cases {
        if let Some(verdict) = failed_as(record)
            && covered.insert(&record.id)
        {
            out.entries
                .push(Expectation::new(record.id.clone(), verdict, TODO_REASON));
            out.added.push(record.id.clone());
        }
    }
    out
}

/// `entries` as an expectations file.
pub fn render(entries: &[Expectation]) -> String {
    // Every string is written as a JSON string, which is a valid YAML double-quoted scalar.
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"));
    let mut out = String::from(
        "# Known deviations of the target: a listed case that fails as listed is `expected-fail`,\n\
         # one that passes is `unexpected-pass` and fails the run. See README, \"Expectations file\".\n",
    );
    if entries.is_empty() {
        out.push_str("expectations: []\n");
        return out;
    }
    out.push_str("expectations:\n");
    for e in entries {
        out.push_str(&format!("  - case: {}\n", quote(&e.case)));
        out.push_str(&format!("    verdict: {}\n", e.verdict.name()));
        out.push_str(&format!("    reason: {}\n", quote(&e.reason)));
        if let Some(link) = &e.link {
            out.push_str(&format!("    link: {}\n", quote(link)));
        }
        if let Some(since) = &e.since {
            out.push_str(&format!("    since: {}\n", quote(since)));
        }
        if let Some(until) = &e.until {
            out.push_str(&format!("    until: {}\n", quote(until)));
        }
        if let Some(expires) = e.expires {
            out.push_str(&format!("    expires: {expires}\n"));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::model::{CallRecord, CleanupRecord, FORMAT_VERSION, RunMeta};

    /// A record of case `id` with `verdict` (a failing one has a call with a mismatch).
    pub(crate) fn record(id: &str, verdict: Verdict, location: &str) -> CaseRecord {
        let call = CallRecord {
            expected: serde_json::json!({"status": 200}),
            expectation_source: "default".into(),
            status: Some(400),
            mismatches: vec!["status: expected 200, got 400".into()],
            schema_violations: Vec::new(),
            transcript: Vec::new(),
            curl: String::new(),
        };
        CaseRecord {
            id: id.into(),
            title: format!("the case {id}"),
            endpoint: "channels.invite".into(),
            premise: "add-user-to-joined-room".into(),
            room_type: Some("c".into()),
            cell: "cell".into(),
            source: "docs".into(),
            divergence: None,
            location: location.into(),
            verdict,
            reason: (verdict == Verdict::Error).then(|| "setup could not be provisioned".into()),
            duration_ms: 5,
            calls: match verdict {
                Verdict::Error | Verdict::Skipped => Vec::new(),
                _ => vec![call],
            },
            setup_transcript: Vec::new(),
        }
    }

    /// A report of `cases` judged at 8.5.0.
    pub(crate) fn report(cases: Vec<CaseRecord>) -> RunReport {
        let mut totals = Totals::default();
        for c in &cases {
            totals.add(c.verdict);
        }
        RunReport {
            format_version: FORMAT_VERSION,
            run: RunMeta {
                run_id: "abc234".into(),
                target: "http://127.0.0.1:3000".into(),
                embedded: true,
                server_version: Some("8.5.0".into()),
                judged_version: "8.5.0".into(),
                tool_version: "0.1.0".into(),
                cases_commit: None,
                started_at: "2026-11-23T05:00:00.000Z".into(),
                finished_at: "2026-11-23T05:01:00.000Z".into(),
                filter: None,
                partition: None,
                preflight: vec!["server version 8.5.0".into()],
            },
            totals,
            cases,
            divergences: Vec::new(),
            cleanup: CleanupRecord::default(),
            requests: Vec::new(),
        }
    }

    fn today() -> Date {
        Date::parse("2026-11-23").expect("a date")
    }

    fn file(text: &str) -> ExpectationsFile {
        parse(Utf8Path::new("expectations.yaml"), text).expect("a valid file")
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(Utf8Path::new("expectations.yaml"), text) {
            Err(ExpectationsError::Invalid(d)) => d.iter().map(ToString::to_string).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    const FULL: &str = r#"expectations:
  - case: a/fails
    verdict: fail
    reason: our fork accepts archived channels
    link: https://tracker.example/123#c4
    since: "7.0.0"
    until: "9.0.0"
    expires: 2027-01-31
  - case: b/errors
    verdict: error
    reason: "no users.create here (issue #9)"
"#;

    #[test]
    fn a_full_entry_is_read_with_every_field_and_its_position() {
        let f = file(FULL);
        let e = &f.entries[0];
        assert_eq!(e.case, "a/fails");
        assert_eq!(e.verdict, ExpectedVerdict::Fail);
        assert_eq!(e.link.as_deref(), Some("https://tracker.example/123#c4"));
        assert_eq!(e.versions.since, Version::parse("7.0.0"));
        assert_eq!(e.versions.until, Version::parse("9.0.0"));
        assert_eq!(e.expires, Date::parse("2027-01-31"));
        assert_eq!((e.line, e.column), (2, 11));
        assert_eq!(f.entries[1].verdict, ExpectedVerdict::Error);
        assert_eq!(f.entries[1].reason, "no users.create here (issue #9)");
    }

    #[test]
    fn bad_entries_are_reported_with_file_line_and_column() {
        let unknown = problems(
            "expectations:\n  - case: a\n    verdict: fail\n    reason: r\n    owner: me\n",
        );
        assert_eq!(unknown.len(), 1);
        assert!(
            unknown[0]
                .starts_with("expectations.yaml:5:5: expectations[0].owner: unknown field `owner`"),
            "{unknown:?}"
        );
        let verdict = problems("expectations:\n  - case: a\n    verdict: pass\n    reason: r\n");
        assert!(
            verdict[0].starts_with("expectations.yaml:3:"),
            "{verdict:?}"
        );
        assert!(verdict[0].contains("unknown variant `pass`"), "{verdict:?}");
        let missing = problems("expectations:\n  - case: a\n    verdict: fail\n");
        assert!(missing[0].contains("missing field `reason`"), "{missing:?}");
        let several = problems(
            "expectations:\n  - case: a\n    verdict: fail\n    reason: \" \"\n    since: 7.x\n    expires: 2027-02-30\n",
        );
        assert_eq!(several.len(), 3, "{several:?}");
        assert!(
            several[0]
                .starts_with("expectations.yaml:4:13: expectations[0].reason: the reason is empty")
        );
        assert!(
            several[1].starts_with(
                "expectations.yaml:5:12: expectations[0].since: `7.x` is not a version"
            )
        );
        assert!(several[2].starts_with(
            "expectations.yaml:6:14: expectations[0].expires: `2027-02-30` is not a date"
        ));
    }

    #[test]
    fn a_reason_cut_by_a_yaml_comment_is_an_error() {
        let cut = problems(
            "expectations:\n  - case: a\n    verdict: fail\n    reason: fails (issue #123)\n",
        );
        assert!(
            cut[0].starts_with(
                "expectations.yaml:4:13: expectations[0].reason: the reason stops before ` #`"
            ),
            "{cut:?}"
        );
        // A comment on its own line, or a quoted `#`, is fine.
        file(
            "expectations:\n  # the fork\n  - case: a\n    verdict: fail\n    reason: \"fails (issue #123)\"\n",
        );
    }

    #[test]
    fn entries_naming_no_case_of_the_suite_are_reported_where_they_are() {
        let f = file(FULL);
        assert!(f.check_cases(["a/fails", "b/errors", "c"]).is_ok());
        let Err(ExpectationsError::Invalid(d)) = f.check_cases(["a/fails"]) else {
            panic!("b/errors is unknown");
        };
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "expectations.yaml:9:11: expectations[1].case: `b/errors` names no case of the suite"
        );
    }

    #[test]
    fn dates_are_real_calendar_days() {
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2100-02-29").is_none());
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("2027-1-01").is_none());
        assert!(Date::parse("+027-01-01").is_none());
        assert!(Date::parse("2027-01-31") < Date::parse("2027-02-01"));
        assert_eq!(today().to_string(), "2026-11-23");
        assert_eq!(Date::today().to_string().len(), 10);
    }

    #[test]
    fn a_case_that_fails_as_listed_is_an_expected_failure_and_one_that_passes_is_not() {
        let f = file(FULL);
        let mut r = report(vec![
            record("a/fails", Verdict::Fail, "x:1:1"),
            record("b/errors", Verdict::Error, "x:2:1"),
            record("c", Verdict::Fail, "x:3:1"),
        ]);
        let warnings = apply(&mut r, &f, today());
        assert!(warnings.is_empty(), "{warnings:?}");
        let verdicts: Vec<Verdict> = r.cases.iter().map(|c| c.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::ExpectedFail, Verdict::ExpectedFail, Verdict::Fail]
        );
        assert!(!r.cases[0].verdict.fails_gate() && r.cases[2].verdict.fails_gate());
        assert_eq!(
            r.cases[0].reason.as_deref(),
            Some(
                "expected fail: our fork accepts archived channels (https://tracker.example/123#c4)"
            )
        );
        assert_eq!(
            r.cases[1].reason.as_deref(),
            Some("expected error: no users.create here (issue #9); setup could not be provisioned")
        );
        assert_eq!(
            (r.totals.expected_fail, r.totals.fail, r.totals.error),
            (2, 1, 0)
        );

        let mut passing = report(vec![
            record("a/fails", Verdict::Pass, "x:1:1"),
            record("b/errors", Verdict::Flaky, "x:2:1"),
        ]);
        apply(&mut passing, &f, today());
        assert!(
            passing
                .cases
                .iter()
                .all(|c| c.verdict == Verdict::UnexpectedPass)
        );
        assert!(passing.cases.iter().all(|c| c.verdict.fails_gate()));
        assert_eq!(
            (passing.totals.unexpected_pass, passing.totals.pass),
            (2, 0)
        );
        // Applying twice changes nothing more.
        let again = passing.clone();
        apply(&mut passing, &f, today());
        assert_eq!(passing, again);
    }

    #[test]
    fn a_case_that_fails_otherwise_than_listed_keeps_its_verdict() {
        let f = file(FULL);
        let mut r = report(vec![
            record("a/fails", Verdict::Error, "x:1:1"),
            record("b/errors", Verdict::Fail, "x:2:1"),
            record("c", Verdict::Skipped, "x:3:1"),
        ]);
        apply(&mut r, &f, today());
        assert_eq!(r.cases[0].verdict, Verdict::Error);
        assert!(
            r.cases[0]
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("lists it as `fail`"))
        );
        assert_eq!(r.cases[1].verdict, Verdict::Fail);
        assert_eq!(r.cases[2].verdict, Verdict::Skipped);
    }

    #[test]
    fn expired_and_other_version_entries_do_not_apply_and_are_named() {
        let f = file(FULL);
        let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
        let later = Date::parse("2027-02-01").expect("date");
        let warnings = apply(&mut r, &f, later);
        assert_eq!(r.cases[0].verdict, Verdict::Fail);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].to_string(),
            "expectations.yaml:2: `a/fails`: the entry expired on 2027-01-31 and is ignored: the case must pass again, or the entry needs a new date"
        );
        // Still applies on its last day.
        let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
        apply(&mut r, &f, Date::parse("2027-01-31").expect("date"));
        assert_eq!(r.cases[0].verdict, Verdict::ExpectedFail);

        let mut r = report(vec![record("a/fails", Verdict::Fail, "x:1:1")]);
        r.run.judged_version = "9.0.0".into();
        let warnings = apply(&mut r, &f, today());
        assert_eq!(r.cases[0].verdict, Verdict::Fail);
        assert!(
            warnings[0]
                .message
                .contains("7.0.0 up to (not including) 9.0.0, the run was judged at 9.0.0"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_first_entry_that_applies_decides() {
        let f = file(
            "expectations:\n  - case: a\n    verdict: error\n    reason: on 9\n    since: \"9.0.0\"\n  - case: a\n    verdict: fail\n    reason: before 9\n",
        );
        let v8 = Version::parse("8.5.0");
        let v9 = Version::parse("9.1.0");
        assert_eq!(
            f.entry_for("a", v8.as_ref(), today()).map(|e| e.verdict),
            Some(ExpectedVerdict::Fail)
        );
        assert_eq!(
            f.entry_for("a", v9.as_ref(), today()).map(|e| e.verdict),
            Some(ExpectedVerdict::Error)
        );
        assert_eq!(
            f.entry_for("a", None, today()).map(|e| e.verdict),
            Some(ExpectedVerdict::Fail)
        );
    }

    #[test]
    fn update_lists_every_failure_keeps_reasons_and_drops_passing_cases() {
        let existing = file(
            r#"expectations:
  - case: still/fails
    verdict: fail
    reason: known (issue 1)
    link: https://tracker.example/1
  - case: now/passes
    verdict: fail
    reason: fixed since
  - case: not/run
    verdict: error
    reason: other partition
  - case: old/expired
    verdict: fail
    reason: was to be fixed
    expires: 2020-01-01
  - case: on/nine
    verdict: fail
    reason: only on 9
    since: "9.0.0"
"#,
        );
        let r = report(vec![
            record("still/fails", Verdict::ExpectedFail, "x:1:1"),
            record("now/passes", Verdict::UnexpectedPass, "x:2:1"),
            record("old/expired", Verdict::Fail, "x:3:1"),
            record("on/nine", Verdict::Fail, "x:4:1"),
            record("new/error", Verdict::Error, "x:5:1"),
            record("new/pass", Verdict::Pass, "x:6:1"),
        ]);
        let u = update(Some(&existing), &r, today());
        let listed: Vec<(&str, &str, &str)> = u
            .entries
            .iter()
            .map(|e| (e.case.as_str(), e.verdict.name(), e.reason.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("still/fails", "fail", "known (issue 1)"),
                ("not/run", "error", "other partition"),
                ("old/expired", "fail", "was to be fixed"),
                ("on/nine", "fail", "only on 9"),
                ("on/nine", "fail", TODO_REASON),
                ("new/error", "error", TODO_REASON),
            ]
        );
        assert_eq!(
            u.entries[0].link.as_deref(),
            Some("https://tracker.example/1")
        );
        assert_eq!(u.removed, ["now/passes"]);
        assert_eq!(u.added, ["on/nine", "new/error"]);
        assert_eq!(u.kept, 4);
        assert_eq!(u.warnings.len(), 1);
        assert!(
            u.warnings[0]
                .message
                .contains("expired on 2020-01-01 and the case still fails")
        );

        // The rendered file reads back as the same entries, and applying it passes the gate
        // except for the expired entry.
        let text = render(&u.entries);
        let back = file(&text);
        let strip = |es: &[Expectation]| -> Vec<Expectation> {
            es.iter()
                .map(|e| Expectation {
                    line: 0,
                    column: 0,
                    ..e.clone()
                })
                .collect()
        };
        assert_eq!(strip(&back.entries), strip(&u.entries));
        // The next run, before any file is applied, has the plain verdicts.
        let mut again = r.clone();
        for c in &mut again.cases {
            c.verdict = match c.verdict {
                Verdict::ExpectedFail => Verdict::Fail,
                Verdict::UnexpectedPass => Verdict::Pass,
                v => v,
            };
        }
        apply(&mut again, &back, today());
        let failing: Vec<&str> = again
            .cases
            .iter()
            .filter(|c| c.verdict.fails_gate())
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failing, ["old/expired"]);
    }

    #[test]
    fn update_without_a_file_writes_every_failure_and_an_empty_list_reads_back() {
        let r = report(vec![
            record("a", Verdict::Fail, "x:1:1"),
            record("b", Verdict::Pass, "x:2:1"),
        ]);
        let u = update(None, &r, today());
        assert_eq!(u.added, ["a"]);
        let text = render(&u.entries);
        assert!(
            text.contains("  - case: \"a\"\n    verdict: fail\n    reason: \"TODO: explain\"\n"),
            "{text}"
        );
        assert!(file(&render(&[])).entries.is_empty());
        // Strings that need quoting survive.
        let mut tricky = Expectation::new("a", ExpectedVerdict::Fail, "a \"quoted\" #1: yes\nno");
        tricky.expires = Date::parse("2027-01-31");
        let back = file(&render(std::slice::from_ref(&tricky)));
        assert_eq!(back.entries[0].reason, tricky.reason);
        assert_eq!(back.entries[0].expires, tricky.expires);
    }
}
