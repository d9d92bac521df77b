//! Installment plans and their markup (BILLING-RULES 3.2 "Installments"; BILLING-RULES-2 4).
//!
//! The rule: an amount may be granted in installments, the facility once per fiscal year; the
//! first installment carries no markup (and no LPS if paid by its due date); the remaining
//! installments carry a markup of 14% per year, pro-rata (CSM-2025 6.8, the 14% known from the
//! press only: the shipped `[[installment]]` rule in `terms.toml` is `confirmed = false`).
//!
//! What is here (pure, no ledger):
//! * [`terms`]: the `[[installment]]` rule in force on a date (markup, most installments,
//!   grants per fiscal year);
//! * [`plan`]: a granted amount split into `n` installments ([`crate::money::split_paisa`]:
//!   equal, rounded down to the paisa, the remainder on the last), `2 <= n <=
//!   max_installments`;
//! * [`check_grant`]: refuses a grant when the consumer already had `per_fiscal_year` grants
//!   in the fiscal year (the caller counts them);
//! * [`InstallmentDue`]: the state of a plan for one bill, passed in
//!   [`crate::BillExtras::installment`]; the bill then carries an `installment` line (the
//!   principal) and, after the first installment, an `installment_markup` line = balance
//!   before this installment x markup % x days / days in year, both outside the current
//!   bill, tax and LPS bases and inside the payable ([`crate::compute_bill_with`]).
//!
//! What the caller (server / storage) keeps: the plan (granted amount, installments, balance,
//! date of the previous installment), the count of grants per fiscal year, and the DISCO's
//! deferred amount ([`crate::BillExtras::deferred_rs`], shown on the bill, not payable).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::bill::{MAX_ARREARS_RS, MAX_PERIOD_DAYS};
use crate::error::BillingError;
use crate::money::{round_paisa, split_paisa};
use crate::tariff::{latest, InstallmentRule, TariffBook};

/// One bill's installment of an amount granted in installments (an input, kept by the caller).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstallmentDue {
    /// This month's installment (principal) of the granted amount, paisa-exact, > 0.
    pub principal_rs: Decimal,
    /// Plan balance before this installment (>= `principal_rs`): the markup's base.
    pub outstanding_before_rs: Decimal,
    /// Days since the previous installment's bill (pro-rata markup), 1..=366; ignored for
    /// the first installment.
    pub days: u32,
    /// The first installment of the plan: no markup.
    pub first: bool,
}

/// The `[[installment]]` rule in force on a date, as the server needs it to grant a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentTerms {
    /// Markup per year in percent, e.g. 14.
    pub markup_percent_per_year: Decimal,
    /// The pro-rata year in days (365).
    pub days_in_year: u32,
    /// Most installments one grant may be split into.
    pub max_installments: u32,
    /// Grants per consumer per fiscal year (July-June).
    pub per_fiscal_year: u32,
    /// False: the rule is a default (press reports); the label says UNCONFIRMED.
    pub confirmed: bool,
    /// The rule's label (as in the bill lines' `source`).
    pub source: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> BillingError {
    BillingError::BadInput {
        field,
        reason: reason.into(),
    }
}

pub(crate) fn rule(book: &TariffBook, date: NaiveDate) -> Result<&InstallmentRule, BillingError> {
    latest(&book.installment, date, |r| (r.from, r.to), |_| true).ok_or_else(|| {
        BillingError::RateUnknown {
            what: "installment rule".into(),
            date,
        }
    })
}

/// The installment rule in force on `date`; `RateUnknown` when none is loaded for it.
pub fn terms(book: &TariffBook, date: NaiveDate) -> Result<InstallmentTerms, BillingError> {
    let r = rule(book, date)?;
    Ok(InstallmentTerms {
        markup_percent_per_year: (r.markup_fraction * Decimal::ONE_HUNDRED).normalize(),
        days_in_year: r.days_in_year,
        max_installments: r.max_installments,
        per_fiscal_year: r.per_fiscal_year,
        confirmed: r.confirmed,
        source: r.label.to_string(),
    })
}

