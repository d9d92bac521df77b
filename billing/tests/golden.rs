//! Golden bills through the public API only. Every expected figure is written beside its hand
//! computation. Sources: BILLING-RULES.md 9.1 (G1, a real IESCO bill) and 9.2 (G4-G9,
//! tariff-only cases from S.R.O. 279(I)/2026), KNOWN-CASES.md B04 and B06, and G12-G15:
//! industrial B-1, B-1b, B-2a and B-3 full bills (taxes included) hand-computed from the
//! shipped data files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use billing::bill::LineBlock;
use billing::{data, Bill, BillExtras, BillInput, BillingError, TariffBook, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::{compute_bill, compute_bill_with};
use common::{day, flat_history, input_at, ym};

/// A residential/commercial input with defaults: IESCO, ICT, 1-phase, 30 days, no arrears.
fn input<'a>(
    tariff: &'a str,
    sl: Decimal,
    cycle: &str,
    units: u64,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    input_at("IESCO", "ICT", tariff, sl, cycle, units, history)
}

/// S.R.O. 279(I)/2026 + the 2026 FCA/QTA decisions + due-date terms, and no tax data: the
/// BILLING-RULES 9.2 "tariff-only" setting (no GST, ED, FC/NJ surcharge, PTV lines).
fn tariff_only_2026() -> TariffBook {
    let mut book = TariffBook::empty();
    for f in ["sro-279-2026.toml", "adjustments-2026.toml", "terms.toml"] {
        book.load_toml(data::file(f).unwrap()).unwrap();
    }
    book
}

fn amount(bill: &Bill, line: &str) -> Decimal {
    bill.amount_of(line)
}

/// Sum of every printed current + FPA line (the 9.2 "total = sum of lines").
fn lines_total(bill: &Bill) -> Decimal {
    bill.lines_total_rs(LineBlock::Current) + bill.lines_total_rs(LineBlock::Fpa)
}

fn assert_no_tax_lines(bill: &Bill) {
    for l in &bill.lines {
        assert!(
            matches!(
                l.line,
                "energy" | "fixed" | "minimum_charge" | "qta" | "fpa" | "lps"
            ),
            "unexpected line {l:?}"
        );
    }
}

// ------------------------------------------------------------------------------------- G1

#[test]
fn g1_iesco_jul_2019_full_bill() {
    let book = TariffBook::builtin().unwrap();
    // May-19 is the FPA reference month of the Jul-19 bill: 102 units.
    let history = [(ym("2019-05"), 102), (ym("2019-06"), 180)];
    let mut inp = input("A-1a", dec!(3), "2019-07", 203, &history);
    inp.issue_date = day(2019, 7, 13);
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(bill.band, "unprotected");
    assert_eq!(bill.units_kwh, 203);

    // Cost of electricity: 200 x 8.11 + 3 x 10.20 (one previous slab benefit) = 1,622.00 + 30.60
    let energy: Vec<_> = bill.lines.iter().filter(|l| l.line == "energy").collect();
    assert_eq!(energy.len(), 2);
    assert_eq!(
        (energy[0].quantity, energy[0].rate, energy[0].amount_rs),
        (dec!(200), dec!(8.11), dec!(1622.00))
    );
    assert_eq!(
        (energy[1].quantity, energy[1].rate, energy[1].amount_rs),
        (dec!(3), dec!(10.20), dec!(30.60))
    );
    assert_eq!(amount(&bill, "energy"), dec!(1652.60));
    // FC surcharge: 203 x 0.43 = 87.29
    assert_eq!(amount(&bill, "fc_surcharge"), dec!(87.29));
    // ED: 1.5% x 1,652.60 = 24.789 -> 24.79
    assert_eq!(amount(&bill, "ed"), dec!(24.79));
    // GST: 17% x (1,652.60 + 87.29 + 24.789) = 299.995.. -> 300.00
    assert_eq!(amount(&bill, "gst"), dec!(300.00));
    // NJ surcharge: 203 x 0.10 = 20.30
    assert_eq!(amount(&bill, "nj_surcharge"), dec!(20.30));
    // TV fee: 35
    assert_eq!(amount(&bill, "tv_fee"), dec!(35));
    // Current bill: 1,652.60 + 87.29 + 24.79 + 300 + 20.30 + 35 = 2,119.98 -> 2,120
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(2119.98));
    assert_eq!(bill.current_bill_rs, dec!(2120));
    // FPA (May-19): 102 x 0.0999 = 10.1898 -> 10.19
    let fpa = bill.line("fpa").unwrap();
    assert_eq!(
        (fpa.quantity, fpa.rate, fpa.amount_rs),
        (dec!(102), dec!(0.0999), dec!(10.19))
    );
    // ED on FPA: 1.5% x 10.1898 = 0.1528 -> 0.15
    assert_eq!(amount(&bill, "ed_on_fpa"), dec!(0.15));
    // GST on FPA: 17% x (10.1898 + 0.1528) = 1.758 -> 2 (whole rupees per FPA month)
    assert_eq!(amount(&bill, "gst_on_fpa"), dec!(2));
    // Total FPA: 10.19 + 0.15 + 2 = 12.34 -> 12
    assert_eq!(bill.lines_total_rs(LineBlock::Fpa), dec!(12.34));
    assert_eq!(bill.total_fpa_rs, dec!(12));
    // Payable within due date: 2,120 + 12 = 2,132
    assert_eq!(bill.payable_within_due_rs, dec!(2132));
    // LPS: 10% x (1,652.60 + 87.29 + 20.30) = 176.019 -> 176
    assert_eq!(bill.lps_rs, dec!(176));
    // Payable after due date: 2,132 + 176 = 2,308
    assert_eq!(bill.payable_after_due_rs, dec!(2308));
    // Due date: issue 13-Jul-2019 + 10 days (terms default, UNCONFIRMED) = Tue 23-Jul-2019.
    // The real bill printed 22-Jul (9 days): due days vary by batch.
    assert_eq!(bill.due_date, day(2019, 7, 23));
    assert!(
        bill.versions.starts_with("IESCO-2019@2019-07-01"),
        "{}",
        bill.versions
    );
    assert!(bill.versions.contains("FPA 2019-05"), "{}", bill.versions);
}

// ------------------------------------------------------------------------------------- G4

#[test]
fn g4_unprotected_sl_2kw_oct_2026() {
    let book = tariff_only_2026();
    // Oct-2026: FCA (Aug-26) not notified -> no FPA line; QTA CY2026-Q2 +0.5194.
    // (units, energy, fixed, qta, total)
    let rows = [
        // 0 units: first slab reached; fixed 2 x 275 = 550; QTA 0
        (0u64, dec!(0), dec!(550), dec!(0), dec!(550.00)),
        // 100 x 22.44 = 2,244; 2 x 275 = 550; 100 x 0.5194 = 51.94
        (100, dec!(2244.00), dec!(550), dec!(51.94), dec!(2845.94)),
        // 201 x 33.10 = 6,653.10 (single slab); 2 x 350 = 700; 201 x 0.5194 = 104.3994 -> 104.40
        (201, dec!(6653.10), dec!(700), dec!(104.40), dec!(7457.50)),
        // 301 x 36.46 = 10,974.46; 2 x 400 = 800; 301 x 0.5194 = 156.3394 -> 156.34
        (301, dec!(10974.46), dec!(800), dec!(156.34), dec!(11930.80)),
        // 701 x 47.20 = 33,087.20; 2 x 675 = 1,350; 701 x 0.5194 = 364.0994 -> 364.10
        (
            701,
            dec!(33087.20),
            dec!(1350),
            dec!(364.10),
            dec!(34801.30),
        ),
    ];
    for (units, energy, fixed, qta, total) in rows {
        let bill = compute_bill(&book, &input("A-1a", dec!(2), "2026-10", units, &[])).unwrap();
        assert_eq!(bill.band, "unprotected", "{units}");
        assert_eq!(amount(&bill, "energy"), energy, "{units}");
        assert_eq!(amount(&bill, "fixed"), fixed, "{units}");
        assert_eq!(amount(&bill, "qta"), qta, "{units}");
        assert!(bill.line("fpa").is_none(), "{units}");
        assert_no_tax_lines(&bill);
        assert_eq!(lines_total(&bill), total, "{units}");
        assert_eq!(bill.current_bill_rs, billing::money::round_rupee(total));
    }
}

// ------------------------------------------------------------------------------------- G5

#[test]
fn g5_protected_sep_2026() {
    let book = tariff_only_2026();
    // Six previous months of 150 units (protected); the FCA reference month Jul-26 has 150.
    let h = flat_history("2026-09", 6, 150);
    let bill = compute_bill(&book, &input("A-1a", dec!(1.5), "2026-09", 150, &h)).unwrap();
    assert_eq!(bill.band, "protected");
    // energy 100 x 10.54 + 50 x 13.01 = 1,054 + 650.50 = 1,704.50
    assert_eq!(amount(&bill, "energy"), dec!(1704.50));
    // fixed 1.5 x 300 = 450
    assert_eq!(amount(&bill, "fixed"), dec!(450));
    // FCA 150 x 2.0581 = 308.715 -> 308.72 (half away from zero)
    assert_eq!(amount(&bill, "fpa"), dec!(308.72));
    // QTA 150 x 0.5194 = 77.91
    assert_eq!(amount(&bill, "qta"), dec!(77.91));
    assert_no_tax_lines(&bill);
    // total 1,704.50 + 450 + 308.72 + 77.91 = 2,541.13
    assert_eq!(lines_total(&bill), dec!(2541.13));
    // current = round(1,704.50 + 450 + 77.91 = 2,232.41) = 2,232; FPA round(308.72) = 309
    assert_eq!(bill.current_bill_rs, dec!(2232));
    assert_eq!(bill.total_fpa_rs, dec!(309));
    assert_eq!(bill.payable_within_due_rs, dec!(2541));

    // Protected 100 units, 1.5 kW: 100 x 10.54 = 1,054; 1.5 x 200 = 300;
    // FCA 100 x 2.0581 = 205.81; QTA 100 x 0.5194 = 51.94; total 1,611.75
    let h = flat_history("2026-09", 6, 100);
    let bill = compute_bill(&book, &input("A-1a", dec!(1.5), "2026-09", 100, &h)).unwrap();
    assert_eq!(bill.band, "protected");
    assert_eq!(amount(&bill, "energy"), dec!(1054));
    assert_eq!(amount(&bill, "fixed"), dec!(300));
    assert_eq!(amount(&bill, "fpa"), dec!(205.81));
    assert_eq!(amount(&bill, "qta"), dec!(51.94));
    assert_eq!(lines_total(&bill), dec!(1611.75));
}

