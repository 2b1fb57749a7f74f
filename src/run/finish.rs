//! Finishing a run: permissions back before the run lock goes, cleanup while the last cases
//! are judged, the records of cases that did not run, the reference server's answers for
//! what failed, and the [`RunReport`] assembled once, with its totals and figures.

use std::time::SystemTime;

use super::events::{Event, Observer};
use super::judging::Judging;
use super::prepare::Prepared;
use super::{RunError, RunOutcome, cleanup, differential, record};
use crate::report::model::{
    CaseRecord, CleanupRecord, ClientRecord, Conformance, GrantGroupRecord, RateLimitRecord,
    RequestCount, RunMeta, RunReport,
};
use crate::verdict::Totals;

/// Finishes a run whose stages ended with `executed`: every case gets its record, cleanup
/// runs, the report is built.
pub(super) async fn finish(
    mut run: Prepared<'_>,
    executed: Result<Vec<GrantGroupRecord>, RunError>,
    records: Vec<Option<CaseRecord>>,
    judging: Judging,
    clients: Vec<ClientRecord>,
    observer: Observer<'_>,
) -> Result<RunOutcome, RunError> {
    let mut records = records;
    let (api, admin, ledger) = (
        run.api.clone(),
        run.preflight.admin.clone(),
        run.ledger.clone(),
    );
    let (api, admin, ledger) = (&api, &admin, &ledger);
    api.client().next_stage();
    // Permissions go back before the run lock does, so the next run reads the server's own.
    let (restored, restore_errors) = cleanup::restore_permissions(api, admin, ledger).await;
    if restore_errors.is_empty() {
        run.grants.log.all_restored();
    }
    let (grant_groups, mut result) = match executed {
        Ok(groups) => (groups, Ok(())),
        Err(e) => (Vec::new(), Err(e)),
    };
    if let Some(held) = run.lock.take()
        && let Err(e) = held.release(api, admin, ledger).await
    {
        result = result.and(Err(RunError::Release(e)));
    }
    // Cleanup runs while the last cases are judged (the one waits on the target, the other on
    // the processor).
    let cleanup = tokio::spawn({
        let (api, admin, ledger) = (api.clone(), admin.clone(), ledger.clone());
        let sessions = run.sessions.lock().await.clone();
        let jobs = run.options.jobs;
        async move { cleanup::undo(&api, &admin, &ledger, &sessions, jobs).await }
    });
    judging.finish(&run.verdicts, &mut records, observer).await;
    for client in &clients {
        observer(Event::ClientFinished(client));
    }
    let interrupted = run.interrupt.is_set();
    let mut cases: Vec<CaseRecord> = run
        .plan
        .cases
        .iter()
        .zip(records)
        .map(|(planned, r)| r.unwrap_or_else(|| run.verdicts.not_run(planned, interrupted)))
        .collect();
    // Against a target, what the reference server answers to the calls that failed (while
    // cleanup runs: the one waits on the target, the other is local).
    let differential_note = if !run.embedded() && !interrupted {
        let at = run
            .line
            .as_ref()
            .map_or_else(|| run.version.clone(), |l| l.emulated());
        differential::attach(run.suite, run.specs, run.options, &at, &mut cases).await
    } else {
        None
    };
    let mut cleanup = cleanup.await.unwrap_or_else(|e| CleanupRecord {
        ledger: ledger.path().to_string(),
        errors: vec![format!(
            "cleanup stopped: {e}; run `rc-conform cleanup --ledger`"
        )],
        ..CleanupRecord::default()
    });
    run.interrupt.cleanup_finished();
    cleanup.undone += restored;
    cleanup.errors.extend(restore_errors);
    observer(Event::CleanupFinished(&cleanup));
    let warnings = run
        .options
        .expectations
        .as_ref()
        .map(|f| f.ignored(Some(&run.version), run.today))
        .unwrap_or_default();
    let mut report = report(&run, cases, clients, cleanup, differential_note);
    report.grant_groups = grant_groups;
    result?;
    Ok(RunOutcome {
        report,
        interrupted,
        warnings,
    })
}

/// The report of a run, assembled once: its totals and figures are final.
fn report(
    run: &Prepared<'_>,
    cases: Vec<CaseRecord>,
    clients: Vec<ClientRecord>,
    cleanup: CleanupRecord,
    differential_note: Option<String>,
) -> RunReport {
    let client = run.api.client();
    let requests = client
        .request_counts()
        .into_iter()
        .map(|(p, n)| RequestCount {
            purpose: format!("{p:?}").to_lowercase(),
            count: n,
        })
        .collect();
    let (waits, waited_ms) = client.rate_limit_waits();
    let line = run.line.as_ref().map(|l| l.id.to_string());
    let options = run.options;
    let mut notes = run.preflight.notes.clone();
    notes.extend(run.notes.iter().cloned());
    notes.extend(differential_note);
    RunReport {
        format_version: crate::report::model::FORMAT_VERSION,
        run: RunMeta {
            run_id: run.run_id.clone(),
            target: run.url.clone(),
            embedded: run.embedded(),
            server_version: run.preflight.server_version.clone(),
            judged_version: run.version.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            suite: crate::built_in::describe_suite(run.suite.source.as_ref(), &run.specs.source),
            cases_commit: record::git_commit(run.suite),
            started_at: crate::report::model::rfc3339(run.started),
            finished_at: crate::report::model::rfc3339(SystemTime::now()),
            filter: options.filter.as_ref().map(|f| f.text().to_owned()),
            partition: options.partition.map(|p| p.to_string()),
            preflight: notes,
            strict: options.strict,
            line: line.clone(),
            interrupted: run.interrupt.is_set(),
            interrupt_reason: run.interrupt.reason(),
            insecure: options.target.network.insecure,
            gate_clients: options.gate_clients,
        },
        totals: Totals::of(cases.iter().map(|c| c.verdict)),
        conformance: Conformance::of(&cases, line),
        divergences: record::divergences(run.specs, &cases),
        cases,
        cleanup,
        requests,
        rate_limit: RateLimitRecord { waits, waited_ms },
        grant_groups: Vec::new(),
        premise_order: run.specs.model.premise_names(),
        clients,
        grants: run.grants.log.snapshot(),
    }
}
