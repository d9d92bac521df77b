//! The tariff book: every effective-dated rate the engine uses, compiled from TOML data.
//!
//! Nothing here is a rate constant: schedules (per tariff code, band and slab), FPA per fuel
//! month, QTA per quarter, FC / NJ surcharge, PTV fee, GST, ED per province, LPS and due-date
//! terms and holidays, meter / service rent all come from TOML files (`billing/data/*.toml`,
//! embedded, or an operator's file; the format is described in [`crate::data`]). [`TariffBook::load_toml`] validates a whole file before it
//! changes anything (all-or-nothing) and versions are append-only: a key already loaded
//! (schedule id, FPA fuel month, QTA quarter, tax rate start date...) is refused as a
//! duplicate rather than silently replaced. The exception: a `missing = true` FPA / QTA
//! placeholder ("not notified yet") is replaced by the real notification of its fuel month /
//! quarter (an FPA at any revision >= the placeholder's).
//!
//! Resolution rules (used by [`crate::bill::compute_bill`]):
//! * a tariff code resolves to the schedule **listing that code** with the latest
//!   `effective_from <= date` whose `effective_to` (if any) is `>= date`. A newer schedule
//!   supersedes an older one only for the codes it lists; list a code with `missing = true`
//!   to withdraw it;
//! * on a what-if book ([`TariffBook::with_override`]) the proposal's schedules come first,
//!   whatever their start date, on the dates they cover;
//! * a code listed with `missing = true`, or a slab without a rate, makes the engine refuse
//!   the bill with [`BillingError::RateNotPublic`] (never billed at zero);
//! * for taxes/surcharges: a kind with **no entries at all** in the book is "not configured"
//!   and produces no line (this is how tariff-only test books are built); a configured kind
//!   with no entry in force on the date is an error.
//! * meter / service rent (`[[meter_rent]]`): of the rules of one kind in force on the date
//!   that match the consumer (tariff code, category, phase), the one with the latest start;
//!   none = no rent (nothing ships in force: UNCONFIRMED for XWDISCOs today).
//!
//! At load time each entry gets its `Arc<str>` source label and its lookup index, so the hot
//! path only does a binary search by code and short scans over a few dated entries.

mod load;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::BillingError;
use crate::period::YearMonth;

/// What one [`TariffBook::load_toml`] call added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Schedules added.
    pub schedules: usize,
    /// Tariff entries (codes x schedules) added.
    pub tariffs: usize,
    /// FPA fuel months added.
    pub fpa_months: usize,
    /// QTA quarters added.
    pub qta_quarters: usize,
    /// Tax / surcharge / fee entries added (GST, ED, FC, NJ, PTV).
    pub tax_rates: usize,
    /// Due-date / LPS terms added.
    pub terms: usize,
    /// Holidays added.
    pub holidays: usize,
    /// Tariff entries of NEPRA-determined (subsidy) schedules added.
    pub determined_tariffs: usize,
    /// Further / extra / income tax, long-period, employee free-unit, PF-penalty, reading and
    /// installment rule entries.
    pub rules: usize,
    /// Distribution companies added to the registry.
    pub discos: usize,
    /// `[[meter_rent]]` entries added (meter rent and service rent rules).
    pub meter_rent: usize,
}

impl LoadSummary {
    /// Nothing was added (an empty or comment-only file).
    pub fn is_empty(&self) -> bool {
        *self == LoadSummary::default()
    }
}

/// `2 schedules (31 tariffs), 1 FPA month`: the non-zero counts.
impl std::fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            (self.schedules, "schedule", "schedules"),
            (self.tariffs, "tariff entry", "tariff entries"),
            (
                self.determined_tariffs,
                "determined tariff entry",
                "determined tariff entries",
            ),
            (self.fpa_months, "FPA month", "FPA months"),
            (self.qta_quarters, "QTA quarter", "QTA quarters"),
            (
                self.tax_rates,
                "tax / surcharge rate",
                "tax / surcharge rates",
            ),
            (self.terms, "terms entry", "terms entries"),
            (self.holidays, "holiday", "holidays"),
            (self.rules, "rule", "rules"),
            (self.meter_rent, "meter rent rule", "meter rent rules"),
            (self.discos, "DISCO", "DISCOs"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// One loaded FPA month or QTA quarter entry, for the SQL `adjustments` table: every
/// revision and placeholder loaded, with the bill months it is charged on while in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRow {
    /// `FPA` or `QTA`.
    pub kind: &'static str,
    /// Fuel month (`2026-09`) or quarter (`CY2026-Q2`).
    pub period: String,
    /// FPA revision (0 = first notification); 0 for QTA.
    pub revision: u32,
    /// Bill months charging it, comma-separated; empty when a later revision replaced it.
    pub bill_months: String,
    /// Rs per kWh; `None` for a `missing = true` placeholder.
    pub rate_rs_per_kwh: Option<Decimal>,
    /// Exempt bands and categories, comma-separated.
    pub exempt: String,
    /// The notification (`sro`) or what a placeholder names.
    pub notification: String,
    pub confirmed: bool,
    pub missing: bool,
    /// Charged on some bill month now (not replaced by a revision or a notification).
    pub in_force: bool,
}

/// One flat row for the SQL `tariffs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffRow {
    /// Schedule id, e.g. `SRO-279(I)/2026`.
    pub schedule_id: String,
    /// The S.R.O. text.
    pub sro: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Last day in force, if known.
    pub effective_to: Option<NaiveDate>,
    /// Tariff code, e.g. `A-1a`.
    pub tariff: String,
    /// Category, e.g. `residential`.
    pub category: String,
    /// `lifeline|protected|unprotected|tou|flat|missing`.
    pub band: String,
    /// Slab lower bound (kWh), residential only.
    pub slab_from_kwh: Option<i64>,
    /// Slab upper bound (kWh), `None` = open-ended.
    pub slab_to_kwh: Option<i64>,
    /// Variable rate (non-TOU).
    pub rate_rs_per_kwh: Option<Decimal>,
    /// TOU peak rate.
    pub peak_rs_per_kwh: Option<Decimal>,
    /// TOU off-peak rate.
    pub offpeak_rs_per_kwh: Option<Decimal>,
    /// Fixed charge rate (per kW or per consumer, see `fixed_basis`).
    pub fixed_rs: Option<Decimal>,
    /// `per_kw_sanctioned|per_kw_billing_demand|per_consumer|none`.
    pub fixed_basis: String,
    /// False when the rate is reported only by news.
    pub confirmed: bool,
    /// True when the rate is not public: the engine refuses to bill it.
    pub missing: bool,
}

