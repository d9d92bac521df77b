//! Installment plans through the store: a grant against a bill, its installments on the next
//! bills with markup, re-billing, LPS, the limits, and a restart. Expected figures are
//! computed here from the split and the `[[installment]]` rule (14 % a year, 365 days).

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::rows::{BillRow, Payment, Reading};
use crate::simulate::tests::{billed, consumer, cycle, day, load_disco, open, reading, ym, DISCO};
use crate::store::{CycleBills, Store};
use crate::StorageError;

fn bill(cb: &CycleBills, r: u64) -> BillRow {
    cb.bills[cb.by_reference[&r] as usize]
}

fn cycle_of(store: &Store, m: &str) -> std::sync::Arc<CycleBills> {
    store.read().cycles[&(DISCO.to_string(), ym(m))].clone()
}

fn line_amounts(cb: &CycleBills, r: u64, name: &str) -> Vec<i64> {
    let b = bill(cb, r);
    cb.lines[b.first_line as usize..b.first_line as usize + b.line_count as usize]
        .iter()
        .filter(|l| cb.dicts.name(l) == name)
        .map(|l| l.amount_paisa)
        .collect()
}

fn balance(store: &Store, r: u64) -> i64 {
    let st = store.read();
    st.consumer_dyn[st.consumer_by_ref[&r] as usize].balance_paisa
}

/// Consumer `i`'s reading of month `m` (100 units), read on the 28th after the 28th before.
fn next_reading(i: u64, m: &str, start: u64) -> Reading {
    let c = consumer(i, "A-1a", "4", 0, false);
    let mut r = reading(&c, 100);
    let month = ym(m);
    r.cycle = month;
    r.previous_reading_date = month.add_months(-1).first_day() + chrono::Duration::days(27);
    r.reading_date = month.first_day() + chrono::Duration::days(27);
    r.offpeak_previous = start;
    r.offpeak_present = start + 100;
    r
}

fn pay(r: u64, tx: &str, amount: i64, on: NaiveDate) -> Payment {
    Payment {
        reference: r,
        transaction_id: tx.into(),
        amount_paisa: amount,
        value_date: on,
        bank: "HBL".into(),
    }
}

/// Markup on `balance` paisa over `days` at 14 % / 365, to the paisa (half away from zero).
fn markup(balance: i64, days: i64) -> i64 {
    let m =
        Decimal::new(balance, 2) * Decimal::new(14, 2) * Decimal::from(days) / Decimal::from(365);
    let m = m.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(m.mantissa()).unwrap()
}

const NOV_ISSUE: &str = "2026-12-04";

/// A store with the test DISCO loaded and November billed (issued 4 December), and its
/// directory (kept alive by the caller).
fn billed_november() -> (tempfile::TempDir, std::sync::Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load_disco(&store);
    store
        .bill_cycle(DISCO, cycle(), Some(day(NOV_ISSUE)))
        .unwrap();
    (dir, store)
}

