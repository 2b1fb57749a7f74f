//! The admin credentials flags shared by `run` and `cleanup`, and their resolution.

use crate::run::AdminCredentials;
use crate::target::Secret;

/// Why the admin credentials flags do not make credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// A token without the user id it belongs to.
    #[error("--admin-token needs --admin-id")]
    TokenWithoutId,
    /// A password without a user.
    #[error("--admin-password needs --admin-user")]
    PasswordWithoutUser,
    /// A user without a password.
    #[error("--admin-user needs --admin-password (or use --admin-token with --admin-id)")]
    UserWithoutPassword,
    /// Both kinds of credentials at once.
    #[error("give either --admin-user/--admin-password or --admin-token/--admin-id")]
    Both,
}

/// The flags that log in to a target and reach it, shared by `run` and `cleanup`.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// Admin credentials.
    #[command(flatten)]
    pub admin: AdminArgs,
    /// The network to the target.
    #[command(flatten)]
    pub network: super::network::NetworkArgs,
}

/// Admin credentials flags.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminArgs {
    /// Admin username (or email) on the target.
    #[arg(long, env = "RC_CONFORM_ADMIN_USER")]
    pub admin_user: Option<String>,
    /// Admin password on the target.
    #[arg(long, env = "RC_CONFORM_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Admin personal access token (with --admin-id), instead of a password.
    #[arg(
        long,
        env = "RC_CONFORM_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "admin_password"
    )]
    pub admin_token: Option<String>,
    /// Admin user id, with --admin-token.
    #[arg(long, env = "RC_CONFORM_ADMIN_ID")]
    pub admin_id: Option<String>,
}

impl AdminArgs {
    /// The credentials given, if complete.
    pub fn credentials(&self) -> Result<Option<AdminCredentials>, CredentialsError> {
        match (
            &self.admin_user,
            &self.admin_password,
            &self.admin_token,
            &self.admin_id,
        ) {
            (Some(user), Some(password), None, _) => Ok(Some(AdminCredentials::Password {
                user: user.clone(),
                password: Secret::new(password.clone()),
            })),
            (_, None, Some(token), Some(id)) => Ok(Some(AdminCredentials::Token {
                user_id: id.clone(),
                token: Secret::new(token.clone()),
            })),
            (None, None, None, None) => Ok(None),
            (_, None, Some(_), None) => Err(CredentialsError::TokenWithoutId),
            (None, Some(_), _, _) => Err(CredentialsError::PasswordWithoutUser),
            (Some(_), None, None, _) => Err(CredentialsError::UserWithoutPassword),
            _ => Err(CredentialsError::Both),
        }
    }
}
