//! DataFusion table providers over the store.
//!
//! How rows reach DataFusion: every store table is a list of immutable chunks of at most
//! `storage::CHUNK_ROWS` rows plus a growing tail (bills: one immutable segment per cycle).
//! A scan takes the read lock, converts each sealed chunk to an Arrow `RecordBatch` the first
//! time it is seen and keeps that batch in a per-table cache keyed by the chunk's `Arc`
//! pointer, so later queries share it (Arrow arrays are reference counted: zero copy); only
//! the tail (under 64 Ki rows) is converted per query. The batches go to DataFusion's
//! in-memory source with the query's projection, split round-robin over partitions.
//!
//! Filter pushdown: `reference = '<14 digits>'` (all tables) and `cycle = 'YYYY-MM'` (bills,
//! bill_lines) are declared Exact; a reference lookup goes through the store's hash index and
//! converts only the matching rows, never scanning the table.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use billing::YearMonth;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch,
    RecordBatchOptions, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;
use rust_decimal::Decimal;
use storage::{
    BillRow, Consumer, CycleBills, LineRow, Payment, Reading, State, Store, BILL_ACCUMULATED,
    BILL_CORRECTED, BILL_FIXED_WAIVED, BILL_METER_CHANGED, BILL_PROVISIONAL,
};

/// Which store table a provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    Consumers,
    Readings,
    Payments,
    Bills,
    BillLines,
    BillRefusals,
    EmployerCost,
    Tariffs,
    InstallmentPlans,
    Adjustments,
    BillSubsidy,
}

impl TableKind {
    pub const ALL: [TableKind; 11] = [
        TableKind::Consumers,
        TableKind::Readings,
        TableKind::Bills,
        TableKind::BillLines,
        TableKind::BillRefusals,
        TableKind::EmployerCost,
        TableKind::Payments,
        TableKind::Tariffs,
        TableKind::InstallmentPlans,
        TableKind::Adjustments,
        TableKind::BillSubsidy,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Consumers => "consumers",
            TableKind::Readings => "readings",
            TableKind::Payments => "payments",
            TableKind::Bills => "bills",
            TableKind::BillLines => "bill_lines",
            TableKind::BillRefusals => "bill_refusals",
            TableKind::EmployerCost => "employer_cost",
            TableKind::Tariffs => "tariffs",
            TableKind::InstallmentPlans => "installment_plans",
            TableKind::Adjustments => "adjustments",
            TableKind::BillSubsidy => "bill_subsidy",
        }
    }
    pub fn schema(self) -> SchemaRef {
        let money = || DataType::Decimal128(18, 2);
        let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
        let text = DataType::Utf8;
        let fields = match self {
            TableKind::Consumers => vec![
                f("reference", text.clone(), false),
                f("customer_id", text.clone(), false),
                f("name", text.clone(), false),
                f("address", text.clone(), false),
                f("disco", text.clone(), false),
                f("circle", text.clone(), false),
                f("division", text.clone(), false),
                f("subdivision", text.clone(), false),
                f("batch", DataType::Int32, false),
                f("tariff", text.clone(), false),
                f("sanctioned_load_kw", DataType::Decimal128(10, 2), false),
                f("phase", DataType::Int32, false),
                f("meter_no", text.clone(), false),
                f("multiplying_factor", DataType::Int32, false),
                f("connection_date", DataType::Date32, false),
                f("status", text.clone(), false),
                f("owner_type", text.clone(), false),
                f("province", text.clone(), false),
                f("tou", DataType::Boolean, false),
                f("atl", DataType::Boolean, false),
                f("employee_grade", DataType::Int32, true),
                f("employee_status", text.clone(), true),
                f("opening_arrears", money(), false),
                f("history", text.clone(), false),
                f("disconnected_from", text.clone(), true),
                f("strn", DataType::Boolean, false),
                f("meter_digits", DataType::Int32, true),
            ],
            TableKind::Readings => vec![
                f("reference", text.clone(), false),
                f("cycle", text.clone(), false),
                f("reading_date", DataType::Date32, false),
                f("previous_reading_date", DataType::Date32, false),
                f("offpeak_previous", DataType::Int64, false),
                f("offpeak_present", DataType::Int64, false),
                f("peak_previous", DataType::Int64, true),
                f("peak_present", DataType::Int64, true),
                f("units", DataType::Int64, false),
                f("offpeak_units", DataType::Int64, false),
                f("peak_units", DataType::Int64, false),
                f("mdi_kw", DataType::Decimal128(10, 2), true),
                f("power_factor", DataType::Decimal128(4, 2), true),
                f("reading_code", text.clone(), false),
                f("old_offpeak_final", DataType::Int64, true),
                f("old_peak_final", DataType::Int64, true),
                f("old_mdi_kw", DataType::Decimal128(10, 2), true),
                f("new_offpeak_initial", DataType::Int64, true),
                f("new_peak_initial", DataType::Int64, true),
                f("new_multiplying_factor", DataType::Int32, true),
            ],
            TableKind::Payments => vec![
                f("reference", text.clone(), false),
                f("transaction_id", text.clone(), false),
                f("amount", money(), false),
                f("value_date", DataType::Date32, false),
                f("bank", text.clone(), false),
            ],
            TableKind::Bills => vec![
                f("reference", text.clone(), false),
                f("cycle", text.clone(), false),
                f("disco", text.clone(), false),
                f("tariff", text.clone(), false),
                f("category", text.clone(), false),
                f("band", text.clone(), false),
                f("units", DataType::Int64, false),
                f("billing_demand_kw", DataType::Decimal128(12, 2), false),
                f("current_bill", money(), false),
                f("total_fpa", money(), false),
                f("arrears", money(), false),
                f("payable_within_due", money(), false),
                f("lps", money(), false),
                f("payable_after_due", money(), false),
                f("subsidy", money(), false),
                f("units_carried_forward", DataType::Int64, false),
                f("employee_free_units", DataType::Int64, false),
                f("issue_date", DataType::Date32, false),
                f("due_date", DataType::Date32, false),
                f("versions", text.clone(), false),
                f("previous_payable_within_due", money(), true),
                f("difference", money(), true),
                f("provisional", DataType::Boolean, false),
                f("corrected", DataType::Boolean, false),
                f("meter_changed", DataType::Boolean, false),
                f("fixed_waived", DataType::Boolean, false),
                f("provisional_adjustment", money(), false),
                f("accumulated", DataType::Boolean, false),
                f("accumulated_months", DataType::Int32, false),
                f("accumulated_amount", money(), false),
                f("lps_in_arrears", money(), false),
                f("installment", money(), false),
                f("installment_markup", money(), false),
                f("deferred", money(), false),
            ],
            TableKind::BillLines => vec![
                f("reference", text.clone(), false),
                f("cycle", text.clone(), false),
                f("seq", DataType::Int32, false),
                f("line", text.clone(), false),
                f("quantity", DataType::Decimal128(18, 4), false),
                f("rate", DataType::Decimal128(18, 4), false),
                f("amount", money(), false),
                f("rule", text.clone(), false),
                f("source", text.clone(), false),
            ],
            TableKind::BillRefusals => vec![
                f("disco", text.clone(), false),
                f("cycle", text.clone(), false),
                f("reference", text.clone(), false),
                f("tariff", text.clone(), false),
                f("reason", text.clone(), false),
            ],
            TableKind::EmployerCost => vec![
                f("disco", text.clone(), false),
                f("cycle", text.clone(), false),
                f("employees", DataType::Int64, false),
                f("free_units", DataType::Int64, false),
                f("concession", money(), false),
            ],
            TableKind::BillSubsidy => vec![
                f("reference", text.clone(), false),
                f("cycle", text.clone(), false),
                f("disco", text.clone(), false),
                f("line", text.clone(), false),
                f("subsidy", money(), false),
            ],
            TableKind::Adjustments => vec![
                f("kind", text.clone(), false),
                f("period", text.clone(), false),
                f("revision", DataType::Int32, false),
                f("bill_months", text.clone(), false),
                f("rate_rs_per_kwh", DataType::Decimal128(12, 4), true),
                f("exempt", text.clone(), false),
                f("notification", text.clone(), false),
                f("confirmed", DataType::Boolean, false),
                f("missing", DataType::Boolean, false),
                f("in_force", DataType::Boolean, false),
            ],
            TableKind::InstallmentPlans => vec![
                f("reference", text.clone(), false),
                f("plan", DataType::Int32, false),
                f("granted_on", DataType::Date32, false),
                f("granted_against", text.clone(), true),
                f("amount", money(), false),
                f("installments", DataType::Int32, false),
                f("first_installment", money(), false),
                f("installments_billed", DataType::Int32, false),
                f("deferred_outstanding", money(), false),
                f("finished", DataType::Boolean, false),
            ],
            TableKind::Tariffs => vec![
                f("schedule_id", text.clone(), false),
                f("sro", text.clone(), false),
                f("effective_from", DataType::Date32, false),
                f("effective_to", DataType::Date32, true),
                f("tariff", text.clone(), false),
                f("category", text.clone(), false),
                f("band", text.clone(), false),
                f("slab_from_kwh", DataType::Int64, true),
                f("slab_to_kwh", DataType::Int64, true),
                f("rate_rs_per_kwh", DataType::Decimal128(12, 4), true),
                f("peak_rs_per_kwh", DataType::Decimal128(12, 4), true),
                f("offpeak_rs_per_kwh", DataType::Decimal128(12, 4), true),
                f("fixed_rs", DataType::Decimal128(12, 2), true),
                f("fixed_basis", text.clone(), false),
                f("confirmed", DataType::Boolean, false),
                f("missing", DataType::Boolean, false),
            ],
        };
        Arc::new(Schema::new(fields))
    }
}

