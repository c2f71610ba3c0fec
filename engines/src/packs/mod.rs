//! Rule packs: one file per engine, each a static list of [`Rule`] specs.
//!
//! Phrase rules run on the phrase fold (see `normalize`): lowercase, one
//! space or newline between words, ASCII quotes. The macros below are shared
//! building blocks so that, say, "previous" is spelled the same way in every
//! English rule. Word boundaries are ASCII (`(?-u:\b)`): a Unicode `\b`
//! would push the regex engine off its fast DFA on any non-ASCII text.
//! Cyrillic rules match stems instead (Russian prefixes make a leading
//! boundary unhelpful anyway), and Chinese rules have no boundaries at all
//! (no spaces between words; an ASCII `\b` never sits between two Chinese
//! characters). Fullwidth punctuation reaches the rules as ASCII (NFKC).
//!
//! Evasion also has rules on the text as written ([`raw_pack`]): look-alike
//! letters and invisible characters are exactly what folding erases.

use crate::rules::Rule;
use crate::Engine;

/// ASCII word boundary.
macro_rules! b {
    () => {
        r"(?-u:\b)"
    };
}

/// One word of the same sentence, with the space after it.
macro_rules! word {
    () => {
        r"[^\s.!?]+\s"
    };
}

/// English: what an attacker tells the model to drop. ("skip", "override"
/// and "bypass" are left to rules that also need "your": "override the
/// previous firewall rules" is ordinary admin talk.)
macro_rules! en_ignore {
    () => {
        r"(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?|discard|abandon|set aside|throw (?:out|away)|do not (?:follow|obey)|don't (?:follow|obey)|stop (?:following|obeying)|no longer (?:follow|obey))"
    };
}

/// English: "previous" and the authorities whose instructions are targeted.
macro_rules! en_prior {
    () => {
        r"(?:previous|prior|preceding|above|earlier|former|foregoing|original|initial|system|developer|operator|safety|ethical|moral|hidden|built-in|pre-?set)"
    };
}

/// English: the instructions themselves.
macro_rules! en_orders {
    () => {
        r"(?:instructions?|directions|directives?|prompts?|commands|orders|rules|guidelines|guardrails|constraints|restrictions|limitations|programming)"
    };
}

/// English: verbs that ask for something to be shown or handed over.
macro_rules! en_show {
    () => {
        r"(?:reveal|print|repeat|show|display|output|tell|give|share|disclose|leak|dump|list|write (?:out|down)|copy|recite|echo|spell out|paste|type out|read (?:out|back)|provide|return|expose|send|summari[sz]e|translate)(?:s|ing)?"
    };
}

/// English: adjectives that make instructions the model's own, hidden ones.
macro_rules! en_hidden {
    () => {
        r"(?:system|developer|hidden|secret|initial|internal|confidential|operating|underlying|starting|pre-?|meta|custom|private|base)"
    };
}

/// English: an AI system as the addressee of a text.
macro_rules! en_ai {
    () => {
        r"(?:ai|a\.i\.|llm|language model|chat ?bot|bot|assistant|agent|model|copilot|gpt|chatgpt|claude|gemini)s?"
    };
}

/// English: limits only a model has (filters, censorship, a content policy).
macro_rules! en_ai_limits {
    () => {
        r"(?:filters?|filtering|censorship|guardrails|safeguards|ethics|morals|morality|content polic(?:y|ies)|safety (?:rules|guidelines|filters|measures|protocols|training|policy|policies|restrictions)|ethical (?:rules|guidelines|constraints|principles|boundaries)|moral (?:rules|guidelines|constraints|principles|boundaries)|moderation|refusals?)"
    };
}

/// English: limits anything can have ("no restrictions on pets"): these
/// only count when the sentence ends there, see `end!`.
macro_rules! en_limits {
    () => {
        r"(?:restrictions?|limitations?|limits|rules|guidelines|boundaries|constraints|polic(?:y|ies))"
    };
}

/// The phrase ends here (or goes on with a filler such as "whatsoever"),
/// rather than going on to say what the limits are about: "you have no
/// restrictions." versus "you have no restrictions on how often ...".
macro_rules! end {
    () => {
        r"(?:\s?[.!,;:)]|\s(?:and|or|so|because|whatsoever|at all|any ?more|now|from now on|from this point|here|for (?:this|the rest|now)|in this|in your|of any kind|imposed)(?-u:\b)|(?m:\s?$))"
    };
}

/// What may follow a requested object ("your system prompt", "the API
/// keys") when the request is for the object itself, not for something
/// named after it ("the system prompt format", "the API keys page").
macro_rules! follow {
    () => {
        r#"(?:\s?[.!?,;:)'"]|\s(?:you|that|which|from|in|to|verbatim|word|exactly|above|and|or|so|for|now|then|please|again|back|here|as|into|including|without|before|first|starting|at|immediately|externally|of)(?-u:\b)|(?m:\s?$))"#
    };
}

