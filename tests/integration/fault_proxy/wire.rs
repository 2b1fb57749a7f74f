//! HTTP/1.1 on the wire: a request head and its body (`Content-Length` or chunked) read,
//! an answer written.

use axum::http::{Method, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A parsed request.
pub(super) struct Incoming {
    pub(super) method: Method,
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) close: bool,
}

const HEAD_LIMIT: usize = 64 * 1024;
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Reads one request; `None` when the client closed the connection between requests.
pub(super) async fn read_request(
    conn: &mut BufReader<TcpStream>,
) -> Result<Option<Incoming>, String> {
    let Some(lines) = read_head(conn).await? else {
        return Ok(None);
    };
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
    let close = match header(&headers, "connection") {
        Some(v) => v.contains("close"),
        None => version == "HTTP/1.0",
    };
    let body = read_body(conn, &headers).await?;
    Ok(Some(Incoming {
        method,
        target: target.to_owned(),
        headers,
        body,
        close,
    }))
}

/// Reads the lines of a request head, up to the blank line that ends it (blank lines before
/// it are tolerated); `None` when the client closed the connection before a request.
async fn read_head(conn: &mut BufReader<TcpStream>) -> Result<Option<Vec<String>>, String> {
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
            return Ok(Some(lines));
        }
        lines.push(line);
    }
}

/// The value of the header `name` (any case), in lowercase.
fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_ascii_lowercase())
}

/// Reads the body the `headers` announce: chunked, of a `Content-Length`, or none.
async fn read_body(
    conn: &mut BufReader<TcpStream>,
    headers: &[(String, String)],
) -> Result<Vec<u8>, String> {
    if header(headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        return read_chunked(conn).await;
    }
    let length = match header(headers, "content-length") {
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
    Ok(body)
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

fn status_line(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    format!("HTTP/1.1 {status} {reason}\r\n")
}

pub(super) async fn write_answer(
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
pub(super) async fn write_oversized(stream: &mut TcpStream, bytes: usize) -> std::io::Result<()> {
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