fn days(d: chrono::NaiveDate) -> i32 {
    // Days since 1970-01-01 (Arrow Date32).
    const UNIX_EPOCH_CE: i32 = 719_163;
    chrono::Datelike::num_days_from_ce(&d) - UNIX_EPOCH_CE
}

/// Decimal -> i128 mantissa at `scale` (half away from zero).
fn scaled(d: Decimal, scale: u32) -> i128 {
    let r = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.mantissa() * 10i128.pow(scale.saturating_sub(r.scale()))
}

fn ref_str(r: u64) -> String {
    format!("{r:014}")
}

// ---- one Arrow column from rows: each table maps a column index to one of these ----

fn col_str<R>(rows: &[R], f: impl Fn(&R) -> &str) -> ArrayRef {
    let bytes = rows.iter().map(|r| f(r).len()).sum();
    let mut b = StringBuilder::with_capacity(rows.len(), bytes);
    for r in rows {
        b.append_value(f(r));
    }
    Arc::new(b.finish())
}

fn col_opt_str<R>(rows: &[R], f: impl Fn(&R) -> Option<&str>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
    for r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

fn col_opt_str_owned<R>(rows: &[R], f: impl Fn(&R) -> Option<String>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
    for r in rows {
        b.append_option(f(r));
    }
    Arc::new(b.finish())
}

/// Text made per row (zero-padded codes): written into one buffer, no allocation per row.
fn col_fmt<R>(rows: &[R], width: usize, f: impl Fn(&R, &mut String)) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * width);
    let mut s = String::with_capacity(width);
    for r in rows {
        s.clear();
        f(r, &mut s);
        b.append_value(&s);
    }
    Arc::new(b.finish())
}

