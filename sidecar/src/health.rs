//! Kubernetes probes. `/health` (liveness) stays 200 through a store outage
//! so that one outage does not restart every pod at once; only a broken
//! sidecar is 503. `/ready` gates traffic on the engines alone: the filter
//! enforces with local engines, so a store outage must not drain the mesh.
//! It turns 503 for good when the sidecar drains at shutdown.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::readiness::Engines;
use crate::server::AppState;
use crate::store::Status;

#[derive(Debug, Serialize)]
pub struct HealthReport {
    /// `healthy`, `degraded` or `unhealthy`.
    pub status: &'static str,
    pub redis: &'static str,
    pub postgres: &'static str,
    /// `loaded`, `loading` or `failed`.
    pub engines: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ReadyReport {
    pub status: &'static str,
}

pub async fn health(State(state): State<Arc<AppState>>) -> (StatusCode, Json<HealthReport>) {
    // Concurrent, each bounded: the probe answers within one check timeout.
    let (redis, postgres) = tokio::join!(state.redis.status(), state.postgres.status());
    let engines = state.readiness.engines();
    let (code, status) = match (&engines, redis, postgres) {
        (Engines::Failed(_), _, _) => (StatusCode::SERVICE_UNAVAILABLE, "unhealthy"),
        (Engines::Loaded(_), Status::Up, Status::Up) => (StatusCode::OK, "healthy"),
        _ => (StatusCode::OK, "degraded"),
    };
    let report = HealthReport {
        status,
        redis: redis.as_str(),
        postgres: postgres.as_str(),
        engines: engines.as_str(),
    };
    (code, Json(report))
}

pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<ReadyReport>) {
    let status = match state.readiness.engines() {
        _ if state.readiness.draining() => "draining",
        Engines::Loaded(_) => return (StatusCode::OK, Json(ReadyReport { status: "ready" })),
        Engines::Loading | Engines::Failed(_) => "not ready",
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ReadyReport { status }),
    )
}
