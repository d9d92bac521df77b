//! Reading periods that are not one actual reading of one meter for one month: meter replaced
//! mid-cycle, accumulated readings (several months read at once, BILLING-RULES 2.3.6),
//! provisional (average) bills and their correction (2.3.7, KNOWN-CASES B07), and register
//! rollover (B09). Temporary disconnection is a [`crate::ReadingFacts`] field handled by
//! [`crate::compute_bill_full`].
//!
//! * **Meter change** ([`meter_change_units`]): units = (final - previous) x MF of the old
//!   meter + (present - initial) x MF of the new meter, per register (TOU: peak and off-peak
//!   separately); each advance allows one register rollover ([`register_advance`]). The bill
//!   says so in `meter_old` / `meter_new` memo lines (readings and MF in `source`). MDI = max of
//!   the two meters (UNCONFIRMED default). A change between a TOU and a non-TOU meter is
//!   refused (it is a tariff change, not modelled).
//! * **Accumulated reading** ([`compute_accumulated`]): "must be split into monthly bills so
//!   the consumer gets the slab benefit" — one [`Bill`] per bill month, each on its share
//!   ([`split_units`]: by days or equally per `[[accumulated_split]]`, cumulative rounding half
//!   up, so the shares sum to the total), each with its own slabs, band (history includes the
//!   earlier shares), FPA / QTA months and an `accumulated` memo line. All are priced on the
//!   issue date (the crate-wide rule), share its due date, and are chained: each month's
//!   arrears = the previous month's payable within due date, so the last bill's payable is
//!   the whole amount owed.
//! * **Provisional bill** ([`provisional_units`], [`compute_provisional`]): units = lower of
//!   the same month last year and the average of the previous 11 months (`[[provisional]]`);
//!   the bill is marked `provisional` with a memo line; no LPS (B07, UNCONFIRMED); a bill
//!   beyond `max_consecutive` (2) in a row is refused.
//! * **Correction** ([`compute_corrected`]): the actual advance since the last actual reading
//!   is split over the provisional months and this month (as for an accumulated reading);
//!   each provisional month is re-priced on its share ("a corrected bill with slab benefit")
//!   and one `provisional_adjustment` line per month carries (re-priced bill - amount billed
//!   provisionally), negative = credit; this month is billed on its share. Net units =
//!   actual advance - units billed provisionally = `units_kwh + units_adjusted_kwh`.
//! * **Catch-up bill** ([`compute_catch_up`], what the server issues): one bill on the
//!   reading's own month that also covers the earlier months the reading spans, provisional
//!   ones (corrected as above) and ones no bill was issued for (accumulated reading, or an
//!   estimate refused over the limit): each of those is priced alone on its share and carried
//!   as an `accumulated_month` line, so the consumer keeps every month's slab benefit and pays
//!   one bill.

use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use crate::bill::{
    compute_inner, employee_entitlement_kwh, Adjustment, Bill, BillExtras, BillInput, Memo,
    ReadingFacts, MAX_ARREARS_RS, MAX_UNITS_KWH,
};
use crate::error::BillingError;
use crate::period::YearMonth;
use crate::tariff::{latest, ProvisionalRule, SplitRule, TariffBook};

/// Most bill months one accumulated reading or correction may cover.
pub const MAX_SPAN_MONTHS: usize = 12;

/// How units of several months are shared out (`[[accumulated_split]] method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitMethod {
    /// In proportion to each month's days (KNOWN-CASES B07).
    Days,
    /// The same share for every month.
    Equal,
}

fn bad(field: &'static str, reason: impl Into<String>) -> BillingError {
    BillingError::BadInput {
        field,
        reason: reason.into(),
    }
}

/// Units a register advanced from `previous` to `present` on a meter whose register digits
/// are not known: [`register_advance_of`] with `max(5, digits(previous))` digits.
pub fn register_advance(previous: u64, present: u64) -> Option<u64> {
    register_advance_of(previous, present, None)
}

/// Units a register of `digits` digits (an attribute of the meter, KNOWN-CASES B09; `None`:
/// not known, then `max(5, digits(previous))`) advanced from `previous` to `present`,
/// allowing one rollover past `10^digits - 1` when the wrapped advance is under a tenth of
/// the register. A genuinely lower reading, or a reading the register cannot show, is `None`.
pub fn register_advance_of(previous: u64, present: u64, digits: Option<u32>) -> Option<u64> {
    if let Some(d) = digits {
        let modulus = 10u64.checked_pow(d)?;
        if previous >= modulus || present >= modulus {
            return None;
        }
    }
    if present >= previous {
        return Some(present - previous);
    }
    let digits = digits.unwrap_or((previous.checked_ilog10().unwrap_or(0) + 1).max(5));
    let modulus = 10u64.checked_pow(digits)?;
    let wrapped = modulus - previous + present;
    (wrapped < modulus / 10).then_some(wrapped)
}

