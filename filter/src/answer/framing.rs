//! How a streamed answer cuts its events: server-sent events
//! (`text/event-stream`: OpenAI, Anthropic, Gemini) or one JSON text per
//! line (`application/x-ndjson`: Ollama). Only reading, re-encoding and
//! the last words of a cut stream differ; judging is the same.

use super::ndjson::{self, Lines};
use super::sse::{self, Event, Oversize, Parser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    Lines,
}

impl Framing {
    /// The framing a (lowercase) `content-type` names, if it is a stream.
    pub fn of(content_type: &str) -> Option<Framing> {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        match media {
            "text/event-stream" => Some(Framing::Sse),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines" => Some(Framing::Lines),
            _ => None,
        }
    }

    pub fn reader(self, max_event_bytes: usize) -> Reader {
        match self {
            Framing::Sse => Reader::Sse(Parser::new(max_event_bytes)),
            Framing::Lines => Reader::Lines(Lines::new(max_event_bytes)),
        }
    }

    /// One event carrying `data`.
    pub fn encode(self, name: Option<&str>, data: &str) -> Vec<u8> {
        match self {
            Framing::Sse => sse::encode(name, data),
            Framing::Lines => ndjson::encode(data),
        }
    }
}

/// The events of one stream, read as its framing says.
#[derive(Debug)]
pub enum Reader {
    Sse(Parser),
    Lines(Lines),
}

impl Reader {
    pub fn framing(&self) -> Framing {
        match self {
            Reader::Sse(_) => Framing::Sse,
            Reader::Lines(_) => Framing::Lines,
        }
    }

    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Event>) -> Result<(), Oversize> {
        match self {
            Reader::Sse(parser) => parser.push(chunk, out),
            Reader::Lines(lines) => lines.push(chunk, out),
        }
    }

    pub fn finish(&mut self) -> Option<Event> {
        match self {
            Reader::Sse(parser) => parser.finish(),
            Reader::Lines(lines) => lines.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_by_content_type() {
        for (kind, framing) in [
            ("text/event-stream", Some(Framing::Sse)),
            ("text/event-stream; charset=utf-8", Some(Framing::Sse)),
            ("application/x-ndjson", Some(Framing::Lines)),
            ("application/jsonl", Some(Framing::Lines)),
            ("application/json", None),
            ("text/plain", None),
        ] {
            assert_eq!(Framing::of(kind), framing, "{kind}");
        }
    }

    #[test]
    fn each_framing_reads_what_it_encodes() {
        for framing in [Framing::Sse, Framing::Lines] {
            let bytes = framing.encode(None, "{\"a\":\"b\"}");
            let mut reader = framing.reader(1024);
            let mut events = Vec::new();
            reader.push(&bytes, &mut events).unwrap();
            assert_eq!(events.len(), 1, "{framing:?}");
            assert_eq!(events[0].data.as_deref(), Some("{\"a\":\"b\"}"));
            assert_eq!(events[0].raw, bytes);
            assert!(reader.finish().is_none());
            assert_eq!(reader.framing(), framing);
        }
    }
}
