//! Personal data: e-mail addresses, phone numbers, payment cards, IBANs,
//! national ids, passport numbers, IP addresses and dates of birth. Runs on
//! the canonical fold (case kept, fullwidth digits and invisible separators
//! undone). Numbers only count when their checksum or structure holds, and
//! bare digit runs only next to a word that says what they are, so order ids
//! and tracking numbers stay quiet.
//!
//! Decisions:
//! - IPv4: any valid dotted quad (octets 0..=255, no leading zeros, exactly
//!   four parts) counts, private ranges included; not the broadcast address
//!   or loopback (127/8); not four single-digit parts ("version 1.2.3.4",
//!   "Android 4.4.2.1": version numbers; the few addresses of that shape are
//!   public resolvers like 8.8.8.8, which identify no one); not glued to a
//!   letter ("v10.2.3.4") and not after a word that says it is a version or
//!   a section ("release 10.2.3.40", "section 12.3.4.5"). A CIDR block
//!   ("192.0.2.0/24", "2001:db8::/32") is a network, not a host: not flagged.
//! - Passports and dates of birth only shortly after a word that names them: a
//!   bare "X1234567" or "12.03.1985" is as likely a part number or a date.
//! - E-mail: not an image asset name ("icon@2x.png"): the validator refuses
//!   file extensions as top-level domains.
//! - Russian INN only next to its label (a tenth of all 10-digit numbers pass
//!   the checksum); SNILS in its usual "112-233-445 95" layout on its own,
//!   as 11 bare digits next to its label; both checksum-validated.

use crate::rules::Rule;
use crate::validators::Validator;

const EMAIL: &str = "email";
const PHONE: &str = "phone";
const CARD: &str = "credit_card";
const IBAN: &str = "iban";
const NATIONAL_ID: &str = "national_id";
const PASSPORT: &str = "passport";
const IP_ADDRESS: &str = "ip_address";
const DATE_OF_BIRTH: &str = "date_of_birth";

/// Words that make a dotted quad a version or section number, not an
/// address. Matched as substrings of the text before, so none may hide in
/// an ordinary word: not "ver." ("server."), "oid" ("avoid"), "build"
/// ("rebuild the server at ..."). "v1.2.3.4" is refused by the pattern,
/// which wants no letter right before the address, and Windows builds
/// ("10.0.19045.3803") by the octet range.
const VERSION_WORDS: &[&str] = &[
    "version",
    "versión",
    "versão",
    "версия",
    "версии",
    "release",
    "firmware",
    " oid",
    "oid:",
    "isbn",
    "section",
    "chapter",
    "clause",
    "paragraph",
    "article",
    "step",
    "§",
    "глава",
    "раздел",
    "пункт",
    "статья",
];

/// Words that introduce a Russian INN. "inn" only with what follows it:
/// "dinner", "beginning" and "winner" contain it too.
const INN_WORDS: &[&str] = &[
    "инн",
    "inn:",
    "inn ",
    "inn#",
    "inn№",
    "taxpayer",
    "tax id",
    "налогоплательщик",
];

/// Words that make a Luhn-valid digit run a device id or a voucher, not a
/// card: IMEIs use the Luhn checksum too.
const NOT_A_CARD: &[&str] = &[
    "imei",
    "meid",
    "serial no",
    "serial number",
    "s/n",
    "voucher",
    "coupon",
    "promo code",
];

/// Words that make four dotted groups of digits a version or an object
/// id rather than a card (besides the device ids of [`NOT_A_CARD`]).
const NOT_A_DOTTED_CARD: &[&str] = &["version", "release", "build", "firmware", "imei", "serial"];

/// Words that make a digit run something other than a phone number.
const NOT_A_PHONE: &[&str] = &[
    "order",
    "tracking",
    "track no",
    "invoice",
    "ticket",
    "ref:",
    "ref.",
    "ref #",
    "reference",
    "serial",
    "sku",
    "#",
    "isbn",
    "parcel",
    "shipment",
    "заказ",
    "счёт",
    "счет",
    "накладн",
    "version",
    "версия",
];

/// Words that introduce a phone number.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "tel:",
    "tel.",
    "tel ",
    "mobile",
    "cell:",
    "cell ",
    "call me",
    "call us",
    "whatsapp",
    "sms",
    "text me",
    "fax",
    "телефон",
    "тел.",
    "тел:",
    "моб",
    "звоните",
    "telefon",
    "téléphone",
    "teléfono",
    "telefono",
    "handy",
    "portable",
    "móvil",
    "cellulare",
];

