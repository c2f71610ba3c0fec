//! Incremental parser for `text/event-stream` bodies (WHATWG "event stream
//! interpretation").
//!
//! The upstream's stream reaches the filter in arbitrary TCP chunks; the
//! parser re-assembles whole events and keeps each one's exact bytes, so an
//! event the filter does not change is forwarded byte for byte. No byte is
//! ever dropped: the `raw` of every event, the bytes of every [`Oversize`]
//! and the tail [`Parser::finish`] returns, concatenated, are the input.
//!
//! Chunk boundaries do not change the events (only what goes with an
//! oversize event depends on them). Every blank line ends an event, so blank
//! lines between events come out as events of their own with no fields.
//!
//! Bounds: no event longer than `max_event_bytes` is returned and the parser
//! holds at most that much between chunks.
//!
//! A blank line ending in `\r` as the last byte of a chunk keeps its event
//! pending until the next byte: a `\n` there belongs to the same line ending
//! and so to that event's `raw`. Streams using `\n` or `\r\n` endings (every
//! LLM API) never wait.

use std::mem;

/// UTF-8 byte order mark: ignored at the start of a stream, per the spec.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Buffer capacity kept between pushes when events are small; a larger
/// buffer is given back, so one burst does not pin memory for the stream.
const MIN_KEPT_CAPACITY: usize = 16 * 1024;

/// One complete event as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The exact bytes, from the event's first line through its terminating
    /// blank line.
    pub raw: Vec<u8>,
    /// The `event:` field's value, if any (the last one wins).
    pub name: Option<String>,
    /// The `data:` lines joined with `\n`, lossy UTF-8; `None` when the
    /// event has no data field (comments, `retry:` only, blank lines).
    pub data: Option<String>,
}

/// The pending bytes of an event that outgrew the parser's bound, handed
/// over whole so the caller decides (pass unscanned or refuse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversize {
    pub bytes: Vec<u8>,
}

/// The fields read so far from the complete lines of the pending event.
#[derive(Debug, Default)]
struct Fields {
    name: Option<String>,
    data: Option<String>,
}

impl Fields {
    /// Applies one line (without its line ending); true for the blank line
    /// that ends the event.
    fn apply(&mut self, line: &[u8]) -> bool {
        if line.is_empty() {
            return true;
        }
        let (field, value) = split_field(line);
        match field {
            b"event" => self.name = Some(String::from_utf8_lossy(value).into_owned()),
            b"data" => self.append_data(value),
            // Comments (empty field name), `id`, `retry` and unknown fields
            // carry nothing to scan; they stay in `raw`.
            _ => {}
        }
        false
    }

    fn append_data(&mut self, value: &[u8]) {
        let value = String::from_utf8_lossy(value);
        match &mut self.data {
            Some(data) => {
                data.push('\n');
                data.push_str(&value);
            }
            None => self.data = Some(value.into_owned()),
        }
    }

    fn take_event(&mut self, raw: Vec<u8>) -> Event {
        let Fields { name, data } = mem::take(self);
        Event { raw, name, data }
    }
}

/// Splits `field: value` (one space after the colon dropped); a line
/// without a colon is a field name with an empty value.
fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return (line, &[]);
    };
    let (field, rest) = line.split_at(colon);
    let value = rest.get(1..).unwrap_or_default();
    (field, value.strip_prefix(b" ").unwrap_or(value))
}

/// Incremental SSE parser holding at most `max_event_bytes` between pushes.
#[derive(Debug)]
pub struct Parser {
    max_event_bytes: usize,
    /// The pending event's bytes; `buf[..line_start]` are complete lines,
    /// already applied to `fields`.
    buf: Vec<u8>,
    line_start: usize,
    /// Where the search for the next line ending resumes, so pending bytes
    /// are scanned once however many chunks an event spans.
    scan: usize,
    fields: Fields,
    /// The next line is the stream's first: a BOM is stripped from it.
    at_stream_start: bool,
}

impl Parser {
    pub fn new(max_event_bytes: usize) -> Parser {
        Parser {
            max_event_bytes,
            buf: Vec::new(),
            line_start: 0,
            scan: 0,
            fields: Fields::default(),
            at_stream_start: true,
        }
    }

