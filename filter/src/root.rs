//! The root context: one per plugin and VM (i.e. per worker). It parses the
//! policy (compiling its thresholds and allow-list), builds the scanner once
//! and hands both to every request context. A policy that does not parse is
//! refused (`on_configure` returns false) and the previous one, if any, stays.

use std::cell::Cell;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};
use sentinel_engines::Scanner;

use crate::http::{Filter, Unconfigured};
use crate::metrics::Metrics;
use crate::policy::Policy;

/// What request contexts share; built once per configuration. Compiling the
/// engines per request would cost most of Envoy's throughput.
pub struct Shared {
    pub policy: Policy,
    pub scanner: Scanner,
    pub metrics: Metrics,
    /// Makes fallback request ids of different VMs and restarts distinct.
    configured_at: u128,
    request_ids: Cell<u64>,
}

impl Shared {
    /// An id for a request that came without `x-request-id`.
    pub fn fallback_request_id(&self) -> String {
        let n = self.request_ids.get().wrapping_add(1);
        self.request_ids.set(n);
        format!("sentinel-{:x}-{n}", self.configured_at)
    }
}

#[derive(Default)]
pub struct Root {
    shared: Option<Rc<Shared>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        match self.configure() {
            Ok(shared) => {
                log(
                    LogLevel::Info,
                    &format!(
                        "configured: mode={} block_threshold={} engine_thresholds={:?} \
                         allowlist_entries={} max_body_bytes={} engines={:?} text_paths={:?} \
                         custom_rules={:?}",
                        shared.policy.mode.as_str(),
                        shared.policy.block_threshold(),
                        shared
                            .policy
                            .thresholds
                            .engines()
                            .map(|(e, t)| (e.name(), t))
                            .collect::<Vec<_>>(),
                        shared.policy.allowlist.len(),
                        shared.policy.max_body_bytes,
                        shared.scanner.engines(),
                        shared
                            .policy
                            .text_paths
                            .iter()
                            .map(|p| p.as_str())
                            .collect::<Vec<_>>(),
                        shared
                            .policy
                            .custom_rules
                            .iter()
                            .map(|r| r.id.as_str())
                            .collect::<Vec<_>>(),
                    ),
                );
                self.shared = Some(Rc::new(shared));
                true
            }
            Err(e) => {
                log(LogLevel::Error, &format!("refusing configuration: {e}"));
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        // Returning None would panic in the SDK; without a policy, refuse.
        Some(match &self.shared {
            Some(shared) => Box::new(Filter::new(Rc::clone(shared))),
            None => Box::new(Unconfigured),
        })
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

impl Root {
    fn configure(&self) -> Result<Shared, String> {
        let config = self.get_plugin_configuration().unwrap_or_default();
        let policy = Policy::parse(&config)?;
        // A bad custom rule fails here, naming it; the previous policy stays.
        let scanner = policy.scanner()?;
        let metrics = Metrics::define()?;
        let configured_at = self
            .get_current_time()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Shared {
            policy,
            scanner,
            metrics,
            configured_at,
            request_ids: Cell::new(0),
        })
    }
}

fn log(level: LogLevel, message: &str) {
    // Nothing sensible to do if the host refuses a log line.
    let _ = hostcalls::log(level, message);
}
