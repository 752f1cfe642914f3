//! RFC 3339 timestamps with optional fractional seconds, as Go's `time.RFC3339Nano` parses them
//! (the format of an audit event's `stageTimestamp`, e.g. `2022-01-18T09:10:37.382458Z`).

use thiserror::Error;

/// Go keeps at most nine fractional digits and ignores further ones; so do we.
const MAX_FRACTION_DIGITS: usize = 9;
const NANOS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Why a timestamp could not be turned into nanoseconds since the Unix epoch.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TimestampError {
    #[error("expected RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, {problem}")]
    Syntax { problem: String },
    #[error("{field} {value} is out of range ({range})")]
    OutOfRange {
        field: &'static str,
        value: u32,
        range: &'static str,
    },
    #[error("the instant is before 1970-01-01T00:00:00Z and has no unsigned nanosecond timestamp")]
    BeforeEpoch,
    #[error("the instant is after 2554-07-21, the last one a u64 nanosecond timestamp can hold")]
    TooLate,
}

/// Parses an RFC 3339 timestamp into nanoseconds since the Unix epoch (UTC).
pub fn parse_rfc3339_nanos(text: &str) -> Result<u64, TimestampError> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = cursor.digits(4, "year")?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2, "month")?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2, "day")?;
    cursor.expect(b'T')?;
    let hour = cursor.digits(2, "hour")?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2, "minute")?;
    cursor.expect(b':')?;
    let second = cursor.digits(2, "second")?;
    let nanos = cursor.fraction()?;
    let offset_seconds = cursor.offset()?;
    if cursor.pos != cursor.bytes.len() {
        return Err(cursor.syntax("unexpected text after the UTC offset"));
    }

    check_range("month", month, 1, 12, "1-12")?;
    check_range("day", day, 1, days_in_month(year, month), "1-last day of the month")?;
    check_range("hour", hour, 0, 23, "0-23")?;
    check_range("minute", minute, 0, 59, "0-59")?;
    check_range("second", second, 0, 59, "0-59")?;

    let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - offset_seconds;
    let seconds = u64::try_from(seconds).map_err(|_| TimestampError::BeforeEpoch)?;
    seconds
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|ns| ns.checked_add(nanos))
        .ok_or(TimestampError::TooLate)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn syntax(&self, what: &str) -> TimestampError {
        TimestampError::Syntax {
            problem: format!("{what} at character {}", self.pos + 1),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, wanted: u8) -> Result<(), TimestampError> {
        if self.peek() == Some(wanted) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(&format!("expected `{}`", wanted as char)))
        }
    }

    fn digits(&mut self, count: usize, field: &str) -> Result<u32, TimestampError> {
        let mut value = 0u32;
        for _ in 0..count {
            match self.peek() {
                Some(digit @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(digit - b'0');
                    self.pos += 1;
                }
                _ => return Err(self.syntax(&format!("expected {count} digits of the {field}"))),
            }
        }
        Ok(value)
    }

    fn fraction(&mut self) -> Result<u64, TimestampError> {
        if self.peek() != Some(b'.') {
            return Ok(0);
        }
        self.pos += 1;
        let start = self.pos;
        let mut nanos = 0u64;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            if self.pos - start < MAX_FRACTION_DIGITS {
                nanos = nanos * 10 + u64::from(digit - b'0');
            }
            self.pos += 1;
        }
        let digits = self.pos - start;
        if digits == 0 {
            return Err(self.syntax("expected digits after the decimal point"));
        }
        for _ in digits..MAX_FRACTION_DIGITS {
            nanos *= 10;
        }
        Ok(nanos)
    }

    /// The UTC offset in seconds east of Greenwich.
    fn offset(&mut self) -> Result<i64, TimestampError> {
        let sign = match self.peek() {
            Some(b'Z') => {
                self.pos += 1;
                return Ok(0);
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(self.syntax("expected `Z` or a `+HH:MM`/`-HH:MM` UTC offset")),
        };
        self.pos += 1;
        let hours = self.digits(2, "offset hours")?;
        self.expect(b':')?;
        let minutes = self.digits(2, "offset minutes")?;
        check_range("offset hours", hours, 0, 23, "0-23")?;
        check_range("offset minutes", minutes, 0, 59, "0-59")?;
        Ok(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
    }
}

fn check_range(field: &'static str, value: u32, min: u32, max: u32, range: &'static str) -> Result<(), TimestampError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(TimestampError::OutOfRange { field, value, range })
    }
}

fn is_leap_year(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era-based
/// conversion: 400-year eras of 146 097 days, years starting in March).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_with_microseconds_like_kubernetes_writes() {
        // 2022-01-18T09:10:37Z is 1642497037 s after the epoch (`date -d ... +%s`).
        assert_eq!(
            parse_rfc3339_nanos("2022-01-18T09:10:37.382458Z"),
            Ok(1_642_497_037_382_458_000)
        );
    }

    #[test]
    fn parses_epoch_whole_seconds_and_nanoseconds() {
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:01.000000001Z"), Ok(1_000_000_001));
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00.5Z"), Ok(500_000_000));
    }

    #[test]
    fn applies_the_utc_offset() {
        let utc = parse_rfc3339_nanos("2018-10-26T13:42:46.764713Z").unwrap();
        assert_eq!(parse_rfc3339_nanos("2018-10-26T15:42:46.764713+02:00"), Ok(utc));
        assert_eq!(parse_rfc3339_nanos("2018-10-26T08:12:46.764713-05:30"), Ok(utc));
    }

    #[test]
    fn handles_leap_days_and_ignores_digits_past_nanoseconds() {
        // 2024-02-29 is day 19782 since the epoch.
        assert_eq!(
            parse_rfc3339_nanos("2024-02-29T00:00:00.1234567891Z"),
            Ok(19_782 * 86_400 * NANOS_PER_SECOND + 123_456_789)
        );
        assert!(matches!(
            parse_rfc3339_nanos("2023-02-29T00:00:00Z"),
            Err(TimestampError::OutOfRange { field: "day", .. })
        ));
    }

    #[test]
    fn rejects_malformed_and_unrepresentable_instants() {
        for bad in [
            "",
            "2022-01-18",
            "2022-01-18 09:10:37Z",
            "2022-01-18T09:10:37",
            "2022-01-18T09:10:37.Z",
            "2022-01-18T09:10:37Zjunk",
            "2022-1-18T09:10:37Z",
            "2022-01-18T09:10:37+0200",
        ] {
            assert!(
                matches!(parse_rfc3339_nanos(bad), Err(TimestampError::Syntax { .. })),
                "{bad:?} should be a syntax error"
            );
        }
        assert!(matches!(
            parse_rfc3339_nanos("2022-13-18T09:10:37Z"),
            Err(TimestampError::OutOfRange { field: "month", .. })
        ));
        assert!(matches!(
            parse_rfc3339_nanos("2022-01-18T24:00:00Z"),
            Err(TimestampError::OutOfRange { field: "hour", .. })
        ));
        assert_eq!(
            parse_rfc3339_nanos("1969-12-31T23:59:59Z"),
            Err(TimestampError::BeforeEpoch)
        );
        assert_eq!(
            parse_rfc3339_nanos("9999-12-31T23:59:59Z"),
            Err(TimestampError::TooLate)
        );
    }
}
