//! The HA stack on one machine: a Redis Cluster, a Postgres primary with a
//! synchronous hot standby, the demo upstream, three identical pods (Envoy
//! with the filter, plus its sidecar, which reaches Postgres by a two-host
//! URL with `target_session_attrs=read-write`) and a front Envoy
//! (`envoy/lb.yaml`) that balances over the pods, each in rotation only
//! while its sidecar's `/ready` answers 200.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::envoy::{Envoy, EnvoyConfig};
use crate::ports::{free_port, free_redis_port};
use crate::postgres::{Postgres, DATABASE};
use crate::process::{self, Proc};
use crate::redis_cluster::RedisCluster;
use crate::sidecar::Sidecar;
use crate::stack::{Endpoint, PodStatus, Status};
use crate::upstream::Upstream;
use crate::{http, tools};

pub const PODS: usize = 3;

/// How long a pod's sidecar drains at SIGTERM (the sidecar's default):
/// the balancer takes the pod out within about 1.5 s (2 failed checks
/// 0.5 s apart), its Envoy goes 1 s later once its filter has handed over
/// what it holds (it sends every 0.5 s), and the sidecar outlives it.
const DRAIN: (&str, &str) = ("SENTINEL_DRAIN_MS", "5000");

#[derive(Debug, Clone)]
pub struct PodPorts {
    pub envoy: u16,
    pub envoy_admin: u16,
    pub sidecar: u16,
}

#[derive(Debug, Clone)]
pub struct HaPorts {
    pub lb: u16,
    pub lb_admin: u16,
    pub upstream: u16,
    pub postgres: u16,
    pub standby: u16,
    pub redis: Vec<u16>,
    pub pods: Vec<PodPorts>,
}

impl HaPorts {
    /// The well-known ports of `just up-ha`: the balancer where `just up`
    /// has its Envoy, the pods beside it.
    pub fn local() -> HaPorts {
        HaPorts {
            lb: 10000,
            lb_admin: 9901,
            upstream: 8081,
            postgres: 55432,
            standby: 55433,
            redis: (7000..7006).collect(),
            pods: (0..PODS as u16)
                .map(|n| PodPorts {
                    envoy: 10001 + n,
                    envoy_admin: 9902 + n,
                    sidecar: 8090 + n,
                })
                .collect(),
        }
    }

    /// Free loopback ports, for tests.
    pub fn free() -> HaPorts {
        HaPorts {
            lb: free_port(),
            lb_admin: free_port(),
            upstream: free_port(),
            postgres: free_port(),
            standby: free_port(),
            redis: (0..6).map(|_| free_redis_port()).collect(),
            pods: (0..PODS)
                .map(|_| PodPorts {
                    envoy: free_port(),
                    envoy_admin: free_port(),
                    sidecar: free_port(),
                })
                .collect(),
        }
    }

    /// Every port with what it is for, to check before starting.
    pub fn named(&self) -> Vec<(String, u16)> {
        let mut all = vec![
            ("lb".to_string(), self.lb),
            ("lb admin".to_string(), self.lb_admin),
            ("upstream".to_string(), self.upstream),
            ("postgres".to_string(), self.postgres),
            ("postgres standby".to_string(), self.standby),
        ];
        all.extend(self.redis.iter().map(|&p| ("redis".to_string(), p)));
        for (n, pod) in self.pods.iter().enumerate() {
            all.push((format!("pod-{n} envoy"), pod.envoy));
            all.push((format!("pod-{n} envoy admin"), pod.envoy_admin));
            all.push((format!("pod-{n} sidecar"), pod.sidecar));
        }
        all
    }
}

/// One pod: its sidecar and its Envoy, in a folder of their own.
pub struct Pod {
    pub dir: PathBuf,
    pub sidecar: Sidecar,
    pub envoy: Envoy,
}

