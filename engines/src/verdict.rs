//! Verdicts and how detections become one risk score.
//!
//! Risk is a noisy-OR over per-engine maxima of `confidence × engine weight`:
//!
//! - Within one engine the rules overlap on purpose (one sentence often
//!   trips several wordings of the same idea), so adding them up would count
//!   one piece of evidence several times: the engine's strongest detection is
//!   its evidence.
//! - Across engines the signals are largely independent (an override phrase,
//!   a leaked key), so they combine as independent alarms: the chance that
//!   none is real is the product of each being a false alarm.
//!
//! The result stays in 0..=1, never drops when a detection is added, and a
//! single engine scores exactly its strongest weighted detection, so a
//! threshold reads as "one detection this sure".

use serde::Serialize;

use crate::{Detection, Engine};

/// Risk at or above which a request is blocked unless the policy says otherwise.
pub const DEFAULT_BLOCK_THRESHOLD: f32 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Block,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Block => "block",
        }
    }
}

/// What the engines concluded about one or more texts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verdict {
    /// Combined risk, 0..=1.
    pub risk_score: f32,
    pub detections: Vec<Detection>,
}

impl Verdict {
    /// The verdict on one text: detections sorted by span start, repeated
    /// hits of one rule on overlapping spans folded into one, overlapping
    /// PII/secret hits reduced to the surest (one value, one redaction), and
    /// the risk computed from what remains.
    pub fn from_detections(detections: Vec<Detection>) -> Verdict {
        let detections = collapse_values(fold_repeats(detections));
        Verdict {
            risk_score: risk_of(&detections),
            detections,
        }
    }

    /// Block at or above `threshold`; nothing found is always allowed, so a
    /// threshold of 0 means "block on any detection", not "block everything".
    pub fn decide(&self, threshold: f32) -> Decision {
        if !self.detections.is_empty() && self.risk_score >= threshold {
            Decision::Block
        } else {
            Decision::Allow
        }
    }

    /// Category of the detection that weighs most in the risk (confidence
    /// times engine weight), for error codes. The earliest wins a tie.
    pub fn top_category(&self) -> Option<&'static str> {
        let mut best: Option<&Detection> = None;
        for d in &self.detections {
            if best.is_none_or(|b| d.weighted() > b.weighted()) {
                best = Some(d);
            }
        }
        best.map(|d| d.category)
    }

    /// Folds the verdict of another text of the same request into this one.
    /// Detections keep their order per text (their spans point into different
    /// texts, so they are not deduplicated across texts) and the risk is
    /// recomputed from all of them, exactly as if they came from one scan.
    pub fn merge(&mut self, other: Verdict) {
        self.detections.extend(other.detections);
        self.risk_score = risk_of(&self.detections);
    }
}

fn engine_index(engine: Engine) -> usize {
    match engine {
        Engine::Injection => 0,
        Engine::Jailbreak => 1,
        Engine::Pii => 2,
        Engine::Secrets => 3,
        Engine::Evasion => 4,
        Engine::Exfiltration => 5,
        Engine::ToolAbuse => 6,
        Engine::CodeInjection => 7,
    }
}

/// Noisy-OR over the per-engine maxima of the weighted confidences.
fn risk_of(detections: &[Detection]) -> f32 {
    let mut strongest = [0.0f32; Engine::ALL.len()];
    for d in detections {
        let w = d.weighted();
        // NaN never wins a max and is read as no evidence.
        let w = if w.is_nan() { 0.0 } else { w.clamp(0.0, 1.0) };
        let slot = &mut strongest[engine_index(d.engine)];
        *slot = slot.max(w);
    }
    let all_false_alarms: f32 = strongest.iter().map(|p| 1.0 - p).product();
    (1.0 - all_false_alarms).clamp(0.0, 1.0)
}

/// Merges hits of the same rule whose spans overlap (the same phrase seen
/// through several views of the text), then sorts by span start.
fn fold_repeats(mut detections: Vec<Detection>) -> Vec<Detection> {
    detections.sort_by(|a, b| {
        (a.rule, a.span.start, a.span.end).cmp(&(b.rule, b.span.start, b.span.end))
    });
    let mut out: Vec<Detection> = Vec::with_capacity(detections.len());
    for d in detections {
        match out.last_mut() {
            Some(last) if last.rule == d.rule && last.span.overlaps(&d.span) => {
                last.span.end = last.span.end.max(d.span.end);
                last.confidence = last.confidence.max(d.confidence);
            }
            _ => out.push(d),
        }
    }
    sort_by_position(&mut out);
    out
}

