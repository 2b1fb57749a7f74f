//! The expectations file: known deviations of a target, kept outside the cases (as
//! wptrunner's expectation files are), each with its reason, an optional link, an optional
//! server-version condition and an optional expiry date.
//!
//! This module loads the file (strict YAML, unknown keys rejected, every problem as
//! `file:line:column`), says what an entry does to a case's record (the run's verdict stage
//! applies it: a case that fails as listed becomes `expected-fail`, a listed case that
//! passes becomes `unexpected-pass`) and rewrites the file from a report
//! (`rc-conform expectations update`). Everything here is a pure function over values: it
//! never runs a case, and it never touches a server.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use crate::case::{Diagnostic, Version, VersionRange};
use crate::report::model::{CaseRecord, RunReport};
use crate::verdict::Verdict;

mod apply;
mod load;
mod update;

use apply::failed_as;
pub use apply::settle;
pub use load::{load, parse};
pub use update::{Update, render, update};

#[cfg(test)]
pub(crate) mod tests;

/// The reason `expectations update` gives an entry it adds.
pub const TODO_REASON: &str = "TODO: explain";

/// The verdict an entry expects of its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedVerdict {
    /// Some expectation of the case does not hold.
    Fail,
    /// The case's setup cannot be provisioned on the target.
    Error,
    /// The contract holds, an exact detail differs from Rocket.Chat (matters with `--strict`).
    NonStrict,
}

impl ExpectedVerdict {
    /// The name used in the file.
    pub fn name(self) -> &'static str {
        match self {
            ExpectedVerdict::Fail => "fail",
            ExpectedVerdict::Error => "error",
            ExpectedVerdict::NonStrict => "non-strict",
        }
    }

    /// The verdict a case has when it fails as listed.
    pub fn verdict(self) -> Verdict {
        match self {
            ExpectedVerdict::Fail => Verdict::Fail,
            ExpectedVerdict::Error => Verdict::Error,
            ExpectedVerdict::NonStrict => Verdict::NonStrict,
        }
    }
}

/// A calendar date, `YYYY-MM-DD`, as `expires` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

impl Date {
    /// Parses `YYYY-MM-DD` (a real date of the Gregorian calendar, four-digit year).
    pub fn parse(text: &str) -> Option<Date> {
        let shape = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape {
            return None;
        }
        text.parse::<jiff::civil::Date>().ok().map(Date)
    }

    /// Today, in UTC.
    pub fn today() -> Date {
        Date(crate::clock::Moment::today())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%d"))
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
