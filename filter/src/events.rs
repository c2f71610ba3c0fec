//! Decision events (`docs/events.md`): one per decision, without raw text.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use sentinel_engines::{Detection, Verdict};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::client::route_id;
use crate::decision::{clamp_risk, Outcome};
use crate::policy::{QuarantineRule, RateLimit};

/// Detections an event carries at most; the surest are kept.
pub const MAX_DETECTIONS: usize = 32;
/// Longest `method`, `authority` and `path` kept, in bytes: they come from
/// the client and only need to name the route.
const MAX_METHOD_BYTES: usize = 16;
const MAX_AUTHORITY_BYTES: usize = 256;
const MAX_PATH_BYTES: usize = 1024;

/// What the request headers said, kept until the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub client_id: String,
    pub method: String,
    pub authority: String,
    /// Without the query string, which may hold keys.
    pub path: String,
    /// Names authority and path together (see [`route_id`]).
    pub route_id: String,
}

impl Request {
    pub fn new(client_id: String, method: &[u8], authority: &[u8], path: &[u8]) -> Request {
        let path = path.split(|&b| b == b'?').next().unwrap_or_default();
        let authority = bounded(authority, MAX_AUTHORITY_BYTES);
        let path = bounded(path, MAX_PATH_BYTES);
        Request {
            client_id,
            method: bounded(method, MAX_METHOD_BYTES),
            route_id: route_id(&authority, &path),
            authority,
            path,
        }
    }
}

/// What the filter concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision<'a> {
    /// `request`, or `response` for the model's answer.
    stage: &'static str,
    verdict: &'static str,
    category: Option<&'a str>,
    risk: f32,
    detections: Vec<EventDetection<'a>>,
}

impl<'a> Decision<'a> {
    pub fn judged(outcome: &'a Outcome, verdict: &'a Verdict) -> Decision<'a> {
        let (name, category) = match outcome {
            Outcome::Allow => ("allow", None),
            Outcome::Block { category } => ("block", Some(category.as_ref())),
            Outcome::Monitor { category } => ("monitor", Some(category.as_ref())),
        };
        Decision {
            stage: "request",
            verdict: name,
            category,
            risk: clamp_risk(verdict.risk_score),
            detections: surest(&verdict.detections),
        }
    }

    /// The model's answer, judged: what was found in it and what became of
    /// it (`redact`, `block`, `monitor`), or that it could not be judged
    /// (`unscanned` when passed; `block` with the reason as category when
    /// refused). Spans are offsets into the string (JSON) or the channel's
    /// joined text (stream) they came from.
    pub fn answered(
        verdict: &'static str,
        category: Option<&'a str>,
        found: &'a Verdict,
    ) -> Decision<'a> {
        Decision {
            stage: "response",
            verdict,
            category,
            risk: clamp_risk(found.risk_score),
            detections: surest(&found.detections),
        }
    }

    pub fn is_response(&self) -> bool {
        self.stage == "response"
    }

    /// Whether the decision is a block of a request (or would be, in
    /// monitor mode): what counts toward a quarantine. What the model said
    /// is not the client's attack.
    pub fn counts_as_block(&self) -> bool {
        self.stage == "request" && matches!(self.verdict, "block" | "monitor")
    }

    /// A quarantined client's request, refused unscanned: not a new
    /// attack, so it does not extend the quarantine.
    pub fn quarantined() -> Decision<'static> {
        Decision {
            stage: "request",
            verdict: "quarantined",
            category: Some("quarantined"),
            risk: 0.0,
            detections: Vec::new(),
        }
    }

    /// A request over the client's rate limit, refused with 429 unscanned
    /// (not counted against the limit again).
    pub fn rate_limited() -> Decision<'static> {
        Decision {
            stage: "request",
            verdict: "rate_limited",
            category: Some("rate_limited"),
            risk: 0.0,
            detections: Vec::new(),
        }
    }

    /// A body over `max_body_bytes`, refused with 413 unscanned.
    pub fn too_large() -> Decision<'static> {
        Decision {
            stage: "request",
            verdict: "too_large",
            category: None,
            risk: 0.0,
            detections: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct EventDetection<'a> {
    engine: &'static str,
    category: &'a str,
    rule: &'a str,
    confidence: f32,
    start: usize,
    end: usize,
}

/// One event, version 1 of the format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event<'a> {
    pub id: String,
    pub request_id: &'a str,
    pub time_ms: u64,
    #[serde(flatten)]
    pub request: &'a Request,
    #[serde(flatten)]
    pub decision: Decision<'a>,
    pub mode: &'static str,
    pub text_sha256: &'a str,
    pub latency_us: u64,
    /// The policy's rate limit, for the sidecars that count requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// The policy's quarantine rule, on blocks only (absent: blocks do not
    /// count toward a quarantine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<QuarantineRule>,
}

