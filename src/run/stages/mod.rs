//! Executing a plan in stages, so that what can be read once for every case is read once:
//!
//! 1. provision every runnable case, under the server's own permissions;
//! 2. read the counters of every room the run created, once ([`super::observe`]);
//! 3. per grant group: apply its grants, make its cases' calls, restore the grants;
//! 4. read the counters again, and the memberships the expectations name, once;
//! 5. judge every case ([`super::judging`]).
//!
//! Stages 4 and 5 come twice when there are grant groups: the first group (the server's own
//! grants, most of the suite) is read as soon as its calls are made, and judged on a blocking
//! thread while the grant groups' calls run one small group after another (no later call
//! touches its rooms); the grant groups' cases, and the first group's cases that share a room
//! with one of them, are read after the last call.
//!
//! A case whose reads cannot be shared (several calls, the shared `general` channel, a direct
//! room, the admin or the bot in a membership expectation) reads room by room around its own
//! call in stage 3 ([`super::call::make_call`]). Isolation is unchanged: a case's rooms are
//! its own, so a read of every room sees, in each room, the effects of that room's case only;
//! the rooms refusals share ([`super::share`]) are read once more, their members, and the
//! guard says which case a change of theirs belongs to.

mod calls;
mod groups;
mod reads;
mod shared;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::call::Made;
use super::events::{Event, Observer};
use super::grants::Changes;
use super::judge::Counters;
use super::judging::{Called, Judging};
use super::lanes::in_lanes;
use super::observe::Evidence;
use super::prepare::Prepared;
use super::provision::Fixtures;
use super::settle::{GrantSettle, SettlePlan};
use super::{RunError, record};
use crate::api::RoomType;
use crate::case::{Case, Expectation, RoomRef, UserRef, Version};
use crate::report::model::{CaseRecord, GrantGroupRecord};

/// A provisioned case between stages.
#[derive(Debug)]
struct Live {
    fixtures: Arc<Fixtures>,
    /// Whether stages 2 and 4 read its state (else it reads room by room in stage 3).
    bulk: bool,
    before: BTreeMap<RoomRef, Counters>,
    /// The transcript of a bulk case's call, cut when it is judged.
    evidence: Vec<Evidence>,
    elapsed: Duration,
}

/// Where one case is between stages.
#[derive(Debug, Default)]
enum CaseState {
    /// Not provisioned: not runnable, not reached, or its record is already made.
    #[default]
    Idle,
    /// Provisioned, waiting for its calls.
    Provisioned(Live),
    /// Its calls were made.
    Called(Live, Vec<Made>),
    /// It stopped after provisioning (a panic while calling).
    Stopped(String),
}

impl CaseState {
    fn live(&self) -> Option<&Live> {
        match self {
            CaseState::Provisioned(live) | CaseState::Called(live, _) => Some(live),
            CaseState::Idle | CaseState::Stopped(_) => None,
        }
    }
}

/// Whether the state `case` is judged on can come from the bulk reads: one call, rooms the run
/// created (channels and groups, whose names carry the run id), fixture users only (any user
/// for a case that `shares` rooms: those are read through their members endpoint).
fn bulk_verifiable(case: &Case, version: &Version, fx: &Fixtures, shares: bool) -> bool {
    let [call] = case.calls.as_slice() else {
        return false;
    };
    let expect = call.expectation_for(Some(version));
    let rooms = expect.rooms().all(|room| {
        matches!(room, RoomRef::Fixture(_))
            && fx
                .rooms
                .get(room)
                .is_some_and(|l| l.room_type != RoomType::Direct)
    });
    let users = expect
        .members_after
        .values()
        .flat_map(|m| m.includes.iter().chain(&m.excludes))
        .all(|u| (shares || matches!(u, UserRef::Fixture(_))) && fx.users.contains_key(u));
    rooms && users && !case.touches_general()
}

/// The rooms of `case` whose members a bulk case reads room by room (the members endpoint)
/// rather than from its users' lists of rooms: those with a banned user, whose banned
/// subscription is no membership but may still be listed among the user's rooms.
fn members_read_alone(case: &Case) -> Vec<RoomRef> {
    case.setup
        .rooms
        .iter()
        .filter(|(_, r)| !r.removals.banned.is_empty())
        .map(|(name, _)| RoomRef::Fixture(name.clone()))
        .collect()
}

/// The expectation of the single call of a bulk case.
fn expectation<'c>(case: &'c Case, version: &Version) -> Option<&'c Expectation> {
    case.calls.first().map(|c| c.expectation_for(Some(version)))
}

