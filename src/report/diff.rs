//! Comparing two reports case by case (`rc-conform diff OLD NEW`): what regressed, what was
//! fixed, which cases are new or gone, and every other verdict change.
//!
//! A case *passed* when its verdict is `pass`, `flaky` or `unexpected-pass` (its expectations
//! held) and *failed* when it is `fail`, `error` or `expected-fail`. A regression is a case
//! that passed and now fails or errors; `expected-fail` is not a regression, since an
//! expectations file accepted it. A fix is a case that failed and now passes. A client that
//! was `ok` and is `broken` in the new report (a release that breaks it) counts as a
//! regression too. Pure: reading the files and printing are the caller's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::clients::ClientChange;
use super::model::{RunReport, Verdict};
use crate::api::CaseId;

/// A case whose verdict changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The case id.
    pub id: CaseId,
    /// Its verdict in the old report.
    pub old: Verdict,
    /// Its verdict in the new report.
    pub new: Verdict,
}

/// The differences between two reports, each list in the new report's case order (removed
/// cases in the old one's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Passed before, fail or error now.
    pub regressions: Vec<Change>,
    /// Failed before, pass now.
    pub fixes: Vec<Change>,
    /// Verdict changes that are neither (`pass` → `flaky`, anything ↔ `skipped`, …).
    pub other: Vec<Change>,
    /// Cases only the new report has, with their verdict.
    pub added: Vec<(CaseId, Verdict)>,
    /// Cases only the old report has, with their verdict.
    pub removed: Vec<(CaseId, Verdict)>,
    /// Clients ok in the old report and broken in the new one (a release that breaks them).
    pub clients_broken: Vec<ClientChange>,
    /// Clients broken in the old report and ok in the new one.
    pub clients_fixed: Vec<ClientChange>,
}

fn passed(v: Verdict) -> bool {
    matches!(v, Verdict::Pass | Verdict::Flaky | Verdict::UnexpectedPass)
}

fn failed(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Error | Verdict::ExpectedFail)
}

/// Compares `old` with `new`.
pub fn diff(old: &RunReport, new: &RunReport) -> Diff {
    let before: BTreeMap<&str, Verdict> = old
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.verdict))
        .collect();
    let after: BTreeMap<&str, Verdict> = new
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.verdict))
        .collect();
    let mut out = Diff::default();
    for case in &new.cases {
        let Some(&was) = before.get(case.id.as_str()) else {
            out.added.push((case.id.clone(), case.verdict));
            continue;
        };
        let change = Change {
            id: case.id.clone(),
            old: was,
            new: case.verdict,
        };
        if was == case.verdict {
            continue;
        } else if passed(was) && matches!(case.verdict, Verdict::Fail | Verdict::Error) {
            out.regressions.push(change);
        } else if failed(was) && passed(case.verdict) {
            out.fixes.push(change);
        } else {
            out.other.push(change);
        }
    }
    out.removed = old
        .cases
        .iter()
        .filter(|c| !after.contains_key(c.id.as_str()))
        .map(|c| (c.id.clone(), c.verdict))
        .collect();
    (out.clients_broken, out.clients_fixed) = super::clients::changes(old, new);
    out
}

impl Diff {
    /// Whether a case regressed or a client broke (the diff's exit code is 1 then).
    pub fn has_regressions(&self) -> bool {
        !self.regressions.is_empty() || !self.clients_broken.is_empty()
    }

    /// Whether the two reports agree on every case.
    pub fn is_empty(&self) -> bool {
        self.regressions.is_empty()
            && self.fixes.is_empty()
            && self.other.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.clients_broken.is_empty()
            && self.clients_fixed.is_empty()
    }

