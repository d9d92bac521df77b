//! The 14-digit consumer reference number printed on every bill.
//!
//! Layout (BILLING-RULES 5.1, BILLING-RULES-2 6.1/6.3): `BB SSSSS AAAAAAA`
//!
//! * `BB` — 2-digit batch (the group of consumers read on the same day of the month);
//! * `SSSSS` — 5-digit sub-division code, hierarchical (company / circle / division /
//!   sub-division digits, e.g. `26142` files under `26000/26100/26140`);
//! * `AAAAAAA` — 7-digit account number whose **last digit is a check digit**.
//!
//! A printed reference may be followed by a `U` or `R` letter (read as urban / rural, meaning
//! UNCONFIRMED) that the PITC portal asks for separately; it is not part of the number.
//!
//! # Check digit (UNCONFIRMED stand-in)
//!
//! The real WAPDA/PITC check-digit algorithm is not known (BILLING-RULES-2 6.2: not found).
//! Until it is confirmed this module uses the **Luhn mod-10** check digit computed over the
//! first 13 digits (batch + sub-division + the first six account digits). This is a stand-in:
//! numbers taken from real master files may well fail [`Reference::check_digit_ok`], which is
//! why parsing never rejects a reference for its check digit.
//!
//! Invariant: the wrapped `u64` is always `< 10^14`, so `Display` always prints 14 digits.

use std::fmt;
use std::str::FromStr;

/// Exclusive upper bound of a reference value (14 decimal digits).
const REFERENCE_LIMIT: u64 = 100_000_000_000_000;
/// Number of digits in a reference.
const REFERENCE_DIGITS: usize = 14;
/// Largest 2-digit batch.
const MAX_BATCH: u8 = 99;
/// Largest 5-digit sub-division code.
const MAX_SUBDIVISION: u32 = 99_999;
/// Largest account number without its check digit (6 digits).
const MAX_ACCOUNT_WITHOUT_CHECK: u32 = 999_999;

/// Why a string or a set of components is not a reference number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The input was empty (or only blanks).
    #[error("reference number is empty")]
    Empty,
    /// A character other than an ASCII digit, a grouping space or a trailing U/R suffix.
    #[error("reference number has an invalid character {ch:?} at position {position}")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its 0-based character position in the input.
        position: usize,
    },
    /// Not exactly 14 digits.
    #[error("reference number must have exactly 14 digits, found {found}")]
    WrongLength {
        /// How many digits were found.
        found: usize,
    },
    /// Spaces present but not in the printed `BB SSSSS AAAAAAA` grouping.
    #[error("reference number is grouped wrongly: expected \"BB SSSSS AAAAAAA\" or 14 digits")]
    BadGrouping,
    /// A component passed to [`Reference::new`] does not fit its field.
    #[error("reference {field} {value} is out of range (maximum {max})")]
    OutOfRange {
        /// Which component: "batch", "sub-division" or "account".
        field: &'static str,
        /// The value given.
        value: u64,
        /// The largest allowed value.
        max: u64,
    },
}

/// The letter that may follow a printed reference (`U` or `R`). Meaning (urban/rural) is
/// UNCONFIRMED; it is carried, never interpreted.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ReferenceSuffix {
    /// `U`
    U,
    /// `R`
    R,
}

impl fmt::Display for ReferenceSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReferenceSuffix::U => "U",
            ReferenceSuffix::R => "R",
        })
    }
}

/// A 14-digit consumer reference number (`BB SSSSS AAAAAAA`). See the module docs.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Reference(u64);

impl Reference {
    /// Builds a reference from its parts, appending the (stand-in, UNCONFIRMED) Luhn check
    /// digit to the 6-digit `account_without_check`.
    pub fn new(
        batch: u8,
        subdivision: u32,
        account_without_check: u32,
    ) -> Result<Reference, ReferenceError> {
        if batch > MAX_BATCH {
            return Err(ReferenceError::OutOfRange {
                field: "batch",
                value: u64::from(batch),
                max: u64::from(MAX_BATCH),
            });
        }
        if subdivision > MAX_SUBDIVISION {
            return Err(ReferenceError::OutOfRange {
                field: "sub-division",
                value: u64::from(subdivision),
                max: u64::from(MAX_SUBDIVISION),
            });
        }
        if account_without_check > MAX_ACCOUNT_WITHOUT_CHECK {
            return Err(ReferenceError::OutOfRange {
                field: "account",
                value: u64::from(account_without_check),
                max: u64::from(MAX_ACCOUNT_WITHOUT_CHECK),
            });
        }
        let first13 = u64::from(batch) * 100_000_000_000
            + u64::from(subdivision) * 1_000_000
            + u64::from(account_without_check);
        Ok(Reference(
            first13 * 10 + u64::from(luhn_check_digit(first13)),
        ))
    }

