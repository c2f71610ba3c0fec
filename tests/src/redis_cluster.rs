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
