//! PostgreSQL's `round(numeric [, digits])`, replacing DataFusion's, whose decimal result had a
//! different precision and scale than it declared, so `round(amount, 2) = amount` failed
//! with an Arrow comparison error.
//!
//! NUMERIC(p, s) rounds half away from zero to `digits` decimals (default 0; negative rounds
//! to tens, hundreds, ...) and is NUMERIC(p', max(digits, 0)) with room for the carry; integers
//! round to `10^-digits` when `digits` is negative and are unchanged otherwise; floats round
//! half to even (as PostgreSQL rounds float8). `digits` must be a constant integer.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, PrimitiveArray};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Decimal128Type, Field, FieldRef, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type,
};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use crate::to_char::TemplateError;

/// The `round` function to register on a session (replaces DataFusion's).
pub fn udf() -> ScalarUDF {
    ScalarUDF::from(Round {
        signature: Signature::one_of(
            vec![TypeSignature::Any(1), TypeSignature::Any(2)],
            Volatility::Immutable,
        ),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Round {
    signature: Signature,
}

fn refuse<T>(msg: impl Into<String>) -> DfResult<T> {
    Err(datafusion::error::DataFusionError::External(Box::new(
        TemplateError(msg.into()),
    )))
}

/// The digits argument as a constant.
fn digits_of(arg: Option<&ScalarValue>, given: bool) -> DfResult<i32> {
    if !given {
        return Ok(0);
    }
    let Some(v) = arg else {
        return refuse("round: the number of digits must be a constant");
    };
    let n = match v {
        ScalarValue::Int8(Some(n)) => i64::from(*n),
        ScalarValue::Int16(Some(n)) => i64::from(*n),
        ScalarValue::Int32(Some(n)) => i64::from(*n),
        ScalarValue::Int64(Some(n)) => *n,
        ScalarValue::UInt8(Some(n)) => i64::from(*n),
        ScalarValue::UInt16(Some(n)) => i64::from(*n),
        ScalarValue::UInt32(Some(n)) => i64::from(*n),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
        ScalarValue::Decimal128(Some(m), _, 0) => i64::try_from(*m).unwrap_or(i64::MAX),
        other => return refuse(format!("round: digits must be an integer, got {other}")),
    };
    if !(-38..=38).contains(&n) {
        return refuse(format!("round: {n} digits is out of range (-38..=38)"));
    }
    Ok(n as i32)
}

/// Result type of rounding `t` to `n` digits.
fn result_type(t: &DataType, n: i32) -> DfResult<DataType> {
    Ok(match t {
        DataType::Decimal128(p, s) => {
            let s = i32::from(*s);
            let out_scale = n.max(0);
            let int_digits = i32::from(*p) - s + 1;
            let p_out = (int_digits + out_scale).clamp(1, 38);
            DataType::Decimal128(p_out as u8, out_scale.min(38) as i8)
        }
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => t.clone(),
        DataType::Float32 | DataType::Float64 => t.clone(),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Null => DataType::Null,
        other => return refuse(format!("round does not take {other}")),
    })
}

impl ScalarUDFImpl for Round {
    fn name(&self) -> &str {
        "round"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> DfResult<DataType> {
        // Only reached without the constant digits: assume none.
        result_type(&args[0], 0)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let given = args.arg_fields.len() > 1;
        let n = digits_of(args.scalar_arguments.get(1).copied().flatten(), given)?;
        let t = result_type(args.arg_fields[0].data_type(), n)?;
        Ok(Arc::new(Field::new(self.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let given = args.args.len() > 1;
        let digits = match args.args.get(1) {
            Some(ColumnarValue::Scalar(s)) => digits_of(Some(s), true)?,
            Some(ColumnarValue::Array(_)) => digits_of(None, true)?,
            None => digits_of(None, given)?,
        };
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let values = args.args[0].to_array(args.number_rows.max(1))?;
        let out_type = args.return_field.data_type().clone();
        let out = round_array(&values, digits, &out_type)?;
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// `v / 10^k` rounded half away from zero.
fn div_round(v: i128, k: u32) -> Option<i128> {
    if k == 0 {
        return Some(v);
    }
    let f = 10i128.checked_pow(k)?;
    let q = v / f;
    let r = v % f;
    Some(if r.abs() * 2 >= f { q + v.signum() } else { q })
}

fn round_decimal(m: i128, scale: i32, n: i32, out_scale: i32) -> Option<i128> {
    if n >= scale {
        return m.checked_mul(10i128.checked_pow((out_scale - scale) as u32)?);
    }
    // Round to n digits, then express at out_scale (= max(n, 0)).
    let q = div_round(m, (scale - n) as u32)?;
    q.checked_mul(10i128.checked_pow((out_scale - n) as u32)?)
}

fn round_ints<T: ArrowPrimitiveType>(a: &ArrayRef, n: i32) -> DfResult<ArrayRef>
where
    T::Native: Into<i64> + TryFrom<i64>,
{
    let a = a.as_primitive::<T>();
    let out: PrimitiveArray<T> = a
        .iter()
        .map(|v| {
            v.and_then(|v| {
                let v: i64 = v.into();
                let r = if n >= 0 {
                    Some(v)
                } else {
                    div_round(i128::from(v), (-n) as u32)
                        .and_then(|q| q.checked_mul(10i128.checked_pow((-n) as u32)?))
                        .and_then(|q| i64::try_from(q).ok())
                };
                r.and_then(|r| T::Native::try_from(r).ok())
            })
        })
        .collect();
    Ok(Arc::new(out))
}

fn round_array(a: &ArrayRef, n: i32, out_type: &DataType) -> DfResult<ArrayRef> {
    Ok(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let DataType::Decimal128(p_out, s_out) = out_type else {
                return refuse("round: unexpected result type");
            };
            let s = i32::from(*s);
            let arr = a.as_primitive::<Decimal128Type>();
            let mut overflow = false;
            let out: Decimal128Array = arr
                .iter()
                .map(|v| {
                    v.and_then(|m| {
                        let r = round_decimal(m, s, n, i32::from(*s_out));
                        overflow |= r.is_none();
                        r
                    })
                })
                .collect();
            if overflow {
                return Err(datafusion::error::DataFusionError::ArrowError(
                    Box::new(datafusion::arrow::error::ArrowError::ArithmeticOverflow(
                        "round: numeric field overflow".into(),
                    )),
                    None,
                ));
            }
            Arc::new(out.with_precision_and_scale(*p_out, *s_out)?)
        }
        DataType::Float64 => {
            let f = 10f64.powi(n);
            let arr = a.as_primitive::<Float64Type>();
            Arc::new(arr.unary::<_, Float64Type>(|v| (v * f).round_ties_even() / f))
        }
        DataType::Float32 => {
            let f = 10f32.powi(n);
            let arr = a.as_primitive::<Float32Type>();
            Arc::new(arr.unary::<_, Float32Type>(|v| (v * f).round_ties_even() / f))
        }
        DataType::Int8 => round_ints::<Int8Type>(a, n)?,
        DataType::Int16 => round_ints::<Int16Type>(a, n)?,
        DataType::Int32 => round_ints::<Int32Type>(a, n)?,
        DataType::Int64 => round_ints::<Int64Type>(a, n)?,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            let cast = datafusion::arrow::compute::cast(a, &DataType::Int64)?;
            round_ints::<Int64Type>(&cast, n)?
        }
        DataType::Null => a.clone(),
        other => return refuse(format!("round does not take {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_half_away_from_zero_to_the_digits() {
        // 1234.5678 (scale 4) -> 2 digits: 1234.57; -> 0: 1235; -> -2: 1200; -> 6: 1234.567800.
        assert_eq!(round_decimal(12_345_678, 4, 2, 2), Some(123_457));
        assert_eq!(round_decimal(12_345_678, 4, 0, 0), Some(1235));
        assert_eq!(round_decimal(12_345_678, 4, -2, 0), Some(1200));
        assert_eq!(round_decimal(12_345_678, 4, 6, 6), Some(1_234_567_800));
        // Half away from zero, both signs: 2.5 -> 3, -2.5 -> -3, 2.45 at 1 -> 2.5.
        assert_eq!(round_decimal(25, 1, 0, 0), Some(3));
        assert_eq!(round_decimal(-25, 1, 0, 0), Some(-3));
        assert_eq!(round_decimal(245, 2, 1, 1), Some(25));
        assert_eq!(
            result_type(&DataType::Decimal128(37, 8), 2).ok(),
            Some(DataType::Decimal128(32, 2))
        );
        assert_eq!(
            result_type(&DataType::Decimal128(18, 2), 0).ok(),
            Some(DataType::Decimal128(17, 0))
        );
    }
}
