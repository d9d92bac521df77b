//! What-if and re-billing tests on a small hand-made DISCO. Expected figures are computed
//! independently: by really loading the proposal and re-billing (a different code path: the
//! journaled book, `load_toml` precedence), and, for the subsidy, by hand from the units.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use billing::{data, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::rows::{Consumer, ConsumerStatus, Payment, Reading};
use crate::simulate::{Simulation, SimulationRow, TOTAL};
use crate::store::{Backend, CycleBills, Store};
use crate::StorageError;

pub(crate) const DISCO: &str = "MEPCO";
const SRO: &str = "sro-279-2026.toml";
const DETERMINED: &str = "determined-illustrative-2026.toml";

pub(crate) fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}
pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
pub(crate) fn cycle() -> YearMonth {
    ym("2026-11")
}
fn issue() -> NaiveDate {
    day("2026-12-04")
}

pub(crate) fn consumer(i: u64, tariff: &str, sl: &str, units: u64, employee: bool) -> Consumer {
    Consumer {
        reference: 1_000_000_000_000 + i,
        customer_id: i,
        name: format!("consumer {i}"),
        address: "somewhere".into(),
        disco: DISCO.into(),
        circle: "Multan".into(),
        division: "City".into(),
        subdivision: 1,
        batch: 7,
        tariff: tariff.into(),
        sanctioned_load_kw: Decimal::from_str(sl).unwrap(),
        phase: 1,
        meter_no: format!("M{i}"),
        multiplying_factor: 1,
        connection_date: day("2015-01-01"),
        status: ConsumerStatus::Active,
        owner_type: "private".into(),
        province: "Punjab".into(),
        tou: false,
        atl: i.is_multiple_of(2),
        employee_grade: employee.then_some(10),
        employee_status: employee.then(|| "in_service".into()),
        opening_arrears_paisa: (i as i64 % 5) * 12_345,
        // Twelve months at this month's units: the band is stable and FPA has its month.
        history: (1..=12).map(|k| (cycle().add_months(-k), units)).collect(),
        disconnected_from: None,
        strn_registered: false,
        meter_digits: None,
    }
}

pub(crate) fn reading(c: &Consumer, units: u64) -> Reading {
    Reading {
        reference: c.reference,
        cycle: cycle(),
        reading_date: day("2026-11-28"),
        previous_reading_date: day("2026-10-29"),
        offpeak_previous: 5_000,
        offpeak_present: 5_000 + units,
        peak_previous: None,
        peak_present: None,
        mdi_kw: None,
        power_factor: None,
        reading_code: "OK".into(),
        meter_change: None,
        offpeak_units: 0,
        peak_units: 0,
    }
}

/// A-1a across every band (lifeline, protected, unprotected slabs), A-2a commercial, one
/// employee, one A-2b (rates not public: refused), one consumer without a reading.
pub(crate) fn load_disco(store: &Store) {
    let mut cs = Vec::new();
    let mut rs = Vec::new();
    let mut add = |c: Consumer, units: Option<u64>| {
        if let Some(u) = units {
            rs.push(reading(&c, u));
        }
        cs.push(c);
    };
    for i in 0..40 {
        let units = 30 + 23 * i;
        let sl = if i < 3 { "1" } else { "4" };
        add(consumer(i, "A-1a", sl, units, false), Some(units));
    }
    for i in 40..50 {
        let units = 100 + 50 * (i - 40);
        add(consumer(i, "A-2a", "3", units, false), Some(units));
    }
    add(consumer(50, "A-1a", "2", 260, true), Some(260));
    add(consumer(51, "A-2b", "10", 900, false), Some(900));
    add(consumer(52, "A-1a", "2", 100, false), None);
    store.insert_consumers(cs).unwrap();
    store.insert_readings(rs).unwrap();
    store
        .load_tariff(DETERMINED, data::file(DETERMINED).unwrap())
        .unwrap();
}

pub(crate) fn open(dir: &Path) -> Arc<Store> {
    Store::open(dir, Backend::Journal).unwrap().0
}

pub(crate) fn billed(store: &Store) -> Arc<CycleBills> {
    store.read().cycles[&(DISCO.to_string(), cycle())].clone()
}

/// (reference -> (category, band, revenue, subsidy, payable within due)) of the cycle.
type Snapshot = HashMap<u64, (String, String, i64, i64, i64)>;

