//! OpenAI chat completions (`POST /v1/chat/completions`, also Azure OpenAI,
//! vLLM, Ollama, LiteLLM and other compatible servers):
//! `messages[].content` (a string or text/refusal parts), assistant
//! `tool_calls[].function.arguments` and `custom.input`, the legacy
//! `function_call.arguments`, `refusal`, and `tool`/`function` role results
//! (their `content`).

use serde_json::{Map, Value};

use super::{ends_with_segments, Texts};

pub(super) fn path_matches(path: &str) -> bool {
    ends_with_segments(path, "chat/completions")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(body.get("messages"), Some(Value::Array(_)))
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "response_format",
    "seed",
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "parallel_tool_calls",
    "metadata",
    "store",
    "reasoning_effort",
    "modalities",
    "audio",
    "service_tier",
    "web_search_options",
    "verbosity",
    "prompt_cache_key",
    "safety_identifier",
];

/// The body's shape says this format (checked when the path says nothing).
pub(super) fn body_matches(body: &Map<String, Value>) -> bool {
    fits(body)
}

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "messages" => messages(value, out),
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}

fn messages<'a>(value: &'a Value, out: &mut Texts<'a>) {
    match value {
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(message) => self::message(message, out),
                    other => out.all_strings(other),
                }
            }
        }
        other => out.all_strings(other),
    }
}

fn message<'a>(message: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in message {
        match key.as_str() {
            "content" => out.content(value, part),
            "refusal" => out.strings(value),
            "tool_calls" => match value {
                Value::Array(calls) => {
                    for call in calls {
                        match call {
                            Value::Object(call) => tool_call(call, out),
                            other => out.all_strings(other),
                        }
                    }
                }
                other => out.all_strings(other),
            },
            "function_call" => match value {
                Value::Object(call) => function(call, out),
                other => out.all_strings(other),
            },
            "role" | "name" | "tool_call_id" | "audio" => {}
            _ => out.unknown(key, value),
        }
    }
}

/// `{"id":..,"type":"function","function":{"name":..,"arguments":".."}}` or
/// `{"type":"custom","custom":{"name":..,"input":".."}}`.
fn tool_call<'a>(call: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in call {
        match (key.as_str(), value) {
            ("function" | "custom", Value::Object(function)) => self::function(function, out),
            ("id" | "type" | "index", _) => {}
            _ => out.unknown(key, value),
        }
    }
}

/// `{"name":..,"arguments":".."}` (or a custom tool's `input`).
fn function<'a>(function: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in function {
        match key.as_str() {
            "arguments" | "input" => out.arguments(value),
            "name" => {}
            _ => out.unknown(key, value),
        }
    }
}

/// A content part: `text` (also `input_text`), `refusal`; media parts give
/// nothing; parts of other kinds give their text-bearing fields.
fn part<'a>(out: &mut Texts<'a>, part: &'a Map<String, Value>) {
    out.fields(part, &["text", "refusal"], &[]);
}
