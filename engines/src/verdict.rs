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

use crate::{Detection, Engine, Thresholds};

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

    /// Block when the overall risk reaches the policy's global threshold, or
    /// when one engine's own risk (its strongest weighted detection, as in
    /// the noisy-OR) reaches that engine's threshold. Nothing found is always
    /// allowed.
    pub fn decide_with(&self, thresholds: &Thresholds) -> Decision {
        match self.blocking_category(thresholds) {
            Some(_) => Decision::Block,
            None => Decision::Allow,
        }
    }

    /// Why [`Verdict::decide_with`] blocks, as a category for error codes:
    /// the [`top_category`](Verdict::top_category) when the overall risk
    /// blocks, else the strongest detection of an engine over its own
    /// threshold. `None` when the verdict is allowed.
    pub fn blocking_category(&self, thresholds: &Thresholds) -> Option<&str> {
        self.blocking_detection(thresholds)
            .map(|d| d.category.as_ref())
    }

    /// The detection whose category [`Verdict::blocking_category`] names.
    pub fn blocking_detection(&self, thresholds: &Thresholds) -> Option<&Detection> {
        if self.detections.is_empty() {
            return None;
        }
        if self.risk_score >= thresholds.global() {
            return self.top_detection();
        }
        let strongest = engine_maxima(&self.detections);
        let over = |engine: Engine| {
            thresholds
                .engine(engine)
                .zip(strongest[engine.index()])
                .is_some_and(|(threshold, risk)| risk >= threshold)
        };
        let mut best: Option<&Detection> = None;
        for d in self.detections.iter().filter(|d| over(d.engine)) {
            if best.is_none_or(|b| d.weighted() > b.weighted()) {
                best = Some(d);
            }
        }
        best
    }

    /// Category of the detection that weighs most in the risk (confidence
    /// times engine weight), for error codes. The earliest wins a tie.
    pub fn top_category(&self) -> Option<&str> {
        self.top_detection().map(|d| d.category.as_ref())
    }

    /// The detection whose category [`Verdict::top_category`] names.
    pub fn top_detection(&self) -> Option<&Detection> {
        let mut best: Option<&Detection> = None;
        for d in &self.detections {
            if best.is_none_or(|b| d.weighted() > b.weighted()) {
                best = Some(d);
            }
        }
        best
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

/// Each engine's own risk: its strongest weighted confidence, `None` for an
/// engine with no detection.
fn engine_maxima(detections: &[Detection]) -> [Option<f32>; Engine::ALL.len()] {
    let mut strongest = [None::<f32>; Engine::ALL.len()];
    for d in detections {
        let w = d.weighted();
        // NaN never wins a max and is read as no evidence.
        let w = if w.is_nan() { 0.0 } else { w.clamp(0.0, 1.0) };
        let slot = &mut strongest[d.engine.index()];
        *slot = Some(slot.map_or(w, |s| s.max(w)));
    }
    strongest
}

/// Noisy-OR over the per-engine maxima of the weighted confidences.
fn risk_of(detections: &[Detection]) -> f32 {
    let all_false_alarms: f32 = engine_maxima(detections)
        .iter()
        .map(|p| 1.0 - p.unwrap_or(0.0))
        .product();
    (1.0 - all_false_alarms).clamp(0.0, 1.0)
}

/// Merges hits of the same rule whose spans overlap (the same phrase seen
/// through several views of the text), then sorts by span start.
fn fold_repeats(mut detections: Vec<Detection>) -> Vec<Detection> {
    detections.sort_by(|a, b| {
        (&a.rule, a.span.start, a.span.end).cmp(&(&b.rule, b.span.start, b.span.end))
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
        (a.span.start, a.span.end, &a.rule).cmp(&(b.span.start, b.span.end, &b.rule))
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
            category: rule.into(),
            rule: rule.into(),
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
            .map(|d| (d.rule.as_ref(), d.span.start, d.span.end))
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
    fn engine_threshold_blocks_on_that_engine_alone() {
        let pii = Verdict::from_detections(vec![det(Engine::Pii, "email", 0.9, 0, 5)]);
        let default = Thresholds::default();
        assert_eq!(pii.decide_with(&default), Decision::Allow);
        assert_eq!(pii.blocking_category(&default), None);
        // Weighted 0.45 reaches a PII threshold of 0.4, not one of 0.5.
        let strict = Thresholds::default().with_engine("pii", 0.4).unwrap();
        assert_eq!(pii.decide_with(&strict), Decision::Block);
        assert_eq!(pii.blocking_category(&strict), Some("email"));
        let lax = Thresholds::default().with_engine("pii", 0.5).unwrap();
        assert_eq!(pii.decide_with(&lax), Decision::Allow);

        // Below the global threshold, the category is the engine's that fired,
        // even when another engine weighs more.
        let mixed = Verdict::from_detections(vec![
            det(Engine::Injection, "override", 0.44, 0, 5),
            det(Engine::Pii, "email", 0.85, 6, 9),
        ]);
        assert!(mixed.risk_score < DEFAULT_BLOCK_THRESHOLD);
        assert_eq!(mixed.top_category(), Some("override"));
        assert_eq!(mixed.blocking_category(&strict), Some("email"));
        // Over the global threshold, the top category names the block.
        let global = Thresholds::new(0.5)
            .unwrap()
            .with_engine("pii", 0.4)
            .unwrap();
        assert_eq!(mixed.blocking_category(&global), Some("override"));
        // Same as `decide` without engine thresholds.
        for t in [0.0, 0.3, 0.7, 1.0] {
            let th = Thresholds::new(t).unwrap();
            assert_eq!(mixed.decide_with(&th), mixed.decide(t));
            assert_eq!(Verdict::default().decide_with(&th), Decision::Allow);
        }
        // An engine threshold of 0 blocks on any detection of that engine
        // only.
        let zero = Thresholds::default().with_engine("secrets", 0.0).unwrap();
        assert_eq!(pii.decide_with(&zero), Decision::Allow);
        let secret = Verdict::from_detections(vec![det(Engine::Secrets, "key", 0.0, 0, 5)]);
        assert_eq!(secret.decide_with(&zero), Decision::Block);
    }

    #[test]
    fn nothing_found_is_allowed_even_at_threshold_zero() {
        assert_eq!(Verdict::default().decide(0.0), Decision::Allow);
        let one = Verdict::from_detections(vec![det(Engine::Pii, "pii.email", 0.9, 0, 5)]);
        assert_eq!(one.decide(0.0), Decision::Block);
        assert_eq!(one.decide(DEFAULT_BLOCK_THRESHOLD), Decision::Allow);
    }
}