#[test]
fn protected_needs_six_full_months_and_this_month_at_most_200() {
    let book = tariff_only_2026();
    // Five months only: not protected -> unprotected 150 x 28.91.
    let h = flat_history("2026-09", 5, 150);
    let bill = compute_bill(&book, &input("A-1a", dec!(1.5), "2026-09", 150, &h)).unwrap();
    assert_eq!(bill.band, "unprotected");
    assert_eq!(amount(&bill, "energy"), dec!(4336.50)); // 150 x 28.91
                                                        // One of the six months above 200: not protected.
    let mut h = flat_history("2026-09", 6, 150);
    h[3].1 = 201;
    let bill = compute_bill(&book, &input("A-1a", dec!(1.5), "2026-09", 150, &h)).unwrap();
    assert_eq!(bill.band, "unprotected");
    // Protected history but 230 units this month: whole month unprotected, 230 x 33.10 = 7,613.
    let h = flat_history("2026-09", 6, 150);
    let bill = compute_bill(&book, &input("A-1a", dec!(1.5), "2026-09", 230, &h)).unwrap();
    assert_eq!(bill.band, "unprotected");
    assert_eq!(amount(&bill, "energy"), dec!(7613.00));
}

// ------------------------------------------------------------------------------------- G6

#[test]
fn g6_lifeline() {
    let book = tariff_only_2026();
    // Sep-2026 carries FCA (Jul-26) and QTA: lifeline is exempt from both; no fixed charge.
    let h = flat_history("2026-09", 12, 50);
    // 50 units -> 50 x 3.95 = 197.50 (>= 75 minimum, no top-up)
    let bill = compute_bill(&book, &input("A-1a", dec!(1), "2026-09", 50, &h)).unwrap();
    assert_eq!(bill.band, "lifeline");
    assert_eq!(amount(&bill, "energy"), dec!(197.50));
    assert_eq!(lines_total(&bill), dec!(197.50));
    assert!(
        bill.line("fpa").is_none() && bill.line("qta").is_none() && bill.line("fixed").is_none()
    );
    // 51 units -> all at the slab reached: 51 x 7.74 = 394.74 (no slab benefit)
    let bill = compute_bill(&book, &input("A-1a", dec!(1), "2026-09", 51, &h)).unwrap();
    assert_eq!(bill.band, "lifeline");
    assert_eq!(lines_total(&bill), dec!(394.74));
    // 10 units, SL 0.5 kW -> energy 10 x 3.95 = 39.50 + minimum-charge top-up 75 - 39.50 = 35.50
    let bill = compute_bill(&book, &input("A-1a", dec!(0.5), "2026-09", 10, &h)).unwrap();
    assert_eq!(amount(&bill, "energy"), dec!(39.50));
    assert_eq!(amount(&bill, "minimum_charge"), dec!(35.50));
    // The line is 1 x the top-up (1 x 75 would not give 35.50).
    assert_eq!(
        qra(&bill, "minimum_charge"),
        [(dec!(1), dec!(35.50), dec!(35.50))]
    );
    assert_eq!(lines_total(&bill), dec!(75.00));
    // 0 units -> minimum charge 75.00
    let bill = compute_bill(&book, &input("A-1a", dec!(1), "2026-09", 0, &[])).unwrap();
    assert_eq!(bill.band, "lifeline");
    assert_eq!(lines_total(&bill), dec!(75.00));
    assert_eq!(bill.current_bill_rs, dec!(75));
}

#[test]
fn lifeline_eligibility_rules() {
    let book = tariff_only_2026();
    // 3-phase, or SL above 1 kW, or a month above 100 in the last 12: not lifeline.
    let mut inp = input("A-1a", dec!(1), "2026-10", 50, &[]);
    inp.phase = 3;
    assert_ne!(compute_bill(&book, &inp).unwrap().band, "lifeline");
    let inp = input("A-1a", dec!(1.01), "2026-10", 50, &[]);
    assert_ne!(compute_bill(&book, &inp).unwrap().band, "lifeline");
    let h = [(ym("2025-11"), 101)];
    let inp = input("A-1a", dec!(1), "2026-10", 50, &h);
    assert_ne!(compute_bill(&book, &inp).unwrap().band, "lifeline");
    // A month 13 months back does not count.
    let h = [(ym("2025-09"), 300)];
    let inp = input("A-1a", dec!(1), "2026-10", 50, &h);
    assert_eq!(compute_bill(&book, &inp).unwrap().band, "lifeline");
}

// ------------------------------------------------------------------------------------- G7

#[test]
fn g7_commercial_a2a_aug_2026() {
    let book = tariff_only_2026();
    let h = [(ym("2026-06"), 300)]; // FCA reference month Jun-26
    let bill = compute_bill(&book, &input("A-2a", dec!(3), "2026-08", 300, &h)).unwrap();
    assert_eq!(bill.band, "flat");
    // energy 300 x 37.44 = 11,232; fixed 1,000 per consumer
    assert_eq!(amount(&bill, "energy"), dec!(11232));
    assert_eq!(amount(&bill, "fixed"), dec!(1000));
    // FCA 300 x 0.7503 = 225.09; QTA 300 x -1.9857 = -595.71
    assert_eq!(amount(&bill, "fpa"), dec!(225.09));
    assert_eq!(amount(&bill, "qta"), dec!(-595.71));
    assert_no_tax_lines(&bill);
    // total 11,232 + 1,000 + 225.09 - 595.71 = 11,861.38
    assert_eq!(lines_total(&bill), dec!(11861.38));
}

// ------------------------------------------------------------------------------------- G8

#[test]
fn g8_residential_tou_a1b_oct_2026() {
    let book = tariff_only_2026();
    let mut inp = input("A-1b", dec!(6), "2026-10", 800, &[]);
    inp.units_peak_kwh = 200;
    inp.phase = 3;
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(bill.band, "tou");
    assert_eq!(bill.units_kwh, 1000);
    let energy: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| l.line == "energy")
        .map(|l| l.amount_rs)
        .collect();
    // peak 200 x 46.85 = 9,370; off-peak 800 x 34.53 = 27,624
    assert_eq!(energy, vec![dec!(9370.00), dec!(27624.00)]);
    // fixed: billing demand max(50% x 6, MDI 0) = 3 kW x 675 = 2,025
    assert_eq!(bill.billing_demand_kw, dec!(3));
    assert_eq!(amount(&bill, "fixed"), dec!(2025));
    // QTA 1,000 x 0.5194 = 519.40
    assert_eq!(amount(&bill, "qta"), dec!(519.40));
    // total 9,370 + 27,624 + 2,025 + 519.40 = 39,538.40
    assert_eq!(lines_total(&bill), dec!(39538.40));

    // Same with MDI 4 kW: billing demand max(3, 4) = 4 -> fixed 4 x 675 = 2,700; total 40,213.40
    inp.mdi_kw = dec!(4);
    let bill = compute_bill(&book, &inp).unwrap();
    assert_eq!(bill.billing_demand_kw, dec!(4));
    assert_eq!(amount(&bill, "fixed"), dec!(2700));
    assert_eq!(lines_total(&bill), dec!(40213.40));
}

// ------------------------------------------------------------------------------------- G9

#[test]
fn g9_commercial_tou_a2c_sep_2026() {
    let book = tariff_only_2026();
    let h = [(ym("2026-07"), 1500)]; // FCA reference month Jul-26
    let mut inp = input("A-2c", dec!(10), "2026-09", 1200, &h);
    inp.units_peak_kwh = 300;
    inp.phase = 3;
    let bill = compute_bill(&book, &inp).unwrap();
    // peak 300 x 43.82 = 13,146; off-peak 1,200 x 35.15 = 42,180
    assert_eq!(amount(&bill, "energy"), dec!(55326));
    // fixed max(25% x 10, 0) = 2.5 kW x 1,250 = 3,125
    assert_eq!(amount(&bill, "fixed"), dec!(3125));
    // FCA 1,500 x 2.0581 = 3,087.15; QTA 1,500 x 0.5194 = 779.10
    assert_eq!(amount(&bill, "fpa"), dec!(3087.15));
    assert_eq!(amount(&bill, "qta"), dec!(779.10));
    // total 13,146 + 42,180 + 3,125 + 3,087.15 + 779.10 = 62,317.25
    assert_eq!(lines_total(&bill), dec!(62317.25));
}

// ------------------------------------------------------------------------------------- G12-G15

// Industrial golden bills on the full builtin book. Rates are the press-only (UNCONFIRMED)
// S.R.O. 279(I)/2026 industrial rows of `sro-279-2026.toml`; the other figures come from
// `taxes.toml` (GST 18% on energy + fixed + minimum + FC + QTA + ED; FC surcharge 3.23, only
// lifeline exempt; ED 0% everywhere from Jul-2025, so no ED / ED-on-FPA line; NJ 0 from 2023,
// no line; no PTV fee for industrial), `withholding-taxes.toml` (further tax 4% of energy +
// fixed + min + PF + FC + QTA + NJ, no STRN only; extra tax 17% of that + ED + PTV, no STRN or
// not on ATL; income tax s.235 on every current line before it: 0 to 500, 10% of the whole
// to 20,000, 1,950 + 5% of the excess over 20,000, slab picked on the base rounded to rupees),
// `adjustments-2026.toml` (FPA of fuel month m in bill month m+2 on m's units, GST on FPA at
// the fuel month's 18%, whole rupees; QTA on current units) and `terms.toml` (10 due days past
// Sundays / holidays; LPS 10% x (energy + FC + QTA + NJ), whole rupees). Every line is
// computed unrounded, printed to the paisa; bases use the unrounded amounts.

