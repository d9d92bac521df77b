//! Golden tests for the rules added with [`billing::BillExtras`]: tariff differential subsidy,
//! further / extra / income tax, long reading periods with carried-forward units, employee
//! free units and the power-factor penalty. Every expected figure has its hand computation
//! beside it. Sources: BILLING-RULES.md 2.3.5, 3.2, 4, 7, 8; BILLING-RULES-2.md 2, 5, 7.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use billing::bill::LineBlock;
use billing::{
    data, Bill, BillExtras, BillInput, BillingError, Employee, ServiceStatus, TariffBook, YearMonth,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::{compute_bill, compute_bill_with};
use common::{flat_history, input_at, legal_load};

fn input<'a>(
    disco: &'a str,
    tariff: &'a str,
    sl: Decimal,
    cycle: &str,
    units: u64,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    input_at(disco, "Punjab", tariff, sl, cycle, units, history)
}

fn book_of(files: &[&str]) -> TariffBook {
    let mut book = TariffBook::empty();
    for f in files {
        book.load_toml(data::file(f).unwrap()).unwrap();
    }
    book
}

/// S.R.O. 279 + 2026 adjustments + terms (no taxes) + the ILLUSTRATIVE MEPCO determined file.
fn subsidy_book() -> TariffBook {
    book_of(&[
        "sro-279-2026.toml",
        "adjustments-2026.toml",
        "terms.toml",
        "determined-illustrative-2026.toml",
    ])
}

fn lines_of(bill: &Bill, names: &[&str]) -> Decimal {
    bill.lines
        .iter()
        .filter(|l| names.contains(&l.line))
        .map(|l| l.amount_rs)
        .sum()
}

// ------------------------------------------------------------------------------ 1. subsidy

#[test]
fn subsidy_unprotected_201_units_mepco() {
    let book = subsidy_book();
    let bill = compute_bill(&book, &input("MEPCO", "A-1a", dec!(2), "2026-10", 201, &[])).unwrap();
    assert_eq!(bill.band, "unprotected");
    // Applicable: 201 x 33.10 = 6,653.10; fixed 2 x 350 = 700.
    // Determined (ILLUSTRATIVE): 201 x 40.00 = 8,040.00; fixed 2 x 400 = 800.
    // Subsidy: energy 8,040.00 - 6,653.10 = 1,386.90; fixed 800 - 700 = 100; total 1,486.90.
    assert_eq!(
        bill.subsidy_lines,
        vec![("energy", dec!(1386.90)), ("fixed", dec!(100))]
    );
    assert_eq!(bill.subsidy_rs, dec!(1486.90));
    assert!(
        bill.versions
            .contains("TDS MEPCO-DETERMINED-ILLUSTRATIVE-2026@2026-02-12 UNCONFIRMED"),
        "{}",
        bill.versions
    );
    // The subsidy is not billed: the same consumer in IESCO (no determined schedule) pays the
    // same lines and gets subsidy 0 with a note.
    let iesco = compute_bill(&book, &input("IESCO", "A-1a", dec!(2), "2026-10", 201, &[])).unwrap();
    assert_eq!(iesco.lines, bill.lines);
    assert_eq!(iesco.current_bill_rs, bill.current_bill_rs);
    assert_eq!(iesco.subsidy_rs, Decimal::ZERO);
    assert!(iesco.subsidy_lines.is_empty());
    assert!(
        iesco.versions.contains("TDS none (no determined schedule"),
        "{}",
        iesco.versions
    );
}

#[test]
fn subsidy_can_be_negative_cross_subsidy() {
    let book = subsidy_book();
    let bill = compute_bill(&book, &input("MEPCO", "A-1a", dec!(2), "2026-10", 701, &[])).unwrap();
    // Applicable 701 x 47.20 = 33,087.20; determined 701 x 46.00 = 32,246.00 -> -841.20;
    // fixed 2 x 675 on both -> 0.
    assert_eq!(
        bill.subsidy_lines,
        vec![("energy", dec!(-841.20)), ("fixed", dec!(0))]
    );
    assert_eq!(bill.subsidy_rs, dec!(-841.20));
}

