//! Disaster recovery: the `backup`, `restore` and `rebuild-state` commands.
//!
//! - [`backup`]: a consistent `pg_dump` of the record plus a manifest of
//!   each table's row count and checksum, taken from the same snapshot.
//! - [`restore`]: `pg_restore` into a fresh database, refused for a dump
//!   that does not match its manifest, then checked table by table.
//! - [`rebuild`]: the quarantines in Redis, replayed from the block events
//!   in Postgres after Redis lost its data.
//! - [`manifest`]: the manifest and the checksum query backup and restore
//!   share, so that both compute exactly the same figures.

pub mod backup;
pub mod manifest;
pub mod rebuild;
pub mod restore;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

/// A current-thread runtime: each command is one sequential job.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// One connection of its own (not the pool): backup holds a transaction
/// open across `pg_dump`.
async fn connect(database_url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = crate::store::postgres::config(database_url)?
        .connect(NoTls)
        .await
        .context("cannot connect to Postgres")?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("sentinel-sidecar: Postgres connection closed: {error}");
        }
    });
    Ok(client)
}

/// A REPEATABLE READ, READ ONLY transaction: one snapshot for every figure
/// of the manifest (and, in backup, for `pg_dump` too).
async fn snapshot(
    client: &mut tokio_postgres::Client,
) -> anyhow::Result<tokio_postgres::Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .context("cannot start a read-only snapshot transaction")
}

/// `pg_dump` / `pg_restore` on `database_url`, the password (if the URL
/// has one) moved to `PGPASSWORD`: a command line is visible to every user
/// of the machine (`ps`), the environment is not.
fn pg_command(program: &Path, database_url: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    let mut target = database_url.to_string();
    if let Ok(mut url) = reqwest::Url::parse(database_url) {
        if let Some(password) = url.password().map(str::to_string) {
            if url.set_password(None).is_ok() {
                let decoded = percent_encoding::percent_decode_str(&password);
                command.env("PGPASSWORD", decoded.decode_utf8_lossy().as_ref());
                target = url.to_string();
            }
        }
    }
    command.arg("--dbname").arg(target).kill_on_drop(true);
    command
}

/// A PostgreSQL client program (`pg_dump`, `pg_restore`): in `bin_dir`
/// when given, else on PATH.
fn program(name: &str, bin_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = bin_dir {
        let path = dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "{name} not found in {} (--pg-bin-dir / PG_BIN_DIR)",
            dir.display()
        );
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            anyhow!(
                "{name} not found on PATH: install the PostgreSQL client tools \
                 (Debian/Ubuntu: apt-get install postgresql-client, of at least the \
                 server's major version) or point --pg-bin-dir / PG_BIN_DIR at them"
            )
        })
}

/// SHA-256 (hex) and size of a file, read in chunks: dumps can be large.
fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::tests::TempDir;

    #[test]
    fn a_missing_program_says_what_to_install() {
        let err = program("pg_dump_not_here", None).expect_err("not on PATH");
        assert!(format!("{err}").contains("postgresql-client"), "{err}");
        let dir = TempDir::new("pg-bin");
        std::fs::create_dir_all(&dir.0).expect("mkdir");
        let err = program("pg_dump", Some(&dir.0)).expect_err("empty folder");
        assert!(format!("{err}").contains("PG_BIN_DIR"), "{err}");
    }

    #[test]
    fn passwords_stay_off_the_command_line() {
        let command = pg_command(
            Path::new("pg_dump"),
            "postgres://sentinel:p%40ss@db.example:5432/sentinel",
        );
        let command = command.as_std();
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["--dbname", "postgres://sentinel@db.example:5432/sentinel"]
        );
        let password = command
            .get_envs()
            .find(|(k, _)| *k == "PGPASSWORD")
            .and_then(|(_, v)| v);
        assert_eq!(password, Some(std::ffi::OsStr::new("p@ss")));

        // Forms a URL parser cannot take are passed on as they are.
        let several = "postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write";
        let command = pg_command(Path::new("pg_dump"), several);
        let last = command.as_std().get_args().last().map(|a| a.to_owned());
        assert_eq!(last.as_deref(), Some(std::ffi::OsStr::new(several)));
    }

    #[test]
    fn hashes_files() {
        let dir = TempDir::new("sha256");
        std::fs::create_dir_all(&dir.0).expect("mkdir");
        let path = dir.0.join("f");
        std::fs::write(&path, b"abc").expect("write");
        let (hex, bytes) = sha256_file(&path).expect("hash");
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(bytes, 3);
    }
}
