//! Daily maintenance windows in Japan time (SPEC R12).

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::clock::japan;

/// One daily window, `start` inclusive to `end` exclusive, in Japan time. A window whose end
/// is before its start runs past midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyWindow {
    /// First minute of the window.
    pub start: NaiveTime,
    /// First minute after the window.
    pub end: NaiveTime,
}

impl DailyWindow {
    /// A window from `start` to `end` as `(hour, minute)` pairs.
    ///
    /// # Panics
    /// When an hour or minute is out of range.
    pub fn hm(start: (u32, u32), end: (u32, u32)) -> Self {
        let time = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).expect("valid hour and minute");
        Self {
            start: time(start),
            end: time(end),
        }
    }

    fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

/// A system's daily maintenance windows (メンテナンス時間), during which no fetch or apply
/// may start.
///
/// ```
/// use hris_sync_core::{DailyWindow, MaintenanceWindows};
/// use chrono::{FixedOffset, TimeZone};
/// let windows = MaintenanceWindows::new(vec![DailyWindow::hm((8, 30), (10, 0))]);
/// let jst = FixedOffset::east_opt(9 * 3600).unwrap();
/// let inside = jst.with_ymd_and_hms(2024, 4, 1, 9, 0, 0).unwrap();
/// let end = windows.active_at(inside).unwrap();
/// assert_eq!(end, jst.with_ymd_and_hms(2024, 4, 1, 10, 0, 0).unwrap());
/// assert!(windows.active_at(end).is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindows(Vec<DailyWindow>);

impl MaintenanceWindows {
    /// The given windows.
    pub fn new(windows: Vec<DailyWindow>) -> Self {
        Self(windows)
    }

    /// No windows: always available.
    pub fn none() -> Self {
        Self::default()
    }

    /// The windows.
    pub fn windows(&self) -> &[DailyWindow] {
        &self.0
    }

    /// If `now` is inside a window, when that window ends (in Japan time). Back-to-back or
    /// overlapping windows are followed to their last end.
    pub fn active_at<Tz: TimeZone>(&self, now: DateTime<Tz>) -> Option<DateTime<FixedOffset>> {
        let now = now.with_timezone(&japan());
        let mut end: Option<DateTime<FixedOffset>> = None;
        let mut probe = now;
        // Each pass can only move the end forward; a bounded loop guards against windows
        // that cover the whole day.
        for _ in 0..=self.0.len() {
            let Some(next) = self
                .0
                .iter()
                .filter(|window| window.contains(probe.time()))
                .map(|window| end_of(window, probe))
                .max()
            else {
                break;
            };
            if end.is_some_and(|current| next <= current) {
                break;
            }
            end = Some(next);
            probe = next;
        }
        end
    }
}

fn end_of(window: &DailyWindow, at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let date = at.date_naive();
    let end_date = if window.end <= at.time() {
        date.checked_add_days(Days::new(1)).unwrap_or(date)
    } else {
        date
    };
    end_date
        .and_time(window.end)
        .and_local_timezone(japan())
        .single()
        .expect("fixed offsets are unambiguous")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jst(h: u32, m: u32) -> DateTime<FixedOffset> {
        japan().with_ymd_and_hms(2024, 4, 1, h, m, 0).unwrap()
    }

    fn kot() -> MaintenanceWindows {
        MaintenanceWindows::new(vec![
            DailyWindow::hm((8, 30), (10, 0)),
            DailyWindow::hm((17, 30), (18, 30)),
        ])
    }

    #[test]
    fn r12_window_bounds_are_start_inclusive_end_exclusive() {
        assert_eq!(kot().active_at(jst(8, 29)), None);
        assert_eq!(kot().active_at(jst(8, 30)), Some(jst(10, 0)));
        assert_eq!(kot().active_at(jst(9, 59)), Some(jst(10, 0)));
        assert_eq!(kot().active_at(jst(10, 0)), None);
        assert_eq!(kot().active_at(jst(17, 30)), Some(jst(18, 30)));
        assert_eq!(kot().active_at(jst(18, 30)), None);
    }

    #[test]
    fn r12_window_is_reckoned_in_japan_time_whatever_the_input_zone() {
        // 00:00 UTC is 09:00 in Japan.
        let utc = chrono::Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap();
        assert_eq!(kot().active_at(utc), Some(jst(10, 0)));
    }

    #[test]
    fn r12_window_past_midnight_ends_the_next_day() {
        let windows = MaintenanceWindows::new(vec![DailyWindow::hm((23, 0), (1, 0))]);
        let end = japan().with_ymd_and_hms(2024, 4, 2, 1, 0, 0).unwrap();
        assert_eq!(windows.active_at(jst(23, 30)), Some(end));
        let early = japan().with_ymd_and_hms(2024, 4, 2, 0, 30, 0).unwrap();
        assert_eq!(windows.active_at(early), Some(end));
    }

    #[test]
    fn r12_back_to_back_windows_report_the_last_end() {
        let windows = MaintenanceWindows::new(vec![
            DailyWindow::hm((8, 0), (9, 0)),
            DailyWindow::hm((9, 0), (9, 30)),
        ]);
        assert_eq!(windows.active_at(jst(8, 15)), Some(jst(9, 30)));
    }
}
