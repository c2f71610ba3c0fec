//! The upstream's answer, judged on its way back to the client.
//!
//! - `policy`  the policy's `response` object
//! - `json`    a buffered JSON answer: every string judged, masked in place
//! - `framing` a stream's events: server-sent events or JSON lines
//! - `sse`     an event stream re-assembled from arbitrary TCP chunks
//! - `ndjson`  a JSON-lines stream, likewise
//! - `stream`  a stream judged as it flows: text deltas joined per
//!   choice / content block, a window held back, masked or ended
//! - `deltas`  which strings of an event are text deltas, of which channel
//! - `walk`    an event's strings and their paths, read without a tree
//! - `errors`  the error answers, in each API's body and stream shape

pub mod deltas;
pub mod errors;
pub mod framing;
pub mod json;
pub mod ndjson;
pub mod policy;
pub mod sse;
pub mod stream;
pub mod walk;

use sentinel_engines::{Allowlist, Detection, Leakage, Scanner};

use framing::Framing;
use policy::Mode;

/// How an answer is read, by its (lowercase) `content-type`: JSON whole,
/// a stream as it flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Whole,
    Stream(Framing),
}

impl Reading {
    /// `None` for what is not read (text, HTML, images, ...).
    pub fn of(content_type: &str) -> Option<Reading> {
        match Framing::of(content_type) {
            Some(framing) => Some(Reading::Stream(framing)),
            None if content_type.contains("json") => Some(Reading::Whole),
            None => None,
        }
    }
}

/// What became of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Judged, nothing found.
    Clean,
    /// Found something; delivered unchanged (response mode `monitor`).
    Flagged,
    Redacted,
    Blocked,
    /// Not judged: compressed, too large, or an oversize stream event.
    Unscanned,
}

impl Delivery {
    /// The outcome of a judged answer with `found` findings under `mode`.
    pub fn of(found: bool, mode: Mode) -> Delivery {
        match (found, mode) {
            (false, _) | (true, Mode::Off) => Delivery::Clean,
            (true, Mode::Monitor) => Delivery::Flagged,
            (true, Mode::Redact) => Delivery::Redacted,
            (true, Mode::Block) => Delivery::Blocked,
        }
    }
}

/// What judges an answer's texts: the response engines, the policy's
/// allow-list, the system-prompt leakage checks and what to do with
/// findings.
pub struct Judge<'a> {
    scanner: &'a Scanner,
    allowlist: &'a Allowlist,
    leakage: &'a Leakage,
    mode: Mode,
}

impl<'a> Judge<'a> {
    pub fn new(
        scanner: &'a Scanner,
        allowlist: &'a Allowlist,
        leakage: &'a Leakage,
        mode: Mode,
    ) -> Judge<'a> {
        Judge {
            scanner,
            allowlist,
            leakage,
            mode,
        }
    }

    pub fn leakage(&self) -> &Leakage {
        self.leakage
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether findings are masked in what is delivered.
    pub fn redacts(&self) -> bool {
        self.mode == Mode::Redact
    }

    /// What the allow-list leaves of the engines' findings in `text`, and
    /// the canaries in it: what a part of a text can show.
    pub fn text(&self, text: &str) -> Vec<Detection> {
        let mut found = self.engines(text);
        found.extend(self.leakage.canaries(text));
        found
    }

    /// The engines' findings, the canaries and the system prompts a whole
    /// text echoes.
    pub fn whole(&self, text: &str) -> Vec<Detection> {
        let mut found = self.engines(text);
        found.extend(self.leakage.find(text));
        found
    }

    fn engines(&self, text: &str) -> Vec<Detection> {
        self.allowlist
            .apply(text, self.scanner.scan(text))
            .detections
    }
}

/// No canaries, no prompts: for tests of everything else.
#[cfg(test)]
pub(crate) fn no_leakage() -> &'static Leakage {
    static NONE: std::sync::OnceLock<Leakage> = std::sync::OnceLock::new();
    NONE.get_or_init(Leakage::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_by_content_type() {
        for (kind, reading) in [
            ("application/json", Some(Reading::Whole)),
            ("application/json; charset=utf-8", Some(Reading::Whole)),
            ("text/event-stream", Some(Reading::Stream(Framing::Sse))),
            (
                "application/x-ndjson",
                Some(Reading::Stream(Framing::Lines)),
            ),
            ("text/plain", None),
        ] {
            assert_eq!(Reading::of(kind), reading, "{kind}");
        }
    }
}
