//! The one HTTP client of a target server: auth headers, timeouts, bounded retries for
//! transport failures and 429/503, body-size limits, request counting and a redacted record
//! ([`Exchange`]) of every request.
//!
//! It knows HTTP and the Rocket.Chat auth headers, nothing of cases or expectations.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::Serialize;
use serde_json::Value;

use super::secret::{REDACTED, Redactor, Secret};
pub use crate::evidence::{Exchange, RateLimitWait};

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

/// Why a request got no usable response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum TransportError {
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The connection failed or was dropped.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The response started (status {status}) but its body broke off. The server may have
    /// acted on the request, so it is never retried.
    #[error("the response (status {status}) broke off while its body was read: {message}")]
    BodyBrokenOff {
        /// The status that had arrived.
        status: u16,
        /// What failed.
        message: String,
    },
    /// The body exceeded the limit.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The request could not be built.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// What a request is for; requests are counted per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Version, login and capability checks before a run.
    Preflight,
    /// Creating fixtures and applying grants.
    Provision,
    /// The calls under test.
    Call,
    /// Reading state to judge a call.
    Verify,
    /// Undoing fixtures and grants.
    Cleanup,
}

impl Purpose {
    /// Every purpose, in flow order.
    pub const ALL: [Purpose; 5] = [
        Purpose::Preflight,
        Purpose::Provision,
        Purpose::Call,
        Purpose::Verify,
        Purpose::Cleanup,
    ];
}

/// The auth headers of a request.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// `X-User-Id`.
    pub user_id: Option<String>,
    /// `X-Auth-Token`.
    pub token: Option<Secret>,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// No body.
    None,
    /// A JSON body.
    Json(Value),
    /// Text sent as is, with an optional content type.
    Raw {
        /// The text.
        text: String,
        /// The `Content-Type`.
        content_type: Option<String>,
    },
}

/// One request to the target.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: reqwest::Method,
    /// Path and query below the root, e.g. `/api/v1/channels.members?roomId=x`.
    pub path: String,
    /// Auth headers.
    pub auth: Auth,
    /// Body.
    pub body: RequestBody,
    /// Other headers; values are secrets when they carry credentials (2FA code).
    pub headers: Vec<(String, Secret)>,
    /// What it is for.
    pub purpose: Purpose,
}

impl Request {
    /// A `GET` of `path`.
    pub fn get(path: impl Into<String>, purpose: Purpose) -> Request {
        Request {
            method: reqwest::Method::GET,
            path: path.into(),
            auth: Auth::default(),
            body: RequestBody::None,
            headers: Vec::new(),
            purpose,
        }
    }

    /// A `POST` of a JSON body to `path`.
    pub fn post(path: impl Into<String>, body: Value, purpose: Purpose) -> Request {
        Request {
            method: reqwest::Method::POST,
            path: path.into(),
            auth: Auth::default(),
            body: RequestBody::Json(body),
            headers: Vec::new(),
            purpose,
        }
    }

    /// The same request with auth headers.
    pub fn auth(mut self, auth: Auth) -> Request {
        self.auth = auth;
        self
    }
}

/// A response with its body read.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The body as text (lossy UTF-8).
    pub text: String,
    /// The body as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Response headers, lower-case names.
    pub headers: Vec<(String, String)>,
}

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

/// Where a [`Client`] records [`RawExchange`]s.
pub type Recording = Arc<std::sync::Mutex<Vec<RawExchange>>>;

/// The client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    redactor: Redactor,
    counters: Arc<[AtomicU64; 5]>,
    /// Rate-limit waits: how many, and milliseconds waited.
    waits: Arc<[AtomicU64; 2]>,
    recording: Option<Recording>,
    stage: Arc<AtomicU32>,
}

