//! Golden tests for installment plans and DISCO-deferred amounts (BILLING-RULES.md 3.1-3.2
//! "Installments", "Deferred amount"; BILLING-RULES-2.md 4). Every expected figure has its hand
//! computation beside it.
//!
//! The base bill of the golden tests (book: S.R.O. 279 + terms, no taxes or adjustments):
//! A-1a, SL 2 kW, 100 units, no history (not protected) -> unprotected slab 1-100:
//! energy 100 x 22.44 = 2,244.00; fixed 2 x 275 = 550.00; current bill 2,794.00 -> 2,794;
//! no FPA; LPS 10% x 2,244.00 = 224.40 -> 224.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::OnceLock;

use billing::bill::LineBlock;
use billing::installments::{check_grant, fiscal_year_start, plan, terms};
use billing::money::round_paisa;
use billing::{
    data, month_spans, BillExtras, BillInput, BillingError, InstallmentDue, ReadingFacts,
    TariffBook, YearMonth,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::{compute_accumulated, compute_bill, compute_bill_with};
use common::{day, flat_history, input_at, legal_load, ym};

fn book_of(files: &[&str]) -> TariffBook {
    let mut book = TariffBook::empty();
    for f in files {
        book.load_toml(data::file(f).unwrap()).unwrap();
    }
    book
}

/// S.R.O. 279 + terms.toml (due date, LPS, long periods, the `[[installment]]` rule).
fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| book_of(&["sro-279-2026.toml", "terms.toml"]))
}

fn builtin() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::builtin().unwrap())
}

/// The base bill's input (see the module header).
fn base_input<'a>() -> BillInput<'a> {
    input_at("IESCO", "Punjab", "A-1a", dec!(2), "2026-08", 100, &[])
}

fn with_installment(due: InstallmentDue) -> BillExtras {
    BillExtras {
        installment: Some(due),
        ..BillExtras::default()
    }
}

fn due(principal: Decimal, before: Decimal, days: u32, first: bool) -> InstallmentDue {
    InstallmentDue {
        principal_rs: principal,
        outstanding_before_rs: before,
        days,
        first,
    }
}

#[test]
fn base_bill_without_installment_is_unchanged() {
    let bill = compute_bill(book(), &base_input()).unwrap();
    // energy 2,244.00 + fixed 550.00 = 2,794.00 -> 2,794.
    assert_eq!(bill.amount_of("energy"), dec!(2244.00));
    assert_eq!(bill.amount_of("fixed"), dec!(550.00));
    assert_eq!(bill.current_bill_rs, dec!(2794));
    // LPS 10% x 2,244.00 = 224.40 -> 224.
    assert_eq!(bill.lps_rs, dec!(224));
    assert_eq!(bill.payable_within_due_rs, dec!(2794));
    assert_eq!(bill.payable_after_due_rs, dec!(3018));
    // No installment fields, lines or deferred amount.
    assert_eq!(
        (
            bill.installment_rs,
            bill.installment_markup_rs,
            bill.installment_balance_after_rs,
            bill.deferred_rs
        ),
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
    );
    assert!(bill.line("installment").is_none() && bill.line("installment_markup").is_none());
    assert!(!bill.versions.contains("installment"));
    // The default extras are the same bill.
    assert_eq!(
        bill,
        compute_bill_with(book(), &base_input(), &BillExtras::default()).unwrap()
    );
}

