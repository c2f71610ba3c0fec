//! SENTINEL detection engines.
//!
//! Pure Rust, no I/O: the same verdict comes out of the Envoy filter, the
//! sidecar's `scan` CLI and its HTTP API.
//!
//! - [`Scanner`]: built once from a set of [`Engine`]s, scans with `&self`.
//! - [`Verdict`]: risk score in 0..=1 plus [`Detection`]s whose [`Span`]s
//!   point into the *original* text.

mod detection;
mod error;
mod scanner;
mod verdict;

pub use detection::{Detection, Engine, Span};
pub use error::{Error, ErrorKind};
pub use scanner::{Scanner, ScannerBuilder};
pub use verdict::{Decision, Verdict, DEFAULT_BLOCK_THRESHOLD};