/// One meter's registers over the part of the reading period it was installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterRegisters {
    /// Off-peak (single) register at the start: the previous reading of the old meter, the
    /// initial reading of the new meter.
    pub offpeak_from: u64,
    /// Off-peak register at the end: the final reading of the old meter (when removed), the
    /// present reading of the new meter.
    pub offpeak_to: u64,
    /// Peak register (from, to); `None` for a non-TOU meter.
    pub peak: Option<(u64, u64)>,
    /// This meter's multiplying factor (>= 1).
    pub multiplying_factor: u32,
    /// MDI read on this meter, kW.
    pub mdi_kw: Option<Decimal>,
}

/// Units of a reading period in which the meter was replaced ([`meter_change_units`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterChange {
    /// The removed meter.
    pub old: MeterRegisters,
    /// The installed meter.
    pub new: MeterRegisters,
    /// Old meter off-peak units x its MF.
    pub old_offpeak_kwh: u64,
    /// Old meter peak units x its MF (0 non-TOU).
    pub old_peak_kwh: u64,
    /// New meter off-peak units x its MF.
    pub new_offpeak_kwh: u64,
    /// New meter peak units x its MF (0 non-TOU).
    pub new_peak_kwh: u64,
}

impl MeterChange {
    /// Off-peak units to bill: old + new.
    pub fn offpeak_kwh(&self) -> u64 {
        self.old_offpeak_kwh + self.new_offpeak_kwh
    }
    /// Peak units to bill: old + new.
    pub fn peak_kwh(&self) -> u64 {
        self.old_peak_kwh + self.new_peak_kwh
    }
    /// MDI of the period: the larger of the two meters' (0 if neither was read).
    pub fn mdi_kw(&self) -> Decimal {
        let a = self.old.mdi_kw.unwrap_or(Decimal::ZERO);
        let b = self.new.mdi_kw.unwrap_or(Decimal::ZERO);
        a.max(b)
    }
}

fn advance_x_mf(field: &'static str, from: u64, to: u64, mf: u32) -> Result<u64, BillingError> {
    let d = register_advance(from, to).ok_or_else(|| {
        bad(
            field,
            format!("reading {to} is below {from} and is not a register rollover"),
        )
    })?;
    d.checked_mul(u64::from(mf))
        .filter(|u| *u <= MAX_UNITS_KWH)
        .ok_or_else(|| bad(field, format!("{d} x MF {mf} exceeds {MAX_UNITS_KWH}")))
}

/// Units of a period in which the meter was replaced: old meter (previous -> final) x its MF
/// plus new meter (initial -> present) x its MF, per register. Both meters must be TOU or both
/// not; an MF of 0 and a lower reading that is not a rollover are refused.
pub fn meter_change_units(
    old: &MeterRegisters,
    new: &MeterRegisters,
) -> Result<MeterChange, BillingError> {
    for (field, m) in [("meter_change.old", old), ("meter_change.new", new)] {
        if m.multiplying_factor == 0 {
            return Err(bad(field, "multiplying factor must be >= 1"));
        }
        if let Some(d) = m.mdi_kw {
            if d.is_sign_negative() && !d.is_zero() {
                return Err(bad(field, format!("MDI {d} is negative")));
            }
        }
    }
    if old.peak.is_some() != new.peak.is_some() {
        return Err(bad(
            "meter_change",
            "old and new meter must both have peak registers (TOU) or neither: a TOU / non-TOU \
             meter change is a tariff change, not modelled",
        ));
    }
    let peak = |field, m: &MeterRegisters| match m.peak {
        Some((a, b)) => advance_x_mf(field, a, b, m.multiplying_factor),
        None => Ok(0),
    };
    let mc = MeterChange {
        old: *old,
        new: *new,
        old_offpeak_kwh: advance_x_mf(
            "meter_change.old",
            old.offpeak_from,
            old.offpeak_to,
            old.multiplying_factor,
        )?,
        old_peak_kwh: peak("meter_change.old", old)?,
        new_offpeak_kwh: advance_x_mf(
            "meter_change.new",
            new.offpeak_from,
            new.offpeak_to,
            new.multiplying_factor,
        )?,
        new_peak_kwh: peak("meter_change.new", new)?,
    };
    if mc.offpeak_kwh() + mc.peak_kwh() > MAX_UNITS_KWH {
        return Err(bad("meter_change", format!("exceeds {MAX_UNITS_KWH} kWh")));
    }
    Ok(mc)
}

