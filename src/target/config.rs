//! How a [`super::Client`] talks to its target: the server root, timeouts, body limit and
//! retry bounds ([`ClientConfig`]).
//!
//! Configuration only: it builds nothing and sends nothing.

use std::time::Duration;

/// How the client talks to the target.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Server root, e.g. `https://chat.example.org` (no trailing slash).
    pub base_url: String,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Largest response body read; a larger one is a transport failure with evidence.
    pub max_body: usize,
    /// Attempts per request for connection failures, 429 and 503 (1 = no retry).
    pub attempts: u32,
    /// Longest wait before a retry (Retry-After beyond it is capped).
    pub max_retry_wait: Duration,
}

impl ClientConfig {
    /// Defaults for `base_url`: 30 s timeout, 4 MiB bodies, 4 attempts, waits up to 65 s.
    pub fn new(base_url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(30),
            max_body: 4 * 1024 * 1024,
            attempts: 4,
            max_retry_wait: Duration::from_secs(65),
        }
    }
}
