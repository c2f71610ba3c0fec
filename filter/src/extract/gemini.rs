//! Gemini `generateContent` and `streamGenerateContent` (Google AI and
//! Vertex; camelCase and snake_case field names): `contents[].parts[].text`,
//! `systemInstruction`, `functionCall.args`, `functionResponse.response`
//! (all their string values), executable code and its results. Inline and
//! file data give nothing.

use serde_json::{Map, Value};

use super::Texts;

pub(super) fn path_matches(path: &str) -> bool {
    path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent")
}

/// The body has the shape this format needs (checked when the path names it).
pub(super) fn fits(body: &Map<String, Value>) -> bool {
    matches!(
        body.get("contents"),
        Some(Value::Array(_) | Value::Object(_))
    )
}

/// Top-level fields that carry no text for the model.
const SKIP: &[&str] = &[
    "model",
    "tools",
    "toolConfig",
    "tool_config",
    "safetySettings",
    "safety_settings",
    "generationConfig",
    "generation_config",
    "cachedContent",
    "cached_content",
    "labels",
];

/// The body's shape says this format (checked when the path says nothing).
pub(super) fn body_matches(body: &Map<String, Value>) -> bool {
    fits(body)
}

pub(super) fn extract<'a>(body: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in body {
        match key.as_str() {
            "contents" | "systemInstruction" | "system_instruction" => out.content(value, content),
            other if SKIP.contains(&other) => {}
            _ => out.unknown(key, value),
        }
    }
}

/// `{"role":..,"parts":[..]}`.
fn content<'a>(out: &mut Texts<'a>, content: &'a Map<String, Value>) {
    for (key, value) in content {
        match key.as_str() {
            "parts" => out.content(value, part),
            "role" => {}
            _ => out.unknown(key, value),
        }
    }
}

fn part<'a>(out: &mut Texts<'a>, part: &'a Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), value) {
            ("text", _) => out.strings(value),
            ("functionCall" | "function_call", Value::Object(call)) => {
                out.fields(call, &["args"], &["name"])
            }
            ("functionResponse" | "function_response", Value::Object(response)) => {
                function_response(response, out)
            }
            ("executableCode" | "executable_code", Value::Object(code)) => {
                out.fields(code, &["code"], &["language"])
            }
            ("codeExecutionResult" | "code_execution_result", Value::Object(result)) => {
                out.fields(result, &["output"], &["outcome"])
            }
            (
                "thought" | "thoughtSignature" | "thought_signature" | "videoMetadata"
                | "video_metadata",
                _,
            ) => {}
            (other, _) if Texts::is_non_text(other) => {}
            _ => out.unknown(key, value),
        }
    }
}

/// `{"name":..,"response":{..},"parts":[..]}`.
fn function_response<'a>(response: &'a Map<String, Value>, out: &mut Texts<'a>) {
    for (key, value) in response {
        match key.as_str() {
            "response" => out.strings(value),
            "parts" => out.content(value, part),
            "name" | "willContinue" | "will_continue" | "scheduling" => {}
            other if Texts::is_non_text(other) => {}
            _ => out.unknown(key, value),
        }
    }
}
