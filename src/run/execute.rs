//! Executing a plan in stages, so that what can be read once for every case is read once:
//!
//! 1. provision every runnable case, under the server's own permissions;
//! 2. read the counters of every room the run created, once ([`super::observe`]);
//! 3. per grant group: apply its grants, make its cases' calls, restore the grants;
//! 4. read the counters again, and the memberships the expectations name, once;
//! 5. judge every case.
//!
//! Stages 4 and 5 come twice when there are grant groups: the first group (the server's own
//! grants, most of the suite) is read as soon as its calls are made, and judged on a blocking
//! thread while the grant groups' calls run one small group after another (no later call
//! touches its rooms); the grant groups' cases are read after the last call. Judging then
//! overlaps the target's quietest stages instead of competing with cleanup.
//!
//! A case whose reads cannot be shared (several calls, the shared `general` channel, a direct
//! room, the admin or the bot in a membership expectation) reads room by room around its own
//! call in stage 3 ([`call::make_call`]). Isolation is unchanged: a case's rooms are its own,
//! so a read of every room sees, in each room, the effects of that room's case only.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::call::{self, Made};
use super::judge::Counters;
use super::lanes::in_lanes;
use super::ledger::{Durable, Entry};
use super::observe::{CounterRead, Evidence, MembershipRead};
use super::plan::Plan;
use super::provision::{Fixtures, Provisioner};
use super::record;
use super::verdict::{CalledCase, VerdictStage};
use super::{Interrupt, RunError, RunOptions};
use crate::api::RoomType;
use crate::case::{Case, Expectation, RoomRef, UserRef, Version};
use crate::report::model::CaseRecord;
use crate::target::api::Session;
use crate::target::{Exchange, Purpose};

/// What the stages share.
pub(super) struct Context<'r, 'a> {
    /// The plan.
    pub plan: &'r Plan<'a>,
    /// Provisioning (its API and admin session serve every stage).
    pub provisioner: &'r Provisioner,
    /// Where each case's verdict is decided.
    pub verdicts: &'r Arc<VerdictStage>,
    /// The run's options (`jobs`).
    pub options: &'r RunOptions,
    /// The version the cases are judged at.
    pub version: &'r Version,
    /// The run's interrupt.
    pub interrupt: &'r Interrupt,
    /// Every fixture session, by username, for cleanup.
    pub sessions: &'r Arc<Mutex<BTreeMap<String, Session>>>,
    /// Wait after applying grants.
    pub settle: Duration,
    /// Roles added to permissions for the whole run (the rate-limit bypass).
    pub extra_grants: &'r [(String, Vec<String>)],
    /// Called with each record as it is made.
    pub progress: &'r (dyn Fn(&CaseRecord) + Sync),
}

/// One case between stages.
#[derive(Debug, Default)]
struct CaseState {
    fixtures: Option<Arc<Fixtures>>,
    /// Whether stages 2 and 4 read its state (else it reads room by room in stage 3).
    bulk: bool,
    before: BTreeMap<RoomRef, Counters>,
    /// The transcript of a bulk case's call, cut when it is judged.
    evidence: Vec<Evidence>,
    made: Option<Vec<Made>>,
    elapsed: Duration,
    /// Why it stopped after provisioning (a panic while calling).
    failure: Option<String>,
}

/// Whether the state `case` is judged on can come from the bulk reads: one call, rooms the run
/// created (channels and groups, whose names carry the run id), fixture users only.
fn bulk_verifiable(case: &Case, version: &Version, fx: &Fixtures) -> bool {
    let [call] = case.calls.as_slice() else {
        return false;
    };
    let expect = call.expectation_for(Some(version));
    let rooms = expect
        .room_delta
        .keys()
        .chain(expect.members_after.keys())
        .all(|room| {
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
        .all(|u| matches!(u, UserRef::Fixture(_)) && fx.users.contains_key(u));
    rooms && users && !case.touches_general()
}

/// The expectation of the single call of a bulk case.
fn expectation<'c>(case: &'c Case, version: &Version) -> Option<&'c Expectation> {
    case.calls.first().map(|c| c.expectation_for(Some(version)))
}

