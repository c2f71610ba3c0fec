//! Incremental reader of newline-delimited JSON streams
//! (`application/x-ndjson`, Ollama's native API): each line is an event,
//! handed over as the same [`Event`] the SSE parser makes, so the stream
//! judge treats both alike.

use std::mem;

use super::sse::{Event, Oversize};

/// Lines of one stream, holding at most `max_line_bytes` between pushes.
#[derive(Debug)]
pub struct Lines {
    max_line_bytes: usize,
    /// The pending line's bytes (no `\n` in them).
    buf: Vec<u8>,
}

impl Lines {
    pub fn new(max_line_bytes: usize) -> Lines {
        Lines {
            max_line_bytes,
            buf: Vec::new(),
        }
    }

    /// Feeds a chunk; appends every line it completes to `out`. A line
    /// longer than `max_line_bytes` is not returned: the `Err` hands over
    /// its bytes and the rest of the chunk, and reading carries on empty
    /// with the next chunk (as [`super::sse::Parser::push`] does).
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Event>) -> Result<(), Oversize> {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if self.buf.len() + end > self.max_line_bytes {
                return Err(self.hand_over(rest));
            }
            let (line, tail) = rest.split_at(end + 1);
            self.buf.extend_from_slice(line);
            out.push(event(mem::take(&mut self.buf)));
            rest = tail;
        }
        if self.buf.len() + rest.len() > self.max_line_bytes {
            return Err(self.hand_over(rest));
        }
        self.buf.extend_from_slice(rest);
        Ok(())
    }

    /// End of stream: the last line when it lacks its `\n`.
    pub fn finish(&mut self) -> Option<Event> {
        let last = mem::take(&mut self.buf);
        (!last.is_empty()).then(|| event(last))
    }

    fn hand_over(&mut self, rest: &[u8]) -> Oversize {
        let mut bytes = mem::take(&mut self.buf);
        bytes.extend_from_slice(rest);
        Oversize { bytes }
    }
}

/// A line as an event: its bytes as they came, its text (line ending cut)
/// as the data, or no data for a blank line.
fn event(raw: Vec<u8>) -> Event {
    let text = raw.strip_suffix(b"\n").unwrap_or(&raw);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let data = (!text.iter().all(u8::is_ascii_whitespace))
        .then(|| String::from_utf8_lossy(text).into_owned());
    Event {
        raw,
        name: None,
        data,
    }
}

/// One line carrying `data` (a JSON text, so without a raw newline).
pub fn encode(data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 1);
    out.extend(data.bytes().map(|b| if b == b'\n' { b' ' } else { b }));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pieces: &[&[u8]], max: usize) -> (Vec<Event>, Vec<Oversize>, Option<Event>) {
        let mut lines = Lines::new(max);
        let mut events = Vec::new();
        let mut oversize = Vec::new();
        for piece in pieces {
            if let Err(o) = lines.push(piece, &mut events) {
                oversize.push(o);
            }
        }
        let tail = lines.finish();
        (events, oversize, tail)
    }

    #[test]
    fn lines_across_chunks_keep_their_bytes() {
        let body = b"{\"a\":1}\r\n\n{\"b\":\"x\xff\"}\n{\"c\":3}";
        for cut in 0..body.len() {
            let (head, tail) = body.split_at(cut);
            let (events, oversize, last) = read(&[head, tail], 1024);
            assert!(oversize.is_empty());
            let data: Vec<Option<&str>> = events.iter().map(|e| e.data.as_deref()).collect();
            assert_eq!(
                data,
                [Some("{\"a\":1}"), None, Some("{\"b\":\"x\u{fffd}\"}")],
                "cut at {cut}"
            );
            let mut raw: Vec<u8> = events.iter().flat_map(|e| e.raw.clone()).collect();
            let last = last.expect("the line without its newline");
            assert_eq!(last.data.as_deref(), Some("{\"c\":3}"));
            raw.extend(last.raw);
            assert_eq!(raw, body, "no byte lost or added");
        }
    }

    #[test]
    fn a_line_over_the_bound_is_handed_over_with_what_follows() {
        let (events, oversize, last) = read(&[b"{\"a\":1}\n0123456789", b"AB\n{}\n"], 10);
        assert_eq!(events.len(), 1);
        assert_eq!(oversize.len(), 1);
        assert_eq!(oversize[0].bytes, b"0123456789AB\n{}\n");
        assert!(last.is_none());

        // A long line whole in one chunk is bounded too.
        let (events, oversize, _) = read(&[b"{}\n0123456789012\n{}\n"], 10);
        assert_eq!(events.len(), 1);
        assert_eq!(oversize[0].bytes, b"0123456789012\n{}\n");

        // Reading carries on after it.
        let mut lines = Lines::new(4);
        let mut events = Vec::new();
        assert!(lines.push(b"123456", &mut events).is_err());
        lines.push(b"12\n", &mut events).unwrap();
        assert_eq!(events[0].data.as_deref(), Some("12"));
    }

    #[test]
    fn encode_keeps_one_line() {
        assert_eq!(encode("{\"a\":\"b\"}"), b"{\"a\":\"b\"}\n");
        assert_eq!(encode("x\ny"), b"x y\n");
    }
}
