//! One bill's computation per tariff kind, on the builtin book (taxes included).
//! Target: >= 2 M full bills/s per core (i.e. <= 500 ns per bill).

use billing::{compute_bill, BillInput, TariffBook, YearMonth};
use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;

struct Case {
    name: &'static str,
    tariff: &'static str,
    sl: Decimal,
    phase: u8,
    offpeak: u64,
    peak: u64,
    mdi: Decimal,
    history: Vec<(YearMonth, u64)>,
}

fn months(cycle: YearMonth, n: i32, units: u64) -> Vec<(YearMonth, u64)> {
    (1..=n).map(|k| (cycle.add_months(-k), units)).collect()
}

fn bench_bills(c: &mut Criterion) {
    let book = match TariffBook::builtin() {
        Ok(b) => b,
        Err(e) => panic!("builtin book: {e}"),
    };
    let cycle = YearMonth {
        year: 2026,
        month: 9,
    };
    let issue = NaiveDate::from_ymd_opt(2026, 9, 5).unwrap_or_default();
    let cases = [
        Case {
            name: "lifeline",
            tariff: "A-1a",
            sl: Decimal::ONE,
            phase: 1,
            offpeak: 80,
            peak: 0,
            mdi: Decimal::ZERO,
            history: months(cycle, 12, 60),
        },
        Case {
            name: "protected",
            tariff: "A-1a",
            sl: Decimal::new(15, 1),
            phase: 1,
            offpeak: 150,
            peak: 0,
            mdi: Decimal::ZERO,
            history: months(cycle, 6, 150),
        },
        Case {
            name: "unprotected",
            tariff: "A-1a",
            sl: Decimal::TWO,
            phase: 1,
            offpeak: 301,
            peak: 0,
            mdi: Decimal::ZERO,
            history: months(cycle, 3, 320),
        },
        Case {
            name: "a1b_tou",
            tariff: "A-1b",
            sl: Decimal::from(6),
            phase: 3,
            offpeak: 800,
            peak: 200,
            mdi: Decimal::from(4),
            history: months(cycle, 12, 1000),
        },
        Case {
            name: "a2a_flat",
            tariff: "A-2a",
            sl: Decimal::from(3),
            phase: 1,
            offpeak: 300,
            peak: 0,
            mdi: Decimal::ZERO,
            history: months(cycle, 12, 300),
        },
        Case {
            name: "a2c_tou",
            tariff: "A-2c",
            sl: Decimal::from(10),
            phase: 3,
            offpeak: 1200,
            peak: 300,
            mdi: Decimal::ZERO,
            history: months(cycle, 12, 1500),
        },
        Case {
            name: "b2b_industrial_tou",
            tariff: "B-2b",
            sl: Decimal::from(200),
            phase: 3,
            offpeak: 40_000,
            peak: 8_000,
            mdi: Decimal::from(150),
            history: months(cycle, 12, 48_000),
        },
    ];
    let mut group = c.benchmark_group("compute_bill");
    for case in &cases {
        let input = BillInput {
            disco: "LESCO",
            tariff: case.tariff,
            sanctioned_load_kw: case.sl,
            phase: case.phase,
            province: "Punjab",
            cycle,
            issue_date: issue,
            period_days: 30,
            units_offpeak_kwh: case.offpeak,
            units_peak_kwh: case.peak,
            mdi_kw: case.mdi,
            history: &case.history,
            arrears_rs: Decimal::ZERO,
            atl: true,
        };
        if let Err(e) = compute_bill(&book, &input) {
            panic!("{}: {e}", case.name);
        }
        group.bench_function(case.name, |b| {
            b.iter(|| compute_bill(black_box(&book), black_box(&input)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_bills);
criterion_main!(benches);
