//! The one HTTP client of a target server: auth headers and the configured extra headers,
//! timeouts, bounded retries (the policy is the sibling `retry` module) for transport
//! failures and 429/503, body-size limits, request counting, and a [`Sent`] of every request
//! from which the redacted [`Exchange`] is built. The network it goes through (certificates,
//! proxy) is set up once by [`super::connect`].
//!
//! It knows HTTP and the Rocket.Chat auth headers, nothing of cases or expectations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

use super::config::ClientConfig;
use super::connect::{ClientError, error_chain, http_client};
use super::record::{Recording, Sent, raw_exchange};
use super::request::{Purpose, Request, Response, body_text};
use super::retry::Retry;
use super::secret::Redactor;
use crate::evidence::Exchange;
/// Also at [`crate::evidence::RateLimitWait`]; kept here for existing paths.
pub use crate::evidence::RateLimitWait;

/// Why a request got no usable response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum TransportError {
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The connection failed or was dropped.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The TLS handshake failed: the target's certificate is not trusted (an internal CA not
    /// given, a name it was not issued for, expired) or the two sides share no protocol.
    /// Sending again would fail the same way, so it is never retried.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
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

/// The client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    redactor: Redactor,
    /// The configured headers of every request, as they go on the wire.
    extra_headers: Arc<[(HeaderName, HeaderValue)]>,
    /// Their names as configured, for the records.
    extra_names: Arc<[String]>,
    counters: Arc<[AtomicU64; Purpose::ALL.len()]>,
    /// Rate-limit waits: how many, and milliseconds waited.
    waits: Arc<[AtomicU64; 2]>,
    recording: Option<Recording>,
    stage: Arc<AtomicU32>,
    /// The server root, parsed once: a request's URL is made from it ([`joined`]).
    base: Option<reqwest::Url>,
}

impl Client {
    /// A client for `config`; secrets are scrubbed from records with `redactor` (the values
    /// of the configured headers are registered with it). Fails when the configuration
    /// cannot work: a CA file unreadable or without a certificate, a malformed header or
    /// proxy.
    pub fn new(config: ClientConfig, redactor: Redactor) -> Result<Client, ClientError> {
        let (http, extra_headers) = http_client(&config, &redactor)?;
        let extra_names = config.headers.iter().map(|(n, _)| n.clone()).collect();
        let base = reqwest::Url::parse(&config.base_url)
            .ok()
            .filter(|u| !u.cannot_be_a_base() && u.query().is_none() && u.fragment().is_none());
        Ok(Client {
            base,
            http,
            config: Arc::new(config),
            redactor,
            extra_headers: extra_headers.into(),
            extra_names,
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

    /// Marks the start of the next stage of the run (see [`super::RawExchange::stage`]).
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
        let parsed = self
            .base
            .as_ref()
            .and_then(|base| joined(base, &request.path));
        let body = body_text(&request.body);
        let mut retries = Vec::new();
        let mut rate_limit_waits = Vec::new();
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            self.counters[request.purpose as usize].fetch_add(1, Ordering::Relaxed);
            let outcome = self
                .attempt((&url, parsed.as_ref()), request, body.as_ref())
                .await;
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
            let stage = self.stage.load(Ordering::Relaxed);
            let extra = &self.config.headers;
            let raw = raw_exchange(stage, request, extra, body.as_ref(), &outcome);
            if let Ok(mut all) = recording.lock() {
                all.push(raw);
            }
        }
        Sent {
            redactor: self.redactor.clone(),
            method: request.method.clone(),
            url,
            user_id: request.auth.user_id.clone(),
            with_token: request.auth.token.is_some(),
            header_names: request.headers.iter().map(|(n, _)| n.clone()).collect(),
            extra_names: self.extra_names.clone(),
            body,
            outcome,
            attempts: attempt,
            retries,
            rate_limit_waits,
            elapsed: started.elapsed(),
        }
    }

    /// One attempt at `url`, made from its parsed form when there is one (the same URL).
    async fn attempt(
        &self,
        (url, parsed): (&str, Option<&reqwest::Url>),
        request: &Request,
        body: Option<&(Option<String>, String)>,
    ) -> Result<Response, TransportError> {
        let mut builder = match parsed {
            Some(parsed) => self.http.request(request.method.clone(), parsed.clone()),
            None => self.http.request(request.method.clone(), url),
        };
        if let Some(id) = &request.auth.user_id {
            builder = builder.header("X-User-Id", id);
        }
        if let Some(token) = &request.auth.token {
            builder = builder.header("X-Auth-Token", token.expose());
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value.expose());
        }
        for (name, value) in self.extra_headers.iter() {
            builder = builder.header(name.clone(), value.clone());
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
}

/// `base` and `path` (`/api/v1/…?…`) as one URL, made from the parsed root instead of parsing
/// the root again with every request (its host's IDNA pass above all): the same URL that
/// parsing the two written one after the other gives, for a path that starts with `/` and has
/// no fragment (`None` for any other, which is then parsed whole).
fn joined(base: &reqwest::Url, path: &str) -> Option<reqwest::Url> {
    if !path.starts_with('/') || path.contains('#') {
        return None;
    }
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let mut url = base.clone();
    let root = base.path().trim_end_matches('/');
    url.set_path(&format!("{root}{path}"));
    url.set_query(query);
    Some(url)
}

fn classify(error: &reqwest::Error, timeout: Duration) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout(timeout)
    } else if error.is_builder() {
        TransportError::Invalid(error.to_string())
    } else if is_tls(error) {
        TransportError::Tls(error_chain(error))
    } else {
        TransportError::Connection(error_chain(error))
    }
}