/// Shares of `total` over months weighted by `days` ([`SplitMethod::Days`]) or equally:
/// cumulative rounding half up (share k = round(total x W_1..k / W) - round(total x
/// W_1..k-1 / W)), so the shares sum to `total` and each is within one unit of its exact
/// share. All-zero weights split equally. Empty `days` gives an empty vector.
pub fn split_units(method: SplitMethod, total: u64, days: &[u32]) -> Vec<u64> {
    let w = |d: u32| match method {
        SplitMethod::Days => u128::from(d),
        SplitMethod::Equal => 1,
    };
    let mut den: u128 = days.iter().map(|d| w(*d)).sum();
    let equal = den == 0;
    if equal {
        den = days.len() as u128;
    }
    let t = u128::from(total);
    let mut cum_w = 0u128;
    let mut prev = 0u128;
    let mut out = Vec::with_capacity(days.len());
    for d in days {
        cum_w += if equal { 1 } else { w(*d) };
        let cum = (2 * t * cum_w + den) / (2 * den);
        out.push(u64::try_from(cum - prev).unwrap_or(0));
        prev = cum;
    }
    out
}

/// The bill months between two readings with each month's days: month k ends on the k-th
/// monthly anniversary of `previous_reading_date` (the last day of the month when the previous
/// reading was on a month end, e.g. Feb 29 -> Mar 31 -> Apr 30), the last ends on
/// `reading_date`. Months are `first_cycle..=last_cycle`.
pub fn month_spans(
    previous_reading_date: NaiveDate,
    reading_date: NaiveDate,
    first_cycle: YearMonth,
    last_cycle: YearMonth,
) -> Result<Vec<(YearMonth, u32)>, BillingError> {
    first_cycle
        .validate()
        .map_err(|e| bad("first_cycle", e.to_string()))?;
    last_cycle
        .validate()
        .map_err(|e| bad("last_cycle", e.to_string()))?;
    let n = last_cycle.index() - first_cycle.index() + 1;
    if n < 1 || n as usize > MAX_SPAN_MONTHS {
        return Err(bad(
            "last_cycle",
            format!("{first_cycle}..={last_cycle} is not 1..={MAX_SPAN_MONTHS} months"),
        ));
    }
    let month_end = previous_reading_date
        .succ_opt()
        .is_some_and(|d| d.month() != previous_reading_date.month());
    let mut out = Vec::with_capacity(n as usize);
    let mut start = previous_reading_date;
    for k in 1..=n {
        let end = if k == n {
            reading_date
        } else {
            let e = previous_reading_date
                .checked_add_months(Months::new(k as u32))
                .ok_or_else(|| bad("reading_date", "date out of range"))?;
            if month_end {
                // last day of e's month
                let first_next = e
                    .with_day(1)
                    .and_then(|d| d.checked_add_months(Months::new(1)))
                    .ok_or_else(|| bad("reading_date", "date out of range"))?;
                first_next
                    .pred_opt()
                    .ok_or_else(|| bad("reading_date", "date out of range"))?
            } else {
                e
            }
        };
        let days = (end - start).num_days();
        if days < 1 {
            return Err(bad(
                "reading_date",
                format!(
                    "{reading_date} leaves no days for bill month {} after {previous_reading_date}",
                    first_cycle.add_months((k - 1) as i32)
                ),
            ));
        }
        out.push((first_cycle.add_months((k - 1) as i32), days as u32));
        start = end;
    }
    Ok(out)
}

fn split_rule(book: &TariffBook, date: NaiveDate) -> Result<&SplitRule, BillingError> {
    latest(&book.split, date, |r| (r.from, r.to), |_| true).ok_or_else(|| {
        BillingError::RateUnknown {
            what: "accumulated-reading split rule".into(),
            date,
        }
    })
}

fn provisional_rule(book: &TariffBook, date: NaiveDate) -> Result<&ProvisionalRule, BillingError> {
    latest(&book.provisional, date, |r| (r.from, r.to), |_| true).ok_or_else(|| {
        BillingError::RateUnknown {
            what: "provisional-bill rule".into(),
            date,
        }
    })
}

/// `total` split over `months` by the `[[accumulated_split]]` rule in force on `date`.
pub fn split_accumulated(
    book: &TariffBook,
    date: NaiveDate,
    total: u64,
    months: &[(YearMonth, u32)],
) -> Result<Vec<(YearMonth, u64)>, BillingError> {
    let rule = split_rule(book, date)?;
    let days: Vec<u32> = months.iter().map(|(_, d)| *d).collect();
    Ok(months
        .iter()
        .zip(split_units(rule.method, total, &days))
        .map(|((m, _), u)| (*m, u))
        .collect())
}

