//! Required literals of a pattern: a small set of byte strings at least one
//! of which occurs in every match. A rule whose literals are all absent from
//! a text cannot match it, so the scan runs only the rules whose literals
//! an Aho-Corasick pass found (see `RuleSet`). The extraction only has to be
//! sound (never miss a literal a match needs), not complete: a pattern with
//! no usable literals is simply run on every text.

use std::cmp::Reverse;

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Repetition,
};

/// Shorter literals occur in too many ordinary texts to filter much; a
/// group of two-byte ones is used only when a pattern has nothing better.
const MIN_LITERAL_LEN: usize = 3;
const MIN_GROUP_LITERAL_LEN: usize = 2;
/// Groups kept per rule (a rule is a candidate when each group is found).
pub(super) const MAX_GROUPS: usize = 8;
/// Larger sets are shortened until they merge into fewer, or refused.
const MAX_LITERALS: usize = 64;
/// Beyond this length a longer literal hardly filters better.
const USEFUL_LEN: usize = 6;

pub(super) type Literals = Vec<Vec<u8>>;

/// Words so common in ordinary text that a literal made of one filters
/// nothing: scored as if one byte long.
const COMMON_WORDS: &[&str] = &[
    "a", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "each", "every",
    "for", "from", "has", "have", "in", "is", "it", "its", "must", "no", "not", "of", "on", "or",
    "should", "that", "the", "this", "to", "was", "what", "will", "with", "you", "your", "all",
    "der", "die", "das", "und", "du", "sie", "le", "la", "les", "de", "et", "tu", "vous", "el",
    "los", "las", "y", "que", "и", "в", "не", "на", "что", "все", "всё", "ты", "вы", "это",
];

/// Length of a literal for scoring: common words count as one byte.
fn effective_len(literal: &[u8]) -> usize {
    // The longest common word, with a space either side, is shorter.
    if literal.len() > 10 {
        return literal.len();
    }
    let word = literal.trim_ascii();
    if COMMON_WORDS.iter().any(|w| w.as_bytes() == word) {
        1
    } else {
        literal.len()
    }
}

fn effective_min_len(set: &[Vec<u8>]) -> usize {
    set.iter().map(|l| effective_len(l)).min().unwrap_or(0)
}

/// The pattern as it can match a phrase fold, for literal extraction: the
/// fold turns every whitespace run into one space or newline, so no other
/// whitespace character can occur and classes lose them (`\s` becomes
/// `[\n ]`, small enough for the extractor to spell out "system :").
pub(super) fn for_phrase_fold(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            let mut other = ClassUnicode::new(
                [
                    ('\t', '\t'),
                    ('\u{B}', '\r'),
                    ('\u{85}', '\u{85}'),
                    ('\u{A0}', '\u{A0}'),
                    ('\u{1680}', '\u{1680}'),
                    ('\u{2000}', '\u{200A}'),
                    ('\u{2028}', '\u{2029}'),
                    ('\u{202F}', '\u{202F}'),
                    ('\u{205F}', '\u{205F}'),
                    ('\u{3000}', '\u{3000}'),
                ]
                .map(|(a, b)| ClassUnicodeRange::new(a, b)),
            );
            other.negate();
            let mut class = class.clone();
            class.intersect(&other);
            Hir::class(Class::Unicode(class))
        }
        HirKind::Class(Class::Bytes(class)) => {
            let mut other = ClassBytes::new([
                ClassBytesRange::new(b'\t', b'\t'),
                ClassBytesRange::new(0x0B, b'\r'),
            ]);
            other.negate();
            let mut class = class.clone();
            class.intersect(&other);
            Hir::class(Class::Bytes(class))
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            sub: Box::new(for_phrase_fold(&capture.sub)),
            ..capture.clone()
        }),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(for_phrase_fold(&rep.sub)),
            ..rep.clone()
        }),
        HirKind::Concat(children) => Hir::concat(children.iter().map(for_phrase_fold).collect()),
        HirKind::Alternation(alternatives) => {
            Hir::alternation(alternatives.iter().map(for_phrase_fold).collect())
        }
        _ => hir.clone(),
    }
}

/// The pattern with case-insensitive letters (`(?i:key)`: `[Kk][Ee][Yy]`
/// and so on) as their lowercase letter, for a literal automaton that
/// ignores ASCII case: one literal instead of one per spelling. The long
/// s and the Kelvin sign that Unicode case folding adds never reach the
/// rules (NFKC makes them `s` and `K`).
pub(super) fn caseless(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            let chars = class
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .filter(|&c| !matches!(c, '\u{17F}' | '\u{212A}'))
                .take(3)
                .collect::<Vec<char>>();
            match chars[..] {
                [a, b] if a.is_ascii_alphabetic() && a.to_ascii_lowercase() == b => {
                    Hir::literal(b.to_string().into_bytes())
                }
                _ => hir.clone(),
            }
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            sub: Box::new(caseless(&capture.sub)),
            ..capture.clone()
        }),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(caseless(&rep.sub)),
            ..rep.clone()
        }),
        HirKind::Concat(children) => Hir::concat(children.iter().map(caseless).collect()),
        HirKind::Alternation(alternatives) => {
            Hir::alternation(alternatives.iter().map(caseless).collect())
        }
        _ => hir.clone(),
    }
}

