//! Redis Cluster: a cluster-aware client (slot map, MOVED/ASK, node
//! reconnects) connected lazily, so the sidecar starts while the cluster is
//! down and picks it up when it comes back.

use std::time::Duration;

use anyhow::{bail, Context};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use tokio::sync::Mutex;

use super::Store;

/// Per connection attempt and per reply; keeps a health check near 1 s.
const IO_TIMEOUT: Duration = Duration::from_secs(1);

pub struct RedisStore {
    client: ClusterClient,
    /// `None` until the first successful connect, and again after a failed
    /// round-trip so the next check starts from the seed nodes and a fresh
    /// slot map instead of trusting a connection that just failed.
    connection: Mutex<Option<ClusterConnection>>,
}

impl RedisStore {
    /// Validates the seed URLs; does not connect.
    pub fn new(seed_urls: &[String]) -> anyhow::Result<Self> {
        let client = ClusterClientBuilder::new(seed_urls.iter().map(String::as_str))
            .connection_timeout(IO_TIMEOUT)
            .response_timeout(IO_TIMEOUT)
            .build()
            .context("invalid --redis-urls / REDIS_URLS")?;
        Ok(RedisStore {
            client,
            connection: Mutex::new(None),
        })
    }

    /// The shared cluster connection, connecting first if needed.
    pub(crate) async fn connection(&self) -> anyhow::Result<ClusterConnection> {
        // Held across the connect so concurrent probes share one attempt.
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = self
            .client
            .get_async_connection()
            .await
            .context("cannot connect to any seed node")?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Drops the connection after a failed round-trip: the next use starts
    /// from the seed nodes and a fresh slot map.
    pub(crate) async fn reset(&self) {
        self.connection.lock().await.take();
    }
}

impl Store for RedisStore {
    const NAME: &'static str = "redis";

    async fn check(&self) -> anyhow::Result<()> {
        let mut connection = self.connection().await?;
        // The cluster's own verdict: `ok` only while every slot is served. A
        // PING fan-out would not do: the client skips primaries it has no
        // connection to, so a shard with master and replica gone looks fine.
        let info: String = match redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(&mut connection)
            .await
        {
            Ok(info) => info,
            Err(e) => {
                self.reset().await;
                return Err(e).context("CLUSTER INFO failed");
            }
        };
        match info
            .lines()
            .find_map(|l| l.trim().strip_prefix("cluster_state:"))
        {
            Some("ok") => Ok(()),
            Some(state) => bail!("cluster_state is {state}: some slots are not served"),
            None => bail!("CLUSTER INFO has no cluster_state"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unparsable_urls() {
        assert!(RedisStore::new(&["not a url".to_string()]).is_err());
        assert!(RedisStore::new(&[]).is_err());
    }
}
