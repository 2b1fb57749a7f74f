//! Applying the expectations file to a finished report: expected failures, unexpected
//! passes, and entries that no longer apply.

use super::*;

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
pub(super) fn failed_as(record: &CaseRecord) -> Option<ExpectedVerdict> {
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
