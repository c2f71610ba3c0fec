//! A streamed answer judged as it flows: server-sent events
//! (`text/event-stream`) or JSON lines (`application/x-ndjson`), see
//! [`Framing`].
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

use sentinel_engines::{masks, redact, Detection, Echo, Mask, Span, TextStream};
use serde_json::Value;

use super::framing::{Framing, Reader};
use super::policy::{Mode, Unscanned, MAX_EVENT_BYTES};
use super::sse::Event;
use super::walk::{self, Scalar, Step};
use super::{deltas, errors, json, Judge};
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
    reader: Reader,
    channels: Vec<Channel>,
    queue: VecDeque<Held>,
    /// What was found (the first [`MAX_FINDINGS`]).
    pub found: Vec<Detection>,
    /// Events that could not be judged (larger than [`MAX_EVENT_BYTES`]).
    pub unscannable: u32,
    /// Why the stream was ended early, if it was: a category or a reason.
    /// Everything that follows is dropped.
    pub blocked: Option<String>,
    /// The upstream ended the body in the middle of an event (dropped).
    pub truncated: bool,
}

struct Channel {
    key: deltas::Channel,
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
    /// Strings outside the deltas that were masked: their leaf number in
    /// the data (see [`walk::leaves`]) and their new text.
    replaced: Vec<(usize, String)>,
}

enum Body {
    /// Forwarded as it came (no text, or unscannable and passed).
    Raw,
    /// The event's data, JSON.
    Json(String),
    /// Data that is not JSON: its one piece is the whole data.
    Text,
}

/// One delta of an event.
struct Piece {
    channel: usize,
    span: Span,
    text: String,
    /// Its leaf number in the event's data; the path is found again only
    /// for an event that must be re-encoded.
    leaf: usize,
}

impl Stream {
    pub fn new(
        framing: Framing,
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
            reader: framing.reader(MAX_EVENT_BYTES),
            channels: Vec::new(),
            queue: VecDeque::new(),
            found: Vec::new(),
            unscannable: 0,
            blocked: None,
            truncated: false,
        }
    }

    fn ended(&self) -> bool {
        self.blocked.is_some()
    }

    /// Takes the next chunk of the upstream's body; returns the bytes the
    /// client may have now.
    pub fn push(&mut self, chunk: &[u8], judge: &Judge<'_>) -> Vec<u8> {
        if self.ended() {
            return Vec::new();
        }
        let mut events = Vec::new();
        let oversize = self.reader.push(chunk, &mut events).err();
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
        if self.ended() {
            return out;
        }
        // An event the upstream cut off is not dispatched by SSE clients
        // either; only one whose data is whole (the final blank line
        // missing) is kept.
        if let Some(tail) = self.reader.finish() {
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

    fn accept(&mut self, event: Event, judge: &Judge<'_>, out: &mut Vec<u8>) {
        if self.ended() {
            return;
        }
        let Event { raw, name, data } = event;
        let mut held = Held {
            raw,
            name,
            body: Body::Raw,
            pieces: Vec::new(),
            replaced: Vec::new(),
        };
        if let Some(data) = data.filter(|d| d.trim() != "[DONE]") {
            match walk::leaves(&data) {
                Ok(leaves) => {
                    for (n, leaf) in leaves.iter().enumerate() {
                        let Scalar::Str(text) = leaf.value else {
                            continue;
                        };
                        if let Some(key) = deltas::channel(leaf, &leaves) {
                            self.piece(&mut held, key, n, String::from(text.as_ref()), judge, out);
                        } else if !text.is_empty() && !leaf.key().is_some_and(json::not_text) {
                            let found = judge.whole(text);
                            if !found.is_empty() && judge.redacts() {
                                held.replaced.push((n, redact(text, &found)));
                            }
                            self.found(found, judge, out);
                        }
                    }
                    held.body = Body::Json(data);
                }
                Err(_) => {
                    self.piece(&mut held, deltas::Channel::Raw, 0, data, judge, out);
                    held.body = Body::Text;
                }
            }
        }
        if !self.ended() {
            self.queue.push_back(held);
        }
    }

    fn piece(
        &mut self,
        held: &mut Held,
        key: deltas::Channel,
        leaf: usize,
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
            leaf,
        });
    }

    fn channel(&mut self, key: deltas::Channel, judge: &Judge<'_>) -> usize {
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
                replaced: Vec::new(),
            }),
            Unscanned::Block => {
                let end = errors::stream_unscanned(
                    self.reader.framing(),
                    self.format,
                    "event_too_large",
                    &self.request_id,
                );
                self.end("event_too_large", end, out);
            }
        }
    }

    /// Judges every channel that has enough held (all of them when the
    /// stream is `finished`).
    fn judge(&mut self, judge: &Judge<'_>, finished: bool, out: &mut Vec<u8>) {
        for i in 0..self.channels.len() {
            if self.ended() {
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
            let end = errors::stream_blocked(
                self.reader.framing(),
                self.format,
                &category,
                &self.request_id,
            );
            self.end(&category, end, out);
        }
    }

    fn end(&mut self, why: &str, last: Vec<u8>, out: &mut Vec<u8>) {
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
            replaced,
        } = held;
        let mut changed = !replaced.is_empty();
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
            // Only an event with something masked is parsed whole.
            Body::Json(data) => {
                let (Ok(leaves), Ok(mut value)) =
                    (walk::leaves(&data), serde_json::from_str::<Value>(&data))
                else {
                    // It parsed once; should it not now, nothing unmasked
                    // leaves.
                    return;
                };
                let masked = pieces
                    .iter()
                    .zip(texts)
                    .filter_map(|(piece, text)| Some((piece.leaf, text?)));
                for (n, text) in masked.chain(replaced) {
                    if let Some(leaf) = leaves.get(n) {
                        put(&mut value, leaf.path, Value::String(text));
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
        let framing = self.reader.framing();
        out.extend_from_slice(&framing.encode(name.as_deref(), &data));
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

fn put(value: &mut Value, at: &[Step<'_>], new: Value) {
    let slot = at.iter().try_fold(value, |v, step| match step {
        Step::Key(key) => v.get_mut(key.as_ref()),
        Step::Index(i) => v.get_mut(*i),
    });
    if let Some(slot) = slot {
        *slot = new;
    }
}

#[cfg(test)]
mod tests;
