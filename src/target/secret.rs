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
///
/// One Aho-Corasick automaton matches all secrets in a single pass (a run registers hundreds
/// of tokens; scanning once per secret would dominate the harness's own cost). It is rebuilt
/// lazily after a registration.
#[derive(Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Patterns>>,
}

#[derive(Default)]
struct Patterns {
    secrets: Vec<String>,
    automaton: Option<aho_corasick::AhoCorasick>,
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
        if let Ok(mut p) = self.inner.write()
            && !p.secrets.iter().any(|s| s == value)
        {
            p.secrets.push(value.to_owned());
            p.automaton = None;
        }
    }

    /// `text` with every registered secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        if let Ok(p) = self.inner.read()
            && let Some(automaton) = &p.automaton
        {
            return replace(automaton, text);
        }
        let Ok(mut p) = self.inner.write() else {
            return REDACTED.to_owned();
        };
        if p.automaton.is_none() {
            // Leftmost-longest: a secret that contains another is replaced whole. A contiguous
            // NFA, not a DFA: the automaton is rebuilt after every new secret (each login
            // adds one), and a DFA's build costs far more than its faster search saves here.
            let built = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&p.secrets);
            match built {
                Ok(a) => p.automaton = Some(a),
                Err(_) => return REDACTED.to_owned(),
            }
        }
        p.automaton
            .as_ref()
            .map_or_else(|| REDACTED.to_owned(), |a| replace(a, text))
    }
}

fn replace(automaton: &aho_corasick::AhoCorasick, text: &str) -> String {
    if automaton.patterns_len() == 0 {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    automaton.replace_all_with(text, &mut out, |_, _, out| {
        out.push_str(REDACTED);
        true
    });
    out
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
