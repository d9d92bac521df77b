//! Readings that span several bill months, through the store: an accumulated reading (months
//! never billed) and an actual reading after more estimates than the limit allows. Both are
//! billed once, on the reading's month, with one line per earlier month, and survive a
//! restart. Expected figures come from the shares, re-priced independently with the billing
//! crate's single-month engine.

use billing::{compute_bill_full, BillExtras, BillInput, ReadingFacts, YearMonth};
use rust_decimal::Decimal;

use crate::rows::{Reading, BILL_ACCUMULATED, BILL_CORRECTED, BILL_PROVISIONAL};
use crate::simulate::tests::{billed, consumer, cycle, day, load_disco, open, reading, ym, DISCO};
use crate::store::{CycleBills, Store};

fn bill_of(cb: &CycleBills, reference: u64) -> Option<&crate::rows::BillRow> {
    cb.by_reference
        .get(&reference)
        .map(|&i| &cb.bills[i as usize])
}

fn lines<'a>(cb: &'a CycleBills, reference: u64, name: &str) -> Vec<&'a crate::rows::LineRow> {
    let b = bill_of(cb, reference).unwrap();
    cb.lines[b.first_line as usize..b.first_line as usize + b.line_count as usize]
        .iter()
        .filter(|l| cb.dicts.name(l) == name)
        .collect()
}

fn cycle_of(store: &Store, m: &str) -> std::sync::Arc<CycleBills> {
    store.read().cycles[&(DISCO.to_string(), ym(m))].clone()
}

/// A reading of `cycle` read on the 28th, the previous one on `previous_date`.
fn read_at(
    reference: u64,
    m: &str,
    previous_date: &str,
    from: u64,
    to: u64,
    code: &str,
) -> Reading {
    let c = consumer(0, "A-1a", "2", 0, false);
    let mut r = reading(&c, 0);
    r.reference = reference;
    r.cycle = ym(m);
    r.reading_date = ym(m).first_day().with_day(28).unwrap();
    r.previous_reading_date = day(previous_date);
    r.offpeak_previous = from;
    r.offpeak_present = to;
    r.reading_code = code.into();
    r
}

use chrono::Datelike;

#[test]
fn accumulated_reading_bills_the_unread_month_on_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), None).unwrap();
    // Consumer 52 (A-1a, 100 units a month) had no November reading and no bill.
    let r52 = consumer(52, "A-1a", "2", 100, false).reference;
    assert!(bill_of(&billed(&store), r52).is_none());
    // December 28: 5,000 -> 5,400 since October 29: November runs Oct 29 - Nov 29 (31 days,
    // to the reading's monthly anniversary), December Nov 29 - Dec 28 (29 days).
    store
        .insert_readings(vec![read_at(
            r52,
            "2026-12",
            "2026-10-29",
            5_000,
            5_400,
            "OK",
        )])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec = cycle_of(&store, "2026-12");
    let b = *bill_of(&dec, r52).unwrap();
    assert_eq!(
        b.flags & (BILL_ACCUMULATED | BILL_CORRECTED),
        BILL_ACCUMULATED
    );
    assert_eq!(b.accumulated_months, 1);
    // Shares by days: 400 x 31/60 = 206.7 -> 207 for November, 193 for December.
    assert_eq!(b.units_kwh, 193);
    let acc = lines(&dec, r52, "accumulated_month");
    assert_eq!(acc.len(), 1);
    assert_eq!(acc[0].quantity_e4, 207 * 10_000);
    assert_eq!(acc[0].amount_paisa, b.accumulated_paisa);
    // November alone on 207 units, priced by the single-month engine, is the line's amount.
    let st = store.read();
    let c = st.consumers.get(st.consumer_by_ref[&r52] as usize).unwrap();
    let history: Vec<(YearMonth, u64)> = c.history.clone();
    let input = BillInput {
        units_offpeak_kwh: 207,
        period_days: 31,
        ..billing_input(c, ym("2026-11"), b.issue_date, &history)
    };
    let nov = compute_bill_full(
        &st.book,
        &input,
        &BillExtras::default(),
        &ReadingFacts::default(),
    )
    .unwrap();
    assert_eq!(
        Decimal::new(acc[0].amount_paisa, 2),
        nov.current_bill_rs + nov.total_fpa_rs
    );
    // The consumer's billed history now holds November's share.
    let d = &st.consumer_dyn[st.consumer_by_ref[&r52] as usize];
    assert!(d.billed.contains(&(ym("2026-11"), 207)), "{:?}", d.billed);
    drop(st);

    // Restart: the same bill, from the journal.
    let want = (
        b.units_kwh,
        b.current_bill_paisa,
        b.accumulated_paisa,
        b.flags,
    );
    store.shutdown();
    drop(store);
    let store = open(dir.path());
    let again = *bill_of(&cycle_of(&store, "2026-12"), r52).unwrap();
    assert_eq!(
        (
            again.units_kwh,
            again.current_bill_paisa,
            again.accumulated_paisa,
            again.flags
        ),
        want
    );
}

