//! Row types held in memory and persisted in the journal.
//!
//! Money is integer paisa (`*_paisa: i64`) everywhere in storage: exact, 8 bytes, and the
//! SQL layer shows it as NUMERIC(18,2). Conversion from the billing crate's `Decimal` happens
//! once, in [`paisa_from_decimal`], after billing has rounded each line to the paisa.

use crate::FastMap as HashMap;
use std::sync::Arc;

use billing::YearMonth;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Dates persist as days since 0001-01-01 (chrono's serde feature would rebuild DataFusion).
pub(crate) mod date_days {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(d.num_days_from_ce())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let n = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(n)
            .ok_or_else(|| serde::de::Error::custom(format!("day number {n} is out of range")))
    }
}

/// Shared short strings (DISCO, circle, tariff code, ...) persist as plain strings; in memory
/// every consumer of a DISCO points at one interned copy (see `State::apply_consumers`).
pub(crate) mod arc_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        Ok(Arc::from(String::deserialize(d)?))
    }
}

pub(crate) mod opt_arc_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&**v),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<str>>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Arc::from))
    }
}

/// Format version written in every journal frame header. Bump on any change to these types
/// (and keep reading the previous ones: [`crate::legacy`]).
pub const ROW_FORMAT_VERSION: u8 = 3;

/// Versions replay reads: 2 (before `Consumer::meter_digits`) and 3.
pub fn readable_format(version: u8) -> bool {
    (2..=ROW_FORMAT_VERSION).contains(&version)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerStatus {
    Active,
    TempDisconnected,
    PermDisconnected,
}

impl ConsumerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerStatus::Active => "active",
            ConsumerStatus::TempDisconnected => "temp_disconnected",
            ConsumerStatus::PermDisconnected => "perm_disconnected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(ConsumerStatus::Active),
            "temp_disconnected" => Some(ConsumerStatus::TempDisconnected),
            "perm_disconnected" => Some(ConsumerStatus::PermDisconnected),
            _ => None,
        }
    }
}

/// One consumer account of the master file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consumer {
    pub reference: u64,
    pub customer_id: u64,
    pub name: String,
    pub address: String,
    #[serde(with = "arc_str")]
    pub disco: Arc<str>,
    #[serde(with = "arc_str")]
    pub circle: Arc<str>,
    #[serde(with = "arc_str")]
    pub division: Arc<str>,
    pub subdivision: u32,
    pub batch: u8,
    #[serde(with = "arc_str")]
    pub tariff: Arc<str>,
    pub sanctioned_load_kw: Decimal,
    pub phase: u8,
    pub meter_no: String,
    pub multiplying_factor: u32,
    /// Digits of the meter's registers (4..=9): a register wraps past `10^digits - 1`
    /// (KNOWN-CASES B09). `None`: not in the master file (then `max(5, digits of the previous
    /// reading)`).
    pub meter_digits: Option<u8>,
    #[serde(with = "date_days")]
    pub connection_date: NaiveDate,
    pub status: ConsumerStatus,
    #[serde(with = "arc_str")]
    pub owner_type: Arc<str>,
    #[serde(with = "arc_str")]
    pub province: Arc<str>,
    pub tou: bool,
    pub atl: bool,
    pub employee_grade: Option<u8>,
    #[serde(with = "opt_arc_str")]
    pub employee_status: Option<Arc<str>>,
    /// Arrears carried in from the legacy master file when the consumer was loaded.
    pub opening_arrears_paisa: i64,
    /// First bill month of a temporary disconnection (required when `status` is
    /// `TempDisconnected`): fixed and minimum charges are waived for the first months.
    pub disconnected_from: Option<YearMonth>,
    /// Registered for sales tax (has an STRN): no further / extra tax.
    pub strn_registered: bool,
    /// Billed units of earlier months, oldest first (from the master file, then each cycle).
    pub history: Vec<(YearMonth, u64)>,
}

