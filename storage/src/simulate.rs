//! Tariff what-if: re-price every consumer of an already-billed cycle under a proposed
//! schedule and report the revenue and subsidy change per DISCO, category and band
//! (`CALL simulate_tariff`).
//!
//! - The proposal is a TOML file (text, or the name of a shipped or loaded file) loaded on top
//!   of a copy of the book with [`billing::TariffBook::with_override`]: its schedules take
//!   precedence on the dates they cover. The real book, bills and journal are untouched and
//!   nothing is journaled; the run holds only the read lock.
//! - Each consumer is priced from exactly the inputs a re-run of the cycle would use
//!   ([`crate::inputs`], shared with the real cycle run), on the cycle's issue date.
//! - "current" is the bill the cycle holds; "proposed" is the bill under the what-if book.
//!   Revenue = current bill + total FPA (what `bill_cycle` reports as payable: taxes included,
//!   arrears excluded); subsidy = the bill's tariff differential subsidy.
//! - A consumer counts in the row of its current bill's category and band (the proposed band
//!   when the cycle refused it, `-` when both refuse it), so a row compares the same
//!   consumers; `bills` / `units` are the current bills', `refused` counts the consumers the
//!   proposal refuses (their proposed amounts are 0).
//! - Money is summed in i128 paisa: exact, no overflow.

use std::collections::BTreeMap;

use crate::FastMap as HashMap;
use std::sync::Arc;

use billing::{TariffBook, YearMonth};

use crate::error::StorageError;
use crate::inputs::{CycleRun, Prepared};
use crate::rows::paisa_from_decimal;
use crate::store::bill_one;
use crate::store::{CycleBills, State, Store};

/// One row of the what-if: one (DISCO, category, band), or the DISCO's `ALL` / `ALL` total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulationRow {
    pub disco: String,
    pub category: String,
    pub band: String,
    /// Bills of the cycle as billed.
    pub bills: u64,
    /// Consumers the proposal refuses (e.g. a category it lists with `missing = true`).
    pub refused: u64,
    pub units_kwh: u64,
    pub revenue_current_paisa: i128,
    pub revenue_proposed_paisa: i128,
    pub subsidy_current_paisa: i128,
    pub subsidy_proposed_paisa: i128,
}

impl SimulationRow {
    pub fn revenue_change_paisa(&self) -> i128 {
        self.revenue_proposed_paisa - self.revenue_current_paisa
    }
    pub fn subsidy_change_paisa(&self) -> i128 {
        self.subsidy_proposed_paisa - self.subsidy_current_paisa
    }
    fn add(&mut self, o: &SimulationRow) {
        self.bills += o.bills;
        self.refused += o.refused;
        self.units_kwh += o.units_kwh;
        self.revenue_current_paisa += o.revenue_current_paisa;
        self.revenue_proposed_paisa += o.revenue_proposed_paisa;
        self.subsidy_current_paisa += o.subsidy_current_paisa;
        self.subsidy_proposed_paisa += o.subsidy_proposed_paisa;
    }
}

/// Label of the per-DISCO total row's category and band.
pub const TOTAL: &str = "ALL";
/// Band of a consumer refused both as billed and under the proposal.
pub const NO_BAND: &str = "-";

/// What a what-if run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Simulation {
    /// Ordered by DISCO, category, band; each DISCO's `ALL` row after its own rows.
    pub rows: Vec<SimulationRow>,
}

/// The proposal's TOML: a shipped data file's name (`sro-279-2026.toml`), a loaded operator
/// file's name (the last one loaded under that name), or else the text itself.
fn proposal_text(st: &State, proposal: &str) -> Result<Arc<str>, StorageError> {
    let looks_like_name = !proposal.contains('\n') && !proposal.contains('=');
    if let Some(f) = st.tariff_files.iter().rev().find(|f| f.name == proposal) {
        return Ok(f.text.clone());
    }
    if let Some(text) = billing::data::file(proposal) {
        return Ok(text.into());
    }
    if looks_like_name {
        return Err(StorageError::Invalid(format!(
            "no tariff file named {proposal:?} is loaded or shipped (pass a loaded file's name or the TOML text)"
        )));
    }
    Ok(proposal.into())
}

/// (category, band), borrowed from the cycle's dictionaries, the book or [`band_name`].
type Key<'a> = (&'a str, &'a str);

/// A proposed bill's band as a static name (a refused-before consumer's row).
fn band_name(band: &str) -> &'static str {
    ["lifeline", "protected", "unprotected", "tou", "flat"]
        .into_iter()
        .find(|b| *b == band)
        .unwrap_or("other")
}

