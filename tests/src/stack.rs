//! The single-pod stack: Redis Cluster, Postgres, the demo upstream, the
//! sidecar and Envoy with the filter, started in dependency order.

use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::envoy::{Envoy, EnvoyConfig};
use crate::ports;
use crate::postgres::Postgres;
use crate::redis_cluster::RedisCluster;
use crate::sidecar::Sidecar;
use crate::tools;
use crate::upstream::Upstream;

#[derive(Debug, Clone)]
pub struct Ports {
    pub envoy: u16,
    pub envoy_admin: u16,
    pub sidecar: u16,
    pub upstream: u16,
    pub postgres: u16,
    pub redis: Vec<u16>,
}

impl Ports {
    /// The well-known ports of `just up`.
    pub fn local() -> Ports {
        Ports {
            envoy: 10000,
            envoy_admin: 9901,
            sidecar: 8080,
            upstream: 8081,
            postgres: 55432,
            redis: (7000..7006).collect(),
        }
    }

    /// Free loopback ports, for tests that run side by side.
    pub fn free() -> Ports {
        Ports {
            envoy: ports::free_port(),
            envoy_admin: ports::free_port(),
            sidecar: ports::free_port(),
            upstream: ports::free_port(),
            postgres: ports::free_port(),
            redis: (0..6).map(|_| ports::free_redis_port()).collect(),
        }
    }
}

pub struct Options {
    /// Where logs, pid files and data go.
    pub dir: PathBuf,
    pub ports: Ports,
    /// Cargo profile of the sidecar and demo upstream binaries.
    pub profile: &'static str,
    pub policy: Value,
}

/// A running stack. Dropping it stops every process, Envoy first.
pub struct Stack {
    pub envoy: Envoy,
    pub sidecar: Sidecar,
    pub upstream: Upstream,
    pub postgres: Postgres,
    pub redis: RedisCluster,
    /// Accepted by the sidecar's admin API (`Authorization: Bearer ...`).
    pub admin_token: String,
}

/// What `just status --json` prints: every address a script needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub envoy: String,
    pub envoy_admin: String,
    pub sidecar: String,
    pub upstream: String,
    pub redis: Vec<String>,
    pub postgres: String,
    /// Bearer token of the sidecar's admin API.
    #[serde(default)]
    pub admin_token: String,
    /// The HA stack's front Envoy (`envoy` above is the same listener).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lb: Option<Endpoint>,
    /// The HA stack's pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<PodStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub envoy: String,
    pub envoy_admin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PodStatus {
    pub envoy: String,
    pub envoy_admin: String,
    pub sidecar: String,
}

impl Stack {
    pub fn start(opts: Options) -> Result<Stack> {
        let Options {
            dir,
            ports,
            profile,
            policy,
        } = opts;
        let redis = RedisCluster::start(&dir, &ports.redis)?;
        let postgres = Postgres::start(&dir, ports.postgres)?;
        let upstream = Upstream::start(&dir, profile, ports.upstream)?;
        let admin_token = tools::random_token()?;
        let sidecar = Sidecar::start_with_env(
            &dir,
            profile,
            ports.sidecar,
            &redis.urls(),
            &postgres.url(),
            &[("SENTINEL_ADMIN_TOKEN", &admin_token)],
        )?;
        let envoy = Envoy::start(
            &dir,
            "envoy",
            EnvoyConfig {
                port: ports.envoy,
                admin_port: ports.envoy_admin,
                upstream_port: ports.upstream,
                sidecar_port: ports.sidecar,
                wasm: tools::wasm()?,
                policy,
            },
        )?;
        Ok(Stack {
            envoy,
            sidecar,
            upstream,
            postgres,
            redis,
            admin_token,
        })
    }

    pub fn status(&self) -> Status {
        let at = |port: u16| format!("127.0.0.1:{port}");
        Status {
            envoy: at(self.envoy.config.port),
            envoy_admin: at(self.envoy.config.admin_port),
            sidecar: at(self.sidecar.port),
            upstream: at(self.upstream.port),
            redis: self.redis.addresses(),
            postgres: self.postgres.url(),
            admin_token: self.admin_token.clone(),
            lb: None,
            pods: Vec::new(),
        }
    }

    /// Leaves everything running (`just up`); `just down` stops it by pid.
    pub fn detach(self) {
        let Stack {
            envoy,
            sidecar,
            upstream,
            postgres,
            redis,
            admin_token: _,
        } = self;
        envoy.proc.detach();
        sidecar.proc.detach();
        upstream.proc.detach();
        postgres.server.detach();
        redis.detach();
    }
}

/// The policy of the local stacks: every engine, enforcing.
pub fn local_policy() -> serde_json::Value {
    json!({
        "mode": "enforce",
        "block_threshold": 0.7,
        "max_body_bytes": 1_048_576,
        "engines": [
            "injection", "jailbreak", "evasion", "pii", "secrets",
            "exfiltration", "tool_abuse", "code_injection"
        ]
    })
}