/// One month's meter reading for one consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub reference: u64,
    pub cycle: YearMonth,
    #[serde(with = "date_days")]
    pub reading_date: NaiveDate,
    #[serde(with = "date_days")]
    pub previous_reading_date: NaiveDate,
    pub offpeak_previous: u64,
    pub offpeak_present: u64,
    pub peak_previous: Option<u64>,
    pub peak_present: Option<u64>,
    pub mdi_kw: Option<Decimal>,
    pub power_factor: Option<Decimal>,
    pub reading_code: String,
    /// The meter was replaced in the period (reading code `MR`): the old meter's final and
    /// the new meter's initial registers. `offpeak_previous` / `peak_previous` are the old
    /// meter's, `offpeak_present` / `peak_present` / `mdi_kw` the new meter's.
    pub meter_change: Option<Box<MeterSwap>>,
    /// Units after register rollover and multiplying factor, computed at validation.
    pub offpeak_units: u64,
    pub peak_units: u64,
}

/// The registers of a meter replacement (boxed in [`Reading`]: rare, and 8 bytes when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterSwap {
    pub old_offpeak_final: u64,
    pub old_peak_final: Option<u64>,
    pub old_mdi_kw: Option<Decimal>,
    pub new_offpeak_initial: u64,
    pub new_peak_initial: Option<u64>,
    /// Multiplying factor of the new meter (`None`: same as the old one's, which is the
    /// consumer's current factor).
    pub new_multiplying_factor: Option<u32>,
    /// The old meter's factor, filled in at validation (0 in parsed input).
    pub old_multiplying_factor: u32,
}

/// Reading codes billed provisionally (on an estimate from history): the register was not
/// read, so `present` must equal `previous`.
pub const PROVISIONAL_CODES: &[&str] = &["AVG", "LCK"];

/// One bank payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub reference: u64,
    /// Shared with the store's transaction-id index (one copy of the text).
    #[serde(with = "arc_str")]
    pub transaction_id: Arc<str>,
    pub amount_paisa: i64,
    #[serde(with = "date_days")]
    pub value_date: NaiveDate,
    #[serde(with = "arc_str")]
    pub bank: Arc<str>,
}

/// One computed bill (not journaled: bills are recomputed from their inputs on replay).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BillRow {
    pub reference: u64,
    pub consumer_idx: u32,
    pub cycle: YearMonth,
    /// Tariff code, category and band: ids into the cycle's [`CycleDicts::texts`].
    pub tariff: u16,
    pub category: u16,
    pub band: u16,
    pub units_kwh: u64,
    pub billing_demand_kw: Decimal,
    pub current_bill_paisa: i64,
    pub total_fpa_paisa: i64,
    pub arrears_paisa: i64,
    pub payable_within_due_paisa: i64,
    pub lps_paisa: i64,
    pub payable_after_due_paisa: i64,
    /// The previous bill's LPS included in `arrears_paisa` (it was not paid by its due date).
    pub lps_in_arrears_paisa: i64,
    /// Tariff differential subsidy: NEPRA-determined minus applicable charge (0 when no
    /// determined schedule covers the DISCO/date; `versions` says so).
    pub subsidy_paisa: i64,
    /// Units carried in from the previous bill / forward to the next (long-period scaling).
    pub units_carried_in_kwh: u64,
    pub units_carried_forward_kwh: u64,
    /// Free units credited to an entitled employee on this bill.
    pub employee_free_units_kwh: u64,
    /// [`BILL_PROVISIONAL`], [`BILL_CORRECTED`], [`BILL_METER_CHANGED`], [`BILL_FIXED_WAIVED`],
    /// [`BILL_ACCUMULATED`].
    pub flags: u8,
    /// Sum of the `provisional_adjustment` lines of a corrected bill (negative = credit).
    pub adjustment_paisa: i64,
    /// Sum of the `accumulated_month` lines and how many there are.
    pub accumulated_paisa: i64,
    pub accumulated_months: u8,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Id of the versions text (which schedule / FPA / QTA / tax versions the bill used).
    pub versions: u16,
    /// Index of the first line in the cycle's line vector; lines are contiguous.
    pub first_line: u32,
    pub line_count: u16,
}

/// A provisional (average) bill.
pub const BILL_PROVISIONAL: u8 = 1;
/// The first actual bill after provisional ones, with their correction.
pub const BILL_CORRECTED: u8 = 2;
/// The meter was replaced in the period.
pub const BILL_METER_CHANGED: u8 = 4;
/// Fixed / minimum charges waived (temporary disconnection).
pub const BILL_FIXED_WAIVED: u8 = 8;
/// The reading also covered months no bill was issued for (`accumulated_month` lines).
pub const BILL_ACCUMULATED: u8 = 16;

