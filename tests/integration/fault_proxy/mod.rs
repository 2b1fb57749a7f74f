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

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
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

/// A parsed request.
struct Incoming {
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    close: bool,
}

const HEAD_LIMIT: usize = 64 * 1024;
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Serves one client connection: requests one after another (keep-alive) until the client
/// hangs up, asks to close, sends garbage, or a fault ends the connection.
async fn serve_connection(stream: TcpStream, up: Arc<Upstream>) {
    let mut conn = BufReader::new(stream);
    loop {
        let request = match read_request(&mut conn).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(message) => {
                let _ = write_answer(
                    &mut conn,
                    400,
                    &[("Content-Type".into(), "text/plain".into())],
                    message.as_bytes(),
                    true,
                )
                .await;
                return;
            }
        };
        let (path, query) = match request.target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (request.target.as_str(), None),
        };
        let seen = Seen {
            method: &request.method,
            path,
            query,
            body: &request.body,
        };
        let fault = (up.rule)(&seen);
        if let Ok(mut log) = up.log.lock() {
            log.push(Logged {
                method: request.method.to_string(),
                path: path.to_owned(),
                fault: fault.kind(),
            });
        }
        match apply(fault, &mut conn, &request, &up).await {
            Next::Keep if !request.close => {}
            Next::Keep | Next::Close => {
                let _ = conn.get_mut().shutdown().await;
                return;
            }
            // Dropped without a FIN: with SO_LINGER 0 the kernel sends a RST.
            Next::Abort => return,
        }
    }
}

/// What becomes of a connection after an answer.
enum Next {
    /// It serves the next request.
    Keep,
    /// It is closed (FIN).
    Close,
    /// It is reset (RST).
    Abort,
}

impl Next {
    fn after(written: std::io::Result<()>) -> Next {
        if written.is_ok() {
            Next::Keep
        } else {
            Next::Close
        }
    }
}

/// Applies `fault` to `request`; says what becomes of the connection.
async fn apply(
    mut fault: Fault,
    conn: &mut BufReader<TcpStream>,
    request: &Incoming,
    up: &Upstream,
) -> Next {
    loop {
        match fault {
            Fault::Delay(wait, then) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => fault = *then,
                    () = hung_up(conn) => return Next::Close,
                }
            }
            Fault::Forward => {
                return Next::after(match forward(request, up).await {
                    Ok((status, headers, body)) => {
                        write_answer(conn, status, &headers, &body, request.close).await
                    }
                    Err(e) => {
                        let headers = [("Content-Type".to_owned(), "text/plain".to_owned())];
                        write_answer(conn, 502, &headers, e.as_bytes(), request.close).await
                    }
                });
            }
            Fault::LoseAnswer(then) => {
                let _ = forward(request, up).await;
                fault = *then;
            }
            Fault::Rewrite(rewrite) => {
                return Next::after(match forward(request, up).await {
                    Ok((status, headers, body)) => {
                        write_answer(conn, status, &headers, &rewrite(&body), request.close).await
                    }
                    Err(e) => {
                        let headers = [("Content-Type".to_owned(), "text/plain".to_owned())];
                        write_answer(conn, 502, &headers, e.as_bytes(), request.close).await
                    }
                });
            }
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                return Next::after(
                    write_answer(conn, status, &headers, &body, request.close).await,
                );
            }
            Fault::Reset => {
                // SO_LINGER 0: closing sends a RST instead of a FIN.
                return match conn.get_ref().set_zero_linger() {
                    Ok(()) => Next::Abort,
                    Err(_) => Next::Close,
                };
            }
            Fault::Truncated { declared, body } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
                );
                let stream = conn.get_mut();
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.flush().await;
                return Next::Close;
            }
            Fault::Oversized { bytes } => {
                return Next::after(write_oversized(conn.get_mut(), bytes).await);
            }
        }
    }
}

