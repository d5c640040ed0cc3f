//! Time: an injectable clock, and Japan time (UTC+9, no daylight saving), in which base
//! dates and maintenance windows are reckoned whatever the host's time zone.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// Japan Standard Time, UTC+9 (no daylight saving).
pub fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// A source of the current instant. Inject a [`FixedClock`] in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// The current instant in Japan time.
    fn now_in_japan(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&japan())
    }

    /// Today's calendar date in Japan.
    fn today_in_japan(&self) -> NaiveDate {
        self.now_in_japan().date_naive()
    }
}

/// The host's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that shows a set instant until moved; for tests and emulators.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use hris_sync_core::{Clock, FixedClock};
/// // 23:30 UTC is already the next day in Japan.
/// let clock = FixedClock::new(Utc.with_ymd_and_hms(2024, 2, 28, 23, 30, 0).unwrap());
/// assert_eq!(clock.today_in_japan(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
/// ```
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// A clock showing the given wall-clock time in Japan.
    ///
    /// # Panics
    /// When the values do not form a valid date and time.
    pub fn at_japan_time(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Self {
        let local = NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|date| date.and_hms_opt(hour, minute, 0))
            .expect("valid date and time");
        let instant = local
            .and_local_timezone(japan())
            .single()
            .expect("fixed offsets are unambiguous");
        Self::new(instant.with_timezone(&Utc))
    }

    /// Shows `now` from now on.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner()) = now;
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}
