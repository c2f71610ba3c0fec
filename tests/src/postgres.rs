//! PostgreSQL on loopback: a primary (`initdb` into a project-local folder,
//! `pg_ctl start`, then the `sentinel` database) and, for the HA stack, a
//! synchronous hot standby cloned from it with `pg_basebackup`. Postgres
//! refuses to run as root, so as root its programs run as the `postgres`
//! system user on a folder that user owns.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::{Uid, User};

use crate::process::{self, Proc};
use crate::tools;

pub const DATABASE: &str = "sentinel";

/// The standby's name on the primary (`application_name`), which the
/// primary's `synchronous_standby_names` waits for.
const STANDBY_NAME: &str = "sentinel_standby";

pub struct Postgres {
    pub port: u16,
    pub data_dir: PathBuf,
    pub server: Proc,
}

impl Postgres {
    /// Starts (or adopts) the server whose files live in `dir/postgres/`.
    pub fn start(dir: &Path, port: u16) -> Result<Postgres> {
        let (owner, home) = match find(dir, port)? {
            Found::Running(pg) => return Ok(pg),
            Found::Home(owner, home) => (owner, home),
        };
        let data_dir = home.join("data");
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
        let pg = launch(&owner, &home, port, &dir.join("postgres.pid"))?;
        pg.ensure_database()?;
        Ok(pg)
    }

    /// Starts (or adopts) a hot standby of `primary` in `dir/postgres/`,
    /// cloned with `pg_basebackup` and streaming from it, and makes the
    /// primary wait for it on every commit (`synchronous_standby_names`):
    /// a commit the writer saw succeed is on both servers, so a failover
    /// loses no acknowledged event. Set on the primary only after the
    /// clone, so that the standby, once promoted, does not wait for a
    /// standby of its own.
    pub fn start_standby(dir: &Path, port: u16, primary: &Postgres) -> Result<Postgres> {
        let (owner, home) = match find(dir, port)? {
            Found::Running(pg) => return Ok(pg),
            Found::Home(owner, home) => (owner, home),
        };
        let data_dir = home.join("data");
        if !data_dir.join("PG_VERSION").exists() {
            let mut clone = as_server_user(&owner, tools::postgres_bin("pg_basebackup")?);
            clone
                .arg("-D")
                .arg(&data_dir)
                .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
                .args(["-U", "postgres", "-X", "stream", "--write-recovery-conf"])
                // Not a spread checkpoint: that would take minutes on an idle server.
                .arg("--checkpoint=fast");
            run(&mut clone, "pg_basebackup")?;
            // Later lines win: the clone's own conninfo, named for the primary.
            let conninfo = format!(
                "\nprimary_conninfo = 'host=127.0.0.1 port={} user=postgres application_name={STANDBY_NAME}'\n",
                primary.port
            );
            let auto = data_dir.join("postgresql.auto.conf");
            let mut text = std::fs::read_to_string(&auto).unwrap_or_default();
            text.push_str(&conninfo);
            std::fs::write(&auto, text)?;
        }
        let standby = launch(&owner, &home, port, &dir.join("postgres.pid"))?;
        primary.psql(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'"
        ))?;
        primary.psql("SELECT pg_reload_conf()")?;
        primary.wait_for_sync_standby(Duration::from_secs(30))?;
        Ok(standby)
    }

    /// Waits until the standby streams and commits wait for it.
    fn wait_for_sync_standby(&self, patience: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let state = self.psql(&format!(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = '{STANDBY_NAME}'"
            ))?;
            if state == "sync" {
                return Ok(());
            }
            if started.elapsed() > patience {
                bail!(
                    "the standby is not a synchronous replica after {patience:?} (state {state:?})"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `pg_ctl promote`: the standby stops replaying and takes writes.
    pub fn promote(&self) -> Result<()> {
        let owner = server_user()?;
        let mut promote = as_server_user(&owner, tools::postgres_bin("pg_ctl")?);
        promote
            .args(["promote", "-w", "-t", "60", "-D"])
            .arg(&self.data_dir);
        run(&mut promote, "pg_ctl promote")
    }

    /// Whether this server is a standby (`pg_is_in_recovery()`).
    pub fn in_recovery(&self) -> Result<bool> {
        Ok(self.psql("SELECT pg_is_in_recovery()")? == "t")
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

/// The server already running from `dir` (an earlier `just up`), or the
/// folder to make one in, given to the server user.
enum Found {
    Running(Postgres),
    Home(Option<User>, PathBuf),
}

fn find(dir: &Path, port: u16) -> Result<Found> {
    std::fs::create_dir_all(dir)?;
    let owner = server_user()?;
    let home = server_home(dir, owner.is_some())?;
    let pid_file = dir.join("postgres.pid");
    if let Some(pid) = process::live_pid(&pid_file) {
        let server = Proc::adopt("postgres", pid, pid_file, Signal::SIGINT);
        return Ok(Found::Running(Postgres {
            port,
            data_dir: home.join("data"),
            server,
        }));
    }
    std::fs::create_dir_all(&home)?;
    if let Some(user) = &owner {
        std::os::unix::fs::chown(&home, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .with_context(|| format!("giving {} to the postgres user", home.display()))?;
    }
    Ok(Found::Home(owner, home))
}

/// `pg_ctl start` on `home/data`, TCP on loopback `port` only (no unix
/// socket to place or clean up); its postmaster's pid goes to `pid_file`.
fn launch(owner: &Option<User>, home: &Path, port: u16, pid_file: &Path) -> Result<Postgres> {
    let data_dir = home.join("data");
    let mut pg_ctl = as_server_user(owner, tools::postgres_bin("pg_ctl")?);
    pg_ctl
        .args(["start", "-w", "-t", "60", "-D"])
        .arg(&data_dir)
        .arg("-l")
        .arg(home.join("postgres.log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        ));
    run(&mut pg_ctl, "pg_ctl start")?;
    let pid = postmaster_pid(&data_dir)?;
    std::fs::write(pid_file, format!("{pid}\n"))?;
    let server = Proc::adopt("postgres", pid, pid_file.to_path_buf(), Signal::SIGINT);
    Ok(Postgres {
        port,
        data_dir,
        server,
    })
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
