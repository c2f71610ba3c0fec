//! Alternative readings of a phrase-folded text that simple obfuscations
//! produce: ROT13 and reversed text. Each view keeps a way back to the
//! phrase text's byte offsets.

/// ROT13 of the ASCII letters; every byte keeps its offset.
pub(crate) fn rot13(text: &str) -> String {
    let bytes: Vec<u8> = text
        .bytes()
        .map(|b| match b {
            b'a'..=b'm' | b'A'..=b'M' => b + 13,
            b'n'..=b'z' | b'N'..=b'Z' => b - 13,
            _ => b,
        })
        .collect();
    // Only ASCII bytes changed, into ASCII: still UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The text with its characters in reverse order.
pub(crate) fn reversed(text: &str) -> String {
    if text.is_ascii() {
        let mut bytes = text.as_bytes().to_vec();
        bytes.reverse();
        // ASCII in another order: still UTF-8.
        return String::from_utf8(bytes).unwrap_or_default();
    }
    text.chars().rev().collect()
}

/// Range in the forward text of the range `[start, end)` of its reversal
/// (`len` is the byte length of both).
pub(crate) fn unreverse(len: usize, start: usize, end: usize) -> (usize, usize) {
    (len.saturating_sub(end), len.saturating_sub(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rot13_round_trips() {
        assert_eq!(rot13("vtaber nyy cerivbhf"), "ignore all previous");
        assert_eq!(rot13(&rot13("Mixed ТЕКСТ 42")), "Mixed ТЕКСТ 42");
    }

    #[test]
    fn byte_views_agree_with_char_views() {
        for text in ["", "abc", "Mixed ТЕКСТ 42 🙂 e\u{301}", "vtaber\nNYY"] {
            let by_char: String = text
                .chars()
                .map(|c| match c {
                    'a'..='m' | 'A'..='M' => char::from(c as u8 + 13),
                    'n'..='z' | 'N'..='Z' => char::from(c as u8 - 13),
                    _ => c,
                })
                .collect();
            assert_eq!(rot13(text), by_char);
            assert_eq!(reversed(text), text.chars().rev().collect::<String>());
        }
    }

    #[test]
    fn reversal_maps_back() {
        let text = "abc дом xyz";
        let rev = reversed(text);
        let at = rev.find("мод").unwrap();
        let (s, e) = unreverse(rev.len(), at, at + "мод".len());
        assert_eq!(&text[s..e], "дом");
    }
}
