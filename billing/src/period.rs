//! Bill months (`YearMonth`).
//!
//! A bill month is a calendar month, written `YYYY-MM`. Arithmetic goes through a single month
//! index (`year * 12 + month - 1`) so `add_months` and differences never special-case December.
//! The fields are public (the rest of the server builds them directly), so every function that
//! receives one from outside checks it with [`YearMonth::validate`] before relying on it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::error::BillingError;

/// Earliest year a bill month may carry (keeps every date inside chrono's range).
pub const MIN_YEAR: i32 = 1900;
/// Latest year a bill month may carry.
pub const MAX_YEAR: i32 = 9999;

/// A calendar month, e.g. the bill month `2026-09`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct YearMonth {
    /// Calendar year (1900..=9999 once validated).
    pub year: i32,
    /// Month, 1..=12 once validated.
    pub month: u32,
}

impl YearMonth {
    /// A validated month.
    pub fn new(year: i32, month: u32) -> Result<YearMonth, BillingError> {
        let ym = YearMonth { year, month };
        ym.validate()?;
        Ok(ym)
    }

    /// The month a date falls in.
    pub fn of_date(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Checks the month is 1..=12 and the year within [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn validate(&self) -> Result<(), BillingError> {
        if !(1..=12).contains(&self.month) {
            return Err(BillingError::BadPeriod {
                input: format!("{}-{}", self.year, self.month),
                reason: "month must be 01..12",
            });
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&self.year) {
            return Err(BillingError::BadPeriod {
                input: format!("{}-{}", self.year, self.month),
                reason: "year must be 1900..9999",
            });
        }
        Ok(())
    }

    /// Months since year 0 (`year * 12 + month - 1`): the single arithmetic representation.
    pub fn index(&self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    pub(crate) fn from_index(index: i64) -> YearMonth {
        let year = index.div_euclid(12);
        let month = index.rem_euclid(12) + 1;
        YearMonth {
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            // rem_euclid(12) + 1 is always 1..=12.
            month: u32::try_from(month).unwrap_or(1),
        }
    }

    /// This month shifted by `n` months (negative goes back): `2026-01 + (-2) = 2025-11`.
    pub fn add_months(self, n: i32) -> YearMonth {
        YearMonth::from_index(self.index() + i64::from(n))
    }

    /// `self - other` in months (`2026-09.months_since(2026-07) == 2`).
    pub fn months_since(&self, other: YearMonth) -> i64 {
        self.index() - other.index()
    }

    /// First day of the month. For an unvalidated month outside chrono's range this falls back
    /// to `NaiveDate::MIN` rather than panicking; billing validates months before use.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the month (same fallback as [`YearMonth::first_day`]).
    pub fn last_day(&self) -> NaiveDate {
        self.add_months(1)
            .first_day()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN)
    }

    /// Calendar quarter 1..=4 (Jan-Mar = 1). Which bill months carry a quarter's QTA is data
    /// (`[[qta]] bill_months`), not derived from this.
    pub fn quarter(&self) -> u32 {
        (self.month.clamp(1, 12) - 1) / 3 + 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = BillingError;

    /// Parses exactly `YYYY-MM` (4-digit year, dash, 2-digit month).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &'static str| BillingError::BadPeriod {
            input: s.to_string(),
            reason,
        };
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(bad("expected YYYY-MM"));
        }
        let digits = |r: std::ops::Range<usize>| -> Result<u32, BillingError> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return Err(bad("expected YYYY-MM (digits only)"));
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Ok(v)
        };
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let ym = YearMonth {
            year: i32::try_from(year).map_err(|_| bad("year out of range"))?,
            month,
        };
        ym.validate().map_err(|_| {
            bad(if (1..=12).contains(&month) {
                "year must be 1900..9999"
            } else {
                "month must be 01..12"
            })
        })?;
        Ok(ym)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_roundtrip() {
        let ym: YearMonth = "2026-09".parse().unwrap();
        assert_eq!(
            ym,
            YearMonth {
                year: 2026,
                month: 9
            }
        );
        assert_eq!(ym.to_string(), "2026-09");
        for bad in [
            "2026-9", "2026-13", "2026-00", "26-09", "2026/09", "abcd-ef", "", "2026-091",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic() {
        let ym = YearMonth {
            year: 2026,
            month: 1,
        };
        assert_eq!(
            ym.add_months(-2),
            YearMonth {
                year: 2025,
                month: 11
            }
        );
        assert_eq!(
            ym.add_months(12),
            YearMonth {
                year: 2027,
                month: 1
            }
        );
        assert_eq!(ym.add_months(11).months_since(ym), 11);
        assert_eq!(ym.quarter(), 1);
        assert_eq!(
            YearMonth {
                year: 2026,
                month: 12
            }
            .quarter(),
            4
        );
        assert_eq!(
            YearMonth {
                year: 2024,
                month: 2
            }
            .last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }
}