#[test]
fn subsidy_protected_and_lifeline_keep_the_consumers_band() {
    let book = subsidy_book();
    // Protected, 150 units, SL 1.5 kW. Applicable 100 x 10.54 + 50 x 13.01 = 1,704.50, fixed
    // 1.5 x 300 = 450. Determined 150 x 40.00 = 6,000.00, fixed 1.5 x 400 = 600.
    // Subsidy 4,295.50 + 150 = 4,445.50.
    let h = flat_history("2026-10", 6, 150);
    let bill = compute_bill(
        &book,
        &input("MEPCO", "A-1a", dec!(1.5), "2026-10", 150, &h),
    )
    .unwrap();
    assert_eq!(bill.band, "protected");
    assert_eq!(bill.subsidy_rs, dec!(4445.50));

    // Lifeline, 10 units, SL 1 kW: applicable 10 x 3.95 = 39.50 + minimum top-up 75 - 39.50 =
    // 35.50; determined 10 x 40.00 = 400.00 (above the minimum, no top-up).
    // energy 400.00 - 39.50 = 360.50; minimum_charge 0 - 35.50 = -35.50; total 325.00 (= 400 - 75).
    let h = flat_history("2026-10", 12, 40);
    let bill = compute_bill(&book, &input("MEPCO", "A-1a", dec!(1), "2026-10", 10, &h)).unwrap();
    assert_eq!(bill.band, "lifeline");
    assert_eq!(
        bill.subsidy_lines,
        vec![("energy", dec!(360.50)), ("minimum_charge", dec!(-35.50))]
    );
    assert_eq!(bill.subsidy_rs, dec!(325.00));
}

#[test]
fn subsidy_commercial_and_uncovered_tariff() {
    let book = subsidy_book();
    // A-2a 300 units: applicable 300 x 37.44 = 11,232.00; determined 300 x 42.00 = 12,600.00;
    // fixed 1,000 per consumer on both. Subsidy 1,368.00.
    let bill = compute_bill(&book, &input("MEPCO", "A-2a", dec!(3), "2026-08", 300, &[])).unwrap();
    assert_eq!(
        bill.subsidy_lines,
        vec![("energy", dec!(1368.00)), ("fixed", dec!(0))]
    );
    assert_eq!(bill.subsidy_rs, dec!(1368.00));
    // A-1b is not in the MEPCO determined file: 0 with a note.
    let mut inp = input("MEPCO", "A-1b", dec!(6), "2026-10", 500, &[]);
    inp.phase = 3;
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(bill.subsidy_rs, Decimal::ZERO);
    assert!(bill.versions.contains("TDS none"), "{}", bill.versions);
}

#[test]
fn builtin_book_has_no_invented_subsidy() {
    let book = TariffBook::builtin().unwrap();
    let bill = compute_bill(&book, &input("MEPCO", "A-1a", dec!(2), "2026-10", 201, &[])).unwrap();
    assert_eq!(bill.subsidy_rs, Decimal::ZERO);
    assert!(bill.versions.contains("TDS none"), "{}", bill.versions);
}

#[test]
fn determined_schedule_format_is_checked() {
    let base = r#"
[[schedule]]
id = "X"
sro = "X"
effective_from = "2026-01-01"
KIND
[[schedule.tariff]]
code = "A-2a"
category = "commercial"
pricing = "flat"
rate = "1"
"#;
    for (kind, field) in [
        ("kind = \"determined\"", "disco"),
        ("disco = \"MEPCO\"", "disco"),
        ("kind = \"cost\"\ndisco = \"MEPCO\"", "kind"),
    ] {
        let mut book = TariffBook::empty();
        let err = book.load_toml(&base.replace("KIND", kind)).unwrap_err();
        assert!(
            matches!(err, BillingError::DataInvalid { field: f, .. } if f == field),
            "{kind}: {err:?}"
        );
    }
    // A determined schedule never prices a bill: alone in a book, the code is unknown.
    let mut book = TariffBook::empty();
    book.load_toml(&base.replace("KIND", "kind = \"determined\"\ndisco = \"MEPCO\""))
        .unwrap();
    assert!(book.rows().is_empty());
    assert!(book.category_of("A-2a").is_none());
}

