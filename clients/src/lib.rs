//! clients: the wire-side tools behind `bijli generate`, `bijli load`, `bijli bench` and
//! `bijli demo`.
//!
//! * [`generate`] — a deterministic, streaming generator of a realistic DISCO (consumer master,
//!   the cycle's meter readings, bank payments) as CSV. Same seed and options, same bytes;
//!   memory does not grow with the number of consumers.
//! * [`load`] — streams CSV to a server with `COPY ... FROM STDIN`.
//!
//! Boundary: of our crates this one uses only `billing` (for [`billing::reference::Reference`]
//! and [`billing::YearMonth`]); it talks to the server only over the PostgreSQL wire protocol,
//! never through `storage` or `query`.

pub mod generate;
pub mod load;