fn snapshot(cb: &CycleBills) -> Snapshot {
    cb.bills
        .iter()
        .map(|b| {
            (
                b.reference,
                (
                    cb.dicts.text(b.category).to_string(),
                    cb.dicts.text(b.band).to_string(),
                    b.current_bill_paisa + b.total_fpa_paisa,
                    b.subsidy_paisa,
                    b.payable_within_due_paisa,
                ),
            )
        })
        .collect()
}

fn row<'a>(sim: &'a Simulation, category: &str, band: &str) -> &'a SimulationRow {
    sim.rows
        .iter()
        .find(|r| r.category == category && r.band == band)
        .unwrap_or_else(|| panic!("no row {category}/{band} in {:#?}", sim.rows))
}

/// The per-DISCO total row is the sum of the other rows.
fn check_total(sim: &Simulation) {
    let mut sum = SimulationRow::default();
    for r in sim.rows.iter().filter(|r| r.category != TOTAL) {
        sum.add(r);
    }
    let t = row(sim, TOTAL, TOTAL);
    assert_eq!(
        (
            t.bills,
            t.refused,
            t.units_kwh,
            t.revenue_current_paisa,
            t.revenue_proposed_paisa,
            t.subsidy_current_paisa,
            t.subsidy_proposed_paisa
        ),
        (
            sum.bills,
            sum.refused,
            sum.units_kwh,
            sum.revenue_current_paisa,
            sum.revenue_proposed_paisa,
            sum.subsidy_current_paisa,
            sum.subsidy_proposed_paisa
        )
    );
}