pub(crate) static RULES: &[Rule] = &[
    Rule::value(
        "pii.email",
        EMAIL,
        0.9,
        r"(?-u:\b)[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?-u:\b)",
    )
    .validate(Validator::Email),
    // "+1 (415) 555-0132", "+44 20 7946 0958", "+7 912 345-67-89"
    Rule::value(
        "pii.phone_international",
        PHONE,
        0.8,
        r"(?P<v>\+[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{1,4}){1,5})(?-u:\b)",
    )
    .validate(Validator::PhoneDigits),
    // "(415) 555-0132", "415-555-0132": North American layout, no context needed
    // but none that says it is something else.
    Rule::value(
        "pii.phone_nanp",
        PHONE,
        0.6,
        r"(?P<v>\([2-9]\d{2}\)\s?\d{3}[.-]\d{4}|(?-u:\b)[2-9]\d{2}[.-]\d{3}[.-]\d{4})(?-u:\b)",
    )
    .not_near(NOT_A_PHONE),
    // Russian layout: "8 (912) 345-67-89", "8-800-555-35-35"
    Rule::value(
        "pii.phone_ru",
        PHONE,
        0.7,
        r"(?-u:\b)(?P<v>8[\s(-]*9\d{2}[\s)-]*\d{3}[\s-]?\d{2}[\s-]?\d{2}|8[\s-]?\(?800\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2})(?-u:\b)",
    )
    .not_near(NOT_A_PHONE),
    // French national layout: "01 23 45 67 89", "06.12.34.56.78".
    Rule::value(
        "pii.phone_fr",
        PHONE,
        0.7,
        r"(?-u:\b)(?P<v>0[1-9](?: \d{2}){4}|0[1-9](?:\.\d{2}){4})(?-u:\b)",
    )
    .not_near(NOT_A_PHONE),
    // Any digit run right after a word that says "phone".
    Rule::value("pii.phone_labelled", PHONE, 0.85, r"(?P<v>\+?\d[\d\s().-]{5,18}\d)(?-u:\b)")
        .validate(Validator::PhoneDigits)
        .near(PHONE_WORDS),
    // 16 digits in fours or Amex 4-6-5; Luhn-checked.
    Rule::value(
        "pii.credit_card",
        CARD,
        0.95,
        r"(?-u:\b)(?P<v>\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}|\d{4}[ -]\d{6}[ -]\d{5})(?-u:\b)",
    )
    .validate(Validator::Luhn),
    // "4772.5452.0200.7060": four groups of four with dots. Not part of a
    // longer dotted number (a version, an OID) on either side, and not
    // after a word that makes it one.
    Rule::value(
        "pii.credit_card_dotted",
        CARD,
        0.9,
        r"(?:^|[^\w.]|[^\d]\.)(?P<v>\d{4}\.\d{4}\.\d{4}\.\d{4})(?:$|[^\w.]|\.(?:$|[^\w]))",
    )
    .validate(Validator::Luhn)
    .not_near(NOT_A_DOTTED_CARD),
    // 13-19 contiguous digits; Luhn-checked, and not after a word that makes
    // it a device id (IMEIs are 15 Luhn-valid digits, written contiguous).
    Rule::value(
        "pii.credit_card_contiguous",
        CARD,
        0.9,
        r"(?-u:\b)(?P<v>\d{13,19})(?-u:\b)",
    )
    .validate(Validator::Luhn)
    .not_near(NOT_A_CARD),
    // "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"; mod-97 checked.
    // Surer than a card: the first 16 digits of an IBAN can pass Luhn.
    Rule::value(
        "pii.iban",
        IBAN,
        0.96,
        r"(?-u:\b)(?P<v>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)(?-u:\b)",
    )
    .validate(Validator::Iban),
    // US SSN "536-22-1234": valid area, group and serial.
    Rule::value("pii.us_ssn", NATIONAL_ID, 0.8, r"(?-u:\b)(?P<v>\d{3}-\d{2}-\d{4})(?-u:\b)")
        .validate(Validator::UsSsn)
        .not_near(NOT_A_PHONE),
    // An SSN written without dashes, next to its label.
    Rule::value("pii.us_ssn_labelled", NATIONAL_ID, 0.95, r"(?-u:\b)(?P<v>\d{3}[ -]?\d{2}[ -]?\d{4})(?-u:\b)")
        .validate(Validator::UsSsn)
        .near(&["ssn", "social security", "soc. sec"]),
    // Russian SNILS "112-233-445 95"; checksum-validated.
    Rule::value(
        "pii.ru_snils",
        NATIONAL_ID,
        0.9,
        r"(?-u:\b)(?P<v>\d{3}-\d{3}-\d{3}[ -]\d{2})(?-u:\b)",
    )
    .validate(Validator::Snils),
    // Russian INN (10 or 12 digits) next to its label; checksum-validated.
    Rule::value("pii.ru_inn", NATIONAL_ID, 0.85, r"(?-u:\b)(?P<v>\d{12}|\d{10})(?-u:\b)")
        .validate(Validator::RuInn)
        .near(INN_WORDS),
    // SNILS as 11 bare digits (or "112 233 445 95") next to its label.
    Rule::value(
        "pii.ru_snils_labelled",
        NATIONAL_ID,
        0.9,
        r"(?-u:\b)(?P<v>\d{3}[ -]?\d{3}[ -]?\d{3}[ -]?\d{2})(?-u:\b)",
    )
    .validate(Validator::Snils)
    .near(&["снилс", "snils", "страхов"]),
    // "passport no. X1234567", "Passport: 123456789", "номер паспорта 4510
    // 123456", "серия 45 10 № 123456" (NFKC reads "№" as "No"),
    // "Reisepass-Nr. C01X00T47": letters and digits shortly after
    // the label (no digit in between). The label is part of the pattern, so
    // a bare 6-9 digit number costs nothing.
    Rule::value(
        "pii.passport",
        PASSPORT,
        0.85,
        concat!(
            r"(?i:passport|паспорт|reisepass|passnummer|passeport|pasaporte|passaporto|passaporte)",
            r"[^0-9\n]{0,24}",
            r"(?-u:\b)(?P<v>[A-Z]{1,2}\d{6,8}|[A-Z0-9]{9}|\d{2} ?\d{2}(?:[ -]|№|No){1,3}\d{6}|\d{6,9})(?-u:\b)",
        ),
    )
    .validate(Validator::Passport),
    // IPv4: the character before must not be a letter, digit or dot ("v1.2.3.4",
    // "1.2.3.4.5"); the run takes every dotted part and a CIDR suffix, so the
    // validator sees a fifth part or the "/24" and refuses it.
    Rule::value(
        "pii.ipv4",
        IP_ADDRESS,
        0.7,
        r"(?:^|[^0-9A-Za-z_.])(?P<v>\d{1,3}(?:\.\d{1,3}){3}(?:\.\d+)*(?:/\d{1,2})?)(?-u:\b)",
    )
    .validate(Validator::Ipv4)
    .not_near(VERSION_WORDS),
    // IPv6, full (eight groups) or compressed ("::"), optionally with an
    // IPv4 tail, checked by the parser. Times ("12:30:45") and JSON (`"a":1`)
    // do not reach the validator.
    Rule::value(
        "pii.ipv6",
        IP_ADDRESS,
        0.7,
        concat!(
            r"(?:^|[^0-9A-Za-z_:.])(?P<v>(?:",
            // eight groups, or six and an IPv4 tail
            r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}\d{1,3}(?:\.\d{1,3}){3}",
            // compressed: "::" somewhere, an optional IPv4 tail
            r"|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?:\.\d{1,3}){0,3}",
            r")(?:/\d{1,3})?)",
        ),
    )
    .validate(Validator::Ipv6),
    // A date right after a birth word: "DOB: 1985-03-12", "born on
    // 12/03/1985", "дата рождения 12.03.1985", "born 12 March 1985",
    // "Birthday: July 4th, 1988", "customer_dob: 1990-07-15". The label is
    // part of the pattern (after an ASCII boundary or "_", so "stubborn" is
    // not "born").
    Rule::value(
        "pii.date_of_birth",
        DATE_OF_BIRTH,
        0.8,
        concat!(
            r"(?:(?:(?-u:\b)|_)(?i:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born(?: on)?|geburtsdatum|geboren(?: am)?|geb\.|date de naissance|n[ée]e? le|fecha de nacimiento|nacid[oa] el|data di nascita|nat[oa] il|data de nascimento)|(?i:дата рождения|даты рождения|д\.р\.|родил(?:ся|ась)))",
            r"[^0-9\n]{0,20}",
            r"(?P<v>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})",
            r"|\d{1,2}\.? (?i:jan|feb|fév|fev|mar|mär|apr|avr|may|mai|jun|juin|jul|juil|aug|ao[uû]|sep|oct|okt|nov|dec|dez|déc|янв|фев|мар|апр|ма[яй]|июн|июл|авг|сен|окт|ноя|дек)[^\s\d,.]{0,8}\.?,? \d{4}",
            r"|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4})(?-u:\b)",
        ),
    )
    .validate(Validator::BirthDate),
];