#[test]
fn first_installment_carries_no_markup() {
    // Rs 10,000.01 granted in 3: 3,333.33 + 3,333.33 + 3,333.35; this bill carries the first.
    let extras = with_installment(due(dec!(3333.33), dec!(10000.01), 0, true));
    let bill = compute_bill_with(book(), &base_input(), &extras).unwrap();
    let l = bill.line("installment").unwrap();
    // 1 x 3,333.33 = 3,333.33.
    assert_eq!(
        (l.quantity, l.rate, l.amount_rs),
        (dec!(1), dec!(3333.33), dec!(3333.33))
    );
    assert_eq!(l.block(), LineBlock::Installment);
    assert!(l.rule.contains("UNCONFIRMED"), "{}", l.rule);
    assert!(
        l.source.starts_with("installment 14% p.a.@2019-01-01"),
        "{}",
        l.source
    );
    assert!(l.source.ends_with("UNCONFIRMED"), "{}", l.source);
    assert!(
        bill.versions
            .contains("installments <= 12 markup 14% p.a./365d@2019-01-01 UNCONFIRMED"),
        "{}",
        bill.versions
    );
    // First installment: no markup line, markup 0.
    assert!(bill.line("installment_markup").is_none());
    assert_eq!(bill.installment_markup_rs, dec!(0));
    assert_eq!(bill.installment_rs, dec!(3333.33));
    // Balance after: 10,000.01 - 3,333.33 = 6,666.68.
    assert_eq!(bill.installment_balance_after_rs, dec!(6666.68));
    // Current bill and LPS are those of the base bill: 2,794 and 224.
    assert_eq!(bill.current_bill_rs, dec!(2794));
    assert_eq!(bill.lps_rs, dec!(224));
    assert_eq!(bill.lines_total_rs(LineBlock::Current), dec!(2794.00));
    // Payable within: arrears 0 + current 2,794 + FPA 0 + installment 3,333.33 = 6,127.33.
    assert_eq!(bill.payable_within_due_rs, dec!(6127.33));
    // After: 6,127.33 + LPS 224 = 6,351.33.
    assert_eq!(bill.payable_after_due_rs, dec!(6351.33));
    // Lines: energy, fixed, installment, lps (the installment before the LPS line).
    let names: Vec<&str> = bill.lines.iter().map(|l| l.line).collect();
    assert_eq!(names, vec!["energy", "fixed", "installment", "lps"]);
}

#[test]
fn later_installment_carries_pro_rata_markup() {
    // Balance Rs 20,000 before this installment of 5,000, 30 days after the previous one.
    let extras = with_installment(due(dec!(5000), dec!(20000), 30, false));
    let bill = compute_bill_with(book(), &base_input(), &extras).unwrap();
    // Markup 20,000 x 14% x 30 / 365 = 84,000 / 365 = 230.1369.. -> 230.14, printed as
    // quantity = 20,000 x 30 / 365 = 1,643.8356 rupee-years (4 decimals) x rate 14 %:
    // 230.136984 -> 230.14.
    let m = bill.line("installment_markup").unwrap();
    assert_eq!(m.quantity, dec!(1643.8356));
    assert_eq!(m.rate, dec!(0.14));
    assert_eq!(round_paisa(m.quantity * m.rate), dec!(230.14));
    assert_eq!(m.amount_rs, dec!(230.14));
    assert_eq!(m.block(), LineBlock::Installment);
    assert!(m.rule.contains("UNCONFIRMED"), "{}", m.rule);
    assert_eq!(&*m.source, &*bill.line("installment").unwrap().source);
    assert_eq!(bill.installment_rs, dec!(5000));
    assert_eq!(bill.installment_markup_rs, dec!(230.14));
    // Installment block: 5,000 + 230.14 = 5,230.14.
    assert_eq!(bill.lines_total_rs(LineBlock::Installment), dec!(5230.14));
    // Balance after: 20,000 - 5,000 = 15,000.
    assert_eq!(bill.installment_balance_after_rs, dec!(15000));
    // Current 2,794, LPS 224 unchanged (no LPS on the installment or the markup).
    assert_eq!(bill.current_bill_rs, dec!(2794));
    assert_eq!(bill.lps_rs, dec!(224));
    // Payable within: 0 + 2,794 + 0 + 5,000 + 230.14 = 8,024.14; after: + 224 = 8,248.14.
    assert_eq!(bill.payable_within_due_rs, dec!(8024.14));
    assert_eq!(bill.payable_after_due_rs, dec!(8248.14));
    let names: Vec<&str> = bill.lines.iter().map(|l| l.line).collect();
    assert_eq!(
        names,
        vec![
            "energy",
            "fixed",
            "installment",
            "installment_markup",
            "lps"
        ]
    );

    // 31 days: 20,000 x 0.14 x 31 / 365 = 86,800 / 365 = 237.8082.. -> 237.81.
    let extras = with_installment(due(dec!(5000), dec!(20000), 31, false));
    let bill = compute_bill_with(book(), &base_input(), &extras).unwrap();
    assert_eq!(bill.installment_markup_rs, dec!(237.81));
    // The last installment of the 10,000.01 plan: balance 3,333.35, 28 days:
    // 3,333.35 x 0.14 x 28 / 365 = 13,066.732 / 365 = 35.7992.. -> 35.80; balance after 0.
    let extras = with_installment(due(dec!(3333.35), dec!(3333.35), 28, false));
    let bill = compute_bill_with(book(), &base_input(), &extras).unwrap();
    assert_eq!(bill.installment_markup_rs, dec!(35.80));
    assert_eq!(bill.installment_balance_after_rs, dec!(0));
    // 0 + 2,794 + 3,333.35 + 35.80 = 6,163.15.
    assert_eq!(bill.payable_within_due_rs, dec!(6163.15));
}

