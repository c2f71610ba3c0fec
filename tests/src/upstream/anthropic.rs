//! Anthropic messages: `POST /v1/messages`, answered as a `message` or as
//! the Messages API's named events, text in `content_block_delta`s.

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{json, Value};

use super::{json_answer, stream, Ask};

/// The demo's count of the prompt's tokens (it does not tokenize).
const INPUT_TOKENS: usize = 10;

pub(super) fn answer(ask: &Ask) -> Response {
    let output_tokens = ask.words();
    if ask.streaming(false) {
        return stream(ask, "text/event-stream", |deltas| {
            events(ask.model(), deltas, output_tokens)
        });
    }
    let answer = json!({
        "id": "msg_demo",
        "type": "message",
        "role": "assistant",
        "model": ask.model(),
        "content": [{"type": "text", "text": ask.reply}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": output_tokens}
    });
    json_answer(&ask.script, answer)
}

/// One text block between `message_start` and `message_stop`, its usage
/// split as the API splits it: input at the start, output at the end.
fn events(model: &str, deltas: Vec<String>, output_tokens: usize) -> Vec<Bytes> {
    let event = |name: &str, data: Value| Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
    let mut events = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_demo", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1}
            }}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
                   "content_block": {"type": "text", "text": ""}}),
        ),
        event("ping", json!({"type": "ping"})),
    ];
    for text in deltas {
        events.push(event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "text_delta", "text": text}}),
        ));
    }
    events.push(event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(event(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": "end_turn", "stop_sequence": null},
               "usage": {"output_tokens": output_tokens}}),
    ));
    events.push(event("message_stop", json!({"type": "message_stop"})));
    events
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{post, REPLY};

    /// (event name, data) of each event.
    fn named(sse: &str) -> Vec<(String, Value)> {
        sse.split("\n\n")
            .filter(|event| !event.is_empty())
            .map(|event| {
                let (name, data) = event.split_once('\n').unwrap();
                let name = name.strip_prefix("event: ").unwrap().to_string();
                let data = data.strip_prefix("data: ").unwrap();
                (name, serde_json::from_str(data).unwrap())
            })
            .collect()
    }

    fn request(stream: bool) -> Value {
        json!({"model": "claude-demo", "max_tokens": 64, "stream": stream,
               "messages": [{"role": "user", "content": "hi"}]})
    }

    #[tokio::test]
    async fn json_reply_is_one_text_block() {
        let answer = post("/v1/messages", &[("x-demo-reply", REPLY)], request(false)).await;
        let body: Value = serde_json::from_slice(&answer.body()).unwrap();
        assert_eq!(body["type"], "message");
        assert_eq!(body["model"], "claude-demo");
        assert_eq!(body["content"], json!([{"type": "text", "text": REPLY}]));
        assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);
    }

    #[tokio::test]
    async fn stream_is_named_events_around_text_deltas() {
        let headers = [("x-demo-reply", REPLY), ("x-demo-seed", "11")];
        let answer = post("/v1/messages", &headers, request(true)).await;
        assert_eq!(answer.headers["content-type"], "text/event-stream");
        let events = named(&answer.text());
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names[..3],
            ["message_start", "content_block_start", "ping"],
            "{names:?}"
        );
        assert_eq!(
            names[names.len() - 3..],
            ["content_block_stop", "message_delta", "message_stop"]
        );
        // Every event's data names its own type, as the API's does.
        assert!(events.iter().all(|(name, data)| data["type"] == *name));
        let deltas: Vec<&str> = events
            .iter()
            .filter(|(name, _)| name == "content_block_delta")
            .map(|(_, data)| data["delta"]["text"].as_str().unwrap())
            .collect();
        assert!(deltas.len() > 5);
        assert_eq!(deltas.concat(), REPLY);
        assert!(answer.frames.iter().all(|f| (1..=40).contains(&f.len())));
    }
}
