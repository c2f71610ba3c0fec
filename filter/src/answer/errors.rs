//! Error answers in each API's own shape, for when the filter refuses to
//! deliver a model's answer: the client's SDK then raises an error it knows
//! instead of failing to parse the reply (or, mid-stream, hanging on a stream
//! that stops without its end marker).
//!
//! All bodies are built as JSON values, so any bytes of a request id stay
//! inside a JSON string (and inside one SSE `data:` line).

use serde_json::{json, Value};

use super::sse::encode;
use crate::decision::VERDICT_HEADER;
use crate::extract::Format;
use crate::response::{openai_error, LocalResponse};

const JSON: (&str, &str) = ("content-type", "application/json");

/// 403: the answer (a buffered JSON response) carried `category` and the
/// policy blocks.
pub fn blocked(format: Option<Format>, category: &str, request_id: &str) -> LocalResponse {
    let refusal = Refusal::new(Kind::Blocked, category, request_id);
    LocalResponse {
        status: Kind::Blocked.status(),
        headers: &[JSON, (VERDICT_HEADER, "block")],
        retry_after_s: None,
        body: refusal.body(format),
    }
}

/// 502: the answer could not be scanned (`reason`, e.g. `compressed`) and
/// the policy does not pass unscanned answers.
pub fn unscanned(format: Option<Format>, reason: &str, request_id: &str) -> LocalResponse {
    let refusal = Refusal::new(Kind::Unscanned, reason, request_id);
    LocalResponse {
        status: Kind::Unscanned.status(),
        headers: &[JSON],
        retry_after_s: None,
        body: refusal.body(format),
    }
}

/// The last SSE bytes of a stream cut because its answer carried
/// `category`: an error event in the API's stream shape (then `[DONE]` for
/// OpenAI chat / completions and unknown formats).
pub fn stream_blocked(format: Option<Format>, category: &str, request_id: &str) -> Vec<u8> {
    Refusal::new(Kind::Blocked, category, request_id).stream(format)
}

/// The last SSE bytes of a stream cut because its answer could not be
/// scanned (`reason`).
pub fn stream_unscanned(format: Option<Format>, reason: &str, request_id: &str) -> Vec<u8> {
    Refusal::new(Kind::Unscanned, reason, request_id).stream(format)
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Blocked,
    Unscanned,
}

impl Kind {
    fn status(self) -> u32 {
        match self {
            Kind::Blocked => 403,
            Kind::Unscanned => 502,
        }
    }

    /// The error `type` clients can match on.
    fn error_type(self) -> &'static str {
        match self {
            Kind::Blocked => "sentinel_blocked",
            Kind::Unscanned => "sentinel_unscanned",
        }
    }

    /// The google.rpc status matching the HTTP status, as Gemini reports it.
    fn gemini_status(self) -> &'static str {
        match self {
            Kind::Blocked => "PERMISSION_DENIED",
            Kind::Unscanned => "UNAVAILABLE",
        }
    }

    fn message(self, code: &str) -> String {
        match self {
            Kind::Blocked => {
                format!("Response blocked by Sentinel: {code} detected in the model's answer")
            }
            Kind::Unscanned => {
                format!("Response withheld by Sentinel: the answer could not be scanned ({code})")
            }
        }
    }
}

/// One refusal: what happened, its code (category or reason), whose request.
struct Refusal<'a> {
    kind: Kind,
    code: &'a str,
    message: String,
    request_id: &'a str,
}

