//! The HTTP service: state, routes, startup and graceful shutdown.
//!
//! Startup never waits on Redis or Postgres: they are connected on demand and
//! reported by `/health`, so the sidecar comes up (and stays up) through a
//! store outage.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::config::ServeConfig;
use crate::readiness::Readiness;
use crate::store::{Monitored, PostgresStore, RedisStore};
use crate::{api, health, logging, shutdown};

pub struct AppState {
    pub readiness: Readiness,
    pub redis: Monitored<RedisStore>,
    pub postgres: Monitored<PostgresStore>,
    /// Block threshold applied to `/v1/scan` verdicts.
    pub threshold: f32,
}

impl AppState {
    /// Validates the store settings; connects to nothing.
    pub fn new(config: &ServeConfig) -> anyhow::Result<Self> {
        Ok(AppState {
            readiness: Readiness::default(),
            redis: Monitored::new(RedisStore::new(&config.redis_urls)?),
            postgres: Monitored::new(PostgresStore::new(&config.database_url)?),
            threshold: config.detection.threshold,
        })
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/v1/scan", post(api::scan))
        .fallback(api::not_found)
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, then drains in-flight
/// requests and returns. Engines load in the background behind `/ready`.
pub async fn run(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = Arc::new(AppState::new(&config)?);
    let addr = listener.local_addr().context("listener has no address")?;
    tracing::info!(
        %addr,
        redis_seed_nodes = config.redis_urls.len(),
        threshold = %config.detection.threshold,
        "sentinel-sidecar listening; loading engines"
    );

    let engines = config.detection.engines().to_vec();
    let loader = Arc::clone(&state);
    tokio::spawn(async move { loader.readiness.load(engines).await });

    // Check the stores once now, so an outage is in the log from the start
    // rather than at the first probe.
    let prober = Arc::clone(&state);
    tokio::spawn(async move {
        tokio::join!(prober.redis.status(), prober.postgres.status());
    });

    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("HTTP server failed")?;
    tracing::info!("shutdown complete");
    Ok(())
}

/// `sentinel-sidecar serve`: logging, runtime, listener, signals.
pub fn serve(config: ServeConfig) -> anyhow::Result<()> {
    logging::init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        run(config, listener, shutdown::signal()).await
    });
    if let Err(error) = &result {
        tracing::error!(error = format!("{error:#}"), "sentinel-sidecar stopped");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DetectionArgs;
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    fn unreachable_stores() -> ServeConfig {
        ServeConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            redis_urls: vec!["redis://127.0.0.1:1".to_string()],
            database_url: "postgres://postgres@127.0.0.1:1/sentinel".to_string(),
            detection: DetectionArgs::default(),
        }
    }

    async fn call(state: AppState, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_string()))
            .expect("valid request");
        let response = router(Arc::new(state))
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("JSON body"))
    }

    fn state(readiness: Readiness) -> AppState {
        AppState {
            readiness,
            ..AppState::new(&unreachable_stores()).expect("valid config")
        }
    }

    #[tokio::test]
    async fn not_ready_while_engines_load() {
        let (status, body) = call(state(Readiness::default()), "GET", "/ready", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, serde_json::json!({"status": "not ready"}));

        let (status, body) = call(state(Readiness::default()), "GET", "/health", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["engines"], "loading");

        let (status, body) = call(
            state(Readiness::default()),
            "POST",
            "/v1/scan",
            r#"{"text":"hi"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["type"], "unavailable");
    }

    #[tokio::test]
    async fn failed_engines_are_unhealthy() {
        let (status, body) = call(state(Readiness::failed("bad rule")), "GET", "/health", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["engines"], "failed");

        let (status, _) = call(state(Readiness::failed("bad rule")), "GET", "/ready", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn unknown_path_is_a_json_404() {
        let (status, body) = call(state(Readiness::default()), "GET", "/nope", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["type"], "not_found");
    }

    #[test]
    fn bad_store_urls_are_config_errors() {
        let mut config = unreachable_stores();
        config.database_url = "postgres://u@h:port/db".to_string();
        assert!(AppState::new(&config).is_err());
    }
}
