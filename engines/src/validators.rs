//! Checks a pattern match must also pass before it counts: checksums and
//! structural rules that a regular expression cannot express. They turn a
//! "looks like a card number" into "is a card number", which is what keeps
//! order ids and tracking numbers from being flagged.

/// A validator named by a rule spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    None,
    /// Payment card: 13-19 digits, a known leading digit, Luhn checksum.
    Luhn,
    /// IBAN: country length and ISO 7064 mod-97 checksum.
    Iban,
    /// US social security number: area, group and serial rules.
    UsSsn,
    /// Russian SNILS (insurance number) checksum.
    Snils,
    /// Russian INN (taxpayer number, 10 or 12 digits) checksums.
    RuInn,
    /// Phone number: 7 to 15 digits (E.164 allows at most 15).
    PhoneDigits,
    /// A credential-looking token: has both letters and digits.
    Token,
    /// A random-looking key: upper case, lower case and digits.
    MixedCase,
}

impl Validator {
    pub(crate) fn accepts(self, value: &str) -> bool {
        match self {
            Validator::None => true,
            Validator::Luhn => card(value),
            Validator::Iban => iban(value),
            Validator::UsSsn => us_ssn(value),
            Validator::Snils => snils(value),
            Validator::RuInn => ru_inn(value),
            Validator::PhoneDigits => (7..=15).contains(&digits(value).len()),
            Validator::Token => {
                value.bytes().any(|b| b.is_ascii_alphabetic())
                    && value.bytes().any(|b| b.is_ascii_digit())
            }
            Validator::MixedCase => {
                value.bytes().any(|b| b.is_ascii_uppercase())
                    && value.bytes().any(|b| b.is_ascii_lowercase())
                    && value.bytes().any(|b| b.is_ascii_digit())
            }
        }
    }
}

/// The ASCII digits of `value` as numbers, separators dropped.
fn digits(value: &str) -> Vec<u32> {
    value.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn card(value: &str) -> bool {
    let d = digits(value);
    if !(13..=19).contains(&d.len()) || !matches!(d.first(), Some(2..=6)) {
        return false;
    }
    if d.iter().all(|&x| Some(&x) == d.first()) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let doubled = x * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// IBAN length per country (ISO 13616 registry, the countries seen in
/// practice). Unknown countries only get the generic 15..=34 bound.
fn iban_length(country: &str) -> Option<usize> {
    let len = match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "CR" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" => 22,
        "AE" | "GI" | "IL" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        "RU" => 33,
        _ => return None,
    };
    Some(len)
}

fn iban(value: &str) -> bool {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (country, rest) = compact.split_at(2);
    if !country.bytes().all(|b| b.is_ascii_uppercase())
        || !rest.bytes().take(2).all(|b| b.is_ascii_digit())
    {
        return false;
    }
    if iban_length(country).is_some_and(|len| len != bytes.len()) {
        return false;
    }
    // Move the first four characters to the end, read letters as 10..=35,
    // and take the number mod 97 digit by digit.
    let rotated = bytes.iter().skip(4).chain(bytes.iter().take(4));
    let mut rem: u32 = 0;
    for &b in rotated {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn us_ssn(value: &str) -> bool {
    let d = digits(value);
    if d.len() != 9 {
        return false;
    }
    let area = d[0] * 100 + d[1] * 10 + d[2];
    let group = d[3] * 10 + d[4];
    let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn snils(value: &str) -> bool {
    let d = digits(value);
    if d.len() != 11 {
        return false;
    }
    let number = d.iter().take(9).fold(0u32, |acc, &x| acc * 10 + x);
    // Checksums are only defined above 001-001-998.
    if number <= 1_001_998 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(9)
        .enumerate()
        .map(|(i, &x)| x * (9 - i as u32))
        .sum();
    let check = match sum {
        0..=99 => sum,
        100 | 101 => 0,
        _ => (sum % 101) % 100,
    };
    check == d[9] * 10 + d[10]
}

fn ru_inn(value: &str) -> bool {
    const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let d = digits(value);
    let check = |weights: &[u32]| -> u32 {
        weights.iter().zip(&d).map(|(w, x)| w * x).sum::<u32>() % 11 % 10
    };
    match d.len() {
        10 => check(&W10) == d[9],
        12 => check(&W11) == d[10] && check(&W12) == d[11],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(Validator::Luhn.accepts("4111 1111 1111 1111"));
        assert!(Validator::Luhn.accepts("5555-5555-5555-4444"));
        assert!(Validator::Luhn.accepts("378282246310005"));
        assert!(!Validator::Luhn.accepts("4111-2222-3333-4445"));
        assert!(!Validator::Luhn.accepts("0000 0000 0000 0000"));
        assert!(!Validator::Luhn.accepts("1234"));
    }

    #[test]
    fn iban() {
        assert!(Validator::Iban.accepts("DE89 3704 0044 0532 0130 00"));
        assert!(Validator::Iban.accepts("GB82WEST12345698765432"));
        assert!(Validator::Iban.accepts("FR1420041010050500013M02606"));
        assert!(!Validator::Iban.accepts("DE89 3704 0044 0532 0130 01"));
        assert!(!Validator::Iban.accepts("DE89 3704 0044 0532 0130"));
    }

    #[test]
    fn ssn() {
        assert!(Validator::UsSsn.accepts("536-22-1234"));
        assert!(!Validator::UsSsn.accepts("000-22-1234"));
        assert!(!Validator::UsSsn.accepts("666-22-1234"));
        assert!(!Validator::UsSsn.accepts("912-22-1234"));
        assert!(!Validator::UsSsn.accepts("536-00-1234"));
        assert!(!Validator::UsSsn.accepts("536-22-0000"));
    }

    #[test]
    fn russian_ids() {
        assert!(Validator::Snils.accepts("112-233-445 95"));
        assert!(!Validator::Snils.accepts("112-233-445 96"));
        assert!(Validator::RuInn.accepts("7707083893"));
        assert!(!Validator::RuInn.accepts("7707083894"));
        assert!(Validator::RuInn.accepts("500100732259"));
        assert!(!Validator::RuInn.accepts("500100732258"));
    }

    #[test]
    fn tokens() {
        assert!(Validator::Token.accepts("abc123"));
        assert!(!Validator::Token.accepts("abcdef"));
        assert!(Validator::MixedCase.accepts("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(!Validator::MixedCase.accepts("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"));
        assert!(Validator::PhoneDigits.accepts("+1 (415) 555-0132"));
        assert!(!Validator::PhoneDigits.accepts("12-34"));
    }
}
