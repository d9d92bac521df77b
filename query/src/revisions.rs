//! The re-billing columns of `bills`: `previous_payable_within_due` (the previous run's payable
//! within due date when the cycle was re-billed, e.g. after a late FPA file) and `difference`
//! (payable within due date minus it). Both NULL on a cycle's first run and for a consumer the
//! previous run did not bill. The schema lists them last in `TableKind::Bills`; `bill_col`
//! calls in here for their values (paisa, shown as NUMERIC(18,2)).

use storage::{BillRow, CycleBills};

/// The previous run's payable within due date of bill `b` of `cb`.
pub fn previous(cb: &CycleBills, b: &BillRow) -> Option<i128> {
    if cb.previous_payable_within_due_paisa.is_empty() {
        return None; // a first run
    }
    let i = *cb.by_reference.get(&b.reference)?;
    cb.previous_payable_within_due_paisa
        .get(i as usize)
        .copied()
        .flatten()
        .map(i128::from)
}

/// Payable within due date minus the previous run's.
pub fn difference(cb: &CycleBills, b: &BillRow) -> Option<i128> {
    previous(cb, b).map(|p| i128::from(b.payable_within_due_paisa) - p)
}