/// Among overlapping PII/secret detections keeps the surest one, so each
/// sensitive value is reported (and redacted) once.
fn collapse_values(detections: Vec<Detection>) -> Vec<Detection> {
    let is_value = |d: &Detection| matches!(d.engine, Engine::Pii | Engine::Secrets);
    let mut out: Vec<Detection> = Vec::with_capacity(detections.len());
    // Index in `out` of the last value detection kept.
    let mut last_value: Option<usize> = None;
    for d in detections {
        if !is_value(&d) {
            out.push(d);
            continue;
        }
        if let Some(kept) = last_value.and_then(|i| out.get_mut(i)) {
            if kept.span.overlaps(&d.span) {
                if d.weighted() > kept.weighted() {
                    *kept = d;
                }
                continue;
            }
        }
        last_value = Some(out.len());
        out.push(d);
    }
    sort_by_position(&mut out);
    out
}

fn sort_by_position(detections: &mut [Detection]) {
    detections.sort_by(|a, b| {
        (a.span.start, a.span.end, a.rule).cmp(&(b.span.start, b.span.end, b.rule))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn det(
        engine: Engine,
        rule: &'static str,
        confidence: f32,
        start: usize,
        end: usize,
    ) -> Detection {
        Detection {
            engine,
            category: rule,
            rule,
            confidence,
            span: Span { start, end },
        }
    }

    #[test]
    fn pii_alone_never_blocks() {
        let v = Verdict::from_detections(vec![det(Engine::Pii, "email", 1.0, 0, 5)]);
        assert_eq!(v.risk_score, 0.5);
        assert_eq!(v.decide(DEFAULT_BLOCK_THRESHOLD), Decision::Allow);
        assert_eq!(v.decide(0.4), Decision::Block);
    }

    #[test]
    fn engines_combine_by_noisy_or_of_maxima() {
        let v = Verdict::from_detections(vec![
            det(Engine::Injection, "a", 0.6, 0, 5),
            det(Engine::Injection, "b", 0.5, 6, 9),
            det(Engine::Jailbreak, "c", 0.5, 10, 12),
        ]);
        // 1 - (1 - 0.6) * (1 - 0.5)
        assert!((v.risk_score - 0.8).abs() < 1e-6);
        assert_eq!(v.top_category(), Some("a"));
    }

    #[test]
    fn top_category_uses_engine_weight() {
        let v = Verdict::from_detections(vec![
            det(Engine::Pii, "email", 0.95, 0, 5),
            det(Engine::Injection, "override", 0.6, 6, 9),
        ]);
        assert_eq!(v.top_category(), Some("override"));
    }

    #[test]
    fn repeats_fold_and_values_collapse() {
        let v = Verdict::from_detections(vec![
            det(Engine::Injection, "a", 0.6, 4, 10),
            det(Engine::Injection, "a", 0.9, 0, 6),
            det(Engine::Secrets, "openai", 0.8, 20, 60),
            det(Engine::Secrets, "anthropic", 0.95, 20, 62),
        ]);
        let rules: Vec<_> = v
            .detections
            .iter()
            .map(|d| (d.rule, d.span.start, d.span.end))
            .collect();
        assert_eq!(rules, vec![("a", 0, 10), ("anthropic", 20, 62)]);
        assert!((v.detections[0].confidence - 0.9).abs() < 1e-6);
    }

    #[test]
    fn merge_recomputes_risk() {
        let mut a = Verdict::from_detections(vec![det(Engine::Injection, "a", 0.5, 0, 5)]);
        let b = Verdict::from_detections(vec![det(Engine::Jailbreak, "b", 0.5, 0, 5)]);
        a.merge(b);
        assert!((a.risk_score - 0.75).abs() < 1e-6);
        assert_eq!(a.detections.len(), 2);
        a.merge(Verdict::default());
        assert!((a.risk_score - 0.75).abs() < 1e-6);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(Verdict::from_detections(vec![]).risk_score, 0.0);
        assert_eq!(Verdict::default().top_category(), None);
    }

    #[test]
    fn nothing_found_is_allowed_even_at_threshold_zero() {
        assert_eq!(Verdict::default().decide(0.0), Decision::Allow);
        let one = Verdict::from_detections(vec![det(Engine::Pii, "pii.email", 0.9, 0, 5)]);
        assert_eq!(one.decide(0.0), Decision::Block);
        assert_eq!(one.decide(DEFAULT_BLOCK_THRESHOLD), Decision::Allow);
    }
}