/// S.R.O. 279 as a new schedule from 2026-10-01 (so it also wins when really loaded) with
/// A-2a at Rs 40.00 instead of 37.44 and the top A-1a slab at 50.00 instead of 47.20.
fn higher_rates() -> String {
    let sro = data::file(SRO).unwrap();
    let top = r#"{ band = "unprotected", from = 701,           rate = "47.20", fixed = "675" }"#;
    for needle in [
        r#"id = "SRO-279(I)/2026""#,
        r#"effective_from = "2026-02-12""#,
        r#"rate = "37.44""#,
        top,
    ] {
        assert_eq!(
            sro.matches(needle).count(),
            1,
            "S.R.O. 279 data changed: {needle}"
        );
    }
    sro.replace(r#"id = "SRO-279(I)/2026""#, r#"id = "PROPOSED-2026-10""#)
        .replace(
            r#"effective_from = "2026-02-12""#,
            r#"effective_from = "2026-10-01""#,
        )
        .replace(r#"rate = "37.44""#, r#"rate = "40.00""#)
        .replace(top, &top.replace("47.20", "50.00"))
}

#[test]
fn the_current_schedule_as_proposal_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    let summary = store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    assert_eq!(summary.refused, 1, "A-2b has no public rate");
    // By shipped file name and as text: same answer, zero change everywhere.
    let by_name = store.simulate_tariff(SRO, cycle(), Some(DISCO)).unwrap();
    let by_text = store
        .simulate_tariff(data::file(SRO).unwrap(), cycle(), None)
        .unwrap();
    assert_eq!(by_name, by_text);
    check_total(&by_name);
    for r in &by_name.rows {
        assert_eq!(r.revenue_change_paisa(), 0, "{r:?}");
        assert_eq!(r.subsidy_change_paisa(), 0, "{r:?}");
    }
    let t = row(&by_name, TOTAL, TOTAL);
    assert_eq!(t.bills, summary.bills);
    assert_eq!(t.units_kwh, summary.units_kwh);
    assert_eq!(t.revenue_current_paisa, i128::from(summary.payable_paisa));
    assert_eq!(
        t.refused, 1,
        "the A-2b consumer is refused under the proposal too"
    );
    assert!(
        t.subsidy_current_paisa != 0,
        "the determined schedule is loaded"
    );
    // Every band the cycle billed has its row.
    for b in ["lifeline", "protected", "unprotected"] {
        assert!(row(&by_name, "residential", b).bills > 0, "{b}");
    }
}

#[test]
fn higher_rates_equal_a_real_rebill_and_leave_the_bills_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let first = billed(&store);
    let before = snapshot(&first);
    assert!(first.previous_payable_within_due_paisa.is_empty());
    // A payment after billing must not leak into the re-priced bills (same arrears).
    let paid = first.bills[5].reference;
    store
        .insert_payments(vec![Payment {
            reference: paid,
            transaction_id: "T-1".into(),
            amount_paisa: 50_000,
            value_date: day("2026-12-05"),
            bank: "HBL".into(),
        }])
        .unwrap();

    let proposal = higher_rates();
    let version = store.read().version;
    let sim = store
        .simulate_tariff(&proposal, cycle(), Some(DISCO))
        .unwrap();
    check_total(&sim);
    // Nothing changed: same bills segment, same state version, same book.
    assert!(Arc::ptr_eq(&first, &billed(&store)));
    assert_eq!(snapshot(&billed(&store)), before);
    assert_eq!(store.read().version, version);
    assert!(store.read().book.proposed_schedules().next().is_none());
    let total = row(&sim, TOTAL, TOTAL);
    assert!(total.revenue_change_paisa() > 0, "{total:?}");

    // Independent: load the proposal for real, re-bill, compare per bill.
    store.load_tariff("proposal.toml", &proposal).unwrap();
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let second = billed(&store);
    let after = snapshot(&second);
    let mut by_row: HashMap<(String, String), (i128, i128)> = HashMap::new();
    let mut diff_total = 0i128;
    for (i, b) in second.bills.iter().enumerate() {
        let old = &before[&b.reference];
        let new = &after[&b.reference];
        let e = by_row.entry((old.0.clone(), old.1.clone())).or_default();
        e.0 += i128::from(new.2 - old.2);
        e.1 += i128::from(new.3 - old.3);
        // The re-run keeps the previous payable; the difference is the revenue change
        // (arrears are the first run's, the payment notwithstanding).
        assert_eq!(second.previous_payable_within_due_paisa[i], Some(old.4));
        assert_eq!(new.4 - old.4, new.2 - old.2, "{}", b.reference);
        diff_total += i128::from(new.4 - old.4);
    }
    assert_eq!(diff_total, total.revenue_change_paisa());
    for r in sim.rows.iter().filter(|r| r.category != TOTAL) {
        let (rev, sub) = by_row
            .get(&(r.category.clone(), r.band.clone()))
            .copied()
            .unwrap_or_default();
        assert_eq!(r.revenue_change_paisa(), rev, "{r:?}");
        assert_eq!(r.subsidy_change_paisa(), sub, "{r:?}");
    }
    // By hand: A-2a subsidy = units x (determined 42.00 - applicable); applicable 37.44 ->
    // 40.00 lowers it by units x 2.56 (fixed charges equal: no change there).
    let a2a_units: u64 = (0..10).map(|k| 100 + 50 * k).sum();
    let commercial = row(&sim, "commercial", "flat");
    assert_eq!(commercial.units_kwh, a2a_units);
    assert_eq!(
        commercial.subsidy_change_paisa(),
        -(i128::from(a2a_units) * 256)
    );
    assert!(commercial.revenue_change_paisa() >= i128::from(a2a_units) * 256);
    // Protected slabs did not change.
    assert_eq!(
        row(&sim, "residential", "protected").revenue_change_paisa(),
        0
    );

    // Now in force: the loaded file's name as the proposal changes nothing.
    let again = store
        .simulate_tariff("proposal.toml", cycle(), Some(DISCO))
        .unwrap();
    assert!(again.rows.iter().all(|r| r.revenue_change_paisa() == 0));
}

#[test]
fn a_proposal_refusing_a_category_counts_it_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let proposal = r#"
[[schedule]]
id = "WITHDRAW-A2A"
sro = "what-if"
effective_from = "2026-11-01"

[[schedule.tariff]]
code = "A-2a"
category = "commercial"
missing = true
"#;
    let sim = store.simulate_tariff(proposal, cycle(), None).unwrap();
    let c = row(&sim, "commercial", "flat");
    assert_eq!((c.bills, c.refused), (10, 10));
    assert_eq!(c.revenue_proposed_paisa, 0);
    assert_eq!(c.revenue_change_paisa(), -c.revenue_current_paisa);
    assert!(c.revenue_current_paisa > 0);
    assert_eq!(
        row(&sim, "residential", "unprotected").revenue_change_paisa(),
        0
    );
    check_total(&sim);
}