/// The determined file rewritten as an ordinary applicable schedule: billing with it gives
/// the determined charge directly.
fn determined_as_applicable_book() -> TariffBook {
    let text = data::file("determined-illustrative-2026.toml")
        .unwrap()
        .replace("kind = \"determined\"\n", "")
        .replace("disco = \"MEPCO\"\n", "");
    let mut book = TariffBook::empty();
    book.load_toml(&text).unwrap();
    for f in ["adjustments-2026.toml", "terms.toml"] {
        book.load_toml(data::file(f).unwrap()).unwrap();
    }
    book
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// subsidy = determined charge - applicable charge (energy + fixed + minimum charge lines),
    /// with the determined charge computed independently by billing on the determined rates.
    #[test]
    fn subsidy_is_determined_minus_applicable(
        tariff in proptest::sample::select(&["A-1a", "A-2a", "B-2b"][..]),
        units in 0u64..1_500,
        peak in 0u64..500,
        sl in 50i64..3_000,
        mdi in 0i64..5_000,
        three_phase in any::<bool>(),
        month in 8u32..=11,
        hist in proptest::collection::vec(0u64..260, 12),
    ) {
        let app = subsidy_book();
        let det = determined_as_applicable_book();
        let cycle = YearMonth { year: 2026, month };
        let history: Vec<_> = hist.iter().enumerate()
            .map(|(k, u)| (cycle.add_months(-(k as i32) - 1), *u)).collect();
        let mut inp = input("MEPCO", tariff, legal_load(tariff, sl), &cycle.to_string(), units, &history);
        inp.phase = if three_phase { 3 } else { 1 };
        inp.mdi_kw = Decimal::new(mdi, 2);
        if tariff == "B-2b" {
            inp.units_peak_kwh = peak;
        }
        let a = compute_bill(&app, &inp).unwrap();
        let d = compute_bill(&det, &inp).unwrap();
        prop_assert_eq!(&a.band, &d.band);
        let names = ["energy", "fixed", "minimum_charge"];
        prop_assert_eq!(a.subsidy_rs, lines_of(&d, &names) - lines_of(&a, &names));
        prop_assert_eq!(a.subsidy_rs, a.subsidy_lines.iter().map(|(_, x)| *x).sum::<Decimal>());
        for (name, x) in &a.subsidy_lines {
            prop_assert_eq!(*x, d.amount_of(name) - a.amount_of(name));
        }
    }
}

// ------------------------------------------------------------------------------- 2. taxes

#[test]
fn income_tax_domestic_non_atl_at_25000_or_more() {
    let book = TariffBook::builtin().unwrap();
    // Oct-2026, 701 units, SL 2 kW, unprotected (ED 0%, PTV 0, NJ 0, no FPA lines priced):
    // energy 701 x 47.20 = 33,087.20; fixed 2 x 675 = 1,350; FC 701 x 3.23 = 2,264.23;
    // QTA 701 x 0.5194 = 364.0994 -> 364.10;
    // GST 18% x (33,087.20 + 1,350 + 2,264.23 + 364.0994) = 18% x 37,065.5294 = 6,671.795292
    //   -> 6,671.80;
    // income tax base (bill incl. sales tax) = 37,065.5294 + 6,671.795292 = 43,737.324692
    //   >= 25,000, not on ATL -> 7.5% = 3,280.2993519 -> 3,280.30.
    // Current bill: 33,087.20 + 1,350 + 2,264.23 + 364.10 + 6,671.80 + 3,280.30 = 47,017.63
    //   -> 47,018.
    let mut inp = input("IESCO", "A-1a", dec!(2), "2026-10", 701, &[]);
    inp.atl = false;
    let bill = compute_bill(&book, &inp).unwrap();
    let it = bill.line("income_tax").unwrap();
    assert_eq!(it.quantity, dec!(43737.324692));
    assert_eq!(it.rate, dec!(0.075));
    assert_eq!(it.amount_rs, dec!(3280.30));
    assert!(it.rule.contains("UNCONFIRMED"), "{}", it.rule);
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(47017.63));
    assert_eq!(bill.current_bill_rs, dec!(47018));
    // On the ATL: no income tax; 47,017.63 - 3,280.30 = 43,737.33 -> 43,737.
    inp.atl = true;
    let bill = compute_bill(&book, &inp).unwrap();
    assert!(bill.line("income_tax").is_none());
    assert_eq!(bill.current_bill_rs, dec!(43737));
    // Not on the ATL but below 25,000 (301 units): no income tax.
    let mut inp = input("IESCO", "A-1a", dec!(2), "2026-10", 301, &[]);
    inp.atl = false;
    assert!(compute_bill(&book, &inp)
        .unwrap()
        .line("income_tax")
        .is_none());
    // Further / extra tax never apply to domestic consumers.
    let bill = compute_bill(&book, &inp).unwrap();
    assert!(bill.line("further_tax").is_none() && bill.line("extra_tax").is_none());
}