/// Consumer band inside a tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Band {
    /// A-1(a) lifeline.
    Lifeline,
    /// A-1(a) protected.
    Protected,
    /// A-1(a) unprotected.
    Unprotected,
    /// Any time-of-use tariff.
    Tou,
    /// Any flat-rate (non-TOU, non-slab) tariff.
    Flat,
}

impl Band {
    /// Name as printed in `Bill::band` and used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Lifeline => "lifeline",
            Band::Protected => "protected",
            Band::Unprotected => "unprotected",
            Band::Tou => "tou",
            Band::Flat => "flat",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        match self {
            Band::Lifeline => 1,
            Band::Protected => 2,
            Band::Unprotected => 4,
            Band::Tou => 8,
            Band::Flat => 16,
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Band> {
        Some(match s {
            "lifeline" => Band::Lifeline,
            "protected" => Band::Protected,
            "unprotected" => Band::Unprotected,
            "tou" => Band::Tou,
            "flat" => Band::Flat,
            _ => return None,
        })
    }
}

/// Bits naming the bill lines a tax / LPS base is summed over (data: `base = [...]`).
pub(crate) mod base {
    pub const ENERGY: u16 = 1;
    pub const FIXED: u16 = 2;
    pub const MINIMUM_CHARGE: u16 = 4;
    pub const FC_SURCHARGE: u16 = 8;
    pub const QTA: u16 = 16;
    pub const ED: u16 = 32;
    pub const NJ_SURCHARGE: u16 = 64;
    pub const TV_FEE: u16 = 128;
    pub const GST: u16 = 256;
    pub const FURTHER_TAX: u16 = 512;
    pub const EXTRA_TAX: u16 = 1024;
    pub const INCOME_TAX: u16 = 2048;
    pub const PF_PENALTY: u16 = 4096;
    pub const METER_RENT: u16 = 8192;
    pub const SERVICE_RENT: u16 = 16384;
    /// Meter and service rent: whether they are in the GST / ED base is the `[[meter_rent]]`
    /// rule's `in_gst_base` / `in_ed_base`, so a `[[gst]]` / `[[ed]]` base may not name them;
    /// never in the LPS base (an `lps_base` may not name them either).
    pub const RENT: u16 = METER_RENT | SERVICE_RENT;
    /// Lines computed after GST (never in a GST or ED base).
    pub const AFTER_GST: u16 = GST | FURTHER_TAX | EXTRA_TAX | INCOME_TAX;

    pub fn parse(name: &str) -> Option<u16> {
        Some(match name {
            "energy" => ENERGY,
            "fixed" => FIXED,
            "minimum_charge" => MINIMUM_CHARGE,
            "fc_surcharge" => FC_SURCHARGE,
            "qta" => QTA,
            "ed" => ED,
            "nj_surcharge" => NJ_SURCHARGE,
            "tv_fee" => TV_FEE,
            "gst" => GST,
            "further_tax" => FURTHER_TAX,
            "extra_tax" => EXTRA_TAX,
            "income_tax" => INCOME_TAX,
            "pf_penalty" => PF_PENALTY,
            "meter_rent" => METER_RENT,
            "service_rent" => SERVICE_RENT,
            _ => return None,
        })
    }
}

/// How the fixed charge quantity is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FixedBasis {
    PerKwSanctioned,
    PerKwBillingDemand,
    PerConsumer,
    None,
}

impl FixedBasis {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FixedBasis::PerKwSanctioned => "per_kw_sanctioned",
            FixedBasis::PerKwBillingDemand => "per_kw_billing_demand",
            FixedBasis::PerConsumer => "per_consumer",
            FixedBasis::None => "none",
        }
    }
}

/// How a slab band prices its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlabPricing {
    /// Every unit at the rate of the slab the total falls in (lifeline; unprotected since 2022).
    SingleSlab,
    /// Units up to the previous slab's upper bound at the previous slab's rate, the rest at the
    /// rate of the slab reached (protected; everyone before 2022).
    OnePreviousSlab,
}

