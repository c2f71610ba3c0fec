//! An event stream (`text/event-stream`) judged as it flows.
//!
//! Events are re-assembled from whatever chunks TCP delivers. The text
//! deltas of an event (OpenAI `choices[].delta.content` and tool-call
//! arguments, Anthropic `content_block_delta`, OpenAI responses
//! `*.delta`, Gemini `candidates[].content.parts[].text`) are joined per
//! channel (a choice, a content block, a tool call) into a
//! [`TextStream`], which holds back a window so that a value split across
//! deltas is found before any of it leaves. Every other string of an event
//! (a `done` event repeating the whole text, say) is judged on its own, and
//! data that is not JSON is judged as text: nothing passes unread.
//!
//! Events leave in the order they came, each as soon as all of its deltas
//! are judged: an event without text (the role, a stop reason, `[DONE]`)
//! leaves at once when nothing is held before it, byte for byte as it
//! came. An event whose text is masked is re-encoded. A stream to block
//! ends with an error event in the API's shape; what follows is dropped.

use std::collections::VecDeque;

use sentinel_engines::{masks, Detection, Echo, Mask, Span, TextStream};
use serde_json::Value;

use super::errors;
use super::json;
use super::policy::{Mode, Unscanned, MAX_EVENT_BYTES};
use super::sse::{self, Event, Parser};
use super::Judge;
use crate::extract::Format;

/// Channels of text kept apart; further ones share the last.
const MAX_CHANNELS: usize = 16;
/// Findings kept for the event and the metrics (all are acted on).
const MAX_FINDINGS: usize = 64;

/// One stream's state.
pub struct Stream {
    format: Option<Format>,
    request_id: String,
    window: usize,
    unscanned: Unscanned,
    parser: Parser,
    channels: Vec<Channel>,
    queue: VecDeque<Held>,
    /// Blocked: everything that follows is dropped.
    ended: bool,
    /// What was found (the first [`MAX_FINDINGS`]).
    pub found: Vec<Detection>,
    /// Events that could not be judged (larger than [`MAX_EVENT_BYTES`]).
    pub unscannable: u32,
    /// Why the stream was ended early, if it was: a category or a reason.
    pub blocked: Option<String>,
    /// The upstream ended the body in the middle of an event (dropped).
    pub truncated: bool,
}

struct Channel {
    key: String,
    text: TextStream,
    /// The system prompts this channel's text echoes, read once.
    echo: Echo,
    /// What to mask, in stream offsets, sorted.
    masks: Vec<Mask>,
}

/// An event waiting for its text to be judged.
struct Held {
    raw: Vec<u8>,
    name: Option<String>,
    body: Body,
    pieces: Vec<Piece>,
    /// A string outside the deltas was masked: re-encode.
    changed: bool,
}

enum Body {
    /// Forwarded as it came (no text, or unscannable and passed).
    Raw,
    Json(Value),
    /// Data that is not JSON: its one piece is the whole data.
    Text,
}

/// One delta of an event.
struct Piece {
    channel: usize,
    span: Span,
    text: String,
    at: Vec<Step>,
}

#[derive(Clone)]
enum Step {
    Key(&'static str),
    Index(usize),
}

impl Stream {
    pub fn new(
        format: Option<Format>,
        request_id: String,
        window: usize,
        unscanned: Unscanned,
    ) -> Stream {
        Stream {
            format,
            request_id,
            window,
            unscanned,
            parser: Parser::new(MAX_EVENT_BYTES),
            channels: Vec::new(),
            queue: VecDeque::new(),
            ended: false,
            found: Vec::new(),
            unscannable: 0,
            blocked: None,
            truncated: false,
        }
    }

    /// Takes the next chunk of the upstream's body; returns the bytes the
    /// client may have now.
    pub fn push(&mut self, chunk: &[u8], judge: &Judge<'_>) -> Vec<u8> {
        if self.ended {
            return Vec::new();
        }
        let mut events = Vec::new();
        let oversize = self.parser.push(chunk, &mut events).err();
        let mut out = Vec::new();
        for event in events {
            self.accept(event, judge, &mut out);
        }
        if let Some(oversize) = oversize {
            self.unscannable(oversize.bytes, &mut out);
        }
        self.judge(judge, false, &mut out);
        self.release(judge, &mut out);
        out
    }

