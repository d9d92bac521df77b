//! Golden and property tests for reading periods (`billing::periods`, `ReadingFacts`):
//! temporary disconnection (BILLING-RULES 6.1 item 6), meter replaced mid-cycle, accumulated
//! readings (2.3.6), provisional bills and their correction (2.3.7, KNOWN-CASES B07), register
//! rollover (B09). Every expected figure has its hand computation beside it, from the shipped
//! data (S.R.O. 279(I)/2026 + adjustments-2026 + terms + readings) unless it says FIXTURE.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::OnceLock;

use billing::bill::LineBlock;
use billing::{
    data, meter_change_units, month_spans, provisional_units, register_advance, split_accumulated,
    split_units, Bill, BillExtras, BillInput, BillingError, EarlierMonth, MeterRegisters,
    ProvisionalBilled, ReadingFacts, SplitMethod, TariffBook, YearMonth,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::{
    compute_accumulated, compute_bill, compute_bill_full, compute_catch_up, compute_corrected,
    compute_provisional,
};
use common::{day, flat_history, input_at, legal_load, ym};

fn input<'a>(
    tariff: &'a str,
    sl: Decimal,
    cycle: &str,
    units: u64,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    input_at("IESCO", "ICT", tariff, sl, cycle, units, history)
}

/// BILLING-RULES 9.2 "tariff-only" setting plus the reading rules.
fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let mut book = TariffBook::empty();
        for f in [
            "sro-279-2026.toml",
            "adjustments-2026.toml",
            "terms.toml",
            "readings.toml",
        ] {
            book.load_toml(data::file(f).unwrap()).unwrap();
        }
        book
    })
}

/// Every shipped file (taxes included).
fn builtin() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::builtin().unwrap())
}

fn total(bill: &Bill) -> Decimal {
    bill.lines_total_rs(LineBlock::Current) + bill.lines_total_rs(LineBlock::Fpa)
}

fn facts() -> ReadingFacts {
    ReadingFacts::default()
}

// ------------------------------------------------------------------ temporary disconnection

#[test]
fn temp_disconnection_bills_no_fixed_or_minimum_charge() {
    let book = book();
    let none = BillExtras::default();
    // Connected, Oct-2026, A-1a 2 kW, 0 units: fixed 2 x 275 = 550 (first slab).
    let inp = input("A-1a", dec!(2), "2026-10", 0, &[]);
    let on = compute_bill(book, &inp).unwrap();
    assert_eq!(on.current_bill_rs, dec!(550));
    // Month 1 of a temporary disconnection: no fixed charge, nothing to pay.
    let f = ReadingFacts {
        temp_disconnected_month: Some(1),
        ..facts()
    };
    let off = compute_bill_full(book, &inp, &none, &f).unwrap();
    assert!(off.fixed_waived);
    assert!(off.line("fixed").is_none());
    assert_eq!(off.current_bill_rs, dec!(0));
    assert_eq!(off.payable_within_due_rs, dec!(0));
    let memo = off.line("temp_disconnected").unwrap();
    assert_eq!((memo.quantity, memo.amount_rs), (dec!(1), dec!(0)));
    assert!(memo.rule.contains("no fixed / minimum charges"));
    // Month 11 is still waived; month 12 is past the 11-month limit: fixed 550 resumes.
    let f11 = ReadingFacts {
        temp_disconnected_month: Some(11),
        ..facts()
    };
    assert_eq!(
        compute_bill_full(book, &inp, &none, &f11)
            .unwrap()
            .current_bill_rs,
        dec!(0)
    );
    let f12 = ReadingFacts {
        temp_disconnected_month: Some(12),
        ..facts()
    };
    let resumed = compute_bill_full(book, &inp, &none, &f12).unwrap();
    assert!(!resumed.fixed_waived);
    assert_eq!(resumed.amount_of("fixed"), dec!(550));
    assert!(resumed
        .line("temp_disconnected")
        .unwrap()
        .rule
        .contains("resume"));

    // Lifeline 0 units: the Rs 75 minimum charge is not charged either.
    let inp = input("A-1a", dec!(1), "2026-10", 0, &[]);
    assert_eq!(compute_bill(book, &inp).unwrap().current_bill_rs, dec!(75));
    let off = compute_bill_full(book, &inp, &none, &f).unwrap();
    assert!(off.line("minimum_charge").is_none());
    assert_eq!(off.current_bill_rs, dec!(0));

    // Units metered while disconnected are still billed: 100 x 22.44 = 2,244 + QTA 100 x
    // 0.5194 = 51.94 = 2,295.94 (no fixed 550).
    let inp = input("A-1a", dec!(2), "2026-10", 100, &[]);
    let off = compute_bill_full(book, &inp, &none, &f).unwrap();
    assert_eq!(total(&off), dec!(2295.94));

    // TOU A-1b 6 kW, 200 peak + 800 off-peak (G8): 9,370 + 27,624 + QTA 519.40 = 37,513.40;
    // no fixed 2,025 and billing demand 0.
    let mut inp = input("A-1b", dec!(6), "2026-10", 800, &[]);
    inp.units_peak_kwh = 200;
    inp.phase = 3;
    let off = compute_bill_full(book, &inp, &none, &f).unwrap();
    assert_eq!(total(&off), dec!(37513.40));
    assert_eq!(off.billing_demand_kw, dec!(0));

    // Month 0 is refused.
    let f0 = ReadingFacts {
        temp_disconnected_month: Some(0),
        ..facts()
    };
    assert!(compute_bill_full(book, &inp, &none, &f0).is_err());
}

// ------------------------------------------------------------------------ meter change

fn meter(from: u64, to: u64, mf: u32) -> MeterRegisters {
    MeterRegisters {
        offpeak_from: from,
        offpeak_to: to,
        peak: None,
        multiplying_factor: mf,
        mdi_kw: None,
    }
}