    /// Feeds a chunk; appends every event it completes to `out`.
    ///
    /// No event longer than `max_event_bytes` is returned: once the event
    /// being read grows beyond it, the `Err` hands over its bytes and the
    /// rest of the chunk (which follows the events in `out`; what comes
    /// after the oversize event cannot be returned ahead of it), and the
    /// parser carries on empty with the next chunk.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Event>) -> Result<(), Oversize> {
        self.buf.extend_from_slice(chunk);
        let (consumed, overflow) = self.read_lines(out);
        self.drop_consumed(consumed);
        if overflow {
            return Err(self.hand_over());
        }
        Ok(())
    }

    /// End of stream: the bytes of an incomplete last event, if any, with
    /// the fields of its lines (an unterminated last line counts as a line).
    /// The parser is then ready for a new stream.
    pub fn finish(&mut self) -> Option<Event> {
        let mut last = mem::replace(self, Parser::new(self.max_event_bytes));
        if last.buf.is_empty() {
            return None;
        }
        let tail = last.buf.get(last.line_start..).unwrap_or_default();
        // A trailing `\r` waited for a `\n` that never came: it ends the line.
        let line = tail.strip_suffix(b"\r").unwrap_or(tail);
        if !line.is_empty() {
            apply_line(&mut last.fields, &mut last.at_stream_start, line);
        }
        Some(last.fields.take_event(last.buf))
    }

    /// Bytes held for the incomplete event.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Applies every complete line from `scan` on, emitting an event at each
    /// blank line; returns where the still pending event starts and whether
    /// it outgrew the bound.
    fn read_lines(&mut self, out: &mut Vec<Event>) -> (usize, bool) {
        let Parser {
            max_event_bytes,
            buf,
            line_start,
            scan,
            fields,
            at_stream_start,
        } = self;
        let mut event_start = 0;
        loop {
            match next_line_end(buf, *scan) {
                LineEnd::Found { next, .. }
                    if next.saturating_sub(event_start) > *max_event_bytes =>
                {
                    return (event_start, true);
                }
                LineEnd::Found { end, next } => {
                    let line = buf.get(*line_start..end).unwrap_or_default();
                    if apply_line(fields, at_stream_start, line) {
                        let raw = buf.get(event_start..next).unwrap_or_default();
                        out.push(fields.take_event(raw.to_vec()));
                        event_start = next;
                    }
                    *line_start = next;
                    *scan = next;
                }
                LineEnd::Pending { resume } => {
                    *scan = resume;
                    let pending = buf.len().saturating_sub(event_start);
                    return (event_start, pending > *max_event_bytes);
                }
            }
        }
    }

    /// Removes the bytes of events already emitted from the buffer.
    fn drop_consumed(&mut self, consumed: usize) {
        if consumed > 0 {
            self.buf.drain(..consumed.min(self.buf.len()));
            self.line_start = self.line_start.saturating_sub(consumed);
            self.scan = self.scan.saturating_sub(consumed);
        }
        let keep = self.max_event_bytes.max(MIN_KEPT_CAPACITY);
        if self.buf.capacity() > keep.saturating_mul(2) {
            self.buf.shrink_to(keep);
        }
    }

    /// Empties the parser into an [`Oversize`]; parsing resumes with the
    /// next chunk's first byte as the start of an event.
    fn hand_over(&mut self) -> Oversize {
        let bytes = mem::take(&mut self.buf);
        self.fields = Fields::default();
        self.line_start = 0;
        self.scan = 0;
        // Whatever the stream started with went out with these bytes.
        self.at_stream_start = false;
        Oversize { bytes }
    }
}

/// Applies a complete line, first stripping a BOM from the stream's first.
fn apply_line(fields: &mut Fields, at_stream_start: &mut bool, line: &[u8]) -> bool {
    let line = if mem::take(at_stream_start) {
        line.strip_prefix(BOM).unwrap_or(line)
    } else {
        line
    };
    fields.apply(line)
}

enum LineEnd {
    /// A line ends at `end` (its `\r`, `\n` or `\r\n` starts there); the
    /// next line starts at `next`.
    Found { end: usize, next: usize },
    /// No complete line ending: search again from `resume` once more bytes
    /// arrive.
    Pending { resume: usize },
}