#[test]
fn bad_proposals_and_cycles_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    assert!(matches!(
        store.simulate_tariff(SRO, cycle(), None),
        Err(StorageError::NotReady(_))
    ));
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    assert!(matches!(
        store.simulate_tariff("[[schedule]]\nid = ", cycle(), None),
        Err(StorageError::Billing(billing::BillingError::DataParse(_)))
    ));
    assert!(matches!(
        store.simulate_tariff("no-such-file.toml", cycle(), None),
        Err(StorageError::Invalid(_))
    ));
    assert!(matches!(
        store.simulate_tariff(SRO, cycle(), Some("LESCO")),
        Err(StorageError::NotReady(_))
    ));
    let later = higher_rates().replace(
        r#"effective_from = "2026-10-01""#,
        r#"effective_from = "2027-01-01""#,
    );
    let e = store
        .simulate_tariff(&later, cycle(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PROPOSED-2026-10") && e.contains("2026-12-04"),
        "{e}"
    );
    // An FPA month already loaded stays a duplicate.
    assert!(store
        .simulate_tariff(data::file("adjustments-2026.toml").unwrap(), cycle(), None)
        .is_err());
}

#[test]
fn rebill_after_a_late_fpa_keeps_the_difference_across_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let late_fpa = r#"
[[fpa]]
fuel_month = "2026-09"
rate = "1.5000"
sro = "late FCA Sep-2026 (test)"
exempt_bands = ["lifeline"]
"#;
    let (expected, fpa_by_ref) = {
        let store = open(tmp.path());
        load_disco(&store);
        store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
        let first = snapshot(&billed(&store));
        // The what-if of the late file before loading it...
        let sim = store.simulate_tariff(late_fpa, cycle(), None).unwrap();
        store.load_tariff("fca-2026-09.toml", late_fpa).unwrap();
        store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
        let cb = billed(&store);
        let mut expected = Vec::new();
        let mut fpa = HashMap::new();
        let mut sum = 0i128;
        for (i, b) in cb.bills.iter().enumerate() {
            let prev = cb.previous_payable_within_due_paisa[i];
            assert_eq!(prev, Some(first[&b.reference].4));
            expected.push((b.reference, prev, b.payable_within_due_paisa));
            fpa.insert(b.reference, b.total_fpa_paisa);
            sum += i128::from(b.payable_within_due_paisa - first[&b.reference].4);
            // Only the FPA block moved; lifeline is exempt.
            if cb.dicts.text(b.band) == "lifeline" {
                assert_eq!(b.payable_within_due_paisa, first[&b.reference].4);
            }
        }
        // ... equals what the re-bill did.
        assert_eq!(row(&sim, TOTAL, TOTAL).revenue_change_paisa(), sum);
        assert!(sum > 0);
        store.shutdown();
        (expected, fpa)
    };
    // Replay recomputes both runs in journal order: the second sees the first again.
    let store = open(tmp.path());
    let cb = billed(&store);
    let replayed: Vec<_> = cb
        .bills
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                b.reference,
                cb.previous_payable_within_due_paisa[i],
                b.payable_within_due_paisa,
            )
        })
        .collect();
    assert_eq!(replayed, expected);
    for b in &cb.bills {
        assert_eq!(b.total_fpa_paisa, fpa_by_ref[&b.reference]);
    }
    store.shutdown();
}

/// Arrears policy: a re-bill keeps the arrears its bill was first issued with (the balance
/// brought forward then); a payment posted after the first issue and the re-bill's own
/// difference are both carried by the next cycle's arrears, so nothing is lost or counted
/// twice.
#[test]
fn a_rebill_keeps_its_arrears_and_the_next_cycle_carries_everything_after() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    // Consumer 7 (A-1a, 191 units, opening arrears 2 x Rs 123.45).
    let c7 = consumer(7, "A-1a", "4", 191, false);
    let nov = billed(&store);
    let first = nov.bills[nov.by_reference[&c7.reference] as usize];
    assert_eq!(first.arrears_paisa, c7.opening_arrears_paisa);
    store
        .insert_payments(vec![Payment {
            reference: c7.reference,
            transaction_id: "TX-7-1".into(),
            amount_paisa: 150_000,
            value_date: day("2026-12-10"),
            bank: "HBL".into(),
        }])
        .unwrap();
    store
        .load_tariff(
            "fca-2026-09.toml",
            "[[fpa]]\nfuel_month = \"2026-09\"\nrate = \"1.5000\"\nsro = \"late FCA (test)\"\nexempt_bands = [\"lifeline\"]\n",
        )
        .unwrap();
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let cb = billed(&store);
    let again = cb.bills[cb.by_reference[&c7.reference] as usize];
    assert_eq!(
        again.arrears_paisa, first.arrears_paisa,
        "arrears as first issued"
    );
    assert!(again.total_fpa_paisa > 0);
    // December: arrears = opening + November as re-billed - the payment, + November's LPS
    // (Rs 1,500 does not pay it in full by its due date).
    assert!(150_000 < again.payable_within_due_paisa);
    let mut r = reading(&c7, 200);
    r.cycle = ym("2026-12");
    r.previous_reading_date = day("2026-11-28");
    r.reading_date = day("2026-12-28");
    r.offpeak_previous = 5_191;
    r.offpeak_present = 5_391;
    store.insert_readings(vec![r]).unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec = store.read().cycles[&(DISCO.to_string(), ym("2026-12"))].clone();
    let d = dec.bills[dec.by_reference[&c7.reference] as usize];
    assert_eq!(
        d.arrears_paisa,
        c7.opening_arrears_paisa + again.current_bill_paisa + again.total_fpa_paisa - 150_000
            + again.lps_paisa
    );
    assert_eq!(d.lps_in_arrears_paisa, again.lps_paisa);
}

