//! The one place errors become SQLSTATEs on the wire.

use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;
use pgwire::error::{ErrorInfo, PgWireError};
use query::QueryError;

fn info(code: &str, message: String, detail: Option<String>) -> PgWireError {
    let mut e = ErrorInfo::new("ERROR".into(), code.into(), message);
    e.detail = detail;
    PgWireError::UserError(Box::new(e))
}

/// An error Bijli raises itself with a chosen SQLSTATE.
pub fn refused(code: &str, message: String) -> PgWireError {
    info(code, message, None)
}

/// A query-layer error as the client sees it.
pub fn query_error(e: &QueryError) -> PgWireError {
    info(e.sqlstate(), e.to_string(), e.detail())
}

fn from_datafusion(e: DataFusionError) -> PgWireError {
    // Errors raised inside a command or table scan arrive wrapped as External.
    let mut cur: &DataFusionError = &e;
    loop {
        match cur {
            DataFusionError::External(inner) => {
                if let Some(q) = inner.downcast_ref::<QueryError>() {
                    return query_error(q);
                }
                break;
            }
            DataFusionError::Context(_, inner) => cur = inner,
            _ => break,
        }
    }
    let q = QueryError::DataFusion(e);
    query_error(&q)
}

/// Maps any handler error; errors that already carry a SQLSTATE pass through.
pub fn map_error(e: PgWireError) -> PgWireError {
    match e {
        PgWireError::ApiError(inner) => {
            let inner = match inner.downcast::<DataFusionError>() {
                Ok(d) => return from_datafusion(*d),
                Err(other) => other,
            };
            let inner = match inner.downcast::<QueryError>() {
                Ok(q) => return query_error(&q),
                Err(other) => other,
            };
            match inner.downcast::<ParserError>() {
                Ok(p) => info("42601", format!("syntax error: {p}"), None),
                Err(other) => info("XX000", other.to_string(), None),
            }
        }
        other => other,
    }
}
