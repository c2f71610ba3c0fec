//! Admin API tokens: random, shown once, stored as SHA-256 hashes. A token
//! is 32 random bytes, so a plain hash is enough (nothing to guess).

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::time::Duration;

use tokio_postgres::GenericClient;

use crate::migrate;
use crate::store::PostgresStore;

/// Prefix that makes a leaked token easy to recognise (and to scan for).
const PREFIX: &str = "smt_";

/// A new random token.
pub fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{PREFIX}{}", hex(&bytes)))
}

pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores the hash of `token` under `name` (again: no change).
pub async fn store(client: &impl GenericClient, name: &str, token: &str) -> anyhow::Result<()> {
    client
        .execute(
            "INSERT INTO admin_tokens (name, token_sha256) VALUES ($1, $2)
             ON CONFLICT (token_sha256) DO NOTHING",
            &[&name, &hash(token)],
        )
        .await
        .context("cannot store the admin token")?;
    Ok(())
}

/// Stores the token given at start (`--admin-token`), retrying until
/// Postgres answers: the sidecar starts whether or not it is up.
pub async fn bootstrap(store: &PostgresStore, token: &str) {
    let mut delay = Duration::from_millis(200);
    loop {
        let attempt = async {
            let mut client = store.client().await?;
            migrate::apply(&mut client).await?;
            self::store(&**client, "bootstrap", token).await
        };
        match attempt.await {
            Ok(()) => {
                tracing::info!("admin token from SENTINEL_ADMIN_TOKEN is active");
                return;
            }
            Err(error) => {
                tracing::debug!(error = format!("{error:#}"), "admin token not stored yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The name of the live token `token` is, if any.
pub async fn lookup(client: &impl GenericClient, token: &str) -> anyhow::Result<Option<String>> {
    let row = client
        .query_opt(
            "SELECT name FROM admin_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
            &[&hash(token)],
        )
        .await
        .context("cannot look the admin token up")?;
    Ok(row.map(|r| r.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert!(!hash(&a).contains(&a[PREFIX.len()..]));
    }
}
