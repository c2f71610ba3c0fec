//! The HA stack on one machine: a Redis Cluster, Postgres, the demo
//! upstream, three identical pods (Envoy with the filter, plus its sidecar)
//! and a front Envoy (`envoy/lb.yaml`) that balances over the pods, each in
//! rotation only while its sidecar's `/ready` answers 200.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::envoy::{Envoy, EnvoyConfig};
use crate::ports::{free_port, free_redis_port};
use crate::postgres::Postgres;
use crate::process::{self, Proc};
use crate::redis_cluster::RedisCluster;
use crate::sidecar::Sidecar;
use crate::upstream::Upstream;
use crate::{http, tools};

pub const PODS: usize = 3;

/// One pod: its sidecar and its Envoy, in a folder of their own.
pub struct Pod {
    pub dir: PathBuf,
    pub sidecar: Sidecar,
    pub envoy: Envoy,
}

/// The front Envoy.
pub struct Lb {
    pub port: u16,
    pub admin_port: u16,
    pub proc: Proc,
}

impl Lb {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The pods the balancer sends to now: health-checked and not ejected,
    /// as `(pod envoy port, healthy)` from its admin `/clusters`.
    pub fn pods_healthy(&self) -> Result<Vec<(u16, bool)>> {
        let url = format!("http://127.0.0.1:{}/clusters?format=json", self.admin_port);
        let clusters: Value = http::client().get(url).send()?.json()?;
        let mut out = Vec::new();
        for cluster in clusters["cluster_statuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if cluster["name"] != "pods" {
                continue;
            }
            for host in cluster["host_statuses"].as_array().into_iter().flatten() {
                let port = host["address"]["socket_address"]["port_value"]
                    .as_u64()
                    .unwrap_or(0) as u16;
                let status = &host["health_status"];
                let failed = ["failed_active_health_check", "failed_outlier_check"]
                    .iter()
                    .any(|flag| status[flag] == true);
                let healthy = status["eds_health_status"] == "HEALTHY" && !failed;
                out.push((port, healthy));
            }
        }
        Ok(out)
    }
}

pub struct HaStack {
    pub dir: PathBuf,
    pub redis: RedisCluster,
    pub postgres: Postgres,
    pub upstream: Upstream,
    pub pods: Vec<Pod>,
    pub lb: Lb,
    pub wasm: PathBuf,
    pub policy: Value,
}

impl HaStack {
    pub fn start(dir: &Path, profile: &str, policy: Value) -> Result<HaStack> {
        let redis_ports: Vec<u16> = (0..6).map(|_| free_redis_port()).collect();
        let redis = RedisCluster::start(dir, &redis_ports)?;
        let postgres = Postgres::start(dir, free_port())?;
        let upstream = Upstream::start(dir, profile, free_port())?;
        let wasm = tools::wasm()?;
        let mut pods = Vec::new();
        for n in 0..PODS {
            pods.push(start_pod(
                &dir.join(format!("pod-{n}")),
                profile,
                &redis,
                &postgres,
                upstream.port,
                &wasm,
                &policy,
            )?);
        }
        let lb = start_lb(dir, &pods)?;
        Ok(HaStack {
            dir: dir.to_path_buf(),
            redis,
            postgres,
            upstream,
            pods,
            lb,
            wasm,
            policy,
        })
    }

    /// Starts pod `n` again (its sidecar, then its Envoy) on the same ports
    /// and spool, after it was killed or stopped.
    pub fn restart_pod(&mut self, n: usize) -> Result<()> {
        let Some(pod) = self.pods.get_mut(n) else {
            bail!("no pod {n}");
        };
        pod.envoy.proc.stop(Duration::from_secs(10))?;
        pod.sidecar.restart(&[])?;
        let config = pod.envoy.config.clone();
        pod.envoy = Envoy::start(&pod.dir, "envoy", config)?;
        Ok(())
    }
}

fn start_pod(
    dir: &Path,
    profile: &str,
    redis: &RedisCluster,
    postgres: &Postgres,
    upstream_port: u16,
    wasm: &Path,
    policy: &Value,
) -> Result<Pod> {
    std::fs::create_dir_all(dir)?;
    let sidecar = Sidecar::start(dir, profile, free_port(), &redis.urls(), &postgres.url())?;
    let envoy = Envoy::start(
        dir,
        "envoy",
        EnvoyConfig {
            port: free_port(),
            admin_port: free_port(),
            upstream_port,
            sidecar_port: sidecar.port,
            wasm: wasm.to_path_buf(),
            policy: policy.clone(),
        },
    )?;
    Ok(Pod {
        dir: dir.to_path_buf(),
        sidecar,
        envoy,
    })
}

/// The `lb_endpoints` entries: each pod's Envoy, health-checked on its
/// sidecar's port.
fn endpoints(pods: &[Pod]) -> String {
    pods.iter()
        .map(|pod| {
            format!(
                "              - endpoint:\n                  address:\n                    \
                 socket_address: {{ address: 127.0.0.1, port_value: {} }}\n                  \
                 health_check_config: {{ port_value: {} }}\n",
                pod.envoy.config.port, pod.sidecar.port
            )
        })
        .collect()
}

fn start_lb(dir: &Path, pods: &[Pod]) -> Result<Lb> {
    let (port, admin_port) = (free_port(), free_port());
    let template_path = tools::workspace_root().join("envoy/lb.yaml");
    let template = std::fs::read_to_string(&template_path)
        .with_context(|| format!("reading {}", template_path.display()))?;
    let text = template
        .replace("{{LB_PORT}}", &port.to_string())
        .replace("{{ADMIN_PORT}}", &admin_port.to_string())
        .replace("{{POD_ENDPOINTS}}\n", &endpoints(pods));
    if text.contains("{{") {
        bail!("envoy/lb.yaml has a placeholder the harness does not know");
    }
    let config = dir.join("lb.yaml");
    std::fs::write(&config, text)?;
    let mut cmd = Command::new(tools::envoy()?);
    cmd.arg("-c")
        .arg(&config)
        .args(["--concurrency", "1", "--disable-hot-restart"])
        .args(["--log-level", "warn"]);
    let proc = process::spawn("lb", &mut cmd, dir)?;
    http::wait_ok(
        &format!("http://127.0.0.1:{admin_port}/ready"),
        Duration::from_secs(60),
    )?;
    Ok(Lb {
        port,
        admin_port,
        proc,
    })
}
