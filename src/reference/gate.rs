//! The prelude every routed request passes: authentication, then the API rate limiter.
//!
//! Owns the decision "who is calling" (headers `X-User-Id` + `X-Auth-Token` against stored
//! login tokens), the 401 answer, which callers the limiter counts, and the [`Caller`]
//! extractor handlers use. It must not look at request bodies: auth is decided before any body
//! is read, as on the real server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::clock::Moment;
use super::envelope::{self, ApiError, Envelope};
use super::{App, Deviation, Rules};

/// Routes that do not require credentials (the Livechat widget's routes authenticate the
/// visitor by its token instead).
const PUBLIC_ROUTES: &[&str] = &[
    "/api/info",
    "/api/v1/login",
    "/api/v1/livechat/visitor",
    "/api/v1/livechat/room",
    "/api/v1/livechat/room.close",
    "/api/v1/livechat/visitor/{token}",
];
/// Only versioned API routes are rate-limited (`/api/info` is not).
const LIMITED_PREFIX: &str = "/api/v1/";

/// The authenticated user making the request (plus the token used, for logout).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// `_id` of the user.
    pub(crate) id: String,
    /// The login token the request carried.
    pub(crate) token: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated(Envelope::Legacy))
    }
}

fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    Some((header("x-user-id")?, header("x-auth-token")?))
}

/// The 401 answer (or 400 under the `unauthenticated-as-400` deviation).
fn unauthenticated(rules: &Rules) -> ApiError {
    let error = ApiError::unauthenticated(rules.envelope);
    if rules.breaks(Deviation::UnauthenticatedAs400) {
        return error.with_status(axum::http::StatusCode::BAD_REQUEST);
    }
    error
}

fn client_ip(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Middleware: authenticate, then count the call against the rate limiter.
pub(crate) async fn admit(
    State(app): State<Arc<App>>,
    matched: MatchedPath,
    mut request: Request,
    next: Next,
) -> Response {
    let route = matched.as_str().to_owned();
    let public = PUBLIC_ROUTES.contains(&route.as_str());
    // Public routes never authenticate, so credentials there exempt nobody from the limiter.
    let presented = if public {
        None
    } else {
        credentials(request.headers())
    };
    let (caller, bypasses_limiter) = app.with_store(|store| {
        let caller = presented.and_then(|(user_id, token)| {
            store.authenticate(&user_id, &token).map(|user| Caller {
                id: user.id.clone(),
                token,
            })
        });
        let bypass = caller
            .as_ref()
            .is_some_and(|caller| store.has_permission(&caller.id, "api-bypass-rate-limit", None));
        (caller, bypass)
    });
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
        }
        None if !public => {
            return unauthenticated(&app.rules).into_response();
        }
        None => {}
    }
    let counted = app.rules.rate_limit && !bypasses_limiter && route.starts_with(LIMITED_PREFIX);
    let verdict = counted.then(|| {
        let client = client_ip(&request);
        let method = request.method().as_str().to_owned();
        app.with_limiter(|limiter| limiter.hit(&client, &method, &route, Moment::now()))
    });
    let mut response = match verdict {
        Some(verdict) if !verdict.allowed => {
            ApiError::too_many_requests(verdict.wait_seconds).into_response()
        }
        _ => next.run(request).await,
    };
    if app.rules.test_mode {
        response = envelope::with_stack(response);
    }
    if let Some(verdict) = verdict
        && app.rules.rate_limit_headers
    {
        verdict.write_headers(response.headers_mut());
    }
    response
}

/// The route-level `permissionsRequired` gate (`hasAny`): 403 before the handler runs.
pub(crate) fn require_any_permission(
    store: &super::store::Store,
    caller: &Caller,
    permissions: &[&str],
    envelope: Envelope,
) -> Result<(), ApiError> {
    if permissions
        .iter()
        .any(|permission| store.has_permission(&caller.id, permission, None))
    {
        return Ok(());
    }
    Err(ApiError::permission_gate(envelope))
}