#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub id: Box<str>,
    pub sro: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// `Some(disco)` for a NEPRA-determined (cost) schedule of one DISCO (`kind =
    /// "determined"`): used only for the subsidy, never to bill.
    pub disco: Option<Box<str>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Slab {
    pub from: u64,
    /// `None` = open-ended (last slab only).
    pub to: Option<u64>,
    /// `None` = not public.
    pub rate: Option<Decimal>,
    pub fixed: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub(crate) struct Residential {
    pub lifeline: Vec<Slab>,
    pub protected: Vec<Slab>,
    pub unprotected: Vec<Slab>,
    pub unprotected_pricing: SlabPricing,
    pub fixed_basis: FixedBasis,
    pub min_1ph: Option<Decimal>,
    pub min_3ph: Option<Decimal>,
    pub lifeline_max_load_kw: Decimal,
    pub lifeline_max_kwh: u64,
    pub lifeline_history_months: u32,
    pub protected_max_kwh: u64,
    pub protected_history_months: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Tou {
    pub peak: Decimal,
    pub offpeak: Decimal,
    pub fixed: Option<Decimal>,
    pub fixed_basis: FixedBasis,
    pub demand_share: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct Flat {
    pub rate: Decimal,
    pub fixed: Option<Decimal>,
    pub fixed_basis: FixedBasis,
    pub demand_share: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) enum TariffKind {
    Missing,
    Residential(Box<Residential>),
    Tou(Tou),
    Flat(Flat),
}

#[derive(Debug, Clone)]
pub(crate) struct Tariff {
    pub schedule: usize,
    pub code: Box<str>,
    pub category: Box<str>,
    /// Highest sanctioned load / MDI the tariff is for (`max_load_kw`, inclusive), if limited.
    pub max_load_kw: Option<Decimal>,
    /// The sanctioned load must be below this (`sanctioned_load_below_kw`, exclusive; A-1a /
    /// A-2a: 5 kW), if limited.
    pub load_below_kw: Option<Decimal>,
    /// Where a consumer over the load limit belongs (`over_limit_tariffs`), for the refusal.
    pub over_limit: Vec<Box<str>>,
    /// Billed on peak / off-peak registers: `Some(true)` for `pricing = "tou"`, `Some(false)`
    /// for residential / flat, for a `missing = true` entry its stated `tou` (else `None`).
    pub tou: Option<bool>,
    pub confirmed: bool,
    /// `SRO-279(I)/2026@2026-02-12` (+ ` UNCONFIRMED`), shared by every line of this tariff.
    pub source: Arc<str>,
    pub kind: TariffKind,
}

/// Exemptions of an adjustment / surcharge: band bits and category names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exempt {
    pub bands: u8,
    pub categories: Vec<Box<str>>,
}

impl Exempt {
    pub(crate) fn covers(&self, band: Band, category: &str) -> bool {
        self.bands & band.bit() != 0 || self.categories.iter().any(|c| &**c == category)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Fpa {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub fuel_month: YearMonth,
    /// 0 = first notification; the highest revision loaded is the one in force.
    pub revision: u32,
    /// `None` = a `missing = true` placeholder (decision not notified / value not public):
    /// refuse to bill; a real entry of the fuel month replaces it.
    pub rate: Option<Decimal>,
    /// The notification (`sro`), or what the placeholder names.
    pub sro: Box<str>,
    pub exempt: Exempt,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// A distribution company of the `[[disco]]` registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disco {
    /// Short name as in the consumer master, e.g. `MEPCO`.
    pub name: Box<str>,
    pub full_name: Box<str>,
    /// Provinces / territories its consumers are in (ED is looked up by province).
    pub provinces: Vec<Box<str>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Qta {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub quarter: Box<str>,
    /// `None` = a `missing = true` placeholder; a real entry of the quarter replaces it.
    pub rate: Option<Decimal>,
    /// The notification (`sro`), or what the placeholder names.
    pub sro: Box<str>,
    pub exempt: Exempt,
    pub confirmed: bool,
    pub label: Arc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct PerUnit {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub rate: Decimal,
    pub exempt: Exempt,
    pub confirmed: bool,
    pub label: Arc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ptv {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub category: Box<str>,
    pub amount: Decimal,
    pub exempt: Exempt,
    pub label: Arc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Gst {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub fraction: Decimal,
    pub base: u16,
    pub confirmed: bool,
    pub label: Arc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ed {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    /// Province or `*`.
    pub province: Box<str>,
    /// Category or `*`.
    pub category: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// `None` = not public: refuse to bill.
    pub fraction: Option<Decimal>,
    pub base: u16,
    pub confirmed: bool,
    pub label: Arc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct Terms {
    /// Short tag for `Bill::versions`.
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub due_days: u32,
    pub lps_fraction: Decimal,
    pub lps_base: u16,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Withholding-type taxes computed after GST, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaxKind {
    /// Further tax (Sales Tax Act s.3(1A)).
    Further,
    /// Extra tax (Sales Tax Act s.3(5)).
    Extra,
    /// Advance income tax, s.235 ITO 2001.
    Income,
}

impl TaxKind {
    pub(crate) const ORDER: [TaxKind; 3] = [TaxKind::Further, TaxKind::Extra, TaxKind::Income];

    pub(crate) fn line(self) -> &'static str {
        match self {
            TaxKind::Further => "further_tax",
            TaxKind::Extra => "extra_tax",
            TaxKind::Income => "income_tax",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        match self {
            TaxKind::Further => base::FURTHER_TAX,
            TaxKind::Extra => base::EXTRA_TAX,
            TaxKind::Income => base::INCOME_TAX,
        }
    }

    /// Lines that may be in this tax's base (only lines computed before it).
    pub(crate) fn allowed_base(self) -> u16 {
        let before_gst = base::ENERGY
            | base::FIXED
            | base::MINIMUM_CHARGE
            | base::FC_SURCHARGE
            | base::QTA
            | base::ED
            | base::NJ_SURCHARGE
            | base::PF_PENALTY
            | base::RENT;
        match self {
            TaxKind::Further => before_gst | base::TV_FEE,
            TaxKind::Extra => before_gst | base::TV_FEE | base::FURTHER_TAX,
            TaxKind::Income => {
                before_gst | base::TV_FEE | base::GST | base::FURTHER_TAX | base::EXTRA_TAX
            }
        }
    }
}

/// Who a [`BillTax`] is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    All,
    NonAtl,
    NonStrn,
    NonStrnOrNonAtl,
}

impl Applies {
    pub(crate) fn liable(self, atl: bool, strn: bool) -> bool {
        match self {
            Applies::All => true,
            Applies::NonAtl => !atl,
            Applies::NonStrn => !strn,
            Applies::NonStrnOrNonAtl => !strn || !atl,
        }
    }
}

/// One slab of a [`BillTax`]: applies when the rupee-rounded base is `>= from`.
#[derive(Debug, Clone)]
pub(crate) struct TaxSlab {
    pub from: Decimal,
    /// Fraction (percent / 100).
    pub fraction: Decimal,
    pub fixed: Decimal,
    /// `Some(x)`: the fraction applies to `base - x`; `None`: to the whole base.
    pub excess_over: Option<Decimal>,
}

/// Further / extra / income tax for one category, effective-dated.
#[derive(Debug, Clone)]
pub(crate) struct BillTax {
    pub ver: Box<str>,
    pub kind: TaxKind,
    pub category: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub applies: Applies,
    pub base: u16,
    /// Sorted by `from`, the first from 0.
    pub slabs: Vec<TaxSlab>,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Long reading periods scaled to `to_days` (BILLING-RULES 2.3.5).
#[derive(Debug, Clone)]
pub(crate) struct LongPeriod {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Periods of more than this many days are scaled; shorter ones never are.
    pub over_days: u32,
    pub to_days: u32,
}

/// Temporary disconnection on request (BILLING-RULES 6.1 item 6).
#[derive(Debug, Clone)]
pub(crate) struct TempDisconnection {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Months of disconnection without fixed / minimum charges; they resume after.
    pub max_months: u32,
    /// Base bits of the lines not charged (fixed, minimum_charge).
    pub waive: u16,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Provisional (average) bill rule (BILLING-RULES 2.3.7).
#[derive(Debug, Clone)]
pub(crate) struct ProvisionalRule {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub average_months: u32,
    pub same_month_last_year: bool,
    pub max_consecutive: u32,
    pub lps: bool,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Installment facility (BILLING-RULES 3.2 "Installments", BILLING-RULES-2 4).
#[derive(Debug, Clone)]
pub(crate) struct InstallmentRule {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Markup per year as a fraction (percent / 100), pro-rata by days.
    pub markup_fraction: Decimal,
    /// The markup's year in days (the pro-rata denominator).
    pub days_in_year: u32,
    /// Most installments one grant may be split into (at least 2).
    pub max_installments: u32,
    /// Grants per consumer per fiscal year (July-June).
    pub per_fiscal_year: u32,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// How accumulated / corrected units are split over months (BILLING-RULES 2.3.6).
#[derive(Debug, Clone)]
pub(crate) struct SplitRule {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub method: crate::periods::SplitMethod,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Employee free units per month for a BPS range (BILLING-RULES 7).
#[derive(Debug, Clone)]
pub(crate) struct FreeUnits {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub bps_from: u8,
    pub bps_to: u8,
    pub in_service_kwh: u64,
    pub retired_kwh: u64,
    pub label: Arc<str>,
}

/// How the power-factor penalty fraction is found from PF and the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PfFormula {
    /// `(threshold - pf) x 100 x per_point`.
    PercentPerPoint(Decimal),
    /// `(threshold - pf) / pf`.
    Ratio,
}

/// Power-factor penalty rule (BILLING-RULES-2 2: configurable, not found).
#[derive(Debug, Clone)]
pub(crate) struct PfPenalty {
    pub ver: Box<str>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub categories: Vec<Box<str>>,
    pub threshold: Decimal,
    pub formula: PfFormula,
    pub base: u16,
    pub confirmed: bool,
    pub label: Arc<str>,
}

/// Which rent a [`MeterRent`] rule charges: the bill line's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RentKind {
    /// `meter_rent`: rent of the DISCO's meter.
    Meter,
    /// `service_rent`: rent of the service connection (cable / equipment).
    Service,
}

impl RentKind {
    /// In bill-line order.
    pub(crate) const ORDER: [RentKind; 2] = [RentKind::Meter, RentKind::Service];

    pub(crate) fn line(self) -> &'static str {
        match self {
            RentKind::Meter => "meter_rent",
            RentKind::Service => "service_rent",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        match self {
            RentKind::Meter => base::METER_RENT,
            RentKind::Service => base::SERVICE_RENT,
        }
    }

    pub(crate) fn parse(s: &str) -> Option<RentKind> {
        Some(match s {
            "meter_rent" => RentKind::Meter,
            "service_rent" => RentKind::Service,
            _ => return None,
        })
    }
}

/// Meter / service rent per month (`[[meter_rent]]`; BILLING-RULES 3.1-3.2 "Meter rent":
/// historically on bills, UNCONFIRMED for XWDISCOs today, so no rule ships in force).
/// Who pays it: every filter given must match (`None` = any).
#[derive(Debug, Clone)]
pub(crate) struct MeterRent {
    pub ver: Box<str>,
    pub kind: RentKind,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// 1 or 3.
    pub phase: Option<u8>,
    pub categories: Option<Vec<Box<str>>>,
    pub tariffs: Option<Vec<Box<str>>>,
    /// Rs per meter per bill month (0 = withdrawn for the consumers it matches).
    pub rs_per_month: Decimal,
    pub in_gst_base: bool,
    pub in_ed_base: bool,
    pub confirmed: bool,
    pub label: Arc<str>,
}

impl MeterRent {
    /// Does this rule apply to a consumer on `tariff` (of `category`) with `phase`?
    pub(crate) fn matches(&self, tariff: &str, category: &str, phase: u8) -> bool {
        self.phase.is_none_or(|p| p == phase)
            && self
                .categories
                .as_ref()
                .is_none_or(|cs| cs.iter().any(|c| &**c == category))
            && self
                .tariffs
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|t| &**t == tariff))
    }
}

/// All loaded tariff data, indexed for billing.
#[derive(Debug, Clone, Default)]
pub struct TariffBook {
    pub(crate) schedules: Vec<Schedule>,
    pub(crate) tariffs: Vec<Tariff>,
    /// Sorted by code; each list of tariff indexes sorted by schedule start, newest first.
    codes: Vec<(Box<str>, Vec<usize>)>,
    pub(crate) fpa: Vec<Fpa>,
    /// (bill month index, fpa index), sorted.
    fpa_by_bill: Vec<(i64, usize)>,
    /// Distribution companies (`[[disco]]`), in load order.
    discos: Vec<Disco>,
    pub(crate) qta: Vec<Qta>,
    qta_by_bill: Vec<(i64, usize)>,
    pub(crate) fc: Vec<PerUnit>,
    pub(crate) nj: Vec<PerUnit>,
    pub(crate) ptv: Vec<Ptv>,
    pub(crate) gst: Vec<Gst>,
    pub(crate) ed: Vec<Ed>,
    pub(crate) terms: Vec<Terms>,
    /// Sorted.
    pub(crate) holidays: Vec<NaiveDate>,
    /// Tariffs of NEPRA-determined schedules (subsidy only; not in `codes`, not in `rows`).
    pub(crate) det_tariffs: Vec<Tariff>,
    pub(crate) bill_tax: Vec<BillTax>,
    pub(crate) long_period: Vec<LongPeriod>,
    pub(crate) free_units: Vec<FreeUnits>,
    pub(crate) pf: Vec<PfPenalty>,
    pub(crate) temp_disconnection: Vec<TempDisconnection>,
    pub(crate) provisional: Vec<ProvisionalRule>,
    pub(crate) split: Vec<SplitRule>,
    pub(crate) installment: Vec<InstallmentRule>,
    pub(crate) meter_rent: Vec<MeterRent>,
    /// Set on a what-if book ([`TariffBook::with_override`]): schedules from this index on are
    /// the proposal's and take precedence over every other schedule on the dates they cover.
    proposal_from: Option<usize>,
}

/// Is `date` inside `[from, to]`?
#[inline]
pub(crate) fn in_force(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|t| date <= t)
}

/// Of the entries in force on `date` that pass `keep`, the one with the latest start.
#[inline]
pub(crate) fn latest<T>(
    items: &[T],
    date: NaiveDate,
    span: impl Fn(&T) -> (NaiveDate, Option<NaiveDate>),
    keep: impl Fn(&T) -> bool,
) -> Option<&T> {
    let mut best: Option<(&T, NaiveDate)> = None;
    for it in items {
        let (from, to) = span(it);
        if in_force(from, to, date) && keep(it) && best.is_none_or(|(_, f)| from > f) {
            best = Some((it, from));
        }
    }
    best.map(|(it, _)| it)
}

impl TariffBook {
    /// A book with every data file shipped in `billing/data/` (embedded at compile time).
    pub fn builtin() -> Result<TariffBook, BillingError> {
        let mut book = TariffBook::empty();
        for (name, text) in crate::data::BUILTIN_FILES {
            book.load_toml(text).map_err(|e| match e {
                BillingError::DataParse(m) => BillingError::DataParse(format!("{name}: {m}")),
                other => other,
            })?;
        }
        Ok(book)
    }

    /// A book with nothing loaded.
    pub fn empty() -> TariffBook {
        TariffBook::default()
    }

    /// Loads one TOML data file (schedules, FPA months, QTA quarters, taxes, terms, holidays in
    /// any mix). The whole file is validated against itself and against what is already loaded
    /// before anything is applied: on error the book is unchanged.
    pub fn load_toml(&mut self, text: &str) -> Result<LoadSummary, BillingError> {
        let staged = load::stage(self, text, false)?;
        Ok(self.apply(staged))
    }

    /// A what-if copy of this book with `text` (a proposed schedule file) loaded on top, its
    /// schedules taking precedence. `self` is unchanged.
    ///
    /// Why not `clone` + [`TariffBook::load_toml`]: resolution picks the schedule with the
    /// latest `effective_from` and, on equal dates, the one loaded **first**, and schedule ids
    /// are append-only; so a modified copy of the notified schedule (same id, same date) would
    /// be refused as a duplicate, and a proposal dated before the schedule in force would never
    /// price a bill. Here, for every code a proposed schedule lists (applicable or determined),
    /// the proposal wins on any date inside its `[effective_from, effective_to]`; outside it,
    /// and for codes it does not list, the book resolves as before. Everything else in the file
    /// (FPA months, QTA, taxes, terms, rules) is added exactly as `load_toml` would, with the
    /// same duplicate checks, so a late FPA file can be tried before it is loaded.
    pub fn with_override(&self, text: &str) -> Result<(TariffBook, LoadSummary), BillingError> {
        let staged = load::stage(self, text, true)?;
        let mut book = self.clone();
        book.proposal_from = Some(book.schedules.len());
        let summary = book.apply(staged);
        Ok((book, summary))
    }

    /// The proposal's schedules on a [`TariffBook::with_override`] book: (id, from, to,
    /// determined DISCO). Empty on an ordinary book.
    pub fn proposed_schedules(
        &self,
    ) -> impl Iterator<Item = (&str, NaiveDate, Option<NaiveDate>, Option<&str>)> {
        let from = self.proposal_from.unwrap_or(self.schedules.len());
        self.schedules
            .get(from..)
            .unwrap_or_default()
            .iter()
            .map(|s| (&*s.id, s.from, s.to, s.disco.as_deref()))
    }

    /// Resolution rank of a schedule: proposal first, then latest start.
    fn rank(&self, schedule: usize) -> (bool, NaiveDate) {
        (
            self.proposal_from.is_some_and(|p| schedule >= p),
            self.schedules[schedule].from,
        )
    }

    fn apply(&mut self, s: load::Staged) -> LoadSummary {
        let base = self.schedules.len();
        let summary = LoadSummary {
            schedules: s.schedules.len(),
            tariffs: s.tariffs.len(),
            fpa_months: s.fpa.len(),
            qta_quarters: s.qta.len(),
            tax_rates: s.fc.len() + s.nj.len() + s.ptv.len() + s.gst.len() + s.ed.len(),
            terms: s.terms.len(),
            holidays: s.holidays.len(),
            determined_tariffs: s.det_tariffs.len(),
            rules: s.bill_tax.len()
                + s.long_period.len()
                + s.free_units.len()
                + s.pf.len()
                + s.temp_disconnection.len()
                + s.provisional.len()
                + s.split.len()
                + s.installment.len(),
            discos: s.discos.len(),
            meter_rent: s.meter_rent.len(),
        };
        self.schedules.extend(s.schedules);
        self.tariffs.extend(s.tariffs.into_iter().map(|mut t| {
            t.schedule += base;
            t
        }));
        let fpa_base = self.fpa.len();
        self.fpa.extend(s.fpa);
        self.fpa_by_bill
            .extend(s.fpa_bill.into_iter().map(|(m, i)| (m, i + fpa_base)));
        let qta_base = self.qta.len();
        self.qta.extend(s.qta);
        self.qta_by_bill
            .extend(s.qta_bill.into_iter().map(|(m, i)| (m, i + qta_base)));
        self.fc.extend(s.fc);
        self.nj.extend(s.nj);
        self.ptv.extend(s.ptv);
        self.gst.extend(s.gst);
        self.ed.extend(s.ed);
        self.terms.extend(s.terms);
        self.holidays.extend(s.holidays);
        self.discos.extend(s.discos);
        self.det_tariffs
            .extend(s.det_tariffs.into_iter().map(|mut t| {
                t.schedule += base;
                t
            }));
        self.bill_tax.extend(s.bill_tax);
        self.long_period.extend(s.long_period);
        self.free_units.extend(s.free_units);
        self.pf.extend(s.pf);
        self.temp_disconnection.extend(s.temp_disconnection);
        self.provisional.extend(s.provisional);
        self.split.extend(s.split);
        self.installment.extend(s.installment);
        self.meter_rent.extend(s.meter_rent);
        self.reindex();
        summary
    }

    fn reindex(&mut self) {
        let mut codes: Vec<(Box<str>, Vec<usize>)> = Vec::new();
        for (i, t) in self.tariffs.iter().enumerate() {
            match codes.binary_search_by(|(c, _)| (**c).cmp(&*t.code)) {
                Ok(pos) => codes[pos].1.push(i),
                Err(pos) => codes.insert(pos, (t.code.clone(), vec![i])),
            }
        }
        for (_, list) in &mut codes {
            // Newest first (a proposal before everything); stable, so on equal rank the
            // schedule loaded first wins.
            list.sort_by(|a, b| {
                let ra = self.rank(self.tariffs[*a].schedule);
                let rb = self.rank(self.tariffs[*b].schedule);
                rb.cmp(&ra)
            });
        }
        self.codes = codes;
        // A revised FPA notification replaces the earlier revisions of its fuel month on
        // every bill month (its own bill months may differ), and a real notification replaces
        // a `missing = true` placeholder of the same revision: per fuel month the entry in
        // force is the highest revision, the last loaded on a tie (the loader accepts a tie
        // only for a real entry after a placeholder).
        let mut winner: HashMap<YearMonth, usize> = HashMap::new();
        for (i, f) in self.fpa.iter().enumerate() {
            let w = winner.entry(f.fuel_month).or_insert(i);
            if f.revision >= self.fpa[*w].revision {
                *w = i;
            }
        }
        let fpa = &self.fpa;
        self.fpa_by_bill
            .retain(|(_, i)| winner.get(&fpa[*i].fuel_month) == Some(i));
        // Likewise a real QTA decision replaces the placeholder of its quarter (last loaded).
        let mut qwinner: HashMap<&str, usize> = HashMap::new();
        for (i, q) in self.qta.iter().enumerate() {
            qwinner.insert(&q.quarter, i);
        }
        let qta = &self.qta;
        self.qta_by_bill
            .retain(|(_, i)| qwinner.get(&*qta[*i].quarter) == Some(i));
        self.fpa_by_bill.sort_unstable();
        self.qta_by_bill.sort_unstable();
        self.holidays.sort_unstable();
    }

    /// Every FPA / QTA entry loaded, in load order (SQL `adjustments`).
    pub fn adjustment_rows(&self) -> Vec<AdjustmentRow> {
        let months = |by_bill: &[(i64, usize)], i: usize| -> String {
            by_bill
                .iter()
                .filter(|(_, j)| *j == i)
                .map(|(m, _)| YearMonth::from_index(*m).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let exempt = |e: &Exempt| -> String {
            [
                Band::Lifeline,
                Band::Protected,
                Band::Unprotected,
                Band::Tou,
                Band::Flat,
            ]
            .iter()
            .filter(|b| e.bands & b.bit() != 0)
            .map(|b| b.as_str().to_string())
            .chain(e.categories.iter().map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
        };
        let fpa = self.fpa.iter().enumerate().map(|(i, f)| {
            let bill_months = months(&self.fpa_by_bill, i);
            AdjustmentRow {
                kind: "FPA",
                period: f.fuel_month.to_string(),
                revision: f.revision,
                in_force: !bill_months.is_empty(),
                bill_months,
                rate_rs_per_kwh: f.rate,
                exempt: exempt(&f.exempt),
                notification: f.sro.to_string(),
                confirmed: f.confirmed,
                missing: f.rate.is_none(),
            }
        });
        let qta = self.qta.iter().enumerate().map(|(i, q)| {
            let bill_months = months(&self.qta_by_bill, i);
            AdjustmentRow {
                kind: "QTA",
                period: q.quarter.to_string(),
                revision: 0,
                in_force: !bill_months.is_empty(),
                bill_months,
                rate_rs_per_kwh: q.rate,
                exempt: exempt(&q.exempt),
                notification: q.sro.to_string(),
                confirmed: q.confirmed,
                missing: q.rate.is_none(),
            }
        });
        fpa.chain(qta).collect()
    }

    /// Flat rows for the SQL `tariffs` table (one per slab / TOU / flat / missing entry).
    pub fn rows(&self) -> Vec<TariffRow> {
        let mut out = Vec::new();
        for t in &self.tariffs {
            let s = &self.schedules[t.schedule];
            let row = |band: &str, basis: FixedBasis| TariffRow {
                schedule_id: s.id.to_string(),
                sro: s.sro.to_string(),
                effective_from: s.from,
                effective_to: s.to,
                tariff: t.code.to_string(),
                category: t.category.to_string(),
                band: band.to_string(),
                slab_from_kwh: None,
                slab_to_kwh: None,
                rate_rs_per_kwh: None,
                peak_rs_per_kwh: None,
                offpeak_rs_per_kwh: None,
                fixed_rs: None,
                fixed_basis: basis.as_str().to_string(),
                confirmed: t.confirmed,
                missing: false,
            };
            match &t.kind {
                TariffKind::Missing => out.push(TariffRow {
                    missing: true,
                    ..row("missing", FixedBasis::None)
                }),
                TariffKind::Residential(r) => {
                    for (band, slabs) in [
                        (Band::Lifeline, &r.lifeline),
                        (Band::Protected, &r.protected),
                        (Band::Unprotected, &r.unprotected),
                    ] {
                        for sl in slabs.iter() {
                            out.push(TariffRow {
                                slab_from_kwh: i64::try_from(sl.from).ok(),
                                slab_to_kwh: sl.to.and_then(|v| i64::try_from(v).ok()),
                                rate_rs_per_kwh: sl.rate,
                                fixed_rs: sl.fixed,
                                missing: sl.rate.is_none(),
                                ..row(band.as_str(), r.fixed_basis)
                            });
                        }
                    }
                }
                TariffKind::Tou(tou) => out.push(TariffRow {
                    peak_rs_per_kwh: Some(tou.peak),
                    offpeak_rs_per_kwh: Some(tou.offpeak),
                    fixed_rs: tou.fixed,
                    ..row("tou", tou.fixed_basis)
                }),
                TariffKind::Flat(f) => out.push(TariffRow {
                    rate_rs_per_kwh: Some(f.rate),
                    fixed_rs: f.fixed,
                    ..row("flat", f.fixed_basis)
                }),
            }
        }
        out
    }

    /// Category of a tariff code (`A-1a` -> `residential`), from the loaded schedules.
    pub fn category_of(&self, tariff_code: &str) -> Option<&str> {
        let pos = self
            .codes
            .binary_search_by(|(c, _)| (**c).cmp(tariff_code))
            .ok()?;
        let first = *self.codes[pos].1.first()?;
        Some(&self.tariffs[first].category)
    }

    /// Whether `tariff_code` is billed on peak / off-peak registers (TOU): `Some(true)` for a
    /// code priced `pricing = "tou"`, `Some(false)` for residential / flat pricing, and for a
    /// code whose schedules list it only with `missing = true`, the `tou` they state. `None`:
    /// an unknown code, or a known one (see [`TariffBook::category_of`]) whose metering no
    /// loaded entry states (e.g. S.R.O. 279's A-3, B-4, D-1a: BILLING-RULES 1.2 lists both
    /// TOU and non-TOU billing codes for them). One code has one metering in every applicable
    /// schedule (a conflicting entry is refused at load), so the answer holds on every date.
    pub fn is_tou(&self, tariff_code: &str) -> Option<bool> {
        let pos = self
            .codes
            .binary_search_by(|(c, _)| (**c).cmp(tariff_code))
            .ok()?;
        self.codes[pos].1.iter().find_map(|&i| self.tariffs[i].tou)
    }

    /// Whether the employee free-unit table (`[[employee_free_units]]`) has an entry for BPS
    /// grade `bps` on any date (BPS 1..=22 in `employee-free-units.toml`): a consumer master
    /// row with another grade (e.g. 99) can be refused when it is loaded. Whether the grade
    /// is entitled on a given date is [`crate::bill::employee_entitlement_kwh`].
    pub fn employee_grade_known(&self, bps: u8) -> bool {
        self.free_units
            .iter()
            .any(|f| (f.bps_from..=f.bps_to).contains(&bps))
    }

    /// Refuses a sanctioned load / MDI outside the load limit of the tariff in force for
    /// `tariff_code` on `date` (`max_load_kw`, `sanctioned_load_below_kw`), as
    /// [`crate::compute_bill`] does, with the same [`BillingError::BadInput`]; also the
    /// resolution errors (unknown code, no schedule, rates not public). Loads above
    /// [`crate::bill::MAX_LOAD_KW`] or negative are refused as bad input first.
    pub fn check_load(
        &self,
        tariff_code: &str,
        date: NaiveDate,
        sanctioned_load_kw: Decimal,
        mdi_kw: Decimal,
    ) -> Result<(), BillingError> {
        crate::bill::check_load_range(sanctioned_load_kw, mdi_kw)?;
        let t = self.resolve(tariff_code, date)?;
        crate::bill::check_load_limit(self, t, sanctioned_load_kw, mdi_kw, date)
    }

    /// Every tariff code known to any loaded schedule, sorted.
    pub fn tariff_codes(&self) -> Vec<&str> {
        self.codes.iter().map(|(c, _)| &**c).collect()
    }

    /// Ids of the loaded schedules, in load order.
    pub fn schedule_ids(&self) -> Vec<&str> {
        self.schedules.iter().map(|s| &*s.id).collect()
    }

    /// The id of the schedule that prices `tariff_code` on `date`.
    pub fn schedule_in_force(
        &self,
        tariff_code: &str,
        date: NaiveDate,
    ) -> Result<&str, BillingError> {
        let t = self.resolve(tariff_code, date)?;
        Ok(&self.schedules[t.schedule].id)
    }

    /// The tariff entry pricing `code` on `date`; refuses codes marked missing.
    pub(crate) fn resolve(&self, code: &str, date: NaiveDate) -> Result<&Tariff, BillingError> {
        let pos = self
            .codes
            .binary_search_by(|(c, _)| (**c).cmp(code))
            .map_err(|_| BillingError::UnknownTariff {
                tariff: code.to_string(),
            })?;
        for &i in &self.codes[pos].1 {
            let t = &self.tariffs[i];
            let s = &self.schedules[t.schedule];
            if in_force(s.from, s.to, date) {
                if let TariffKind::Missing = t.kind {
                    return Err(BillingError::RateNotPublic {
                        tariff: code.to_string(),
                        category: t.category.to_string(),
                        date,
                        schedule: s.id.to_string(),
                        detail: "category listed with missing = true".to_string(),
                    });
                }
                return Ok(t);
            }
        }
        Err(BillingError::NoSchedule {
            tariff: code.to_string(),
            date,
        })
    }

    /// The NEPRA-determined tariff entry of `disco` for `code` on `date` (latest schedule in
    /// force for that DISCO listing the code), including entries marked missing.
    pub(crate) fn resolve_determined(
        &self,
        disco: &str,
        code: &str,
        date: NaiveDate,
    ) -> Option<&Tariff> {
        let mut best: Option<(&Tariff, (bool, NaiveDate))> = None;
        for t in &self.det_tariffs {
            let s = &self.schedules[t.schedule];
            let rank = self.rank(t.schedule);
            if &*t.code == code
                && s.disco.as_deref() == Some(disco)
                && in_force(s.from, s.to, date)
                && best.is_none_or(|(_, r)| rank > r)
            {
                best = Some((t, rank));
            }
        }
        best.map(|(t, _)| t)
    }

    /// FPA entries carried by bill month `cycle`.
    pub(crate) fn fpa_for(&self, cycle: YearMonth) -> impl Iterator<Item = &Fpa> {
        let key = cycle.index();
        let start = self.fpa_by_bill.partition_point(|(m, _)| *m < key);
        self.fpa_by_bill[start..]
            .iter()
            .take_while(move |(m, _)| *m == key)
            .map(|(_, i)| &self.fpa[*i])
    }

    /// QTA entries carried by bill month `cycle`.
    pub(crate) fn qta_for(&self, cycle: YearMonth) -> impl Iterator<Item = &Qta> {
        let key = cycle.index();
        let start = self.qta_by_bill.partition_point(|(m, _)| *m < key);
        self.qta_by_bill[start..]
            .iter()
            .take_while(move |(m, _)| *m == key)
            .map(|(_, i)| &self.qta[*i])
    }

    /// The distribution companies loaded (`[[disco]]`, e.g. from `discos.toml`).
    pub fn discos(&self) -> &[Disco] {
        &self.discos
    }

    /// The DISCO named `name` (exact, as in the consumer master), if loaded.
    pub fn disco(&self, name: &str) -> Option<&Disco> {
        self.discos.iter().find(|d| &*d.name == name)
    }

    pub(crate) fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.binary_search(&date).is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn builtin() -> TariffBook {
        TariffBook::builtin().unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// `adjustment_rows` lists every FPA entry loaded: a revision replaces the first
    /// notification on its bill months, which then shows none and is not in force.
    #[test]
    fn adjustment_rows_show_revisions_and_bill_months() {
        let mut book = builtin();
        let fpa = |rev: u32, rate: &str| {
            format!(
                "[[fpa]]\nfuel_month = \"2026-09\"\nrevision = {rev}\nrate = \"{rate}\"\n\
                 sro = \"FCA Sep-2026 rev {rev}\"\nexempt_bands = [\"lifeline\"]\n"
            )
        };
        book.load_toml(&fpa(0, "1.5")).unwrap();
        book.load_toml(&fpa(1, "2.25")).unwrap();
        let rows: Vec<AdjustmentRow> = book
            .adjustment_rows()
            .into_iter()
            .filter(|r| r.kind == "FPA" && r.period == "2026-09")
            .collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            (
                rows[0].revision,
                rows[0].in_force,
                rows[0].bill_months.as_str()
            ),
            (0, false, "")
        );
        assert_eq!(
            (
                rows[1].revision,
                rows[1].in_force,
                rows[1].bill_months.as_str()
            ),
            (1, true, "2026-11")
        );
        assert_eq!(rows[1].rate_rs_per_kwh, Some(dec!(2.25)));
        assert_eq!(rows[1].exempt, "lifeline");
        // QTA quarters of the shipped data are listed with their three bill months.
        let q = book
            .adjustment_rows()
            .into_iter()
            .find(|r| r.kind == "QTA" && r.period == "CY2026-Q2")
            .unwrap();
        assert_eq!(q.bill_months, "2026-09, 2026-10, 2026-11");
    }

    #[test]
    fn is_tou_by_code() {
        let book = builtin();
        // Priced TOU / non-TOU in S.R.O. 279 (also listed missing = true in the older
        // schedules: the priced entry decides).
        for code in ["A-1b", "A-2c", "B-1b", "B-2b", "B-3"] {
            assert_eq!(book.is_tou(code), Some(true), "{code}");
        }
        for code in ["A-1a", "A-2a", "B-1", "B-2a"] {
            assert_eq!(book.is_tou(code), Some(false), "{code}");
        }
        // Listed without rates, metering stated from the billing-code table.
        assert_eq!(book.is_tou("A-2b"), Some(false));
        assert_eq!(book.is_tou("C-2b"), Some(true));
        assert_eq!(book.is_tou("G-1"), Some(false));
        // Known codes whose metering no entry states; unknown codes.
        for code in ["A-3", "B-4", "D-1a", "D-2b", "F"] {
            assert!(book.category_of(code).is_some(), "{code}");
            assert_eq!(book.is_tou(code), None, "{code}");
        }
        assert_eq!(book.is_tou("Z-9"), None);
        assert_eq!(book.is_tou(""), None);
        assert_eq!(TariffBook::empty().is_tou("A-1a"), None);
    }

    #[test]
    fn one_code_one_metering() {
        // A schedule pricing a TOU code flat (or stating the opposite of its pricing) is
        // refused, so is_tou holds on every date.
        let flat_a1b = "[[schedule]]\nid = \"X\"\nsro = \"x\"\neffective_from = \"2027-01-01\"\n\
                        [[schedule.tariff]]\ncode = \"A-1b\"\ncategory = \"residential\"\n\
                        pricing = \"flat\"\nrate = \"40\"\n";
        let mut book = builtin();
        let err = book.load_toml(flat_a1b).unwrap_err();
        assert!(
            matches!(&err, BillingError::DataInvalid { field: "tou", .. }),
            "{err:?}"
        );
        let contradict = "[[schedule]]\nid = \"X\"\nsro = \"x\"\neffective_from = \"2027-01-01\"\n\
                          [[schedule.tariff]]\ncode = \"A-2a\"\ncategory = \"commercial\"\n\
                          tou = true\npricing = \"flat\"\nrate = \"40\"\n";
        let err = book.load_toml(contradict).unwrap_err();
        assert!(
            matches!(&err, BillingError::DataInvalid { field: "tou", .. }),
            "{err:?}"
        );
        let missing_tou =
            "[[schedule]]\nid = \"X\"\nsro = \"x\"\neffective_from = \"2027-01-01\"\n\
                           [[schedule.tariff]]\ncode = \"A-2b\"\ncategory = \"commercial\"\n\
                           missing = true\ntou = true\n";
        let err = book.load_toml(missing_tou).unwrap_err();
        assert!(
            matches!(&err, BillingError::DataInvalid { field: "tou", .. }),
            "{err:?}"
        );
        // A code first known without metering takes the one a later schedule prices.
        let mut book = TariffBook::empty();
        book.load_toml(
            "[[schedule]]\nid = \"A\"\nsro = \"a\"\neffective_from = \"2027-01-01\"\n\
             [[schedule.tariff]]\ncode = \"D-2b\"\ncategory = \"agricultural\"\nmissing = true\n",
        )
        .unwrap();
        assert_eq!(book.is_tou("D-2b"), None);
        book.load_toml(
            "[[schedule]]\nid = \"B\"\nsro = \"b\"\neffective_from = \"2027-07-01\"\n\
             [[schedule.tariff]]\ncode = \"D-2b\"\ncategory = \"agricultural\"\npricing = \"tou\"\n\
             peak = \"30\"\noffpeak = \"20\"\n",
        )
        .unwrap();
        assert_eq!(book.is_tou("D-2b"), Some(true));
    }

    #[test]
    fn employee_grades() {
        let book = builtin();
        for bps in 1..=22u8 {
            assert!(book.employee_grade_known(bps), "BPS {bps}");
        }
        for bps in [0u8, 23, 99, 255] {
            assert!(!book.employee_grade_known(bps), "BPS {bps}");
        }
        // BPS 17+ in service is monetised (0 units) from 2023-12-01 but still a known grade.
        assert!(book.employee_grade_known(17));
        assert!(!TariffBook::empty().employee_grade_known(5));
    }

    #[test]
    fn check_load_is_the_bill_engines_check() {
        let book = builtin();
        let oct = day(2026, 10, 5);
        assert!(book.check_load("A-1a", oct, dec!(4.99), dec!(9)).is_ok());
        let err = book
            .check_load("A-1a", oct, dec!(6), Decimal::ZERO)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad bill input `sanctioned_load_kw`: sanctioned load 6 kW: A-1a is for loads \
             below 5 kW (SRO-279(I)/2026@2026-02-12); bill it on A-1b (TOU)"
        );
        assert!(book.check_load("A-1b", oct, dec!(6), Decimal::ZERO).is_ok());
        assert!(book.check_load("B-1", oct, dec!(20), dec!(26)).is_err());
        // Before S.R.O. 279 there is no A-1a limit.
        assert!(book
            .check_load("A-1a", day(2026, 1, 20), dec!(6), Decimal::ZERO)
            .is_ok());
        // The range limit (crate::MAX_LOAD_KW, inclusive) and the resolution errors.
        let max = Decimal::from(crate::MAX_LOAD_KW);
        assert!(book.check_load("B-3", oct, max, Decimal::ZERO).is_ok());
        for (sl, mdi, field) in [
            (max + dec!(0.01), Decimal::ZERO, "sanctioned_load_kw"),
            (dec!(-1), Decimal::ZERO, "sanctioned_load_kw"),
            (dec!(10), max + Decimal::ONE, "mdi_kw"),
        ] {
            let err = book.check_load("B-3", oct, sl, mdi).unwrap_err();
            assert!(
                matches!(err, BillingError::BadInput { field: f, .. } if f == field),
                "{sl} {mdi}: {err:?}"
            );
        }
        assert!(matches!(
            book.check_load("Z-9", oct, Decimal::ONE, Decimal::ZERO),
            Err(BillingError::UnknownTariff { .. })
        ));
        assert!(matches!(
            book.check_load("A-2b", oct, dec!(6), Decimal::ZERO),
            Err(BillingError::RateNotPublic { .. })
        ));
    }
}