    /// The diff as Markdown-like plain text; `old_name` and `new_name` label the reports.
    pub fn render(
        &self,
        old: &RunReport,
        new: &RunReport,
        old_name: &str,
        new_name: &str,
    ) -> String {
        let mut out = String::new();
        let describe = |r: &RunReport| {
            format!(
                "run {}, {}, Rocket.Chat {}",
                r.run.run_id,
                r.run.started_at,
                r.run.server_version.as_deref().unwrap_or("version unknown")
            )
        };
        let _ = writeln!(out, "# rc-conform diff\n");
        let _ = writeln!(out, "- old: {old_name} ({})", describe(old));
        let _ = writeln!(out, "- new: {new_name} ({})", describe(new));
        let changes = |out: &mut String, title: &str, list: &[Change]| {
            if !list.is_empty() {
                let _ = writeln!(out, "\n## {title} ({})\n", list.len());
                for c in list {
                    let _ = writeln!(out, "- {}: {} → {}", c.id, c.old.name(), c.new.name());
                }
            }
        };
        let cases = |out: &mut String, title: &str, list: &[(CaseId, Verdict)]| {
            if !list.is_empty() {
                let _ = writeln!(out, "\n## {title} ({})\n", list.len());
                for (id, v) in list {
                    let _ = writeln!(out, "- {id}: {}", v.name());
                }
            }
        };
        let clients = |out: &mut String, title: &str, list: &[ClientChange]| {
            if !list.is_empty() {
                let _ = writeln!(out, "\n## {title} ({})\n", list.len());
                for c in list {
                    let _ = writeln!(out, "- {} ({}): {}", c.name, c.id, c.details);
                }
            }
        };
        clients(
            &mut out,
            "Clients the new report breaks",
            &self.clients_broken,
        );
        changes(&mut out, "Regressions", &self.regressions);
        changes(&mut out, "Fixes", &self.fixes);
        cases(&mut out, "New cases", &self.added);
        cases(&mut out, "Removed cases", &self.removed);
        changes(&mut out, "Other verdict changes", &self.other);
        clients(
            &mut out,
            "Clients the new report fixes",
            &self.clients_fixed,
        );
        let _ = writeln!(
            out,
            "\n{} regression(s), {} fix(es), {} new, {} removed, {} other change(s)",
            self.regressions.len(),
            self.fixes.len(),
            self.added.len(),
            self.removed.len(),
            self.other.len()
        );
        if !self.clients_broken.is_empty() || !self.clients_fixed.is_empty() {
            let _ = writeln!(
                out,
                "{} client(s) broken, {} client(s) fixed",
                self.clients_broken.len(),
                self.clients_fixed.len()
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expectations::tests::{record, report};

    #[test]
    fn changes_are_sorted_into_regressions_fixes_and_the_rest() {
        use Verdict::{Error, ExpectedFail, Fail, Flaky, Pass, Skipped, UnexpectedPass};
        // Each case's verdict in the old and the new report (None: not in that report).
        let table = [
            ("regressed", Some(Pass), Some(Fail)),
            ("errors-now", Some(Flaky), Some(Error)),
            ("fixed", Some(Fail), Some(Pass)),
            ("fixed-expected", Some(ExpectedFail), Some(UnexpectedPass)),
            ("accepted", Some(Pass), Some(ExpectedFail)),
            ("same", Some(Fail), Some(Fail)),
            ("gone", Some(Pass), None),
            ("born", None, Some(Skipped)),
        ];
        type Row<'r> = (&'r str, Option<Verdict>, Option<Verdict>);
        let side = |pick: fn(&Row<'_>) -> Option<Verdict>| {
            let records = table.iter().enumerate().filter_map(|(line, row)| {
                pick(row).map(|v| record(row.0, v, &format!("x:{}:1", line + 1)))
            });
            report(records.collect())
        };
        let (old, new) = (side(|r| r.1), side(|r| r.2));
        let d = diff(&old, &new);
        let ids = |l: &[Change]| l.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.regressions), ["regressed", "errors-now"]);
        assert_eq!(ids(&d.fixes), ["fixed", "fixed-expected"]);
        assert_eq!(ids(&d.other), ["accepted"]);
        assert_eq!(d.added, [("born".into(), Verdict::Skipped)]);
        assert_eq!(d.removed, [("gone".into(), Verdict::Pass)]);
        assert!(d.has_regressions());
        let text = d.render(&old, &new, "old.json", "new.json");
        assert!(
            text.contains(
                "## Regressions (2)\n\n- regressed: pass → fail\n- errors-now: flaky → error\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("## Removed cases (1)\n\n- gone: pass\n"),
            "{text}"
        );
        assert!(
            text.ends_with("2 regression(s), 2 fix(es), 1 new, 1 removed, 1 other change(s)\n"),
            "{text}"
        );
        assert!(diff(&old, &old).is_empty());
    }
}