#[test]
fn commercial_further_extra_and_income_tax() {
    let book = TariffBook::builtin().unwrap();
    // A-2a Aug-2026, 300 units, no STRN (default), on the ATL:
    // energy 300 x 37.44 = 11,232.00; fixed 1,000; FC 300 x 3.23 = 969.00;
    // QTA 300 x -1.9857 = -595.71; value of supply = 12,605.29;
    // GST 18% x 12,605.29 = 2,268.9522 -> 2,268.95;
    // further tax 4% x 12,605.29 = 504.2116 -> 504.21;
    // extra tax: base 12,605.29 (ED 0, PTV 0) in the 10,001-20,000 slab -> 7% = 882.3703 -> 882.37;
    // income tax: base 12,605.29 + 2,268.9522 + 504.2116 + 882.3703 = 16,260.8241, slab
    //   501-20,000 -> 10% of the whole bill = 1,626.08241 -> 1,626.08.
    // Current: 12,605.29 + 2,268.95 + 504.21 + 882.37 + 1,626.08 = 17,886.90 -> 17,887.
    let inp = input("LESCO", "A-2a", dec!(3), "2026-08", 300, &[]);
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(bill.amount_of("further_tax"), dec!(504.21));
    assert_eq!(bill.amount_of("extra_tax"), dec!(882.37));
    assert_eq!(bill.line("extra_tax").unwrap().rate, dec!(0.07));
    assert_eq!(bill.amount_of("income_tax"), dec!(1626.08));
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(17886.90));
    assert_eq!(bill.current_bill_rs, dec!(17887));
    // STRN registered and on the ATL: no further / extra tax; income tax 10% x (12,605.29 +
    // 2,268.9522) = 1,487.42422 -> 1,487.42; current 12,605.29 + 2,268.95 + 1,487.42 =
    // 16,361.66 -> 16,362.
    let extras = BillExtras {
        strn_registered: true,
        ..BillExtras::default()
    };
    let bill = compute_bill_with(&book, &inp, &extras).unwrap();
    assert!(bill.line("further_tax").is_none() && bill.line("extra_tax").is_none());
    assert_eq!(bill.amount_of("income_tax"), dec!(1487.42));
    assert_eq!(bill.current_bill_rs, dec!(16362));
    // STRN registered but not on the ATL: extra tax applies again (no STRN *or* not ATL).
    let mut off_atl = inp;
    off_atl.atl = false;
    let bill = compute_bill_with(&book, &off_atl, &extras).unwrap();
    assert!(bill.line("further_tax").is_none());
    assert_eq!(bill.amount_of("extra_tax"), dec!(882.37));
}

/// S.R.O. 279 + terms + the withholding taxes only (no GST, FC, QTA): clean industrial figures.
fn industrial_tax_book() -> TariffBook {
    book_of(&["sro-279-2026.toml", "terms.toml", "withholding-taxes.toml"])
}

