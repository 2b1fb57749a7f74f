//! The one clock, and instants as Rocket.Chat prints them: RFC 3339 in UTC with milliseconds
//! and a `Z` (`2026-11-23T05:19:31.123Z`).
//!
//! Owns reading the wall clock and the conversion between milliseconds since the Unix epoch and
//! the calendar in both directions (formatting for responses and reports, parsing for
//! `updatedSince`), all through the `jiff` crate. The reference server, the reports and the
//! expectations file's dates use it; it must not read state.

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment(i64);

impl Moment {
    /// The instant of `time` (before the epoch: the epoch).
    pub fn of(time: std::time::SystemTime) -> Moment {
        let since = time
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Moment(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
    }

    /// Today's date in UTC.
    pub fn today() -> jiff::civil::Date {
        TimeZone::UTC.to_datetime(Timestamp::now()).date()
    }

    /// The current wall-clock instant.
    pub fn now() -> Moment {
        Moment(Timestamp::now().as_millisecond())
    }

    /// The instant `millis` milliseconds after the epoch.
    pub fn from_millis(millis: i64) -> Moment {
        Moment(millis)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The instant `span` later (saturating).
    pub fn after(self, span: Duration) -> Moment {
        let span = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
        Moment(self.0.saturating_add(span))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`; instants beyond jiff's range (years ±9999) are clamped.
    pub fn iso(self) -> String {
        let instant = Timestamp::from_millisecond(self.0).unwrap_or(if self.0 < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        instant.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Parses the ISO 8601 forms `Date.parse` accepts in practice: a date, optionally followed
    /// by a time (`T`, `t` or a space, then `HH:MM[:SS[.fff…]]`) and `Z` or an offset such as
    /// `+01:00`. A time without an offset is read as UTC (as a bare date is). Digits beyond the
    /// millisecond are dropped.
    pub fn parse_iso(text: &str) -> Option<Moment> {
        let text = text.trim();
        let instant = match text.parse::<Timestamp>() {
            Ok(instant) => instant,
            Err(_) => TimeZone::UTC
                .to_timestamp(text.parse::<DateTime>().ok()?)
                .ok()?,
        };
        Some(Moment(instant.as_millisecond()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(Moment::from_millis(0).iso(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Moment::from_millis(1_700_000_000_123).iso(),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(Moment::from_millis(-1).iso(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Moment::from_millis(1_795_411_171_123).iso(),
            "2026-11-23T05:19:31.123Z"
        );
    }

    #[test]
    fn parses_what_it_formats_and_common_variants() {
        let moment = Moment::from_millis(1_700_000_000_123);
        assert_eq!(Moment::parse_iso(&moment.iso()), Some(moment));
        assert_eq!(
            Moment::parse_iso("2023-11-14").map(Moment::millis),
            Some(1_699_920_000_000)
        );
        assert_eq!(
            Moment::parse_iso("2023-11-14T23:13:20+01:00").map(Moment::millis),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            Moment::parse_iso(" 2023-11-14t22:13:20.1234z ").map(Moment::millis),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            Moment::parse_iso("2023-11-14 22:13").map(Moment::millis),
            Some(1_699_999_980_000)
        );
        assert_eq!(Moment::parse_iso("yesterday"), None);
        assert_eq!(Moment::parse_iso("2023-13-01"), None);
        assert_eq!(Moment::parse_iso(""), None);
    }

    #[test]
    fn later_instants_add_milliseconds() {
        let start = Moment::from_millis(1_000);
        assert_eq!(start.after(Duration::from_millis(250)).millis(), 1_250);
        assert_eq!(
            Moment::from_millis(i64::MAX - 1)
                .after(Duration::from_secs(1))
                .millis(),
            i64::MAX
        );
    }
}
