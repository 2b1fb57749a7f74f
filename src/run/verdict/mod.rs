//! The verdict stage: where a case's verdict is decided, once.
//!
//! Each call's findings (from [`super::judge`]) are weighed by the levels of the premise
//! model: a contract miss fails the case; an exact or incidental difference that is
//! established for the target's Rocket.Chat line makes it `non-strict`; a detail that is not
//! established for the line is recorded and not judged. State that could not be read makes
//! the case an `error`, a transport retry makes a passing case `flaky` (waits for the rate
//! limiter do not), a setup endpoint the target lacks makes it `skipped`, and the
//! expectations file has the last word. The stage produces finished [`CaseRecord`]s: nothing
//! after it changes a verdict, and the gate only reads them.

use std::sync::Arc;
use std::time::Duration;

use super::call::{Made, curl};
use super::judge::{Finding, judge};
use super::plan::Planned;
use super::predicted::Predicted;
use super::provision::{Fixtures, ProvisionError};
use super::record::{base, expectation_json, expectation_source};
use crate::case::{Body, Call, Case, Expectation, Version};
use crate::expectations::{Date, ExpectationsFile};
use crate::report::model::{CallRecord, CaseJudged, CaseRecord, Check, Compared, Effect, Mismatch};
use crate::spec::levels::Level;
use crate::spec::lines::Line;
use crate::spec::predict::{Decision, Prediction, version_of};
use crate::spec::premise::PremiseModel;
use crate::spec::schemas::SchemaRegistry;
use crate::target::Exchange;
use crate::verdict::Verdict;

/// Everything the verdict stage needs, owned, so that it can judge on another thread.
#[derive(Debug, Clone)]
pub struct VerdictStage {
    /// The premise model (levels, lines, predictions).
    pub model: Arc<PremiseModel>,
    /// The schemas bodies are checked against.
    pub schemas: Arc<SchemaRegistry>,
    /// The version the cases are judged at.
    pub version: Version,
    /// The target's line, when its reported version falls in one.
    pub line: Option<Line>,
    /// The known deviations of the target.
    pub expectations: Option<Arc<ExpectationsFile>>,
    /// The day expectation entries are judged on.
    pub today: Date,
    /// The cases' predictions made before the run (a case not among them is predicted when
    /// judged).
    pub predicted: Arc<Predicted>,
}

/// One call as it was made, with the fixtures it was made with.
#[derive(Debug)]
pub struct CalledCase<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its fixtures on the target.
    pub fixtures: &'a Fixtures,
    /// Each call made.
    pub made: Vec<Made>,
    /// Wall time of provisioning and calling.
    pub elapsed: Duration,
}

impl VerdictStage {
    /// The record of a case whose calls were made: each call judged and weighed, the
    /// verdict decided.
    pub fn called(&self, called: CalledCase<'_>) -> CaseRecord {
        let CalledCase {
            case,
            fixtures,
            made,
            elapsed,
        } = called;
        let at = self.prediction_version(case);
        let predictions = self.predicted.case(case, &at);
        let mut record = base(case);
        record.duration_ms = millis(elapsed);
        if let Some(first) = predictions.first() {
            self.place(&mut record, case, first);
        }
        let user_ids = fixtures.user_ids();
        let mut unread = Vec::new();
        for ((call, made), prediction) in case.calls.iter().zip(made).zip(predictions.iter()) {
            let expect = call.expectation_for(Some(&self.version));
            let judgement = judge(expect, &made.observed, &user_ids, &self.schemas);
            let compared = self.compared(call, expect, prediction);
            let body_is_json = made.observed.body.is_some();
            let mismatches = judgement
                .findings
                .into_iter()
                .map(|f| self.weigh(f, prediction, &compared, body_is_json))
                .collect();
            unread.extend(judgement.unread);
            record.calls.push(CallRecord {
                expected: expectation_json(expect),
                expectation_source: expectation_source(call, &self.version),
                compared,
                status: made.observed.status,
                mismatches,
                curl: curl(&made.exchange),
                transcript: made.transcript,
                reference: None,
            });
        }
        decide(&mut record, &unread, self.line.as_ref());
        self.finish(record)
    }

