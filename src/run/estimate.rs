//! How long a run waits for the target's rate limiter when its fixture users keep it: an
//! estimate for the preflight note, from the plan and the limiter's `X-RateLimit-Limit`.

use std::collections::BTreeMap;

use super::plan::Plan;
use super::pool::{UserPool, pooled};
use super::preflight::Preflight;
use crate::case::{Auth, UserRef};

/// `API_Enable_Rate_Limiter_Limit_Calls_Default`, when the login answer did not say.
const DEFAULT_CALLS: u32 = 10;
/// `API_Enable_Rate_Limiter_Limit_Time_Default`: the window, in seconds (the headers do not
/// say it).
const WINDOW_SECS: u64 = 60;

/// The note on a run whose fixture users stay rate-limited: why, and about how long the
/// waits take.
pub(super) fn rate_limit_note(plan: &Plan<'_>, preflight: &Preflight) -> String {
    let limit = preflight.rate_limit_calls.unwrap_or(DEFAULT_CALLS).max(1);
    let (logins, calls) = counts(plan);
    let windows = |n: usize| (n as u64).div_ceil(u64::from(limit)).saturating_sub(1);
    let (busiest, most) = calls
        .iter()
        .max_by_key(|(_, n)| **n)
        .map_or(("the calls", 0), |(e, n)| (e.as_str(), *n));
    let minutes = (windows(logins) + windows(most)) * WINDOW_SECS / 60;
    format!(
        "rate limiter: fixture users keep it (the bypass would need a permission added to a built-in role: --allow-global-grants, or a server with custom roles); calls wait as the server says (Retry-After, X-RateLimit-Reset): about {minutes} min for {logins} logins and {most} calls on {busiest} at {limit} calls per {WINDOW_SECS} s (Rocket.Chat's default window)"
    )
}

/// The logins of fixture users and the calls not made as the admin, by endpoint, of the
/// runnable cases of `plan`.
fn counts(plan: &Plan<'_>) -> (usize, BTreeMap<String, usize>) {
    let mut calls: BTreeMap<String, usize> = BTreeMap::new();
    // Without the room shares (a shared case's own acting user is one login more): an estimate.
    let mut logins: usize = UserPool::needs(plan, &super::share::Sharing::default())
        .values()
        .map(|need| need.sessions.len())
        .sum();
    for planned in plan.cases.iter().filter(|p| p.skip.is_none()) {
        let case = planned.case;
        for call in &case.calls {
            if !matches!(call.auth, Auth::As(UserRef::Admin)) {
                *calls.entry(case.endpoint.to_string()).or_default() += 1;
            }
        }
        logins += case
            .setup
            .users
            .keys()
            .filter(|name| !pooled(case, name))
            .filter(|name| case.needs_session(&UserRef::Fixture((*name).clone())))
            .count();
    }
    (logins, calls)
}
