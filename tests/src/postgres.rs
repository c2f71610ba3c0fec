//! A PostgreSQL primary on loopback: `initdb` into a project-local folder,
//! `pg_ctl start`, then the `sentinel` database. Postgres refuses to run as
//! root, so as root its programs run as the `postgres` system user on a
//! folder that user owns.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::{Uid, User};

use crate::process::{self, Proc};
use crate::tools;

pub const DATABASE: &str = "sentinel";

pub struct Postgres {
    pub port: u16,
    pub data_dir: PathBuf,
    pub server: Proc,
}

impl Postgres {
    /// Starts (or adopts) the server whose files live in `dir/postgres/`.
    pub fn start(dir: &Path, port: u16) -> Result<Postgres> {
        let owner = server_user()?;
        let home = server_home(dir, owner.is_some())?;
        let data_dir = home.join("data");
        let pid_file = dir.join("postgres.pid");
        if let Some(pid) = process::live_pid(&pid_file) {
            let server = Proc::adopt("postgres", pid, pid_file, Signal::SIGINT);
            return Ok(Postgres {
                port,
                data_dir,
                server,
            });
        }
        std::fs::create_dir_all(&home)?;
        if let Some(user) = &owner {
            std::os::unix::fs::chown(&home, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .with_context(|| format!("giving {} to the postgres user", home.display()))?;
        }
        if !data_dir.join("PG_VERSION").exists() {
            let mut initdb = as_server_user(&owner, tools::postgres_bin("initdb")?);
            initdb.arg("-D").arg(&data_dir).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]);
            run(&mut initdb, "initdb")?;
        }
        let mut pg_ctl = as_server_user(&owner, tools::postgres_bin("pg_ctl")?);
        pg_ctl
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data_dir)
            .arg("-l")
            .arg(home.join("postgres.log"))
            // TCP on loopback only; no unix socket to place or clean up.
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            ));
        run(&mut pg_ctl, "pg_ctl start")?;
        let pid = postmaster_pid(&data_dir)?;
        std::fs::write(&pid_file, format!("{pid}\n"))?;
        let server = Proc::adopt("postgres", pid, pid_file, Signal::SIGINT);
        let pg = Postgres {
            port,
            data_dir,
            server,
        };
        pg.ensure_database()?;
        Ok(pg)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// Runs `sql` on the `sentinel` database with `psql -tA`: rows one a
    /// line, columns separated by `|`, trimmed.
    pub fn query(&self, sql: &str) -> Result<String> {
        self.psql_on(DATABASE, sql)
    }

    fn psql(&self, sql: &str) -> Result<String> {
        self.psql_on("postgres", sql)
    }

    fn psql_on(&self, database: &str, sql: &str) -> Result<String> {
        let out = Command::new(tools::postgres_bin("psql")?)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", database, "-tAc", sql])
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!("psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn ensure_database(&self) -> Result<()> {
        let exists = self.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        ))?;
        if exists != "1" {
            self.psql(&format!("CREATE DATABASE {DATABASE}"))?;
        }
        Ok(())
    }
}

/// `dir/postgres`, or, when the `postgres` user could not reach it (a clone
/// under root's home, mode 700), a folder under /tmp linked from there.
fn server_home(dir: &Path, as_other_user: bool) -> Result<PathBuf> {
    let home = dir.join("postgres");
    if !as_other_user || home.exists() || reachable_by_others(dir) {
        return Ok(home);
    }
    let abs = std::fs::canonicalize(dir)?;
    let name: String = abs
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let outside = std::env::temp_dir().join(format!("sentinel-pg{name}"));
    std::fs::create_dir_all(&outside)?;
    std::os::unix::fs::symlink(&outside, &home)?;
    Ok(home)
}

fn reachable_by_others(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(abs) = std::fs::canonicalize(dir) else {
        return false;
    };
    abs.ancestors().all(|p| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// The `postgres` system user when we are root, else `None` (run as we are).
fn server_user() -> Result<Option<User>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    User::from_name("postgres")?
        .map(Some)
        .context("running as root needs a `postgres` system user (apt-get install postgresql)")
}

fn as_server_user(owner: &Option<User>, program: PathBuf) -> Command {
    match owner {
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", &user.name, "--"]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn postmaster_pid(data_dir: &Path) -> Result<i32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .context("reading postmaster.pid")?;
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .context("postmaster.pid has no pid on its first line")
}