    /// The record of a case whose setup could not be provisioned: `skipped` when the target
    /// lacks an endpoint the setup needs, else `error`.
    pub fn setup_failed(
        &self,
        case: &Case,
        error: &ProvisionError,
        elapsed: Duration,
    ) -> CaseRecord {
        let mut record = base(case);
        record.duration_ms = millis(elapsed);
        record.setup_transcript = error.exchange().cloned().into_iter().collect();
        match (error.missing_endpoint(), error) {
            (Some(endpoint), _) => {
                record.verdict = Verdict::Skipped;
                record.reason = Some(format!(
                    "the target has no {endpoint} (it answered 404), which this case's setup needs"
                ));
            }
            (None, ProvisionError::Unavailable { .. }) => {
                record.verdict = Verdict::Skipped;
                record.reason = Some(format!("{error}, which this case's setup needs"));
            }
            (None, _) => {
                record.verdict = Verdict::Error;
                record.reason = Some(format!("setup could not be provisioned: {error}"));
            }
        }
        self.placed(record, case)
    }

    /// The record of a case stopped outside provisioning (grants, a panic), with `reason`.
    pub fn stopped(&self, case: &Case, reason: &str, transcript: Vec<Exchange>) -> CaseRecord {
        let mut record = base(case);
        record.verdict = Verdict::Error;
        record.reason = Some(reason.to_owned());
        record.setup_transcript = transcript;
        self.placed(record, case)
    }

    /// The record of a case that did not run.
    pub fn not_run(&self, planned: &Planned<'_>, interrupted: bool) -> CaseRecord {
        let mut record = base(planned.case);
        record.verdict = Verdict::Skipped;
        record.reason = Some(planned.skip.clone().unwrap_or_else(|| {
            if interrupted {
                "the run was interrupted before this case ran".into()
            } else {
                "not run".into()
            }
        }));
        self.placed(record, planned.case)
    }

    /// `record` placed in the model, with the expectations file applied.
    fn placed(&self, mut record: CaseRecord, case: &Case) -> CaseRecord {
        let at = self.prediction_version(case);
        if let Some(first) = self.predicted.case(case, &at).first() {
            self.place(&mut record, case, first);
        }
        self.finish(record)
    }

    /// The version a case is predicted at: the judged version, or the first its own
    /// condition admits when the judged version is outside it.
    fn prediction_version(&self, case: &Case) -> Version {
        if case.versions.contains(&self.version) {
            self.version.clone()
        } else {
            version_of(&self.model, case.versions.since.as_ref())
        }
    }

    fn place(&self, record: &mut CaseRecord, case: &Case, first: &Prediction) {
        record.room_type = first.placement.room_type;
        record.cell = crate::spec::coverage::cell_of(case.endpoint, &first.placement).to_string();
    }

    /// The expectations file's entry for the case, if one applies.
    fn finish(&self, mut record: CaseRecord) -> CaseRecord {
        if let Some(file) = &self.expectations
            && let Some(entry) = file.entry_for(&record.id, Some(&self.version), self.today)
        {
            crate::expectations::settle(&mut record, entry);
        }
        record
    }

    /// What a call's details are compared with: the target's line, whether the model's
    /// answer is established there, and whether the answer is incidental.
    fn compared(&self, call: &Call, expect: &Expectation, prediction: &Prediction) -> Compared {
        let levels = &self.model.levels;
        let refusal = (400..500).contains(&expect.status);
        let failure = failure_of(prediction);
        let incidental = if !refusal {
            None
        } else if let Some(kind) = failure.filter(|k| levels.incidental_failure(k)) {
            Some(format!(
                "`{kind}`: the answer comes from an accident of Rocket.Chat's code"
            ))
        } else {
            levels
                .outside_contract(&call.body)
                .map(|why| format!("input outside the documented contract: {why}"))
        };
        let established = self.line.as_ref().is_some_and(|line| {
            prediction.established.contains(&line.id)
                && (line.unparsed_bodies || !unparsed(&call.body))
        });
        Compared {
            line: self.line.as_ref().map(|l| l.id.to_string()),
            established,
            incidental,
        }
    }

    /// The level of a finding and what it does to the verdict.
    fn weigh(
        &self,
        finding: Finding,
        prediction: &Prediction,
        compared: &Compared,
        body_is_json: bool,
    ) -> Mismatch {
        let level = if compared.incidental.is_some() {
            incidental_level(&finding, body_is_json)
        } else {
            let kind = finding.check.kind();
            self.model
                .levels
                .level_of(kind, finding.check.pointer(), failure_of(prediction))
        };
        let effect = match level {
            Level::Contract => Effect::Fails,
            Level::Exact | Level::Incidental if compared.established => Effect::NonStrict,
            Level::Exact | Level::Incidental => Effect::Noted,
        };
        Mismatch::new(
            finding.check,
            finding.expected,
            finding.actual,
            level,
            effect,
        )
    }
}