/// A three-phase industrial consumer's 30-day reading on the full builtin book.
#[allow(clippy::too_many_arguments)]
fn industrial<'a>(
    disco: &'a str,
    province: &'a str,
    tariff: &'a str,
    sl: Decimal,
    cycle: &str,
    issue_date: NaiveDate,
    (offpeak, peak): (u64, u64),
    mdi: Decimal,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    BillInput {
        disco,
        tariff,
        sanctioned_load_kw: sl,
        phase: 3,
        province,
        cycle: ym(cycle),
        issue_date,
        period_days: 30,
        units_offpeak_kwh: offpeak,
        units_peak_kwh: peak,
        mdi_kw: mdi,
        history,
        arrears_rs: Decimal::ZERO,
        atl: true,
    }
}

fn strn(registered: bool) -> BillExtras {
    BillExtras {
        strn_registered: registered,
        ..BillExtras::default()
    }
}

/// (quantity, rate, amount) of every line with this name, in bill order.
fn qra(bill: &Bill, name: &str) -> Vec<(Decimal, Decimal, Decimal)> {
    bill.lines
        .iter()
        .filter(|l| l.line == name)
        .map(|l| (l.quantity, l.rate, l.amount_rs))
        .collect()
}

fn line_names(bill: &Bill) -> Vec<&'static str> {
    bill.lines.iter().map(|l| l.line).collect()
}

#[test]
fn g12_industrial_b1_mar_2026_no_strn() {
    let book = TariffBook::builtin().unwrap();
    // LESCO small workshop, SL 10 kW, 437 units on one register; Jan-26 (the FPA reference
    // month of the Mar-26 bill) billed 383 units. On the ATL, no STRN.
    let h = [(ym("2026-01"), 383), (ym("2026-02"), 402)];
    let inp = industrial(
        "LESCO",
        "Punjab",
        "B-1",
        dec!(10),
        "2026-03",
        day(2026, 3, 13),
        (437, 0),
        dec!(8.6),
        &h,
    );
    let bill = compute_bill_with(&book, &inp, &strn(false)).unwrap();
    assert_eq!(bill.band, "flat");
    assert_eq!(bill.units_kwh, 437);
    assert_eq!(
        line_names(&bill),
        [
            "energy",
            "fixed",
            "fc_surcharge",
            "qta",
            "gst",
            "further_tax",
            "extra_tax",
            "income_tax",
            "fpa",
            "gst_on_fpa",
            "lps"
        ]
    );
    // energy (flat, UNCONFIRMED 'average' 26.03): 437 x 26.03 = 11,375.11
    assert_eq!(
        qra(&bill, "energy"),
        [(dec!(437), dec!(26.03), dec!(11375.11))]
    );
    assert!(bill.line("energy").unwrap().rule.contains("UNCONFIRMED"));
    // fixed: Rs 1,000 per consumer (not per kW; MDI 8.6 kW plays no part) = 1,000.00
    assert_eq!(qra(&bill, "fixed"), [(dec!(1), dec!(1000), dec!(1000.00))]);
    assert_eq!(bill.billing_demand_kw, dec!(0));
    // FC surcharge: 437 x 3.23 = 1,411.51
    assert_eq!(
        qra(&bill, "fc_surcharge"),
        [(dec!(437), dec!(3.23), dec!(1411.51))]
    );
    // QTA FY2025-26-Q2 (Mar-May 2026 bills, ~0.35 UNCONFIRMED): 437 x 0.35 = 152.95
    assert_eq!(qra(&bill, "qta"), [(dec!(437), dec!(0.35), dec!(152.95))]);
    // ED: 0% (Jul-2025 onwards) -> no line
    assert!(bill.line("ed").is_none());
    // GST: 18% x (11,375.11 + 1,000 + 1,411.51 + 152.95 = 13,939.57) = 2,509.1226 -> 2,509.12
    assert_eq!(
        qra(&bill, "gst"),
        [(dec!(13939.57), dec!(0.18), dec!(2509.12))]
    );
    // further tax (no STRN): 4% x 13,939.57 = 557.5828 -> 557.58
    assert_eq!(
        qra(&bill, "further_tax"),
        [(dec!(13939.57), dec!(0.04), dec!(557.58))]
    );
    // extra tax (no STRN): 17% x 13,939.57 = 2,369.7269 -> 2,369.73
    assert_eq!(
        qra(&bill, "extra_tax"),
        [(dec!(13939.57), dec!(0.17), dec!(2369.73))]
    );
    // income tax: base 13,939.57 + 2,509.1226 + 557.5828 + 2,369.7269 = 19,376.0023 (<= 20,000)
    // -> 10% of the whole = 1,937.60023 -> 1,937.60
    assert_eq!(
        qra(&bill, "income_tax"),
        [(dec!(19376.0023), dec!(0.10), dec!(1937.60))]
    );
    // current: 11,375.11 + 1,000 + 1,411.51 + 152.95 + 2,509.12 + 557.58 + 2,369.73 + 1,937.60
    // = 21,313.60 -> 21,314
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(21313.60));
    assert_eq!(bill.current_bill_rs, dec!(21314));
    // FPA (Jan-26, 1.6274) on Jan's 383 units = 623.2942 -> 623.29; no ED on FPA (0%)
    assert_eq!(qra(&bill, "fpa"), [(dec!(383), dec!(1.6274), dec!(623.29))]);
    assert!(bill.line("ed_on_fpa").is_none());
    // GST on FPA: 18% (Jan-26) x 623.2942 = 112.192956 -> 112 (whole rupees)
    assert_eq!(
        qra(&bill, "gst_on_fpa"),
        [(dec!(623.2942), dec!(0.18), dec!(112))]
    );
    // total FPA: 623.29 + 112 = 735.29 -> 735
    assert_eq!(bill.lines_total_rs(LineBlock::Fpa), dec!(735.29));
    assert_eq!(bill.total_fpa_rs, dec!(735));
    // payable within due date: 0 + 21,314 + 735 = 22,049
    assert_eq!(bill.payable_within_due_rs, dec!(22049));
    // LPS: 10% x (11,375.11 + 1,411.51 + 152.95 = 12,939.57) = 1,293.957 -> 1,294
    assert_eq!(
        qra(&bill, "lps"),
        [(dec!(12939.57), dec!(0.10), dec!(1294))]
    );
    assert_eq!(bill.lps_rs, dec!(1294));
    // payable after due date: 22,049 + 1,294 = 23,343
    assert_eq!(bill.payable_after_due_rs, dec!(23343));
    // due: Fri 13-Mar + 10 = Mon 23-Mar (Pakistan Day) -> Tue 24-Mar
    assert_eq!(bill.due_date, day(2026, 3, 24));
}

#[test]
fn g13_industrial_tou_b1b_aug_2026_negative_qta() {
    let book = TariffBook::builtin().unwrap();
    // FESCO, SL 20 kW TOU, 600 peak + 2,900 off-peak, MDI 17.2 kW; Jun-26 (FPA reference of
    // the Aug-26 bill) billed 3,300 units; Rs 2,500 paid in advance (arrears -2,500).
    // STRN registered and on the ATL: no further / extra tax.
    let h = [(ym("2026-06"), 3300), (ym("2026-07"), 3450)];
    let mut inp = industrial(
        "FESCO",
        "Punjab",
        "B-1b",
        dec!(20),
        "2026-08",
        day(2026, 8, 6),
        (2900, 600),
        dec!(17.2),
        &h,
    );
    inp.arrears_rs = dec!(-2500);
    let bill = compute_bill_with(&book, &inp, &strn(true)).unwrap();
    assert_eq!(bill.band, "tou");
    assert_eq!(bill.units_kwh, 3500);
    assert_eq!(
        line_names(&bill),
        [
            "energy",
            "energy",
            "fixed",
            "fc_surcharge",
            "qta",
            "gst",
            "income_tax",
            "income_tax",
            "fpa",
            "gst_on_fpa",
            "lps"
        ]
    );
    // peak 600 x 35.74 = 21,444.00; off-peak 2,900 x 25.48 = 73,892.00
    assert_eq!(
        qra(&bill, "energy"),
        [
            (dec!(600), dec!(35.74), dec!(21444.00)),
            (dec!(2900), dec!(25.48), dec!(73892.00))
        ]
    );
    // fixed: Rs 1,000 per consumer (B-1b is per consumer in the data, not per kW)
    assert_eq!(qra(&bill, "fixed"), [(dec!(1), dec!(1000), dec!(1000.00))]);
    assert_eq!(bill.billing_demand_kw, dec!(0));
    // FC surcharge: 3,500 x 3.23 = 11,305.00
    assert_eq!(
        qra(&bill, "fc_surcharge"),
        [(dec!(3500), dec!(3.23), dec!(11305.00))]
    );
    // QTA CY2026-Q1 (Jun-Aug 2026): 3,500 x -1.9857 = -6,949.95
    assert_eq!(
        qra(&bill, "qta"),
        [(dec!(3500), dec!(-1.9857), dec!(-6949.95))]
    );
    assert!(bill.line("ed").is_none());
    // GST: 18% x (21,444 + 73,892 + 1,000 + 11,305 - 6,949.95 = 100,691.05) = 18,124.389
    // -> 18,124.39
    assert_eq!(
        qra(&bill, "gst"),
        [(dec!(100691.05), dec!(0.18), dec!(18124.39))]
    );
    // income tax: base 100,691.05 + 18,124.389 = 118,815.439 > 20,000
    // -> 1,950 + 5% x 98,815.439 = 1,950 + 4,940.77195 = 6,890.77195, printed as two lines:
    // the slab's fixed part 1 x 1,950 = 1,950.00 and the excess over 20,000,
    // 98,815.439 x 5% = 4,940.77195 -> 4,940.77 (together 6,890.77, as before the split)
    assert_eq!(
        qra(&bill, "income_tax"),
        [
            (dec!(1), dec!(1950), dec!(1950.00)),
            (dec!(98815.439), dec!(0.05), dec!(4940.77))
        ]
    );
    assert_eq!(amount(&bill, "income_tax"), dec!(6890.77));
    // current: 100,691.05 + 18,124.39 + 6,890.77 = 125,706.21 -> 125,706
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(125706.21));
    assert_eq!(bill.current_bill_rs, dec!(125706));
    // FPA (Jun-26, 0.7503) on Jun's 3,300 units = 2,475.99
    assert_eq!(
        qra(&bill, "fpa"),
        [(dec!(3300), dec!(0.7503), dec!(2475.99))]
    );
    // GST on FPA: 18% x 2,475.99 = 445.6782 -> 446
    assert_eq!(
        qra(&bill, "gst_on_fpa"),
        [(dec!(2475.99), dec!(0.18), dec!(446))]
    );
    // total FPA: 2,475.99 + 446 = 2,921.99 -> 2,922
    assert_eq!(bill.total_fpa_rs, dec!(2922));
    // payable within due date: -2,500 + 125,706 + 2,922 = 126,128
    assert_eq!(bill.payable_within_due_rs, dec!(126128));
    // LPS: 10% x (21,444 + 73,892 + 11,305 - 6,949.95 = 99,691.05) = 9,969.105 -> 9,969
    assert_eq!(
        qra(&bill, "lps"),
        [(dec!(99691.05), dec!(0.10), dec!(9969))]
    );
    // payable after due date: 126,128 + 9,969 = 136,097
    assert_eq!(bill.payable_after_due_rs, dec!(136097));
    // due: Thu 6-Aug + 10 = Sun 16-Aug -> Mon 17-Aug
    assert_eq!(bill.due_date, day(2026, 8, 17));
}

