//! Checks a pattern match must also pass before it counts: checksums and
//! structural rules that a regular expression cannot express. They turn a
//! "looks like a card number" into "is a card number", which is what keeps
//! order ids and tracking numbers from being flagged.

/// A validator named by a rule spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    None,
    /// E-mail address whose "top-level domain" is not a file extension
    /// ("icon@2x.png", "logo@3x.webp" are image assets).
    Email,
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
    /// A provider-prefixed key that is not a placeholder: letters and
    /// digits, no run of five identical characters ("sk_live_xxxxx..."),
    /// and at least [`KEY_MIN_ENTROPY`] bits of Shannon entropy per character.
    Key,
    /// HTTP basic credentials: base64 that decodes to printable
    /// "user:password" with a non-placeholder password.
    BasicAuth,
    /// A value assigned to a credential-named key that reads as random:
    /// see [`high_entropy`].
    HighEntropy,
    /// The password part of a connection URL, unless it is a placeholder
    /// (`password`, `<pass>`, `${DB_PASS}`, `****`).
    NotPlaceholder,
    /// IPv4 dotted quad: exactly four decimal octets 0..=255 without leading
    /// zeros; not 255.255.255.255 or loopback (127/8); not a CIDR block
    /// ("/24"); not four single-digit parts ("1.2.3.4", "4.4.2.1": version
    /// numbers far more often than addresses, and the few addresses of that
    /// shape are public resolvers such as 8.8.8.8, which identify no one).
    Ipv4,
    /// IPv6 (full, compressed, IPv4-mapped), by the standard parser; not
    /// `::`, `::1`, and at least five hex digits ("ab::cd" is C++, not an
    /// address).
    Ipv6,
    /// A date of birth: day, month and year that exist, year 1900..=2030.
    /// Accepts Y-M-D, D.M.Y, D/M/Y or M/D/Y, and a textual month.
    BirthDate,
    /// A passport number: 6 to 10 letters and digits, at least five of them
    /// digits, not one digit repeated.
    Passport,
}

/// Minimum Shannon entropy, bits per character, of a provider-prefixed key
/// body ([`Validator::Key`]). Real keys sit at 4 and above; placeholders
/// such as "sk_live_abcabcabcabc123" are well below.
const KEY_MIN_ENTROPY: f64 = 3.0;

/// Minimum Shannon entropy, bits per character, of a value assigned to a
/// credential-named key ([`Validator::HighEntropy`]), and its minimum length.
/// 3.5 bits/char: a random 16-character base62 token is at 3.7..4.0, a random
/// 32-character hex secret (Twilio auth token, a SHA) at 3.6..4.0; English
/// words and snake_case names ("your_api_key_here" 3.3, "changeme123" 3.1)
/// stay below, as do repetitive placeholders ("abc123abc123abc123" 2.6).
const ASSIGNED_MIN_ENTROPY: f64 = 3.5;
const ASSIGNED_MIN_LEN: usize = 16;

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
            Validator::Email => email(value),
            Validator::Key => key(value),
            Validator::BasicAuth => basic_auth(value),
            Validator::HighEntropy => high_entropy(value),
            Validator::NotPlaceholder => !placeholder(value),
            Validator::Ipv4 => ipv4(value),
            Validator::Ipv6 => ipv6(value),
            Validator::BirthDate => birth_date(value),
            Validator::Passport => passport(value),
        }
    }
}

fn email(value: &str) -> bool {
    const FILE_EXTENSIONS: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "avif", "heic",
    ];
    let tld = value
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    !FILE_EXTENSIONS.contains(&tld.as_str())
}

/// Shannon entropy of `value`'s bytes, in bits per byte.
pub(crate) fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in value.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = value.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `value` has a run of `n` identical bytes.
fn has_run(value: &str, n: usize) -> bool {
    let mut run = 0;
    let mut prev = None;
    for b in value.bytes() {
        run = if prev == Some(b) { run + 1 } else { 1 };
        if run >= n {
            return true;
        }
        prev = Some(b);
    }
    false
}

fn key(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_alphabetic())
        && value.bytes().any(|b| b.is_ascii_digit())
        && !has_run(value, 5)
        && shannon_entropy(value) >= KEY_MIN_ENTROPY
}

/// Words that mark a value as an example, not a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "redacted",
    "your",
    "dummy",
    "sample",
    "xxxx",
    "****",
    "....",
    "<",
    ">",
    "${",
    "{{",
    "%(",
];

fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) || lower.starts_with('$') {
        return true;
    }
    matches!(
        lower.as_str(),
        "password"
            | "passwd"
            | "pass"
            | "pwd"
            | "secret"
            | "user"
            | "username"
            | "admin"
            | "guest"
            | "test"
            | "demo"
            | "root"
            | "postgres"
            | "default"
            | "none"
            | "null"
    )
}