    /// The upstream's body ended: judges and releases what is held (an
    /// event cut off by the upstream too, as far as it goes).
    pub fn finish(&mut self, judge: &Judge<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        if self.ended {
            return out;
        }
        // An event the upstream cut off is not dispatched by SSE clients
        // either; only one whose data is whole (the final blank line
        // missing) is kept.
        if let Some(tail) = self.parser.finish() {
            let whole = tail.data.as_deref().is_some_and(|d| {
                d.trim() == "[DONE]" || serde_json::from_str::<serde::de::IgnoredAny>(d).is_ok()
            });
            if whole {
                self.accept(tail, judge, &mut out);
            } else {
                self.truncated = true;
            }
        }
        self.judge(judge, true, &mut out);
        self.release(judge, &mut out);
        out
    }

    /// Bytes held for the client.
    pub fn held_bytes(&self) -> usize {
        self.parser.pending() + self.queue.iter().map(|h| h.raw.len()).sum::<usize>()
    }

    fn accept(&mut self, event: Event, judge: &Judge<'_>, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        let Event { raw, name, data } = event;
        let mut held = Held {
            raw,
            name,
            body: Body::Raw,
            pieces: Vec::new(),
            changed: false,
        };
        if let Some(data) = data.filter(|d| d.trim() != "[DONE]") {
            match serde_json::from_str::<Value>(&data) {
                Ok(mut value) => {
                    let deltas = take_deltas(&mut value);
                    let mut found = Vec::new();
                    held.changed = json::strings(&mut value, judge, &mut found) && judge.redacts();
                    self.found(found, judge, out);
                    for (key, at, text) in deltas {
                        put(&mut value, &at, Value::String(text.clone()));
                        self.piece(&mut held, key, at, text, judge, out);
                    }
                    held.body = Body::Json(value);
                }
                Err(_) => {
                    self.piece(&mut held, "raw".to_string(), Vec::new(), data, judge, out);
                    held.body = Body::Text;
                }
            }
        }
        if !self.ended {
            self.queue.push_back(held);
        }
    }

    fn piece(
        &mut self,
        held: &mut Held,
        key: String,
        at: Vec<Step>,
        text: String,
        judge: &Judge<'_>,
        out: &mut Vec<u8>,
    ) {
        let channel = self.channel(key, judge);
        let state = &mut self.channels[channel];
        let span = state.text.push(&text);
        let echoed = state.echo.push(judge.leakage(), span.start, &text, false);
        self.act(channel, echoed, judge, out);
        held.pieces.push(Piece {
            channel,
            span,
            text,
            at,
        });
    }

    fn channel(&mut self, key: String, judge: &Judge<'_>) -> usize {
        if let Some(i) = self.channels.iter().position(|c| c.key == key) {
            return i;
        }
        if self.channels.len() == MAX_CHANNELS {
            return MAX_CHANNELS - 1;
        }
        self.channels.push(Channel {
            key,
            text: TextStream::new(self.window),
            echo: judge.leakage().echo(),
            masks: Vec::new(),
        });
        self.channels.len() - 1
    }

    fn unscannable(&mut self, bytes: Vec<u8>, out: &mut Vec<u8>) {
        self.unscannable += 1;
        match self.unscanned {
            Unscanned::Pass => self.queue.push_back(Held {
                raw: bytes,
                name: None,
                body: Body::Raw,
                pieces: Vec::new(),
                changed: false,
            }),
            Unscanned::Block => {
                let end =
                    errors::stream_unscanned(self.format, "event_too_large", &self.request_id);
                self.end("event_too_large", end, out);
            }
        }
    }

