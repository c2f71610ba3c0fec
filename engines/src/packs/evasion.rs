//! Evasion: text hidden from a reader or a filter. Three kinds of signal:
//!
//! - phrase rules ([`RULES`]): "decode this and do what it says";
//! - text-as-written rules ([`RAW`]): letters that only a disguise
//!   explains (look-alike letters mixed into Latin words, zero-width and
//!   bidi controls inside words); weak alone, they add to other evidence;
//! - unfoldings ([`unfolding`]): reported by the scanner when a phrase
//!   rule of another engine matched only after decoding or unfolding the
//!   text (base64, ROT13, reversal, look-alikes, invisibles, leetspeak,
//!   spaced letters), with the span of the disguised run.

use crate::rules::Rule;

const OBFUSCATION: &str = "obfuscation";

pub(crate) static RULES: &[Rule] = &[
    // ---- obfuscation: "decode this and do what it says" ------------------
    Rule::phrase(
        "evasion.decode_and_obey",
        OBFUSCATION,
        0.8,
        concat!(
            b!(),
            r"(?:decode|decrypt|decipher|unscramble|de-?obfuscate|base ?64|base ?32|rot ?-?13|hex(?:adecimal)?|binary|morse|caesar|cipher|reversed|backwards|encoded|encrypted|leetspeak|html entities|character codes|char codes|ascii codes|unicode escapes)",
            r"(?-u:\b)[^.!?\n]{0,60}?(?:(?-u:\b)and|(?-u:\b)then|,)\s(?:then\s)?",
            r"(?:(?:do|follow|execute|obey|carry out|act on|perform)\s(?:exactly\s|precisely\s)?(?:what(?:ever)?|it|them|the\s(?:instructions?|commands?|orders?|requests?|steps|result|output|decoded \w+|text))|comply|obey|follow\s?:|execute\s?:)",
        ),
    ),
    // "translate this and then comply with it"
    Rule::phrase(
        "evasion.translate_and_obey",
        OBFUSCATION,
        0.75,
        r"(?-u:\b)translate(?-u:\b)[^.!?\n]{0,60}?(?-u:\b)(?:and|then)\s(?:then\s)?(?:comply|obey|execute it|follow it|do what it says)",
    ),
];

const HOMOGLYPH: &str = "homoglyph";
const INVISIBLE: &str = "invisible_characters";

/// Cyrillic and Greek letters that pass for Latin ones.
macro_rules! lookalike {
    () => {
        "[аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХІЈЅοαικνρυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ]"
    };
}

/// Lowercase Cyrillic look-alikes (Greek lowercase letters sit next to
/// Latin ones in science: "TNFα", "5α-reductase").
macro_rules! cyrillic_lookalike {
    () => {
        "[аеорсухіјѕԁһӏԛԝ]"
    };
}

/// Letters of the scripts whose words a zero-width character can split
/// unseen (Latin, Greek, Cyrillic). Not Arabic, Persian or Indic scripts,
/// where zero-width (non-)joiners are ordinary spelling.
macro_rules! split_letter {
    () => {
        r"[a-zA-Z\u{C0}-\u{24F}\u{370}-\u{3FF}\u{400}-\u{4FF}]"
    };
}

/// Rules on the text as written (case kept, nothing removed). Weak on
/// purpose: a disguise alone never blocks, it adds to what it hides.
pub(crate) static RAW: &[Rule] = &[
    // "Ignоrе" with Cyrillic о and е: a Latin word with a look-alike inside,
    // or a look-alike at the edge of a lowercase Latin word.
    Rule::value(
        "evasion.mixed_script_word",
        HOMOGLYPH,
        0.45,
        concat!(
            r"[a-zA-Z]",
            lookalike!(),
            r"+[a-zA-Z]|(?:^|[^a-zA-Z\u{C0}-\u{24F}\u{370}-\u{3FF}\u{400}-\u{4FF}])",
            cyrillic_lookalike!(),
            r"[a-z]{2,}|[a-z]{2,}",
            cyrillic_lookalike!(),
            r"(?:[^a-zA-Z\u{C0}-\u{24F}\u{370}-\u{3FF}\u{400}-\u{4FF}]|$)",
        ),
    ),
    // "ig\u{200B}nore": zero-width characters or bidi controls inside a word.
    Rule::value(
        "evasion.invisible_in_word",
        INVISIBLE,
        0.45,
        concat!(
            split_letter!(),
            r"[\u{200B}-\u{200D}\u{2060}-\u{2064}\u{FEFF}\u{180E}\u{202A}-\u{202E}\u{2066}-\u{2069}]+",
            split_letter!(),
        ),
    ),
    // Right-to-left/left-to-right overrides reorder what a reader sees
    // ("Trojan Source"); ordinary right-to-left text needs only marks.
    Rule::value(
        "evasion.bidi_override",
        INVISIBLE,
        0.5,
        r"[\u{202D}\u{202E}]",
    ),
    // A run of Unicode tag characters: invisible ASCII (a flag emoji
    // sequence uses at most six).
    Rule::value(
        "evasion.tag_characters",
        INVISIBLE,
        0.5,
        r"[\u{E0020}-\u{E007E}]{7,}",
    ),
];

/// Unfoldings: not patterns but the ways the scanner had to read a text
/// before another engine's phrase rule matched. The scanner reports one
/// beside the hit, with the span of the disguised run and a confidence no
/// higher than the hit's own (a disguise is as suspicious as what it hid).
pub(crate) mod unfolding {
    use crate::rules::Rule;

    /// Found inside a decoded payload (base64, hex, percent, Morse, ...).
    pub(crate) static ENCODED: Rule =
        Rule::phrase("evasion.encoded_payload", "encoded_payload", 0.85, "");
    /// Found in the ROT13 reading of the text.
    pub(crate) static ROT13: Rule = Rule::phrase("evasion.rot13", "rot13", 0.85, "");
    /// Found in the text read backwards.
    pub(crate) static REVERSED: Rule = Rule::phrase("evasion.reversed", "reversed", 0.85, "");
    /// Found once look-alike letters (Cyrillic, Greek, fullwidth,
    /// mathematical) were read as the Latin letters they imitate.
    pub(crate) static HOMOGLYPH: Rule =
        Rule::phrase("evasion.homoglyph_words", "homoglyph", 0.85, "");
    /// Found once zero-width, bidi or tag characters were taken out of words.
    pub(crate) static INVISIBLE: Rule = Rule::phrase(
        "evasion.invisible_in_words",
        "invisible_characters",
        0.85,
        "",
    );
    /// Found once digits inside words were read as letters ("1gn0r3").
    pub(crate) static LEETSPEAK: Rule = Rule::phrase("evasion.leetspeak", "leetspeak", 0.75, "");
    /// Found once spaced-out letters were joined ("i g n o r e").
    pub(crate) static SPACED: Rule =
        Rule::phrase("evasion.spaced_letters", "spaced_letters", 0.75, "");

    /// Found once separators inside words were taken out ("for-get your
    /// guide-lines", "ign.ore").
    pub(crate) static SPLIT: Rule = Rule::phrase("evasion.split_words", "split_words", 0.75, "");

    pub(crate) static ALL: [&Rule; 8] = [
        &ENCODED, &ROT13, &REVERSED, &HOMOGLYPH, &INVISIBLE, &LEETSPEAK, &SPACED, &SPLIT,
    ];
}