#[test]
fn installments_are_billed_once_each_with_markup_and_survive_a_restart() {
    let (dir, store) = billed_november();
    let r = consumer(20, "A-1a", "4", 0, false).reference;
    let nov = bill(&billed(&store), r);
    let owed = nov.payable_within_due_paisa;
    assert!(owed > 0);
    assert_eq!(balance(&store, r), owed);

    // Granted two days after the issue date, in 3 installments of the whole balance.
    let granted_on = day("2026-12-06");
    let g = store
        .grant_installments(r, 3, None, Some(granted_on))
        .unwrap();
    let split = [owed / 3, owed / 3, owed - 2 * (owed / 3)];
    assert_eq!(g.grant.amount_paisa, owed);
    assert_eq!(g.first_installment_paisa, split[0]);
    assert_eq!(g.deferred_paisa, split[1] + split[2]);
    assert_eq!(g.first_due_date, Some(nov.due_date));
    // The first installment stays due with November's bill; the rest left the balance.
    assert_eq!(balance(&store, r), split[0]);

    // Paid by the due date: no LPS reaches December although the bill was not paid in full.
    store
        .insert_payments(vec![pay(r, "I-1", split[0], nov.due_date)])
        .unwrap();
    store
        .insert_readings(vec![next_reading(20, "2026-12", 5_000 + 30 + 23 * 20)])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec_cb = cycle_of(&store, "2026-12");
    let dec = bill(&dec_cb, r);
    assert_eq!(dec.arrears_paisa, 0);
    assert_eq!(dec.lps_in_arrears_paisa, 0);
    let days2 = (dec.issue_date - granted_on).num_days();
    let m2 = markup(split[1] + split[2], days2);
    assert!(m2 > 0);
    assert_eq!(line_amounts(&dec_cb, r, "installment"), vec![split[1]]);
    assert_eq!(line_amounts(&dec_cb, r, "installment_markup"), vec![m2]);
    let x = *dec_cb.installment(dec_cb.by_reference[&r]).unwrap();
    assert_eq!(
        (x.installment_paisa, x.markup_paisa, x.deferred_after_paisa),
        (split[1], m2, split[2])
    );
    assert_eq!(
        dec.payable_within_due_paisa,
        dec.current_bill_paisa + dec.total_fpa_paisa + split[1] + m2
    );
    assert_eq!(balance(&store, r), dec.payable_within_due_paisa);

    // A re-run carries the same installment and does not advance the plan again.
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let rerun = cycle_of(&store, "2026-12");
    assert_eq!(bill(&rerun, r), dec);
    assert_eq!(line_amounts(&rerun, r, "installment"), vec![split[1]]);
    assert_eq!(balance(&store, r), dec.payable_within_due_paisa);
    {
        let st = store.read();
        let p = st.consumer_dyn[st.consumer_by_ref[&r] as usize]
            .plans
            .as_deref()
            .unwrap()
            .latest()
            .unwrap()
            .clone();
        assert_eq!(p.billed, vec![(ym("2026-12"), dec.issue_date)]);
        assert_eq!(p.outstanding_paisa(), split[2]);
    }

    // January: the last installment, markup since December's bill; February: none.
    store
        .insert_payments(vec![pay(
            r,
            "I-2",
            dec.payable_within_due_paisa,
            dec.due_date,
        )])
        .unwrap();
    store
        .insert_readings(vec![next_reading(
            20,
            "2027-01",
            5_000 + 30 + 23 * 20 + 100,
        )])
        .unwrap();
    store.bill_cycle(DISCO, ym("2027-01"), None).unwrap();
    let jan_cb = cycle_of(&store, "2027-01");
    let jan = bill(&jan_cb, r);
    let m3 = markup(split[2], (jan.issue_date - dec.issue_date).num_days());
    assert_eq!(line_amounts(&jan_cb, r, "installment"), vec![split[2]]);
    assert_eq!(line_amounts(&jan_cb, r, "installment_markup"), vec![m3]);
    assert_eq!(
        jan_cb
            .installment(jan_cb.by_reference[&r])
            .unwrap()
            .deferred_after_paisa,
        0
    );
    store
        .insert_readings(vec![next_reading(
            20,
            "2027-02",
            5_000 + 30 + 23 * 20 + 200,
        )])
        .unwrap();
    store.bill_cycle(DISCO, ym("2027-02"), None).unwrap();
    let feb_cb = cycle_of(&store, "2027-02");
    assert!(line_amounts(&feb_cb, r, "installment").is_empty());
    assert!(feb_cb.installment(feb_cb.by_reference[&r]).is_none());

    // Restart: the same plan, balances and bills from the journal.
    let want_balance = balance(&store, r);
    let want_plans = {
        let st = store.read();
        st.consumer_dyn[st.consumer_by_ref[&r] as usize]
            .plans
            .clone()
    };
    store.shutdown();
    drop(store);
    let store = open(dir.path());
    assert_eq!(balance(&store, r), want_balance);
    {
        let st = store.read();
        assert_eq!(
            st.consumer_dyn[st.consumer_by_ref[&r] as usize].plans,
            want_plans
        );
    }
    assert_eq!(bill(&cycle_of(&store, "2026-12"), r), dec);
    assert_eq!(bill(&cycle_of(&store, "2027-01"), r), jan);
}

#[test]
fn an_unpaid_first_installment_owes_the_lps_and_a_re_run_that_drops_the_bill_returns_it() {
    let (_dir, store) = billed_november();
    let r = consumer(22, "A-1a", "4", 0, false).reference;
    let nov = bill(&billed(&store), r);
    // Rs 1,000 of the bill in 4 installments of Rs 250, granted on the issue date (default).
    let g = store
        .grant_installments(r, 4, Some(Decimal::new(1_000, 0)), None)
        .unwrap();
    assert_eq!(g.grant.granted_on, nov.issue_date);
    assert_eq!(g.first_installment_paisa, 25_000);
    assert_eq!(balance(&store, r), nov.payable_within_due_paisa - 75_000);
    // Nothing paid: November's LPS reaches December's arrears.
    store
        .insert_readings(vec![next_reading(22, "2026-12", 5_000 + 30 + 23 * 22)])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec_cb = cycle_of(&store, "2026-12");
    let dec = bill(&dec_cb, r);
    assert_eq!(dec.lps_in_arrears_paisa, nov.lps_paisa);
    assert_eq!(
        dec.arrears_paisa,
        nov.payable_within_due_paisa - 75_000 + nov.lps_paisa
    );
    assert_eq!(line_amounts(&dec_cb, r, "installment"), vec![25_000]);

    // The December reading is corrected away: a re-run without the consumer's bill gives
    // the installment back to the plan (and the balance loses it).
    {
        let mut st = store.state.write();
        let key = (st.consumer_by_ref[&r], ym("2026-12"));
        st.reading_by_key.remove(&key);
    }
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    assert!(!cycle_of(&store, "2026-12").by_reference.contains_key(&r));
    let st = store.read();
    let p = st.consumer_dyn[st.consumer_by_ref[&r] as usize]
        .plans
        .as_deref()
        .unwrap()
        .latest()
        .unwrap()
        .clone();
    assert!(p.billed.is_empty());
    assert_eq!(p.outstanding_paisa(), 75_000);
}

