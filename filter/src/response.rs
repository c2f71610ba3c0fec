//! Local replies the filter sends instead of forwarding the request, with
//! error bodies in the shape of the API the client speaks
//! ([`crate::refusal`]), so that SDK clients surface them.

use crate::decision::VERDICT_HEADER;
use crate::extract::Format;
use crate::refusal::Refusal;

/// Longest request id echoed back; the header comes from the client side.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    pub status: u32,
    pub headers: &'static [(&'static str, &'static str)],
    /// Seconds for a `retry-after` header (rate limits).
    pub retry_after_s: Option<u64>,
    pub body: Vec<u8>,
}

pub const JSON: (&str, &str) = ("content-type", "application/json");

/// Whose request is refused, and in which API's shape to say so.
#[derive(Debug, Clone, Copy)]
pub struct To<'a> {
    pub format: Option<Format>,
    pub request_id: &'a str,
}

/// 403: the engines found something and the policy enforces.
pub fn blocked(category: &str, to: To) -> LocalResponse {
    let message = format!("Request blocked by Sentinel: {category} detected");
    let refusal = to.refusal(403, "sentinel_blocked", category, message);
    reply(refusal, to.format, &[JSON, (VERDICT_HEADER, "block")], None)
}

/// 403 for a client the shared state has quarantined (after repeated
/// attacks, on any pod): the same shape as a block, code `quarantined`.
pub fn quarantined(until_ms: u64, to: To) -> LocalResponse {
    let message = format!(
        "Request blocked by Sentinel: this client is quarantined after repeated \
         attacks (until {until_ms} ms since the Unix epoch)"
    );
    let refusal = to.refusal(403, "sentinel_blocked", "quarantined", message);
    reply(refusal, to.format, &[JSON, (VERDICT_HEADER, "block")], None)
}

/// 429 for a client over the policy's rate limit on this route (counted
/// over every pod): retry after the given seconds.
pub fn rate_limited(retry_after_s: u64, to: To) -> LocalResponse {
    let message =
        format!("Rate limit exceeded for this client and route; retry in {retry_after_s} s");
    let refusal = to.refusal(429, "sentinel_rate_limited", "rate_limited", message);
    reply(refusal, to.format, &[JSON], Some(retry_after_s))
}

/// 413: the body is larger than the policy lets the filter buffer.
pub fn too_large(max_body_bytes: usize, to: To) -> LocalResponse {
    let message = format!("request body exceeds max_body_bytes ({max_body_bytes} bytes)");
    let refusal = to.refusal(413, "sentinel_request_too_large", "body_too_large", message);
    reply(refusal, to.format, &[JSON], None)
}

/// 503: the filter has no valid policy, so it refuses rather than pass
/// traffic unjudged.
pub fn unavailable(to: To) -> LocalResponse {
    let message = "Sentinel filter is not configured".to_string();
    let refusal = to.refusal(503, "sentinel_unavailable", "not_configured", message);
    reply(refusal, to.format, &[JSON], None)
}

impl<'a> To<'a> {
    fn refusal(
        self,
        status: u32,
        error_type: &'static str,
        code: &'a str,
        message: String,
    ) -> Refusal<'a> {
        Refusal {
            status,
            error_type,
            code,
            message,
            request_id: self.request_id,
        }
    }
}

/// The local reply that carries `refusal`, in `format`'s shape.
pub fn reply(
    refusal: Refusal,
    format: Option<Format>,
    headers: &'static [(&'static str, &'static str)],
    retry_after_s: Option<u64>,
) -> LocalResponse {
    LocalResponse {
        status: refusal.status,
        headers,
        retry_after_s,
        body: refusal.body(format),
    }
}

