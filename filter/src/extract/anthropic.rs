//! Anthropic messages (`POST /v1/messages`, also `count_tokens`, Bedrock and
//! Vertex bodies with `anthropic_version`): `system` as a string or text
//! blocks, and content blocks: `text`, `thinking`, `tool_use.input` (all its
//! string values), `tool_result.content` (a string or blocks), documents with
//! a text source, search results. Media blocks give nothing.

use serde_json::{Map, Value};

use super::{ends_with_segments, Texts};

pub(super) fn path_matches(path: &str) -> bool {
    ends_with_segments(path, "messages") || ends_with_segments(path, "messages/count_tokens")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(body.get("messages"), Some(Value::Array(_)))
}

/// Block kinds OpenAI chat does not have.
const BLOCK_HINTS: &[&str] = &[
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
    "document",
    "image",
];

/// The body's shape says this format (checked when the path says nothing):
/// `messages` plus a sign of Anthropic: `system`, `anthropic_version`, or a
/// block kind of its own.
pub(super) fn body_matches(body: &Map<String, Value>) -> bool {
    let Some(Value::Array(messages)) = body.get("messages") else {
        return false;
    };
    if body.contains_key("system") || body.contains_key("anthropic_version") {
        return true;
    }
    messages
        .iter()
        .filter_map(|m| m.get("content")?.as_array())
        .flatten()
        .filter_map(|block| block.get("type")?.as_str())
        .any(|kind| BLOCK_HINTS.contains(&kind))
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "max_tokens",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_k",
    "top_p",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
    "anthropic_version",
    "anthropic_beta",
];

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "system" => out.content(value, block),
            "messages" => match value {
                Value::Array(messages) => {
                    for message in messages {
                        match message {
                            Value::Object(message) => self::message(message, out),
                            other => out.all_strings(other),
                        }
                    }
                }
                other => out.all_strings(other),
            },
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}

fn message<'a>(message: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in message {
        match key.as_str() {
            "content" => out.content(value, block),
            "role" => {}
            _ => out.unknown(key, value),
        }
    }
}

/// A content block; one reader for all kinds, by field.
fn block<'a>(out: &mut Texts<'a>, block: &'a Map<String, Value>) {
    if let Some("redacted_thinking") = block.get("type").and_then(Value::as_str) {
        return; // encrypted
    }
    for (key, value) in block {
        match key.as_str() {
            // text, thinking, document and search_result titles, tool_use
            // input (an object: all its string values).
            "text" | "thinking" | "title" | "context" | "input" => out.strings(value),
            // tool_result, search_result, mcp_tool_result: a string or blocks.
            "content" => out.content(value, self::block),
            "source" => source(value, out),
            "name" | "citations" | "is_error" | "server_name" => {}
            other if Texts::is_non_text(other) => {}
            _ => out.unknown(key, value),
        }
    }
}

/// A document's or image's source: text and content sources are read,
/// base64, URL and file sources are not.
fn source<'a>(value: &'a Value, out: &mut Texts<'a>) {
    let Value::Object(source) = value else {
        return;
    };
    match source.get("type").and_then(Value::as_str) {
        Some("text") => out.strings(source.get("data").unwrap_or(&Value::Null)),
        Some("content") => out.content(source.get("content").unwrap_or(&Value::Null), block),
        _ => {}
    }
}
