//! Sentinel Mesh sidecar: the I/O half next to each Envoy.
//!
//! Module map:
//! - [`config`]: command line (`serve`, `scan`, `eval`, `migrate`,
//!   `backup`, `restore`, `rebuild-state`, `fingerprint`) with environment
//!   fallbacks.
//! - [`server`]: HTTP service state, routes, `run` (listener + shutdown given).
//! - [`health`]: `/health` and `/ready` probes; [`metrics`]: `/metrics`.
//! - [`api`]: `POST /v1/scan`.
//! - [`ingest`]: `POST /v1/events` (loopback only) into the spool.
//! - [`events`]: the decision event (docs/events.md) and its validation.
//! - [`spool`]: durable local segments of events awaiting Postgres.
//! - [`writer`]: moves sealed spool segments into Postgres, exactly once.
//! - [`migrate`]: the Postgres schema, embedded migrations and `migrate`.
//! - [`recovery`]: disaster recovery: `backup` and `restore` of the record
//!   (checked against a manifest), `rebuild-state` of Redis from it.
//! - [`state`]: shared per-client state in Redis Cluster (risk, quarantine).
//! - [`sync`]: `GET /v1/state`, what the local filter enforces (loopback only).
//! - [`admin`]: the bearer-token admin API (clients, quarantine release,
//!   policies).
//! - [`policy`]: the current policy version, followed through Redis pub/sub
//!   and Postgres polls.
//! - [`incident`]: incidents (events not allowed, or with detections) as
//!   read from Postgres; [`rfc3339`]: their timestamps.
//! - [`export`]: singleton SIEM export of incidents (ECS / Splunk HEC).
//! - [`error`]: API errors, the one place that maps them to status codes.
//! - [`readiness`]: latch that opens once the engines are built.
//! - [`store`]: Redis Cluster and Postgres handles with health checks.
//! - [`scan`]: the `scan` CLI (text / lines / JSONL in, JSONL verdicts out).
//! - [`eval`]: the `eval` CLI (labelled corpora in, precision/recall out).
//! - [`fingerprint`]: the `fingerprint` CLI (a system prompt in, its policy
//!   entry out).
//! - [`request`], [`report`]: input record and verdict JSON shared by the CLI
//!   and the API.
//! - [`logging`], [`shutdown`]: JSON logs to stderr; SIGTERM / Ctrl-C.

pub mod admin;
pub mod api;
pub mod config;
pub mod error;
pub mod eval;
pub mod events;
pub mod export;
pub mod fingerprint;
pub mod health;
pub mod incident;
pub mod ingest;
pub mod logging;
pub mod metrics;
pub mod migrate;
pub mod policy;
pub mod readiness;
pub mod recovery;
pub mod report;
pub mod request;
pub mod rfc3339;
pub mod scan;
pub mod server;
pub mod shutdown;
pub mod spool;
pub mod state;
pub mod store;
pub mod sync;
pub mod writer;
