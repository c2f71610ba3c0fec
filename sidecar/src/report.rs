//! The verdict as JSON: one shape for the `scan` CLI and for `/v1/scan`, so
//! the two can never drift apart.

use std::borrow::Cow;

use sentinel_engines::{Detection, Verdict};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct VerdictReport {
    /// `allow` or `block`.
    pub verdict: &'static str,
    pub risk_score: f32,
    pub detections: Vec<DetectionReport>,
}

/// A detection with its span flattened into `start`/`end` byte offsets.
#[derive(Debug, Serialize)]
pub struct DetectionReport {
    pub engine: &'static str,
    pub category: Cow<'static, str>,
    pub rule: Cow<'static, str>,
    pub confidence: f32,
    pub start: usize,
    pub end: usize,
}

impl VerdictReport {
    pub fn new(verdict: &Verdict, threshold: f32) -> Self {
        VerdictReport {
            verdict: verdict.decide(threshold).as_str(),
            risk_score: verdict.risk_score,
            detections: verdict
                .detections
                .iter()
                .map(DetectionReport::from)
                .collect(),
        }
    }
}

impl From<&Detection> for DetectionReport {
    fn from(d: &Detection) -> Self {
        DetectionReport {
            engine: d.engine.name(),
            category: d.category.clone(),
            rule: d.rule.clone(),
            confidence: d.confidence,
            start: d.span.start,
            end: d.span.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentinel_engines::{Engine, Span};

    #[test]
    fn shape_matches_the_documented_json() {
        let verdict = Verdict {
            risk_score: 0.93,
            detections: vec![Detection {
                engine: Engine::Injection,
                category: "instruction_override".into(),
                rule: "injection.ignore_previous".into(),
                confidence: 0.9,
                span: Span { start: 0, end: 31 },
            }],
        };
        let json = serde_json::to_string(&VerdictReport::new(&verdict, 0.7)).expect("serializes");
        assert_eq!(
            json,
            r#"{"verdict":"block","risk_score":0.93,"detections":[{"engine":"injection","category":"instruction_override","rule":"injection.ignore_previous","confidence":0.9,"start":0,"end":31}]}"#
        );
    }

    #[test]
    fn below_threshold_is_allow() {
        let report = VerdictReport::new(&Verdict::default(), 0.7);
        assert_eq!(report.verdict, "allow");
        assert!(report.detections.is_empty());
    }
}