impl Client {
    /// A client for `config`; secrets are scrubbed from records with `redactor`.
    pub fn new(config: ClientConfig, redactor: Redactor) -> Result<Client, TransportError> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("rc-conform/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&config.base_url) {
            builder = builder.no_proxy();
        }
        if config.base_url.starts_with("http://") {
            // Plain HTTP never verifies a certificate: skip loading the system's roots (a few
            // milliseconds of PEM parsing per run).
            builder = builder.tls_certs_only(Vec::new());
        }
        let http = builder
            .build()
            .map_err(|e| TransportError::Invalid(e.to_string()))?;
        Ok(Client {
            http,
            config: Arc::new(config),
            redactor,
            counters: Arc::new(Default::default()),
            waits: Arc::new(Default::default()),
            recording: None,
            stage: Arc::default(),
        })
    }

    /// The same client, also recording every request and answer into `recording`
    /// (benchmarks only: the records hold live tokens).
    pub fn recording_into(mut self, recording: Recording) -> Client {
        self.recording = Some(recording);
        self
    }

    /// Marks the start of the next stage of the run (see [`RawExchange::stage`]).
    pub fn next_stage(&self) {
        self.stage.fetch_add(1, Ordering::Relaxed);
    }

    /// The server root.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The run's redactor.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Requests sent so far (attempts included), per purpose.
    pub fn request_counts(&self) -> Vec<(Purpose, u64)> {
        Purpose::ALL
            .iter()
            .map(|p| (*p, self.counters[*p as usize].load(Ordering::Relaxed)))
            .collect()
    }

    /// Waits for the target's rate limiter so far: how many, and milliseconds waited.
    pub fn rate_limit_waits(&self) -> (u64, u64) {
        (
            self.waits[0].load(Ordering::Relaxed),
            self.waits[1].load(Ordering::Relaxed),
        )
    }

    /// Sends `request` (see [`Client::dispatch`]) and builds its redacted record at once.
    pub async fn send(&self, request: &Request) -> (Exchange, Result<Response, TransportError>) {
        let sent = self.dispatch(request).await;
        (sent.exchange(), sent.outcome)
    }

    /// Sends `request`, retrying connection failures, 503, a timed-out idempotent read and
    /// 429 (after the wait the server asks for) within the configured bounds; never panics
    /// on what the target sends. The redacted record is built only when asked for
    /// ([`Sent::exchange`]): most requests succeed and are never shown.
    pub async fn dispatch(&self, request: &Request) -> Sent {
        let started = Instant::now();
        let url = format!("{}{}", self.config.base_url, request.path);
        let body = body_text(&request.body);
        let mut retries = Vec::new();
        let mut rate_limit_waits = Vec::new();
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            self.counters[request.purpose as usize].fetch_add(1, Ordering::Relaxed);
            let outcome = self.attempt(&url, request, body.as_ref()).await;
            let Some(retry) = Retry::of(&outcome, &request.method, attempt) else {
                break outcome;
            };
            if attempt >= self.config.attempts {
                break outcome;
            }
            let wait = retry.wait.min(self.config.max_retry_wait);
            let waited_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            match retry.why {
                None => {
                    rate_limit_waits.push(RateLimitWait { attempt, waited_ms });
                    self.waits[0].fetch_add(1, Ordering::Relaxed);
                    self.waits[1].fetch_add(waited_ms, Ordering::Relaxed);
                }
                Some(why) => retries.push(format!(
                    "attempt {attempt}: {why}; retried after {waited_ms} ms"
                )),
            }
            tokio::time::sleep(wait).await;
        };
        if let Some(recording) = &self.recording {
            self.record_raw(recording, request, body.as_ref(), &outcome);
        }
        Sent {
            redactor: self.redactor.clone(),
            method: request.method.clone(),
            url,
            user_id: request.auth.user_id.clone(),
            with_token: request.auth.token.is_some(),
            header_names: request.headers.iter().map(|(n, _)| n.clone()).collect(),
            body,
            outcome,
            attempts: attempt,
            retries,
            rate_limit_waits,
            elapsed: started.elapsed(),
        }
    }

    async fn attempt(
        &self,
        url: &str,
        request: &Request,
        body: Option<&(Option<String>, String)>,
    ) -> Result<Response, TransportError> {
        let mut builder = self.http.request(request.method.clone(), url);
        if let Some(id) = &request.auth.user_id {
            builder = builder.header("X-User-Id", id);
        }
        if let Some(token) = &request.auth.token {
            builder = builder.header("X-Auth-Token", token.expose());
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value.expose());
        }
        if let Some((content_type, text)) = body {
            builder = builder.body(text.clone());
            if let Some(ct) = content_type {
                builder = builder.header(CONTENT_TYPE, ct);
            }
        }
        let response = builder
            .send()
            .await
            .map_err(|e| classify(&e, self.config.timeout))?;
        let status = response.status().as_u16();
        let headers = header_list(response.headers());
        let bytes = read_limited(response, self.config.max_body, self.config.timeout).await?;
        let json = serde_json::from_slice(&bytes).ok();
        // Valid UTF-8 (nearly always) becomes the text without a copy.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Response {
            status,
            text,
            json,
            headers,
        })
    }

    fn record_raw(
        &self,
        recording: &Recording,
        request: &Request,
        body: Option<&(Option<String>, String)>,
        outcome: &Result<Response, TransportError>,
    ) {
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
                .map(|(n, v)| (n.clone(), v.expose().to_owned())),
        );
        let raw = RawExchange {
            stage: self.stage.load(Ordering::Relaxed),
            lane: LANE.try_with(|n| *n).ok(),
            method: request.method.clone(),
            path: request.path.clone(),
            headers,
            body: body.cloned(),
            status: outcome.as_ref().ok().map(|r| r.status),
            response: outcome.as_ref().ok().map(|r| r.text.clone()),
        };
        if let Ok(mut all) = recording.lock() {
            all.push(raw);
        }
    }
}