/// The sentence ends on a limit: a model-only one anywhere, a generic one
/// only at the end of the phrase.
macro_rules! en_any_limits {
    () => {
        concat!(r"(?:", en_ai_limits!(), r"|", en_limits!(), end!(), r")")
    };
}

/// Adjectives allowed in front of a limit ("no content restrictions").
macro_rules! en_limit_adjective {
    () => {
        r"(?:(?:content|safety|ethical|moral|usual|normal|built-in|programmed|artificial|ai|openai|policy|filter|censorship|such|other|more|further)\s)?"
    };
}

/// Romance, German and Russian: "without" + restrictions, filters, censorship, rules.
macro_rules! xx_without_limits {
    () => {
        r"(?:sin|sans|senza|ohne|sem|без)\s(?:(?:ninguna|ningún|aucune|aucun|alcuna|alcun|jegliche|irgendwelche|nenhuma|nenhum|quaisquer|qualquer|каких-либо|всяких|любых|никаких)\s)?(?:restricci\w+|restri[cç][oõ]es|restrictions?|restrizion\w+|einschr(?:ä|ae)nkung\w*|ограничени\w*|filtr\w+|filtre\w*|filter\w*|фильтр\w*|censur\w+|zensur|цензур\w*|limitaci\w+|limita[cç][oõ]es|limitations?|limitazion\w+|правил\w*|regeln|r[eè]gles|reglas|regole|regras|moral\w*|[ée]tica|[ée]thique|ethik|etica|морал\w*|этик\w*)"
    };
}

mod code_injection;
pub(crate) mod evasion;
mod exfiltration;
mod injection;
mod jailbreak;
mod pii;
mod secrets;
mod tool_abuse;

/// The rule pack of an engine.
pub(crate) fn pack(engine: Engine) -> &'static [Rule] {
    match engine {
        Engine::Injection => injection::RULES,
        Engine::Jailbreak => jailbreak::RULES,
        Engine::Pii => pii::RULES,
        Engine::Secrets => secrets::RULES,
        Engine::Evasion => evasion::RULES,
        Engine::Exfiltration => exfiltration::RULES,
        Engine::ToolAbuse => tool_abuse::RULES,
        Engine::CodeInjection => code_injection::RULES,
    }
}

/// Rules an engine runs on the text as written, before any folding (only
/// evasion has them: folding erases exactly what they look for).
pub(crate) fn raw_pack(engine: Engine) -> &'static [Rule] {
    match engine {
        Engine::Evasion => evasion::RAW,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::normalize::Fold;
    use crate::rules::RuleSet;

    fn all_rules() -> impl Iterator<Item = (Engine, &'static Rule)> {
        Engine::ALL
            .into_iter()
            .flat_map(|e| pack(e).iter().chain(raw_pack(e)).map(move |r| (e, r)))
    }

    #[test]
    fn every_pack_compiles() {
        for engine in Engine::ALL {
            let rules: Vec<_> = pack(engine)
                .iter()
                .chain(raw_pack(engine))
                .map(|r| (engine, r))
                .collect();
            if let Err(e) = RuleSet::compile(&rules) {
                panic!("{engine} pack: {e}");
            }
        }
    }

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut seen = HashSet::new();
        for (engine, rule) in all_rules() {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(
                rule.id.starts_with(&format!("{}.", engine.name())),
                "{} lacks its engine prefix",
                rule.id
            );
            assert!(!rule.category.is_empty());
        }
    }

    /// Phrase rules see lowercase text: an upper-case letter in a pattern
    /// (outside an escape such as `\S`) could never match.
    #[test]
    fn phrase_patterns_are_lowercase() {
        for (_, rule) in all_rules().filter(|(_, r)| r.fold == Fold::Phrase) {
            let mut escaped = false;
            for c in rule.pattern.chars() {
                assert!(
                    escaped || !c.is_uppercase(),
                    "{} has an upper-case letter",
                    rule.id
                );
                escaped = !escaped && c == '\\';
            }
        }
    }

    /// Unicode `\b` makes the regex engine leave its DFA on non-ASCII text;
    /// every boundary must be the ASCII one.
    #[test]
    fn word_boundaries_are_ascii() {
        for (_, rule) in all_rules() {
            let unicode_b = rule
                .pattern
                .match_indices(r"\b")
                .filter(|&(at, _)| !rule.pattern[..at].ends_with("(?-u:"));
            assert_eq!(unicode_b.count(), 0, "{} uses a Unicode \\b", rule.id);
        }
    }
}