/// Groups of literals such that every match of `hir` contains a literal of
/// each group: the best set for the whole pattern plus one per required
/// part of it ("ignore" ... "previous" ... "instructions"), best first.
/// Empty if the pattern has no usable literals: then it must always run.
pub(super) fn required_groups(hir: &Hir) -> Vec<Literals> {
    let mut groups = Vec::new();
    let whole = walk(hir, true, &mut groups);
    groups.extend(whole);
    groups.retain(|g| min_len(g) >= MIN_GROUP_LITERAL_LEN);
    groups.sort_by_cached_key(|g| Reverse(score(g)));
    groups.dedup();
    groups.truncate(MAX_GROUPS);
    // Groups of common words cost Aho-Corasick matches and filter little:
    // kept only when there is nothing better.
    if groups
        .first()
        .is_some_and(|g| effective_min_len(g) >= MIN_LITERAL_LEN)
    {
        groups.retain(|g| effective_min_len(g) >= MIN_LITERAL_LEN);
    }
    // Even two-byte literals filter better than running the rule on every
    // text (and every view of it).
    groups
}

/// Literals one of which every match of `hir` contains, or `None` if the
/// pattern has no usable ones.
#[cfg(test)]
fn required(hir: &Hir) -> Option<Literals> {
    walk(hir, false, &mut Vec::new()).filter(|set| min_len(set) >= MIN_LITERAL_LEN)
}

fn min_len(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

/// Better sets have longer shortest literals (up to a point), then fewer.
fn score(set: &[Vec<u8>]) -> (usize, Reverse<usize>) {
    (effective_min_len(set).min(USEFUL_LEN), Reverse(set.len()))
}

/// Each literal cut to at most `len` bytes (at a character boundary when
/// it is text): a piece of a required literal is required too.
fn shorten(set: Literals, len: usize) -> Literals {
    let mut out: Literals = set
        .into_iter()
        .map(|mut l| {
            let mut end = l.len().min(len);
            if let Ok(text) = std::str::from_utf8(&l) {
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
            }
            l.truncate(end);
            l
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn consider(best: &mut Option<Literals>, candidate: Option<Literals>) {
    let Some(mut candidate) = candidate else {
        return;
    };
    // Too many literals (a product of alternations): shorter ones merge.
    for len in [USEFUL_LEN, 4, MIN_LITERAL_LEN] {
        if candidate.len() <= MAX_LITERALS {
            break;
        }
        candidate = shorten(candidate, len);
    }
    if candidate.is_empty() || candidate.len() > MAX_LITERALS || candidate.iter().any(Vec::is_empty)
    {
        return;
    }
    if best.as_ref().is_none_or(|b| score(&candidate) > score(b)) {
        *best = Some(candidate);
    }
}

/// The extractor's prefix (or suffix) literals: every match starts (ends)
/// with one of them, so each match contains one.
fn extracted(hir: &Hir, kind: ExtractKind) -> Option<Literals> {
    let mut extractor = Extractor::new();
    extractor.kind(kind);
    let seq = extractor.extract(hir);
    let literals = seq.literals()?;
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The best literal set of `hir`. With `spine` (every match of the whole
/// pattern goes through `hir`), the best sets of its required parts are
/// added to `groups` too. One pass: the extractor runs only on whole
/// concatenations, where it joins adjacent pieces ("ign" + "ore").
fn walk(hir: &Hir, spine: bool, groups: &mut Vec<Literals>) -> Option<Literals> {
    let mut best = None;
    match hir.kind() {
        HirKind::Literal(literal) => consider(&mut best, Some(vec![literal.0.to_vec()])),
        HirKind::Class(_) => consider(&mut best, extracted(hir, ExtractKind::Prefix)),
        HirKind::Capture(capture) => consider(&mut best, walk(&capture.sub, spine, groups)),
        HirKind::Repetition(rep) if rep.min >= 1 => {
            consider(&mut best, walk(&rep.sub, spine, groups));
        }
        HirKind::Concat(children) => {
            consider(&mut best, extracted(hir, ExtractKind::Prefix));
            consider(&mut best, extracted(hir, ExtractKind::Suffix));
            // What every match of a tail starts with is in every match too:
            // this finds literals that span several children ("' or")
            // when neither end of the whole has good ones.
            for from in 1..children.len() {
                let tail = Hir::concat(children.get(from..).unwrap_or_default().to_vec());
                consider(&mut best, extracted(&tail, ExtractKind::Prefix));
            }
            for child in children {
                let part = walk(child, spine, groups);
                if spine {
                    groups.extend(part.clone());
                }
                consider(&mut best, part);
            }
        }
        HirKind::Alternation(alternatives) => {
            // A match is a match of one alternative: the union is required.
            let union = alternatives
                .iter()
                .map(|alternative| walk(alternative, false, groups))
                .collect::<Option<Vec<_>>>()
                .map(|sets| {
                    let mut union: Literals = sets.into_iter().flatten().collect();
                    union.sort_unstable();
                    union.dedup();
                    union
                });
            consider(&mut best, union);
        }
        _ => {}
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(pattern).unwrap();
        required(&hir).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn inner_literals_are_found() {
        // The longer inner literals beat the leading "new".
        assert_eq!(
            literals(r"(?:^|[\n.])\s?new\s(?:rules|task)\s?:"),
            Some(vec!["rules".to_string(), "task".to_string()])
        );
        let set = literals(r"(?-u:\b)(?:ignore|disregard)\sall").unwrap();
        assert!(set
            .iter()
            .all(|l| l.contains("ignore") || l.contains("disregard")));
        assert_eq!(literals(r"\d{3}"), None);
        assert_eq!(literals(r"a|\w+"), None);
        assert_eq!(literals(r"[a-z]+@[a-z]+"), None);
    }
}
