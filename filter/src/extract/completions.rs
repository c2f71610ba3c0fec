//! OpenAI legacy completions (`POST /v1/completions`): `prompt` (a string or a
//! list of strings; token arrays hold no text) and `suffix`.

use serde_json::{Map, Value};

use super::{ends_with_segments, Texts};

pub(super) fn path_matches(path: &str) -> bool {
    ends_with_segments(path, "completions") && !ends_with_segments(path, "chat/completions")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(body.get("prompt"), Some(Value::String(_) | Value::Array(_)))
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "best_of",
    "echo",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "user",
];

/// The body's shape says this format (checked when the path says nothing).
pub(super) fn body_matches(body: &Map<String, Value>) -> bool {
    fits(body)
}

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "prompt" | "suffix" => out.all_strings(value),
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}