#[test]
fn deferred_amount_is_shown_not_payable() {
    let extras = BillExtras {
        deferred_rs: dec!(1500),
        ..BillExtras::default()
    };
    let mut inp = base_input();
    inp.arrears_rs = dec!(120);
    let bill = compute_bill_with(book(), &inp, &extras).unwrap();
    assert_eq!(bill.deferred_rs, dec!(1500));
    // Payable within: arrears 120 + current 2,794 = 2,914 (the 1,500 deferred is not in it);
    // after: 2,914 + LPS 224 = 3,138.
    assert_eq!(bill.payable_within_due_rs, dec!(2914));
    assert_eq!(bill.payable_after_due_rs, dec!(3138));
    // No line carries it; everything else is the bill without it.
    assert!(bill.lines.iter().all(|l| !l.line.contains("defer")));
    let plain = compute_bill(book(), &inp).unwrap();
    assert_eq!(bill.lines, plain.lines);
    assert_eq!(
        (bill.current_bill_rs, bill.lps_rs),
        (plain.current_bill_rs, plain.lps_rs)
    );
    // With an installment as well: 120 + 2,794 + 5,000 + 230.14 = 8,144.14; deferred shown.
    let extras = BillExtras {
        deferred_rs: dec!(1500),
        installment: Some(due(dec!(5000), dec!(20000), 30, false)),
        ..BillExtras::default()
    };
    let bill = compute_bill_with(book(), &inp, &extras).unwrap();
    assert_eq!(bill.payable_within_due_rs, dec!(8144.14));
    assert_eq!(bill.deferred_rs, dec!(1500));
}

#[test]
fn account_in_credit_pays_no_lps_on_its_current_bill_even_with_an_installment() {
    // Arrears -3,000 (credit): 2,794 - 3,000 = -206 owed before the installment: no LPS.
    // With a first installment of 1,000: payable -206 + 1,000 = 794, still no LPS (the LPS is
    // the current bill's, unchanged by the installment).
    let mut inp = base_input();
    inp.arrears_rs = dec!(-3000);
    let plain = compute_bill(book(), &inp).unwrap();
    assert_eq!(
        (plain.payable_within_due_rs, plain.lps_rs),
        (dec!(-206), dec!(0))
    );
    let extras = with_installment(due(dec!(1000), dec!(3000), 0, true));
    let bill = compute_bill_with(book(), &inp, &extras).unwrap();
    assert_eq!(bill.payable_within_due_rs, dec!(794));
    assert_eq!(bill.lps_rs, dec!(0));
    assert_eq!(bill.payable_after_due_rs, dec!(794));
}

