//! query: SQL over the store.
//!
//! Owns: the DataFusion session and catalog ([`engine`]), the table providers that expose the
//! store's tables ([`tables`]), COPY formats and per-row validation ([`copy`]), and the native
//! commands called with SQL `CALL` ([`commands`]).
//!
//! Invariants:
//! - Queries never copy whole tables: sealed chunks are converted to Arrow once and shared.
//! - Lookups by `reference` (and bills by `cycle`) use the store's indexes (filter pushdown).
//! - A COPY is all-or-nothing; a rejected one names line, column and reason for each bad row.
//!
//! Knows nothing of pgwire or sockets: `server` adapts these to the wire.

pub mod colnames;
pub mod commands;
pub mod copy;
pub mod copy_out;
pub mod engine;
pub mod error;
mod revisions;
pub mod round;
pub mod tables;
pub mod to_char;

pub use engine::Engine;
pub use error::{CopyRowError, QueryError};
