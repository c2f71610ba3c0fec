//! Incidents as Elastic Common Schema documents, optionally wrapped in the
//! Splunk HTTP Event Collector envelope.

use serde_json::{json, Value};

use super::owasp;
use crate::incident::Incident;
use crate::rfc3339;

/// ECS release whose field set this follows.
const ECS_VERSION: &str = "8.11.0";
pub const HEC_SOURCETYPE: &str = "sentinel:incident";

/// One ECS document; what has no ECS field goes under `sentinel.*`.
pub fn ecs(incident: &Incident) -> Value {
    let category = incident.category();
    let mut labels = serde_json::Map::new();
    if let Some(id) = owasp::label(&incident.verdict, category) {
        labels.insert("owasp_llm".into(), id.into());
    }
    // ECS keeps the source's own scale in `risk_score` and 0..100 in
    // `risk_score_norm`.
    let norm = (incident.risk * 10_000.0).round() / 100.0;
    json!({
        "@timestamp": rfc3339::format(incident.time_us),
        "ecs": { "version": ECS_VERSION },
        "event": {
            "kind": "alert",
            "category": ["intrusion_detection"],
            // Monitor mode let the request through; a redacted or unscanned
            // answer was delivered.
            "type": [match incident.verdict.as_str() {
                "allow" | "monitor" | "redact" | "unscanned" => "allowed",
                _ => "denied",
            }],
            "action": incident.verdict,
            "id": incident.id,
            "risk_score": incident.risk,
            "risk_score_norm": norm,
            "duration": incident.latency_us.saturating_mul(1000),
        },
        "rule": { "name": incident.rule(), "category": category },
        "client": { "user": { "id": incident.client_id } },
        "url": { "path": incident.path },
        "http": { "request": { "method": incident.method, "id": incident.request_id } },
        "host": { "name": incident.pod },
        "labels": labels,
        "sentinel": {
            "stage": incident.stage,
            "request_id": incident.request_id,
            "authority": incident.authority,
            "mode": incident.mode,
            "category": incident.category,
            "detections": incident.detections,
            "text_sha256": incident.text_sha256,
            "latency_us": incident.latency_us,
        },
    })
}

/// `{"time": <epoch seconds>, "sourcetype": ..., "event": <ECS>}`.
pub fn hec(incident: &Incident) -> Value {
    json!({
        "time": incident.time_us as f64 / 1e6,
        "sourcetype": HEC_SOURCETYPE,
        "event": ecs(incident),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::tests::incident;

    #[test]
    fn ecs_shape() {
        let doc = ecs(&incident());
        assert_eq!(doc["@timestamp"], "2026-01-01T00:00:00.123Z");
        assert_eq!(doc["event"]["kind"], "alert");
        assert_eq!(doc["event"]["category"], json!(["intrusion_detection"]));
        assert_eq!(doc["event"]["type"], json!(["denied"]));
        assert_eq!(doc["event"]["action"], "block");
        assert_eq!(doc["event"]["id"], "e1");
        assert_eq!(doc["event"]["risk_score"], 0.5);
        assert_eq!(doc["event"]["risk_score_norm"], 50.0);
        assert_eq!(doc["event"]["duration"], 850_000);
        assert_eq!(doc["rule"]["name"], "injection.ignore_previous");
        assert_eq!(doc["rule"]["category"], "instruction_override");
        assert_eq!(
            doc["client"]["user"]["id"],
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(doc["url"]["path"], "/v1/chat/completions");
        assert_eq!(doc["http"]["request"]["method"], "POST");
        assert_eq!(doc["http"]["request"]["id"], "req-1");
        assert_eq!(doc["host"]["name"], "pod-a");
        assert_eq!(doc["labels"]["owasp_llm"], "LLM01:2025");
        assert_eq!(doc["sentinel"]["authority"], "api.example.com");
        assert_eq!(doc["sentinel"]["detections"][0]["rule"], "pii.email");
    }

    #[test]
    fn allowed_and_quarantined_incidents() {
        let mut allowed = incident();
        allowed.verdict = "allow".into();
        allowed.category = None;
        let doc = ecs(&allowed);
        assert_eq!(doc["event"]["type"], json!(["allowed"]));
        assert_eq!(doc["rule"]["category"], "instruction_override");
        assert_eq!(doc["sentinel"]["category"], Value::Null);

        let mut quarantined = incident();
        quarantined.verdict = "quarantined".into();
        quarantined.category = Some("quarantined".into());
        quarantined.detections = json!([]);
        let doc = ecs(&quarantined);
        assert_eq!(doc["labels"], json!({}));
        assert_eq!(doc["rule"]["name"], Value::Null);
    }

    #[test]
    fn hec_envelope() {
        let record = hec(&incident());
        assert_eq!(record["time"], 1_767_225_600.123);
        assert_eq!(record["sourcetype"], "sentinel:incident");
        assert_eq!(record["event"], ecs(&incident()));
        assert_eq!(record.as_object().map(|o| o.len()), Some(3));
    }
}
