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
//! * Loading is all-or-nothing and append-only (duplicate versions are refused).
//! * `compute_bill` is deterministic; `payable_within_due = arrears + current bill + total FPA`,
//!   `current bill = round_rupee(sum of current lines)`, `total FPA = round_rupee(sum of FPA
//!   lines)`, `payable_after_due = payable_within_due + LPS`.
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
//! * FPA on reference-month units, several FPA months per bill, QTA per bill month, FC and NJ
//!   surcharge, ED by province/category/date, GST by date (GST on FPA at the reference month's
//!   rate), PTV fee, LPS, due date past Sundays/holidays: [`compute_bill`] steps 4-10.
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
//!
//! ## Not modelled
//! Income tax (s.235, `atl`), further / extra / retailer tax, power-factor penalty,
//! incremental-consumption package, long-period scaling with carried-forward units, employee
//! free units, net metering.

pub mod bill;
pub mod data;
pub mod error;
pub mod money;
pub mod period;
pub mod reference;
pub mod tariff;

pub use bill::{compute_bill, Bill, BillInput, BillLine, LineBlock};
pub use error::BillingError;
pub use period::YearMonth;
pub use tariff::{LoadSummary, TariffBook, TariffRow};
