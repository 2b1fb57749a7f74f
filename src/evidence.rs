//! The redacted record of one HTTP exchange, as reports show it: [`Exchange`] and the
//! rate-limit waits it holds ([`RateLimitWait`]).
//!
//! This module owns the record's shape and its serialized form (report.json stores it as is).
//! It does not build records, send requests or redact anything: [`crate::target`] produces
//! them with every secret already scrubbed, and the report layer stores and renders them.

use serde::{Deserialize, Serialize};

/// The redacted record of one request and its answer, as reports show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// Method.
    pub method: String,
    /// Full URL (the base has no credentials).
    pub url: String,
    /// Request headers, secrets redacted.
    pub request_headers: Vec<(String, String)>,
    /// Request body, secrets redacted.
    pub request_body: Option<String>,
    /// Response status, when one came.
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body (secrets redacted, cut at 64 KiB).
    pub response_body: Option<String>,
    /// The transport failure, when no usable response came.
    pub error: Option<String>,
    /// Attempts made (more than one means a transport retry).
    pub attempts: u32,
    /// Why earlier attempts were retried for transport reasons (connection failures, a
    /// timed-out read, 503): a case that passes after one is `flaky`.
    pub retries: Vec<String>,
    /// Earlier attempts answered 429 and sent again after the wait the server asked for (not
    /// flakiness: the target's rate limiter at work).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_limit_waits: Vec<RateLimitWait>,
    /// Wall time of all attempts, in milliseconds.
    pub duration_ms: u64,
    /// What this record is when it is not the whole exchange: an excerpt of a read shared by
    /// every case of the run, its body cut down to the entries of one case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A wait for the target's rate limiter before a request was sent again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RateLimitWait {
    /// The attempt that was answered 429.
    pub attempt: u32,
    /// How long the runner waited, as `Retry-After` or `X-RateLimit-Reset` said (capped).
    pub waited_ms: u64,
}
