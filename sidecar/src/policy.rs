//! Policy distribution: the current policy version, kept in memory for the
//! local filter's state pulls (`sync`). A new version is stored in Postgres
//! by the admin API and announced on a Redis pub/sub channel; every sidecar
//! listens there and also polls Postgres, so a lost announcement (a node
//! failing over) only delays a change by one poll.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use tokio::sync::{watch, Notify};

use crate::state::RedisState;
use crate::store::PostgresStore;

/// Where new versions are announced (the message is the version number).
pub const CHANNEL: &str = "sentinel:policy";
/// How often Postgres is asked anyway: the upper bound on how late a
/// sidecar learns of a version whose announcement it missed.
const POLL: Duration = Duration::from_secs(2);
/// Pause before subscribing again after the connection was lost.
const RESUBSCRIBE: Duration = Duration::from_secs(1);

/// One stored policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentPolicy {
    pub version: i64,
    /// The policy JSON as stored.
    pub body: String,
}

/// The newest version this sidecar knows, shared with the handlers.
#[derive(Debug, Default)]
pub struct PolicyCell(RwLock<Option<Arc<CurrentPolicy>>>);

impl PolicyCell {
    pub fn current(&self) -> Option<Arc<CurrentPolicy>> {
        self.0.read().ok().and_then(|c| c.clone())
    }

    /// Takes `policy` if it is newer than the one held; whether it was.
    fn offer(&self, policy: CurrentPolicy) -> bool {
        let Ok(mut current) = self.0.write() else {
            return false;
        };
        if current
            .as_ref()
            .is_some_and(|c| c.version >= policy.version)
        {
            return false;
        }
        *current = Some(Arc::new(policy));
        true
    }
}

/// Tells every sidecar that `version` exists.
pub async fn announce(redis: &RedisState, version: i64) -> anyhow::Result<()> {
    redis.publish(CHANNEL, &version.to_string()).await
}

/// Keeps `cell` at the newest stored version until `stop` turns true:
/// reads Postgres at start, on every announcement and every [`POLL`].
pub async fn follow(
    cell: Arc<PolicyCell>,
    postgres: PostgresStore,
    seed_urls: Vec<String>,
    mut stop: watch::Receiver<bool>,
) {
    let announced = Arc::new(Notify::new());
    let listener = tokio::spawn(listen(seed_urls, Arc::clone(&announced)));
    loop {
        match newest(&postgres).await {
            Ok(Some(policy)) => {
                let version = policy.version;
                if cell.offer(policy) {
                    tracing::info!(version, "policy version now current");
                }
            }
            Ok(None) => {}
            // Before the schema exists, or while Postgres is down.
            Err(error) => tracing::debug!(error = format!("{error:#}"), "policy not read"),
        }
        tokio::select! {
            () = announced.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.wait_for(|&stop| stop) => break,
        }
    }
    listener.abort();
}

async fn newest(postgres: &PostgresStore) -> anyhow::Result<Option<CurrentPolicy>> {
    let client = postgres.client().await?;
    let row = client
        .query_opt(
            "SELECT version, body::text FROM policies ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await
        .context("cannot read the current policy")?;
    Ok(row.map(|r| CurrentPolicy {
        version: r.get(0),
        body: r.get(1),
    }))
}

/// Subscribes to [`CHANNEL`] on one seed node after another (a published
/// message reaches every node of the cluster) and wakes `announced` on each
/// message; forever, until aborted.
async fn listen(seed_urls: Vec<String>, announced: Arc<Notify>) {
    for url in seed_urls.iter().cycle() {
        match subscribe(url, &announced).await {
            Ok(()) => tracing::debug!(url, "policy channel closed; subscribing again"),
            Err(error) => {
                tracing::debug!(url, error = format!("{error:#}"), "cannot subscribe")
            }
        }
        tokio::time::sleep(RESUBSCRIBE).await;
    }
}

async fn subscribe(url: &str, announced: &Notify) -> anyhow::Result<()> {
    let client = redis::Client::open(url).context("bad seed URL")?;
    let mut pubsub = tokio::time::timeout(RESUBSCRIBE * 2, client.get_async_pubsub())
        .await
        .context("no connection in time")??;
    pubsub.subscribe(CHANNEL).await?;
    let mut messages = pubsub.on_message();
    while messages.next().await.is_some() {
        announced.notify_one();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: i64) -> CurrentPolicy {
        CurrentPolicy {
            version: n,
            body: format!("{{\"n\":{n}}}"),
        }
    }

    #[test]
    fn only_newer_versions_replace_the_current_one() {
        let cell = PolicyCell::default();
        assert_eq!(cell.current(), None);
        assert!(cell.offer(version(2)));
        assert!(!cell.offer(version(1)));
        assert!(!cell.offer(version(2)));
        assert!(cell.offer(version(3)));
        assert_eq!(cell.current().map(|c| c.version), Some(3));
    }
}