fn col_ref<R>(rows: &[R], f: impl Fn(&R) -> u64) -> ArrayRef {
    col_fmt(rows, 14, |r, s| {
        let _ = write!(s, "{:014}", f(r));
    })
}

fn col_i64<R>(rows: &[R], f: impl Fn(&R) -> i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(rows.iter().map(f)))
}

fn col_opt_i64<R>(rows: &[R], f: impl Fn(&R) -> Option<i64>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Int64Array>())
}

fn col_i32<R>(rows: &[R], f: impl Fn(&R) -> i32) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(rows.iter().map(f)))
}

fn col_opt_i32<R>(rows: &[R], f: impl Fn(&R) -> Option<i32>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Int32Array>())
}

fn col_date<R>(rows: &[R], f: impl Fn(&R) -> chrono::NaiveDate) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(
        rows.iter().map(|r| days(f(r))),
    ))
}

fn col_opt_date<R>(rows: &[R], f: impl Fn(&R) -> Option<chrono::NaiveDate>) -> ArrayRef {
    Arc::new(rows.iter().map(|r| f(r).map(days)).collect::<Date32Array>())
}

fn col_bool<R>(rows: &[R], f: impl Fn(&R) -> bool) -> ArrayRef {
    Arc::new(rows.iter().map(|r| Some(f(r))).collect::<BooleanArray>())
}

/// NUMERIC(p, s) from an integer already at scale `s` (paisa for money).
fn col_dec<R>(rows: &[R], p: u8, s: i8, f: impl Fn(&R) -> i128) -> DfResult<ArrayRef> {
    let a = rows.iter().map(f).collect::<Decimal128Array>();
    Ok(Arc::new(a.with_precision_and_scale(p, s)?))
}

fn col_opt_dec<R>(rows: &[R], p: u8, s: i8, f: impl Fn(&R) -> Option<i128>) -> DfResult<ArrayRef> {
    let a = rows.iter().map(f).collect::<Decimal128Array>();
    Ok(Arc::new(a.with_precision_and_scale(p, s)?))
}

fn no_column(kind: TableKind, col: usize) -> DataFusionError {
    DataFusionError::Internal(format!("{} has no column {col}", kind.name()))
}

fn consumer_col(rows: &[&Consumer], col: usize) -> DfResult<ArrayRef> {
    Ok(match col {
        0 => col_ref(rows, |c| c.reference),
        1 => col_fmt(rows, 10, |c, s| {
            let _ = write!(s, "{:010}", c.customer_id);
        }),
        2 => col_str(rows, |c| &c.name),
        3 => col_str(rows, |c| &c.address),
        4 => col_str(rows, |c| &c.disco),
        5 => col_str(rows, |c| &c.circle),
        6 => col_str(rows, |c| &c.division),
        7 => col_fmt(rows, 5, |c, s| {
            let _ = write!(s, "{:05}", c.subdivision);
        }),
        8 => col_i32(rows, |c| i32::from(c.batch)),
        9 => col_str(rows, |c| &c.tariff),
        10 => col_dec(rows, 10, 2, |c| scaled(c.sanctioned_load_kw, 2))?,
        11 => col_i32(rows, |c| i32::from(c.phase)),
        12 => col_str(rows, |c| &c.meter_no),
        13 => col_i32(rows, |c| c.multiplying_factor as i32),
        14 => col_date(rows, |c| c.connection_date),
        15 => col_str(rows, |c| c.status.as_str()),
        16 => col_str(rows, |c| &c.owner_type),
        17 => col_str(rows, |c| &c.province),
        18 => col_bool(rows, |c| c.tou),
        19 => col_bool(rows, |c| c.atl),
        20 => col_opt_i32(rows, |c| c.employee_grade.map(i32::from)),
        21 => col_opt_str(rows, |c| c.employee_status.as_deref()),
        22 => col_dec(rows, 18, 2, |c| i128::from(c.opening_arrears_paisa))?,
        // The master file's units history as COPY takes it (`2026-05:215;2026-06:210`), so an
        // export loads back into the same consumers (and bills).
        23 => col_fmt(rows, 96, |c, s| {
            for (i, (m, u)) in c.history.iter().enumerate() {
                if i > 0 {
                    s.push(';');
                }
                let _ = write!(s, "{m}:{u}");
            }
        }),
        24 => col_opt_str_owned(rows, |c| c.disconnected_from.map(|m| m.to_string())),
        25 => col_bool(rows, |c| c.strn_registered),
        26 => col_opt_i32(rows, |c| c.meter_digits.map(i32::from)),
        _ => return Err(no_column(TableKind::Consumers, col)),
    })
}

