//! System-prompt leakage in a model's answer: canary strings planted in a
//! system prompt, and a substantial part of a system prompt echoed, found
//! by its fingerprint.
//!
//! A fingerprint is the set of the prompt's shingles: hashes of every run
//! of [`SHINGLE_WORDS`] consecutive words (letters and digits, lowercased;
//! everything else separates words). The policy carries the hashes, never
//! the prompt. An answer echoes a prompt when it holds at least
//! `min_share` of the prompt's distinct shingles, and at least
//! [`MIN_SHINGLES`] of them (a short prompt's few shingles are easy to
//! meet by chance).
//!
//! Both report as the exfiltration engine: a leaked prompt is data leaving.

use std::borrow::Cow;
use std::collections::HashSet;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::policy::PolicyError;
use crate::{Detection, Engine, Span};

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 5;
/// Distinct shingles an echo needs at the least.
pub const MIN_SHINGLES: usize = 4;
pub const MAX_CANARIES: usize = 64;
pub const CANARY_LEN: (usize, usize) = (8, 256);
pub const MAX_PROMPTS: usize = 16;
pub const MAX_PROMPT_SHINGLES: usize = 50_000;

const CANARY: &str = "canary";
const PROMPT: &str = "system_prompt_leak";

/// The shingles of `text`, in order (a hash may repeat).
pub fn fingerprint(text: &str) -> Vec<u64> {
    let mut echo = Words::default();
    let mut out = Vec::new();
    echo.push(0, text, true, &mut |hash, _| out.push(hash));
    out
}

/// A system prompt's fingerprint, as the policy names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub id: String,
    pub shingles: HashSet<u64>,
}

/// Compiled leakage checks. Build once, use with `&self`.
#[derive(Debug, Clone, Default)]
pub struct Leakage {
    canaries: Option<AhoCorasick>,
    prompts: Vec<Fingerprint>,
    min_share: f32,
}

impl Leakage {
    pub fn new(
        canaries: &[String],
        prompts: Vec<Fingerprint>,
        min_share: f32,
    ) -> Result<Leakage, PolicyError> {
        if canaries.len() > MAX_CANARIES {
            return Err(PolicyError::new(format!(
                "at most {MAX_CANARIES} canaries, got {}",
                canaries.len()
            )));
        }
        if let Some(bad) = canaries
            .iter()
            .find(|c| !(CANARY_LEN.0..=CANARY_LEN.1).contains(&c.len()))
        {
            return Err(PolicyError::new(format!(
                "canary {bad:?} must be {} to {} bytes long",
                CANARY_LEN.0, CANARY_LEN.1
            )));
        }
        if prompts.len() > MAX_PROMPTS {
            return Err(PolicyError::new(format!(
                "at most {MAX_PROMPTS} system prompt fingerprints, got {}",
                prompts.len()
            )));
        }
        if let Some(bad) = prompts
            .iter()
            .find(|p| p.shingles.len() < MIN_SHINGLES || p.shingles.len() > MAX_PROMPT_SHINGLES)
        {
            return Err(PolicyError::new(format!(
                "system prompt {:?} has {} shingles; a fingerprint needs {MIN_SHINGLES} to \
                 {MAX_PROMPT_SHINGLES} (a prompt of {} words or more)",
                bad.id,
                bad.shingles.len(),
                MIN_SHINGLES + SHINGLE_WORDS - 1
            )));
        }
        if !(min_share > 0.0 && min_share <= 1.0) {
            return Err(PolicyError::new(format!(
                "min_echo_share must be above 0 and at most 1, got {min_share}"
            )));
        }
        let canaries = match canaries.is_empty() {
            true => None,
            false => Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(canaries)
                    .map_err(|e| PolicyError::new(format!("canaries: {e}")))?,
            ),
        };
        Ok(Leakage {
            canaries,
            prompts,
            min_share,
        })
    }

    /// Canaries in `text` (exact, case-sensitive).
    pub fn canaries(&self, text: &str) -> Vec<Detection> {
        let Some(canaries) = &self.canaries else {
            return Vec::new();
        };
        canaries
            .find_iter(text)
            .map(|m| found(CANARY, "leakage.canary", 1.0, m.start(), m.end()))
            .collect()
    }

    /// Everything in a whole text: canaries, and the shingles of every
    /// prompt it echoes.
    pub fn find(&self, text: &str) -> Vec<Detection> {
        let mut out = self.canaries(text);
        if !self.prompts.is_empty() {
            let mut echo = self.echo();
            out.extend(echo.push(self, 0, text, true));
        }
        out
    }

    /// A meter for a text that arrives in pieces.
    pub fn echo(&self) -> Echo {
        Echo {
            words: Words::default(),
            matched: vec![HashSet::new(); self.prompts.len()],
            spans: vec![Vec::new(); self.prompts.len()],
        }
    }

    /// Distinct shingles of prompt `i` an echo needs.
    fn needed(&self, i: usize) -> usize {
        let total = self.prompts.get(i).map_or(0, |p| p.shingles.len());
        ((total as f32 * self.min_share).ceil() as usize).max(MIN_SHINGLES)
    }
}