/// Splits `amount_rs` granted on `date` into `n` installments: equal, rounded down to the
/// paisa, the remainder on the last, summing to `amount_rs` exactly. Refused (`BadInput`)
/// when `n < 2` or `n` is above the rule's `max_installments`, or the amount is not positive,
/// paisa-exact and in range; `RateUnknown` when no installment rule is in force on `date`.
pub fn plan(
    book: &TariffBook,
    amount_rs: Decimal,
    n: u32,
    date: NaiveDate,
) -> Result<Vec<Decimal>, BillingError> {
    let r = rule(book, date)?;
    if n < 2 || n > r.max_installments {
        return Err(bad(
            "installments",
            format!("{n} (must be 2..={} under {})", r.max_installments, r.label),
        ));
    }
    check_amount("amount_rs", amount_rs)?;
    split_paisa(amount_rs, n).ok_or_else(|| bad("amount_rs", format!("{amount_rs} out of range")))
}

/// Refuses a new grant on `date` when the consumer already had `granted_this_fiscal_year`
/// grants (counted by the caller over the fiscal year July-June containing `date`, see
/// [`fiscal_year_start`]) and the rule allows no more.
pub fn check_grant(
    book: &TariffBook,
    date: NaiveDate,
    granted_this_fiscal_year: u32,
) -> Result<(), BillingError> {
    let r = rule(book, date)?;
    if granted_this_fiscal_year >= r.per_fiscal_year {
        return Err(bad(
            "granted_this_fiscal_year",
            format!(
                "{granted_this_fiscal_year} already granted since {}: the facility is {} per fiscal year ({})",
                fiscal_year_start(date),
                r.per_fiscal_year,
                r.label
            ),
        ));
    }
    Ok(())
}

/// 1 July of the fiscal year containing `date`.
pub fn fiscal_year_start(date: NaiveDate) -> NaiveDate {
    let y = if date.month() >= 7 {
        date.year()
    } else {
        date.year() - 1
    };
    NaiveDate::from_ymd_opt(y, 7, 1).unwrap_or(date)
}

fn check_amount(field: &'static str, v: Decimal) -> Result<(), BillingError> {
    if v <= Decimal::ZERO {
        return Err(bad(field, format!("{v} must be positive")));
    }
    if v > Decimal::from(MAX_ARREARS_RS) {
        return Err(bad(field, format!("{v} exceeds {MAX_ARREARS_RS}")));
    }
    if round_paisa(v) != v {
        return Err(bad(field, format!("{v} is not a whole number of paisa")));
    }
    Ok(())
}

/// Range checks of [`InstallmentDue`] (bill input).
pub(crate) fn validate(due: &InstallmentDue) -> Result<(), BillingError> {
    check_amount("installment.principal_rs", due.principal_rs)?;
    check_amount(
        "installment.outstanding_before_rs",
        due.outstanding_before_rs,
    )?;
    if due.principal_rs > due.outstanding_before_rs {
        return Err(bad(
            "installment.principal_rs",
            format!(
                "{} is above the plan balance {}",
                due.principal_rs, due.outstanding_before_rs
            ),
        ));
    }
    if !due.first && (due.days == 0 || due.days > MAX_PERIOD_DAYS) {
        return Err(bad(
            "installment.days",
            format!("{} (must be 1..={MAX_PERIOD_DAYS})", due.days),
        ));
    }
    Ok(())
}

/// Markup of one installment: `(rate, unrounded amount)`, rate = markup fraction x days /
/// days in year, amount = balance x rate (the line's quantity x rate). Zero for the first
/// installment.
/// The markup line's (quantity, rate, amount): quantity = balance before the installment x
/// days / days in year (rupee-years, to 4 decimals as printed), rate = the markup per year,
/// amount = quantity x rate (so the printed line explains itself; it differs from the
/// unrounded balance x % x days / year by under 0.00001 rupee).
pub(crate) fn markup(r: &InstallmentRule, due: &InstallmentDue) -> (Decimal, Decimal, Decimal) {
    if due.first {
        return (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    }
    let days = Decimal::from(due.days);
    let year = Decimal::from(r.days_in_year);
    let quantity = crate::money::round_to(due.outstanding_before_rs * days / year, 4);
    (quantity, r.markup_fraction, quantity * r.markup_fraction)
}
