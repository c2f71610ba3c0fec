//! What compiling a rule learns from its pattern alone: whether it has a
//! value group, its longest match, and the literal groups its matches must
//! contain. Finding the literals walks the pattern's syntax tree and is
//! most of the cost of building a scanner (a scanner is built once per
//! Envoy worker VM and on every policy change), so the answers for the
//! packs' rules are kept in `analysis_table.rs`, written by this module's
//! test; a rule whose pattern or fold changed since is analysed afresh.

use regex_syntax::hir::{Hir, HirKind};

use super::literals::{self, Literals};
use super::{bad_rule, Rule, VALUE_GROUP};
use crate::normalize::Fold;
use crate::Error;

#[path = "analysis_table.rs"]
mod table;

/// A rule's pattern, analysed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Analysis {
    pub(super) has_value_group: bool,
    /// The longest match in bytes, if bounded.
    pub(super) max_len: Option<usize>,
    /// See [`literals::required_groups`].
    pub(super) groups: Vec<Literals>,
}

/// One row of the kept table.
struct Kept {
    id: &'static str,
    fingerprint: u64,
    has_value_group: bool,
    max_len: Option<usize>,
    groups: &'static [&'static [&'static [u8]]],
}

/// The analysis of `rule`: from the table when it is current, else from
/// its pattern.
pub(super) fn of(rule: &Rule) -> Result<Analysis, Error> {
    let kept = table::KEPT
        .binary_search_by(|k| k.id.cmp(rule.id))
        .ok()
        .and_then(|at| table::KEPT.get(at))
        .filter(|k| k.fingerprint == fingerprint(rule));
    match kept {
        Some(k) => Ok(Analysis {
            has_value_group: k.has_value_group,
            max_len: k.max_len,
            groups: k
                .groups
                .iter()
                .map(|g| g.iter().map(|l| l.to_vec()).collect())
                .collect(),
        }),
        None => analyse(rule),
    }
}

/// Parses the pattern and extracts its literals.
pub(super) fn analyse(rule: &Rule) -> Result<Analysis, Error> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(rule.pattern)
        .map_err(|e| bad_rule(rule.id, e))?;
    let groups = match rule.fold {
        Fold::Phrase => literals::required_groups(&literals::for_phrase_fold(&hir)),
        _ => literals::required_groups(&literals::caseless(&hir)),
    };
    Ok(Analysis {
        has_value_group: has_group(&hir, VALUE_GROUP),
        max_len: hir.properties().maximum_len(),
        groups,
    })
}

/// FNV-1a of what the analysis depends on: the pattern and the fold.
fn fingerprint(rule: &Rule) -> u64 {
    let fold: &[u8] = match rule.fold {
        Fold::Phrase => b"phrase",
        _ => b"canonical",
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in rule.pattern.as_bytes().iter().chain(b"\0").chain(fold) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Whether the pattern has a capture group named `name`.
fn has_group(hir: &Hir, name: &str) -> bool {
    match hir.kind() {
        HirKind::Capture(c) => c.name.as_deref() == Some(name) || has_group(&c.sub, name),
        HirKind::Repetition(r) => has_group(&r.sub, name),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().any(|h| has_group(h, name)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::packs::{pack, raw_pack};
    use crate::Engine;

    fn pack_rules() -> Vec<&'static Rule> {
        let mut rules: Vec<&'static Rule> = Engine::ALL
            .iter()
            .flat_map(|&e| pack(e).iter().chain(raw_pack(e)))
            .collect();
        rules.sort_by_key(|r| r.id);
        rules
    }

    /// The table as this code would write it now.
    fn render() -> String {
        let mut out = String::from(
            "// Written by `SENTINEL_BLESS=1 cargo test -p sentinel-engines analysis`\n\
             // from the packs' patterns (see analysis.rs); do not edit by hand.\n\n\
             use super::Kept;\n\n\
             pub(super) static KEPT: &[Kept] = &[\n",
        );
        for rule in pack_rules() {
            let a = analyse(rule).expect("the packs' rules parse");
            let groups: Vec<String> = a
                .groups
                .iter()
                .map(|g| {
                    let literals: Vec<String> = g.iter().map(|l| byte_string(l)).collect();
                    format!("&[{}]", literals.join(", "))
                })
                .collect();
            let _ = writeln!(
                out,
                "    Kept {{ id: {:?}, fingerprint: {:#018x}, has_value_group: {}, max_len: {:?}, groups: &[{}] }},",
                rule.id,
                fingerprint(rule),
                a.has_value_group,
                a.max_len,
                groups.join(", ")
            );
        }
        out.push_str("];\n");
        out
    }

    fn byte_string(bytes: &[u8]) -> String {
        let mut s = String::from("b\"");
        for &b in bytes {
            match b {
                b'"' => s.push_str("\\\""),
                b'\\' => s.push_str("\\\\"),
                0x20..=0x7e => s.push(char::from(b)),
                _ => {
                    let _ = write!(s, "\\x{b:02x}");
                }
            }
        }
        s.push('"');
        s
    }

    #[test]
    fn the_kept_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules/analysis_table.rs");
        let now = render();
        if std::env::var_os("SENTINEL_BLESS").is_some() {
            std::fs::write(path, &now).unwrap();
        }
        let kept = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            kept == now,
            "src/rules/analysis_table.rs is stale: run SENTINEL_BLESS=1 cargo test -p sentinel-engines analysis"
        );
    }

    #[test]
    fn every_pack_rule_comes_from_the_table_as_analysed() {
        let rules = pack_rules();
        assert_eq!(table::KEPT.len(), rules.len());
        for rule in rules {
            let kept = table::KEPT.iter().find(|k| k.id == rule.id).unwrap();
            assert_eq!(kept.fingerprint, fingerprint(rule), "{}", rule.id);
            assert_eq!(of(rule).unwrap(), analyse(rule).unwrap(), "{}", rule.id);
        }
    }

    #[test]
    fn a_changed_pattern_is_analysed_afresh() {
        let rule = pack_rules()[0];
        let changed = Rule {
            pattern: r"(?P<v>totally)\s+new",
            ..*rule
        };
        let a = of(&changed).unwrap();
        assert!(a.has_value_group);
        assert_eq!(a, analyse(&changed).unwrap());
        assert_ne!(fingerprint(&changed), fingerprint(rule));
    }
}