/// The request id to echo from an `x-request-id` header value: any bytes
/// are accepted (lossily), bounded in length; JSON escaping happens later.
pub fn request_id_from_header(value: &[u8]) -> String {
    String::from_utf8_lossy(value)
        .chars()
        .take(MAX_REQUEST_ID_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A client of an unknown API: OpenAI's shape.
    fn plain(request_id: &str) -> To<'_> {
        To {
            format: None,
            request_id,
        }
    }

    fn body_json(response: &LocalResponse) -> Value {
        serde_json::from_slice(&response.body).expect("body is valid JSON")
    }

    #[test]
    fn blocked_body_names_the_category_and_request_id() {
        let r = blocked("prompt_injection", plain("req-1"));
        assert_eq!(r.status, 403);
        assert_eq!(
            r.headers,
            &[
                ("content-type", "application/json"),
                ("x-sentinel-verdict", "block")
            ]
        );
        assert_eq!(
            body_json(&r),
            json!({"error": {
                "message": "Request blocked by Sentinel: prompt_injection detected",
                "type": "sentinel_blocked",
                "code": "prompt_injection",
                "request_id": "req-1",
            }})
        );
    }

    #[test]
    fn too_large_body_names_the_limit() {
        let r = too_large(1_048_576, plain("req-2"));
        assert_eq!(r.status, 413);
        assert_eq!(r.headers, &[("content-type", "application/json")]);
        assert_eq!(
            body_json(&r),
            json!({"error": {
                "message": "request body exceeds max_body_bytes (1048576 bytes)",
                "type": "sentinel_request_too_large",
                "code": "body_too_large",
                "request_id": "req-2",
            }})
        );
    }

    #[test]
    fn quarantined_is_a_block_with_its_own_code() {
        let r = quarantined(1_700_000_000_000, plain("req-4"));
        assert_eq!(r.status, 403);
        let error = &body_json(&r)["error"];
        assert_eq!(error["type"], "sentinel_blocked");
        assert_eq!(error["code"], "quarantined");
        assert_eq!(error["request_id"], "req-4");
        assert!(error["message"]
            .as_str()
            .is_some_and(|m| m.contains("1700000000000")));
    }

    #[test]
    fn rate_limited_says_when_to_retry() {
        let r = rate_limited(7, plain("req-5"));
        assert_eq!((r.status, r.retry_after_s), (429, Some(7)));
        let error = &body_json(&r)["error"];
        assert_eq!(error["code"], "rate_limited");
        assert_eq!(error["request_id"], "req-5");
    }

    #[test]
    fn unavailable_is_json() {
        let r = unavailable(plain("req-3"));
        assert_eq!(r.status, 503);
        assert_eq!(body_json(&r)["error"]["type"], "sentinel_unavailable");
    }

    #[test]
    fn refusals_speak_the_clients_api() {
        let anthropic = To {
            format: Some(Format::Anthropic),
            request_id: "req-6",
        };
        let v = body_json(&blocked("prompt_injection", anthropic));
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "sentinel_blocked");
        assert_eq!(v["error"]["code"], "prompt_injection");
        assert_eq!(v["request_id"], "req-6");
        let gemini = To {
            format: Some(Format::Gemini),
            request_id: "req-7",
        };
        let r = rate_limited(3, gemini);
        assert_eq!((r.status, r.retry_after_s), (429, Some(3)));
        let v = body_json(&r);
        assert_eq!(v["error"]["code"], 429);
        assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
        assert_eq!(v["error"]["details"][0]["reason"], "rate_limited");
        let v = body_json(&too_large(10, gemini));
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
    }

    #[test]
    fn hostile_request_ids_stay_valid_json() {
        let id = request_id_from_header(b"\"}],\xff\n<script>");
        assert_eq!(id, "\"}],\u{fffd}\n<script>");
        let r = blocked("pii", plain(&id));
        assert_eq!(body_json(&r)["error"]["request_id"], id.as_str());
    }

    #[test]
    fn long_request_ids_are_cut() {
        let id = request_id_from_header("é".repeat(500).as_bytes());
        assert_eq!(id.chars().count(), MAX_REQUEST_ID_CHARS);
    }
}
