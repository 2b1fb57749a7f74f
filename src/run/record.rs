//! One case from fixtures to record: provision, make each call, judge it, and turn the
//! outcome into a [`CaseRecord`] with its evidence.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::call::{Made, curl};
use super::judge::judge;
use super::plan::Planned;
use super::provision::{Fixtures, ProvisionError};
use crate::case::{Call, Case, Expectation, Suite, Version};
use crate::check::Specs;
use crate::report::model::{CallRecord, CaseRecord, DivergenceRecord, Verdict};
use crate::spec::premise::PremiseModel;
use crate::spec::schemas::SchemaRegistry;
use crate::target::Exchange;
use crate::target::api::Session;

/// What running a case produced.
#[derive(Debug)]
pub(super) enum CaseOutcome {
    /// The setup could not be provisioned.
    SetupFailed(ProvisionError),
    /// The calls were made.
    Called(Vec<CallRecord>),
}

/// Adds the sessions of `fixtures` to `sessions` (cleanup deletes private groups as members).
pub(super) async fn register_sessions(
    sessions: &Arc<Mutex<BTreeMap<String, Session>>>,
    fixtures: &Fixtures,
) {
    let mut all = sessions.lock().await;
    for user in fixtures.users.values() {
        if let Some(s) = &user.session {
            all.insert(user.username.clone(), s.clone());
        }
    }
}

/// Judges each call made against the expectation that applies at `version`.
pub(super) fn judge_calls(
    case: &Case,
    version: &Version,
    fixtures: &Fixtures,
    made: Vec<Made>,
    schemas: &SchemaRegistry,
) -> Vec<CallRecord> {
    let user_ids = fixtures.user_ids();
    case.calls
        .iter()
        .zip(made)
        .map(|(call, made)| {
            let expect = call.expectation_for(Some(version));
            let judgement = judge(expect, &made.observed, &user_ids, schemas);
            CallRecord {
                expected: expectation_json(expect),
                expectation_source: expectation_source(call, version),
                status: made.observed.status,
                mismatches: judgement.mismatches,
                schema_violations: judgement.violations,
                curl: curl(&made.exchange),
                transcript: made.transcript,
            }
        })
        .collect()
}

/// Which expectation of `call` applies at `version`, as the report names it.
fn expectation_source(call: &Call, version: &Version) -> String {
    call.alternatives
        .iter()
        .find(|a| a.versions.contains(version))
        .map_or_else(
            || "default".to_owned(),
            |a| {
                format!(
                    "alternative since {} ({})",
                    a.versions
                        .since
                        .as_ref()
                        .map_or("-".to_owned(), |v| v.to_string()),
                    a.source
                )
            },
        )
}

/// The record of a case that ran.
pub(super) fn finish(case: &Case, outcome: CaseOutcome, elapsed: Duration) -> CaseRecord {
    let mut record = base(case, Verdict::Pass);
    record.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match outcome {
        CaseOutcome::SetupFailed(e) => {
            record.verdict = Verdict::Error;
            record.reason = Some(format!("setup could not be provisioned: {e}"));
            record.setup_transcript = e.exchange().cloned().into_iter().collect();
        }
        CaseOutcome::Called(calls) => {
            let failed = calls
                .iter()
                .any(|c| !c.mismatches.is_empty() || !c.schema_violations.is_empty());
            let retried = calls
                .iter()
                .flat_map(|c| &c.transcript)
                .any(|e| e.attempts > 1);
            record.verdict = match (failed, retried) {
                (true, _) => Verdict::Fail,
                (false, true) => Verdict::Flaky,
                (false, false) => Verdict::Pass,
            };
            if retried {
                record.reason =
                    Some("a request was retried for transport reasons (see the transcript)".into());
            }
            record.calls = calls;
        }
    }
    record
}

fn base(case: &Case, verdict: Verdict) -> CaseRecord {
    CaseRecord {
        id: case.id.clone(),
        title: case.title.clone(),
        endpoint: case.endpoint.name().to_owned(),
        premise: case.premise.clone(),
        room_type: None,
        cell: String::new(),
        source: case.source.clone(),
        divergence: case.divergence.clone(),
        location: case.origin.to_string(),
        verdict,
        reason: None,
        duration_ms: 0,
        calls: Vec::new(),
        setup_transcript: Vec::new(),
    }
}

