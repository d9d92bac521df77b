//! # billing — Bijli's pure billing domain
//!
//! Owns: the tariff book (effective-dated schedules, adjustments, taxes, terms, all as data),
//! the computation of one bill from one input, bill months, and the consumer reference number.
//! It does no I/O, reads no clock, starts no threads and uses no floats: money is
//! `rust_decimal::Decimal` rupees; the issue date is passed in; data files are embedded with
//! `include_str!` ([`data::BUILTIN_FILES`]) or handed in as text by the operator
//! ([`TariffBook::load_toml`]).
//!
//! ## Invariants
//! * No rate lives in Rust code: every rate, fee, percentage, exemption list, tax base and
//!   holiday comes from a TOML file under `billing/data/` (or one loaded at run time), each
//!   schedule with its S.R.O. id and `effective_from` / `effective_to`.
//! * A rate that is not public (`missing = true`) is never billed at zero: the bill is refused
//!   with an error naming the tariff / category / date ([`BillingError::RateNotPublic`],
//!   [`BillingError::RateUnknown`]).
//! * Loading is all-or-nothing and append-only (duplicate versions are refused; the one
//!   replacement is a real FPA / QTA notification loaded over its `missing = true`
//!   placeholder, whose bill months are refused with [`BillingError::AdjustmentNotNotified`]
//!   until then).
//! * `compute_bill` is deterministic; `payable_within_due = arrears + current bill +
//!   total FPA + installment + installment markup` (the last two 0 without
//!   [`BillExtras::installment`]),
//!   `current bill = round_rupee(sum of current lines)`, `total FPA = round_rupee(sum of FPA
//!   lines)`, `payable_after_due = payable_within_due + LPS`; the LPS is the current bill's
//!   only (the installment never changes it); a DISCO-deferred amount is in no total.
//! * Every bill line explains itself: `amount = quantity x rate` rounded as the line is
//!   ([`BillLine::explained_amount`], [`LineArithmetic`]: paisa; `gst_on_fpa` / `lps` rupees;
//!   memo lines 0 x 0), except the summary lines `provisional_adjustment` /
//!   `accumulated_month` (a whole earlier month's bill, rate 0). The builder computes each
//!   amount from the printed quantity and rate; a slab tax with a fixed part prints it as its
//!   own line (`income_tax` 1 x 1,950, then `income_tax` excess over the floor x 12 % / 5 %);
//!   the minimum charge is 1 x the top-up.
//!
//! ## Where each rule lives
//! * Rounding policy (half away from zero; lines unrounded then rounded to paisa; current bill,
//!   GST on FPA per month, total FPA and LPS to rupees): [`money`].
//! * Bill months, `YYYY-MM`: [`period`]. Errors: [`error`].
//! * Data format and shipped files: [`data`]; parsing / validation: `tariff/load.rs`;
//!   schedule resolution by (tariff code, issue date): [`tariff`] (`TariffBook::resolve`).
//! * Lifeline eligibility (BILLING-RULES 2.3.1), protected status from the previous six months
//!   (2.3.2: short history = not protected), one-previous-slab vs single-slab pricing (2.3.3-4),
//!   per-kW fixed charge by slab reached, minimum-charge floor: `bill::price_residential`.
//! * TOU / flat energy and billing demand = max(share x SL, MDI): `bill::push_fixed` and
//!   [`compute_bill`].
//! * Tariff load limit (`max_load_kw`; B-1 / B-1b up to 25 kW, CSM 7.5): a bill whose
//!   sanctioned load or MDI is above it is refused (move the consumer to B-2); the exclusive
//!   `sanctioned_load_below_kw` (S.R.O. 279 A-1a / A-2a below 5 kW, BILLING-RULES 1.1 / 2.4;
//!   from 5 kW it is A-1b TOU / A-2b / A-2c) on the sanctioned load only; the refusal names
//!   the data's `over_limit_tariffs`: `compute_inner` (`check_load_limit`).
//! * FPA on reference-month units, several FPA months per bill, QTA per bill month, FC and NJ
//!   surcharge, ED by province/category/date, GST by date (GST on FPA at the reference month's
//!   rate), PTV fee, LPS, due date past Sundays/holidays: [`compute_bill`] steps 4-10.
//! * Optional inputs ([`BillExtras`]: STRN status, carried-in units, employee, power factor):
//!   [`compute_bill_with`]; `compute_bill` = `compute_bill_with(.., &BillExtras::default())`
//!   = `compute_bill_full(.., &BillExtras::default(), &ReadingFacts::default())`.
//! * Long reading periods (BILLING-RULES 2.3.5): scaled to 30 days (`round(units x 30 /
//!   days)`, half up) when longer than the `[[long_period]]` limit, excess reported as
//!   `Bill::units_carried_forward_kwh`; carried-in units added; short periods never scaled up
//!   (KNOWN-CASES B04): `compute_bill_with` step 1, data `terms.toml`.
//! * Tariff differential subsidy (BILLING-RULES 8): the consumer's band priced on the DISCO's
//!   `kind = "determined"` schedule minus the applicable energy / fixed / minimum lines ->
//!   `Bill::subsidy_rs`, `Bill::subsidy_lines` (0 + `TDS none` note in `versions` when not
//!   covered): `bill::subsidy`; resolution `TariffBook::resolve_determined`.
//! * Power-factor penalty (BILLING-RULES-2 2): `[[pf_penalty]]` threshold / formula / base per
//!   category, applied when `BillExtras::power_factor` is given (after the fixed charge).
//! * Further tax, extra tax, income tax s.235 (BILLING-RULES-2 5.3-5.4): `[[bill_tax]]` slabs by
//!   category and ATL / STRN status, after GST and PTV fee: `compute_bill_with` step 7b; a
//!   slab's `fixed` part and its percentage part are two lines of the tax's name.
//! * Employee free units (BILLING-RULES 7): `[[employee_free_units]]` by BPS and status (BPS
//!   17+ in service 0 from 2023-12-01); credit line `employee_free_units` = energy x
//!   min(units, FY quota remaining) / units: step 7c.
//! * Reading circumstances ([`ReadingFacts`], [`compute_bill_full`]; data `readings.toml`):
//!   * temporary disconnection on request (BILLING-RULES 6.1 item 6): `temp_disconnected_month
//!     = Some(n)`; for n <= `[[temp_disconnection]] max_months` (11) the `waive` lines (fixed,
//!     minimum charge) are not charged (also on the subsidy's determined side; billing demand
//!     0), a `temp_disconnected` memo line says so; from month 12 they resume: `compute_inner`
//!     step 0 and `Builder::push`;
//!   * meter replaced mid-cycle: [`periods::meter_change_units`] (old previous -> final x old
//!     MF + new initial -> present x new MF, per register, rollover by
//!     [`periods::register_advance`], MDI = max of both), `meter_old` / `meter_new` memo lines
//!     with the readings in `source`; the units go through one slab ladder;
//!   * provisional (average) bill (2.3.7): [`periods::provisional_units`] = min(same month last
//!     year, average of the previous 11 months), refused after `max_consecutive` (2) in a row;
//!     [`periods::compute_provisional`] marks `Bill::provisional`, a `provisional` memo line,
//!     no LPS (`lps = false`).
//! * Accumulated readings (2.3.6): [`periods::compute_accumulated`] = one bill per bill month
//!   (the rules say "split into monthly bills"), units by [`periods::split_units`]
//!   (`[[accumulated_split]] method` days | equal, cumulative rounding half up: shares sum to
//!   the total, each within 1 kWh of its exact share), days per month by
//!   [`periods::month_spans`]; history, carried units, FY quota and arrears chained (month k's
//!   arrears = month k-1's payable), an `accumulated` memo line on each.
//! * Correction of provisional bills (2.3.7, KNOWN-CASES B07): [`periods::compute_corrected`]:
//!   the actual advance since the last actual reading split over the provisional months and
//!   this month; each provisional month re-priced on its share; one `provisional_adjustment`
//!   line per month = re-priced bill (current + FPA, rupees) - amount billed provisionally
//!   (negative = credit), outside every tax / LPS base; `Bill::units_adjusted_kwh` = shares -
//!   estimates, so `units_kwh + units_adjusted_kwh` = actual advance - provisional units.
//! * Installment plans and DISCO-deferred amounts (BILLING-RULES 3.1-3.2, BILLING-RULES-2 4):
//!   `[[installment]]` (data `terms.toml`: markup % p.a., days in year, max installments,
//!   grants per fiscal year); [`installments::plan`] splits a granted amount into 2..=max
//!   paisa-exact installments (remainder on the last, [`money::split_paisa`]),
//!   [`installments::check_grant`] the once-per-fiscal-year limit; on a bill
//!   ([`BillExtras::installment`], an [`InstallmentDue`]) an `installment` line (1 x principal)
//!   and, after the first, `installment_markup` = balance before x markup % x days / days in
//!   year, after the FPA block, outside the current bill, tax and LPS bases
//!   (`Bill::installment_rs`, `installment_markup_rs`, `installment_balance_after_rs`);
//!   [`BillExtras::deferred_rs`] -> `Bill::deferred_rs` (shown, not payable): `compute_inner`
//!   step 9b. An accumulated reading carries them on its last month's bill only.
//! * Meter / service rent (BILLING-RULES 3.1-3.2 "Meter rent"): `[[meter_rent]]` rules
//!   (`kind`, dated, optional `phase` / `categories` / `tariffs`, `rs_per_month`,
//!   `in_gst_base`, `in_ed_base`); the rule in force on the issue date that matches the
//!   consumer (latest start) adds a `meter_rent` / `service_rent` line (1 x rent) after the
//!   fixed charge, one bill month whatever the reading period (each month of an accumulated
//!   reading pays its own, as it pays its own fixed charge), not charged in a month whose
//!   fixed charge is waived; never in the LPS base: `compute_inner` step 3b, loader
//!   `tariff/load.rs` `stage_meter_rent`. No rule ships in force (example in `terms.toml`).
//! * What the server issues for a reading spanning several bill months:
//!   [`periods::compute_catch_up`], one bill on the reading's month with one line per earlier
//!   month: `provisional_adjustment` (a provisional month corrected) or `accumulated_month`
//!   (a month no bill was issued for, priced alone on its share); the estimate limit does not
//!   block the reading that ends a run of unread months.
//!
//! * Checks of the consumer master before billing (used at load time): tariff code known
//!   ([`TariffBook::category_of`]) and TOU or not ([`TariffBook::is_tou`]), employee grade
//!   in the free-unit table ([`TariffBook::employee_grade_known`]) and status name
//!   ([`ServiceStatus::parse`]), sanctioned load within [`MAX_LOAD_KW`] and the tariff's load
//!   limit on a date ([`TariffBook::check_load`], the check the bill engine makes).
//!
//! ## UNCONFIRMED defaults (also printed in the bill line's `rule` text or `source`)
//! * Industrial B-1, B-1b, B-2a, B-2b, B-3 2026 rates (press only; B-4 refused); the FY2025-26
//!   and Jan-2026 residential schedules; 2025 FCA/QTA values; the ~0.35 QTA of Mar-May 2026.
//! * Fixed charges in the GST base; ED after July 2025 modelled as 0% everywhere; FC surcharge
//!   Rs 3.23 start date and exemption list (lifeline only); NJ surcharge end date.
//! * LPS base (energy + FC + QTA + NJ, derived from real bills; fixed charges excluded) and
//!   10% rate (the reported 5%/10% two-tier rule is not modelled); due days = 10.
//! * Lifeline history test ignores months absent from history; rates are taken on the issue
//!   date (no proration across a mid-period change).
//! * The A-1a / A-2a < 5 kW limit is in S.R.O. 279(I)/2026 only: the older schedules' sources
//!   do not state it, so a >= 5 kW A-1a bill on them is priced. No lower limit on A-1b / A-2c
//!   (a small consumer with a TOU meter bills on it).
//! * Subsidy: no determined rates were researched; `determined-illustrative-2026.toml`
//!   (MEPCO, invented figures) is in `data::ILLUSTRATIVE_FILES`, not in the builtin book.
//!   Determined FPA/QTA and the lifeline FPA exemption are not claimed as subsidy.
//! * Taxes: all `[[bill_tax]]` entries (start dates, bases, further tax on no-STRN only, 2021
//!   extra-tax slabs, income-tax base = current lines incl. GST, slab chosen on the base
//!   rounded to rupees); non-ATL doubling for commercial / industrial not modelled.
//! * Long periods: limit 31 days (periods up to the longest calendar month are not scaled);
//!   TOU registers not scaled and carried-in units refused for TOU.
//! * Employee credit: after a normal bill, pro-rata of the energy charge; taxes, FPA and LPS
//!   stay on the full bill; the caller keeps the fiscal-year quota ledger; GENCO quotas absent.
//! * PF penalty default: PF < 0.90 -> (0.90 - PF) x 100 x 1% x (energy + fixed), industrial
//!   only, not in the GST / LPS base.
//! * Temporary disconnection: a whole bill month is the unit (no proration of a part month);
//!   energy metered while disconnected is billed; FPA of earlier months, PTV fee and taxes
//!   unchanged.
//! * Meter change: MDI = max of the two meters; memo lines only (no meter-change fee).
//! * Meter / service rent: whether ex-WAPDA DISCOs charge it today is open (K-Electric was
//!   ordered to stop in 2015), so no rule ships in force; defaults of an operator's rule: in the GST base
//!   (`in_gst_base = true`, like the fixed charge), not in the ED base (`in_ed_base =
//!   false`; ED on real bills is on energy + QTA); in the further / extra / income tax bases
//!   (`withholding-taxes.toml`); not charged while temporarily disconnected (it follows the
//!   fixed-charge waiver); not in the LPS base (the documented LPS base is energy + FC + QTA
//!   + NJ: decided, not sourced).
//! * Provisional bills: average rounded half up over the months of the 11 present in history
//!   (either figure alone when the other is absent; none -> refused); at most 2 in a row
//!   (B07, NEPRA on faulty meters); no LPS on the estimate (B07, 2020 K-Electric agreement).
//! * Installments: 14% p.a. markup (press-reported), the rule's start 2019-01-01, at most 12
//!   installments, a 365-day year, once per fiscal year (July-June; the caller counts grants):
//!   all defaults of `[[installment]]`; no markup on the first installment; the markup rate is
//!   the rule in force on the bill's issue date (not the grant date); markup printed to the
//!   paisa, so the payable may carry paisa; the LPS-free first installment "if paid by the due
//!   date" is the caller's (the installment is never in the LPS base).
//! * Split of accumulated / corrected units by days (B07: "a policy choice"); every split
//!   month priced on the issue date of the actual bill (crate-wide rule) with its own bill
//!   month's FPA / QTA; the adjustment of a corrected month is outside the tax and LPS bases
//!   (its own taxes are inside it); the adjustment is the difference of rupee-rounded bills, so
//!   B07's 9,661.50 is 9,662 here.
//!
//! ## Not modelled
//! Retailer tax, incremental-consumption package, net metering, the 60-month-MDI
//! billing-demand proviso; the meter multiplying factor of an ordinary reading is applied by
//! the caller (units arrive multiplied; a meter change applies each meter's MF in
//! [`periods::meter_change_units`]). Provisional bills and corrections for TOU tariffs
//! (history has no registers: refused); a TOU <-> non-TOU meter change (a tariff change:
//! refused); the defective-meter "premises unoccupied -> minimum charges only" rule (2.3.8);
//! register plausibility against the consumer's average (B09 suggests 3 x average; the
//! rollover gate is a tenth of the register, as in storage); the refusal of a third estimate
//! raises no meter-replacement task (the caller's job).

pub mod bill;
pub mod data;
pub mod error;
pub mod installments;
pub mod money;
pub mod period;
pub mod periods;
pub mod reference;
pub mod tariff;

pub use bill::{
    compute_bill, compute_bill_full, compute_bill_with, employee_entitlement_kwh, Bill, BillExtras,
    BillInput, BillLine, Employee, LineArithmetic, LineBlock, ReadingFacts, ServiceStatus, MAX_BPS,
    MAX_LOAD_KW,
};
pub use error::BillingError;
pub use installments::{InstallmentDue, InstallmentTerms};
pub use period::YearMonth;
pub use periods::{
    compute_accumulated, compute_catch_up, compute_corrected, compute_provisional,
    meter_change_units, month_spans, provisional_units, register_advance, register_advance_of,
    split_accumulated, split_units, CorrectedBill, CorrectedMonth, EarlierMonth, MeterChange,
    MeterRegisters, ProvisionalBilled, ProvisionalEstimate, SplitMethod,
};
pub use tariff::{AdjustmentRow, Disco, LoadSummary, TariffBook, TariffRow};
