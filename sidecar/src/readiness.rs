//! Readiness latch: closed while the engines compile, open once they are
//! built, closed again for good when the sidecar starts to drain at
//! shutdown. The build runs off the async workers so the probes answer
//! (503) meanwhile instead of timing out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use sentinel_engines::{Engine, Scanner};

#[derive(Debug, Default)]
pub struct Readiness {
    engines: OnceLock<Result<Arc<Scanner>, String>>,
    draining: AtomicBool,
}

/// What the probes and the scan API see of the engines.
#[derive(Debug, Clone)]
pub enum Engines {
    Loading,
    Loaded(Arc<Scanner>),
    /// The build failed: the sidecar cannot do its job until restarted.
    Failed(String),
}

impl Engines {
    pub fn as_str(&self) -> &'static str {
        match self {
            Engines::Loading => "loading",
            Engines::Loaded(_) => "loaded",
            Engines::Failed(_) => "failed",
        }
    }
}

impl Readiness {
    pub fn engines(&self) -> Engines {
        match self.engines.get() {
            None => Engines::Loading,
            Some(Ok(scanner)) => Engines::Loaded(Arc::clone(scanner)),
            Some(Err(reason)) => Engines::Failed(reason.clone()),
        }
    }

    /// Shutting down: take no new traffic, finish what the filter hands over.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Builds the engines on the blocking pool and flips the latch either way.
    pub async fn load(&self, engines: Vec<Engine>) {
        let started = Instant::now();
        let built =
            tokio::task::spawn_blocking(move || Scanner::builder().engines(&engines).build())
                .await
                .map_err(|e| format!("engine build panicked: {e}"))
                .and_then(|built| built.map_err(|e| e.to_string()));
        match &built {
            Ok(scanner) => tracing::info!(
                engines = %names(scanner.engines()),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "engines loaded; ready"
            ),
            Err(reason) => tracing::error!(%reason, "engines failed to build; unhealthy"),
        }
        self.set(built.map(Arc::new));
    }

    fn set(&self, engines: Result<Arc<Scanner>, String>) {
        // A second set is impossible (one load per process); first one wins.
        let _ = self.engines.set(engines);
    }
}

fn names(engines: &[Engine]) -> String {
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    names.join(",")
}

#[cfg(test)]
impl Readiness {
    /// A latch already failed, to drive the `unhealthy` path in tests.
    pub(crate) fn failed(reason: &str) -> Self {
        let readiness = Readiness::default();
        readiness.set(Err(reason.to_string()));
        readiness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_after_load() {
        let readiness = Readiness::default();
        assert!(matches!(readiness.engines(), Engines::Loading));
        readiness.load(Engine::ALL.to_vec()).await;
        assert_eq!(readiness.engines().as_str(), "loaded");
    }
}
