//! Property tests (proptest) over the builtin book (taxes included) in bill months whose
//! adjustments are all public (Aug-Nov 2026).
//!
//! What holds, and what does not:
//! * totals always reconcile with the lines (current bill, total FPA, payable, LPS);
//! * the bill is a pure function of (book, input);
//! * more units never cost less, within a tariff and band, and for A-1(a) 2026 also across
//!   bands (lifeline -> protected/unprotected, protected -> unprotected), because every slab's
//!   rate and fixed charge is >= the previous one's and the adjustments of these months keep the
//!   per-unit add-ons positive;
//! * protected (one previous slab benefit) energy is continuous: one more unit costs at most
//!   the highest protected rate. Unprotected single-slab energy is monotone but NOT continuous:
//!   crossing a slab boundary re-prices every unit (200 -> 201 units costs +871.10 for one
//!   unit), so "one more unit costs at most the top rate" is false there and is not tested;
//!   the cliff itself is pinned by `unprotected_single_slab_has_cliffs`.
//! * the s.235 income-tax table is discontinuous at Rs 20,000 (10% x 20,000 = 2,000 but
//!   1,950 + 5% / 12% of the excess above it), so one more unit can lower a commercial /
//!   industrial bill (pinned in `extras.rs`); `more_units_never_cost_less` skips the rare case
//!   that crosses that slab boundary.
//! * every line explains itself: amount = quantity x rate rounded as the line is (every bill
//!   here goes through `common::checked`; `every_line_explains_itself` adds the optional inputs:
//!   ATL / STRN status, employee credit, PF penalty, installment markup).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::sync::OnceLock;

use billing::bill::LineBlock;
use billing::money::{round_paisa, round_rupee};
use billing::{
    Bill, BillExtras, BillInput, Employee, InstallmentDue, ServiceStatus, TariffBook, YearMonth,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

mod common;
use common::checked::{compute_bill, compute_bill_with};
use common::{assert_lines_explain_themselves, legal_load};

fn book() -> &'static TariffBook {
    static BOOK: OnceLock<TariffBook> = OnceLock::new();
    BOOK.get_or_init(|| TariffBook::builtin().unwrap())
}

const TARIFFS: &[&str] = &[
    "A-1a", "A-1b", "A-2a", "A-2c", "B-1", "B-1b", "B-2a", "B-2b", "B-3",
];
const TOU: &[&str] = &["A-1b", "A-2c", "B-1b", "B-2b", "B-3"];

#[derive(Debug, Clone)]
struct Case {
    tariff: &'static str,
    sl_centi_kw: i64,
    phase: u8,
    month: u32,
    issue_day: u32,
    offpeak: u64,
    peak: u64,
    mdi_centi_kw: i64,
    history: Vec<(YearMonth, u64)>,
    arrears: i64,
}

impl Case {
    fn input(&self) -> BillInput<'_> {
        BillInput {
            disco: "LESCO",
            tariff: self.tariff,
            // A-1a / A-2a are for loads below 5 kW (a bill at or above is refused).
            sanctioned_load_kw: legal_load(self.tariff, self.sl_centi_kw),
            phase: self.phase,
            province: "Punjab",
            cycle: YearMonth {
                year: 2026,
                month: self.month,
            },
            issue_date: NaiveDate::from_ymd_opt(2026, self.month, self.issue_day).unwrap(),
            period_days: 30,
            units_offpeak_kwh: self.offpeak,
            units_peak_kwh: if TOU.contains(&self.tariff) {
                self.peak
            } else {
                0
            },
            // B-1 / B-1b are for loads up to 25 kW (a bill above is refused).
            mdi_kw: Decimal::new(
                if self.tariff.starts_with("B-1") {
                    self.mdi_centi_kw.min(2_500)
                } else {
                    self.mdi_centi_kw
                },
                2,
            ),
            history: &self.history,
            arrears_rs: Decimal::from(self.arrears),
            atl: true,
        }
    }
}