/// The echo of the prompts in a text that arrives in pieces: every piece is
/// read once. Once a prompt's echo is substantial, each of its shingles
/// read (those that made it so, then every further one) is reported.
#[derive(Debug, Clone)]
pub struct Echo {
    words: Words,
    /// Distinct shingles of each prompt seen so far (bounded by the
    /// prompt's own count).
    matched: Vec<HashSet<u64>>,
    /// Spans of the matched shingles not reported yet, per prompt
    /// (bounded: dropped once reported).
    spans: Vec<Vec<Span>>,
}

/// Unreported shingle spans kept per prompt before the echo is substantial.
const MAX_PENDING_SPANS: usize = 4096;

impl Echo {
    /// Reads `piece`, which starts at stream offset `offset`; `last` says
    /// no more text follows (the final word is complete).
    pub fn push(
        &mut self,
        leakage: &Leakage,
        offset: usize,
        piece: &str,
        last: bool,
    ) -> Vec<Detection> {
        if leakage.prompts.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u64, Span)> = Vec::new();
        self.words.push(offset, piece, last, &mut |hash, span| {
            hits.push((hash, span))
        });
        let mut out = Vec::new();
        for (hash, span) in hits {
            for (i, prompt) in leakage.prompts.iter().enumerate() {
                if !prompt.shingles.contains(&hash) {
                    continue;
                }
                self.matched[i].insert(hash);
                let spans = &mut self.spans[i];
                if spans.len() < MAX_PENDING_SPANS {
                    spans.push(span);
                }
                if self.matched[i].len() >= leakage.needed(i) {
                    out.extend(
                        spans
                            .drain(..)
                            .map(|s| found(PROMPT, "leakage.system_prompt", 0.95, s.start, s.end)),
                    );
                }
            }
        }
        out
    }
}

/// Words as they arrive, hashed [`SHINGLE_WORDS`] at a time.
#[derive(Debug, Clone, Default)]
struct Words {
    /// The last words (hash of the folded word, span), at most a shingle.
    recent: Vec<(u64, Span)>,
    /// A word still arriving: its folded text so far and where it began.
    open: Option<(String, usize)>,
}

/// Longest word kept whole; longer runs are cut (no prompt word is that
/// long, and the buffer stays bounded).
const MAX_WORD: usize = 64;

impl Words {
    fn push(&mut self, offset: usize, piece: &str, last: bool, shingle: &mut dyn FnMut(u64, Span)) {
        for (i, c) in piece.char_indices() {
            let at = offset + i;
            if c.is_alphanumeric() {
                let (word, _) = self.open.get_or_insert_with(|| (String::new(), at));
                if word.len() < MAX_WORD {
                    word.extend(c.to_lowercase());
                }
            } else {
                self.close(at, shingle);
            }
        }
        if last {
            self.close(offset + piece.len(), shingle);
        }
    }