/// Months must be consecutive, end at the input's cycle, have >= 1 day each and sum to the
/// input's period.
fn validate_span(input: &BillInput, months: &[(YearMonth, u32)]) -> Result<(), BillingError> {
    if months.is_empty() || months.len() > MAX_SPAN_MONTHS {
        return Err(bad(
            "months",
            format!("must list 1..={MAX_SPAN_MONTHS} bill months"),
        ));
    }
    for w in months.windows(2) {
        if w[1].0.index() != w[0].0.index() + 1 {
            return Err(bad(
                "months",
                format!("{} does not follow {}", w[1].0, w[0].0),
            ));
        }
    }
    if months.last().map(|(m, _)| *m) != Some(input.cycle) {
        return Err(bad("months", "the last month must be the input's cycle"));
    }
    if months.iter().any(|(_, d)| *d == 0) {
        return Err(bad("months", "every month needs at least one day"));
    }
    let sum: u64 = months.iter().map(|(_, d)| u64::from(*d)).sum();
    if sum != u64::from(input.period_days) {
        return Err(bad(
            "months",
            format!(
                "days sum to {sum}, the input's period is {} days",
                input.period_days
            ),
        ));
    }
    Ok(())
}

/// A meter change of a split reading covers the whole reading (the last month's bill shows it).
fn check_meter_change(input: &BillInput, facts: &ReadingFacts) -> Result<(), BillingError> {
    if let Some(mc) = &facts.meter_change {
        if input.units_offpeak_kwh != mc.offpeak_kwh() || input.units_peak_kwh != mc.peak_kwh() {
            return Err(bad(
                "meter_change",
                "the reading's units differ from old + new meter units",
            ));
        }
    }
    Ok(())
}

/// A reading's units shared out over its bill months ([`split_units`] by the
/// `[[accumulated_split]]` rule, each register apart).
struct Split<'b> {
    rule: &'b SplitRule,
    off: Vec<u64>,
    pk: Vec<u64>,
    total: u64,
}

impl<'b> Split<'b> {
    fn new(
        book: &'b TariffBook,
        input: &BillInput,
        months: &[(YearMonth, u32)],
    ) -> Result<Split<'b>, BillingError> {
        let rule = split_rule(book, input.issue_date)?;
        let days: Vec<u32> = months.iter().map(|(_, d)| *d).collect();
        Ok(Split {
            rule,
            off: split_units(rule.method, input.units_offpeak_kwh, &days),
            pk: split_units(rule.method, input.units_peak_kwh, &days),
            total: input.units_offpeak_kwh + input.units_peak_kwh,
        })
    }

    fn share(&self, k: usize) -> u64 {
        self.off[k] + self.pk[k]
    }

    /// The date month `k` of `n` is priced on when no bill of its own was issued: the bill's
    /// issue date that many months back (the rules in force for that month, not today's).
    fn nominal_date(input: &BillInput, k: usize, n: usize) -> NaiveDate {
        let back = u32::try_from(n - 1 - k).unwrap_or(0);
        input
            .issue_date
            .checked_sub_months(chrono::Months::new(back))
            .unwrap_or(input.issue_date)
    }

    /// Month `k` of `months` priced alone on its share, with `arrears` carried in: the last
    /// month gets the reading's `facts` and `adjustments`, earlier ones [`earlier_facts`];
    /// the chain moves on to the next month.
    #[allow(clippy::too_many_arguments)]
    fn price(
        &self,
        book: &TariffBook,
        input: &BillInput,
        extras: &BillExtras,
        months: &[(YearMonth, u32)],
        chain: &mut Chain,
        k: usize,
        date: NaiveDate,
        arrears: Decimal,
        facts: &ReadingFacts,
        adjustments: &[Adjustment],
    ) -> Result<Bill, BillingError> {
        let n = months.len();
        let (cycle, d) = months[k];
        let mut e = chain.extras(book, extras, cycle, k == 0, date);
        if k + 1 != n {
            // An installment and a deferred amount belong to the bill issued (the last month).
            e.installment = None;
            e.deferred_rs = Decimal::ZERO;
        }
        let mut i = *input;
        i.cycle = cycle;
        i.issue_date = date;
        i.period_days = d;
        i.units_offpeak_kwh = self.off[k];
        i.units_peak_kwh = self.pk[k];
        i.history = &chain.history;
        i.arrears_rs = arrears;
        let f = if k + 1 == n {
            *facts
        } else {
            earlier_facts(facts, n - 1 - k)
        };
        let memo = (n > 1).then(|| split_memo(self.rule, k, n, d, self.share(k), self.total));
        let bill = compute_inner(book, &i, &e, &f, adjustments, memo.as_ref())?;
        chain.after(cycle, &bill);
        Ok(bill)
    }
}

/// State carried from one split month to the next.
struct Chain {
    history: Vec<(YearMonth, u64)>,
    carried_in: u64,
    quota: Option<u64>,
}

impl Chain {
    fn new(input: &BillInput, extras: &BillExtras, months: &[(YearMonth, u32)]) -> Chain {
        let first = months.first().map(|(m, _)| m.index()).unwrap_or(0);
        Chain {
            history: input
                .history
                .iter()
                .filter(|(m, _)| m.index() < first)
                .copied()
                .collect(),
            carried_in: extras.units_carried_in_kwh,
            quota: extras.employee.map(|e| e.quota_remaining_kwh),
        }
    }

