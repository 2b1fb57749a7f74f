//! The emulated network round trip: every response waits the configured latency before it is
//! sent. Requests still run concurrently; only their answers are held back.
//!
//! Owns the waiting only. It must not look at requests or responses.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::App;

/// Middleware: runs the request, then waits `latency` before handing the response on.
pub(crate) async fn hold_back(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    tokio::time::sleep(app.rules.latency).await;
    response
}
