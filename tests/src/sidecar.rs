//! The Sentinel sidecar (`sentinel-sidecar serve`) beside Envoy. Its event
//! spool is `<dir>/spool-<port>`, kept across [`Sidecar::restart`] so that a
//! test can crash it and check that nothing acknowledged is lost.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::process::{self, Proc};
use crate::{http, tools};

pub struct Sidecar {
    pub port: u16,
    pub proc: Proc,
    pub spool_dir: PathBuf,
    dir: PathBuf,
    program: PathBuf,
    redis_urls: String,
    database_url: String,
}

impl Sidecar {
    /// Starts it and waits for `/ready`.
    pub fn start(
        dir: &Path,
        profile: &str,
        port: u16,
        redis_urls: &[String],
        database_url: &str,
    ) -> Result<Sidecar> {
        Sidecar::start_with_env(dir, profile, port, redis_urls, database_url, &[])
    }

    /// Like [`Sidecar::start`], with extra environment for the sidecar
    /// (e.g. `SENTINEL_FLUSH_INTERVAL_MS`).
    pub fn start_with_env(
        dir: &Path,
        profile: &str,
        port: u16,
        redis_urls: &[String],
        database_url: &str,
        env: &[(&str, &str)],
    ) -> Result<Sidecar> {
        let program = tools::sidecar(profile)?;
        let spool_dir = dir.join(format!("spool-{port}"));
        let proc = spawn(
            dir,
            &program,
            port,
            &spool_dir,
            &redis_urls.join(","),
            database_url,
            env,
        )?;
        let sidecar = Sidecar {
            port,
            proc,
            spool_dir,
            dir: dir.to_path_buf(),
            program,
            redis_urls: redis_urls.join(","),
            database_url: database_url.to_string(),
        };
        sidecar.wait_ready()?;
        Ok(sidecar)
    }

    /// Starts it again (stopping it first if it still runs) on the same
    /// port and spool, with `env` as its extra environment; waits for
    /// `/ready`. The previous run's log is kept as `sidecar-<pid>.log`.
    pub fn restart(&mut self, env: &[(&str, &str)]) -> Result<()> {
        self.proc.stop(Duration::from_secs(10))?;
        let log = self.dir.join("sidecar.log");
        let _ = std::fs::rename(
            &log,
            self.dir.join(format!("sidecar-{}.log", self.proc.pid)),
        );
        self.proc = spawn(
            &self.dir,
            &self.program,
            self.port,
            &self.spool_dir,
            &self.redis_urls,
            &self.database_url,
            env,
        )?;
        self.wait_ready()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn wait_ready(&self) -> Result<()> {
        http::wait_ok(&self.url("/ready"), Duration::from_secs(60))
    }
}

fn spawn(
    dir: &Path,
    program: &Path,
    port: u16,
    spool_dir: &Path,
    redis_urls: &str,
    database_url: &str,
    env: &[(&str, &str)],
) -> Result<Proc> {
    let mut cmd = Command::new(program);
    cmd.arg("serve")
        .env("SENTINEL_LISTEN", format!("127.0.0.1:{port}"))
        .env("REDIS_URLS", redis_urls)
        .env("DATABASE_URL", database_url)
        .env("SENTINEL_SPOOL_DIR", spool_dir)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        // Tests stop sidecars all the time; the HA pods drain (see `ha`).
        .env("SENTINEL_DRAIN_MS", "0")
        .envs(env.iter().copied());
    process::spawn("sidecar", &mut cmd, dir)
}
