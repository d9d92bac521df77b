//! The data files shipped with the crate (embedded with `include_str!`; the product never reads
//! the filesystem) and their format.
//!
//! # Format (TOML; every number is a string parsed as an exact decimal)
//!
//! A file may mix any of these arrays of tables; unknown fields are errors.
//!
//! * `[[schedule]]` `id`, `sro`, `effective_from`, optional `effective_to`, `confirmed`
//!   (default true), `source`, `note`; with `[[schedule.tariff]]` entries:
//!   `code`, `category`, optional load limit: `max_load_kw` (inclusive: the highest
//!   sanctioned load / MDI the tariff is for, e.g. B-1 25 kW) or `sanctioned_load_below_kw`
//!   (exclusive, sanctioned load only: e.g. A-1a / A-2a below 5 kW), a bill outside it
//!   refused, with optional `over_limit_tariffs` (codes of the same category the consumer
//!   belongs on, named in the refusal, e.g. `["A-1b"]`), optional `tou` (billed on peak /
//!   off-peak registers: implied by `pricing`, must agree if given; on a `missing = true`
//!   entry it states the metering the data cannot price; one code has one metering across
//!   the applicable schedules: [`crate::TariffBook::is_tou`]), then either `missing = true` (rates
//!   not public: refused) or
//!   `pricing = "residential" | "tou" | "flat"`:
//!   * residential: `slabs = [{ band = "lifeline|protected|unprotected", from, to?, rate? |
//!     missing = true, fixed? }]` (contiguous from 1 per band; the last unprotected slab
//!     open-ended), `fixed_basis = "per_kw_sanctioned|per_consumer|none"`,
//!     `unprotected_pricing = "single_slab|one_previous_slab"`, `minimum_charge_1ph/3ph`,
//!     `lifeline_max_load_kw`, `lifeline_max_kwh`, `lifeline_history_months`,
//!     `protected_max_kwh`, `protected_history_months`;
//!   * tou: `peak`, `offpeak`, `fixed`, `fixed_basis`, `demand_share_of_sl` (billing demand =
//!     max(share x SL, MDI));
//!   * flat: `rate`, `fixed`, `fixed_basis`, `demand_share_of_sl`.
//!
//!   `confirmed = false` on a tariff marks a rate known only from news.
//! * `[[fpa]]` `fuel_month`, `rate` (or `missing = true`), `sro`, `bill_months` (default
//!   `[fuel_month + 2]`), `exempt_bands` (**required**: BILLING-RULES 3.2 exempts lifeline
//!   from FPA and QTA, so an omitted list is refused rather than read as "none"; write
//!   `exempt_bands = []` to exempt no band), `exempt_categories`, `confirmed`, `revision` (0 by
//!   default; a revised notification of a loaded fuel month is loaded as the next revision and
//!   replaces the earlier one on every bill billed after it; the same revision again is a
//!   duplicate). A `missing = true` entry is a placeholder "not notified yet" (every bill month
//!   carrying it is refused, [`crate::BillingError::AdjustmentNotNotified`]); the real
//!   notification replaces it at any revision >= the placeholder's (so revision 0 loads over a
//!   revision-0 placeholder); a second real entry of one revision is a duplicate.
//! * `[[qta]]` `quarter` (label), `rate` (or `missing`), `sro`, `bill_months`, `exempt_bands`
//!   (**required**, as for `[[fpa]]`), `exempt_categories`; a real decision replaces a
//!   `missing = true` placeholder of its quarter (bill months its own), once.
//! * `[[fc_surcharge]]`, `[[nj_surcharge]]` dated `rate` per kWh, `source`, exemptions.
//! * `[[ptv_fee]]` dated `amount` per bill per `category`.
//! * `[[gst]]` dated `percent` and `base` (list of line names).
//! * `[[ed]]` `province` / `category` (`*` = any), dated `percent` (or `missing`), `base`.
//! * `[[terms]]` dated `due_days`, `lps_percent`, `lps_base`.
//! * `[[disco]]` `name` (as in the consumer master), `full_name`, `provinces`: the DISCOs whose
//!   consumers may be loaded, and the provinces each serves.
//! * `[[holiday]]` `date`, `name`.
//! * `[[schedule]]` with `kind = "determined"` and `disco = "MEPCO"`: a NEPRA-determined (cost)
//!   schedule of one DISCO, same tariff format; used only for `Bill::subsidy_rs` (the
//!   default `kind = "applicable"` schedules price the bill).
//! * `[[bill_tax]]` `kind = "further_tax|extra_tax|income_tax"`, `category`, dated, `applies =
//!   "all|non_atl|non_strn|non_strn_or_non_atl"`, `base` (lines before it), `slabs = [{ from,
//!   percent, fixed?, excess_over? }]` (from 0, increasing; compared with the base rounded to
//!   rupees; tax = fixed + percent x (base or base - excess_over), printed as up to two lines
//!   of the tax's name: 1 x fixed, then (base or base - excess_over) x percent).
//! * `[[long_period]]` dated `scale_when_days_over`, `scale_to_days`.
//! * `[[employee_free_units]]` dated `bps_from`, `bps_to`, `in_service_kwh`, `retired_kwh`
//!   (ranges may not overlap on overlapping dates).
//! * `[[pf_penalty]]` dated `categories`, `threshold`, `formula = "percent_per_point|ratio"`,
//!   `percent_per_point`, `base` (from energy, fixed, minimum_charge).
//! * `[[temp_disconnection]]` dated `max_months`, `waive` (from fixed, minimum_charge).
//! * `[[provisional]]` dated `average_months`, `same_month_last_year`, `max_consecutive`,
//!   `lps` (whether a provisional bill carries LPS).
//! * `[[accumulated_split]]` dated `method = "days|equal"`.
//! * `[[installment]]` dated `markup_percent_per_year` (0..=100), `days_in_year` (360 | 365 |
//!   366: markup = balance x % x days / days_in_year), `max_installments` (2..=120),
//!   `per_fiscal_year` (1..=12 grants per consumer per July-June year), `source`, `confirmed`
//!   (one rule per start date; see [`crate::installments`]).
//! * `[[meter_rent]]` `kind = "meter_rent|service_rent"` (default `meter_rent`: the bill
//!   line), dated, optional `phase` (1 | 3), `categories`, `tariffs` (absent = any; every
//!   filter given must match; categories / codes of loaded schedules), `rs_per_month` (Rs per
//!   meter per bill month, `"0"` withdraws), `in_gst_base` (default true), `in_ed_base`
//!   (default false), `source`, `confirmed`. The matching rule with the latest start is in
//!   force; two of one kind starting the same day that could match one consumer are refused.
//!   A `[[gst]]` / `[[ed]]` base or an `lps_base` may not name `meter_rent` / `service_rent`;
//!   a `[[bill_tax]]` base may. None ships in force (commented example in `terms.toml`).
//! * `[meta]` `title`, `source`, `note` (documentation only).