#[test]
fn g14_industrial_b2a_oct_2026_demand_share_above_mdi() {
    let book = TariffBook::builtin().unwrap();
    // PESCO (KP), SL 150 kW non-TOU, 9,800 units, MDI 30.4 kW; Oct-26 bills carry no FPA
    // (the Aug-26 FCA is not notified). STRN registered but NOT on the ATL: extra tax, no
    // further tax. Arrears 45,210.
    let h = [(ym("2026-08"), 10100), (ym("2026-09"), 9650)];
    let mut inp = industrial(
        "PESCO",
        "KP",
        "B-2a",
        dec!(150),
        "2026-10",
        day(2026, 10, 6),
        (9800, 0),
        dec!(30.4),
        &h,
    );
    inp.atl = false;
    inp.arrears_rs = dec!(45210);
    let bill = compute_bill_with(&book, &inp, &strn(true)).unwrap();
    assert_eq!(bill.band, "flat");
    assert_eq!(
        line_names(&bill),
        [
            "energy",
            "fixed",
            "fc_surcharge",
            "qta",
            "gst",
            "extra_tax",
            "income_tax",
            "income_tax",
            "lps"
        ]
    );
    // energy (flat, UNCONFIRMED 'average' 26.16): 9,800 x 26.16 = 256,368.00
    assert_eq!(
        qra(&bill, "energy"),
        [(dec!(9800), dec!(26.16), dec!(256368.00))]
    );
    // billing demand = max(25% x 150 = 37.5, MDI 30.4) = 37.5 kW; fixed 37.5 x 1,250 = 46,875.00
    assert_eq!(bill.billing_demand_kw, dec!(37.5));
    assert_eq!(
        qra(&bill, "fixed"),
        [(dec!(37.5), dec!(1250), dec!(46875.00))]
    );
    // FC surcharge: 9,800 x 3.23 = 31,654.00
    assert_eq!(
        qra(&bill, "fc_surcharge"),
        [(dec!(9800), dec!(3.23), dec!(31654.00))]
    );
    // QTA CY2026-Q2 (Sep-Nov 2026): 9,800 x 0.5194 = 5,090.12
    assert_eq!(
        qra(&bill, "qta"),
        [(dec!(9800), dec!(0.5194), dec!(5090.12))]
    );
    // ED: KP industrial 1% ended 30-Jun-2025; 0% since -> no line
    assert!(bill.line("ed").is_none());
    // GST: 18% x (256,368 + 46,875 + 31,654 + 5,090.12 = 339,987.12) = 61,197.6816 -> 61,197.68
    assert_eq!(
        qra(&bill, "gst"),
        [(dec!(339987.12), dec!(0.18), dec!(61197.68))]
    );
    // extra tax (not on ATL): 17% x 339,987.12 = 57,797.8104 -> 57,797.81
    assert_eq!(
        qra(&bill, "extra_tax"),
        [(dec!(339987.12), dec!(0.17), dec!(57797.81))]
    );
    // income tax: base 339,987.12 + 61,197.6816 + 57,797.8104 = 458,982.612
    // -> 1,950 + 5% x 438,982.612 = 1,950 + 21,949.1306 = 23,899.1306: fixed part
    // 1 x 1,950 = 1,950.00, excess 438,982.612 x 5% = 21,949.1306 -> 21,949.13
    // (together 23,899.13)
    assert_eq!(
        qra(&bill, "income_tax"),
        [
            (dec!(1), dec!(1950), dec!(1950.00)),
            (dec!(438982.612), dec!(0.05), dec!(21949.13))
        ]
    );
    assert_eq!(amount(&bill, "income_tax"), dec!(23899.13));
    // current: 339,987.12 + 61,197.68 + 57,797.81 + 23,899.13 = 482,881.74 -> 482,882
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(482881.74));
    assert_eq!(bill.current_bill_rs, dec!(482882));
    // no FPA month carried by Oct-26
    assert!(bill.line("fpa").is_none() && bill.line("gst_on_fpa").is_none());
    assert_eq!(bill.total_fpa_rs, dec!(0));
    // payable within due date: 45,210 + 482,882 + 0 = 528,092
    assert_eq!(bill.payable_within_due_rs, dec!(528092));
    // LPS: 10% x (256,368 + 31,654 + 5,090.12 = 293,112.12) = 29,311.212 -> 29,311 (fixed
    // charge not in the base; arrears not in the base)
    assert_eq!(
        qra(&bill, "lps"),
        [(dec!(293112.12), dec!(0.10), dec!(29311))]
    );
    // payable after due date: 528,092 + 29,311 = 557,403
    assert_eq!(bill.payable_after_due_rs, dec!(557403));
    // due: Tue 6-Oct + 10 = Fri 16-Oct
    assert_eq!(bill.due_date, day(2026, 10, 16));

    // MDI above the share: max(37.5, 52) = 52 kW -> fixed 52 x 1,250 = 65,000.00
    inp.mdi_kw = dec!(52);
    let bill = compute_bill_with(&book, &inp, &strn(true)).unwrap();
    assert_eq!(bill.billing_demand_kw, dec!(52));
    assert_eq!(amount(&bill, "fixed"), dec!(65000.00));
}

#[test]
fn g15_industrial_tou_b3_sep_2026_demand_from_mdi() {
    let book = TariffBook::builtin().unwrap();
    // HESCO (Sindh) 11 kV mill, SL 2,000 kW, MDI 1,350 kW, 95,000 peak + 480,000 off-peak;
    // Jul-26 (FPA reference of the Sep-26 bill) billed 560,000 units. STRN and ATL.
    let h = [(ym("2026-07"), 560_000), (ym("2026-08"), 548_000)];
    let inp = industrial(
        "HESCO",
        "Sindh",
        "B-3",
        dec!(2000),
        "2026-09",
        day(2026, 9, 4),
        (480_000, 95_000),
        dec!(1350),
        &h,
    );
    let bill = compute_bill_with(&book, &inp, &strn(true)).unwrap();
    assert_eq!(bill.band, "tou");
    assert_eq!(bill.units_kwh, 575_000);
    assert_eq!(
        line_names(&bill),
        [
            "energy",
            "energy",
            "fixed",
            "fc_surcharge",
            "qta",
            "gst",
            "income_tax",
            "income_tax",
            "fpa",
            "gst_on_fpa",
            "lps"
        ]
    );
    // peak 95,000 x 35.68 = 3,389,600.00; off-peak 480,000 x 23.67 = 11,361,600.00
    assert_eq!(
        qra(&bill, "energy"),
        [
            (dec!(95000), dec!(35.68), dec!(3389600.00)),
            (dec!(480000), dec!(23.67), dec!(11361600.00))
        ]
    );
    // billing demand = max(25% x 2,000 = 500, MDI 1,350) = 1,350 kW;
    // fixed 1,350 x 1,250 = 1,687,500.00
    assert_eq!(bill.billing_demand_kw, dec!(1350));
    assert_eq!(
        qra(&bill, "fixed"),
        [(dec!(1350), dec!(1250), dec!(1687500.00))]
    );
    assert!(bill.line("fixed").unwrap().rule.contains("billing demand"));
    // FC surcharge: 575,000 x 3.23 = 1,857,250.00
    assert_eq!(
        qra(&bill, "fc_surcharge"),
        [(dec!(575000), dec!(3.23), dec!(1857250.00))]
    );
    // QTA CY2026-Q2: 575,000 x 0.5194 = 298,655.00
    assert_eq!(
        qra(&bill, "qta"),
        [(dec!(575000), dec!(0.5194), dec!(298655.00))]
    );
    assert!(bill.line("ed").is_none());
    // GST: 18% x (3,389,600 + 11,361,600 + 1,687,500 + 1,857,250 + 298,655 = 18,594,605)
    // = 3,347,028.90
    assert_eq!(
        qra(&bill, "gst"),
        [(dec!(18594605), dec!(0.18), dec!(3347028.90))]
    );
    // income tax: base 18,594,605 + 3,347,028.90 = 21,941,633.90
    // -> 1,950 + 5% x 21,921,633.90 = 1,950 + 1,096,081.695 = 1,098,031.695: fixed part
    // 1 x 1,950 = 1,950.00, excess 21,921,633.90 x 5% = 1,096,081.695 -> 1,096,081.70 (half
    // away from zero; together 1,098,031.70)
    assert_eq!(
        qra(&bill, "income_tax"),
        [
            (dec!(1), dec!(1950), dec!(1950.00)),
            (dec!(21921633.90), dec!(0.05), dec!(1096081.70))
        ]
    );
    assert_eq!(amount(&bill, "income_tax"), dec!(1098031.70));
    // current: 18,594,605 + 3,347,028.90 + 1,098,031.70 = 23,039,665.60 -> 23,039,666
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(23039665.60));
    assert_eq!(bill.current_bill_rs, dec!(23039666));
    // FPA (Jul-26, 2.0581) on Jul's 560,000 units = 1,152,536.00
    assert_eq!(
        qra(&bill, "fpa"),
        [(dec!(560000), dec!(2.0581), dec!(1152536.00))]
    );
    // GST on FPA: 18% x 1,152,536 = 207,456.48 -> 207,456
    assert_eq!(
        qra(&bill, "gst_on_fpa"),
        [(dec!(1152536), dec!(0.18), dec!(207456))]
    );
    // total FPA: 1,152,536 + 207,456 = 1,359,992
    assert_eq!(bill.total_fpa_rs, dec!(1359992));
    // payable within due date: 23,039,666 + 1,359,992 = 24,399,658
    assert_eq!(bill.payable_within_due_rs, dec!(24399658));
    // LPS: 10% x (14,751,200 + 1,857,250 + 298,655 = 16,907,105) = 1,690,710.5 -> 1,690,711
    // (half away from zero)
    assert_eq!(
        qra(&bill, "lps"),
        [(dec!(16907105), dec!(0.10), dec!(1690711))]
    );
    // payable after due date: 24,399,658 + 1,690,711 = 26,090,369
    assert_eq!(bill.payable_after_due_rs, dec!(26090369));
    // due: Fri 4-Sep + 10 = Mon 14-Sep
    assert_eq!(bill.due_date, day(2026, 9, 14));
}

