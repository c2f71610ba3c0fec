//! The outcome of the literal pass: which rules can match a text, and
//! where. A rule is a candidate in a view when a literal of each of its
//! groups occurs; its regex then runs only around the occurrences of its
//! rarest group in that text, since every match contains one of them.

use std::collections::BTreeMap;
use std::ops::Range;

use aho_corasick::AhoCorasick;

use super::literals::MAX_GROUPS;
use super::{Owner, View};

/// Literal occurrences kept per text. Beyond this (a text made of the
/// rules' words, over and over) the candidate rules run over the whole
/// text instead: memory stays bounded, and the scan stays linear.
const MAX_OCCURRENCES: usize = 1 << 16;

/// A literal occurrence: start, end, and the bit of its rule's group.
type Occurrence = (usize, usize, u8);

/// Where each (view, rule) may match, in the forward text's offsets.
///
/// Sparse: a scan touches only the rules whose literals occur, a handful
/// for most texts, so nothing here is sized by the number of rules (a
/// dense table per scan cost more than the search on short texts).
pub(super) struct Candidates {
    rules: usize,
    /// Per candidate slot (`view * rules + rule`), in slot order: the
    /// occurrences of the rule's rarest group. Rules that are not
    /// candidates have no entry.
    places: Vec<(usize, Vec<(usize, usize)>)>,
}

impl Candidates {
    /// Runs the literal automaton over `text` once (overlapping matches).
    /// `all_groups[rule]` has a bit per literal group of the rule; other
    /// views than the forward one only look for group 0. `reaches[rule]`
    /// bounds the length of the rule's matches: occurrences of its groups
    /// further apart than that cannot be in one match.
    pub(super) fn find(
        ac: Option<&AhoCorasick>,
        owners: &[Vec<Owner>],
        all_groups: &[u8],
        reaches: &[usize],
        text: &str,
        all_views: bool,
    ) -> Candidates {
        let rules = all_groups.len();
        let mut places = Vec::new();
        let Some(ac) = ac else {
            return Candidates { rules, places };
        };
        let slot = |o: &Owner| o.view as usize * rules + o.rule;
        let owned = |pattern: usize| {
            owners
                .get(pattern)
                .into_iter()
                .flatten()
                .filter(move |o| all_views || o.view == View::Forward)
        };
        // Hits per touched slot and group.
        let mut counts: BTreeMap<usize, [u32; MAX_GROUPS]> = BTreeMap::new();
        let mut matches = Vec::new();
        let mut overflow = false;
        for m in ac.find_overlapping_iter(text) {
            let pattern = m.pattern().as_usize();
            for o in owned(pattern) {
                let group = o.bit.trailing_zeros() as usize;
                if let Some(c) = counts.entry(slot(o)).or_default().get_mut(group) {
                    *c = c.saturating_add(1);
                }
            }
            if matches.len() < MAX_OCCURRENCES {
                matches.push((pattern, m.start(), m.end()));
            } else {
                overflow = true;
            }
        }
        // The groups a slot's rule needs there: all of them in the forward
        // view, the first elsewhere.
        let groups = |s: usize| match all_groups.get(s % rules.max(1)) {
            Some(&all) if s < rules => all,
            Some(&all) if all != 0 => 1,
            _ => 0,
        };
        // The candidates (every group found), each with the bit of its
        // group with the fewest hits.
        let mut rarest: BTreeMap<usize, (u8, Vec<Occurrence>)> = counts
            .into_iter()
            .filter_map(|(s, hits)| {
                let all = groups(s);
                let wanted = (0..MAX_GROUPS).filter(|g| all & (1 << g) != 0);
                if all == 0 || wanted.clone().any(|g| hits[g] == 0) {
                    return None;
                }
                let g = wanted.min_by_key(|&g| hits[g])?;
                Some((s, (1 << g, Vec::new())))
            })
            .collect();
        if overflow {
            places = rarest
                .into_keys()
                .map(|s| (s, vec![(0, text.len())]))
                .collect();
            return Candidates { rules, places };
        }
        for (pattern, start, end) in matches {
            for o in owned(pattern) {
                if let Some((_, list)) = rarest.get_mut(&slot(o)) {
                    list.push((start, end, o.bit));
                }
            }
        }
        for (s, (bit, mut list)) in rarest {
            list.sort_unstable();
            let reach = reaches.get(s % rules.max(1)).copied().unwrap_or(usize::MAX);
            let kept = together(&list, bit, groups(s), reach);
            if !kept.is_empty() {
                places.push((s, kept));
            }
        }
        Candidates { rules, places }
    }

