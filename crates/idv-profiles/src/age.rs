//! Ages on a day, and when an age credential's values stop being true: an age credential
//! saying "not over 18" must not outlive the 18th birthday, nor one saying "over 18" be shown
//! by someone it was not true of at issuance.

use idv_proto::calendar::{Date, Month, parse_date, start_of_day, utc};

use crate::ProofedIdentity;

/// The age thresholds an age credential attests (`age_over_N`).
pub const AGE_THRESHOLDS: [u32; 4] = [16, 18, 21, 25];

/// Completed years between `birth` and `on`. Someone born on 29 February has birthdays on
/// 1 March in common years.
pub fn age_on(birth: Date, on: Date) -> i64 {
    let day_of_year = |date: Date| (u8::from(date.month()), date.day());
    let had_birthday = day_of_year(on) >= day_of_year(birth);
    i64::from(on.year()) - i64::from(birth.year()) - i64::from(!had_birthday)
}

/// The start (00:00 UTC, Unix seconds) of the next birthday, after `today`, at which someone
/// born on `birth` reaches one of the [`AGE_THRESHOLDS`] they have not reached yet: when an
/// `age_over_N` value of an age credential issued `today` stops being true. `None` once every
/// threshold is reached. Someone born on 29 February has birthdays on 1 March in common years,
/// as [`age_on`] counts.
pub fn age_changes_at(birth: Date, today: Date) -> Option<i64> {
    let age = age_on(birth, today);
    let threshold = AGE_THRESHOLDS
        .into_iter()
        .map(i64::from)
        .find(|&threshold| age < threshold)?;
    let year = i32::try_from(i64::from(birth.year()) + threshold).ok()?;
    let birthday = birth
        .replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
        .ok()?;
    Some(start_of_day(birthday))
}

/// The latest `exp` of an age credential for `person` issued at `now` (Unix seconds):
/// [`age_changes_at`] of their birthdate, `None` when no value will change (or the record has
/// no valid birthdate, which [`crate::issue_age`] refuses).
pub fn age_expiry_cap(person: &ProofedIdentity, now: i64) -> Option<i64> {
    let birthdate = parse_date(&person.birthdate)?;
    age_changes_at(birthdate, utc(now).date())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A calendar date.
    pub(crate) fn date(year: i32, month: u8, day: u8) -> Date {
        Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap()
    }

    #[test]
    fn ages_count_completed_years() {
        assert_eq!(age_on(date(2008, 11, 21), date(2026, 11, 21)), 18);
        assert_eq!(age_on(date(2008, 11, 22), date(2026, 11, 21)), 17);
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 2, 28)), 17);
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 3, 1)), 18);
        assert_eq!(age_on(date(2008, 2, 29), date(2024, 2, 29)), 16);
    }

    #[test]
    fn the_next_change_is_the_next_threshold_birthday() {
        // Under 16: the 16th birthday.
        assert_eq!(
            age_changes_at(date(2012, 1, 5), date(2026, 11, 21)),
            Some(start_of_day(date(2028, 1, 5)))
        );
        // 18 in 2026, a common year: on 1 March.
        assert_eq!(
            age_changes_at(date(2008, 2, 29), date(2026, 2, 1)),
            Some(1_772_323_200),
            "2026-03-01T00:00:00Z"
        );
        // 16 in 2024, a leap year: on 29 February.
        assert_eq!(
            age_changes_at(date(2008, 2, 29), date(2024, 1, 10)),
            Some(1_709_164_800),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn from_25_nothing_changes() {
        assert_eq!(age_changes_at(date(1990, 12, 10), date(2026, 11, 21)), None);
        assert_eq!(
            age_changes_at(date(2001, 11, 21), date(2026, 11, 21)),
            None,
            "25 today"
        );
        assert_eq!(
            age_changes_at(date(2001, 11, 22), date(2026, 11, 21)),
            Some(start_of_day(date(2026, 11, 22))),
            "25 tomorrow"
        );
    }
}
