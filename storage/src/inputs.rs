//! What one consumer's bill in a cycle is computed from: shared by the real cycle run
//! (`State::compute_cycle`) and the what-if ([`crate::simulate`]), so a simulation prices
//! exactly the inputs a (re-)run of the cycle would: the same reading, billed-units history,
//! arrears, carried-in units and employee free-unit quota.
//!
//! Re-billing a cycle starts from what its previous run saw (that run's arrears, carried-in
//! units and the fiscal-year free units used before it), so running a cycle twice, or pricing
//! a billed cycle under another book, never sees the cycle's own effects.

use billing::{
    employee_entitlement_kwh, BillExtras, BillInput, Employee, ServiceStatus, TariffBook, YearMonth,
};
use chrono::NaiveDate;

use crate::plans::Plans;
use crate::rows::{decimal_from_paisa, BillRow, Consumer, ConsumerStatus, Reading};
use crate::store::{fiscal_year, CycleBills, State};

/// One cycle run's fixed context.
pub(crate) struct CycleRun<'a> {
    pub st: &'a State,
    /// The book that prices the bills (the state's own, or a what-if book); also gives the
    /// employee entitlement.
    pub book: &'a TariffBook,
    pub disco: &'a str,
    pub cycle: YearMonth,
    pub issue_date: NaiveDate,
    /// The cycle's bills from its previous run, when it is being re-billed.
    pub previous: Option<&'a CycleBills>,
    /// The DISCO's bills of the month before (their LPS is owed when unpaid by the due date).
    pub last_month: Option<&'a CycleBills>,
}

/// A consumer's place in a cycle run.
// Returned and matched once per consumer, never stored: boxing the inputs would allocate
// per bill on the hot path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Prepared<'a> {
    /// Another DISCO's, permanently disconnected, or not a consumer index.
    Skip,
    /// Active in the DISCO but no reading for the cycle.
    NoReading,
    Ready {
        consumer: &'a Consumer,
        /// The consumer's reading for the cycle.
        reading: &'a Reading,
        /// The consumer's bill from the cycle's previous run, if it had one.
        old: Option<&'a BillRow>,
        input: BillInput<'a>,
        extras: BillExtras,
        /// The previous bill's LPS, in `input.arrears_rs` (it was not paid by its due date).
        lps_in_arrears_paisa: i64,
        /// The plan (index in the consumer's plans) whose installment `extras` carries.
        installment_plan: Option<u16>,
    },
}

