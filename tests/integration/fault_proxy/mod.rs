//! A fault-injecting HTTP/1.1 proxy for end-to-end tests: it listens on a free loopback port
//! in front of a server (the reference server), forwards every request unchanged, and lets a
//! rule — a closure over each request — misbehave on some of them instead.
//!
//! It speaks HTTP/1.1 over plain TCP itself (keep-alive, `Content-Length` and chunked request
//! bodies) rather than through an HTTP framework, so that a [`Fault`] can do what a
//! well-behaved server never does: reset the connection before answering, declare a longer
//! body than it sends and hang up, or send a body of any size. A rule can forward, delay and
//! then do anything else, answer with any status, headers and body, or forward the request
//! (so the server acts on it) and then lose the answer.
//!
//! Every request is logged with the fault applied to it ([`FaultProxy::log`]).

#![allow(dead_code)]

mod connection;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A request as the rule sees it.
#[derive(Debug)]
pub(crate) struct Seen<'a> {
    /// The method.
    pub(crate) method: &'a Method,
    /// The path, e.g. `/api/v1/users.delete`.
    pub(crate) path: &'a str,
    /// The query string, if any.
    pub(crate) query: Option<&'a str>,
    /// The request body.
    pub(crate) body: &'a [u8],
}

/// What the proxy does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Forward it to the server and relay the answer.
    Forward,
    /// Wait, then apply the inner fault. When the client hangs up during the wait (it timed
    /// out), the request is dropped: the server never sees it.
    Delay(Duration, Box<Fault>),
    /// Answer it here; the server never sees it.
    Respond {
        /// The status.
        status: u16,
        /// Headers besides `Content-Length` (which the proxy sets).
        headers: Vec<(String, String)>,
        /// The body, sent as is (it need not be valid JSON).
        body: Vec<u8>,
    },
    /// Reset the connection (TCP RST) after reading the request, before any response byte;
    /// the server never sees the request.
    Reset,
    /// Answer `200` with `Content-Length: declared`, send only `body`, then close the
    /// connection; the server never sees the request.
    Truncated {
        /// The `Content-Length` announced.
        declared: usize,
        /// What is actually sent (shorter than `declared`).
        body: Vec<u8>,
    },
    /// Answer `200 application/json` with a well-formed JSON object of exactly `bytes` bytes
    /// (padded with a long string); the server never sees the request.
    Oversized {
        /// The body's size.
        bytes: usize,
    },
    /// Forward it to the server (which acts on it), discard the server's answer and apply
    /// the inner fault instead: an answer lost on the way back.
    LoseAnswer(Box<Fault>),
    /// Forward it and relay the answer with its body rewritten: a server that answers in its
    /// own way (fields missing, entries left out).
    Rewrite(fn(&[u8]) -> Vec<u8>),
}

impl Fault {
    /// An answer with `status`, a `Content-Type` and a body.
    pub(crate) fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A Rocket.Chat-shaped JSON error with `status`.
    pub(crate) fn json_error(status: u16, error: &str) -> Fault {
        Fault::respond(
            status,
            "application/json",
            serde_json::json!({"success": false, "error": error}).to_string(),
        )
    }

    /// The same answer with one more header (no effect on faults that are not answers).
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Fault {
        if let Fault::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// `inner` after `wait`.
    pub(crate) fn delayed(wait: Duration, inner: Fault) -> Fault {
        Fault::Delay(wait, Box::new(inner))
    }

    /// A short name for the log.
    fn kind(&self) -> String {
        match self {
            Fault::Forward => "forward".to_owned(),
            Fault::Delay(wait, then) => format!("delay {} ms, {}", wait.as_millis(), then.kind()),
            Fault::Respond { status, .. } => format!("respond {status}"),
            Fault::Reset => "reset".to_owned(),
            Fault::Truncated { declared, body } => {
                format!("truncated {} of {declared} bytes", body.len())
            }
            Fault::Oversized { bytes } => format!("oversized {bytes} bytes"),
            Fault::LoseAnswer(then) => format!("forward, lose the answer, {}", then.kind()),
            Fault::Rewrite(_) => "forward, rewrite the answer".to_owned(),
        }
    }
}

/// The rule: decides per request.
pub(crate) type Rule = Arc<dyn Fn(&Seen<'_>) -> Fault + Send + Sync>;

/// One request the proxy handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logged {
    /// The method.
    pub(crate) method: String,
    /// The path (without the query).
    pub(crate) path: String,
    /// What the proxy did, e.g. `forward`, `respond 503`, `reset`.
    pub(crate) fault: String,
}

struct Upstream {
    base: String,
    client: reqwest::Client,
    rule: Rule,
    log: Arc<Mutex<Vec<Logged>>>,
}

/// A running proxy; stops when shut down or dropped with the runtime.
pub(crate) struct FaultProxy {
    url: String,
    log: Arc<Mutex<Vec<Logged>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of `upstream` (a base URL).
    pub(crate) async fn start(
        upstream: &str,
        rule: impl Fn(&Seen<'_>) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let log = Arc::new(Mutex::new(Vec::new()));
        let up = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("the proxy's client builds"),
            rule: Arc::new(rule),
            log: log.clone(),
        });
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the proxy binds a loopback port");
        let addr = listener.local_addr().expect("the proxy's address");
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(serve_connection(stream, up.clone()));
                        }
                    }
                    // Reap finished connections as they end.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            connections.shutdown().await;
        });
        FaultProxy {
            url: format!("http://{addr}"),
            log,
            stop: Some(stop),
            task,
        }
    }

    /// The proxy's base URL: give it to the runner as `--target`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Every request handled so far, in arrival order.
    pub(crate) fn log(&self) -> Vec<Logged> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The requests handled so far whose path is `path`.
    pub(crate) fn requests_to(&self, path: &str) -> Vec<Logged> {
        self.log().into_iter().filter(|l| l.path == path).collect()
    }

    /// Stops the proxy (open connections are closed) and waits for it.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

use connection::serve_connection;
