//! Native commands, called as SQL `CALL name(args)`; each returns one result set.
//!
//! - `CALL bill_cycle('<disco>', '<yyyy-mm>' [, '<issue yyyy-mm-dd>'])`: bills every active
//!   consumer of the DISCO that has a reading for the cycle; re-running replaces the cycle's
//!   bills (from the inputs the previous run saw) and keeps the previous run's payable per
//!   bill: `bills.previous_payable_within_due` and `bills.difference` (NULL on a first run), e.g.
//!   `SELECT reference, previous_payable_within_due, payable_within_due, difference FROM bills
//!   WHERE cycle = '2026-11' AND difference <> 0` after a late FPA file. Returns one summary
//!   row. Journaled as the command, so a restart recomputes every run in order.
//! - `CALL load_tariff('<name>', '<toml text>')`: loads a schedule / FPA / QTA / tax file
//!   (validated whole, journaled, effective immediately).
//! - `CALL grant_installments('<reference>', '<n>' [, '<amount Rs>' [, '<grant date>']])`:
//!   grants `n` installments (2..=the `[[installment]]` rule's maximum, once per fiscal year,
//!   one plan at a time) of the amount (default: all the consumer owes) on the date (default:
//!   the issue date of the consumer's latest bill, never earlier). The first installment stays
//!   due with that bill; the rest are deferred and billed one per later bill with markup
//!   (`installment`, `installment_markup` lines; `bills.installment`, `installment_markup`,
//!   `deferred`; table `installment_plans`). Journaled. One row: the plan.
//! - `CALL simulate_tariff('<toml text | file name>', '<yyyy-mm>' [, '<disco>'])`: what-if.
//!   Re-prices every consumer of the already-billed cycle (of one DISCO, or of every DISCO
//!   that billed it) under the proposal, whose schedules take precedence over the book on the
//!   dates they cover (`TariffBook::with_override`); the proposal may be TOML text, a shipped
//!   data file's name or a loaded file's name. Each consumer gets exactly the inputs of the
//!   real run, on the cycle's issue date. Changes and journals nothing (read lock only). One
//!   row per (disco, category, band) plus an `ALL`/`ALL` row per DISCO: bills, refused (by the
//!   proposal), units, revenue (current bill + FPA) and subsidy, current / proposed / change,
//!   as exact NUMERIC(18,2). A proposal that does not parse, conflicts with the book or is in
//!   force on no schedule date of the cycle is refused with 22023; an unbilled cycle with
//!   55000 (object not in prerequisite state).

use std::sync::Arc;

use billing::YearMonth;
use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Statement, Value,
};
use storage::Store;

use crate::error::QueryError;

/// A recognised CALL with its arguments as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<String>,
    /// Arguments given as bind parameters (`$n`, the extended protocol): (argument index,
    /// parameter number from 1). Their `args` entries are empty until [`Call::bind`].
    pub placeholders: Vec<(usize, usize)>,
}

impl Call {
    /// The call with each `$n` argument replaced by the n-th bound value (text form; a NULL
    /// is the argument's default, as an omitted one).
    pub fn bind(&self, params: &[Option<String>]) -> Result<Call, QueryError> {
        let mut call = self.clone();
        for &(arg, n) in &self.placeholders {
            let value = params.get(n - 1).cloned().ok_or_else(|| {
                QueryError::UndefinedParameter(format!(
                    "CALL {}: argument {} (${n}) has no value bound",
                    self.name,
                    arg + 1
                ))
            })?;
            call.args[arg] = value.unwrap_or_default();
        }
        call.placeholders.clear();
        Ok(call)
    }
}

/// `None`: not a CALL statement.
pub fn plan_call(stmt: &Statement) -> Option<Result<Call, QueryError>> {
    let Statement::Call(f) = stmt else {
        return None;
    };
    Some((|| {
        let name = f
            .name
            .0
            .last()
            .map(|p| p.to_string().trim_matches('"').to_lowercase())
            .unwrap_or_default();
        let mut args = Vec::new();
        let mut placeholders = Vec::new();
        if let FunctionArguments::List(list) = &f.args {
            for a in &list.args {
                let e = match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
                    FunctionArg::Named {
                        arg: FunctionArgExpr::Expr(e),
                        ..
                    } => e,
                    _ => {
                        return Err(QueryError::InvalidArgument(format!(
                            "unsupported argument in CALL {name}"
                        )))
                    }
                };
                if let Some(n) = placeholder(e) {
                    placeholders.push((args.len(), n));
                    args.push(String::new());
                    continue;
                }
                args.push(literal_text(e).ok_or_else(|| {
                    QueryError::InvalidArgument(format!(
                        "CALL {name}: arguments must be literals or bind parameters, got {e}"
                    ))
                })?);
            }
        }
        Ok(Call {
            name,
            args,
            placeholders,
        })
    })())
}

/// `$n` (possibly cast, e.g. `$1::text`): its number.
fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok().filter(|n| *n >= 1),
            _ => None,
        },
        Expr::Cast { expr, .. } | Expr::Nested(expr) => placeholder(expr),
        _ => None,
    }
}

fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            // NULL: the argument's default, as an omitted one.
            Value::Null => Some(String::new()),
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::EscapedStringLiteral(s) => Some(s.clone()),
            Value::DollarQuotedString(d) => Some(d.value.clone()),
            Value::Number(n, _) => Some(n.clone()),
            _ => None,
        },
        Expr::Cast { expr, .. } => literal_text(expr),
        Expr::Nested(e) => literal_text(e),
        _ => None,
    }
}

/// Result schema of a command (for Describe in the extended protocol).
pub fn call_schema(name: &str) -> Result<SchemaRef, QueryError> {
    let fields = match name {
        "bill_cycle" => vec![
            Field::new("disco", DataType::Utf8, false),
            Field::new("cycle", DataType::Utf8, false),
            Field::new("bills", DataType::Int64, false),
            Field::new("refused", DataType::Int64, false),
            Field::new("without_reading", DataType::Int64, false),
            Field::new("units_kwh", DataType::Int64, false),
            Field::new("payable", DataType::Decimal128(18, 2), false),
            Field::new("elapsed_ms", DataType::Int64, false),
        ],
        "load_tariff" => vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("loaded", DataType::Utf8, false),
        ],
        "simulate_tariff" => {
            let money = |n: &str| Field::new(n, DataType::Decimal128(18, 2), false);
            vec![
                Field::new("disco", DataType::Utf8, false),
                Field::new("category", DataType::Utf8, false),
                Field::new("band", DataType::Utf8, false),
                Field::new("bills", DataType::Int64, false),
                Field::new("refused", DataType::Int64, false),
                Field::new("units", DataType::Int64, false),
                money("revenue_current"),
                money("revenue_proposed"),
                money("revenue_change"),
                money("subsidy_current"),
                money("subsidy_proposed"),
                money("subsidy_change"),
            ]
        }
        "grant_installments" => {
            let money = |n: &str| Field::new(n, DataType::Decimal128(18, 2), false);
            vec![
                Field::new("reference", DataType::Utf8, false),
                Field::new("granted_on", DataType::Date32, false),
                money("amount"),
                Field::new("installments", DataType::Int32, false),
                money("first_installment"),
                Field::new("first_due_date", DataType::Date32, true),
                money("deferred"),
                Field::new("markup_percent_per_year", DataType::Decimal128(8, 4), false),
                Field::new("rule", DataType::Utf8, false),
            ]
        }
        other => {
            return Err(QueryError::UndefinedFunction(format!(
                "procedure {other} does not exist (bill_cycle, grant_installments, load_tariff, \
                 simulate_tariff)"
            )))
        }
    };
    Ok(Arc::new(Schema::new(fields)))
}