    /// Extras for `cycle`: carried-in units and the fiscal-year quota, reset on 1 July.
    fn extras(
        &mut self,
        book: &TariffBook,
        extras: &BillExtras,
        cycle: YearMonth,
        first: bool,
        date: NaiveDate,
    ) -> BillExtras {
        let mut e = *extras;
        e.units_carried_in_kwh = self.carried_in;
        if let Some(mut emp) = e.employee {
            if !first && cycle.month == 7 {
                self.quota = employee_entitlement_kwh(book, emp.bps, emp.status, date)
                    .map(|m| m.saturating_mul(12));
            }
            emp.quota_remaining_kwh = self.quota.unwrap_or(0);
            e.employee = Some(emp);
        }
        e
    }

    fn after(&mut self, cycle: YearMonth, bill: &Bill) {
        self.history.push((cycle, bill.units_kwh));
        self.carried_in = bill.units_carried_forward_kwh;
        if let Some(q) = &mut self.quota {
            *q = q.saturating_sub(bill.employee_free_units_kwh);
        }
    }
}

const R_ACC_DAYS: &str = "accumulated reading split into monthly bills so each month keeps its slab benefit (quantity = units of the whole reading), shares by days";
const R_ACC_DAYS_U: &str = "accumulated reading split into monthly bills so each month keeps its slab benefit (quantity = units of the whole reading), shares by days [UNCONFIRMED: the day split is a policy choice]";
const R_ACC_EQ: &str = "accumulated reading split into monthly bills so each month keeps its slab benefit (quantity = units of the whole reading), equal shares";
const R_ACC_EQ_U: &str = "accumulated reading split into monthly bills so each month keeps its slab benefit (quantity = units of the whole reading), equal shares [UNCONFIRMED: split policy]";
const R_ACC_MONTH: &str = "accumulated reading: a month with no bill issued, priced alone on its share of the units (its own slabs, FPA and taxes; slab benefit kept), charged on this bill (quantity = its kWh) [UNCONFIRMED: split policy of readings.toml; outside the tax and LPS bases]";
const R_ADJUST: &str = "provisional bill corrected: the month re-billed on its share of the actual units (slab benefit kept) minus the amount billed provisionally, negative = credit (quantity = actual - provisional kWh) [UNCONFIRMED: split policy of readings.toml; adjustment outside the tax and LPS bases]";

fn split_memo(rule: &SplitRule, k: usize, n: usize, days: u32, share: u64, total: u64) -> Memo {
    Memo {
        line: "accumulated",
        quantity: Decimal::from(total),
        rule: match (rule.method, rule.confirmed) {
            (SplitMethod::Days, true) => R_ACC_DAYS,
            (SplitMethod::Days, false) => R_ACC_DAYS_U,
            (SplitMethod::Equal, true) => R_ACC_EQ,
            (SplitMethod::Equal, false) => R_ACC_EQ_U,
        },
        source: format!(
            "{}: month {} of {n}, {days} days, {share} of {total} kWh",
            rule.label,
            k + 1
        )
        .into(),
        version: rule.ver.clone(),
    }
}

/// Bills an accumulated reading (one reading covering `months`, the last being the input's
/// cycle): one bill per month, each on its share of the units ([`split_accumulated`]; TOU
/// registers split separately), history including the earlier shares, chained arrears
/// (month k's arrears = month k-1's payable within due date), carried-forward units and the
/// employee quota chained. `input` holds the whole reading (units, `period_days` = sum of the
/// months' days, arrears before the first month); `facts` (meter change, temporary
/// disconnection) apply to the last month (the disconnection month is counted back for the
/// earlier ones); a provisional estimate is refused here. The
/// months must not be in `input.history` (already billed months go to
/// [`compute_corrected`]).
pub fn compute_accumulated(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    facts: &ReadingFacts,
    months: &[(YearMonth, u32)],
) -> Result<Vec<Bill>, BillingError> {
    validate_span(input, months)?;
    if facts.provisional.is_some() {
        return Err(bad(
            "provisional",
            "an accumulated reading is an actual reading",
        ));
    }
    if let Some((m, _)) = input
        .history
        .iter()
        .find(|(m, _)| months.iter().any(|(c, _)| c == m))
    {
        return Err(bad(
            "history",
            format!("{m} is already billed: correct it with compute_corrected"),
        ));
    }
    check_meter_change(input, facts)?;
    let split = Split::new(book, input, months)?;
    let mut chain = Chain::new(input, extras, months);
    let mut bills: Vec<Bill> = Vec::with_capacity(months.len());
    let mut arrears = input.arrears_rs;
    for k in 0..months.len() {
        let bill = split.price(
            book,
            input,
            extras,
            months,
            &mut chain,
            k,
            Split::nominal_date(input, k, months.len()),
            arrears,
            facts,
            &[],
        )?;
        if bill.payable_within_due_rs.abs() > Decimal::from(MAX_ARREARS_RS) {
            return Err(bad("arrears_rs", "chained arrears out of range"));
        }
        arrears = bill.payable_within_due_rs;
        bills.push(bill);
    }
    Ok(bills)
}