/// LPS policy: a bill not paid in full by its due date owes its LPS; the next month's bill
/// carries it in its arrears (`lps_in_arrears`), once, also across a re-bill.
#[test]
fn an_unpaid_bill_s_lps_reaches_the_next_arrears_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let nov = billed(&store);
    let c = |i: u64| consumer(i, "A-1a", "4", 0, false).reference;
    let bill = |cb: &CycleBills, r: u64| cb.bills[cb.by_reference[&r] as usize];
    // 10: unpaid; 11: paid in full on time; 12: paid in full after the due date; 13: paid
    // half on time; 14: paid in full, valued before the issue date (an advance payment posted
    // after the bill).
    let due = bill(&nov, c(10)).due_date;
    let pay = |r: u64, tx: &str, amount: i64, on: NaiveDate| Payment {
        reference: r,
        transaction_id: tx.into(),
        amount_paisa: amount,
        value_date: on,
        bank: "HBL".into(),
    };
    store
        .insert_payments(vec![
            pay(
                c(11),
                "L-11",
                bill(&nov, c(11)).payable_within_due_paisa,
                due,
            ),
            pay(
                c(12),
                "L-12",
                bill(&nov, c(12)).payable_within_due_paisa,
                due.succ_opt().unwrap(),
            ),
            pay(
                c(13),
                "L-13",
                bill(&nov, c(13)).payable_within_due_paisa / 2,
                due,
            ),
            pay(
                c(14),
                "L-14",
                bill(&nov, c(14)).payable_within_due_paisa,
                day("2026-12-01"),
            ),
        ])
        .unwrap();
    let mut rs = Vec::new();
    for i in 10..15 {
        let cons = consumer(i, "A-1a", "4", 0, false);
        let units = 30 + 23 * i;
        let mut r = reading(&cons, 100);
        r.cycle = ym("2026-12");
        r.previous_reading_date = day("2026-11-28");
        r.reading_date = day("2026-12-28");
        r.offpeak_previous = 5_000 + units;
        r.offpeak_present = 5_100 + units;
        rs.push(r);
    }
    store.insert_readings(rs).unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec = store.read().cycles[&(DISCO.to_string(), ym("2026-12"))].clone();
    for (i, late) in [(10, true), (11, false), (12, true), (13, true), (14, false)] {
        let (n, d) = (bill(&nov, c(i)), bill(&dec, c(i)));
        assert!(n.lps_paisa > 0, "{i}");
        let lps = if late { n.lps_paisa } else { 0 };
        assert_eq!(d.lps_in_arrears_paisa, lps, "{i}");
        let paid: i64 = match i {
            11 | 12 | 14 => n.payable_within_due_paisa,
            13 => n.payable_within_due_paisa / 2,
            _ => 0,
        };
        assert_eq!(
            d.arrears_paisa,
            n.payable_within_due_paisa - paid + lps,
            "{i}"
        );
    }
    // A re-bill keeps the arrears; the balance holds the LPS once.
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let again = store.read().cycles[&(DISCO.to_string(), ym("2026-12"))].clone();
    let st = store.read();
    for i in 10..14 {
        let (d, a) = (bill(&dec, c(i)), bill(&again, c(i)));
        assert_eq!(
            (a.arrears_paisa, a.lps_in_arrears_paisa),
            (d.arrears_paisa, d.lps_in_arrears_paisa)
        );
        let dynamic = &st.consumer_dyn[st.consumer_by_ref[&c(i)] as usize];
        assert_eq!(
            dynamic.balance_paisa,
            a.arrears_paisa + a.current_bill_paisa + a.total_fpa_paisa,
            "{i}"
        );
    }
}

