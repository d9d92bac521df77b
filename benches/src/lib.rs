//! Bijli benches crate (criterion benches live in benches/).
