//! Decision events (docs/events.md): the typed event, its validation and the
//! `{"events": [...]}` batch the filter posts.
//!
//! Validation is strict on purpose: whatever passes it must also be accepted
//! by Postgres, or one bad event would stall the writer behind it forever.

use crate::state::QuarantineRule;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most events in one batch.
pub const MAX_EVENTS: usize = 1000;
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_DETECTIONS: usize = 32;
pub const MAX_ID_CHARS: usize = 128;
/// 9999-12-31T23:59:59.999Z: the last instant Postgres' timestamptz and the
/// docs agree on.
const MAX_TIME_MS: i64 = 253_402_300_799_999;
/// More tokens than any response reports: a bad report, refused.
const MAX_TOKENS: u64 = 1 << 40;
/// Bounds of a quarantine rule (the filter's policy allows up to a day's
/// window and 30 days' quarantine).
const MAX_QUARANTINE_WINDOW_MS: u64 = 86_400_000;
const MAX_QUARANTINE_MS: u64 = 30 * 86_400_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub request_id: String,
    pub time_ms: i64,
    pub client_id: String,
    pub method: String,
    pub authority: String,
    pub path: String,
    /// The request, or the model's answer; filters that predate answers
    /// send none.
    #[serde(default)]
    pub stage: Stage,
    pub verdict: Verdict,
    #[serde(default)]
    pub category: Option<String>,
    pub risk: f32,
    pub mode: Mode,
    pub detections: Vec<Detection>,
    pub text_sha256: String,
    pub latency_us: i64,
    /// The sidecar that received the event; set on ingest, never taken from
    /// the filter.
    #[serde(default)]
    pub pod: String,
    /// 16 hex chars naming authority and path (rate limits count by it);
    /// empty from filters that predate it.
    #[serde(default)]
    pub route_id: String,
    /// The rate limit of the policy that judged the request, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSpec>,
    /// On blocks: the policy's quarantine rule (absent: no quarantine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<QuarantineRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitSpec {
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
}

/// Tokens a response used, as the filter read them from its `usage`
/// (`"kind": "usage"` in a batch): counted toward the client's
/// tokens-per-minute limit, never stored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Usage {
    pub client_id: String,
    pub route_id: String,
    pub time_ms: i64,
    pub tokens: u64,
    pub tokens_per_minute: u32,
}

impl Usage {
    fn validate(&self) -> Result<(), String> {
        hex("client_id", &self.client_id, 32)?;
        hex("route_id", &self.route_id, 16)?;
        if !(0..=MAX_TIME_MS).contains(&self.time_ms) {
            return Err(format!("time_ms {} is out of range", self.time_ms));
        }
        if self.tokens_per_minute == 0 || self.tokens > MAX_TOKENS {
            return Err("tokens or tokens_per_minute out of range".to_string());
        }
        Ok(())
    }
}

/// What a batch holds: events (spooled, stored) and usage reports.
#[derive(Debug, Default)]
pub struct Posted {
    pub events: Vec<Event>,
    pub usage: Vec<Usage>,
}

impl Posted {
    pub fn len(&self) -> usize {
        self.events.len() + self.usage.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Block,
    Monitor,
    TooLarge,
    /// Refused because the client is quarantined (not a new attack).
    Quarantined,
    /// Refused because the client is over its rate limit on the route.
    RateLimited,
    /// An answer delivered with what was found masked.
    Redact,
    /// An answer that could not be judged (compressed, too large),
    /// delivered as the policy allows.
    Unscanned,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Request,
    Response,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Request => "request",
            Stage::Response => "response",
        }
    }
}

impl Verdict {
    /// The name in events and in the `events.verdict` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Block => "block",
            Verdict::Monitor => "monitor",
            Verdict::TooLarge => "too_large",
            Verdict::Quarantined => "quarantined",
            Verdict::RateLimited => "rate_limited",
            Verdict::Redact => "redact",
            Verdict::Unscanned => "unscanned",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Enforce,
    Monitor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub engine: String,
    pub category: String,
    pub rule: String,
    pub confidence: f32,
    pub start: u64,
    pub end: u64,
}