fn next_line_end(buf: &[u8], from: usize) -> LineEnd {
    let rest = buf.get(from..).unwrap_or_default();
    let Some(offset) = find_line_break(rest) else {
        return LineEnd::Pending { resume: buf.len() };
    };
    let end = from + offset;
    match (buf.get(end), buf.get(end + 1)) {
        (Some(b'\r'), Some(b'\n')) => LineEnd::Found { end, next: end + 2 },
        // A `\r` last: the `\n` of a `\r\n` may be in the next chunk.
        (Some(b'\r'), None) => LineEnd::Pending { resume: end },
        _ => LineEnd::Found { end, next: end + 1 },
    }
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LF_BYTES: u64 = LOW_BITS * b'\n' as u64;
const CR_BYTES: u64 = LOW_BITS * b'\r' as u64;

/// Index of the first `\r` or `\n`, testing eight bytes per step: this runs
/// on every byte of every streamed answer.
fn find_line_break(hay: &[u8]) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let word = u64::from_le_bytes(bytes);
        let hits = zero_bytes(word ^ LF_BYTES) | zero_bytes(word ^ CR_BYTES);
        if hits != 0 {
            // Little-endian: the lowest flagged byte is the first in memory,
            // and the lowest flag is never a false positive.
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|i| offset + i)
}

/// Flags (high bit) the zero bytes of `x`; flags above a true zero byte
/// may be spurious, the lowest one is exact.
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// Serialises an event: `event: <name>` when named, one `data:` line per
/// line of `data`, then a blank line. Every line break of `data` (`\r\n`,
/// `\r`, `\n`) starts a new `data:` line and line breaks in `name` become
/// spaces, so no content can end a field or the event early.
pub fn encode(name: Option<&str>, data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + name.map_or(0, str::len) + 16);
    if let Some(name) = name {
        out.extend_from_slice(b"event: ");
        out.extend(name.bytes().map(|b| match b {
            b'\r' | b'\n' => b' ',
            other => other,
        }));
        out.push(b'\n');
    }
    for_each_line(data, |line| {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.push(b'\n');
    });
    out.push(b'\n');
    out
}

