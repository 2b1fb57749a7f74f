//! Verdicts: what a case's outcome is called, how each verdict is shown (label, symbol,
//! mark, colour: the one place that maps them), how verdicts add up, and the gate: the exit
//! code a finished run stands for.
//!
//! A case's verdict is decided once, by the run's verdict stage (`run::verdict`); everything
//! else (the terminal, every report format, `merge`, `diff`) reads it from here.

use serde::{Deserialize, Serialize};

use crate::exit::Exit;

/// A case's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// The contract held; an exact or incidental detail differs from the Rocket.Chat line
    /// the target reports. Passes the gate unless the run is strict.
    NonStrict,
    /// Some contract expectation did not hold.
    Fail,
    /// Failed, as the expectations file says.
    ExpectedFail,
    /// Passed, although the expectations file says it fails.
    UnexpectedPass,
    /// Passed after a transport retry.
    Flaky,
    /// Not run.
    Skipped,
    /// The case could not be set up or its effects could not be read; it says nothing about
    /// conformance.
    Error,
}

impl Verdict {
    /// Every verdict, in the order reports list them.
    pub const ALL: [Verdict; 8] = [
        Verdict::Pass,
        Verdict::NonStrict,
        Verdict::Fail,
        Verdict::Error,
        Verdict::UnexpectedPass,
        Verdict::ExpectedFail,
        Verdict::Flaky,
        Verdict::Skipped,
    ];

    /// The verdict's name (`non-strict`), as report.json spells it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NonStrict => "non-strict",
            Verdict::Fail => "fail",
            Verdict::ExpectedFail => "expected-fail",
            Verdict::UnexpectedPass => "unexpected-pass",
            Verdict::Flaky => "flaky",
            Verdict::Skipped => "skipped",
            Verdict::Error => "error",
        }
    }

    /// The label of a count of cases with this verdict (`3 non-strict`, `2 errors`).
    pub fn plural(self) -> &'static str {
        match self {
            Verdict::Pass => "passed",
            Verdict::NonStrict => "non-strict",
            Verdict::Fail => "failed",
            Verdict::ExpectedFail => "expected failures",
            Verdict::UnexpectedPass => "unexpected passes",
            Verdict::Flaky => "flaky",
            Verdict::Skipped => "skipped",
            Verdict::Error => "errors",
        }
    }

    /// An emoji mark, as Markdown shows it.
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Pass => "✅",
            Verdict::NonStrict => "🔶",
            Verdict::Fail => "❌",
            Verdict::ExpectedFail => "🟡",
            Verdict::UnexpectedPass => "❗",
            Verdict::Flaky => "🔁",
            Verdict::Skipped => "⏭️",
            Verdict::Error => "💥",
        }
    }

    /// A plain symbol common system fonts have, as the HTML page shows it (it loads no font
    /// and cannot count on an emoji font).
    pub fn symbol(self) -> &'static str {
        match self {
            Verdict::Pass => "✓",
            Verdict::NonStrict => "◐",
            Verdict::Fail => "✗",
            Verdict::ExpectedFail => "≈",
            Verdict::UnexpectedPass => "!",
            Verdict::Flaky => "↻",
            Verdict::Skipped => "–",
            Verdict::Error => "‼",
        }
    }

    /// The terminal colour of the verdict.
    pub fn color(self) -> anstyle::AnsiColor {
        use anstyle::AnsiColor;
        match self {
            Verdict::Pass | Verdict::ExpectedFail => AnsiColor::Green,
            Verdict::NonStrict | Verdict::Flaky | Verdict::Skipped => AnsiColor::Yellow,
            Verdict::Fail | Verdict::UnexpectedPass | Verdict::Error => AnsiColor::Red,
        }
    }

    /// Whether this verdict fails the gate of a run that is `strict` or not.
    pub fn fails_gate(self, strict: bool) -> bool {
        match self {
            Verdict::Fail | Verdict::UnexpectedPass | Verdict::Error => true,
            Verdict::NonStrict => strict,
            Verdict::Pass | Verdict::ExpectedFail | Verdict::Flaky | Verdict::Skipped => false,
        }
    }

    /// Whether the case's expectations held as far as the run judges them: its contract held
    /// (`pass`, `flaky`, `non-strict`; `unexpected-pass` is a case that held).
    pub fn held(self) -> bool {
        matches!(
            self,
            Verdict::Pass | Verdict::Flaky | Verdict::NonStrict | Verdict::UnexpectedPass
        )
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts per verdict.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// Passed.
    pub pass: usize,
    /// The contract held, an exact or incidental detail differs.
    #[serde(default)]
    pub non_strict: usize,
    /// Failed.
    pub fail: usize,
    /// Failed as the expectations file says.
    pub expected_fail: usize,
    /// Passed although the expectations file says it fails.
    pub unexpected_pass: usize,
    /// Passed after a transport retry.
    pub flaky: usize,
    /// Not run (version condition, filter, a setup endpoint the target lacks).
    pub skipped: usize,
    /// Could not be set up or read back.
    pub error: usize,
}