/// A value assigned to a credential-named key ("api_key=", "token": "...")
/// that is a credential rather than a name or a placeholder: at least
/// [`ASSIGNED_MIN_LEN`] characters, two of lower case / upper case / digits,
/// no placeholder word, not a dotted path ("process.env.API_TOKEN"), not a
/// JWT (its own rule), and at least [`ASSIGNED_MIN_ENTROPY`] bits per
/// character. The caller's context (the key name) is what makes a UUID or a
/// hex digest a secret here; without it nothing fires.
/// A reference to where a secret lives, not the secret: a dotted path of
/// identifiers without digits ("process.env.API_TOKEN",
/// "settings.SECRET_KEY", "config.auth.token").
fn code_reference(value: &str) -> bool {
    value.contains('.')
        && value
            .split('.')
            .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_'))
}

fn high_entropy(value: &str) -> bool {
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
    ];
    // A JWT is left to its own rule (often a short-lived session token).
    value.len() >= ASSIGNED_MIN_LEN
        && !value.starts_with("eyJ")
        && classes.iter().filter(|&&c| c).count() >= 2
        && !placeholder(value)
        && !code_reference(value)
        && !has_run(value, 5)
        && shannon_entropy(value) >= ASSIGNED_MIN_ENTROPY
}

/// Standard base64 (padding optional); `None` if any character is not
/// base64 or the input is too long to be a credential.
fn base64_decode(value: &str) -> Option<Vec<u8>> {
    let body = value.trim_end_matches('=');
    if body.len() > 1024 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in body.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

fn basic_auth(value: &str) -> bool {
    let Some(decoded) = base64_decode(value) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    let Some((user, password)) = text.split_once(':') else {
        return false;
    };
    !user.is_empty()
        && password.len() >= 3
        && !text.chars().any(char::is_control)
        && !placeholder(password)
}

fn ipv4(value: &str) -> bool {
    let mut octets = [0u32; 4];
    let mut n = 0;
    for part in value.split('.') {
        let ok = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && !(part.len() > 1 && part.starts_with('0'));
        if !ok || n >= 4 {
            return false;
        }
        let v = part.parse::<u32>().unwrap_or(256);
        if v > 255 {
            return false;
        }
        octets[n] = v;
        n += 1;
    }
    n == 4
        && octets != [255, 255, 255, 255]
        && octets[0] != 127
        // "4.4.2.1", "1.2.3.4": a version number (or a public resolver such
        // as 8.8.8.8, which identifies no one), not a host of a person.
        && octets.iter().any(|&o| o >= 10)
}

fn ipv6(value: &str) -> bool {
    let Ok(addr) = value.parse::<std::net::Ipv6Addr>() else {
        return false;
    };
    let hex_digits = value.bytes().filter(u8::is_ascii_hexdigit).count();
    !addr.is_unspecified() && !addr.is_loopback() && hex_digits >= 5
}

/// Month number of an English, German, French or Russian month name (or
/// its first three letters).
fn month_of(word: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["jan", "янв", "janv"],
        &["feb", "фев", "fév", "fev"],
        &["mar", "мар", "mär", "mae"],
        &["apr", "апр", "avr"],
        &["may", "mai", "мая", "май"],
        &["jun", "июн", "juin"],
        &["jul", "июл", "juil"],
        &["aug", "авг", "aoû", "aou"],
        &["sep", "сен"],
        &["oct", "окт", "okt"],
        &["nov", "ноя"],
        &["dec", "дек", "dez", "déc"],
    ];
    let lower = word.to_lowercase();
    // "mai" is May in German and French; "mars"/"März" March; check the
    // longer prefixes first so "juin"/"juil" are not read as "jun"/"jul".
    let mut best: Option<(usize, u32)> = None;
    for (m, names) in MONTHS.iter().enumerate() {
        for name in names.iter() {
            if lower.starts_with(name) && best.is_none_or(|(len, _)| name.len() > len) {
                best = Some((name.len(), m as u32 + 1));
            }
        }
    }
    best.map(|(_, m)| m)
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    (1900..=2030).contains(&year) && day >= 1 && day <= days_in(month, year)
}

fn birth_date(value: &str) -> bool {
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    let mut month_word = None;
    for part in value.split(|c: char| !c.is_alphanumeric()) {
        if part.is_empty() {
            continue;
        }
        // "4th", "1st": the digits count, the suffix does not.
        let lead = part.bytes().take_while(u8::is_ascii_digit).count();
        if lead > 0 {
            let digits = part.get(..lead).unwrap_or_default();
            if lead > 4 {
                return false;
            }
            numbers.push((digits.parse().unwrap_or(0), lead));
        } else if let Some(m) = month_of(part) {
            month_word = Some(m);
        }
    }
    // Two-digit years: born in the 20th century if past 30, else the 21st.
    let year_of = |(v, len): (u32, usize)| match len {
        4 => Some(v),
        2 if v > 30 => Some(1900 + v),
        2 => Some(2000 + v),
        _ => None,
    };
    match (month_word, numbers.as_slice()) {
        (Some(m), &[a, b]) => {
            // "12 March 1985" / "March 12, 1985"
            let (day, year) = if b.1 == 4 { (a, b) } else { (b, a) };
            year_of(year).is_some_and(|y| day.1 <= 2 && valid_date(y, m, day.0))
        }
        (None, &[a, b, c]) if a.1 == 4 => valid_date(a.0, b.0, c.0),
        (None, &[a, b, c]) => year_of(c).is_some_and(|y| {
            a.1 <= 2 && b.1 <= 2 && (valid_date(y, b.0, a.0) || valid_date(y, a.0, b.0))
        }),
        _ => false,
    }
}

