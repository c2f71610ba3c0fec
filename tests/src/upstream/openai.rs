//! OpenAI chat completions: `POST /v1/chat/completions`.

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{json, Value};

use super::{json_answer, stream, Ask};

pub(super) fn answer(ask: &Ask) -> Response {
    let words = ask.words();
    let usage =
        json!({"prompt_tokens": 10, "completion_tokens": words, "total_tokens": 10 + words});
    if ask.streaming(false) {
        let include_usage = ask.request["stream_options"]["include_usage"].as_bool() == Some(true);
        let usage = include_usage.then_some(usage);
        return stream(ask, "text/event-stream", |deltas| {
            events(ask.model(), deltas, usage)
        });
    }
    let answer = json!({
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 0,
        "model": ask.model(),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": ask.reply},
            "finish_reason": "stop"
        }],
        "usage": usage
    });
    json_answer(&ask.script, answer)
}

/// The `chat.completion.chunk` events around the deltas, ending in `[DONE]`.
fn events(model: &str, deltas: Vec<String>, usage: Option<Value>) -> Vec<Bytes> {
    let chunk = |delta: Value, finish: Value| {
        let mut event = json!({
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        // OpenAI puts `"usage": null` on every chunk once usage is asked for.
        if usage.is_some() {
            event["usage"] = Value::Null;
        }
        Bytes::from(format!("data: {event}\n\n"))
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for delta in deltas {
        events.push(chunk(json!({"content": delta}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    if let Some(usage) = usage {
        let event = json!({
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": usage
        });
        events.push(Bytes::from(format!("data: {event}\n\n")));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}
