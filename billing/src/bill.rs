//! Computing one bill: [`compute_bill`] / [`compute_bill_with`] (optional inputs in
//! [`BillExtras`]) / [`compute_bill_full`] (reading circumstances in [`ReadingFacts`]).
//!
//! Order of computation (BILLING-RULES.md 3.3, derived from real bills):
//!
//! 0. reading facts ([`ReadingFacts`]): memo lines first (accumulated split, meter change with
//!    the readings, provisional estimate, temporary disconnection), meter-change units checked
//!    against the input, fixed / minimum lines waived while temporarily disconnected;
//! 1. resolve the tariff entry in force on the issue date ([`TariffBook`] resolution rules);
//!    units: a reading period longer than the `long_period` rule's limit is scaled to its
//!    target days (`round(units x 30 / days)`, half up), the excess carried forward; units
//!    carried in from the previous bill are added (never for TOU: see below);
//! 2. band and energy: lifeline / protected / unprotected ([`price_residential`]), TOU or flat;
//! 3. fixed charge (slab reached x SL, or rate x billing demand, or per consumer), or the
//!    minimum-charge floor where no fixed charge applies; tariff differential subsidy =
//!    (same band priced on the DISCO's NEPRA-determined schedule) - (applicable) for energy,
//!    fixed and minimum-charge lines (not a bill line); meter / service rent (`[[meter_rent]]`
//!    rule in force on the issue date matching the consumer's tariff, category and phase:
//!    1 x Rs per month, not prorated for the period, not charged in a month whose fixed
//!    charge is waived; in the GST / ED base as the rule says, never in the LPS base);
//!    power-factor penalty (industrial);
//! 4. FC surcharge, QTA (every QTA whose bill months include the cycle), NJ surcharge on
//!    current units;
//! 5. ED = ED% x base (province, category, date); 6. GST = GST% x base; 7. PTV fee, further
//!    tax, extra tax, income tax s.235 (by category, ATL / STRN status, slab of the base; a
//!    slab's fixed part is its own line, 1 x fixed, before the percentage line);
//!    employee free-unit credit (bill normally, then credit); then the
//!    `provisional_adjustment` lines of a corrected bill (`periods::compute_corrected`);
//! 8. current bill = rounded lines summed, rounded to rupees;
//! 9. FPA block per FPA month carried by the cycle: FPA on the **reference month's** units
//!    from `history` (0 with a note if absent), ED on FPA, GST on FPA at the reference month's
//!    GST rate rounded to rupees per month; total FPA rounded to rupees; then
//!    ([`BillExtras::installment`]) the `installment` line (the principal) and, after the
//!    first installment, `installment_markup` = plan balance before x markup % x days / days
//!    in year (`[[installment]]` rule in force on the issue date), outside every tax and LPS
//!    base; the DISCO-deferred amount is shown (`Bill::deferred_rs`), in no total;
//! 10. payable within due date = arrears + current bill + total FPA + installment + markup;
//!     LPS on its base (the current bill's lines only), rounded to rupees (none when arrears +
//!     current bill + total FPA is not positive: the installment does not change the LPS);
//!     payable after due date; due date = issue + `due_days`, moved past Sundays and holidays.
//!
//! Short reading periods are never scaled up (KNOWN-CASES B04): a period of at most the
//! `long_period` limit bills the metered units as they are. TOU registers are never scaled
//! (no slabs to protect), and carried-in units are refused for TOU tariffs. All rates are looked up by the **issue date** (no
//! proration across a mid-period tariff change); GST on FPA by the first day of the fuel month.

use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::Decimal;

use crate::error::BillingError;
use crate::installments::InstallmentDue;
use crate::money::{round_paisa, round_rupee};
use crate::period::YearMonth;
use crate::periods::{MeterChange, ProvisionalEstimate};
use crate::tariff::{
    base, latest, Band, Ed, FixedBasis, PfFormula, RentKind, Residential, Slab, SlabPricing,
    Tariff, TariffBook, TariffKind, TaxKind,
};

/// Largest units on one register in one bill.
pub const MAX_UNITS_KWH: u64 = 100_000_000;
/// Largest sanctioned load / MDI in kW a bill accepts (inclusive: a larger value is refused
/// as [`BillingError::BadInput`] `sanctioned_load_kw` / `mdi_kw`); also the largest load limit
/// a data file may state. Re-exported as `billing::MAX_LOAD_KW` for checks before billing
/// (e.g. the consumer master at COPY time).
pub const MAX_LOAD_KW: i64 = 1_000_000;
/// Largest |arrears| in rupees.
pub const MAX_ARREARS_RS: i64 = 1_000_000_000_000;
/// Longest reading period in days.
pub const MAX_PERIOD_DAYS: u32 = 366;
/// Highest basic pay scale accepted in [`Employee::bps`].
pub const MAX_BPS: u8 = 22;
/// Most history rows accepted.
pub const MAX_HISTORY_MONTHS: usize = 120;
/// Provinces / territories accepted in `BillInput::province`.
pub const PROVINCES: &[&str] = &["Punjab", "Sindh", "KP", "Balochistan", "ICT", "AJK"];
/// How many consecutive Sundays/holidays a due date may be pushed past.
const MAX_DUE_SHIFT_DAYS: u32 = 31;

/// Everything needed to bill one consumer for one month.
#[derive(Debug, Clone, Copy)]
pub struct BillInput<'a> {
    /// Distribution company, e.g. `IESCO` (applicable tariffs are uniform; selects the
    /// NEPRA-determined schedule for the subsidy).
    pub disco: &'a str,
    /// Tariff code, e.g. `A-1a`, `A-1b`, `A-2a`, `A-2c`, `B-1`, `B-2b`.
    pub tariff: &'a str,
    /// Sanctioned load in kW (fractional allowed).
    pub sanctioned_load_kw: Decimal,
    /// 1 or 3.
    pub phase: u8,
    /// `Punjab`, `Sindh`, `KP`, `Balochistan`, `ICT`, `AJK`.
    pub province: &'a str,
    /// Bill month.
    pub cycle: YearMonth,
    /// Issue date (billing has no clock); every dated rate is looked up on this date.
    pub issue_date: NaiveDate,
    /// Reading period length in days: a period longer than the `long_period` limit is scaled
    /// to 30 days with carry-forward; shorter periods are never scaled up.
    pub period_days: u32,
    /// Off-peak register; the single register of non-TOU consumers goes here.
    pub units_offpeak_kwh: u64,
    /// Peak register; 0 for non-TOU.
    pub units_peak_kwh: u64,
    /// Maximum demand indicator reading, kW.
    pub mdi_kw: Decimal,
    /// Previous months' billed units, any order (protected / lifeline status, FPA units).
    pub history: &'a [(YearMonth, u64)],
    /// Arrears carried in (negative = credit).
    pub arrears_rs: Decimal,
    /// On the Active Taxpayer List (income tax s.235 for domestic consumers, extra tax).
    pub atl: bool,
}

/// Optional inputs of [`compute_bill_with`]; `Default` = none of them apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BillExtras {
    /// Registered for sales tax (has an STRN). Default: not registered (further / extra tax
    /// apply to commercial / industrial consumers).
    pub strn_registered: bool,
    /// Units carried forward by the previous bill (long-period scaling), added to this bill's
    /// units. Not accepted for TOU tariffs.
    pub units_carried_in_kwh: u64,
    /// The consumer is an entitled (ex-)WAPDA / DISCO employee.
    pub employee: Option<Employee>,
    /// Average power factor of the month (0 < PF <= 1), for the PF penalty.
    pub power_factor: Option<Decimal>,
    /// This bill's installment of an amount granted in installments (`installment` and, after
    /// the first, `installment_markup` lines; in the payable, outside every tax / LPS base).
    pub installment: Option<InstallmentDue>,
    /// An amount the DISCO deferred (>= 0): shown on the bill ([`Bill::deferred_rs`]), not
    /// payable with it.
    pub deferred_rs: Decimal,
}

/// Reading and connection circumstances of one bill, a sibling of [`BillExtras`] for
/// [`compute_bill_full`]; `Default` = a normal actual reading of one meter, connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadingFacts {
    /// The consumer is temporarily disconnected on request for this bill month: which month
    /// of the disconnection it is (1 = the first). Up to the `[[temp_disconnection]]`
    /// `max_months` (11) the bill carries no fixed / minimum charge; after that they resume
    /// (BILLING-RULES 6.1 item 6). `None` = connected. A whole bill month is the unit: a
    /// part month is not prorated (the rules describe none).
    pub temp_disconnected_month: Option<u32>,
    /// The meter was replaced in this reading period; the input's units must equal
    /// [`MeterChange::offpeak_kwh`] / [`MeterChange::peak_kwh`] (from
    /// [`crate::periods::meter_change_units`]).
    pub meter_change: Option<MeterChange>,
    /// This is a provisional (average) bill; the input's units must equal the estimate (from
    /// [`crate::periods::provisional_units`]).
    pub provisional: Option<ProvisionalEstimate>,
}

/// An employee entitled to free units (BILLING-RULES 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Employee {
    /// Basic pay scale, 1..=22.
    pub bps: u8,
    /// In service or retired.
    pub status: ServiceStatus,
    /// Free units left in this fiscal year's quota (kept by the caller).
    pub quota_remaining_kwh: u64,
}

/// Service status of an [`Employee`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    /// Serving.
    InService,
    /// Retired (pensioner).
    Retired,
}

impl ServiceStatus {
    /// The status names [`ServiceStatus::parse`] accepts (ASCII case ignored): `in_service`
    /// (the canonical name, [`ServiceStatus::as_str`]) and `serving` (what the generator and
    /// the consumer master write) for [`ServiceStatus::InService`], `retired` for
    /// [`ServiceStatus::Retired`].
    pub const NAMES: &'static [&'static str] = &["in_service", "serving", "retired"];

    /// The status for a consumer master's `employee_status` text; `None` for any other text
    /// (e.g. `pensioner`, `""`, ` retired`), so it can be refused when loaded.
    pub fn parse(s: &str) -> Option<ServiceStatus> {
        if s.eq_ignore_ascii_case("in_service") || s.eq_ignore_ascii_case("serving") {
            Some(ServiceStatus::InService)
        } else if s.eq_ignore_ascii_case("retired") {
            Some(ServiceStatus::Retired)
        } else {
            None
        }
    }

    /// Canonical name: `in_service` or `retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::InService => "in_service",
            ServiceStatus::Retired => "retired",
        }
    }
}

