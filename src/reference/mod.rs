//! An in-memory server that speaks the subset of the Rocket.Chat REST API rc-conform needs:
//! login, user and room provisioning, permissions and roles, the full decision procedure of
//! `channels.invite` / `groups.invite` as Rocket.Chat's source has it, and the surface
//! around it: kicks and leaves, room messages, bans, teams, discussions and livechat rooms.
//!
//! This module owns the public surface (configuration, router, start/stop) and the shared
//! application state. It is reached only over HTTP: nothing else in the crate may call into the
//! route modules, and the server must not depend on the harness. Deliberate rule breaks are
//! [`Deviation`]s, each checked at the one place its rule lives.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod administration;
mod bans;
mod chat;
use crate::clock;
mod delay;
mod deviation;
mod direct;
mod discussions;
mod envelope;
mod express;
mod family;
mod gate;
mod ids;
mod incidental;
mod invite;
mod invitees;
mod lag;
mod livechat;
mod lookup;
mod membership;
mod messages;
mod model;
mod ownership;
mod paging;
mod permissions;
mod ratelimit;
mod records;
mod request;
mod room_roles;
mod room_settings;
mod rooms;
mod routes;
mod schema;
mod seed;
mod store;
mod tally;
mod teams;
mod two_factor;
mod users;
mod version;

#[cfg(test)]
mod tests;

pub use deviation::Deviation;
pub use version::{LINES, line_of};

use envelope::Envelope;
use ratelimit::RateLimiter;
use store::Store;
use version::{Line, Version};

/// How the reference server behaves: credentials, impersonated release, and switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Username of the bootstrapped administrator.
    pub admin_username: String,
    /// Password of the bootstrapped administrator.
    pub admin_password: String,
    /// Release reported by `GET /api/info`; its line (see [`LINES`]) decides the emulated
    /// behaviour: 6.x the Restivus 401 body, 6.x and 7.x the Express JSON body parser, 9.x
    /// the typed invite bodies and the 9.0 error envelope.
    pub version: String,
    /// Like Rocket.Chat's `TEST_MODE`: no 2FA on `users.create`, no rate limiting, and thrown
    /// errors carry a `stack`.
    pub test_mode: bool,
    /// Emulate the API rate limiter (ignored when `test_mode`).
    pub rate_limit: bool,
    /// Whether the rate limiter's answers carry the `X-RateLimit-*` headers.
    pub rate_limit_headers: bool,
    /// Answer `roles.create` / `roles.delete` as Enterprise Edition instead of Community.
    pub enterprise: bool,
    /// Every response waits this long before it is sent (an emulated network round trip).
    pub latency: Duration,
    /// How long a change by `permissions.update`, `roles.addUserToRole` or
    /// `roles.removeUserFromRole` takes to reach permission checks (stored documents and
    /// `permissions.listAll` change at once).
    pub permission_lag: Duration,
    /// Endpoints (`rooms.adminRooms`, `users.list`, …) answered as unknown routes.
    pub without: BTreeSet<String>,
    /// Rules to break on purpose.
    pub deviations: BTreeSet<Deviation>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            admin_username: "rc-admin".to_owned(),
            admin_password: "rc-admin-password".to_owned(),
            version: "8.5.0".to_owned(),
            test_mode: false,
            rate_limit: false,
            rate_limit_headers: true,
            enterprise: false,
            latency: Duration::ZERO,
            permission_lag: Duration::ZERO,
            without: BTreeSet::new(),
            deviations: BTreeSet::new(),
        }
    }
}