/// A payment posted before a bill was computed is in that bill's arrears: it does not also
/// pay the bill for the LPS, whatever its value date.
#[test]
fn a_payment_already_in_the_arrears_does_not_also_pay_the_bill() {
    let r = consumer(16, "A-1a", "4", 0, false).reference;
    // What consumer 16 owes with November's bill (opening arrears + November).
    let owed = {
        let tmp = tempfile::tempdir().unwrap();
        let store = open(tmp.path());
        load_disco(&store);
        store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
        let cb = billed(&store);
        cb.bills[cb.by_reference[&r] as usize].payable_within_due_paisa
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    // Three quarters of it paid the day after the issue date, posted before the run.
    let paid = owed * 3 / 4;
    store
        .insert_payments(vec![Payment {
            reference: r,
            transaction_id: "EARLY-16".into(),
            amount_paisa: paid,
            value_date: day("2026-12-05"),
            bank: "HBL".into(),
        }])
        .unwrap();
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let nov = billed(&store);
    let n = nov.bills[nov.by_reference[&r] as usize];
    assert_eq!(n.payable_within_due_paisa, owed - paid);
    assert!(n.lps_paisa > 0);
    // Nothing more paid: November's LPS is owed although `paid` >= its payable.
    assert!(paid >= n.payable_within_due_paisa);
    let cons = consumer(16, "A-1a", "4", 0, false);
    let mut rd = reading(&cons, 100);
    let start = 5_000 + 30 + 23 * 16;
    rd.cycle = ym("2026-12");
    rd.previous_reading_date = day("2026-11-28");
    rd.reading_date = day("2026-12-28");
    rd.offpeak_previous = start;
    rd.offpeak_present = start + 100;
    store.insert_readings(vec![rd]).unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec = store.read().cycles[&(DISCO.to_string(), ym("2026-12"))].clone();
    let d = dec.bills[dec.by_reference[&r] as usize];
    assert_eq!(d.lps_in_arrears_paisa, n.lps_paisa);
    assert_eq!(d.arrears_paisa, n.payable_within_due_paisa + n.lps_paisa);
}

/// A first run of a month no consumer of the DISCO was read in is refused (it would bill
/// nothing and, cycles billing in order, block the months before it).
#[test]
fn a_cycle_without_readings_is_refused_and_blocks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let e = store
        .bill_cycle(DISCO, ym("2028-11"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no consumer of MEPCO has a reading for cycle 2028-11"),
        "{e}"
    );
    assert!(!store
        .read()
        .cycles
        .contains_key(&(DISCO.to_string(), ym("2028-11"))));
    // December can still be billed once read.
    let cons = consumer(3, "A-1a", "1", 0, false);
    let mut rd = reading(&cons, 50);
    rd.cycle = ym("2026-12");
    rd.previous_reading_date = day("2026-11-28");
    rd.reading_date = day("2026-12-28");
    rd.offpeak_previous = 5_000 + 30 + 23 * 3;
    rd.offpeak_present = rd.offpeak_previous + 50;
    store.insert_readings(vec![rd]).unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
}

/// A tariff file's name identifies it: loading another file under a loaded name is refused
/// (nothing of it applied), so `simulate_tariff('<name>')` and `tariffs` stay unambiguous.
#[test]
fn a_loaded_file_name_is_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    let fpa = "[[fpa]]\nfuel_month = \"2026-09\"\nrate = \"1.0000\"\nsro = \"t\"\nexempt_bands = [\"lifeline\"]\n";
    store.load_tariff("fpa.toml", fpa).unwrap();
    let other = fpa.replace("2026-09", "2026-10");
    let e = store.load_tariff("fpa.toml", &other).unwrap_err();
    assert!(matches!(e, StorageError::Duplicate(_)), "{e}");
    assert_eq!(
        store
            .read()
            .tariff_files
            .iter()
            .filter(|f| f.name == "fpa.toml")
            .count(),
        1
    );
    store.load_tariff("fpa-2026-10.toml", &other).unwrap();
}

