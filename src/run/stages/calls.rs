//! Stage 3 for one grant group: each case's calls, `jobs` cases at a time, with a case's own
//! reads around its call when it is not a bulk case. Cases on the shared `general` channel
//! take turns: their counters and members must see only their own effects; each takes its
//! counters before the call from the read after the previous one's (nothing of the run
//! touches `general` in between).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Mutex;

use super::{CaseState, Prepared, each_case};
use crate::case::RoomRef;
use crate::run::call::{self, Made};
use crate::run::judge::Counters;

/// Makes the calls of the provisioned cases of `members`.
pub(super) async fn make_calls(run: &Prepared<'_>, members: &[usize], states: &mut [CaseState]) {
    // The turn on `general`, with its counters as the last case's call left them.
    let general: Arc<Mutex<Option<Counters>>> = Arc::new(Mutex::new(None));
    let ready: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| matches!(states[i], CaseState::Provisioned(_)))
        .collect();
    let made = each_case(run, &ready, "while calling", |index| {
        let api = run.api.clone();
        let (fixtures, bulk, mut known) = states[index]
            .live()
            .map(|l| (l.fixtures.clone(), l.bulk, l.before.clone()))
            .unwrap_or_default();
        let case = run.plan.cases[index].case.clone();
        let version = run.version.clone();
        let general = general.clone();
        async move {
            let mut turn = if case.touches_general() {
                Some(general.lock_owned().await)
            } else {
                None
            };
            if let Some(counters) = turn.as_deref().copied().flatten() {
                known.insert(RoomRef::General, counters);
            }
            let started = Instant::now();
            let mut made = Vec::new();
            for call in &case.calls {
                if bulk {
                    let (observed, exchange, others) =
                        call::send_call(&api, case.endpoint, call, &fixtures).await;
                    let mut transcript = vec![exchange.clone()];
                    transcript.extend(others);
                    made.push(Made {
                        observed,
                        transcript,
                        exchange,
                    });
                } else {
                    // The counters before a call: listed before the calls for the first, as
                    // the previous call left them for the next (the case's rooms are its own).
                    let expect = call.expectation_for(Some(&version));
                    let one =
                        call::make_call(&api, case.endpoint, call, expect, &fixtures, &known).await;
                    known.extend(
                        one.observed
                            .counters
                            .iter()
                            .map(|(r, (_, a))| (r.clone(), *a)),
                    );
                    made.push(one);
                }
            }
            if let Some(turn) = turn.as_deref_mut() {
                *turn = known.get(&RoomRef::General).copied();
            }
            (made, started.elapsed())
        }
    })
    .await;
    for (index, outcome) in made {
        let CaseState::Provisioned(mut live) = std::mem::take(&mut states[index]) else {
            continue;
        };
        states[index] = match outcome {
            Ok((made, elapsed)) => {
                live.elapsed += elapsed;
                CaseState::Called(live, made)
            }
            Err(panic) => CaseState::Stopped(panic),
        };
    }
}