// ------------------------------------------------------------------------------------- KNOWN-CASES B

/// August 2022 rates (KNOWN-CASES.md B, fixture data only, not shipped as a tariff).
const AUG_2022_FIXTURE: &str = r#"
[[schedule]]
id = "FIXTURE-AUG-2022"
sro = "fixture: Profit 2022-09-12 rates (KNOWN-CASES B)"
effective_from = "2022-08-01"
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
effective_from = "2022-01-01"
due_days = 10
lps_percent = "10"
lps_base = ["energy"]
source = "fixture"
"#;

#[test]
fn b04_short_cycle_is_never_scaled_up() {
    let mut book = TariffBook::empty();
    book.load_toml(AUG_2022_FIXTURE).unwrap();
    // Protected consumer read 2024-05-03 .. 2024-05-30 (27 days), 195 units metered.
    let h = flat_history("2024-06", 6, 180);
    let mut inp = input("A-1a", dec!(2), "2024-06", 195, &h);
    inp.period_days = 27;
    inp.issue_date = day(2024, 6, 1);
    let bill = compute_bill(&book, &inp).unwrap();
    // Billed units = metered units (not 195 x 30 / 27 = 216.7 -> 217, which would make the
    // consumer unprotected); protected status kept.
    assert_eq!(bill.units_kwh, 195);
    assert_eq!(bill.band, "protected");
    // 100 x 7.74 + 95 x 10.06 = 774 + 955.70 = 1,729.70
    assert_eq!(amount(&bill, "energy"), dec!(1729.70));
    // The period length changes nothing.
    inp.period_days = 30;
    assert_eq!(compute_bill(&book, &inp).unwrap().lines, bill.lines);
}

#[test]
fn b06_fca_on_reference_month_units_with_gst() {
    let mut book = TariffBook::empty();
    book.load_toml(AUG_2022_FIXTURE).unwrap();
    book.load_toml(
        r#"
[[fpa]]
fuel_month = "2022-06"
rate = "2.50"
sro = "fixture: FCA June 2022 (KNOWN-CASES B06)"
exempt_bands = ["lifeline"]
[[gst]]
effective_from = "2022-01-01"
percent = "18"
base = ["energy", "fixed", "fc_surcharge", "qta", "ed"]
source = "fixture (B06 states GST 18%)"
"#,
    )
    .unwrap();
    // R1: June 180, July 260, August 240; June's FCA is charged in the August bill.
    let h = [(ym("2022-06"), 180), (ym("2022-07"), 260)];
    let mut inp = input("A-1a", dec!(2), "2022-08", 240, &h);
    inp.issue_date = day(2022, 8, 5);
    let bill = compute_bill(&book, &inp).unwrap();
    // FCA = 180 x 2.50 = 450 (not 240 x 2.50 = 600)
    let fpa = bill.line("fpa").unwrap();
    assert_eq!((fpa.quantity, fpa.amount_rs), (dec!(180), dec!(450.00)));
    // GST on FCA = 18% x 450 = 81
    assert_eq!(amount(&bill, "gst_on_fpa"), dec!(81));
    assert_eq!(bill.total_fpa_rs, dec!(531));

    // Reference month absent from history: 0 units, and the rule says so.
    let h = [(ym("2022-07"), 260)];
    let mut inp = input("A-1a", dec!(2), "2022-08", 240, &h);
    inp.issue_date = day(2022, 8, 5);
    let bill = compute_bill(&book, &inp).unwrap();
    let fpa = bill.line("fpa").unwrap();
    assert_eq!(fpa.amount_rs, dec!(0));
    assert!(fpa.rule.contains("not in history"), "{}", fpa.rule);
}

#[test]
fn a_revised_fpa_notification_replaces_the_earlier_one() {
    let mut book = TariffBook::empty();
    book.load_toml(AUG_2022_FIXTURE).unwrap();
    let fca = |rev: u32, rate: &str, exempt: &str| {
        format!(
            "[[fpa]]\nfuel_month = \"2022-06\"\nrevision = {rev}\nrate = \"{rate}\"\nsro = \"fixture rev {rev}\"\nexempt_bands = [{exempt}]\n"
        )
    };
    let lifeline = "\"lifeline\"";
    book.load_toml(&fca(0, "2.50", lifeline)).unwrap();
    let h = [(ym("2022-06"), 180), (ym("2022-07"), 260)];
    let mut inp = input("A-1a", dec!(2), "2022-08", 240, &h);
    inp.issue_date = day(2022, 8, 5);
    let first = compute_bill(&book, &inp).unwrap();
    assert_eq!(amount(&first, "fpa"), dec!(450.00)); // 180 x 2.50
    assert!(first.versions.contains("FPA 2022-06"), "{}", first.versions);

    // The same fuel month again, without a revision number, is a duplicate; so is revision 0.
    for text in [
        "[[fpa]]\nfuel_month = \"2022-06\"\nrate = \"3.00\"\nsro = \"again\"\nexempt_bands = []\n"
            .to_string(),
        fca(0, "3.00", lifeline),
    ] {
        let err = book.load_toml(&text).unwrap_err();
        assert!(
            matches!(&err, BillingError::Duplicate { kind: "FPA fuel month", key } if key.contains("revision = 1")),
            "{err:?}"
        );
    }
    // A revision that skips one, or revises a month never loaded, is refused.
    let err = book.load_toml(&fca(2, "3.00", lifeline)).unwrap_err();
    assert!(
        matches!(
            err,
            BillingError::DataInvalid {
                field: "revision",
                ..
            }
        ),
        "{err:?}"
    );
    let err = book
        .load_toml("[[fpa]]\nfuel_month = \"2022-05\"\nrevision = 1\nrate = \"1\"\nsro = \"x\"\nexempt_bands = []\n")
        .unwrap_err();
    assert!(
        matches!(
            err,
            BillingError::DataInvalid {
                field: "revision",
                ..
            }
        ),
        "{err:?}"
    );

    // Revision 1 (rate 3.10): the August bill now charges 180 x 3.10 = 558 and says which
    // revision it used.
    book.load_toml(&fca(1, "3.10", lifeline)).unwrap();
    let second = compute_bill(&book, &inp).unwrap();
    assert_eq!(amount(&second, "fpa"), dec!(558.00));
    assert!(
        second.versions.contains("FPA 2022-06 rev 1"),
        "{}",
        second.versions
    );
    assert_eq!(second.lines.iter().filter(|l| l.line == "fpa").count(), 1);
    // Revision 2 exempts the unprotected band (KNOWN-CASES B06's relief): no FPA line.
    book.load_toml(&fca(2, "3.10", "\"lifeline\", \"unprotected\""))
        .unwrap();
    let third = compute_bill(&book, &inp).unwrap();
    assert_eq!(amount(&third, "fpa"), dec!(0));
    assert_eq!(
        third.payable_within_due_rs,
        first.payable_within_due_rs - first.total_fpa_rs
    );
}

