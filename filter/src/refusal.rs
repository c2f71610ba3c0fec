//! The error body of every refusal, request or answer, in the shape of the
//! API the client speaks (by the request's path, or its body's shape), so
//! its SDK raises an error it knows instead of failing to parse the reply
//! or, mid-stream, hanging on a stream that stops without its end marker.
//! Unknown APIs get OpenAI's shape, the one most clients and gateways
//! understand.
//!
//! All bodies are built as JSON values, so any bytes of a request id stay
//! inside a JSON string (and inside one SSE `data:` line).

use serde_json::{json, Value};

use crate::answer::sse::encode;
use crate::extract::Format;

/// One refusal: its HTTP status, the error `type` clients can match on,
/// its code (a category, or a reason), and whose request it was.
pub struct Refusal<'a> {
    pub status: u32,
    pub error_type: &'static str,
    pub code: &'a str,
    pub message: String,
    pub request_id: &'a str,
}

impl Refusal<'_> {
    /// The body of a reply that replaces the whole response.
    pub fn body(&self, format: Option<Format>) -> Vec<u8> {
        let value = match format {
            Some(Format::Anthropic) => self.anthropic(),
            Some(Format::Gemini) => self.gemini(),
            Some(Format::Ollama) => self.ollama(),
            Some(Format::OpenAiChat | Format::OpenAiCompletions | Format::OpenAiResponses)
            | None => self.openai(),
        };
        value.to_string().into_bytes()
    }

    /// The last bytes of a stream that is cut: an error event in the API's
    /// stream shape, then `[DONE]` for OpenAI chat, completions and
    /// unknown APIs, whose clients wait for it.
    pub fn stream(&self, format: Option<Format>) -> Vec<u8> {
        match format {
            Some(Format::OpenAiChat | Format::OpenAiCompletions) | None => {
                let mut out = event(None, &self.openai());
                out.extend_from_slice(&encode(None, "[DONE]"));
                out
            }
            Some(Format::OpenAiResponses) => event(Some("error"), &self.openai_responses()),
            Some(Format::Anthropic) => event(Some("error"), &self.anthropic()),
            Some(Format::Gemini) => event(None, &self.gemini()),
            // Ollama streams JSON lines, not events.
            Some(Format::Ollama) => self.line(),
        }
    }

    /// The last line of a cut NDJSON stream: Ollama's error line.
    pub fn line(&self) -> Vec<u8> {
        let mut out = self.ollama().to_string().into_bytes();
        out.push(b'\n');
        out
    }

    /// Ollama's error: the message as `error`, which its clients raise, the
    /// code beside it.
    fn ollama(&self) -> Value {
        json!({
            "error": self.message,
            "type": self.error_type,
            "code": self.code,
            "request_id": self.request_id,
        })
    }

    fn openai(&self) -> Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.error_type,
                "code": self.code,
                "request_id": self.request_id,
            }
        })
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
                "type": self.error_type,
                "message": self.message,
                "code": self.code,
            },
            "request_id": self.request_id,
        })
    }

    fn gemini(&self) -> Value {
        json!({
            "error": {
                "code": self.status,
                "message": self.message,
                "status": google_status(self.status),
                "details": [{
                    "reason": self.code,
                    "type": self.error_type,
                    "request_id": self.request_id,
                }],
            }
        })
    }
}

