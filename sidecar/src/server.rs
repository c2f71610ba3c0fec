//! The HTTP service: state, routes, startup and graceful shutdown.
//!
//! Startup never waits on Redis or Postgres: they are connected on demand and
//! reported by `/health`, so the sidecar comes up (and stays up) through a
//! store outage.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::export::Exporter;
use crate::metrics::Metrics;
use crate::policy::PolicyCell;
use crate::readiness::Readiness;
use crate::spool::Spool;
use crate::state::{QuarantineRule, RedisState};
use crate::store::{Monitored, PostgresStore, RedisStore};
use crate::sync::Snapshot;
use crate::writer::Writer;
use crate::{admin, api, events, health, ingest, logging, metrics, policy, shutdown, sync};

pub struct AppState {
    pub readiness: Readiness,
    pub redis: Monitored<RedisStore>,
    pub postgres: Monitored<PostgresStore>,
    /// Block threshold applied to `/v1/scan` verdicts.
    pub threshold: f32,
    pub spool: Arc<Spool>,
    /// Stored with each event as `pod`.
    pub pod: String,
    /// Per-client risk and quarantines, shared by every pod.
    pub shared: Arc<RedisState>,
    /// The rule `GET /v1/clients` counts recent blocks over.
    pub quarantine: QuarantineRule,
    /// The last state document served to the filter, for Redis outages.
    pub last_state: tokio::sync::Mutex<Option<Snapshot>>,
    /// The newest policy version (see [`crate::policy`]).
    pub policy: Arc<PolicyCell>,
    /// What `GET /metrics` reports.
    pub metrics: Metrics,
}

impl AppState {
    /// A pooled Postgres connection for a handler; 503 when there is none.
    pub async fn db(&self) -> Result<deadpool_postgres::Object, ApiError> {
        self.postgres
            .store()
            .client()
            .await
            .map_err(ApiError::store)
    }

    /// Validates the store settings and opens the spool; connects to nothing.
    pub fn new(config: &ServeConfig) -> anyhow::Result<Self> {
        Ok(AppState {
            readiness: Readiness::default(),
            redis: Monitored::new(RedisStore::new(&config.redis_urls)?),
            postgres: Monitored::new(PostgresStore::new(&config.database_url)?),
            threshold: config.detection.threshold,
            spool: Arc::new(Spool::open(
                &config.events.spool_dir,
                config.events.spool_max_bytes,
            )?),
            pod: config.events.pod_name.clone(),
            shared: Arc::new(RedisState::new(&config.redis_urls)?),
            quarantine: QuarantineRule::default(),
            last_state: tokio::sync::Mutex::new(None),
            policy: Arc::new(PolicyCell::default()),
            metrics: Metrics::default(),
        })
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/v1/scan", post(api::scan))
        .route(
            "/v1/events",
            post(ingest::ingest).layer(DefaultBodyLimit::max(events::MAX_BODY_BYTES)),
        )
        .route("/v1/state", get(sync::state))
        .route("/v1/clients/{client_id}", get(admin::clients::show))
        .route("/v1/incidents", get(admin::incidents::list))
        .route(
            "/v1/clients/{client_id}/quarantine",
            delete(admin::clients::release),
        )
        .route(
            "/v1/policies",
            get(admin::policies::list)
                .post(admin::policies::create)
                .layer(DefaultBodyLimit::max(admin::policies::MAX_BODY_BYTES)),
        )
        .route("/v1/policies/current", get(admin::policies::current))
        .fallback(api::not_found)
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, then drains in-flight
/// requests, makes a last attempt to store spooled events, and returns.
/// Engines load in the background behind `/ready`.
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

    // Its own pool: event inserts must not queue behind health checks.
    let writer = Writer::new(
        Arc::clone(&state.spool),
        PostgresStore::new(&config.database_url)?,
        Duration::from_millis(config.events.flush_interval_ms),
    )
    .counting(state.metrics.events_stored.clone());
    let (stop_writer, writer_stop) = watch::channel(false);
    let writer = tokio::spawn(writer.run(writer_stop.clone()));
    tokio::spawn(policy::follow(
        Arc::clone(&state.policy),
        PostgresStore::new(&config.database_url)?,
        config.redis_urls.clone(),
        writer_stop,
    ));

    // Only where configured, and then only the lease holder sends.
    let exporter = Exporter::from_config(&config)?
        .map(|exporter| tokio::spawn(exporter.run(stop_writer.subscribe())));

    if let Some(token) = config.admin_token.clone() {
        let store = PostgresStore::new(&config.database_url)?;
        tokio::spawn(async move { admin::token::bootstrap(&store, &token).await });
    }

    let drain = Duration::from_millis(config.drain_ms);
    let draining = Arc::clone(&state);
    let shutdown = async move {
        shutdown.await;
        draining.readiness.drain();
        tracing::info!(
            drain_ms = config.drain_ms,
            "draining: /ready answers 503, events are still taken"
        );
        tokio::time::sleep(drain).await;
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("HTTP server failed")?;
    // Requests are drained: nothing more reaches the spool.
    let _ = stop_writer.send(true);
    if let Err(error) = writer.await {
        tracing::error!(%error, "event writer failed");
    }
    if let Some(exporter) = exporter {
        if let Err(error) = exporter.await {
            tracing::error!(%error, "incident exporter failed");
        }
    }
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
    use crate::config::{DetectionArgs, EventArgs};
    use crate::events::tests::event_json;
    use crate::spool::tests::TempDir;
    use axum::body::{to_bytes, Body};
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode};
    use serde_json::{json, Value};
    use tower::ServiceExt;

    const LOCAL: &str = "127.0.0.1:40000";

    fn unreachable_stores(spool: &TempDir) -> ServeConfig {
        ServeConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            redis_urls: vec!["redis://127.0.0.1:1".to_string()],
            database_url: "postgres://postgres@127.0.0.1:1/sentinel".to_string(),
            detection: DetectionArgs::default(),
            admin_token: None,
            drain_ms: 0,
            export: Default::default(),
            events: EventArgs {
                spool_dir: spool.0.clone(),
                spool_max_bytes: 1 << 20,
                flush_interval_ms: 60_000,
                pod_name: "pod-a".to_string(),
            },
        }
    }

