//! `sentinel-sidecar backup`: a consistent dump of the record.
//!
//! One REPEATABLE READ, READ ONLY transaction exports its snapshot, counts
//! and checksums every table, and stays open while `pg_dump --snapshot`
//! dumps from that same snapshot: the manifest describes exactly the rows
//! in the dump, whatever the writers do meanwhile.

use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use super::manifest::{self, Dump, Manifest, DUMP_FILE, FORMAT};
use crate::config::BackupArgs;
use crate::rfc3339;

pub fn run(args: &BackupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // Before anything is written: a backup is never overwritten.
    manifest::refuse_existing(&args.out)?;
    let pg_dump = super::program("pg_dump", args.pg.pg_bin_dir.as_deref())?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let manifest = super::runtime()?.block_on(dump(args, &pg_dump))?;
    manifest.write_new(&args.out)?;
    println!(
        "backup {}: {} tables, {} rows, {} bytes in {:.1} s",
        args.out.display(),
        manifest.tables.len(),
        manifest.rows(),
        manifest.dump.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Dumps into `args.out`; the manifest of what was dumped.
async fn dump(args: &BackupArgs, pg_dump: &Path) -> anyhow::Result<Manifest> {
    let mut client = super::connect(&args.pg.database_url).await?;
    let tx = super::snapshot(&mut client).await?;
    let snapshot: String = tx
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .context("cannot export a snapshot")?
        .get(0);
    let created_at = rfc3339::format(now_micros());
    let schema_version = manifest::schema_version(&tx).await?;
    let tables = manifest::checksums(&tx).await?;

    let file = args.out.join(DUMP_FILE);
    let out = super::pg_command(pg_dump, &args.pg.database_url)
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(&file)
        .output()
        .await
        .with_context(|| format!("cannot run {}", pg_dump.display()))?;
    if !out.status.success() {
        // A partial dump would make the folder look like a backup.
        let _ = std::fs::remove_file(&file);
        bail!(
            "pg_dump failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    // Read only: ending it changes nothing, but frees the snapshot.
    tx.commit()
        .await
        .context("cannot end the backup transaction")?;

    let (sha256, bytes) = super::sha256_file(&file)?;
    Ok(Manifest {
        format: FORMAT.to_string(),
        created_at,
        schema_version,
        dump: Dump {
            file: DUMP_FILE.to_string(),
            sha256,
            bytes,
        },
        tables,
    })
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
