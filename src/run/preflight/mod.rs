//! Preflight: before anything is created, make sure the target is reachable, the admin can
//! log in and holds every permission the run needs, and say what was found about two-factor
//! authentication, the rate limiter and roles. Any failure stops the run with nothing
//! created.

mod probes;

use serde_json::Value;

use super::RunOptions;
use crate::target::api::{Api, ApiError, Session, two_factor_code};
use crate::target::{Purpose, Request, Secret};

/// Why the target cannot be used; nothing was created on it.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// `/api/info` did not answer like a Rocket.Chat server.
    #[error("{url} does not answer GET /api/info like a Rocket.Chat server: {source} ({})", hint(.source))]
    NotRocketChat {
        /// The target.
        url: String,
        /// What came instead.
        source: ApiError,
    },
    /// The admin could not log in.
    #[error("logging in as `{user}`: {source} ({})", hint(.source))]
    Login {
        /// The username given.
        user: String,
        /// The answer.
        source: ApiError,
    },
    /// The admin's account or the permissions could not be read.
    #[error("{what}: {source} ({})", hint(.source))]
    Read {
        /// What was read.
        what: &'static str,
        /// The answer.
        source: ApiError,
    },
    /// The credentials cannot create users: `users.create` asks for a second factor they
    /// cannot give.
    #[error(
        "the admin credentials cannot create users on this server: users.create asks for two-factor authentication ({code}); {advice}"
    )]
    TwoFactor {
        /// `totp-required` or `totp-invalid`.
        code: String,
        /// What to use instead.
        advice: &'static str,
    },
    /// The admin lacks permissions the run needs.
    #[error("the admin `{admin}` lacks: {}; use an account with the admin role", .missing.join(", "))]
    MissingPermissions {
        /// The admin's username.
        admin: String,
        /// Each missing permission with what it is for.
        missing: Vec<String>,
    },
}

fn hint(e: &ApiError) -> &'static str {
    if e.is_transport() {
        "is the URL right and the server up?"
    } else {
        "check the URL and the credentials"
    }
}

/// How the runner authenticates as admin.
#[derive(Debug, Clone)]
pub enum AdminCredentials {
    /// Username (or email) and password; the password also yields the 2FA fallback code.
    Password {
        /// Username or email.
        user: String,
        /// Password.
        password: Secret,
    },
    /// A personal access token.
    Token {
        /// `X-User-Id`.
        user_id: String,
        /// `X-Auth-Token`.
        token: Secret,
    },
}

/// What preflight established.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The admin's session.
    pub admin: Session,
    /// The admin's username.
    pub admin_username: String,
    /// The two-factor fallback code (password credentials only).
    pub two_factor: Option<Secret>,
    /// `/api/info`'s version.
    pub server_version: Option<String>,
    /// What was found and done, for the report.
    pub notes: Vec<String>,
    /// Whether fixture users get `api-bypass-rate-limit` for the run.
    pub bypass_rate_limit: bool,
    /// Whether the target offers custom roles (`roles.create`).
    pub custom_roles: bool,
    /// The admin's global roles (`me`).
    pub admin_roles: Vec<String>,
    /// Calls per window the rate limiter allows (`X-RateLimit-Limit` of the login answer).
    pub rate_limit_calls: Option<u32>,
}

/// Permissions the admin must hold, with what they are for.
const NEEDED: [(&str, &str); 7] = [
    ("create-user", "users.create"),
    ("delete-user", "users.delete (cleanup)"),
    (
        "edit-other-user-active-status",
        "users.setActiveStatus (deactivated fixtures)",
    ),
    (
        "access-permissions",
        "permissions.update (grants, restored after)",
    ),
    ("create-c", "channels.create"),
    ("create-p", "groups.create"),
    (
        "view-room-administration",
        "rooms.adminRooms (leftover check)",
    ),
];

/// Runs the preflight checks.
pub async fn preflight(
    api: &Api,
    credentials: &super::AdminCredentials,
    options: &RunOptions,
    embedded: bool,
) -> Result<Preflight, PreflightError> {
    let server_version =
        api.server_version(None)
            .await
            .map_err(|source| PreflightError::NotRocketChat {
                url: api.client().base_url().to_owned(),
                source,
            })?;
    let mut notes = vec![match &server_version {
        Some(v) => format!("server version {v} (GET /api/info)"),
        None => "the server did not say its version; cases are judged as for the premise model's default version".into(),
    }];
    let login = log_in(api, credentials).await?;
    let account = read_account(api, &login.admin).await?;
    notes.push(format!(
        "admin `{}` holds every permission the run needs",
        account.username
    ));
    probes::users_create(
        api,
        &login.admin,
        login.two_factor.as_ref(),
        &account.username,
        credentials,
    )
    .await?;
    let custom_roles = probes::custom_roles(api, &login.admin, embedded).await?;
    notes.push(custom_roles.1);
    notes.push(match login.two_factor {
        Some(_) => "two-factor: users.create is sent with the password fallback headers (X-2FA-Method: password), as a server outside TEST_MODE requires".into(),
        None => "two-factor: token credentials give no password fallback code; users.create works only if the server does not ask for 2FA (TEST_MODE or 2FA disabled)".into(),
    });
    let bypass = options.bypass_rate_limit || (login.rate_limited && !options.keep_rate_limit);
    notes.extend(rate_limit_notes(
        login.rate_limited,
        bypass,
        account.bypasses_limit,
    ));
    if embedded {
        notes.push("target: the embedded reference server on a free loopback port".into());
    }
    Ok(Preflight {
        admin: login.admin,
        admin_username: account.username,
        two_factor: login.two_factor,
        server_version,
        notes,
        bypass_rate_limit: bypass,
        custom_roles: custom_roles.0,
        admin_roles: account.roles,
        rate_limit_calls: login.rate_limit_calls,
    })
}