/// A provisional (average) estimate ([`provisional_units`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisionalEstimate {
    /// Units to bill: the lower of the two figures present.
    pub units_kwh: u64,
    /// Units of the same month last year, if in history (and the rule uses it).
    pub same_month_last_year_kwh: Option<u64>,
    /// Average of the previous months present in history, rounded half up.
    pub average_kwh: Option<u64>,
    /// How many months the average is over (0 if none).
    pub average_of_months: u32,
}

impl ProvisionalEstimate {
    pub(crate) fn source(&self, label: &str) -> Arc<str> {
        let same = self
            .same_month_last_year_kwh
            .map_or("absent".to_string(), |u| u.to_string());
        let avg = self
            .average_kwh
            .map_or("absent".to_string(), |u| u.to_string());
        format!(
            "{label}: same month last year {same}, average of {} months {avg}",
            self.average_of_months
        )
        .into()
    }
}

/// The provisional units for bill month `cycle` from `history` (billed units of earlier
/// months) under the `[[provisional]]` rule in force on `date`: the lower of the same month
/// last year and the average of the previous `average_months` (11) months, averaged over the
/// months present and rounded half up; one of the two alone when the other is absent; refused
/// when both are. `consecutive_before` = provisional bills issued in a row just before this
/// one: at `max_consecutive` (2) or more the estimate is refused (read or replace the meter).
pub fn provisional_units(
    book: &TariffBook,
    cycle: YearMonth,
    history: &[(YearMonth, u64)],
    date: NaiveDate,
    consecutive_before: u32,
) -> Result<ProvisionalEstimate, BillingError> {
    cycle.validate().map_err(|e| bad("cycle", e.to_string()))?;
    let rule = provisional_rule(book, date)?;
    if consecutive_before >= rule.max_consecutive {
        return Err(bad(
            "provisional",
            format!(
                "{consecutive_before} provisional bills in a row already (limit {}): an actual \
                 reading or a meter replacement is needed",
                rule.max_consecutive
            ),
        ));
    }
    let get = |off: i32| {
        let m = cycle.add_months(-off);
        history.iter().find(|(h, _)| *h == m).map(|(_, u)| *u)
    };
    let same = if rule.same_month_last_year {
        get(12)
    } else {
        None
    };
    let mut sum = 0u128;
    let mut count = 0u32;
    for off in 1..=rule.average_months as i32 {
        if let Some(u) = get(off) {
            if u > MAX_UNITS_KWH {
                return Err(bad("history", format!("{u} kWh exceeds {MAX_UNITS_KWH}")));
            }
            sum += u128::from(u);
            count += 1;
        }
    }
    let average = (count > 0).then(|| {
        let c = u128::from(count);
        u64::try_from((2 * sum + c) / (2 * c)).unwrap_or(MAX_UNITS_KWH)
    });
    let units = match (same, average) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => {
            return Err(bad(
                "history",
                format!("no history to estimate bill month {cycle} from"),
            ))
        }
    };
    if units > MAX_UNITS_KWH {
        return Err(bad(
            "history",
            format!("{units} kWh exceeds {MAX_UNITS_KWH}"),
        ));
    }
    Ok(ProvisionalEstimate {
        units_kwh: units,
        same_month_last_year_kwh: same,
        average_kwh: average,
        average_of_months: count,
    })
}

/// A provisional (average) bill: the units of `input` are replaced by
/// [`provisional_units`] (non-TOU only) for one month (at most 30 days: never scaled or
/// carried forward); the bill is marked `provisional`, carries a
/// `provisional` memo line with the estimate's basis and, by the rule's `lps = false`, no
/// LPS. The caller remembers [`ProvisionalBilled`] for the correction.
pub fn compute_provisional(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    consecutive_before: u32,
) -> Result<Bill, BillingError> {
    let est = provisional_units(
        book,
        input.cycle,
        input.history,
        input.issue_date,
        consecutive_before,
    )?;
    let mut i = *input;
    i.units_offpeak_kwh = est.units_kwh;
    i.units_peak_kwh = 0;
    // An estimate is one month's units: never scaled as a long period, nothing carried
    // forward (the period since the last actual reading may span earlier estimates).
    i.period_days = i.period_days.min(30);
    let facts = ReadingFacts {
        provisional: Some(est),
        ..ReadingFacts::default()
    };
    compute_inner(book, &i, extras, &facts, &[], None)
}

