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

/// A load drawn by a property test, in kW from hundredths, kept legal for the tariff: A-1a and
/// A-2a are for sanctioned loads below 5 kW (S.R.O. 279(I)/2026 `sanctioned_load_below_kw`;
/// at or above it the bill is refused), so their loads are folded into [0.01, 4.99] kW; any
/// other tariff keeps the load drawn.
pub fn legal_load(tariff: &str, centi_kw: i64) -> Decimal {
    if matches!(tariff, "A-1a" | "A-2a") {
        Decimal::new((centi_kw - 1).rem_euclid(499) + 1, 2)
    } else {
        Decimal::new(centi_kw, 2)
    }
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

/// Every line of `bill` explains itself (BILLING-RULES 6.3: "rate lines x units = cost"):
/// `amount = quantity x rate`, rounded as the line is (`gst_on_fpa` and `lps` to whole rupees,
/// every other line to the paisa, half away from zero); memo lines are 0 x 0. The only
/// exceptions are the documented summary lines `provisional_adjustment` / `accumulated_month`
/// (a whole earlier month's bill as the amount, its kWh as quantity, rate 0). Computed here
/// independently of [`billing::BillLine::explained_amount`], and checked against it.
pub fn assert_lines_explain_themselves(bill: &billing::Bill) {
    use billing::money::{round_paisa, round_rupee};
    for l in &bill.lines {
        let product = l.quantity * l.rate;
        let expected = match l.line {
            "provisional_adjustment" | "accumulated_month" => {
                assert!(l.rate.is_zero(), "summary line with a rate: {l:?}");
                assert_eq!(l.explained_amount(), None, "{l:?}");
                continue;
            }
            "gst_on_fpa" | "lps" => round_rupee(product),
            _ => round_paisa(product),
        };
        assert_eq!(
            l.amount_rs, expected,
            "line {} does not explain itself: {} x {} = {product}, rounded {expected}, \
             printed {}: {l:?}",
            l.line, l.quantity, l.rate, l.amount_rs
        );
        assert_eq!(l.explained_amount(), Some(expected), "{l:?}");
    }
}

/// The bill functions of the public API, each checking [`assert_lines_explain_themselves`]
/// on every bill it returns: the golden test files bill through these.
pub mod checked {
    use billing::{
        Bill, BillExtras, BillInput, BillingError, CorrectedBill, EarlierMonth, ProvisionalBilled,
        ReadingFacts, TariffBook, YearMonth,
    };

    use super::assert_lines_explain_themselves as check;

    fn corrected(r: Result<CorrectedBill, BillingError>) -> Result<CorrectedBill, BillingError> {
        if let Ok(c) = &r {
            check(&c.bill);
            // Each summary line is its month's adjustment, in order.
            let summary: Vec<_> = c
                .bill
                .lines
                .iter()
                .filter(|l| matches!(l.line, "provisional_adjustment" | "accumulated_month"))
                .map(|l| l.amount_rs)
                .collect();
            let months: Vec<_> = c.months.iter().map(|m| m.adjustment_rs).collect();
            assert_eq!(summary, months);
        }
        r
    }

    pub fn compute_bill(book: &TariffBook, input: &BillInput) -> Result<Bill, BillingError> {
        let r = billing::compute_bill(book, input);
        if let Ok(b) = &r {
            check(b);
        }
        r
    }

    pub fn compute_bill_with(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
    ) -> Result<Bill, BillingError> {
        let r = billing::compute_bill_with(book, input, extras);
        if let Ok(b) = &r {
            check(b);
        }
        r
    }

    pub fn compute_bill_full(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        facts: &ReadingFacts,
    ) -> Result<Bill, BillingError> {
        let r = billing::compute_bill_full(book, input, extras, facts);
        if let Ok(b) = &r {
            check(b);
        }
        r
    }

    pub fn compute_accumulated(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        facts: &ReadingFacts,
        months: &[(YearMonth, u32)],
    ) -> Result<Vec<Bill>, BillingError> {
        let r = billing::compute_accumulated(book, input, extras, facts, months);
        if let Ok(bills) = &r {
            bills.iter().for_each(check);
        }
        r
    }

    pub fn compute_provisional(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        consecutive_before: u32,
    ) -> Result<Bill, BillingError> {
        let r = billing::compute_provisional(book, input, extras, consecutive_before);
        if let Ok(b) = &r {
            check(b);
        }
        r
    }

    pub fn compute_corrected(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        facts: &ReadingFacts,
        months: &[(YearMonth, u32)],
        provisional: &[ProvisionalBilled],
    ) -> Result<CorrectedBill, BillingError> {
        corrected(billing::compute_corrected(
            book,
            input,
            extras,
            facts,
            months,
            provisional,
        ))
    }

    pub fn compute_catch_up(
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        facts: &ReadingFacts,
        months: &[(YearMonth, u32)],
        earlier: &[EarlierMonth],
    ) -> Result<CorrectedBill, BillingError> {
        corrected(billing::compute_catch_up(
            book, input, extras, facts, months, earlier,
        ))
    }
}
