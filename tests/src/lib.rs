//! Starts the real Sentinel Mesh stack on loopback, for `just up` and for the
//! integration tests. Every process is a real program (Redis, Postgres, Envoy,
//! the sidecar, the demo upstream) with its pid in a file, stopped by pid.
//!
//! - [`tools`]: where the binaries are (the project venv's Envoy, Debian's
//!   Redis, the machine's Postgres, the workspace's build outputs).
//! - [`ports`]: free loopback ports for the tests.
//! - [`process`]: spawn with logs and a pid file; stop by pid.
//! - [`redis_cluster`], [`postgres`], [`envoy`], [`sidecar`], [`upstream`]:
//!   one component each, all with `start` and a handle that stops it.
//! - [`stack`]: the whole single-pod stack and its `status --json` shape.
//! - [`ha`]: the HA stack: three pods behind a front Envoy that balances
//!   over them, health-checking each sidecar's `/ready`.
//! - [`load`]: a fixed-rate load generator that checks every answer.
//! - [`drill`]: the figures line each HA drill prints, and their table.
//! - [`http`]: small blocking HTTP helpers for readiness waits and tests.
//! - [`bench`]: the A/B benchmark of Envoy with and without the filter.

pub mod bench;
pub mod drill;
pub mod envoy;
pub mod ha;
pub mod http;
pub mod load;
pub mod ports;
pub mod postgres;
pub mod process;
pub mod redis_cluster;
pub mod sidecar;
pub mod stack;
pub mod tools;
pub mod upstream;
