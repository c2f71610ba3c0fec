//! The texts of a request body that the engines must see.
//!
//! The body is parsed once ([`Body::parse`]); the texts borrow from it
//! wherever the JSON needs no decoding of its own (tool-call arguments, which
//! are JSON inside a JSON string, are the owned exception).
//!
//! | format | detected by path | or by body shape | module |
//! |---|---|---|---|
//! | OpenAI chat completions | `/chat/completions` | `messages` (no Anthropic hints) | `openai_chat` |
//! | OpenAI completions (legacy) | `/completions` | `prompt` | `completions` |
//! | OpenAI responses | `/responses` | `input` or `instructions` | `openai_responses` |
//! | Anthropic messages | `/messages`, `/messages/count_tokens` | `messages` with `system` or `tool_use`/`tool_result` blocks | `anthropic` |
//! | Gemini generateContent | `:generateContent`, `:streamGenerateContent` | `contents` | `gemini` |
//! | Ollama chat and generate | `/api/chat`, `/api/generate` | (never: its bodies look like OpenAI's) | `ollama` |
//! | plain text | any body that is not JSON | | [`Body::parse`] |
//! | policy JSON paths | `text_paths` in the policy | | `paths` |
//!
//! Every format module has the same shape: `path_matches`, `fits` (the body
//! has the field the format needs), `body_matches` (the body's shape alone
//! says this format) and `extract`.
//!
//! The path wins when the body has the shape its format expects; else the
//! body's shape decides; else every string of the body is scanned, keys
//! included, so a changed or unknown shape cannot slip past the scan. Within
//! a known format, a field the format does not know (at the top level, in a
//! message, in a content part) gives its key and all its strings; only fields
//! known to carry no text for the model (`model`, `temperature`, ids, media
//! payloads, tool schemas, ...) are skipped.
//!
//! Bounds: at most [`MAX_TEXTS`] texts (further strings are appended to the
//! last one, so nothing is dropped) and at most [`text_budget`] bytes in
//! total. The walk depth is bounded by the JSON parser's recursion limit
//! (128); a body nested deeper is not JSON to us and is scanned whole as text.

mod anthropic;
mod completions;
mod gemini;
mod ollama;
mod openai_chat;
mod openai_responses;
mod paths;

use std::borrow::Cow;

use serde_json::{Map, Value};

pub use paths::{JsonPath, MAX_PATHS, MAX_PATH_LEN, MAX_PATH_STEPS};

/// Texts kept apart (one scan each); any further strings are appended to the
/// last one, so the count is bounded and nothing is dropped.
pub const MAX_TEXTS: usize = 256;

/// Upper bound of the total bytes extracted from a body of `body_len` bytes.
///
/// A body's own strings decode to at most its size (plus one separator per
/// string beyond [`MAX_TEXTS`], each string costing at least three body
/// bytes); a non-UTF-8 body read lossily grows by at most 3x (one byte
/// becomes U+FFFD). Only overlapping policy paths could select more; they are
/// cut at this budget.
pub fn text_budget(body_len: usize) -> usize {
    body_len.saturating_mul(3)
}

/// An LLM API request format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenAiChat,
    OpenAiCompletions,
    OpenAiResponses,
    Anthropic,
    Gemini,
    Ollama,
}

impl Format {
    /// Every format, in the order paths are tried.
    pub const ALL: [Format; 6] = [
        Format::OpenAiChat,
        Format::OpenAiCompletions,
        Format::OpenAiResponses,
        Format::Anthropic,
        Format::Gemini,
        Format::Ollama,
    ];