#[test]
fn bad_installment_inputs_are_refused() {
    let field_of = |extras: BillExtras| match compute_bill_with(book(), &base_input(), &extras) {
        Err(BillingError::BadInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    // Principal above the plan balance.
    assert_eq!(
        field_of(with_installment(due(dec!(5000.01), dec!(5000), 30, false))),
        "installment.principal_rs"
    );
    // Zero / negative / fractions of a paisa.
    for p in [dec!(0), dec!(-5), dec!(10.005)] {
        assert_eq!(
            field_of(with_installment(due(p, dec!(20000), 30, false))),
            "installment.principal_rs"
        );
    }
    assert_eq!(
        field_of(with_installment(due(
            dec!(1),
            dec!(20000000000000),
            30,
            false
        ))),
        "installment.outstanding_before_rs"
    );
    // A later installment needs its days (1..=366); the first ignores them.
    for d in [0, 367] {
        assert_eq!(
            field_of(with_installment(due(dec!(5000), dec!(20000), d, false))),
            "installment.days"
        );
    }
    assert!(compute_bill_with(
        book(),
        &base_input(),
        &with_installment(due(dec!(5000), dec!(20000), 0, true))
    )
    .is_ok());
    // A negative deferred amount.
    assert_eq!(
        field_of(BillExtras {
            deferred_rs: dec!(-1),
            ..BillExtras::default()
        }),
        "deferred_rs"
    );
    // No installment rule in force: refused (the bill without one still computes).
    let mut no_rule = book_of(&["sro-279-2026.toml"]);
    no_rule
        .load_toml(
            r#"[[terms]]
effective_from = "2019-01-01"
due_days = 10
lps_percent = "10"
lps_base = ["energy"]
source = "test"
"#,
        )
        .unwrap();
    assert!(compute_bill(&no_rule, &base_input()).is_ok());
    let err = compute_bill_with(
        &no_rule,
        &base_input(),
        &with_installment(due(dec!(5000), dec!(20000), 30, false)),
    )
    .unwrap_err();
    assert!(
        matches!(&err, BillingError::RateUnknown { what, .. } if what == "installment rule"),
        "{err:?}"
    );
}

#[test]
fn plan_splits_a_granted_amount_paisa_exact() {
    let book = book();
    let d = day(2026, 8, 5);
    // 10,000.01 / 3 = 3,333.3366..: 3,333.33, 3,333.33 and 10,000.01 - 6,666.66 = 3,333.35.
    assert_eq!(
        plan(book, dec!(10000.01), 3, d).unwrap(),
        vec![dec!(3333.33), dec!(3333.33), dec!(3333.35)]
    );
    // 12 (the rule's maximum) of 50,000: 4,166.66 x 11 = 45,833.26; last 4,166.74.
    let p = plan(book, dec!(50000), 12, d).unwrap();
    assert_eq!(p.len(), 12);
    assert!(p[..11].iter().all(|x| *x == dec!(4166.66)));
    assert_eq!(p[11], dec!(4166.74));
    assert_eq!(p.iter().copied().sum::<Decimal>(), dec!(50000));
    // 2 of 0.01: 0.00 and 0.01 (the remainder on the last).
    assert_eq!(
        plan(book, dec!(0.01), 2, d).unwrap(),
        vec![dec!(0.00), dec!(0.01)]
    );
}

#[test]
fn plan_refusals() {
    let book = book();
    let d = day(2026, 8, 5);
    let field = |r: Result<Vec<Decimal>, BillingError>| match r {
        Err(BillingError::BadInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    // More than max_installments (12), one installment, none.
    for n in [13, 1, 0] {
        assert_eq!(field(plan(book, dec!(10000), n, d)), "installments");
    }
    // Amount not positive, fractions of a paisa, out of range.
    for a in [dec!(0), dec!(-100), dec!(100.001), dec!(2000000000000)] {
        assert_eq!(field(plan(book, a, 3, d)), "amount_rs");
    }
    // No rule in force: before the rule's start, or none loaded.
    for (b, date) in [
        (book.clone(), day(2018, 12, 31)),
        (book_of(&["sro-279-2026.toml"]), d),
    ] {
        let err = plan(&b, dec!(10000), 3, date).unwrap_err();
        assert!(
            matches!(&err, BillingError::RateUnknown { what, .. } if what == "installment rule"),
            "{err:?}"
        );
    }
}

#[test]
fn terms_and_grants_per_fiscal_year() {
    let book = book();
    let d = day(2026, 3, 5);
    let t = terms(book, d).unwrap();
    assert_eq!(t.markup_percent_per_year, dec!(14));
    assert_eq!(
        (
            t.days_in_year,
            t.max_installments,
            t.per_fiscal_year,
            t.confirmed
        ),
        (365, 12, 1, false)
    );
    assert!(t.source.contains("UNCONFIRMED"), "{}", t.source);
    // Fiscal year July-June: 2026-03-05 is in FY 2025-26, 2026-07-01 starts FY 2026-27.
    assert_eq!(fiscal_year_start(d), day(2025, 7, 1));
    assert_eq!(fiscal_year_start(day(2026, 7, 1)), day(2026, 7, 1));
    assert_eq!(fiscal_year_start(day(2026, 6, 30)), day(2025, 7, 1));
    // Once per fiscal year: the first grant is allowed, a second refused.
    assert!(check_grant(book, d, 0).is_ok());
    assert!(matches!(
        check_grant(book, d, 1),
        Err(BillingError::BadInput {
            field: "granted_this_fiscal_year",
            ..
        })
    ));
}

#[test]
fn installment_rule_loader_validation() {
    let rule = |from: &str, extra: &str| {
        format!(
            "[[installment]]\neffective_from = \"{from}\"\nmarkup_percent_per_year = \"12\"\n\
             days_in_year = 365\nmax_installments = 6\nper_fiscal_year = 1\nsource = \"test\"\n{extra}"
        )
    };
    // Append-only: the shipped start date again is a duplicate; the book is unchanged.
    let mut b = book().clone();
    let err = b.load_toml(&rule("2019-01-01", "")).unwrap_err();
    assert!(
        matches!(&err, BillingError::Duplicate { kind: "installment rule start", key } if key == "2019-01-01"),
        "{err:?}"
    );
    // Two entries with one start in one file: duplicate.
    let text = format!("{}{}", rule("2027-01-01", ""), rule("2027-01-01", ""));
    assert!(matches!(
        b.load_toml(&text),
        Err(BillingError::Duplicate { .. })
    ));
    // Bad values name the item and field.
    for (bad, field) in [
        (
            "markup_percent_per_year = \"abc\"",
            "markup_percent_per_year",
        ),
        (
            "markup_percent_per_year = \"-1\"",
            "markup_percent_per_year",
        ),
        (
            "markup_percent_per_year = \"101\"",
            "markup_percent_per_year",
        ),
        ("days_in_year = 364", "days_in_year"),
        ("max_installments = 1", "max_installments"),
        ("max_installments = 121", "max_installments"),
        ("per_fiscal_year = 0", "per_fiscal_year"),
        ("source = \" \"", "source"),
        ("effective_to = \"2026-12-31\"", "effective_to"),
    ] {
        let key = bad.split(" = ").next().unwrap();
        let text: String = rule("2027-01-01", "")
            .lines()
            .filter(|l| !l.starts_with(&format!("{key} =")))
            .chain([bad])
            .map(|l| format!("{l}\n"))
            .collect();
        match b.load_toml(&text) {
            Err(BillingError::DataInvalid { item, field: f, .. }) => {
                assert_eq!(item, "installment from 2027-01-01");
                assert_eq!(f, field, "{bad}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Unknown fields and float numbers are schema errors.
    assert!(matches!(
        b.load_toml(&rule("2027-01-01", "rate = \"1\"\n")),
        Err(BillingError::DataParse(_))
    ));
    assert!(matches!(
        b.load_toml(&rule("2027-01-01", "").replace("\"12\"", "12.0")),
        Err(BillingError::DataParse(_))
    ));
    // A later, confirmed rule supersedes from its start: 12% from 2027-01-01.
    let summary = b
        .load_toml(&rule("2027-01-01", "confirmed = true\n"))
        .unwrap();
    assert_eq!(summary.rules, 1);
    let t = terms(&b, day(2027, 1, 1)).unwrap();
    assert_eq!(
        (t.markup_percent_per_year, t.max_installments, t.confirmed),
        (dec!(12), 6, true)
    );
    assert_eq!(terms(&b, day(2026, 12, 31)).unwrap().max_installments, 12);
    assert!(matches!(
        plan(&b, dec!(1000), 7, day(2027, 2, 1)),
        Err(BillingError::BadInput {
            field: "installments",
            ..
        })
    ));
    // A 2027 bill: 20,000 x 12% x 30 / 365 = 72,000 / 365 = 197.2602.. -> 197.26, rule text
    // without UNCONFIRMED.
    let mut inp = input_at("IESCO", "Punjab", "A-1a", dec!(2), "2027-01", 100, &[]);
    inp.issue_date = day(2027, 1, 5);
    let bill = compute_bill_with(
        &b,
        &inp,
        &with_installment(due(dec!(5000), dec!(20000), 30, false)),
    )
    .unwrap();
    let m = bill.line("installment_markup").unwrap();
    assert_eq!(m.amount_rs, dec!(197.26));
    assert!(!m.rule.contains("UNCONFIRMED") && !m.source.contains("UNCONFIRMED"));
}

#[test]
fn accumulated_reading_carries_the_installment_on_the_last_bill_only() {
    let book = book_of(&[
        "sro-279-2026.toml",
        "adjustments-2026.toml",
        "terms.toml",
        "readings.toml",
    ]);
    // 450 units over Aug, Sep, Oct 2026 (31, 31, 30 days), billed 2026-10-12 (periods.rs).
    let h: Vec<(YearMonth, u64)> = flat_history("2026-08", 7, 150);
    let months = month_spans(
        day(2026, 7, 10),
        day(2026, 10, 10),
        ym("2026-08"),
        ym("2026-10"),
    )
    .unwrap();
    let mut inp = input_at("IESCO", "ICT", "A-1a", dec!(2), "2026-10", 450, &h);
    inp.period_days = 92;
    inp.issue_date = day(2026, 10, 12);
    let f = ReadingFacts::default();
    let plain = compute_accumulated(&book, &inp, &BillExtras::default(), &f, &months).unwrap();
    let extras = BillExtras {
        installment: Some(due(dec!(5000), dec!(20000), 30, false)),
        deferred_rs: dec!(700),
        ..BillExtras::default()
    };
    let bills = compute_accumulated(&book, &inp, &extras, &f, &months).unwrap();
    // Aug and Sep: the bills as without the plan (so the chained arrears are unchanged).
    assert_eq!(bills[0], plain[0]);
    assert_eq!(bills[1], plain[1]);
    // Oct: + 5,000 + 230.14 (20,000 x 14% x 30 / 365); deferred 700 shown.
    assert_eq!(bills[2].arrears_rs, plain[2].arrears_rs);
    assert_eq!(
        bills[2].payable_within_due_rs,
        plain[2].payable_within_due_rs + dec!(5230.14)
    );
    assert_eq!(bills[2].lps_rs, plain[2].lps_rs);
    assert_eq!(bills[2].deferred_rs, dec!(700));
}

// ------------------------------------------------------------------------------ properties

const TARIFFS: &[&str] = &["A-1a", "A-2a", "B-1", "B-2a"];

proptest! {
    /// Over the builtin book (taxes, FPA, QTA) in Aug-Nov 2026: payable within due date =
    /// arrears + current bill + total FPA + installment + markup; the current bill, total FPA
    /// and LPS are those of the bill without the installment; payable after = within + LPS.
    #[test]
    fn installment_is_added_to_the_payable_only(
        tariff in proptest::sample::select(TARIFFS),
        month in 8u32..=11,
        units in 0u64..3_000,
        hist_units in 0u64..400,
        arrears in -20_000i64..50_000,
        principal_paisa in 1i64..10_000_000,
        extra_paisa in 0i64..100_000_000,
        days in 1u32..=366,
        first in any::<bool>(),
        deferred_paisa in 0i64..10_000_000,
    ) {
        let cycle = format!("2026-{month:02}");
        let history = flat_history(&cycle, 12, hist_units);
        // 5 kW (4.99 on A-1a / A-2a, which are for loads below 5 kW).
        let mut inp = input_at("LESCO", "Punjab", tariff, legal_load(tariff, 500), &cycle, units, &history);
        inp.phase = 3;
        inp.arrears_rs = Decimal::from(arrears);
        let principal = Decimal::new(principal_paisa, 2);
        let before = principal + Decimal::new(extra_paisa, 2);
        let extras = BillExtras {
            installment: Some(due(principal, before, days, first)),
            deferred_rs: Decimal::new(deferred_paisa, 2),
            ..BillExtras::default()
        };
        let plain = compute_bill(builtin(), &inp).unwrap();
        let b = compute_bill_with(builtin(), &inp, &extras).unwrap();
        prop_assert_eq!(b.current_bill_rs, plain.current_bill_rs);
        prop_assert_eq!(b.total_fpa_rs, plain.total_fpa_rs);
        prop_assert_eq!(b.lps_rs, plain.lps_rs);
        prop_assert_eq!(b.installment_rs, principal);
        prop_assert_eq!(
            b.payable_within_due_rs,
            b.arrears_rs + b.current_bill_rs + b.total_fpa_rs + b.installment_rs
                + b.installment_markup_rs
        );
        prop_assert_eq!(b.payable_within_due_rs, plain.payable_within_due_rs + principal + b.installment_markup_rs);
        prop_assert_eq!(b.payable_after_due_rs, b.payable_within_due_rs + b.lps_rs);
        prop_assert_eq!(b.lines_total_rs(LineBlock::Installment), principal + b.installment_markup_rs);
        prop_assert_eq!(b.installment_balance_after_rs, before - principal);
        prop_assert_eq!(b.deferred_rs, Decimal::new(deferred_paisa, 2));
        // Markup: none on the first; else balance x (14% x days / 365) to the paisa: the
        // printed quantity (balance x days / 365 to 4 decimals) x 14 %. Within a paisa of
        // balance x 14% x days / 365 unrounded (equal but within 0.00001 of a half paisa).
        let quantity = (before * Decimal::from(days) / dec!(365))
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let rate = dec!(0.14);
        let expected = if first {
            Decimal::ZERO
        } else {
            round_paisa(quantity * rate)
        };
        prop_assert_eq!(b.installment_markup_rs, expected);
        let one_division = round_paisa(before * dec!(0.14) * Decimal::from(days) / dec!(365));
        prop_assert!(first || (expected - one_division).abs() <= dec!(0.01));
        if let Some(m) = b.line("installment_markup") {
            prop_assert_eq!((m.quantity, m.rate), (quantity, rate));
            prop_assert_eq!(round_paisa(m.quantity * m.rate), m.amount_rs);
        } else {
            prop_assert!(expected.is_zero());
        }
        // Every line other than the installment lines is the plain bill's.
        let others: Vec<_> = b.lines.iter().filter(|l| l.block() != LineBlock::Installment).cloned().collect();
        prop_assert_eq!(others, plain.lines);
    }

    /// A plan sums to the amount, equal installments but the last, within n - 1 paisa.
    #[test]
    fn plan_sums_to_the_amount(paisa in 1i64..10_000_000_000, n in 2u32..=12) {
        let amount = Decimal::new(paisa, 2);
        let p = plan(book(), amount, n, day(2026, 8, 5)).unwrap();
        prop_assert_eq!(p.len(), n as usize);
        prop_assert_eq!(p.iter().copied().sum::<Decimal>(), amount);
        prop_assert!(p[..p.len() - 1].iter().all(|x| *x == p[0]));
        let extra = p[p.len() - 1] - p[0];
        prop_assert!(extra >= Decimal::ZERO && extra < Decimal::new(i64::from(n), 2));
    }
}