/// The single-month input of consumer `c` for `m` (non-TOU, no arrears).
fn billing_input<'a>(
    c: &'a crate::rows::Consumer,
    m: YearMonth,
    issue: chrono::NaiveDate,
    history: &'a [(YearMonth, u64)],
) -> BillInput<'a> {
    BillInput {
        disco: &c.disco,
        tariff: &c.tariff,
        sanctioned_load_kw: c.sanctioned_load_kw,
        phase: c.phase,
        province: &c.province,
        cycle: m,
        issue_date: issue,
        period_days: 30,
        units_offpeak_kwh: 0,
        units_peak_kwh: 0,
        mdi_kw: Decimal::ZERO,
        history,
        arrears_rs: Decimal::ZERO,
        atl: c.atl,
    }
}

#[test]
fn the_actual_reading_after_a_refused_estimate_is_billed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), None).unwrap();
    // Consumer 5 read 5,000 -> 5,145 in November (28th). December and January are estimated,
    // February's estimate is refused (third in a row), March is read: 5,145 -> 5,745.
    let r5 = consumer(5, "A-1a", "4", 145, false).reference;
    for (m, prev) in [
        ("2026-12", "2026-11-28"),
        ("2027-01", "2026-11-28"),
        ("2027-02", "2026-11-28"),
    ] {
        store
            .insert_readings(vec![read_at(r5, m, prev, 5_145, 5_145, "AVG")])
            .unwrap();
        store.bill_cycle(DISCO, ym(m), None).unwrap();
    }
    for m in ["2026-12", "2027-01"] {
        let b = *bill_of(&cycle_of(&store, m), r5).unwrap();
        assert_ne!(b.flags & BILL_PROVISIONAL, 0, "{m}");
    }
    let feb = cycle_of(&store, "2027-02");
    assert!(bill_of(&feb, r5).is_none());
    assert!(feb.refusals.iter().any(|r| r.reference == r5));
    store
        .insert_readings(vec![read_at(
            r5,
            "2027-03",
            "2026-11-28",
            5_145,
            5_745,
            "OK",
        )])
        .unwrap();
    store.bill_cycle(DISCO, ym("2027-03"), None).unwrap();
    let mar = cycle_of(&store, "2027-03");
    assert!(
        !mar.refusals.iter().any(|r| r.reference == r5),
        "{:?}",
        mar.refusals
    );
    let b = *bill_of(&mar, r5).unwrap();
    assert_eq!(
        b.flags & (BILL_ACCUMULATED | BILL_CORRECTED),
        BILL_ACCUMULATED | BILL_CORRECTED
    );
    let adj = lines(&mar, r5, "provisional_adjustment");
    let acc = lines(&mar, r5, "accumulated_month");
    assert_eq!((adj.len(), acc.len()), (2, 1));
    assert_eq!(acc[0].amount_paisa, b.accumulated_paisa);
    assert_eq!(
        adj.iter().map(|l| l.amount_paisa).sum::<i64>(),
        b.adjustment_paisa
    );
    // 600 units over Dec (31 days from Nov 28), Jan (31), Feb (28), Mar (28): every unit is
    // in exactly one month, the estimates are taken back.
    let est: i64 = ["2026-12", "2027-01"]
        .iter()
        .map(|m| bill_of(&cycle_of(&store, m), r5).unwrap().units_kwh as i64)
        .sum();
    let adjusted: i64 = adj.iter().map(|l| l.quantity_e4 / 10_000).sum();
    let accumulated: i64 = acc.iter().map(|l| l.quantity_e4 / 10_000).sum();
    assert_eq!(b.units_kwh as i64 + adjusted + accumulated + est, 600);
    // The estimates were one month each, nothing carried forward; re-billing March with
    // nothing changed gives the same bill.
    for m in ["2026-12", "2027-01"] {
        let e = *bill_of(&cycle_of(&store, m), r5).unwrap();
        assert_eq!(e.units_carried_forward_kwh, 0, "{m}");
    }
    store.bill_cycle(DISCO, ym("2027-03"), None).unwrap();
    let again = *bill_of(&cycle_of(&store, "2027-03"), r5).unwrap();
    assert_eq!(
        (
            again.current_bill_paisa,
            again.adjustment_paisa,
            again.accumulated_paisa
        ),
        (
            b.current_bill_paisa,
            b.adjustment_paisa,
            b.accumulated_paisa
        )
    );
}