    /// The format a request path names (query string ignored), if any.
    pub fn from_path(path: &str) -> Option<Format> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let path = path.trim_end_matches('/');
        Format::ALL
            .into_iter()
            .find(|format| format.path_matches(path))
    }

    /// The format the body's shape suggests, if any.
    pub fn from_body(body: &Map<String, Value>) -> Option<Format> {
        [
            Format::Gemini,
            Format::Anthropic,
            Format::OpenAiChat,
            Format::OpenAiResponses,
            Format::OpenAiCompletions,
        ]
        .into_iter()
        .find(|format| format.body_matches(body))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai_chat",
            Format::OpenAiCompletions => "openai_completions",
            Format::OpenAiResponses => "openai_responses",
            Format::Anthropic => "anthropic",
            Format::Gemini => "gemini",
            Format::Ollama => "ollama",
        }
    }

    fn path_matches(self, path: &str) -> bool {
        match self {
            Format::OpenAiChat => openai_chat::path_matches(path),
            Format::OpenAiCompletions => completions::path_matches(path),
            Format::OpenAiResponses => openai_responses::path_matches(path),
            Format::Anthropic => anthropic::path_matches(path),
            Format::Gemini => gemini::path_matches(path),
            Format::Ollama => ollama::path_matches(path),
        }
    }

    fn fits(self, body: &Map<String, Value>) -> bool {
        match self {
            Format::OpenAiChat => openai_chat::fits(body),
            Format::OpenAiCompletions => completions::fits(body),
            Format::OpenAiResponses => openai_responses::fits(body),
            Format::Anthropic => anthropic::fits(body),
            Format::Gemini => gemini::fits(body),
            Format::Ollama => ollama::fits(body),
        }
    }

    fn body_matches(self, body: &Map<String, Value>) -> bool {
        match self {
            Format::OpenAiChat => openai_chat::body_matches(body),
            Format::OpenAiCompletions => completions::body_matches(body),
            Format::OpenAiResponses => openai_responses::body_matches(body),
            Format::Anthropic => anthropic::body_matches(body),
            Format::Gemini => gemini::body_matches(body),
            Format::Ollama => ollama::body_matches(body),
        }
    }

    fn extract<'a>(self, body: &'a Map<String, Value>, out: &mut Texts<'a>) {
        match self {
            Format::OpenAiChat => openai_chat::extract(body, out),
            Format::OpenAiCompletions => completions::extract(body, out),
            Format::OpenAiResponses => openai_responses::extract(body, out),
            Format::Anthropic => anthropic::extract(body, out),
            Format::Gemini => gemini::extract(body, out),
            Format::Ollama => ollama::extract(body, out),
        }
    }
}

/// A request body, parsed once.
#[derive(Debug)]
pub struct Body<'b> {
    len: usize,
    kind: Kind<'b>,
}

#[derive(Debug)]
enum Kind<'b> {
    Empty,
    Json(Value),
    /// Not JSON (or nested beyond the parser's limit): scanned whole,
    /// borrowed when it is valid UTF-8.
    Text(Cow<'b, str>),
}

impl<'b> Body<'b> {
    pub fn parse(bytes: &'b [u8]) -> Body<'b> {
        let kind = if bytes.is_empty() {
            Kind::Empty
        } else {
            match serde_json::from_slice::<Value>(bytes) {
                Ok(value) => Kind::Json(value),
                Err(_) => Kind::Text(String::from_utf8_lossy(bytes)),
            }
        };
        Body {
            len: bytes.len(),
            kind,
        }
    }

    /// The format this body is read as, given the one its path names:
    /// `None` for plain text and for JSON of no known shape.
    pub fn format(&self, from_path: Option<Format>) -> Option<Format> {
        match &self.kind {
            Kind::Json(Value::Object(object)) => match from_path {
                Some(format) if format.fits(object) => Some(format),
                _ => Format::from_body(object),
            },
            _ => None,
        }
    }

    /// The texts to scan; empty when there is nothing to scan.
    ///
    /// `from_path` is the format the request path names
    /// ([`Format::from_path`]); `paths` are the policy's `text_paths`, scanned
    /// in addition to a known format's fields. For JSON of no known shape,
    /// the paths replace the scan of every string when they select anything.
    pub fn texts<'a>(&'a self, from_path: Option<Format>, paths: &[JsonPath]) -> Vec<Cow<'a, str>> {
        let mut out = Texts::new(text_budget(self.len));
        match &self.kind {
            Kind::Empty => {}
            Kind::Text(text) => out.push(Cow::Borrowed(text.as_ref())),
            Kind::Json(value) => {
                let format = self.format(from_path);
                if let (Some(format), Value::Object(object)) = (format, value) {
                    format.extract(object, &mut out);
                }
                let before = out.len();
                for path in paths {
                    path.select(value, &mut |selected| out.strings(selected));
                }
                if format.is_none() && out.len() == before {
                    out.all_strings(value);
                }
            }
        }
        out.into_vec()
    }
}

/// The texts collected so far, bounded in count and bytes.
pub(crate) struct Texts<'a> {
    texts: Vec<Cow<'a, str>>,
    bytes: usize,
    budget: usize,
}

/// Keys of a content part or item that hold no text for the model: kinds,
/// ids, and media payloads (base64 data would cost scan time and false
/// positives). Used by every format for parts it does not know.
const NON_TEXT_KEYS: &[&str] = &[
    "type",
    "role",
    "id",
    "call_id",
    "tool_call_id",
    "tool_use_id",
    "status",
    "signature",
    "cache_control",
    "image_url",
    "input_audio",
    "audio",
    "file",
    "file_data",
    "file_id",
    "file_url",
    "image",
    "source",
    "inline_data",
    "inlineData",
    "fileData",
    "encrypted_content",
];

