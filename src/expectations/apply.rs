//! Applying the expectations file to a case's record (the run's verdict stage does, case by
//! case): expected failures, unexpected passes, and entries that no longer apply.

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

/// The verdict a case got before any expectations file was applied, as an entry names it,
/// if the case did not hold.
pub(super) fn failed_as(record: &CaseRecord) -> Option<ExpectedVerdict> {
    match record.verdict {
        Verdict::Fail => Some(ExpectedVerdict::Fail),
        Verdict::Error => Some(ExpectedVerdict::Error),
        Verdict::NonStrict => Some(ExpectedVerdict::NonStrict),
        Verdict::ExpectedFail => match record.listed {
            Some(Verdict::Error) => Some(ExpectedVerdict::Error),
            Some(Verdict::NonStrict) => Some(ExpectedVerdict::NonStrict),
            _ => Some(ExpectedVerdict::Fail),
        },
        _ => None,
    }
}

/// Applies one `entry` to the `record` of its case: a case that fails as listed becomes
/// `expected-fail` (the listed verdict kept in `record.listed`), one that holds becomes
/// `unexpected-pass`; a skipped case, or one that failed otherwise than listed, keeps its
/// verdict (the reason says what was listed).
pub fn settle(record: &mut CaseRecord, entry: &Expectation) {
    let link = entry
        .link
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let listed = format!("{}{link}", entry.reason);
    match record.verdict {
        Verdict::Skipped | Verdict::ExpectedFail => {}
        v if v.held() && v != Verdict::NonStrict => {
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
                record.listed = Some(entry.verdict.verdict());
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
