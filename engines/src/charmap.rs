//! Character tables used by the normaliser: invisible characters, Unicode
//! tag characters, look-alike letters, leetspeak digits and typographic
//! punctuation.

/// Characters that render as nothing and only serve to split words or
/// reorder text: zero-width and bidi controls, word joiners, the BOM, soft
/// hyphens, variation selectors and the tag-block delimiters.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{E0001}'
            | '\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Unicode tag characters (U+E0020..U+E007E) mirror printable ASCII and are
/// invisible: a known way to smuggle instructions past a human reviewer.
/// They are read as the ASCII they encode.
pub(crate) fn untag(c: char) -> char {
    match c {
        '\u{E0020}'..='\u{E007E}' => char::from_u32(c as u32 - 0xE0000).unwrap_or(c),
        _ => c,
    }
}

/// `char::is_alphanumeric` with the common alphabets answered from ranges:
/// the standard library's table lookup dominates the cost of folding
/// Cyrillic or accented text otherwise.
pub(crate) fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\u{0}'..='\u{7F}' | '\u{D7}' | '\u{F7}' | '\u{482}'..='\u{489}' => false,
        '\u{C0}'..='\u{24F}'
        | '\u{391}'..='\u{3A1}'
        | '\u{3A3}'..='\u{3A9}'
        | '\u{3B1}'..='\u{3C9}'
        | '\u{400}'..='\u{52F}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// Characters NFKC certainly leaves alone, answered without the
/// normalisation tables: ASCII, Latin-1 letters, basic Greek and Cyrillic.
pub(crate) fn nfkc_stable(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{9F}' | '\u{C0}'..='\u{FF}' | '\u{391}'..='\u{3A1}' | '\u{3A3}'..='\u{3A9}' | '\u{3B1}'..='\u{3C9}' | '\u{400}'..='\u{4FF}'
    )
}

/// Lowercase of the Latin-1, basic Greek and Cyrillic letters (those
/// `to_lowercase` maps to one character), answered from ranges: the
/// standard library's table lookup is most of the cost of folding Russian
/// text otherwise. `None` for every other character.
pub(crate) fn simple_lowercase(c: char) -> Option<char> {
    let shift = match c {
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{DE}' => 0x20,
        '\u{391}'..='\u{3A1}' | '\u{3A3}'..='\u{3A9}' => 0x20,
        '\u{410}'..='\u{42F}' => 0x20,
        '\u{400}'..='\u{40F}' => 0x50,
        '\u{DF}'..='\u{FF}' | '\u{3B1}'..='\u{3C9}' | '\u{430}'..='\u{45F}' => 0,
        _ => return None,
    };
    char::from_u32(c as u32 + shift)
}

/// Script of a letter, as far as look-alike folding cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Latin,
    /// Cyrillic or Greek: the scripts with Latin look-alikes.
    Confusable,
    Other,
}

pub(crate) fn script(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Script::Latin,
        '\u{0370}'..='\u{03FF}' | '\u{0400}'..='\u{052F}' => Script::Confusable,
        _ => Script::Other,
    }
}

/// Latin letter a Cyrillic or Greek letter is commonly passed off as. Only
/// applied inside words that mix scripts, so Russian or Greek prose stays as
/// it is.
pub(crate) fn latin_lookalike(c: char) -> Option<char> {
    let latin = match c {
        // Cyrillic
        'А' | 'а' => 'a',
        'В' | 'Ь' | 'ь' => 'b',
        'С' | 'с' => 'c',
        'Е' | 'е' | 'Ё' | 'ё' | 'Є' | 'є' => 'e',
        'Н' | 'н' | 'һ' | 'Һ' => 'h',
        'І' | 'і' | 'Ї' | 'ї' | 'Ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'К' | 'к' => 'k',
        'М' | 'м' => 'm',
        'П' | 'п' => 'n',
        'О' | 'о' => 'o',
        'Р' | 'р' => 'p',
        'Ԛ' | 'ԛ' => 'q',
        'Г' | 'г' => 'r',
        'Ѕ' | 'ѕ' => 's',
        'Т' | 'т' => 't',
        'Ц' | 'ц' | 'Џ' | 'џ' => 'u',
        'Ѵ' | 'ѵ' => 'v',
        'Ԝ' | 'ԝ' | 'Ш' | 'ш' => 'w',
        'Х' | 'х' => 'x',
        'У' | 'у' | 'Ү' | 'ү' => 'y',
        // Greek
        'Α' | 'α' => 'a',
        'Β' | 'β' => 'b',
        'Ε' | 'ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'Ι' | 'ι' => 'i',
        'Κ' | 'κ' => 'k',
        'Μ' => 'm',
        'Ν' | 'η' => 'n',
        'ν' => 'v',
        'Ο' | 'ο' | 'σ' => 'o',
        'Ρ' | 'ρ' => 'p',
        'Τ' | 'τ' => 't',
        'Υ' | 'υ' => 'u',
        'Χ' | 'χ' => 'x',
        'ω' => 'w',
        _ => return None,
    };
    Some(latin)
}

/// Letter a digit stands for in leetspeak ("1gn0r3" -> "ignore"). Only
/// applied inside words that mix letters and digits.
pub(crate) fn leet_letter(c: char) -> Option<char> {
    let letter = match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => return None,
    };
    Some(letter)
}

/// Typographic quotes and dashes folded to ASCII so patterns can spell
/// "don't" and "step-by-step" once.
pub(crate) fn ascii_punct(c: char) -> Option<char> {
    let ascii = match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => return None,
    };
    Some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_as_ascii() {
        assert_eq!(untag('\u{E0049}'), 'I');
        assert_eq!(untag('x'), 'x');
    }

    #[test]
    fn fast_tables_agree_with_std() {
        for c in ('\u{0}'..='\u{600}').chain('\u{FF00}'..='\u{FF5F}') {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
            if let Some(lower) = simple_lowercase(c) {
                assert_eq!(
                    c.to_lowercase().collect::<String>(),
                    lower.to_string(),
                    "{c:?}"
                );
                assert!(nfkc_stable(c) && !is_invisible(c), "{c:?}");
            }
            if nfkc_stable(c) {
                use unicode_normalization::UnicodeNormalization;
                assert_eq!(
                    std::iter::once(c).nfkc().collect::<String>(),
                    c.to_string(),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn scripts() {
        assert_eq!(script('a'), Script::Latin);
        assert_eq!(script('и'), Script::Confusable);
        assert_eq!(script('α'), Script::Confusable);
        assert_eq!(script('中'), Script::Other);
    }
}