#[test]
fn industrial_income_tax_on_the_excess_and_its_cliff() {
    let book = industrial_tax_book();
    // B-1 (flat 26.03, fixed 1,000 per consumer, UNCONFIRMED press rates), 1,000 units:
    // energy 26,030.00 + fixed 1,000 = 27,030.00; further 4% = 1,081.20; extra 17% = 4,595.10;
    // income tax base 27,030 + 1,081.20 + 4,595.10 = 32,706.30 > 20,000 ->
    //   1,950 + 5% x (32,706.30 - 20,000) = 1,950 + 635.315 = 2,585.315 -> 2,585.32.
    // Current 27,030 + 1,081.20 + 4,595.10 + 2,585.32 = 35,291.62 -> 35,292.
    let bill = compute_bill(
        &book,
        &input("LESCO", "B-1", dec!(20), "2026-08", 1000, &[]),
    )
    .unwrap();
    assert_eq!(bill.amount_of("further_tax"), dec!(1081.20));
    assert_eq!(bill.amount_of("extra_tax"), dec!(4595.10));
    assert_eq!(bill.amount_of("income_tax"), dec!(2585.32));
    // Two income_tax lines, each quantity x rate: the slab's fixed part 1 x 1,950 and the
    // excess over the slab floor, 12,706.30 x 5% = 635.315 -> 635.32.
    let it: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| l.line == "income_tax")
        .map(|l| (l.quantity, l.rate, l.amount_rs))
        .collect();
    assert_eq!(
        it,
        [
            (dec!(1), dec!(1950), dec!(1950.00)),
            (dec!(12706.30), dec!(0.05), dec!(635.32))
        ]
    );
    assert_eq!(bill.current_bill_rs, dec!(35292));

    // The s.235 table is discontinuous at Rs 20,000 (10% x 20,000 = 2,000 > 1,950): one more
    // unit can LOWER an industrial bill.
    // 596 units: 15,513.88 + 1,000 = 16,513.88; further 660.5552 -> 660.56; extra 2,807.3596
    //   -> 2,807.36; IT base 19,981.7948 -> 10% = 1,998.17948 -> 1,998.18; total 21,979.98.
    // 597 units: 15,539.91 + 1,000 = 16,539.91; further 661.5964 -> 661.60; extra 2,811.7847
    //   -> 2,811.78; IT base 20,013.2911 -> 1,950 + 5% x 13.2911 = 1,950.664555 -> 1,950.66;
    //   total 21,963.95.
    let a = compute_bill(&book, &input("LESCO", "B-1", dec!(20), "2026-08", 596, &[])).unwrap();
    let b = compute_bill(&book, &input("LESCO", "B-1", dec!(20), "2026-08", 597, &[])).unwrap();
    assert_eq!(a.lines_total_rs(LineBlock::Current), dec!(21979.98));
    assert_eq!(b.lines_total_rs(LineBlock::Current), dec!(21963.95));
    assert!(b.current_bill_rs < a.current_bill_rs);
}

#[test]
fn bill_tax_data_is_checked() {
    let bad = [
        // base names a line computed after the tax
        (
            r#"[[bill_tax]]
kind = "further_tax"
category = "commercial"
effective_from = "2026-01-01"
applies = "non_strn"
base = ["energy", "income_tax"]
slabs = [{ from = "0", percent = "4" }]
source = "t""#,
            "base",
        ),
        // first slab not from 0
        (
            r#"[[bill_tax]]
kind = "income_tax"
category = "commercial"
effective_from = "2026-01-01"
applies = "all"
base = ["energy"]
slabs = [{ from = "500", percent = "4" }]
source = "t""#,
            "from",
        ),
        (
            r#"[[bill_tax]]
kind = "income_tax"
category = "commercial"
effective_from = "2026-01-01"
applies = "filers"
base = ["energy"]
slabs = [{ from = "0", percent = "4" }]
source = "t""#,
            "applies",
        ),
    ];
    for (text, field) in bad {
        let mut book = TariffBook::empty();
        let err = book.load_toml(text).unwrap_err();
        assert!(
            matches!(err, BillingError::DataInvalid { field: f, .. } if f == field),
            "{err:?}"
        );
    }
}

// ----------------------------------------------------------------------------- 3. periods

fn tariff_only_2026() -> TariffBook {
    book_of(&["sro-279-2026.toml", "adjustments-2026.toml", "terms.toml"])
}

#[test]
fn long_period_scaled_to_30_days_with_carry_forward() {
    let book = tariff_only_2026();
    // BILLING-RULES 2.3.5 (CSM 6.1.1.1): 54 units in 33 days -> round(54 x 30 / 33 = 49.09) =
    // 49 billed, 5 carried. Lifeline kept: 49 x 3.95 = 193.55 (54 units would be 54 x 7.74).
    let h = flat_history("2026-10", 12, 60);
    let mut inp = input("IESCO", "A-1a", dec!(1), "2026-10", 54, &h);
    inp.period_days = 33;
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(
        (
            bill.units_metered_kwh,
            bill.units_kwh,
            bill.units_carried_forward_kwh
        ),
        (54, 49, 5)
    );
    assert_eq!(bill.band, "lifeline");
    assert_eq!(bill.amount_of("energy"), dec!(193.55));
    assert!(
        bill.versions
            .contains("long period >31d scaled to 30d@2019-01-01 UNCONFIRMED"),
        "{}",
        bill.versions
    );

    // 208 in 33 days -> round(189.09) = 189 billed protected, 19 carried:
    // 100 x 10.54 + 89 x 13.01 = 1,054.00 + 1,157.89 = 2,211.89.
    let h = flat_history("2026-10", 6, 150);
    let mut inp = input("IESCO", "A-1a", dec!(1), "2026-10", 208, &h);
    inp.period_days = 33;
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!((bill.units_kwh, bill.units_carried_forward_kwh), (189, 19));
    assert_eq!(bill.band, "protected");
    assert_eq!(bill.amount_of("energy"), dec!(2211.89));

    // 309 in 33 days -> round(280.91) = 281 billed at 201-300 (281 x 33.10 = 9,301.10), 28 carried.
    let mut inp = input("IESCO", "A-1a", dec!(2), "2026-10", 309, &[]);
    inp.period_days = 33;
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!((bill.units_kwh, bill.units_carried_forward_kwh), (281, 28));
    assert_eq!(bill.amount_of("energy"), dec!(9301.10));
}