/// The google.rpc status Google's APIs pair with an HTTP status.
fn google_status(status: u32) -> &'static str {
    match status {
        400 | 413 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        429 => "RESOURCE_EXHAUSTED",
        502 | 503 => "UNAVAILABLE",
        _ => "INTERNAL",
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

    /// Unknown (None) and every format.
    fn formats() -> impl Iterator<Item = Option<Format>> {
        std::iter::once(None).chain(Format::ALL.map(Some))
    }

    const HOSTILE_ID: &str = "id\"}\r\n\ndata: [DONE]\r\r\u{2028}\\";

    fn refusal<'a>(status: u32, code: &'a str, request_id: &'a str) -> Refusal<'a> {
        Refusal {
            status,
            error_type: "sentinel_test",
            code,
            message: format!("refused: {code}"),
            request_id,
        }
    }

    fn json_of(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
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

    /// (type, code, message, request id) wherever the shape puts them.
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
            Some(Format::Ollama) => [
                v["type"].clone(),
                v["code"].clone(),
                v["error"].clone(),
                v["request_id"].clone(),
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
    fn bodies_in_every_shape() {
        for format in formats() {
            let v = json_of(&refusal(403, "email", "req-1").body(format));
            assert_eq!(
                fields(format, &v),
                [
                    json!("sentinel_test"),
                    json!("email"),
                    json!("refused: email"),
                    json!("req-1")
                ],
                "{format:?}"
            );
        }
    }

    #[test]
    fn shape_specific_parts() {
        let anthropic = json_of(&refusal(403, "email", "r").body(Some(Format::Anthropic)));
        assert_eq!(anthropic["type"], "error");
        for (status, google) in [
            (403, "PERMISSION_DENIED"),
            (413, "INVALID_ARGUMENT"),
            (429, "RESOURCE_EXHAUSTED"),
            (502, "UNAVAILABLE"),
            (503, "UNAVAILABLE"),
        ] {
            let gemini = json_of(&refusal(status, "x", "r").body(Some(Format::Gemini)));
            assert_eq!(gemini["error"]["code"], status);
            assert_eq!(gemini["error"]["status"], google);
        }
        let openai = json_of(&refusal(403, "email", "r").body(None));
        assert_eq!(openai.as_object().unwrap().len(), 1);
        assert_eq!(openai["error"].as_object().unwrap().len(), 4);
    }

    /// The formats whose streams are server-sent events.
    fn sse_formats() -> impl Iterator<Item = Option<Format>> {
        formats().filter(|f| *f != Some(Format::Ollama))
    }

    #[test]
    fn stream_shapes() {
        for format in sse_formats() {
            let stream = refusal(403, "email", "req-3").stream(format);
            assert!(stream.ends_with(b"\n\n"), "{format:?}");
            let events = events(&stream);
            let error = data_json(&events[0]);
            match format {
                Some(Format::OpenAiResponses) => {
                    assert_eq!(events.len(), 1);
                    assert_eq!(events[0].name.as_deref(), Some("error"));
                    assert_eq!(error["type"], "error");
                    assert!(error["param"].is_null());
                    assert_eq!(error["code"], "email");
                    assert_eq!(error["request_id"], "req-3");
                }
                Some(Format::Anthropic) => {
                    assert_eq!(events.len(), 1);
                    assert_eq!(events[0].name.as_deref(), Some("error"));
                    assert_eq!(fields(format, &error)[0], "sentinel_test");
                    assert_eq!(fields(format, &error)[3], "req-3");
                }
                Some(Format::Gemini) => {
                    assert_eq!(events.len(), 1);
                    assert_eq!(events[0].name, None);
                    assert_eq!(fields(format, &error)[0], "sentinel_test");
                }
                _ => {
                    assert_eq!(events.len(), 2);
                    assert_eq!(events[0].name, None);
                    assert_eq!(fields(format, &error)[0], "sentinel_test");
                    assert_eq!(events[1].raw, b"data: [DONE]\n\n");
                }
            }
        }
    }

    #[test]
    fn ndjson_streams_end_with_one_error_line() {
        let r = refusal(403, "email", HOSTILE_ID);
        let line = r.line();
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(line.ends_with(b"\n"));
        let v = json_of(&line);
        assert_eq!(v["error"], "refused: email");
        assert_eq!(v["code"], "email");
        assert_eq!(v["request_id"], HOSTILE_ID);
        // Ollama's answers stream as lines; its body is the same object.
        assert_eq!(r.stream(Some(Format::Ollama)), line);
        assert_eq!(json_of(&r.body(Some(Format::Ollama))), v);
    }

    #[test]
    fn stream_errors_equal_body_errors() {
        for format in [None, Some(Format::Anthropic), Some(Format::Gemini)] {
            let r = refusal(403, "email", "r");
            let events = events(&r.stream(format));
            assert_eq!(data_json(&events[0]), json_of(&r.body(format)));
        }
    }

    #[test]
    fn hostile_request_ids_stay_in_one_data_line() {
        for format in sse_formats() {
            let stream = refusal(403, "a\"\nb", HOSTILE_ID).stream(format);
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
            let v = json_of(&refusal(403, "x", HOSTILE_ID).body(format));
            assert_eq!(fields(format, &v)[3], HOSTILE_ID);
        }
    }
}
