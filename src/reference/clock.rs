//! Instants as Rocket.Chat prints them: ISO 8601 in UTC with milliseconds and a `Z`.
//!
//! Owns the conversion between milliseconds since the Unix epoch and the calendar, in both
//! directions (formatting for responses, parsing for `updatedSince`). It must not read state.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Moment(i64);

impl Moment {
    /// The current wall-clock instant.
    pub(crate) fn now() -> Moment {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Moment(millis)
    }

    /// The instant `millis` milliseconds after the epoch.
    pub(crate) fn from_millis(millis: i64) -> Moment {
        Moment(millis)
    }

    /// Milliseconds since the epoch.
    pub(crate) fn millis(self) -> i64 {
        self.0
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub(crate) fn iso(self) -> String {
        let days = self.0.div_euclid(86_400_000);
        let in_day = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1_000 % 60,
            in_day % 1_000
        )
    }

    /// Parses the ISO 8601 forms `Date.parse` accepts in practice: a date, optionally followed
    /// by `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM`. Times without an offset are read as UTC.
    pub(crate) fn parse_iso(text: &str) -> Option<Moment> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let number = |from: usize, len: usize| -> Option<i64> {
            let slice = text.get(from..from + len)?;
            if !slice.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            slice.parse().ok()
        };
        if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let (year, month, day) = (number(0, 4)?, number(5, 2)?, number(8, 2)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut millis = days_from_civil(year, month, day) * 86_400_000;
        let rest = &text[10..];
        if rest.is_empty() {
            return Some(Moment(millis));
        }
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        millis += clock_millis(clock)?;
        millis -= offset_millis(offset)?;
        Some(Moment(millis))
    }
}

fn clock_millis(clock: &str) -> Option<i64> {
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, fraction),
        None => (clock, ""),
    };
    let mut parts = hms.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: i64 = match parts.next() {
        Some(text) => text.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || hours > 24 || minutes > 59 || seconds > 59 {
        return None;
    }
    let mut millis = ((hours * 60 + minutes) * 60 + seconds) * 1_000;
    if !fraction.is_empty() {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let padded = format!("{fraction:0<3}");
        millis += padded.get(..3)?.parse::<i64>().ok()?;
    }
    Some(millis)
}

fn offset_millis(offset: &str) -> Option<i64> {
    if offset.is_empty() || offset.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 60 + minutes) * 60_000)
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert_eq!(Moment::parse_iso("yesterday"), None);
        assert_eq!(Moment::parse_iso("2023-13-01"), None);
    }
}
