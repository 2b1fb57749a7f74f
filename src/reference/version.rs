//! The Rocket.Chat release the reference server impersonates, and the release line it belongs
//! to.
//!
//! Owns parsing of the configured version string and its [`Line`]: `6.x` (below 7.0.0, older
//! releases included), `7.x`, `8.x` and `9.x` (9.0.0 and later). Each line answers the
//! questions the rest of the server asks: which error envelope, whether the Express JSON body
//! parser stands in front of the routes, whether the invite bodies are closed typed schemas.
//! It must not decide anything else.
//!
//! What is established and what is an emulation choice:
//! - Established by Rocket.Chat source: the 6.x 401 body (Restivus era, `{status, message}`
//!   only; Open-API `components/responses/authorizationError`), the 7.x/8.x 401 body, and the
//!   9.x typed routes with closed request bodies and the 9.0 error envelope.
//! - An emulation choice, not established live: the answer of the 6.x/7.x body parser to a
//!   `Content-Type: application/json` body that is not JSON or is a JSON primitive (400
//!   `text/html`, Express's production `finalhandler` page "Bad Request", before
//!   authentication). It comes from reading the defaults of Express's `express.json()`
//!   (strict) and `finalhandler`; verify it live against a 6.x and a 7.x server.
//!
//! Everything not listed behaves on 6.x and 7.x as on 8.x.

/// The release lines the server emulates: (id, the version emulated by default).
pub const LINES: &[(&str, &str)] = &[
    ("6.x", "6.6.0"),
    ("7.x", "7.4.0"),
    ("8.x", "8.5.0"),
    ("9.x", "9.0.0"),
];

/// The id of the line `version` belongs to (`"8.x"` for `8.5.0`), or `None` when the version
/// is not `MAJOR[.MINOR[.PATCH]]`.
pub fn line_of(version: &str) -> Option<&'static str> {
    Version::parse(version).map(|version| version.line().id())
}

/// A semver-ish `major.minor.patch` triple; pre-release and build suffixes are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
}

/// A release line: the unit of behaviour the server emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Line {
    /// 6.x and older: Restivus-era routes (the Restivus 401 body), Express body parser.
    V6,
    /// 7.x: the Express body parser.
    V7,
    /// 8.x: the default.
    V8,
    /// 9.0 and later: typed routes with closed bodies, the 9.0 error envelope.
    V9,
}

impl Line {
    /// `"6.x"`, `"7.x"`, `"8.x"` or `"9.x"`, as in [`LINES`].
    pub(crate) fn id(self) -> &'static str {
        match self {
            Line::V6 => "6.x",
            Line::V7 => "7.x",
            Line::V8 => "8.x",
            Line::V9 => "9.x",
        }
    }

    /// Whether a 401 body is Restivus's `{status, message}` only.
    pub(crate) fn restivus_unauthenticated_body(self) -> bool {
        self == Line::V6
    }

    /// Whether Express's strict `express.json()` parses JSON bodies before any route runs.
    pub(crate) fn express_body_parser(self) -> bool {
        matches!(self, Line::V6 | Line::V7)
    }

    /// Whether invite bodies are validated with the closed typed-route schemas.
    pub(crate) fn closes_invite_bodies(self) -> bool {
        self == Line::V9
    }

    /// Whether the 9.0 breaking changes to the error envelope apply.
    pub(crate) fn applies_breaking_envelope(self) -> bool {
        self == Line::V9
    }
}

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

    /// The first release with the 2026 room-ban feature: `rooms.banUser` / `rooms.unbanUser`
    /// and the invite's `error-user-is-banned`.
    ///
    /// The feature was merged on 2026-03-04 (PR #39321), after 8.2.0 was released
    /// (2026-03-02) and before 8.3.0 (2026-04-07; release dates from endoflife.date's
    /// `products/rocket-chat.md` @00a63812). The invite refusal came with PR #39840
    /// (2026-03-24), a `regression:` fix of the then unreleased feature. That 8.3.0 carries
    /// both is an inference from those dates, not checked against a release.
    pub(crate) const ROOM_BANS: Version = Version {
        major: 8,
        minor: 3,
        patch: 0,
    };

    /// Whether this release has the room-ban feature ([`Version::ROOM_BANS`] and later).
    pub(crate) fn bans_rooms(self) -> bool {
        self >= Version::ROOM_BANS
    }

    /// The line of this release; anything below 6.0.0 behaves like 6.x.
    pub(crate) fn line(self) -> Line {
        match self.major {
            ..=6 => Line::V6,
            7 => Line::V7,
            8 => Line::V8,
            _ => Line::V9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Option<Line> {
        Version::parse(text).map(Version::line)
    }

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(line("8.5.0"), Some(Line::V8));
        assert_eq!(line("v9"), Some(Line::V9));
        assert_eq!(line("9.0.0-rc.1"), Some(Line::V9));
        assert_eq!(Version::parse("8.99"), Version::parse("8.99.0"));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("eight"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(line_of("eight"), None);
    }

    #[test]
    fn every_version_belongs_to_one_line() {
        assert_eq!(line("5.4.10"), Some(Line::V6));
        assert_eq!(line("6.0.0"), Some(Line::V6));
        assert_eq!(line("6.99.99"), Some(Line::V6));
        assert_eq!(line("7.0.0"), Some(Line::V7));
        assert_eq!(line("7.10.2"), Some(Line::V7));
        assert_eq!(line("8.0.0"), Some(Line::V8));
        assert_eq!(line("8.9.1"), Some(Line::V8));
        assert_eq!(line("9.0.0"), Some(Line::V9));
        assert_eq!(line("10.2.0"), Some(Line::V9));
        assert_eq!(line_of("7.4"), Some("7.x"));
    }

    #[test]
    fn each_line_emulates_its_listed_version() {
        let ids: Vec<&str> = LINES.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["6.x", "7.x", "8.x", "9.x"]);
        for (id, version) in LINES {
            assert_eq!(line_of(version), Some(*id));
        }
    }

    #[test]
    fn room_bans_start_with_8_3() {
        let bans = |text: &str| Version::parse(text).is_some_and(Version::bans_rooms);
        assert!(!bans("8.2.9"));
        assert!(bans("8.3.0"));
        assert!(bans("9.0.0"));
        assert!(!bans("7.10.0"));
    }

    #[test]
    fn only_the_listed_differences_separate_the_lines() {
        let lines = [Line::V6, Line::V7, Line::V8, Line::V9];
        let restivus: Vec<bool> = lines
            .iter()
            .map(|l| l.restivus_unauthenticated_body())
            .collect();
        let express: Vec<bool> = lines.iter().map(|l| l.express_body_parser()).collect();
        let typed: Vec<bool> = lines.iter().map(|l| l.closes_invite_bodies()).collect();
        assert_eq!(restivus, [true, false, false, false]);
        assert_eq!(express, [true, true, false, false]);
        assert_eq!(typed, [false, false, false, true]);
    }
}
