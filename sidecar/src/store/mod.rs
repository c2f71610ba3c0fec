//! The state stores: Redis Cluster (shared decisions) and Postgres (the
//! record). Both may be down at any time; the sidecar keeps serving and
//! reports them `down` until they answer again.

pub mod postgres;
pub mod redis;

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

pub use self::postgres::PostgresStore;
pub use self::redis::RedisStore;

/// Upper bound on one health check, connecting included; the two stores are
/// checked concurrently, so a probe answers within about this long.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

/// A store that can prove it is reachable with a real round-trip.
pub trait Store: Send + Sync {
    const NAME: &'static str;

    fn check(&self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Up,
    Down,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Down => "down",
        }
    }
}

const UNKNOWN: u8 = 0;
const UP: u8 = 1;
const DOWN: u8 = 2;

/// A store plus its last known status, so that logs show each outage and
/// recovery once instead of on every probe.
#[derive(Debug)]
pub struct Monitored<S> {
    store: S,
    last: AtomicU8,
}

impl<S: Store> Monitored<S> {
    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn new(store: S) -> Self {
        Monitored {
            store,
            last: AtomicU8::new(UNKNOWN),
        }
    }

    /// Checks the store (bounded by [`CHECK_TIMEOUT`]) and logs a change.
    pub async fn status(&self) -> Status {
        let result = match tokio::time::timeout(CHECK_TIMEOUT, self.store.check()).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("no answer within {CHECK_TIMEOUT:?}")),
        };
        let now = if result.is_ok() { UP } else { DOWN };
        let before = self.last.swap(now, Ordering::Relaxed);
        match (before, result) {
            (UP, Ok(())) | (DOWN, Err(_)) => {}
            (UNKNOWN, Ok(())) => tracing::info!(store = S::NAME, "store reachable"),
            (_, Ok(())) => tracing::info!(store = S::NAME, "store is back up"),
            (_, Err(error)) => tracing::warn!(
                store = S::NAME,
                error = format!("{error:#}"),
                "store unreachable; serving degraded and retrying on each check"
            ),
        }
        if now == UP {
            Status::Up
        } else {
            Status::Down
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Servers that accept connections and never answer: each check gives
    /// up by itself and reports the store down, rather than hanging the
    /// probe.
    #[tokio::test]
    async fn silent_servers_are_reported_down() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = silent.local_addr().expect("addr").port();
        let postgres = Monitored::new(
            PostgresStore::new(&format!("postgres://postgres@127.0.0.1:{port}/sentinel"))
                .expect("valid URL"),
        );
        let redis =
            Monitored::new(RedisStore::new(&[format!("redis://127.0.0.1:{port}")]).expect("URL"));
        let outer = Duration::from_secs(60);
        let statuses = tokio::time::timeout(outer, async {
            (postgres.status().await, redis.status().await)
        })
        .await
        .expect("a check hung");
        assert_eq!(statuses, (Status::Down, Status::Down));
    }
}
