//! The retry policy of the client: which outcomes are worth another attempt (connection
//! failures, 503, 429, and for an idempotent read — a `GET` — a timeout or a body that broke
//! off) and how long to wait first (backoff, or what `Retry-After` / `X-RateLimit-Reset` ask
//! for).
//!
//! It decides; it never sends, sleeps or records (the client does).

use std::time::{Duration, SystemTime};

use super::client::TransportError;
use super::request::Response;

/// Why an attempt is made again, and after how long.
pub(super) struct Retry {
    /// The transport reason, or none for a wait the rate limiter asked for.
    pub(super) why: Option<String>,
    /// How long to wait before the next attempt.
    pub(super) wait: Duration,
}

impl Retry {
    /// Whether `outcome` of attempt `attempt` is worth another: connection failures, 503
    /// and 429 for any request (nothing was done, or the server says to come back); a timeout
    /// or a body that broke off (a timeout while the body was read is one) only for an
    /// idempotent read (`GET`, `HEAD`), which changes nothing when sent again.
    pub(super) fn of(
        outcome: &Result<Response, TransportError>,
        method: &reqwest::Method,
        attempt: u32,
    ) -> Option<Retry> {
        let transport = |why: String, wait| {
            Some(Retry {
                why: Some(why),
                wait,
            })
        };
        match outcome {
            Err(TransportError::Connection(e)) => {
                transport(format!("connection failed: {e}"), backoff(attempt))
            }
            Err(TransportError::Timeout(t)) if idempotent(method) => {
                transport(format!("no response within {t:?}"), backoff(attempt))
            }
            Err(e @ TransportError::BodyBrokenOff { .. }) if idempotent(method) => {
                transport(e.to_string(), backoff(attempt))
            }
            Ok(r) if r.status == 503 => transport(
                "status 503".to_owned(),
                retry_after(&r.headers).unwrap_or_else(|| backoff(attempt)),
            ),
            Ok(r) if r.status == 429 => Some(Retry {
                why: None,
                wait: retry_after(&r.headers).unwrap_or_else(|| backoff(attempt)),
            }),
            _ => None,
        }
    }
}

/// Whether sending `method` again cannot change the server's state.
fn idempotent(method: &reqwest::Method) -> bool {
    method == reqwest::Method::GET || method == reqwest::Method::HEAD
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.min(6)))
}

/// The wait a 429/503 asks for: `Retry-After` (seconds or HTTP date), else
/// `X-RateLimit-Reset` (epoch milliseconds).
fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(at.duration_since(SystemTime::now()).unwrap_or_default());
        }
    }
    let reset = get("x-ratelimit-reset")?.parse::<u64>().ok()?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_millis();
    let wait = u128::from(reset).saturating_sub(now);
    Some(Duration::from_millis(u64::try_from(wait).unwrap_or(u64::MAX)) + Duration::from_millis(50))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken_off() -> Result<Response, TransportError> {
        Err(TransportError::BodyBrokenOff {
            status: 200,
            message: "operation timed out".to_owned(),
        })
    }

    #[test]
    fn reads_are_retried_on_timeouts_and_broken_bodies_writes_are_not() {
        let timeout = Err(TransportError::Timeout(Duration::from_secs(1)));
        for outcome in [&timeout, &broken_off()] {
            assert!(Retry::of(outcome, &reqwest::Method::GET, 1).is_some());
            assert!(Retry::of(outcome, &reqwest::Method::POST, 1).is_none());
        }
    }

    #[test]
    fn retry_after_reads_seconds_then_ratelimit_reset() {
        let h = vec![("Retry-After".to_owned(), "3".to_owned())];
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let h = vec![("x-ratelimit-reset".to_owned(), (now + 2000).to_string())];
        let wait = retry_after(&h).unwrap_or_default();
        assert!(
            wait > Duration::from_millis(1500) && wait <= Duration::from_millis(2100),
            "{wait:?}"
        );
        assert_eq!(retry_after(&[]), None);
    }
}
