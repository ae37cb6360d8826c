//! `full-date` (RFC 3339 §5.6, `YYYY-MM-DD`) values of wire claims (`birthdate`,
//! `date_of_expiry`) as [`time::Date`]s, and Unix seconds as UTC date-times: the one place the
//! workspace reads dates, computed by the `time` crate (proleptic Gregorian calendar).

pub use time::{Date, Month, UtcDateTime};

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The date a `YYYY-MM-DD` text names (RFC 3339 §5.6 `full-date`: ASCII digits only), `None`
/// when the text is not one or the day does not exist.
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let year: i32 = text[..4].parse().ok()?;
    let month = Month::try_from(text[5..7].parse::<u8>().ok()?).ok()?;
    let day: u8 = text[8..].parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Days since 1970-01-01 of `date` (negative before).
pub fn days_since_epoch(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, checking the day exists.
pub fn days_from_date(text: &str) -> Option<i64> {
    parse_date(text).map(days_since_epoch)
}

/// The UTC date and time of `unix` seconds, clamped to the years −9999 to 9999 the calendar
/// covers (no time this workspace handles is outside them).
pub fn utc(unix: i64) -> UtcDateTime {
    let (min, max) = (
        UtcDateTime::MIN.unix_timestamp(),
        UtcDateTime::MAX.unix_timestamp(),
    );
    UtcDateTime::from_unix_timestamp(unix.clamp(min, max)).unwrap_or(UtcDateTime::UNIX_EPOCH)
}

/// `date` as `YYYY-MM-DD` (RFC 3339 `full-date`, for years 0 to 9999).
pub fn full_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The start (00:00 UTC) of `date` in Unix seconds.
pub fn start_of_day(date: Date) -> i64 {
    days_since_epoch(date) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: Month, day: u8) -> Date {
        Date::from_calendar_date(year, month, day).unwrap()
    }

    #[test]
    fn dates_and_day_counts_convert_both_ways() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-03-01"), Some(11_017));
        assert_eq!(days_from_date("2024-02-29"), Some(19_782));
        assert_eq!(days_from_date("1969-12-31"), Some(-1));
        assert_eq!(
            parse_date("2024-02-29"),
            Some(date(2024, Month::February, 29))
        );
        assert_eq!(parse_date("0000-01-01"), Some(date(0, Month::January, 1)));
        for text in ["0000-01-01", "1970-01-01", "2024-02-29", "9999-12-31"] {
            assert_eq!(parse_date(text).map(full_date).as_deref(), Some(text));
        }
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "+026-01-01",
            "2026-01-00",
            "1990-13-45",
            "2026-04-31",
            "2026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_seconds_read_as_utc_date_times() {
        assert_eq!(utc(0).date(), date(1970, Month::January, 1));
        // 2031-01-05T09:30:15Z, computed independently (`date -u -d @1925371815`).
        let at = utc(1_925_371_815);
        assert_eq!(at.date(), date(2031, Month::January, 5));
        assert_eq!((at.hour(), at.minute(), at.second()), (9, 30, 15));
        assert_eq!(utc(-1).date(), date(1969, Month::December, 31));
        assert_eq!(
            utc(i64::MAX),
            UtcDateTime::MAX.replace_nanosecond(0).unwrap()
        );
        assert_eq!(start_of_day(date(2026, Month::December, 11)), 1_796_947_200);
        assert_eq!(start_of_day(date(2024, Month::February, 29)), 1_709_164_800);
    }
}
