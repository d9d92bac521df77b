//! storage: Bijli's in-memory store, its write-ahead journal and recovery.
//!
//! Owns: the row types ([`rows`]), the append-only chunked tables and their indexes
//! ([`store::State`]), the CRC-framed journal with group commit and the sled backend behind
//! one [`journal::Log`] trait ([`journal`]), and replay on open.
//!
//! Invariants:
//! - The journal is the source of truth. Every state change is one [`store::Record`]; the
//!   in-memory state is exactly the fold of the journal's valid frames, in order.
//! - A write is acknowledged only after its frame is durable (one fdatasync per group).
//! - A batch is validated whole before anything is applied: a bad row rejects the batch and
//!   nothing of it is journaled or visible (see [`error::RowError`]).
//! - Payments are idempotent by transaction id: an identical re-send is skipped, a conflicting
//!   one is rejected.
//! - Bills are not journaled: a `BillCycle` record is replayed by recomputing, which the
//!   billing crate guarantees is deterministic; so a cycle's bills are reproducible.
//! - Sealed table chunks are immutable; only tails grow.
//! - A cycle's bills and a what-if ([`simulate`]) are priced from the same per-consumer inputs
//!   (`inputs.rs`); a what-if changes nothing and journals nothing.
//!
//! Knows nothing of SQL or the network. Synchronous: callers on an async runtime use
//! `spawn_blocking`.

pub mod error;
mod inputs;
pub mod journal;
mod legacy;
pub mod plans;
pub mod rows;
pub mod simulate;
pub mod store;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod catch_up_tests;

pub use error::{RowError, StorageError};

/// The hash map of the store's indexes: std's map with foldhash's per-process seeded hasher
/// (SipHash cost more than the bill arithmetic).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set counterpart of [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
pub use rows::*;
pub use simulate::{Simulation, SimulationRow};
pub use store::{
    Backend, CategoryTotal, CycleBills, CycleSummary, GrantSummary, PaymentSummary, RecoveryReport,
    State, Store, Table, CHUNK_ROWS,
};
