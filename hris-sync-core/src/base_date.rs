//! The base date (従業員情報取得基準日) rules: the allowed range (SPEC R2). The enrolment
//! rule (R3) is [`Employee::is_enrolled_on`](crate::Employee::is_enrolled_on).

use chrono::{Months, NaiveDate};

use crate::error::SyncError;

/// The range of base dates allowed on `today` (Japan time): from today − 3 years to
/// today + 1 year, both inclusive.
///
/// Years are calendar months × 12, so on 29 February the range runs from 28 February three
/// years back to 28 February next year (the month's last day where the day does not exist).
///
/// ```
/// use chrono::NaiveDate;
/// use hris_sync_core::base_date::allowed_range;
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(allowed_range(d(2024, 5, 10)), (d(2021, 5, 10), d(2025, 5, 10)));
/// assert_eq!(allowed_range(d(2024, 2, 29)), (d(2021, 2, 28), d(2025, 2, 28)));
/// ```
pub fn allowed_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let earliest = today
        .checked_sub_months(Months::new(36))
        .unwrap_or(NaiveDate::MIN);
    let latest = today
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX);
    (earliest, latest)
}

/// Checks a base date against the range allowed on `today` (Japan time).
///
/// # Errors
/// [`SyncError::BaseDateOutOfRange`] naming the allowed range.
pub fn check(base_date: NaiveDate, today: NaiveDate) -> Result<(), SyncError> {
    let (earliest, latest) = allowed_range(today);
    if base_date < earliest || base_date > latest {
        return Err(SyncError::BaseDateOutOfRange {
            base_date,
            earliest,
            latest,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::model::Employee;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r2_exact_bounds_are_allowed_and_one_day_beyond_is_not() {
        let today = d(2025, 6, 15);
        assert!(check(d(2022, 6, 15), today).is_ok());
        assert!(check(d(2026, 6, 15), today).is_ok());
        assert!(check(today, today).is_ok());
        let before = check(d(2022, 6, 14), today).unwrap_err();
        assert!(matches!(
            before,
            SyncError::BaseDateOutOfRange { earliest, latest, .. }
                if earliest == d(2022, 6, 15) && latest == d(2026, 6, 15)
        ));
        assert!(check(d(2026, 6, 16), today).is_err());
    }

    #[test]
    fn r2_leap_day_today_clamps_to_the_end_of_february() {
        let today = d(2024, 2, 29);
        assert!(check(d(2021, 2, 28), today).is_ok());
        assert!(check(d(2021, 2, 27), today).is_err());
        assert!(check(d(2025, 2, 28), today).is_ok());
        assert!(check(d(2025, 3, 1), today).is_err());
    }

    #[test]
    fn r2_leap_day_base_date_is_a_valid_date_inside_the_range() {
        assert!(check(d(2024, 2, 29), d(2025, 1, 1)).is_ok());
    }

    #[test]
    fn r2_today_is_japan_time_even_when_utc_is_still_the_day_before() {
        // 23:30 UTC on 14 June is 08:30 on 15 June in Japan.
        let clock = FixedClock::new(Utc.with_ymd_and_hms(2025, 6, 14, 23, 30, 0).unwrap());
        let today = clock.today_in_japan();
        assert_eq!(today, d(2025, 6, 15));
        assert!(check(d(2026, 6, 15), today).is_ok());
        assert!(check(d(2022, 6, 14), today).is_err());
    }

    #[test]
    fn r3_enrolment_on_the_seed_example() {
        let base = d(2022, 1, 1);
        let hired = |date| Employee::new("1").with_hire_date(date);
        assert!(
            hired(d(2022, 1, 1)).is_enrolled_on(base),
            "hired on the base date"
        );
        assert!(
            !hired(d(2022, 1, 2)).is_enrolled_on(base),
            "hired the day after"
        );
        let resigned = |date| hired(d(2020, 4, 1)).with_resignation_date(date);
        assert!(
            !resigned(d(2022, 1, 1)).is_enrolled_on(base),
            "resigned on the base date"
        );
        assert!(
            !resigned(d(2021, 12, 31)).is_enrolled_on(base),
            "resigned before"
        );
        assert!(
            resigned(d(2022, 1, 2)).is_enrolled_on(base),
            "resigns the day after"
        );
    }

    #[test]
    fn r3_no_hire_date_is_listed_unless_resigned() {
        let base = d(2022, 1, 1);
        assert!(Employee::new("1").is_enrolled_on(base));
        assert!(!Employee::new("2")
            .with_resignation_date(d(2021, 3, 31))
            .is_enrolled_on(base));
    }
}
