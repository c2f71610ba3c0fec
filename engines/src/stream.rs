//! A text that arrives in pieces (a model's answer, streamed), judged as it
//! grows without being held whole.
//!
//! The text is judged in steps. Each step scans what is held plus a little
//! of what came before (the context, so a value split across pieces is
//! still read whole), reports what it found, and declares the text up to a
//! *safe* offset judged: the caller may hand that part on. Behind the safe
//! offset stays at least the window (sized to the longest value a rule
//! matches in practice), and any unfinished run of non-space characters
//! (a key, a token, a URL still arriving), up to [`MAX_RUN`] bytes. A value
//! longer than that can be found only after its start was released.
//!
//! Offsets are byte offsets into the whole stream; only a bounded tail of
//! it is kept.

use crate::redact::{ceil_boundary, floor_boundary};
use crate::{Detection, Span};

/// The longest run of non-space characters held back whole.
pub const MAX_RUN: usize = 4096;

/// Spans reported and still within the kept text: they are not reported
/// again when a later step reads them as context.
const MAX_REPORTED: usize = 256;

#[derive(Debug)]
pub struct TextStream {
    window: usize,
    /// The stream from offset `base` on.
    text: String,
    base: usize,
    /// Everything before it is judged.
    safe: usize,
    /// Where the text ended at the last step.
    judged_to: usize,
    reported: Vec<Span>,
}

impl TextStream {
    /// A stream judged with `window` bytes held back (at least 1).
    pub fn new(window: usize) -> TextStream {
        TextStream {
            window: window.max(1),
            text: String::new(),
            base: 0,
            safe: 0,
            judged_to: 0,
            reported: Vec::new(),
        }
    }

    /// The stream offset where the next piece starts.
    pub fn len(&self) -> usize {
        self.base + self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything before this offset is judged and may be handed on.
    pub fn safe(&self) -> usize {
        self.safe
    }

    /// Appends a piece; returns where it lies in the stream.
    pub fn push(&mut self, piece: &str) -> Span {
        let start = self.len();
        self.text.push_str(piece);
        Span {
            start,
            end: self.len(),
        }
    }

    /// Whether enough is held that a step would release a window's worth,
    /// and a window's worth came since the last step (a run held whole
    /// is not scanned again for every piece): judging more often would
    /// scan the same bytes more times.
    pub fn due(&self) -> bool {
        let len = self.len();
        len - self.safe >= 2 * self.window && len - self.judged_to >= self.window
    }

    /// Judges what is held with `find` (the detections in a text, spans
    /// relative to it: the scanner with the allow-list applied, say).
    /// Returns what was found that was not reported before (spans in stream
    /// offsets) and moves the safe offset. When `finished` (the stream
    /// ended), everything becomes safe.
    pub fn judge(
        &mut self,
        find: &dyn Fn(&str) -> Vec<Detection>,
        finished: bool,
    ) -> Vec<Detection> {
        let end = self.len();
        self.judged_to = end;
        if self.safe >= end {
            return Vec::new();
        }
        let from = self.context_start();
        let slice = &self.text[from - self.base..];
        let detections = find(slice);
        let mut limit = if finished {
            end
        } else {
            end.saturating_sub(self.window).max(self.safe)
        };
        if !finished {
            // An unfinished run may be the start of a value: keep it whole.
            let run = slice.rfind(char::is_whitespace).map_or(0, |i| {
                i + slice[i..].chars().next().map_or(1, char::len_utf8)
            });
            let run_start = from + run;
            if end - run_start <= MAX_RUN {
                limit = limit.min(run_start.max(self.safe));
            }
        }
        let mut found: Vec<Detection> = detections.into_iter().map(|d| shifted(d, from)).collect();
        if !finished {
            // A value that reaches into what is held back may still grow:
            // it is judged once its end is known.
            for d in &found {
                if d.span.end > limit && end - d.span.start <= MAX_RUN {
                    limit = limit.min(d.span.start.max(self.safe));
                }
            }
            found.retain(|d| d.span.start < limit);
        }
        found.retain(|d| {
            d.span.end > self.safe && !self.reported.iter().any(|r| r.overlaps(&d.span))
        });
        self.reported.extend(found.iter().map(|d| d.span));
        self.safe = self.safe.max(limit);
        self.trim();
        found
    }

    /// Where a step starts reading: a window before the safe offset,
    /// moved to the start of a word when one begins in between (a word cut
    /// in half could read as something else).
    fn context_start(&self) -> usize {
        let lo = self.safe.saturating_sub(self.window).max(self.base);
        let local = floor_boundary(&self.text, lo - self.base);
        let upto = floor_boundary(&self.text, self.safe - self.base).max(local);
        let context = &self.text[local..upto];
        let word = context.find(char::is_whitespace).map_or(0, |i| {
            i + context[i..].chars().next().map_or(1, char::len_utf8)
        });
        self.base + ceil_boundary(&self.text, local + word).min(upto.max(local))
    }

    /// Drops what no later step reads (more than a window before the safe
    /// offset), in large steps so that trimming costs linear time.
    fn trim(&mut self) {
        let keep_from = self.safe.saturating_sub(self.window);
        if keep_from <= self.base + self.window {
            return;
        }
        let cut = floor_boundary(&self.text, keep_from - self.base);
        self.text.drain(..cut);
        self.base += cut;
        let base = self.base;
        self.reported.retain(|r| r.end > base);
        if self.reported.len() > MAX_REPORTED {
            let extra = self.reported.len() - MAX_REPORTED;
            self.reported.drain(..extra);
        }
    }
}

fn shifted(mut d: Detection, by: usize) -> Detection {
    d.span = Span {
        start: d.span.start + by,
        end: d.span.end + by,
    };
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Allowlist, Engine, Scanner};

