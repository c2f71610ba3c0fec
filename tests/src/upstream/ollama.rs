//! Ollama's chat: `POST /api/chat`, streamed by default as JSON lines
//! (`application/x-ndjson`), one per delta, then a `done` line with the
//! counts; `"stream": false` answers one JSON object.

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{json, Value};

use super::{json_answer, stream, Ask};

/// The demo's count of the prompt's tokens (it does not tokenize).
const PROMPT_TOKENS: usize = 10;
/// Ollama's timestamps; the demo's is fixed.
const CREATED_AT: &str = "2026-01-01T00:00:00Z";

pub(super) fn answer(ask: &Ask) -> Response {
    let eval_count = ask.words();
    if ask.streaming(true) {
        return stream(ask, "application/x-ndjson", |deltas| {
            lines(ask.model(), deltas, eval_count)
        });
    }
    json_answer(&ask.script, last(ask.model(), &ask.reply, eval_count))
}

fn lines(model: &str, deltas: Vec<String>, eval_count: usize) -> Vec<Bytes> {
    let line = |value: Value| Bytes::from(format!("{value}\n"));
    let mut lines: Vec<Bytes> = deltas
        .into_iter()
        .map(|content| {
            line(json!({"model": model, "created_at": CREATED_AT,
                        "message": {"role": "assistant", "content": content},
                        "done": false}))
        })
        .collect();
    lines.push(line(last(model, "", eval_count)));
    lines
}

/// The `done` object: the whole answer unstreamed, or the stream's end.
fn last(model: &str, content: &str, eval_count: usize) -> Value {
    json!({"model": model, "created_at": CREATED_AT,
           "message": {"role": "assistant", "content": content},
           "done": true, "done_reason": "stop",
           "prompt_eval_count": PROMPT_TOKENS, "eval_count": eval_count})
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{post, REPLY};

    #[tokio::test]
    async fn streams_json_lines_unless_told_not_to() {
        let request =
            json!({"model": "llama-demo", "messages": [{"role": "user", "content": "hi"}]});
        let headers = [("x-demo-reply", REPLY), ("x-demo-seed", "3")];
        let answer = post("/api/chat", &headers, request.clone()).await;
        assert_eq!(answer.headers["content-type"], "application/x-ndjson");
        let text = answer.text();
        assert!(text.ends_with('\n'));
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (last, deltas) = lines.split_last().unwrap();
        assert!(deltas.len() > 5);
        assert!(deltas.iter().all(|l| l["done"] == false));
        let content: String = deltas
            .iter()
            .map(|l| l["message"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(content, REPLY);
        assert_eq!(last["done"], true);
        assert!(last["eval_count"].as_u64().unwrap() > 0);

        let mut whole = request;
        whole["stream"] = json!(false);
        let answer = post("/api/chat", &[("x-demo-reply", REPLY)], whole).await;
        let body: Value = serde_json::from_slice(&answer.body()).unwrap();
        assert_eq!(body["message"]["content"], REPLY);
        assert_eq!(body["model"], "llama-demo");
    }
}
