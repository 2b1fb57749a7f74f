//! How request bodies and query strings become the parameter object handlers read.
//!
//! Owns the body rules of the Hono-era router (JSON, form, text, multipart; malformed or
//! non-object JSON becomes `{}`), the 1 MiB body limit, query-string decoding, and the small
//! JavaScript-semantics helpers (truthiness) that Rocket.Chat's parameter code relies on.
//! It must not interpret parameters for any particular route.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use serde_json::{Map, Value};

use super::App;
use super::envelope::ApiError;
use super::gate::Caller;

/// The largest request body accepted.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Request parameters: `this.bodyParams` or `this.queryParams`.
pub(crate) type Params = Map<String, Value>;

/// The body of a POST, read with the real server's content-type rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body(pub(crate) Params);

/// The body of a POST as [`Body`] reads it, plus whether it was a JSON object: declared
/// `application/json` and parsed to an object (the documented request contract).
#[derive(Debug, Clone, Default)]
pub(crate) struct Payload {
    /// What handlers read.
    pub(crate) params: Params,
    /// Whether the body was a JSON object.
    pub(crate) json_object: bool,
}

/// The query string of a GET, every value a string (last occurrence wins).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(pub(crate) Params);

/// What most handlers work with: the application, the authenticated caller, and the call's
/// parameters — the query string of a GET or HEAD (`this.queryParams`), the body otherwise
/// (`this.bodyParams`).
#[derive(Debug)]
pub(crate) struct Call {
    /// The application.
    pub(crate) app: Arc<App>,
    /// Who is calling.
    pub(crate) caller: Caller,
    /// The parameters.
    pub(crate) params: Params,
}

impl Call {
    /// The application, the caller and the parameters.
    pub(crate) fn parts(self) -> (Arc<App>, Caller, Params) {
        (self.app, self.caller, self.params)
    }
}

impl FromRequest<Arc<App>> for Call {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, app).await?;
        let params = if matches!(parts.method, Method::GET | Method::HEAD) {
            Query::from_request_parts(&mut parts, app).await?.0
        } else {
            Body::from_request(Request::from_parts(parts, body), app)
                .await?
                .0
        };
        Ok(Call {
            app: app.clone(),
            caller,
            params,
        })
    }
}

/// The declared `Content-Type`, lowercased (empty when absent).
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether the declared `Content-Type` is JSON.
pub(crate) fn declares_json(content_type: &str) -> bool {
    content_type.contains("application/json")
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`] (declared or actual) with 413.
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Bytes, ApiError> {
    let declared_length = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::payload_too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::payload_too_large())
}

impl<S: Send + Sync> FromRequest<S> for Payload {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = content_type(request.headers());
        let (parts, body) = request.into_parts();
        let bytes = read_limited(&parts.headers, body).await?;
        Ok(parse_payload(&content_type, &bytes))
    }
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let payload = Payload::from_request(request, state).await?;
        Ok(Body(payload.params))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Query(flat_map(decode_urlencoded(query))))
    }
}

/// The router's body parsing (`packages/http-router/src/Router.ts` @3a8f6b51): whatever
/// arrives, handlers see an object.
fn parse_payload(content_type: &str, bytes: &[u8]) -> Payload {
    if declares_json(content_type) {
        return match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(params)) => Payload {
                params,
                json_object: true,
            },
            _ => Payload::default(),
        };
    }
    let params = if content_type.contains("application/x-www-form-urlencoded") {
        flat_map(decode_urlencoded(&String::from_utf8_lossy(bytes)))
    } else if content_type.contains("multipart/form-data") {
        Params::new()
    } else {
        // Read as text and object-spread: "" → {}, "ab" → {"0": "a", "1": "b"}.
        String::from_utf8_lossy(bytes)
            .chars()
            .enumerate()
            .map(|(index, c)| (index.to_string(), Value::String(c.to_string())))
            .collect()
    };
    Payload {
        params,
        json_object: false,
    }
}

fn flat_map(pairs: Vec<(String, String)>) -> Params {
    pairs
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect()
}

/// `application/x-www-form-urlencoded` decoding (also used for query strings).
pub(crate) fn decode_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (percent_decode(key), percent_decode(value)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let decoded = text
                    .get(index + 1..index + 3)
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match decoded {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// JavaScript truthiness of an optional JSON value (absent = `undefined` = falsy).
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// The parameter as a string, if it is one.
pub(crate) fn text<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// The parameter as a non-blank string (`params.x?.trim()` is truthy).
pub(crate) fn nonblank<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    text(params, key).filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_body(content_type: &str, bytes: &[u8]) -> Params {
        parse_payload(content_type, bytes).params
    }

    #[test]
    fn only_a_json_object_declared_as_json_keeps_to_the_contract() {
        assert!(parse_payload("application/json", br#"{"a":1}"#).json_object);
        assert!(!parse_payload("application/json", b"[1]").json_object);
        assert!(!parse_payload("text/plain", br#"{"a":1}"#).json_object);
    }

    #[test]
    fn malformed_or_non_object_json_becomes_empty() {
        assert!(parse_body("application/json", b"{not json").is_empty());
        assert!(parse_body("application/json; charset=utf-8", b"[1,2]").is_empty());
        assert!(parse_body("application/json", b"42").is_empty());
        assert_eq!(
            Value::Object(parse_body("application/json", br#"{"roomId":"x"}"#)),
            json!({"roomId": "x"})
        );
    }

    #[test]
    fn text_bodies_are_spread_into_characters() {
        assert!(parse_body("", b"").is_empty());
        assert_eq!(
            Value::Object(parse_body("text/plain", b"ab")),
            json!({"0": "a", "1": "b"})
        );
    }

    #[test]
    fn forms_are_flat_and_last_value_wins() {
        assert_eq!(
            Value::Object(parse_body(
                "application/x-www-form-urlencoded",
                b"userIds=a&userIds=b&roomName=my+room%21"
            )),
            json!({"userIds": "b", "roomName": "my room!"})
        );
    }

    #[test]
    fn truthiness_follows_javascript() {
        assert!(!truthy(None));
        assert!(!truthy(Some(&json!(""))));
        assert!(!truthy(Some(&json!(0))));
        assert!(truthy(Some(&json!([]))));
        assert!(truthy(Some(&json!({}))));
        assert!(truthy(Some(&json!("0"))));
    }
}