    /// The scanner's findings the allow-list leaves.
    fn finder<'a>(
        scanner: &'a Scanner,
        allow: &'a Allowlist,
    ) -> impl Fn(&str) -> Vec<Detection> + 'a {
        move |text| allow.apply(text, scanner.scan(text)).detections
    }

    fn scanner() -> Scanner {
        Scanner::builder()
            .engines(&[Engine::Pii, Engine::Secrets, Engine::Exfiltration])
            .build()
            .expect("builds")
    }

    /// Feeds `text` in pieces of `size` bytes (at char boundaries),
    /// judging whenever due; returns (released offsets after each piece,
    /// detections).
    fn feed(text: &str, size: usize, window: usize) -> (Vec<usize>, Vec<Detection>) {
        let scanner = scanner();
        let allow = Allowlist::default();
        let mut stream = TextStream::new(window);
        let (mut safe, mut found) = (Vec::new(), Vec::new());
        let mut rest = text;
        while !rest.is_empty() {
            let mut cut = size.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            let (piece, tail) = rest.split_at(cut);
            stream.push(piece);
            rest = tail;
            if stream.due() {
                found.extend(stream.judge(&finder(&scanner, &allow), false));
            }
            safe.push(stream.safe());
        }
        found.extend(stream.judge(&finder(&scanner, &allow), true));
        assert_eq!(stream.safe(), text.len());
        (safe, found)
    }

    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";

    #[test]
    fn a_value_split_across_pieces_is_found_before_it_is_released() {
        let filler = "The weather today is mild with a light breeze from the west. ";
        let text = format!(
            "{}Your key is {KEY} and nothing more. {}",
            filler.repeat(5),
            filler.repeat(5)
        );
        let key_at = text.find(KEY).expect("key");
        for size in [1, 3, 4, 7, 16] {
            let mut scanner_found_at = None;
            let scanner = scanner();
            let allow = Allowlist::default();
            let mut stream = TextStream::new(64);
            for (i, c) in text.as_bytes().chunks(size).enumerate() {
                stream.push(std::str::from_utf8(c).expect("ascii"));
                if stream.due() {
                    let found = stream.judge(&finder(&scanner, &allow), false);
                    if found.iter().any(|d| d.category == "aws_access_key") {
                        scanner_found_at = Some(i);
                    }
                }
                if scanner_found_at.is_none() {
                    assert!(
                        stream.safe() <= key_at,
                        "released part of the key before finding it"
                    );
                }
            }
            assert!(
                scanner_found_at.is_some(),
                "size {size}: key found mid-stream"
            );
        }
    }

    #[test]
    fn every_value_is_reported_once_with_its_stream_span() {
        let filler = "Nothing to see in this sentence at all, really nothing. ";
        let text = format!(
            "{f}Write to jane.doe@example.com today. {f}{f}Key: {KEY}. {f}{f}Mail bob@example.org {f}",
            f = filler
        );
        for (size, window) in [(1, 32), (5, 64), (13, 128), (400, 64)] {
            let (_, found) = feed(&text, size, window);
            let got: Vec<(&str, &str)> = found
                .iter()
                .map(|d| (d.category.as_ref(), &text[d.span.start..d.span.end]))
                .collect();
            assert_eq!(
                got,
                [
                    ("email", "jane.doe@example.com"),
                    ("aws_access_key", KEY),
                    ("email", "bob@example.org"),
                ],
                "pieces of {size}, window {window}"
            );
        }
    }

    #[test]
    fn a_run_still_arriving_is_held_whole() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let mut stream = TextStream::new(16);
        stream.push("A long answer begins here and then a token: ");
        let token_at = stream.len();
        stream.push(&"x".repeat(100));
        assert!(stream.due());
        stream.judge(&finder(&scanner, &allow), false);
        assert_eq!(stream.safe(), token_at, "held from the start of the run");
        stream.push(" done");
        stream.push(&" more words follow".repeat(4));
        stream.judge(&finder(&scanner, &allow), false);
        assert!(stream.safe() > token_at + 100);
    }

    #[test]
    fn a_run_held_whole_is_not_judged_for_every_piece() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let mut stream = TextStream::new(16);
        stream.push("words before a long token: ");
        let mut steps = 0;
        for _ in 0..400 {
            stream.push("abcd");
            if stream.due() {
                stream.judge(&finder(&scanner, &allow), false);
                steps += 1;
            }
        }
        // 1,600 bytes of one run: a step per window of it, not per piece.
        assert!((90..=110).contains(&steps), "{steps} steps");
    }

    #[test]
    fn a_run_longer_than_the_bound_is_released() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let mut stream = TextStream::new(16);
        stream.push(&"y".repeat(MAX_RUN + 100));
        stream.judge(&finder(&scanner, &allow), false);
        assert_eq!(stream.safe(), MAX_RUN + 100 - 16);
    }

    #[test]
    fn the_allowlist_silences_stream_values() {
        let scanner = scanner();
        let allow = Allowlist::new(["re:AKIA[0-9A-Z]{9}EXAMPLE"]).expect("valid");
        let mut stream = TextStream::new(32);
        stream.push(&format!("key {KEY} end"));
        assert!(stream.judge(&finder(&scanner, &allow), true).is_empty());
    }

    #[test]
    fn kept_text_stays_bounded() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let mut stream = TextStream::new(64);
        for _ in 0..2000 {
            stream.push("plain words in a long answer ");
            if stream.due() {
                stream.judge(&finder(&scanner, &allow), false);
            }
        }
        assert!(stream.text.len() < 8 * 64, "kept {}", stream.text.len());
        assert!(stream.safe() > stream.len() - 4 * 64);
    }

    #[test]
    fn multibyte_text_in_odd_pieces() {
        let text = "Ünïcödé façade — naïve café 日本語のテキスト. ".repeat(20);
        let (_, found) = feed(&text, 3, 16);
        assert!(found.is_empty());
    }
}
