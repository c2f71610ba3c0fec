//! The backup manifest (`manifest.json`) and the table checksums that
//! `backup` records and `restore` checks against: every table of the
//! `public` schema, its row count and an MD5 over its rows' text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use tokio_postgres::{GenericClient, Transaction};

pub const FORMAT: &str = "sentinel-backup/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const DUMP_FILE: &str = "sentinel.dump";

/// Rows and content checksum of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSum {
    pub rows: i64,
    pub md5: String,
}

/// By table name, sorted.
pub type Tables = BTreeMap<String, TableSum>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dump {
    /// A file name inside the backup folder.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Highest applied migration (`schema_migrations`).
    pub schema_version: i32,
    pub dump: Dump,
    pub tables: Tables,
}

impl Manifest {
    /// Reads `dir/manifest.json`; refuses another format.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a backup manifest", path.display()))?;
        if manifest.format != FORMAT {
            bail!(
                "{} has format {:?}; this build reads {FORMAT:?}",
                path.display(),
                manifest.format
            );
        }
        Ok(manifest)
    }

    /// Writes `dir/manifest.json`, never over an existing one.
    pub fn write_new(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_string_pretty(self).context("cannot encode the manifest")?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(json.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The dump's path; only a plain file name in the folder is accepted,
    /// whatever the manifest says.
    pub fn dump_path(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let name = Path::new(&self.dump.file);
        if name.file_name() != Some(name.as_os_str()) {
            bail!(
                "the manifest names {:?} as its dump: not a file name",
                self.dump.file
            );
        }
        Ok(dir.join(name))
    }

    pub fn rows(&self) -> i64 {
        self.tables.values().map(|t| t.rows).sum()
    }
}

/// Refuses a folder that already holds a backup (or a dump without its
/// manifest): a backup is never overwritten.
pub fn refuse_existing(dir: &Path) -> anyhow::Result<()> {
    for name in [MANIFEST_FILE, DUMP_FILE] {
        let path = dir.join(name);
        if path.exists() {
            bail!(
                "{} already exists: a backup is never overwritten; choose a new --out folder",
                path.display()
            );
        }
    }
    Ok(())
}

/// The tables whose figures differ, one description each (empty: all
/// match).
pub fn differences(expected: &Tables, actual: &Tables) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| match (expected.get(name), actual.get(name)) {
            (Some(e), Some(a)) if e == a => None,
            (Some(e), Some(a)) if e.rows != a.rows => {
                Some(format!("{name} ({} rows, manifest {})", a.rows, e.rows))
            }
            (Some(_), Some(_)) => Some(format!("{name} (same rows, other content)")),
            (Some(_), None) => Some(format!("{name} (missing)")),
            (None, _) => Some(format!("{name} (not in the manifest)")),
        })
        .collect()
}

/// The tables of the `public` schema, by name.
pub async fn public_tables(client: &impl GenericClient) -> anyhow::Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT c.relname::text FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             ORDER BY c.relname",
            &[],
        )
        .await
        .context("cannot list the tables")?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Highest applied migration.
pub async fn schema_version(client: &impl GenericClient) -> anyhow::Result<i32> {
    let row = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await
        .context("cannot read schema_migrations (not a Sentinel database?)")?;
    let version: Option<i32> = row.get(0);
    version.context("schema_migrations is empty")
}

/// Row count and checksum of every `public` table, as of `tx`'s snapshot.
/// Rows are hashed one by one and the sorted hashes hashed again: no order
/// key is needed and no single value grows with the table beyond 32 bytes
/// a row. The output settings are pinned so that servers configured
/// differently print the same rows alike.
pub async fn checksums(tx: &Transaction<'_>) -> anyhow::Result<Tables> {
    tx.batch_execute(
        "SET LOCAL TimeZone = 'UTC';
         SET LOCAL DateStyle = 'ISO, YMD';
         SET LOCAL IntervalStyle = 'postgres';
         SET LOCAL extra_float_digits = 1;
         SET LOCAL bytea_output = 'hex'",
    )
    .await
    .context("cannot pin the output settings")?;
    let mut tables = Tables::new();
    for name in public_tables(tx).await? {
        let sql = format!(
            "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), ''))
             FROM (SELECT md5(t::text) AS h FROM public.{} t) rows",
            quote_ident(&name)
        );
        let row = tx
            .query_one(&sql, &[])
            .await
            .with_context(|| format!("cannot checksum table {name}"))?;
        tables.insert(
            name,
            TableSum {
                rows: row.get(0),
                md5: row.get(1),
            },
        );
    }
    Ok(tables)
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::tests::TempDir;

    fn sum(rows: i64, md5: &str) -> TableSum {
        TableSum {
            rows,
            md5: md5.to_string(),
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            created_at: "2026-01-01T00:00:00.000Z".to_string(),
            schema_version: 5,
            dump: Dump {
                file: DUMP_FILE.to_string(),
                sha256: "ab".repeat(32),
                bytes: 10,
            },
            tables: Tables::from([
                ("events".to_string(), sum(3, "a")),
                ("policies".to_string(), sum(1, "b")),
            ]),
        }
    }

    #[test]
    fn differences_name_each_differing_table() {
        let expected = Tables::from([
            ("events".to_string(), sum(3, "a")),
            ("policies".to_string(), sum(1, "b")),
            ("admin_tokens".to_string(), sum(1, "c")),
            ("export_cursor".to_string(), sum(0, "d")),
        ]);
        assert!(differences(&expected, &expected).is_empty());
        let actual = Tables::from([
            ("events".to_string(), sum(2, "x")),
            ("policies".to_string(), sum(1, "y")),
            ("export_cursor".to_string(), sum(0, "d")),
            ("extra".to_string(), sum(0, "e")),
        ]);
        assert_eq!(
            differences(&expected, &actual),
            [
                "admin_tokens (missing)",
                "events (2 rows, manifest 3)",
                "extra (not in the manifest)",
                "policies (same rows, other content)",
            ]
        );
    }

    #[test]
    fn a_backup_is_never_overwritten() {
        let dir = TempDir::new("backup-dir");
        std::fs::create_dir_all(&dir.0).expect("mkdir");
        refuse_existing(&dir.0).expect("an empty folder is fine");
        manifest().write_new(&dir.0).expect("first manifest");
        let err = refuse_existing(&dir.0).expect_err("holds a backup");
        assert!(format!("{err}").contains("never overwritten"), "{err}");
        assert!(manifest().write_new(&dir.0).is_err(), "create_new");
        assert_eq!(Manifest::read(&dir.0).expect("read back"), manifest());

        let other = TempDir::new("backup-dump-only");
        std::fs::create_dir_all(&other.0).expect("mkdir");
        std::fs::write(other.0.join(DUMP_FILE), b"x").expect("write");
        assert!(refuse_existing(&other.0).is_err(), "a stray dump");
    }

    #[test]
    fn manifests_are_checked_when_read() {
        let dir = TempDir::new("backup-format");
        std::fs::create_dir_all(&dir.0).expect("mkdir");
        let mut other = manifest();
        other.format = "sentinel-backup/9".to_string();
        other.write_new(&dir.0).expect("write");
        assert!(Manifest::read(&dir.0).is_err());

        let mut escape = manifest();
        escape.dump.file = "../../etc/passwd".to_string();
        assert!(escape.dump_path(&dir.0).is_err());
        assert_eq!(
            manifest().dump_path(&dir.0).expect("plain name"),
            dir.0.join(DUMP_FILE)
        );
        assert_eq!(manifest().rows(), 4);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("events"), "\"events\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
