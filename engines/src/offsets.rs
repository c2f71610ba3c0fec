//! Offset map from a normalised text back to the original bytes.
//!
//! Stored as segments rather than one entry per byte: most text maps 1:1
//! (ASCII, or a case change that keeps the byte length), so a typical map is a
//! handful of segments however long the text is.

use crate::Span;

/// One stretch of normalised text and the original bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// First normalised byte of the segment (segments are sorted by it).
    norm_start: usize,
    orig_start: usize,
    orig_end: usize,
    /// `true`: byte `norm_start + k` comes from byte `orig_start + k`.
    /// `false`: the whole normalised stretch stands for the whole original
    /// stretch (a rewritten character or a folded whitespace run).
    linear: bool,
}

/// Maps byte ranges of a normalised text to byte ranges of its original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OffsetMap {
    segments: Vec<Segment>,
    norm_len: usize,
}

impl OffsetMap {
    /// The map of a text that was not changed at all.
    pub(crate) fn identity(len: usize) -> Self {
        let mut map = OffsetMap::default();
        map.push_linear(0, len);
        map
    }

    /// Records `len` bytes copied (or rewritten byte for byte) from `orig_start`.
    pub(crate) fn push_linear(&mut self, orig_start: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segments.last_mut() {
            if last.linear && last.orig_end == orig_start {
                last.orig_end += len;
                self.norm_len += len;
                return;
            }
        }
        self.segments.push(Segment {
            norm_start: self.norm_len,
            orig_start,
            orig_end: orig_start + len,
            linear: true,
        });
        self.norm_len += len;
    }

    /// Records `norm_len` normalised bytes standing for `orig` as a whole.
    pub(crate) fn push_replaced(&mut self, orig_start: usize, orig_end: usize, norm_len: usize) {
        if norm_len == 0 {
            return;
        }
        self.segments.push(Segment {
            norm_start: self.norm_len,
            orig_start,
            orig_end,
            linear: false,
        });
        self.norm_len += norm_len;
    }

    /// Length of the normalised text this map was built for.
    #[cfg(test)]
    pub(crate) fn norm_len(&self) -> usize {
        self.norm_len
    }

    /// Original span covering the normalised range `[start, end)`: it starts
    /// at the original of the first normalised byte and ends after the
    /// original of the last one, so characters removed *inside* the range are
    /// covered and those around it are not.
    pub(crate) fn to_original(&self, start: usize, end: usize) -> Span {
        let end = end.min(self.norm_len);
        let start = start.min(end);
        if start == end {
            let at = self.start_of(start);
            return Span { start: at, end: at };
        }
        Span {
            start: self.start_of(start),
            end: self.end_of(end - 1),
        }
    }

    /// Index of the segment holding normalised byte `pos`.
    fn segment_at(&self, pos: usize) -> Option<&Segment> {
        let idx = self.segments.partition_point(|s| s.norm_start <= pos);
        idx.checked_sub(1).and_then(|i| self.segments.get(i))
    }

    /// Original offset where the normalised byte `pos` starts.
    fn start_of(&self, pos: usize) -> usize {
        match self.segment_at(pos) {
            Some(seg) if seg.linear => seg.orig_start + (pos - seg.norm_start),
            Some(seg) => seg.orig_start,
            None => 0,
        }
    }

    /// Original offset just after the normalised byte `pos`.
    fn end_of(&self, pos: usize) -> usize {
        match self.segment_at(pos) {
            Some(seg) if seg.linear => {
                (seg.orig_start + (pos - seg.norm_start) + 1).min(seg.orig_end)
            }
            Some(seg) => seg.orig_end,
            None => 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn segment_count(&self) -> usize {
        self.segments.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_maps_one_to_one() {
        let map = OffsetMap::identity(10);
        assert_eq!(map.to_original(2, 5), Span { start: 2, end: 5 });
        assert_eq!(map.segment_count(), 1);
    }

    #[test]
    fn linear_runs_merge() {
        let mut map = OffsetMap::default();
        map.push_linear(0, 3);
        map.push_linear(3, 4);
        assert_eq!(map.segment_count(), 1);
        // A gap (a removed character) starts a new segment.
        map.push_linear(10, 2);
        assert_eq!(map.segment_count(), 2);
        assert_eq!(map.to_original(6, 9), Span { start: 6, end: 12 });
    }

    #[test]
    fn replaced_segments_map_whole() {
        let mut map = OffsetMap::default();
        map.push_linear(0, 2); // "ab"
        map.push_replaced(2, 5, 1); // 3-byte char -> 1 byte
        map.push_linear(5, 2);
        assert_eq!(map.to_original(2, 3), Span { start: 2, end: 5 });
        assert_eq!(map.to_original(1, 4), Span { start: 1, end: 6 });
    }

    #[test]
    fn out_of_range_is_clamped() {
        let map = OffsetMap::identity(4);
        assert_eq!(map.to_original(3, 99), Span { start: 3, end: 4 });
        assert_eq!(map.to_original(9, 99), Span { start: 4, end: 4 });
    }
}