#[test]
fn a_missing_fpa_month_is_refused_naming_the_fuel_month_and_the_bill() {
    // adjustments-2026.toml lists the Feb-2026 FCA as a `missing = true` placeholder: every
    // Apr-2026 bill (which carries it) is refused, and the refusal says which fuel month, which
    // bill month, which bill and which placeholder.
    let book = tariff_only_2026();
    let h = flat_history("2026-04", 6, 150);
    let err = compute_bill(&book, &input("A-1a", dec!(2), "2026-04", 150, &h)).unwrap_err();
    assert_eq!(
        err,
        BillingError::AdjustmentNotNotified {
            adjustment: "FPA for fuel month 2026-02".into(),
            bill_month: ym("2026-04"),
            issue_date: day(2026, 4, 5),
            notice: "NEPRA FCA Feb-2026".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "FPA for fuel month 2026-02 (charged on bills of 2026-04) is not notified yet \
         (marked missing in NEPRA FCA Feb-2026); refusing the bill issued on 2026-04-05"
    );
    // A lifeline consumer too: the placeholder's exemptions are not applied (it is refused
    // before them).
    let h = flat_history("2026-04", 12, 40);
    let err = compute_bill(&book, &input("A-1a", dec!(1), "2026-04", 40, &h)).unwrap_err();
    assert!(
        matches!(err, BillingError::AdjustmentNotNotified { .. }),
        "{err:?}"
    );
    // A QTA placeholder is refused the same way.
    let mut book = tariff_only_2026();
    book.load_toml(
        "[[qta]]\nquarter = \"CY2026-Q3\"\nmissing = true\nsro = \"NEPRA QTA Q3 CY2026\"\nbill_months = [\"2026-12\"]\nexempt_bands = [\"lifeline\"]\n",
    )
    .unwrap();
    let err = compute_bill(&book, &input("A-1a", dec!(2), "2026-12", 150, &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "QTA CY2026-Q3 (charged on bills of 2026-12) is not notified yet (marked missing in \
         NEPRA QTA Q3 CY2026); refusing the bill issued on 2026-12-05"
    );
}

#[test]
fn the_notification_replaces_an_fpa_placeholder() {
    let mut book = tariff_only_2026();
    let fca = |month: &str, rev: u32, rate: Option<&str>| {
        let value = match rate {
            Some(r) => format!("rate = \"{r}\""),
            None => "missing = true".to_string(),
        };
        format!(
            "[[fpa]]\nfuel_month = \"{month}\"\nrevision = {rev}\n{value}\nsro = \"test {month} rev {rev}\"\nexempt_bands = [\"lifeline\"]\n"
        )
    };
    // Protected consumer, Feb-26 (the reference month of the Apr-26 bill) billed 150 units.
    let h = flat_history("2026-04", 6, 150);
    let apr = input("A-1a", dec!(2), "2026-04", 150, &h);
    assert!(compute_bill(&book, &apr).is_err());

    // The real Feb-2026 notification as revision 0 replaces the placeholder (it used to be
    // refused as a duplicate, forcing revision = 1).
    let summary = book.load_toml(&fca("2026-02", 0, Some("0.50"))).unwrap();
    assert_eq!(summary.fpa_months, 1);
    let bill = compute_bill(&book, &apr).unwrap();
    // FPA: 150 Feb-26 units x 0.50 = 75.00; one FPA line, the placeholder gone.
    assert_eq!(qra(&bill, "fpa"), [(dec!(150), dec!(0.50), dec!(75.00))]);
    assert!(bill.versions.contains("FPA 2026-02"), "{}", bill.versions);
    // A second real entry of the same revision is a duplicate; the next revision revises it.
    let err = book
        .load_toml(&fca("2026-02", 0, Some("0.60")))
        .unwrap_err();
    assert!(
        matches!(&err, BillingError::Duplicate { kind: "FPA fuel month", key } if key.contains("revision = 1")),
        "{err:?}"
    );
    book.load_toml(&fca("2026-02", 1, Some("0.60"))).unwrap();
    let bill = compute_bill(&book, &apr).unwrap();
    // 150 x 0.60 = 90.00
    assert_eq!(qra(&bill, "fpa"), [(dec!(150), dec!(0.60), dec!(90.00))]);
    assert!(
        bill.versions.contains("FPA 2026-02 rev 1"),
        "{}",
        bill.versions
    );

    // Any revision >= the placeholder's replaces it (here revision 1 of the Mar-2026 month),
    // and the one after it must be the next revision.
    book.load_toml(&fca("2026-03", 1, Some("0.25"))).unwrap();
    let h = flat_history("2026-05", 6, 150);
    let may = input("A-1a", dec!(2), "2026-05", 150, &h);
    // 150 Mar-26 units x 0.25 = 37.50
    assert_eq!(
        amount(&compute_bill(&book, &may).unwrap(), "fpa"),
        dec!(37.50)
    );
    for (rev, field_or_kind) in [(1, "FPA fuel month"), (3, "revision")] {
        let err = book
            .load_toml(&fca("2026-03", rev, Some("0.30")))
            .unwrap_err();
        let ok = match &err {
            BillingError::Duplicate { kind, .. } => *kind == field_or_kind,
            BillingError::DataInvalid { field, .. } => *field == field_or_kind,
            _ => false,
        };
        assert!(ok, "rev {rev}: {err:?}");
    }
    // A placeholder does not replace a placeholder, and a notification never goes below the
    // revision in force (Feb-2026 is at real revision 1).
    for (month, rev, rate) in [("2026-04", 0, None), ("2026-02", 0, Some("0.70"))] {
        let err = book.load_toml(&fca(month, rev, rate)).unwrap_err();
        assert!(
            matches!(
                err,
                BillingError::Duplicate {
                    kind: "FPA fuel month",
                    ..
                }
            ),
            "{month} rev {rev}: {err:?}"
        );
    }
    // A placeholder and its notification in one file: the notification is in force.
    let mut fresh = tariff_only_2026();
    let text = format!(
        "{}{}",
        fca("2026-08", 0, None),
        fca("2026-08", 0, Some("1.10"))
    );
    fresh.load_toml(&text).unwrap();
    let h = [(ym("2026-08"), 100)];
    let oct = input("A-1a", dec!(2), "2026-10", 100, &h);
    // 100 Aug-26 units x 1.10 = 110.00
    assert_eq!(
        qra(&compute_bill(&fresh, &oct).unwrap(), "fpa"),
        [(dec!(100), dec!(1.10), dec!(110.00))]
    );

    // A what-if of the notification on a book with the placeholder prices it, the book
    // itself unchanged.
    let base = tariff_only_2026();
    let (whatif, _) = base
        .with_override(&fca("2026-02", 0, Some("0.50")))
        .unwrap();
    assert_eq!(
        amount(&compute_bill(&whatif, &apr).unwrap(), "fpa"),
        dec!(75.00)
    );
    assert!(compute_bill(&base, &apr).is_err());
}

#[test]
fn the_decision_replaces_a_qta_placeholder() {
    let mut book = tariff_only_2026();
    let qta = |rate: Option<&str>, months: &str| {
        let value = match rate {
            Some(r) => format!("rate = \"{r}\""),
            None => "missing = true".to_string(),
        };
        format!(
            "[[qta]]\nquarter = \"CY2026-Q3\"\n{value}\nsro = \"test\"\nbill_months = [{months}]\nexempt_bands = [\"lifeline\"]\n"
        )
    };
    book.load_toml(&qta(None, "\"2026-12\"")).unwrap();
    let dec_bill = input("A-1a", dec!(2), "2026-12", 100, &[]);
    assert!(compute_bill(&book, &dec_bill).is_err());
    // The decision replaces the placeholder, with its own bill months.
    book.load_toml(&qta(Some("0.10"), "\"2026-12\", \"2027-01\""))
        .unwrap();
    // QTA 100 x 0.10 = 10.00, one line
    assert_eq!(
        qra(&compute_bill(&book, &dec_bill).unwrap(), "qta"),
        [(dec!(100), dec!(0.10), dec!(10.00))]
    );
    // A second decision for the quarter is a duplicate, and so is a placeholder after it.
    for text in [qta(Some("0.20"), "\"2026-12\""), qta(None, "\"2026-12\"")] {
        let err = book.load_toml(&text).unwrap_err();
        assert!(
            matches!(
                err,
                BillingError::Duplicate {
                    kind: "QTA quarter",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn fpa_and_qta_must_state_their_exemptions() {
    // BILLING-RULES 3.2: FPA and QTA are not charged to lifeline consumers. An entry that
    // omits exempt_bands used to mean "exempt none" and silently charged them; now it is
    // refused at load, naming the entry (fuel month / quarter) and the field.
    let mut book = tariff_only_2026();
    let before = book.rows().len();
    for (text, entry) in [
        (
            "[[fpa]]\nfuel_month = \"2026-08\"\nrate = \"1.00\"\nsro = \"S.R.O. test\"\n",
            "fpa 2026-08",
        ),
        (
            "[[qta]]\nquarter = \"CY2026-Q3\"\nrate = \"0.10\"\nsro = \"S.R.O. test\"\nbill_months = [\"2026-12\"]\n",
            "qta CY2026-Q3",
        ),
        (
            "[[fpa]]\nfuel_month = \"2026-08\"\nmissing = true\nsro = \"placeholder\"\n",
            "fpa 2026-08",
        ),
    ] {
        let err = book.load_toml(text).unwrap_err();
        match &err {
            BillingError::DataInvalid { item, field, .. } => {
                assert_eq!((item.as_str(), *field), (entry, "exempt_bands"), "{err}");
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(entry) && msg.contains("exempt_bands = []"), "{msg}");
    }
    assert_eq!(book.rows().len(), before);
    // Nothing was loaded: Oct-2026 lifeline and unprotected bills carry no FPA line.
    let h = flat_history("2026-10", 12, 40);
    let lifeline = input("A-1a", dec!(1), "2026-10", 40, &h);
    assert!(compute_bill(&book, &lifeline)
        .unwrap()
        .line("fpa")
        .is_none());

    // exempt_bands = [] states "none": then (and only then) a lifeline consumer pays it.
    book.load_toml(
        "[[fpa]]\nfuel_month = \"2026-08\"\nrate = \"1.00\"\nsro = \"S.R.O. test\"\nexempt_bands = []\n",
    )
    .unwrap();
    let h8 = [(ym("2026-08"), 40), (ym("2026-09"), 40)];
    let lifeline = input("A-1a", dec!(1), "2026-10", 40, &h8);
    let bill = compute_bill(&book, &lifeline).unwrap();
    assert_eq!(bill.band, "lifeline");
    // 40 units of Aug-26 x 1.00 = 40.00
    assert_eq!(amount(&bill, "fpa"), dec!(40.00));

    // The shipped decisions exempt lifeline: a lifeline consumer's Sep-2026 bill (FCA Jul-26,
    // QTA CY2026-Q2) on the builtin book carries neither.
    let builtin = TariffBook::builtin().unwrap();
    let h = flat_history("2026-09", 12, 40);
    let bill = compute_bill(&builtin, &input("A-1a", dec!(1), "2026-09", 40, &h)).unwrap();
    assert_eq!(bill.band, "lifeline");
    assert!(
        bill.line("fpa").is_none() && bill.line("qta").is_none(),
        "{bill:?}"
    );
}

#[test]
fn b1_is_for_loads_up_to_25_kw() {
    // CSM 7.5: an industrial connection above 25 kW is B-2; S.R.O. 279's B-1 / B-1b carry
    // max_load_kw = 25, so a B-1 bill for 30 kW (or an MDI of 26 kW) is refused, never billed.
    let book = TariffBook::builtin().unwrap();
    let h = flat_history("2026-10", 12, 2_000);
    let mut inp = input("B-1", dec!(25), "2026-10", 2_000, &h);
    inp.phase = 3;
    inp.province = "Punjab";
    inp.disco = "MEPCO";
    assert!(compute_bill(&book, &inp).is_ok(), "25 kW is B-1");
    for (sl, mdi) in [(dec!(30), dec!(0)), (dec!(20), dec!(26))] {
        inp.sanctioned_load_kw = sl;
        inp.mdi_kw = mdi;
        let err = compute_bill(&book, &inp).unwrap_err();
        assert!(
            matches!(&err, BillingError::BadInput { field: "sanctioned_load_kw", reason } if reason.contains("up to 25 kW") && reason.ends_with("bill it on B-2a")),
            "{err:?}"
        );
    }
}

#[test]
fn a1a_and_a2a_are_for_sanctioned_loads_below_5_kw() {
    // BILLING-RULES 1.1 / 2.4: A-1(a) is for a sanctioned load < 5 kW (>= 5 kW is A-1(b) TOU),
    // A-2(a) < 5 kW (>= 5 kW is A-2(b) until a TOU meter is fitted, then A-2(c)). S.R.O. 279's
    // A-1a / A-2a carry sanctioned_load_below_kw = 5 (exclusive), so a bill at 5 kW or more is
    // refused with the tariff to bill it on.
    let book = TariffBook::builtin().unwrap();
    let h = flat_history("2026-10", 12, 300);
    let ok = compute_bill(&book, &input("A-1a", dec!(4.99), "2026-10", 300, &h)).unwrap();
    // 300 x 33.10 = 9,930.00; fixed 4.99 x 350 = 1,746.50
    assert_eq!(amount(&ok, "energy"), dec!(9930.00));
    assert_eq!(amount(&ok, "fixed"), dec!(1746.50));
    let err = compute_bill(&book, &input("A-1a", dec!(6), "2026-10", 300, &h)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad bill input `sanctioned_load_kw`: sanctioned load 6 kW: A-1a is for loads below 5 kW \
         (SRO-279(I)/2026@2026-02-12); bill it on A-1b (TOU)"
    );
    // Exactly 5 kW is A-1b already ("< 5 kW").
    let err = compute_bill(&book, &input("A-1a", dec!(5.00), "2026-10", 300, &h)).unwrap_err();
    assert!(
        matches!(&err, BillingError::BadInput { field: "sanctioned_load_kw", reason } if reason.starts_with("sanctioned load 5 kW: A-1a")),
        "{err:?}"
    );
    let err = compute_bill(&book, &input("A-2a", dec!(5), "2026-10", 300, &h)).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "sanctioned load 5 kW: A-2a is for loads below 5 kW (SRO-279(I)/2026@2026-02-12); \
             bill it on A-2b or A-2c (TOU)"
        ),
        "{err}"
    );
    // The limit is on the sanctioned load: an MDI above 5 kW on a 3 kW A-1a bills.
    let mut inp = input("A-1a", dec!(3), "2026-10", 300, &h);
    inp.mdi_kw = dec!(7);
    assert!(compute_bill(&book, &inp).is_ok());
    // The 6 kW home bills on A-1b (G8 shape, with taxes on the builtin book).
    let mut tou = input("A-1b", dec!(6), "2026-10", 800, &h);
    tou.units_peak_kwh = 200;
    tou.phase = 3;
    assert_eq!(compute_bill(&book, &tou).unwrap().band, "tou");
    // Only S.R.O. 279 carries the limit (the older schedules' sources do not say): a 6 kW A-1a
    // bill on the Jan-2026 schedule (S.R.O. 41-52) is still priced.
    let mut older = TariffBook::empty();
    for f in ["schedules-fy2025-26.toml", "terms.toml"] {
        older.load_toml(data::file(f).unwrap()).unwrap();
    }
    let mut jan = input("A-1a", dec!(6), "2026-01", 150, &[]);
    jan.issue_date = day(2026, 1, 20);
    assert!(compute_bill(&older, &jan).is_ok());
}

#[test]
fn load_limit_data_is_checked() {
    let tariff = |extra: &str| {
        format!(
            "[[schedule]]\nid = \"LIMITS\"\nsro = \"test\"\neffective_from = \"2027-01-01\"\n\
             [[schedule.tariff]]\ncode = \"A-2a\"\ncategory = \"commercial\"\npricing = \"flat\"\n\
             rate = \"40\"\n{extra}\n\
             [[schedule.tariff]]\ncode = \"A-2c\"\ncategory = \"commercial\"\npricing = \"tou\"\n\
             peak = \"45\"\noffpeak = \"36\"\n"
        )
    };
    // Accepted: the exclusive limit with a target listed later in the same file.
    let mut book = TariffBook::builtin().unwrap();
    book.load_toml(&tariff(
        "sanctioned_load_below_kw = \"5\"\nover_limit_tariffs = [\"A-2c\"]",
    ))
    .unwrap();
    for (extra, field) in [
        // both limits on one tariff
        (
            "max_load_kw = \"25\"\nsanctioned_load_below_kw = \"5\"",
            "sanctioned_load_below_kw",
        ),
        (
            "sanctioned_load_below_kw = \"0\"",
            "sanctioned_load_below_kw",
        ),
        (
            "sanctioned_load_below_kw = \"-5\"",
            "sanctioned_load_below_kw",
        ),
        // a target without a limit, unknown, of another category, itself, empty
        ("over_limit_tariffs = [\"A-2c\"]", "over_limit_tariffs"),
        (
            "sanctioned_load_below_kw = \"5\"\nover_limit_tariffs = [\"Z-9\"]",
            "over_limit_tariffs",
        ),
        (
            "sanctioned_load_below_kw = \"5\"\nover_limit_tariffs = [\"A-1b\"]",
            "over_limit_tariffs",
        ),
        (
            "sanctioned_load_below_kw = \"5\"\nover_limit_tariffs = [\"A-2a\"]",
            "over_limit_tariffs",
        ),
        (
            "sanctioned_load_below_kw = \"5\"\nover_limit_tariffs = []",
            "over_limit_tariffs",
        ),
    ] {
        let mut book = TariffBook::builtin().unwrap();
        let err = book.load_toml(&tariff(extra)).unwrap_err();
        assert!(
            matches!(&err, BillingError::DataInvalid { field: f, .. } if *f == field),
            "{extra}: {err:?}"
        );
    }
}

// ------------------------------------------------------------------------------------- refusals

#[test]
fn missing_rates_are_refused_never_billed_at_zero() {
    let book = TariffBook::builtin().unwrap();
    let rows = book.rows();
    // Every code listed `missing = true` by a schedule in force on the date (a whole-tariff
    // gap: band "missing"), read from the book, on dates across 2026: the SRO-41-52 window
    // (industrial, A-1b, A-2a/c missing), its last day, the first day of S.R.O. 279 and Oct.
    let mut refused_on_oct: Vec<String> = Vec::new();
    for issue in [
        day(2026, 1, 20),
        day(2026, 2, 11),
        day(2026, 2, 12),
        day(2026, 10, 5),
    ] {
        let missing: Vec<_> = rows
            .iter()
            .filter(|r| {
                r.missing
                    && r.band == "missing"
                    && r.effective_from <= issue
                    && r.effective_to.is_none_or(|to| issue <= to)
            })
            .collect();
        assert!(!missing.is_empty(), "{issue}: no missing rows");
        for row in missing {
            let code = row.tariff.as_str();
            let mut inp = input(code, dec!(10), "2026-10", 100, &[]);
            inp.cycle = ym(&issue.format("%Y-%m").to_string());
            inp.issue_date = issue;
            inp.phase = 3;
            // Refused whatever the consumption and register split (never billed at zero).
            for (offpeak, peak) in [(100, 0), (0, 0), (800, 200)] {
                inp.units_offpeak_kwh = offpeak;
                inp.units_peak_kwh = peak;
                let err = compute_bill(&book, &inp).unwrap_err();
                match &err {
                    BillingError::RateNotPublic {
                        tariff,
                        category,
                        date,
                        schedule,
                        ..
                    } => {
                        assert_eq!(tariff, code, "{issue}");
                        assert_eq!(category, &row.category, "{code} {issue}");
                        assert_eq!(*date, issue, "{code}");
                        assert_eq!(schedule, &row.schedule_id, "{code} {issue}");
                    }
                    other => panic!("{code} on {issue}: {other:?}"),
                }
                assert!(err.to_string().contains(code), "{err}");
            }
            if issue == day(2026, 10, 5) {
                refused_on_oct.push(code.to_string());
            }
        }
    }
    // The iteration did cover the known gaps of S.R.O. 279 (BILLING-RULES 2.1, -2 1.3) ...
    for code in [
        "A-2b", "A-3", "B-4", "C-1a", "D-1a", "E-1", "F", "G-1", "H-1", "I", "K-1a",
    ] {
        assert!(
            refused_on_oct.iter().any(|c| c == code),
            "{code} not listed"
        );
    }
    // ... and no code with a 2026 rate was among them.
    for code in [
        "A-1a", "A-1b", "A-2a", "A-2c", "B-1", "B-1b", "B-2a", "B-2b", "B-3",
    ] {
        assert!(!refused_on_oct.iter().any(|c| c == code), "{code} listed");
    }
    // 2019: only the 101-200 and 201-300 slabs are known; 350 units needs 301+.
    let err = compute_bill(&book, &input("A-1a", dec!(3), "2019-07", 350, &[])).unwrap_err();
    assert!(matches!(err, BillingError::RateNotPublic { .. }), "{err:?}");
    // Apr-2026 bills carry the Feb-2026 FCA, which is not notified yet (a placeholder).
    let err = compute_bill(&book, &input("A-1a", dec!(2), "2026-04", 150, &[])).unwrap_err();
    assert!(
        matches!(&err, BillingError::AdjustmentNotNotified { adjustment, .. } if adjustment.contains("2026-02")),
        "{err:?}"
    );
    // ED in Punjab before Jul-2025 is not researched.
    let mut inp = input("A-1a", dec!(3), "2019-07", 203, &[]);
    inp.province = "Punjab";
    let err = compute_bill(&book, &inp).unwrap_err();
    assert!(
        matches!(&err, BillingError::RateUnknown { what, .. } if what.contains("Punjab")),
        "{err:?}"
    );
    // Unknown code; known code with no schedule in force.
    let err = compute_bill(&book, &input("Z-9", dec!(1), "2026-10", 1, &[])).unwrap_err();
    assert!(matches!(err, BillingError::UnknownTariff { .. }));
    let err = compute_bill(&book, &input("A-1b", dec!(6), "2024-01", 1, &[])).unwrap_err();
    assert!(matches!(err, BillingError::NoSchedule { .. }), "{err:?}");
}

#[test]
fn bad_inputs_are_errors() {
    let book = tariff_only_2026();
    let mut inp = input("A-1a", dec!(2), "2026-10", 100, &[]);
    inp.phase = 2;
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput { field: "phase", .. })
    ));
    let mut inp = input("A-1a", dec!(2), "2026-10", 100, &[]);
    inp.units_peak_kwh = 5;
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput {
            field: "units_peak_kwh",
            ..
        })
    ));
    let mut inp = input("A-1a", dec!(-1), "2026-10", 100, &[]);
    inp.sanctioned_load_kw = dec!(-1);
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput { .. })
    ));
    let h = [(ym("2026-10"), 1)];
    let inp = input("A-1a", dec!(2), "2026-10", 100, &h);
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput {
            field: "history",
            ..
        })
    ));
    let h = [(ym("2026-08"), 1), (ym("2026-08"), 2)];
    let inp = input("A-1a", dec!(2), "2026-10", 100, &h);
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput {
            field: "history",
            ..
        })
    ));
    let mut inp = input("A-1a", dec!(2), "2026-10", 100, &[]);
    inp.province = "Mars";
    assert!(matches!(
        compute_bill(&book, &inp),
        Err(BillingError::BadInput {
            field: "province",
            ..
        })
    ));
}