    /// Judges every channel that has enough held (all of them when the
    /// stream is `finished`).
    fn judge(&mut self, judge: &Judge<'_>, finished: bool, out: &mut Vec<u8>) {
        for i in 0..self.channels.len() {
            if self.ended {
                return;
            }
            let channel = &mut self.channels[i];
            if finished {
                let end = channel.text.len();
                let echoed = channel.echo.push(judge.leakage(), end, "", true);
                self.act(i, echoed, judge, out);
            }
            let text = &mut self.channels[i].text;
            if !finished && !text.due() {
                continue;
            }
            let found = text.judge(&|t| judge.text(t), finished);
            self.act(i, found, judge, out);
        }
    }

    /// Acts on what was found in a channel: masks to apply (redact), then
    /// as for any finding.
    fn act(&mut self, channel: usize, found: Vec<Detection>, judge: &Judge<'_>, out: &mut Vec<u8>) {
        if found.is_empty() {
            return;
        }
        if judge.redacts() {
            let channel = &mut self.channels[channel];
            channel.masks.extend(masks(&found));
            channel.masks.sort_by_key(|m| m.span.start);
        }
        self.found(found, judge, out);
    }

    /// Records findings; a blocking judge ends the stream on the first.
    fn found(&mut self, found: Vec<Detection>, judge: &Judge<'_>, out: &mut Vec<u8>) {
        let Some(first) = found.first() else {
            return;
        };
        let category = first.category.to_string();
        let room = MAX_FINDINGS.saturating_sub(self.found.len());
        self.found.extend(found.into_iter().take(room));
        if judge.mode() == Mode::Block {
            let end = errors::stream_blocked(self.format, &category, &self.request_id);
            self.end(&category, end, out);
        }
    }

    fn end(&mut self, why: &str, last: Vec<u8>, out: &mut Vec<u8>) {
        self.ended = true;
        self.blocked = Some(why.to_string());
        self.queue.clear();
        out.extend_from_slice(&last);
    }

    /// Hands on the events at the front whose deltas are all judged.
    fn release(&mut self, judge: &Judge<'_>, out: &mut Vec<u8>) {
        let holds = judge.mode() != Mode::Monitor;
        while let Some(front) = self.queue.front() {
            let waiting = front
                .pieces
                .iter()
                .any(|p| p.span.end > self.channels[p.channel].text.safe());
            if holds && waiting {
                break;
            }
            let Some(held) = self.queue.pop_front() else {
                break;
            };
            self.render(held, out);
        }
    }

    fn render(&mut self, held: Held, out: &mut Vec<u8>) {
        let Held {
            raw,
            name,
            body,
            pieces,
            mut changed,
        } = held;
        let mut texts = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            let channel = &mut self.channels[piece.channel];
            let masked = masked(piece, &channel.masks);
            changed |= masked.is_some();
            texts.push(masked);
            // Masks wholly before what is still to come are done with.
            let done = piece.span.end;
            channel.masks.retain(|m| m.span.end > done);
        }
        if !changed {
            out.extend_from_slice(&raw);
            return;
        }
        let data = match body {
            Body::Raw => {
                out.extend_from_slice(&raw);
                return;
            }
            Body::Json(mut value) => {
                for (piece, text) in pieces.iter().zip(texts) {
                    if let Some(text) = text {
                        put(&mut value, &piece.at, Value::String(text));
                    }
                }
                value.to_string()
            }
            Body::Text => pieces
                .into_iter()
                .zip(texts)
                .map(|(piece, text)| text.unwrap_or(piece.text))
                .collect(),
        };
        out.extend_from_slice(&sse::encode(name.as_deref(), &data));
    }
}

/// The piece's text with the masks that touch it applied, or `None` when
/// none does. A mask that began in an earlier piece only removes; its
/// label went out with the piece where it began.
fn masked(piece: &Piece, masks: &[Mask]) -> Option<String> {
    let (start, end) = (piece.span.start, piece.span.end);
    let mut touching = masks
        .iter()
        .filter(|m| m.span.start < end && m.span.end > start)
        .peekable();
    touching.peek()?;
    let mut out = String::new();
    let mut at = start;
    for mask in touching {
        let cut = mask.span.start.max(at);
        match piece.text.get(at - start..cut - start) {
            Some(kept) => out.push_str(kept),
            // Offsets off a character boundary cannot come from the
            // engines; mask the whole piece rather than guess.
            None => return Some(mask.label.clone()),
        }
        if mask.span.start >= start {
            out.push_str(&mask.label);
        }
        at = at.max(mask.span.end.min(end));
    }
    out.push_str(piece.text.get(at - start..).unwrap_or_default());
    Some(out)
}