#[test]
fn meter_change_adds_old_and_new_meter_units_on_one_slab_ladder() {
    let book = book();
    // Old meter 12,000 -> 12,080 x MF 1 = 80; new meter (CT, MF 2) 0 -> 35 x 2 = 70; 150 units.
    let mc = meter_change_units(&meter(12_000, 12_080, 1), &meter(0, 35, 2)).unwrap();
    assert_eq!((mc.old_offpeak_kwh, mc.new_offpeak_kwh), (80, 70));
    assert_eq!((mc.offpeak_kwh(), mc.peak_kwh()), (150, 0));
    let inp = input("A-1a", dec!(2), "2026-10", mc.offpeak_kwh(), &[]);
    let f = ReadingFacts {
        meter_change: Some(mc),
        ..facts()
    };
    let bill = compute_bill_full(book, &inp, &BillExtras::default(), &f).unwrap();
    assert!(bill.meter_changed);
    // The two meters' units are one month's consumption: 150 x 28.91 = 4,336.50 (slab
    // 101-200 unprotected), fixed 2 x 300 = 600, QTA 150 x 0.5194 = 77.91; total 5,014.41.
    assert_eq!(bill.amount_of("energy"), dec!(4336.50));
    assert_eq!(bill.amount_of("fixed"), dec!(600));
    assert_eq!(total(&bill), dec!(5014.41));
    assert_eq!(bill.current_bill_rs, dec!(5014));
    let old = bill.line("meter_old").unwrap();
    let new = bill.lines.iter().find(|l| l.line == "meter_new").unwrap();
    assert_eq!((old.quantity, new.quantity), (dec!(80), dec!(70)));
    assert!(old.rule.contains("meter changed") && old.amount_rs.is_zero());
    assert_eq!(&*old.source, "meter 12000 -> 12080 x MF 1");
    assert_eq!(&*new.source, "meter 0 -> 35 x MF 2");

    // Old meter rolled over: 99,950 -> 00,030 = 100,000 - 99,950 + 30 = 80.
    let mc = meter_change_units(&meter(99_950, 30, 1), &meter(0, 70, 1)).unwrap();
    assert_eq!(mc.offpeak_kwh(), 150);
    // A genuinely lower reading (B09 (c): 500 -> 480) is refused, not billed negative.
    assert!(meter_change_units(&meter(500, 480, 1), &meter(0, 70, 1)).is_err());
    assert!(meter_change_units(&meter(0, 1, 0), &meter(0, 70, 1)).is_err());
    // Units in the input that do not match the meters are refused.
    let inp = input("A-1a", dec!(2), "2026-10", 151, &[]);
    let f = ReadingFacts {
        meter_change: Some(mc),
        ..facts()
    };
    let e = compute_bill_full(book, &inp, &BillExtras::default(), &f).unwrap_err();
    assert!(
        matches!(
            e,
            BillingError::BadInput {
                field: "meter_change",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn meter_change_tou_registers_and_mdi() {
    let book = book();
    let old = MeterRegisters {
        offpeak_from: 20_000,
        offpeak_to: 20_400,
        peak: Some((5_000, 5_100)),
        multiplying_factor: 1,
        mdi_kw: Some(dec!(2.5)),
    };
    let new = MeterRegisters {
        offpeak_from: 0,
        offpeak_to: 200,
        peak: Some((0, 50)),
        multiplying_factor: 2,
        mdi_kw: Some(dec!(4)),
    };
    // off-peak 400 + 200 x 2 = 800; peak 100 + 50 x 2 = 200; MDI max(2.5, 4) = 4.
    let mc = meter_change_units(&old, &new).unwrap();
    assert_eq!(
        (mc.offpeak_kwh(), mc.peak_kwh(), mc.mdi_kw()),
        (800, 200, dec!(4))
    );
    let mut inp = input("A-1b", dec!(6), "2026-10", 800, &[]);
    inp.units_peak_kwh = 200;
    inp.phase = 3;
    inp.mdi_kw = mc.mdi_kw();
    let f = ReadingFacts {
        meter_change: Some(mc),
        ..facts()
    };
    let bill = compute_bill_full(book, &inp, &BillExtras::default(), &f).unwrap();
    // G8 with MDI 4: peak 200 x 46.85 = 9,370; off-peak 800 x 34.53 = 27,624; fixed
    // max(50% x 6, 4) = 4 x 675 = 2,700; QTA 1,000 x 0.5194 = 519.40; total 40,213.40.
    assert_eq!(total(&bill), dec!(40213.40));
    let memo: Vec<Decimal> = bill
        .lines
        .iter()
        .filter(|l| l.line.starts_with("meter_"))
        .map(|l| l.quantity)
        .collect();
    // old off-peak 400, old peak 100, new off-peak 400, new peak 100
    assert_eq!(memo, vec![dec!(400), dec!(100), dec!(400), dec!(100)]);
    // An MDI below the meters' is refused; a TOU / non-TOU mismatch too.
    inp.mdi_kw = dec!(3);
    assert!(compute_bill_full(book, &inp, &BillExtras::default(), &f).is_err());
    assert!(meter_change_units(&old, &meter(0, 10, 1)).is_err());
}

#[test]
fn register_advance_matches_b09() {
    // (a) 99,950 -> 00,030: rollover, 80 units; (b) 99,950 -> 99,940 and (c) 500 -> 480 are
    // not rollovers.
    assert_eq!(register_advance(99_950, 30), Some(80));
    assert_eq!(register_advance(99_950, 99_940), None);
    assert_eq!(register_advance(500, 480), None);
    assert_eq!(register_advance(100, 250), Some(150));
}

// ---------------------------------------------------------------- accumulated readings

#[test]
fn split_units_by_days_and_equally() {
    // B07: 450 units over March (31 days) and April (30): 450 x 31 / 61 = 228.69 -> 229;
    // cumulative 450 -> 450 - 229 = 221.
    assert_eq!(
        split_units(SplitMethod::Days, 450, &[31, 30]),
        vec![229, 221]
    );
    // Equal: 100 over 3 -> round(33.33) = 33, round(66.67) = 67 -> 34, 100 -> 33.
    assert_eq!(
        split_units(SplitMethod::Equal, 100, &[31, 28, 31]),
        vec![33, 34, 33]
    );
    // 450 over 31, 31, 30 days (92): round(151.63) = 152; round(303.26) = 303 -> 151; 147.
    assert_eq!(
        split_units(SplitMethod::Days, 450, &[31, 31, 30]),
        vec![152, 151, 147]
    );
    assert_eq!(split_units(SplitMethod::Days, 0, &[30, 31]), vec![0, 0]);
    assert!(split_units(SplitMethod::Days, 5, &[]).is_empty());
}

#[test]
fn month_spans_by_reading_anniversary() {
    // B07: read Feb 29, next actual reading Apr 30: March = Feb 29 -> Mar 31 = 31 days,
    // April = Mar 31 -> Apr 30 = 30 days (a month-end reading steps month end to month end).
    let s = month_spans(
        day(2020, 2, 29),
        day(2020, 4, 30),
        ym("2020-03"),
        ym("2020-04"),
    )
    .unwrap();
    assert_eq!(s, vec![(ym("2020-03"), 31), (ym("2020-04"), 30)]);
    // Read on the 10th: Jul 10 -> Aug 10 -> Sep 10 -> Oct 10 = 31, 31, 30 days.
    let s = month_spans(
        day(2026, 7, 10),
        day(2026, 10, 10),
        ym("2026-08"),
        ym("2026-10"),
    )
    .unwrap();
    assert_eq!(
        s,
        vec![
            (ym("2026-08"), 31),
            (ym("2026-09"), 31),
            (ym("2026-10"), 30)
        ]
    );
    // A reading too early for the months named is refused.
    assert!(month_spans(
        day(2026, 7, 10),
        day(2026, 9, 5),
        ym("2026-08"),
        ym("2026-10")
    )
    .is_err());
}

#[test]
fn accumulated_reading_is_split_into_monthly_bills() {
    let book = book();
    // Protected consumer (Jan-Jul 2026 at 150), SL 2 kW, read 2026-07-10 then not again until
    // 2026-10-10: 450 units over Aug, Sep, Oct (31, 31, 30 days), billed 2026-10-12.
    let h: Vec<(YearMonth, u64)> = flat_history("2026-08", 7, 150);
    let months = month_spans(
        day(2026, 7, 10),
        day(2026, 10, 10),
        ym("2026-08"),
        ym("2026-10"),
    )
    .unwrap();
    let mut inp = input("A-1a", dec!(2), "2026-10", 450, &h);
    inp.period_days = 92;
    inp.issue_date = day(2026, 10, 12);
    assert_eq!(
        split_accumulated(book, inp.issue_date, 450, &months).unwrap(),
        vec![
            (ym("2026-08"), 152),
            (ym("2026-09"), 151),
            (ym("2026-10"), 147)
        ]
    );
    let bills = compute_accumulated(book, &inp, &BillExtras::default(), &facts(), &months).unwrap();
    assert_eq!(bills.len(), 3);
    let units: Vec<u64> = bills.iter().map(|b| b.units_kwh).collect();
    assert_eq!(units, vec![152, 151, 147]);
    assert!(bills.iter().all(|b| b.band == "protected"));

    // Aug (bill month 2026-08): 100 x 10.54 + 52 x 13.01 = 1,054 + 676.52 = 1,730.52;
    // fixed 2 x 300 = 600; QTA CY2026-Q1 152 x -1.9857 = -301.8264 -> -301.83;
    // FCA Jun-26 on Jun units 150 x 0.7503 = 112.545 -> 112.55.
    // current round(1,730.52 + 600 - 301.83 = 2,028.69) = 2,029; FPA 113; payable 2,142;
    // LPS 10% x (1,730.52 - 301.8264 = 1,428.6936) = 142.87 -> 143.
    let b = &bills[0];
    assert_eq!(b.amount_of("energy"), dec!(1730.52));
    assert_eq!(b.amount_of("qta"), dec!(-301.83));
    assert_eq!(b.amount_of("fpa"), dec!(112.55));
    assert_eq!(
        (
            b.current_bill_rs,
            b.total_fpa_rs,
            b.payable_within_due_rs,
            b.lps_rs
        ),
        (dec!(2029), dec!(113), dec!(2142), dec!(143))
    );
    let memo = b.line("accumulated").unwrap();
    assert_eq!(memo.quantity, dec!(450));
    assert!(memo.rule.contains("UNCONFIRMED"));
    assert!(memo
        .source
        .contains("month 1 of 3, 31 days, 152 of 450 kWh"));

    // Sep: 1,054 + 51 x 13.01 = 663.51 -> 1,717.51; fixed 600; QTA 151 x 0.5194 = 78.4294 ->
    // 78.43; FCA Jul-26 150 x 2.0581 = 308.715 -> 308.72. current round(2,395.94) = 2,396;
    // FPA 309; arrears = Aug payable 2,142 -> payable 4,847.
    let b = &bills[1];
    assert_eq!(b.amount_of("energy"), dec!(1717.51));
    assert_eq!(b.arrears_rs, dec!(2142));
    assert_eq!(
        (b.current_bill_rs, b.total_fpa_rs, b.payable_within_due_rs),
        (dec!(2396), dec!(309), dec!(4847))
    );

    // Oct: 1,054 + 47 x 13.01 = 611.47 -> 1,665.47; fixed 600; QTA 147 x 0.5194 = 76.3518 ->
    // 76.35; no FCA (Aug-26 not notified). current round(2,341.82) = 2,342; payable 7,189.
    let b = &bills[2];
    assert_eq!(b.amount_of("energy"), dec!(1665.47));
    assert!(b.line("fpa").is_none());
    assert_eq!(
        (b.current_bill_rs, b.payable_within_due_rs),
        (dec!(2342), dec!(7189))
    );
    // The wrong result: 450 units on one ladder = unprotected 401-500, 450 x 38.95 = 17,527.50
    // of energy, against 1,730.52 + 1,717.51 + 1,665.47 = 5,113.50 split.
    let energy: Decimal = bills.iter().map(|b| b.amount_of("energy")).sum();
    assert_eq!(energy, dec!(5113.50));
    let mut one = inp;
    one.period_days = 30;
    let whole = compute_bill(book, &one).unwrap();
    assert_eq!(whole.amount_of("energy"), dec!(17527.50));
    // (Billed as one 92-day period, the 2.3.5 long-period rule would instead scale to
    // round(450 x 30 / 92) = 147 units and carry 303 forward.)
    let long = compute_bill(book, &inp).unwrap();
    assert_eq!((long.units_kwh, long.units_carried_forward_kwh), (147, 303));

    // Months already billed must be corrected, not re-billed.
    let mut h2 = h.clone();
    h2.push((ym("2026-08"), 100));
    let mut inp2 = inp;
    inp2.history = &h2;
    assert!(compute_accumulated(book, &inp2, &BillExtras::default(), &facts(), &months).is_err());
    // The months' days must add up to the reading period.
    let mut inp3 = inp;
    inp3.period_days = 91;
    assert!(compute_accumulated(book, &inp3, &BillExtras::default(), &facts(), &months).is_err());
}

// -------------------------------------------------------------------- provisional bills

#[test]
fn provisional_units_lower_of_same_month_and_average() {
    let book = book();
    let d = day(2026, 10, 5);
    // Same month last year (2025-10) 180; 2025-11..2026-09 = ten months of 200 and one of 205:
    // 2,205 / 11 = 200.45 -> 200; lower = 180.
    let mut h = flat_history("2026-10", 11, 200);
    h[0].1 = 205;
    h.push((ym("2025-10"), 180));
    let e = provisional_units(book, ym("2026-10"), &h, d, 0).unwrap();
    assert_eq!(
        (
            e.units_kwh,
            e.same_month_last_year_kwh,
            e.average_kwh,
            e.average_of_months
        ),
        (180, Some(180), Some(200), 11)
    );
    // Same month last year 250: the average (200) is lower.
    h.last_mut().unwrap().1 = 250;
    assert_eq!(
        provisional_units(book, ym("2026-10"), &h, d, 0)
            .unwrap()
            .units_kwh,
        200
    );
    // Only two months present, 100 and 101: average 100.5 -> 101 (half up), no same month.
    let h = [(ym("2026-09"), 100), (ym("2026-08"), 101)];
    let e = provisional_units(book, ym("2026-10"), &h, d, 1).unwrap();
    assert_eq!((e.units_kwh, e.same_month_last_year_kwh), (101, None));
    // No history at all: refused. A third provisional bill in a row: refused.
    assert!(provisional_units(book, ym("2026-10"), &[], d, 0).is_err());
    let e = provisional_units(book, ym("2026-10"), &h, d, 2).unwrap_err();
    assert!(e.to_string().contains("limit 2"), "{e}");
}

#[test]
fn provisional_bill_is_marked_and_carries_no_lps() {
    let book = book();
    // Protected history (12 months of 150): estimate 150 (same month last year and average).
    let h = flat_history("2026-10", 12, 150);
    let inp = input("A-1a", dec!(2), "2026-10", 0, &h);
    let bill = compute_provisional(book, &inp, &BillExtras::default(), 0).unwrap();
    assert!(bill.provisional);
    assert_eq!(bill.units_kwh, 150);
    // 100 x 10.54 + 50 x 13.01 = 1,704.50; fixed 2 x 300 = 600; QTA 150 x 0.5194 = 77.91;
    // current round(2,382.41) = 2,382.
    assert_eq!(total(&bill), dec!(2382.41));
    assert_eq!(bill.current_bill_rs, dec!(2382));
    // No LPS on the estimate (a normal bill: 10% x (1,704.50 + 77.91) = 178.24 -> 178).
    assert_eq!(bill.lps_rs, dec!(0));
    assert_eq!(bill.payable_after_due_rs, dec!(2382));
    let mut actual = inp;
    actual.units_offpeak_kwh = 150;
    assert_eq!(compute_bill(book, &actual).unwrap().lps_rs, dec!(178));
    let memo = bill.line("provisional").unwrap();
    assert_eq!(memo.quantity, dec!(150));
    assert!(memo.rule.contains("UNCONFIRMED"));
    assert!(memo
        .source
        .contains("same month last year 150, average of 11 months 150"));
    // TOU provisional bills are refused (history has no registers).
    let mut tou = input("A-1b", dec!(6), "2026-10", 0, &h);
    tou.phase = 3;
    assert!(compute_provisional(book, &tou, &BillExtras::default(), 0).is_err());
}

const B07_FIXTURE: &str = r#"
[[schedule]]
id = "FIXTURE-B07"
sro = "fixture: Profit 2022-09-12 rates (KNOWN-CASES B), dated 2020 for the B07 calendar"
effective_from = "2020-01-01"
confirmed = false
[[schedule.tariff]]
code = "A-1a"
category = "residential"
pricing = "residential"
fixed_basis = "none"
unprotected_pricing = "single_slab"
lifeline_max_load_kw = "1"
lifeline_max_kwh = 50
lifeline_history_months = 12
protected_max_kwh = 200
protected_history_months = 6
slabs = [
  { band = "lifeline",    from = 1,   to = 50,  rate = "3.95" },
  { band = "protected",   from = 1,   to = 100, rate = "7.74" },
  { band = "protected",   from = 101, to = 200, rate = "10.06" },
  { band = "unprotected", from = 1,   to = 100, rate = "13.48" },
  { band = "unprotected", from = 101, to = 200, rate = "18.58" },
  { band = "unprotected", from = 201, to = 300, rate = "21.47" },
  { band = "unprotected", from = 301, to = 400, rate = "24.63" },
  { band = "unprotected", from = 401, to = 500, rate = "26.09" },
  { band = "unprotected", from = 501, to = 600, rate = "27.01" },
  { band = "unprotected", from = 601, to = 700, rate = "27.65" },
  { band = "unprotected", from = 701,           rate = "31.12" },
]
[[terms]]
effective_from = "2020-01-01"
due_days = 10
lps_percent = "10"
lps_base = ["energy"]
source = "fixture"
"#;

#[test]
fn b07_average_bill_then_actual_reading() {
    // FIXTURE rates (KNOWN-CASES B, Aug-2022) + the shipped readings.toml.
    let mut book = TariffBook::empty();
    book.load_toml(B07_FIXTURE).unwrap();
    book.load_toml(data::file("readings.toml").unwrap())
        .unwrap();
    let none = BillExtras::default();
    // Non-protected consumer: Mar-2019..Feb-2020 at 300. Read Feb 29 (12,000).
    let mut h = flat_history("2020-03", 12, 300);
    // March: no reading -> estimate min(Mar-2019 300, average 300) = 300 -> 300 x 21.47 =
    // 6,441.00, current 6,441, no LPS.
    let mut mar = input("A-1a", dec!(2), "2020-03", 0, &h);
    mar.issue_date = day(2020, 3, 31);
    let p = compute_provisional(&book, &mar, &none, 0).unwrap();
    assert_eq!(
        (p.units_kwh, p.current_bill_rs, p.lps_rs),
        (300, dec!(6441), dec!(0))
    );
    let billed = ProvisionalBilled {
        cycle: ym("2020-03"),
        units_kwh: p.units_kwh,
        billed_rs: p.current_bill_rs + p.total_fpa_rs,
        subsidy_rs: p.subsidy_rs,
        issue_date: mar.issue_date,
    };
    h.push((ym("2020-03"), 300)); // what the caller recorded for March

    // April 30 actual reading 12,450: 450 units over March (31 days) and April (30).
    let units = register_advance(12_000, 12_450).unwrap();
    let months = month_spans(
        day(2020, 2, 29),
        day(2020, 4, 30),
        ym("2020-03"),
        ym("2020-04"),
    )
    .unwrap();
    let mut apr = input("A-1a", dec!(2), "2020-04", units, &h);
    apr.period_days = 61;
    apr.issue_date = day(2020, 5, 5);
    apr.arrears_rs = dec!(6441); // the March estimate is unpaid
    let c = compute_corrected(&book, &apr, &none, &facts(), &months, &[billed]).unwrap();
    // Split by days: March 229, April 221 (total 450).
    assert_eq!(
        c.history(),
        vec![(ym("2020-03"), 229), (ym("2020-04"), 221)]
    );
    // March re-priced: 229 x 21.47 = 4,916.63 -> bill 4,917; adjustment 4,917 - 6,441 = -1,524
    // on -71 kWh (229 - 300).
    let m = &c.months[0];
    assert_eq!(
        (m.corrected_rs, m.provisional_rs, m.adjustment_rs),
        (dec!(4917), dec!(6441), dec!(-1524))
    );
    let b = &c.bill;
    let adj = b.line("provisional_adjustment").unwrap();
    assert_eq!((adj.quantity, adj.amount_rs), (dec!(-71), dec!(-1524)));
    assert!(adj.rule.contains("UNCONFIRMED"));
    assert!(adj
        .source
        .contains("2020-03: billed provisionally 300 kWh Rs 6441; actual share 229 kWh Rs 4917"));
    // April priced on its own share: 221 x 21.47 = 4,744.87 (not 450 x 26.09 = 11,740.50).
    assert_eq!(b.units_kwh, 221);
    assert_eq!(b.amount_of("energy"), dec!(4744.87));
    // current round(4,744.87 - 1,524 = 3,220.87) = 3,221; payable 6,441 + 3,221 = 9,662
    // (B07's 9,661.50 before the rupee rounding of each month's bill).
    assert_eq!(b.current_bill_rs, dec!(3221));
    assert_eq!(b.payable_within_due_rs, dec!(9662));
    // LPS on April's own energy only: 10% x 4,744.87 = 474.487 -> 474 (none on the estimate).
    assert_eq!(b.lps_rs, dec!(474));
    // Net units = actual advance - provisionally billed = 450 - 300 = 150 = 221 - 71.
    assert_eq!(b.units_adjusted_kwh, -71);
    assert_eq!(b.units_kwh as i64 + b.units_adjusted_kwh, 150);
    assert_eq!(b.provisional_adjustment_rs, dec!(-1524));
    // Paid estimate: arrears 0 -> payable 3,221 (B07: 3,220.50).
    apr.arrears_rs = dec!(0);
    let c = compute_corrected(&book, &apr, &none, &facts(), &months, &[billed]).unwrap();
    assert_eq!(c.bill.payable_within_due_rs, dec!(3221));

    // Actual lower than the estimate: 200 units -> 102 / 98; March 102 x 18.58 = 1,895.16
    // -> 1,895; adjustment 1,895 - 6,441 = -4,546; April 98 x 13.48 = 1,321.04; current
    // round(1,321.04 - 4,546 = -3,224.96) = -3,225: a credit, no LPS.
    apr.units_offpeak_kwh = 200;
    let c = compute_corrected(&book, &apr, &none, &facts(), &months, &[billed]).unwrap();
    assert_eq!(c.history(), vec![(ym("2020-03"), 102), (ym("2020-04"), 98)]);
    assert_eq!(c.months[0].adjustment_rs, dec!(-4546));
    assert_eq!(c.bill.current_bill_rs, dec!(-3225));
    assert_eq!(c.bill.lps_rs, dec!(0));

    // A provisional bill must be listed for every month but the last.
    assert!(compute_corrected(&book, &apr, &none, &facts(), &months, &[]).is_err());
}

/// A rule that starts between a provisional bill and its correction does not reach the
/// corrected month: each earlier month is re-priced under the rules of its own date (the
/// provisional bill's issue date; for a month with no bill, the bill's date that many months
/// back). Here a meter rent from 15 April 2020 lands on April only.
#[test]
fn earlier_months_are_priced_under_the_rules_of_their_own_date() {
    let mut book = TariffBook::empty();
    book.load_toml(B07_FIXTURE).unwrap();
    book.load_toml(data::file("readings.toml").unwrap())
        .unwrap();
    book.load_toml(
        "[[meter_rent]]\neffective_from = \"2020-04-15\"\nrs_per_month = \"25\"\nsource = \"fixture\"\n",
    )
    .unwrap();
    let none = BillExtras::default();
    let mut h = flat_history("2020-03", 12, 300);
    let mut mar = input("A-1a", dec!(2), "2020-03", 0, &h);
    mar.issue_date = day(2020, 3, 31);
    let p = compute_provisional(&book, &mar, &none, 0).unwrap();
    assert!(p.line("meter_rent").is_none(), "no rent before 15 April");
    let billed = ProvisionalBilled {
        cycle: ym("2020-03"),
        units_kwh: p.units_kwh,
        billed_rs: p.current_bill_rs + p.total_fpa_rs,
        subsidy_rs: p.subsidy_rs,
        issue_date: mar.issue_date,
    };
    h.push((ym("2020-03"), 300));
    let months = month_spans(
        day(2020, 2, 29),
        day(2020, 4, 30),
        ym("2020-03"),
        ym("2020-04"),
    )
    .unwrap();
    let mut apr = input("A-1a", dec!(2), "2020-04", 450, &h);
    apr.period_days = 61;
    apr.issue_date = day(2020, 5, 5);
    let c = compute_corrected(&book, &apr, &none, &facts(), &months, &[billed]).unwrap();
    // March as in B07 (229 x 21.47 -> 4,917; adjustment -1,524): no rent in it.
    assert_eq!(
        (c.months[0].corrected_rs, c.months[0].adjustment_rs),
        (dec!(4917), dec!(-1524))
    );
    // April (issued 5 May) carries the rent once: 4,744.87 + 25 - 1,524 = 3,245.87 -> 3,246.
    assert_eq!(c.bill.amount_of("meter_rent"), dec!(25));
    assert_eq!(c.bill.current_bill_rs, dec!(3246));

    // March never billed: priced on 5 April (the bill's date a month back), no rent either.
    let h = flat_history("2020-03", 12, 300);
    let mut apr = input("A-1a", dec!(2), "2020-04", 450, &h);
    apr.period_days = 61;
    apr.issue_date = day(2020, 5, 5);
    let c = compute_catch_up(
        &book,
        &apr,
        &none,
        &facts(),
        &months,
        &[EarlierMonth::Unbilled(ym("2020-03"))],
    )
    .unwrap();
    assert_eq!(c.months[0].corrected_rs, dec!(4917));
    assert_eq!(c.bill.amount_of("meter_rent"), dec!(25));
}

#[test]
fn catch_up_bills_unread_months_alone_and_ignores_the_estimate_limit() {
    // B07's consumer and rates, but March was not read at all (no bill issued): April's
    // actual reading 12,000 -> 12,450 covers March (31 days) and April (30).
    let mut book = TariffBook::empty();
    book.load_toml(B07_FIXTURE).unwrap();
    book.load_toml(data::file("readings.toml").unwrap())
        .unwrap();
    let none = BillExtras::default();
    let h = flat_history("2020-03", 12, 300);
    let months = month_spans(
        day(2020, 2, 29),
        day(2020, 4, 30),
        ym("2020-03"),
        ym("2020-04"),
    )
    .unwrap();
    let mut apr = input("A-1a", dec!(2), "2020-04", 450, &h);
    apr.period_days = 61;
    apr.issue_date = day(2020, 5, 5);
    let c = compute_catch_up(
        &book,
        &apr,
        &none,
        &facts(),
        &months,
        &[EarlierMonth::Unbilled(ym("2020-03"))],
    )
    .unwrap();
    // Split by days: March 229, April 221. March alone: 229 x 21.47 = 4,916.63 -> 4,917,
    // charged whole as an accumulated_month line on 229 kWh.
    assert_eq!(
        c.history(),
        vec![(ym("2020-03"), 229), (ym("2020-04"), 221)]
    );
    assert!(!c.months[0].was_billed);
    let b = &c.bill;
    let acc = b.line("accumulated_month").unwrap();
    assert_eq!((acc.quantity, acc.amount_rs), (dec!(229), dec!(4917)));
    assert!(acc
        .source
        .contains("2020-03: no bill issued; share 229 of 450 kWh (31 days)"));
    assert!(b.line("provisional_adjustment").is_none());
    assert_eq!((b.accumulated_rs, b.accumulated_months), (dec!(4917), 1));
    assert_eq!(b.provisional_adjustment_rs, dec!(0));
    // April on its own share: 221 x 21.47 = 4,744.87 (one 450-unit month would be
    // 450 x 26.09 = 11,740.50); current round(4,744.87 + 4,917) = 9,662; LPS on April's
    // energy only: 10% x 4,744.87 -> 474.
    assert_eq!(b.amount_of("energy"), dec!(4744.87));
    assert_eq!(b.current_bill_rs, dec!(9662));
    assert_eq!(b.payable_within_due_rs, dec!(9662));
    assert_eq!(b.lps_rs, dec!(474));
    assert_eq!(b.units_kwh as i64 + b.units_adjusted_kwh, 450);

    // Over the limit: January and February estimated (300 each), March's estimate refused
    // (third in a row), April read. The reading is billed: two corrections and one
    // accumulated month, 1,200 units split by days 31/29/31/30 -> 307/288/307/298.
    let h = flat_history("2020-01", 12, 300);
    let months = month_spans(
        day(2019, 12, 31),
        day(2020, 4, 30),
        ym("2020-01"),
        ym("2020-04"),
    )
    .unwrap();
    let mut apr = input("A-1a", dec!(2), "2020-04", 1200, &h);
    apr.period_days = months.iter().map(|(_, d)| d).sum();
    apr.issue_date = day(2020, 5, 5);
    let est = |m: &str| {
        EarlierMonth::Provisional(ProvisionalBilled {
            cycle: ym(m),
            units_kwh: 300,
            billed_rs: dec!(6441),
            subsidy_rs: dec!(0),
            issue_date: ym(m).add_months(1).first_day(),
        })
    };
    let earlier = [
        est("2020-01"),
        est("2020-02"),
        EarlierMonth::Unbilled(ym("2020-03")),
    ];
    let c = compute_catch_up(&book, &apr, &none, &facts(), &months, &earlier).unwrap();
    let shares: Vec<u64> = c.history().iter().map(|(_, u)| *u).collect();
    assert_eq!(shares.iter().sum::<u64>(), 1200);
    assert_eq!(c.bill.accumulated_months, 1);
    let n_adj = c
        .bill
        .lines
        .iter()
        .filter(|l| l.line == "provisional_adjustment")
        .count();
    assert_eq!(n_adj, 2);
    // Every earlier month is priced at the slab its own share falls in (201-300: 21.47 or
    // 301-400: 24.63), never at one 1,200-unit month's rate.
    for m in &c.months {
        let rate = if m.units_actual_kwh > 300 {
            dec!(24.63)
        } else {
            dec!(21.47)
        };
        let want = (Decimal::from(m.units_actual_kwh) * rate).round();
        assert!((m.corrected_rs - want).abs() <= dec!(1), "{m:?}");
    }
    assert_eq!(
        c.bill.current_bill_rs,
        (c.bill.amount_of("energy") + c.months.iter().map(|m| m.adjustment_rs).sum::<Decimal>())
            .round()
    );
}

#[test]
fn an_estimate_over_a_long_period_is_one_unscaled_month() {
    // The second estimate in a row counts from the last actual reading, 61 days back: it is
    // still one month's estimate, billed whole with nothing carried forward.
    let book = TariffBook::builtin().unwrap();
    let h = flat_history("2027-01", 12, 109);
    let mut inp = input("A-1a", dec!(2), "2027-01", 0, &h);
    inp.period_days = 61;
    let b = compute_provisional(&book, &inp, &BillExtras::default(), 1).unwrap();
    assert_eq!((b.units_kwh, b.units_carried_forward_kwh), (109, 0));
    assert_eq!(b.line("provisional").unwrap().quantity, dec!(109));
}

// ---------------------------------------------------------------------- properties

proptest! {
    #[test]
    fn split_preserves_the_total_and_each_share_is_within_one_unit(
        total in 0u64..=100_000_000,
        days in proptest::collection::vec(1u32..=40, 1..=12),
        equal in any::<bool>(),
    ) {
        let method = if equal { SplitMethod::Equal } else { SplitMethod::Days };
        let s = split_units(method, total, &days);
        prop_assert_eq!(s.len(), days.len());
        prop_assert_eq!(s.iter().sum::<u64>(), total);
        let w: Vec<u128> = days.iter().map(|d| if equal { 1 } else { u128::from(*d) }).collect();
        let den: u128 = w.iter().sum();
        for (share, wk) in s.iter().zip(&w) {
            // |share - total x w / den| < 1  <=>  |share x den - total x w| < den
            let a = u128::from(*share) * den;
            let b = u128::from(total) * wk;
            prop_assert!(a.abs_diff(b) < den, "{share} vs {total} x {wk} / {den}");
        }
    }

    #[test]
    fn disconnected_month_never_costs_more(
        units in 0u64..1_500,
        sl_tenths in 5i64..=100,
        month in 8u32..=11,
        tou in any::<bool>(),
        peak in 0u64..500,
        atl in any::<bool>(),
        n in 1u32..=11,
    ) {
        let book = builtin();
        let cycle = format!("2026-{month:02}");
        let h = flat_history(&cycle, 12, 150);
        let tariff = if tou { "A-1b" } else { "A-1a" };
        let mut inp = input(tariff, legal_load(tariff, sl_tenths * 10), &cycle, units, &h);
        inp.atl = atl;
        if tou {
            inp.units_peak_kwh = peak;
            inp.phase = 3;
        }
        let on = compute_bill(book, &inp).unwrap();
        let f = ReadingFacts { temp_disconnected_month: Some(n), ..ReadingFacts::default() };
        let off = compute_bill_full(book, &inp, &BillExtras::default(), &f).unwrap();
        prop_assert!(off.payable_within_due_rs <= on.payable_within_due_rs);
        prop_assert!(off.payable_after_due_rs <= on.payable_after_due_rs);
        prop_assert_eq!(off.units_kwh, on.units_kwh);
        prop_assert!(off.line("fixed").is_none() && off.line("minimum_charge").is_none());
    }

    #[test]
    fn accumulated_bills_share_out_every_unit(
        units in 0u64..3_000,
        first in 0i32..=2,
        hist in 0u64..400,
    ) {
        let book = book();
        // Read 2026-07-10; next reading 2026-10-10; bill months from Aug, Sep or Oct.
        let first_cycle = ym("2026-08").add_months(first);
        let prev = day(2026, 7 + first as u32, 10);
        let months = month_spans(prev, day(2026, 10, 10), first_cycle, ym("2026-10")).unwrap();
        let h = flat_history("2026-08", 7, hist);
        let mut inp = input("A-1a", dec!(2), "2026-10", units, &h);
        inp.period_days = months.iter().map(|(_, d)| d).sum();
        inp.issue_date = day(2026, 10, 12);
        let bills = compute_accumulated(book, &inp, &BillExtras::default(), &facts(), &months).unwrap();
        prop_assert_eq!(bills.len(), months.len());
        prop_assert_eq!(bills.iter().map(|b| b.units_kwh).sum::<u64>(), units);
        if months.len() == 1 {
            // One month: exactly the ordinary bill.
            prop_assert_eq!(&bills[0], &compute_bill(book, &inp).unwrap());
        }
        // Chained arrears: each bill's arrears = the previous bill's payable.
        for w in bills.windows(2) {
            prop_assert_eq!(w[1].arrears_rs, w[0].payable_within_due_rs);
        }
    }

    #[test]
    fn correction_bills_actual_minus_provisional_units(
        actual in 0u64..2_000,
        est in 0u64..600,
        paid in any::<bool>(),
    ) {
        let book = book();
        let months = [(ym("2026-09"), 31u32), (ym("2026-10"), 30u32)];
        let h = flat_history("2026-09", 12, 150);
        let mut inp = input("A-1a", dec!(2), "2026-10", actual, &h);
        inp.period_days = 61;
        let billed = ProvisionalBilled { cycle: ym("2026-09"), units_kwh: est, billed_rs: Decimal::from(est * 20), subsidy_rs: Decimal::ZERO, issue_date: day(2026, 10, 5) };
        if !paid {
            inp.arrears_rs = billed.billed_rs;
        }
        let c = compute_corrected(book, &inp, &BillExtras::default(), &facts(), &months, &[billed]).unwrap();
        prop_assert_eq!(c.bill.units_kwh as i64 + c.bill.units_adjusted_kwh, actual as i64 - est as i64);
        prop_assert_eq!(c.history().iter().map(|(_, u)| u).sum::<u64>(), actual);
        prop_assert_eq!(c.bill.provisional_adjustment_rs, c.months[0].adjustment_rs);
        prop_assert_eq!(c.months[0].adjustment_rs, c.months[0].corrected_rs - billed.billed_rs);
        if c.bill.payable_within_due_rs <= Decimal::ZERO {
            prop_assert_eq!(c.bill.lps_rs, Decimal::ZERO);
        }
    }
}

#[test]
fn accumulated_tou_reading_splits_each_register() {
    let book = book();
    // A-1b 6 kW, 3-phase; Sep (31 days) + Oct (30) read together: 305 peak, 1,220 off-peak.
    // Peak 305 x 31 / 61 = 155 -> 155 / 150; off-peak 1,220 x 31 / 61 = 620 -> 620 / 600.
    let h = [(ym("2026-07"), 1000)];
    let months = [(ym("2026-09"), 31), (ym("2026-10"), 30)];
    let mut inp = input("A-1b", dec!(6), "2026-10", 1220, &h);
    inp.units_peak_kwh = 305;
    inp.phase = 3;
    inp.period_days = 61;
    inp.issue_date = day(2026, 10, 12);
    let bills = compute_accumulated(book, &inp, &BillExtras::default(), &facts(), &months).unwrap();
    // Sep: peak 155 x 46.85 = 7,261.75; off-peak 620 x 34.53 = 21,408.60; fixed 3 x 675 =
    // 2,025; QTA 775 x 0.5194 = 402.535 -> 402.54; current round(31,097.89) = 31,098;
    // FCA Jul-26 1,000 x 2.0581 = 2,058.10 -> 2,058; payable 33,156.
    let s = &bills[0];
    assert_eq!(s.units_kwh, 775);
    assert_eq!(
        (s.current_bill_rs, s.total_fpa_rs, s.payable_within_due_rs),
        (dec!(31098), dec!(2058), dec!(33156))
    );
    // Oct: peak 150 x 46.85 = 7,027.50; off-peak 600 x 34.53 = 20,718; fixed 2,025; QTA 750 x
    // 0.5194 = 389.55; current round(30,160.05) = 30,160; arrears 33,156 -> payable 63,316.
    let o = &bills[1];
    assert_eq!(o.units_kwh, 750);
    assert_eq!(
        (o.current_bill_rs, o.payable_within_due_rs),
        (dec!(30160), dec!(63316))
    );
}

#[test]
fn reading_rules_data_is_validated_and_append_only() {
    let mut book = TariffBook::empty();
    book.load_toml(data::file("readings.toml").unwrap())
        .unwrap();
    // Loading the same versions again is refused.
    let e = book
        .load_toml(data::file("readings.toml").unwrap())
        .unwrap_err();
    assert!(matches!(e, BillingError::Duplicate { .. }), "{e:?}");
    for bad in [
        "[[accumulated_split]]\neffective_from = \"2027-01-01\"\nmethod = \"weeks\"\nsource = \"x\"\n",
        "[[temp_disconnection]]\neffective_from = \"2027-01-01\"\nmax_months = 11\nwaive = [\"energy\"]\nsource = \"x\"\n",
        "[[temp_disconnection]]\neffective_from = \"2027-01-01\"\nmax_months = 0\nwaive = [\"fixed\"]\nsource = \"x\"\n",
        "[[provisional]]\neffective_from = \"2027-01-01\"\naverage_months = 12\nsame_month_last_year = true\nmax_consecutive = 2\nlps = false\nsource = \"x\"\n",
    ] {
        assert!(
            matches!(book.load_toml(bad), Err(BillingError::DataInvalid { .. })),
            "{bad}"
        );
    }
    // Without the rules loaded, the functions that need them refuse (never a silent default).
    let mut bare = TariffBook::empty();
    bare.load_toml(data::file("sro-279-2026.toml").unwrap())
        .unwrap();
    assert!(matches!(
        split_accumulated(&bare, day(2026, 10, 5), 10, &[(ym("2026-10"), 30)]),
        Err(BillingError::RateUnknown { .. })
    ));
    assert!(matches!(
        provisional_units(
            &bare,
            ym("2026-10"),
            &[(ym("2026-09"), 1)],
            day(2026, 10, 5),
            0
        ),
        Err(BillingError::RateUnknown { .. })
    ));
}