impl Store {
    /// Re-prices the billed cycle `cycle` (of `disco`, or of every DISCO that billed it) under
    /// `proposal`; changes nothing.
    pub fn simulate_tariff(
        &self,
        proposal: &str,
        cycle: YearMonth,
        disco: Option<&str>,
    ) -> Result<Simulation, StorageError> {
        let st = self.read();
        let text = proposal_text(&st, proposal)?;
        let (book, summary) = st.book.with_override(&text)?;
        if summary == billing::LoadSummary::default() {
            return Err(StorageError::Invalid(
                "the proposal contains no schedule, adjustment, tax or rule".into(),
            ));
        }
        let billed: Vec<Arc<CycleBills>> = st
            .cycles
            .iter()
            .filter(|((d, c), _)| *c == cycle && disco.is_none_or(|x| x == d))
            .map(|(_, cb)| cb.clone())
            .collect();
        if billed.is_empty() {
            return Err(StorageError::NotReady(match disco {
                Some(d) => format!("cycle {cycle} of DISCO {d:?} has not been billed"),
                None => format!("cycle {cycle} has not been billed"),
            }));
        }
        let mut rows = Vec::new();
        for cb in &billed {
            check_dates(&book, cb)?;
            rows.extend(simulate_cycle(&st, &book, cb)?);
        }
        Ok(Simulation { rows })
    }
}

/// A proposal whose schedules are all out of force on the cycle's issue date would silently
/// report no change: refuse it.
fn check_dates(book: &TariffBook, cb: &CycleBills) -> Result<(), StorageError> {
    let day = cb.issue_date;
    let mut proposed = book.proposed_schedules().peekable();
    if proposed.peek().is_none() {
        return Ok(()); // adjustments / taxes only
    }
    let mut out_of_force = Vec::new();
    for (id, from, to, det) in proposed {
        let covers = from <= day && to.is_none_or(|t| day <= t);
        if covers && det.is_none_or(|d| d == cb.disco) {
            return Ok(());
        }
        out_of_force.push(match to {
            Some(t) => format!("{id} ({from} .. {t})"),
            None => format!("{id} (from {from})"),
        });
    }
    Err(StorageError::Invalid(format!(
        "no proposed schedule is in force for {} on cycle {}'s issue date {day}: {}",
        cb.disco,
        cb.cycle,
        out_of_force.join(", ")
    )))
}

/// One DISCO's cycle, in parallel over consumers like the real run.
fn simulate_cycle(
    st: &State,
    book: &TariffBook,
    cb: &CycleBills,
) -> Result<Vec<SimulationRow>, StorageError> {
    let run = CycleRun {
        st,
        book,
        disco: &cb.disco,
        cycle: cb.cycle,
        issue_date: cb.issue_date,
        previous: Some(cb),
        last_month: None,
    };
    let run = &run;
    let priors = st.priors(&cb.disco, cb.cycle);
    let priors = &priors[..];
    let n = st.consumers.len();
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let per = n.div_ceil(threads).max(1);
    let parts: Vec<HashMap<Key<'_>, SimulationRow>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (lo, hi) = ((t * per).min(n), ((t + 1) * per).min(n));
                s.spawn(move || {
                    let mut acc: HashMap<Key<'_>, SimulationRow> = HashMap::default();
                    let mut history = Vec::with_capacity(24);
                    for idx in lo..hi {
                        let Prepared::Ready {
                            consumer,
                            reading,
                            old,
                            input,
                            extras,
                            ..
                        } = run.prepare(idx, &mut history)
                        else {
                            continue;
                        };
                        // The same circumstances as the real run (provisional, correction,
                        // meter change, disconnection), priced on the what-if book.
                        let proposed = bill_one(
                            st, book, idx as u32, consumer, reading, &input, &extras, priors,
                        )
                        .ok()
                        .map(|(b, _)| b);
                        let key: Key<'_> = match (old, &proposed) {
                            (Some(o), _) => (cb.dicts.text(o.category), cb.dicts.text(o.band)),
                            (None, p) => (
                                book.category_of(&consumer.tariff).unwrap_or("unknown"),
                                p.as_ref().map_or(NO_BAND, |b| band_name(&b.band)),
                            ),
                        };
                        let row = acc.entry(key).or_default();
                        if let Some(o) = old {
                            row.bills += 1;
                            row.units_kwh += o.units_kwh;
                            row.revenue_current_paisa +=
                                i128::from(o.current_bill_paisa) + i128::from(o.total_fpa_paisa);
                            row.subsidy_current_paisa += i128::from(o.subsidy_paisa);
                        }
                        match proposed {
                            Some(b) => {
                                row.revenue_proposed_paisa +=
                                    i128::from(paisa_from_decimal(b.current_bill_rs))
                                        + i128::from(paisa_from_decimal(b.total_fpa_rs));
                                row.subsidy_proposed_paisa +=
                                    i128::from(paisa_from_decimal(b.subsidy_rs));
                            }
                            None => row.refused += 1,
                        }
                    }
                    acc
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if parts.len() != threads {
        return Err(StorageError::Invalid(
            "a simulation worker thread panicked".into(),
        ));
    }
    let mut merged: BTreeMap<Key<'_>, SimulationRow> = BTreeMap::new();
    for part in parts {
        for (k, r) in part {
            merged.entry(k).or_default().add(&r);
        }
    }
    let mut total = SimulationRow {
        disco: cb.disco.clone(),
        category: TOTAL.into(),
        band: TOTAL.into(),
        ..Default::default()
    };
    let mut rows: Vec<SimulationRow> = merged
        .into_iter()
        .map(|((category, band), r)| {
            total.add(&r);
            SimulationRow {
                disco: cb.disco.clone(),
                category: category.to_string(),
                band: band.to_string(),
                ..r
            }
        })
        .collect();
    rows.push(total);
    Ok(rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests;
