//! The rounding policy: the only place in the crate that rounds money.
//!
//! Money is `rust_decimal::Decimal` rupees; floats are never used.
//!
//! Policy (BILLING-RULES.md 3.2 "Rounding" and 3.3, pinned by the G1 real bill):
//!
//! 1. Every line (energy slab line, fixed, FC surcharge, QTA, ED, GST, NJ, TV fee, FPA, ED on
//!    FPA) is computed **unrounded**; dependent lines (ED, GST, LPS) are computed on the
//!    **unrounded** amounts of their base lines.
//! 2. Each printed line is rounded to the paisa ([`round_paisa`]), half away from zero
//!    (`0.005 -> 0.01`, `-0.005 -> -0.01`). `round_dp` alone would be banker's rounding, so the
//!    strategy is always passed explicitly.
//! 3. GST on FPA is rounded to whole rupees **per FPA month** ([`round_rupee`]).
//! 4. Current bill = sum of the rounded current-bill lines, rounded to whole rupees.
//!    Total FPA = sum of the rounded FPA-block lines, rounded to whole rupees.
//! 5. LPS = LPS rate x unrounded LPS base, rounded to whole rupees.
//! 6. Payable within due date = arrears + current bill + total FPA + installment + installment
//!    markup (no further rounding: the arrears and the installment are taken as given, the
//!    markup is a paisa-rounded line). Payable after due date = that + LPS.
//! 7. Installment markup = plan balance x markup % x days / days in year, unrounded, printed
//!    rounded to the paisa like any line. A granted amount is split into installments in whole
//!    paisa ([`split_paisa`]): equal installments rounded down to the paisa, the remainder on
//!    the last one.

use rust_decimal::{Decimal, RoundingStrategy};

/// The one rounding strategy used for money.
pub const STRATEGY: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// Rounds to the paisa (2 decimal places), half away from zero.
#[inline]
pub fn round_paisa(amount: Decimal) -> Decimal {
    round_to(amount, 2)
}

/// Rounds to whole rupees, half away from zero.
#[inline]
pub fn round_rupee(amount: Decimal) -> Decimal {
    round_to(amount, 0)
}

/// Splits a paisa-exact `amount` (`round_paisa(amount) == amount`) into `n >= 1` parts: `n - 1`
/// equal parts of `amount / n` rounded toward zero to the paisa, the last part the remainder,
/// so the parts sum to `amount` exactly. `None` when `n == 0` or `amount` has fractions of a
/// paisa or is too large for integer paisa.
pub fn split_paisa(amount: Decimal, n: u32) -> Option<Vec<Decimal>> {
    if n == 0 || round_paisa(amount) != amount {
        return None;
    }
    let mut p = amount;
    p.rescale(2);
    let paisa = p.mantissa();
    let each = paisa / i128::from(n);
    let last = paisa - each * i128::from(n - 1);
    let d = |x: i128| Decimal::try_from_i128_with_scale(x, 2).ok();
    let mut parts = vec![d(each)?; n as usize - 1];
    parts.push(d(last)?);
    Some(parts)
}

/// `round_dp_with_strategy(dp, MidpointAwayFromZero)` with a 64-bit fast path (bill amounts
/// almost always fit): same result, pinned by the `fast_path_matches_rust_decimal` test.
#[inline]
pub(crate) fn round_to(amount: Decimal, dp: u32) -> Decimal {
    let scale = amount.scale();
    if scale <= dp {
        return amount;
    }
    let shift = scale - dp;
    if shift <= 19 {
        let m = amount.mantissa();
        if let Ok(abs) = u64::try_from(m.unsigned_abs()) {
            let p = 10u64.pow(shift);
            let (q, r) = (abs / p, abs % p);
            // Half away from zero: round the magnitude up when 2r >= p.
            let q = if r >= p - r { q + 1 } else { q };
            if let Ok(v) = i64::try_from(q) {
                return Decimal::new(if m < 0 { -v } else { v }, dp);
            }
        }
    }
    amount.round_dp_with_strategy(dp, STRATEGY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_away_from_zero() {
        assert_eq!(round_paisa(dec!(308.715)), dec!(308.72));
        assert_eq!(round_paisa(dec!(-308.715)), dec!(-308.72));
        assert_eq!(round_paisa(dec!(299.995)), dec!(300.00));
        assert_eq!(round_rupee(dec!(2.5)), dec!(3));
        assert_eq!(round_rupee(dec!(-2.5)), dec!(-3));
        assert_eq!(round_rupee(dec!(2119.98)), dec!(2120));
        assert_eq!(round_paisa(dec!(0.004)), dec!(0.00));
        assert_eq!(round_paisa(dec!(-0.005)), dec!(-0.01));
    }

    #[test]
    fn split_paisa_remainder_on_the_last() {
        assert_eq!(
            split_paisa(dec!(10000.01), 3).unwrap(),
            vec![dec!(3333.33), dec!(3333.33), dec!(3333.35)]
        );
        assert_eq!(split_paisa(dec!(100), 4).unwrap(), vec![dec!(25.00); 4]);
        assert_eq!(split_paisa(dec!(0.05), 1).unwrap(), vec![dec!(0.05)]);
        assert!(split_paisa(dec!(1.005), 2).is_none());
        assert!(split_paisa(dec!(1), 0).is_none());
    }

    proptest::proptest! {
        #[test]
        fn split_paisa_sums_exactly(paisa in 0i64..100_000_000_000_000, n in 1u32..=120) {
            let amount = Decimal::new(paisa, 2);
            let parts = split_paisa(amount, n).unwrap();
            proptest::prop_assert_eq!(parts.len(), n as usize);
            proptest::prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), amount);
            let each = parts[0];
            for p in &parts[..parts.len() - 1] {
                proptest::prop_assert_eq!(*p, each);
            }
            // The last part is within n - 1 paisa above the others.
            let extra = parts[parts.len() - 1] - each;
            proptest::prop_assert!(extra >= Decimal::ZERO && extra < Decimal::new(i64::from(n), 2));
        }

        #[test]
        fn fast_path_matches_rust_decimal(m in proptest::num::i128::ANY, scale in 0u32..=28, dp in 0u32..=2) {
            let m = m % 10i128.pow(28);
            let x = Decimal::from_i128_with_scale(m, scale);
            proptest::prop_assert_eq!(round_to(x, dp), x.round_dp_with_strategy(dp, STRATEGY));
        }

        #[test]
        fn fast_path_matches_on_small_values(m in -10_000_000_000i64..10_000_000_000, scale in 0u32..=8, dp in 0u32..=2) {
            let x = Decimal::new(m, scale);
            proptest::prop_assert_eq!(round_to(x, dp), x.round_dp_with_strategy(dp, STRATEGY));
        }
    }
}