#[test]
fn a_long_single_period_is_not_split_into_months() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load_disco(&store);
    store.bill_cycle(DISCO, cycle(), None).unwrap();
    // Consumer 52 had no November reading, but its December reading covers 33 days
    // (Nov 25 - Dec 28): one month, scaled to 30 days with the excess carried forward.
    let r52 = consumer(52, "A-1a", "2", 100, false).reference;
    store
        .insert_readings(vec![read_at(
            r52,
            "2026-12",
            "2026-11-25",
            5_000,
            5_330,
            "OK",
        )])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec = cycle_of(&store, "2026-12");
    let b = *bill_of(&dec, r52).unwrap();
    assert_eq!(b.flags & BILL_ACCUMULATED, 0);
    assert!(lines(&dec, r52, "accumulated_month").is_empty());
    // 330 x 30 / 33 = 300 billed, 30 carried forward.
    assert_eq!((b.units_kwh, b.units_carried_forward_kwh), (300, 30));
}

#[test]
fn cycles_bill_in_order_and_issue_dates_follow_the_readings() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load_disco(&store);
    // November's readings are on the 28th: an issue date before them, or months later, is
    // refused, and nothing is billed.
    for bad in ["2026-11-27", "2026-10-31", "2027-02-01"] {
        let e = store
            .bill_cycle(DISCO, cycle(), Some(day(bad)))
            .unwrap_err();
        assert!(e.to_string().contains("issue date"), "{bad}: {e}");
    }
    assert!(store.read().cycles.is_empty());
    store
        .bill_cycle(DISCO, cycle(), Some(day("2027-01-31")))
        .unwrap();
    // A first run of October after November is refused;
    // re-running November is allowed.
    let e = store.bill_cycle(DISCO, ym("2026-10"), None).unwrap_err();
    assert!(e.to_string().contains("billed in order"), "{e}");
    store.bill_cycle(DISCO, cycle(), None).unwrap();
}

#[test]
fn a_reading_before_the_connection_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut c = consumer(60, "A-1a", "2", 100, false);
    c.connection_date = day("2026-12-05");
    let r = read_at(c.reference, "2026-11", "2026-10-29", 0, 100, "OK");
    store.insert_consumers(vec![c]).unwrap();
    let e = store.insert_readings(vec![r]).unwrap_err();
    assert!(e.to_string().contains("before the connection date"), "{e}");
    assert_eq!(store.read().readings.len(), 0);
}
