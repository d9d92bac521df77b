//! The in-memory store and its write path.
//!
//! Every write follows one order, under the state's write lock:
//! validate the whole batch (all-or-nothing) -> encode the journal record -> apply it to
//! memory -> enqueue the frame to the group committer -> release the lock -> wait until the
//! frame is durable -> acknowledge. Enqueueing under the lock makes journal order equal apply
//! order, so replay rebuilds exactly the same state. A reader may see a batch up to one group
//! commit (one fdatasync) before it is acknowledged; if the sync fails the store refuses all
//! further writes (memory would be ahead of disk) and the server must be restarted.

use std::collections::BTreeMap;

use crate::{FastMap as HashMap, FastSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use billing::periods::{
    compute_catch_up, compute_provisional, month_spans, EarlierMonth, ProvisionalBilled,
    MAX_SPAN_MONTHS,
};
use billing::{
    compute_bill_full, register_advance_of, Bill, BillExtras, BillInput, BillingError,
    ReadingFacts, TariffBook, YearMonth,
};
use chrono::NaiveDate;
use parking_lot::{RwLock, RwLockReadGuard};
use serde::{Deserialize, Serialize};

use crate::error::{RowError, StorageError};
use crate::inputs::{previous_payable, CycleRun, Prepared};
use crate::journal::{Committer, FileJournal, Log, ReplayStats, SledLog};
use crate::plans::{BillInstallment, Grant, InstallmentPlan, Plans};
use crate::rows::*;

/// Rows per sealed chunk. Sealed chunks never change, so the SQL layer converts each one to
/// its columnar form once and shares it between queries.
pub const CHUNK_ROWS: usize = 65_536;
/// Typical printed lines per bill, to size the cycle's line vector.
const LINES_PER_BILL_HINT: usize = 10;
/// Most rejected rows reported back for one batch.
pub const MAX_REPORTED_ROW_ERRORS: usize = 100;
/// A reading is implausible above this many times the energy of the consumer's load (the
/// larger of sanctioned load and MDI) drawn all day every day of the period: a typing error, an
/// unrecorded meter change or a register misread, refused before it becomes a bill.
pub const PLAUSIBLE_LOAD_FACTOR: u64 = 3;

/// An append-only table split into immutable chunks plus a growing tail.
#[derive(Debug)]
pub struct Table<T> {
    sealed: Vec<Arc<Vec<T>>>,
    tail: Vec<T>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            sealed: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T> Table<T> {
    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK_ROWS + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn push(&mut self, row: T) {
        self.tail.push(row);
        if self.tail.len() == CHUNK_ROWS {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK_ROWS));
            self.sealed.push(Arc::new(full));
        }
    }
    pub fn get(&self, i: usize) -> Option<&T> {
        let c = i / CHUNK_ROWS;
        if c < self.sealed.len() {
            self.sealed[c].get(i % CHUNK_ROWS)
        } else {
            self.tail.get(i - self.sealed.len() * CHUNK_ROWS)
        }
    }
    /// Immutable chunks (shareable) and the current tail (copy it under the read lock).
    pub fn chunks(&self) -> (&[Arc<Vec<T>>], &[T]) {
        (&self.sealed, &self.tail)
    }
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.sealed
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }
}

/// Per-consumer state that changes after load.
#[derive(Debug, Clone, Default)]
pub struct ConsumerDyn {
    pub balance_paisa: i64,
    /// Units billed by Bijli, per cycle (oldest first).
    pub billed: Vec<(YearMonth, u64)>,
    /// Units the last bill carried forward (long reading period) into the next one.
    pub carried_kwh: u64,
    /// Employee free units used in a fiscal year: (year the FY starts in July, units).
    pub fy_free_used: (i32, u64),
    /// Multiplying factor of the meter installed by the last meter change (`None`: the
    /// master file's).
    pub multiplying_factor: Option<u32>,
    /// Index of the consumer's latest reading.
    pub last_reading: Option<u32>,
    /// The reading before the latest one was an estimate (`AVG` / `LCK`): the latest reading
    /// may cover earlier months even over a short period.
    pub after_estimate: bool,
    /// Installment plans granted (`CALL grant_installments`); `None` for most consumers.
    pub plans: Option<Box<Plans>>,
}

/// Pakistan's fiscal year runs July to June; the year it starts in.
pub(crate) fn fiscal_year(cycle: YearMonth) -> i32 {
    if cycle.month >= 7 {
        cycle.year
    } else {
        cycle.year - 1
    }
}

/// The bills of one billing cycle of one DISCO: immutable once installed.
#[derive(Debug)]
pub struct CycleBills {
    pub disco: String,
    pub cycle: YearMonth,
    pub issue_date: NaiveDate,
    pub bills: Vec<BillRow>,
    pub lines: Vec<LineRow>,
    /// The texts bills' and lines' ids point at.
    pub dicts: CycleDicts,
    pub refusals: Vec<BillRefusal>,
    /// Corrected bills (first actual reading after provisional ones): per reference, the
    /// actual units of each corrected month and this one, which replace the estimates in the
    /// consumer's billed history.
    pub corrected: Vec<(u64, Vec<(YearMonth, u64)>)>,
    pub by_reference: HashMap<u64, u32>,
    pub summary: CycleSummary,
    /// Per bill (same index): the previous run's payable within due date for that reference
    /// when this run re-billed the cycle (`None`: no previous bill for it); empty on a first
    /// run. SQL `bills.previous_payable_within_due` and `difference`.
    pub previous_payable_within_due_paisa: Vec<Option<i64>>,
    /// The bills that carry an installment of a plan, by bill index (few: kept aside).
    pub installments: HashMap<u32, BillInstallment>,
    /// Each bill's tariff differential subsidy per line (determined - applicable on `energy`,
    /// `fixed`, `minimum_charge`, and `earlier_months` of a catch-up bill): (bill index, line
    /// name id in `dicts`, paisa), non-zero ones only, in bill order. Empty unless a
    /// NEPRA-determined schedule covers the cycle.
    pub subsidy_lines: Vec<(u32, u16, i64)>,
    /// Payments posted when the cycle was first computed (`State::payments` indexes below
    /// it were in the bills' arrears): a later payment valued by a bill's due date pays it
    /// (`CycleRun::lps_owed`). A re-run keeps its first run's mark, as it keeps its arrears.
    pub payments_mark: u32,
}

impl CycleBills {
    /// What bill `i` carries of an installment plan, if anything.
    pub fn installment(&self, i: u32) -> Option<&BillInstallment> {
        if self.installments.is_empty() {
            return None;
        }
        self.installments.get(&i)
    }

    /// Installment and markup of bill `i` (in its payable, outside its current bill).
    fn installment_paisa(&self, i: u32) -> i64 {
        self.installment(i)
            .map(|x| x.installment_paisa.saturating_add(x.markup_paisa))
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryTotal {
    pub category: String,
    pub bills: u64,
    pub units_kwh: u64,
    pub payable_paisa: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleSummary {
    pub disco: String,
    pub cycle: String,
    pub bills: u64,
    pub refused: u64,
    pub without_reading: u64,
    pub units_kwh: u64,
    pub payable_paisa: i64,
    pub by_category: Vec<CategoryTotal>,
    pub elapsed_ms: u64,
}

/// Days after the latest bill's issue date a grant of installments may be dated.
pub const GRANT_WINDOW_DAYS: i64 = 31;

/// What `CALL grant_installments` did.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantSummary {
    pub grant: Grant,
    /// Stays in the balance: due with the latest bill, by `first_due_date`.
    pub first_installment_paisa: i64,
    /// Left the balance: billed as installments 2..n on the next bills.
    pub deferred_paisa: i64,
    pub first_due_date: Option<NaiveDate>,
    pub markup_percent_per_year: rust_decimal::Decimal,
    pub source: String,
}

/// What a payment batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentSummary {
    pub posted: usize,
    /// Re-sent payments (same transaction id, same details) skipped without double-posting.
    pub duplicates: usize,
}

/// A journal record: every state change is one of these.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Record {
    Consumers(Vec<Consumer>),
    Readings(Vec<Reading>),
    Payments(Vec<Payment>),
    Tariff {
        name: String,
        text: String,
    },
    BillCycle {
        disco: String,
        cycle: YearMonth,
        #[serde(with = "crate::rows::date_days")]
        issue_date: NaiveDate,
    },
    /// `CALL grant_installments`, resolved.
    GrantInstallments(Grant),
}

/// A loaded operator tariff file (kept so the `tariffs` table and restarts show it).
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub name: String,
    pub bytes: usize,
    /// The file as loaded (`CALL simulate_tariff` accepts a loaded file's name).
    pub text: Arc<str>,
}

/// Everything in memory.
pub struct State {
    pub book: TariffBook,
    pub tariff_files: Vec<LoadedFile>,
    pub consumers: Table<Consumer>,
    /// One shared copy of each short master-file string (DISCO, circle, tariff, ...).
    strings: SharedStrings,
    pub consumer_dyn: Vec<ConsumerDyn>,
    pub consumer_by_ref: HashMap<u64, u32>,
    pub readings: Table<Reading>,
    pub reading_by_key: HashMap<(u32, YearMonth), u32>,
    pub payments: Table<Payment>,
    pub payment_by_txn: HashMap<Arc<str>, u32>,
    pub payments_by_ref: HashMap<u64, Vec<u32>>,
    /// Bills by (DISCO, cycle).
    pub cycles: BTreeMap<(String, YearMonth), Arc<CycleBills>>,
    /// Bumped on every applied record: lets caches know nothing changed.
    pub version: u64,
}