/// Calls `f` with each line of `text`, split on `\r\n`, `\r` and `\n`.
fn for_each_line(text: &str, mut f: impl FnMut(&[u8])) {
    let mut rest = text.as_bytes();
    loop {
        let Some(at) = find_line_break(rest) else {
            f(rest);
            return;
        };
        let (line, tail) = rest.split_at(at);
        f(line);
        rest = tail
            .strip_prefix(b"\r\n")
            .or_else(|| tail.get(1..))
            .unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BIG: usize = 1 << 20;

    /// Pieces of real-looking streams, each line-ending style included.
    const PIECES: &[&[u8]] = &[
        b"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
        b"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9t\xc3\xa9\"}}]}\n\n",
        b"data: [DONE]\n\n",
        b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        b"event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
        b": keep-alive comment\n\n",
        b"retry: 3000\nid: 7\n\n",
        b"data: first line\rdata: second\r\r",
        b"event: a\nevent: b\ndata\ndata:  spaced\nfoo: bar\n\n",
        b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\r\n\r\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"data: no end yet",
    ];

    fn parse_in_chunks(input: &[u8], sizes: &[usize]) -> Vec<Event> {
        let mut parser = Parser::new(BIG);
        let mut events = Vec::new();
        let mut rest = input;
        for &size in sizes {
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            parser.push(chunk, &mut events).unwrap();
            rest = tail;
        }
        parser.push(rest, &mut events).unwrap();
        events.extend(parser.finish());
        events
    }

    fn parse_whole(input: &[u8]) -> Vec<Event> {
        parse_in_chunks(input, &[])
    }

    fn concat(events: &[Event]) -> Vec<u8> {
        events.iter().flat_map(|e| e.raw.iter().copied()).collect()
    }

    fn data_of(events: &[Event]) -> Vec<Option<&str>> {
        events.iter().map(|e| e.data.as_deref()).collect()
    }

    #[test]
    fn sample_stream_in_one_piece() {
        let input: Vec<u8> = PIECES[..10].concat();
        let events = parse_whole(&input);
        assert_eq!(concat(&events), input);
        assert_eq!(events.len(), 10);
        assert!(events[0]
            .data
            .as_deref()
            .unwrap()
            .contains("chat.completion.chunk"));
        assert_eq!(events[2].data.as_deref(), Some("[DONE]"));
        assert_eq!(events[3].name.as_deref(), Some("content_block_delta"));
        assert_eq!(events[4].name.as_deref(), Some("message_stop"));
        assert_eq!(
            events[4].raw,
            b"event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n"
        );
        assert_eq!(events[5].data, None);
        assert_eq!(events[6].data, None);
        assert_eq!(events[7].data.as_deref(), Some("first line\nsecond"));
        assert_eq!(events[8].name.as_deref(), Some("b"));
        assert_eq!(events[8].data.as_deref(), Some("\n spaced"));
        assert!(events[9].data.as_deref().unwrap().contains("candidates"));
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_ending() {
        let mut parser = Parser::new(BIG);
        let mut events = Vec::new();
        for chunk in [&b"data: a\r"[..], b"\n\r", b"\n", b"data: b\r\n\r", b"\n"] {
            parser.push(chunk, &mut events).unwrap();
        }
        assert_eq!(parser.finish(), None);
        assert_eq!(data_of(&events), [Some("a"), Some("b")]);
        assert_eq!(events[0].raw, b"data: a\r\n\r\n");
        assert_eq!(events[1].raw, b"data: b\r\n\r\n");
    }

    #[test]
    fn cr_only_endings_complete_on_the_next_byte() {
        let mut parser = Parser::new(BIG);
        let mut events = Vec::new();
        parser.push(b"data: a\r\r", &mut events).unwrap();
        assert!(events.is_empty());
        parser.push(b"data: b\r\r", &mut events).unwrap();
        assert_eq!(data_of(&events), [Some("a")]);
        let last = parser.finish().unwrap();
        assert_eq!(
            (last.raw.as_slice(), last.data.as_deref()),
            (&b"data: b\r\r"[..], Some("b"))
        );
    }

    #[test]
    fn blank_lines_between_events_keep_their_bytes() {
        let input = b"\n\ndata: x\n\n\r\n";
        let events = parse_whole(input);
        assert_eq!(concat(&events), input);
        assert_eq!(data_of(&events), [None, None, Some("x"), None]);
    }

    #[test]
    fn events_without_data() {
        let events = parse_whole(b": ping\n\nretry: 10\n\nid: 3\n\nevent: x\n\ndata\n\n");
        assert_eq!(data_of(&events), [None, None, None, None, Some("")]);
        assert_eq!(events[3].name.as_deref(), Some("x"));
    }

    #[test]
    fn oversize_pending_event_is_handed_over() {
        let mut parser = Parser::new(16);
        let mut events = Vec::new();
        let big = b"data: ok\n\ndata: 0123456789abcdefghij";
        let err = parser.push(big, &mut events).unwrap_err();
        assert_eq!(data_of(&events), [Some("ok")]);
        assert_eq!(err.bytes, b"data: 0123456789abcdefghij");
        assert_eq!(parser.pending(), 0);
        parser.push(b"klm\n\ndata: y\n\n", &mut events).unwrap();
        assert_eq!(data_of(&events), [Some("ok"), None, Some("y")]);
        let mut all = concat(&events[..1]);
        all.extend_from_slice(&err.bytes);
        all.extend_from_slice(&concat(&events[1..]));
        assert_eq!(
            all,
            b"data: ok\n\ndata: 0123456789abcdefghijklm\n\ndata: y\n\n"
        );
    }

    #[test]
    fn a_whole_oversize_event_takes_the_rest_of_its_chunk() {
        let mut parser = Parser::new(16);
        let mut events = Vec::new();
        let chunk = b"data: a\n\ndata: 0123456789abcdef\n\ndata: b\n\n";
        let err = parser.push(chunk, &mut events).unwrap_err();
        assert_eq!(data_of(&events), [Some("a")]);
        assert_eq!(err.bytes, b"data: 0123456789abcdef\n\ndata: b\n\n");
        assert_eq!(parser.pending(), 0);
        parser.push(b"data: c\n\n", &mut events).unwrap();
        assert_eq!(data_of(&events), [Some("a"), Some("c")]);
    }

    #[test]
    fn an_event_of_exactly_the_bound_passes() {
        let mut parser = Parser::new(10);
        let mut events = Vec::new();
        parser.push(b"data: 12\n\n", &mut events).unwrap();
        assert_eq!(data_of(&events), [Some("12")]);
    }

    #[test]
    fn oversize_accumulated_over_chunks() {
        let mut parser = Parser::new(10);
        let mut events = Vec::new();
        parser.push(b"data: 1234", &mut events).unwrap();
        assert_eq!(parser.pending(), 10);
        let err = parser.push(b"5", &mut events).unwrap_err();
        assert_eq!(err.bytes, b"data: 12345");
        assert!(events.is_empty());
    }

    #[test]
    fn finish_returns_a_partial_event() {
        let mut parser = Parser::new(BIG);
        let mut events = Vec::new();
        parser
            .push(b"data: done\n\nevent: x\ndata: a\nda", &mut events)
            .unwrap();
        parser.push(b"ta: b", &mut events).unwrap();
        assert_eq!(data_of(&events), [Some("done")]);
        let last = parser.finish().unwrap();
        assert_eq!(last.raw, b"event: x\ndata: a\ndata: b");
        assert_eq!(last.name.as_deref(), Some("x"));
        assert_eq!(last.data.as_deref(), Some("a\nb"));
        assert_eq!(parser.pending(), 0);
        assert_eq!(parser.finish(), None);
    }

    #[test]
    fn leading_bom_is_ignored_but_kept() {
        let input = b"\xEF\xBB\xBFdata: x\n\n\xEF\xBB\xBFdata: y\n\n";
        for split in 0..input.len() {
            let events = parse_in_chunks(input, &[split]);
            assert_eq!(concat(&events), input);
            assert_eq!(events[0].data.as_deref(), Some("x"));
            // Only the stream's first BOM is special.
            assert_eq!(events[1].data, None);
        }
    }

    #[test]
    fn encode_round_trips_and_keeps_framing() {
        let bytes = encode(Some("err\nor"), "a\r\nb\rc\nd");
        assert_eq!(
            bytes,
            b"event: err or\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        let events = parse_whole(&bytes);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].name.as_deref(), Some("err or"));
        assert_eq!(events[0].data.as_deref(), Some("a\nb\nc\nd"));
        assert_eq!(encode(None, ""), b"data: \n\n");
        assert_eq!(encode(None, "[DONE]"), b"data: [DONE]\n\n");
    }

    proptest! {
        #[test]
        fn chunking_never_changes_the_events(
            picks in proptest::collection::vec(0..PIECES.len(), 0..24),
            bom in any::<bool>(),
            sizes in proptest::collection::vec(0usize..40, 0..64),
        ) {
            let mut input = if bom { BOM.to_vec() } else { Vec::new() };
            for &pick in &picks {
                input.extend_from_slice(PIECES[pick]);
            }
            let whole = parse_whole(&input);
            prop_assert_eq!(concat(&whole), input.clone());
            prop_assert_eq!(parse_in_chunks(&input, &sizes), whole);
        }

        #[test]
        fn bytes_survive_any_bound(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b':'), Just(b'd'), any::<u8>()],
                0..300,
            ),
            max in 0usize..40,
            sizes in proptest::collection::vec(1usize..50, 0..20),
        ) {
            let mut parser = Parser::new(max);
            let mut out = Vec::new();
            let mut events = Vec::new();
            let mut rest = input.as_slice();
            for size in sizes.into_iter().chain([usize::MAX]) {
                let (chunk, tail) = rest.split_at(size.min(rest.len()));
                rest = tail;
                let result = parser.push(chunk, &mut events);
                prop_assert!(events.iter().all(|e| e.raw.len() <= max));
                out.extend(events.drain(..).flat_map(|e| e.raw));
                if let Err(oversize) = result {
                    out.extend(oversize.bytes);
                }
                prop_assert!(parser.pending() <= max);
            }
            out.extend(parser.finish().into_iter().flat_map(|e| e.raw));
            prop_assert_eq!(out, input);
        }

        #[test]
        fn line_break_search_matches_a_naive_one(
            hay in proptest::collection::vec(
                prop_oneof![1 => Just(b'\n'), 1 => Just(b'\r'), 2 => Just(0x8d_u8), 40 => any::<u8>()],
                0..80,
            ),
        ) {
            let naive = hay.iter().position(|&b| b == b'\n' || b == b'\r');
            prop_assert_eq!(find_line_break(&hay), naive);
        }
    }
}