/// Runs `work(index)` for each of `indices`, `jobs` at a time, each in the lane of its case
/// (see [`in_lanes`]). By case index: the output, or what stopped it.
async fn each_case<T, Fut>(
    run: &Prepared<'_>,
    indices: &[usize],
    what: &str,
    work: impl FnMut(usize) -> Fut,
) -> BTreeMap<usize, Result<T, String>>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let items = indices
        .iter()
        .map(|&i| (run.plan.cases[i].number, i))
        .collect();
    in_lanes(items, run.options.jobs, Some(run.interrupt), work)
        .await
        .into_iter()
        .map(|(position, out)| {
            let out = out.map_err(|panic| format!("the case panicked {what}: {panic}"));
            (indices[position], out)
        })
        .collect()
}

/// The stages' records, made as cases stop early or are judged.
struct Records<'r, 'o> {
    records: &'r mut [Option<CaseRecord>],
    observer: Observer<'o>,
}

impl Records<'_, '_> {
    fn emit(&mut self, index: usize, record: CaseRecord) {
        (self.observer)(Event::CaseFinished(&record));
        self.records[index] = Some(record);
    }
}

/// Runs the plan's cases through the stages: the records of cases that stop early go into
/// `records`, the others into `judging` as their reads complete.
pub(super) async fn execute(
    run: &Prepared<'_>,
    observer: Observer<'_>,
    records: &mut [Option<CaseRecord>],
    judging: &mut Judging,
    grant_groups: &mut Vec<GrantGroupRecord>,
) -> Result<(), RunError> {
    let mut changes = Changes::begin(run).await?;
    // Probes only where a change is observed: not on the embedded server, not with a fixed wait.
    let probing =
        !run.embedded() && matches!(run.options.grant_settle, GrantSettle::Observe { .. });
    let mut settle = SettlePlan::new(
        probing,
        &run.plan,
        &run.specs.model,
        &run.version,
        &run.grants.before_by_permission(),
    );
    let mut out = Records { records, observer };
    let mut states: Vec<CaseState> = run.plan.cases.iter().map(|_| CaseState::Idle).collect();
    // 1. Provision every runnable case, and the fixtures of the settle probes.
    tokio::join!(
        provision(run, &mut states, &mut out),
        groups::provision_probes(run, &mut settle)
    );
    // The ids the fixtures got, which waited for a write, go out now.
    run.ledger.flush()?;
    if run.interrupt.is_set() {
        return Ok(());
    }
    // 2. The counters before any call.
    run.api.client().next_stage();
    reads::read_before(run, &mut states).await;
    if run.interrupt.is_set() {
        return Ok(());
    }
    // 3. The calls, group by group. With grant groups, the first is read and judged as soon
    // as its calls are made (stages 4 and 5 come twice).
    let first_early = run.plan.groups.len() > 1;
    let early = read_early(run);
    let mut held: Vec<String> = Vec::new();
    for (n, group) in run.plan.groups.iter().enumerate() {
        if run.interrupt.is_set() {
            return Ok(());
        }
        run.api.client().next_stage();
        changes.on_disk().await?;
        groups::call_group(
            run,
            &mut changes,
            &mut settle,
            (n, group),
            &mut held,
            &mut states,
            &mut out,
            grant_groups,
        )
        .await;
        // 4 and 5 for the first group, while the others run.
        if n == 0 && first_early && !run.interrupt.is_set() {
            run.api.client().next_stage();
            reads::read_after(run, &mut states, &early).await;
            judging.start(
                &run.verdicts,
                take_called(run, &mut states, &early, &mut out),
            );
        }
    }
    run.api.client().next_stage();
    changes.put_back(run, std::mem::take(&mut held)).await;
    changes.close(run)?;
    if run.interrupt.is_set() {
        return Ok(());
    }
    // 4 and 5 for the cases not read yet.
    let rest: Vec<usize> = run
        .plan
        .groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .filter(|i| !first_early || !early.contains(i))
        .collect();
    run.api.client().next_stage();
    reads::read_after(run, &mut states, &rest).await;
    judging.start(
        &run.verdicts,
        take_called(run, &mut states, &rest, &mut out),
    );
    Ok(())
}

