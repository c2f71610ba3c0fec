//! `server::run` on port 0 with Redis and Postgres out of reach: the sidecar
//! starts, gets ready, reports `degraded` quickly, and shuts down on request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sentinel_sidecar::config::{DetectionArgs, EventArgs, ServeConfig};
use sentinel_sidecar::server;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Sidecar {
    base: String,
    spool: PathBuf,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn start(redis_url: String, database_url: String) -> Sidecar {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let spool = std::env::temp_dir().join(format!(
        "sentinel-serve-spool-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&spool);
    let config = ServeConfig {
        listen: addr,
        redis_urls: vec![redis_url],
        database_url,
        detection: DetectionArgs::default(),
        admin_token: None,
        drain_ms: 0,
        export: Default::default(),
        events: EventArgs {
            spool_dir: spool.clone(),
            spool_max_bytes: 1 << 20,
            flush_interval_ms: 50,
            pod_name: "test-pod".to_string(),
        },
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server::run(config, listener, async {
        let _ = stopped.await;
    }));
    Sidecar {
        base: format!("http://{addr}"),
        spool,
        stop,
        task,
    }
}

impl Sidecar {
    /// Stops it and returns what is left in its spool (then removed).
    async fn shutdown(self) -> String {
        self.stop.send(()).expect("server still running");
        let result = tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("graceful shutdown returns")
            .expect("server task did not panic");
        result.expect("run returns Ok");
        let mut left = String::new();
        let mut files: Vec<_> = std::fs::read_dir(&self.spool)
            .expect("spool folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for file in files {
            left += &std::fs::read_to_string(file).expect("segment");
        }
        let _ = std::fs::remove_dir_all(&self.spool);
        left
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

async fn get(url: &str) -> (u16, Value) {
    let response = client().get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = get(&format!("{base}/ready")).await;
        if status == 200 {
            assert_eq!(body, json!({"status": "ready"}));
            return;
        }
        assert_eq!(status, 503);
        assert_eq!(body, json!({"status": "not ready"}));
        assert!(Instant::now() < deadline, "never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_degraded(base: &str) {
    let (status, body) = get(&format!("{base}/health")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "degraded", "redis": "down", "postgres": "down", "engines": "loaded"})
    );
}

#[tokio::test]
async fn serves_degraded_without_stores_and_shuts_down() {
    let sidecar = start(
        "redis://127.0.0.1:1".to_string(),
        "postgres://postgres@127.0.0.1:1/sentinel".to_string(),
    )
    .await;
    wait_ready(&sidecar.base).await;
    assert_degraded(&sidecar.base).await;
    // Twice: a failed check must leave the stores ready to be tried again.
    assert_degraded(&sidecar.base).await;

    let scan = format!("{}/v1/scan", sidecar.base);
    let response = client()
        .post(&scan)
        .json(&json!({"text": "hello there"}))
        .send()
        .await
        .expect("scan request");
    assert_eq!(response.status().as_u16(), 200);
    let verdict: Value = response.json().await.expect("verdict JSON");
    assert!(verdict["verdict"] == "allow" || verdict["verdict"] == "block");
    assert!(verdict["risk_score"].is_number());
    assert!(verdict["detections"].is_array());

    let response = client()
        .post(&scan)
        .body("{not json")
        .send()
        .await
        .expect("scan request");
    assert_eq!(response.status().as_u16(), 400);
    let error: Value = response.json().await.expect("error JSON");
    assert_eq!(error["error"]["type"], "invalid_request");
    assert!(error["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));

    // Events are taken over real loopback TCP while Postgres is down, and
    // stay in the spool through shutdown.
    let event = json!({
        "id": "ev-1", "request_id": "r", "time_ms": 1_767_225_600_000_i64,
        "client_id": "0123456789abcdef0123456789abcdef", "method": "POST",
        "authority": "a", "path": "/v1/chat/completions", "verdict": "allow",
        "category": null, "risk": 0.1, "mode": "enforce", "detections": [],
        "text_sha256": "00".repeat(32), "latency_us": 12
    });
    let response = client()
        .post(format!("{}/v1/events", sidecar.base))
        .json(&json!({"events": [event]}))
        .send()
        .await
        .expect("events request");
    assert_eq!(response.status().as_u16(), 200);
    let accepted: Value = response.json().await.expect("JSON");
    assert_eq!(accepted, json!({"accepted": 1}));

    let left = sidecar.shutdown().await;
    assert_eq!(left.lines().count(), 1, "{left}");
    assert!(left.contains(r#""id":"ev-1""#) && left.contains(r#""pod":"test-pod""#));
}

/// Accepts connections and never answers: the worst case for a probe.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[tokio::test]
async fn health_is_bounded_when_stores_hang() {
    let redis = silent_server().await;
    let postgres = silent_server().await;
    let sidecar = start(
        format!("redis://{redis}"),
        format!("postgres://postgres@{postgres}/sentinel"),
    )
    .await;
    wait_ready(&sidecar.base).await;
    assert_degraded(&sidecar.base).await;
    assert_eq!(sidecar.shutdown().await, "");
}
