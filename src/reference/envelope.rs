//! Rocket.Chat-shaped response bodies: the success wrapper and every error envelope.
//!
//! Owns [`ApiError`] (status + body) and the constructors for each error family the real
//! server produces (Meteor errors, plain failures, 401/403/429, validation, router misses).
//! It must not decide when an error happens; callers do.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Which error envelope the impersonated release uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    /// 6.x (Restivus-era routes): as [`Envelope::Legacy`], but 401 bodies are Restivus's
    /// `{status, message}` only.
    Restivus,
    /// 7.x–8.x: 401 bodies keep `status`/`message`; the forbidden default text is "unauthorized".
    Legacy,
    /// 9.0 breaking changes: 401 bodies drop `status`/`message`; forbidden text is "forbidden".
    Breaking,
}

const NOT_LOGGED_IN: &str = "You must be logged in to do this.";
const NO_PERMISSION: &str = "User does not have the permissions required for this action";

/// A failed request: an HTTP status and a JSON object body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Map<String, Value>,
    /// The JavaScript error class when the real server *throws* this error (and so adds a
    /// `stack` in TEST_MODE); `None` for results a route returns directly.
    thrown: Option<&'static str>,
}

/// Response extension marking a body that came from a thrown error.
#[derive(Debug, Clone)]
struct ThrownError {
    class: &'static str,
    body: Map<String, Value>,
}

/// What a route handler returns.
pub(crate) type Reply = Result<Json<Value>, ApiError>;

/// `API.v1.success(result)`: the result object with `success: true` appended.
pub(crate) fn success(result: Value) -> Reply {
    let mut body = match result {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    body.insert("success".into(), Value::Bool(true));
    Ok(Json(Value::Object(body)))
}

impl ApiError {
    /// A body of exactly `pairs`.
    fn bare(status: StatusCode, pairs: Vec<(&str, Value)>) -> ApiError {
        let body = pairs
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        ApiError {
            status,
            body,
            thrown: None,
        }
    }

    /// `{success: false, …pairs}`.
    fn with_body(status: StatusCode, mut pairs: Vec<(&str, Value)>) -> ApiError {
        pairs.insert(0, ("success", Value::Bool(false)));
        ApiError::bare(status, pairs)
    }

    /// A thrown `Meteor.Error(code, reason)`: 400 `{error: "<reason> [<code>]", errorType}`.
    pub(crate) fn meteor(code: &str, reason: &str) -> ApiError {
        let error = if reason.is_empty() {
            format!("[{code}]")
        } else {
            format!("{reason} [{code}]")
        };
        let mut thrown = ApiError::with_body(
            StatusCode::BAD_REQUEST,
            vec![("error", json!(error)), ("errorType", json!(code))],
        );
        thrown.thrown = Some("Error");
        thrown
    }

    /// A JavaScript `TypeError` escaping a route: 400 `{error: message}`, no errorType.
    pub(crate) fn type_error(message: &str) -> ApiError {
        let mut thrown = ApiError::failure(message);
        thrown.thrown = Some("TypeError");
        thrown
    }

    /// A plain JavaScript `Error` escaping a route: 400 `{success: false, error: message}`, no
    /// errorType.
    pub(crate) fn thrown_error(message: &str) -> ApiError {
        let mut thrown = ApiError::failure(message);
        thrown.thrown = Some("Error");
        thrown
    }

    /// `API.v1.failure(message)`: 400 `{success: false, error: message}`, no errorType.
    pub(crate) fn failure(message: impl Into<String>) -> ApiError {
        ApiError::with_body(
            StatusCode::BAD_REQUEST,
            vec![("error", Value::String(message.into()))],
        )
    }

    /// `API.v1.failure(message, errorType)`: both fields verbatim, whatever they contain.
    pub(crate) fn failure_typed(message: &str, error_type: &str) -> ApiError {
        ApiError::with_body(
            StatusCode::BAD_REQUEST,
            vec![("error", json!(message)), ("errorType", json!(error_type))],
        )
    }

    /// Adds `details` (Meteor error details).
    pub(crate) fn with_details(mut self, details: Value) -> ApiError {
        self.body.insert("details".into(), details);
        self
    }

    /// Replaces the status code, keeping the body.
    pub(crate) fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    /// Missing, unknown or revoked credentials.
    pub(crate) fn unauthenticated(envelope: Envelope) -> ApiError {
        let pairs = match envelope {
            Envelope::Restivus => {
                return ApiError::bare(
                    StatusCode::UNAUTHORIZED,
                    vec![
                        ("status", json!("error")),
                        ("message", json!(NOT_LOGGED_IN)),
                    ],
                );
            }
            Envelope::Legacy => vec![
                ("status", json!("error")),
                ("error", json!(NOT_LOGGED_IN)),
                ("message", json!(NOT_LOGGED_IN)),
            ],
            Envelope::Breaking => vec![("error", json!(NOT_LOGGED_IN))],
        };
        ApiError::with_body(StatusCode::UNAUTHORIZED, pairs)
    }

    /// `API.v1.forbidden()` without a message (in-handler permission refusals).
    pub(crate) fn forbidden(envelope: Envelope) -> ApiError {
        let text = match envelope {
            Envelope::Restivus | Envelope::Legacy => "unauthorized",
            Envelope::Breaking => "forbidden",
        };
        ApiError::with_body(StatusCode::FORBIDDEN, vec![("error", json!(text))])
    }

    /// The route-level `permissionsRequired` gate.
    pub(crate) fn permission_gate(envelope: Envelope) -> ApiError {
        let code = match envelope {
            Envelope::Restivus | Envelope::Legacy => "error-unauthorized",
            Envelope::Breaking => "error-forbidden",
        };
        ApiError::with_body(
            StatusCode::FORBIDDEN,
            vec![("error", json!(format!("{NO_PERMISSION} [{code}]")))],
        )
    }

    /// The API rate limiter refused the call.
    pub(crate) fn too_many_requests(wait_seconds: i64) -> ApiError {
        let code = "error-too-many-requests";
        let reason = format!(
            "Error, too many requests. Please slow down. You must wait {wait_seconds} seconds before trying this endpoint again."
        );
        let mut refused =
            ApiError::meteor(code, &reason).with_status(StatusCode::TOO_MANY_REQUESTS);
        refused.thrown = None;
        refused
    }

    /// A request body or query failed its schema (ajv messages).
    pub(crate) fn invalid_params(envelope: Envelope, messages: &[String]) -> ApiError {
        let joined = messages.join("\n ");
        match envelope {
            Envelope::Restivus | Envelope::Legacy => ApiError::meteor("invalid-params", &joined),
            Envelope::Breaking => ApiError::with_body(
                StatusCode::BAD_REQUEST,
                vec![
                    ("errorType", json!("error-invalid-params")),
                    ("error", json!(joined)),
                ],
            ),
        }
    }

    /// Input outside a route's documented contract, refused by an implementation that
    /// validates its input itself (the `incidental-answers` deviation).
    pub(crate) fn invalid_request(message: &str) -> ApiError {
        ApiError::with_body(
            StatusCode::BAD_REQUEST,
            vec![
                ("errorType", json!("error-invalid-params")),
                ("error", json!(message)),
            ],
        )
    }

    /// The Enterprise license middleware on a Community Edition server.
    pub(crate) fn enterprise_only() -> ApiError {
        ApiError::meteor("error-action-not-allowed", "This is an enterprise feature")
    }

    /// Nothing is routed at this path.
    pub(crate) fn route_not_found() -> ApiError {
        ApiError::with_body(
            StatusCode::NOT_FOUND,
            vec![("error", json!("Resource not found"))],
        )
    }

    /// The path exists but not for this method.
    pub(crate) fn method_not_allowed() -> ApiError {
        ApiError::with_body(
            StatusCode::METHOD_NOT_ALLOWED,
            vec![("error", json!("Method not allowed"))],
        )
    }

    /// The request body is larger than the server accepts.
    pub(crate) fn payload_too_large() -> ApiError {
        ApiError::with_body(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec![("error", json!("Request entity too large"))],
        )
    }

    /// The HTTP status.
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(Value::Object(self.body.clone()))).into_response();
        if let Some(class) = self.thrown {
            response.extensions_mut().insert(ThrownError {
                class,
                body: self.body,
            });
        }
        response
    }
}