impl State {
    fn new(book: TariffBook) -> Self {
        State {
            book,
            tariff_files: Vec::new(),
            consumers: Table::default(),
            strings: SharedStrings::default(),
            consumer_dyn: Vec::new(),
            consumer_by_ref: HashMap::default(),
            readings: Table::default(),
            reading_by_key: HashMap::default(),
            payments: Table::default(),
            payment_by_txn: HashMap::default(),
            payments_by_ref: HashMap::default(),
            cycles: BTreeMap::new(),
            version: 0,
        }
    }

    pub fn consumer(&self, reference: u64) -> Option<(u32, &Consumer)> {
        let idx = *self.consumer_by_ref.get(&reference)?;
        Some((idx, self.consumers.get(idx as usize)?))
    }

    /// Readings whose consumer is this reference.
    pub fn readings_of(&self, reference: u64) -> Vec<u32> {
        let Some((idx, _)) = self.consumer(reference) else {
            return Vec::new();
        };
        let mut v: Vec<u32> = self
            .reading_by_key
            .iter()
            .filter(|((c, _), _)| *c == idx)
            .map(|(_, r)| *r)
            .collect();
        v.sort_unstable();
        v
    }

    // ---- validation (no mutation) ----

    fn validate_consumers(&self, rows: &[Consumer]) -> Result<(), StorageError> {
        let mut errs = Vec::new();
        let mut seen = FastSet::with_capacity_and_hasher(rows.len(), Default::default());
        for (i, c) in rows.iter().enumerate() {
            let mut err = |column, reason: String, sqlstate| {
                if errs.len() < MAX_REPORTED_ROW_ERRORS {
                    errs.push(RowError {
                        row: i,
                        column,
                        reason,
                        sqlstate,
                    })
                }
            };
            if self.consumer_by_ref.contains_key(&c.reference) || !seen.insert(c.reference) {
                err(
                    "reference",
                    format!("duplicate reference {:014}", c.reference),
                    "23505",
                );
            }
            match self.book.disco(&c.disco) {
                None => err(
                    "disco",
                    format!(
                        "unknown DISCO {:?} (known: {})",
                        c.disco.chars().take(32).collect::<String>(),
                        self.book
                            .discos()
                            .iter()
                            .map(|d| &*d.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "23503",
                ),
                Some(d) if !d.provinces.iter().any(|p| **p == *c.province) => err(
                    "province",
                    format!(
                        "{} serves {}, not {:?}",
                        d.name,
                        d.provinces
                            .iter()
                            .map(|p| &**p)
                            .collect::<Vec<_>>()
                            .join(", "),
                        c.province.chars().take(32).collect::<String>()
                    ),
                    "22023",
                ),
                Some(_) => {}
            }
            if self.book.category_of(&c.tariff).is_none() {
                err(
                    "tariff",
                    format!("unknown tariff code {:?}", c.tariff),
                    "22023",
                );
            }
            if c.sanctioned_load_kw.is_sign_negative() {
                err(
                    "sanctioned_load_kw",
                    "sanctioned load cannot be negative".into(),
                    "22003",
                );
            } else if c.sanctioned_load_kw > rust_decimal::Decimal::from(billing::MAX_LOAD_KW) {
                err(
                    "sanctioned_load_kw",
                    format!(
                        "numeric field overflow: sanctioned load above {} kW",
                        billing::MAX_LOAD_KW
                    ),
                    "22003",
                );
            }
            // The TOU flag is the tariff's metering: a contradiction could never be billed.
            if let Some(tou) = self.book.is_tou(&c.tariff) {
                if tou != c.tou {
                    err(
                        "tou",
                        format!(
                            "tariff {} is {} metered: tou must be {}",
                            c.tariff,
                            if tou {
                                "TOU (peak / off-peak)"
                            } else {
                                "not TOU"
                            },
                            if tou { "true" } else { "false" }
                        ),
                        "22023",
                    );
                }
            }
            match (c.employee_grade, c.employee_status.as_deref()) {
                (Some(g), _) if !self.book.employee_grade_known(g) => err(
                    "employee_grade",
                    format!("no BPS grade {g} in the employee free-units table"),
                    "22023",
                ),
                (Some(_), None) => err(
                    "employee_status",
                    "an employee (employee_grade given) needs employee_status".into(),
                    "23502",
                ),
                (None, Some(_)) => err(
                    "employee_grade",
                    "employee_status given without employee_grade".into(),
                    "23502",
                ),
                (_, Some(s)) if billing::ServiceStatus::parse(s).is_none() => err(
                    "employee_status",
                    format!(
                        "unknown employee status {:?} (known: {})",
                        s.chars().take(32).collect::<String>(),
                        billing::ServiceStatus::NAMES.join(", ")
                    ),
                    "22023",
                ),
                _ => {}
            }
            if c.opening_arrears_paisa.abs() > MAX_AMOUNT_PAISA {
                err(
                    "arrears",
                    "numeric field overflow: arrears exceed Rs 100 billion".into(),
                    "22003",
                );
            }
            if c.phase != 1 && c.phase != 3 {
                err(
                    "phase",
                    format!("phase must be 1 or 3, got {}", c.phase),
                    "22023",
                );
            }
            if let Some(d) = c.meter_digits {
                if !(4..=9).contains(&d) {
                    err(
                        "meter_digits",
                        format!("a meter register has 4 to 9 digits, got {d}"),
                        "22023",
                    );
                }
            }
            if c.multiplying_factor == 0 {
                err(
                    "multiplying_factor",
                    "multiplying factor must be at least 1".into(),
                    "22023",
                );
            }
            if c.status == ConsumerStatus::TempDisconnected && c.disconnected_from.is_none() {
                err(
                    "disconnected_from",
                    "a temp_disconnected consumer needs disconnected_from (YYYY-MM, the first \
                     disconnected bill month)"
                        .into(),
                    "23502",
                );
            }
            if let Some(m) = c.disconnected_from {
                if m.validate().is_err() {
                    err(
                        "disconnected_from",
                        format!("invalid bill month {m}"),
                        "22007",
                    );
                }
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(StorageError::Rows(errs))
        }
    }

    /// Validates readings and fills in their units (rollover and multiplying factor).
    fn validate_readings(&self, rows: &mut [Reading]) -> Result<(), StorageError> {
        let mut errs = Vec::new();
        let mut seen = FastSet::with_capacity_and_hasher(rows.len(), Default::default());
        for (i, r) in rows.iter_mut().enumerate() {
            let mut err = |column, reason: String, sqlstate| {
                if errs.len() < MAX_REPORTED_ROW_ERRORS {
                    errs.push(RowError {
                        row: i,
                        column,
                        reason,
                        sqlstate,
                    })
                }
            };
            let Some((idx, c)) = self.consumer(r.reference) else {
                err(
                    "reference",
                    format!("no consumer with reference {:014}", r.reference),
                    "23503",
                );
                continue;
            };
            if self.reading_by_key.contains_key(&(idx, r.cycle)) {
                err(
                    "cycle",
                    format!(
                        "a reading for {:014} in cycle {} already exists",
                        r.reference, r.cycle
                    ),
                    "23505",
                );
                continue;
            }
            if !seen.insert((idx, r.cycle)) {
                err(
                    "cycle",
                    format!(
                        "reference {:014} has two readings for cycle {} in this COPY",
                        r.reference, r.cycle
                    ),
                    "23505",
                );
                continue;
            }
            // The reading is taken in its cycle month or in the first days of the next one.
            let (lo, hi) = (
                r.cycle.first_day(),
                r.cycle.add_months(1).first_day() + chrono::Duration::days(15),
            );
            if r.reading_date < lo || r.reading_date > hi {
                err(
                    "reading_date",
                    format!(
                        "reading date {} does not belong to cycle {} (expected {lo} .. {hi})",
                        r.reading_date, r.cycle
                    ),
                    "22007",
                );
                continue;
            }
            if r.reading_code.len() > 8 || !READING_CODES.contains(&r.reading_code.as_str()) {
                err(
                    "reading_code",
                    format!(
                        "unknown reading code {:?} (one of {})",
                        r.reading_code.chars().take(16).collect::<String>(),
                        READING_CODES.join(", ")
                    ),
                    "22023",
                );
                continue;
            }
            if !c.tou && (r.peak_previous.is_some() || r.peak_present.is_some()) {
                err(
                    "peak_present",
                    format!(
                        "consumer {:014} is not on a TOU tariff ({}): peak registers must be empty",
                        r.reference, c.tariff
                    ),
                    "22023",
                );
                continue;
            }
            if c.status == ConsumerStatus::PermDisconnected {
                err(
                    "reference",
                    format!(
                        "consumer {:014} is permanently disconnected: it takes no readings",
                        r.reference
                    ),
                    "22023",
                );
                continue;
            }
            // Order: readings follow each other, at most a year apart (a register is never
            // billed twice; a far-future month is a typing error).
            let last = self
                .consumer_dyn
                .get(idx as usize)
                .and_then(|d| d.last_reading)
                .and_then(|j| self.readings.get(j as usize));
            if let Some(last) = last {
                let gap = r.cycle.index() - last.cycle.index();
                if gap <= 0 {
                    err(
                        "cycle",
                        format!(
                            "reading for {} is not after the consumer's last reading ({})",
                            r.cycle, last.cycle
                        ),
                        "22023",
                    );
                    continue;
                }
                if gap > MAX_SPAN_MONTHS as i64 {
                    err(
                        "cycle",
                        format!(
                            "reading for {} is {gap} months after the last reading ({}); at most {MAX_SPAN_MONTHS}",
                            r.cycle, last.cycle
                        ),
                        "22023",
                    );
                    continue;
                }
            }
            // Dates follow too: the period starts at the last actual reading (after an estimate,
            // the date the estimate counted from).
            if let Some(last) = last {
                let expected = if PROVISIONAL_CODES.contains(&last.reading_code.as_str()) {
                    last.previous_reading_date
                } else {
                    last.reading_date
                };
                if r.previous_reading_date != expected {
                    err(
                        "previous_reading_date",
                        format!(
                            "previous reading date {} does not match {expected}, the date of the \
                             last actual reading ({} reading for {})",
                            r.previous_reading_date, last.reading_code, last.cycle
                        ),
                        "22007",
                    );
                    continue;
                }
            }
            // Continuity: this reading's previous register is the last reading's present.
            if let Some(last) = last {
                if last.offpeak_present != r.offpeak_previous {
                    err(
                        "offpeak_previous",
                        format!(
                            "previous reading {} does not match the present reading {} recorded for {}",
                            r.offpeak_previous,
                            last.offpeak_present,
                            last.cycle
                        ),
                        "22023",
                    );
                    continue;
                }
                if last.peak_present != r.peak_previous {
                    let show = |v: Option<u64>| v.map_or("empty".to_string(), |v| v.to_string());
                    err(
                        "peak_previous",
                        format!(
                            "previous peak reading {} does not match the present peak reading {} \
                             recorded for {}",
                            show(r.peak_previous),
                            show(last.peak_present),
                            last.cycle
                        ),
                        if r.peak_previous.is_none() {
                            "23502"
                        } else {
                            "22023"
                        },
                    );
                    continue;
                }
            }
            if r.reading_date < c.connection_date {
                err(
                    "reading_date",
                    format!(
                        "reading date {} is before the connection date {}",
                        r.reading_date, c.connection_date
                    ),
                    "22007",
                );
                continue;
            }
            if r.reading_date < r.previous_reading_date {
                err(
                    "reading_date",
                    "reading date is before the previous reading date".into(),
                    "22007",
                );
                continue;
            }
            let mf_now = self
                .consumer_dyn
                .get(idx as usize)
                .and_then(|d| d.multiplying_factor)
                .unwrap_or(c.multiplying_factor);
            let mf = u64::from(mf_now);
            let code = r.reading_code.as_str();
            if PROVISIONAL_CODES.contains(&code)
                && (r.offpeak_present != r.offpeak_previous || r.peak_present != r.peak_previous)
            {
                err(
                    "offpeak_present",
                    format!(
                        "a {code} reading (not read: billed on an estimate) carries the registers \
                         unchanged (present = previous)"
                    ),
                    "22023",
                );
                continue;
            }
            match (code, r.meter_change.is_some()) {
                ("MR", false) => {
                    err(
                        "new_offpeak_initial",
                        "an MR (meter replaced) reading needs old_offpeak_final and \
                         new_offpeak_initial"
                            .into(),
                        "23502",
                    );
                    continue;
                }
                ("MR", true) | (_, false) => {}
                (_, true) => {
                    err(
                        "reading_code",
                        format!("meter-change registers given on a {code} reading (use MR)"),
                        "22023",
                    );
                    continue;
                }
            }
            if let Some(ms) = r.meter_change.as_mut() {
                ms.old_multiplying_factor = mf_now;
                if ms.new_multiplying_factor == Some(0) {
                    err(
                        "new_multiplying_factor",
                        "multiplying factor must be at least 1".into(),
                        "22023",
                    );
                    continue;
                }
                match meter_swap_units(
                    r.offpeak_previous,
                    r.peak_previous,
                    r.offpeak_present,
                    r.peak_present,
                    r.mdi_kw,
                    ms,
                ) {
                    Ok(mc) => {
                        r.offpeak_units = mc.offpeak_kwh();
                        r.peak_units = mc.peak_kwh();
                    }
                    Err(e) => {
                        err("new_offpeak_initial", e.to_string(), "22023");
                        continue;
                    }
                }
            } else {
                let digits = c.meter_digits.map(u32::from);
                let shown = |v: u64| digits.is_none_or(|d| v < 10u64.pow(d));
                let width = |d: Option<u32>| {
                    d.map(|d| format!(" on a {d}-digit register"))
                        .unwrap_or_default()
                };
                match register_advance_of(r.offpeak_previous, r.offpeak_present, digits) {
                    Some(d) => r.offpeak_units = d.saturating_mul(mf),
                    None if !shown(r.offpeak_present) || !shown(r.offpeak_previous) => {
                        err(
                            "offpeak_present",
                            format!(
                                "reading {} -> {} does not fit the meter's {}-digit register",
                                r.offpeak_previous,
                                r.offpeak_present,
                                digits.unwrap_or(0)
                            ),
                            "22023",
                        );
                        continue;
                    }
                    None => {
                        err(
                        "offpeak_present",
                        format!(
                            "present reading {} is below previous reading {} and is not a register rollover{}",
                            r.offpeak_present, r.offpeak_previous, width(digits)
                        ),
                        "22023",
                    );
                        continue;
                    }
                }
                match (r.peak_previous, r.peak_present) {
                (Some(p), Some(q)) => match register_advance_of(p, q, digits) {
                    Some(d) => r.peak_units = d.saturating_mul(mf),
                    None => err(
                        "peak_present",
                        format!(
                            "present peak reading {q} after {p} is not an advance or a register rollover{}",
                            width(digits)
                        ),
                        "22023",
                    ),
                },
                (None, None) => {
                    r.peak_units = 0;
                    if c.tou {
                        err(
                            "peak_present",
                            format!("consumer {:014} is billed on TOU: peak registers are required", r.reference),
                            "23502",
                        );
                    }
                }
                _ => err(
                    "peak_present",
                    "peak_previous and peak_present must both be given or both be empty".into(),
                    "22023",
                ),
            }
            }
            if r.offpeak_units.saturating_add(r.peak_units) > billing::bill::MAX_UNITS_KWH {
                err(
                    "offpeak_present",
                    format!(
                        "{} units in one cycle exceeds the plausibility limit of {}",
                        r.offpeak_units.saturating_add(r.peak_units),
                        billing::bill::MAX_UNITS_KWH
                    ),
                    "22003",
                );
                continue;
            }
            if let Some(m) = r.mdi_kw {
                if m.is_sign_negative() {
                    err("mdi_kw", "MDI cannot be negative".into(), "22003");
                    continue;
                }
            }
            // Plausibility against the load: units <= factor x load kW x 24 h x days.
            let load = c
                .sanctioned_load_kw
                .max(r.mdi_kw.unwrap_or_default())
                .ceil();
            let load_kw = u64::try_from(load.mantissa() / 10i128.pow(load.scale())).unwrap_or(0);
            let days = (r.reading_date - r.previous_reading_date).num_days().max(1) as u64;
            let limit = PLAUSIBLE_LOAD_FACTOR
                .saturating_mul(load_kw)
                .saturating_mul(24)
                .saturating_mul(days);
            let units = r.offpeak_units.saturating_add(r.peak_units);
            if load_kw > 0 && units > limit {
                err(
                    "offpeak_present",
                    format!(
                        "implausible reading: {units} kWh in {days} days is more than \
                         {PLAUSIBLE_LOAD_FACTOR} x the load ({load} kW) x 24 h x {days} days = \
                         {limit} kWh; check the registers (or record the meter change)"
                    ),
                    "22023",
                );
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(StorageError::Rows(errs))
        }
    }

    /// Validates payments; returns which rows are re-sent duplicates to skip.
    fn validate_payments(&self, rows: &[Payment]) -> Result<Vec<bool>, StorageError> {
        let mut errs = Vec::new();
        let mut dup = vec![false; rows.len()];
        let mut in_batch: HashMap<&str, usize> = HashMap::default();
        for (i, p) in rows.iter().enumerate() {
            let mut err = |column, reason: String, sqlstate| {
                if errs.len() < MAX_REPORTED_ROW_ERRORS {
                    errs.push(RowError {
                        row: i,
                        column,
                        reason,
                        sqlstate,
                    })
                }
            };
            if !self.consumer_by_ref.contains_key(&p.reference) {
                err(
                    "reference",
                    format!("no consumer with reference {:014}", p.reference),
                    "23503",
                );
                continue;
            }
            if p.amount_paisa > MAX_AMOUNT_PAISA {
                err(
                    "amount",
                    format!(
                        "numeric field overflow: payment {} exceeds the limit of Rs {}",
                        decimal_from_paisa(p.amount_paisa),
                        decimal_from_paisa(MAX_AMOUNT_PAISA)
                    ),
                    "22003",
                );
                continue;
            }
            if p.amount_paisa <= 0 {
                err(
                    "amount",
                    format!(
                        "payment amount must be positive, got {}",
                        decimal_from_paisa(p.amount_paisa)
                    ),
                    "22003",
                );
                continue;
            }
            if p.transaction_id.trim().is_empty() {
                err("transaction_id", "transaction id is empty".into(), "23502");
                continue;
            }
            let earlier = self
                .payment_by_txn
                .get(&p.transaction_id)
                .and_then(|&j| self.payments.get(j as usize))
                .or_else(|| in_batch.get(&*p.transaction_id).map(|&j| &rows[j]));
            match earlier {
                Some(e) if e == p => dup[i] = true,
                Some(_) => err(
                    "transaction_id",
                    format!(
                        "transaction {} was already posted with different details",
                        p.transaction_id
                    ),
                    "23505",
                ),
                None => {
                    in_batch.insert(&*p.transaction_id, i);
                }
            }
        }
        if errs.is_empty() {
            Ok(dup)
        } else {
            Err(StorageError::Rows(errs))
        }
    }

    // ---- apply (mutation; infallible for validated input) ----

    fn apply_consumers(&mut self, rows: Vec<Consumer>) {
        for mut c in rows {
            let strings = &mut self.strings;
            for f in [
                &mut c.disco,
                &mut c.circle,
                &mut c.division,
                &mut c.tariff,
                &mut c.owner_type,
                &mut c.province,
            ] {
                *f = strings.share(f);
            }
            if let Some(st) = c.employee_status.as_mut() {
                *st = strings.share(st);
            }
            let idx = self.consumers.len() as u32;
            self.consumer_by_ref.insert(c.reference, idx);
            self.consumer_dyn.push(ConsumerDyn {
                balance_paisa: c.opening_arrears_paisa,
                ..ConsumerDyn::default()
            });
            self.consumers.push(c);
        }
    }

    fn apply_readings(&mut self, rows: Vec<Reading>) {
        for r in rows {
            if let Some(&idx) = self.consumer_by_ref.get(&r.reference) {
                if let Some(mf) = r
                    .meter_change
                    .as_ref()
                    .and_then(|m| m.new_multiplying_factor)
                {
                    if let Some(d) = self.consumer_dyn.get_mut(idx as usize) {
                        d.multiplying_factor = Some(mf);
                    }
                }
                let ri = self.readings.len() as u32;
                if let Some(d) = self.consumer_dyn.get_mut(idx as usize) {
                    let later = d
                        .last_reading
                        .and_then(|j| self.readings.get(j as usize))
                        .is_none_or(|l| l.cycle < r.cycle);
                    if later {
                        d.after_estimate = d
                            .last_reading
                            .and_then(|j| self.readings.get(j as usize))
                            .is_some_and(|l| PROVISIONAL_CODES.contains(&l.reading_code.as_str()));
                        d.last_reading = Some(ri);
                    }
                }
                self.reading_by_key.insert((idx, r.cycle), ri);
                self.readings.push(r);
            }
        }
    }

    fn apply_payments(&mut self, rows: Vec<Payment>, dup: &[bool]) -> PaymentSummary {
        let mut s = PaymentSummary::default();
        for (mut p, d) in rows.into_iter().zip(dup) {
            p.bank = self.strings.share(&p.bank);
            if *d || self.payment_by_txn.contains_key(&p.transaction_id) {
                s.duplicates += 1;
                continue;
            }
            let pi = self.payments.len() as u32;
            if let Some(&idx) = self.consumer_by_ref.get(&p.reference) {
                if let Some(cd) = self.consumer_dyn.get_mut(idx as usize) {
                    cd.balance_paisa = cd.balance_paisa.saturating_sub(p.amount_paisa);
                }
            }
            self.payment_by_txn.insert(p.transaction_id.clone(), pi);
            self.payments_by_ref
                .entry(p.reference)
                .or_default()
                .push(pi);
            self.payments.push(p);
            s.posted += 1;
        }
        s
    }

    /// The DISCO's billed months just before `cycle`, newest first, as far back as they run
    /// unbroken (provisional bills are corrected from them).
    pub(crate) fn priors(
        &self,
        disco: &str,
        cycle: YearMonth,
    ) -> Vec<(YearMonth, Arc<CycleBills>)> {
        (1..=MAX_SPAN_MONTHS as i32)
            .map(|k| cycle.add_months(-k))
            .map_while(|m| {
                self.cycles
                    .get(&(disco.to_string(), m))
                    .map(|cb| (m, cb.clone()))
            })
            .collect()
    }

    /// Computes every bill of the cycle (in parallel) without mutating anything.
    fn compute_cycle(
        &self,
        disco: &str,
        cycle: YearMonth,
        issue_date: NaiveDate,
    ) -> Result<CycleBills, StorageError> {
        let started = Instant::now();
        let previous = self.cycles.get(&(disco.to_string(), cycle)).cloned();
        let priors = self.priors(disco, cycle);
        let priors = &priors;
        let n = self.consumers.len();
        let threads = std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
            .clamp(1, 16);
        let per = n.div_ceil(threads.max(1)).max(1);
        struct Part {
            bills: Vec<BillRow>,
            lines: Vec<LineRow>,
            dict: CycleDictBuilder,
            dict_full: bool,
            corrected: Vec<(u64, Vec<(YearMonth, u64)>)>,
            refusals: Vec<BillRefusal>,
            without_reading: u64,
            installments: Vec<(u32, BillInstallment)>,
            subsidy: Vec<(u32, u16, i64)>,
        }
        let run = CycleRun {
            st: self,
            book: &self.book,
            disco,
            cycle,
            issue_date,
            previous: previous.as_deref(),
            last_month: priors
                .first()
                .filter(|(m, _)| *m == cycle.add_months(-1))
                .map(|(_, cb)| &**cb),
        };
        let run = &run;
        let parts: Vec<Part> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let lo = (t * per).min(n);
                    let hi = ((t + 1) * per).min(n);
                    s.spawn(move || {
                        // Reserve up front: growing a multi-GB line vector by doubling
                        // costs more than computing the bills.
                        let mut part = Part {
                            bills: Vec::with_capacity(hi - lo),
                            lines: Vec::with_capacity((hi - lo) * LINES_PER_BILL_HINT),
                            dict: CycleDictBuilder::default(),
                            dict_full: false,
                            corrected: Vec::new(),
                            refusals: Vec::new(),
                            without_reading: 0,
                            installments: Vec::new(),
                            subsidy: Vec::new(),
                        };
                        let mut history: Vec<(YearMonth, u64)> = Vec::with_capacity(24);
                        for idx in lo..hi {
                            let (c, r, input, extras, lps_in_arrears_paisa, plan) =
                                match run.prepare(idx, &mut history) {
                                    Prepared::Skip => continue,
                                    Prepared::NoReading => {
                                        part.without_reading += 1;
                                        continue;
                                    }
                                    Prepared::Ready {
                                        consumer,
                                        reading,
                                        input,
                                        extras,
                                        lps_in_arrears_paisa,
                                        installment_plan,
                                        ..
                                    } => (
                                        consumer,
                                        reading,
                                        input,
                                        extras,
                                        lps_in_arrears_paisa,
                                        installment_plan,
                                    ),
                                };
                            match bill_one(
                                self, &self.book, idx as u32, c, r, &input, &extras, priors,
                            ) {
                                Ok((b, corrected)) => {
                                    // Earlier months that had a provisional bill (the rest
                                    // are accumulated months).
                                    let corrected_flag = corrected.as_ref().is_some_and(|h| {
                                        h.len() > 1 + b.accumulated_months as usize
                                    });
                                    if let Some(h) = corrected {
                                        part.corrected.push((c.reference, h));
                                    }
                                    let flags = (if b.provisional { BILL_PROVISIONAL } else { 0 })
                                        | (if corrected_flag { BILL_CORRECTED } else { 0 })
                                        | (if b.meter_changed {
                                            BILL_METER_CHANGED
                                        } else {
                                            0
                                        })
                                        | (if b.fixed_waived { BILL_FIXED_WAIVED } else { 0 })
                                        | (if b.accumulated_months > 0 {
                                            BILL_ACCUMULATED
                                        } else {
                                            0
                                        });
                                    let bill_idx = part.bills.len() as u32;
                                    for (name, amount) in &b.subsidy_lines {
                                        let paisa = paisa_from_decimal(*amount);
                                        if paisa == 0 {
                                            continue;
                                        }
                                        let Ok(id) = part.dict.name(name) else {
                                            part.dict_full = true;
                                            break;
                                        };
                                        part.subsidy.push((bill_idx, id, paisa));
                                    }
                                    if let Some(plan) = plan {
                                        part.installments.push((
                                            bill_idx,
                                            BillInstallment {
                                                plan,
                                                installment_paisa: paisa_from_decimal(
                                                    b.installment_rs,
                                                ),
                                                markup_paisa: paisa_from_decimal(
                                                    b.installment_markup_rs,
                                                ),
                                                deferred_after_paisa: paisa_from_decimal(
                                                    b.installment_balance_after_rs,
                                                ),
                                            },
                                        ));
                                    }
                                    let first_line = part.lines.len() as u32;
                                    for (seq, l) in b.lines.iter().enumerate() {
                                        let ids = (
                                            part.dict.name(l.line),
                                            part.dict.rule(l.rule),
                                            part.dict.source(&l.source),
                                        );
                                        let (Ok(line), Ok(rule), Ok(source)) = ids else {
                                            part.dict_full = true;
                                            break;
                                        };
                                        part.lines.push(LineRow {
                                            quantity_e4: e4_from_decimal(l.quantity),
                                            rate_e4: e4_from_decimal(l.rate),
                                            amount_paisa: paisa_from_decimal(l.amount_rs),
                                            bill_idx,
                                            seq: seq as u16,
                                            line,
                                            rule,
                                            source,
                                        });
                                    }
                                    let texts = (
                                        part.dict.text(&c.tariff),
                                        part.dict.text(
                                            self.book.category_of(&c.tariff).unwrap_or("unknown"),
                                        ),
                                        part.dict.text(&b.band),
                                        part.dict.text(&b.versions),
                                    );
                                    let (Ok(tariff), Ok(category), Ok(band), Ok(versions)) = texts
                                    else {
                                        part.dict_full = true;
                                        continue;
                                    };
                                    part.bills.push(BillRow {
                                        reference: c.reference,
                                        consumer_idx: idx as u32,
                                        cycle,
                                        tariff,
                                        category,
                                        band,
                                        units_kwh: b.units_kwh,
                                        billing_demand_kw: b.billing_demand_kw,
                                        current_bill_paisa: paisa_from_decimal(b.current_bill_rs),
                                        total_fpa_paisa: paisa_from_decimal(b.total_fpa_rs),
                                        arrears_paisa: paisa_from_decimal(b.arrears_rs),
                                        payable_within_due_paisa: paisa_from_decimal(
                                            b.payable_within_due_rs,
                                        ),
                                        lps_paisa: paisa_from_decimal(b.lps_rs),
                                        payable_after_due_paisa: paisa_from_decimal(
                                            b.payable_after_due_rs,
                                        ),
                                        lps_in_arrears_paisa,
                                        subsidy_paisa: paisa_from_decimal(b.subsidy_rs),
                                        units_carried_in_kwh: b.units_carried_in_kwh,
                                        units_carried_forward_kwh: b.units_carried_forward_kwh,
                                        employee_free_units_kwh: b.employee_free_units_kwh,
                                        flags,
                                        adjustment_paisa: paisa_from_decimal(
                                            b.provisional_adjustment_rs,
                                        ),
                                        accumulated_paisa: paisa_from_decimal(b.accumulated_rs),
                                        accumulated_months: u8::try_from(b.accumulated_months)
                                            .unwrap_or(u8::MAX),
                                        issue_date,
                                        due_date: b.due_date,
                                        versions,
                                        first_line,
                                        line_count: b.lines.len() as u16,
                                    });
                                }
                                Err(e) => part.refusals.push(BillRefusal {
                                    reference: c.reference,
                                    tariff: c.tariff.to_string(),
                                    reason: e.to_string(),
                                }),
                            }
                        }
                        part
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        if parts.len() != threads {
            return Err(StorageError::Invalid(
                "a billing worker thread panicked".into(),
            ));
        }
        // The first part's vectors become the cycle's (no copy of the largest piece); later
        // parts are appended with their indexes shifted.
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else {
            return Err(StorageError::Invalid("no billing worker ran".into()));
        };
        let dict_full = || {
            StorageError::Invalid(format!(
                "cycle {cycle}: more than {} distinct bill-line names, rules or bill texts",
                u16::MAX
            ))
        };
        if first.dict_full {
            return Err(dict_full());
        }
        let mut bills = first.bills;
        let mut lines = first.lines;
        let mut dict = first.dict;
        let mut refusals = first.refusals;
        let mut corrected = first.corrected;
        let mut without_reading = first.without_reading;
        let mut installments: HashMap<u32, BillInstallment> =
            first.installments.into_iter().collect();
        let mut subsidy_lines = first.subsidy;
        for mut p in parts {
            if p.dict_full {
                return Err(dict_full());
            }
            let crate::rows::Absorbed {
                names,
                rules,
                sources,
                texts,
            } = dict.absorb(&p.dict.finish()).map_err(|_| dict_full())?;
            let base_bill = bills.len() as u32;
            let base_line = lines.len() as u32;
            for l in &mut p.lines {
                l.bill_idx += base_bill;
                l.line = names[usize::from(l.line)];
                l.rule = rules[usize::from(l.rule)];
                l.source = sources[l.source as usize];
            }
            for b in &mut p.bills {
                b.first_line += base_line;
                b.tariff = texts[usize::from(b.tariff)];
                b.category = texts[usize::from(b.category)];
                b.band = texts[usize::from(b.band)];
                b.versions = texts[usize::from(b.versions)];
            }
            installments.extend(p.installments.into_iter().map(|(i, x)| (i + base_bill, x)));
            subsidy_lines.extend(
                p.subsidy
                    .iter()
                    .map(|&(i, name, paisa)| (i + base_bill, names[usize::from(name)], paisa)),
            );
            bills.append(&mut p.bills);
            lines.append(&mut p.lines);
            refusals.append(&mut p.refusals);
            corrected.append(&mut p.corrected);
            without_reading += p.without_reading;
        }
        let dicts = dict.finish();
        let mut by_reference = HashMap::with_capacity_and_hasher(bills.len(), Default::default());
        let mut by_cat: BTreeMap<&str, CategoryTotal> = BTreeMap::new();
        let mut summary = CycleSummary {
            disco: disco.to_string(),
            cycle: cycle.to_string(),
            ..Default::default()
        };
        for (i, b) in bills.iter().enumerate() {
            by_reference.insert(b.reference, i as u32);
            let amount = b.current_bill_paisa + b.total_fpa_paisa;
            let category = dicts.text(b.category);
            let t = by_cat.entry(category).or_insert_with(|| CategoryTotal {
                category: category.to_string(),
                ..Default::default()
            });
            t.bills += 1;
            t.units_kwh += b.units_kwh;
            t.payable_paisa += amount;
            summary.bills += 1;
            summary.units_kwh += b.units_kwh;
            summary.payable_paisa += amount;
        }
        summary.refused = refusals.len() as u64;
        summary.without_reading = without_reading;
        summary.by_category = by_cat.into_values().collect();
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(CycleBills {
            disco: disco.to_string(),
            cycle,
            issue_date,
            previous_payable_within_due_paisa: previous_payable(&bills, previous.as_deref()),
            bills,
            lines,
            dicts,
            refusals,
            corrected,
            by_reference,
            summary,
            installments,
            subsidy_lines,
            payments_mark: previous
                .as_deref()
                .map(|p| p.payments_mark)
                .unwrap_or(self.payments.len() as u32),
        })
    }

    fn install_cycle(&mut self, cb: CycleBills) -> CycleSummary {
        let key = (cb.disco.clone(), cb.cycle);
        // Undo the balance effect of an earlier run of the same cycle (re-billing).
        let fy = fiscal_year(cb.cycle);
        if let Some(old) = self.cycles.get(&key).cloned() {
            for (i, b) in old.bills.iter().enumerate() {
                let installment = old.installment(i as u32);
                if let Some(d) = self.consumer_dyn.get_mut(b.consumer_idx as usize) {
                    if let (Some(x), Some(p)) = (installment, d.plans.as_deref_mut()) {
                        p.unbilled(x.plan, cb.cycle);
                    }
                    d.balance_paisa = d
                        .balance_paisa
                        .saturating_sub(old.installment_paisa(i as u32));
                    d.carried_kwh = b.units_carried_in_kwh;
                    if d.fy_free_used.0 == fy {
                        d.fy_free_used.1 =
                            d.fy_free_used.1.saturating_sub(b.employee_free_units_kwh);
                    }
                    d.balance_paisa = d
                        .balance_paisa
                        .saturating_sub(b.current_bill_paisa.saturating_add(b.total_fpa_paisa));
                    d.billed.retain(|(m, _)| *m != cb.cycle);
                }
            }
        }
        // A re-run undoes the first run's corrections: the corrected months' billed units go
        // back to their provisional estimates.
        if let Some(old) = self.cycles.get(&key).cloned() {
            for (reference, months) in &old.corrected {
                for (m, _) in months.iter().filter(|(m, _)| *m != cb.cycle) {
                    let estimate = self.cycles.get(&(cb.disco.clone(), *m)).and_then(|p| {
                        p.by_reference
                            .get(reference)
                            .map(|&i| p.bills[i as usize].units_kwh)
                    });
                    self.set_billed(*reference, *m, estimate);
                }
            }
        }
        let earlier_run = self.cycles.get(&key).cloned();
        for (i, b) in cb.bills.iter().enumerate() {
            // The previous bill's LPS enters the balance once: with the first bill that
            // carried it (a re-bill keeps its first arrears, LPS included).
            let lps_new = earlier_run
                .as_ref()
                .is_none_or(|o| !o.by_reference.contains_key(&b.reference));
            let installment = cb.installment(i as u32);
            if let Some(d) = self.consumer_dyn.get_mut(b.consumer_idx as usize) {
                if let (Some(x), Some(p)) = (installment, d.plans.as_deref_mut()) {
                    p.billed(x.plan, cb.cycle, cb.issue_date);
                }
                d.balance_paisa = d
                    .balance_paisa
                    .saturating_add(cb.installment_paisa(i as u32));
                if lps_new {
                    d.balance_paisa = d.balance_paisa.saturating_add(b.lps_in_arrears_paisa);
                }
                d.carried_kwh = b.units_carried_forward_kwh;
                if d.fy_free_used.0 != fy {
                    d.fy_free_used = (fy, 0);
                }
                d.fy_free_used.1 = d.fy_free_used.1.saturating_add(b.employee_free_units_kwh);
                d.balance_paisa = d
                    .balance_paisa
                    .saturating_add(b.current_bill_paisa.saturating_add(b.total_fpa_paisa));
                d.billed.push((cb.cycle, b.units_kwh));
                d.billed.sort_unstable();
            }
        }
        for (reference, months) in &cb.corrected {
            for (m, units) in months.iter().filter(|(m, _)| *m != cb.cycle) {
                self.set_billed(*reference, *m, Some(*units));
            }
        }
        let summary = cb.summary.clone();
        self.cycles.insert(key, Arc::new(cb));
        summary
    }

    /// The consumer's latest bill: its cycle bills and index.
    pub fn latest_bill(&self, reference: u64) -> Option<(&CycleBills, u32)> {
        let (_, c) = self.consumer(reference)?;
        let disco = c.disco.to_string();
        let (lo, hi) = (
            YearMonth {
                year: i32::MIN,
                month: 1,
            },
            YearMonth {
                year: i32::MAX,
                month: 12,
            },
        );
        self.cycles
            .range((disco.clone(), lo)..=(disco, hi))
            .rev()
            .find_map(|(_, cb)| cb.by_reference.get(&reference).map(|&i| (&**cb, i)))
    }

    /// Checks a grant of installments and fixes its amount (default: the whole outstanding
    /// balance) and date (default: the issue date of the consumer's latest bill). Changes
    /// nothing; the live CALL and replay both run it.
    pub(crate) fn resolve_grant(
        &self,
        reference: u64,
        installments: u32,
        amount_paisa: Option<i64>,
        granted_on: Option<NaiveDate>,
    ) -> Result<(Grant, Vec<i64>), StorageError> {
        let Some((idx, c)) = self.consumer(reference) else {
            return Err(StorageError::UnknownKey(format!(
                "no consumer with reference {reference:014}"
            )));
        };
        if c.status == ConsumerStatus::PermDisconnected {
            return Err(StorageError::Invalid(format!(
                "{reference:014} is permanently disconnected: no later bill would carry the \
                 installments"
            )));
        }
        let d = self
            .consumer_dyn
            .get(idx as usize)
            .ok_or_else(|| StorageError::UnknownKey(format!("no state for {reference:014}")))?;
        // A grant splits what the latest bill left owing: it is dated from that bill's issue
        // date to a billing month after it (a later date would hold the deferred amount off
        // every bill until then).
        let Some(issue) = self
            .latest_bill(reference)
            .and_then(|(cb, i)| cb.bills.get(i as usize))
            .map(|b| b.issue_date)
        else {
            return Err(StorageError::Invalid(format!(
                "{reference:014} has no bill yet: installments are granted against a bill"
            )));
        };
        let last_day = issue + chrono::Duration::days(GRANT_WINDOW_DAYS);
        let granted_on = granted_on.unwrap_or(issue);
        if granted_on < issue || granted_on > last_day {
            return Err(StorageError::Invalid(format!(
                "grant date {granted_on} must be between {issue} (the issue date of \
                 {reference:014}'s latest bill) and {last_day}"
            )));
        }
        if let Some(p) = d.plans.as_deref().and_then(Plans::latest) {
            if !p.finished() {
                return Err(StorageError::Invalid(format!(
                    "{reference:014} already has installments granted on {} with Rs {} \
                     still deferred",
                    p.granted_on,
                    decimal_from_paisa(p.outstanding_paisa())
                )));
            }
        }
        let fy = billing::installments::fiscal_year_start(granted_on);
        let this_year = d
            .plans
            .as_deref()
            .map(|p| {
                p.0.iter()
                    .filter(|p| billing::installments::fiscal_year_start(p.granted_on) == fy)
                    .count()
            })
            .unwrap_or(0);
        billing::installments::check_grant(&self.book, granted_on, this_year as u32)?;
        let outstanding = d.balance_paisa;
        if outstanding <= 0 {
            return Err(StorageError::Invalid(format!(
                "{reference:014} owes nothing (balance Rs {}): nothing to grant in installments",
                decimal_from_paisa(outstanding)
            )));
        }
        let amount = amount_paisa.unwrap_or(outstanding);
        if amount > outstanding {
            return Err(StorageError::Invalid(format!(
                "amount Rs {} is more than {reference:014} owes (Rs {})",
                decimal_from_paisa(amount),
                decimal_from_paisa(outstanding)
            )));
        }
        let split = billing::installments::plan(
            &self.book,
            decimal_from_paisa(amount),
            installments,
            granted_on,
        )?;
        let split: Vec<i64> = split.into_iter().map(paisa_from_decimal).collect();
        Ok((
            Grant {
                reference,
                installments,
                amount_paisa: amount,
                granted_on,
            },
            split,
        ))
    }

    /// Applies a resolved grant: the installments after the first leave the balance.
    fn apply_grant(&mut self, g: &Grant) -> Result<(), StorageError> {
        let (_, split) = self.resolve_grant(
            g.reference,
            g.installments,
            Some(g.amount_paisa),
            Some(g.granted_on),
        )?;
        let against = self.latest_bill(g.reference).map(|(cb, _)| cb.cycle);
        let Some(&idx) = self.consumer_by_ref.get(&g.reference) else {
            return Ok(());
        };
        let Some(d) = self.consumer_dyn.get_mut(idx as usize) else {
            return Ok(());
        };
        let plan = InstallmentPlan {
            granted_on: g.granted_on,
            granted_against: against,
            amount_paisa: g.amount_paisa,
            installments: split,
            billed: Vec::new(),
        };
        d.balance_paisa = d
            .balance_paisa
            .saturating_sub(plan.deferred_at_grant_paisa());
        d.plans.get_or_insert_with(Default::default).0.push(plan);
        Ok(())
    }

    /// Replaces (or with `None` removes) one month of a consumer's billed-units history.
    fn set_billed(&mut self, reference: u64, month: YearMonth, units: Option<u64>) {
        let Some(&idx) = self.consumer_by_ref.get(&reference) else {
            return;
        };
        if let Some(d) = self.consumer_dyn.get_mut(idx as usize) {
            d.billed.retain(|(m, _)| *m != month);
            if let Some(u) = units {
                d.billed.push((month, u));
                d.billed.sort_unstable();
            }
        }
    }
}

/// The consumer master's short strings, one `Arc<str>` each: at 7 M consumers, eight owned
/// copies per consumer would cost about 2 GB.
#[derive(Default)]
struct SharedStrings(FastSet<Arc<str>>);

impl SharedStrings {
    fn share(&mut self, s: &Arc<str>) -> Arc<str> {
        if let Some(a) = self.0.get(&**s) {
            return a.clone();
        }
        self.0.insert(s.clone());
        s.clone()
    }
}

/// One consumer's bill on its reading: provisional on an unread register
/// ([`PROVISIONAL_CODES`]), the correction of the provisional bills just before it on
/// the first actual reading after them, with the meter-change and temporary-disconnection
/// facts; otherwise a normal bill. The second value is a corrected bill's actual units
/// per month (corrected months, then this one).
#[allow(clippy::type_complexity)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn bill_one(
    st: &State,
    book: &TariffBook,
    idx: u32,
    c: &Consumer,
    r: &Reading,
    input: &BillInput,
    extras: &BillExtras,
    priors: &[(YearMonth, Arc<CycleBills>)],
) -> Result<(Bill, Option<Vec<(YearMonth, u64)>>), BillingError> {
    let cycle = input.cycle;
    // The earlier months this reading covers, newest first: provisional-coded readings (billed
    // on an estimate, or not billed when the estimate was refused), then months with no
    // reading at all (an accumulated reading: the meter was not read, or a new connection's
    // first reading), as many as the period holds whole months: round(days / 30.4) months in
    // all, so a 33-day period stays one (scaled) month.
    let period_days = (r.reading_date - r.previous_reading_date).num_days().max(0) as u64;
    let months_by_days = ((period_days * 10 + 152) / 304).max(1) as usize;
    let provisional = PROVISIONAL_CODES.contains(&r.reading_code.as_str());
    // The common case looks nothing up: an actual one-month reading that is the consumer's
    // latest and does not follow an estimate covers no earlier month.
    let latest_after_actual = st.consumer_dyn.get(idx as usize).is_some_and(|d| {
        !d.after_estimate
            && d.last_reading
                .and_then(|j| st.readings.get(j as usize))
                .is_some_and(|l| std::ptr::eq(l, r))
    });
    let walk = provisional || months_by_days > 1 || !latest_after_actual;
    let mut earlier: Vec<EarlierMonth> = Vec::new();
    // The estimate limit counts the provisional-coded months in a row just before this one
    // (billed or refused).
    let mut estimates_before = 0u32;
    for k in (1..MAX_SPAN_MONTHS as i32).take_while(|_| walk) {
        let m = cycle.add_months(-k);
        let reading = st
            .reading_by_key
            .get(&(idx, m))
            .and_then(|&j| st.readings.get(j as usize));
        match reading {
            Some(rd) if PROVISIONAL_CODES.contains(&rd.reading_code.as_str()) => {
                let bill = priors
                    .iter()
                    .find(|(pm, _)| *pm == m)
                    .and_then(|(_, cb)| {
                        cb.by_reference
                            .get(&c.reference)
                            .and_then(|&i| cb.bills.get(i as usize))
                    })
                    .filter(|b| b.flags & BILL_PROVISIONAL != 0);
                if earlier.len() == estimates_before as usize {
                    estimates_before += 1;
                }
                earlier.push(match bill {
                    Some(b) => EarlierMonth::Provisional(ProvisionalBilled {
                        cycle: m,
                        units_kwh: b.units_kwh,
                        billed_rs: decimal_from_paisa(
                            b.current_bill_paisa.saturating_add(b.total_fpa_paisa),
                        ),
                        subsidy_rs: decimal_from_paisa(b.subsidy_paisa),
                        issue_date: b.issue_date,
                    }),
                    None => EarlierMonth::Unbilled(m),
                });
            }
            Some(_) => break,
            None if earlier.len() + 1 < months_by_days => earlier.push(EarlierMonth::Unbilled(m)),
            None => break,
        }
    }
    earlier.reverse();
    if provisional {
        return compute_provisional(book, input, extras, estimates_before).map(|b| (b, None));
    }
    let mut facts = ReadingFacts::default();
    if c.status == ConsumerStatus::TempDisconnected {
        facts.temp_disconnected_month = c
            .disconnected_from
            .and_then(|from| u32::try_from(cycle.index() - from.index() + 1).ok())
            .filter(|m| *m >= 1);
    }
    if let Some(ms) = &r.meter_change {
        facts.meter_change = Some(meter_swap_units(
            r.offpeak_previous,
            r.peak_previous,
            r.offpeak_present,
            r.peak_present,
            r.mdi_kw,
            ms,
        )?);
    }
    let Some(first) = earlier.first().map(|p| p.cycle()) else {
        return compute_bill_full(book, input, extras, &facts).map(|b| (b, None));
    };
    let months = month_spans(r.previous_reading_date, r.reading_date, first, cycle)?;
    let mut i = *input;
    i.period_days = months.iter().map(|(_, d)| d).sum();
    let corrected = compute_catch_up(book, &i, extras, &facts, &months, &earlier)?;
    let history = corrected.history();
    Ok((corrected.bill, Some(history)))
}

/// The units of a meter replacement: the old meter from `previous` to its final registers at
/// its factor, plus the new one from its initial registers to `present` at its factor.
pub fn meter_swap_units(
    offpeak_previous: u64,
    peak_previous: Option<u64>,
    offpeak_present: u64,
    peak_present: Option<u64>,
    mdi_kw: Option<rust_decimal::Decimal>,
    ms: &MeterSwap,
) -> Result<billing::periods::MeterChange, billing::BillingError> {
    use billing::periods::{meter_change_units, MeterRegisters};
    let old = MeterRegisters {
        offpeak_from: offpeak_previous,
        offpeak_to: ms.old_offpeak_final,
        peak: peak_previous.zip(ms.old_peak_final),
        multiplying_factor: ms.old_multiplying_factor,
        mdi_kw: ms.old_mdi_kw,
    };
    let new = MeterRegisters {
        offpeak_from: ms.new_offpeak_initial,
        offpeak_to: offpeak_present,
        peak: ms.new_peak_initial.zip(peak_present),
        multiplying_factor: ms
            .new_multiplying_factor
            .unwrap_or(ms.old_multiplying_factor),
        mdi_kw,
    };
    meter_change_units(&old, &new)
}

/// Which durable backend holds the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Journal,
    Sled,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "journal" => Ok(Backend::Journal),
            "sled" => Ok(Backend::Sled),
            _ => Err(format!("unknown backend {s:?} (journal or sled)")),
        }
    }
}

/// What recovery did.
#[derive(Debug, Clone)]
pub struct RecoveryReport {
    pub backend: &'static str,
    pub replay: ReplayStats,
    pub consumers: usize,
    pub readings: usize,
    pub payments: usize,
    pub cycles: usize,
    pub elapsed_ms: u64,
}

/// The store: state behind a lock, and the journal behind a group committer.
pub struct Store {
    state: RwLock<State>,
    committer: Committer,
    /// Exclusive lock on `<data dir>/LOCK`, held for the store's lifetime.
    lock: std::fs::File,
}

fn encode(rec: &Record) -> Result<Vec<u8>, StorageError> {
    bincode::serde::encode_to_vec(rec, bincode::config::standard())
        .map_err(|e| StorageError::Codec(e.to_string()))
}

/// A journal record of row format `version` (an older one through [`crate::legacy`]).
fn decode(version: u8, bytes: &[u8]) -> Result<Record, StorageError> {
    let bad = |e: bincode::error::DecodeError| {
        StorageError::Corrupt(format!(
            "undecodable journal record (format {version}): {e}"
        ))
    };
    if version == 2 {
        return bincode::serde::decode_from_slice::<crate::legacy::RecordV2, _>(
            bytes,
            bincode::config::standard(),
        )
        .map(|(r, _)| r.into())
        .map_err(bad);
    }
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(r, _)| r)
        .map_err(bad)
}

impl Store {
    /// Opens (or creates) a data directory and replays its journal.
    pub fn open(
        dir: &Path,
        backend: Backend,
    ) -> Result<(Arc<Store>, RecoveryReport), StorageError> {
        let started = Instant::now();
        std::fs::create_dir_all(dir)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        fs2::FileExt::try_lock_exclusive(&lock).map_err(|_| {
            StorageError::Invalid(format!(
                "data directory {} is in use by another bijli process",
                dir.display()
            ))
        })?;
        // A directory holds one backend's journal; opening it with the other would serve an
        // empty store and then write a second, diverging history beside the first.
        let (journal, sled) = (dir.join("journal.bjl").exists(), dir.join("sled").exists());
        let other = match backend {
            Backend::Journal if sled && !journal => Some("sled"),
            Backend::Sled if journal && !sled => Some("journal"),
            _ => None,
        };
        if let Some(other) = other {
            return Err(StorageError::Invalid(format!(
                "data directory {} holds a {other} journal: start with --backend {other}",
                dir.display()
            )));
        }
        let mut log: Box<dyn Log> = match backend {
            Backend::Journal => Box::new(FileJournal::open(dir)?),
            Backend::Sled => Box::new(SledLog::open(dir)?),
        };
        let mut state = State::new(TariffBook::builtin()?);
        let replay = log.replay(&mut |version, bytes| {
            let rec = decode(version, bytes)?;
            apply_replayed(&mut state, rec)
        })?;
        let report = RecoveryReport {
            backend: log.name(),
            replay,
            consumers: state.consumers.len(),
            readings: state.readings.len(),
            payments: state.payments.len(),
            cycles: state.cycles.len(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        let store = Store {
            state: RwLock::new(state),
            committer: Committer::start(log),
            lock,
        };
        Ok((Arc::new(store), report))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read()
    }

    /// Row errors these readings would get, without storing anything (for complete reports).
    pub fn check_readings(&self, rows: &mut [Reading]) -> Vec<RowError> {
        match self.state.read().validate_readings(rows) {
            Err(StorageError::Rows(e)) => e,
            _ => Vec::new(),
        }
    }

    pub fn check_payments(&self, rows: &[Payment]) -> Vec<RowError> {
        match self.state.read().validate_payments(rows) {
            Err(StorageError::Rows(e)) => e,
            _ => Vec::new(),
        }
    }

    pub fn check_consumers(&self, rows: &[Consumer]) -> Vec<RowError> {
        match self.state.read().validate_consumers(rows) {
            Err(StorageError::Rows(e)) => e,
            _ => Vec::new(),
        }
    }

    /// The write path of row batches: under the write lock, `validate` checks the batch
    /// against the state and returns the record to journal (`None`: nothing to write; nothing
    /// is journaled or applied if it fails); the record is submitted to the group commit,
    /// applied with [`State::apply`] (the function replay uses), and the call returns once the
    /// commit has synced it.
    fn commit(
        &self,
        validate: impl FnOnce(&State) -> Result<Option<Record>, StorageError>,
    ) -> Result<Option<Applied>, StorageError> {
        let (ticket, applied) = {
            let mut st = self.state.write();
            let Some(rec) = validate(&st)? else {
                return Ok(None);
            };
            let ticket = self.committer.submit(encode(&rec)?)?;
            (ticket, st.apply(rec)?)
        };
        ticket.wait()?;
        Ok(Some(applied))
    }

    pub fn insert_consumers(&self, rows: Vec<Consumer>) -> Result<usize, StorageError> {
        let n = rows.len();
        self.commit(|st| {
            st.validate_consumers(&rows)?;
            Ok(Some(Record::Consumers(rows)))
        })?;
        Ok(n)
    }

    pub fn insert_readings(&self, mut rows: Vec<Reading>) -> Result<usize, StorageError> {
        let n = rows.len();
        self.commit(|st| {
            st.validate_readings(&mut rows)?;
            Ok(Some(Record::Readings(rows)))
        })?;
        Ok(n)
    }

    pub fn insert_payments(&self, rows: Vec<Payment>) -> Result<PaymentSummary, StorageError> {
        let total = rows.len();
        let applied = self.commit(|st| {
            let dup = st.validate_payments(&rows)?;
            // Re-sent payments are dropped before journaling: the record holds new ones only.
            let fresh: Vec<Payment> = rows
                .into_iter()
                .zip(&dup)
                .filter(|(_, d)| !**d)
                .map(|(p, _)| p)
                .collect();
            Ok((!fresh.is_empty()).then_some(Record::Payments(fresh)))
        })?;
        let posted = match applied {
            Some(Applied::Payments(s)) => s.posted,
            _ => 0,
        };
        Ok(PaymentSummary {
            posted,
            duplicates: total - posted,
        })
    }

    /// Loads an operator's tariff / adjustment / tax file (validated whole before applied).
    pub fn load_tariff(&self, name: &str, text: &str) -> Result<String, StorageError> {
        let (ticket, summary) = {
            let mut st = self.state.write();
            // A file's name identifies it (`tariffs`, `simulate_tariff` by name): a new version
            // gets its own name.
            if st.tariff_files.iter().any(|f| f.name == name) {
                return Err(StorageError::Duplicate(format!(
                    "a tariff file named {name:?} is already loaded: give the new file its own \
                     name (e.g. with its date or revision)"
                )));
            }
            let mut trial = st.book.clone();
            let summary = trial.load_toml(text)?;
            if summary.is_empty() {
                return Err(StorageError::Invalid(format!(
                    "{name}: the file loads nothing (no schedule, FPA, QTA, tax, terms, holiday, meter rent, \
                     rule or DISCO entries)"
                )));
            }
            let rec = Record::Tariff {
                name: name.to_string(),
                text: text.to_string(),
            };
            let t = self.committer.submit(encode(&rec)?)?;
            st.book = trial;
            st.tariff_files.push(LoadedFile {
                name: name.to_string(),
                bytes: text.len(),
                text: text.into(),
            });
            st.version += 1;
            (t, format!("loaded {summary}"))
        };
        ticket.wait()?;
        Ok(summary)
    }

    /// Runs a billing cycle for one DISCO; re-running a cycle replaces its bills. Without an
    /// `issue_date` the bills are issued the day after the cycle's last reading (the first of
    /// the next month if it has none): the server has no clock in billing, so the same inputs
    /// give the same bills whenever the command runs. The date used is journaled.
    pub fn bill_cycle(
        &self,
        disco: &str,
        cycle: YearMonth,
        issue_date: Option<NaiveDate>,
    ) -> Result<CycleSummary, StorageError> {
        let (ticket, summary) = {
            let mut st = self.state.write();
            if !st.consumers.iter().any(|c| &*c.disco == disco) {
                return Err(StorageError::NotFound(format!(
                    "no consumers of DISCO {disco:?} are loaded"
                )));
            }
            // The DISCO's cycles are billed in order: a first run of a month before one
            // already billed would see (and double) the later bills in its arrears. Re-runs of
            // billed months are allowed (a re-bill keeps its first arrears).
            if !st.cycles.contains_key(&(disco.to_string(), cycle)) {
                if let Some(later) = st
                    .cycles
                    .keys()
                    .filter(|(d, m)| d == disco && *m > cycle)
                    .map(|(_, m)| *m)
                    .max()
                {
                    return Err(StorageError::Invalid(format!(
                        "cycle {cycle} of {disco} was never billed and {later} already is: \
                         cycles are billed in order"
                    )));
                }
            }
            let last_read = st
                .readings
                .iter()
                .filter(|r| r.cycle == cycle)
                .map(|r| r.reading_date)
                .max();
            // A first run bills only a month someone of the DISCO was read in: a run with no
            // reading would bill nothing, yet (cycles bill in order) block every month before
            // it for good, e.g. after a mistyped cycle.
            if !st.cycles.contains_key(&(disco.to_string(), cycle)) {
                let read = st.readings.iter().any(|r| {
                    r.cycle == cycle
                        && st
                            .consumer(r.reference)
                            .is_some_and(|(_, c)| &*c.disco == disco)
                });
                if !read {
                    return Err(StorageError::Invalid(format!(
                        "no consumer of {disco} has a reading for cycle {cycle}: nothing to bill \
                         (load its readings first)"
                    )));
                }
            }
            let issue_date = match issue_date {
                // No clock: the day after the cycle's last reading.
                None => last_read
                    .and_then(|d| d.succ_opt())
                    .unwrap_or_else(|| cycle.add_months(1).first_day()),
                Some(d) => {
                    let earliest = last_read
                        .unwrap_or(cycle.first_day())
                        .max(cycle.first_day());
                    let latest = cycle.add_months(3).first_day() - chrono::Duration::days(1);
                    if d < earliest || d > latest {
                        return Err(StorageError::Invalid(format!(
                            "issue date {d} for cycle {cycle} must be between {earliest} \
                             (its last reading) and {latest}"
                        )));
                    }
                    d
                }
            };
            let cb = st.compute_cycle(disco, cycle, issue_date)?;
            let rec = Record::BillCycle {
                disco: disco.to_string(),
                cycle,
                issue_date,
            };
            let t = self.committer.submit(encode(&rec)?)?;
            let s = st.install_cycle(cb);
            st.version += 1;
            (t, s)
        };
        ticket.wait()?;
        Ok(summary)
    }

    /// Grants installments of an amount the consumer owes (`CALL grant_installments`):
    /// `amount` defaults to the whole outstanding balance, `granted_on` to the issue date of
    /// the consumer's latest bill (no clock, as in billing). See [`crate::plans`].
    pub fn grant_installments(
        &self,
        reference: u64,
        installments: u32,
        amount: Option<rust_decimal::Decimal>,
        granted_on: Option<NaiveDate>,
    ) -> Result<GrantSummary, StorageError> {
        let amount_paisa = match amount {
            None => None,
            Some(a) => Some(
                checked_paisa(a)
                    .filter(|p| decimal_from_paisa(*p) == a)
                    .ok_or_else(|| {
                        StorageError::Invalid(format!(
                            "amount {a} is not a whole number of paisa in range"
                        ))
                    })?,
            ),
        };
        let (ticket, summary) = {
            let mut st = self.state.write();
            let (grant, split) =
                st.resolve_grant(reference, installments, amount_paisa, granted_on)?;
            let t = self
                .committer
                .submit(encode(&Record::GrantInstallments(grant.clone()))?)?;
            st.apply(Record::GrantInstallments(grant.clone()))?;
            let terms = billing::installments::terms(&st.book, grant.granted_on)?;
            // After the bill's due date the first installment is already overdue (it reaches
            // the next bill's arrears if unpaid): no due date to show.
            let due = st
                .latest_bill(reference)
                .and_then(|(cb, i)| cb.bills.get(i as usize))
                .map(|b| b.due_date)
                .filter(|d| *d >= grant.granted_on);
            (
                t,
                GrantSummary {
                    first_installment_paisa: split.first().copied().unwrap_or(0),
                    deferred_paisa: split.iter().skip(1).sum(),
                    first_due_date: due,
                    markup_percent_per_year: terms.markup_percent_per_year,
                    source: terms.source,
                    grant,
                },
            )
        };
        ticket.wait()?;
        Ok(summary)
    }

    /// Flushes the journal writer (graceful shutdown).
    pub fn shutdown(&self) {
        self.committer.shutdown();
        // Writes are refused from here on, so another process may open the directory.
        let _ = fs2::FileExt::unlock(&self.lock);
    }
}

/// Replay: the same validation and apply as the live path, in journal order.
/// Replays one journal record: validated again (replay computes the same units and
/// duplicate flags the live path did), then applied.
fn apply_replayed(st: &mut State, mut rec: Record) -> Result<(), StorageError> {
    match &mut rec {
        Record::Consumers(rows) => st.validate_consumers(rows)?,
        Record::Readings(rows) => st.validate_readings(rows)?,
        Record::Payments(rows) => {
            let dup = st.validate_payments(rows)?;
            // Journaled payment records hold new payments only; keep any that are not.
            let mut keep = dup.iter().map(|d| !d);
            rows.retain(|_| keep.next().unwrap_or(true));
        }
        // Checked again by its apply (which needs the installments it computes).
        Record::Tariff { .. } | Record::BillCycle { .. } | Record::GrantInstallments(_) => {}
    }
    st.apply(rec)?;
    Ok(())
}

/// What applying a record produced.
#[derive(Debug)]
enum Applied {
    Rows,
    Payments(PaymentSummary),
    Tariff,
    Cycle,
}

impl State {
    /// Applies a validated record: the live write path after journaling it, and replay.
    /// Fails only where the record's content is re-derived (a tariff file, a cycle run).
    fn apply(&mut self, rec: Record) -> Result<Applied, StorageError> {
        let applied = match rec {
            Record::Consumers(rows) => {
                self.apply_consumers(rows);
                Applied::Rows
            }
            Record::Readings(rows) => {
                self.apply_readings(rows);
                Applied::Rows
            }
            Record::Payments(rows) => {
                let none = vec![false; rows.len()];
                Applied::Payments(self.apply_payments(rows, &none))
            }
            Record::Tariff { name, text } => {
                self.book.load_toml(&text)?;
                self.tariff_files.push(LoadedFile {
                    name,
                    bytes: text.len(),
                    text: text.into(),
                });
                Applied::Tariff
            }
            Record::BillCycle {
                disco,
                cycle,
                issue_date,
            } => {
                let cb = self.compute_cycle(&disco, cycle, issue_date)?;
                self.install_cycle(cb);
                Applied::Cycle
            }
            Record::GrantInstallments(g) => {
                self.apply_grant(&g)?;
                Applied::Rows
            }
        };
        self.version += 1;
        Ok(applied)
    }
}

// A child of this module: its tests reach the store's state lock.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "plans_tests.rs"]
mod plans_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// KNOWN-CASES B09 with the register's digits known (an attribute of the meter) and not.
    #[test]
    fn rollover_vs_lower_reading() {
        use billing::{register_advance, register_advance_of};
        assert_eq!(register_advance(100, 250), Some(150));
        assert_eq!(register_advance(99_950, 30), Some(80));
        assert_eq!(register_advance(5_000, 4_000), None);
        assert_eq!(register_advance(999_990, 5), Some(15));
        // A 5-digit meter: (a) 99,950 -> 00,030 wraps (80 units); (b) 99,950 -> 99,940 and
        // (c) 00,500 -> 00,480 are lower readings, not rollovers.
        assert_eq!(register_advance_of(99_950, 30, Some(5)), Some(80));
        assert_eq!(register_advance_of(99_950, 99_940, Some(5)), None);
        assert_eq!(register_advance_of(500, 480, Some(5)), None);
        // A 6-digit meter does not wrap at 99,999: 99,950 -> 30 is a lower reading.
        assert_eq!(register_advance_of(99_950, 30, Some(6)), None);
        assert_eq!(register_advance_of(999_950, 30, Some(6)), Some(80));
        // A reading the register cannot show.
        assert_eq!(register_advance_of(100_000, 100_010, Some(5)), None);
    }

    #[test]
    fn table_chunks() {
        let mut t: Table<u32> = Table::default();
        for i in 0..(CHUNK_ROWS as u32 * 2 + 5) {
            t.push(i);
        }
        let (sealed, tail) = t.chunks();
        assert_eq!(sealed.len(), 2);
        assert_eq!(tail.len(), 5);
        assert_eq!(t.get(CHUNK_ROWS + 3), Some(&(CHUNK_ROWS as u32 + 3)));
        assert_eq!(t.iter().count(), t.len());
    }
}
