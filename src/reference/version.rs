//! The Rocket.Chat release the reference server impersonates.
//!
//! Owns parsing of the configured version string and the two questions the rest of the server
//! asks about it: does this release close the invite request bodies (the typed routes), and does
//! it apply the 9.0 breaking changes to the error envelope. It must not decide anything else.

/// A semver-ish `major.minor.patch` triple; pre-release and build suffixes are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
}

/// The first release whose typed routes and error envelope the server emulates.
const BREAKING: Version = Version {
    major: 9,
    minor: 0,
    patch: 0,
};

impl Version {
    /// The release assumed when the configured version cannot be parsed.
    pub(crate) const LEGACY: Version = Version {
        major: 8,
        minor: 5,
        patch: 0,
    };

    /// Parses `8.5.0`, `v9.1`, `9` or `9.0.0-rc.1`; missing parts count as 0.
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let core = text.split(['-', '+']).next().unwrap_or_default();
        if core.is_empty() {
            return None;
        }
        let mut parts = core.split('.');
        let mut next = || -> Option<u64> {
            match parts.next() {
                None => Some(0),
                Some(part) => part.parse().ok(),
            }
        };
        let version = Version {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(version)
    }

    /// Whether this release validates invite bodies with the closed typed-route schemas.
    pub(crate) fn closes_invite_bodies(self) -> bool {
        self >= BREAKING
    }

    /// Whether this release applies the 9.0 breaking changes to the error envelope.
    pub(crate) fn applies_breaking_envelope(self) -> bool {
        self >= BREAKING
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(
            Version::parse("8.5.0").map(|v| v.closes_invite_bodies()),
            Some(false)
        );
        assert_eq!(
            Version::parse("v9").map(|v| v.closes_invite_bodies()),
            Some(true)
        );
        assert_eq!(
            Version::parse("9.0.0-rc.1").map(|v| v.applies_breaking_envelope()),
            Some(true)
        );
        assert_eq!(Version::parse("8.99"), Version::parse("8.99.0"));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("eight"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
    }
}
