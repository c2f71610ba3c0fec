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

impl Envoy {
    /// Renders `envoy/local.yaml` into `dir/<name>.yaml`, starts Envoy and
    /// waits until its admin `/ready` says LIVE.
    pub fn start(dir: &Path, name: &str, cfg: EnvoyConfig) -> Result<Envoy> {
        let template_path = tools::workspace_root().join("envoy/local.yaml");
        let template = std::fs::read_to_string(&template_path)
            .with_context(|| format!("reading {}", template_path.display()))?;
        let config_path = dir.join(format!("{name}.yaml"));
        std::fs::create_dir_all(dir)?;
        std::fs::write(&config_path, render(&template, &cfg)?)?;
        let mut cmd = Command::new(tools::envoy()?);
        cmd.arg("-c")
            .arg(&config_path)
            // One worker keeps test stacks light on two cores; no hot
            // restart, so several Envoys can share the host.
            .args(["--concurrency", "1", "--disable-hot-restart"])
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

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.config.port)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.config.admin_port)
    }
}
