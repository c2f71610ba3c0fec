//! The A/B benchmark of Envoy with and without the filter (`just bench`).
//!
//! - [`mixes`]: the request bodies, benign and attack, by size.
//! - [`upstream`]: a minimal OpenAI-compatible upstream behind both Envoys.
//! - [`load`]: the closed-loop load generator that drives each in turn.
//! - [`pair`]: the two Envoys, and the filter's own stats.
//! - [`run`]: one run, mix by mix, A B A B; the figures.
//! - [`streams`]: a 4 MiB event stream's first byte and download, A B A B.
//! - [`report`]: the goals, the table, `latest.json`, `docs/benchmarks.md`.

pub mod load;
pub mod mixes;
pub mod pair;
pub mod report;
pub mod run;
pub mod streams;
pub mod upstream;