/// One printed line of a bill, 40 bytes: names, rules and sources are ids into the cycle's
/// dictionaries ([`CycleDicts`]); quantity and rate are kept at 4 decimals, as SQL shows them
/// (the amount, the only money, is exact paisa).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRow {
    pub quantity_e4: i64,
    pub rate_e4: i64,
    pub amount_paisa: i64,
    pub bill_idx: u32,
    pub seq: u16,
    pub line: u16,
    pub rule: u16,
    /// A `u32`: sources can be per bill (a correction's or meter change's own text).
    pub source: u32,
}

/// Decimal -> integer at 4 decimals, half away from zero, saturating (quantities and rates
/// are far below 9.2e14).
pub fn e4_from_decimal(d: Decimal) -> i64 {
    let r = d.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let m = r.mantissa() * 10i128.pow(4u32.saturating_sub(r.scale()));
    i64::try_from(m).unwrap_or(if m > 0 { i64::MAX } else { i64::MIN })
}

/// The distinct short texts of one cycle: line names, rules and sources of its bill lines,
/// and its bills' tariff codes, categories, bands and version lists.
#[derive(Debug, Clone, Default)]
pub struct CycleDicts {
    pub names: Vec<&'static str>,
    pub rules: Vec<&'static str>,
    pub sources: Vec<Arc<str>>,
    pub texts: Vec<Arc<str>>,
}

impl CycleDicts {
    pub fn text(&self, id: u16) -> &str {
        self.texts.get(usize::from(id)).map(|s| &**s).unwrap_or("")
    }
    pub fn name(&self, l: &LineRow) -> &'static str {
        self.names.get(usize::from(l.line)).copied().unwrap_or("")
    }
    pub fn rule(&self, l: &LineRow) -> &'static str {
        self.rules.get(usize::from(l.rule)).copied().unwrap_or("")
    }
    pub fn source(&self, l: &LineRow) -> &str {
        self.sources
            .get(l.source as usize)
            .map(|s| &**s)
            .unwrap_or("")
    }
}

/// Builds [`CycleDicts`] while lines are computed; keys are the strings' addresses (the
/// billing crate hands out `&'static str` and clones of the book's `Arc<str>` labels), so a
/// lookup hashes one word, not the text.
#[derive(Debug, Default)]
pub struct CycleDictBuilder {
    dicts: CycleDicts,
    names: HashMap<(usize, usize), u32>,
    rules: HashMap<(usize, usize), u32>,
    sources: HashMap<(usize, usize), u32>,
    texts: HashMap<Arc<str>, u16>,
}

/// New ids of another builder's entries ([`CycleDictBuilder::absorb`]), by its ids.
pub struct Absorbed {
    pub names: Vec<u16>,
    pub rules: Vec<u16>,
    pub sources: Vec<u32>,
    pub texts: Vec<u16>,
}

/// More distinct names, rules or texts than a `u16` id (sources: a `u32`) can hold in one
/// cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DictFull;

fn intern<T: Clone>(
    map: &mut HashMap<(usize, usize), u32>,
    items: &mut Vec<T>,
    key: (usize, usize),
    item: &T,
    max_id: u32,
) -> Result<u32, DictFull> {
    if let Some(&id) = map.get(&key) {
        return Ok(id);
    }
    let id = u32::try_from(items.len())
        .ok()
        .filter(|id| *id <= max_id)
        .ok_or(DictFull)?;
    items.push(item.clone());
    map.insert(key, id);
    Ok(id)
}

