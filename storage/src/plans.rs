//! Installment plans: an amount a consumer owes, granted in installments
//! (`CALL grant_installments`; the rule, markup and limits are the `[[installment]]` data of
//! the tariff book, [`billing::installments`]).
//!
//! How a grant moves money (the ledger is the consumer's balance, `ConsumerDyn::balance_paisa`):
//! * the amount (by default the whole outstanding balance) is split into `n` installments
//!   ([`billing::installments::plan`]: equal, the remainder on the last);
//! * the **first installment stays in the balance**: it is due with the bill the grant was made
//!   against, by its due date (CSM 6.8: first installment paid by the due date, no LPS and no
//!   markup); the other `n - 1` leave the balance and are the plan's **deferred** amount;
//! * each later bill of the consumer carries the next installment (`installment` line) and its
//!   markup on the deferred balance before it, pro-rata over the days since the previous
//!   installment (since the grant for the second), `installment_markup` line; both enter the
//!   payable, so an unpaid installment becomes arrears like any bill;
//! * the bill the grant was made against owes its LPS only if the payments up to its due date
//!   fall short of its payable less the deferred amount.
//!
//! Re-billing: a re-run of a cycle carries an installment exactly when the run it replaces did
//! (it keeps its first arrears, which already held the granted amount or not), so the plan is
//! advanced once per billed installment whatever the number of runs; a re-run that no longer
//! bills the consumer gives the installment back to the plan.

use billing::YearMonth;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rows::{date_days, decimal_from_paisa};

/// The journaled grant, resolved (amount and date fixed at the time of the CALL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub reference: u64,
    pub installments: u32,
    pub amount_paisa: i64,
    #[serde(with = "date_days")]
    pub granted_on: NaiveDate,
}

/// One grant and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentPlan {
    pub granted_on: NaiveDate,
    /// The cycle of the consumer's latest bill when granted (the bill the first installment is
    /// paid with), if it had one.
    pub granted_against: Option<YearMonth>,
    pub amount_paisa: i64,
    /// All installments, paisa; `[0]` stayed in the balance at the grant.
    pub installments: Vec<i64>,
    /// The installments `[1..]` billed so far: the cycle and issue date of each bill.
    pub billed: Vec<(YearMonth, NaiveDate)>,
}

impl InstallmentPlan {
    /// The amount the grant took out of the balance (installments 2..n).
    pub fn deferred_at_grant_paisa(&self) -> i64 {
        self.installments.iter().skip(1).sum()
    }

    /// Deferred balance still to be billed.
    pub fn outstanding_paisa(&self) -> i64 {
        self.installments.iter().skip(1 + self.billed.len()).sum()
    }

    /// Every installment after the first is billed.
    pub fn finished(&self) -> bool {
        1 + self.billed.len() >= self.installments.len()
    }

    /// Installment `k` (index into `installments`, >= 1) on a bill issued on `issue`, with
    /// the installments before it billed.
    fn due(&self, k: usize, issue: NaiveDate) -> Option<billing::InstallmentDue> {
        let principal = *self.installments.get(k)?;
        let before: i64 = self.installments.iter().skip(k).sum();
        let previous = if k >= 2 {
            self.billed.get(k - 2)?.1
        } else {
            self.granted_on
        };
        Some(billing::InstallmentDue {
            principal_rs: decimal_from_paisa(principal),
            outstanding_before_rs: decimal_from_paisa(before),
            days: (issue - previous).num_days().clamp(1, 366) as u32,
            first: false,
        })
    }
}

/// A consumer's grants, oldest first (boxed in `ConsumerDyn`: most consumers have none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plans(pub Vec<InstallmentPlan>);

/// What one bill carries of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillInstallment {
    /// Index of the plan in the consumer's [`Plans`].
    pub plan: u16,
    pub installment_paisa: i64,
    pub markup_paisa: i64,
    /// Deferred balance after this installment.
    pub deferred_after_paisa: i64,
}

impl Plans {
    /// The installment a bill of `cycle` issued on `issue` carries: on a re-run
    /// (`rerun`), the one the replaced run carried (none if it carried none); on a first run,
    /// the next one of the latest plan.
    pub(crate) fn due(
        &self,
        cycle: YearMonth,
        issue: NaiveDate,
        rerun: bool,
    ) -> Option<(u16, billing::InstallmentDue)> {
        if rerun {
            return self.0.iter().enumerate().find_map(|(i, p)| {
                let pos = p.billed.iter().position(|(m, _)| *m == cycle)?;
                Some((i as u16, p.due(pos + 1, issue)?))
            });
        }
        // A grant journaled before this run reaches this bill whatever its date (markup over
        // at least a day), so the deferred amount never skips a bill.
        let (i, p) = self.0.iter().enumerate().next_back()?;
        if p.finished() || p.billed.iter().any(|(m, _)| *m >= cycle) {
            return None;
        }
        Some((i as u16, p.due(p.billed.len() + 1, issue)?))
    }

    /// Records plan `plan`'s next installment as billed on the bill of `cycle`.
    pub(crate) fn billed(&mut self, plan: u16, cycle: YearMonth, issue: NaiveDate) {
        if let Some(p) = self.0.get_mut(usize::from(plan)) {
            p.billed.push((cycle, issue));
            p.billed.sort_unstable();
        }
    }

    /// Undoes [`Plans::billed`] for the bill of `cycle` (a re-run replaces it).
    pub(crate) fn unbilled(&mut self, plan: u16, cycle: YearMonth) {
        if let Some(p) = self.0.get_mut(usize::from(plan)) {
            p.billed.retain(|(m, _)| *m != cycle);
        }
    }

    pub fn latest(&self) -> Option<&InstallmentPlan> {
        self.0.last()
    }
}
