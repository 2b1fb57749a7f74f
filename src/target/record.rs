//! What the client keeps of a request: [`Sent`] (the request as sent and its outcome, in
//! memory), the redacted [`Exchange`] built from it only when someone asks, and the raw,
//! unredacted [`RawExchange`] recorded for benchmarks (with the [`LANE`] and stage it was
//! made in).
//!
//! Every secret leaves through [`Sent::exchange`] / [`Sent::excerpt`], scrubbed by the run's
//! [`Redactor`]; a [`RawExchange`] holds live credentials and must never be written anywhere.
//! Nothing here sends or retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::client::TransportError;
use super::request::{Request, Response};
use super::secret::{REDACTED, Redactor, Secret};
use crate::evidence::{Exchange, RateLimitWait};

/// The largest response body a record keeps.
const RECORDED_BODY_LIMIT: usize = 64 * 1024;

tokio::task_local! {
    /// The lane of concurrent work a task belongs to (a case's plan number, or one of the
    /// run's parallel reads); requests made inside carry it.
    pub static LANE: usize;
}

/// One request as sent and its answer, unredacted, kept in memory for benchmarks that replay
/// a run's traffic. It holds live tokens: never write it anywhere.
#[derive(Debug, Clone)]
pub struct RawExchange {
    /// The stage of the run: requests of one stage were made after every request of the
    /// stages before it.
    pub stage: u32,
    /// The lane within the stage: requests of one lane were made one after another, lanes ran
    /// concurrently (none: run-level requests, made one after another).
    pub lane: Option<usize>,
    /// Method.
    pub method: reqwest::Method,
    /// Path and query.
    pub path: String,
    /// Every header sent, including credentials.
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: Option<(Option<String>, String)>,
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// The answer's body, if one came (text: parsing is left to whoever replays it).
    pub response: Option<String>,
}

/// Where a [`super::Client`] records [`RawExchange`]s.
pub type Recording = Arc<std::sync::Mutex<Vec<RawExchange>>>;

/// The raw record of `request` sent with the client's `extra_headers` and `body` in `stage`,
/// and what came of it.
pub(super) fn raw_exchange(
    stage: u32,
    request: &Request,
    extra_headers: &[(String, Secret)],
    body: Option<&(Option<String>, String)>,
    outcome: &Result<Response, TransportError>,
) -> RawExchange {
    let mut headers = Vec::new();
    if let Some(id) = &request.auth.user_id {
        headers.push(("X-User-Id".to_owned(), id.clone()));
    }
    if let Some(token) = &request.auth.token {
        headers.push(("X-Auth-Token".to_owned(), token.expose().to_owned()));
    }
    headers.extend(
        request
            .headers
            .iter()
            .chain(extra_headers)
            .map(|(n, v)| (n.clone(), v.expose().to_owned())),
    );
    RawExchange {
        stage,
        lane: LANE.try_with(|n| *n).ok(),
        method: request.method.clone(),
        path: request.path.clone(),
        headers,
        body: body.cloned(),
        status: outcome.as_ref().ok().map(|r| r.status),
        response: outcome.as_ref().ok().map(|r| r.text.clone()),
    }
}

/// One request as sent and what came of it, unredacted and in memory only (its request body
/// may hold a password: `Debug` shows the method, URL and status alone). [`Sent::exchange`]
/// gives the redacted record that reports show.
#[derive(Clone)]
pub struct Sent {
    pub(super) redactor: Redactor,
    pub(super) method: reqwest::Method,
    pub(super) url: String,
    pub(super) user_id: Option<String>,
    pub(super) with_token: bool,
    pub(super) header_names: Vec<String>,
    /// The names of the client's configured headers.
    pub(super) extra_names: Arc<[String]>,
    pub(super) body: Option<(Option<String>, String)>,
    /// The answer, or why none usable came.
    pub outcome: Result<Response, TransportError>,
    pub(super) attempts: u32,
    pub(super) retries: Vec<String>,
    pub(super) rate_limit_waits: Vec<RateLimitWait>,
    pub(super) elapsed: Duration,
}

impl fmt::Debug for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sent")
            .field("method", &self.method)
            .field("url", &self.redactor.scrub(&self.url))
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Sent {
    /// The answer's status, when one came.
    pub fn status(&self) -> Option<u16> {
        self.outcome.as_ref().ok().map(|r| r.status)
    }

    /// The answer, when one came.
    pub fn response(&self) -> Option<&Response> {
        self.outcome.as_ref().ok()
    }

    /// The redacted record of the request and its whole answer.
    pub fn exchange(&self) -> Exchange {
        let body = self.response().map(|r| {
            self.redactor
                .scrub(crate::excerpt::prefix(&r.text, RECORDED_BODY_LIMIT))
        });
        self.record(body, None)
    }

    /// The redacted record with the answer's body replaced by `body` (an excerpt of it) and a
    /// `note` saying what was cut.
    pub fn excerpt(&self, body: &str, note: String) -> Exchange {
        self.record(Some(self.redactor.scrub(body)), Some(note))
    }

    fn record(&self, response_body: Option<String>, note: Option<String>) -> Exchange {
        let scrub = |s: &str| self.redactor.scrub(s);
        let mut request_headers = Vec::new();
        if let Some(id) = &self.user_id {
            request_headers.push(("X-User-Id".to_owned(), scrub(id)));
        }
        if self.with_token {
            request_headers.push(("X-Auth-Token".to_owned(), REDACTED.to_owned()));
        }
        for name in self.header_names.iter().chain(self.extra_names.iter()) {
            request_headers.push((name.clone(), REDACTED.to_owned()));
        }
        if let Some((Some(ct), _)) = &self.body {
            request_headers.push(("Content-Type".to_owned(), ct.clone()));
        }
        let (status, response_headers, error) = match &self.outcome {
            Ok(r) => (Some(r.status), r.headers.clone(), None),
            Err(e) => (None, Vec::new(), Some(e.to_string())),
        };
        Exchange {
            method: self.method.to_string(),
            url: scrub(&self.url),
            request_headers,
            request_body: self.body.as_ref().map(|(_, text)| scrub(text)),
            status,
            response_headers,
            response_body,
            error,
            attempts: self.attempts,
            retries: self.retries.clone(),
            rate_limit_waits: self.rate_limit_waits.clone(),
            duration_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            note,
        }
    }
}
