//! A fault-injecting HTTP proxy for end-to-end tests: it listens on a free loopback port in
//! front of a server (the reference server), forwards every request unchanged, and lets a
//! rule — a closure over each request — answer some of them itself instead.
//!
//! Tests use it to make a real run meet a misbehaving target. Today a rule can forward, delay
//! and then forward, or answer with any status, content type and body (a 500, a non-JSON or a
//! truncated JSON body); connection resets would be one more [`Fault`] variant served here.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
    /// Wait, then apply the inner fault.
    Delay(Duration, Box<Fault>),
    /// Answer it here; the server never sees it.
    Respond {
        /// The status.
        status: u16,
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body, sent as is (it need not be valid JSON).
        body: String,
    },
}

impl Fault {
    /// A Rocket.Chat-shaped JSON error with `status`.
    pub(crate) fn json_error(status: u16, error: &str) -> Fault {
        Fault::Respond {
            status,
            content_type: "application/json",
            body: serde_json::json!({"success": false, "error": error}).to_string(),
        }
    }
}

/// The rule: decides per request.
pub(crate) type Rule = Arc<dyn Fn(&Seen<'_>) -> Fault + Send + Sync>;

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
    rule: Rule,
}

/// A running proxy; stops when shut down or dropped with the runtime.
pub(crate) struct FaultProxy {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` in front of `upstream` (a base URL).
    pub(crate) async fn start(
        upstream: &str,
        rule: impl Fn(&Seen<'_>) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let state = Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("the proxy's client builds"),
            rule: Arc::new(rule),
        };
        let app = axum::Router::new().fallback(relay).with_state(state);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the proxy binds a loopback port");
        let addr = listener.local_addr().expect("the proxy's address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        FaultProxy {
            url: format!("http://{addr}"),
            stop: Some(stop),
            task,
        }
    }

    /// The proxy's base URL: give it to the runner as `--target`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops the proxy and waits for it.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Hop-by-hop headers, and the ones the HTTP stacks set themselves.
fn relayed(name: &HeaderName) -> bool {
    ![
        header::HOST,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ]
    .contains(name)
}

async fn relay(State(up): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let seen = Seen {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        body: &body,
    };
    let mut fault = (up.rule)(&seen);
    loop {
        match fault {
            Fault::Forward => break,
            Fault::Delay(wait, then) => {
                tokio::time::sleep(wait).await;
                fault = *then;
            }
            Fault::Respond {
                status,
                content_type,
                body,
            } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            }
        }
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let mut headers = HeaderMap::new();
    for (name, value) in parts.headers.iter().filter(|(n, _)| relayed(n)) {
        headers.append(name.clone(), value.clone());
    }
    let sent = up
        .client
        .request(parts.method.clone(), format!("{}{path_and_query}", up.base))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers().iter().filter(|(n, _)| relayed(n)) {
        headers.append(name.clone(), value.clone());
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