#[derive(Deserialize)]
struct Batch {
    events: Vec<Value>,
}

/// The events of a posted batch, each stamped with `pod`, and its usage
/// reports; or why the batch is refused (naming the first bad item's
/// index).
pub fn parse_batch(body: &[u8], pod: &str) -> Result<Posted, String> {
    let batch: Batch = serde_json::from_slice(body)
        .map_err(|e| format!(r#"expected {{"events": [...]}} ({e})"#))?;
    if batch.events.len() > MAX_EVENTS {
        return Err(format!(
            "at most {MAX_EVENTS} events per batch, got {}",
            batch.events.len()
        ));
    }
    let mut posted = Posted::default();
    for (index, value) in batch.events.into_iter().enumerate() {
        if value.get("kind").and_then(Value::as_str) == Some("usage") {
            let usage = Usage::deserialize(value)
                .map_err(|e| e.to_string())
                .and_then(|usage| usage.validate().map(|()| usage))
                .map_err(|why| format!("usage {index}: {why}"))?;
            posted.usage.push(usage);
            continue;
        }
        let mut event = Event::deserialize(value)
            .map_err(|e| e.to_string())
            .and_then(|event| event.validate().map(|()| event))
            .map_err(|why| format!("event {index}: {why}"))?;
        event.pod = pod.to_string();
        posted.events.push(event);
    }
    Ok(posted)
}

impl Event {
    /// Checks what the types alone do not (docs/events.md).
    pub fn validate(&self) -> Result<(), String> {
        let chars = self.id.chars().count();
        if !(1..=MAX_ID_CHARS).contains(&chars) {
            return Err(format!("id must be 1-{MAX_ID_CHARS} chars, got {chars}"));
        }
        if !(0..=MAX_TIME_MS).contains(&self.time_ms) {
            return Err(format!("time_ms {} is out of range", self.time_ms));
        }
        hex("client_id", &self.client_id, 32)?;
        hex("text_sha256", &self.text_sha256, 64)?;
        if !self.route_id.is_empty() {
            hex("route_id", &self.route_id, 16)?;
        }
        if self
            .rate_limit
            .is_some_and(|r| r.requests_per_minute == Some(0) || r.tokens_per_minute == Some(0))
        {
            return Err("rate_limit figures must be at least 1".to_string());
        }
        if let Some(q) = self.quarantine {
            let sane = q.blocks >= 1
                && (1_000..=MAX_QUARANTINE_WINDOW_MS).contains(&q.window_ms)
                && (1_000..=MAX_QUARANTINE_MS).contains(&q.duration_ms);
            if !sane {
                return Err(format!("quarantine {q:?} is out of range"));
            }
        }
        if !(0.0..=1.0).contains(&self.risk) {
            return Err(format!("risk {} is outside 0..=1", self.risk));
        }
        if self.latency_us < 0 {
            return Err(format!("latency_us {} is negative", self.latency_us));
        }
        if self.detections.len() > MAX_DETECTIONS {
            return Err(format!(
                "at most {MAX_DETECTIONS} detections, got {}",
                self.detections.len()
            ));
        }
        for (i, d) in self.detections.iter().enumerate() {
            if !d.confidence.is_finite() {
                return Err(format!("detections[{i}].confidence is not finite"));
            }
            if d.start > d.end {
                return Err(format!("detections[{i}] ends before it starts"));
            }
        }
        // Postgres text and jsonb cannot hold a NUL character.
        let texts = [
            &self.id,
            &self.request_id,
            &self.method,
            &self.authority,
            &self.path,
            &self.pod,
        ]
        .into_iter()
        .chain(&self.category)
        .chain(
            self.detections
                .iter()
                .flat_map(|d| [&d.engine, &d.category, &d.rule]),
        );
        for text in texts {
            if text.contains('\0') {
                return Err("strings must not contain NUL characters".to_string());
            }
        }
        Ok(())
    }
}

fn hex(field: &str, value: &str, len: usize) -> Result<(), String> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("{field} must be {len} hex chars"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A valid event as the filter sends it.
    pub(crate) fn event_json(id: &str) -> Value {
        json!({
            "id": id, "request_id": "req-1", "time_ms": 1_767_225_600_000_i64,
            "client_id": "0123456789abcdef0123456789abcdef",
            "method": "POST", "authority": "api.example.com", "path": "/v1/chat/completions",
            "verdict": "block", "category": "prompt_injection", "risk": 0.92, "mode": "enforce",
            "detections": [{"engine": "injection", "category": "prompt_injection",
                "rule": "inj.override", "confidence": 0.9, "start": 10, "end": 42}],
            "text_sha256": "ab".repeat(32), "latency_us": 850
        })
    }

    fn batch(events: Vec<Value>) -> Vec<u8> {
        json!({ "events": events }).to_string().into_bytes()
    }

    #[test]
    fn verdict_names_are_the_serialized_ones() {
        use Verdict::*;
        for verdict in [Allow, Block, Monitor, TooLarge, Quarantined, RateLimited] {
            assert_eq!(json!(verdict), json!(verdict.as_str()));
        }
    }

    #[test]
    fn accepts_valid_events_and_ignores_unknown_fields() {
        let mut newer = event_json("e2");
        newer["added_in_v2"] = json!({"x": 1});
        newer["pod"] = json!("spoofed");
        newer["category"] = Value::Null;
        let usage = json!({"kind": "usage", "client_id": "0123456789abcdef0123456789abcdef",
            "route_id": "0123456789abcdef", "time_ms": 5, "tokens": 30, "tokens_per_minute": 100});
        let posted =
            parse_batch(&batch(vec![event_json("e1"), usage, newer]), "pod-a").expect("valid");
        assert_eq!(posted.usage.len(), 1);
        assert_eq!(posted.usage[0].tokens, 30);
        let events = posted.events;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].verdict, Verdict::Block);
        assert_eq!(events[0].detections[0].end, 42);
        assert_eq!(events[1].category, None);
        assert!(events.iter().all(|e| e.pod == "pod-a"));
    }

    #[test]
    fn refusals_name_the_first_bad_event() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("id", json!(""), "id must be"),
            ("id", json!("x".repeat(129)), "id must be"),
            ("id", json!(7), "invalid type"),
            ("verdict", json!("maybe"), "unknown variant"),
            ("mode", json!("shadow"), "unknown variant"),
            ("risk", json!(1.5), "risk"),
            ("time_ms", json!(1.5), "invalid type"),
            ("time_ms", json!(-1), "out of range"),
            ("client_id", json!("not-hex"), "client_id"),
            ("text_sha256", json!("ab"), "text_sha256"),
            ("latency_us", json!(-3), "negative"),
            ("path", json!("/a\u{0}b"), "NUL"),
            ("detections", json!([{"engine": "x"}]), "missing field"),
            (
                "detections",
                json!(vec![event_json("x")["detections"][0].clone(); 33]),
                "at most 32",
            ),
        ];
        for (field, value, why) in cases {
            let mut bad = event_json("bad");
            bad[field] = value;
            let body = batch(vec![event_json("ok"), bad, json!("later")]);
            let err = parse_batch(&body, "p").expect_err(field);
            assert!(err.starts_with("event 1: "), "{field}: {err}");
            assert!(err.contains(why), "{field}: {err}");
        }
        let mut missing = event_json("m");
        missing.as_object_mut().expect("object").remove("verdict");
        let err = parse_batch(&batch(vec![missing]), "p").expect_err("missing");
        assert!(err.starts_with("event 0: missing field `verdict`"), "{err}");
    }

    #[test]
    fn refuses_malformed_and_oversized_batches() {
        for body in [&b"{"[..], b"[]", br#"{"events": {}}"#, br#"{"other": []}"#] {
            assert!(parse_batch(body, "p").is_err());
        }
        let many = batch(vec![event_json("e"); MAX_EVENTS + 1]);
        let err = parse_batch(&many, "p").expect_err("too many");
        assert!(err.contains("at most 1000 events"), "{err}");
        assert_eq!(
            parse_batch(&batch(vec![event_json("e"); MAX_EVENTS]), "p").map(|p| p.len()),
            Ok(MAX_EVENTS)
        );
    }
}