/// What a provisional bill charged, kept by the caller until the actual reading arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisionalBilled {
    /// Its bill month.
    pub cycle: YearMonth,
    /// Units billed provisionally (`Bill::units_kwh`).
    pub units_kwh: u64,
    /// Amount charged: `current_bill_rs + total_fpa_rs` of the provisional bill (no LPS).
    pub billed_rs: Decimal,
    /// Subsidy the provisional bill recorded (`Bill::subsidy_rs`).
    pub subsidy_rs: Decimal,
    /// The provisional bill's issue date: the month is re-priced under the rules in force
    /// then (a schedule, tax or rent that started since does not reach it).
    pub issue_date: NaiveDate,
}

/// A bill month before the reading's own that one actual reading also covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlierMonth {
    /// Billed provisionally: re-priced on its share, the bill carries the difference
    /// (`provisional_adjustment`).
    Provisional(ProvisionalBilled),
    /// No bill was issued (the meter was not read, or an estimate was refused over the limit):
    /// priced alone on its share, the bill carries the whole amount (`accumulated_month`).
    Unbilled(YearMonth),
}

impl EarlierMonth {
    /// Its bill month.
    pub fn cycle(&self) -> YearMonth {
        match self {
            EarlierMonth::Provisional(p) => p.cycle,
            EarlierMonth::Unbilled(m) => *m,
        }
    }
}

/// One earlier month of a [`CorrectedBill`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectedMonth {
    /// Bill month.
    pub cycle: YearMonth,
    /// Its share of the actual units (record this in history in place of the estimate).
    pub units_actual_kwh: u64,
    /// Units billed provisionally (0 when no bill was issued).
    pub units_provisional_kwh: u64,
    /// The month priced alone on its share: current bill + total FPA.
    pub corrected_rs: Decimal,
    /// Amount billed provisionally (0 when no bill was issued).
    pub provisional_rs: Decimal,
    /// `corrected_rs - provisional_rs` (the `provisional_adjustment` or `accumulated_month`
    /// line).
    pub adjustment_rs: Decimal,
    /// Whether a provisional bill had been issued for the month.
    pub was_billed: bool,
}

/// The bill on an actual reading that also covers earlier months ([`compute_catch_up`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectedBill {
    /// This month's bill: its share of the actual units priced normally, plus one line per
    /// earlier month.
    pub bill: Bill,
    /// The earlier months, oldest first.
    pub months: Vec<CorrectedMonth>,
    /// This bill's month.
    pub cycle: YearMonth,
}

impl CorrectedBill {
    /// Actual units per month (earlier months, then this month): the history to record.
    pub fn history(&self) -> Vec<(YearMonth, u64)> {
        let mut h: Vec<(YearMonth, u64)> = self
            .months
            .iter()
            .map(|m| (m.cycle, m.units_actual_kwh))
            .collect();
        h.push((self.cycle, self.bill.units_kwh));
        h
    }
}

/// [`compute_catch_up`] when every earlier month was billed provisionally (KNOWN-CASES B07).
pub fn compute_corrected(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    facts: &ReadingFacts,
    months: &[(YearMonth, u32)],
    provisional: &[ProvisionalBilled],
) -> Result<CorrectedBill, BillingError> {
    let earlier: Vec<EarlierMonth> = provisional
        .iter()
        .map(|p| EarlierMonth::Provisional(*p))
        .collect();
    compute_catch_up(book, input, extras, facts, months, &earlier)
}