fn reading_col(rows: &[&Reading], col: usize) -> DfResult<ArrayRef> {
    Ok(match col {
        0 => col_ref(rows, |r| r.reference),
        1 => col_fmt(rows, 7, |r, s| {
            let _ = write!(s, "{}", r.cycle);
        }),
        2 => col_date(rows, |r| r.reading_date),
        3 => col_date(rows, |r| r.previous_reading_date),
        4 => col_i64(rows, |r| r.offpeak_previous as i64),
        5 => col_i64(rows, |r| r.offpeak_present as i64),
        6 => col_opt_i64(rows, |r| r.peak_previous.map(|v| v as i64)),
        7 => col_opt_i64(rows, |r| r.peak_present.map(|v| v as i64)),
        8 => col_i64(rows, |r| (r.offpeak_units + r.peak_units) as i64),
        9 => col_i64(rows, |r| r.offpeak_units as i64),
        10 => col_i64(rows, |r| r.peak_units as i64),
        11 => col_opt_dec(rows, 10, 2, |r| r.mdi_kw.map(|d| scaled(d, 2)))?,
        12 => col_opt_dec(rows, 4, 2, |r| r.power_factor.map(|d| scaled(d, 2)))?,
        13 => col_str(rows, |r| &r.reading_code),
        14 => col_opt_i64(rows, |r| {
            r.meter_change.as_ref().map(|m| m.old_offpeak_final as i64)
        }),
        15 => col_opt_i64(rows, |r| {
            r.meter_change
                .as_ref()
                .and_then(|m| m.old_peak_final)
                .map(|v| v as i64)
        }),
        16 => col_opt_dec(rows, 10, 2, |r| {
            r.meter_change
                .as_ref()
                .and_then(|m| m.old_mdi_kw)
                .map(|d| scaled(d, 2))
        })?,
        17 => col_opt_i64(rows, |r| {
            r.meter_change
                .as_ref()
                .map(|m| m.new_offpeak_initial as i64)
        }),
        18 => col_opt_i64(rows, |r| {
            r.meter_change
                .as_ref()
                .and_then(|m| m.new_peak_initial)
                .map(|v| v as i64)
        }),
        19 => col_opt_i32(rows, |r| {
            r.meter_change
                .as_ref()
                .map(|m| m.new_multiplying_factor.unwrap_or(m.old_multiplying_factor) as i32)
        }),
        _ => return Err(no_column(TableKind::Readings, col)),
    })
}

fn payment_col(rows: &[&Payment], col: usize) -> DfResult<ArrayRef> {
    Ok(match col {
        0 => col_ref(rows, |p| p.reference),
        1 => col_str(rows, |p| &p.transaction_id),
        2 => col_dec(rows, 18, 2, |p| i128::from(p.amount_paisa))?,
        3 => col_date(rows, |p| p.value_date),
        4 => col_str(rows, |p| &p.bank),
        _ => return Err(no_column(TableKind::Payments, col)),
    })
}

fn bill_col(cb: &CycleBills, rows: &[&BillRow], col: usize) -> DfResult<ArrayRef> {
    let cycle = cb.cycle.to_string();
    let d = &cb.dicts;
    let money = |f: fn(&BillRow) -> i64| col_dec(rows, 18, 2, |b| i128::from(f(b)));
    Ok(match col {
        0 => col_ref(rows, |b| b.reference),
        1 => col_str(rows, |_| &cycle),
        2 => col_str(rows, |_| &cb.disco),
        3 => col_str(rows, |b| d.text(b.tariff)),
        4 => col_str(rows, |b| d.text(b.category)),
        5 => col_str(rows, |b| d.text(b.band)),
        6 => col_i64(rows, |b| b.units_kwh as i64),
        7 => col_dec(rows, 12, 2, |b| scaled(b.billing_demand_kw, 2))?,
        8 => money(|b| b.current_bill_paisa)?,
        9 => money(|b| b.total_fpa_paisa)?,
        10 => money(|b| b.arrears_paisa)?,
        11 => money(|b| b.payable_within_due_paisa)?,
        12 => money(|b| b.lps_paisa)?,
        13 => money(|b| b.payable_after_due_paisa)?,
        14 => money(|b| b.subsidy_paisa)?,
        15 => col_i64(rows, |b| b.units_carried_forward_kwh as i64),
        16 => col_i64(rows, |b| b.employee_free_units_kwh as i64),
        17 => col_date(rows, |b| b.issue_date),
        18 => col_date(rows, |b| b.due_date),
        19 => col_str(rows, |b| d.text(b.versions)),
        20 => col_opt_dec(rows, 18, 2, |b| crate::revisions::previous(cb, b))?,
        21 => col_opt_dec(rows, 18, 2, |b| crate::revisions::difference(cb, b))?,
        22 => col_bool(rows, |b| b.flags & BILL_PROVISIONAL != 0),
        23 => col_bool(rows, |b| b.flags & BILL_CORRECTED != 0),
        24 => col_bool(rows, |b| b.flags & BILL_METER_CHANGED != 0),
        25 => col_bool(rows, |b| b.flags & BILL_FIXED_WAIVED != 0),
        26 => money(|b| b.adjustment_paisa)?,
        27 => col_bool(rows, |b| b.flags & BILL_ACCUMULATED != 0),
        28 => col_i32(rows, |b| i32::from(b.accumulated_months)),
        29 => money(|b| b.accumulated_paisa)?,
        30 => money(|b| b.lps_in_arrears_paisa)?,
        31..=33 => {
            // Few bills carry an installment: no lookup at all for a cycle without any.
            let any = !cb.installments.is_empty();
            let of = |b: &BillRow| {
                any.then(|| cb.by_reference.get(&b.reference))
                    .flatten()
                    .and_then(|&i| cb.installment(i))
            };
            col_dec(rows, 18, 2, |b| {
                i128::from(of(b).map_or(0, |x| match col {
                    31 => x.installment_paisa,
                    32 => x.markup_paisa,
                    _ => x.deferred_after_paisa,
                }))
            })?
        }
        _ => return Err(no_column(TableKind::Bills, col)),
    })
}

fn line_col(cb: &CycleBills, rows: &[(&BillRow, &LineRow)], col: usize) -> DfResult<ArrayRef> {
    let cycle = cb.cycle.to_string();
    let d = &cb.dicts;
    Ok(match col {
        0 => col_ref(rows, |(b, _)| b.reference),
        1 => col_str(rows, |_| &cycle),
        2 => col_i32(rows, |(_, l)| i32::from(l.seq) + 1),
        3 => col_str(rows, |(_, l)| d.name(l)),
        4 => col_dec(rows, 18, 4, |(_, l)| i128::from(l.quantity_e4))?,
        5 => col_dec(rows, 18, 4, |(_, l)| i128::from(l.rate_e4))?,
        6 => col_dec(rows, 18, 2, |(_, l)| i128::from(l.amount_paisa))?,
        7 => col_str(rows, |(_, l)| d.rule(l)),
        8 => col_str(rows, |(_, l)| d.source(l)),
        _ => return Err(no_column(TableKind::BillLines, col)),
    })
}

