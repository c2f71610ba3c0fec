//! `sentinel-sidecar restore`: a backup into a fresh, empty database.
//!
//! The dump must match its manifest's SHA-256 before anything is touched;
//! `pg_restore` runs in one transaction (all or nothing); the restored
//! tables are then counted and checksummed exactly as `backup` did and
//! compared with the manifest.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};

use super::manifest::{self, Manifest};
use crate::config::RestoreArgs;

pub fn run(args: &RestoreArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let manifest = Manifest::read(&args.from)?;
    let dump = manifest.dump_path(&args.from)?;
    let (sha256, bytes) = super::sha256_file(&dump)?;
    if sha256 != manifest.dump.sha256 || bytes != manifest.dump.bytes {
        bail!(
            "{} does not match its manifest (sha256 {sha256}, {bytes} bytes; manifest: {}, {} \
             bytes): the dump is damaged or was altered; nothing restored",
            dump.display(),
            manifest.dump.sha256,
            manifest.dump.bytes
        );
    }
    let pg_restore = super::program("pg_restore", args.pg.pg_bin_dir.as_deref())?;
    super::runtime()?.block_on(restore(args, &manifest, &dump, &pg_restore))?;
    println!(
        "restored {}: {} tables, {} rows, checksums match the manifest, in {:.1} s",
        args.from.display(),
        manifest.tables.len(),
        manifest.rows(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn restore(
    args: &RestoreArgs,
    manifest: &Manifest,
    dump: &Path,
    pg_restore: &Path,
) -> anyhow::Result<()> {
    let mut client = super::connect(&args.pg.database_url).await?;
    let existing = manifest::public_tables(&client).await?;
    if !existing.is_empty() {
        bail!(
            "the target database already has {} table(s) in public ({}): restore goes into a \
             fresh, empty database (create one, e.g. with createdb, and point --database-url \
             at it); nothing restored",
            existing.len(),
            existing.join(", ")
        );
    }

    let out = super::pg_command(pg_restore, &args.pg.database_url)
        .args(["--exit-on-error", "--single-transaction", "--no-owner"])
        .arg(dump)
        .output()
        .await
        .with_context(|| format!("cannot run {}", pg_restore.display()))?;
    if !out.status.success() {
        bail!(
            "pg_restore failed ({}); nothing restored: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }

    let tx = super::snapshot(&mut client).await?;
    let schema_version = manifest::schema_version(&tx).await?;
    let tables = manifest::checksums(&tx).await?;
    tx.commit()
        .await
        .context("cannot end the check transaction")?;
    let differences = manifest::differences(&manifest.tables, &tables);
    if !differences.is_empty() {
        bail!(
            "the restored database differs from the manifest in {} table(s): {}",
            differences.len(),
            differences.join(", ")
        );
    }
    if schema_version != manifest.schema_version {
        bail!(
            "the restored schema is at version {schema_version}, the manifest says {}",
            manifest.schema_version
        );
    }
    Ok(())
}