/// Runs a command (blocking: call from a blocking thread).
pub fn run_call(store: &Store, call: &Call) -> Result<RecordBatch, QueryError> {
    if let Some((_, n)) = call.placeholders.first() {
        return Err(QueryError::UndefinedParameter(format!(
            "CALL {}: there is no parameter ${n}",
            call.name
        )));
    }
    let schema = call_schema(&call.name)?;
    let max_args = match call.name.as_str() {
        "grant_installments" => 4,
        "bill_cycle" | "simulate_tariff" => 3,
        _ => 2,
    };
    if call.args.len() > max_args {
        return Err(QueryError::InvalidArgument(format!(
            "CALL {}: takes at most {max_args} arguments, got {}",
            call.name,
            call.args.len()
        )));
    }
    let arg = |i: usize, what: &str| -> Result<&str, QueryError> {
        call.args.get(i).map(String::as_str).ok_or_else(|| {
            QueryError::InvalidArgument(format!(
                "CALL {}: missing argument {} ({what})",
                call.name,
                i + 1
            ))
        })
    };
    let cycle_arg = |i: usize| -> Result<YearMonth, QueryError> {
        let s = arg(i, "cycle YYYY-MM")?;
        s.parse()
            .map_err(|_| QueryError::InvalidArgument(format!("invalid cycle {s:?} (want YYYY-MM)")))
    };
    let cols: Vec<ArrayRef> = match call.name.as_str() {
        "bill_cycle" => {
            let disco = arg(0, "DISCO")?.to_uppercase();
            let cycle = cycle_arg(1)?;
            // No clock: without an issue date the bills are issued the day after the cycle's
            // last reading (Store::bill_cycle), so a re-run or replay gives the same bills.
            let issue = match call.args.get(2).filter(|d| !d.trim().is_empty()) {
                Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    QueryError::InvalidArgument(format!("invalid issue date {d:?}"))
                })?),
                None => None,
            };
            let s = store.bill_cycle(&disco, cycle, issue)?;
            vec![
                Arc::new(StringArray::from(vec![s.disco.clone()])),
                Arc::new(StringArray::from(vec![s.cycle.clone()])),
                Arc::new(Int64Array::from(vec![s.bills as i64])),
                Arc::new(Int64Array::from(vec![s.refused as i64])),
                Arc::new(Int64Array::from(vec![s.without_reading as i64])),
                Arc::new(Int64Array::from(vec![s.units_kwh as i64])),
                Arc::new(
                    Decimal128Array::from(vec![i128::from(s.payable_paisa)])
                        .with_precision_and_scale(18, 2)
                        .map_err(datafusion::error::DataFusionError::from)?,
                ),
                Arc::new(Int64Array::from(vec![s.elapsed_ms as i64])),
            ]
        }
        "load_tariff" => {
            let name = arg(0, "file name")?;
            let text = arg(1, "TOML text")?;
            let summary = store.load_tariff(name, text)?;
            vec![
                Arc::new(StringArray::from(vec![name.to_string()])),
                Arc::new(StringArray::from(vec![summary])),
            ]
        }
        "simulate_tariff" => {
            let proposal = arg(0, "proposed schedule: TOML text or a tariff file name")?;
            let cycle = cycle_arg(1)?;
            let disco = call
                .args
                .get(2)
                .filter(|d| !d.trim().is_empty())
                .map(|d| d.to_uppercase());
            let sim = store.simulate_tariff(proposal, cycle, disco.as_deref())?;
            simulation_columns(&sim)?
        }
        "grant_installments" => {
            let reference = arg(0, "reference")?;
            let reference = reference
                .parse::<billing::reference::Reference>()
                .map_err(|e| {
                    QueryError::InvalidArgument(format!("invalid reference {reference:?}: {e}"))
                })?
                .as_u64();
            let n = arg(1, "number of installments")?;
            let n: u32 = n.trim().parse().map_err(|_| {
                QueryError::InvalidArgument(format!("invalid number of installments {n:?}"))
            })?;
            let amount = match call.args.get(2).map(|a| a.trim()) {
                None | Some("") => None,
                Some(a) => Some(a.parse::<rust_decimal::Decimal>().map_err(|_| {
                    QueryError::InvalidArgument(format!(
                        "invalid amount {a:?} (rupees, e.g. 1500.50)"
                    ))
                })?),
            };
            let date = match call.args.get(3).filter(|d| !d.trim().is_empty()) {
                Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    QueryError::InvalidArgument(format!("invalid grant date {d:?}"))
                })?),
                None => None,
            };
            let g = store.grant_installments(reference, n, amount, date)?;
            let day = |d: NaiveDate| {
                chrono::Datelike::num_days_from_ce(&d) - 719_163 // Date32: days since 1970
            };
            vec![
                Arc::new(StringArray::from(vec![format!("{reference:014}")])),
                Arc::new(Date32Array::from(vec![day(g.grant.granted_on)])),
                money_column(vec![i128::from(g.grant.amount_paisa)])?,
                Arc::new(Int32Array::from(vec![g.grant.installments as i32])),
                money_column(vec![i128::from(g.first_installment_paisa)])?,
                Arc::new(Date32Array::from(vec![g.first_due_date.map(day)])),
                money_column(vec![i128::from(g.deferred_paisa)])?,
                Arc::new(
                    Decimal128Array::from(vec![scaled_e4(g.markup_percent_per_year)])
                        .with_precision_and_scale(8, 4)
                        .map_err(datafusion::error::DataFusionError::from)?,
                ),
                Arc::new(StringArray::from(vec![g.source])),
            ]
        }
        _ => unreachable!("call_schema rejected unknown names"),
    };
    Ok(RecordBatch::try_new(schema, cols).map_err(datafusion::error::DataFusionError::from)?)
}

/// A decimal as its mantissa at scale 4 (half away from zero).
fn scaled_e4(d: rust_decimal::Decimal) -> i128 {
    let r = d.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.mantissa() * 10i128.pow(4 - r.scale().min(4))
}

fn money_column(values: Vec<i128>) -> Result<ArrayRef, QueryError> {
    Ok(Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(18, 2)
            .map_err(datafusion::error::DataFusionError::from)?,
    ))
}

/// `CALL simulate_tariff` result columns, in `call_schema` order.
fn simulation_columns(sim: &storage::Simulation) -> Result<Vec<ArrayRef>, QueryError> {
    let r = &sim.rows;
    let text = |f: fn(&storage::SimulationRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from(r.iter().map(f).collect::<Vec<_>>()))
    };
    let int = |f: fn(&storage::SimulationRow) -> u64| -> ArrayRef {
        Arc::new(Int64Array::from(
            r.iter()
                .map(|x| i64::try_from(f(x)).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        ))
    };
    let money = |f: fn(&storage::SimulationRow) -> i128| money_column(r.iter().map(f).collect());
    Ok(vec![
        text(|x| x.disco.as_str()),
        text(|x| x.category.as_str()),
        text(|x| x.band.as_str()),
        int(|x| x.bills),
        int(|x| x.refused),
        int(|x| x.units_kwh),
        money(|x| x.revenue_current_paisa)?,
        money(|x| x.revenue_proposed_paisa)?,
        money(|x| x.revenue_change_paisa())?,
        money(|x| x.subsidy_current_paisa)?,
        money(|x| x.subsidy_proposed_paisa)?,
        money(|x| x.subsidy_change_paisa())?,
    ])
}