/// The (bill, line) pairs of the given bills, in bill then line order.
fn lines_of(cb: &CycleBills, bills: impl Iterator<Item = usize>) -> Vec<(&BillRow, &LineRow)> {
    let mut out = Vec::new();
    for bi in bills {
        let Some(b) = cb.bills.get(bi) else { continue };
        let lo = b.first_line as usize;
        let hi = lo + b.line_count as usize;
        out.extend(cb.lines.get(lo..hi).unwrap_or(&[]).iter().map(|l| (b, l)));
    }
    out
}

/// Builds the projected columns of `rows` into one batch of `schema` (already projected).
fn project<R>(
    schema: &SchemaRef,
    proj: &[usize],
    rows: &[R],
    col: impl Fn(&[R], usize) -> DfResult<ArrayRef>,
) -> DfResult<RecordBatch> {
    let cols = proj
        .iter()
        .map(|&c| col(rows, c))
        .collect::<DfResult<Vec<_>>>()?;
    batch_of(schema, cols, rows.len())
}

fn batch_of(schema: &SchemaRef, cols: Vec<ArrayRef>, rows: usize) -> DfResult<RecordBatch> {
    let opts = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &opts,
    )?)
}

/// Consumers a cycle run could not bill, with the reason (e.g. no notified rate).
pub fn refusals_batch(st: &State, p_ref: Option<Option<u64>>) -> DfResult<RecordBatch> {
    let mut disco = StringBuilder::new();
    let mut cycle = StringBuilder::new();
    let mut reference = StringBuilder::new();
    let mut tariff = StringBuilder::new();
    let mut reason = StringBuilder::new();
    for ((d, c), cb) in &st.cycles {
        let cs = c.to_string();
        for r in &cb.refusals {
            if let Some(want) = p_ref {
                if want != Some(r.reference) {
                    continue;
                }
            }
            disco.append_value(d);
            cycle.append_value(&cs);
            reference.append_value(ref_str(r.reference));
            tariff.append_value(&r.tariff);
            reason.append_value(&r.reason);
        }
    }
    Ok(RecordBatch::try_new(
        TableKind::BillRefusals.schema(),
        vec![
            Arc::new(disco.finish()),
            Arc::new(cycle.finish()),
            Arc::new(reference.finish()),
            Arc::new(tariff.finish()),
            Arc::new(reason.finish()),
        ],
    )?)
}

/// The employee free-units concession per DISCO and cycle: what the employer bears (the
/// `employee_free_units` credit lines, as a positive amount).
pub fn employer_cost_batch(st: &State) -> DfResult<RecordBatch> {
    let mut rows: Vec<(String, String, i64, i64, i64)> = Vec::new();
    for ((disco, cycle), cb) in &st.cycles {
        let (mut employees, mut units, mut credit) = (0i64, 0i64, 0i64);
        for b in cb.bills.iter().filter(|b| b.employee_free_units_kwh > 0) {
            employees += 1;
            units += b.employee_free_units_kwh as i64;
            let lo = b.first_line as usize;
            let hi = lo + b.line_count as usize;
            credit += cb
                .lines
                .get(lo..hi)
                .unwrap_or(&[])
                .iter()
                .filter(|l| cb.dicts.name(l) == "employee_free_units")
                .map(|l| l.amount_paisa)
                .sum::<i64>();
        }
        rows.push((disco.clone(), cycle.to_string(), employees, units, -credit));
    }
    let r = &rows[..];
    let cols: Vec<ArrayRef> = vec![
        col_str(r, |x| &x.0),
        col_str(r, |x| &x.1),
        col_i64(r, |x| x.2),
        col_i64(r, |x| x.3),
        col_dec(r, 18, 2, |x| i128::from(x.4))?,
    ];
    Ok(RecordBatch::try_new(
        TableKind::EmployerCost.schema(),
        cols,
    )?)
}

/// Every installment plan granted (`CALL grant_installments`), oldest first per consumer.
/// `installments_billed` counts the installments after the first that later bills carried
/// (the first is due with the bill the grant was made against).
pub fn installment_plans_batch(st: &State, p_ref: Option<Option<u64>>) -> DfResult<RecordBatch> {
    let mut rows: Vec<(u64, usize, &storage::plans::InstallmentPlan)> = Vec::new();
    for (idx, d) in st.consumer_dyn.iter().enumerate() {
        let Some(plans) = d.plans.as_deref() else {
            continue;
        };
        let Some(c) = st.consumers.get(idx) else {
            continue;
        };
        if p_ref.is_some_and(|want| want != Some(c.reference)) {
            continue;
        }
        rows.extend(
            plans
                .0
                .iter()
                .enumerate()
                .map(|(i, p)| (c.reference, i + 1, p)),
        );
    }
    let r = &rows[..];
    let cols: Vec<ArrayRef> = vec![
        col_ref(r, |x| x.0),
        col_i32(r, |x| x.1 as i32),
        col_date(r, |x| x.2.granted_on),
        col_opt_str_owned(r, |x| x.2.granted_against.map(|m| m.to_string())),
        col_dec(r, 18, 2, |x| i128::from(x.2.amount_paisa))?,
        col_i32(r, |x| x.2.installments.len() as i32),
        col_dec(r, 18, 2, |x| {
            i128::from(x.2.installments.first().copied().unwrap_or(0))
        })?,
        col_i32(r, |x| x.2.billed.len() as i32),
        col_dec(r, 18, 2, |x| i128::from(x.2.outstanding_paisa()))?,
        col_bool(r, |x| x.2.finished()),
    ];
    Ok(RecordBatch::try_new(
        TableKind::InstallmentPlans.schema(),
        cols,
    )?)
}