    /// The candidate slots of `view`, as (rule, occurrences), by rule.
    fn of_view(&self, view: View) -> &[(usize, Vec<(usize, usize)>)] {
        let from = view as usize * self.rules;
        let lo = self.places.partition_point(|(s, _)| *s < from);
        let hi = self.places.partition_point(|(s, _)| *s < from + self.rules);
        self.places.get(lo..hi).unwrap_or_default()
    }

    pub(super) fn any(&self, view: View) -> bool {
        !self.of_view(view).is_empty()
    }

    /// The candidate rules of `view`, in rule order.
    pub(super) fn rules(&self, view: View) -> impl Iterator<Item = usize> + '_ {
        let from = view as usize * self.rules;
        self.of_view(view).iter().map(move |(s, _)| s - from)
    }

    #[cfg(test)]
    pub(super) fn is_candidate(&self, view: View, rule: usize) -> bool {
        self.rules(view).any(|r| r == rule)
    }

    /// The ranges of the view's text (of byte length `len`, a reversal's
    /// included) within `reach` bytes of an occurrence, merged, from
    /// character boundaries of `text` (the view's text).
    pub(super) fn windows(
        &self,
        view: View,
        rule: usize,
        text: &str,
        reach: usize,
    ) -> Vec<Range<usize>> {
        let len = text.len();
        let slot = view as usize * self.rules + rule;
        let at = self.places.binary_search_by_key(&slot, |(s, _)| *s);
        let mut spans: Vec<(usize, usize)> = at
            .ok()
            .and_then(|k| self.places.get(k))
            .into_iter()
            .flat_map(|(_, occurrences)| occurrences)
            .map(|&(start, end)| match view {
                View::Reversed => (len.saturating_sub(end), len.saturating_sub(start)),
                _ => (start, end),
            })
            .collect();
        // Overlapping matches come by end, not by start.
        spans.sort_unstable();
        let mut out: Vec<Range<usize>> = Vec::new();
        for (start, end) in spans {
            let mut from = start.saturating_sub(reach);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = end.saturating_add(reach).min(len);
            while !text.is_char_boundary(to) {
                to += 1;
            }
            match out.last_mut() {
                Some(last) if from <= last.end => last.end = last.end.max(to),
                _ => out.push(from..to),
            }
        }
        out
    }
}

/// The occurrences of the `rarest` group (a bit) among `list` (sorted by
/// start) that have an occurrence of every group of `all` starting less
/// than `reach` bytes away: only those can be inside a match no longer
/// than `reach`. Two cursors bound the neighbourhood, so this is linear.
fn together(list: &[Occurrence], rarest: u8, all: u8, reach: usize) -> Vec<(usize, usize)> {
    let mut kept = Vec::new();
    let mut counts = [0u32; MAX_GROUPS];
    let present = |counts: &[u32; MAX_GROUPS]| {
        counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .fold(0u8, |bits, (g, _)| bits | 1 << g)
    };
    let (mut lo, mut hi) = (0, 0);
    let group = |bit: u8| bit.trailing_zeros() as usize % MAX_GROUPS;
    for &(start, end, bit) in list {
        if bit != rarest {
            continue;
        }
        while let Some(&(_, _, b)) = list.get(hi).filter(|o| o.0 < start.saturating_add(reach)) {
            counts[group(b)] += 1;
            hi += 1;
        }
        while let Some(&(_, _, b)) = list.get(lo).filter(|o| o.0.saturating_add(reach) < start) {
            counts[group(b)] -= 1;
            lo += 1;
        }
        if present(&counts) & all == all {
            kept.push((start, end));
        }
    }
    kept
}