/// A computed bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    /// `lifeline|protected|unprotected|tou|flat`.
    pub band: String,
    /// Units billed (peak + off-peak).
    pub units_kwh: u64,
    /// Billing demand the fixed charge used (demand-based tariffs), else 0.
    pub billing_demand_kw: Decimal,
    /// Printed lines, each rounded per [`crate::money`].
    pub lines: Vec<BillLine>,
    /// Sum of the current-bill lines, rounded to rupees.
    pub current_bill_rs: Decimal,
    /// Sum of the FPA-block lines, rounded to rupees.
    pub total_fpa_rs: Decimal,
    /// Arrears as given.
    pub arrears_rs: Decimal,
    /// arrears + current bill + total FPA + installment + installment markup.
    pub payable_within_due_rs: Decimal,
    /// Late payment surcharge (whole rupees).
    pub lps_rs: Decimal,
    /// payable within due date + LPS.
    pub payable_after_due_rs: Decimal,
    /// This bill's installment of a granted amount (the `installment` line), 0 if none.
    pub installment_rs: Decimal,
    /// Markup on the plan balance (the `installment_markup` line; 0 on the first installment
    /// or without one).
    pub installment_markup_rs: Decimal,
    /// Plan balance after this installment (balance before - installment), 0 if none.
    pub installment_balance_after_rs: Decimal,
    /// Amount deferred by the DISCO, as given: shown, not in any total.
    pub deferred_rs: Decimal,
    /// Issue date + due days, moved past Sundays and holidays.
    pub due_date: NaiveDate,
    /// Which schedule / FPA / QTA / tax versions were used, `;`-separated.
    pub versions: String,
    /// Tariff differential subsidy: determined - applicable charge over the energy, fixed and
    /// minimum-charge lines (exact paisa; negative = cross-subsidy). 0 when no determined
    /// schedule covers the DISCO / tariff / date (noted in `versions` as `TDS none ...`).
    pub subsidy_rs: Decimal,
    /// Subsidy per line name (`energy`, `fixed`, `minimum_charge`; `earlier_months` for the
    /// months a catch-up bill also covers), summing to `subsidy_rs`.
    pub subsidy_lines: Vec<(&'static str, Decimal)>,
    /// Units read on the meter(s) in this period (before long-period scaling).
    pub units_metered_kwh: u64,
    /// Units carried in from the previous bill (included in `units_kwh`).
    pub units_carried_in_kwh: u64,
    /// Units carried forward to the next bill by long-period scaling.
    pub units_carried_forward_kwh: u64,
    /// Free units credited this bill (`min(units, remaining quota)`, 0 if not entitled).
    pub employee_free_units_kwh: u64,
    /// Value of the free units credited (positive; the `employee_free_units` line is minus this).
    pub employee_concession_rs: Decimal,
    /// A provisional (average) bill ([`ReadingFacts::provisional`]): to be corrected by
    /// [`crate::periods::compute_corrected`] when an actual reading arrives.
    pub provisional: bool,
    /// The meter was replaced in this period (`meter_old` / `meter_new` memo lines).
    pub meter_changed: bool,
    /// Fixed / minimum charges not charged: temporarily disconnected (`temp_disconnected`
    /// memo line).
    pub fixed_waived: bool,
    /// Sum of the `provisional_adjustment` lines (corrected bills only; negative = credit).
    pub provisional_adjustment_rs: Decimal,
    /// Sum of the `accumulated_month` lines: months this reading also covers that had no bill
    /// issued (meter not read, or an estimate refused), each priced alone on its share.
    pub accumulated_rs: Decimal,
    /// How many `accumulated_month` lines the bill carries.
    pub accumulated_months: u32,
    /// Units of the corrected provisional months: actual share - units billed provisionally
    /// (corrected bills only). `units_kwh + units_adjusted_kwh` = actual advance since the last
    /// actual reading - units billed provisionally since.
    pub units_adjusted_kwh: i64,
}

/// One printed bill line.
///
/// Every line explains itself: `amount_rs` = `quantity x rate` rounded as the line is
/// ([`BillLine::arithmetic`]: to the paisa; `gst_on_fpa` and `lps` to whole rupees), memo lines
/// included (rate 0, amount 0). The exceptions are the summary lines `provisional_adjustment`
/// and `accumulated_month`: each amount is a whole earlier month's bill (or its difference),
/// quantity its kWh, rate 0 ([`LineArithmetic::Summary`]). Quantities and rates are at most 4
/// decimals, as SQL prints them (`employee_free_units`: free kWh x the average energy rate to
/// 4 decimals; `installment_markup`: balance x days / days in year, to 4 decimals, x the
/// markup per year), so the printed line reproduces its amount. A tax slab's fixed part is its own line (`income_tax` 1 x 1,950, then `income_tax`
/// excess x 12 %), and the minimum charge is 1 x the top-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    /// `energy`, `fixed`, `minimum_charge` (1 x top-up), `meter_rent`, `service_rent`,
    /// `pf_penalty`,
    /// `fc_surcharge`, `qta`,
    /// `nj_surcharge`, `ed`, `gst`, `tv_fee`, `further_tax`, `extra_tax`, `income_tax`,
    /// `employee_free_units`, `provisional_adjustment`, `accumulated_month`, `fpa`, `ed_on_fpa`,
    /// `gst_on_fpa`, `installment`, `installment_markup`, `lps`; memo lines (amount 0, rate 0,
    /// quantity in kWh or months, first on the bill):
    /// `meter_old`, `meter_new` (one per register), `provisional`, `accumulated`,
    /// `temp_disconnected`.
    pub line: &'static str,
    /// kWh, kW or 1.
    pub quantity: Decimal,
    /// Rs per unit of quantity (a fraction for percentage lines).
    pub rate: Decimal,
    /// Rounded amount.
    pub amount_rs: Decimal,
    /// Short explanation; says UNCONFIRMED where the rate or rule is.
    pub rule: &'static str,
    /// Schedule / decision / tax version the rate came from.
    pub source: Arc<str>,
}

/// How a line's amount follows from its quantity and rate ([`BillLine::arithmetic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineArithmetic {
    /// `amount = round_paisa(quantity x rate)` (every line but those below; memo lines are
    /// 0 x 0).
    Paisa,
    /// `amount = round_rupee(quantity x rate)`: `gst_on_fpa` (whole rupees per FPA month) and
    /// `lps`.
    Rupee,
    /// Not a product: `provisional_adjustment` and `accumulated_month` carry a whole earlier
    /// month's bill (or the difference from what was billed provisionally) as their amount,
    /// its kWh as quantity and rate 0; their rule text says so.
    Summary,
}

/// Which total a line is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineBlock {
    /// Summed into `current_bill_rs`.
    Current,
    /// Summed into `total_fpa_rs`.
    Fpa,
    /// `installment` and `installment_markup`: in `payable_within_due_rs` as they are,
    /// outside the current bill, FPA, tax and LPS bases.
    Installment,
    /// Only in `payable_after_due_rs` (LPS).
    AfterDue,
}

impl BillLine {
    /// How this line's amount follows from quantity and rate.
    pub fn arithmetic(&self) -> LineArithmetic {
        match self.line {
            "gst_on_fpa" | "lps" => LineArithmetic::Rupee,
            "provisional_adjustment" | "accumulated_month" => LineArithmetic::Summary,
            _ => LineArithmetic::Paisa,
        }
    }

    /// `quantity x rate` rounded as the line is (what `amount_rs` must equal); `None` for a
    /// [`LineArithmetic::Summary`] line, whose amount is not a product.
    pub fn explained_amount(&self) -> Option<Decimal> {
        let product = self.quantity * self.rate;
        match self.arithmetic() {
            LineArithmetic::Paisa => Some(round_paisa(product)),
            LineArithmetic::Rupee => Some(round_rupee(product)),
            LineArithmetic::Summary => None,
        }
    }

    /// The total this line belongs to.
    pub fn block(&self) -> LineBlock {
        match self.line {
            "fpa" | "ed_on_fpa" | "gst_on_fpa" => LineBlock::Fpa,
            "installment" | "installment_markup" => LineBlock::Installment,
            "lps" => LineBlock::AfterDue,
            _ => LineBlock::Current,
        }
    }
}

impl Bill {
    /// Exact sum of the rounded lines of one block (before rupee rounding).
    pub fn lines_total_rs(&self, block: LineBlock) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.block() == block)
            .map(|l| l.amount_rs)
            .sum()
    }

    /// The first line with this name, if any.
    pub fn line(&self, name: &str) -> Option<&BillLine> {
        self.lines.iter().find(|l| l.line == name)
    }

    /// Sum of the rounded amounts of every line with this name.
    pub fn amount_of(&self, name: &str) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.line == name)
            .map(|l| l.amount_rs)
            .sum()
    }
}

/// A rule text and its UNCONFIRMED variant.
struct Rule {
    ok: &'static str,
    unconfirmed: &'static str,
}

impl Rule {
    fn pick(&self, confirmed: bool) -> &'static str {
        if confirmed {
            self.ok
        } else {
            self.unconfirmed
        }
    }
}

macro_rules! rule {
    ($name:ident, $text:literal) => {
        const $name: Rule = Rule {
            ok: $text,
            unconfirmed: concat!($text, " [UNCONFIRMED: rate reported by news only]"),
        };
    };
}