/// The failure kind the model predicts for a call, if it predicts a failure.
fn failure_of(prediction: &Prediction) -> Option<&str> {
    match &prediction.placement.decision {
        Decision::Failure(kind) => Some(kind),
        Decision::Premise(_) => None,
    }
}

/// Whether `body` is sent as text that does not parse as a JSON object (its answer depends
/// on the router's body parsing).
fn unparsed(body: &Body) -> bool {
    match body {
        Body::Raw { text, .. } => !matches!(
            serde_json::from_str::<serde_json::Value>(text),
            Ok(serde_json::Value::Object(_))
        ),
        Body::Json(_) => false,
    }
}

/// The level of a finding on an incidental answer: the incidental contract (a 4xx status,
/// `success: false` when the body is JSON, nothing changed) stays contract; the rest is
/// incidental.
fn incidental_level(finding: &Finding, body_is_json: bool) -> Level {
    match &finding.check {
        Check::Response | Check::Members { .. } | Check::Counter { .. } => Level::Contract,
        Check::Status => {
            let client_error = finding
                .actual
                .parse::<u16>()
                .is_ok_and(|s| (400..500).contains(&s));
            if client_error {
                Level::Incidental
            } else {
                Level::Contract
            }
        }
        Check::Success if body_is_json => Level::Contract,
        _ => Level::Incidental,
    }
}

/// Decides the verdict of a case whose calls were judged, and its reason.
fn decide(record: &mut CaseRecord, unread: &[String], line: Option<&Line>) {
    let mismatches = || record.calls.iter().flat_map(|c| &c.mismatches);
    let with = |effect: Effect| {
        let mut labels: Vec<String> = Vec::new();
        for m in mismatches().filter(|m| m.effect == effect) {
            let label = m.check.label();
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels
    };
    let (fails, differs, noted) = (
        with(Effect::Fails),
        with(Effect::NonStrict),
        with(Effect::Noted),
    );
    let exchanges = || record.calls.iter().flat_map(|c| &c.transcript);
    let retried = exchanges().any(|e| !e.retries.is_empty());
    let waited: u64 = exchanges()
        .flat_map(|e| &e.rate_limit_waits)
        .map(|w| w.waited_ms)
        .sum();
    let line_name = line.map_or_else(
        || "its line".to_owned(),
        |l| format!("Rocket.Chat {}", l.id),
    );
    let mut notes = Vec::new();
    // State that could not be read is the target's (or the network's) problem: the case is
    // an error, whatever else differed, never a failure the run cannot stand behind.
    record.verdict = if !unread.is_empty() {
        let mut note = format!(
            "the target's state after the call could not be read ({}); see the transcript",
            unread.join(", ")
        );
        if !fails.is_empty() {
            note.push_str(&format!(
                "; the answer also differed in {}",
                fails.join(", ")
            ));
        }
        notes.push(note);
        Verdict::Error
    } else if !fails.is_empty() {
        Verdict::Fail
    } else if !differs.is_empty() {
        notes.push(format!(
            "the contract held; differs from {line_name} in {}",
            differs.join(", ")
        ));
        Verdict::NonStrict
    } else if retried {
        notes.push("a request was retried for transport reasons (see the transcript)".into());
        Verdict::Flaky
    } else {
        Verdict::Pass
    };
    if !noted.is_empty() {
        let on = line.map_or_else(
            || "the target's version (no Rocket.Chat line the model knows)".to_owned(),
            |l| format!("Rocket.Chat {}", l.id),
        );
        notes.push(format!(
            "not established for {on}, recorded and not judged: {}",
            noted.join(", ")
        ));
    }
    if waited > 0 {
        notes.push(format!(
            "waited {:.1} s for the target's rate limiter",
            Duration::from_millis(waited).as_secs_f64()
        ));
    }
    record.reason = (!notes.is_empty()).then(|| notes.join("; "));
    record.judged = (record.verdict != Verdict::Error).then_some(CaseJudged {
        contract: fails.is_empty(),
        exact: differs.is_empty(),
        not_established: !noted.is_empty(),
    });
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