/// Each bill's tariff differential subsidy per line (determined - applicable), non-zero lines.
pub fn bill_subsidy_batch(st: &State, p_ref: Option<Option<u64>>) -> DfResult<RecordBatch> {
    let mut rows: Vec<(u64, String, &str, &str, i64)> = Vec::new();
    for ((disco, cycle), cb) in &st.cycles {
        let cycle = cycle.to_string();
        let wanted = p_ref.map(|r| r.and_then(|r| cb.by_reference.get(&r).copied()));
        for &(i, name, paisa) in &cb.subsidy_lines {
            if wanted.is_some_and(|w| w != Some(i)) {
                continue;
            }
            let Some(b) = cb.bills.get(i as usize) else {
                continue;
            };
            let line = cb.dicts.names.get(usize::from(name)).copied().unwrap_or("");
            rows.push((b.reference, cycle.clone(), disco, line, paisa));
        }
    }
    let r = &rows[..];
    let cols: Vec<ArrayRef> = vec![
        col_ref(r, |x| x.0),
        col_str(r, |x| &x.1),
        col_str(r, |x| x.2),
        col_str(r, |x| x.3),
        col_dec(r, 18, 2, |x| i128::from(x.4))?,
    ];
    Ok(RecordBatch::try_new(TableKind::BillSubsidy.schema(), cols)?)
}

/// Every FPA month and QTA quarter entry loaded (revisions and placeholders included).
pub fn adjustments_batch(st: &State) -> DfResult<RecordBatch> {
    let rows = st.book.adjustment_rows();
    let r = &rows[..];
    let cols: Vec<ArrayRef> = vec![
        col_str(r, |a| a.kind),
        col_str(r, |a| &a.period),
        col_i32(r, |a| i32::try_from(a.revision).unwrap_or(i32::MAX)),
        col_str(r, |a| &a.bill_months),
        col_opt_dec(r, 12, 4, |a| a.rate_rs_per_kwh.map(|d| scaled(d, 4)))?,
        col_str(r, |a| &a.exempt),
        col_str(r, |a| &a.notification),
        col_bool(r, |a| a.confirmed),
        col_bool(r, |a| a.missing),
        col_bool(r, |a| a.in_force),
    ];
    Ok(RecordBatch::try_new(TableKind::Adjustments.schema(), cols)?)
}

pub fn tariffs_batch(st: &State) -> DfResult<RecordBatch> {
    let rows = st.book.rows();
    let r = &rows[..];
    let cols: Vec<ArrayRef> = vec![
        col_str(r, |t| &t.schedule_id),
        col_str(r, |t| &t.sro),
        col_date(r, |t| t.effective_from),
        col_opt_date(r, |t| t.effective_to),
        col_str(r, |t| &t.tariff),
        col_str(r, |t| &t.category),
        col_str(r, |t| &t.band),
        col_opt_i64(r, |t| t.slab_from_kwh),
        col_opt_i64(r, |t| t.slab_to_kwh),
        col_opt_dec(r, 12, 4, |t| t.rate_rs_per_kwh.map(|d| scaled(d, 4)))?,
        col_opt_dec(r, 12, 4, |t| t.peak_rs_per_kwh.map(|d| scaled(d, 4)))?,
        col_opt_dec(r, 12, 4, |t| t.offpeak_rs_per_kwh.map(|d| scaled(d, 4)))?,
        col_opt_dec(r, 12, 2, |t| t.fixed_rs.map(|d| scaled(d, 2)))?,
        col_str(r, |t| &t.fixed_basis),
        col_bool(r, |t| t.confirmed),
        col_bool(r, |t| t.missing),
    ];
    Ok(RecordBatch::try_new(TableKind::Tariffs.schema(), cols)?)
}

/// Filters this provider evaluates itself.
#[derive(Debug, Default, Clone, PartialEq)]
struct Pushed {
    reference: Option<Option<u64>>, // Some(None): a reference literal that can match nothing
    cycle: Option<Option<YearMonth>>,
}

fn literal_eq<'a>(e: &'a Expr) -> Option<(&'a str, &'a str)> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return None;
    };
    if *op != Operator::Eq {
        return None;
    }
    let pick = |c: &'a Expr, v: &'a Expr| -> Option<(&'a str, &'a str)> {
        let Expr::Column(col) = c else { return None };
        let lit = match v {
            Expr::Literal(ScalarValue::Utf8(Some(s)), _)
            | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
            | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => s.as_str(),
            _ => return None,
        };
        Some((col.name.as_str(), lit))
    };
    pick(left, right).or_else(|| pick(right, left))
}

fn parse_ref(s: &str) -> Option<u64> {
    s.parse::<billing::reference::Reference>()
        .ok()
        .map(|r| r.as_u64())
}

/// Converted columns of one sealed chunk (or one 64 Ki-bill slice of a cycle), filled in
/// lazily: a query converts only the columns it reads, and later queries share them. `keep`
/// holds the chunk alive so its address is never reused while cached.
struct CachedChunk {
    keep: Arc<dyn Any + Send + Sync>,
    cols: Vec<Option<ArrayRef>>,
}

type ColumnCache = Mutex<HashMap<(usize, usize), CachedChunk>>;

pub struct StoreTable {
    kind: TableKind,
    store: Arc<Store>,
    schema: SchemaRef,
    cache: ColumnCache,
}