/// The record of a case that did not run.
pub(super) fn not_run(planned: &Planned<'_>, interrupted: bool) -> CaseRecord {
    let mut r = base(planned.case, Verdict::Skipped);
    r.reason = Some(planned.skip.clone().unwrap_or_else(|| {
        if interrupted {
            "the run was interrupted".into()
        } else {
            "not run".into()
        }
    }));
    r
}

/// The record of a case whose setup failed outside provisioning (grants, panic).
pub(super) fn setup_error(case: &Case, reason: &str, transcript: Vec<Exchange>) -> CaseRecord {
    let mut r = base(case, Verdict::Error);
    r.reason = Some(reason.to_owned());
    r.setup_transcript = transcript;
    r
}

/// An expectation as the report shows it: names, not ids.
pub(super) fn expectation_json(e: &Expectation) -> Value {
    let mut v = json!({ "status": e.status });
    let obj = v.as_object_mut();
    if let Some(o) = obj {
        if let Some(s) = e.success {
            o.insert("success".into(), json!(s));
        }
        if let Some(t) = &e.error_type {
            o.insert("errorType".into(), json!(t));
        }
        if let Some(t) = &e.error {
            o.insert("error".into(), json!(t));
        }
        if !e.absent.is_empty() {
            o.insert("absent".into(), json!(e.absent));
        }
        if !e.fields.is_empty() {
            o.insert("fields".into(), json!(e.fields));
        }
        if let Some(s) = &e.schema {
            o.insert("schema".into(), json!(s));
        }
        if !e.members_after.is_empty() {
            let m: serde_json::Map<String, Value> = e.members_after.iter().map(|(r, m)| (r.name().to_owned(), json!({ "includes": m.includes.iter().map(|u| u.name()).collect::<Vec<_>>(), "excludes": m.excludes.iter().map(|u| u.name()).collect::<Vec<_>>() }))).collect();
            o.insert("members_after".into(), Value::Object(m));
        }
        if !e.room_delta.is_empty() {
            let m: serde_json::Map<String, Value> = e
                .room_delta
                .iter()
                .map(|(r, d)| {
                    (
                        r.name().to_owned(),
                        json!({ "usersCount": d.users_count, "msgs": d.msgs }),
                    )
                })
                .collect();
            o.insert("room_delta".into(), Value::Object(m));
        }
    }
    v
}

/// The commit of the case files, when they are in a git checkout: `HEAD` resolved by reading
/// the repository's files (no `git` process, which costs a few milliseconds per run).
pub(super) fn git_commit(suite: &Suite) -> Option<String> {
    let dir = suite.files.first()?.parent()?;
    super::checkout::head_commit(dir.as_std_path())
}

/// Where the premise model places `case`'s first call at `version` (or at the version its
/// own condition names, when `version` is outside it): its room type and its model cell, or
/// `None` when the model predicts nothing. Pure and independent of the target, so the runner
/// works it out while a case is judged, beside the stages that wait on the target.
pub(super) fn placement(
    model: &PremiseModel,
    case: &Case,
    version: &Version,
) -> Option<(Option<String>, String)> {
    let at = if case.versions.contains(version) {
        version.clone()
    } else {
        crate::spec::predict::version_of(model, case.versions.since.as_ref())
    };
    let placed = crate::spec::predict::place_first_call(model, case, &at)?;
    Some((
        placed.room_type.map(|t| t.code().to_owned()),
        crate::spec::coverage::cell_of(case.endpoint, &placed).to_string(),
    ))
}

/// The model's divergences with the cases that note them.
pub(super) fn divergences(specs: &Specs, cases: &[CaseRecord]) -> Vec<DivergenceRecord> {
    specs
        .model
        .divergences
        .iter()
        .map(|d| DivergenceRecord {
            id: d.id.clone(),
            docs: d.docs.clone(),
            server: d.server.clone(),
            cases: cases
                .iter()
                .filter(|c| c.divergence.as_deref().is_some_and(|n| n.contains(&d.id)))
                .map(|c| c.id.clone())
                .collect(),
        })
        .collect()
}