/// Every shipped data file as `(file name, text)`, in load order.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "historical-2019.toml",
        include_str!("../data/historical-2019.toml"),
    ),
    (
        "schedules-fy2025-26.toml",
        include_str!("../data/schedules-fy2025-26.toml"),
    ),
    (
        "sro-279-2026.toml",
        include_str!("../data/sro-279-2026.toml"),
    ),
    (
        "adjustments-2025.toml",
        include_str!("../data/adjustments-2025.toml"),
    ),
    (
        "adjustments-2026.toml",
        include_str!("../data/adjustments-2026.toml"),
    ),
    ("taxes.toml", include_str!("../data/taxes.toml")),
    ("terms.toml", include_str!("../data/terms.toml")),
    (
        "withholding-taxes.toml",
        include_str!("../data/withholding-taxes.toml"),
    ),
    (
        "employee-free-units.toml",
        include_str!("../data/employee-free-units.toml"),
    ),
    ("industrial.toml", include_str!("../data/industrial.toml")),
    ("readings.toml", include_str!("../data/readings.toml")),
    ("discos.toml", include_str!("../data/discos.toml")),
];

/// Data files shipped for tests and demos but NOT loaded by [`crate::TariffBook::builtin`]:
/// their figures are invented (each says ILLUSTRATIVE in its header and `[meta]`).
pub const ILLUSTRATIVE_FILES: &[(&str, &str)] = &[(
    "determined-illustrative-2026.toml",
    include_str!("../data/determined-illustrative-2026.toml"),
)];

/// The text of one shipped data file by name (e.g. `"sro-279-2026.toml"`), for building a
/// book from a subset (tests, tariff-only calculations).
/// Also finds [`ILLUSTRATIVE_FILES`].
pub fn file(name: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .chain(ILLUSTRATIVE_FILES)
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