/// Tokens a response used (its `usage`), reported after the decision's
/// event for the tokens-per-minute limit: it goes in the same batches,
/// marked `"kind": "usage"`, and only counts; it is not an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage<'a> {
    kind: &'static str,
    pub client_id: &'a str,
    pub route_id: &'a str,
    pub time_ms: u64,
    pub tokens: u64,
    pub tokens_per_minute: u32,
}

impl<'a> Usage<'a> {
    pub fn new(request: &'a Request, time_ms: u64, tokens: u64, tokens_per_minute: u32) -> Self {
        Usage {
            kind: "usage",
            client_id: &request.client_id,
            route_id: &request.route_id,
            time_ms,
            tokens,
            tokens_per_minute,
        }
    }
}

/// Event ids: a 128-bit per-VM seed plus a counter, as 32 hex chars.
/// Consecutive ids of one VM never collide; ids of two VMs collide only if
/// their seeds land within a counter's reach of each other (about 2^-64
/// for 2^32 events each).
#[derive(Debug)]
pub struct EventIds {
    seed: u128,
    issued: Cell<u64>,
}

impl EventIds {
    /// Hashes whatever entropy the VM has (random bytes when the host gives
    /// them, the time, context ids) into the seed.
    pub fn new(entropy: &[u8]) -> EventIds {
        let digest = Sha256::new()
            .chain_update(b"sentinel-event-id\0")
            .chain_update(entropy)
            .finalize();
        let mut seed = [0u8; 16];
        seed.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        EventIds {
            seed: u128::from_be_bytes(seed),
            issued: Cell::new(0),
        }
    }

    pub fn next(&self) -> String {
        let n = self.issued.get();
        self.issued.set(n.wrapping_add(1));
        format!("{:032x}", self.seed.wrapping_add(u128::from(n)))
    }
}

pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Microseconds from `start` to `end`; 0 if the clock went back.
pub fn micros_between(start: SystemTime, end: SystemTime) -> u64 {
    end.duration_since(start)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// At most [`MAX_DETECTIONS`], the surest first picked, in verdict order.
fn surest(detections: &[Detection]) -> Vec<EventDetection<'_>> {
    let mut picked: Vec<&Detection> = detections.iter().collect();
    if picked.len() > MAX_DETECTIONS {
        let mut order: Vec<usize> = (0..detections.len()).collect();
        order.sort_by(|&a, &b| {
            let confidence = |i: usize| detections.get(i).map_or(0.0, |d| d.confidence);
            confidence(b).total_cmp(&confidence(a))
        });
        order.truncate(MAX_DETECTIONS);
        order.sort_unstable();
        picked = order.iter().filter_map(|&i| detections.get(i)).collect();
    }
    picked
        .into_iter()
        .map(|d| EventDetection {
            engine: d.engine.name(),
            category: d.category.as_ref(),
            rule: d.rule.as_ref(),
            confidence: clamp_risk(d.confidence),
            start: d.span.start,
            end: d.span.end,
        })
        .collect()
}

