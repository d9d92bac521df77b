//! Fixtures shared by the billing test files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use billing::{BillInput, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `months` months before `cycle` with `units` each.
pub fn flat_history(cycle: &str, months: i32, units: u64) -> Vec<(YearMonth, u64)> {
    (1..=months)
        .map(|k| (ym(cycle).add_months(-k), units))
        .collect()
}

/// A single-phase, non-TOU, ATL consumer's 30-day reading, issued on the 5th of `cycle`.
pub fn input_at<'a>(
    disco: &'a str,
    province: &'a str,
    tariff: &'a str,
    sl: Decimal,
    cycle: &str,
    units: u64,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    let c = ym(cycle);
    BillInput {
        disco,
        tariff,
        sanctioned_load_kw: sl,
        phase: 1,
        province,
        cycle: c,
        issue_date: day(c.year, c.month, 5),
        period_days: 30,
        units_offpeak_kwh: units,
        units_peak_kwh: 0,
        mdi_kw: Decimal::ZERO,
        history,
        arrears_rs: Decimal::ZERO,
        atl: true,
    }
}