/// One request as sent and what came of it, unredacted and in memory only (its request body
/// may hold a password: `Debug` shows the method, URL and status alone). [`Sent::exchange`]
/// gives the redacted record that reports show.
#[derive(Clone)]
pub struct Sent {
    redactor: Redactor,
    method: reqwest::Method,
    url: String,
    user_id: Option<String>,
    with_token: bool,
    header_names: Vec<String>,
    body: Option<(Option<String>, String)>,
    /// The answer, or why none usable came.
    pub outcome: Result<Response, TransportError>,
    attempts: u32,
    retries: Vec<String>,
    rate_limit_waits: Vec<RateLimitWait>,
    elapsed: Duration,
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
        for name in &self.header_names {
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

/// A request body as sent: its content type and text (JSON serialised once, for every
/// attempt and the record).
fn body_text(body: &RequestBody) -> Option<(Option<String>, String)> {
    match body {
        RequestBody::None => None,
        RequestBody::Json(v) => Some((Some("application/json".to_owned()), v.to_string())),
        RequestBody::Raw { text, content_type } => Some((content_type.clone(), text.clone())),
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("://[::1]")
}

fn classify(error: &reqwest::Error, timeout: Duration) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout(timeout)
    } else if error.is_builder() {
        TransportError::Invalid(error.to_string())
    } else {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        TransportError::Connection(message)
    }
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "set-cookie" | "x-auth-token"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, TransportError> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(TransportError::BodyTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                let message = match classify(&e, timeout) {
                    TransportError::Connection(m) => m,
                    other => other.to_string(),
                };
                return Err(TransportError::BodyBrokenOff { status, message });
            }
        }
    }
}

/// Why an attempt is made again, and after how long.
struct Retry {
    /// The transport reason, or none for a wait the rate limiter asked for.
    why: Option<String>,
    wait: Duration,
}

impl Retry {
    /// Whether `outcome` of attempt `attempt` is worth another: connection failures, 503
    /// and 429 for any request (nothing was done, or the server says to come back); a timeout
    /// only for a `GET`, which changes nothing when sent again.
    fn of(
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
            Err(TransportError::Timeout(t)) if method == reqwest::Method::GET => {
                transport(format!("no response within {t:?}"), backoff(attempt))
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

    #[test]
    fn loopback_targets_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:3000"));
        assert!(is_loopback("http://localhost:3000/x"));
        assert!(!is_loopback("https://chat.example.org"));
    }
}