/// The cases of the first group that are read and judged as soon as its calls are made: all
/// but those that share a room with a case of a later group (the room is read once, after
/// every call made in it).
fn read_early(run: &Prepared<'_>) -> Vec<usize> {
    let Some(first) = run.plan.groups.first() else {
        return Vec::new();
    };
    let sharing = &run.provisioner.sharing;
    first
        .members
        .iter()
        .copied()
        .filter(|&i| {
            sharing
                .place(i)
                .is_none_or(|p| p.mates.iter().all(|m| first.members.contains(m)))
        })
        .collect()
}

/// Stage 1: every runnable case's fixtures, `jobs` at a time, under the server's own
/// permissions. A case whose setup fails gets its record here.
async fn provision(run: &Prepared<'_>, states: &mut [CaseState], out: &mut Records<'_, '_>) {
    run.api.client().next_stage();
    let sharing = run.provisioner.sharing.clone();
    let runnable: Vec<usize> = run
        .plan
        .groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .filter(|&i| !sharing.is_guest(i))
        .collect();
    provision_each(run, &runnable, states, out).await;
    // The cases that use their host's rooms; a host that failed leaves its guests to
    // provision rooms of their own.
    let mut alone = Vec::new();
    for (index, place) in (0..run.plan.cases.len()).filter_map(|i| Some((i, sharing.place(i)?))) {
        if place.host == index {
            continue;
        }
        let host = run.plan.cases[place.host].case;
        let guest = states[place.host].live().and_then(|l| {
            run.provisioner
                .guest(run.plan.cases[index].case, host, &l.fixtures)
        });
        match guest {
            Some(fixtures) => {
                (out.observer)(Event::CaseStarted {
                    id: &run.plan.cases[index].case.id,
                });
                provisioned(run, states, index, fixtures, Duration::ZERO).await;
            }
            None => alone.push(index),
        }
    }
    provision_each(run, &alone, states, out).await;
}

/// A provisioned case into `states`, its sessions registered.
async fn provisioned(
    run: &Prepared<'_>,
    states: &mut [CaseState],
    index: usize,
    fixtures: Fixtures,
    elapsed: Duration,
) {
    let case = run.plan.cases[index].case;
    record::register_sessions(&run.sessions, &fixtures).await;
    states[index] = CaseState::Provisioned(Live {
        bulk: bulk_verifiable(
            case,
            &run.version,
            &fixtures,
            run.provisioner.sharing.place(index).is_some(),
        ),
        fixtures: Arc::new(fixtures),
        before: BTreeMap::new(),
        evidence: Vec::new(),
        elapsed,
    });
}

/// The fixtures of the cases of `indices`, each of its own, `jobs` at a time.
async fn provision_each(
    run: &Prepared<'_>,
    runnable: &[usize],
    states: &mut [CaseState],
    out: &mut Records<'_, '_>,
) {
    let observer = out.observer;
    let made = each_case(run, runnable, "while its setup was provisioned", |index| {
        let provisioner = run.provisioner.clone();
        let planned = &run.plan.cases[index];
        observer(Event::CaseStarted {
            id: &planned.case.id,
        });
        let (number, case) = (planned.number, planned.case.clone());
        async move {
            let started = Instant::now();
            (
                provisioner.provision(number, &case).await,
                started.elapsed(),
            )
        }
    })
    .await;
    for (index, outcome) in made {
        let case = run.plan.cases[index].case;
        match outcome {
            Ok((Ok(fixtures), elapsed)) => provisioned(run, states, index, fixtures, elapsed).await,
            Ok((Err(e), elapsed)) => out.emit(index, run.verdicts.setup_failed(case, &e, elapsed)),
            Err(panic) => out.emit(index, run.verdicts.stopped(case, &panic, Vec::new())),
        }
    }
}

/// The cases of `indices` whose calls were made, taken out of `states` to be judged; a case
/// that stopped while calling gets its error record.
fn take_called(
    run: &Prepared<'_>,
    states: &mut [CaseState],
    indices: &[usize],
    out: &mut Records<'_, '_>,
) -> Vec<Called> {
    let mut called = Vec::new();
    for &index in indices {
        let case = run.plan.cases[index].case;
        match std::mem::take(&mut states[index]) {
            CaseState::Called(live, made) => called.push(Called {
                index,
                case: case.clone(),
                fixtures: live.fixtures,
                made,
                evidence: live.evidence,
                elapsed: live.elapsed,
            }),
            CaseState::Stopped(failure) => {
                out.emit(index, run.verdicts.stopped(case, &failure, Vec::new()));
            }
            CaseState::Idle | CaseState::Provisioned(_) => {}
        }
    }
    called
}
