//! Sentinel Mesh sidecar: the I/O half next to each Envoy.
//!
//! Module map:
//! - [`config`]: command line (`serve`, `scan`, `eval`) with environment fallbacks.
//! - [`server`]: HTTP service state, routes, `run` (listener + shutdown given).
//! - [`health`]: `/health` and `/ready` probes.
//! - [`api`]: `POST /v1/scan`.
//! - [`error`]: API errors, the one place that maps them to status codes.
//! - [`readiness`]: latch that opens once the engines are built.
//! - [`store`]: Redis Cluster and Postgres handles with health checks.
//! - [`scan`]: the `scan` CLI (text / lines / JSONL in, JSONL verdicts out).
//! - [`eval`]: the `eval` CLI (labelled corpora in, precision/recall out).
//! - [`request`], [`report`]: input record and verdict JSON shared by the CLI
//!   and the API.
//! - [`logging`], [`shutdown`]: JSON logs to stderr; SIGTERM / Ctrl-C.

pub mod api;
pub mod config;
pub mod error;
pub mod eval;
pub mod health;
pub mod logging;
pub mod readiness;
pub mod report;
pub mod request;
pub mod scan;
pub mod server;
pub mod shutdown;
pub mod store;