/// TEST_MODE: a thrown error's body gains `stack` (right after `error`, as `failure()` builds it).
pub(crate) fn with_stack(response: Response) -> Response {
    let Some(thrown) = response.extensions().get::<ThrownError>().cloned() else {
        return response;
    };
    let mut body = Map::new();
    for (key, value) in thrown.body {
        let after = (key == "error").then(|| {
            format!(
                "{}: {}\n    at rc-conform reference server",
                thrown.class,
                value.as_str().unwrap_or_default()
            )
        });
        body.insert(key, value);
        if let Some(stack) = after {
            body.insert("stack".into(), Value::String(stack));
        }
    }
    let mut rebuilt = (response.status(), Json(Value::Object(body))).into_response();
    for (name, value) in response.headers() {
        if !rebuilt.headers().contains_key(name) {
            rebuilt.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rebuilt
}

/// Router fallback for unknown paths.
pub(crate) async fn route_not_found() -> ApiError {
    ApiError::route_not_found()
}

/// Router fallback for a known path with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meteor_errors_put_the_code_in_brackets() {
        let error = ApiError::meteor("error-not-allowed", "Not allowed")
            .with_details(json!({"method": "addUsersToRoom"}));
        assert_eq!(
            Value::Object(error.body.clone()),
            json!({"success": false, "error": "Not allowed [error-not-allowed]",
                   "errorType": "error-not-allowed", "details": {"method": "addUsersToRoom"}})
        );
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn unauthenticated_body_depends_on_the_envelope() {
        let legacy = ApiError::unauthenticated(Envelope::Legacy);
        assert_eq!(
            Value::Object(legacy.body),
            json!({"status": "error", "success": false,
                   "error": "You must be logged in to do this.",
                   "message": "You must be logged in to do this."})
        );
        let restivus = ApiError::unauthenticated(Envelope::Restivus);
        assert_eq!(
            Value::Object(restivus.body),
            json!({"status": "error", "message": "You must be logged in to do this."})
        );
        let breaking = ApiError::unauthenticated(Envelope::Breaking);
        assert_eq!(
            Value::Object(breaking.body),
            json!({"success": false, "error": "You must be logged in to do this."})
        );
    }
}
