//! `GET /metrics`: the sidecar's own figures in the Prometheus text format,
//! for a PodMonitor and the alerts in `k8s/components/observability` (the
//! filter's counters are Envoy stats, scraped from Envoy).
//!
//! Counters move where things happen (ingest, writer); gauges are read at
//! scrape time, so they are never stale.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::ApiError;
use crate::readiness::Engines;
use crate::server::AppState;
use crate::store::Status;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabel {
    pub store: &'static str,
}

/// The sidecar's metrics, registered once; cheap to clone (shared cells).
pub struct Metrics {
    registry: Registry,
    /// Events acknowledged to filters (spooled).
    pub events_ingested: Counter,
    /// Events the writer inserted into Postgres (new ones only).
    pub events_stored: Counter,
    ready: Gauge,
    spool_bytes: Gauge,
    store_up: Family<StoreLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sentinel_sidecar");
        let events_ingested = Counter::default();
        let events_stored = Counter::default();
        let ready = Gauge::default();
        let spool_bytes = Gauge::default();
        let store_up = Family::<StoreLabel, Gauge>::default();
        registry.register(
            "events_ingested",
            "Decision events acknowledged to the filter (fsynced in the spool)",
            events_ingested.clone(),
        );
        registry.register(
            "events_stored",
            "Decision events inserted into Postgres",
            events_stored.clone(),
        );
        registry.register(
            "ready",
            "1 while /ready answers 200 (engines built, not draining)",
            ready.clone(),
        );
        registry.register(
            "spool_bytes",
            "Bytes of events in the spool, waiting for Postgres",
            spool_bytes.clone(),
        );
        registry.register(
            "store_up",
            "1 while the store answers its health check",
            store_up.clone(),
        );
        Metrics {
            registry,
            events_ingested,
            events_stored,
            ready,
            spool_bytes,
            store_up,
        }
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let (redis, postgres) = tokio::join!(state.redis.status(), state.postgres.status());
    let m = &state.metrics;
    let ready =
        matches!(state.readiness.engines(), Engines::Loaded(_)) && !state.readiness.draining();
    m.ready.set(i64::from(ready));
    m.spool_bytes
        .set(i64::try_from(state.spool.bytes()).unwrap_or(i64::MAX));
    for (store, status) in [("redis", redis), ("postgres", postgres)] {
        m.store_up
            .get_or_create(&StoreLabel { store })
            .set(i64::from(status == Status::Up));
    }
    let mut text = String::new();
    encode(&mut text, &m.registry)
        .map_err(|e| ApiError::Internal(format!("cannot encode the metrics: {e}")))?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}
