use serde::Serialize;
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
}

impl Engine {
    pub const ALL: [Engine; 4] = [
        Engine::Injection,
        Engine::Jailbreak,
        Engine::Pii,
        Engine::Secrets,
    ];

    /// How much a sure detection of this engine weighs in the risk score.
    /// Injection and jailbreak attack the model itself; a leaked secret is
    /// serious but often a mistake rather than an attack; PII alone is
    /// routine in real traffic, so it never crosses the default block
    /// threshold on its own (a policy can lower the threshold).
    pub fn weight(self) -> f32 {
        match self {
            Engine::Injection | Engine::Jailbreak => 1.0,
            Engine::Secrets => 0.9,
            Engine::Pii => 0.5,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Injection => "injection",
            Engine::Jailbreak => "jailbreak",
            Engine::Pii => "pii",
            Engine::Secrets => "secrets",
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
    pub category: &'static str,
    /// Rule id, unique across all packs.
    pub rule: &'static str,
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