/// The bill on an actual reading that covers earlier bill months too: provisional months
/// (the first actual reading after estimates) and months no bill was issued for (an
/// accumulated reading, BILLING-RULES 2.3.6; an estimate refused over the limit). `input` is
/// this month's reading with `units_offpeak_kwh` / `units_peak_kwh` = the advance since the
/// last **actual** reading, `period_days` = days since it, `arrears_rs` as owed. `months` =
/// the earlier months then this month, with days (e.g. from [`month_spans`]); `earlier` = each
/// earlier month, same order. The units are split over the months ([`split_accumulated`],
/// TOU registers separately); each earlier month is priced alone on its share (its own slabs
/// and band, FPA / QTA months, history with the earlier shares, no arrears, the temporary
/// disconnection month counted back) and the bill carries one line per earlier month:
/// `provisional_adjustment` = re-priced - billed provisionally (negative = credit), or
/// `accumulated_month` = the whole re-priced amount. Those lines are outside the tax and LPS
/// bases (each amount includes its own taxes); the bill's subsidy adds each month's subsidy
/// change. This month is billed on its share. The estimate limit (`max_consecutive`) governs
/// estimates only: the reading that ends a run of unread months is always billed.
pub fn compute_catch_up(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    facts: &ReadingFacts,
    months: &[(YearMonth, u32)],
    earlier: &[EarlierMonth],
) -> Result<CorrectedBill, BillingError> {
    validate_span(input, months)?;
    if facts.provisional.is_some() {
        return Err(bad(
            "provisional",
            "the correcting bill is an actual reading",
        ));
    }
    if earlier.is_empty() || earlier.len() + 1 != months.len() {
        return Err(bad(
            "provisional",
            "one earlier month for every month but the last",
        ));
    }
    for (p, (m, _)) in earlier.iter().zip(months) {
        if p.cycle() != *m {
            return Err(bad(
                "provisional",
                format!("earlier month {} listed against month {m}", p.cycle()),
            ));
        }
        if let EarlierMonth::Provisional(p) = p {
            if p.billed_rs.abs() > Decimal::from(MAX_ARREARS_RS)
                || p.subsidy_rs.abs() > Decimal::from(MAX_ARREARS_RS)
                || p.units_kwh > MAX_UNITS_KWH
            {
                return Err(bad("provisional", format!("bill {} out of range", p.cycle)));
            }
        }
    }
    let any_provisional = earlier
        .iter()
        .any(|e| matches!(e, EarlierMonth::Provisional(_)));
    if any_provisional && input.units_peak_kwh != 0 {
        return Err(bad(
            "units_peak_kwh",
            "provisional bills are not modelled for TOU",
        ));
    }
    check_meter_change(input, facts)?;
    let split = Split::new(book, input, months)?;
    let (rule, total, n) = (split.rule, split.total, months.len());
    let mut chain = Chain::new(input, extras, months);
    let mut out = Vec::with_capacity(n - 1);
    let mut adjustments = Vec::with_capacity(n - 1);
    for (k, ((cycle, d), p)) in months.iter().zip(earlier).enumerate() {
        let share = split.share(k);
        let date = match p {
            EarlierMonth::Provisional(p) => p.issue_date,
            EarlierMonth::Unbilled(_) => Split::nominal_date(input, k, n),
        };
        let bill = split.price(
            book,
            input,
            extras,
            months,
            &mut chain,
            k,
            date,
            Decimal::ZERO,
            facts,
            &[],
        )?;
        let corrected = bill.current_bill_rs + bill.total_fpa_rs;
        let (billed_kwh, billed_rs, billed_subsidy) = match p {
            EarlierMonth::Provisional(p) => (p.units_kwh, p.billed_rs, p.subsidy_rs),
            EarlierMonth::Unbilled(_) => (0, Decimal::ZERO, Decimal::ZERO),
        };
        let adj = corrected - billed_rs;
        let kwh = i64::try_from(share).unwrap_or(i64::MAX)
            - i64::try_from(billed_kwh).unwrap_or(i64::MAX);
        let was_billed = matches!(p, EarlierMonth::Provisional(_));
        adjustments.push(Adjustment {
            line: if was_billed {
                "provisional_adjustment"
            } else {
                "accumulated_month"
            },
            kwh,
            amount_rs: adj,
            subsidy_rs: bill.subsidy_rs - billed_subsidy,
            rule: if was_billed { R_ADJUST } else { R_ACC_MONTH },
            source: if was_billed {
                format!(
                    "{cycle}: billed provisionally {billed_kwh} kWh Rs {billed_rs}; actual share {share} kWh Rs {corrected} ({})",
                    rule.label
                )
            } else {
                format!(
                    "{cycle}: no bill issued; share {share} of {total} kWh ({d} days) priced alone: current bill Rs {} + FPA Rs {} ({})",
                    bill.current_bill_rs, bill.total_fpa_rs, rule.label
                )
            }
            .into(),
        });
        out.push(CorrectedMonth {
            cycle: *cycle,
            units_actual_kwh: share,
            units_provisional_kwh: billed_kwh,
            corrected_rs: corrected,
            provisional_rs: billed_rs,
            adjustment_rs: adj,
            was_billed,
        });
    }
    let cycle = months[n - 1].0;
    let bill = split.price(
        book,
        input,
        extras,
        months,
        &mut chain,
        n - 1,
        input.issue_date,
        input.arrears_rs,
        facts,
        &adjustments,
    )?;
    Ok(CorrectedBill {
        bill,
        months: out,
        cycle,
    })
}

/// The reading facts of a month `back` months before the reading's own: no meter change
/// (it shows on the last month), the temporary disconnection month counted back.
fn earlier_facts(facts: &ReadingFacts, back: usize) -> ReadingFacts {
    ReadingFacts {
        temp_disconnected_month: facts
            .temp_disconnected_month
            .and_then(|m| m.checked_sub(u32::try_from(back).ok()?))
            .filter(|m| *m >= 1),
        ..ReadingFacts::default()
    }
}
