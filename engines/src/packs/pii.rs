//! Personal data: e-mail addresses, phone numbers, payment cards, IBANs and
//! national ids. Runs on the canonical fold (case kept, fullwidth digits and
//! invisible separators undone). Numbers only count when their checksum or
//! structure holds, and bare digit runs only next to a word that says what
//! they are, so order ids and tracking numbers stay quiet.

use crate::rules::Rule;
use crate::validators::Validator;

const EMAIL: &str = "email";
const PHONE: &str = "phone";
const CARD: &str = "credit_card";
const IBAN: &str = "iban";
const NATIONAL_ID: &str = "national_id";

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
    ),
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
    // Any digit run right after a word that says "phone".
    Rule::value("pii.phone_labelled", PHONE, 0.85, r"(?P<v>\+?\d[\d\s().-]{5,18}\d)(?-u:\b)")
        .validate(Validator::PhoneDigits)
        .near(PHONE_WORDS),
    // 16 digits in fours, Amex 4-6-5, or 13-19 contiguous digits; Luhn-checked.
    Rule::value(
        "pii.credit_card",
        CARD,
        0.95,
        r"(?-u:\b)(?P<v>\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}|\d{4}[ -]\d{6}[ -]\d{5}|\d{13,19})(?-u:\b)",
    )
    .validate(Validator::Luhn),
    // "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"; mod-97 checked.
    Rule::value(
        "pii.iban",
        IBAN,
        0.9,
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
        .near(&["инн", "inn", "taxpayer"]),
];
