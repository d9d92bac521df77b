//! Query-layer errors. Each carries enough for `server` to pick a SQLSTATE.

use thiserror::Error;

/// One rejected COPY row: 1-based line of the input, the column, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
    pub sqlstate: &'static str,
}

/// How many faults a refused COPY lists: rows with one and the faults themselves, and when the
/// list stopped at its limit (the detail lists them).
fn fault_count(errors: &[CopyRowError]) -> String {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.dedup();
    let more = if errors.len() >= crate::copy::MAX_LISTED_FAULTS {
        " (the list stops there: there may be more)"
    } else {
        ""
    };
    format!("{} fault(s) on {} line(s){more}", errors.len(), lines.len())
}

impl std::fmt::Display for CopyRowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

#[derive(Debug, Error)]
pub enum QueryError {
    #[error("{0}")]
    Syntax(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    UndefinedTable(String),
    #[error("{0}")]
    UndefinedFunction(String),
    #[error("{0}")]
    UndefinedParameter(String),
    #[error("{0}")]
    UndefinedColumn(String),
    #[error("COPY {table}: {}, nothing was loaded; first: {}", fault_count(.errors), .errors.first().map(|e| e.to_string()).unwrap_or_default())]
    CopyRows {
        table: String,
        errors: Vec<CopyRowError>,
    },
    #[error("{0}")]
    Storage(#[from] storage::StorageError),
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Billing(#[from] billing::BillingError),
}

/// A data file loading something already loaded is a unique violation; every other billing
/// refusal is an invalid parameter.
fn billing_sqlstate(b: &billing::BillingError) -> &'static str {
    match b {
        billing::BillingError::Duplicate { .. } => "23505",
        _ => "22023",
    }
}

impl QueryError {
    /// The SQLSTATE for this error (the server's one mapping function calls this).
    pub fn sqlstate(&self) -> &'static str {
        use storage::StorageError as S;
        match self {
            QueryError::Syntax(_) => "42601",
            QueryError::Unsupported(_) => "0A000",
            QueryError::InvalidArgument(_) => "22023",
            QueryError::UndefinedTable(_) => "42P01",
            QueryError::UndefinedFunction(_) => "42883",
            QueryError::UndefinedParameter(_) => "42P02",
            QueryError::UndefinedColumn(_) => "42703",
            QueryError::CopyRows { errors, .. } => {
                errors.first().map(|e| e.sqlstate).unwrap_or("22P02")
            }
            QueryError::Billing(b) => billing_sqlstate(b),
            QueryError::Storage(s) => match s {
                S::Rows(r) => r.first().map(|e| e.sqlstate).unwrap_or("22000"),
                S::NotFound(_) => "42704",
                S::UnknownKey(_) => "23503",
                S::Duplicate(_) => "23505",
                S::NotReady(_) => "55000",
                S::Billing(b) => billing_sqlstate(b),
                S::Invalid(_) => "22023",
                S::TooLarge(_) => "54000",
                S::Io(e) if e.raw_os_error() == Some(28) => "53100",
                S::Durability(_) => "58030",
                S::Corrupt(_) => "XX001",
                _ => "XX000",
            },
            QueryError::DataFusion(e) => datafusion_sqlstate(e),
        }
    }

    /// Row-by-row detail for the ErrorResponse DETAIL field, if any.
    pub fn detail(&self) -> Option<String> {
        match self {
            QueryError::CopyRows { errors, .. } if errors.len() > 1 => Some(
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        }
    }
}

fn datafusion_sqlstate(e: &datafusion::error::DataFusionError) -> &'static str {
    use datafusion::error::DataFusionError as D;
    match e {
        D::SQL(..) => "42601",
        D::Plan(m) => {
            if m.contains("not found") && m.contains("able") {
                "42P01"
            } else if m.contains("Invalid function")
                || m.contains("function") && m.contains("not found")
            {
                "42883"
            } else if m.contains("No field named") || m.contains("Schema error") {
                "42703"
            } else {
                "42601"
            }
        }
        D::SchemaError(..) => "42703",
        D::NotImplemented(_) => "0A000",
        D::ArrowError(a, _) => arrow_sqlstate(a),
        D::Context(_, inner) => datafusion_sqlstate(inner),
        D::Shared(inner) => datafusion_sqlstate(inner),
        D::External(inner) => match inner.downcast_ref::<datafusion::arrow::error::ArrowError>() {
            Some(a) => arrow_sqlstate(a),
            None if inner.is::<crate::to_char::TemplateError>() => "22023",
            None => "XX000",
        },
        D::Diagnostic(_, inner) => datafusion_sqlstate(inner),
        _ => "XX000",
    }
}

fn arrow_sqlstate(e: &datafusion::arrow::error::ArrowError) -> &'static str {
    use datafusion::arrow::error::ArrowError as A;
    match e {
        A::DivideByZero => "22012",
        A::ArithmeticOverflow(_) => "22003",
        A::CastError(_) | A::ParseError(_) => "22P02",
        A::InvalidArgumentError(_) => "22023",
        A::NotYetImplemented(_) => "0A000",
        A::MemoryError(_) => "53200",
        A::ComputeError(m) if m.contains("overflow") => "22003",
        A::ExternalError(inner) => match inner.downcast_ref::<A>() {
            Some(a) => arrow_sqlstate(a),
            None => "22000",
        },
        _ => "22000",
    }
}
