//! The JSON body parser of the 6.x and 7.x lines: Express's `express.json()` with its defaults
//! (strict), mounted in front of the API routes, and Express's production `finalhandler` page
//! for what it refuses.
//!
//! Owns which JSON bodies that parser refuses — a `Content-Type: application/json` body that is
//! not JSON, or is a JSON primitive (strict mode accepts only objects and arrays; an empty body
//! passes as `{}`) — and the 400 `text/html` answer, given before authentication. This is an
//! emulation from reading Express's defaults, not established live (see `version.rs`). It must
//! not interpret what it lets through: the routes read the body as on 8.x.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::request::{content_type, declares_json, read_limited};
use super::{App, incidental};

/// Express's production error page for a 400.
pub(crate) const BAD_REQUEST_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Bad Request</pre>\n</body>\n</html>\n";

/// Whether strict `express.json()` accepts the body: empty, or a JSON object or array.
fn accepts(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let first = bytes
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    matches!(first, Some(b'{' | b'[')) && serde_json::from_slice::<Value>(bytes).is_ok()
}

/// `finalhandler`'s answer: the page, `text/html`, and its two protective headers.
fn bad_request() -> Response {
    let mut response = (StatusCode::BAD_REQUEST, BAD_REQUEST_PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static("default-src 'none'"),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Middleware (6.x and 7.x only): parse JSON bodies before any route runs.
pub(crate) async fn json_body_parser(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    if !declares_json(&content_type(request.headers())) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match read_limited(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(too_large) => return too_large.into_response(),
    };
    if !accepts(&bytes) {
        return match incidental::unreadable_body_refusal(&app.rules, parts.uri.path()) {
            Some(refusal) => refusal.into_response(),
            None => bad_request(),
        };
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_mode_takes_objects_arrays_and_nothing() {
        for body in [&b""[..], b"{}", b" [1, 2]", b"\n{\"a\": null}"] {
            assert!(accepts(body), "{}", String::from_utf8_lossy(body));
        }
        for body in [
            &b"not json"[..],
            b"42",
            b"\"x\"",
            b"true",
            b"null",
            b"  ",
            b"{broken",
        ] {
            assert!(!accepts(body), "{}", String::from_utf8_lossy(body));
        }
    }
}