impl fmt::Debug for StoreTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreTable({})", self.kind.name())
    }
}

impl StoreTable {
    pub fn new(kind: TableKind, store: Arc<Store>) -> Self {
        StoreTable {
            kind,
            store,
            schema: kind.schema(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn pushed(&self, filters: &[Expr]) -> Pushed {
        let mut p = Pushed::default();
        for f in filters {
            if let Some((col, v)) = literal_eq(f) {
                match col {
                    "reference" => p.reference = Some(parse_ref(v)),
                    "cycle" if self.cycle_pushdown() => p.cycle = Some(v.parse().ok()),
                    _ => {}
                }
            }
        }
        p
    }

    fn cycle_pushdown(&self) -> bool {
        matches!(self.kind, TableKind::Bills | TableKind::BillLines)
    }

    /// The projected columns of one sealed chunk, converting (and caching) the missing ones.
    /// `rows` lists the chunk's rows; it runs only when some column is missing.
    fn cached<T: Send + Sync + 'static, R>(
        &self,
        owner: &Arc<T>,
        part: usize,
        out: &Projected,
        rows: impl Fn() -> Vec<R>,
        col: impl Fn(&[R], usize) -> DfResult<ArrayRef>,
    ) -> DfResult<RecordBatch> {
        let key = (Arc::as_ptr(owner) as *const () as usize, part);
        let width = self.schema.fields().len();
        let missing: Vec<usize> = {
            let cache = self.cache.lock();
            let have = cache.get(&key);
            out.cols
                .iter()
                .copied()
                .filter(|&c| have.and_then(|h| h.cols.get(c)).is_none_or(Option::is_none))
                .collect()
        };
        let mut n_rows = None;
        if !missing.is_empty() {
            let rows = rows();
            n_rows = Some(rows.len());
            let built = missing
                .iter()
                .map(|&c| col(&rows, c).map(|a| (c, a)))
                .collect::<DfResult<Vec<_>>>()?;
            let mut cache = self.cache.lock();
            let entry = cache.entry(key).or_insert_with(|| CachedChunk {
                keep: owner.clone(),
                cols: vec![None; width],
            });
            for (c, a) in built {
                if let Some(slot) = entry.cols.get_mut(c) {
                    *slot = Some(a);
                }
            }
        }
        let cache = self.cache.lock();
        let cols = out
            .cols
            .iter()
            .map(|&c| {
                cache
                    .get(&key)
                    .and_then(|h| h.cols.get(c).cloned().flatten())
                    .ok_or_else(|| no_column(self.kind, c))
            })
            .collect::<DfResult<Vec<_>>>()?;
        let n = match (cols.first(), n_rows) {
            (Some(a), _) => a.len(),
            (None, Some(n)) => n,
            (None, None) => rows().len(),
        };
        batch_of(&out.schema, cols, n)
    }

    /// Drops cache entries whose chunk the store no longer holds (e.g. a re-billed cycle).
    fn evict_unused(&self) {
        self.cache
            .lock()
            .retain(|_, e| Arc::strong_count(&e.keep) > 1);
    }

    fn batches(&self, st: &State, p: &Pushed, out: &Projected) -> DfResult<Vec<RecordBatch>> {
        let mut v = Vec::new();
        let whole = |b: RecordBatch| -> DfResult<RecordBatch> {
            let b = b.project(&out.cols)?;
            batch_of(&out.schema, b.columns().to_vec(), b.num_rows())
        };
        match self.kind {
            TableKind::Tariffs => v.push(whole(tariffs_batch(st)?)?),
            TableKind::Adjustments => v.push(whole(adjustments_batch(st)?)?),
            TableKind::BillSubsidy => v.push(whole(bill_subsidy_batch(st, p.reference)?)?),
            TableKind::BillRefusals => v.push(whole(refusals_batch(st, p.reference)?)?),
            TableKind::EmployerCost => v.push(whole(employer_cost_batch(st)?)?),
            TableKind::InstallmentPlans => {
                v.push(whole(installment_plans_batch(st, p.reference)?)?)
            }
            TableKind::Consumers => {
                if let Some(r) = p.reference {
                    let rows: Vec<&Consumer> = r
                        .and_then(|r| st.consumer(r))
                        .map(|(_, c)| c)
                        .into_iter()
                        .collect();
                    v.push(project(&out.schema, &out.cols, &rows, consumer_col)?);
                } else {
                    let (sealed, tail) = st.consumers.chunks();
                    for c in sealed {
                        v.push(self.cached(c, 0, out, || c.iter().collect(), consumer_col)?);
                    }
                    let rows: Vec<&Consumer> = tail.iter().collect();
                    v.push(project(&out.schema, &out.cols, &rows, consumer_col)?);
                }
            }
            TableKind::Readings => {
                if let Some(r) = p.reference {
                    let idx = r.map(|r| st.readings_of(r)).unwrap_or_default();
                    let rows: Vec<&Reading> = idx
                        .iter()
                        .filter_map(|&i| st.readings.get(i as usize))
                        .collect();
                    v.push(project(&out.schema, &out.cols, &rows, reading_col)?);
                } else {
                    let (sealed, tail) = st.readings.chunks();
                    for c in sealed {
                        v.push(self.cached(c, 0, out, || c.iter().collect(), reading_col)?);
                    }
                    let rows: Vec<&Reading> = tail.iter().collect();
                    v.push(project(&out.schema, &out.cols, &rows, reading_col)?);
                }
            }
            TableKind::Payments => {
                if let Some(r) = p.reference {
                    let idx = r
                        .and_then(|r| st.payments_by_ref.get(&r))
                        .cloned()
                        .unwrap_or_default();
                    let rows: Vec<&Payment> = idx
                        .iter()
                        .filter_map(|&i| st.payments.get(i as usize))
                        .collect();
                    v.push(project(&out.schema, &out.cols, &rows, payment_col)?);
                } else {
                    let (sealed, tail) = st.payments.chunks();
                    for c in sealed {
                        v.push(self.cached(c, 0, out, || c.iter().collect(), payment_col)?);
                    }
                    let rows: Vec<&Payment> = tail.iter().collect();
                    v.push(project(&out.schema, &out.cols, &rows, payment_col)?);
                }
            }
            TableKind::Bills | TableKind::BillLines => {
                for ((_, cycle), cb) in &st.cycles {
                    if let Some(want) = p.cycle {
                        if want != Some(*cycle) {
                            continue;
                        }
                    }
                    let bills = self.kind == TableKind::Bills;
                    let bill_rows = |it: std::ops::Range<usize>| -> Vec<&BillRow> {
                        cb.bills.get(it).unwrap_or(&[]).iter().collect()
                    };
                    let bcol = |rows: &[&BillRow], c| bill_col(cb, rows, c);
                    let lcol = |rows: &[(&BillRow, &LineRow)], c| line_col(cb, rows, c);
                    if let Some(r) = p.reference {
                        let hit = r.and_then(|r| cb.by_reference.get(&r)).map(|&i| i as usize);
                        v.push(match hit {
                            Some(i) if bills => {
                                project(&out.schema, &out.cols, &bill_rows(i..i + 1), bcol)?
                            }
                            Some(i) => {
                                project(&out.schema, &out.cols, &lines_of(cb, i..i + 1), lcol)?
                            }
                            None => batch_of(&out.schema, empty_columns(&out.schema), 0)?,
                        });
                    } else {
                        let n = cb.bills.len();
                        let step = storage::CHUNK_ROWS;
                        let mut lo = 0;
                        while lo < n {
                            let hi = (lo + step).min(n);
                            v.push(if bills {
                                self.cached(cb, lo / step, out, || bill_rows(lo..hi), bcol)?
                            } else {
                                self.cached(cb, lo / step, out, || lines_of(cb, lo..hi), lcol)?
                            });
                            lo = hi;
                        }
                    }
                }
            }
        }
        v.retain(|b| b.num_rows() > 0);
        Ok(v)
    }
}

/// The columns a scan asks for and their schema.
struct Projected {
    cols: Vec<usize>,
    schema: SchemaRef,
}

fn empty_columns(schema: &SchemaRef) -> Vec<ArrayRef> {
    schema
        .fields()
        .iter()
        .map(|f| datafusion::arrow::array::new_empty_array(f.data_type()))
        .collect()
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match literal_eq(f) {
                Some(("reference", _))
                    if !matches!(self.kind, TableKind::Tariffs | TableKind::Adjustments) =>
                {
                    TableProviderFilterPushDown::Exact
                }
                Some(("cycle", v)) if self.cycle_pushdown() && v.parse::<YearMonth>().is_ok() => {
                    TableProviderFilterPushDown::Exact
                }
                _ => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let pushed = self.pushed(filters);
        let cols: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let out = Projected {
            schema: Arc::new(self.schema.project(&cols)?),
            cols,
        };
        let batches = {
            let st = self.store.read();
            self.batches(&st, &pushed, &out)?
        };
        self.evict_unused();
        let parts = state.config().target_partitions().max(1);
        let mut partitions: Vec<Vec<RecordBatch>> =
            vec![Vec::new(); parts.min(batches.len()).max(1)];
        let np = partitions.len();
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % np].push(b);
        }
        let exec = MemorySourceConfig::try_new_exec(&partitions, out.schema.clone(), None)?;
        Ok(exec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_cycle() -> CycleBills {
        CycleBills {
            disco: "MEPCO".into(),
            cycle: YearMonth {
                year: 2026,
                month: 11,
            },
            issue_date: chrono::NaiveDate::MIN,
            bills: Vec::new(),
            lines: Vec::new(),
            dicts: Default::default(),
            refusals: Vec::new(),
            corrected: Vec::new(),
            by_reference: Default::default(),
            summary: Default::default(),
            previous_payable_within_due_paisa: Vec::new(),
            installments: Default::default(),
            subsidy_lines: Vec::new(),
            payments_mark: 0,
        }
    }

    /// Each column builder yields its schema field's type, and no table has a column the
    /// builders do not know (or the other way round).
    #[test]
    fn every_column_builder_matches_the_schema() {
        let cb = empty_cycle();
        let build = |kind: TableKind, c: usize| -> DfResult<ArrayRef> {
            match kind {
                TableKind::Consumers => consumer_col(&[], c),
                TableKind::Readings => reading_col(&[], c),
                TableKind::Payments => payment_col(&[], c),
                TableKind::Bills => bill_col(&cb, &[], c),
                TableKind::BillLines => line_col(&cb, &[], c),
                _ => Err(no_column(kind, c)),
            }
        };
        for kind in [
            TableKind::Consumers,
            TableKind::Readings,
            TableKind::Payments,
            TableKind::Bills,
            TableKind::BillLines,
        ] {
            let schema = kind.schema();
            for (c, f) in schema.fields().iter().enumerate() {
                let a = build(kind, c).unwrap();
                assert_eq!(a.data_type(), f.data_type(), "{}.{}", kind.name(), f.name());
            }
            assert!(build(kind, schema.fields().len()).is_err());
        }
    }

    #[test]
    fn zero_column_projection_keeps_the_row_count() {
        let schema = Arc::new(TableKind::Payments.schema().project(&[]).unwrap());
        let b = batch_of(&schema, Vec::new(), 3).unwrap();
        assert_eq!((b.num_rows(), b.num_columns()), (3, 0));
    }
}
