//! The Sentinel sidecar (`sentinel-sidecar serve`) beside Envoy.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::process::{self, Proc};
use crate::{http, tools};

pub struct Sidecar {
    pub port: u16,
    pub proc: Proc,
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
        let mut cmd = Command::new(tools::sidecar(profile)?);
        cmd.arg("serve")
            .env("SENTINEL_LISTEN", format!("127.0.0.1:{port}"))
            .env("REDIS_URLS", redis_urls.join(","))
            .env("DATABASE_URL", database_url)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            );
        let proc = process::spawn("sidecar", &mut cmd, dir)?;
        let sidecar = Sidecar { port, proc };
        http::wait_ok(&sidecar.url("/ready"), Duration::from_secs(60))?;
        Ok(sidecar)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