/// Whether a TLS error (rustls's) is among the causes of `error`. An I/O error hides the
/// error it wraps from `source()`, so those are looked into as well.
fn is_tls(error: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if holds_tls(e, 0) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Whether `error` is a rustls error, or wraps one in I/O errors (rustls's error reaches
/// reqwest inside two of them).
fn holds_tls(error: &(dyn std::error::Error + 'static), depth: usize) -> bool {
    error.is::<rustls::Error>()
        || depth < 8
            && error
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .is_some_and(|inner| holds_tls(inner, depth + 1))
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
                    TransportError::Connection(m) | TransportError::Tls(m) => m,
                    other => other.to_string(),
                };
                return Err(TransportError::BodyBrokenOff { status, message });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Url;

    use super::joined;

    /// A request goes to the URL that parsing its root and path written together gives, for
    /// every shape of path the run sends and some it never does.
    #[test]
    fn a_url_made_from_the_parsed_root_is_the_url_parsing_the_whole_gives() {
        let roots = [
            "http://127.0.0.1:3000",
            "https://chat.example.com",
            "https://chat.example.com/rocket",
            "http://[::1]:8080/a/b",
            "https://bücher.example:8443/chat",
        ];
        let paths = [
            "/api/info",
            "/api/v1/channels.invite",
            "/api/v1/rooms.adminRooms?filter=rcc-abc-&types[]=c&types[]=p&offset=0&count=100",
            "/api/v1/users.info?username=rcc-abc-001-u%C3%A9&includeUserRooms=true",
            "/api/v1/channels.members?roomId=a b&count=0",
            "/api/v1/x?q=é&r=%zz&s=\"quoted\"",
            "/api/v1/../v1/./me",
            "//api/v1/me",
            "/api/v1\\me",
            "/api/v1/me?",
            "/api/v1/spaced path/é",
        ];
        for root in roots {
            let base = Url::parse(root).expect("a root");
            for path in paths {
                let whole = Url::parse(&format!("{root}{path}")).expect("parses whole");
                assert_eq!(
                    joined(&base, path).map(String::from),
                    Some(String::from(whole)),
                    "{root} + {path}"
                );
            }
        }
        let base = Url::parse("http://127.0.0.1:3000").expect("a root");
        assert_eq!(joined(&base, "/api/v1/me#frag"), None);
        assert_eq!(joined(&base, "api/v1/me"), None);
    }
}
