//! Secrets (passwords, auth tokens) and the one place that redacts them.
//!
//! A [`Secret`] never prints its value: `Debug` and `Display` show `<redacted>`. A
//! [`Redactor`] knows every secret value of a run and scrubs them from any text that goes
//! into a report, a log or a ledger.

use std::fmt;
use std::sync::{Arc, RwLock};

/// A value that must never appear in output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The placeholder that replaces a secret in text.
pub const REDACTED: &str = "<redacted>";

/// Scrubs every registered secret from text. Cheap to clone; shared by a whole run.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    /// Registers a secret (empty and very short values are ignored: they would shred text).
    pub fn register(&self, secret: &Secret) {
        let value = secret.expose();
        if value.len() < 4 {
            return;
        }
        if let Ok(mut secrets) = self.secrets.write()
            && !secrets.iter().any(|s| s == value)
        {
            secrets.push(value.to_owned());
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every registered secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let Ok(secrets) = self.secrets.read() else {
            return REDACTED.to_owned();
        };
        let mut out = text.to_owned();
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed_longest_first() {
        let r = Redactor::default();
        r.register(&Secret::new("token-abc"));
        r.register(&Secret::new("token-abcdef"));
        assert_eq!(
            r.scrub("a token-abcdef b token-abc"),
            "a <redacted> b <redacted>"
        );
    }

    #[test]
    fn secret_never_formats_its_value() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
    }
}