impl<'a> Texts<'a> {
    pub(crate) fn new(budget: usize) -> Self {
        Texts {
            texts: Vec::new(),
            bytes: 0,
            budget,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.texts.len()
    }

    pub(crate) fn into_vec(self) -> Vec<Cow<'a, str>> {
        self.texts
    }

    /// Adds one text (cut at the byte budget, on a char boundary).
    pub(crate) fn push(&mut self, text: Cow<'a, str>) {
        let full = self.texts.len() >= MAX_TEXTS;
        let room = self
            .budget
            .saturating_sub(self.bytes)
            .saturating_sub(usize::from(full));
        if text.is_empty() || room == 0 {
            return;
        }
        let text = cut(text, room);
        self.bytes += text.len() + usize::from(full);
        match self.texts.last_mut() {
            Some(last) if full => {
                let last = last.to_mut();
                last.push('\n');
                last.push_str(&text);
            }
            _ => self.texts.push(text),
        }
    }

    pub(crate) fn str(&mut self, text: &'a str) {
        self.push(Cow::Borrowed(text));
    }

    /// Every string value (not the keys) of a value, depth-first.
    pub(crate) fn strings(&mut self, value: &'a Value) {
        match value {
            Value::String(text) => self.str(text),
            Value::Array(items) => items.iter().for_each(|v| self.strings(v)),
            Value::Object(object) => object.values().for_each(|v| self.strings(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Every key and string value of a value, depth-first: what a shape the
    /// filter does not know gives.
    pub(crate) fn all_strings(&mut self, value: &'a Value) {
        match value {
            Value::String(text) => self.str(text),
            Value::Array(items) => items.iter().for_each(|v| self.all_strings(v)),
            Value::Object(object) => {
                for (key, value) in object {
                    self.str(key);
                    self.all_strings(value);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// A field the format does not know: its key and all its strings.
    pub(crate) fn unknown(&mut self, key: &'a str, value: &'a Value) {
        self.str(key);
        self.all_strings(value);
    }

    /// Every string value of an owned value (a parsed tool argument).
    fn owned_strings(&mut self, value: Value) {
        match value {
            Value::String(text) => self.push(Cow::Owned(text)),
            Value::Array(items) => items.into_iter().for_each(|v| self.owned_strings(v)),
            Value::Object(object) => object.into_iter().for_each(|(_, v)| self.owned_strings(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Tool-call arguments: JSON inside a JSON string. Its string values when
    /// it parses (escapes decoded), else the raw string.
    pub(crate) fn arguments(&mut self, value: &'a Value) {
        match value {
            Value::String(raw) => match serde_json::from_str::<Value>(raw) {
                Ok(parsed) => self.owned_strings(parsed),
                Err(_) => self.str(raw),
            },
            // Some clients send the arguments as an object already.
            other => self.strings(other),
        }
    }

    /// A content value: a string, or a list of strings and parts; `part`
    /// reads one part object. Anything else gives all its strings.
    pub(crate) fn content(
        &mut self,
        value: &'a Value,
        part: fn(&mut Texts<'a>, &'a Map<String, Value>),
    ) {
        match value {
            Value::String(text) => self.str(text),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(object) => part(self, object),
                        Value::String(text) => self.str(text),
                        other => self.all_strings(other),
                    }
                }
            }
            Value::Object(object) => part(self, object),
            Value::Null => {}
            other => self.all_strings(other),
        }
    }

    /// An object of a known kind: the string values of its `text` keys;
    /// nothing of its `skip` keys and the [`NON_TEXT_KEYS`]; the key and all
    /// strings of anything else.
    pub(crate) fn fields(&mut self, object: &'a Map<String, Value>, text: &[&str], skip: &[&str]) {
        for (key, value) in object {
            let key_str = key.as_str();
            if text.contains(&key_str) {
                self.strings(value);
            } else if !skip.contains(&key_str) && !NON_TEXT_KEYS.contains(&key_str) {
                self.unknown(key, value);
            }
        }
    }

    /// Whether a key is one of the [`NON_TEXT_KEYS`].
    pub(crate) fn is_non_text(key: &str) -> bool {
        NON_TEXT_KEYS.contains(&key)
    }
}

/// `text` cut to at most `max` bytes, on a char boundary.
fn cut(text: Cow<'_, str>, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[..end]),
        Cow::Owned(mut text) => {
            text.truncate(end);
            Cow::Owned(text)
        }
    }
}

/// The last path segment, for the format modules' `path_matches`.
pub(crate) fn ends_with_segments(path: &str, suffix: &str) -> bool {
    path.strip_suffix(suffix)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
}

#[cfg(test)]
mod tests;
