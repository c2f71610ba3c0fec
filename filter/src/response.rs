//! Local replies the filter sends instead of forwarding the request, with
//! error bodies in the OpenAI error shape so that SDK clients surface them.

use serde_json::json;

use crate::decision::VERDICT_HEADER;

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

const JSON: (&str, &str) = ("content-type", "application/json");

/// 403: the engines found something and the policy enforces.
pub fn blocked(category: &str, request_id: &str) -> LocalResponse {
    LocalResponse {
        status: 403,
        headers: &[JSON, (VERDICT_HEADER, "block")],
        retry_after_s: None,
        body: error_body(
            &format!("Request blocked by Sentinel: {category} detected"),
            "sentinel_blocked",
            category,
            request_id,
        ),
    }
}

/// 403 for a client the shared state has quarantined (after repeated
/// attacks, on any pod): the same shape as a block, code `quarantined`.
pub fn quarantined(until_ms: u64, request_id: &str) -> LocalResponse {
    LocalResponse {
        status: 403,
        headers: &[JSON, (VERDICT_HEADER, "block")],
        retry_after_s: None,
        body: error_body(
            &format!(
                "Request blocked by Sentinel: this client is quarantined after repeated \
                 attacks (until {until_ms} ms since the Unix epoch)"
            ),
            "sentinel_blocked",
            "quarantined",
            request_id,
        ),
    }
}

/// 429 for a client over the policy's rate limit on this route (counted
/// over every pod): retry after the given seconds.
pub fn rate_limited(retry_after_s: u64, request_id: &str) -> LocalResponse {
    LocalResponse {
        status: 429,
        headers: &[JSON],
        retry_after_s: Some(retry_after_s),
        body: error_body(
            &format!("Rate limit exceeded for this client and route; retry in {retry_after_s} s"),
            "sentinel_rate_limited",
            "rate_limited",
            request_id,
        ),
    }
}

/// 413: the body is larger than the policy lets the filter buffer.
pub fn too_large(max_body_bytes: usize, request_id: &str) -> LocalResponse {
    LocalResponse {
        status: 413,
        headers: &[JSON],
        retry_after_s: None,
        body: error_body(
            &format!("request body exceeds max_body_bytes ({max_body_bytes} bytes)"),
            "sentinel_request_too_large",
            "body_too_large",
            request_id,
        ),
    }
}

/// 503: the filter has no valid policy, so it refuses rather than pass
/// traffic unjudged.
pub fn unavailable(request_id: &str) -> LocalResponse {
    LocalResponse {
        status: 503,
        headers: &[JSON],
        retry_after_s: None,
        body: error_body(
            "Sentinel filter is not configured",
            "sentinel_unavailable",
            "not_configured",
            request_id,
        ),
    }
}

fn error_body(message: &str, kind: &str, code: &str, request_id: &str) -> Vec<u8> {
    openai_error(message, kind, code, request_id)
        .to_string()
        .into_bytes()
}

/// The OpenAI error object, which the filter's own replies and refused
/// answers of OpenAI-shaped (or unknown) APIs carry.
pub fn openai_error(message: &str, kind: &str, code: &str, request_id: &str) -> serde_json::Value {
    json!({
        "error": {
            "message": message,
            "type": kind,
            "code": code,
            "request_id": request_id,
        }
    })
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
    use serde_json::Value;

    fn body_json(response: &LocalResponse) -> Value {
        serde_json::from_slice(&response.body).expect("body is valid JSON")
    }

    #[test]
    fn blocked_body_names_the_category_and_request_id() {
        let r = blocked("prompt_injection", "req-1");
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
        let r = too_large(1_048_576, "req-2");
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
        let r = quarantined(1_700_000_000_000, "req-4");
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
        let r = rate_limited(7, "req-5");
        assert_eq!((r.status, r.retry_after_s), (429, Some(7)));
        let error = &body_json(&r)["error"];
        assert_eq!(error["code"], "rate_limited");
        assert_eq!(error["request_id"], "req-5");
    }

    #[test]
    fn unavailable_is_json() {
        let r = unavailable("req-3");
        assert_eq!(r.status, 503);
        assert_eq!(body_json(&r)["error"]["type"], "sentinel_unavailable");
    }

    #[test]
    fn hostile_request_ids_stay_valid_json() {
        let id = request_id_from_header(b"\"}],\xff\n<script>");
        assert_eq!(id, "\"}],\u{fffd}\n<script>");
        let r = blocked("pii", &id);
        assert_eq!(body_json(&r)["error"]["request_id"], id.as_str());
    }

    #[test]
    fn long_request_ids_are_cut() {
        let id = request_id_from_header("é".repeat(500).as_bytes());
        assert_eq!(id.chars().count(), MAX_REQUEST_ID_CHARS);
    }
}