impl Totals {
    /// The totals of `verdicts`.
    pub fn of(verdicts: impl IntoIterator<Item = Verdict>) -> Totals {
        let mut t = Totals::default();
        for v in verdicts {
            *t.slot(v) += 1;
        }
        t
    }

    /// How many cases have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::NonStrict => self.non_strict,
            Verdict::Fail => self.fail,
            Verdict::ExpectedFail => self.expected_fail,
            Verdict::UnexpectedPass => self.unexpected_pass,
            Verdict::Flaky => self.flaky,
            Verdict::Skipped => self.skipped,
            Verdict::Error => self.error,
        }
    }

    fn slot(&mut self, verdict: Verdict) -> &mut usize {
        match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::NonStrict => &mut self.non_strict,
            Verdict::Fail => &mut self.fail,
            Verdict::ExpectedFail => &mut self.expected_fail,
            Verdict::UnexpectedPass => &mut self.unexpected_pass,
            Verdict::Flaky => &mut self.flaky,
            Verdict::Skipped => &mut self.skipped,
            Verdict::Error => &mut self.error,
        }
    }

    /// Cases that ran (every verdict but `skipped`).
    pub fn ran(&self) -> usize {
        Verdict::ALL
            .iter()
            .filter(|v| **v != Verdict::Skipped)
            .map(|v| self.count(*v))
            .sum()
    }

    /// The totals as one line: `160 passed, 0 failed, …`.
    pub fn line(&self) -> String {
        [
            Verdict::Pass,
            Verdict::NonStrict,
            Verdict::Fail,
            Verdict::Error,
            Verdict::Flaky,
            Verdict::ExpectedFail,
            Verdict::UnexpectedPass,
            Verdict::Skipped,
        ]
        .iter()
        .map(|v| format!("{} {}", self.count(*v), v.plural()))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// What the gate looks at besides the verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunState {
    /// The run was interrupted.
    pub interrupted: bool,
    /// Cleanup left objects behind or could not undo a step.
    pub left_behind: bool,
    /// `non-strict` fails the gate.
    pub strict: bool,
}

/// The exit code a finished run stands for. When several apply, the first in this order
/// wins: interrupted (5), left behind (4), no case ran (6), a case fails the gate (1).
pub fn gate(totals: &Totals, state: RunState) -> Exit {
    let fails = Verdict::ALL
        .iter()
        .any(|v| v.fails_gate(state.strict) && totals.count(*v) > 0);
    if state.interrupted {
        Exit::Interrupted
    } else if state.left_behind {
        Exit::Leftovers
    } else if totals.ran() == 0 {
        Exit::NoCases
    } else if fails {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_strict_passes_the_gate_unless_the_run_is_strict() {
        let totals = Totals::of([Verdict::Pass, Verdict::NonStrict]);
        assert_eq!(gate(&totals, RunState::default()), Exit::Ok);
        let strict = RunState {
            strict: true,
            ..RunState::default()
        };
        assert_eq!(gate(&totals, strict), Exit::Failures);
    }

    #[test]
    fn the_gate_orders_interrupted_leftovers_nothing_ran_failures() {
        let failing = Totals::of([Verdict::Fail]);
        let all = RunState {
            interrupted: true,
            left_behind: true,
            strict: false,
        };
        assert_eq!(gate(&failing, all), Exit::Interrupted);
        let left = RunState {
            left_behind: true,
            ..RunState::default()
        };
        assert_eq!(gate(&failing, left), Exit::Leftovers);
        assert_eq!(
            gate(&Totals::of([Verdict::Skipped]), RunState::default()),
            Exit::NoCases
        );
        assert_eq!(gate(&failing, RunState::default()), Exit::Failures);
        assert_eq!(
            gate(
                &Totals::of([Verdict::ExpectedFail, Verdict::Flaky]),
                RunState::default()
            ),
            Exit::Ok
        );
    }

    #[test]
    fn totals_count_every_verdict() {
        let t = Totals::of(Verdict::ALL);
        for v in Verdict::ALL {
            assert_eq!(t.count(v), 1, "{v}");
        }
        assert_eq!(t.ran(), 7);
    }
}
