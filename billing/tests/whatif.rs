//! What-if books ([`TariffBook::with_override`]): a proposed schedule takes precedence over the
//! book on the dates it covers, for the codes it lists, and the book itself never changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use billing::{data, BillInput, BillingError, TariffBook, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::compute_bill;

const SRO: &str = "sro-279-2026.toml";
/// The open-ended unprotected A-1a slab as S.R.O. 279 prints it.
const TOP_SLAB: &str =
    r#"{ band = "unprotected", from = 701,           rate = "47.20", fixed = "675" }"#;

fn input<'a>(tariff: &'a str, units: u64, issue: NaiveDate) -> BillInput<'a> {
    BillInput {
        disco: "MEPCO",
        tariff,
        sanctioned_load_kw: dec!(4),
        phase: 1,
        province: "Punjab",
        cycle: YearMonth::of_date(issue).add_months(-1),
        issue_date: issue,
        period_days: 30,
        units_offpeak_kwh: units,
        units_peak_kwh: 0,
        mdi_kw: Decimal::ZERO,
        history: &[],
        arrears_rs: Decimal::ZERO,
        atl: true,
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn book() -> TariffBook {
    let mut b = TariffBook::empty();
    b.load_toml(data::file(SRO).unwrap()).unwrap();
    b.load_toml(data::file("terms.toml").unwrap()).unwrap();
    b
}

fn energy_rate(book: &TariffBook, tariff: &str, units: u64, issue: &str) -> Decimal {
    let bill = compute_bill(book, &input(tariff, units, day(issue))).unwrap();
    bill.line("energy").unwrap().rate
}

/// S.R.O. 279 with the top A-1a slab at `rate`, under the same id and date.
fn modified_sro(rate: &str) -> String {
    let text = data::file(SRO).unwrap();
    assert!(
        text.contains(TOP_SLAB),
        "S.R.O. 279 data changed: fix TOP_SLAB"
    );
    text.replace(TOP_SLAB, &TOP_SLAB.replace("47.20", rate))
}

#[test]
fn modified_copy_of_the_notified_schedule_wins_and_the_book_is_unchanged() {
    let book = book();
    let text = modified_sro("50.00");
    // As an ordinary load the same id is a duplicate (versions are append-only).
    let mut trial = book.clone();
    assert!(matches!(
        trial.load_toml(&text),
        Err(BillingError::Duplicate { .. })
    ));
    let (whatif, summary) = book.with_override(&text).unwrap();
    assert_eq!(summary.schedules, 1);
    let ids: Vec<_> = whatif.proposed_schedules().map(|s| s.0).collect();
    assert_eq!(ids, ["SRO-279(I)/2026"]);
    assert_eq!(book.proposed_schedules().count(), 0);
    assert_eq!(energy_rate(&whatif, "A-1a", 800, "2026-12-04"), dec!(50.00));
    assert_eq!(energy_rate(&book, "A-1a", 800, "2026-12-04"), dec!(47.20));
    // Slabs the proposal did not change price as before.
    assert_eq!(
        energy_rate(&whatif, "A-1a", 250, "2026-12-04"),
        energy_rate(&book, "A-1a", 250, "2026-12-04")
    );
}

#[test]
fn proposal_dated_before_the_schedule_in_force_still_takes_precedence_on_its_dates() {
    let book = book();
    let proposal = r#"
[[schedule]]
id = "PROPOSED-A2A"
sro = "proposal"
effective_from = "2025-07-01"
effective_to = "2026-12-31"

[[schedule.tariff]]
code = "A-2a"
category = "commercial"
pricing = "flat"
rate = "60.00"
fixed = "1000"
fixed_basis = "per_consumer"
"#;
    let (whatif, _) = book.with_override(proposal).unwrap();
    // Under load_toml semantics S.R.O. 279 (from 2026-02-12) would still win.
    let mut plain = book.clone();
    plain.load_toml(proposal).unwrap();
    let notified = energy_rate(&book, "A-2a", 300, "2026-12-04");
    assert_eq!(energy_rate(&plain, "A-2a", 300, "2026-12-04"), notified);
    assert_eq!(energy_rate(&whatif, "A-2a", 300, "2026-12-04"), dec!(60.00));
    assert_eq!(
        whatif.schedule_in_force("A-2a", day("2026-12-04")).unwrap(),
        "PROPOSED-A2A"
    );
    // Outside the proposal's dates, and for codes it does not list, the book resolves as before.
    assert_eq!(energy_rate(&whatif, "A-2a", 300, "2027-01-05"), notified);
    assert_eq!(
        whatif.schedule_in_force("A-1a", day("2026-12-04")).unwrap(),
        book.schedule_in_force("A-1a", day("2026-12-04")).unwrap()
    );
}

#[test]
fn proposal_that_does_not_parse_or_conflicts_is_refused() {
    let book = book();
    assert!(matches!(
        book.with_override("[[schedule]]\nid = "),
        Err(BillingError::DataParse(_))
    ));
    // A code keeps its category across every schedule, proposals included.
    let wrong = r#"
[[schedule]]
id = "P"
sro = "p"
effective_from = "2026-01-01"
[[schedule.tariff]]
code = "A-1a"
category = "commercial"
pricing = "flat"
rate = "1.00"
fixed_basis = "none"
"#;
    let e = book.with_override(wrong).unwrap_err();
    assert!(e.to_string().contains("conflicts"), "{e}");
    // Two schedules with one id inside the proposal are still a duplicate.
    let text = data::file(SRO).unwrap();
    let twice = format!("{text}\n{}", &text[text.find("[[schedule]]").unwrap()..]);
    assert!(matches!(
        book.with_override(&twice),
        Err(BillingError::Duplicate { .. })
    ));
}

#[test]
fn proposed_determined_schedule_changes_the_subsidy_only() {
    let mut book = book();
    let det = data::file("determined-illustrative-2026.toml").unwrap();
    book.load_toml(det).unwrap();
    let inp = input("A-2a", 300, day("2026-12-04"));
    let before = compute_bill(&book, &inp).unwrap();
    // Determined A-2a rate 42.00 -> 45.00: subsidy up by 300 x 3.00, the bill unchanged.
    let (whatif, _) = book
        .with_override(&det.replace(r#"rate = "42.00""#, r#"rate = "45.00""#))
        .unwrap();
    let after = compute_bill(&whatif, &inp).unwrap();
    assert_eq!(after.current_bill_rs, before.current_bill_rs);
    assert_eq!(after.subsidy_rs - before.subsidy_rs, dec!(900.00));
}
