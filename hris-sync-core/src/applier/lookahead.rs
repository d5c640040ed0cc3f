//! How far ahead of the write slots intents are recorded (SPEC P3): far enough that the
//! slots do not run dry while a commit is in flight, and no further, since an intent
//! recorded for a write that a stop then keeps from going out costs a withdrawal at the
//! end (and, after a crash, one more entry for resume to re-read).

use std::time::Duration;

/// The writes whose intents may be recorded ahead of the slots: the writes that finish
/// during one commit, twice over, on top of one per slot — `C × (1 + 2 × commit time /
/// write time)`, between `2C` and `16C` (2C until both times are known). Times are
/// smoothed over the last few commits and writes.
#[derive(Debug)]
pub(super) struct Lookahead {
    concurrency: usize,
    commit: Option<Duration>,
    write: Option<Duration>,
}

impl Lookahead {
    pub(super) fn new(concurrency: usize) -> Self {
        Self {
            concurrency: concurrency.max(1),
            commit: None,
            write: None,
        }
    }

    /// A commit took `took`.
    pub(super) fn commit_took(&mut self, took: Duration) {
        self.commit = Some(smooth(self.commit, took));
    }

    /// A write took `took`.
    pub(super) fn write_took(&mut self, took: Duration) {
        self.write = Some(smooth(self.write, took));
    }

    /// How many writes' intents may be recorded ahead now.
    pub(super) fn writes(&self) -> usize {
        let c = self.concurrency;
        let (Some(commit), Some(write)) = (self.commit, self.write) else {
            return 2 * c;
        };
        let ratio = commit.as_secs_f64() / write.as_secs_f64().max(1e-6);
        let ahead = (c as f64 * (1.0 + 2.0 * ratio)).ceil();
        (ahead.min((16 * c) as f64) as usize).max(2 * c)
    }
}

/// An exponentially weighted mean: three quarters the old, one quarter the new.
fn smooth(old: Option<Duration>, new: Duration) -> Duration {
    match old {
        Some(old) => old * 3 / 4 + new / 4,
        None => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_writes_that_finish_during_a_commit_within_bounds() {
        let ms = Duration::from_millis;
        let mut ahead = Lookahead::new(4);
        assert_eq!(ahead.writes(), 8, "2C until the times are known");
        ahead.write_took(ms(20));
        assert_eq!(ahead.writes(), 8);
        ahead.commit_took(ms(1));
        assert_eq!(ahead.writes(), 8, "fast commits: 2C");
        let mut slow = Lookahead::new(4);
        slow.write_took(ms(20));
        slow.commit_took(ms(40));
        assert_eq!(slow.writes(), 20, "4 × (1 + 2 × 2)");
        slow.commit_took(ms(10_000));
        assert_eq!(slow.writes(), 64, "at most 16C");
    }
}
