//! Rule specs (data, in `packs/`) and the generic compiler that turns them
//! into one [`RuleSet`] per text fold.
//!
//! A scan runs the fold's `RegexSet` once over the text; only the rules it
//! reports are then run on their own to find spans, so a benign text costs
//! one pass per fold. There is no per-rule code: a rule is a pattern, an
//! optional validator and an optional context condition; phrase hits right
//! after a negation ("never reveal your system prompt") are dropped.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::normalize::Fold;
use crate::validators::Validator;
use crate::{Engine, Error, ErrorKind};

/// Upper bound on matches taken per rule and text. Each search is linear,
/// and the patterns are written so a search stops soon after its match, but
/// this keeps the total bounded even if one does not: at most this many
/// searches per rule, whatever the input. High enough that redaction of a
/// realistic message (a table of e-mail addresses) is complete.
const MAX_MATCHES_PER_RULE: usize = 256;

/// How far before a match the context words are looked for, in bytes.
const CONTEXT_WINDOW: usize = 48;

/// Words that negate the phrase right after them: "never reveal your system
/// prompt" is a rule, not an attack (operators write exactly that).
const NEGATIONS: &[&str] = &[
    "not",
    "never",
    "cannot",
    "no",
    "не",
    "никогда",
    "нельзя",
    "nicht",
    "nie",
    "niemals",
    "kein",
    "pas",
    "jamais",
    "nunca",
    "non",
    "mai",
];

/// Name of the capture group that holds the sensitive value, when a pattern
/// matches more than the value itself (a label such as `ssn:` in front).
const VALUE_GROUP: &str = "v";

/// Words that must (or must not) appear shortly before a match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Context {
    Any,
    Near(&'static [&'static str]),
    NotNear(&'static [&'static str]),
}

/// One detection rule, as written in a pack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rule {
    /// Unique across packs, `<engine>.<name>`.
    pub(crate) id: &'static str,
    pub(crate) category: &'static str,
    pub(crate) confidence: f32,
    pub(crate) pattern: &'static str,
    /// Which normalised text the pattern runs on.
    pub(crate) fold: Fold,
    pub(crate) validator: Validator,
    pub(crate) context: Context,
}

impl Rule {
    /// A wording rule: runs on the phrase fold (lowercase, folded spacing),
    /// so its pattern is written in lowercase.
    pub(crate) const fn phrase(
        id: &'static str,
        category: &'static str,
        confidence: f32,
        pattern: &'static str,
    ) -> Rule {
        Rule {
            id,
            category,
            confidence,
            pattern,
            fold: Fold::Phrase,
            validator: Validator::None,
            context: Context::Any,
        }
    }

    /// A value rule: runs on the canonical fold, where case is kept.
    pub(crate) const fn value(
        id: &'static str,
        category: &'static str,
        confidence: f32,
        pattern: &'static str,
    ) -> Rule {
        Rule {
            fold: Fold::Canonical,
            ..Rule::phrase(id, category, confidence, pattern)
        }
    }

    pub(crate) const fn validate(self, validator: Validator) -> Rule {
        Rule { validator, ..self }
    }

    pub(crate) const fn near(self, words: &'static [&'static str]) -> Rule {
        Rule {
            context: Context::Near(words),
            ..self
        }
    }

    pub(crate) const fn not_near(self, words: &'static [&'static str]) -> Rule {
        Rule {
            context: Context::NotNear(words),
            ..self
        }
    }
}

/// A rule that matched: byte range in the scanned text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) engine: Engine,
    pub(crate) rule: &'static Rule,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

#[derive(Debug)]
struct Compiled {
    engine: Engine,
    rule: &'static Rule,
    regex: Regex,
    has_value_group: bool,
}

/// All rules of one fold, compiled.
#[derive(Debug)]
pub(crate) struct RuleSet {
    set: RegexSet,
    rules: Vec<Compiled>,
}

fn bad_rule(rule: &str, reason: impl ToString) -> Error {
    Error::new(ErrorKind::BadRule {
        rule: rule.to_string(),
        reason: reason.to_string(),
    })
}

// Generous limits: the packs are fixed and tested, and compiling happens
// once per VM. The defaults are too tight for a set of ~100 Unicode rules.
const SIZE_LIMIT: usize = 64 << 20;
const DFA_SIZE_LIMIT: usize = 16 << 20;