#[test]
fn short_and_31_day_periods_are_not_scaled_and_carried_units_come_in() {
    let book = tariff_only_2026();
    // 27 days (B04) and 31 days: billed = metered.
    for days in [27, 30, 31] {
        let mut inp = input("IESCO", "A-1a", dec!(2), "2026-10", 309, &[]);
        inp.period_days = days;
        let bill = compute_bill(&book, &inp).unwrap();
        assert_eq!(
            (bill.units_kwh, bill.units_carried_forward_kwh),
            (309, 0),
            "{days}"
        );
    }
    // Next bill after the 54/33 case: 100 metered in 30 days + 5 carried in = 105 billed.
    let mut inp = input("IESCO", "A-1a", dec!(2), "2026-11", 100, &[]);
    inp.period_days = 30;
    let extras = BillExtras {
        units_carried_in_kwh: 5,
        ..BillExtras::default()
    };
    let bill = compute_bill_with(&book, &inp, &extras).unwrap();
    assert_eq!(
        (
            bill.units_metered_kwh,
            bill.units_carried_in_kwh,
            bill.units_kwh
        ),
        (100, 5, 105)
    );
    // 105 units unprotected single slab: 105 x 28.91 = 3,035.55.
    assert_eq!(bill.amount_of("energy"), dec!(3035.55));
    // TOU: carried-in units are refused.
    let mut tou = input("IESCO", "A-1b", dec!(6), "2026-11", 100, &[]);
    tou.phase = 3;
    let err = compute_bill_with(&book, &tou, &extras).unwrap_err();
    assert!(
        matches!(
            err,
            BillingError::BadInput {
                field: "units_carried_in_kwh",
                ..
            }
        ),
        "{err:?}"
    );
    // TOU registers are never scaled.
    tou.period_days = 40;
    let bill = compute_bill(&book, &tou).unwrap();
    assert_eq!((bill.units_kwh, bill.units_carried_forward_kwh), (100, 0));
}

// ---------------------------------------------------------------------------- 4. employees

fn employee(bps: u8, status: ServiceStatus, quota: u64) -> BillExtras {
    BillExtras {
        employee: Some(Employee {
            bps,
            status,
            quota_remaining_kwh: quota,
        }),
        ..BillExtras::default()
    }
}

