//! Structured JSON logs on stderr. `RUST_LOG` overrides the default filter,
//! which keeps the Redis client to errors: it warns on every reconnect
//! attempt (about once a second per node during an outage), while
//! [`crate::store::Monitored`] already logs each outage and recovery once.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,redis=error"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