impl RuleSet {
    /// Compiles `rules`; a pattern that does not compile is a `BadRule`.
    pub(crate) fn compile(rules: &[(Engine, &'static Rule)]) -> Result<RuleSet, Error> {
        let mut compiled = Vec::with_capacity(rules.len());
        for &(engine, rule) in rules {
            if !(0.0..=1.0).contains(&rule.confidence) {
                return Err(bad_rule(rule.id, "confidence outside 0..=1"));
            }
            let regex = RegexBuilder::new(rule.pattern)
                .size_limit(SIZE_LIMIT)
                .build()
                .map_err(|e| bad_rule(rule.id, e))?;
            let has_value_group = regex.capture_names().any(|n| n == Some(VALUE_GROUP));
            compiled.push(Compiled {
                engine,
                rule,
                regex,
                has_value_group,
            });
        }
        let set = RegexSetBuilder::new(rules.iter().map(|(_, r)| r.pattern))
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
            .map_err(|e| bad_rule("(rule set)", e))?;
        Ok(RuleSet {
            set,
            rules: compiled,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub(crate) fn rules(&self) -> impl Iterator<Item = (Engine, &'static Rule)> + '_ {
        self.rules.iter().map(|c| (c.engine, c.rule))
    }

    /// Runs every rule over `text`, reporting hits that pass their validator
    /// and context condition.
    pub(crate) fn scan(&self, text: &str, mut report: impl FnMut(Hit)) {
        // `is_match` stops at the first hit and is several times cheaper than
        // collecting every matching rule; most texts match nothing.
        if self.rules.is_empty() || !self.set.is_match(text) {
            return;
        }
        for idx in self.set.matches(text).iter() {
            let Some(c) = self.rules.get(idx) else {
                continue;
            };
            let mut emit = |start: usize, end: usize| {
                let value = text.get(start..end).unwrap_or_default();
                let negated = c.rule.fold == Fold::Phrase && negated(text, start);
                if !negated
                    && c.rule.validator.accepts(value)
                    && context_holds(c.rule.context, text, start)
                {
                    report(Hit {
                        engine: c.engine,
                        rule: c.rule,
                        start,
                        end,
                    });
                }
            };
            if c.has_value_group {
                for caps in c.regex.captures_iter(text).take(MAX_MATCHES_PER_RULE) {
                    if let Some(m) = caps.name(VALUE_GROUP).or_else(|| caps.get(0)) {
                        emit(m.start(), m.end());
                    }
                }
            } else {
                for m in c.regex.find_iter(text).take(MAX_MATCHES_PER_RULE) {
                    emit(m.start(), m.end());
                }
            }
        }
    }
}

/// Whether the word right before `start` negates what follows ("do not",
/// "never", "don't"). A word followed by punctuation ends its clause ("if
/// not, ignore ...") and "why not" is a suggestion, so neither counts.
fn negated(text: &str, start: usize) -> bool {
    let window = window_before(text, start);
    let mut words = window.split_whitespace().rev();
    let Some(last) = words.next() else {
        return false;
    };
    if words.next() == Some("why") {
        return false;
    }
    NEGATIONS.contains(&last) || last.ends_with("n't")
}

/// The few bytes before `start`, from a character boundary.
fn window_before(text: &str, start: usize) -> &str {
    let mut from = start.saturating_sub(CONTEXT_WINDOW);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    text.get(from..start).unwrap_or_default()
}

/// Whether the context words a rule asks for are (not) in the few bytes
/// before the match.
fn context_holds(context: Context, text: &str, start: usize) -> bool {
    let words = match context {
        Context::Any => return true,
        Context::Near(words) | Context::NotNear(words) => words,
    };
    let window = window_before(text, start).to_lowercase();
    let found = words.iter().any(|w| window.contains(w));
    matches!(context, Context::Near(_)) == found
}

#[cfg(test)]
mod tests {
    use super::*;

    static GOOD: Rule = Rule::value("test.digits", "test", 0.5, r"(?-u:\b)id:\s*(?P<v>\d{4})");
    static BAD: Rule = Rule::phrase("test.bad", "test", 0.5, r"(unclosed");
    static NEAR: Rule = Rule::value("test.near", "test", 0.5, r"\d{3}").near(&["code"]);

    #[test]
    fn value_group_gives_the_span() {
        let set = RuleSet::compile(&[(Engine::Pii, &GOOD)]).unwrap();
        let mut hits = vec![];
        set.scan("see id: 1234.", |h| hits.push((h.start, h.end)));
        assert_eq!(hits, vec![(8, 12)]);
    }

    #[test]
    fn bad_pattern_is_a_bad_rule() {
        let err = RuleSet::compile(&[(Engine::Injection, &BAD)]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::BadRule { rule, .. } if rule == "test.bad"));
    }

    #[test]
    fn negation_right_before() {
        let text =
            "never reveal it. why not reveal it. if not, reveal it. don't reveal it. reveal it";
        let starts: Vec<_> = text.match_indices("reveal").map(|(i, _)| i).collect();
        let negated: Vec<_> = starts.iter().map(|&i| negated(text, i)).collect();
        assert_eq!(negated, vec![true, false, false, true, false]);
    }

    #[test]
    fn context_words() {
        let set = RuleSet::compile(&[(Engine::Pii, &NEAR)]).unwrap();
        let mut n = 0;
        set.scan("the code is 123", |_| n += 1);
        set.scan("the room is 123", |_| n += 10);
        assert_eq!(n, 1);
    }
}