    /// Parses a printed reference and returns the optional trailing `U`/`R` letter separately.
    ///
    /// Accepts exactly 14 ASCII digits, either contiguous or grouped as printed
    /// (`BB SSSSS AAAAAAA`, one or more spaces between groups), surrounding blanks, and an
    /// optional trailing `U`/`R` (either case, optionally after a space). The check digit is
    /// **not** verified here; use [`Reference::check_digit_ok`].
    pub fn parse_with_suffix(
        s: &str,
    ) -> Result<(Reference, Option<ReferenceSuffix>), ReferenceError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(ReferenceError::Empty);
        }
        // Offset of `trimmed` inside `s`, in characters, for error positions.
        let lead = s.chars().count() - s.trim_start().chars().count();

        let (body, suffix) = match trimmed.chars().last() {
            Some('U' | 'u') => (&trimmed[..trimmed.len() - 1], Some(ReferenceSuffix::U)),
            Some('R' | 'r') => (&trimmed[..trimmed.len() - 1], Some(ReferenceSuffix::R)),
            _ => (trimmed, None),
        };
        let body = body.trim_end();

        let mut value: u64 = 0;
        let mut digits = 0usize;
        // Length of each space-separated group of digits (at most 3 groups matter).
        let mut groups: [usize; 3] = [0; 3];
        let mut group_count = 0usize;
        let mut in_group = false;
        for (position, ch) in body.chars().enumerate() {
            match ch {
                '0'..='9' => {
                    if !in_group {
                        in_group = true;
                        group_count += 1;
                    }
                    if let Some(slot) = groups.get_mut(group_count - 1) {
                        *slot += 1;
                    }
                    digits += 1;
                    if digits <= REFERENCE_DIGITS {
                        value = value * 10 + u64::from(ch as u8 - b'0');
                    }
                }
                ' ' => in_group = false,
                _ => {
                    return Err(ReferenceError::InvalidChar {
                        ch,
                        position: lead + position,
                    })
                }
            }
        }
        if digits != REFERENCE_DIGITS {
            return Err(ReferenceError::WrongLength { found: digits });
        }
        match group_count {
            1 => {}
            3 if groups == [2, 5, 7] => {}
            _ => return Err(ReferenceError::BadGrouping),
        }
        Ok((Reference(value), suffix))
    }

    /// The 2-digit batch.
    pub fn batch(&self) -> u8 {
        // < 100 by the type invariant, so the narrowing is lossless.
        (self.0 / 1_000_000_000_000) as u8
    }

    /// The 5-digit sub-division code.
    pub fn subdivision(&self) -> u32 {
        ((self.0 / 10_000_000) % 100_000) as u32
    }

    /// The 7-digit account number, check digit included.
    pub fn account(&self) -> u32 {
        (self.0 % 10_000_000) as u32
    }

    /// The reference as one integer (`< 10^14`).
    pub fn as_u64(&self) -> u64 {
        self.0
    }

    /// A reference from its integer form; `None` if it has more than 14 digits.
    /// The check digit is not verified.
    pub fn from_u64(value: u64) -> Option<Reference> {
        (value < REFERENCE_LIMIT).then_some(Reference(value))
    }

    /// Whether the last digit matches the stand-in (UNCONFIRMED) Luhn check digit over the
    /// first 13 digits.
    pub fn check_digit_ok(&self) -> bool {
        u64::from(luhn_check_digit(self.0 / 10)) == self.0 % 10
    }

    /// The printed grouping `BB SSSSS AAAAAAA`.
    pub fn grouped(&self) -> String {
        format!(
            "{:02} {:05} {:07}",
            self.batch(),
            self.subdivision(),
            self.account()
        )
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// See [`Reference::parse_with_suffix`]; a trailing `U`/`R` is accepted and dropped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse_with_suffix(s).map(|(reference, _)| reference)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:014}", self.0)
    }
}