/// The admin's session after logging in (or from its token).
struct LoggedIn {
    admin: Session,
    two_factor: Option<Secret>,
    /// Whether the login answer showed the rate limiter.
    rate_limited: bool,
    /// Its `X-RateLimit-Limit`.
    rate_limit_calls: Option<u32>,
}

/// Logs the admin in. The login route is limited for every caller, so its answer shows
/// whether the limiter is on (token credentials skip the login and cannot tell).
async fn log_in(api: &Api, credentials: &AdminCredentials) -> Result<LoggedIn, PreflightError> {
    match credentials {
        AdminCredentials::Password { user, password } => {
            let (session, sent) = api
                .login_recorded(user, password, Purpose::Preflight)
                .await
                .map_err(|source| PreflightError::Login {
                    user: user.clone(),
                    source,
                })?;
            let limit = sent.response().and_then(|r| {
                r.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("x-ratelimit-limit"))
                    .map(|(_, v)| v.trim().parse::<u32>().ok())
            });
            Ok(LoggedIn {
                admin: session,
                two_factor: Some(two_factor_code(password)),
                rate_limited: limit.is_some(),
                rate_limit_calls: limit.flatten(),
            })
        }
        AdminCredentials::Token { user_id, token } => {
            api.client().redactor().register(token);
            Ok(LoggedIn {
                admin: Session {
                    user_id: user_id.clone(),
                    token: token.clone(),
                },
                two_factor: None,
                rate_limited: false,
                rate_limit_calls: None,
            })
        }
    }
}

/// What preflight learns of the admin's account.
struct Account {
    username: String,
    /// Its global roles.
    roles: Vec<String>,
    /// Whether the admin holds `api-bypass-rate-limit`.
    bypasses_limit: bool,
}

/// Reads the admin's account and requires every permission of [`NEEDED`].
async fn read_account(api: &Api, admin: &Session) -> Result<Account, PreflightError> {
    let (_, me) = api
        .expect_ok(
            "reading the admin's account (GET me)",
            Request::get("/api/v1/me", Purpose::Preflight).auth(admin.auth()),
        )
        .await
        .map_err(|source| PreflightError::Read {
            what: "the admin credentials",
            source,
        })?;
    let username = me
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let roles: Vec<String> = me
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let permissions = api
        .permissions(admin, Purpose::Preflight)
        .await
        .map_err(|source| PreflightError::Read {
            what: "listing permissions",
            source,
        })?;
    let holds = |p: &str| {
        permissions
            .get(p)
            .is_some_and(|granted| roles.iter().any(|r| granted.contains(r)))
    };
    let missing: Vec<String> = NEEDED
        .iter()
        .filter(|(p, _)| !holds(p))
        .map(|(p, why)| format!("{p} (for {why})"))
        .collect();
    if !missing.is_empty() {
        return Err(PreflightError::MissingPermissions {
            admin: username,
            missing,
        });
    }
    Ok(Account {
        bypasses_limit: holds("api-bypass-rate-limit"),
        username,
        roles,
    })
}

/// What the report says of the rate limiter.
fn rate_limit_notes(rate_limited: bool, bypass: bool, admin_bypasses: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if admin_bypasses {
        notes.push(
            "rate limiter: the admin holds api-bypass-rate-limit, so provisioning is not limited"
                .into(),
        );
    }
    notes.push(match (rate_limited, bypass) {
        (true, true) => "rate limiter: on (X-RateLimit-* headers on the login answer); fixture users would be limited to a few calls a minute per route, so the run gives them api-bypass-rate-limit where it may (see the next rate limiter note; --no-bypass-rate-limit keeps the limiter and waits instead)".into(),
        (true, false) => "rate limiter: on; --no-bypass-rate-limit keeps it, so calls made as fixture users wait as Retry-After / X-RateLimit-Reset say (this can take minutes)".into(),
        (false, true) => "rate limiter: --bypass-rate-limit gives the fixture users api-bypass-rate-limit for the run where the run may (see the next rate limiter note)".into(),
        (false, false) => "rate limiter: not seen on the login answer; if calls are limited, the runner waits as Retry-After / X-RateLimit-Reset say".into(),
    });
    notes
}
