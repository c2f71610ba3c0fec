//! SENTINEL detection engines.
//!
//! Pure Rust, no I/O: the same verdict comes out of the Envoy filter, the
//! sidecar's `scan` CLI and its HTTP API. Builds for the host and for
//! `wasm32-wasip1`; nothing reachable from input panics.
//!
//! - [`Scanner`]: built once from a set of [`Engine`]s, scans with `&self`.
//! - [`Verdict`]: risk score in 0..=1 plus [`Detection`]s whose [`Span`]s
//!   point into the *original* text.
//!
//! Module map, in the order a scan uses them:
//!
//! | module       | what it does |
//! |--------------|--------------|
//! | `scanner`    | builds the rule sets once; runs every view of a text through them |
//! | `normalize`  | one pass to a folded text (NFKC, case, invisibles, look-alikes, leetspeak) |
//! | `charmap`    | the character tables `normalize` uses |
//! | `offsets`    | compact map from folded-text offsets back to original bytes |
//! | `views`      | ROT13 and reversed readings of the folded text |
//! | `decode`     | finds and decodes base64/hex/base32/... payloads |
//! | `rules`      | rule spec type and the generic compiler / matcher |
//! | `validators` | checksums and structure checks (Luhn, IBAN, SSN, ...) |
//! | `packs`      | the rules themselves, one file per engine, as data |
//! | `verdict`    | detections to risk (noisy-OR of per-engine maxima), dedup |
//! | `custom`     | a policy's custom rules: validated, compiled, run on the canonical fold |
//! | `leakage`    | system-prompt leakage: canaries, prompt fingerprints (word shingles) |
//! | `redact`     | masks detected spans (`[REDACTED:<category>]`) |
//! | `stream`     | judges a text that arrives in pieces, holding back only a window |
//! | `policy`     | a policy's thresholds (global, per engine) and allow-list |
//! | `detection`  | public types: `Engine`, `Detection`, `Span` |
//! | `error`      | build errors |
//!
//! Adding a rule: append a spec to `packs/<engine>.rs` and attack and benign
//! cases to `tests/cases/<engine>.jsonl`. The pack tests compile every rule;
//! the case tests check verdicts and that every rule fires on some case.

mod charmap;
mod custom;
mod decode;
mod detection;
mod error;
mod leakage;
mod normalize;
mod offsets;
mod packs;
mod policy;
mod redact;
mod rules;
mod scanner;
mod stream;
mod validators;
mod verdict;
mod views;

pub use custom::{CustomRule, MAX_CUSTOM_PATTERN_LEN, MAX_CUSTOM_RULES, MAX_CUSTOM_RULE_ID_LEN};
pub use detection::{Detection, Engine, Span};
pub use error::{Error, ErrorKind};
pub use leakage::{
    fingerprint, Echo, Fingerprint, Leakage, CANARY_LEN, MAX_CANARIES, MAX_PROMPTS,
    MAX_PROMPT_SHINGLES, MIN_SHINGLES, SHINGLE_WORDS,
};
pub use policy::{
    Allowlist, PolicyError, Thresholds, MAX_ALLOWLIST_ENTRIES, MAX_ALLOWLIST_ENTRY_LEN,
};
pub use redact::{masks, redact, Mask};
pub use scanner::{Scanner, ScannerBuilder};
pub use stream::{TextStream, MAX_RUN};
pub use verdict::{Decision, Verdict, DEFAULT_BLOCK_THRESHOLD};
