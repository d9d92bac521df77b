//! TOML schema (serde) and its compilation into the book's indexed form.
//!
//! Every number in a data file is a **string** (`rate = "3.95"`) parsed as an exact decimal;
//! a TOML float is a schema error, so no float ever enters the crate. Unknown fields are
//! errors (typos must not silently drop a rate).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    base, Applies, Band, BillTax, Ed, Exempt, FixedBasis, Flat, Fpa, FreeUnits, Gst,
    InstallmentRule, LongPeriod, MeterRent, PerUnit, PfFormula, PfPenalty, ProvisionalRule, Ptv,
    Qta, RentKind, Residential, Schedule, Slab, SlabPricing, SplitRule, Tariff, TariffBook,
    TariffKind, TaxKind, TaxSlab, TempDisconnection, Terms, Tou,
};
use crate::error::BillingError;
use crate::period::YearMonth;
use crate::periods::SplitMethod;

/// Largest |rate| in Rs/kWh accepted from data.
const MAX_RATE_RS_PER_KWH: i64 = 1_000;
/// Largest fixed charge / fee / minimum charge in Rs accepted from data.
const MAX_FIXED_RS: i64 = 1_000_000;
/// Largest due-date offset in days.
const MAX_DUE_DAYS: u32 = 60;
/// Largest slab bound in kWh.
const MAX_SLAB_KWH: u64 = 1_000_000_000;
/// Largest bill-amount slab bound in Rs accepted from data.
const MAX_BILL_RS: i64 = 1_000_000_000_000;
/// Highest basic pay scale.
const MAX_BPS: u8 = 22;
/// Longest period / scaling target in days.
const MAX_DAYS: u32 = 366;

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    meta: Option<RawMeta>,
    #[serde(default)]
    schedule: Vec<RawSchedule>,
    #[serde(default)]
    fpa: Vec<RawFpa>,
    #[serde(default)]
    qta: Vec<RawQta>,
    #[serde(default)]
    fc_surcharge: Vec<RawPerUnit>,
    #[serde(default)]
    nj_surcharge: Vec<RawPerUnit>,
    #[serde(default)]
    ptv_fee: Vec<RawPtv>,
    #[serde(default)]
    gst: Vec<RawGst>,
    #[serde(default)]
    ed: Vec<RawEd>,
    #[serde(default)]
    terms: Vec<RawTerms>,
    #[serde(default)]
    holiday: Vec<RawHoliday>,
    #[serde(default)]
    disco: Vec<RawDisco>,
    #[serde(default)]
    bill_tax: Vec<RawBillTax>,
    #[serde(default)]
    long_period: Vec<RawLongPeriod>,
    #[serde(default)]
    employee_free_units: Vec<RawFreeUnits>,
    #[serde(default)]
    pf_penalty: Vec<RawPf>,
    #[serde(default)]
    temp_disconnection: Vec<RawTempDisconnection>,
    #[serde(default)]
    provisional: Vec<RawProvisional>,
    #[serde(default)]
    accumulated_split: Vec<RawSplit>,
    #[serde(default)]
    installment: Vec<RawInstallment>,
    #[serde(default)]
    meter_rent: Vec<RawMeterRent>,
}

