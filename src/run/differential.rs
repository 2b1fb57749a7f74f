//! Differential evidence: what the embedded reference server, emulating the target's
//! Rocket.Chat line, answers to the calls of the cases the target failed or answered
//! non-strictly, in the same setup. Shown beside the target's answer, a failure reads as a
//! diagnosis ("the reference answered 400 error-not-allowed; the target answered 200").
//!
//! The cases run again, whole, against a fresh reference server on a loopback port (started
//! here: it is the oracle, not the run's target); only the answers to their calls are kept.
//! It never touches the target.

use std::collections::BTreeMap;

use serde_json::Value;

use super::plan::Filter;
use super::{Interrupt, RunOptions, Target};
use crate::case::{Suite, Version};
use crate::reference::ServerConfig;
use crate::report::model::{CaseRecord, ReferenceAnswer, Verdict};
use crate::spec::Specs;

/// Whether a case's record gets the reference server's answers: it failed, or differs from
/// Rocket.Chat in an exact detail.
pub fn wants_reference(record: &CaseRecord) -> bool {
    matches!(record.verdict, Verdict::Fail | Verdict::NonStrict)
        || record
            .listed
            .is_some_and(|v| v == Verdict::Fail || v == Verdict::NonStrict)
}

/// Runs the cases of `records` that [`wants_reference`] against the embedded server at
/// `version` and writes each call's answer into the record's [`ReferenceAnswer`]. A run
/// that does not start leaves the records as they are and says why.
pub async fn attach(
    suite: &Suite,
    specs: &Specs,
    options: &RunOptions,
    version: &Version,
    records: &mut [CaseRecord],
) -> Option<String> {
    let ids: Vec<String> = records
        .iter()
        .filter(|r| wants_reference(r))
        .map(|r| r.id.to_string())
        .collect();
    if ids.is_empty() {
        return None;
    }
    let dir = match tempfile_dir() {
        Ok(dir) => dir,
        Err(e) => return Some(format!("the reference server's answers: {e}")),
    };
    let config = ServerConfig {
        version: version.to_string(),
        ..ServerConfig::default()
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let server = match crate::reference::start(config.clone(), address).await {
        Ok(server) => server,
        Err(e) => return Some(format!("the reference server did not start: {e}")),
    };
    let reference = RunOptions {
        filter: Some(Filter::exactly(ids.iter().map(String::as_str))),
        jobs: options.jobs,
        timeout: options.timeout,
        lock_timeout: options.lock_timeout,
        clients: super::ClientSelection::Never,
        ..RunOptions::new(Target::embedded(server.url(), &config), dir.path.clone())
    };
    let run_id = super::new_run_id();
    let ran = Box::pin(super::run(
        suite,
        specs,
        &reference,
        &run_id,
        &Interrupt::default(),
        &|_| {},
        None,
    ))
    .await;
    server.shutdown().await;
    let report = match ran {
        Ok(outcome) => outcome.report,
        Err(e) => {
            return Some(format!(
                "the reference server's answers could not be read: {e}"
            ));
        }
    };
    let answers: BTreeMap<&str, &CaseRecord> =
        report.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for record in records.iter_mut().filter(|r| wants_reference(r)) {
        let Some(theirs) = answers.get(record.id.as_str()) else {
            continue;
        };
        for (mine, call) in record.calls.iter_mut().zip(&theirs.calls) {
            mine.reference = Some(answer_of(theirs, call, version));
        }
    }
    None
}

/// The answer to `call` in the reference run's record `case`.
fn answer_of(
    case: &CaseRecord,
    call: &crate::report::model::CallRecord,
    version: &Version,
) -> ReferenceAnswer {
    let exchange = crate::report::render::call_exchange(case, call);
    let body = exchange
        .and_then(|e| e.response_body.as_deref())
        .map(|text| {
            serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()))
        });
    ReferenceAnswer {
        version: version.to_string(),
        status: call.status,
        body,
    }
}

/// A temporary directory for the reference run's ledger, removed when dropped.
struct TempDir {
    path: camino::Utf8PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempfile_dir() -> std::io::Result<TempDir> {
    let path = std::env::temp_dir().join(format!("rc-conform-reference-{}", super::new_run_id()));
    std::fs::create_dir_all(&path)?;
    camino::Utf8PathBuf::from_path_buf(path)
        .map(|path| TempDir { path })
        .map_err(|p| std::io::Error::other(format!("{} is not UTF-8", p.display())))
}
