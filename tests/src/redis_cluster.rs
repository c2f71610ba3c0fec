//! A Redis Cluster of 3 masters + 3 replicas on loopback: six real
//! `redis-server --cluster-enabled yes` processes joined by
//! `redis-cli --cluster create --cluster-replicas 1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::{self, Proc};
use crate::tools;

/// Failover after 5 s without a master: quick enough for the drills, long
/// enough that a loaded test machine does not flap.
const NODE_TIMEOUT_MS: u32 = 5000;

pub struct RedisCluster {
    pub ports: Vec<u16>,
    pub nodes: Vec<Proc>,
}

impl RedisCluster {
    /// Starts (or adopts, when already running from an earlier `just up`)
    /// one node per port under `dir`, then forms the cluster if needed.
    pub fn start(dir: &Path, ports: &[u16]) -> Result<RedisCluster> {
        if ports.len() != 6 {
            bail!(
                "a 3 masters + 3 replicas cluster needs 6 ports, got {}",
                ports.len()
            );
        }
        let server = tools::redis_server()?;
        let mut nodes = Vec::new();
        for &port in ports {
            nodes.push(start_node(&server, dir, port)?);
        }
        for &port in ports {
            wait_for(
                port,
                Duration::from_secs(15),
                |out| out.trim() == "PONG",
                &["ping"],
            )?;
        }
        if !formed(ports[0]) {
            create(ports)?;
        }
        for &port in ports {
            wait_for(
                port,
                Duration::from_secs(30),
                cluster_ok,
                &["cluster", "info"],
            )?;
        }
        Ok(RedisCluster {
            ports: ports.to_vec(),
            nodes,
        })
    }

    /// `redis://127.0.0.1:<port>` for every node, as the sidecar takes them.
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    pub fn addresses(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect()
    }

    /// The port of the master that serves `key`'s slot now, asked of the
    /// node on `via`.
    pub fn master_of(&self, key: &str, via: u16) -> Result<u16> {
        let slot: u16 = cli(via, &["cluster", "keyslot", key])?
            .trim()
            .parse()
            .context("CLUSTER KEYSLOT")?;
        let nodes = cli(via, &["cluster", "nodes"])?;
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(address), Some(flags)) = (fields.get(1), fields.get(2)) else {
                continue;
            };
            if !flags.contains("master") || flags.contains("fail") {
                continue;
            }
            let serves = fields.iter().skip(8).any(|range| {
                let (from, to) = range.split_once('-').unwrap_or((range, range));
                matches!((from.parse::<u16>(), to.parse::<u16>()), (Ok(a), Ok(b)) if (a..=b).contains(&slot))
            });
            if serves {
                let port = address
                    .split(['@', ':'])
                    .nth(1)
                    .and_then(|p| p.parse().ok())
                    .context("node address")?;
                return Ok(port);
            }
        }
        bail!("no master serves slot {slot}");
    }

    /// Writes `key` through the cluster (following redirects) from the node
    /// on `via`; whether it was written.
    pub fn write(&self, key: &str, via: u16) -> Result<bool> {
        let out = Command::new(tools::redis_cli()?)
            .args(["-c", "-h", "127.0.0.1", "-p", &via.to_string()])
            .args(["set", key, "1"])
            .output()
            .context("running redis-cli")?;
        Ok(String::from_utf8_lossy(&out.stdout).trim() == "OK")
    }

    /// The node process on `port`.
    pub fn node(&mut self, port: u16) -> Option<&mut Proc> {
        let at = self.ports.iter().position(|&p| p == port)?;
        self.nodes.get_mut(at)
    }

    pub fn stop(&mut self) -> Result<()> {
        for node in &mut self.nodes {
            node.stop(Duration::from_secs(10))?;
        }
        Ok(())
    }

    pub fn detach(self) {
        self.nodes.into_iter().for_each(Proc::detach);
    }
}

fn node_name(port: u16) -> String {
    format!("redis-{port}")
}

fn start_node(server: &Path, dir: &Path, port: u16) -> Result<Proc> {
    let name = node_name(port);
    let pid_file = dir.join(format!("{name}.pid"));
    if let Some(pid) = process::live_pid(&pid_file) {
        return Ok(Proc::adopt(
            &name,
            pid,
            pid_file,
            nix::sys::signal::Signal::SIGTERM,
        ));
    }
    let node_dir: PathBuf = dir.join(&name);
    std::fs::create_dir_all(&node_dir)?;
    let mut cmd = Command::new(server);
    cmd.args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--protected-mode", "yes"])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-config-file", "nodes.conf"])
        .args(["--cluster-node-timeout", &NODE_TIMEOUT_MS.to_string()])
        .args(["--appendonly", "yes"])
        .args(["--save", ""])
        .arg("--dir")
        .arg(&node_dir);
    process::spawn(&name, &mut cmd, dir)
}

fn cli(port: u16, args: &[&str]) -> Result<String> {
    let out = Command::new(tools::redis_cli()?)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .context("running redis-cli")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cluster_ok(info: &str) -> bool {
    info.lines().any(|l| l.trim() == "cluster_state:ok")
}

/// Already joined (nodes.conf kept from an earlier run)?
fn formed(port: u16) -> bool {
    cli(port, &["cluster", "info"])
        .map(|info| info.lines().any(|l| l.trim() == "cluster_known_nodes:6"))
        .unwrap_or(false)
}

fn create(ports: &[u16]) -> Result<()> {
    let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let out = Command::new(tools::redis_cli()?)
        .arg("--cluster")
        .arg("create")
        .args(&nodes)
        .args(["--cluster-replicas", "1", "--cluster-yes"])
        .output()
        .context("running redis-cli --cluster create")?;
    if !out.status.success() {
        bail!(
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn wait_for(port: u16, timeout: Duration, ok: impl Fn(&str) -> bool, args: &[&str]) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        last = cli(port, args)?;
        if ok(&last) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "redis 127.0.0.1:{port}: `{}` not as expected after {timeout:?}: {last}",
        args.join(" ")
    )
}