rule!(
    R_LIFELINE,
    "lifeline: all units at the rate of the slab reached (no slab benefit)"
);
rule!(
    R_PROTECTED_ONE,
    "protected: units within the first slab at its rate"
);
rule!(
    R_PROTECTED_PREV,
    "protected: one previous slab benefit, units up to the previous slab's upper bound at its rate"
);
rule!(
    R_PROTECTED_REST,
    "protected: one previous slab benefit, remaining units at the rate of the slab reached"
);
rule!(
    R_UNPROT_SINGLE,
    "unprotected: all units at the rate of the slab reached (single-slab pricing)"
);
rule!(
    R_PREV,
    "one previous slab benefit: units up to the previous slab's upper bound at its rate"
);
rule!(
    R_REST,
    "one previous slab benefit: remaining units at the rate of the slab reached"
);
rule!(
    R_FIRST,
    "one previous slab benefit: units within the first slab at its rate"
);
rule!(R_TOU_PEAK, "TOU: peak units x peak rate");
rule!(R_TOU_OFFPEAK, "TOU: off-peak units x off-peak rate");
rule!(R_FLAT, "flat: units x rate");
rule!(
    R_FIXED_SL,
    "fixed: rate of the slab reached x sanctioned load (kW)"
);
rule!(
    R_FIXED_DEMAND,
    "fixed: rate x billing demand = max(share of sanctioned load, MDI)"
);
rule!(R_FIXED_SANCTIONED, "fixed: rate x sanctioned load (kW)");
rule!(R_FIXED_CONSUMER, "fixed: per consumer per month");
rule!(
    R_MINIMUM,
    "minimum charge floor: 1 x top-up, rate = the schedule's 1-ph/3-ph minimum - the energy charge"
);
rule!(R_FC, "FC surcharge x current units");
rule!(
    R_QTA,
    "QTA x current units (quarter's rate for this bill month)"
);
rule!(R_NJ, "NJ surcharge x current units");
rule!(
    R_ED,
    "ED % x (energy + QTA), rate by province, category and date"
);
rule!(
    R_ED_RENT,
    "ED % x (energy + QTA + meter / service rent), rate by province, category and date; rent in the base UNCONFIRMED"
);
rule!(R_ED_FPA, "ED on FPA: ED % x FPA");
rule!(
    R_FPA,
    "FPA: fuel-month rate x units billed in the reference month (from history)"
);
rule!(
    R_FPA_NO_HISTORY,
    "FPA: reference month not in history, 0 units used"
);
rule!(
    R_GST_FPA,
    "GST on FPA: reference month's GST % x (FPA + ED on FPA), whole rupees per FPA month"
);
const R_GST_WITH_FIXED: &str =
    "GST % x (energy + fixed + minimum charge + FC surcharge + QTA + ED); fixed charges in the base UNCONFIRMED";
const R_GST: &str = "GST % x (energy + FC surcharge + QTA + ED)";
const R_GST_WITH_FIXED_RENT: &str =
    "GST % x (energy + fixed + minimum charge + FC surcharge + QTA + ED + meter / service rent); fixed charges and rent in the base UNCONFIRMED";
const R_GST_RENT: &str =
    "GST % x (energy + FC surcharge + QTA + ED + meter / service rent); rent in the base UNCONFIRMED";

/// The rule text of a meter / service rent line.
macro_rules! rent_rule {
    ($what:literal, $bases:literal) => {
        Rule {
            ok: concat!(
                $what,
                ": Rs per month (1 x rent; one bill month, not prorated for the reading period; ",
                "not charged in a month whose fixed charge is waived); ",
                $bases,
                " (by the rule), not in the LPS base"
            ),
            unconfirmed: concat!(
                $what,
                ": Rs per month (1 x rent; one bill month, not prorated for the reading period; ",
                "not charged in a month whose fixed charge is waived); ",
                $bases,
                " (by the rule), not in the LPS base [UNCONFIRMED: whether ex-WAPDA DISCOs ",
                "charge it today (K-Electric was ordered to stop in 2015) and its GST / ED base]"
            ),
        }
    };
}
/// Indexed by `in_gst_base as usize * 2 + in_ed_base as usize`.
const R_METER_RENT: [Rule; 4] = [
    rent_rule!("meter rent", "not in the GST base, not in the ED base"),
    rent_rule!("meter rent", "not in the GST base, in the ED base"),
    rent_rule!("meter rent", "in the GST base, not in the ED base"),
    rent_rule!("meter rent", "in the GST base and the ED base"),
];
/// Indexed like [`R_METER_RENT`].
const R_SERVICE_RENT: [Rule; 4] = [
    rent_rule!("service rent", "not in the GST base, not in the ED base"),
    rent_rule!("service rent", "not in the GST base, in the ED base"),
    rent_rule!("service rent", "in the GST base, not in the ED base"),
    rent_rule!("service rent", "in the GST base and the ED base"),
];
const R_TV: &str = "PTV fee per bill for the category";
/// A withholding-type tax's rule text and its UNCONFIRMED variant (`$note`).
macro_rules! tax_rule {
    ($name:ident, $what:literal, $note:literal) => {
        const $name: Rule = Rule {
            ok: $what,
            unconfirmed: concat!($what, " [UNCONFIRMED: ", $note, "]"),
        };
    };
}
tax_rule!(
    R_FURTHER,
    "further tax: % x value of supply (no STRN)",
    "rate, base and start date are defaults from press reports"
);
tax_rule!(
    R_FURTHER_FIXED,
    "further tax: fixed part of the slab reached (1 x Rs)",
    "rate, base and start date are defaults from press reports"
);
tax_rule!(
    R_FURTHER_EXCESS,
    "further tax: % x the value of supply above the slab floor (excess_over) (no STRN)",
    "rate, base and start date are defaults from press reports"
);
tax_rule!(
    R_EXTRA,
    "extra tax: slab % x bill excluding federal taxes (no STRN or not on ATL)",
    "2021 slabs, current status not confirmed"
);
tax_rule!(
    R_EXTRA_FIXED,
    "extra tax: fixed part of the slab reached (1 x Rs)",
    "2021 slabs, current status not confirmed"
);
tax_rule!(
    R_EXTRA_EXCESS,
    "extra tax: slab % x the bill excluding federal taxes above the slab floor (excess_over) (no STRN or not on ATL)",
    "2021 slabs, current status not confirmed"
);
tax_rule!(
    R_INCOME,
    "income tax s.235: slab % x the whole bill incl. sales tax",
    "base and non-ATL doubling for commercial/industrial"
);
tax_rule!(
    R_INCOME_FIXED,
    "income tax s.235: fixed part of the slab reached (1 x Rs, e.g. 1,950 above Rs 20,000); the excess is the next line",
    "base and non-ATL doubling for commercial/industrial"
);
tax_rule!(
    R_INCOME_EXCESS,
    "income tax s.235: slab % x the excess of the bill incl. sales tax over the slab floor (e.g. bill - 20,000); the fixed part is the line before",
    "base and non-ATL doubling for commercial/industrial"
);
const R_PF_POINT: Rule = Rule {
    ok: "PF penalty: (threshold - PF) x 100 points x % per point x base",
    unconfirmed: "PF penalty: (threshold - PF) x 100 points x % per point x base [UNCONFIRMED: Annex-V formula not found, documented default]",
};
const R_PF_RATIO: Rule = Rule {
    ok: "PF penalty: (threshold - PF) / PF x base",
    unconfirmed: "PF penalty: (threshold - PF) / PF x base [UNCONFIRMED: Annex-V formula not found, documented default]",
};
const R_EMPLOYEE: &str = "employee free units: credit = min(units, remaining FY quota) x -(energy charge / units) [UNCONFIRMED: safest model; taxes, FPA and LPS stay on the full bill]";
rule!(
    R_INSTALLMENT,
    "installment of an amount granted in installments (1 x this month's installment); outside the current bill, tax and LPS bases"
);
rule!(
    R_INSTALLMENT_MARKUP,
    "installment markup: plan balance before this installment x markup % per year x days since the previous installment / days in year (none on the first installment); no LPS on it"
);
rule!(
    R_LPS,
    "LPS % x (energy + FC surcharge + QTA + NJ), whole rupees; base derived from real bills"
);

/// Unrounded amounts of the lines that can be in a tax / LPS base, indexed by base bit.
#[derive(Default)]
struct Acc {
    by_bit: [Decimal; 16],
}

impl Acc {
    fn add(&mut self, bit: u16, amount: Decimal) {
        if bit != 0 {
            self.by_bit[bit.trailing_zeros() as usize] += amount;
        }
    }
    fn sum(&self, mask: u16) -> Decimal {
        let mut s = Decimal::ZERO;
        let mut m = mask;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            if !self.by_bit[i].is_zero() {
                s += self.by_bit[i];
            }
            m &= m - 1;
        }
        s
    }
}

struct Builder {
    lines: Vec<BillLine>,
    acc: Acc,
    versions: String,
    /// Base bits of lines not charged (temporary disconnection): `push` drops them.
    waive: u16,
}

impl Builder {
    /// A memo line: amount 0, rate 0.
    fn memo(
        &mut self,
        line: &'static str,
        quantity: Decimal,
        rule: &'static str,
        source: Arc<str>,
    ) {
        self.lines.push(BillLine {
            line,
            quantity,
            rate: Decimal::ZERO,
            amount_rs: Decimal::ZERO,
            rule,
            source,
        });
    }

    /// Adds a line `quantity x rate`, rounded to the paisa; returns the unrounded amount (what
    /// the tax / LPS bases sum). The amount is computed here, never passed in, so every line
    /// pushed explains itself ([`BillLine::explained_amount`]).
    fn push(
        &mut self,
        bit: u16,
        line: &'static str,
        quantity: Decimal,
        rate: Decimal,
        rule: &'static str,
        source: &Arc<str>,
    ) -> Decimal {
        if bit & self.waive != 0 {
            return Decimal::ZERO;
        }
        let unrounded = quantity * rate;
        self.acc.add(bit, unrounded);
        self.lines.push(BillLine {
            line,
            quantity,
            rate,
            amount_rs: round_paisa(unrounded),
            rule,
            source: Arc::clone(source),
        });
        unrounded
    }

    fn version(&mut self, label: &str) {
        if !self.versions.is_empty() {
            self.versions.push(';');
        }
        self.versions.push_str(label);
    }
}

/// Previous months' units, with the last 12 months indexed by offset for the band tests.
struct History<'a> {
    all: &'a [(YearMonth, u64)],
    /// `recent[k]` = units of month `cycle - k`, k = 1..=12.
    recent: [Option<u64>; 13],
    cycle: i64,
}

