//! The Postgres schema as migrations compiled into the binary. Each runs
//! once, in its own transaction, and is recorded in `schema_migrations`.
//! Run by the event writer before its first insert and by
//! `sentinel-sidecar migrate`.

use anyhow::Context;
use tokio_postgres::Client;

use crate::config::MigrateArgs;
use crate::store::PostgresStore;

/// `(version, SQL)`, in order. Never edit an applied one: add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/0001_events.sql")),
    (2, include_str!("migrations/0002_admin.sql")),
    (3, include_str!("migrations/0003_export.sql")),
    (4, include_str!("migrations/0004_verdict_index.sql")),
    (5, include_str!("migrations/0005_recovery.sql")),
    (6, include_str!("migrations/0006_stage.sql")),
];

/// Serializes migrators: several pods may start at once.
const LOCK_KEY: i64 = 0x5345_4e54_494e_454c; // "SENTINEL"

/// Applies the migrations not applied yet; returns their versions.
pub async fn apply(client: &mut Client) -> anyhow::Result<Vec<i32>> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .context("cannot create schema_migrations")?;
    tx.commit().await?;

    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await?;
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[&version],
            )
            .await?;
        if done.is_some() {
            continue;
        }
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {version} failed"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tx.commit().await?;
        applied.push(version);
    }
    Ok(applied)
}

/// `sentinel-sidecar migrate`.
pub fn run(args: &MigrateArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = PostgresStore::new(&args.database_url)?;
        let mut client = store.client().await?;
        let applied = apply(&mut client).await?;
        let latest = MIGRATIONS.last().map_or(0, |&(v, _)| v);
        if applied.is_empty() {
            println!("schema up to date (version {latest})");
        } else {
            println!("applied migrations {applied:?}; schema at version {latest}");
        }
        Ok(())
    })
}