// ------------------------------------------------------------------------------------- book

#[test]
fn builtin_book_and_rows() {
    let book = TariffBook::builtin().unwrap();
    assert_eq!(book.category_of("A-1a"), Some("residential"));
    assert_eq!(book.category_of("A-2c"), Some("commercial"));
    assert_eq!(book.category_of("B-2b"), Some("industrial"));
    assert_eq!(book.category_of("D-1a"), Some("agricultural"));
    assert_eq!(book.category_of("nope"), None);
    let rows = book.rows();
    let a1a_2026: Vec<_> = rows
        .iter()
        .filter(|r| r.schedule_id == "SRO-279(I)/2026" && r.tariff == "A-1a")
        .collect();
    assert_eq!(a1a_2026.len(), 12);
    assert!(a1a_2026
        .iter()
        .all(|r| r.confirmed && !r.missing && r.fixed_basis == "per_kw_sanctioned"));
    let a2b = rows.iter().find(|r| r.tariff == "A-2b").unwrap();
    assert!(a2b.missing && a2b.rate_rs_per_kwh.is_none());
    let b2b = rows
        .iter()
        .find(|r| r.tariff == "B-2b" && r.schedule_id == "SRO-279(I)/2026")
        .unwrap();
    assert!(!b2b.confirmed);
    assert_eq!(b2b.peak_rs_per_kwh, Some(dec!(35.68)));
    assert_eq!(
        book.schedule_in_force("A-1a", day(2026, 2, 11)).unwrap(),
        "SRO-41-52(I)/2026"
    );
    assert_eq!(
        book.schedule_in_force("A-1a", day(2026, 2, 12)).unwrap(),
        "SRO-279(I)/2026"
    );
    assert_eq!(
        book.schedule_in_force("A-1a", day(2025, 8, 1)).unwrap(),
        "UNIFORM-FY2025-26"
    );
}