    /// Calls the router as `axum::serve` would, with the peer address.
    async fn call_from(
        state: &Arc<AppState>,
        peer: &str,
        method: &str,
        uri: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let peer: SocketAddr = peer.parse().expect("peer address");
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .body(body.into())
            .expect("valid request");
        request.extensions_mut().insert(ConnectInfo(peer));
        let (status, bytes) = respond(state, request).await;
        (status, serde_json::from_slice(&bytes).expect("JSON body"))
    }

    /// The router's answer to `request`: status and body bytes.
    async fn respond(state: &Arc<AppState>, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = router(Arc::clone(state))
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, bytes.to_vec())
    }

    async fn call(state: AppState, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        call_from(&Arc::new(state), LOCAL, method, uri, body.to_string()).await
    }

    fn state(readiness: Readiness, spool: &TempDir) -> AppState {
        AppState {
            readiness,
            ..AppState::new(&unreachable_stores(spool)).expect("valid config")
        }
    }

    fn batch(events: Vec<Value>) -> String {
        json!({ "events": events }).to_string()
    }

    #[tokio::test]
    async fn not_ready_while_engines_load() {
        let dir = TempDir::new("server-loading");
        let (status, body) = call(state(Readiness::default(), &dir), "GET", "/ready", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, json!({"status": "not ready"}));

        let (status, body) = call(state(Readiness::default(), &dir), "GET", "/health", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["engines"], "loading");

        let (status, body) = call(
            state(Readiness::default(), &dir),
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
        let dir = TempDir::new("server-failed");
        let failed = || state(Readiness::failed("bad rule"), &dir);
        let (status, body) = call(failed(), "GET", "/health", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "unhealthy");
        assert_eq!(body["engines"], "failed");

        let (status, _) = call(failed(), "GET", "/ready", "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn unknown_path_is_a_json_404() {
        let dir = TempDir::new("server-404");
        let (status, body) = call(state(Readiness::default(), &dir), "GET", "/nope", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["type"], "not_found");
    }

    #[test]
    fn bad_store_urls_are_config_errors() {
        let dir = TempDir::new("server-config");
        let mut config = unreachable_stores(&dir);
        config.database_url = "postgres://u@h:port/db".to_string();
        assert!(AppState::new(&config).is_err());
    }

    /// Events are spooled (with the pod name) before the 200, whether or not
    /// the engines are loaded and the stores are up.
    #[tokio::test]
    async fn events_are_spooled_before_they_are_acknowledged() {
        let dir = TempDir::new("server-events");
        let state = Arc::new(state(Readiness::default(), &dir));
        let body = batch(vec![event_json("e1"), event_json("e2")]);
        let (status, answer) = call_from(&state, LOCAL, "POST", "/v1/events", body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer, json!({"accepted": 2}));
        let (status, answer) =
            call_from(&state, "[::1]:1", "POST", "/v1/events", batch(vec![])).await;
        assert_eq!((status, answer), (StatusCode::OK, json!({"accepted": 0})));

        state.spool.seal().expect("seal");
        let sealed = state.spool.sealed().expect("list");
        assert_eq!(sealed.len(), 1);
        let text = std::fs::read_to_string(&sealed[0].path).expect("segment");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], "e1");
        assert_eq!(lines[1]["pod"], "pod-a");
    }

    #[tokio::test]
    async fn events_from_other_hosts_are_forbidden() {
        let dir = TempDir::new("server-forbidden");
        let state = Arc::new(state(Readiness::default(), &dir));
        for peer in ["10.1.2.3:5000", "[2001:db8::1]:80"] {
            let body = batch(vec![event_json("e1")]);
            let (status, answer) = call_from(&state, peer, "POST", "/v1/events", body).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(answer["error"]["type"], "forbidden");
        }
        state.spool.seal().expect("seal");
        assert_eq!(state.spool.sealed().expect("list"), []);
    }

    #[tokio::test]
    async fn refused_batches_store_nothing() {
        let dir = TempDir::new("server-refused");
        let state = Arc::new(state(Readiness::default(), &dir));
        let mut bad = event_json("e3");
        bad["verdict"] = json!("maybe");
        let body = batch(vec![event_json("e1"), event_json("e2"), bad]);
        let (status, answer) = call_from(&state, LOCAL, "POST", "/v1/events", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["type"], "invalid_request");
        let message = answer["error"]["message"].as_str().expect("message");
        assert!(message.starts_with("event 2: "), "{message}");

        let (status, _) = call_from(&state, LOCAL, "POST", "/v1/events", "{nope").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let huge = format!(
            r#"{{"events": [], "pad": "{}"}}"#,
            "x".repeat(events::MAX_BODY_BYTES)
        );
        let (status, _) = call_from(&state, LOCAL, "POST", "/v1/events", huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

        state.spool.seal().expect("seal");
        assert_eq!(state.spool.sealed().expect("list"), []);
        assert_eq!(state.spool.bytes(), 0);
    }

    #[tokio::test]
    async fn a_full_spool_answers_503() {
        let dir = TempDir::new("server-full");
        let mut config = unreachable_stores(&dir);
        config.events.spool_max_bytes = 1000;
        let state = Arc::new(AppState::new(&config).expect("valid config"));
        let body = batch(vec![event_json("e1"), event_json("e2"), event_json("e3")]);
        let (status, answer) = call_from(&state, LOCAL, "POST", "/v1/events", body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer["error"]["type"], "unavailable");
        let body = batch(vec![event_json("e1")]);
        let (status, _) = call_from(&state, LOCAL, "POST", "/v1/events", body).await;
        assert_eq!(status, StatusCode::OK, "a batch that fits is still taken");
    }

    /// At shutdown the sidecar drains: `/ready` turns 503 at once while
    /// events are still taken, and it stops only once the drain is over.
    #[tokio::test]
    async fn drains_before_it_stops() {
        let dir = TempDir::new("server-drain");
        let mut config = unreachable_stores(&dir);
        config.drain_ms = 1500;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(config, listener, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let ready = || http.get(format!("{base}/ready")).send();
        // Up (engines may still be loading: "not ready" until they are).
        let before: Value = ready().await.expect("answers").json().await.expect("JSON");
        assert_ne!(before["status"], "draining");

        let signalled = std::time::Instant::now();
        stop.send(()).expect("server runs");
        let mut status = Value::Null;
        while status != "draining" && signalled.elapsed() < Duration::from_secs(1) {
            let answer = ready().await.expect("still answers while draining");
            assert_eq!(answer.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
            status = answer.json::<Value>().await.expect("JSON")["status"].clone();
        }
        assert_eq!(status, "draining");
        let events = http
            .post(format!("{base}/v1/events"))
            .body(batch(vec![event_json("late")]))
            .send()
            .await
            .expect("events still taken");
        assert_eq!(events.status(), reqwest::StatusCode::OK);
        assert!(!server.is_finished(), "stopped before the drain was over");
        server.await.expect("joins").expect("clean stop");
        assert!(signalled.elapsed() >= Duration::from_millis(1500));
    }

    /// `/metrics` reports what happened (events acknowledged) and what is
    /// (not ready while the engines load, stores down, spool bytes), in
    /// the Prometheus text format.
    #[tokio::test]
    async fn metrics_report_events_readiness_and_stores() {
        let dir = TempDir::new("server-metrics");
        let state = Arc::new(state(Readiness::default(), &dir));
        let body = batch(vec![event_json("m1"), event_json("m2")]);
        let (status, _) = call_from(&state, LOCAL, "POST", "/v1/events", body).await;
        assert_eq!(status, StatusCode::OK);

        let request = Request::builder()
            .uri("/metrics")
            .body(Body::empty())
            .expect("request");
        let (status, bytes) = respond(&state, request).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(bytes).expect("UTF-8");
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
        };
        assert_eq!(value("sentinel_sidecar_events_ingested_total"), 2.0);
        assert_eq!(value("sentinel_sidecar_events_stored_total"), 0.0);
        assert_eq!(
            value("sentinel_sidecar_ready"),
            0.0,
            "engines still loading"
        );
        assert!(
            value("sentinel_sidecar_spool_bytes") > 0.0,
            "two events spooled"
        );
        assert_eq!(value("sentinel_sidecar_store_up{store=\"redis\"}"), 0.0);
        assert_eq!(value("sentinel_sidecar_store_up{store=\"postgres\"}"), 0.0);
    }
}
