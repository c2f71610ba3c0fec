//! RFC 3339 timestamps <-> Unix microseconds, UTC.
//!
//! Hand-written rather than a date crate: the API needs exactly one strict
//! format in and one out, which is two short functions over the proleptic
//! Gregorian calendar (H. Hinnant's day-count algorithms), while `time` or
//! `chrono` would add a dependency (and, for chrono, lenient parsing we
//! would have to fence in again). Postgres is not asked to parse either:
//! it accepts `now`, `epoch` and many non-RFC forms.

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a valid civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix microseconds of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
/// Digits past the microsecond are dropped; leap seconds are refused.
pub fn parse(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)");
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Result<i64, String> {
        let digits = b.get(from..from + len).ok_or_else(bad)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return Err(bad());
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    let mut i = 19;
    let mut micros = 0;
    if at(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let kept = digits.min(6);
        micros = num(i + 1, kept)? * 10_i64.pow(6 - kept as u32);
        i += 1 + digits;
    }
    let offset_secs = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
            let (hours, minutes) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return Err(bad());
            }
            let secs = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(bad()),
    };
    let secs =
        days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second
            - offset_secs;
    Ok(secs * MICROS_PER_SEC + micros)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (microseconds only when they are not zero).
pub fn format(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS_PER_SEC);
    let fraction = micros.rem_euclid(MICROS_PER_SEC);
    let (year, month, day) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
    let of_day = secs.rem_euclid(SECS_PER_DAY);
    let (hour, minute, second) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    let fraction = if fraction % 1000 == 0 {
        format!("{:03}", fraction / 1000)
    } else {
        format!("{fraction:06}")
    };
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{fraction}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_utc() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00.000Z"),
            (
                "2026-01-01T00:00:00.123Z",
                1_767_225_600_123_000,
                "2026-01-01T00:00:00.123Z",
            ),
            (
                "2024-02-29T23:59:59.000001z",
                1_709_251_199_000_001,
                "2024-02-29T23:59:59.000001Z",
            ),
            (
                "2026-01-01T02:30:00.1234567+02:30",
                1_767_225_600_123_456,
                "2026-01-01T00:00:00.123456Z",
            ),
            (
                "2025-12-31t19:00:00-05:00",
                1_767_225_600_000_000,
                "2026-01-01T00:00:00.000Z",
            ),
            (
                "1969-12-31T23:59:59.5Z",
                -500_000,
                "1969-12-31T23:59:59.500Z",
            ),
        ];
        for (text, micros, formatted) in cases {
            assert_eq!(parse(text), Ok(micros), "{text}");
            assert_eq!(format(micros), formatted, "{text}");
            assert_eq!(parse(formatted), Ok(micros), "{formatted}");
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for day in (-146_097..146_097).step_by(7) {
            let micros = day * SECS_PER_DAY * MICROS_PER_SEC + 3_723_000_000;
            assert_eq!(parse(&format(micros)), Ok(micros), "day {day}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for text in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "2026-1-01T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-12-31T23:59:60Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00Zjunk",
            "+026-01-01T00:00:00Z",
            "now",
            "1767225600",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