#[test]
fn employee_free_units_credit_after_a_normal_bill() {
    let book = book_of(&[
        "sro-279-2026.toml",
        "adjustments-2026.toml",
        "terms.toml",
        "employee-free-units.toml",
    ]);
    // Oct-2026, 301 units unprotected, SL 2: energy 301 x 36.46 = 10,974.46; fixed 2 x 400 =
    // 800; QTA 301 x 0.5194 = 156.3394 -> 156.34.
    let inp = input("IESCO", "A-1a", dec!(2), "2026-10", 301, &[]);
    let normal = compute_bill(&book, &inp).unwrap();
    // BPS 7 in service (150 units/month), 1,000 left in the FY quota: all 301 free ->
    // credit 10,974.46; current 10,974.46 + 800 + 156.34 - 10,974.46 = 956.34 -> 956.
    let bill =
        compute_bill_with(&book, &inp, &employee(7, ServiceStatus::InService, 1000)).unwrap();
    let l = bill.line("employee_free_units").unwrap();
    // 301 free units x -(10,974.46 / 301 = 36.46) = -10,974.46
    assert_eq!(
        (l.quantity, l.rate, l.amount_rs),
        (dec!(301), dec!(-36.46), dec!(-10974.46))
    );
    assert!(l.rule.contains("UNCONFIRMED"));
    assert_eq!(
        (bill.employee_free_units_kwh, bill.employee_concession_rs),
        (301, dec!(10974.46))
    );
    assert_eq!(bill.current_bill_rs, dec!(956));
    // Every other line is the normal bill's.
    let others: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| l.line != "employee_free_units")
        .cloned()
        .collect();
    assert_eq!(others, normal.lines);

    // Only 100 units left: credit = 10,974.46 x 100 / 301 = 3,646.00 (= 100 x 36.46);
    // current 10,974.46 + 800 + 156.34 - 3,646.00 = 8,284.80 -> 8,285.
    let bill = compute_bill_with(&book, &inp, &employee(7, ServiceStatus::InService, 100)).unwrap();
    assert_eq!(bill.employee_concession_rs, dec!(3646.00));
    assert_eq!(bill.employee_free_units_kwh, 100);
    assert_eq!(bill.current_bill_rs, dec!(8285));

    // Quota exhausted: no line.
    let bill = compute_bill_with(&book, &inp, &employee(7, ServiceStatus::InService, 0)).unwrap();
    assert!(bill.line("employee_free_units").is_none());

    // Protected 150 units (1,704.50 energy, two slab lines), 50 left: the average energy
    // rate 1,704.50 / 150 = 11.3633.. printed to 4 decimals, 11.3633; credit 50 x -11.3633 =
    // -568.165 -> -568.17 (the unrounded pro-rata 568.1666.. rounds the same).
    let h = flat_history("2026-10", 6, 150);
    let p = input("IESCO", "A-1a", dec!(1.5), "2026-10", 150, &h);
    let bill = compute_bill_with(&book, &p, &employee(12, ServiceStatus::Retired, 50)).unwrap();
    assert_eq!(bill.band, "protected");
    assert_eq!(bill.amount_of("employee_free_units"), dec!(-568.17));
    let l = bill.line("employee_free_units").unwrap();
    assert_eq!((l.quantity, l.rate), (dec!(50), dec!(-11.3633)));
}

#[test]
fn bps17_in_service_monetised_from_december_2023() {
    let mut book = TariffBook::empty();
    book.load_toml(
        r#"
[[schedule]]
id = "FIXTURE-2023"
sro = "fixture"
effective_from = "2023-01-01"
[[schedule.tariff]]
code = "R"
category = "residential"
pricing = "flat"
rate = "10"
[[terms]]
effective_from = "2023-01-01"
due_days = 10
lps_percent = "10"
lps_base = ["energy"]
source = "fixture"
"#,
    )
    .unwrap();
    book.load_toml(data::file("employee-free-units.toml").unwrap())
        .unwrap();
    // Nov-2023: BPS 17 in service (450/month), 200 units x 10 = 2,000 fully credited.
    let nov = input("IESCO", "R", dec!(1), "2023-11", 200, &[]);
    let bill =
        compute_bill_with(&book, &nov, &employee(17, ServiceStatus::InService, 500)).unwrap();
    assert_eq!(bill.employee_concession_rs, dec!(2000));
    assert_eq!(bill.current_bill_rs, dec!(0));
    // Dec-2023: monetised, no free units; pays 2,000.
    let dec23 = input("IESCO", "R", dec!(1), "2023-12", 200, &[]);
    let bill =
        compute_bill_with(&book, &dec23, &employee(17, ServiceStatus::InService, 500)).unwrap();
    assert_eq!(bill.employee_free_units_kwh, 0);
    assert!(bill.line("employee_free_units").is_none());
    assert_eq!(bill.current_bill_rs, dec!(2000));
    // A retired BPS-17 officer keeps 225/month: credited.
    let bill =
        compute_bill_with(&book, &dec23, &employee(17, ServiceStatus::Retired, 500)).unwrap();
    assert_eq!(bill.employee_concession_rs, dec!(2000));
    // BPS 16 in service is not monetised.
    let bill =
        compute_bill_with(&book, &dec23, &employee(16, ServiceStatus::InService, 500)).unwrap();
    assert_eq!(bill.employee_concession_rs, dec!(2000));
    // Out-of-range BPS is bad input; no table loaded is an error naming it.
    assert!(matches!(
        compute_bill_with(&book, &dec23, &employee(23, ServiceStatus::InService, 1)),
        Err(BillingError::BadInput {
            field: "employee.bps",
            ..
        })
    ));
    let bare = tariff_only_2026();
    let oct = input("IESCO", "A-1a", dec!(2), "2026-10", 100, &[]);
    assert!(matches!(
        compute_bill_with(&bare, &oct, &employee(5, ServiceStatus::InService, 1)),
        Err(BillingError::RateUnknown { .. })
    ));
}

