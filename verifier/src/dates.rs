//! Unix seconds and `YYYY-MM-DD` claims as the dates a person reads (UTC), through
//! [`idv_proto::calendar`].

use idv_proto::calendar::{Date, UtcDateTime, full_date, parse_date, utc};

/// `2026-01-05T09:30:00Z` (RFC 3339).
pub(crate) fn rfc3339(secs: i64) -> String {
    let at = utc(secs);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        full_date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `5 January 2026`.
fn long(date: Date) -> String {
    format!("{} {} {}", date.day(), date.month(), date.year())
}

/// `5 January 2026`.
pub(crate) fn long_date(secs: i64) -> String {
    long(utc(secs).date())
}

/// `5 January 2026 at 09:30:00 UTC`.
pub(crate) fn long_date_time(secs: i64) -> String {
    let at: UtcDateTime = utc(secs);
    format!(
        "{} at {:02}:{:02}:{:02} UTC",
        long(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A `YYYY-MM-DD` claim as `5 January 2026`, or the text unchanged when it is not a date that
/// exists.
pub(crate) fn long_claim_date(text: &str) -> String {
    parse_date(text).map_or_else(|| text.to_owned(), long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_read_as_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // 2031-01-05T09:30:15Z, computed independently (`date -u -d @1925371815`).
        assert_eq!(rfc3339(1_925_371_815), "2031-01-05T09:30:15Z");
        assert_eq!(
            long_date_time(1_925_371_815),
            "5 January 2031 at 09:30:15 UTC"
        );
        assert_eq!(long_date(1_925_371_815), "5 January 2031");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_780_000_000), "2026-05-28T20:26:40Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(long_claim_date("1990-12-10"), "10 December 1990");
        assert_eq!(long_claim_date("1990-13-10"), "1990-13-10");
        assert_eq!(long_claim_date("1990-02-31"), "1990-02-31");
        assert_eq!(long_claim_date("soon"), "soon");
    }
}
