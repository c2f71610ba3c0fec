//! Envoy 1.40 with the Sentinel wasm filter, from the bootstrap templates in
//! `envoy/` with their `{{PLACEHOLDERS}}` filled in.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::process::{self, Proc};
use crate::{http, tools};

#[derive(Debug, Clone)]
pub struct EnvoyConfig {
    pub port: u16,
    pub admin_port: u16,
    pub upstream_port: u16,
    pub sidecar_port: u16,
    pub wasm: PathBuf,
    /// The filter's policy, as JSON.
    pub policy: serde_json::Value,
}

pub struct Envoy {
    pub config: EnvoyConfig,
    pub proc: Proc,
}

/// Envoy worker threads of the local stacks and tests: one keeps them light
/// on two cores.
pub const WORKERS: u32 = 1;

/// Fills the template's placeholders; refuses a template that still has one.
pub fn render(template: &str, cfg: &EnvoyConfig) -> Result<String> {
    // The policy sits in a single-quoted YAML scalar, where ' is written ''.
    let policy = cfg.policy.to_string().replace('\'', "''");
    let text = template
        .replace("{{ENVOY_PORT}}", &cfg.port.to_string())
        .replace("{{ADMIN_PORT}}", &cfg.admin_port.to_string())
        .replace("{{UPSTREAM_PORT}}", &cfg.upstream_port.to_string())
        .replace("{{SIDECAR_PORT}}", &cfg.sidecar_port.to_string())
        .replace("{{WASM_PATH}}", &cfg.wasm.to_string_lossy())
        .replace("{{POLICY_JSON}}", &policy);
    if let Some(at) = text.find("{{") {
        let rest: String = text[at..].chars().take(40).collect();
        bail!("envoy template has an unknown placeholder: {rest}");
    }
    Ok(text)
}

/// The rendered `envoy/local.yaml` without the Sentinel filter: the lines
/// between its `sentinel:begin` and `sentinel:end` markers dropped, every
/// other line the same.
pub fn without_filter(config: &str) -> Result<String> {
    let lines: Vec<&str> = config.lines().collect();
    let at = |marker: &str| {
        lines
            .iter()
            .position(|l| l.trim_start().starts_with(marker))
            .with_context(|| format!("envoy template has no `{marker}` marker"))
    };
    let (begin, end) = (at("# sentinel:begin")?, at("# sentinel:end")?);
    if end < begin {
        bail!("envoy template: `sentinel:end` before `sentinel:begin`");
    }
    let kept: Vec<&str> = [&lines[..begin], &lines[end + 1..]].concat();
    Ok(kept.join("\n") + "\n")
}

impl Envoy {
    /// Renders `envoy/local.yaml` into `dir/<name>.yaml`, starts Envoy and
    /// waits until its admin `/ready` says LIVE.
    pub fn start(dir: &Path, name: &str, cfg: EnvoyConfig) -> Result<Envoy> {
        let config = render(&template()?, &cfg)?;
        Envoy::launch(dir, name, cfg, &config, WORKERS)
    }

    /// Starts Envoy on `config` (a rendered bootstrap) with `workers`
    /// worker threads and waits until its admin `/ready` says LIVE.
    pub fn launch(
        dir: &Path,
        name: &str,
        cfg: EnvoyConfig,
        config: &str,
        workers: u32,
    ) -> Result<Envoy> {
        let config_path = dir.join(format!("{name}.yaml"));
        std::fs::create_dir_all(dir)?;
        std::fs::write(&config_path, config)?;
        let mut cmd = Command::new(tools::envoy()?);
        cmd.arg("-c")
            .arg(&config_path)
            // No hot restart, so several Envoys can share the host.
            .args([
                "--concurrency",
                &workers.to_string(),
                "--disable-hot-restart",
            ])
            .args(["--log-level", "info"]);
        let mut proc = process::spawn(name, &mut cmd, dir)?;
        let ready = format!("http://127.0.0.1:{}/ready", cfg.admin_port);
        if let Err(e) = http::wait_ok(&ready, Duration::from_secs(60)) {
            let _ = proc.stop(Duration::from_secs(5));
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            bail!(
                "{e}\nlast lines of the Envoy log:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(Envoy { config: cfg, proc })
    }

    /// Resident memory of the Envoy process, from `/proc`.
    pub fn rss_bytes(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.pid))?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.config.port)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.config.admin_port)
    }
}

/// The value of the metric `name` (labels ignored, first series) in
/// Prometheus text, as Envoy's `/stats/prometheus` serves it.
pub fn prometheus_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (metric, value) = l.rsplit_once(' ')?;
            (metric.split('{').next()? == name).then_some(value)
        })
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// `envoy/local.yaml`, the bootstrap template of every Envoy here.
pub fn template() -> Result<String> {
    let path = tools::workspace_root().join("envoy/local.yaml");
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_filter_drops_only_the_marked_lines() {
        let config = template().unwrap();
        let bare = without_filter(&config).unwrap();
        assert!(config.contains("envoy.filters.http.wasm"));
        assert!(!bare.contains("envoy.filters.http.wasm"));
        assert!(!bare.contains("sentinel:"));
        // Everything else is the same, line for line and in order.
        let mut rest = config.lines();
        for line in bare.lines() {
            assert!(rest.any(|l| l == line), "{line:?} changed or moved");
        }
        let dropped = config.lines().count() - bare.lines().count();
        assert!(dropped > 5 && dropped < 40, "dropped {dropped} lines");
        assert!(bare.contains("envoy.filters.http.router"));
        assert!(without_filter("no markers").is_err());
    }
}
