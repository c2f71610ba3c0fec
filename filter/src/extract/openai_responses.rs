//! OpenAI responses (`POST /v1/responses`): `instructions`, and `input` as a
//! string or a list of items: messages (`content` string or
//! `input_text`/`output_text`/`refusal` parts), `function_call.arguments`,
//! `function_call_output.output`, custom tool calls and outputs, reasoning
//! summaries, MCP calls. Items of other kinds give their text-bearing fields.

use serde_json::{Map, Value};

use super::{ends_with_segments, Texts};

pub(super) fn path_matches(path: &str) -> bool {
    ends_with_segments(path, "responses")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(body.get("input"), Some(Value::String(_) | Value::Array(_)))
        || matches!(body.get("instructions"), Some(Value::String(_)))
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "tools",
    "tool_choice",
    "previous_response_id",
    "conversation",
    "reasoning",
    "text",
    "temperature",
    "top_p",
    "top_logprobs",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "store",
    "stream",
    "stream_options",
    "truncation",
    "user",
    "include",
    "parallel_tool_calls",
    "background",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
];

/// The body's shape says this format (checked when the path says nothing).
pub(super) fn body_matches(body: &Map<String, Value>) -> bool {
    fits(body)
}

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "input" | "instructions" => out.content(value, item),
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}

/// An input item or a content part; one reader for all kinds, by field.
fn item<'a>(out: &mut Texts<'a>, item: &'a Map<String, Value>) {
    for (key, value) in item {
        match key.as_str() {
            "text" | "refusal" => out.strings(value),
            // Messages, reasoning summaries, tool outputs given as parts.
            "content" | "summary" => out.content(value, self::item),
            // function_call, mcp_call; custom_tool_call's free-form input.
            "arguments" | "input" => out.arguments(value),
            // function_call_output, custom_tool_call_output, mcp_call: a
            // string (often JSON: decoded like arguments) or parts.
            "output" => match value {
                Value::String(_) => out.arguments(value),
                other => out.content(other, self::item),
            },
            "name" | "annotations" | "logprobs" | "server_label" => {}
            other if Texts::is_non_text(other) => {}
            _ => out.unknown(key, value),
        }
    }
}
