//! Ollama's native API (`POST /api/chat`, `POST /api/generate`): chat
//! `messages` (`content`, `thinking`, tool-call arguments) and generate's
//! `prompt`, `suffix`, `system` and `template`. Images give nothing. Its
//! bodies look like OpenAI's, so only the path names this format.

use serde_json::{Map, Value};

use super::{ends_with_segments, Texts};

pub(super) fn path_matches(path: &str) -> bool {
    ends_with_segments(path, "api/chat") || ends_with_segments(path, "api/generate")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(body.get("messages"), Some(Value::Array(_)))
        || matches!(body.get("prompt"), Some(Value::String(_)))
}

/// Never from the body alone: a chat body is also OpenAI chat's shape.
pub(super) fn body_matches(_body: &Map<String, Value>) -> bool {
    false
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "format",
    "options",
    "stream",
    "keep_alive",
    "think",
    "raw",
    "context",
    "images",
    "tools",
    "truncate",
    "shift",
    "logprobs",
    "top_logprobs",
];

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "messages" => match value {
                Value::Array(messages) => {
                    for message in messages {
                        match message {
                            Value::Object(message) => {
                                out.fields(
                                    message,
                                    &["content", "thinking"],
                                    &["images", "tool_name"],
                                );
                            }
                            other => out.all_strings(other),
                        }
                    }
                }
                other => out.all_strings(other),
            },
            "prompt" | "suffix" | "system" | "template" => out.all_strings(value),
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}
