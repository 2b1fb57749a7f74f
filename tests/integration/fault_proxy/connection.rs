//! One client connection: its requests one after another, each forwarded or faulted.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::wire::{Incoming, read_request, write_answer, write_oversized};
use super::{Fault, Logged, Seen, Upstream};

/// Serves one client connection: requests one after another (keep-alive) until the client
/// hangs up, asks to close, sends garbage, or a fault ends the connection.
pub(super) async fn serve_connection(stream: TcpStream, up: Arc<Upstream>) {
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
