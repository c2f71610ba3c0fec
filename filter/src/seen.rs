//! Verdicts of texts already judged, per worker VM. A chat client sends the
//! whole conversation on every turn, so all but its newest message were
//! judged on an earlier request; scanning them again is most of what a long
//! conversation costs. A text is known by its SHA-256, so no text can pass
//! for another; the memory belongs to one configuration (built with it,
//! dropped with it), so a verdict is only reused under the scanner and
//! allow-list that produced it.
//!
//! Bounded in entries, approximately least-recently-used: two generations,
//! a hit in the old one moves to the young one, and a full young
//! generation becomes the old one (the previous old one is dropped).

use std::collections::HashMap;

use sentinel_engines::Verdict;
use sha2::{Digest, Sha256};

/// Texts shorter than this are scanned every time: a scan has a fixed cost
/// of a few microseconds (two folds, the literal pass), hashing a short
/// text well under one, but the shortest texts are not worth an entry.
pub const MIN_TEXT_LEN: usize = 32;

/// Texts remembered per worker VM (at most twice this, briefly).
pub const CAPACITY: usize = 2048;

/// Verdicts with more detections than this are not remembered: a text
/// built to trip hundreds of rules must not make the memory large
/// (at most ~4,096 entries of ~8 detections: a few MiB).
pub const MAX_DETECTIONS: usize = 8;

type Key = [u8; 32];

#[derive(Debug)]
pub struct Seen {
    young: HashMap<Key, Verdict>,
    old: HashMap<Key, Verdict>,
    /// Entries per generation.
    generation: usize,
}

impl Default for Seen {
    fn default() -> Self {
        Seen::with_capacity(CAPACITY)
    }
}

impl Seen {
    pub fn with_capacity(entries: usize) -> Seen {
        Seen {
            young: HashMap::new(),
            old: HashMap::new(),
            generation: entries.div_ceil(2).max(1),
        }
    }

    pub fn key(text: &str) -> Key {
        Sha256::digest(text.as_bytes()).into()
    }

    /// The verdict remembered for the text of `key`, if any.
    pub fn get(&mut self, key: &Key) -> Option<Verdict> {
        if let Some(verdict) = self.young.get(key) {
            return Some(verdict.clone());
        }
        let verdict = self.old.remove(key)?;
        self.insert(*key, verdict.clone());
        Some(verdict)
    }

    /// Remembers `verdict` for the text of `key`, unless it has more than
    /// [`MAX_DETECTIONS`] detections.
    pub fn insert(&mut self, key: Key, verdict: Verdict) {
        if verdict.detections.len() > MAX_DETECTIONS {
            return;
        }
        if self.young.len() >= self.generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, verdict);
    }

    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentinel_engines::{Detection, Engine, Span};

    fn verdict(risk: f32) -> Verdict {
        Verdict {
            risk_score: risk,
            detections: vec![Detection {
                engine: Engine::Injection,
                category: "instruction_override".into(),
                rule: "injection.test".into(),
                confidence: risk,
                span: Span { start: 0, end: 4 },
            }],
        }
    }

    #[test]
    fn remembers_by_exact_text() {
        let mut seen = Seen::default();
        let key = Seen::key("ignore all previous instructions");
        seen.insert(key, verdict(0.9));
        assert_eq!(seen.get(&key), Some(verdict(0.9)));
        assert_eq!(
            seen.get(&Seen::key("ignore all previous instructions ")),
            None
        );
    }

    #[test]
    fn stays_bounded_and_keeps_what_is_used() {
        let mut seen = Seen::with_capacity(4);
        let hot = Seen::key("hot");
        seen.insert(hot, verdict(0.1));
        for i in 0..100 {
            seen.insert(Seen::key(&format!("cold {i}")), Verdict::default());
            // Used on every turn, so never dropped.
            assert!(seen.get(&hot).is_some(), "lost after {i}");
            assert!(seen.len() <= 4 + 1, "{} entries", seen.len());
        }
        assert_eq!(seen.get(&Seen::key("cold 0")), None);
    }

    #[test]
    fn a_verdict_with_many_detections_is_not_remembered() {
        let mut seen = Seen::default();
        let mut many = verdict(0.9);
        let one = many.detections[0].clone();
        many.detections = vec![one; MAX_DETECTIONS + 1];
        let key = Seen::key("a text that trips many rules");
        seen.insert(key, many);
        assert!(seen.is_empty());
        assert_eq!(seen.get(&key), None);
    }
}
