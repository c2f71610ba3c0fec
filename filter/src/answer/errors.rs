//! Refusals of a model's answer: a JSON answer replaced by an error, or a
//! stream ended by an error event, in the API's own shape
//! ([`crate::refusal`]).

use super::framing::Framing;
use crate::decision::VERDICT_HEADER;
use crate::extract::Format;
use crate::refusal::Refusal;
use crate::response::{reply, LocalResponse, JSON};

/// 403: the answer (a buffered JSON response) carried `category` and the
/// policy blocks.
pub fn blocked(format: Option<Format>, category: &str, request_id: &str) -> LocalResponse {
    let refusal = Kind::Blocked.refusal(category, request_id);
    reply(refusal, format, &[JSON, (VERDICT_HEADER, "block")], None)
}

/// 502: the answer could not be scanned (`reason`, e.g. `compressed`) and
/// the policy does not pass unscanned answers.
pub fn unscanned(format: Option<Format>, reason: &str, request_id: &str) -> LocalResponse {
    reply(
        Kind::Unscanned.refusal(reason, request_id),
        format,
        &[JSON],
        None,
    )
}

/// The last bytes of a stream cut because its answer carried `category`.
pub fn stream_blocked(
    framing: Framing,
    format: Option<Format>,
    category: &str,
    request_id: &str,
) -> Vec<u8> {
    last_words(framing, format, Kind::Blocked.refusal(category, request_id))
}

/// The last bytes of a stream cut because its answer could not be scanned
/// (`reason`).
pub fn stream_unscanned(
    framing: Framing,
    format: Option<Format>,
    reason: &str,
    request_id: &str,
) -> Vec<u8> {
    last_words(framing, format, Kind::Unscanned.refusal(reason, request_id))
}

fn last_words(framing: Framing, format: Option<Format>, refusal: Refusal) -> Vec<u8> {
    match framing {
        Framing::Sse => refusal.stream(format),
        Framing::Lines => refusal.line(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Blocked,
    Unscanned,
}

impl Kind {
    fn refusal<'a>(self, code: &'a str, request_id: &'a str) -> Refusal<'a> {
        let (status, error_type, message) = match self {
            Kind::Blocked => (
                403,
                "sentinel_blocked",
                format!("Response blocked by Sentinel: {code} detected in the model's answer"),
            ),
            Kind::Unscanned => (
                502,
                "sentinel_unscanned",
                format!("Response withheld by Sentinel: the answer could not be scanned ({code})"),
            ),
        };
        Refusal {
            status,
            error_type,
            code,
            message,
            request_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::answer::sse::{Event, Parser};

    fn body_json(response: &LocalResponse) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    fn events(stream: &[u8]) -> Vec<Event> {
        let mut parser = Parser::new(1 << 20);
        let mut events = Vec::new();
        parser.push(stream, &mut events).unwrap();
        events
    }

    #[test]
    fn blocked_answer_is_403_naming_the_category() {
        let r = blocked(None, "aws_access_key", "req-1");
        assert_eq!((r.status, r.retry_after_s), (403, None));
        assert_eq!(
            r.headers,
            &[
                ("content-type", "application/json"),
                ("x-sentinel-verdict", "block")
            ]
        );
        let error = &body_json(&r)["error"];
        assert_eq!(error["type"], "sentinel_blocked");
        assert_eq!(error["code"], "aws_access_key");
        assert_eq!(
            error["message"],
            "Response blocked by Sentinel: aws_access_key detected in the model's answer"
        );
        assert_eq!(error["request_id"], "req-1");
        let anthropic = body_json(&blocked(Some(Format::Anthropic), "email", "r"));
        assert_eq!(anthropic["type"], "error");
        assert_eq!(anthropic["error"]["type"], "sentinel_blocked");
    }

    #[test]
    fn unscanned_answer_is_502_naming_the_reason() {
        let r = unscanned(None, "compressed", "req-2");
        assert_eq!((r.status, r.retry_after_s), (502, None));
        assert_eq!(r.headers, &[("content-type", "application/json")]);
        let error = &body_json(&r)["error"];
        assert_eq!(error["type"], "sentinel_unscanned");
        assert_eq!(error["code"], "compressed");
        assert_eq!(
            error["message"],
            "Response withheld by Sentinel: the answer could not be scanned (compressed)"
        );
        let gemini = body_json(&unscanned(Some(Format::Gemini), "too_large", "r"));
        assert_eq!(gemini["error"]["code"], 502);
        assert_eq!(gemini["error"]["status"], "UNAVAILABLE");
    }

    #[test]
    fn streams_end_with_the_kind_of_refusal() {
        for (stream, kind) in [
            (
                stream_blocked(Framing::Sse, None, "email", "r"),
                "sentinel_blocked",
            ),
            (
                stream_unscanned(Framing::Sse, None, "too_large", "r"),
                "sentinel_unscanned",
            ),
        ] {
            let events = events(&stream);
            let error: Value = serde_json::from_str(events[0].data.as_deref().unwrap()).unwrap();
            assert_eq!(error["error"]["type"], kind);
            assert_eq!(events[1].data.as_deref(), Some("[DONE]"));
        }
        let events = events(&stream_blocked(
            Framing::Sse,
            Some(Format::Anthropic),
            "email",
            "r",
        ));
        assert_eq!(events[0].name.as_deref(), Some("error"));
        let line = stream_blocked(Framing::Lines, Some(Format::Anthropic), "email", "r");
        let error: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(error["type"], "sentinel_blocked");
        assert_eq!(events[0].name.as_deref(), Some("error"));
    }
}
