//! The two-factor check on 2FA-protected routes (`users.create`), password fallback only.
//!
//! Owns the decision whether the request carries a valid second factor: `X-2FA-Code` must be
//! the lowercase hex SHA-256 of the caller's password (`X-2FA-Method` is read as "password";
//! no TOTP or e-mail codes exist here). Disabled in test mode. A success is remembered for the
//! login and client (token + user agent) for [`REMEMBER_FOR_MS`], as
//! `Accounts_TwoFactorAuthentication_RememberFor` (default 1800 s) does; the store keeps it.

use axum::http::HeaderMap;
use serde_json::json;

use super::Rules;
use super::envelope::ApiError;
use super::model::User;

/// `Accounts_TwoFactorAuthentication_RememberFor` default: 1800 seconds.
pub(crate) const REMEMBER_FOR_MS: i64 = 1_800_000;

/// The key a successful check is remembered under: the login token and the client's user agent.
pub(crate) fn fingerprint(token: &str, headers: &HeaderMap) -> String {
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!("{token}|{agent}")
}

/// `checkCodeForUser` with only the password method available.
pub(crate) fn verify(rules: &Rules, headers: &HeaderMap, caller: &User) -> Result<(), ApiError> {
    if !rules.two_factor {
        return Ok(());
    }
    // A caller without a password has no 2FA method at all: nothing to check.
    let Some(digest) = caller.password_digest.as_deref() else {
        return Ok(());
    };
    let code = headers
        .get("x-2fa-code")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty());
    match code {
        None => Err(
            ApiError::meteor("totp-required", "TOTP Required").with_details(json!({
                "method": "password",
                "codeGenerated": false,
                "availableMethods": [],
            })),
        ),
        Some(code) if code.to_lowercase() == digest => Ok(()),
        Some(_) => Err(ApiError::meteor("totp-invalid", "TOTP Invalid")
            .with_details(json!({"method": "password"}))),
    }
}
