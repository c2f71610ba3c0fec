use serde::Serialize;

use crate::Detection;

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
    pub fn decide(&self, threshold: f32) -> Decision {
        if self.risk_score >= threshold {
            Decision::Block
        } else {
            Decision::Allow
        }
    }

    /// Category of the detection that weighs most in the risk, for error codes.
    pub fn top_category(&self) -> Option<&'static str> {
        self.detections
            .iter()
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
            .map(|d| d.category)
    }

    /// Folds the verdict of another text of the same request into this one.
    pub fn merge(&mut self, other: Verdict) {
        self.risk_score = self.risk_score.max(other.risk_score);
        self.detections.extend(other.detections);
    }
}