impl<'a> Refusal<'a> {
    fn new(kind: Kind, code: &'a str, request_id: &'a str) -> Refusal<'a> {
        Refusal {
            kind,
            code,
            message: kind.message(code),
            request_id,
        }
    }

    /// The response body; unknown formats get OpenAI's shape, the one most
    /// clients and gateways understand.
    fn body(&self, format: Option<Format>) -> Vec<u8> {
        let value = match format {
            Some(Format::Anthropic) => self.anthropic(),
            Some(Format::Gemini) => self.gemini(),
            Some(Format::OpenAiChat | Format::OpenAiCompletions | Format::OpenAiResponses)
            | None => self.openai(),
        };
        value.to_string().into_bytes()
    }

    fn stream(&self, format: Option<Format>) -> Vec<u8> {
        match format {
            Some(Format::OpenAiChat | Format::OpenAiCompletions) | None => {
                let mut out = event(None, &self.openai());
                out.extend_from_slice(&encode(None, "[DONE]"));
                out
            }
            Some(Format::OpenAiResponses) => event(Some("error"), &self.openai_responses()),
            Some(Format::Anthropic) => event(Some("error"), &self.anthropic()),
            Some(Format::Gemini) => event(None, &self.gemini()),
        }
    }

    fn openai(&self) -> Value {
        openai_error(
            &self.message,
            self.kind.error_type(),
            self.code,
            self.request_id,
        )
    }

    /// The Responses API's stream `error` event.
    fn openai_responses(&self) -> Value {
        json!({
            "type": "error",
            "code": self.code,
            "message": self.message,
            "param": null,
            "request_id": self.request_id,
        })
    }

    fn anthropic(&self) -> Value {
        json!({
            "type": "error",
            "error": {
                "type": self.kind.error_type(),
                "message": self.message,
                "code": self.code,
            },
            "request_id": self.request_id,
        })
    }

    fn gemini(&self) -> Value {
        json!({
            "error": {
                "code": self.kind.status(),
                "message": self.message,
                "status": self.kind.gemini_status(),
                "details": [{
                    "reason": self.code,
                    "type": self.kind.error_type(),
                    "request_id": self.request_id,
                }],
            }
        })
    }
}