/// Resolves when the client closes its side (or the connection fails) while it waits for an
/// answer; never resolves while the connection is quiet.
async fn hung_up(conn: &mut BufReader<TcpStream>) {
    match conn.fill_buf().await {
        Ok([]) | Err(_) => {}
        // The client sent more (pipelining): not a hang-up.
        Ok(_) => std::future::pending::<()>().await,
    }
}

/// Reads one request; `None` when the client closed the connection between requests.
async fn read_request(conn: &mut BufReader<TcpStream>) -> Result<Option<Incoming>, String> {
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = Vec::new();
        let n = conn
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return if lines.is_empty() {
                Ok(None)
            } else {
                Err("the connection closed inside a request head".into())
            };
        }
        size += n;
        if size > HEAD_LIMIT {
            return Err("request head too large".into());
        }
        let line = String::from_utf8_lossy(&line).trim_end().to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerated blank line before a request
            }
            break;
        }
        lines.push(line);
    }
    let mut request_line = lines[0].split_whitespace();
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(format!("bad request line: {:?}", lines[0]));
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut headers = Vec::new();
    for line in &lines[1..] {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("bad header line: {line:?}"));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let close = match header("connection") {
        Some(v) => v.contains("close"),
        None => version == "HTTP/1.0",
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(conn).await?
    } else {
        let length = match header("content-length") {
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| format!("bad content-length {v:?}"))?,
            None => 0,
        };
        if length > BODY_LIMIT {
            return Err("request body too large".into());
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body)
            .await
            .map_err(|e| e.to_string())?;
        body
    };
    Ok(Some(Incoming {
        method,
        target: target.to_owned(),
        headers,
        body,
        close,
    }))
}

async fn read_chunked(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
        let size_text = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        if body.len() + size > BODY_LIMIT {
            return Err("request body too large".into());
        }
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut trailer = String::new();
                let n = conn
                    .read_line(&mut trailer)
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..])
            .await
            .map_err(|e| e.to_string())?;
        let mut crlf = [0; 2];
        conn.read_exact(&mut crlf)
            .await
            .map_err(|e| e.to_string())?;
    }
}

/// Hop-by-hop headers, and the ones each side sets itself.
fn relayed(name: &str) -> bool {
    ![
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

async fn forward(request: &Incoming, up: &Upstream) -> Result<Answer, String> {
    let mut builder = up
        .client
        .request(
            request.method.clone(),
            format!("{}{}", up.base, request.target),
        )
        .body(request.body.clone());
    for (name, value) in request.headers.iter().filter(|(n, _)| relayed(n)) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let answer = builder.send().await.map_err(|e| e.to_string())?;
    let status = answer.status().as_u16();
    let headers = answer
        .headers()
        .iter()
        .filter(|(n, _)| relayed(n.as_str()))
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = answer.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, headers, body.to_vec()))
}

fn status_line(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    format!("HTTP/1.1 {status} {reason}\r\n")
}

async fn write_answer(
    conn: &mut BufReader<TcpStream>,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    close: bool,
) -> std::io::Result<()> {
    let mut head = status_line(status);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    if close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let stream = conn.get_mut();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

/// Streams `{"success":true,"pad":"xxx…"}` of exactly `bytes` bytes (at least 30).
async fn write_oversized(stream: &mut TcpStream, bytes: usize) -> std::io::Result<()> {
    const OPEN: &[u8] = b"{\"success\":true,\"pad\":\"";
    const CLOSE: &[u8] = b"\"}";
    let bytes = bytes.max(OPEN.len() + CLOSE.len());
    let head = format!(
        "{}content-type: application/json\r\ncontent-length: {bytes}\r\n\r\n",
        status_line(200)
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(OPEN).await?;
    let chunk = vec![b'x'; 64 * 1024];
    let mut left = bytes - OPEN.len() - CLOSE.len();
    while left > 0 {
        let n = left.min(chunk.len());
        stream.write_all(&chunk[..n]).await?;
        left -= n;
    }
    stream.write_all(CLOSE).await?;
    stream.flush().await
}