impl<'a> CycleRun<'a> {
    /// The inputs of consumer `idx`'s bill. `history` is the caller's reusable buffer.
    pub(crate) fn prepare<'h>(
        &self,
        idx: usize,
        history: &'h mut Vec<(YearMonth, u64)>,
    ) -> Prepared<'h>
    where
        'a: 'h,
    {
        let st = self.st;
        let cycle = self.cycle;
        let Some(c) = st.consumers.get(idx) else {
            return Prepared::Skip;
        };
        if &*c.disco != self.disco || c.status == ConsumerStatus::PermDisconnected {
            return Prepared::Skip;
        }
        let Some(&ri) = st.reading_by_key.get(&(idx as u32, cycle)) else {
            return Prepared::NoReading;
        };
        let (Some(r), Some(dynamic)) = (st.readings.get(ri as usize), st.consumer_dyn.get(idx))
        else {
            return Prepared::Skip;
        };
        history.clear();
        history.extend(c.history.iter().filter(|(m, _)| *m < cycle));
        history.extend(dynamic.billed.iter().filter(|(m, _)| *m < cycle));
        let old = self.previous.and_then(|p| {
            p.by_reference
                .get(&c.reference)
                .and_then(|&b| p.bills.get(b as usize))
        });
        let fy = fiscal_year(cycle);
        let fy_used = if dynamic.fy_free_used.0 == fy {
            dynamic.fy_free_used.1
        } else {
            0
        };
        let (arrears_paisa, carried_in, fy_used, lps_in_arrears_paisa) = match old {
            Some(o) => (
                o.arrears_paisa,
                o.units_carried_in_kwh,
                fy_used.saturating_sub(o.employee_free_units_kwh),
                o.lps_in_arrears_paisa,
            ),
            None => {
                let lps = self.lps_owed(c.reference, dynamic.plans.as_deref());
                (
                    dynamic.balance_paisa.saturating_add(lps),
                    dynamic.carried_kwh,
                    fy_used,
                    lps,
                )
            }
        };
        let employee = match (
            c.employee_grade,
            c.employee_status.as_deref().and_then(ServiceStatus::parse),
        ) {
            (Some(bps), Some(status)) => {
                employee_entitlement_kwh(self.book, bps, status, self.issue_date).map(|monthly| {
                    Employee {
                        bps,
                        status,
                        quota_remaining_kwh: monthly.saturating_mul(12).saturating_sub(fy_used),
                    }
                })
            }
            _ => None,
        };
        let installment = dynamic
            .plans
            .as_deref()
            .and_then(|p| p.due(cycle, self.issue_date, old.is_some()));
        let extras = BillExtras {
            strn_registered: c.strn_registered,
            units_carried_in_kwh: if c.tou { 0 } else { carried_in },
            employee,
            power_factor: r.power_factor,
            installment: installment.map(|(_, d)| d),
            deferred_rs: installment
                .map(|(_, d)| d.outstanding_before_rs - d.principal_rs)
                .unwrap_or_default(),
        };
        let period_days = (r.reading_date - r.previous_reading_date)
            .num_days()
            .clamp(0, 400) as u32;
        let input = BillInput {
            disco: &c.disco,
            tariff: &c.tariff,
            sanctioned_load_kw: c.sanctioned_load_kw,
            phase: c.phase,
            province: &c.province,
            cycle,
            issue_date: self.issue_date,
            period_days,
            units_offpeak_kwh: r.offpeak_units,
            units_peak_kwh: r.peak_units,
            mdi_kw: r.mdi_kw.unwrap_or_default(),
            history: history.as_slice(),
            arrears_rs: decimal_from_paisa(arrears_paisa),
            atl: c.atl,
        };
        Prepared::Ready {
            consumer: c,
            reading: r,
            old,
            input,
            extras,
            lps_in_arrears_paisa,
            installment_plan: installment.map(|(i, _)| i),
        }
    }

    /// The LPS of the consumer's bill of last month when it was not paid in full by its due
    /// date: the payments posted after it was computed and valued by its due date fall short
    /// of its payable within due date (nothing when that was a credit or carried no LPS). When installments
    /// were granted against that bill by its due date, only its payable less the deferred
    /// amount was due.
    fn lps_owed(&self, reference: u64, plans: Option<&Plans>) -> i64 {
        let Some(b) = self.last_month.and_then(|cb| {
            cb.by_reference
                .get(&reference)
                .and_then(|&i| cb.bills.get(i as usize))
        }) else {
            return 0;
        };
        if b.lps_paisa <= 0 || b.payable_within_due_paisa <= 0 {
            return 0;
        }
        // Payments posted after the bill was computed (earlier ones are in its arrears) and
        // valued by its due date, whatever their value date (an advance payment counts).
        let mark = self.last_month.map_or(0, |cb| cb.payments_mark);
        let paid: i64 = self
            .st
            .payments_by_ref
            .get(&reference)
            .into_iter()
            .flatten()
            .filter(|&&j| j >= mark)
            .filter_map(|&j| self.st.payments.get(j as usize))
            .filter(|p| p.value_date <= b.due_date)
            .map(|p| p.amount_paisa)
            .sum();
        let deferred: i64 = plans
            .into_iter()
            .flat_map(|p| &p.0)
            .filter(|p| {
                p.granted_against == Some(b.cycle)
                    && p.granted_on >= b.issue_date
                    && p.granted_on <= b.due_date
            })
            .map(|p| p.deferred_at_grant_paisa())
            .sum();
        if paid >= b.payable_within_due_paisa.saturating_sub(deferred) {
            0
        } else {
            b.lps_paisa
        }
    }
}

/// For each bill of a new run, the previous run's payable within due date for the same
/// reference (`None`: the consumer had no bill in the previous run). Empty on a first run.
pub(crate) fn previous_payable(
    bills: &[BillRow],
    previous: Option<&CycleBills>,
) -> Vec<Option<i64>> {
    let Some(p) = previous else {
        return Vec::new();
    };
    bills
        .iter()
        .map(|b| {
            p.by_reference
                .get(&b.reference)
                .and_then(|&i| p.bills.get(i as usize))
                .map(|o| o.payable_within_due_paisa)
        })
        .collect()
}