/// KNOWN-CASES B09 through the store: the register's digits are the meter's (master file
/// `meter_digits`). On a 5-digit meter 99,950 -> 30 is a rollover of 80 units; on a 6-digit
/// meter it is a lower reading and refused; a reading the register cannot show is refused.
#[test]
fn rollover_follows_the_meter_s_register_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let mut five = consumer(60, "A-1a", "2", 100, false);
    five.meter_digits = Some(5);
    let mut six = consumer(61, "A-1a", "2", 100, false);
    six.meter_digits = Some(6);
    let mut bad = consumer(62, "A-1a", "2", 100, false);
    bad.meter_digits = Some(12);
    let e = store.insert_consumers(vec![bad]).unwrap_err().to_string();
    assert!(e.contains("meter_digits"), "{e}");
    store
        .insert_consumers(vec![five.clone(), six.clone()])
        .unwrap();
    let wrap = |c: &Consumer| {
        let mut r = reading(c, 0);
        r.offpeak_previous = 99_950;
        r.offpeak_present = 30;
        r
    };
    store.insert_readings(vec![wrap(&five)]).unwrap();
    assert_eq!(
        store.read().readings.iter().next().unwrap().offpeak_units,
        80
    );
    let e = store
        .insert_readings(vec![wrap(&six)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not a register rollover on a 6-digit register"),
        "{e}"
    );
    let mut over = wrap(&six);
    over.offpeak_previous = 1_000_000;
    over.offpeak_present = 1_000_100;
    let e = store.insert_readings(vec![over]).unwrap_err().to_string();
    assert!(
        e.contains("does not fit the meter's 6-digit register"),
        "{e}"
    );
}

/// Master rows that could never be billed are refused at COPY, each naming its column: a TOU
/// flag against the tariff's metering, an unknown BPS grade or service status, a status
/// without a grade, a sanctioned load beyond any bill.
#[test]
fn master_rows_that_could_never_be_billed_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let mut tou = consumer(70, "A-1a", "2", 100, false);
    tou.tou = true;
    let mut grade = consumer(71, "A-1a", "2", 100, true);
    grade.employee_grade = Some(99);
    let mut status = consumer(72, "A-1a", "2", 100, true);
    status.employee_status = Some("on leave".into());
    let mut orphan = consumer(73, "A-1a", "2", 100, false);
    orphan.employee_status = Some("retired".into());
    let mut huge = consumer(74, "B-3", "99999999999", 100, false);
    huge.tou = true;
    let Err(StorageError::Rows(errs)) =
        store.insert_consumers(vec![tou, grade, status, orphan, huge])
    else {
        panic!("accepted");
    };
    let got: Vec<(usize, &str, &str)> =
        errs.iter().map(|e| (e.row, e.column, e.sqlstate)).collect();
    assert_eq!(
        got,
        vec![
            (0, "tou", "22023"),
            (1, "employee_grade", "22023"),
            (2, "employee_status", "22023"),
            (3, "employee_grade", "23502"),
            (4, "sanctioned_load_kw", "22003"),
        ],
        "{errs:?}"
    );
    assert!(
        errs[0].reason.contains("A-1a is not TOU metered"),
        "{}",
        errs[0].reason
    );
    assert!(store.read().consumers.is_empty());
    // A retired employee and a TOU tariff with its flag load.
    let mut ok = consumer(75, "A-1a", "2", 100, true);
    ok.employee_status = Some("retired".into());
    let mut a1b = consumer(76, "A-1b", "6", 100, false);
    a1b.tou = true;
    store.insert_consumers(vec![ok, a1b]).unwrap();
}

/// The subsidy is kept per line (energy, fixed, minimum charge) and the lines add up to each
/// bill's subsidy.
#[test]
fn subsidy_lines_add_up_to_each_bill() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), Some(issue())).unwrap();
    let cb = billed(&store);
    let mut sums = vec![0i64; cb.bills.len()];
    for &(i, name, paisa) in &cb.subsidy_lines {
        assert!(["energy", "fixed", "minimum_charge"].contains(&cb.dicts.names[usize::from(name)]));
        assert_ne!(paisa, 0);
        sums[i as usize] += paisa;
    }
    let with_subsidy = cb.bills.iter().filter(|b| b.subsidy_paisa != 0).count();
    assert!(with_subsidy > 10, "{with_subsidy}");
    for (b, s) in cb.bills.iter().zip(&sums) {
        assert_eq!(b.subsidy_paisa, *s, "{}", b.reference);
    }
}