/// Takes the text deltas out of an event (they are judged as part of their
/// channel, the rest of the event on its own) with where they go back.
fn take_deltas(value: &mut Value) -> Vec<(String, Vec<Step>, String)> {
    let mut found = Vec::new();
    let mut take = |value: &mut Value, key: String, at: Vec<Step>| {
        if let Some(slot) = get(value, &at).filter(|slot| slot.is_string()) {
            if let Value::String(text) = slot.take() {
                found.push((key, at, text));
            }
        }
    };
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // OpenAI chat completions and legacy completions.
    let choices = value
        .get("choices")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..choices {
        let n = index_of(value, &[Step::Key("choices"), Step::Index(i)], i);
        let choice = [Step::Key("choices"), Step::Index(i)];
        let with = |rest: &[Step]| [&choice[..], rest].concat();
        take(
            value,
            format!("choice{n}"),
            with(&[Step::Key("delta"), Step::Key("content")]),
        );
        take(
            value,
            format!("choice{n}.refusal"),
            with(&[Step::Key("delta"), Step::Key("refusal")]),
        );
        take(value, format!("choice{n}"), with(&[Step::Key("text")]));
        let calls_at = with(&[Step::Key("delta"), Step::Key("tool_calls")]);
        let calls = get(value, &calls_at)
            .and_then(|c| c.as_array().map(Vec::len))
            .unwrap_or(0);
        for k in 0..calls {
            let call = [&calls_at[..], &[Step::Index(k)]].concat();
            let t = index_of(value, &call, k);
            let args = [&call[..], &[Step::Key("function"), Step::Key("arguments")]].concat();
            take(value, format!("choice{n}.tool{t}"), args);
        }
    }
    // Anthropic messages.
    if kind == "content_block_delta" {
        let n = index_of(value, &[], 0);
        for field in ["text", "partial_json", "thinking"] {
            take(
                value,
                format!("block{n}"),
                vec![Step::Key("delta"), Step::Key(field)],
            );
        }
    }
    // OpenAI responses.
    if kind.ends_with(".delta") {
        let at = |name| value.get(name).and_then(Value::as_u64).unwrap_or(0);
        let key = format!("item{}.{}", at("output_index"), at("content_index"));
        take(value, key, vec![Step::Key("delta")]);
    }
    // Gemini.
    let candidates = value
        .get("candidates")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..candidates {
        let n = index_of(value, &[Step::Key("candidates"), Step::Index(i)], i);
        let parts_at = [
            Step::Key("candidates"),
            Step::Index(i),
            Step::Key("content"),
            Step::Key("parts"),
        ];
        let parts = get(value, &parts_at)
            .and_then(|p| p.as_array().map(Vec::len))
            .unwrap_or(0);
        for k in 0..parts {
            let text = [&parts_at[..], &[Step::Index(k), Step::Key("text")]].concat();
            take(value, format!("candidate{n}"), text);
        }
    }
    found
}

/// The `index` member of the object at `at`, else `position`.
fn index_of(value: &mut Value, at: &[Step], position: usize) -> u64 {
    get(value, at)
        .and_then(|v| v.get("index"))
        .and_then(Value::as_u64)
        .unwrap_or(position as u64)
}

fn get<'v>(value: &'v mut Value, at: &[Step]) -> Option<&'v mut Value> {
    at.iter().try_fold(value, |v, step| match step {
        Step::Key(key) => v.get_mut(*key),
        Step::Index(i) => v.get_mut(*i),
    })
}

fn put(value: &mut Value, at: &[Step], new: Value) {
    if let Some(slot) = get(value, at) {
        *slot = new;
    }
}

#[cfg(test)]
mod tests;
