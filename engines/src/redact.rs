//! Masking what was detected: each span becomes `[REDACTED:<category>]`,
//! so the reader of a redacted answer still knows what kind of value stood
//! there.

use crate::{Detection, Span};

/// A span to mask and the label that replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub span: Span,
    pub label: String,
}

/// The text that replaces a value of `category`.
fn label(category: &str) -> String {
    format!("[REDACTED:{category}]")
}

/// The masks of `detections`, sorted and merged: overlapping spans become
/// one mask named after the first of them, so a value is masked once.
pub fn masks(detections: &[Detection]) -> Vec<Mask> {
    let mut spans: Vec<(Span, &str)> = detections
        .iter()
        .filter(|d| d.span.start < d.span.end)
        .map(|d| (d.span, d.category.as_ref()))
        .collect();
    spans.sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
    let mut out: Vec<Mask> = Vec::with_capacity(spans.len());
    for (span, category) in spans {
        match out.last_mut() {
            Some(last) if span.start < last.span.end => {
                last.span.end = last.span.end.max(span.end);
            }
            _ => out.push(Mask {
                span,
                label: label(category),
            }),
        }
    }
    out
}

/// `text` with every detection masked. Spans are widened to character
/// boundaries and cut to the text, so any span list is safe to apply.
pub fn redact(text: &str, detections: &[Detection]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for mask in masks(detections) {
        let start = floor_boundary(text, mask.span.start).max(at);
        let end = ceil_boundary(text, mask.span.end);
        if start >= end {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&mask.label);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The nearest character boundary at or before `i` (cut to the text).
pub(crate) fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The nearest character boundary at or after `i` (cut to the text).
pub(crate) fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use std::borrow::Cow;

    fn found(category: &'static str, start: usize, end: usize) -> Detection {
        Detection {
            engine: Engine::Pii,
            category: Cow::Borrowed(category),
            rule: Cow::Borrowed("test.rule"),
            confidence: 0.9,
            span: Span { start, end },
        }
    }

    #[test]
    fn masks_each_span_with_its_category() {
        let text = "mail jane@example.com, key AKIAIOSFODNN7EXAMPLE.";
        let out = redact(
            text,
            &[found("email", 5, 21), found("aws_access_key", 27, 47)],
        );
        assert_eq!(out, "mail [REDACTED:email], key [REDACTED:aws_access_key].");
    }

    #[test]
    fn overlapping_spans_mask_once() {
        let out = redact("0123456789", &[found("b", 4, 8), found("a", 2, 6)]);
        assert_eq!(out, "01[REDACTED:a]89");
    }

    #[test]
    fn spans_off_boundaries_or_past_the_end_are_safe() {
        let text = "é1é2";
        assert_eq!(redact(text, &[found("x", 1, 4)]), "[REDACTED:x]2");
        assert_eq!(redact(text, &[found("x", 3, 99)]), "é1[REDACTED:x]");
        assert_eq!(redact(text, &[found("x", 9, 99)]), text);
        assert_eq!(redact(text, &[found("x", 2, 2)]), text);
    }
}
