//! Judging the called cases off the stages' path: batches of cases go to a blocking thread as
//! their reads complete (judging is work for the processor, done while the stages wait on the
//! target), and their records come back in plan order.

use std::sync::Arc;
use std::time::Duration;

use super::call::Made;
use super::events::{Event, Observer};
use super::observe::Evidence;
use super::provision::Fixtures;
use super::verdict::{CalledCase, VerdictStage};
use crate::case::Case;
use crate::report::model::CaseRecord;

/// A case whose calls were made, waiting to be judged: everything judging needs, owned, so
/// that it can run on another thread.
#[derive(Debug)]
pub(super) struct Called {
    /// Its index in the plan.
    pub(super) index: usize,
    /// The case.
    pub(super) case: Arc<Case>,
    /// Its fixtures.
    pub(super) fixtures: Arc<Fixtures>,
    /// Each call made.
    pub(super) made: Vec<Made>,
    /// A bulk case's transcript, still to be cut.
    pub(super) evidence: Vec<Evidence>,
    /// Wall time of provisioning and calling.
    pub(super) elapsed: Duration,
}

/// The cases being judged.
#[derive(Debug, Default)]
pub(super) struct Judging {
    batches: Vec<Batch>,
}

/// A batch being judged: its cases, and its records once judged.
#[derive(Debug)]
struct Batch {
    cases: Vec<(usize, Arc<Case>)>,
    judged: tokio::task::JoinHandle<Vec<(usize, CaseRecord)>>,
}

impl Judging {
    /// Starts judging `called` on a blocking thread.
    pub(super) fn start(&mut self, stage: &Arc<VerdictStage>, called: Vec<Called>) {
        if called.is_empty() {
            return;
        }
        let cases = called.iter().map(|c| (c.index, c.case.clone())).collect();
        let stage = stage.clone();
        let judged = tokio::task::spawn_blocking(move || judge_all(called, &stage));
        self.batches.push(Batch { cases, judged });
    }

    /// Waits for every batch: each record goes into `records` and to the observer.
    pub(super) async fn finish(
        self,
        stage: &VerdictStage,
        records: &mut [Option<CaseRecord>],
        observer: Observer<'_>,
    ) {
        for Batch { cases, judged } in self.batches {
            let judged = judged.await.unwrap_or_else(|e| {
                // Each case's judging catches its own panic; this is a batch that stopped.
                let reason = format!("judging stopped: {e}");
                cases
                    .iter()
                    .map(|(index, case)| (*index, stage.stopped(case, &reason, Vec::new())))
                    .collect()
            });
            for (index, record) in judged {
                observer(Event::CaseFinished(&record));
                records[index] = Some(record);
            }
        }
    }
}

/// Judges each called case into its record (a bulk case's transcript is cut from the shared
/// reads first). A case whose judging panics gets an error verdict and the others are still
/// judged, as when a case panics in its own task.
fn judge_all(called: Vec<Called>, stage: &VerdictStage) -> Vec<(usize, CaseRecord)> {
    called
        .into_iter()
        .map(|c| {
            let Called {
                index,
                case,
                fixtures,
                mut made,
                evidence,
                elapsed,
            } = c;
            let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if let Some(first) = made.first_mut()
                    && !evidence.is_empty()
                {
                    let mut transcript = Vec::new();
                    for e in evidence {
                        e.cut_into(&mut transcript);
                    }
                    transcript.append(&mut first.transcript);
                    first.transcript = transcript;
                }
                stage.called(CalledCase {
                    case: &case,
                    fixtures: &fixtures,
                    made,
                    elapsed,
                })
            }));
            let record = judged.unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                stage.stopped(
                    &case,
                    &format!("the case panicked while being judged: {message}"),
                    Vec::new(),
                )
            });
            (index, record)
        })
        .collect()
}
