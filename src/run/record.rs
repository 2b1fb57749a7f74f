//! The parts of a case's record that are not its verdict: its identity, the expectation as
//! the report shows it, the sessions its fixtures add, the suite's commit and the model's
//! divergences.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::provision::Fixtures;
use crate::case::{Call, Case, Expectation, Suite, Version};
use crate::report::model::{CaseRecord, DivergenceRecord, Verdict};
use crate::spec::Specs;
use crate::target::api::Session;

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

/// Which expectation of `call` applies at `version`, as the report names it.
pub(super) fn expectation_source(call: &Call, version: &Version) -> String {
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

/// A record of `case` with nothing judged yet (verdict `pass`, no calls).
pub(super) fn base(case: &Case) -> CaseRecord {
    CaseRecord {
        id: case.id.clone(),
        title: case.title.clone(),
        endpoint: case.endpoint,
        premise: case.premise.clone(),
        room_type: None,
        cell: String::new(),
        source: case.source.clone(),
        divergence: case.divergence.clone(),
        location: case.origin.to_string(),
        verdict: Verdict::Pass,
        listed: None,
        judged: None,
        reason: None,
        duration_ms: 0,
        calls: Vec::new(),
        setup_transcript: Vec::new(),
    }
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
        if !e.messages_after.is_empty() {
            let m: serde_json::Map<String, Value> = e
                .messages_after
                .iter()
                .map(|(r, list)| {
                    let list: Vec<Value> = list
                        .iter()
                        .map(|m| json!({ "t": m.t, "by": m.by.name(), "user": m.user.name() }))
                        .collect();
                    (r.name().to_owned(), Value::Array(list))
                })
                .collect();
            o.insert("messages_after".into(), Value::Object(m));
        }
        if let Some(room) = &e.answer_room {
            o.insert("answer_room".into(), json!(room.name()));
        }
    }
    v
}

/// The commit of the case files, when they are a directory in a git checkout: `HEAD` resolved
/// by reading the repository's files (no `git` process, which costs a few milliseconds per
/// run). The built-in suite has none (the report names it by version and fingerprint).
pub(super) fn git_commit(suite: &Suite) -> Option<String> {
    let Some(crate::built_in::Source::Dir(dir)) = &suite.source else {
        return None;
    };
    super::checkout::head_commit(dir.as_std_path())
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
                .map(|c| c.id.to_string())
                .collect(),
        })
        .collect()
}