/// Lossy UTF-8, cut to at most `max` bytes on a char boundary.
fn bounded(bytes: &[u8], max: usize) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Mode;
    use sentinel_engines::{Engine, Span};
    use serde_json::{json, Value};
    use std::time::Duration;

    fn detection(rule: &'static str, confidence: f32, start: usize) -> Detection {
        Detection {
            engine: Engine::Injection,
            category: "prompt_injection".into(),
            rule: rule.into(),
            confidence,
            span: Span {
                start,
                end: start + 4,
            },
        }
    }

    fn request() -> Request {
        Request::new(
            "0123456789abcdef0123456789abcdef".into(),
            b"POST",
            b"api.example.com",
            b"/v1/chat/completions?key=secret&x=1",
        )
    }

    fn to_json(event: &impl Serialize) -> Value {
        serde_json::from_str(&serde_json::to_string(event).unwrap()).unwrap()
    }

    #[test]
    fn a_response_event_names_its_stage_and_never_counts_as_an_attack() {
        let found = Verdict::from_detections(vec![detection("secrets.aws_access_key_id", 0.9, 3)]);
        let decision = Decision::answered("redact", Some("aws_access_key"), &found);
        assert!(decision.is_response());
        assert!(!decision.counts_as_block());
        assert!(!Decision::answered("block", Some("email"), &found).counts_as_block());
        let value = to_json(&decision);
        assert_eq!(value["stage"], "response");
        assert_eq!(value["verdict"], "redact");
        assert_eq!(value["detections"][0]["rule"], "secrets.aws_access_key_id");
    }

    #[test]
    fn block_event_has_every_field() {
        let verdict = Verdict {
            risk_score: 0.93,
            detections: vec![detection("injection.ignore_previous", 0.93, 0)],
        };
        let outcome = Outcome::Block {
            category: "prompt_injection".into(),
        };
        let request = request();
        let event = Event {
            id: "a".repeat(32),
            request_id: "req-1",
            time_ms: 1_790_000_000_123,
            request: &request,
            decision: Decision::judged(&outcome, &verdict),
            mode: Mode::Enforce.as_str(),
            text_sha256: &"0".repeat(64),
            latency_us: 420,
            rate_limit: Some(RateLimit {
                requests_per_minute: Some(60),
                tokens_per_minute: None,
            }),
            quarantine: Some(QuarantineRule::default()),
        };
        assert_eq!(
            to_json(&event),
            json!({
                "id": "a".repeat(32),
                "request_id": "req-1",
                "time_ms": 1_790_000_000_123u64,
                "client_id": "0123456789abcdef0123456789abcdef",
                "method": "POST",
                "authority": "api.example.com",
                "path": "/v1/chat/completions",
                "stage": "request",
                "verdict": "block",
                "category": "prompt_injection",
                "risk": 0.93,
                "mode": "enforce",
                "detections": [{
                    "engine": "injection",
                    "category": "prompt_injection",
                    "rule": "injection.ignore_previous",
                    "confidence": 0.93,
                    "start": 0,
                    "end": 4,
                }],
                "text_sha256": "0".repeat(64),
                "latency_us": 420,
                "route_id": route_id("api.example.com", "/v1/chat/completions"),
                "rate_limit": {"requests_per_minute": 60},
                "quarantine": {"blocks": 5, "window_ms": 300_000, "duration_ms": 900_000},
            })
        );
    }

    #[test]
    fn usage_is_marked_as_such() {
        let request = request();
        let usage = Usage::new(&request, 7, 15, 1000);
        assert_eq!(
            to_json(&usage),
            json!({"kind": "usage", "client_id": request.client_id, "route_id": request.route_id,
                "time_ms": 7, "tokens": 15, "tokens_per_minute": 1000})
        );
    }

    #[test]
    fn verdict_names() {
        let verdict = Verdict::default();
        let monitor = Outcome::Monitor {
            category: "pii".into(),
        };
        let d = Decision::judged(&monitor, &verdict);
        assert_eq!((d.verdict, d.category), ("monitor", Some("pii")));
        let d = Decision::judged(&Outcome::Allow, &verdict);
        assert_eq!((d.verdict, d.category, d.risk), ("allow", None, 0.0));
        assert!(d.detections.is_empty());
        let d = Decision::too_large();
        assert_eq!((d.verdict, d.category), ("too_large", None));
    }

    #[test]
    fn risk_and_confidence_stay_numbers_in_range() {
        let verdict = Verdict {
            risk_score: f32::NAN,
            detections: vec![detection("r", 1.5, 0)],
        };
        let d = Decision::judged(&Outcome::Allow, &verdict);
        assert_eq!(d.risk, 1.0);
        assert_eq!(d.detections[0].confidence, 1.0);
    }

    #[test]
    fn detections_are_capped_to_the_surest() {
        let detections: Vec<Detection> = (0..40)
            .map(|i| detection("r", if i % 5 == 0 { 0.9 } else { 0.1 }, i))
            .collect();
        let verdict = Verdict {
            risk_score: 0.9,
            detections,
        };
        let d = Decision::judged(&Outcome::Allow, &verdict);
        assert_eq!(d.detections.len(), MAX_DETECTIONS);
        let starts: Vec<usize> = d.detections.iter().map(|d| d.start).collect();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        assert_eq!(starts, sorted, "verdict order kept");
        for sure in (0..40).step_by(5) {
            assert!(starts.contains(&sure), "{sure} kept");
        }
    }

    #[test]
    fn request_fields_are_bounded() {
        let r = Request::new(
            String::new(),
            &b"X".repeat(100),
            "é".repeat(200).as_bytes(),
            format!("/{}?q", "p".repeat(5000)).as_bytes(),
        );
        assert_eq!(r.method.len(), MAX_METHOD_BYTES);
        assert_eq!(r.authority, "é".repeat(128));
        assert_eq!(r.path.len(), MAX_PATH_BYTES);
        let r = Request::new(String::new(), b"GET", b"h", b"\xff/a?b?c");
        assert_eq!(r.path, "\u{fffd}/a");
        assert_eq!(Request::new(String::new(), b"", b"", b"").path, "");
    }

    #[test]
    fn ids_are_32_hex_chars_and_distinct() {
        let ids = EventIds::new(b"seed one");
        let a = ids.next();
        let b = ids.next();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_ne!(EventIds::new(b"seed two").next(), a);
        assert_eq!(EventIds::new(b"seed one").next(), a, "seeded, not random");
        let wraps = EventIds {
            seed: u128::MAX,
            issued: Cell::new(0),
        };
        assert_eq!(wraps.next(), "f".repeat(32));
        assert_eq!(wraps.next(), "0".repeat(32));
    }

    #[test]
    fn times() {
        let t = UNIX_EPOCH + Duration::from_micros(1_790_000_000_123_456);
        assert_eq!(unix_ms(t), 1_790_000_000_123);
        assert_eq!(micros_between(t, t + Duration::from_micros(250)), 250);
        assert_eq!(micros_between(t, t - Duration::from_secs(1)), 0);
    }
}
