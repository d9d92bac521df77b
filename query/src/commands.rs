//! Native commands, called as SQL `CALL name(args)`; each returns one result set.
//!
//! - `CALL bill_cycle('<disco>', '<yyyy-mm>' [, '<issue yyyy-mm-dd>'])`: bills every active
//!   consumer of the DISCO that has a reading for the cycle; re-running replaces the cycle's
//!   bills. Returns one summary row.
//! - `CALL load_tariff('<name>', '<toml text>')`: loads a schedule / FPA / QTA / tax file
//!   (validated whole, journaled, effective immediately).

use std::sync::Arc;

use billing::YearMonth;
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringArray};
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
                args.push(literal_text(e).ok_or_else(|| {
                    QueryError::InvalidArgument(format!(
                        "CALL {name}: arguments must be literals, got {e}"
                    ))
                })?);
            }
        }
        Ok(Call { name, args })
    })())
}

fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
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
        other => {
            return Err(QueryError::UndefinedFunction(format!(
                "procedure {other} does not exist (bill_cycle, load_tariff)"
            )))
        }
    };
    Ok(Arc::new(Schema::new(fields)))
}

/// Runs a command (blocking: call from a blocking thread).
pub fn run_call(store: &Store, call: &Call, today: NaiveDate) -> Result<RecordBatch, QueryError> {
    let schema = call_schema(&call.name)?;
    let arg = |i: usize, what: &str| -> Result<&str, QueryError> {
        call.args.get(i).map(String::as_str).ok_or_else(|| {
            QueryError::InvalidArgument(format!(
                "CALL {}: missing argument {} ({what})",
                call.name,
                i + 1
            ))
        })
    };
    let cols: Vec<ArrayRef> = match call.name.as_str() {
        "bill_cycle" => {
            let disco = arg(0, "DISCO")?.to_uppercase();
            let cycle: YearMonth = arg(1, "cycle YYYY-MM")?.parse().map_err(|_| {
                QueryError::InvalidArgument(format!(
                    "invalid cycle {:?} (want YYYY-MM)",
                    call.args[1]
                ))
            })?;
            let issue = match call.args.get(2) {
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    QueryError::InvalidArgument(format!("invalid issue date {d:?}"))
                })?,
                None => today,
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
        _ => unreachable!("call_schema rejected unknown names"),
    };
    Ok(RecordBatch::try_new(schema, cols).map_err(datafusion::error::DataFusionError::from)?)
}
