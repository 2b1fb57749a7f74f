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
pub(super) fn setup_error(
    planned: &Planned<'_>,
    reason: &str,
    transcript: Vec<Exchange>,
) -> CaseRecord {
    let mut r = base(planned.case, Verdict::Error);
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
    head_commit(dir.as_std_path())
}

/// `HEAD` of the checkout holding `dir`: a detached hash, or the branch's hash from its ref
/// file or `packed-refs` (worktrees read shared refs from their `commondir`).
fn head_commit(dir: &std::path::Path) -> Option<String> {
    let is_hash = |s: &str| s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let dot_git = dir
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.exists())?;
    let git_dir = if dot_git.is_file() {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        dot_git.parent()?.join(target)
    } else {
        dot_git
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return is_hash(head).then(|| head.to_owned());
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.clone());
    for base in [&git_dir, &common] {
        if let Ok(hash) = std::fs::read_to_string(base.join(reference)) {
            let hash = hash.trim();
            if is_hash(hash) {
                return Some(hash.to_owned());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference && is_hash(hash)).then(|| hash.to_owned())
    })
}

/// Fills in each record's model cell and room type, as the premise model places the case's
/// first call at `version`.
pub(super) fn place_in_model(
    specs: &Specs,
    suite: &Suite,
    version: &Version,
    records: &mut [CaseRecord],
) {
    let by_id: std::collections::HashMap<&str, &Case> =
        suite.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for record in records {
        let Some(case) = by_id.get(record.id.as_str()) else {
            continue;
        };
        let at = if case.versions.contains(version) {
            version.clone()
        } else {
            crate::spec::predict::version_of(&specs.model, case.versions.since.as_ref())
        };
        if let Some(first) = crate::spec::predict::predict_case(&specs.model, case, &at).first() {
            record.room_type = first.room_type.map(|t| t.code().to_owned());
            record.cell = crate::spec::coverage::cell_of(case.endpoint, first).to_string();
        }
    }
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

#[cfg(test)]
mod tests {
    use super::head_commit;

    const HASH: &str = "0123456789abcdef0123456789abcdef01234567";

    fn write(path: &std::path::Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn head_is_read_from_ref_files_packed_refs_and_detached_heads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        let cases = root.join("cases/channels.invite");
        std::fs::create_dir_all(&cases).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(head_commit(&cases), None, "no checkout");
        write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(
            &root.join(".git/packed-refs"),
            &format!("# pack-refs\n{HASH} refs/heads/main\n"),
        );
        assert_eq!(head_commit(&cases).as_deref(), Some(HASH), "packed ref");
        let loose = HASH.replace('0', "f");
        write(&root.join(".git/refs/heads/main"), &format!("{loose}\n"));
        assert_eq!(head_commit(&cases), Some(loose), "a loose ref wins");
        write(&root.join(".git/HEAD"), &format!("{HASH}\n"));
        assert_eq!(head_commit(&cases).as_deref(), Some(HASH), "detached");
    }

    #[test]
    fn the_commit_of_this_checkout_matches_git() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Ok(out) = std::process::Command::new("git")
            .args(["-C", &here.to_string_lossy(), "rev-parse", "HEAD"])
            .output()
        else {
            return; // no git here: nothing to compare with
        };
        if out.status.success() {
            let expected = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(head_commit(&here.join("cases")), Some(expected));
        }
    }
}