#[test]
fn overlapping_free_unit_ranges_are_refused() {
    let mut book = TariffBook::empty();
    book.load_toml(data::file("employee-free-units.toml").unwrap())
        .unwrap();
    let err = book
        .load_toml(
            r#"[[employee_free_units]]
effective_from = "2025-01-01"
bps_from = 3
bps_to = 6
in_service_kwh = 1
retired_kwh = 1
source = "t""#,
        )
        .unwrap_err();
    assert!(matches!(err, BillingError::Duplicate { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------- 5. PF penalty

fn pf(x: Decimal) -> BillExtras {
    BillExtras {
        power_factor: Some(x),
        ..BillExtras::default()
    }
}

/// B-2a 10,000 units, SL 100 kW, MDI 40 kW: energy 10,000 x 26.16 = 261,600.00; billing demand
/// max(25% x 100, 40) = 40 kW, fixed 40 x 1,250 = 50,000.00; energy + fixed = 311,600.00.
fn b2a<'a>() -> BillInput<'a> {
    let mut inp = input("IESCO", "B-2a", dec!(100), "2026-08", 10_000, &[]);
    inp.phase = 3;
    inp.mdi_kw = dec!(40);
    inp
}

#[test]
fn pf_penalty_default_percent_per_point() {
    let book = book_of(&["sro-279-2026.toml", "terms.toml", "industrial.toml"]);
    // PF 0.85 < 0.90: 5 points x 1% = 5% x 311,600.00 = 15,580.00.
    let bill = compute_bill_with(&book, &b2a(), &pf(dec!(0.85))).unwrap();
    assert_eq!(bill.billing_demand_kw, dec!(40));
    let l = bill.line("pf_penalty").unwrap();
    assert_eq!(
        (l.quantity, l.rate, l.amount_rs),
        (dec!(311600.00), dec!(0.05), dec!(15580.00))
    );
    assert!(l.rule.contains("UNCONFIRMED"), "{}", l.rule);
    // Current: 261,600 + 50,000 + 15,580 = 327,180.
    assert_eq!(bill.current_bill_rs, dec!(327180));
    // At or above the threshold, or no PF given: no penalty.
    for extras in [pf(dec!(0.90)), pf(dec!(0.97)), BillExtras::default()] {
        let bill = compute_bill_with(&book, &b2a(), &extras).unwrap();
        assert!(bill.line("pf_penalty").is_none());
    }
    // Residential is not in the rule's categories.
    let bill = compute_bill_with(
        &book,
        &input("IESCO", "A-1a", dec!(2), "2026-08", 300, &[]),
        &pf(dec!(0.5)),
    )
    .unwrap();
    assert!(bill.line("pf_penalty").is_none());
    // PF outside (0, 1] is bad input.
    for x in [dec!(0), dec!(1.01), dec!(-0.5)] {
        assert!(matches!(
            compute_bill_with(&book, &b2a(), &pf(x)),
            Err(BillingError::BadInput {
                field: "power_factor",
                ..
            })
        ));
    }
}

#[test]
fn pf_penalty_ratio_formula_is_configurable() {
    let mut book = book_of(&["sro-279-2026.toml", "terms.toml"]);
    book.load_toml(
        r#"[[pf_penalty]]
effective_from = "2026-01-01"
categories = ["industrial"]
threshold = "0.90"
formula = "ratio"
base = ["energy", "fixed"]
source = "test"
"#,
    )
    .unwrap();
    // (0.90 - 0.85) / 0.85 = 0.0588235.. x 311,600.00 = 18,329.41..
    let bill = compute_bill_with(&book, &b2a(), &pf(dec!(0.85))).unwrap();
    assert_eq!(bill.amount_of("pf_penalty"), dec!(18329.41));
    // percent_per_point without its percentage is refused.
    let err = TariffBook::empty()
        .load_toml(
            r#"[[pf_penalty]]
effective_from = "2026-01-01"
categories = ["industrial"]
threshold = "0.90"
formula = "percent_per_point"
base = ["energy"]
source = "t""#,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            BillingError::DataInvalid {
                field: "percent_per_point",
                ..
            }
        ),
        "{err:?}"
    );
}