/// Everything that can go wrong when configuring or running the reference server.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// A deviation name that does not exist.
    #[error("unknown deviation `{name}`; valid names are: {valid}")]
    UnknownDeviation {
        /// The name that was given.
        name: String,
        /// Every valid name, comma-separated.
        valid: String,
    },
    /// An endpoint name given to `without` that the server does not serve.
    #[error("unknown endpoint `{name}`; the server serves: {valid}")]
    UnknownEndpoint {
        /// The name that was given.
        name: String,
        /// Every endpoint name, comma-separated.
        valid: String,
    },
    /// The configured version is not `MAJOR.MINOR.PATCH`.
    #[error("invalid server version `{version}`: expected MAJOR.MINOR.PATCH, for example 8.5.0")]
    InvalidVersion {
        /// The version string that was given.
        version: String,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped because of an I/O error.
    #[error("the reference server stopped: {0}")]
    Serve(#[source] std::io::Error),
    /// The server's own runtime (see [`start_apart`]) could not be built.
    #[error("cannot start the reference server's thread: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The resolved switches every route consults.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    deviations: BTreeSet<Deviation>,
    /// The impersonated release line.
    pub(crate) line: Line,
    /// Error envelope of the impersonated release.
    pub(crate) envelope: Envelope,
    /// Whether channels.invite / groups.invite validate closed typed bodies (9.0+).
    pub(crate) closed_invite_bodies: bool,
    /// Whether the release has room bans (`rooms.banUser`, `error-user-is-banned`; 8.3.0+).
    pub(crate) room_bans: bool,
    /// Like `TEST_MODE`: thrown errors carry a `stack`.
    pub(crate) test_mode: bool,
    /// Whether `users.create` demands the 2FA password fallback.
    pub(crate) two_factor: bool,
    /// Whether the API rate limiter runs.
    pub(crate) rate_limit: bool,
    /// Whether the rate limiter writes `X-RateLimit-*` headers.
    pub(crate) rate_limit_headers: bool,
    /// Whether Enterprise-only routes are licensed.
    pub(crate) enterprise: bool,
    /// The emulated network delay of every response.
    pub(crate) latency: Duration,
    /// Endpoints not served.
    pub(crate) without: BTreeSet<String>,
}

impl Rules {
    fn new(config: &ServerConfig, version: Version) -> Rules {
        let line = version.line();
        let envelope = if line.applies_breaking_envelope() {
            Envelope::Breaking
        } else if line.restivus_unauthenticated_body() {
            Envelope::Restivus
        } else {
            Envelope::Legacy
        };
        Rules {
            deviations: config.deviations.clone(),
            line,
            envelope,
            closed_invite_bodies: line.closes_invite_bodies(),
            room_bans: version.bans_rooms(),
            test_mode: config.test_mode,
            two_factor: !config.test_mode,
            rate_limit: config.rate_limit && !config.test_mode,
            rate_limit_headers: config.rate_limit_headers,
            enterprise: config.enterprise,
            latency: config.latency,
            without: config.without.clone(),
        }
    }

    /// Whether the server was started with this deviation.
    pub(crate) fn breaks(&self, deviation: Deviation) -> bool {
        self.deviations.contains(&deviation)
    }
}

/// Shared application state: the rules, the database and the rate limiter.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) rules: Rules,
    pub(crate) version: String,
    store: Mutex<Store>,
    limiter: Mutex<RateLimiter>,
    /// Every request received, by method and path.
    pub(crate) tally: Arc<tally::Tally>,
}

impl App {
    /// Runs `work` with exclusive access to the database. Never held across an await.
    pub(crate) fn with_store<T>(&self, work: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut store)
    }

    /// Runs `work` with exclusive access to the rate limiter.
    pub(crate) fn with_limiter<T>(&self, work: impl FnOnce(&mut RateLimiter) -> T) -> T {
        let mut limiter = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut limiter)
    }
}

fn app_for(config: &ServerConfig, version: Version) -> Arc<App> {
    Arc::new(App {
        rules: Rules::new(config, version),
        version: config.version.clone(),
        store: Mutex::new(seed::fresh_store(config)),
        limiter: Mutex::new(RateLimiter::default()),
        tally: Arc::default(),
    })
}

