//! The two Envoys of the benchmark: the same rendered `envoy/local.yaml`,
//! one as is (the Sentinel filter in front of the upstream) and one with
//! the filter's lines cut out. Both get the same worker count, the same
//! upstream and a one-second stats flush (so the filter's histogram is
//! read right after each mix).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::envoy::{self, Envoy, EnvoyConfig};
use crate::{http, ports, tools};

/// Envoy publishes histograms at each stats flush; the bench waits one out.
pub const STATS_FLUSH: Duration = Duration::from_secs(1);

pub struct Pair {
    pub with: Envoy,
    pub without: Envoy,
    pub workers: u32,
}

impl Pair {
    pub fn start(
        dir: &Path,
        workers: u32,
        upstream_port: u16,
        sidecar_port: u16,
        policy: &Value,
    ) -> Result<Pair> {
        let template = envoy::template()?;
        // Same template, same upstream and sidecar, own ports; `filter`
        // false cuts the filter's lines out.
        let launch = |side: &str, filter: bool| -> Result<Envoy> {
            let cfg = EnvoyConfig {
                port: ports::free_port(),
                admin_port: ports::free_port(),
                upstream_port,
                sidecar_port,
                wasm: tools::wasm()?,
                policy: policy.clone(),
            };
            let flush = format!("stats_flush_interval: {}s\n", STATS_FLUSH.as_secs());
            let mut text = flush + &envoy::render(&template, &cfg)?;
            if !filter {
                text = envoy::without_filter(&text)?;
            }
            let name = format!("envoy-{side}-w{workers}");
            Envoy::launch(dir, &name, cfg, &text, workers)
        };
        let with = launch("with", true)?;
        let without = launch("without", false)?;
        Ok(Pair {
            with,
            without,
            workers,
        })
    }

    pub fn stop(mut self) {
        let _ = self.with.proc.stop(Duration::from_secs(5));
        let _ = self.without.proc.stop(Duration::from_secs(5));
    }
}

/// What the filter's stats say on one Envoy (all its workers).
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterStats {
    /// Judged requests and the microseconds they took, summed.
    pub judged: u64,
    pub time_us: f64,
    /// The last policy build, in microseconds.
    pub build_us: u64,
}

impl FilterStats {
    pub fn read(envoy: &Envoy) -> Result<FilterStats> {
        let url = envoy.admin_url("/stats/prometheus?usedonly&filter=sentinel_");
        let text = http::client()
            .get(url)
            .send()
            .and_then(|r| r.text())
            .context("reading Envoy's stats")?;
        let value = |name: &str| envoy::prometheus_value(&text, name).unwrap_or(0.0);
        Ok(FilterStats {
            judged: value("sentinel_filter_time_us_count") as u64,
            time_us: value("sentinel_filter_time_us_sum"),
            build_us: value("sentinel_policy_build_us") as u64,
        })
    }

    /// Mean microseconds per judged request between `self` and `later`.
    pub fn mean_us_until(&self, later: &FilterStats) -> Option<f64> {
        let judged = later.judged.checked_sub(self.judged).filter(|&n| n > 0)?;
        Some((later.time_us - self.time_us) / judged as f64)
    }
}