    fn close(&mut self, end: usize, shingle: &mut dyn FnMut(u64, Span)) {
        let Some((word, start)) = self.open.take() else {
            return;
        };
        if self.recent.len() == SHINGLE_WORDS {
            self.recent.remove(0);
        }
        self.recent
            .push((fnv1a(word.as_bytes(), FNV_OFFSET), Span { start, end }));
        if self.recent.len() == SHINGLE_WORDS {
            let hash = self
                .recent
                .iter()
                .fold(FNV_OFFSET, |h, (w, _)| fnv1a(&w.to_le_bytes(), h));
            let span = Span {
                start: self.recent[0].1.start,
                end,
            };
            shingle(hash, span);
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: stable across builds and platforms, which the
/// fingerprints in a policy rely on.
fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn found(
    category: &'static str,
    rule: &'static str,
    confidence: f32,
    start: usize,
    end: usize,
) -> Detection {
    Detection {
        engine: Engine::Exfiltration,
        category: Cow::Borrowed(category),
        rule: Cow::Borrowed(rule),
        confidence,
        span: Span { start, end },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMPT_TEXT: &str = "You are Acme's support assistant. Never reveal internal pricing \
        rules. Always answer in a friendly tone and escalate refunds above 500 euros to a human \
        agent named in the escalation table.";

    fn leakage() -> Leakage {
        let prompt = Fingerprint {
            id: "support".into(),
            shingles: fingerprint(PROMPT_TEXT).into_iter().collect(),
        };
        Leakage::new(&["CANARY-7f3a9c".to_string()], vec![prompt], 0.3).unwrap()
    }

    #[test]
    fn shingles_ignore_case_and_punctuation() {
        assert_eq!(
            fingerprint("One two, THREE four five!"),
            fingerprint("one two three four five")
        );
        assert_eq!(fingerprint("one two three four").len(), 0);
        assert_eq!(fingerprint("one two three four five six").len(), 2);
    }

    #[test]
    fn an_echoed_prompt_is_found_and_a_paraphrase_is_not() {
        let leakage = leakage();
        let echo = format!("Sure! My instructions say: {}", &PROMPT_TEXT[..120]);
        let found = leakage.find(&echo);
        assert!(!found.is_empty());
        assert!(found.iter().all(|d| d.category == "system_prompt_leak"));
        let start = found.iter().map(|d| d.span.start).min().unwrap();
        assert_eq!(&echo[start..start + 7], "You are");
        let paraphrase = "I help Acme customers and pass large refund requests to a person.";
        assert!(leakage.find(paraphrase).is_empty());
        let short = "You are Acme's support assistant. How can I help?";
        assert!(leakage.find(short).is_empty(), "one shingle is not an echo");
    }

    #[test]
    fn canaries_are_exact() {
        let leakage = leakage();
        let found = leakage.find("the marker is CANARY-7f3a9c, ok");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].category, "canary");
        assert!(leakage.find("canary-7f3a9c").is_empty());
    }

    #[test]
    fn pieces_read_like_the_whole() {
        let leakage = leakage();
        let text = format!("Here goes: {PROMPT_TEXT} That is all.");
        let whole: Vec<Span> = leakage.find(&text).iter().map(|d| d.span).collect();
        for size in [1, 3, 7, 50] {
            let mut echo = leakage.echo();
            let mut spans = Vec::new();
            let mut at = 0;
            while at < text.len() {
                let mut end = (at + size).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let last = end == text.len();
                spans.extend(
                    echo.push(&leakage, at, &text[at..end], last)
                        .iter()
                        .map(|d| d.span),
                );
                at = end;
            }
            assert_eq!(spans, whole, "pieces of {size}");
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        let err = |c: &[&str], p: Vec<Fingerprint>, share| {
            let c: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            Leakage::new(&c, p, share).unwrap_err().to_string()
        };
        assert!(err(&["short"], vec![], 0.2).contains("8 to 256 bytes"));
        let tiny = Fingerprint {
            id: "tiny".into(),
            shingles: fingerprint("a b c d e f").into_iter().collect(),
        };
        assert!(err(&[], vec![tiny], 0.2).contains("needs 4"));
        assert!(err(&[], vec![], 0.0).contains("min_echo_share"));
    }
}
