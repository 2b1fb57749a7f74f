//! Counting what the server is asked: every request that reaches it, by method and path
//! (without the query), whatever its answer. Runners and benchmarks read the count on the
//! server's side of the wire ([`super::RunningServer::requests`]), so a harness cannot
//! under-report its own traffic.
//!
//! Owns the counts only. It must not look at bodies or answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::App;

/// Requests received, by `METHOD /path`.
#[derive(Debug, Default)]
pub(crate) struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    /// The counts so far.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn add(&self, key: String) {
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default() += 1;
    }
}

/// Middleware: counts the request, then serves it.
pub(crate) async fn count(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    app.tally
        .add(format!("{} {}", request.method(), request.uri().path()));
    next.run(request).await
}