/// Runs `work(index)` for each of `indices`, `jobs` at a time, each in the lane of its case
/// (see [`in_lanes`]). By case index: the output, or the panic message.
async fn each_case<T, Fut>(
    cx: &Context<'_, '_>,
    indices: &[usize],
    work: impl FnMut(usize) -> Fut,
) -> BTreeMap<usize, Result<T, String>>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let items = indices
        .iter()
        .map(|&i| (cx.plan.cases[i].number, i))
        .collect();
    in_lanes(items, cx.options.jobs, Some(cx.interrupt), work)
        .await
        .into_iter()
        .map(|(position, out)| {
            let out = out.map_err(|panic| format!("the case panicked: {panic}"));
            (indices[position], out)
        })
        .collect()
}

/// Runs the plan's cases through the stages: the records of cases that stop early go into
/// `records`, the others into `judging` as their reads complete.
pub(super) async fn execute(
    cx: &Context<'_, '_>,
    records: &mut [Option<CaseRecord>],
    judging: &mut Judging,
) -> Result<(), RunError> {
    let api = &cx.provisioner.api;
    let admin = &cx.provisioner.admin;
    let plan = cx.plan;
    // Read again, not taken from preflight: preflight ran before the run lock was held, when
    // another run could still have had its temporary grants applied; these are the lists to
    // restore.
    let current = api
        .permissions(admin, Purpose::Provision)
        .await
        .map_err(|e| RunError::Unusable(e.to_string()))?;
    // Every permission the run will change, with the list to restore, goes into the ledger
    // in one write, on disk before the first change: a crash at any point then restores each
    // to its state before the run (restoring one the run had already put back is harmless).
    // The sync overlaps provisioning; the first change waits for it.
    let touched: BTreeSet<&String> = cx
        .extra_grants
        .iter()
        .map(|(p, _)| p)
        .chain(
            plan.groups
                .iter()
                .flat_map(|g| g.grants.iter().map(|(p, _)| p)),
        )
        .collect();
    let previous_of = |permission: &str| current.get(permission).cloned().unwrap_or_default();
    let mut permissions_on_disk = Some(
        cx.provisioner.ledger.record_durable(
            &touched
                .iter()
                .map(|p| Entry::Permission {
                    id: (*p).clone(),
                    previous: previous_of(p),
                })
                .collect::<Vec<_>>(),
        )?,
    );
    for (permission, added) in cx.extra_grants {
        on_disk(&mut permissions_on_disk).await?;
        let mut roles = previous_of(permission);
        roles.extend(
            added
                .iter()
                .filter(|r| !roles.contains(r))
                .cloned()
                .collect::<Vec<_>>(),
        );
        api.set_permission(admin, permission, &roles, Purpose::Provision)
            .await
            .map_err(|e| RunError::Unusable(e.to_string()))?;
    }
    let mut states: Vec<CaseState> = plan.cases.iter().map(|_| CaseState::default()).collect();
    let mut emit = |index: usize, record: CaseRecord| {
        (cx.progress)(&record);
        records[index] = Some(record);
    };

    // 1. Provision every runnable case.
    api.client().next_stage();
    let runnable: Vec<usize> = plan
        .groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .collect();
    let provisioned = each_case(cx, &runnable, |index| {
        let provisioner = cx.provisioner.clone();
        let (number, case) = (plan.cases[index].number, plan.cases[index].case.clone());
        async move {
            let started = Instant::now();
            (
                provisioner.provision(number, &case).await,
                started.elapsed(),
            )
        }
    })
    .await;
    for (index, outcome) in provisioned {
        let case = plan.cases[index].case;
        match outcome {
            Ok((Ok(fixtures), elapsed)) => {
                record::register_sessions(cx.sessions, &fixtures).await;
                let state = &mut states[index];
                state.bulk = bulk_verifiable(case, cx.version, &fixtures);
                state.fixtures = Some(Arc::new(fixtures));
                state.elapsed = elapsed;
            }
            Ok((Err(e), elapsed)) => {
                emit(index, cx.verdicts.setup_failed(case, &e, elapsed));
            }
            Err(panic) => emit(index, cx.verdicts.stopped(case, &panic, Vec::new())),
        }
    }
    // The ids the fixtures got, which waited for a write, go out now.
    cx.provisioner.ledger.flush()?;
    if cx.interrupt.is_set() {
        return Ok(());
    }

    // 2. The counters before any call.
    api.client().next_stage();
    read_before(cx, &mut states).await;
    if cx.interrupt.is_set() {
        return Ok(());
    }

    // 3. The calls, group by group. With grant groups, the first is read and judged as soon
    // as its calls are made (stages 4 and 5 come twice).
    let first_early = plan.groups.len() > 1;
    let mut restored: BTreeMap<String, bool> = BTreeMap::new();
    for (n, group) in plan.groups.iter().enumerate() {
        if cx.interrupt.is_set() {
            return Ok(());
        }
        api.client().next_stage();
        let mut applied = Vec::new();
        let mut grant_error = None;
        for (permission, roles) in &group.grants {
            on_disk(&mut permissions_on_disk).await?;
            let previous = previous_of(permission);
            match api
                .set_permission(admin, permission, roles, Purpose::Provision)
                .await
            {
                Ok(()) => applied.push((permission.clone(), previous)),
                Err(e) => {
                    grant_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = grant_error {
            for &index in &group.members {
                if states[index].fixtures.take().is_some() {
                    emit(
                        index,
                        cx.verdicts.stopped(
                            plan.cases[index].case,
                            &format!("applying the case's permission grants failed: {e}"),
                            vec![e.exchange().clone()],
                        ),
                    );
                }
            }
        } else {
            if !group.grants.is_empty() && !cx.settle.is_zero() {
                tokio::time::sleep(cx.settle).await;
            }
            api.client().next_stage();
            make_calls(cx, &group.members, &mut states).await;
        }
        api.client().next_stage();
        for (permission, previous) in applied {
            let put_back = api
                .set_permission(admin, &permission, &previous, Purpose::Cleanup)
                .await
                .is_ok();
            restored.insert(permission, put_back);
        }
        // 4 and 5 for the first group, while the others run.
        if n == 0 && first_early && !cx.interrupt.is_set() {
            api.client().next_stage();
            read_after(cx, &mut states, &group.members).await;
            judging.start(cx, take_called(cx, &mut states, &group.members, &mut emit));
        }
    }
    // The group grants put back (not the run-wide ones, which cleanup restores).
    let done: Vec<Entry> = restored
        .into_iter()
        .filter(|(p, put_back)| *put_back && !cx.extra_grants.iter().any(|(e, _)| e == p))
        .map(|(id, _)| Entry::PermissionRestored { id })
        .collect();
    cx.provisioner.ledger.record_all(&done)?;
    if cx.interrupt.is_set() {
        return Ok(());
    }

    // 4 and 5 for the cases not read yet.
    let rest: Vec<usize> = plan
        .groups
        .iter()
        .skip(usize::from(first_early))
        .flat_map(|g| g.members.iter().copied())
        .collect();
    api.client().next_stage();
    read_after(cx, &mut states, &rest).await;
    judging.start(cx, take_called(cx, &mut states, &rest, &mut emit));
    Ok(())
}

/// The cases of `indices` whose calls were made, taken out of `states` to be judged; a case
/// that stopped while calling gets its error record through `emit`.
fn take_called(
    cx: &Context<'_, '_>,
    states: &mut [CaseState],
    indices: &[usize],
    emit: &mut impl FnMut(usize, CaseRecord),
) -> Vec<Called> {
    indices
        .iter()
        .filter_map(|&index| {
            let state = std::mem::take(&mut states[index]);
            let case = cx.plan.cases[index].case;
            match state.failure {
                Some(failure) => {
                    emit(index, cx.verdicts.stopped(case, &failure, Vec::new()));
                    None
                }
                None => Some(Called {
                    index,
                    case: case.clone(),
                    fixtures: state.fixtures?,
                    made: state.made?,
                    evidence: state.evidence,
                    elapsed: state.elapsed,
                }),
            }
        })
        .collect()
}

/// Waits, the first time only, until the lines of `pending` are on disk.
async fn on_disk(pending: &mut Option<Durable>) -> Result<(), RunError> {
    match pending.take() {
        Some(durable) => Ok(durable.wait().await?),
        None => Ok(()),
    }
}

/// A case whose calls were made, waiting to be judged: everything judging needs, owned, so
/// that it can run on another thread.
#[derive(Debug)]
pub(super) struct Called {
    index: usize,
    case: Arc<Case>,
    fixtures: Arc<Fixtures>,
    made: Vec<Made>,
    /// A bulk case's transcript, still to be cut.
    evidence: Vec<Evidence>,
    elapsed: Duration,
}

/// The cases being judged: batches on blocking threads, started as their reads complete
/// (judging is work for the processor, done while the stages wait on the target).
#[derive(Debug, Default)]
pub(super) struct Judging {
    batches: Vec<Batch>,
}

/// A batch being judged: its case indexes, and its records once judged.
#[derive(Debug)]
struct Batch {
    indices: Vec<usize>,
    judged: tokio::task::JoinHandle<Vec<(usize, CaseRecord)>>,
}

impl Judging {
    /// Starts judging `called` on a blocking thread.
    fn start(&mut self, cx: &Context<'_, '_>, called: Vec<Called>) {
        if called.is_empty() {
            return;
        }
        let indices = called.iter().map(|c| c.index).collect();
        let stage = cx.verdicts.clone();
        let judged = tokio::task::spawn_blocking(move || judge_all(called, &stage));
        self.batches.push(Batch { indices, judged });
    }

    /// Waits for every batch: each record goes into `records` and to the progress callback.
    pub(super) async fn finish(self, cx: &Context<'_, '_>, records: &mut [Option<CaseRecord>]) {
        for Batch { indices, judged } in self.batches {
            let judged = judged.await.unwrap_or_else(|e| {
                // Each case's judging catches its own panic; this is a batch that stopped.
                indices
                    .iter()
                    .map(|&index| {
                        let reason = format!("judging stopped: {e}");
                        let case = cx.plan.cases[index].case;
                        (index, cx.verdicts.stopped(case, &reason, Vec::new()))
                    })
                    .collect()
            });
            for (index, record) in judged {
                (cx.progress)(&record);
                records[index] = Some(record);
            }
        }
    }
}

/// Stage 5: judges each called case into its record (a bulk case's transcript is cut from
/// the shared reads first). A case whose judging panics gets an error verdict and the others
/// are still judged, as when a case panics in its own task.
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

/// The run's name prefix: every room of a bulk case carries it.
fn run_prefix(cx: &Context<'_, '_>) -> String {
    format!("rcc-{}-", cx.provisioner.run_id)
}

/// Stage 2: the counters of the bulk cases' rooms, from one listing; a room the listing
/// misses is read on its own.
async fn read_before(cx: &Context<'_, '_>, states: &mut [CaseState]) {
    let needing: Vec<usize> = states
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            s.bulk
                && expectation(cx.plan.cases[*i].case, cx.version)
                    .is_some_and(|e| !e.room_delta.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    if needing.is_empty() {
        return;
    }
    let api = &cx.provisioner.api;
    let listing = Arc::new(CounterRead::read(api, &cx.provisioner.admin, &run_prefix(cx)).await);
    let mut unlisted: BTreeMap<usize, Unread> = BTreeMap::new();
    for &index in &needing {
        let CaseState {
            fixtures: Some(fixtures),
            before,
            evidence,
            ..
        } = &mut states[index]
        else {
            continue;
        };
        let Some(expect) = expectation(cx.plan.cases[index].case, cx.version) else {
            continue;
        };
        let mut listed = BTreeSet::new();
        for room in expect.room_delta.keys() {
            let Some(live) = fixtures.rooms.get(room) else {
                continue;
            };
            match listing.get(&live.id) {
                Some(c) => {
                    before.insert(room.clone(), c);
                    listed.insert(live.id.as_str());
                }
                None => unlisted
                    .entry(index)
                    .or_default()
                    .counters
                    .push(room.clone()),
            }
        }
        evidence.push(Evidence::Counters {
            read: listing.clone(),
            rooms: listed.into_iter().map(str::to_owned).collect(),
            when: "before the call",
        });
    }
    for (index, alone) in read_alone(cx, states, unlisted).await {
        states[index].before.extend(alone.counters);
        states[index]
            .evidence
            .extend(alone.evidence.into_iter().map(Evidence::Own));
    }
}

/// Rooms of one case that a bulk read missed.
#[derive(Debug, Default)]
struct Unread {
    /// Rooms whose counters the listing did not give.
    counters: Vec<RoomRef>,
    /// Rooms with a member whose rooms are not known.
    members: Vec<RoomRef>,
}

/// What reading rooms one by one found for one case.
#[derive(Debug, Default)]
struct ReadAlone {
    counters: BTreeMap<RoomRef, Counters>,
    members: BTreeMap<RoomRef, Vec<String>>,
    evidence: Vec<Exchange>,
}

/// Reads the rooms of `unread` one by one, as the case's own readers (`jobs` cases at a
/// time), as a case outside the bulk reads does around its call.
async fn read_alone(
    cx: &Context<'_, '_>,
    states: &[CaseState],
    mut unread: BTreeMap<usize, Unread>,
) -> BTreeMap<usize, ReadAlone> {
    let indices: Vec<usize> = unread.keys().copied().collect();
    let read = each_case(cx, &indices, |index| {
        let api = cx.provisioner.api.clone();
        let fixtures = states[index].fixtures.clone().unwrap_or_default();
        let rooms = unread.remove(&index).unwrap_or_default();
        async move {
            let mut found = ReadAlone::default();
            for room in rooms.counters {
                if let Some(c) =
                    call::read_counters(&api, &fixtures, &room, &mut found.evidence).await
                {
                    found.counters.insert(room, c);
                }
            }
            for room in rooms.members {
                if let Some(ids) =
                    call::read_members(&api, &fixtures, &room, &mut found.evidence).await
                {
                    found.members.insert(room, ids);
                }
            }
            found
        }
    })
    .await;
    read.into_iter()
        .filter_map(|(index, outcome)| Some((index, outcome.ok()?)))
        .collect()
}

/// Stage 3 for one group: each case's call, with its own reads around it when it is not a
/// bulk case. Cases on the shared `general` channel take turns.
async fn make_calls(cx: &Context<'_, '_>, members: &[usize], states: &mut [CaseState]) {
    let general = Arc::new(Mutex::new(()));
    let ready: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| states[i].fixtures.is_some())
        .collect();
    let made = each_case(cx, &ready, |index| {
        let api = cx.provisioner.api.clone();
        let fixtures = states[index].fixtures.clone().unwrap_or_default();
        let bulk = states[index].bulk;
        let case = cx.plan.cases[index].case.clone();
        let version = cx.version.clone();
        let general = general.clone();
        async move {
            // Cases on the shared `general` channel take turns: their counters and members
            // must see only their own effects.
            let _general = if case.touches_general() {
                Some(general.lock_owned().await)
            } else {
                None
            };
            let started = Instant::now();
            let mut made = Vec::new();
            for call in &case.calls {
                if bulk {
                    let (observed, exchange) =
                        call::send_call(&api, case.endpoint, call, &fixtures).await;
                    made.push(Made {
                        observed,
                        transcript: vec![exchange.clone()],
                        exchange,
                    });
                } else {
                    let expect = call.expectation_for(Some(&version));
                    made.push(call::make_call(&api, case.endpoint, call, expect, &fixtures).await);
                }
            }
            (made, started.elapsed())
        }
    })
    .await;
    for (index, outcome) in made {
        match outcome {
            Ok((made, elapsed)) => {
                states[index].made = Some(made);
                states[index].elapsed += elapsed;
            }
            Err(panic) => states[index].failure = Some(panic),
        }
    }
}

/// Stage 4: the counters and memberships of the bulk cases of `indices` after their calls,
/// from one listing and one read per user; what those miss is read room by room.
async fn read_after(cx: &Context<'_, '_>, states: &mut [CaseState], indices: &[usize]) {
    let called: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| states[i].bulk && states[i].made.is_some())
        .collect();
    if called.is_empty() {
        return;
    }
    let api = &cx.provisioner.api;
    let admin = &cx.provisioner.admin;
    let mut any_counters = false;
    let mut users = BTreeSet::new();
    for &index in &called {
        let (Some(expect), Some(fixtures)) = (
            expectation(cx.plan.cases[index].case, cx.version),
            &states[index].fixtures,
        ) else {
            continue;
        };
        any_counters |= !expect.room_delta.is_empty();
        for m in expect.members_after.values() {
            for user in m.includes.iter().chain(&m.excludes) {
                if let Some(live) = fixtures.users.get(user) {
                    users.insert(live.id.clone());
                }
            }
        }
    }
    let listing = Arc::new(if any_counters {
        CounterRead::read(api, admin, &run_prefix(cx)).await
    } else {
        CounterRead::default()
    });
    let memberships = Arc::new(MembershipRead::read(api, admin, users, cx.options.jobs).await);
    let mut unread: BTreeMap<usize, Unread> = BTreeMap::new();
    for &index in &called {
        let CaseState {
            fixtures: Some(fixtures),
            before,
            evidence,
            made: Some(made),
            ..
        } = &mut states[index]
        else {
            continue;
        };
        let (Some(expect), Some(made)) = (
            expectation(cx.plan.cases[index].case, cx.version),
            made.first_mut(),
        ) else {
            continue;
        };
        let mut missed = Unread::default();
        evidence.extend(made.transcript.drain(..).map(Evidence::Own));
        let mut listed = BTreeSet::new();
        for (room, b) in before.iter() {
            let Some(live) = fixtures.rooms.get(room) else {
                continue;
            };
            match listing.get(&live.id) {
                Some(after) => {
                    listed.insert(live.id.as_str());
                    made.observed.counters.insert(room.clone(), (*b, after));
                }
                None => missed.counters.push(room.clone()),
            }
        }
        evidence.push(Evidence::Counters {
            read: listing.clone(),
            rooms: listed.into_iter().map(str::to_owned).collect(),
            when: "after the calls",
        });
        let mut shown: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (room, m) in &expect.members_after {
            let Some(live) = fixtures.rooms.get(room) else {
                continue;
            };
            let ids: Vec<&str> = m
                .includes
                .iter()
                .chain(&m.excludes)
                .filter_map(|u| fixtures.users.get(u).map(|l| l.id.as_str()))
                .collect();
            // The members among the named users, if every one of them is known.
            let known = ids.iter().try_fold(Vec::new(), |mut members, id| {
                if memberships.is_member(id, &live.id)? {
                    members.push((*id).to_owned());
                }
                Some(members)
            });
            match known {
                Some(member_ids) => {
                    for id in ids {
                        shown.entry(id).or_default().insert(live.id.as_str());
                    }
                    made.observed.members_after.insert(room.clone(), member_ids);
                }
                None => missed.members.push(room.clone()),
            }
        }
        for (user, rooms) in shown {
            evidence.push(Evidence::Memberships {
                read: memberships.clone(),
                user: user.to_owned(),
                rooms: rooms.into_iter().map(str::to_owned).collect(),
            });
        }
        if !missed.counters.is_empty() || !missed.members.is_empty() {
            unread.insert(index, missed);
        }
    }
    for (index, alone) in read_alone(cx, states, unread).await {
        let state = &mut states[index];
        if let Some(made) = state.made.as_mut().and_then(|m| m.first_mut()) {
            for (room, after) in alone.counters {
                if let Some(b) = state.before.get(&room) {
                    made.observed.counters.insert(room, (*b, after));
                }
            }
            made.observed.members_after.extend(alone.members);
            state
                .evidence
                .extend(alone.evidence.into_iter().map(Evidence::Own));
        }
    }
}
