//! A share of a whole, exact enough for thresholds and comparable without floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Basis points in a whole.
const WHOLE: u32 = 10_000;

/// A share between 0 and 1, held in basis points (hundredths of a percent) so that reports
/// and options compare exactly. Serialised as a ratio (`0.125` for 12.5 %).
///
/// ```
/// use hris_sync_core::guards::Share;
///
/// assert_eq!(Share::of(1, 8).to_string(), "12.5%");
/// assert!(Share::of(19, 20) >= Share::percent(95));
/// assert_eq!(Share::percent(250), Share::FULL);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "f64", try_from = "f64")]
pub struct Share(u32);

impl Share {
    /// Nothing.
    pub const ZERO: Share = Share(0);
    /// Everything.
    pub const FULL: Share = Share(WHOLE);

    /// `percent` per cent (values above 100 count as 100).
    pub fn percent(percent: u32) -> Self {
        Self::from_basis_points(percent.saturating_mul(100))
    }

    /// `points` hundredths of a percent (values above 10,000 count as 10,000).
    pub fn from_basis_points(points: u32) -> Self {
        Self(points.min(WHOLE))
    }

    /// `part` of `whole`, rounded down to a basis point; any part of nothing is everything,
    /// nothing of nothing is nothing.
    pub fn of(part: usize, whole: usize) -> Self {
        if whole == 0 {
            return if part == 0 { Self::ZERO } else { Self::FULL };
        }
        let points = (part as u128 * u128::from(WHOLE)) / whole as u128;
        Self(u32::try_from(points).unwrap_or(WHOLE).min(WHOLE))
    }

    /// The share in basis points.
    pub fn basis_points(self) -> u32 {
        self.0
    }
}

impl From<Share> for f64 {
    fn from(share: Share) -> f64 {
        f64::from(share.0) / f64::from(WHOLE)
    }
}

impl TryFrom<f64> for Share {
    type Error = String;

    fn try_from(ratio: f64) -> Result<Self, Self::Error> {
        if (0.0..=1.0).contains(&ratio) {
            // In range, so the cast cannot truncate.
            Ok(Self((ratio * f64::from(WHOLE)).round() as u32))
        } else {
            Err(format!("a share is between 0 and 1, not {ratio}"))
        }
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, rest) = (self.0 / 100, self.0 % 100);
        match rest {
            0 => write!(f, "{whole}%"),
            rest if rest % 10 == 0 => write!(f, "{whole}.{}%", rest / 10),
            rest => write!(f, "{whole}.{rest:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_down_and_stay_within_a_whole() {
        assert_eq!(Share::of(2, 3).basis_points(), 6_666);
        assert_eq!(Share::of(5, 0), Share::FULL);
        assert_eq!(Share::of(0, 0), Share::ZERO);
        assert_eq!(Share::of(7, 5), Share::FULL);
        assert_eq!(Share::from_basis_points(12_345), Share::FULL);
        assert_eq!(Share::of(1, 3).to_string(), "33.33%");
        assert_eq!(Share::percent(10).to_string(), "10%");
    }

    #[test]
    fn shares_serialise_as_ratios() {
        let json = serde_json::to_string(&Share::of(1, 8)).unwrap();
        assert_eq!(json, "0.125");
        let back: Share = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Share::of(1, 8));
        assert!(serde_json::from_str::<Share>("1.5").is_err());
        assert!(serde_json::from_str::<Share>("-0.1").is_err());
    }
}