impl Pod {
    /// Waits until the pod's Envoy has had no new request for a second,
    /// has none open, and its filter has had every judged request's event
    /// acknowledged by the sidecar (one event per request); the seconds it
    /// took. Gives up after `patience`.
    pub fn wait_events_handed_over(&self, patience: Duration) -> Result<f64> {
        const QUIET: Duration = Duration::from_secs(1);
        let started = std::time::Instant::now();
        let (mut last_judged, mut since) = (u64::MAX, started);
        loop {
            let stats = http::client()
                .get(self.envoy.admin_url("/stats"))
                .send()?
                .text()?;
            let stat = |name: &str| {
                stats
                    .lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let open = stat("http.ingress.downstream_rq_active");
            let judged = stat("http.ingress.downstream_rq_completed");
            let handed_over = stat("wasmcustom.sentinel_events_sent_total");
            if judged != last_judged {
                (last_judged, since) = (judged, std::time::Instant::now());
            }
            if open == 0 && handed_over >= judged && since.elapsed() >= QUIET {
                return Ok(started.elapsed().as_secs_f64());
            }
            if started.elapsed() > patience {
                bail!("{handed_over} events handed over for {judged} requests after {patience:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
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

    /// A counter of the balancer's `/stats` (0 when absent).
    pub fn stat(&self, name: &str) -> Result<u64> {
        let url = format!("http://127.0.0.1:{}/stats?filter=^{name}$", self.admin_port);
        let text = http::client().get(url).send()?.text()?;
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0))
    }

    /// The pods the balancer sends to now: health-checked and not ejected,
    /// as `(pod envoy port, healthy)` from its admin `/clusters`.
    pub fn pods_healthy(&self) -> Result<Vec<(u16, bool)>> {
        pods_healthy(self.admin_port)
    }
}

/// [`Lb::pods_healthy`] of the balancer whose admin is on `admin_port`
/// (for a thread of its own).
pub fn pods_healthy(admin_port: u16) -> Result<Vec<(u16, bool)>> {
    let url = format!("http://127.0.0.1:{admin_port}/clusters?format=json");
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

/// A running HA stack. Dropping it stops every process, the balancer first.
pub struct HaStack {
    pub lb: Lb,
    pub pods: Vec<Pod>,
    pub upstream: Upstream,
    /// The primary at the start; a drill may kill it and promote `standby`.
    pub postgres: Postgres,
    pub standby: Postgres,
    pub redis: RedisCluster,
    /// Accepted by every sidecar's admin API.
    pub admin_token: String,
}

impl HaStack {
    pub fn start(dir: &Path, ports: &HaPorts, profile: &str, policy: &Value) -> Result<HaStack> {
        let redis = RedisCluster::start(dir, &ports.redis)?;
        let postgres = Postgres::start(dir, ports.postgres)?;
        let standby = Postgres::start_standby(&dir.join("standby"), ports.standby, &postgres)?;
        let database_url = failover_url(&[&postgres, &standby]);
        let upstream = Upstream::start(dir, profile, ports.upstream)?;
        let admin_token = tools::random_token()?;
        let shared = Shared {
            profile,
            redis_urls: redis.urls(),
            database_url,
            admin_token: admin_token.clone(),
            upstream_port: upstream.port,
            wasm: tools::wasm()?,
            policy: policy.clone(),
        };
        let mut pods = Vec::new();
        for (n, pod_ports) in ports.pods.iter().enumerate() {
            pods.push(start_pod(
                &dir.join(format!("pod-{n}")),
                pod_ports,
                &shared,
            )?);
        }
        let lb = start_lb(dir, ports.lb, ports.lb_admin, &pods)?;
        Ok(HaStack {
            lb,
            pods,
            upstream,
            postgres,
            standby,
            redis,
            admin_token,
        })
    }

    /// What `just status --json` prints for it: the single stack's fields
    /// (`envoy` is the balancer, `sidecar` the first pod's, `postgres` the
    /// URL the sidecars use) plus `lb` and `pods`.
    pub fn status(&self) -> Status {
        let at = |port: u16| format!("127.0.0.1:{port}");
        Status {
            envoy: at(self.lb.port),
            envoy_admin: at(self.lb.admin_port),
            sidecar: at(self.pods.first().map_or(0, |p| p.sidecar.port)),
            upstream: at(self.upstream.port),
            redis: self.redis.addresses(),
            postgres: failover_url(&[&self.postgres, &self.standby]),
            admin_token: self.admin_token.clone(),
            lb: Some(Endpoint {
                envoy: at(self.lb.port),
                envoy_admin: at(self.lb.admin_port),
            }),
            pods: self
                .pods
                .iter()
                .map(|pod| PodStatus {
                    envoy: at(pod.envoy.config.port),
                    envoy_admin: at(pod.envoy.config.admin_port),
                    sidecar: at(pod.sidecar.port),
                })
                .collect(),
        }
    }

    /// Leaves everything running (`just up-ha`); `just down` stops it by pid.
    pub fn detach(mut self) {
        self.lb.proc.leave_running();
        for pod in &mut self.pods {
            pod.envoy.proc.leave_running();
            pod.sidecar.proc.leave_running();
        }
        self.upstream.proc.leave_running();
        self.postgres.server.leave_running();
        self.standby.server.leave_running();
        for node in &mut self.redis.nodes {
            node.leave_running();
        }
    }

    /// Starts pod `n` again on the same ports and spool, after it was
    /// killed or stopped: its Envoy first, then its sidecar, so that the
    /// balancer (which checks the sidecar's `/ready`) sends to it only once
    /// both are up.
    pub fn restart_pod(&mut self, n: usize) -> Result<()> {
        let Some(pod) = self.pods.get_mut(n) else {
            bail!("no pod {n}");
        };
        pod.envoy.proc.stop(Duration::from_secs(10))?;
        pod.sidecar.proc.stop(Duration::from_secs(10))?;
        // The previous run's log is kept, as the sidecar's is.
        let log = pod.dir.join("envoy.log");
        let _ = std::fs::rename(
            &log,
            pod.dir.join(format!("envoy-{}.log", pod.envoy.proc.pid)),
        );
        let config = pod.envoy.config.clone();
        pod.envoy = Envoy::start(&pod.dir, "envoy", config)?;
        pod.sidecar.restart(&[DRAIN])
    }
}

/// Every server, in the order to try: the sidecars connect to whichever
/// takes writes, so they follow a promotion by themselves.
fn failover_url(servers: &[&Postgres]) -> String {
    let hosts: Vec<String> = servers
        .iter()
        .map(|pg| format!("127.0.0.1:{}", pg.port))
        .collect();
    format!(
        "postgres://postgres@{}/{DATABASE}?target_session_attrs=read-write",
        hosts.join(",")
    )
}

impl Drop for HaStack {
    /// The sidecars drain at once rather than one after the other.
    fn drop(&mut self) {
        for pod in &self.pods {
            pod.sidecar.proc.terminate();
        }
    }
}

/// What every pod is given alike.
struct Shared<'a> {
    profile: &'a str,
    redis_urls: Vec<String>,
    database_url: String,
    admin_token: String,
    upstream_port: u16,
    wasm: PathBuf,
    policy: Value,
}

fn start_pod(dir: &Path, ports: &PodPorts, shared: &Shared) -> Result<Pod> {
    std::fs::create_dir_all(dir)?;
    let sidecar = Sidecar::start_with_env(
        dir,
        shared.profile,
        ports.sidecar,
        &shared.redis_urls,
        &shared.database_url,
        &[("SENTINEL_ADMIN_TOKEN", &shared.admin_token), DRAIN],
    )?;
    let envoy = Envoy::start(
        dir,
        "envoy",
        EnvoyConfig {
            port: ports.envoy,
            admin_port: ports.envoy_admin,
            upstream_port: shared.upstream_port,
            sidecar_port: sidecar.port,
            wasm: shared.wasm.clone(),
            policy: shared.policy.clone(),
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

fn start_lb(dir: &Path, port: u16, admin_port: u16, pods: &[Pod]) -> Result<Lb> {
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