/// The whole application with fresh in-memory state. An unparsable `version` is served as
/// given but behaves like the 8.x line, and unknown `without` names are ignored; [`start`]
/// rejects both instead.
pub fn router(config: ServerConfig) -> axum::Router {
    let version = Version::parse(&config.version).unwrap_or(Version::LEGACY);
    routes::build(app_for(&config, version))
}

fn checked_app(config: &ServerConfig) -> Result<Arc<App>, ReferenceError> {
    let version =
        Version::parse(&config.version).ok_or_else(|| ReferenceError::InvalidVersion {
            version: config.version.clone(),
        })?;
    let served = routes::endpoints();
    if let Some(unknown) = config.without.iter().find(|name| !served.contains(name)) {
        return Err(ReferenceError::UnknownEndpoint {
            name: unknown.clone(),
            valid: served.join(", "),
        });
    }
    Ok(app_for(config, version))
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ReferenceError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ReferenceError::Bind { addr, source })
}

/// A reference server serving in a background task.
#[derive(Debug)]
pub struct RunningServer {
    app: Arc<App>,
    url: String,
    local_addr: SocketAddr,
    tally: Arc<tally::Tally>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// The runtime of the server's own, when it was started with [`start_apart`].
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // A runtime may not be dropped where blocking is not allowed (in the caller's
        // runtime); let its thread wind down in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl RunningServer {
    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Every role list `permissions.update` has written since the server started, in order, as
    /// (permission, roles): what tests read to prove that a role never held a permission, even
    /// for a moment.
    pub fn permission_writes(&self) -> Vec<(String, Vec<String>)> {
        self.app
            .with_store(|store| store.permission_writes().to_vec())
    }

    /// The requests the server has received so far, by `METHOD /path` (query left out),
    /// counted on its side of the wire whatever it answered.
    pub fn requests(&self) -> std::collections::BTreeMap<String, u64> {
        self.tally.counts()
    }

    /// How many requests the server has received so far.
    pub fn request_total(&self) -> u64 {
        self.tally.counts().values().sum()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (use `127.0.0.1:0` for a free port) and serves in a tokio task. Dropping the
/// returned handle also stops the server.
pub async fn start(
    config: ServerConfig,
    addr: SocketAddr,
) -> Result<RunningServer, ReferenceError> {
    let app = checked_app(&config)?;
    let tally = app.tally.clone();
    let router = routes::build(app.clone());
    let listener = bind(addr).await?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ReferenceError::Bind { addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningServer {
        app,
        url: format!("http://{local_addr}"),
        local_addr,
        tally,
        stop: Some(stop),
        task,
        runtime: None,
    })
}

/// As [`start`], but the server runs on a runtime of its own, one worker thread apart from
/// the caller's: the embedded server of `rc-conform run` then has a core of its own, as a
/// server in another process would, instead of taking turns with the harness on the
/// harness's threads. Shutting down (or dropping) the handle stops that thread too.
pub async fn start_apart(
    config: ServerConfig,
    addr: SocketAddr,
) -> Result<RunningServer, ReferenceError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("rc-conform-server")
        .enable_all()
        .build()
        .map_err(ReferenceError::Runtime)?;
    let started = runtime.spawn(start(config, addr)).await;
    match started {
        Ok(Ok(mut server)) => {
            server.runtime = Some(runtime);
            Ok(server)
        }
        // Not dropped here: the caller's runtime does not allow blocking.
        Ok(Err(e)) => {
            runtime.shutdown_background();
            Err(e)
        }
        Err(e) => {
            runtime.shutdown_background();
            std::panic::resume_unwind(e.into_panic())
        }
    }
}

/// Serves on `addr` until Ctrl-C (for `rc-conform serve`). Prints nothing.
pub async fn serve_until_ctrl_c(
    config: ServerConfig,
    addr: SocketAddr,
) -> Result<(), ReferenceError> {
    let app = routes::build(checked_app(&config)?);
    let listener = bind(addr).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(ReferenceError::Serve)
}
