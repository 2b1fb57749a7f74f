//! Preflight probes that create nothing: whether the credentials can create users (a
//! `users.create` of a username that is taken), and whether the target offers custom roles
//! (a `roles.create` with an empty body).

use super::{AdminCredentials, PreflightError};
use crate::target::Secret;
use crate::target::api::roles::CustomRoles;
use crate::target::api::{Api, ApiError, Session};

/// `users.create` as provisioning sends it (the two-factor fallback headers when there is a
/// password), for the admin's own username: a server that checks a second factor refuses it
/// for that (`totp-required`, `totp-invalid`), any other refuses it as taken, and nothing is
/// created either way. Rocket.Chat's router checks the second factor before the route runs
/// (`processTwoFactor` in `apps/meteor/app/api/server/ApiClass.ts`), and `validateUserData`
/// refuses a taken username before anything is inserted.
pub(super) async fn users_create(
    api: &Api,
    admin: &Session,
    two_factor: Option<&Secret>,
    admin_username: &str,
    credentials: &AdminCredentials,
) -> Result<(), PreflightError> {
    let password = Secret::new(format!("Rc-probe-{}", crate::run::new_run_id()));
    let probe = api
        .create_user(
            admin,
            two_factor,
            admin_username,
            &password,
            &["user".to_owned()],
        )
        .await;
    match probe {
        Err(ApiError::Refused { message, .. })
            if message.contains("totp-required") || message.contains("totp-invalid") =>
        {
            let advice = match credentials {
                AdminCredentials::Token { .. } => {
                    "a personal access token gives no password to fall back on: use --admin-user and --admin-password, or a token created with \"Ignore Two Factor Authentication\""
                }
                AdminCredentials::Password { .. } => {
                    "the password fallback was refused (the admin has TOTP or e-mail two-factor authentication enabled): use an admin account without it"
                }
            };
            Err(PreflightError::TwoFactor {
                code: if message.contains("totp-invalid") {
                    "totp-invalid".to_owned()
                } else {
                    "totp-required".to_owned()
                },
                advice,
            })
        }
        Err(ApiError::Transport { .. }) | Err(ApiError::Refused { .. }) | Ok(_) => Ok(()),
    }
}

/// Whether the run can give its elevations to run-scoped roles, and the preflight note. The
/// embedded server is probed like any target.
pub(super) async fn custom_roles(
    api: &Api,
    admin: &Session,
    embedded: bool,
) -> Result<(bool, String), PreflightError> {
    let found = api
        .custom_roles(admin)
        .await
        .map_err(|source| PreflightError::Read {
            what: "probing custom roles (roles.create)",
            source,
        })?;
    let scope = if embedded {
        " (the embedded server)"
    } else {
        ""
    };
    Ok(match found {
        CustomRoles::Available => (
            true,
            format!(
                "roles: custom roles are available{scope}: every elevation the cases need goes to a run-scoped role given to the run's fixture users only, and removed after"
            ),
        ),
        CustomRoles::Unavailable(why) => (
            false,
            format!(
                "roles: no custom roles{scope} ({why}): an elevation could only go to a built-in role, which needs --allow-global-grants (the embedded server allows it)"
            ),
        ),
    })
}
