//! Row types held in memory and persisted in the journal.
//!
//! Money is integer paisa (`*_paisa: i64`) everywhere in storage: exact, 8 bytes, and the
//! SQL layer shows it as NUMERIC(18,2). Conversion from the billing crate's `Decimal` happens
//! once, in [`paisa_from_decimal`], after billing has rounded each line to the paisa.

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

/// Format version written in every journal frame header. Bump on any change to these types.
pub const ROW_FORMAT_VERSION: u8 = 1;

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
    pub disco: String,
    pub circle: String,
    pub division: String,
    pub subdivision: u32,
    pub batch: u8,
    pub tariff: String,
    pub sanctioned_load_kw: Decimal,
    pub phase: u8,
    pub meter_no: String,
    pub multiplying_factor: u32,
    #[serde(with = "date_days")]
    pub connection_date: NaiveDate,
    pub status: ConsumerStatus,
    pub owner_type: String,
    pub province: String,
    pub tou: bool,
    pub atl: bool,
    pub employee_grade: Option<u8>,
    pub employee_status: Option<String>,
    /// Arrears carried in from the legacy master file when the consumer was loaded.
    pub opening_arrears_paisa: i64,
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
    /// Units after register rollover and multiplying factor, computed at validation.
    pub offpeak_units: u64,
    pub peak_units: u64,
}

/// One bank payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub reference: u64,
    pub transaction_id: String,
    pub amount_paisa: i64,
    #[serde(with = "date_days")]
    pub value_date: NaiveDate,
    pub bank: String,
}

/// One computed bill (not journaled: bills are recomputed from their inputs on replay).
#[derive(Debug, Clone, PartialEq)]
pub struct BillRow {
    pub reference: u64,
    pub consumer_idx: u32,
    pub cycle: YearMonth,
    pub tariff: Arc<str>,
    pub category: Arc<str>,
    pub band: Arc<str>,
    pub units_kwh: u64,
    pub billing_demand_kw: Decimal,
    pub current_bill_paisa: i64,
    pub total_fpa_paisa: i64,
    pub arrears_paisa: i64,
    pub payable_within_due_paisa: i64,
    pub lps_paisa: i64,
    pub payable_after_due_paisa: i64,
    /// Tariff differential subsidy: NEPRA-determined minus applicable charge (0 when no
    /// determined schedule covers the DISCO/date; `versions` says so).
    pub subsidy_paisa: i64,
    /// Units carried in from the previous bill / forward to the next (long-period scaling).
    pub units_carried_in_kwh: u64,
    pub units_carried_forward_kwh: u64,
    /// Free units credited to an entitled employee on this bill.
    pub employee_free_units_kwh: u64,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub versions: Arc<str>,
    /// Index of the first line in the cycle's line vector; lines are contiguous.
    pub first_line: u32,
    pub line_count: u16,
}

/// One printed line of a bill.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRow {
    pub bill_idx: u32,
    pub seq: u16,
    pub line: &'static str,
    pub quantity: Decimal,
    pub rate: Decimal,
    pub amount_paisa: i64,
    pub rule: &'static str,
    pub source: Arc<str>,
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
