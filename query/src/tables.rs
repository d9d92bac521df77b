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
use std::sync::Arc;

use async_trait::async_trait;
use billing::YearMonth;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder,
    RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::TableType;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::Mutex;
use rust_decimal::Decimal;
use storage::{Consumer, CycleBills, Payment, Reading, State, Store};

/// Which store table a provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    Consumers,
    Readings,
    Payments,
    Bills,
    BillLines,
    BillRefusals,
    Tariffs,
}

impl TableKind {
    pub const ALL: [TableKind; 7] = [
        TableKind::Consumers,
        TableKind::Readings,
        TableKind::Bills,
        TableKind::BillLines,
        TableKind::BillRefusals,
        TableKind::Payments,
        TableKind::Tariffs,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Consumers => "consumers",
            TableKind::Readings => "readings",
            TableKind::Payments => "payments",
            TableKind::Bills => "bills",
            TableKind::BillLines => "bill_lines",
            TableKind::BillRefusals => "bill_refusals",
            TableKind::Tariffs => "tariffs",
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

fn dec_builder(cap: usize, p: u8, s: i8) -> Decimal128Builder {
    Decimal128Builder::with_capacity(cap).with_data_type(DataType::Decimal128(p, s))
}

fn finish(schema: SchemaRef, cols: Vec<ArrayRef>) -> DfResult<RecordBatch> {
    Ok(RecordBatch::try_new(schema, cols)?)
}

pub fn consumers_batch(rows: &[&Consumer]) -> DfResult<RecordBatch> {
    let n = rows.len();
    let mut reference = StringBuilder::with_capacity(n, n * 14);
    let mut customer_id = StringBuilder::with_capacity(n, n * 10);
    let mut name = StringBuilder::with_capacity(n, n * 16);
    let mut address = StringBuilder::with_capacity(n, n * 40);
    let mut disco = StringBuilder::with_capacity(n, n * 5);
    let mut circle = StringBuilder::with_capacity(n, n * 8);
    let mut division = StringBuilder::with_capacity(n, n * 8);
    let mut subdivision = StringBuilder::with_capacity(n, n * 5);
    let mut batch = Int32Builder::with_capacity(n);
    let mut tariff = StringBuilder::with_capacity(n, n * 4);
    let mut load = dec_builder(n, 10, 2);
    let mut phase = Int32Builder::with_capacity(n);
    let mut meter = StringBuilder::with_capacity(n, n * 10);
    let mut mf = Int32Builder::with_capacity(n);
    let mut conn = Date32Builder::with_capacity(n);
    let mut status = StringBuilder::with_capacity(n, n * 6);
    let mut owner = StringBuilder::with_capacity(n, n * 7);
    let mut province = StringBuilder::with_capacity(n, n * 6);
    let mut tou = BooleanBuilder::with_capacity(n);
    let mut atl = BooleanBuilder::with_capacity(n);
    let mut grade = Int32Builder::with_capacity(n);
    let mut estatus = StringBuilder::with_capacity(n, n);
    let mut arrears = dec_builder(n, 18, 2);
    for c in rows {
        reference.append_value(ref_str(c.reference));
        customer_id.append_value(format!("{:010}", c.customer_id));
        name.append_value(&c.name);
        address.append_value(&c.address);
        disco.append_value(&c.disco);
        circle.append_value(&c.circle);
        division.append_value(&c.division);
        subdivision.append_value(format!("{:05}", c.subdivision));
        batch.append_value(i32::from(c.batch));
        tariff.append_value(&c.tariff);
        load.append_value(scaled(c.sanctioned_load_kw, 2));
        phase.append_value(i32::from(c.phase));
        meter.append_value(&c.meter_no);
        mf.append_value(c.multiplying_factor as i32);
        conn.append_value(days(c.connection_date));
        status.append_value(c.status.as_str());
        owner.append_value(&c.owner_type);
        province.append_value(&c.province);
        tou.append_value(c.tou);
        atl.append_value(c.atl);
        grade.append_option(c.employee_grade.map(i32::from));
        estatus.append_option(c.employee_status.as_deref());
        arrears.append_value(i128::from(c.opening_arrears_paisa));
    }
    finish(
        TableKind::Consumers.schema(),
        vec![
            Arc::new(reference.finish()),
            Arc::new(customer_id.finish()),
            Arc::new(name.finish()),
            Arc::new(address.finish()),
            Arc::new(disco.finish()),
            Arc::new(circle.finish()),
            Arc::new(division.finish()),
            Arc::new(subdivision.finish()),
            Arc::new(batch.finish()),
            Arc::new(tariff.finish()),
            Arc::new(load.finish()),
            Arc::new(phase.finish()),
            Arc::new(meter.finish()),
            Arc::new(mf.finish()),
            Arc::new(conn.finish()),
            Arc::new(status.finish()),
            Arc::new(owner.finish()),
            Arc::new(province.finish()),
            Arc::new(tou.finish()),
            Arc::new(atl.finish()),
            Arc::new(grade.finish()),
            Arc::new(estatus.finish()),
            Arc::new(arrears.finish()),
        ],
    )
}

pub fn readings_batch(rows: &[&Reading]) -> DfResult<RecordBatch> {
    let n = rows.len();
    let mut reference = StringBuilder::with_capacity(n, n * 14);
    let mut cycle = StringBuilder::with_capacity(n, n * 7);
    let mut rd = Date32Builder::with_capacity(n);
    let mut prd = Date32Builder::with_capacity(n);
    let mut op = Int64Builder::with_capacity(n);
    let mut opr = Int64Builder::with_capacity(n);
    let mut pp = Int64Builder::with_capacity(n);
    let mut ppr = Int64Builder::with_capacity(n);
    let mut units = Int64Builder::with_capacity(n);
    let mut ou = Int64Builder::with_capacity(n);
    let mut pu = Int64Builder::with_capacity(n);
    let mut mdi = dec_builder(n, 10, 2);
    let mut pf = dec_builder(n, 4, 2);
    let mut code = StringBuilder::with_capacity(n, n * 2);
    for r in rows {
        reference.append_value(ref_str(r.reference));
        cycle.append_value(r.cycle.to_string());
        rd.append_value(days(r.reading_date));
        prd.append_value(days(r.previous_reading_date));
        op.append_value(r.offpeak_previous as i64);
        opr.append_value(r.offpeak_present as i64);
        pp.append_option(r.peak_previous.map(|v| v as i64));
        ppr.append_option(r.peak_present.map(|v| v as i64));
        units.append_value((r.offpeak_units + r.peak_units) as i64);
        ou.append_value(r.offpeak_units as i64);
        pu.append_value(r.peak_units as i64);
        mdi.append_option(r.mdi_kw.map(|d| scaled(d, 2)));
        pf.append_option(r.power_factor.map(|d| scaled(d, 2)));
        code.append_value(&r.reading_code);
    }
    finish(
        TableKind::Readings.schema(),
        vec![
            Arc::new(reference.finish()),
            Arc::new(cycle.finish()),
            Arc::new(rd.finish()),
            Arc::new(prd.finish()),
            Arc::new(op.finish()),
            Arc::new(opr.finish()),
            Arc::new(pp.finish()),
            Arc::new(ppr.finish()),
            Arc::new(units.finish()),
            Arc::new(ou.finish()),
            Arc::new(pu.finish()),
            Arc::new(mdi.finish()),
            Arc::new(pf.finish()),
            Arc::new(code.finish()),
        ],
    )
}

pub fn payments_batch(rows: &[&Payment]) -> DfResult<RecordBatch> {
    let n = rows.len();
    let mut reference = StringBuilder::with_capacity(n, n * 14);
    let mut txn = StringBuilder::with_capacity(n, n * 16);
    let mut amount = dec_builder(n, 18, 2);
    let mut vd = Date32Builder::with_capacity(n);
    let mut bank = StringBuilder::with_capacity(n, n * 4);
    for p in rows {
        reference.append_value(ref_str(p.reference));
        txn.append_value(&p.transaction_id);
        amount.append_value(i128::from(p.amount_paisa));
        vd.append_value(days(p.value_date));
        bank.append_value(&p.bank);
    }
    finish(
        TableKind::Payments.schema(),
        vec![
            Arc::new(reference.finish()),
            Arc::new(txn.finish()),
            Arc::new(amount.finish()),
            Arc::new(vd.finish()),
            Arc::new(bank.finish()),
        ],
    )
}

pub fn bills_batch(cb: &CycleBills, idx: &mut dyn Iterator<Item = usize>) -> DfResult<RecordBatch> {
    let (lo, _) = idx.size_hint();
    let n = lo;
    let mut reference = StringBuilder::with_capacity(n, n * 14);
    let mut cycle = StringBuilder::with_capacity(n, n * 7);
    let mut disco = StringBuilder::with_capacity(n, n * 5);
    let mut tariff = StringBuilder::with_capacity(n, n * 4);
    let mut category = StringBuilder::with_capacity(n, n * 10);
    let mut band = StringBuilder::with_capacity(n, n * 10);
    let mut units = Int64Builder::with_capacity(n);
    let mut bd = dec_builder(n, 12, 2);
    let mut money: Vec<Decimal128Builder> = (0..7).map(|_| dec_builder(n, 18, 2)).collect();
    let mut carried = Int64Builder::with_capacity(n);
    let mut free = Int64Builder::with_capacity(n);
    let mut issue = Date32Builder::with_capacity(n);
    let mut due = Date32Builder::with_capacity(n);
    let mut versions = StringBuilder::with_capacity(n, n * 40);
    let cyc = cb.cycle.to_string();
    for i in idx {
        let Some(b) = cb.bills.get(i) else { continue };
        reference.append_value(ref_str(b.reference));
        cycle.append_value(&cyc);
        disco.append_value(&cb.disco);
        tariff.append_value(&*b.tariff);
        category.append_value(&*b.category);
        band.append_value(&*b.band);
        units.append_value(b.units_kwh as i64);
        bd.append_value(scaled(b.billing_demand_kw, 2));
        for (m, v) in money.iter_mut().zip([
            b.current_bill_paisa,
            b.total_fpa_paisa,
            b.arrears_paisa,
            b.payable_within_due_paisa,
            b.lps_paisa,
            b.payable_after_due_paisa,
            b.subsidy_paisa,
        ]) {
            m.append_value(i128::from(v));
        }
        carried.append_value(b.units_carried_forward_kwh as i64);
        free.append_value(b.employee_free_units_kwh as i64);
        issue.append_value(days(b.issue_date));
        due.append_value(days(b.due_date));
        versions.append_value(&*b.versions);
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(reference.finish()),
        Arc::new(cycle.finish()),
        Arc::new(disco.finish()),
        Arc::new(tariff.finish()),
        Arc::new(category.finish()),
        Arc::new(band.finish()),
        Arc::new(units.finish()),
        Arc::new(bd.finish()),
    ];
    for mut m in money {
        cols.push(Arc::new(m.finish()));
    }
    cols.push(Arc::new(carried.finish()));
    cols.push(Arc::new(free.finish()));
    cols.push(Arc::new(issue.finish()));
    cols.push(Arc::new(due.finish()));
    cols.push(Arc::new(versions.finish()));
    finish(TableKind::Bills.schema(), cols)
}

/// Lines of the given bills (by bill index), in bill then line order.
pub fn lines_batch(
    cb: &CycleBills,
    bills: &mut dyn Iterator<Item = usize>,
) -> DfResult<RecordBatch> {
    let (lo, _) = bills.size_hint();
    let n = lo * 8;
    let mut reference = StringBuilder::with_capacity(n, n * 14);
    let mut cycle = StringBuilder::with_capacity(n, n * 7);
    let mut seq = Int32Builder::with_capacity(n);
    let mut line = StringBuilder::with_capacity(n, n * 6);
    let mut qty = dec_builder(n, 18, 4);
    let mut rate = dec_builder(n, 18, 4);
    let mut amount = dec_builder(n, 18, 2);
    let mut rule = StringBuilder::with_capacity(n, n * 20);
    let mut source = StringBuilder::with_capacity(n, n * 20);
    let cyc = cb.cycle.to_string();
    for bi in bills {
        let Some(b) = cb.bills.get(bi) else { continue };
        let r = ref_str(b.reference);
        let lo = b.first_line as usize;
        let hi = lo + b.line_count as usize;
        for l in cb.lines.get(lo..hi).unwrap_or(&[]) {
            reference.append_value(&r);
            cycle.append_value(&cyc);
            seq.append_value(i32::from(l.seq) + 1);
            line.append_value(l.line);
            qty.append_value(scaled(l.quantity, 4));
            rate.append_value(scaled(l.rate, 4));
            amount.append_value(i128::from(l.amount_paisa));
            rule.append_value(l.rule);
            source.append_value(&*l.source);
        }
    }
    finish(
        TableKind::BillLines.schema(),
        vec![
            Arc::new(reference.finish()),
            Arc::new(cycle.finish()),
            Arc::new(seq.finish()),
            Arc::new(line.finish()),
            Arc::new(qty.finish()),
            Arc::new(rate.finish()),
            Arc::new(amount.finish()),
            Arc::new(rule.finish()),
            Arc::new(source.finish()),
        ],
    )
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
    finish(
        TableKind::BillRefusals.schema(),
        vec![
            Arc::new(disco.finish()),
            Arc::new(cycle.finish()),
            Arc::new(reference.finish()),
            Arc::new(tariff.finish()),
            Arc::new(reason.finish()),
        ],
    )
}

pub fn tariffs_batch(st: &State) -> DfResult<RecordBatch> {
    let rows = st.book.rows();
    let n = rows.len();
    let mut sid = StringBuilder::with_capacity(n, n * 16);
    let mut sro = StringBuilder::with_capacity(n, n * 16);
    let mut from = Date32Builder::with_capacity(n);
    let mut to = Date32Builder::with_capacity(n);
    let mut tariff = StringBuilder::with_capacity(n, n * 4);
    let mut cat = StringBuilder::with_capacity(n, n * 10);
    let mut band = StringBuilder::with_capacity(n, n * 10);
    let mut sf = Int64Builder::with_capacity(n);
    let mut stt = Int64Builder::with_capacity(n);
    let mut rate = dec_builder(n, 12, 4);
    let mut peak = dec_builder(n, 12, 4);
    let mut off = dec_builder(n, 12, 4);
    let mut fixed = dec_builder(n, 12, 2);
    let mut basis = StringBuilder::with_capacity(n, n * 16);
    let mut confirmed = BooleanBuilder::with_capacity(n);
    let mut missing = BooleanBuilder::with_capacity(n);
    for r in &rows {
        sid.append_value(&r.schedule_id);
        sro.append_value(&r.sro);
        from.append_value(days(r.effective_from));
        to.append_option(r.effective_to.map(days));
        tariff.append_value(&r.tariff);
        cat.append_value(&r.category);
        band.append_value(&r.band);
        sf.append_option(r.slab_from_kwh);
        stt.append_option(r.slab_to_kwh);
        rate.append_option(r.rate_rs_per_kwh.map(|d| scaled(d, 4)));
        peak.append_option(r.peak_rs_per_kwh.map(|d| scaled(d, 4)));
        off.append_option(r.offpeak_rs_per_kwh.map(|d| scaled(d, 4)));
        fixed.append_option(r.fixed_rs.map(|d| scaled(d, 2)));
        basis.append_value(&r.fixed_basis);
        confirmed.append_value(r.confirmed);
        missing.append_value(r.missing);
    }
    finish(
        TableKind::Tariffs.schema(),
        vec![
            Arc::new(sid.finish()),
            Arc::new(sro.finish()),
            Arc::new(from.finish()),
            Arc::new(to.finish()),
            Arc::new(tariff.finish()),
            Arc::new(cat.finish()),
            Arc::new(band.finish()),
            Arc::new(sf.finish()),
            Arc::new(stt.finish()),
            Arc::new(rate.finish()),
            Arc::new(peak.finish()),
            Arc::new(off.finish()),
            Arc::new(fixed.finish()),
            Arc::new(basis.finish()),
            Arc::new(confirmed.finish()),
            Arc::new(missing.finish()),
        ],
    )
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

/// Cache of converted sealed chunks, keyed by the chunk's address; each entry keeps its
/// chunk alive so an address is never reused while cached.
type BatchCache = Mutex<HashMap<(usize, usize), (Arc<dyn Any + Send + Sync>, RecordBatch)>>;

pub struct StoreTable {
    kind: TableKind,
    store: Arc<Store>,
    schema: SchemaRef,
    cache: BatchCache,
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

    fn cached<T: Send + Sync + 'static>(
        &self,
        owner: &Arc<T>,
        part: usize,
        build: impl FnOnce() -> DfResult<RecordBatch>,
    ) -> DfResult<RecordBatch> {
        let key = (Arc::as_ptr(owner) as *const () as usize, part);
        if let Some((_, b)) = self.cache.lock().get(&key) {
            return Ok(b.clone());
        }
        let b = build()?;
        let keep: Arc<dyn Any + Send + Sync> = owner.clone();
        self.cache.lock().insert(key, (keep, b.clone()));
        Ok(b)
    }

    /// Drops cache entries whose chunk the store no longer holds (e.g. a re-billed cycle).
    fn evict_unused(&self) {
        self.cache
            .lock()
            .retain(|_, (keep, _)| Arc::strong_count(keep) > 1);
    }

    fn batches(&self, st: &State, p: &Pushed) -> DfResult<Vec<RecordBatch>> {
        let mut out = Vec::new();
        match self.kind {
            TableKind::Tariffs => out.push(tariffs_batch(st)?),
            TableKind::BillRefusals => out.push(refusals_batch(st, p.reference)?),
            TableKind::Consumers => {
                if let Some(r) = p.reference {
                    let rows: Vec<&Consumer> = r
                        .and_then(|r| st.consumer(r))
                        .map(|(_, c)| c)
                        .into_iter()
                        .collect();
                    out.push(consumers_batch(&rows)?);
                } else {
                    let (sealed, tail) = st.consumers.chunks();
                    for c in sealed {
                        out.push(
                            self.cached(c, 0, || consumers_batch(&c.iter().collect::<Vec<_>>()))?,
                        );
                    }
                    out.push(consumers_batch(&tail.iter().collect::<Vec<_>>())?);
                }
            }
            TableKind::Readings => {
                if let Some(r) = p.reference {
                    let idx = r.map(|r| st.readings_of(r)).unwrap_or_default();
                    let rows: Vec<&Reading> = idx
                        .iter()
                        .filter_map(|&i| st.readings.get(i as usize))
                        .collect();
                    out.push(readings_batch(&rows)?);
                } else {
                    let (sealed, tail) = st.readings.chunks();
                    for c in sealed {
                        out.push(
                            self.cached(c, 0, || readings_batch(&c.iter().collect::<Vec<_>>()))?,
                        );
                    }
                    out.push(readings_batch(&tail.iter().collect::<Vec<_>>())?);
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
                    out.push(payments_batch(&rows)?);
                } else {
                    let (sealed, tail) = st.payments.chunks();
                    for c in sealed {
                        out.push(
                            self.cached(c, 0, || payments_batch(&c.iter().collect::<Vec<_>>()))?,
                        );
                    }
                    out.push(payments_batch(&tail.iter().collect::<Vec<_>>())?);
                }
            }
            TableKind::Bills | TableKind::BillLines => {
                for ((_, cycle), cb) in &st.cycles {
                    if let Some(want) = p.cycle {
                        if want != Some(*cycle) {
                            continue;
                        }
                    }
                    let build = |it: &mut dyn Iterator<Item = usize>| {
                        if self.kind == TableKind::Bills {
                            bills_batch(cb, it)
                        } else {
                            lines_batch(cb, it)
                        }
                    };
                    if let Some(r) = p.reference {
                        let hit = r.and_then(|r| cb.by_reference.get(&r)).map(|&i| i as usize);
                        out.push(build(&mut hit.into_iter())?);
                    } else {
                        let n = cb.bills.len();
                        let step = storage::CHUNK_ROWS;
                        let mut lo = 0;
                        while lo < n {
                            let hi = (lo + step).min(n);
                            out.push(self.cached(cb, lo / step, || build(&mut (lo..hi)))?);
                            lo = hi;
                        }
                    }
                }
            }
        }
        out.retain(|b| b.num_rows() > 0);
        Ok(out)
    }
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
                Some(("reference", _)) if self.kind != TableKind::Tariffs => {
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
        let batches = {
            let st = self.store.read();
            self.batches(&st, &pushed)?
        };
        self.evict_unused();
        let parts = state.config().target_partitions().max(1);
        let mut partitions: Vec<Vec<RecordBatch>> =
            vec![Vec::new(); parts.min(batches.len()).max(1)];
        let np = partitions.len();
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % np].push(b);
        }
        let exec = MemorySourceConfig::try_new_exec(
            &partitions,
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}
