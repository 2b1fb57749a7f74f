//! Rewriting the expectations file from a report (`rc-conform expectations update`).

use super::*;

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

/// Rewrites `existing` (or an empty file) from `report`: every case that fails or errors (and,
/// of a strict run, every non-strict case) is listed (an existing entry keeps its reason, link and conditions), entries whose cases now
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
        // A non-strict case fails only a strict run: only then is it worth an entry.
        let listed = failed_as(record)
            .filter(|v| *v != ExpectedVerdict::NonStrict || report.run.strict);
        if let Some(verdict) = listed
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