fn history_strategy(month: u32) -> impl Strategy<Value = Vec<(YearMonth, u64)>> {
    proptest::collection::vec(proptest::option::of(0u64..400), 12).prop_map(move |v| {
        let cycle = YearMonth { year: 2026, month };
        v.into_iter()
            .enumerate()
            .filter_map(|(k, u)| u.map(|u| (cycle.add_months(-(k as i32) - 1), u)))
            .collect()
    })
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (8u32..=11).prop_flat_map(|month| {
        (
            proptest::sample::select(TARIFFS),
            1i64..2_000,
            prop_oneof![Just(1u8), Just(3u8)],
            1u32..=28,
            0u64..3_000,
            0u64..800,
            0i64..3_000,
            history_strategy(month),
            -5_000i64..50_000,
        )
            .prop_map(
                move |(tariff, sl, phase, issue_day, offpeak, peak, mdi, history, arrears)| Case {
                    tariff,
                    sl_centi_kw: sl,
                    phase,
                    month,
                    issue_day,
                    offpeak,
                    peak,
                    mdi_centi_kw: mdi,
                    history,
                    arrears,
                },
            )
    })
}

fn bill(case: &Case) -> Bill {
    compute_bill(book(), &case.input()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn totals_reconcile_with_lines(case in case_strategy()) {
        let b = bill(&case);
        for l in &b.lines {
            prop_assert_eq!(l.amount_rs, round_paisa(l.amount_rs), "line not rounded to paisa: {:?}", l);
        }
        prop_assert_eq!(b.current_bill_rs, round_rupee(b.lines_total_rs(LineBlock::Current)));
        prop_assert_eq!(b.total_fpa_rs, round_rupee(b.lines_total_rs(LineBlock::Fpa)));
        prop_assert_eq!(b.payable_within_due_rs, b.arrears_rs + b.current_bill_rs + b.total_fpa_rs);
        prop_assert_eq!(b.lps_rs, b.lines_total_rs(LineBlock::AfterDue));
        prop_assert_eq!(b.payable_after_due_rs, b.payable_within_due_rs + b.lps_rs);
        prop_assert!(b.lps_rs >= Decimal::ZERO);
        prop_assert!(b.due_date > case.input().issue_date);
        prop_assert_eq!(b.units_kwh, case.input().units_offpeak_kwh + case.input().units_peak_kwh);
    }

    #[test]
    fn every_line_explains_itself(
        case in case_strategy(),
        atl in any::<bool>(),
        strn in any::<bool>(),
        employee in proptest::option::of((1u8..=22, any::<bool>(), 0u64..2_000)),
        pf_milli in proptest::option::of(500i64..=1_000),
        installment in proptest::option::of((1i64..1_000_000, 0i64..5_000_000, 1u32..=366, any::<bool>())),
    ) {
        let mut inp = case.input();
        inp.atl = atl;
        let extras = BillExtras {
            strn_registered: strn,
            employee: employee.map(|(bps, retired, quota)| Employee {
                bps,
                status: if retired { ServiceStatus::Retired } else { ServiceStatus::InService },
                quota_remaining_kwh: quota,
            }),
            power_factor: pf_milli.map(|m| Decimal::new(m, 3)),
            installment: installment.map(|(principal, more, days, first)| InstallmentDue {
                principal_rs: Decimal::new(principal, 2),
                outstanding_before_rs: Decimal::new(principal + more, 2),
                days,
                first,
            }),
            ..BillExtras::default()
        };
        // compute_bill_with (common::checked) asserts every line; the bill's own lines again
        // here so a failure names this test.
        let b = compute_bill_with(book(), &inp, &extras).unwrap();
        assert_lines_explain_themselves(&b);
        // The split slab tax keeps the total: fixed part + percentage part.
        for name in ["further_tax", "extra_tax", "income_tax"] {
            let parts: Vec<_> = b.lines.iter().filter(|l| l.line == name).collect();
            prop_assert!(parts.len() <= 2, "{name}: {parts:?}");
            if parts.len() == 2 {
                prop_assert_eq!(parts[0].quantity, Decimal::ONE);
            }
        }
    }

    #[test]
    fn deterministic(case in case_strategy()) {
        let a = bill(&case);
        let again = bill(&case);
        prop_assert_eq!(&a, &again);
        let copy = book().clone();
        prop_assert_eq!(&a, &compute_bill(&copy, &case.input()).unwrap());
    }

    #[test]
    fn more_units_never_cost_less(case in case_strategy(), extra in 1u64..800, on_peak in any::<bool>()) {
        let a = bill(&case);
        let mut more = case.clone();
        if on_peak && TOU.contains(&case.tariff) {
            more.peak += extra;
        } else {
            more.offpeak += extra;
        }
        let b = bill(&more);
        let it_rate = |x: &Bill| x.line("income_tax").map(|l| l.rate);
        prop_assume!(it_rate(&a).is_none() || it_rate(&a) == it_rate(&b));
        // Within the same band always; for these tariffs and months also across bands.
        prop_assert!(
            b.payable_within_due_rs >= a.payable_within_due_rs,
            "{} {} -> {} {}: {} > {}", a.band, a.units_kwh, b.band, b.units_kwh,
            a.payable_within_due_rs, b.payable_within_due_rs
        );
        if a.band == b.band {
            prop_assert!(b.lines_total_rs(LineBlock::Current) >= a.lines_total_rs(LineBlock::Current));
        }
    }

    #[test]
    fn protected_one_slab_energy_is_continuous(units in 0u64..200, month in 8u32..=11) {
        let cycle = YearMonth { year: 2026, month };
        let history: Vec<_> = (1..=6).map(|k| (cycle.add_months(-k), 150)).collect();
        let mut case = Case {
            tariff: "A-1a", sl_centi_kw: 150, phase: 1, month, issue_day: 5,
            offpeak: units, peak: 0, mdi_centi_kw: 0, history, arrears: 0,
        };
        let a = bill(&case);
        case.offpeak += 1;
        let b = bill(&case);
        prop_assert_eq!(a.band.as_str(), "protected");
        prop_assert_eq!(b.band.as_str(), "protected");
        let top = book()
            .rows()
            .into_iter()
            .filter(|r| r.schedule_id == "SRO-279(I)/2026" && r.band == "protected")
            .filter_map(|r| r.rate_rs_per_kwh)
            .max()
            .unwrap();
        let step = b.amount_of("energy") - a.amount_of("energy");
        prop_assert!(step >= Decimal::ZERO && step <= top, "step {}", step);
    }

    #[test]
    fn unprotected_energy_is_monotone(units in 0u64..1_000) {
        let mut case = Case {
            tariff: "A-1a", sl_centi_kw: 300, phase: 3, month: 10, issue_day: 5,
            offpeak: units, peak: 0, mdi_centi_kw: 0, history: vec![], arrears: 0,
        };
        let a = bill(&case);
        case.offpeak += 1;
        let b = bill(&case);
        prop_assert_eq!(b.band.as_str(), "unprotected");
        prop_assert!(b.amount_of("energy") >= a.amount_of("energy"));
        prop_assert!(b.amount_of("fixed") >= a.amount_of("fixed"));
    }
}

#[test]
fn unprotected_single_slab_has_cliffs() {
    let mk = |units| Case {
        tariff: "A-1a",
        sl_centi_kw: 300,
        phase: 3,
        month: 10,
        issue_day: 5,
        offpeak: units,
        peak: 0,
        mdi_centi_kw: 0,
        history: vec![],
        arrears: 0,
    };
    // 200 x 28.91 = 5,782.00; 201 x 33.10 = 6,653.10: one unit costs 871.10.
    let a = bill(&mk(200)).amount_of("energy");
    let b = bill(&mk(201)).amount_of("energy");
    assert_eq!((a, b), (dec!(5782.00), dec!(6653.10)));
    assert_eq!(b - a, dec!(871.10));
}
