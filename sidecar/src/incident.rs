//! Incidents: stored events whose verdict is not `allow` or that carry at
//! least one detection. Read by `GET /v1/incidents` and by the SIEM export.

use anyhow::Context;
use serde_json::{json, Value};
use tokio_postgres::Row;

use crate::rfc3339;

/// The SQL condition that makes an event an incident. Migration 3 builds
/// its partial indexes with this very condition, so keep the two alike.
pub const PREDICATE: &str = "(verdict <> 'allow' OR jsonb_array_length(detections) > 0)";

/// The columns [`Incident::from_row`] reads, for a `SELECT` from `events`.
pub const COLUMNS: &str = "id, request_id, client_id,
    (extract(epoch FROM time) * 1000000)::bigint AS time_us, verdict, category,
    risk, mode, method, authority, path, pod, detections::text AS detections,
    text_sha256, latency_us, stage";

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub request_id: String,
    pub client_id: String,
    /// Decision time, Unix microseconds.
    pub time_us: i64,
    pub verdict: String,
    /// The category that blocked (or would have), as stored.
    pub category: Option<String>,
    /// Stored as `real`; widened by its shortest decimal form, so 0.9
    /// stays 0.9 in JSON rather than 0.8999999761581421.
    pub risk: f64,
    pub mode: String,
    pub method: String,
    pub authority: String,
    pub path: String,
    pub pod: String,
    /// The stored detections array, as the filter sent it.
    pub detections: Value,
    pub text_sha256: String,
    pub latency_us: i64,
    /// `request`, or `response` (the model's answer).
    pub stage: String,
}

impl Incident {
    pub fn from_row(row: &Row) -> anyhow::Result<Incident> {
        let detections: String = row.try_get("detections")?;
        let risk: f32 = row.try_get("risk")?;
        Ok(Incident {
            id: row.try_get("id")?,
            request_id: row.try_get("request_id")?,
            client_id: row.try_get("client_id")?,
            time_us: row.try_get("time_us")?,
            verdict: row.try_get("verdict")?,
            category: row.try_get("category")?,
            risk: risk.to_string().parse().context("stored risk")?,
            mode: row.try_get("mode")?,
            method: row.try_get("method")?,
            authority: row.try_get("authority")?,
            path: row.try_get("path")?,
            pod: row.try_get("pod")?,
            detections: serde_json::from_str(&detections).context("stored detections")?,
            text_sha256: row.try_get("text_sha256")?,
            latency_us: row.try_get("latency_us")?,
            stage: row.try_get("stage")?,
        })
    }

    /// The surest detection, if any.
    fn surest(&self) -> Option<&Value> {
        let confidence = |d: &Value| d["confidence"].as_f64().unwrap_or(0.0);
        self.detections
            .as_array()?
            .iter()
            .max_by(|a, b| confidence(a).total_cmp(&confidence(b)))
    }

    /// The category it is filed under: the one that decided, else (an
    /// allowed request with detections) its surest detection's.
    pub fn category(&self) -> Option<&str> {
        self.category
            .as_deref()
            .or_else(|| self.surest()?["category"].as_str())
    }

    /// The rule behind it: the surest detection's.
    pub fn rule(&self) -> Option<&str> {
        self.surest()?["rule"].as_str()
    }

    /// The `GET /v1/incidents` shape.
    pub fn to_json(&self) -> Value {
        json!({
            "request_id": self.request_id,
            "client_id": self.client_id,
            "time": rfc3339::format(self.time_us),
            "stage": self.stage,
            "verdict": self.verdict,
            "category": self.category(),
            "risk_score": self.risk,
            "mode": self.mode,
            "method": self.method,
            "authority": self.authority,
            "path": self.path,
            "pod": self.pod,
            "detections": self.detections,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A blocked prompt injection with a weaker PII detection.
    pub(crate) fn incident() -> Incident {
        Incident {
            id: "e1".into(),
            request_id: "req-1".into(),
            client_id: "0123456789abcdef0123456789abcdef".into(),
            time_us: 1_767_225_600_123_000,
            verdict: "block".into(),
            category: Some("instruction_override".into()),
            risk: 0.5,
            mode: "enforce".into(),
            method: "POST".into(),
            authority: "api.example.com".into(),
            path: "/v1/chat/completions".into(),
            pod: "pod-a".into(),
            detections: json!([
                {"engine": "pii", "category": "email", "rule": "pii.email",
                 "confidence": 0.6, "start": 0, "end": 9},
                {"engine": "injection", "category": "instruction_override",
                 "rule": "injection.ignore_previous", "confidence": 0.95, "start": 10, "end": 42},
            ]),
            text_sha256: "ab".repeat(32),
            latency_us: 850,
            stage: "request".into(),
        }
    }

    #[test]
    fn category_and_rule_fall_back_to_the_surest_detection() {
        let mut incident = incident();
        assert_eq!(incident.category(), Some("instruction_override"));
        assert_eq!(incident.rule(), Some("injection.ignore_previous"));
        incident.category = None;
        incident.detections[0]["confidence"] = json!(0.99);
        assert_eq!(incident.category(), Some("email"));
        assert_eq!(incident.rule(), Some("pii.email"));
        incident.detections = json!([]);
        assert_eq!((incident.category(), incident.rule()), (None, None));
    }

    #[test]
    fn api_shape() {
        let body = incident().to_json();
        assert_eq!(body["time"], "2026-01-01T00:00:00.123Z");
        assert_eq!(body["risk_score"], 0.5);
        assert_eq!(body["category"], "instruction_override");
        assert_eq!(body["detections"][1]["rule"], "injection.ignore_previous");
        let keys: Vec<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 13, "{keys:?}");
        assert_eq!(body["stage"], "request");
        assert!(body.get("id").is_none() && body.get("text_sha256").is_none());
    }
}