/// `[[meter_rent]]`: rent per meter per bill month for the consumers it matches.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeterRent {
    /// `meter_rent` (default) or `service_rent`: the bill line's name.
    #[serde(default)]
    kind: Option<String>,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    /// 1 or 3; absent = both.
    #[serde(default)]
    phase: Option<u8>,
    /// Tariff categories (`residential`, ...); absent = every category.
    #[serde(default)]
    categories: Option<Vec<String>>,
    /// Tariff codes (`A-1a`, ...); absent = every code.
    #[serde(default)]
    tariffs: Option<Vec<String>>,
    rs_per_month: String,
    /// Default true (UNCONFIRMED: a DISCO charge, like the fixed charge, is taken to be in the
    /// value of supply).
    #[serde(default = "yes")]
    in_gst_base: bool,
    /// Default false (UNCONFIRMED: ED on real bills is on energy + QTA only).
    #[serde(default)]
    in_ed_base: bool,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstallment {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    markup_percent_per_year: String,
    days_in_year: u32,
    max_installments: u32,
    per_fiscal_year: u32,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTempDisconnection {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    max_months: u32,
    waive: Vec<String>,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvisional {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    average_months: u32,
    same_month_last_year: bool,
    max_consecutive: u32,
    lps: bool,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    method: String,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBillTax {
    kind: String,
    category: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    applies: String,
    base: Vec<String>,
    slabs: Vec<RawTaxSlab>,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxSlab {
    from: String,
    percent: String,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    excess_over: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLongPeriod {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    scale_when_days_over: u32,
    scale_to_days: u32,
    #[allow(dead_code)]
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreeUnits {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    bps_from: u8,
    bps_to: u8,
    in_service_kwh: u64,
    retired_kwh: u64,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPf {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    categories: Vec<String>,
    threshold: String,
    formula: String,
    #[serde(default)]
    percent_per_point: Option<String>,
    base: Vec<String>,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documentation fields, kept for the reader of the file
struct RawMeta {
    title: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    id: String,
    sro: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    #[serde(default = "yes")]
    confirmed: bool,
    /// `applicable` (default: billed) or `determined` (NEPRA cost schedule, subsidy only).
    #[serde(default)]
    kind: Option<String>,
    /// Required with `kind = "determined"`.
    #[serde(default)]
    disco: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(default)]
    tariff: Vec<RawTariff>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTariff {
    code: String,
    category: String,
    /// Highest sanctioned load / MDI the tariff is for (e.g. B-1: 25 kW); above it the bill
    /// is refused (the consumer belongs on another tariff).
    #[serde(default)]
    max_load_kw: Option<String>,
    /// Exclusive limit on the sanctioned load (e.g. A-1a / A-2a: below 5 kW, BILLING-RULES
    /// 1.1); at or above it the bill is refused. Not with `max_load_kw`.
    #[serde(default)]
    sanctioned_load_below_kw: Option<String>,
    /// Where a consumer over the load limit belongs (tariff codes of the same category, e.g.
    /// `["A-1b"]`), named in the refusal. Only with a limit.
    #[serde(default)]
    over_limit_tariffs: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(default)]
    missing: bool,
    /// Billed on peak / off-peak registers. Implied by `pricing` (`tou` = true; given, it must
    /// agree); on a `missing = true` entry it records the metering the data cannot price.
    #[serde(default)]
    tou: Option<bool>,
    #[serde(default)]
    confirmed: Option<bool>,
    #[serde(default)]
    pricing: Option<String>,
    #[serde(default)]
    slabs: Vec<RawSlab>,
    #[serde(default)]
    unprotected_pricing: Option<String>,
    #[serde(default)]
    minimum_charge_1ph: Option<String>,
    #[serde(default)]
    minimum_charge_3ph: Option<String>,
    #[serde(default)]
    lifeline_max_load_kw: Option<String>,
    #[serde(default)]
    lifeline_max_kwh: Option<u64>,
    #[serde(default)]
    lifeline_history_months: Option<u32>,
    #[serde(default)]
    protected_max_kwh: Option<u64>,
    #[serde(default)]
    protected_history_months: Option<u32>,
    #[serde(default)]
    rate: Option<String>,
    #[serde(default)]
    peak: Option<String>,
    #[serde(default)]
    offpeak: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    fixed_basis: Option<String>,
    #[serde(default)]
    demand_share_of_sl: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlab {
    band: String,
    from: u64,
    #[serde(default)]
    to: Option<u64>,
    #[serde(default)]
    rate: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    missing: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFpa {
    fuel_month: String,
    /// 0 = the first notification of the fuel month; a revised notification (a corrected
    /// rate, bill months or exemptions) is loaded as the next revision and supersedes it.
    #[serde(default)]
    revision: u32,
    #[serde(default)]
    rate: Option<String>,
    sro: String,
    #[serde(default)]
    bill_months: Option<Vec<String>>,
    /// Required (BILLING-RULES 3.2: FPA is not charged to lifeline): `[]` states "none".
    #[serde(default)]
    exempt_bands: Option<Vec<String>>,
    #[serde(default)]
    exempt_categories: Vec<String>,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    missing: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQta {
    quarter: String,
    #[serde(default)]
    rate: Option<String>,
    sro: String,
    bill_months: Vec<String>,
    /// Required (BILLING-RULES 3.2: QTA is not charged to lifeline): `[]` states "none".
    #[serde(default)]
    exempt_bands: Option<Vec<String>>,
    #[serde(default)]
    exempt_categories: Vec<String>,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    missing: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerUnit {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    rate: String,
    source: String,
    #[serde(default)]
    exempt_bands: Vec<String>,
    #[serde(default)]
    exempt_categories: Vec<String>,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPtv {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    category: String,
    amount: String,
    source: String,
    #[serde(default)]
    exempt_bands: Vec<String>,
    #[serde(default = "yes")]
    #[allow(dead_code)]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGst {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    percent: String,
    base: Vec<String>,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEd {
    province: String,
    category: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    #[serde(default)]
    percent: Option<String>,
    #[serde(default)]
    base: Vec<String>,
    source: String,
    #[serde(default)]
    missing: bool,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerms {
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    due_days: u32,
    lps_percent: String,
    lps_base: Vec<String>,
    source: String,
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    date: String,
    #[allow(dead_code)]
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisco {
    name: String,
    full_name: String,
    provinces: Vec<String>,
}

/// A file compiled and validated, not yet applied (indexes are relative to the staged vectors).
pub(super) struct Staged {
    pub schedules: Vec<Schedule>,
    pub tariffs: Vec<Tariff>,
    pub fpa: Vec<Fpa>,
    pub fpa_bill: Vec<(i64, usize)>,
    pub qta: Vec<Qta>,
    pub qta_bill: Vec<(i64, usize)>,
    pub fc: Vec<PerUnit>,
    pub nj: Vec<PerUnit>,
    pub ptv: Vec<Ptv>,
    pub gst: Vec<Gst>,
    pub ed: Vec<Ed>,
    pub terms: Vec<Terms>,
    pub holidays: Vec<NaiveDate>,
    pub discos: Vec<super::Disco>,
    pub det_tariffs: Vec<Tariff>,
    pub bill_tax: Vec<BillTax>,
    pub long_period: Vec<LongPeriod>,
    pub free_units: Vec<FreeUnits>,
    pub pf: Vec<PfPenalty>,
    pub temp_disconnection: Vec<TempDisconnection>,
    pub provisional: Vec<ProvisionalRule>,
    pub split: Vec<SplitRule>,
    pub installment: Vec<InstallmentRule>,
    pub meter_rent: Vec<MeterRent>,
}

fn invalid(item: &str, field: &'static str, reason: impl Into<String>) -> BillingError {
    BillingError::DataInvalid {
        item: item.to_string(),
        field,
        reason: reason.into(),
    }
}

fn dec(item: &str, field: &'static str, s: &str, max_abs: i64) -> Result<Decimal, BillingError> {
    let t = s.trim();
    if t.is_empty() || t.contains(['e', 'E']) {
        return Err(invalid(
            item,
            field,
            format!("{s:?} is not a plain decimal number"),
        ));
    }
    let v = Decimal::from_str(t)
        .map_err(|e| invalid(item, field, format!("{s:?} is not a decimal: {e}")))?;
    if v.abs() > Decimal::from(max_abs) {
        return Err(invalid(
            item,
            field,
            format!("{s} is out of range (|x| <= {max_abs})"),
        ));
    }
    Ok(v)
}

fn nonneg(item: &str, field: &'static str, s: &str, max: i64) -> Result<Decimal, BillingError> {
    let v = dec(item, field, s, max)?;
    if v.is_sign_negative() && !v.is_zero() {
        return Err(invalid(item, field, format!("{s} must not be negative")));
    }
    Ok(v)
}

fn percent(item: &str, field: &'static str, s: &str) -> Result<Decimal, BillingError> {
    Ok(nonneg(item, field, s, 100)? / Decimal::ONE_HUNDRED)
}

fn date(item: &str, field: &'static str, s: &str) -> Result<NaiveDate, BillingError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| invalid(item, field, format!("{s:?} is not a YYYY-MM-DD date: {e}")))
}

fn span(
    item: &str,
    from: &str,
    to: &Option<String>,
) -> Result<(NaiveDate, Option<NaiveDate>), BillingError> {
    let f = date(item, "effective_from", from)?;
    let t = match to {
        Some(t) => Some(date(item, "effective_to", t)?),
        None => None,
    };
    if let Some(t) = t {
        if t < f {
            return Err(invalid(item, "effective_to", "is before effective_from"));
        }
    }
    Ok((f, t))
}

fn month(item: &str, field: &'static str, s: &str) -> Result<YearMonth, BillingError> {
    YearMonth::from_str(s).map_err(|e| invalid(item, field, e.to_string()))
}

fn exempt(item: &str, bands: &[String], categories: &[String]) -> Result<Exempt, BillingError> {
    let mut bits = 0u8;
    for b in bands {
        bits |= Band::parse(b)
            .ok_or_else(|| invalid(item, "exempt_bands", format!("unknown band {b:?}")))?
            .bit();
    }
    Ok(Exempt {
        bands: bits,
        categories: categories.iter().map(|c| c.as_str().into()).collect(),
    })
}

/// The `exempt_bands` of an `[[fpa]]` / `[[qta]]` entry, which must be given: an omitted list
/// used to mean "exempt none" and silently charged lifeline consumers, whom BILLING-RULES 3.2
/// exempts from both; an operator who really exempts no band writes `exempt_bands = []`.
fn required_bands<'a>(
    item: &str,
    what: &str,
    bands: &'a Option<Vec<String>>,
) -> Result<&'a [String], BillingError> {
    bands.as_deref().ok_or_else(|| {
        invalid(
            item,
            "exempt_bands",
            format!(
                "required on every [[{what}]] entry: list the bands the decision exempts \
                 (BILLING-RULES 3.2: {upper} is not charged to lifeline consumers, \
                 e.g. exempt_bands = [\"lifeline\"]), or write exempt_bands = [] if it \
                 exempts none",
                upper = what.to_uppercase()
            ),
        )
    })
}

fn base_mask(item: &str, field: &'static str, names: &[String]) -> Result<u16, BillingError> {
    let mut m = 0u16;
    for n in names {
        m |= base::parse(n)
            .ok_or_else(|| invalid(item, field, format!("unknown line {n:?} in base")))?;
    }
    Ok(m)
}

fn unconfirmed(label: String, confirmed: bool) -> Arc<str> {
    if confirmed {
        label.into()
    } else {
        format!("{label} UNCONFIRMED").into()
    }
}

fn tag(label: String, confirmed: bool) -> Box<str> {
    if confirmed {
        label.into()
    } else {
        format!("{label} UNCONFIRMED").into()
    }
}

fn fixed_basis(
    item: &str,
    s: Option<&str>,
    default: FixedBasis,
) -> Result<FixedBasis, BillingError> {
    Ok(match s {
        None => default,
        Some("per_kw_sanctioned") => FixedBasis::PerKwSanctioned,
        Some("per_kw_billing_demand") => FixedBasis::PerKwBillingDemand,
        Some("per_consumer") => FixedBasis::PerConsumer,
        Some("none") => FixedBasis::None,
        Some(o) => return Err(invalid(item, "fixed_basis", format!("unknown basis {o:?}"))),
    })
}

/// Parses and validates `text` against `book`; nothing is applied.
/// `proposal`: the file is a what-if on top of `book` ([`TariffBook::with_override`]): its
/// schedule ids may repeat ids already loaded (a modified copy of a notified schedule).
pub(super) fn stage(book: &TariffBook, text: &str, proposal: bool) -> Result<Staged, BillingError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| BillingError::DataParse(e.to_string()))?;
    let _ = raw.meta;
    let mut st = Staged {
        schedules: Vec::new(),
        tariffs: Vec::new(),
        fpa: Vec::new(),
        fpa_bill: Vec::new(),
        qta: Vec::new(),
        qta_bill: Vec::new(),
        fc: Vec::new(),
        nj: Vec::new(),
        ptv: Vec::new(),
        gst: Vec::new(),
        ed: Vec::new(),
        terms: Vec::new(),
        holidays: Vec::new(),
        discos: Vec::new(),
        det_tariffs: Vec::new(),
        bill_tax: Vec::new(),
        long_period: Vec::new(),
        free_units: Vec::new(),
        pf: Vec::new(),
        temp_disconnection: Vec::new(),
        provisional: Vec::new(),
        split: Vec::new(),
        installment: Vec::new(),
        meter_rent: Vec::new(),
    };

    // ---- schedules and tariffs
    let mut ids: HashSet<&str> = if proposal {
        HashSet::new()
    } else {
        book.schedules.iter().map(|s| &*s.id).collect()
    };
    for rs in &raw.schedule {
        let item = format!("schedule {}", rs.id);
        if rs.id.trim().is_empty() {
            return Err(invalid(&item, "id", "must not be empty"));
        }
        if !ids.insert(&rs.id) {
            return Err(BillingError::Duplicate {
                kind: "schedule",
                key: rs.id.clone(),
            });
        }
        let (from, to) = span(&item, &rs.effective_from, &rs.effective_to)?;
        let disco: Option<Box<str>> = match (rs.kind.as_deref(), rs.disco.as_deref()) {
            (None | Some("applicable"), None) => None,
            (None | Some("applicable"), Some(_)) => {
                return Err(invalid(
                    &item,
                    "disco",
                    "only a kind = \"determined\" schedule names a DISCO",
                ))
            }
            (Some("determined"), Some(d)) if !d.trim().is_empty() => Some(d.into()),
            (Some("determined"), _) => {
                return Err(invalid(
                    &item,
                    "disco",
                    "required with kind = \"determined\"",
                ))
            }
            (Some(o), _) => {
                return Err(invalid(
                    &item,
                    "kind",
                    format!("unknown kind {o:?} (applicable|determined)"),
                ))
            }
        };
        let determined = disco.is_some();
        let sched_idx = st.schedules.len();
        st.schedules.push(Schedule {
            id: rs.id.as_str().into(),
            sro: rs.sro.as_str().into(),
            from,
            to,
            disco,
        });
        let mut codes_here: HashSet<&str> = HashSet::new();
        for rt in &rs.tariff {
            let titem = format!("{item} tariff {}", rt.code);
            if !codes_here.insert(&rt.code) {
                return Err(BillingError::Duplicate {
                    kind: "tariff code in schedule",
                    key: format!("{} in {}", rt.code, rs.id),
                });
            }
            if rt.code.trim().is_empty() || rt.category.trim().is_empty() {
                return Err(invalid(
                    &titem,
                    "code",
                    "code and category must not be empty",
                ));
            }
            // One code, one category, across every schedule ever loaded.
            let known = book.category_of(&rt.code).or_else(|| {
                st.tariffs
                    .iter()
                    .find(|t| *t.code == *rt.code)
                    .map(|t| &*t.category)
            });
            if let Some(k) = known {
                if k != rt.category {
                    return Err(invalid(
                        &titem,
                        "category",
                        format!(
                            "{:?} conflicts with {k:?} loaded earlier for {}",
                            rt.category, rt.code
                        ),
                    ));
                }
            }
            let confirmed = rt.confirmed.unwrap_or(rs.confirmed);
            let kind = compile_tariff(&titem, rt)?;
            let tou = match (&kind, rt.tou) {
                (TariffKind::Missing, stated) => stated,
                (k, stated) => {
                    let priced = matches!(k, TariffKind::Tou(_));
                    if stated.is_some_and(|s| s != priced) {
                        return Err(invalid(
                            &titem,
                            "tou",
                            format!(
                                "tou = {} contradicts pricing = {:?}",
                                !priced,
                                rt.pricing.as_deref().unwrap_or("")
                            ),
                        ));
                    }
                    Some(priced)
                }
            };
            // One code, one metering (TOU or not) across the applicable schedules, as for
            // the category: `TariffBook::is_tou` answers per code.
            if let (Some(tou), false) = (tou, determined) {
                let earlier = book
                    .tariffs
                    .iter()
                    .chain(&st.tariffs)
                    .find(|t| *t.code == *rt.code && t.tou.is_some_and(|x| x != tou));
                if let Some(e) = earlier {
                    return Err(invalid(
                        &titem,
                        "tou",
                        format!(
                            "{} is {}TOU here but {}TOU in a schedule loaded earlier ({})",
                            rt.code,
                            if tou { "" } else { "not " },
                            if tou { "not " } else { "" },
                            e.source
                        ),
                    ));
                }
            }
            let label = format!("{}@{}", rs.id, from);
            let max_load_kw = rt
                .max_load_kw
                .as_deref()
                .map(|v| nonneg(&titem, "max_load_kw", v, crate::bill::MAX_LOAD_KW))
                .transpose()?;
            let load_below_kw = rt
                .sanctioned_load_below_kw
                .as_deref()
                .map(|v| {
                    nonneg(
                        &titem,
                        "sanctioned_load_below_kw",
                        v,
                        crate::bill::MAX_LOAD_KW,
                    )
                })
                .transpose()?;
            if load_below_kw.is_some_and(|v| v.is_zero()) {
                return Err(invalid(
                    &titem,
                    "sanctioned_load_below_kw",
                    "must be above 0 (no load would be accepted)",
                ));
            }
            if max_load_kw.is_some() && load_below_kw.is_some() {
                return Err(invalid(
                    &titem,
                    "sanctioned_load_below_kw",
                    "give one load limit: max_load_kw (inclusive, sanctioned load / MDI) or \
                     sanctioned_load_below_kw (exclusive, sanctioned load)",
                ));
            }
            let over_limit: Vec<Box<str>> = match &rt.over_limit_tariffs {
                None => Vec::new(),
                Some(_) if max_load_kw.is_none() && load_below_kw.is_none() => {
                    return Err(invalid(
                        &titem,
                        "over_limit_tariffs",
                        "only with max_load_kw or sanctioned_load_below_kw",
                    ))
                }
                Some(list) if list.is_empty() => {
                    return Err(invalid(
                        &titem,
                        "over_limit_tariffs",
                        "empty: omit it, or name the tariffs for larger loads",
                    ))
                }
                Some(list) => {
                    let mut seen = HashSet::new();
                    for c in list {
                        if c.trim().is_empty() || c.trim() != c || !seen.insert(c.as_str()) {
                            return Err(invalid(
                                &titem,
                                "over_limit_tariffs",
                                format!("{c:?} is blank, padded or listed twice"),
                            ));
                        }
                    }
                    list.iter().map(|c| c.as_str().into()).collect()
                }
            };
            if over_limit.iter().any(|c| **c == *rt.code) {
                return Err(invalid(
                    &titem,
                    "over_limit_tariffs",
                    "names the tariff itself",
                ));
            }
            let tariff = Tariff {
                schedule: sched_idx,
                code: rt.code.as_str().into(),
                category: rt.category.as_str().into(),
                max_load_kw,
                load_below_kw,
                over_limit,
                tou,
                confirmed,
                source: unconfirmed(label, confirmed),
                kind,
            };
            if determined {
                st.det_tariffs.push(tariff);
            } else {
                st.tariffs.push(tariff);
            }
        }
    }

    // Tariffs named by `over_limit_tariffs` exist (in the book or this file) in the same
    // category: a consumer over a load limit is moved, not re-categorised.
    for t in st.tariffs.iter().chain(&st.det_tariffs) {
        for target in &t.over_limit {
            let known = book.category_of(target).or_else(|| {
                st.tariffs
                    .iter()
                    .find(|x| x.code == *target)
                    .map(|x| &*x.category)
            });
            let item = format!("schedule {} tariff {}", st.schedules[t.schedule].id, t.code);
            match known {
                None => {
                    return Err(invalid(
                        &item,
                        "over_limit_tariffs",
                        format!("{target} is not a tariff code of any loaded schedule"),
                    ))
                }
                Some(c) if c != &*t.category => {
                    return Err(invalid(
                        &item,
                        "over_limit_tariffs",
                        format!("{target} is {c}, not {}", t.category),
                    ))
                }
                Some(_) => {}
            }
        }
    }

    // ---- FPA
    // The entry in force per fuel month (highest revision, the last loaded on a tie) and
    // whether it is a `missing = true` placeholder. A file may add revision latest + 1; a real
    // notification may also replace a placeholder at any revision >= the placeholder's (the
    // placeholder says "not notified yet", so revision 0 of the real decision is not a
    // revision of anything); a second real entry of one revision stays a duplicate.
    let mut fuel: HashMap<YearMonth, (u32, bool)> = HashMap::new();
    for f in &book.fpa {
        let r = fuel
            .entry(f.fuel_month)
            .or_insert((f.revision, f.rate.is_none()));
        if f.revision >= r.0 {
            *r = (f.revision, f.rate.is_none());
        }
    }
    for rf in &raw.fpa {
        let item = format!("fpa {}", rf.fuel_month);
        let fm = month(&item, "fuel_month", &rf.fuel_month)?;
        let expected = fuel.get(&fm).map_or(0, |(r, _)| r.saturating_add(1));
        let replaces_placeholder = matches!(
            fuel.get(&fm),
            Some((latest, true)) if !rf.missing && rf.revision >= *latest
        );
        if rf.revision != expected && !replaces_placeholder {
            return Err(match fuel.get(&fm) {
                Some((latest, _)) if rf.revision <= *latest => BillingError::Duplicate {
                    kind: "FPA fuel month",
                    key: format!(
                        "{fm} revision {} (revision {latest} is loaded; a revised notification is loaded as revision = {expected})",
                        rf.revision
                    ),
                },
                _ => invalid(
                    &item,
                    "revision",
                    format!("must be {expected}, the next revision of fuel month {fm}"),
                ),
            });
        }
        fuel.insert(fm, (rf.revision, rf.missing));
        let fpa_bands = required_bands(&item, "fpa", &rf.exempt_bands)?;
        let rev = rf.revision;
        let rate = match (&rf.rate, rf.missing) {
            (Some(r), false) => Some(dec(&item, "rate", r, MAX_RATE_RS_PER_KWH)?),
            (None, true) => None,
            (Some(_), true) => return Err(invalid(&item, "rate", "given with missing = true")),
            (None, false) => return Err(invalid(&item, "rate", "required unless missing = true")),
        };
        let bills = match &rf.bill_months {
            None => vec![fm.add_months(2)],
            Some(v) if v.is_empty() => return Err(invalid(&item, "bill_months", "empty")),
            Some(v) => v
                .iter()
                .map(|m| month(&item, "bill_months", m))
                .collect::<Result<Vec<_>, _>>()?,
        };
        for b in &bills {
            if *b <= fm {
                return Err(invalid(
                    &item,
                    "bill_months",
                    format!("{b} is not after the fuel month"),
                ));
            }
        }
        let idx = st.fpa.len();
        let name = if rev == 0 {
            format!("FPA {fm}")
        } else {
            format!("FPA {fm} rev {rev}")
        };
        let label = match rate {
            Some(r) => format!("{name} {r} ({})", rf.sro),
            None => format!("{name} not public ({})", rf.sro),
        };
        st.fpa.push(Fpa {
            ver: tag(name, rf.confirmed),
            fuel_month: fm,
            revision: rev,
            rate,
            sro: rf.sro.as_str().into(),
            exempt: exempt(&item, fpa_bands, &rf.exempt_categories)?,
            confirmed: rf.confirmed,
            label: unconfirmed(label, rf.confirmed),
        });
        let mut seen = HashSet::new();
        for b in bills {
            if !seen.insert(b) {
                return Err(invalid(&item, "bill_months", format!("{b} listed twice")));
            }
            st.fpa_bill.push((b.index(), idx));
        }
    }

    // ---- QTA
    // Quarter -> whether the entry in force is a `missing = true` placeholder: a real decision
    // replaces a placeholder of its quarter (as for FPA); anything else is a duplicate.
    let mut quarters: HashMap<String, bool> = HashMap::new();
    for q in &book.qta {
        quarters.insert(q.quarter.to_string(), q.rate.is_none());
    }
    for rq in &raw.qta {
        let item = format!("qta {}", rq.quarter);
        let replaces_placeholder = quarters.get(&rq.quarter) == Some(&true) && !rq.missing;
        if quarters.contains_key(&rq.quarter) && !replaces_placeholder {
            return Err(BillingError::Duplicate {
                kind: "QTA quarter",
                key: rq.quarter.clone(),
            });
        }
        quarters.insert(rq.quarter.clone(), rq.missing);
        let qta_bands = required_bands(&item, "qta", &rq.exempt_bands)?;
        let rate = match (&rq.rate, rq.missing) {
            (Some(r), false) => Some(dec(&item, "rate", r, MAX_RATE_RS_PER_KWH)?),
            (None, true) => None,
            (Some(_), true) => return Err(invalid(&item, "rate", "given with missing = true")),
            (None, false) => return Err(invalid(&item, "rate", "required unless missing = true")),
        };
        if rq.bill_months.is_empty() {
            return Err(invalid(&item, "bill_months", "empty"));
        }
        let idx = st.qta.len();
        let label = match rate {
            Some(r) => format!("QTA {} {r} ({})", rq.quarter, rq.sro),
            None => format!("QTA {} not public ({})", rq.quarter, rq.sro),
        };
        st.qta.push(Qta {
            ver: tag(format!("QTA {}", rq.quarter), rq.confirmed),
            quarter: rq.quarter.as_str().into(),
            rate,
            sro: rq.sro.as_str().into(),
            exempt: exempt(&item, qta_bands, &rq.exempt_categories)?,
            confirmed: rq.confirmed,
            label: unconfirmed(label, rq.confirmed),
        });
        let mut seen = HashSet::new();
        for m in &rq.bill_months {
            let b = month(&item, "bill_months", m)?;
            if !seen.insert(b) {
                return Err(invalid(&item, "bill_months", format!("{b} listed twice")));
            }
            st.qta_bill.push((b.index(), idx));
        }
    }

    // ---- FC and NJ surcharges
    for (kind, raws, existing, out) in [
        ("FC surcharge", &raw.fc_surcharge, &book.fc, &mut st.fc),
        ("NJ surcharge", &raw.nj_surcharge, &book.nj, &mut st.nj),
    ] {
        let mut starts: HashSet<NaiveDate> = existing.iter().map(|e| e.from).collect();
        for r in raws {
            let item = format!("{kind} from {}", r.effective_from);
            let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
            if !starts.insert(from) {
                return Err(BillingError::Duplicate {
                    kind: "surcharge rate start",
                    key: format!("{kind} {from}"),
                });
            }
            let rate = nonneg(&item, "rate", &r.rate, MAX_RATE_RS_PER_KWH)?;
            let short = if kind.starts_with("FC") { "FC" } else { "NJ" };
            out.push(PerUnit {
                ver: tag(format!("{short} {rate}@{from}"), r.confirmed),
                from,
                to,
                rate,
                exempt: exempt(&item, &r.exempt_bands, &r.exempt_categories)?,
                confirmed: r.confirmed,
                label: unconfirmed(format!("{kind} {rate}@{from} ({})", r.source), r.confirmed),
            });
        }
    }

    // ---- PTV fee
    let mut ptv_keys: HashSet<(String, NaiveDate)> = book
        .ptv
        .iter()
        .map(|p| (p.category.to_string(), p.from))
        .collect();
    for r in &raw.ptv_fee {
        let item = format!("ptv_fee {} from {}", r.category, r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !ptv_keys.insert((r.category.clone(), from)) {
            return Err(BillingError::Duplicate {
                kind: "PTV fee start",
                key: format!("{} {from}", r.category),
            });
        }
        let amount = nonneg(&item, "amount", &r.amount, MAX_FIXED_RS)?;
        st.ptv.push(Ptv {
            ver: format!("PTV {} {amount}@{from}", r.category).into(),
            from,
            to,
            category: r.category.as_str().into(),
            amount,
            exempt: exempt(&item, &r.exempt_bands, &[])?,
            label: format!("PTV fee {} {amount}@{from} ({})", r.category, r.source).into(),
        });
    }

    // ---- GST
    let mut gst_starts: HashSet<NaiveDate> = book.gst.iter().map(|g| g.from).collect();
    for r in &raw.gst {
        let item = format!("gst from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !gst_starts.insert(from) {
            return Err(BillingError::Duplicate {
                kind: "GST rate start",
                key: from.to_string(),
            });
        }
        let fraction = percent(&item, "percent", &r.percent)?;
        let gst_base = base_mask(&item, "base", &r.base)?;
        if gst_base & base::AFTER_GST != 0 {
            return Err(invalid(&item, "base", "GST cannot be in its own base"));
        }
        if gst_base & base::RENT != 0 {
            return Err(invalid(
                &item,
                "base",
                "meter / service rent is in the GST base by its [[meter_rent]] rule's in_gst_base",
            ));
        }
        st.gst.push(Gst {
            ver: tag(format!("GST {}%@{from}", r.percent), r.confirmed),
            from,
            to,
            fraction,
            base: gst_base,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!("GST {}%@{from} ({})", r.percent, r.source),
                r.confirmed,
            ),
        });
    }

    // ---- ED
    let mut ed_keys: HashSet<(String, String, NaiveDate)> = book
        .ed
        .iter()
        .map(|e| (e.province.to_string(), e.category.to_string(), e.from))
        .collect();
    for r in &raw.ed {
        let item = format!("ed {}/{} from {}", r.province, r.category, r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !ed_keys.insert((r.province.clone(), r.category.clone(), from)) {
            return Err(BillingError::Duplicate {
                kind: "ED rate start",
                key: format!("{}/{} {from}", r.province, r.category),
            });
        }
        let fraction = match (&r.percent, r.missing) {
            (Some(p), false) => Some(percent(&item, "percent", p)?),
            (None, true) => None,
            (Some(_), true) => return Err(invalid(&item, "percent", "given with missing = true")),
            (None, false) => {
                return Err(invalid(&item, "percent", "required unless missing = true"))
            }
        };
        let base = base_mask(&item, "base", &r.base)?;
        if fraction.is_some() && base == 0 {
            return Err(invalid(&item, "base", "required when percent is given"));
        }
        if base & base::ED != 0 {
            return Err(invalid(&item, "base", "ED cannot be in its own base"));
        }
        if base & base::RENT != 0 {
            return Err(invalid(
                &item,
                "base",
                "meter / service rent is in the ED base by its [[meter_rent]] rule's in_ed_base",
            ));
        }
        if base & base::AFTER_GST != 0 {
            return Err(invalid(
                &item,
                "base",
                "ED is computed before GST and later taxes",
            ));
        }
        let pct = r.percent.as_deref().unwrap_or("not public");
        st.ed.push(Ed {
            ver: tag(
                format!("ED {}/{} {pct}%@{from}", r.province, r.category),
                r.confirmed,
            ),
            province: r.province.as_str().into(),
            category: r.category.as_str().into(),
            from,
            to,
            fraction,
            base,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!(
                    "ED {}/{} {pct}%@{from} ({})",
                    r.province, r.category, r.source
                ),
                r.confirmed,
            ),
        });
    }

    // ---- terms
    let mut term_starts: HashSet<NaiveDate> = book.terms.iter().map(|t| t.from).collect();
    for r in &raw.terms {
        let item = format!("terms from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !term_starts.insert(from) {
            return Err(BillingError::Duplicate {
                kind: "terms start",
                key: from.to_string(),
            });
        }
        if r.due_days == 0 || r.due_days > MAX_DUE_DAYS {
            return Err(invalid(
                &item,
                "due_days",
                format!("must be 1..={MAX_DUE_DAYS}"),
            ));
        }
        let lps_base = base_mask(&item, "lps_base", &r.lps_base)?;
        if lps_base & base::RENT != 0 {
            return Err(invalid(
                &item,
                "lps_base",
                "meter / service rent is not in the LPS base (DISCO energy charges only, \
                 BILLING-RULES 3.2)",
            ));
        }
        st.terms.push(Terms {
            ver: tag(format!("terms@{from}"), r.confirmed),
            from,
            to,
            due_days: r.due_days,
            lps_fraction: percent(&item, "lps_percent", &r.lps_percent)?,
            lps_base,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!(
                    "terms {}d LPS {}%@{from} ({})",
                    r.due_days, r.lps_percent, r.source
                ),
                r.confirmed,
            ),
        });
    }

    // ---- holidays
    let mut days: HashSet<NaiveDate> = book.holidays.iter().copied().collect();
    for h in &raw.holiday {
        let d = date(&format!("holiday {}", h.date), "date", &h.date)?;
        if !days.insert(d) {
            return Err(BillingError::Duplicate {
                kind: "holiday",
                key: d.to_string(),
            });
        }
        st.holidays.push(d);
    }

    // ---- distribution companies
    let mut names: HashSet<String> = book.discos.iter().map(|d| d.name.to_string()).collect();
    for d in &raw.disco {
        let item = format!("disco {}", d.name);
        let name = d.name.trim();
        if name.is_empty()
            || name.len() > 16
            || !name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                &item,
                "name",
                "1..=16 capital letters, digits or '-'",
            ));
        }
        if !names.insert(name.to_string()) {
            return Err(BillingError::Duplicate {
                kind: "disco",
                key: name.to_string(),
            });
        }
        if d.provinces.is_empty() || d.provinces.iter().any(|p| p.trim().is_empty()) {
            return Err(invalid(&item, "provinces", "at least one, none empty"));
        }
        if d.full_name.trim().is_empty() {
            return Err(invalid(&item, "full_name", "empty"));
        }
        st.discos.push(super::Disco {
            name: name.into(),
            full_name: d.full_name.trim().into(),
            provinces: d.provinces.iter().map(|p| p.trim().into()).collect(),
        });
    }

    stage_rules(book, &raw, &mut st)?;
    stage_reading_rules(book, &raw, &mut st)?;
    stage_installments(book, &raw, &mut st)?;
    stage_meter_rent(book, &raw, &mut st)?;
    Ok(st)
}

/// The start date must be new for its kind (versions are append-only).
fn new_start(
    starts: &mut HashSet<NaiveDate>,
    kind: &'static str,
    from: NaiveDate,
) -> Result<(), BillingError> {
    if starts.insert(from) {
        Ok(())
    } else {
        Err(BillingError::Duplicate {
            kind,
            key: from.to_string(),
        })
    }
}

/// `1-ph residential`, `A-1a/A-1b`, `all consumers`: who a rent rule is for.
fn rent_scope(
    phase: Option<u8>,
    categories: &Option<Vec<String>>,
    tariffs: &Option<Vec<String>>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(p) = phase {
        parts.push(format!("{p}-ph"));
    }
    for list in [categories, tariffs].into_iter().flatten() {
        if !list.is_empty() {
            parts.push(list.join("/"));
        }
    }
    if parts.is_empty() {
        "all consumers".to_string()
    } else {
        parts.join(" ")
    }
}

/// A filter list of a rent rule: absent = any; given = non-empty, no blanks or repeats.
fn rent_list(
    item: &str,
    field: &'static str,
    list: &Option<Vec<String>>,
) -> Result<Option<Vec<Box<str>>>, BillingError> {
    let Some(list) = list else {
        return Ok(None);
    };
    if list.is_empty() {
        return Err(invalid(
            item,
            field,
            "empty: omit the field to match every one",
        ));
    }
    let mut seen = HashSet::new();
    for v in list {
        if v.trim().is_empty() || v.trim() != v {
            return Err(invalid(item, field, format!("{v:?} is blank or padded")));
        }
        if !seen.insert(v.as_str()) {
            return Err(invalid(item, field, format!("{v} listed twice")));
        }
    }
    Ok(Some(list.iter().map(|v| v.as_str().into()).collect()))
}

/// Could one consumer match both rent rules? Filters on the same field must intersect;
/// tariff codes against categories are disjoint only when every listed code's category is
/// known and outside the other rule's categories (else they may overlap: refused).
fn rent_may_overlap(
    a: &MeterRent,
    b: &MeterRent,
    category_of: &dyn Fn(&str) -> Option<String>,
) -> bool {
    fn meet(x: &Option<Vec<Box<str>>>, y: &Option<Vec<Box<str>>>) -> bool {
        match (x, y) {
            (Some(x), Some(y)) => x.iter().any(|v| y.contains(v)),
            _ => true,
        }
    }
    if a.phase.is_some() && b.phase.is_some() && a.phase != b.phase {
        return false;
    }
    if !meet(&a.categories, &b.categories) || !meet(&a.tariffs, &b.tariffs) {
        return false;
    }
    for (s, o) in [(a, b), (b, a)] {
        if let (Some(ts), Some(cs)) = (&s.tariffs, &o.categories) {
            let outside = ts
                .iter()
                .all(|t| category_of(t).is_some_and(|c| !cs.iter().any(|x| **x == *c)));
            if outside {
                return false;
            }
        }
    }
    true
}

/// Meter / service rent rules (`[[meter_rent]]`). Versions are append-only like the other
/// dated rules: the rule with the latest start that matches a consumer is in force (a later
/// rule supersedes an earlier one for the consumers it matches; `rs_per_month = "0"`
/// withdraws the rent); two rules of one kind starting the same day that could match the same
/// consumer are ambiguous and refused as duplicates.
fn stage_meter_rent(book: &TariffBook, raw: &RawFile, st: &mut Staged) -> Result<(), BillingError> {
    // Categories and codes known to the book or to this file's schedules.
    let category_of = |code: &str| -> Option<String> {
        book.category_of(code)
            .or_else(|| {
                st.tariffs
                    .iter()
                    .find(|t| &*t.code == code)
                    .map(|t| &*t.category)
            })
            .map(str::to_string)
    };
    let known_category = |c: &str| -> bool {
        book.tariffs.iter().any(|t| &*t.category == c)
            || st.tariffs.iter().any(|t| &*t.category == c)
    };
    let mut staged: Vec<MeterRent> = Vec::with_capacity(raw.meter_rent.len());
    for r in &raw.meter_rent {
        let kind_name = r.kind.as_deref().unwrap_or("meter_rent");
        let scope = rent_scope(r.phase, &r.categories, &r.tariffs);
        let item = format!("{kind_name} {scope} from {}", r.effective_from);
        let kind = RentKind::parse(kind_name).ok_or_else(|| {
            invalid(
                &item,
                "kind",
                format!("unknown kind {kind_name:?} (meter_rent|service_rent)"),
            )
        })?;
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if let Some(p) = r.phase {
            if p != 1 && p != 3 {
                return Err(invalid(&item, "phase", "must be 1 or 3 (omit for both)"));
            }
        }
        let categories = rent_list(&item, "categories", &r.categories)?;
        let tariffs = rent_list(&item, "tariffs", &r.tariffs)?;
        for c in categories.iter().flatten() {
            if !known_category(c) {
                return Err(invalid(
                    &item,
                    "categories",
                    format!(
                        "{c:?} is not the category of any loaded tariff (load its schedule first)"
                    ),
                ));
            }
        }
        for t in tariffs.iter().flatten() {
            let Some(c) = category_of(t) else {
                return Err(invalid(
                    &item,
                    "tariffs",
                    format!("{t:?} is not a tariff code of any loaded schedule (load it first)"),
                ));
            };
            if let Some(cs) = &categories {
                if !cs.iter().any(|x| **x == *c) {
                    return Err(invalid(
                        &item,
                        "tariffs",
                        format!("{t} is {c}, not in categories: the rule could never match it"),
                    ));
                }
            }
        }
        let rs_per_month = nonneg(&item, "rs_per_month", &r.rs_per_month, MAX_FIXED_RS)?;
        if r.source.trim().is_empty() {
            return Err(invalid(&item, "source", "must not be empty"));
        }
        let name = match kind {
            RentKind::Meter => "meter rent",
            RentKind::Service => "service rent",
        };
        let rs = rs_per_month.normalize();
        let rule = MeterRent {
            ver: tag(format!("{name} {scope} Rs {rs}/month@{from}"), r.confirmed),
            kind,
            from,
            to,
            phase: r.phase,
            categories,
            tariffs,
            rs_per_month,
            in_gst_base: r.in_gst_base,
            in_ed_base: r.in_ed_base,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!("{name} {scope} Rs {rs}/month@{from} ({})", r.source),
                r.confirmed,
            ),
        };
        let clash =
            book.meter_rent.iter().chain(&staged).find(|o| {
                o.kind == kind && o.from == from && rent_may_overlap(o, &rule, &category_of)
            });
        if let Some(o) = clash {
            return Err(BillingError::Duplicate {
                kind: "meter / service rent rule (same start, could match the same consumer)",
                key: format!("{} and {}", o.ver, rule.ver),
            });
        }
        staged.push(rule);
    }
    st.meter_rent = staged;
    Ok(())
}

/// Most installments a rule may allow.
const MAX_INSTALLMENTS: u32 = 120;

/// Installment facility rules (`[[installment]]`).
fn stage_installments(
    book: &TariffBook,
    raw: &RawFile,
    st: &mut Staged,
) -> Result<(), BillingError> {
    let mut starts: HashSet<NaiveDate> = book.installment.iter().map(|t| t.from).collect();
    for r in &raw.installment {
        let item = format!("installment from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        new_start(&mut starts, "installment rule start", from)?;
        let markup_fraction =
            percent(&item, "markup_percent_per_year", &r.markup_percent_per_year)?;
        if !matches!(r.days_in_year, 360 | 365 | 366) {
            return Err(invalid(&item, "days_in_year", "must be 360, 365 or 366"));
        }
        if r.max_installments < 2 || r.max_installments > MAX_INSTALLMENTS {
            return Err(invalid(
                &item,
                "max_installments",
                format!("must be 2..={MAX_INSTALLMENTS} (one installment is no plan)"),
            ));
        }
        if r.per_fiscal_year == 0 || r.per_fiscal_year > 12 {
            return Err(invalid(&item, "per_fiscal_year", "must be 1..=12"));
        }
        if r.source.trim().is_empty() {
            return Err(invalid(&item, "source", "must not be empty"));
        }
        let pct = markup_fraction * Decimal::ONE_HUNDRED;
        st.installment.push(InstallmentRule {
            ver: tag(
                format!(
                    "installments <= {} markup {}% p.a./{}d@{from}",
                    r.max_installments,
                    pct.normalize(),
                    r.days_in_year
                ),
                r.confirmed,
            ),
            from,
            to,
            markup_fraction,
            days_in_year: r.days_in_year,
            max_installments: r.max_installments,
            per_fiscal_year: r.per_fiscal_year,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!(
                    "installment {}% p.a.@{from} ({})",
                    pct.normalize(),
                    r.source
                ),
                r.confirmed,
            ),
        });
    }
    Ok(())
}

/// Temporary disconnection, provisional bills, accumulated-reading split.
fn stage_reading_rules(
    book: &TariffBook,
    raw: &RawFile,
    st: &mut Staged,
) -> Result<(), BillingError> {
    let mut starts: HashSet<NaiveDate> = book.temp_disconnection.iter().map(|t| t.from).collect();
    for r in &raw.temp_disconnection {
        let item = format!("temp_disconnection from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        new_start(&mut starts, "temporary-disconnection rule start", from)?;
        if r.max_months == 0 || r.max_months > 120 {
            return Err(invalid(&item, "max_months", "must be 1..=120"));
        }
        let waive = base_mask(&item, "waive", &r.waive)?;
        if waive & !(base::FIXED | base::MINIMUM_CHARGE) != 0 {
            return Err(invalid(
                &item,
                "waive",
                "may only name fixed, minimum_charge",
            ));
        }
        st.temp_disconnection.push(TempDisconnection {
            ver: tag(
                format!("temp disconnection <= {} months@{from}", r.max_months),
                r.confirmed,
            ),
            from,
            to,
            max_months: r.max_months,
            waive,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!("temp disconnection@{from} ({})", r.source),
                r.confirmed,
            ),
        });
    }

    let mut starts: HashSet<NaiveDate> = book.provisional.iter().map(|t| t.from).collect();
    for r in &raw.provisional {
        let item = format!("provisional from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        new_start(&mut starts, "provisional-bill rule start", from)?;
        if r.average_months == 0 || r.average_months > 11 {
            return Err(invalid(
                &item,
                "average_months",
                "must be 1..=11 (the months before the same month last year)",
            ));
        }
        if r.max_consecutive == 0 || r.max_consecutive > 12 {
            return Err(invalid(&item, "max_consecutive", "must be 1..=12"));
        }
        st.provisional.push(ProvisionalRule {
            ver: tag(
                format!(
                    "provisional avg {}m max {}@{from}",
                    r.average_months, r.max_consecutive
                ),
                r.confirmed,
            ),
            from,
            to,
            average_months: r.average_months,
            same_month_last_year: r.same_month_last_year,
            max_consecutive: r.max_consecutive,
            lps: r.lps,
            confirmed: r.confirmed,
            label: unconfirmed(format!("provisional@{from} ({})", r.source), r.confirmed),
        });
    }

    let mut starts: HashSet<NaiveDate> = book.split.iter().map(|t| t.from).collect();
    for r in &raw.accumulated_split {
        let item = format!("accumulated_split from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        new_start(&mut starts, "accumulated-split rule start", from)?;
        let method = match r.method.as_str() {
            "days" => SplitMethod::Days,
            "equal" => SplitMethod::Equal,
            o => {
                return Err(invalid(
                    &item,
                    "method",
                    format!("unknown method {o:?} (days|equal)"),
                ))
            }
        };
        st.split.push(SplitRule {
            ver: tag(format!("split by {}@{from}", r.method), r.confirmed),
            from,
            to,
            method,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!("split by {}@{from} ({})", r.method, r.source),
                r.confirmed,
            ),
        });
    }
    Ok(())
}

/// Further / extra / income tax, long-period scaling, employee free units, PF penalty.
fn stage_rules(book: &TariffBook, raw: &RawFile, st: &mut Staged) -> Result<(), BillingError> {
    // ---- further / extra / income tax
    let mut keys: HashSet<(&'static str, String, NaiveDate)> = book
        .bill_tax
        .iter()
        .map(|t| (t.kind.line(), t.category.to_string(), t.from))
        .collect();
    for r in &raw.bill_tax {
        let item = format!(
            "bill_tax {} {} from {}",
            r.kind, r.category, r.effective_from
        );
        let kind = match r.kind.as_str() {
            "further_tax" => TaxKind::Further,
            "extra_tax" => TaxKind::Extra,
            "income_tax" => TaxKind::Income,
            o => {
                return Err(invalid(
                    &item,
                    "kind",
                    format!("unknown kind {o:?} (further_tax|extra_tax|income_tax)"),
                ))
            }
        };
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !keys.insert((kind.line(), r.category.clone(), from)) {
            return Err(BillingError::Duplicate {
                kind: "bill tax start",
                key: format!("{} {} {from}", r.kind, r.category),
            });
        }
        let applies = match r.applies.as_str() {
            "all" => Applies::All,
            "non_atl" => Applies::NonAtl,
            "non_strn" => Applies::NonStrn,
            "non_strn_or_non_atl" => Applies::NonStrnOrNonAtl,
            o => {
                return Err(invalid(
                    &item,
                    "applies",
                    format!("unknown {o:?} (all|non_atl|non_strn|non_strn_or_non_atl)"),
                ))
            }
        };
        let mask = base_mask(&item, "base", &r.base)?;
        if mask == 0 {
            return Err(invalid(&item, "base", "must name at least one line"));
        }
        if mask & !kind.allowed_base() != 0 {
            return Err(invalid(
                &item,
                "base",
                "names a line computed after this tax (or the tax itself)",
            ));
        }
        let mut slabs: Vec<TaxSlab> = Vec::with_capacity(r.slabs.len());
        for (n, rs) in r.slabs.iter().enumerate() {
            let sitem = format!("{item} slab {}", n + 1);
            let f = nonneg(&sitem, "from", &rs.from, MAX_BILL_RS)?;
            match slabs.last() {
                None if !f.is_zero() => {
                    return Err(invalid(&sitem, "from", "the first slab must start at 0"))
                }
                Some(prev) if f <= prev.from => {
                    return Err(invalid(&sitem, "from", "slabs must increase"))
                }
                _ => {}
            }
            slabs.push(TaxSlab {
                from: f,
                fraction: percent(&sitem, "percent", &rs.percent)?,
                fixed: match &rs.fixed {
                    Some(x) => nonneg(&sitem, "fixed", x, MAX_FIXED_RS)?,
                    None => Decimal::ZERO,
                },
                excess_over: match &rs.excess_over {
                    Some(x) => Some(nonneg(&sitem, "excess_over", x, MAX_BILL_RS)?),
                    None => None,
                },
            });
        }
        if slabs.is_empty() {
            return Err(invalid(&item, "slabs", "at least one slab is required"));
        }
        st.bill_tax.push(BillTax {
            ver: tag(format!("{} {}@{from}", r.kind, r.category), r.confirmed),
            kind,
            category: r.category.as_str().into(),
            from,
            to,
            applies,
            base: mask,
            slabs,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!("{} {}@{from} ({})", r.kind, r.category, r.source),
                r.confirmed,
            ),
        });
    }

    // ---- long reading periods
    let mut starts: HashSet<NaiveDate> = book.long_period.iter().map(|l| l.from).collect();
    for r in &raw.long_period {
        let item = format!("long_period from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if !starts.insert(from) {
            return Err(BillingError::Duplicate {
                kind: "long-period rule start",
                key: from.to_string(),
            });
        }
        if r.scale_to_days == 0 || r.scale_to_days > r.scale_when_days_over {
            return Err(invalid(
                &item,
                "scale_to_days",
                "must be 1..=scale_when_days_over (a period is never scaled up)",
            ));
        }
        if r.scale_when_days_over > MAX_DAYS {
            return Err(invalid(
                &item,
                "scale_when_days_over",
                format!("must be <= {MAX_DAYS}"),
            ));
        }
        st.long_period.push(LongPeriod {
            ver: tag(
                format!(
                    "long period >{}d scaled to {}d@{from}",
                    r.scale_when_days_over, r.scale_to_days
                ),
                r.confirmed,
            ),
            from,
            to,
            over_days: r.scale_when_days_over,
            to_days: r.scale_to_days,
        });
    }

    // ---- employee free units
    let mut fkeys: HashSet<(u8, NaiveDate)> = book
        .free_units
        .iter()
        .map(|f| (f.bps_from, f.from))
        .collect();
    for r in &raw.employee_free_units {
        let item = format!(
            "employee_free_units BPS {}-{} from {}",
            r.bps_from, r.bps_to, r.effective_from
        );
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if r.bps_from == 0 || r.bps_from > r.bps_to || r.bps_to > MAX_BPS {
            return Err(invalid(
                &item,
                "bps_from",
                format!("need 1 <= bps_from <= bps_to <= {MAX_BPS}"),
            ));
        }
        if r.in_service_kwh > MAX_SLAB_KWH || r.retired_kwh > MAX_SLAB_KWH {
            return Err(invalid(&item, "in_service_kwh", "out of range"));
        }
        let overlaps = |a: &FreeUnits| {
            a.bps_from <= r.bps_to
                && r.bps_from <= a.bps_to
                && a.from <= to.unwrap_or(NaiveDate::MAX)
                && from <= a.to.unwrap_or(NaiveDate::MAX)
        };
        if !fkeys.insert((r.bps_from, from))
            || book.free_units.iter().any(overlaps)
            || st.free_units.iter().any(overlaps)
        {
            return Err(BillingError::Duplicate {
                kind: "employee free-unit entry (overlapping BPS range and dates)",
                key: format!("BPS {}-{} {from}", r.bps_from, r.bps_to),
            });
        }
        st.free_units.push(FreeUnits {
            ver: tag(
                format!("free units BPS {}-{}@{from}", r.bps_from, r.bps_to),
                r.confirmed,
            ),
            from,
            to,
            bps_from: r.bps_from,
            bps_to: r.bps_to,
            in_service_kwh: r.in_service_kwh,
            retired_kwh: r.retired_kwh,
            label: unconfirmed(
                format!(
                    "free units BPS {}-{}@{from} ({})",
                    r.bps_from, r.bps_to, r.source
                ),
                r.confirmed,
            ),
        });
    }

    // ---- power-factor penalty
    let mut pkeys: HashSet<(String, NaiveDate)> = book
        .pf
        .iter()
        .flat_map(|p| p.categories.iter().map(move |c| (c.to_string(), p.from)))
        .collect();
    for r in &raw.pf_penalty {
        let item = format!("pf_penalty from {}", r.effective_from);
        let (from, to) = span(&item, &r.effective_from, &r.effective_to)?;
        if r.categories.is_empty() {
            return Err(invalid(&item, "categories", "at least one category"));
        }
        for c in &r.categories {
            if !pkeys.insert((c.clone(), from)) {
                return Err(BillingError::Duplicate {
                    kind: "PF penalty start",
                    key: format!("{c} {from}"),
                });
            }
        }
        let threshold = nonneg(&item, "threshold", &r.threshold, 1)?;
        if threshold.is_zero() {
            return Err(invalid(&item, "threshold", "must be in (0, 1]"));
        }
        let formula = match (r.formula.as_str(), &r.percent_per_point) {
            ("percent_per_point", Some(p)) => {
                PfFormula::PercentPerPoint(percent(&item, "percent_per_point", p)?)
            }
            ("percent_per_point", None) => {
                return Err(invalid(
                    &item,
                    "percent_per_point",
                    "required with formula = \"percent_per_point\"",
                ))
            }
            ("ratio", None) => PfFormula::Ratio,
            ("ratio", Some(_)) => {
                return Err(invalid(
                    &item,
                    "percent_per_point",
                    "not used with formula = \"ratio\"",
                ))
            }
            (o, _) => {
                return Err(invalid(
                    &item,
                    "formula",
                    format!("unknown {o:?} (percent_per_point|ratio)"),
                ))
            }
        };
        let mask = base_mask(&item, "base", &r.base)?;
        let allowed = base::ENERGY | base::FIXED | base::MINIMUM_CHARGE;
        if mask == 0 || mask & !allowed != 0 {
            return Err(invalid(
                &item,
                "base",
                "must name lines from energy, fixed, minimum_charge",
            ));
        }
        st.pf.push(PfPenalty {
            ver: tag(format!("PF penalty <{threshold}@{from}"), r.confirmed),
            from,
            to,
            categories: r.categories.iter().map(|c| c.as_str().into()).collect(),
            threshold,
            formula,
            base: mask,
            confirmed: r.confirmed,
            label: unconfirmed(
                format!(
                    "PF penalty <{threshold} {}@{from} ({})",
                    r.formula, r.source
                ),
                r.confirmed,
            ),
        });
    }
    Ok(())
}

fn compile_tariff(item: &str, rt: &RawTariff) -> Result<TariffKind, BillingError> {
    if rt.missing {
        let extra = rt.rate.is_some()
            || rt.peak.is_some()
            || rt.offpeak.is_some()
            || rt.fixed.is_some()
            || !rt.slabs.is_empty();
        if extra {
            return Err(invalid(
                item,
                "missing",
                "a missing tariff must not carry rates",
            ));
        }
        return Ok(TariffKind::Missing);
    }
    let pricing = rt
        .pricing
        .as_deref()
        .ok_or_else(|| invalid(item, "pricing", "required unless missing = true"))?;
    let share = |default: &str| -> Result<Decimal, BillingError> {
        let s = rt.demand_share_of_sl.as_deref().unwrap_or(default);
        let v = nonneg(item, "demand_share_of_sl", s, 1)?;
        Ok(v)
    };
    let fixed = |basis: FixedBasis| -> Result<Option<Decimal>, BillingError> {
        let f = match &rt.fixed {
            Some(f) => Some(nonneg(item, "fixed", f, MAX_FIXED_RS)?),
            None => None,
        };
        if f.is_some() == (basis == FixedBasis::None) {
            return Err(invalid(
                item,
                "fixed",
                "fixed and fixed_basis must be given together",
            ));
        }
        Ok(f)
    };
    match pricing {
        "tou" => {
            let basis = fixed_basis(item, rt.fixed_basis.as_deref(), FixedBasis::None)?;
            let peak = rt
                .peak
                .as_deref()
                .ok_or_else(|| invalid(item, "peak", "required for tou"))?;
            let off = rt
                .offpeak
                .as_deref()
                .ok_or_else(|| invalid(item, "offpeak", "required for tou"))?;
            if rt.rate.is_some() || !rt.slabs.is_empty() {
                return Err(invalid(
                    item,
                    "rate",
                    "tou takes peak/offpeak, not rate/slabs",
                ));
            }
            Ok(TariffKind::Tou(Tou {
                peak: nonneg(item, "peak", peak, MAX_RATE_RS_PER_KWH)?,
                offpeak: nonneg(item, "offpeak", off, MAX_RATE_RS_PER_KWH)?,
                fixed: fixed(basis)?,
                fixed_basis: basis,
                demand_share: share("0")?,
            }))
        }
        "flat" => {
            let basis = fixed_basis(item, rt.fixed_basis.as_deref(), FixedBasis::None)?;
            let rate = rt
                .rate
                .as_deref()
                .ok_or_else(|| invalid(item, "rate", "required for flat"))?;
            if rt.peak.is_some() || rt.offpeak.is_some() || !rt.slabs.is_empty() {
                return Err(invalid(item, "rate", "flat takes rate only"));
            }
            Ok(TariffKind::Flat(Flat {
                rate: nonneg(item, "rate", rate, MAX_RATE_RS_PER_KWH)?,
                fixed: fixed(basis)?,
                fixed_basis: basis,
                demand_share: share("0")?,
            }))
        }
        "residential" => {
            compile_residential(item, rt).map(|r| TariffKind::Residential(Box::new(r)))
        }
        other => Err(invalid(
            item,
            "pricing",
            format!("unknown pricing {other:?} (residential|tou|flat)"),
        )),
    }
}

fn compile_residential(item: &str, rt: &RawTariff) -> Result<Residential, BillingError> {
    let basis = fixed_basis(item, rt.fixed_basis.as_deref(), FixedBasis::None)?;
    if basis == FixedBasis::PerKwBillingDemand {
        return Err(invalid(
            item,
            "fixed_basis",
            "residential slabs use per_kw_sanctioned or per_consumer",
        ));
    }
    let mut bands: [Vec<Slab>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (n, s) in rt.slabs.iter().enumerate() {
        let sitem = format!("{item} slab {}", n + 1);
        let b = match s.band.as_str() {
            "lifeline" => 0,
            "protected" => 1,
            "unprotected" => 2,
            o => return Err(invalid(&sitem, "band", format!("unknown band {o:?}"))),
        };
        let rate = match (&s.rate, s.missing) {
            (Some(r), false) => Some(nonneg(&sitem, "rate", r, MAX_RATE_RS_PER_KWH)?),
            (None, true) => None,
            (Some(_), true) => return Err(invalid(&sitem, "rate", "given with missing = true")),
            (None, false) => return Err(invalid(&sitem, "rate", "required unless missing = true")),
        };
        let fixed = match &s.fixed {
            Some(f) => {
                if basis == FixedBasis::None {
                    return Err(invalid(
                        &sitem,
                        "fixed",
                        "given but tariff fixed_basis is none",
                    ));
                }
                Some(nonneg(&sitem, "fixed", f, MAX_FIXED_RS)?)
            }
            None => None,
        };
        let list = &mut bands[b];
        let expected_from = match list.last() {
            None => 1,
            Some(Slab { to: Some(t), .. }) => t + 1,
            Some(Slab { to: None, .. }) => {
                return Err(invalid(&sitem, "from", "follows an open-ended slab"))
            }
        };
        if s.from != expected_from {
            return Err(invalid(
                &sitem,
                "from",
                format!(
                    "slabs must be contiguous from 1: expected {expected_from}, got {}",
                    s.from
                ),
            ));
        }
        if let Some(t) = s.to {
            if t < s.from || t > MAX_SLAB_KWH {
                return Err(invalid(&sitem, "to", "must be >= from and <= 1e9"));
            }
        }
        list.push(Slab {
            from: s.from,
            to: s.to,
            rate,
            fixed,
        });
    }
    let [lifeline, protected, unprotected] = bands;
    match unprotected.last() {
        None => return Err(invalid(item, "slabs", "an unprotected band is required")),
        Some(s) if s.to.is_some() => {
            return Err(invalid(
                item,
                "slabs",
                "the last unprotected slab must be open-ended",
            ))
        }
        _ => {}
    }
    for (name, list) in [("lifeline", &lifeline), ("protected", &protected)] {
        if list.last().is_some_and(|s| s.to.is_none()) {
            return Err(invalid(
                item,
                "slabs",
                format!("the last {name} slab must be closed"),
            ));
        }
    }
    let unprotected_pricing = match rt.unprotected_pricing.as_deref() {
        None | Some("single_slab") => SlabPricing::SingleSlab,
        Some("one_previous_slab") => SlabPricing::OnePreviousSlab,
        Some(o) => {
            return Err(invalid(
                item,
                "unprotected_pricing",
                format!("unknown {o:?}"),
            ))
        }
    };
    let min = |f: &'static str, v: &Option<String>| -> Result<Option<Decimal>, BillingError> {
        v.as_deref()
            .map(|s| nonneg(item, f, s, MAX_FIXED_RS))
            .transpose()
    };
    let (lifeline_max_load_kw, lifeline_max_kwh, lifeline_history_months) = if lifeline.is_empty() {
        (Decimal::ZERO, 0, 0)
    } else {
        let kw = rt
            .lifeline_max_load_kw
            .as_deref()
            .ok_or_else(|| invalid(item, "lifeline_max_load_kw", "required with lifeline slabs"))?;
        let kwh = rt
            .lifeline_max_kwh
            .ok_or_else(|| invalid(item, "lifeline_max_kwh", "required with lifeline slabs"))?;
        let months = rt.lifeline_history_months.ok_or_else(|| {
            invalid(
                item,
                "lifeline_history_months",
                "required with lifeline slabs",
            )
        })?;
        if months > 12 {
            return Err(invalid(item, "lifeline_history_months", "must be <= 12"));
        }
        (
            nonneg(item, "lifeline_max_load_kw", kw, 1_000)?,
            kwh,
            months,
        )
    };
    let (protected_max_kwh, protected_history_months) = if protected.is_empty() {
        (0, 0)
    } else {
        let kwh = rt
            .protected_max_kwh
            .ok_or_else(|| invalid(item, "protected_max_kwh", "required with protected slabs"))?;
        let months = rt.protected_history_months.ok_or_else(|| {
            invalid(
                item,
                "protected_history_months",
                "required with protected slabs",
            )
        })?;
        if months == 0 || months > 12 {
            return Err(invalid(item, "protected_history_months", "must be 1..=12"));
        }
        (kwh, months)
    };
    Ok(Residential {
        lifeline,
        protected,
        unprotected,
        unprotected_pricing,
        fixed_basis: basis,
        min_1ph: min("minimum_charge_1ph", &rt.minimum_charge_1ph)?,
        min_3ph: min("minimum_charge_3ph", &rt.minimum_charge_3ph)?,
        lifeline_max_load_kw,
        lifeline_max_kwh,
        lifeline_history_months,
        protected_max_kwh,
        protected_history_months,
    })
}