impl<'a> History<'a> {
    fn new(all: &'a [(YearMonth, u64)], cycle: YearMonth) -> Result<History<'a>, BillingError> {
        if all.len() > MAX_HISTORY_MONTHS {
            return Err(bad(
                "history",
                format!("more than {MAX_HISTORY_MONTHS} months"),
            ));
        }
        let c = cycle.index();
        let mut recent = [None; 13];
        for (ym, units) in all {
            ym.validate()
                .map_err(|e| bad("history", format!("month {ym}: {e}")))?;
            if *units > MAX_UNITS_KWH {
                return Err(bad(
                    "history",
                    format!("{ym}: {units} kWh exceeds {MAX_UNITS_KWH}"),
                ));
            }
            let off = c - ym.index();
            if off <= 0 {
                return Err(bad(
                    "history",
                    format!("{ym} is not before the bill month {cycle}"),
                ));
            }
            if off <= 12 {
                let slot = &mut recent[off as usize];
                if slot.is_some() {
                    return Err(bad("history", format!("{ym} is listed twice")));
                }
                *slot = Some(*units);
            }
        }
        Ok(History {
            all,
            recent,
            cycle: c,
        })
    }

    fn get(&self, ym: YearMonth) -> Option<u64> {
        let off = self.cycle - ym.index();
        if (1..=12).contains(&off) {
            self.recent[off as usize]
        } else {
            self.all.iter().find(|(m, _)| *m == ym).map(|(_, u)| *u)
        }
    }

    /// Max units over the previous `n` months present in history (absent months ignored).
    fn max_recent(&self, n: u32) -> u64 {
        self.recent[1..=(n as usize).min(12)]
            .iter()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// Every one of the previous `n` months is present and `<= limit`.
    fn all_at_most(&self, n: u32, limit: u64) -> bool {
        self.recent[1..=(n as usize).min(12)]
            .iter()
            .all(|u| matches!(u, Some(v) if *v <= limit))
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> BillingError {
    BillingError::BadInput {
        field,
        reason: reason.into(),
    }
}

fn validate(input: &BillInput) -> Result<(), BillingError> {
    if input.phase != 1 && input.phase != 3 {
        return Err(bad("phase", format!("{} (must be 1 or 3)", input.phase)));
    }
    check_load_range(input.sanctioned_load_kw, input.mdi_kw)?;
    for (field, v) in [
        ("units_offpeak_kwh", input.units_offpeak_kwh),
        ("units_peak_kwh", input.units_peak_kwh),
    ] {
        if v > MAX_UNITS_KWH {
            return Err(bad(field, format!("{v} exceeds {MAX_UNITS_KWH}")));
        }
    }
    if input.period_days == 0 || input.period_days > MAX_PERIOD_DAYS {
        return Err(bad(
            "period_days",
            format!("{} (must be 1..={MAX_PERIOD_DAYS})", input.period_days),
        ));
    }
    input
        .cycle
        .validate()
        .map_err(|e| bad("cycle", e.to_string()))?;
    let y = input.issue_date.year();
    if !(crate::period::MIN_YEAR..=crate::period::MAX_YEAR).contains(&y) {
        return Err(bad(
            "issue_date",
            format!("{} out of range", input.issue_date),
        ));
    }
    if !PROVINCES.contains(&input.province) {
        return Err(bad(
            "province",
            format!("{:?} (expected one of {PROVINCES:?})", input.province),
        ));
    }
    if input.arrears_rs.abs() > Decimal::from(MAX_ARREARS_RS) {
        return Err(bad(
            "arrears_rs",
            format!("{} out of range", input.arrears_rs),
        ));
    }
    Ok(())
}

fn not_public(t: &Tariff, book: &TariffBook, date: NaiveDate, detail: String) -> BillingError {
    BillingError::RateNotPublic {
        tariff: t.code.to_string(),
        category: t.category.to_string(),
        date,
        schedule: book.schedules[t.schedule].id.to_string(),
        detail,
    }
}

fn slab_desc(band: Band, s: &Slab) -> String {
    match s.to {
        Some(to) => format!("{} slab {}-{} kWh has no rate", band.as_str(), s.from, to),
        None => format!(
            "{} slab above {} kWh has no rate",
            band.as_str(),
            s.from - 1
        ),
    }
}

/// Band, energy and fixed/minimum lines of an A-1(a)-style residential tariff. `force` prices
/// a given band (the subsidy prices the consumer's applicable band on the determined schedule).
#[allow(clippy::too_many_arguments)]
fn price_residential(
    book: &TariffBook,
    t: &Tariff,
    r: &Residential,
    input: &BillInput,
    units: u64,
    hist: &History,
    force: Option<Band>,
    b: &mut Builder,
) -> Result<Band, BillingError> {
    let date = input.issue_date;
    let chosen = match force {
        Some(f) => f,
        None => {
            let lifeline = !r.lifeline.is_empty()
                && input.phase == 1
                && input.sanctioned_load_kw <= r.lifeline_max_load_kw
                && units <= r.lifeline_max_kwh
                && hist.max_recent(r.lifeline_history_months) <= r.lifeline_max_kwh;
            let protected = !lifeline
                && !r.protected.is_empty()
                && units <= r.protected_max_kwh
                && hist.all_at_most(r.protected_history_months, r.protected_max_kwh);
            if lifeline {
                Band::Lifeline
            } else if protected {
                Band::Protected
            } else {
                Band::Unprotected
            }
        }
    };
    let (band, slabs, pricing) = match chosen {
        Band::Lifeline => (Band::Lifeline, &r.lifeline, SlabPricing::SingleSlab),
        Band::Protected => (Band::Protected, &r.protected, SlabPricing::OnePreviousSlab),
        _ => (Band::Unprotected, &r.unprotected, r.unprotected_pricing),
    };
    // The slab reached; 0 units sit in the first slab.
    let probe = units.max(1);
    let k = slabs
        .iter()
        .position(|s| s.to.is_none_or(|to| probe <= to))
        .ok_or_else(|| {
            not_public(
                t,
                book,
                date,
                format!("{units} kWh is beyond the last {} slab", band.as_str()),
            )
        })?;
    let slab = &slabs[k];
    let rate = slab
        .rate
        .ok_or_else(|| not_public(t, book, date, slab_desc(band, slab)))?;
    let c = t.confirmed;
    let units_d = Decimal::from(units);
    let src = &t.source;
    match pricing {
        SlabPricing::SingleSlab => {
            let rule = if band == Band::Lifeline {
                R_LIFELINE.pick(c)
            } else {
                R_UNPROT_SINGLE.pick(c)
            };
            b.push(base::ENERGY, "energy", units_d, rate, rule, src);
        }
        SlabPricing::OnePreviousSlab if k == 0 => {
            let rule = if band == Band::Protected {
                R_PROTECTED_ONE.pick(c)
            } else {
                R_FIRST.pick(c)
            };
            b.push(base::ENERGY, "energy", units_d, rate, rule, src);
        }
        SlabPricing::OnePreviousSlab => {
            let prev = &slabs[k - 1];
            let prev_rate = prev
                .rate
                .ok_or_else(|| not_public(t, book, date, slab_desc(band, prev)))?;
            // A slab before another is always closed (validated at load).
            let upper = prev.to.unwrap_or(units).min(units);
            let upper_d = Decimal::from(upper);
            let rest_d = Decimal::from(units - upper);
            let (r1, r2) = if band == Band::Protected {
                (R_PROTECTED_PREV.pick(c), R_PROTECTED_REST.pick(c))
            } else {
                (R_PREV.pick(c), R_REST.pick(c))
            };
            b.push(base::ENERGY, "energy", upper_d, prev_rate, r1, src);
            b.push(base::ENERGY, "energy", rest_d, rate, r2, src);
        }
    }
    match slab.fixed {
        Some(f) => {
            let (qty, rule) = match r.fixed_basis {
                FixedBasis::PerConsumer => (Decimal::ONE, R_FIXED_CONSUMER.pick(c)),
                _ => (input.sanctioned_load_kw, R_FIXED_SL.pick(c)),
            };
            b.push(base::FIXED, "fixed", qty, f, rule, src);
        }
        None => {
            let min = if input.phase == 1 {
                r.min_1ph
            } else {
                r.min_3ph
            };
            if let Some(m) = min {
                let energy = b.acc.sum(base::ENERGY);
                if energy < m {
                    // 1 x the top-up (1 x the minimum would not give the amount).
                    b.push(
                        base::MINIMUM_CHARGE,
                        "minimum_charge",
                        Decimal::ONE,
                        m - energy,
                        R_MINIMUM.pick(c),
                        src,
                    );
                }
            }
        }
    }
    Ok(band)
}

/// Fixed line of a TOU / flat tariff; returns the billing demand used (0 if not demand-based).
#[allow(clippy::too_many_arguments)]
fn push_fixed(
    b: &mut Builder,
    fixed: Option<Decimal>,
    basis: FixedBasis,
    share: Decimal,
    input: &BillInput,
    confirmed: bool,
    src: &Arc<str>,
) -> Decimal {
    let Some(f) = fixed else {
        return Decimal::ZERO;
    };
    match basis {
        FixedBasis::PerKwBillingDemand => {
            let demand = (share * input.sanctioned_load_kw).max(input.mdi_kw);
            b.push(
                base::FIXED,
                "fixed",
                demand,
                f,
                R_FIXED_DEMAND.pick(confirmed),
                src,
            );
            demand
        }
        FixedBasis::PerKwSanctioned => {
            let q = input.sanctioned_load_kw;
            b.push(
                base::FIXED,
                "fixed",
                q,
                f,
                R_FIXED_SANCTIONED.pick(confirmed),
                src,
            );
            Decimal::ZERO
        }
        FixedBasis::PerConsumer => {
            b.push(
                base::FIXED,
                "fixed",
                Decimal::ONE,
                f,
                R_FIXED_CONSUMER.pick(confirmed),
                src,
            );
            Decimal::ZERO
        }
        FixedBasis::None => Decimal::ZERO,
    }
}

/// The ED entry for (province, category) on `date`: latest start first, then the most
/// specific match (`*` is the wildcard). `Ok(None)` when no ED data is loaded at all.
fn ed_entry<'b>(
    book: &'b TariffBook,
    province: &str,
    category: &str,
    date: NaiveDate,
) -> Result<Option<&'b Ed>, BillingError> {
    if book.ed.is_empty() {
        return Ok(None);
    }
    let mut best: Option<(&Ed, NaiveDate, u8)> = None;
    for e in &book.ed {
        let pm = &*e.province == province;
        let cm = &*e.category == category;
        if !(pm || &*e.province == "*") || !(cm || &*e.category == "*") {
            continue;
        }
        if !crate::tariff::in_force(e.from, e.to, date) {
            continue;
        }
        let spec = u8::from(pm) * 2 + u8::from(cm);
        if best.is_none_or(|(_, f, s)| (e.from, spec) > (f, s)) {
            best = Some((e, e.from, spec));
        }
    }
    match best {
        None => Err(BillingError::RateUnknown {
            what: format!("ED rate for {province}/{category}"),
            date,
        }),
        Some((e, _, _)) if e.fraction.is_none() => Err(BillingError::RateUnknown {
            what: format!("ED rate for {province}/{category} (listed as not public)"),
            date,
        }),
        Some((e, _, _)) => Ok(Some(e)),
    }
}

/// Steps 2-3: band, energy and fixed / minimum lines; returns (band, billing demand).
fn price(
    book: &TariffBook,
    t: &Tariff,
    input: &BillInput,
    units: u64,
    hist: &History,
    force: Option<Band>,
    b: &mut Builder,
) -> Result<(Band, Decimal), BillingError> {
    let date = input.issue_date;
    let units_d = Decimal::from(units);
    Ok(match &t.kind {
        TariffKind::Missing => {
            return Err(not_public(
                t,
                book,
                date,
                "category listed with missing = true".into(),
            ))
        }
        TariffKind::Residential(r) => {
            if input.units_peak_kwh != 0 {
                return Err(bad(
                    "units_peak_kwh",
                    format!("must be 0 for non-TOU tariff {}", t.code),
                ));
            }
            (
                price_residential(book, t, r, input, units, hist, force, b)?,
                Decimal::ZERO,
            )
        }
        TariffKind::Tou(tou) => {
            let c = t.confirmed;
            let pk = Decimal::from(input.units_peak_kwh);
            let op = Decimal::from(input.units_offpeak_kwh);
            b.push(
                base::ENERGY,
                "energy",
                pk,
                tou.peak,
                R_TOU_PEAK.pick(c),
                &t.source,
            );
            b.push(
                base::ENERGY,
                "energy",
                op,
                tou.offpeak,
                R_TOU_OFFPEAK.pick(c),
                &t.source,
            );
            let d = push_fixed(
                b,
                tou.fixed,
                tou.fixed_basis,
                tou.demand_share,
                input,
                c,
                &t.source,
            );
            (Band::Tou, d)
        }
        TariffKind::Flat(f) => {
            if input.units_peak_kwh != 0 {
                return Err(bad(
                    "units_peak_kwh",
                    format!("must be 0 for non-TOU tariff {}", t.code),
                ));
            }
            let c = t.confirmed;
            b.push(
                base::ENERGY,
                "energy",
                units_d,
                f.rate,
                R_FLAT.pick(c),
                &t.source,
            );
            let d = push_fixed(
                b,
                f.fixed,
                f.fixed_basis,
                f.demand_share,
                input,
                c,
                &t.source,
            );
            (Band::Flat, d)
        }
    })
}

/// Computes one bill with no [`BillExtras`]. Pure: same book and input give the same bill.
pub fn compute_bill(book: &TariffBook, input: &BillInput) -> Result<Bill, BillingError> {
    compute_bill_with(book, input, &BillExtras::default())
}

/// Computes one bill with optional inputs (STRN status, carried-in units, employee free
/// units, power factor). Pure: same book, input and extras give the same bill.
/// `= compute_bill_full(book, input, extras, &ReadingFacts::default())`.
pub fn compute_bill_with(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
) -> Result<Bill, BillingError> {
    compute_inner(book, input, extras, &ReadingFacts::default(), &[], None)
}

/// Computes one bill with optional inputs and the reading / connection circumstances
/// ([`ReadingFacts`]: temporary disconnection, meter change, provisional estimate). Pure.
pub fn compute_bill_full(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    facts: &ReadingFacts,
) -> Result<Bill, BillingError> {
    compute_inner(book, input, extras, facts, &[], None)
}

/// A `provisional_adjustment` or `accumulated_month` line of a bill that also covers earlier
/// months (see `periods::compute_catch_up`).
pub(crate) struct Adjustment {
    /// `provisional_adjustment` or `accumulated_month`.
    pub line: &'static str,
    /// kWh: actual share - units billed provisionally (0 for a month never billed).
    pub kwh: i64,
    pub amount_rs: Decimal,
    /// The month's subsidy re-computed on its share minus the subsidy already recorded.
    pub subsidy_rs: Decimal,
    pub rule: &'static str,
    pub source: Arc<str>,
}

/// A memo line put first on a bill (accumulated-reading split).
pub(crate) struct Memo {
    pub line: &'static str,
    pub quantity: Decimal,
    pub rule: &'static str,
    pub source: Arc<str>,
    pub version: Box<str>,
}

const R_TEMP_DISC: Rule = Rule {
    ok: "temporarily disconnected on request: no fixed / minimum charges (quantity = month of the disconnection)",
    unconfirmed: "temporarily disconnected on request: no fixed / minimum charges (quantity = month of the disconnection) [UNCONFIRMED rule entry]",
};
const R_TEMP_DISC_OVER: &str = "temporarily disconnected beyond the limit of months: fixed / minimum charges resume (quantity = month of the disconnection)";
const R_METER_OLD_OP: &str =
    "meter changed mid-cycle: old meter off-peak register, previous -> final reading x its MF";
const R_METER_OLD_PK: &str =
    "meter changed mid-cycle: old meter peak register, previous -> final reading x its MF";
const R_METER_NEW_OP: &str =
    "meter changed mid-cycle: new meter off-peak register, initial -> present reading x its MF";
const R_METER_NEW_PK: &str =
    "meter changed mid-cycle: new meter peak register, initial -> present reading x its MF";
const R_METER_NEW_OP_MDI: &str = "meter changed mid-cycle: new meter off-peak register, initial -> present reading x its MF; MDI = max of both meters [UNCONFIRMED default]";
const R_PROVISIONAL: Rule = Rule {
    ok: "provisional (average) bill: lower of the same month last year and the average of the previous 11 months; corrected when a reading is taken",
    unconfirmed: "provisional (average) bill: lower of the same month last year and the average of the previous 11 months; corrected when a reading is taken [UNCONFIRMED: average rounded half up over the months present; no LPS on the estimate; at most 2 in a row]",
};

fn meter_source(m: &crate::periods::MeterRegisters, peak: bool) -> Arc<str> {
    let (a, b) = if peak {
        m.peak.unwrap_or((0, 0))
    } else {
        (m.offpeak_from, m.offpeak_to)
    };
    format!("meter {a} -> {b} x MF {}", m.multiplying_factor).into()
}

/// Sanctioned load and MDI within 0..=[`MAX_LOAD_KW`].
pub(crate) fn check_load_range(
    sanctioned_load_kw: Decimal,
    mdi_kw: Decimal,
) -> Result<(), BillingError> {
    let max_kw = Decimal::from(MAX_LOAD_KW);
    for (field, v) in [
        ("sanctioned_load_kw", sanctioned_load_kw),
        ("mdi_kw", mdi_kw),
    ] {
        if v.is_sign_negative() && !v.is_zero() {
            return Err(bad(field, format!("{v} is negative")));
        }
        if v > max_kw {
            return Err(bad(field, format!("{v} exceeds {MAX_LOAD_KW} kW")));
        }
    }
    Ok(())
}

/// The tariff's load limit (data: `max_load_kw`, inclusive, on sanctioned load and MDI, e.g.
/// B-1 up to 25 kW, CSM 7.5; `sanctioned_load_below_kw`, exclusive, on the sanctioned load,
/// e.g. A-1a / A-2a below 5 kW, BILLING-RULES 1.1 / 2.4): a consumer outside it belongs on
/// another tariff (`over_limit_tariffs`, named in the refusal), so the bill is refused.
pub(crate) fn check_load_limit(
    book: &TariffBook,
    t: &Tariff,
    sanctioned_load_kw: Decimal,
    mdi_kw: Decimal,
    date: NaiveDate,
) -> Result<(), BillingError> {
    let move_to = || -> String {
        if t.over_limit.is_empty() {
            return "move it to the tariff for its load".to_string();
        }
        let names: Vec<String> = t
            .over_limit
            .iter()
            .map(|c| match book.resolve(c, date) {
                Ok(x) if matches!(x.kind, TariffKind::Tou(_)) => format!("{c} (TOU)"),
                _ => c.to_string(),
            })
            .collect();
        format!("bill it on {}", names.join(" or "))
    };
    if let Some(max) = t.max_load_kw {
        let load = sanctioned_load_kw.max(mdi_kw);
        if load > max {
            return Err(bad(
                "sanctioned_load_kw",
                format!(
                    "tariff {} is for loads up to {max} kW ({}), this consumer's sanctioned \
                     load / MDI is {} kW: {}",
                    t.code,
                    t.source,
                    load.normalize(),
                    move_to()
                ),
            ));
        }
    }
    if let Some(below) = t.load_below_kw {
        let sl = sanctioned_load_kw;
        if sl >= below {
            return Err(bad(
                "sanctioned_load_kw",
                format!(
                    "sanctioned load {} kW: {} is for loads below {below} kW ({}); {}",
                    sl.normalize(),
                    t.code,
                    t.source,
                    move_to()
                ),
            ));
        }
    }
    Ok(())
}

/// The bill engine: [`compute_bill_full`] plus the lines only the `periods` functions add.
pub(crate) fn compute_inner(
    book: &TariffBook,
    input: &BillInput,
    extras: &BillExtras,
    facts: &ReadingFacts,
    adjustments: &[Adjustment],
    memo: Option<&Memo>,
) -> Result<Bill, BillingError> {
    validate(input)?;
    validate_extras(extras)?;
    let date = input.issue_date;
    let cycle = input.cycle;
    let t = book.resolve(input.tariff, date)?;
    check_load_limit(book, t, input.sanctioned_load_kw, input.mdi_kw, date)?;
    let hist = History::new(input.history, cycle)?;
    let category: &str = &t.category;
    let mut b = Builder {
        lines: Vec::with_capacity(14),
        acc: Acc::default(),
        versions: String::with_capacity(160),
        waive: 0,
    };
    b.version(&t.source);

    // 0. reading facts: memo lines first, waived lines, consistency with the input units
    let is_tou = matches!(t.kind, TariffKind::Tou(_));
    if let Some(m) = memo {
        b.version(&m.version);
        b.memo(m.line, m.quantity, m.rule, Arc::clone(&m.source));
    }
    if let Some(mc) = &facts.meter_change {
        let again = crate::periods::meter_change_units(&mc.old, &mc.new)?;
        if again != *mc {
            return Err(bad(
                "meter_change",
                "units do not match the registers (use periods::meter_change_units)",
            ));
        }
        // A split reading (memo) was checked against the whole reading by the caller.
        if memo.is_none()
            && (input.units_offpeak_kwh != mc.offpeak_kwh()
                || input.units_peak_kwh != mc.peak_kwh())
        {
            return Err(bad(
                "meter_change",
                format!(
                    "input units {} off-peak / {} peak differ from old + new meter {} / {}",
                    input.units_offpeak_kwh,
                    input.units_peak_kwh,
                    mc.offpeak_kwh(),
                    mc.peak_kwh()
                ),
            ));
        }
        if mc.old.peak.is_some() != is_tou {
            return Err(bad(
                "meter_change",
                format!(
                    "tariff {} is {}TOU but the meters {} peak registers",
                    t.code,
                    if is_tou { "" } else { "not " },
                    if is_tou { "have no" } else { "have" }
                ),
            ));
        }
        if input.mdi_kw < mc.mdi_kw() {
            return Err(bad(
                "mdi_kw",
                format!("{} is below the meters' MDI {}", input.mdi_kw, mc.mdi_kw()),
            ));
        }
        b.memo(
            "meter_old",
            Decimal::from(mc.old_offpeak_kwh),
            R_METER_OLD_OP,
            meter_source(&mc.old, false),
        );
        if is_tou {
            b.memo(
                "meter_old",
                Decimal::from(mc.old_peak_kwh),
                R_METER_OLD_PK,
                meter_source(&mc.old, true),
            );
        }
        let any_mdi = mc.old.mdi_kw.is_some() || mc.new.mdi_kw.is_some();
        b.memo(
            "meter_new",
            Decimal::from(mc.new_offpeak_kwh),
            if any_mdi {
                R_METER_NEW_OP_MDI
            } else {
                R_METER_NEW_OP
            },
            meter_source(&mc.new, false),
        );
        if is_tou {
            b.memo(
                "meter_new",
                Decimal::from(mc.new_peak_kwh),
                R_METER_NEW_PK,
                meter_source(&mc.new, true),
            );
        }
    }
    let mut provisional_no_lps = false;
    if let Some(p) = &facts.provisional {
        let rule =
            latest(&book.provisional, date, |r| (r.from, r.to), |_| true).ok_or_else(|| {
                BillingError::RateUnknown {
                    what: "provisional-bill rule".into(),
                    date,
                }
            })?;
        if is_tou {
            return Err(bad(
                "provisional",
                format!(
                    "provisional bills are not modelled for TOU tariff {}",
                    t.code
                ),
            ));
        }
        if input.units_offpeak_kwh != p.units_kwh {
            return Err(bad(
                "provisional",
                format!(
                    "input units {} differ from the estimate {}",
                    input.units_offpeak_kwh, p.units_kwh
                ),
            ));
        }
        b.version(&rule.ver);
        provisional_no_lps = !rule.lps;
        b.memo(
            "provisional",
            Decimal::from(p.units_kwh),
            R_PROVISIONAL.pick(rule.confirmed),
            p.source(&rule.label),
        );
    }
    if let Some(n) = facts.temp_disconnected_month {
        if n == 0 {
            return Err(bad("temp_disconnected_month", "months count from 1"));
        }
        let rule = latest(&book.temp_disconnection, date, |r| (r.from, r.to), |_| true)
            .ok_or_else(|| BillingError::RateUnknown {
                what: "temporary-disconnection rule".into(),
                date,
            })?;
        b.version(&rule.ver);
        let text = if n <= rule.max_months {
            b.waive = rule.waive;
            // Meter / service rent follows the fixed charge: not charged while it is waived.
            if rule.waive & base::FIXED != 0 {
                b.waive |= base::RENT;
            }
            R_TEMP_DISC.pick(rule.confirmed)
        } else {
            R_TEMP_DISC_OVER
        };
        b.memo(
            "temp_disconnected",
            Decimal::from(n),
            text,
            Arc::clone(&rule.label),
        );
    }

    // 1. units: long-period scaling and carried-in units
    let metered = input.units_offpeak_kwh + input.units_peak_kwh;
    let mut carried_forward = 0u64;
    let mut eff = *input;
    if !is_tou {
        if let Some(lp) = latest(&book.long_period, date, |l| (l.from, l.to), |_| true) {
            if input.period_days > lp.over_days {
                let scaled = scale_units(input.units_offpeak_kwh, lp.to_days, input.period_days);
                carried_forward = input.units_offpeak_kwh - scaled;
                eff.units_offpeak_kwh = scaled;
                b.version(&lp.ver);
            }
        }
        eff.units_offpeak_kwh += extras.units_carried_in_kwh;
    } else if extras.units_carried_in_kwh != 0 {
        return Err(bad(
            "units_carried_in_kwh",
            format!(
                "carried-in units are not modelled for TOU tariff {}",
                t.code
            ),
        ));
    }
    let input = &eff;
    let units = input.units_offpeak_kwh + input.units_peak_kwh;
    let units_d = Decimal::from(units);

    // 2-3. band, energy, fixed / minimum (not charged while temporarily disconnected)
    let (band, mut billing_demand_kw) = price(book, t, input, units, &hist, None, &mut b)?;
    if b.waive & base::FIXED != 0 {
        billing_demand_kw = Decimal::ZERO;
    }

    // 3b. meter / service rent (DISCO charges, one bill month; waived with the fixed charge);
    // `rent_gst` / `rent_ed`: the rent lines the rule puts in the GST / ED base
    let mut rent_gst = 0u16;
    let mut rent_ed = 0u16;
    for kind in RentKind::ORDER {
        let Some(r) = latest(
            &book.meter_rent,
            date,
            |r| (r.from, r.to),
            |r| r.kind == kind && r.matches(&t.code, category, input.phase),
        ) else {
            continue;
        };
        b.version(&r.ver);
        if r.rs_per_month.is_zero() {
            continue;
        }
        let rules = match kind {
            RentKind::Meter => &R_METER_RENT,
            RentKind::Service => &R_SERVICE_RENT,
        };
        let rule = &rules[usize::from(r.in_gst_base) * 2 + usize::from(r.in_ed_base)];
        let charged = b.push(
            kind.bit(),
            kind.line(),
            Decimal::ONE,
            r.rs_per_month,
            rule.pick(r.confirmed),
            &r.label,
        );
        if !charged.is_zero() {
            if r.in_gst_base {
                rent_gst |= kind.bit();
            }
            if r.in_ed_base {
                rent_ed |= kind.bit();
            }
        }
    }

    // tariff differential subsidy (informational, not a bill line)
    let (subsidy_rs, subsidy_lines) = subsidy(book, t, input, units, &hist, band, &mut b);

    // power-factor penalty
    if let Some(pf) = extras.power_factor {
        if let Some(p) = latest(
            &book.pf,
            date,
            |p| (p.from, p.to),
            |p| p.categories.iter().any(|c| &**c == category),
        ) {
            b.version(&p.ver);
            if pf < p.threshold {
                let (fraction, rule) = match p.formula {
                    PfFormula::PercentPerPoint(per_point) => (
                        (p.threshold - pf) * Decimal::ONE_HUNDRED * per_point,
                        R_PF_POINT.pick(p.confirmed),
                    ),
                    PfFormula::Ratio => ((p.threshold - pf) / pf, R_PF_RATIO.pick(p.confirmed)),
                };
                let base_rs = b.acc.sum(p.base);
                b.push(
                    base::PF_PENALTY,
                    "pf_penalty",
                    base_rs,
                    fraction,
                    rule,
                    &p.label,
                );
            }
        }
    }

    // 4. FC surcharge, QTA, NJ surcharge on current units
    if !book.fc.is_empty() {
        let e = latest(&book.fc, date, |e| (e.from, e.to), |_| true).ok_or_else(|| {
            BillingError::RateUnknown {
                what: "FC surcharge".into(),
                date,
            }
        })?;
        b.version(&e.ver);
        if !e.exempt.covers(band, category) && !e.rate.is_zero() {
            b.push(
                base::FC_SURCHARGE,
                "fc_surcharge",
                units_d,
                e.rate,
                R_FC.pick(e.confirmed),
                &e.label,
            );
        }
    }
    for q in book.qta_for(cycle) {
        let Some(rate) = q.rate else {
            return Err(BillingError::AdjustmentNotNotified {
                adjustment: format!("QTA {}", q.quarter),
                bill_month: cycle,
                issue_date: date,
                notice: q.sro.to_string(),
            });
        };
        b.version(&q.ver);
        if !q.exempt.covers(band, category) {
            b.push(
                base::QTA,
                "qta",
                units_d,
                rate,
                R_QTA.pick(q.confirmed),
                &q.label,
            );
        }
    }
    if !book.nj.is_empty() {
        let e = latest(&book.nj, date, |e| (e.from, e.to), |_| true).ok_or_else(|| {
            BillingError::RateUnknown {
                what: "NJ surcharge".into(),
                date,
            }
        })?;
        b.version(&e.ver);
        if !e.exempt.covers(band, category) && !e.rate.is_zero() {
            b.push(
                base::NJ_SURCHARGE,
                "nj_surcharge",
                units_d,
                e.rate,
                R_NJ.pick(e.confirmed),
                &e.label,
            );
        }
    }

    // 5. ED
    let ed = ed_entry(book, input.province, category, date)?;
    let ed_fraction = ed.and_then(|e| e.fraction).unwrap_or(Decimal::ZERO);
    if let Some(e) = ed {
        b.version(&e.ver);
        if !ed_fraction.is_zero() {
            let base_rs = b.acc.sum(e.base | rent_ed);
            let rule = if rent_ed != 0 { &R_ED_RENT } else { &R_ED };
            b.push(
                base::ED,
                "ed",
                base_rs,
                ed_fraction,
                rule.pick(e.confirmed),
                &e.label,
            );
        }
    }

    // 6. GST
    if !book.gst.is_empty() {
        let g = latest(&book.gst, date, |g| (g.from, g.to), |_| true).ok_or_else(|| {
            BillingError::RateUnknown {
                what: "GST rate".into(),
                date,
            }
        })?;
        b.version(&g.ver);
        if !g.fraction.is_zero() {
            let base_rs = b.acc.sum(g.base | rent_gst);
            let rule = match (g.base & base::FIXED != 0, rent_gst != 0) {
                (true, false) => R_GST_WITH_FIXED,
                (false, false) => R_GST,
                (true, true) => R_GST_WITH_FIXED_RENT,
                (false, true) => R_GST_RENT,
            };
            b.push(base::GST, "gst", base_rs, g.fraction, rule, &g.label);
        }
    }

    // 7. PTV fee (a category without an entry pays none)
    if let Some(p) = latest(
        &book.ptv,
        date,
        |p| (p.from, p.to),
        |p| &*p.category == category,
    ) {
        b.version(&p.ver);
        if !p.amount.is_zero() && !p.exempt.covers(band, category) {
            b.push(
                base::TV_FEE,
                "tv_fee",
                Decimal::ONE,
                p.amount,
                R_TV,
                &p.label,
            );
        }
    }

    // 7b. further tax, extra tax, income tax s.235 (categories without an entry pay none)
    for kind in TaxKind::ORDER {
        let Some(tx) = latest(
            &book.bill_tax,
            date,
            |x| (x.from, x.to),
            |x| x.kind == kind && &*x.category == category,
        ) else {
            continue;
        };
        if !tx.applies.liable(input.atl, extras.strn_registered) {
            continue;
        }
        let base_rs = b.acc.sum(tx.base);
        let selector = round_rupee(base_rs);
        let Some(slab) = tx.slabs.iter().rev().find(|sl| sl.from <= selector) else {
            continue;
        };
        // tax = fixed + percent x (base, or base - excess_over), printed as up to two lines of
        // the tax's name so each is quantity x rate: the slab's fixed part (1 x fixed) and the
        // percentage part (taxed amount x percent). E.g. s.235 commercial above Rs 20,000:
        // `income_tax` 1 x 1,950 and `income_tax` (base - 20,000) x 12 %.
        let taxed = match slab.excess_over {
            Some(x) => (base_rs - x).max(Decimal::ZERO),
            None => base_rs,
        };
        let percent_part = taxed * slab.fraction;
        if slab.fixed.is_zero() && percent_part.is_zero() {
            continue;
        }
        b.version(&tx.ver);
        let (whole, fixed, excess) = match kind {
            TaxKind::Further => (R_FURTHER, R_FURTHER_FIXED, R_FURTHER_EXCESS),
            TaxKind::Extra => (R_EXTRA, R_EXTRA_FIXED, R_EXTRA_EXCESS),
            TaxKind::Income => (R_INCOME, R_INCOME_FIXED, R_INCOME_EXCESS),
        };
        if !slab.fixed.is_zero() {
            b.push(
                kind.bit(),
                kind.line(),
                Decimal::ONE,
                slab.fixed,
                fixed.pick(tx.confirmed),
                &tx.label,
            );
        }
        if !percent_part.is_zero() {
            let rule = if slab.excess_over.is_some() {
                excess
            } else {
                whole
            };
            b.push(
                kind.bit(),
                kind.line(),
                taxed,
                slab.fraction,
                rule.pick(tx.confirmed),
                &tx.label,
            );
        }
    }

    // 7c. employee free units: bill normally, then credit the tariff value of the free units
    let mut free_units = 0u64;
    let mut concession = Decimal::ZERO;
    if let Some(emp) = extras.employee {
        let e = latest(
            &book.free_units,
            date,
            |f| (f.from, f.to),
            |f| (f.bps_from..=f.bps_to).contains(&emp.bps),
        )
        .ok_or_else(|| BillingError::RateUnknown {
            what: format!("employee free-unit entitlement for BPS {}", emp.bps),
            date,
        })?;
        b.version(&e.ver);
        let monthly = match emp.status {
            ServiceStatus::InService => e.in_service_kwh,
            ServiceStatus::Retired => e.retired_kwh,
        };
        if monthly > 0 && units > 0 {
            free_units = units.min(emp.quota_remaining_kwh);
        }
        if free_units > 0 {
            let energy = b.acc.sum(base::ENERGY);
            let free_d = Decimal::from(free_units);
            // Credit = free units x the average energy rate (energy / units, printed to 4
            // decimals): the amount is the printed quantity x rate.
            let rate = -crate::money::round_to(energy / units_d, 4);
            let amount = round_paisa(free_d * rate);
            let line = BillLine {
                line: "employee_free_units",
                quantity: free_d,
                rate,
                amount_rs: amount,
                rule: R_EMPLOYEE,
                source: Arc::clone(&e.label),
            };
            concession = -amount;
            b.lines.push(line);
        }
    }

    // 7d. earlier months of the reading (outside every tax and LPS base: each amount is a
    // whole month priced alone, taxes included, minus what a provisional bill charged)
    let mut adjustment_rs = Decimal::ZERO;
    let mut accumulated_rs = Decimal::ZERO;
    let mut accumulated_months = 0u32;
    let mut adjusted_kwh = 0i64;
    let mut earlier_subsidy = Decimal::ZERO;
    for a in adjustments {
        if a.line == "accumulated_month" {
            accumulated_rs += a.amount_rs;
            accumulated_months += 1;
        } else {
            adjustment_rs += a.amount_rs;
        }
        adjusted_kwh += a.kwh;
        earlier_subsidy += a.subsidy_rs;
        b.lines.push(BillLine {
            line: a.line,
            quantity: Decimal::from(a.kwh),
            rate: Decimal::ZERO,
            amount_rs: a.amount_rs,
            rule: a.rule,
            source: Arc::clone(&a.source),
        });
    }

    // 8. current bill
    let current_bill_rs = round_rupee(b.lines.iter().map(|l| l.amount_rs).sum());
    let lps_base_acc = std::mem::take(&mut b.acc);

    // 9. FPA block, one per FPA month carried by this bill month
    let mut fpa_sum = Decimal::ZERO;
    for f in book.fpa_for(cycle) {
        let Some(rate) = f.rate else {
            return Err(BillingError::AdjustmentNotNotified {
                adjustment: format!("FPA for fuel month {}", f.fuel_month),
                bill_month: cycle,
                issue_date: date,
                notice: if f.revision == 0 {
                    f.sro.to_string()
                } else {
                    format!("{}, revision {}", f.sro, f.revision)
                },
            });
        };
        b.version(&f.ver);
        if f.exempt.covers(band, category) {
            continue;
        }
        let (ref_units, rule) = match hist.get(f.fuel_month) {
            Some(u) => (Decimal::from(u), R_FPA.pick(f.confirmed)),
            None => (Decimal::ZERO, R_FPA_NO_HISTORY.pick(f.confirmed)),
        };
        let fpa = ref_units * rate;
        fpa_sum += round_paisa(fpa);
        b.push(0, "fpa", ref_units, rate, rule, &f.label);
        let mut ed_on_fpa = Decimal::ZERO;
        if let Some(e) = ed {
            if !ed_fraction.is_zero() {
                ed_on_fpa = fpa * ed_fraction;
                fpa_sum += round_paisa(ed_on_fpa);
                b.push(
                    0,
                    "ed_on_fpa",
                    fpa,
                    ed_fraction,
                    R_ED_FPA.pick(e.confirmed),
                    &e.label,
                );
            }
        }
        if !book.gst.is_empty() {
            let ref_date = f.fuel_month.first_day();
            let g = latest(&book.gst, ref_date, |g| (g.from, g.to), |_| true).ok_or_else(|| {
                BillingError::RateUnknown {
                    what: format!("GST rate for FPA reference month {}", f.fuel_month),
                    date: ref_date,
                }
            })?;
            if !g.fraction.is_zero() {
                let base_rs = fpa + ed_on_fpa;
                let amount = round_rupee(base_rs * g.fraction);
                fpa_sum += amount;
                b.lines.push(BillLine {
                    line: "gst_on_fpa",
                    quantity: base_rs,
                    rate: g.fraction,
                    amount_rs: amount,
                    rule: R_GST_FPA.pick(g.confirmed),
                    source: Arc::clone(&g.label),
                });
            }
        }
    }
    let total_fpa_rs = round_rupee(fpa_sum);
    // Before the installment: whether the account owes anything the LPS could be charged on.
    let owed_rs = input.arrears_rs + current_bill_rs + total_fpa_rs;

    // 9b. installment of a granted amount and its markup (outside every tax / LPS base)
    let mut installment_rs = Decimal::ZERO;
    let mut markup_rs = Decimal::ZERO;
    let mut balance_after_rs = Decimal::ZERO;
    if let Some(due) = &extras.installment {
        let r = crate::installments::rule(book, date)?;
        b.version(&r.ver);
        installment_rs = due.principal_rs;
        balance_after_rs = due.outstanding_before_rs - due.principal_rs;
        b.lines.push(BillLine {
            line: "installment",
            quantity: Decimal::ONE,
            rate: due.principal_rs,
            amount_rs: due.principal_rs,
            rule: R_INSTALLMENT.pick(r.confirmed),
            source: Arc::clone(&r.label),
        });
        let (quantity, rate, markup) = crate::installments::markup(r, due);
        if !markup.is_zero() {
            markup_rs = round_paisa(markup);
            b.lines.push(BillLine {
                line: "installment_markup",
                quantity,
                rate,
                amount_rs: markup_rs,
                rule: R_INSTALLMENT_MARKUP.pick(r.confirmed),
                source: Arc::clone(&r.label),
            });
        }
    }
    let payable_within_due_rs = owed_rs + installment_rs + markup_rs;

    // 10. due date and LPS
    let terms = latest(&book.terms, date, |t| (t.from, t.to), |_| true).ok_or_else(|| {
        BillingError::RateUnknown {
            what: "due-date / LPS terms".into(),
            date,
        }
    })?;
    b.version(&terms.ver);
    let due_date = shift_due(book, date, terms.due_days)?;
    let mut lps_rs = Decimal::ZERO;
    if owed_rs > Decimal::ZERO && !terms.lps_fraction.is_zero() && !provisional_no_lps {
        let base_rs = lps_base_acc.sum(terms.lps_base);
        let lps = round_rupee(base_rs * terms.lps_fraction);
        if lps > Decimal::ZERO {
            lps_rs = lps;
            b.lines.push(BillLine {
                line: "lps",
                quantity: base_rs,
                rate: terms.lps_fraction,
                amount_rs: lps,
                rule: R_LPS.pick(terms.confirmed),
                source: Arc::clone(&terms.label),
            });
        }
    }

    let (subsidy_rs, subsidy_lines) = if adjustments.is_empty() {
        (subsidy_rs, subsidy_lines)
    } else {
        let mut lines = subsidy_lines;
        lines.push(("earlier_months", earlier_subsidy));
        (subsidy_rs + earlier_subsidy, lines)
    };
    Ok(Bill {
        band: band.as_str().to_string(),
        units_kwh: units,
        billing_demand_kw,
        lines: b.lines,
        current_bill_rs,
        total_fpa_rs,
        arrears_rs: input.arrears_rs,
        payable_within_due_rs,
        lps_rs,
        payable_after_due_rs: payable_within_due_rs + lps_rs,
        installment_rs,
        installment_markup_rs: markup_rs,
        installment_balance_after_rs: balance_after_rs,
        deferred_rs: extras.deferred_rs,
        due_date,
        versions: b.versions,
        subsidy_rs,
        subsidy_lines,
        units_metered_kwh: metered,
        units_carried_in_kwh: extras.units_carried_in_kwh,
        units_carried_forward_kwh: carried_forward,
        employee_free_units_kwh: free_units,
        employee_concession_rs: concession,
        provisional: facts.provisional.is_some(),
        meter_changed: facts.meter_change.is_some(),
        fixed_waived: b.waive != 0,
        provisional_adjustment_rs: adjustment_rs,
        accumulated_rs,
        accumulated_months,
        units_adjusted_kwh: adjusted_kwh,
    })
}

/// `round(units x to_days / days)`, half up, in integers; `to_days <= days` so never more
/// than `units`.
fn scale_units(units: u64, to_days: u32, days: u32) -> u64 {
    let num = u128::from(units) * u128::from(to_days) * 2 + u128::from(days);
    let den = u128::from(days) * 2;
    u64::try_from(num / den).unwrap_or(units).min(units)
}

/// Lines the subsidy compares.
const SUBSIDY_LINES: [&str; 3] = ["energy", "fixed", "minimum_charge"];

/// Tariff differential subsidy: the consumer's band priced on the DISCO's NEPRA-determined
/// schedule minus the applicable lines, per line name. Zero with a `versions` note when no
/// determined schedule covers the DISCO / tariff / date or its rate is not public (the bill
/// itself is never refused for a subsidy gap).
fn subsidy(
    book: &TariffBook,
    t: &Tariff,
    input: &BillInput,
    units: u64,
    hist: &History,
    band: Band,
    b: &mut Builder,
) -> (Decimal, Vec<(&'static str, Decimal)>) {
    let Some(dt) = book.resolve_determined(input.disco, &t.code, input.issue_date) else {
        b.version("TDS none (no determined schedule for this DISCO/tariff/date)");
        return (Decimal::ZERO, Vec::new());
    };
    let force = match band {
        Band::Lifeline | Band::Protected | Band::Unprotected => Some(band),
        Band::Tou | Band::Flat => None,
    };
    let mut scratch = Builder {
        lines: Vec::with_capacity(4),
        acc: Acc::default(),
        versions: String::new(),
        waive: b.waive,
    };
    if price(book, dt, input, units, hist, force, &mut scratch).is_err() {
        b.version("TDS none (determined rate not public for this band/slab)");
        return (Decimal::ZERO, Vec::new());
    }
    let mut total = Decimal::ZERO;
    let mut per_line = Vec::with_capacity(SUBSIDY_LINES.len());
    for name in SUBSIDY_LINES {
        let sum = |lines: &[BillLine]| -> Option<Decimal> {
            let mut it = lines.iter().filter(|l| l.line == name).peekable();
            it.peek()?;
            Some(it.map(|l| l.amount_rs).sum())
        };
        let det = sum(&scratch.lines);
        let app = sum(&b.lines);
        if det.is_none() && app.is_none() {
            continue;
        }
        let d = det.unwrap_or(Decimal::ZERO) - app.unwrap_or(Decimal::ZERO);
        total += d;
        per_line.push((name, d));
    }
    let mut label = String::with_capacity(4 + dt.source.len());
    label.push_str("TDS ");
    label.push_str(&dt.source);
    b.version(&label);
    (total, per_line)
}

/// Range checks of the optional inputs.
fn validate_extras(extras: &BillExtras) -> Result<(), BillingError> {
    if extras.units_carried_in_kwh > MAX_UNITS_KWH {
        return Err(bad(
            "units_carried_in_kwh",
            format!("{} exceeds {MAX_UNITS_KWH}", extras.units_carried_in_kwh),
        ));
    }
    if let Some(pf) = extras.power_factor {
        if pf <= Decimal::ZERO || pf > Decimal::ONE {
            return Err(bad("power_factor", format!("{pf} (must be in (0, 1])")));
        }
    }
    if let Some(due) = &extras.installment {
        crate::installments::validate(due)?;
    }
    if extras.deferred_rs.is_sign_negative() && !extras.deferred_rs.is_zero() {
        return Err(bad(
            "deferred_rs",
            format!("{} is negative", extras.deferred_rs),
        ));
    }
    if extras.deferred_rs > Decimal::from(MAX_ARREARS_RS) {
        return Err(bad(
            "deferred_rs",
            format!("{} exceeds {MAX_ARREARS_RS}", extras.deferred_rs),
        ));
    }
    if let Some(e) = extras.employee {
        if e.bps == 0 || e.bps > MAX_BPS {
            return Err(bad(
                "employee.bps",
                format!("{} (must be 1..={MAX_BPS})", e.bps),
            ));
        }
        if e.quota_remaining_kwh > MAX_UNITS_KWH {
            return Err(bad(
                "employee.quota_remaining_kwh",
                format!("{} exceeds {MAX_UNITS_KWH}", e.quota_remaining_kwh),
            ));
        }
    }
    Ok(())
}

/// The due date for a bill issued on `issue_date`: issue + due days from the terms in force,
/// moved past Sundays and loaded holidays.
/// Monthly free-unit entitlement (kWh) of an employee on `date` from the loaded table
/// (0 where monetised); `None` if no table row covers the grade and date. The caller keeps the
/// fiscal-year quota (12 x the monthly entitlement) and passes what remains in [`Employee`].
pub fn employee_entitlement_kwh(
    book: &TariffBook,
    bps: u8,
    status: ServiceStatus,
    date: NaiveDate,
) -> Option<u64> {
    let e = crate::tariff::latest(
        &book.free_units,
        date,
        |f| (f.from, f.to),
        |f| (f.bps_from..=f.bps_to).contains(&bps),
    )?;
    Some(match status {
        ServiceStatus::InService => e.in_service_kwh,
        ServiceStatus::Retired => e.retired_kwh,
    })
}

pub fn due_date(book: &TariffBook, issue_date: NaiveDate) -> Result<NaiveDate, BillingError> {
    let terms = latest(&book.terms, issue_date, |t| (t.from, t.to), |_| true).ok_or_else(|| {
        BillingError::RateUnknown {
            what: "due-date / LPS terms".into(),
            date: issue_date,
        }
    })?;
    shift_due(book, issue_date, terms.due_days)
}

fn shift_due(
    book: &TariffBook,
    issue_date: NaiveDate,
    days: u32,
) -> Result<NaiveDate, BillingError> {
    let mut d = issue_date
        .checked_add_days(Days::new(u64::from(days)))
        .ok_or_else(|| bad("issue_date", "due date out of range"))?;
    for _ in 0..MAX_DUE_SHIFT_DAYS {
        if d.weekday() == Weekday::Sun || book.is_holiday(d) {
            d = d
                .succ_opt()
                .ok_or_else(|| bad("issue_date", "due date out of range"))?;
        } else {
            break;
        }
    }
    Ok(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn service_status_names() {
        for (s, want) in [
            ("in_service", ServiceStatus::InService),
            ("serving", ServiceStatus::InService),
            ("Serving", ServiceStatus::InService),
            ("IN_SERVICE", ServiceStatus::InService),
            ("retired", ServiceStatus::Retired),
            ("RETIRED", ServiceStatus::Retired),
        ] {
            assert_eq!(ServiceStatus::parse(s), Some(want), "{s}");
        }
        for s in [
            "",
            " retired",
            "retired ",
            "pensioner",
            "in service",
            "active",
            "99",
        ] {
            assert_eq!(ServiceStatus::parse(s), None, "{s:?}");
        }
        for name in ServiceStatus::NAMES {
            assert!(ServiceStatus::parse(name).is_some(), "{name}");
        }
        for st in [ServiceStatus::InService, ServiceStatus::Retired] {
            assert_eq!(ServiceStatus::parse(st.as_str()), Some(st));
        }
    }

    #[test]
    fn max_load_is_inclusive() {
        let max = Decimal::from(MAX_LOAD_KW);
        assert!(check_load_range(max, max).is_ok());
        assert!(check_load_range(Decimal::ZERO, Decimal::ZERO).is_ok());
        assert!(matches!(
            check_load_range(max + Decimal::new(1, 2), Decimal::ZERO),
            Err(BillingError::BadInput {
                field: "sanctioned_load_kw",
                ..
            })
        ));
        assert!(matches!(
            check_load_range(Decimal::ONE, max + Decimal::ONE),
            Err(BillingError::BadInput {
                field: "mdi_kw",
                ..
            })
        ));
        assert_eq!(crate::MAX_LOAD_KW, 1_000_000);
    }
}
