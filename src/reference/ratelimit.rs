//! The REST API rate limiter (Rocket.Chat defaults: 10 calls per 60 s per client IP, route and
//! method) and the `X-RateLimit-*` headers it writes.
//!
//! Owns the counting windows only. Who is exempt (TEST_MODE, `api-bypass-rate-limit`) is
//! decided by the gate; this module must not look at users or permissions.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue};

use super::clock::Moment;

/// `API_Enable_Rate_Limiter_Limit_Calls_Default`.
pub(crate) const CALLS_PER_WINDOW: u32 = 10;
/// `API_Enable_Rate_Limiter_Limit_Time_Default` (milliseconds).
pub(crate) const WINDOW_MILLIS: i64 = 60_000;
/// Above this many tracked keys, expired windows are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: i64,
    calls: u32,
}

/// Fixed windows per (client IP, method, route).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<String, Window>,
}

/// The outcome of counting one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    /// Whether the call may proceed.
    pub(crate) allowed: bool,
    remaining: u32,
    reset_at: i64,
    /// Seconds until the window resets, rounded up (the 429 text).
    pub(crate) wait_seconds: i64,
}

impl RateLimiter {
    /// Counts a call of `method route` from `client` at `now`.
    pub(crate) fn hit(&mut self, client: &str, method: &str, route: &str, now: Moment) -> Verdict {
        let now = now.millis();
        if self.windows.len() > PRUNE_ABOVE {
            self.windows
                .retain(|_, window| now - window.started < WINDOW_MILLIS);
        }
        let window = self
            .windows
            .entry(format!("{client} {method} {route}"))
            .or_insert(Window {
                started: now,
                calls: 0,
            });
        if now - window.started >= WINDOW_MILLIS {
            *window = Window {
                started: now,
                calls: 0,
            };
        }
        window.calls = window.calls.saturating_add(1);
        let time_to_reset = WINDOW_MILLIS - (now - window.started);
        Verdict {
            allowed: window.calls <= CALLS_PER_WINDOW,
            remaining: CALLS_PER_WINDOW.saturating_sub(window.calls),
            reset_at: now + time_to_reset,
            wait_seconds: (time_to_reset + 999) / 1000,
        }
    }
}

impl Verdict {
    /// Writes `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch milliseconds).
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(CALLS_PER_WINDOW));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleventh_call_in_a_window_is_refused() {
        let mut limiter = RateLimiter::default();
        let start = Moment::from_millis(1_000_000);
        for call in 1..=CALLS_PER_WINDOW {
            let verdict = limiter.hit("1.2.3.4", "POST", "/api/v1/login", start);
            assert!(verdict.allowed, "call {call}");
        }
        let refused = limiter.hit("1.2.3.4", "POST", "/api/v1/login", start);
        assert!(!refused.allowed);
        assert_eq!(refused.wait_seconds, 60);
        // Another route, method or client has its own window.
        assert!(
            limiter
                .hit("1.2.3.4", "GET", "/api/v1/login", start)
                .allowed
        );
        assert!(
            limiter
                .hit("5.6.7.8", "POST", "/api/v1/login", start)
                .allowed
        );
        // The window resets.
        let later = Moment::from_millis(start.millis() + WINDOW_MILLIS);
        assert!(
            limiter
                .hit("1.2.3.4", "POST", "/api/v1/login", later)
                .allowed
        );
    }
}