fn passport(value: &str) -> bool {
    // "45 10 № 123456": series and number; "№" may have become "No".
    let compact: Vec<u8> = value
        .replace("No", "")
        .replace('№', "")
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .collect();
    let digit_count = compact.iter().filter(|b| b.is_ascii_digit()).count();
    (6..=10).contains(&compact.len())
        && compact.iter().all(u8::is_ascii_alphanumeric)
        && digit_count >= 5
        && !compact
            .iter()
            .filter(|b| b.is_ascii_digit())
            .all(|b| Some(b) == compact.iter().find(|b| b.is_ascii_digit()))
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

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(Validator::HighEntropy.accepts("kpYr64Zi06aFOK3zdWrprNHHBdEuX0a2"));
        assert!(Validator::HighEntropy.accepts("9f86d081884c7d659a2feaa0c55ad015"));
        assert!(!Validator::HighEntropy.accepts("your_api_key_here"));
        assert!(!Validator::HighEntropy.accepts("abc123abc123abc123"));
        assert!(!Validator::HighEntropy.accepts("changeme1234567890"));
        assert!(!Validator::HighEntropy.accepts("aaaaaaaaaaaaaaaaaaaa1B"));
        assert!(!Validator::HighEntropy.accepts("Ab1"));
        assert!(!Validator::HighEntropy.accepts("process.env.API_TOKEN"));
        assert!(Validator::HighEntropy.accepts("G7yOh3FZ9NoDxQshIISj.3bb5642ldGDinou"));
        assert!(!Validator::HighEntropy.accepts("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
        assert!(Validator::BasicAuth.accepts("YWRtaW46U3VwM3JTM2NyZXQh"));
        assert!(!Validator::BasicAuth.accepts("dXNlcjpwYXNzd29yZA=="));
        assert!(!Validator::BasicAuth.accepts("aGVsbG8gd29ybGQ="));
        assert!(!Validator::BasicAuth.accepts("not base64!"));
        assert!(Validator::Key.accepts("sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!Validator::Key.accepts("sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!Validator::Key.accepts("glpat-abcdefabcdefabcdefab"));
    }

    #[test]
    fn placeholders() {
        for p in [
            "password",
            "<password>",
            "${DB_PASS}",
            "****",
            "guest",
            "YOUR_PASS",
        ] {
            assert!(!Validator::NotPlaceholder.accepts(p), "{p}");
        }
        assert!(Validator::NotPlaceholder.accepts("S3cretPassw0rd"));
    }

    #[test]
    fn ip_addresses() {
        for ok in ["203.0.113.42", "8.8.8.10", "10.0.0.5", "192.168.1.0"] {
            assert!(Validator::Ipv4.accepts(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.02.03.04",
            "1.2.3",
            "1.2.3.4.5",
            "192.0.2.0/24",
            "1..2.3",
            "1.2.3.4",
            "8.8.8.8",
        ] {
            assert!(!Validator::Ipv4.accepts(bad), "{bad}");
        }
        for ok in [
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8::ff00:42:8329",
            "fe80::1ff:fe23:4567:890a",
            "::ffff:192.0.2.128",
        ] {
            assert!(Validator::Ipv6.accepts(ok), "{ok}");
        }
        for bad in [
            "::1",
            "::",
            "ab::cd",
            "12:30:45",
            "00:1A:2B:3C:4D:5E",
            "2001:db8::/32",
        ] {
            assert!(!Validator::Ipv6.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn birth_dates() {
        for ok in [
            "1985-03-12",
            "12/03/1985",
            "03/25/1990",
            "12.03.85",
            "29.02.1988",
            "5 March 1979",
            "July 4th, 1988",
            "12 марта 1985",
            "14. Juli 1975",
        ] {
            assert!(Validator::BirthDate.accepts(ok), "{ok}");
        }
        for bad in [
            "31.02.1985",
            "45/13/1985",
            "29.02.1987",
            "1850-01-01",
            "12.03",
            "00.00.0000",
        ] {
            assert!(!Validator::BirthDate.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn passports_and_emails() {
        for ok in [
            "X1234567",
            "4510 123456",
            "45 10 No 123456",
            "C01X00T47",
            "123456789",
        ] {
            assert!(Validator::Passport.accepts(ok), "{ok}");
        }
        for bad in ["ABCDEFG1", "1234", "000000000", "12345678901"] {
            assert!(!Validator::Passport.accepts(bad), "{bad}");
        }
        assert!(Validator::Email.accepts("jane@example.com"));
        assert!(!Validator::Email.accepts("icon@2x.png"));
    }
}