/// One SSE event carrying `value` as compact JSON: a single line, since
/// serde_json escapes every control character inside strings.
fn event(name: Option<&str>, value: &Value) -> Vec<u8> {
    encode(name, &value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::sse::{Event, Parser};

    const FORMATS: [Option<Format>; 6] = [
        None,
        Some(Format::OpenAiChat),
        Some(Format::OpenAiCompletions),
        Some(Format::OpenAiResponses),
        Some(Format::Anthropic),
        Some(Format::Gemini),
    ];

    const HOSTILE_ID: &str = "id\"}\r\n\ndata: [DONE]\r\r\u{2028}\\";

    fn body_json(response: &LocalResponse) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    fn events(stream: &[u8]) -> Vec<Event> {
        let mut parser = Parser::new(1 << 20);
        let mut events = Vec::new();
        parser.push(stream, &mut events).unwrap();
        assert_eq!(parser.finish(), None, "stream ends with a blank line");
        events
    }

    fn data_json(event: &Event) -> Value {
        serde_json::from_str(event.data.as_deref().unwrap()).unwrap()
    }

    /// (type, code, message, request id) wherever the format puts them.
    fn fields(format: Option<Format>, v: &Value) -> [Value; 4] {
        match format {
            Some(Format::Anthropic) => [
                v["error"]["type"].clone(),
                v["error"]["code"].clone(),
                v["error"]["message"].clone(),
                v["request_id"].clone(),
            ],
            Some(Format::Gemini) => [
                v["error"]["details"][0]["type"].clone(),
                v["error"]["details"][0]["reason"].clone(),
                v["error"]["message"].clone(),
                v["error"]["details"][0]["request_id"].clone(),
            ],
            _ => [
                v["error"]["type"].clone(),
                v["error"]["code"].clone(),
                v["error"]["message"].clone(),
                v["error"]["request_id"].clone(),
            ],
        }
    }

    #[test]
    fn blocked_bodies_in_every_shape() {
        let message = "Response blocked by Sentinel: aws_access_key detected in the model's answer";
        for format in FORMATS {
            let r = blocked(format, "aws_access_key", "req-1");
            assert_eq!((r.status, r.retry_after_s), (403, None));
            assert_eq!(
                r.headers,
                &[
                    ("content-type", "application/json"),
                    ("x-sentinel-verdict", "block")
                ]
            );
            let v = body_json(&r);
            assert_eq!(
                fields(format, &v),
                [
                    json!("sentinel_blocked"),
                    json!("aws_access_key"),
                    json!(message),
                    json!("req-1")
                ],
                "{format:?}"
            );
        }
    }

    #[test]
    fn unscanned_bodies_in_every_shape() {
        let message = "Response withheld by Sentinel: the answer could not be scanned (compressed)";
        for format in FORMATS {
            let r = unscanned(format, "compressed", "req-2");
            assert_eq!((r.status, r.retry_after_s), (502, None));
            assert_eq!(r.headers, &[("content-type", "application/json")]);
            let v = body_json(&r);
            assert_eq!(
                fields(format, &v),
                [
                    json!("sentinel_unscanned"),
                    json!("compressed"),
                    json!(message),
                    json!("req-2")
                ],
                "{format:?}"
            );
        }
    }

    #[test]
    fn format_specific_parts() {
        let anthropic = body_json(&blocked(Some(Format::Anthropic), "email", "r"));
        assert_eq!(anthropic["type"], "error");
        let gemini = body_json(&blocked(Some(Format::Gemini), "email", "r"));
        assert_eq!(gemini["error"]["code"], 403);
        assert_eq!(gemini["error"]["status"], "PERMISSION_DENIED");
        let gemini = body_json(&unscanned(Some(Format::Gemini), "too_large", "r"));
        assert_eq!(gemini["error"]["code"], 502);
        assert_eq!(gemini["error"]["status"], "UNAVAILABLE");
    }

    #[test]
    fn openai_body_matches_the_request_side_shape() {
        let v = body_json(&blocked(None, "email", "r"));
        assert_eq!(v.as_object().unwrap().len(), 1);
        assert_eq!(v["error"].as_object().unwrap().len(), 4);
    }

    #[test]
    fn stream_shapes() {
        for format in FORMATS {
            for (stream, kind) in [
                (stream_blocked(format, "email", "req-3"), "sentinel_blocked"),
                (
                    stream_unscanned(format, "too_large", "req-3"),
                    "sentinel_unscanned",
                ),
            ] {
                assert!(stream.ends_with(b"\n\n"), "{format:?}");
                let events = events(&stream);
                let error = data_json(&events[0]);
                match format {
                    Some(Format::OpenAiResponses) => {
                        assert_eq!(events.len(), 1);
                        assert_eq!(events[0].name.as_deref(), Some("error"));
                        assert_eq!(error["type"], "error");
                        assert!(error["param"].is_null());
                        assert!(error["code"] == "email" || error["code"] == "too_large");
                        assert_eq!(error["request_id"], "req-3");
                    }
                    Some(Format::Anthropic) => {
                        assert_eq!(events.len(), 1);
                        assert_eq!(events[0].name.as_deref(), Some("error"));
                        assert_eq!(fields(format, &error)[0], kind);
                        assert_eq!(fields(format, &error)[3], "req-3");
                    }
                    Some(Format::Gemini) => {
                        assert_eq!(events.len(), 1);
                        assert_eq!(events[0].name, None);
                        assert_eq!(fields(format, &error)[0], kind);
                    }
                    _ => {
                        assert_eq!(events.len(), 2);
                        assert_eq!(events[0].name, None);
                        assert_eq!(fields(format, &error)[0], kind);
                        assert_eq!(events[1].raw, b"data: [DONE]\n\n");
                    }
                }
            }
        }
    }

    #[test]
    fn stream_bodies_equal_buffered_bodies() {
        for format in [None, Some(Format::Anthropic), Some(Format::Gemini)] {
            let events = events(&stream_blocked(format, "email", "r"));
            assert_eq!(
                data_json(&events[0]),
                body_json(&blocked(format, "email", "r"))
            );
        }
    }

    #[test]
    fn hostile_request_ids_stay_in_one_data_line() {
        for format in FORMATS {
            for stream in [
                stream_blocked(format, "a\"\nb", HOSTILE_ID),
                stream_unscanned(format, "r\r", HOSTILE_ID),
            ] {
                let events = events(&stream);
                let first = &events[0];
                let lines = first
                    .raw
                    .split(|&b| b == b'\n')
                    .filter(|l| l.starts_with(b"data:"));
                assert_eq!(lines.count(), 1, "{format:?}");
                assert!(!first.raw.contains(&b'\r'));
                let error = data_json(first);
                let id = match format {
                    Some(Format::OpenAiResponses) => error["request_id"].clone(),
                    _ => fields(format, &error)[3].clone(),
                };
                assert_eq!(id, HOSTILE_ID, "{format:?}");
                let done = events
                    .iter()
                    .filter(|e| e.data.as_deref() == Some("[DONE]"));
                let expected = usize::from(matches!(
                    format,
                    None | Some(Format::OpenAiChat | Format::OpenAiCompletions)
                ));
                assert_eq!(done.count(), expected, "{format:?}");
            }
            let v = body_json(&blocked(format, "x", HOSTILE_ID));
            assert_eq!(fields(format, &v)[3], HOSTILE_ID);
        }
    }
}
