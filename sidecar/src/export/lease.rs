//! The export lease: a Postgres session advisory lock held on a connection
//! of its own (not the pool, whose connections come and go). Only its
//! holder exports; the lock goes with the session, so a crashed or cut-off
//! holder frees it for another sidecar.
//!
//! The holder also reads incidents and moves the cursor over this same
//! connection: if it is lost, so is the lease, and the cursor cannot move.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use tokio_postgres::{Client, Config, NoTls};

use crate::incident::{Incident, COLUMNS, PREDICATE};
use crate::migrate;

/// `pg_try_advisory_lock` key, distinct from the migration lock.
const LOCK_KEY: i64 = 0x5345_4e54_4558_5054; // "SENTEXPT"
/// The cursor row: one export stream for the whole mesh.
const STREAM: &str = "siem";
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// How far the SIEM has incidents: the inserting transaction id (as text:
/// an `xid8`) and the event id of the last one delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub tx: String,
    pub id: String,
}

pub struct Lease {
    client: Client,
}

async fn bounded<T>(
    what: &str,
    query: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(QUERY_TIMEOUT, query)
        .await
        .map_err(|_| anyhow!("{what}: no answer within {QUERY_TIMEOUT:?}"))?
        .with_context(|| what.to_string())
}

impl Lease {
    /// Connects and tries the lock once: None while another session holds it.
    pub async fn try_take(config: &Config) -> anyhow::Result<Option<Lease>> {
        let (mut client, connection) = bounded("connect", config.connect(NoTls)).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "export lease connection closed");
            }
        });
        let row = bounded(
            "take the export lock",
            client.query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY]),
        )
        .await?;
        if !row.try_get::<_, bool>(0)? {
            return Ok(None);
        }
        // The table this reads may not exist yet on a fresh database.
        migrate::apply(&mut client).await?;
        Ok(Some(Lease { client }))
    }

    /// The stored position (made at the start of everything on first use).
    pub async fn position(&self) -> anyhow::Result<Position> {
        bounded(
            "create the export cursor",
            self.client.execute(
                "INSERT INTO export_cursor (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                &[&STREAM],
            ),
        )
        .await?;
        let row = bounded(
            "read the export cursor",
            self.client.query_one(
                "SELECT tx::text, id FROM export_cursor WHERE name = $1",
                &[&STREAM],
            ),
        )
        .await?;
        Ok(Position {
            tx: row.try_get(0)?,
            id: row.try_get(1)?,
        })
    }

    /// Up to `limit` incidents after `from`, in (transaction, id) order,
    /// each with its position. Only transactions older than every running
    /// one are read: a transaction that commits later can never land behind
    /// the cursor, which a cursor on event or insert time would allow.
    pub async fn next(
        &self,
        from: &Position,
        limit: i64,
    ) -> anyhow::Result<Vec<(Incident, Position)>> {
        let sql = format!(
            "SELECT {COLUMNS}, COALESCE(tx, '0'::xid8)::text AS tx FROM events
             WHERE {PREDICATE}
               AND COALESCE(tx, '0'::xid8) < pg_snapshot_xmin(pg_current_snapshot())
               AND (COALESCE(tx, '0'::xid8), id) > ($1::text::xid8, $2::text)
             ORDER BY COALESCE(tx, '0'::xid8), id
             LIMIT $3"
        );
        let rows = bounded(
            "read incidents to export",
            self.client.query(&sql, &[&from.tx, &from.id, &limit]),
        )
        .await?;
        rows.iter()
            .map(|row| {
                let incident = Incident::from_row(row)?;
                let position = Position {
                    tx: row.try_get("tx")?,
                    id: incident.id.clone(),
                };
                Ok((incident, position))
            })
            .collect()
    }

    /// Moves the cursor from `from` to `to`; fails if it was not at `from`
    /// (another exporter moved it: this lease is no longer the only one).
    pub async fn advance(&self, from: &Position, to: &Position) -> anyhow::Result<()> {
        let moved = bounded(
            "advance the export cursor",
            self.client.execute(
                "UPDATE export_cursor SET tx = $2::text::xid8, id = $3, updated_at = now()
                 WHERE name = $1 AND tx = $4::text::xid8 AND id = $5",
                &[&STREAM, &to.tx, &to.id, &from.tx, &from.id],
            ),
        )
        .await?;
        if moved != 1 {
            bail!("the export cursor moved under this exporter");
        }
        Ok(())
    }
}
