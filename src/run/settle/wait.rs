//! Waiting for one group's permission change: by probes up to a deadline, or for a fixed
//! time, and the record of how long it took.

use std::time::{Duration, Instant};

use super::probes::Probe;
use super::{FALLBACK, GrantSettle, SettlePlan, Transition, none};
use crate::report::model::SettleRecord;
use crate::run::call;
use crate::run::prepare::Prepared;
use crate::target::Purpose;

/// The first pause between two probes; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(25);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// Waits until the change before group `index`'s calls has taken effect, as the run's
/// options say, and records how.
pub(in crate::run) async fn settle(
    run: &Prepared<'_>,
    plan: &mut SettlePlan,
    index: usize,
) -> SettleRecord {
    let transition = plan.transitions.get(index).cloned().unwrap_or_default();
    if transition.changed.is_empty() {
        return none(None);
    }
    if run.embedded() {
        return none(Some(
            "the embedded server applies permission changes at once",
        ));
    }
    match run.options.grant_settle {
        GrantSettle::Fixed(wait) if wait.is_zero() => none(Some("--grant-settle-ms 0")),
        GrantSettle::Fixed(wait) => fixed(wait, "--grant-settle-ms", &transition.changed).await,
        GrantSettle::Observe { deadline } => observe(run, plan, &transition, deadline).await,
    }
}

/// Sleeps `wait` and says why.
async fn fixed(wait: Duration, why: &str, changed: &[String]) -> SettleRecord {
    tokio::time::sleep(wait).await;
    SettleRecord {
        how: "fixed".to_owned(),
        waited_ms: millis(wait),
        unobserved: changed.to_vec(),
        note: Some(why.to_owned()),
        ..SettleRecord::default()
    }
}

/// Probes the change permission by permission: the one changed last until it shows, then the
/// others, all within `deadline`.
async fn observe(
    run: &Prepared<'_>,
    plan: &mut SettlePlan,
    transition: &Transition,
    deadline: Duration,
) -> SettleRecord {
    let unprobed: Vec<&String> = transition
        .missing
        .iter()
        .chain(
            transition
                .probes
                .iter()
                .filter(|p| plan.fixtures.get(p.fixture).is_none_or(Option::is_none))
                .map(|p| &p.permission),
        )
        .collect();
    if !unprobed.is_empty() {
        let names: Vec<&str> = unprobed.iter().map(|s| s.as_str()).collect();
        let why = format!(
            "no probe for {} (the premise model knows no call that flips with it, or its \
             fixture could not be made): waited {} ms",
            names.join(", "),
            FALLBACK.as_millis()
        );
        return fixed(FALLBACK, &why, &transition.changed).await;
    }
    let mut probes = transition.probes.clone();
    let place = |p: &Probe| transition.changed.iter().position(|c| *c == p.permission);
    probes.sort_by_key(|p| std::cmp::Reverse(place(p)));
    let started = Instant::now();
    let until = started + deadline;
    if let Some(hint) = plan.hint {
        // The last change took about this long: most of it need not be probed again.
        tokio::time::sleep((hint * 3 / 4).min(deadline)).await;
    }
    let mut record = SettleRecord {
        how: "observed".to_owned(),
        ..SettleRecord::default()
    };
    for probe in &probes {
        let (shown, sent) = poll(run, plan, probe, until).await;
        record.probes += sent;
        if shown {
            record.observed.push(probe.permission.clone());
        } else {
            record.unobserved.push(probe.permission.clone());
        }
    }
    record.waited_ms = millis(started.elapsed());
    if record.unobserved.is_empty() {
        plan.hint = Some(started.elapsed());
    } else {
        record.how = "unobserved".to_owned();
        record.note = Some(format!(
            "the change of {} did not show within {} ms; the calls were made anyway, and a \
             case of this group that fails may have met the permissions from before",
            record.unobserved.join(", "),
            deadline.as_millis()
        ));
    }
    record
}

/// Sends `probe` until it gets the decision that shows its change, or `until` passes:
/// whether it showed, and how many requests it took.
async fn poll(run: &Prepared<'_>, plan: &SettlePlan, probe: &Probe, until: Instant) -> (bool, u64) {
    let (Some(Some(fixtures)), Some(the_call)) =
        (plan.fixtures.get(probe.fixture), probe.case.calls.first())
    else {
        return (false, 0);
    };
    let mut request = call::request(probe.case.endpoint, the_call, fixtures);
    request.purpose = Purpose::Settle;
    let (mut sent, mut pause) = (0, FIRST_PAUSE);
    loop {
        sent += 1;
        let answer = run.api.client().dispatch(&request).await.outcome;
        let allowed = match &answer {
            Ok(r) if r.status == 200 => r
                .json
                .as_ref()
                .and_then(|b| b.get("success"))
                .and_then(serde_json::Value::as_bool),
            Ok(r) if (400..500).contains(&r.status) => Some(false),
            _ => None,
        };
        if allowed == Some(probe.allowed_after) {
            return (true, sent);
        }
        let now = Instant::now();
        if now >= until {
            return (false, sent);
        }
        tokio::time::sleep(pause.min(until - now)).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
