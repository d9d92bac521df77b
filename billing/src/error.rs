//! The one error type of the billing crate.
//!
//! Variants are by category so the server can map them to SQLSTATEs in one place:
//! bad input / bad data file (22xxx), duplicate version (23505), data that is not public or not
//! loaded for a date (22023-ish: "cannot bill"), and a broken internal limit (XX000). Every
//! message names the tariff / category / date / field at fault.

use chrono::NaiveDate;

/// Everything that can go wrong while loading tariff data or computing a bill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// A `YYYY-MM` bill month that does not parse or is out of range.
    #[error("bad bill month {input:?}: {reason}")]
    BadPeriod {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A data file that is not valid TOML or does not match the schema.
    #[error("tariff data file does not parse: {0}")]
    DataParse(String),

    /// A data file that parses but carries an invalid value.
    #[error("tariff data invalid at {item}, field `{field}`: {reason}")]
    DataInvalid {
        /// Which entry, e.g. `schedule SRO-279(I)/2026 tariff A-1a slab 3`.
        item: String,
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A data entry whose key is already loaded (versions are append-only).
    #[error("duplicate {kind} {key}: already loaded")]
    Duplicate {
        /// Kind of entry, e.g. `schedule`, `FPA fuel month`.
        kind: &'static str,
        /// Its key.
        key: String,
    },

    /// A bill input field that is out of range or inconsistent.
    #[error("bad bill input `{field}`: {reason}")]
    BadInput {
        /// The `BillInput` field at fault.
        field: &'static str,
        /// Why.
        reason: String,
    },

    /// No loaded schedule knows this tariff code at all.
    #[error("unknown tariff code {tariff:?}")]
    UnknownTariff {
        /// The code given.
        tariff: String,
    },

    /// The tariff code is known but no schedule listing it is in force on the date.
    #[error("no schedule in force for tariff {tariff} on {date}")]
    NoSchedule {
        /// Tariff code.
        tariff: String,
        /// Billing (issue) date.
        date: NaiveDate,
    },

    /// The schedule in force lists the category/slab but its rate is not public (`missing =
    /// true`): the engine refuses to bill rather than bill at zero.
    #[error(
        "rate for tariff {tariff} ({category}) in force on {date} is not public in {schedule}: \
         {detail}; refusing to bill"
    )]
    RateNotPublic {
        /// Tariff code.
        tariff: String,
        /// Its category.
        category: String,
        /// Billing date.
        date: NaiveDate,
        /// Schedule id the gap is in.
        schedule: String,
        /// Which part is missing (band/slab).
        detail: String,
    },

    /// An FPA or QTA decision a bill month carries is loaded only as a `missing = true`
    /// placeholder (not notified yet): every bill of that month is refused until the
    /// notification is loaded (it replaces the placeholder). E.g. `FPA for fuel month 2026-02
    /// (charged on bills of 2026-04) is not notified yet (marked missing in NEPRA FCA
    /// Feb-2026); refusing the bill issued on 2026-04-05`.
    #[error(
        "{adjustment} (charged on bills of {bill_month}) is not notified yet (marked missing \
         in {notice}); refusing the bill issued on {issue_date}"
    )]
    AdjustmentNotNotified {
        /// `FPA for fuel month 2026-02` or `QTA CY2026-Q3`.
        adjustment: String,
        /// The bill month that carries it.
        bill_month: crate::period::YearMonth,
        /// The refused bill's issue date.
        issue_date: NaiveDate,
        /// What the placeholder names (its `sro` text), with its revision if not 0.
        notice: String,
    },

    /// An adjustment or tax needed for this bill is not loaded or is marked missing, e.g.
    /// `GST rate`, `ED rate for Punjab/residential`.
    #[error("{what} is not known for {date}; refusing to bill")]
    RateUnknown {
        /// What is missing.
        what: String,
        /// The date (or first day of the month) it was needed for.
        date: NaiveDate,
    },
}