#[test]
fn grants_are_refused_outside_the_rule() {
    let (_dir, store) = billed_november();
    let r = consumer(23, "A-1a", "4", 0, false).reference;
    let owed = bill(&billed(&store), r).payable_within_due_paisa;
    let err = |res: Result<crate::GrantSummary, StorageError>| res.unwrap_err().to_string();
    // Unknown consumer, too many / too few installments, more than owed, sub-paisa amount,
    // a date before the latest bill.
    assert!(err(store.grant_installments(1, 3, None, None)).contains("no consumer"));
    assert!(err(store.grant_installments(r, 13, None, None)).contains("2..=12"));
    assert!(err(store.grant_installments(r, 1, None, None)).contains("2..=12"));
    let more = Decimal::new(owed + 1, 2);
    assert!(err(store.grant_installments(r, 3, Some(more), None)).contains("more than"));
    assert!(
        err(store.grant_installments(r, 3, Some(Decimal::new(1_001, 3)), None)).contains("paisa")
    );
    assert!(
        err(store.grant_installments(r, 3, None, Some(day("2026-12-01"))))
            .contains("must be between 2026-12-04")
    );
    // Nor more than a billing month after it (a mistyped year would hold the deferred
    // amount off every bill until then).
    assert!(
        err(store.grant_installments(r, 3, None, Some(day("2030-01-01"))))
            .contains("and 2027-01-04")
    );
    // Nothing was applied by the refusals.
    assert_eq!(balance(&store, r), owed);
    // Once per fiscal year; a second plan while one runs is refused too.
    store.grant_installments(r, 2, None, None).unwrap();
    assert!(err(store.grant_installments(r, 2, None, None)).contains("already has"));
    // A consumer that owes nothing.
    let paid = consumer(24, "A-1a", "4", 0, false).reference;
    let owed24 = bill(&billed(&store), paid).payable_within_due_paisa;
    store
        .insert_payments(vec![pay(paid, "P-24", owed24, day("2026-12-05"))])
        .unwrap();
    assert!(err(store.grant_installments(paid, 2, None, None)).contains("owes nothing"));
}

#[test]
fn one_grant_per_fiscal_year() {
    let (_dir, store) = billed_november();
    let r = consumer(25, "A-1a", "4", 0, false).reference;
    store.grant_installments(r, 2, None, None).unwrap();
    // December carries the second and last installment: the plan is finished.
    store
        .insert_readings(vec![next_reading(25, "2026-12", 5_000 + 30 + 23 * 25)])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    assert_eq!(
        line_amounts(&cycle_of(&store, "2026-12"), r, "installment").len(),
        1
    );
    let e = store
        .grant_installments(r, 2, None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("per fiscal year"), "{e}");
    // The next bill is June 2027's (an accumulated reading since December), issued 1 July:
    // a grant against it falls in the next fiscal year and is accepted.
    let mut june = next_reading(25, "2027-06", 5_000 + 30 + 23 * 25 + 100);
    june.previous_reading_date = day("2026-12-28");
    june.offpeak_present = june.offpeak_previous + 600;
    store.insert_readings(vec![june]).unwrap();
    store
        .bill_cycle(DISCO, ym("2027-06"), Some(day("2027-07-01")))
        .unwrap();
    store.grant_installments(r, 2, None, None).unwrap();
}

/// A grant dated after the next bill's issue date (within the window) still reaches that
/// bill: the deferred amount never skips a bill (markup over at least a day).
#[test]
fn a_grant_dated_after_the_next_issue_still_reaches_the_next_bill() {
    let (_dir, store) = billed_november();
    let r = consumer(26, "A-1a", "4", 0, false).reference;
    let owed = bill(&billed(&store), r).payable_within_due_paisa;
    // Granted on 2027-01-04 (the last day of the window); December is issued on 2026-12-29.
    store
        .grant_installments(r, 2, None, Some(day("2027-01-04")))
        .unwrap();
    store
        .insert_readings(vec![next_reading(26, "2026-12", 5_000 + 30 + 23 * 26)])
        .unwrap();
    store.bill_cycle(DISCO, ym("2026-12"), None).unwrap();
    let dec_cb = cycle_of(&store, "2026-12");
    assert_eq!(
        line_amounts(&dec_cb, r, "installment"),
        vec![owed - owed / 2]
    );
    // One day's markup: (owed - owed / 2) x 1 / 365 rupee-years x 14 %.
    assert_eq!(
        line_amounts(&dec_cb, r, "installment_markup"),
        vec![markup(owed - owed / 2, 1)]
    );
}
