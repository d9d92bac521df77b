//! Storage errors, by category. `server` maps each to a SQLSTATE in one place.

use thiserror::Error;

/// One rejected input row: which row (0-based within the submitted batch), which column, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: &'static str,
    pub reason: String,
    /// SQLSTATE class for this row's fault (22xxx bad data, 23503 unknown key, 23505 duplicate).
    pub sqlstate: &'static str,
}

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("sled error: {0}")]
    Sled(#[from] sled::Error),
    #[error("record encoding error: {0}")]
    Codec(String),
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("durability failure: {0}")]
    Durability(String),
    #[error("batch of {0} bytes exceeds the journal frame limit; split the COPY")]
    TooLarge(usize),
    #[error("{} row(s) rejected; first: row {}, column {}: {}", .0.len(), .0.first().map(|e| e.row + 1).unwrap_or(0), .0.first().map(|e| e.column).unwrap_or(""), .0.first().map(|e| e.reason.as_str()).unwrap_or(""))]
    Rows(Vec<RowError>),
    /// A named object (DISCO, cycle) that does not exist: 42704.
    #[error("{0}")]
    NotFound(String),
    /// Something of that name already exists: 23505.
    #[error("{0}")]
    Duplicate(String),
    /// A reference to a consumer (or other key) that is not loaded: 23503, as in COPY.
    #[error("{0}")]
    UnknownKey(String),
    /// The object exists but is not in the state the command needs (a cycle not billed
    /// yet): 55000.
    #[error("{0}")]
    NotReady(String),
    #[error("{0}")]
    Invalid(String),
    #[error("billing: {0}")]
    Billing(#[from] billing::BillingError),
}