impl CycleDictBuilder {
    pub fn name(&mut self, s: &'static str) -> Result<u16, DictFull> {
        intern(
            &mut self.names,
            &mut self.dicts.names,
            (s.as_ptr() as usize, s.len()),
            &s,
            u32::from(u16::MAX),
        )
        .map(|id| id as u16)
    }
    pub fn rule(&mut self, s: &'static str) -> Result<u16, DictFull> {
        intern(
            &mut self.rules,
            &mut self.dicts.rules,
            (s.as_ptr() as usize, s.len()),
            &s,
            u32::from(u16::MAX),
        )
        .map(|id| id as u16)
    }
    pub fn source(&mut self, s: &Arc<str>) -> Result<u32, DictFull> {
        let key = (Arc::as_ptr(s) as *const u8 as usize, s.len());
        intern(&mut self.sources, &mut self.dicts.sources, key, s, u32::MAX)
    }
    /// A bill's text (keyed by content: bands and version lists are built per bill).
    pub fn text(&mut self, s: &str) -> Result<u16, DictFull> {
        if let Some(&id) = self.texts.get(s) {
            return Ok(id);
        }
        let id = u16::try_from(self.dicts.texts.len()).map_err(|_| DictFull)?;
        let a: Arc<str> = Arc::from(s);
        self.dicts.texts.push(a.clone());
        self.texts.insert(a, id);
        Ok(id)
    }
    /// Ids of `other`'s entries in this builder (adding the ones it lacks): `[names, rules,
    /// sources, texts]`, indexed by `other`'s ids.
    pub fn absorb(&mut self, other: &CycleDicts) -> Result<Absorbed, DictFull> {
        let names = other
            .names
            .iter()
            .map(|s| self.name(s))
            .collect::<Result<_, _>>()?;
        let rules = other
            .rules
            .iter()
            .map(|s| self.rule(s))
            .collect::<Result<_, _>>()?;
        let sources = other
            .sources
            .iter()
            .map(|s| self.source(s))
            .collect::<Result<_, _>>()?;
        let texts = other
            .texts
            .iter()
            .map(|s| self.text(s))
            .collect::<Result<_, _>>()?;
        Ok(Absorbed {
            names,
            rules,
            sources,
            texts,
        })
    }
    pub fn finish(self) -> CycleDicts {
        self.dicts
    }
}

/// A consumer whose bill could not be computed (e.g. a category with no notified rate).
#[derive(Debug, Clone, PartialEq)]
pub struct BillRefusal {
    pub reference: u64,
    pub tariff: String,
    pub reason: String,
}

/// Largest single amount accepted anywhere (Rs 100 billion): bounds every sum so balance
/// arithmetic can never overflow i64.
pub const MAX_AMOUNT_PAISA: i64 = 10_000_000_000_000;

/// Reading codes a meter reader may record (legacy PITC remarks): OK, defective, round
/// complete (register rollover), meter replaced, reconnected, disconnected, premises locked,
/// average (estimated).
pub const READING_CODES: &[&str] = &["OK", "DEF", "RC", "MR", "RCN", "DC", "LCK", "AVG"];

/// `d` in paisa if it is within +-[`MAX_AMOUNT_PAISA`] and has at most 2 decimals.
pub fn checked_paisa(d: Decimal) -> Option<i64> {
    let n = d.normalize();
    if n.scale() > 2 {
        return None;
    }
    let m = n.mantissa().checked_mul(10i128.pow(2 - n.scale()))?;
    let p = i64::try_from(m).ok()?;
    (p.abs() <= MAX_AMOUNT_PAISA).then_some(p)
}

/// Exact conversion of a paisa-rounded amount; values with more than 2 decimals are rounded
/// half away from zero (the billing crate has already rounded, so this never changes a value).
pub fn paisa_from_decimal(d: Decimal) -> i64 {
    let r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let m = r.mantissa() * 10i128.pow(2u32.saturating_sub(r.scale()));
    i64::try_from(m).unwrap_or(if m > 0 { i64::MAX } else { i64::MIN })
}

pub fn decimal_from_paisa(p: i64) -> Decimal {
    Decimal::new(p, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn paisa_round_trip() {
        for s in ["0", "1.5", "-2.25", "2119.98", "10.19", "123456789.01"] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(decimal_from_paisa(paisa_from_decimal(d)), d);
        }
        assert_eq!(paisa_from_decimal(Decimal::from_str("0.005").unwrap()), 1);
        assert_eq!(paisa_from_decimal(Decimal::from_str("-0.005").unwrap()), -1);
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Row sizes are part of the memory budget (ARCHITECTURE.md): 7 M consumers with a billed
    /// cycle must fit in 24 GB. Growing a row type is a decision, not an accident.
    #[test]
    fn row_sizes_stay_within_budget() {
        let sizes = [
            ("Consumer", std::mem::size_of::<Consumer>()),
            ("Reading", std::mem::size_of::<Reading>()),
            ("Payment", std::mem::size_of::<Payment>()),
            ("BillRow", std::mem::size_of::<BillRow>()),
            ("LineRow", std::mem::size_of::<LineRow>()),
        ];
        eprintln!("{sizes:?}");
        assert_eq!(std::mem::size_of::<LineRow>(), 40);
    }
}