/// Luhn (mod-10) check digit for the 13-digit payload `first13`: starting from its rightmost
/// digit, every other digit is doubled (digits of the product summed); the check digit brings
/// the total to a multiple of 10. Stand-in for the unknown WAPDA algorithm (UNCONFIRMED).
fn luhn_check_digit(first13: u64) -> u8 {
    let mut rest = first13;
    let mut sum = 0u64;
    let mut double = true;
    for _ in 0..REFERENCE_DIGITS - 1 {
        let d = rest % 10;
        rest /= 10;
        sum += if double {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
        double = !double;
    }
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn new_and_components_round_trip() {
        let r = Reference::new(8, 11131, 123456).unwrap();
        assert_eq!(r.batch(), 8);
        assert_eq!(r.subdivision(), 11131);
        assert_eq!(r.account() / 10, 123456);
        assert!(r.check_digit_ok());
        assert_eq!(r.to_string().len(), 14);
        assert!(r.to_string().starts_with("0811131123456"));
        assert_eq!(r.grouped(), format!("08 11131 {:07}", r.account()));
        assert_eq!(Reference::from_u64(r.as_u64()), Some(r));
    }

    #[test]
    fn luhn_matches_known_vector() {
        // Classic Luhn example: payload 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit(7_992_739_871), 3);
        // Leading zeros do not change a Luhn digit.
        assert_eq!(luhn_check_digit(0), 0);
    }

    #[test]
    fn new_rejects_out_of_range() {
        assert!(matches!(
            Reference::new(100, 1, 1),
            Err(ReferenceError::OutOfRange { field: "batch", .. })
        ));
        assert!(matches!(
            Reference::new(1, 100_000, 1),
            Err(ReferenceError::OutOfRange {
                field: "sub-division",
                ..
            })
        ));
        assert!(matches!(
            Reference::new(1, 1, 1_000_000),
            Err(ReferenceError::OutOfRange {
                field: "account",
                ..
            })
        ));
    }

    #[test]
    fn parses_plain_grouped_and_suffixed() {
        let plain: Reference = "08111311234567".parse().unwrap();
        assert_eq!(plain.as_u64(), 8_111_311_234_567);
        assert_eq!("08 11131 1234567".parse::<Reference>().unwrap(), plain);
        assert_eq!(
            "  08  11131   1234567 ".parse::<Reference>().unwrap(),
            plain
        );
        assert_eq!(
            Reference::parse_with_suffix("08 11131 1234567 U").unwrap(),
            (plain, Some(ReferenceSuffix::U))
        );
        assert_eq!(
            Reference::parse_with_suffix("08111311234567r").unwrap(),
            (plain, Some(ReferenceSuffix::R))
        );
        assert_eq!(
            Reference::parse_with_suffix("08111311234567").unwrap(),
            (plain, None)
        );
        assert_eq!(plain.to_string(), "08111311234567");
        assert_eq!(plain.grouped(), "08 11131 1234567");
    }

    #[test]
    fn parse_does_not_check_the_check_digit() {
        let good = Reference::new(8, 26142, 39190).unwrap();
        let bad = Reference::from_u64(good.as_u64() / 10 * 10 + (good.as_u64() + 1) % 10).unwrap();
        let parsed: Reference = bad.to_string().parse().unwrap();
        assert_eq!(parsed, bad);
        assert!(!parsed.check_digit_ok());
    }

    #[test]
    fn rejects_bad_input_with_reasons() {
        assert_eq!("".parse::<Reference>(), Err(ReferenceError::Empty));
        assert_eq!("   ".parse::<Reference>(), Err(ReferenceError::Empty));
        assert_eq!(
            "0811131123456".parse::<Reference>(),
            Err(ReferenceError::WrongLength { found: 13 })
        );
        assert_eq!(
            "081113112345678".parse::<Reference>(),
            Err(ReferenceError::WrongLength { found: 15 })
        );
        assert_eq!(
            "08-11131-1234567".parse::<Reference>(),
            Err(ReferenceError::InvalidChar {
                ch: '-',
                position: 2
            })
        );
        assert_eq!(
            "0811131123456X".parse::<Reference>(),
            Err(ReferenceError::InvalidChar {
                ch: 'X',
                position: 13
            })
        );
        assert_eq!(
            "081 1131 1234567".parse::<Reference>(),
            Err(ReferenceError::BadGrouping)
        );
        assert_eq!(
            "08 111311234567".parse::<Reference>(),
            Err(ReferenceError::BadGrouping)
        );
        // A suffix alone, or two suffixes, are not references.
        assert_eq!(
            "U".parse::<Reference>(),
            Err(ReferenceError::WrongLength { found: 0 })
        );
        assert!("08111311234567UR".parse::<Reference>().is_err());
        // Non-ASCII digits are rejected.
        assert!("0811131123456٧".parse::<Reference>().is_err());
    }

    #[test]
    fn from_u64_bounds() {
        assert!(Reference::from_u64(99_999_999_999_999).is_some());
        assert!(Reference::from_u64(100_000_000_000_000).is_none());
        assert_eq!(
            Reference::from_u64(1).unwrap().to_string(),
            "00000000000001"
        );
    }

    #[test]
    fn order_is_numeric() {
        let a = Reference::new(1, 15111, 1).unwrap();
        let b = Reference::new(1, 15111, 2).unwrap();
        let c = Reference::new(2, 10000, 0).unwrap();
        assert!(a < b && b < c);
    }
}
