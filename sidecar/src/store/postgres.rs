//! Postgres: a small connection pool that connects on demand, so the sidecar
//! starts while the database is down. A multi-host URL with
//! `target_session_attrs=read-write` finds a promoted replica by itself.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::{NoTls, SimpleQueryMessage};

use super::Store;

/// Per host when connecting, unless the URL sets `connect_timeout` itself.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);
/// A pooled connection, connecting and authenticating included.
const GET_TIMEOUT: Duration = Duration::from_secs(3);
const POOL_SIZE: usize = 4;

pub struct PostgresStore {
    pool: Pool,
}

/// The connection settings of `database_url`, with a bounded connect. For
/// the pool, and for a connection of one's own (the export lease).
pub fn config(database_url: &str) -> anyhow::Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = database_url
        .parse()
        .context("invalid --database-url / DATABASE_URL")?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

impl PostgresStore {
    /// Validates the connection string; does not connect.
    pub fn new(database_url: &str) -> anyhow::Result<Self> {
        let manager = Manager::from_config(
            config(database_url)?,
            NoTls,
            ManagerConfig {
                // The checks run a query anyway; a closed connection is
                // still caught before reuse.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .context("cannot build the Postgres pool")?;
        Ok(PostgresStore { pool })
    }

    /// A pooled connection. After a failed or timed-out query, drop it with
    /// [`Object::take`] so that it is not handed out again.
    /// Bounded: `connect_timeout` covers only the TCP connect, and a server
    /// that accepts but never answers would hold the startup forever.
    pub async fn client(&self) -> anyhow::Result<Object> {
        match tokio::time::timeout(GET_TIMEOUT, self.pool.get()).await {
            Ok(client) => client.context("cannot connect"),
            Err(_) => bail!("no connection within {GET_TIMEOUT:?}"),
        }
    }
}

impl Store for PostgresStore {
    const NAME: &'static str = "postgres";

    async fn check(&self) -> anyhow::Result<()> {
        let client = self.client().await?;
        let outcome =
            match tokio::time::timeout(QUERY_TIMEOUT, client.simple_query("SELECT 1")).await {
                Ok(Ok(rows)) => Ok(rows),
                Ok(Err(e)) => Err(anyhow::Error::new(e).context("SELECT 1 failed")),
                Err(_) => Err(anyhow!("SELECT 1 got no answer within {QUERY_TIMEOUT:?}")),
            };
        let rows = match outcome {
            Ok(rows) => rows,
            Err(e) => {
                // Never hand this connection out again: it failed or hangs.
                drop(Object::take(client));
                return Err(e);
            }
        };
        let answered = rows
            .iter()
            .any(|m| matches!(m, SimpleQueryMessage::Row(row) if row.get(0) == Some("1")));
        if !answered {
            bail!("SELECT 1 returned no row");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unparsable_urls() {
        assert!(PostgresStore::new("postgres://u@host:notaport/db").is_err());
    }
}
