use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::{Error, ErrorKind};

/// A detection engine: one family of rules with its own rule pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Injection,
    Jailbreak,
    Pii,
    Secrets,
    Evasion,
    Exfiltration,
    ToolAbuse,
    CodeInjection,
}

impl Engine {
    pub const ALL: [Engine; 8] = [
        Engine::Injection,
        Engine::Jailbreak,
        Engine::Pii,
        Engine::Secrets,
        Engine::Evasion,
        Engine::Exfiltration,
        Engine::ToolAbuse,
        Engine::CodeInjection,
    ];

    /// How much a sure detection of this engine weighs in the risk score.
    ///
    /// - Injection and jailbreak attack the model itself: full weight.
    /// - Exfiltration (send the conversation, a secret, a record out) is
    ///   what most injections are for, and its rules name both the data and
    ///   the way out: full weight.
    /// - Evasion: full weight, because "decode this and obey it" is as
    ///   direct as an override; its text-as-written signals (look-alike
    ///   letters, zero-width characters) carry confidences well below the
    ///   block threshold, so a disguise alone never blocks, it only adds to
    ///   what it accompanies.
    /// - Tool abuse and code injection: payloads (`rm -rf`, `' OR 1=1`)
    ///   are quoted innocently in developer questions and security lessons;
    ///   the rules demand attack context, and the weight leaves room for
    ///   doubt: only the surer rules block alone.
    /// - A leaked secret is serious but often a mistake rather than an
    ///   attack.
    /// - PII alone is routine in real traffic, so it never crosses the
    ///   default block threshold on its own (a policy can lower it).
    pub fn weight(self) -> f32 {
        match self {
            Engine::Injection | Engine::Jailbreak | Engine::Exfiltration | Engine::Evasion => 1.0,
            Engine::ToolAbuse | Engine::CodeInjection => 0.9,
            Engine::Secrets => 0.9,
            Engine::Pii => 0.5,
        }
    }

    /// Position in [`Engine::ALL`] (declaration order), for per-engine arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Injection => "injection",
            Engine::Jailbreak => "jailbreak",
            Engine::Pii => "pii",
            Engine::Secrets => "secrets",
            Engine::Evasion => "evasion",
            Engine::Exfiltration => "exfiltration",
            Engine::ToolAbuse => "tool_abuse",
            Engine::CodeInjection => "code_injection",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| Error::new(ErrorKind::UnknownEngine(s.to_string())))
    }
}

/// Byte range `[start, end)` in the original, un-normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub engine: Engine,
    /// Threat class, stable for clients (it becomes the error `code`).
    /// Borrowed for the built-in packs (no allocation per detection); owned
    /// for a policy's custom rules.
    pub category: Cow<'static, str>,
    /// Rule id, unique across all packs and custom rules.
    pub rule: Cow<'static, str>,
    /// How sure the rule is, 0..=1.
    pub confidence: f32,
    pub span: Span,
}

impl Detection {
    /// This detection's share of the risk: confidence times engine weight.
    pub fn weighted(&self) -> f32 {
        self.confidence * self.engine.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_engines_in_declaration_order() {
        for (i, engine) in Engine::ALL.into_iter().enumerate() {
            assert_eq!(engine.index(), i, "{engine}");
        }
    }
}