#[test]
fn load_is_all_or_nothing_and_append_only() {
    let mut book = tariff_only_2026();
    let rows_before = book.rows().len();
    // A valid new schedule followed by an invalid FPA: nothing is applied.
    let bad = r#"
[[schedule]]
id = "NEW"
sro = "S.R.O. 999(I)/2027"
effective_from = "2027-01-01"
[[schedule.tariff]]
code = "A-2a"
category = "commercial"
pricing = "flat"
rate = "40"
fixed = "1000"
fixed_basis = "per_consumer"
[[fpa]]
fuel_month = "2026-11"
rate = "abc"
sro = "x"
exempt_bands = ["lifeline"]
"#;
    let err = book.load_toml(bad).unwrap_err();
    assert!(
        matches!(&err, BillingError::DataInvalid { field: "rate", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("fpa 2026-11"), "{err}");
    assert_eq!(book.rows().len(), rows_before);
    assert!(!book.schedule_ids().contains(&"NEW"));
    // Same file twice: duplicate.
    let err = book
        .load_toml(data::file("sro-279-2026.toml").unwrap())
        .unwrap_err();
    assert!(matches!(
        err,
        BillingError::Duplicate {
            kind: "schedule",
            ..
        }
    ));
    // A float rate is refused (numbers are strings).
    let err = book
        .load_toml("[[fpa]]\nfuel_month = \"2026-12\"\nrate = 1.5\nsro = \"x\"\n")
        .unwrap_err();
    assert!(matches!(err, BillingError::DataParse(_)), "{err:?}");
    // A category conflict is refused.
    let err = book
        .load_toml("[[schedule]]\nid = \"X\"\nsro = \"x\"\neffective_from = \"2027-01-01\"\n[[schedule.tariff]]\ncode = \"A-1a\"\ncategory = \"commercial\"\nmissing = true\n")
        .unwrap_err();
    assert!(
        matches!(
            err,
            BillingError::DataInvalid {
                field: "category",
                ..
            }
        ),
        "{err:?}"
    );
    // The operator loads the Aug-2026 FCA at run time: Oct-2026 bills now carry it.
    let summary = book
        .load_toml("[[fpa]]\nfuel_month = \"2026-08\"\nrate = \"1.00\"\nsro = \"S.R.O. test\"\nexempt_bands = [\"lifeline\"]\n")
        .unwrap();
    assert_eq!(summary.fpa_months, 1);
    let h = [(ym("2026-08"), 100)];
    let bill = compute_bill(&book, &input("A-1a", dec!(2), "2026-10", 100, &h)).unwrap();
    assert_eq!(amount(&bill, "fpa"), dec!(100.00));
}

#[test]
fn several_fpa_months_and_negative_fpa_on_one_bill() {
    let mut book = tariff_only_2026();
    book.load_toml(
        r#"
[[fpa]]
fuel_month = "2026-08"
rate = "-0.50"
sro = "test: negative FCA, billed late with the next month's"
bill_months = ["2026-11"]
exempt_bands = ["lifeline"]
[[fpa]]
fuel_month = "2026-09"
rate = "0.25"
sro = "test"
exempt_bands = ["lifeline"]
"#,
    )
    .unwrap();
    let h = [(ym("2026-08"), 100), (ym("2026-09"), 120)];
    let bill = compute_bill(&book, &input("A-1a", dec!(2), "2026-11", 100, &h)).unwrap();
    let fpa: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| l.line == "fpa")
        .map(|l| l.amount_rs)
        .collect();
    // 100 x -0.50 = -50.00; 120 x 0.25 = 30.00
    assert_eq!(fpa, vec![dec!(-50.00), dec!(30.00)]);
    assert_eq!(bill.total_fpa_rs, dec!(-20));
}

#[test]
fn due_date_moves_past_sundays_and_holidays() {
    let book = tariff_only_2026();
    // 2026-08-04 + 10 = Fri 14-Aug (Independence Day) -> Sat 15-Aug.
    let mut inp = input("A-1a", dec!(2), "2026-08", 100, &[]);
    inp.issue_date = day(2026, 8, 4);
    assert_eq!(
        compute_bill(&book, &inp).unwrap().due_date,
        day(2026, 8, 15)
    );
    // 2026-08-06 + 10 = Sun 16-Aug -> Mon 17-Aug.
    inp.issue_date = day(2026, 8, 6);
    assert_eq!(
        compute_bill(&book, &inp).unwrap().due_date,
        day(2026, 8, 17)
    );
    assert_eq!(
        billing::bill::due_date(&book, day(2026, 8, 6)).unwrap(),
        day(2026, 8, 17)
    );
}

#[test]
fn unconfirmed_rates_say_so_in_the_line() {
    let book = tariff_only_2026();
    let mut inp = input("B-2b", dec!(200), "2026-09", 40_000, &[]);
    inp.units_peak_kwh = 8_000;
    inp.mdi_kw = dec!(150);
    inp.phase = 3;
    let bill = compute_bill(&book, &inp).unwrap();
    // BILLING-RULES 9.3 G10 tariff part: demand max(25% x 200, 150) = 150 kW x 1,250 = 187,500;
    // peak 8,000 x 35.68 = 285,440; off-peak 40,000 x 22.83 = 913,200.
    assert_eq!(amount(&bill, "fixed"), dec!(187500));
    assert_eq!(amount(&bill, "energy"), dec!(1198640));
    assert!(bill
        .lines
        .iter()
        .filter(|l| l.line == "energy")
        .all(|l| l.rule.contains("UNCONFIRMED")));
    assert!(bill.versions.contains("UNCONFIRMED"));
}
