//! Unix seconds as the dates a person reads (UTC), without a calendar dependency.

const DAY: i64 = 86_400;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Year, month (1–12) and day of the `days`-th day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, usize, u32) {
    let (year, month, day) = idv_proto::calendar::civil_from_days(days);
    // `month` is 1..=12 by construction.
    (year, usize::try_from(month).unwrap_or(1), day)
}

/// `2026-01-05T09:30:00Z` (RFC 3339).
pub(crate) fn rfc3339(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `5 January 2026`.
pub(crate) fn long_date(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY));
    format!("{day} {} {year}", MONTHS[month - 1])
}

/// `5 January 2026 at 09:30:00 UTC`.
pub(crate) fn long_date_time(secs: i64) -> String {
    let s = secs.rem_euclid(DAY);
    format!(
        "{} at {:02}:{:02}:{:02} UTC",
        long_date(secs),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A `YYYY-MM-DD` claim as `5 January 2026`, or the text unchanged when it is not one.
pub(crate) fn long_claim_date(text: &str) -> String {
    let parts: Vec<&str> = text.split('-').collect();
    if let [year, month, day] = parts.as_slice()
        && year.len() == 4
        && month.len() == 2
        && day.len() == 2
        && let (Ok(year), Ok(month), Ok(day)) = (
            year.parse::<u32>(),
            month.parse::<usize>(),
            day.parse::<u32>(),
        )
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
    {
        return format!("{day} {} {year}", MONTHS[month - 1]);
    }
    text.to_owned()
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
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_780_000_000), "2026-05-28T20:26:40Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(long_claim_date("1990-12-10"), "10 December 1990");
        assert_eq!(long_claim_date("1990-13-10"), "1990-13-10");
        assert_eq!(long_claim_date("soon"), "soon");
    }
}
