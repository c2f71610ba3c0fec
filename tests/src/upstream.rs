//! The demo OpenAI-compatible upstream, so the stack works offline: answers
//! `POST /v1/chat/completions` with JSON, or with an SSE stream of
//! `chat.completion.chunk`s when the body says `"stream": true`. It records
//! what it received (`GET /_demo/requests`) so tests can prove that a blocked
//! request never reached it and a passed one arrived unchanged.

use std::collections::VecDeque;
use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_stream::wrappers::ReceiverStream;

use crate::process::{self, Proc};
use crate::{http, tools};

/// Requests kept for `/_demo/requests`; older ones are only counted.
const KEEP: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What `GET /_demo/requests` answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Log {
    pub count: u64,
    pub requests: VecDeque<Received>,
}

type Shared = Arc<Mutex<Log>>;

pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = Router::new()
        .route("/_demo/requests", get(requests))
        .fallback(handle)
        .with_state(Shared::default());
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn requests(State(log): State<Shared>) -> Json<Log> {
    Json(log.lock().map(|l| l.clone()).unwrap_or_default())
}

async fn handle(
    State(log): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&log, &method, &uri, &headers, &body);
    match (method, uri.path()) {
        (Method::POST, "/v1/chat/completions") => chat(&body),
        (Method::GET, "/v1/models") => Json(json!({
            "object": "list",
            "data": [{"id": "sentinel-demo", "object": "model", "owned_by": "sentinel-mesh"}]
        }))
        .into_response(),
        _ => error(
            StatusCode::NOT_FOUND,
            "unknown endpoint on the demo upstream",
        ),
    }
}

fn record(log: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) {
    let received = Received {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    };
    if let Ok(mut log) = log.lock() {
        log.count += 1;
        if log.requests.len() == KEEP {
            log.requests.pop_front();
        }
        log.requests.push_back(received);
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
    (status, Json(body)).into_response()
}

fn chat(body: &Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "body is not valid JSON");
    };
    let messages = request["messages"].as_array().map_or(0, Vec::len);
    let model = request["model"]
        .as_str()
        .unwrap_or("sentinel-demo")
        .to_string();
    let reply =
        format!("Hello from the Sentinel Mesh demo upstream. You sent {messages} message(s).");
    if request["stream"].as_bool() == Some(true) {
        stream(&model, &reply)
    } else {
        Json(json!({
            "id": "chatcmpl-demo",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": reply.split(' ').count(), "total_tokens": 10 + reply.split(' ').count()}
        }))
        .into_response()
    }
}

/// The reply as an SSE stream, one word per delta, then `[DONE]`.
fn stream(model: &str, reply: &str) -> Response {
    let chunk = |delta: Value, finish: Value| {
        let event = json!({
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        format!("data: {event}\n\n")
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for (i, word) in reply.split(' ').enumerate() {
        let text = if i == 0 {
            word.to_string()
        } else {
            format!(" {word}")
        };
        events.push(chunk(json!({"content": text}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    events.push("data: [DONE]\n\n".to_string());
    let body = Body::from_stream(paced(events));
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(body)
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "stream failed"))
}

/// Sends each event as its own chunk, a little apart, like a model does.
fn paced(events: Vec<String>) -> ReceiverStream<Result<String, std::convert::Infallible>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for event in events {
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    ReceiverStream::new(rx)
}

/// The demo upstream as a process of its own (for `just up` and the tests).
pub struct Upstream {
    pub port: u16,
    pub proc: Proc,
}

impl Upstream {
    pub fn start(dir: &Path, profile: &str, port: u16) -> Result<Upstream> {
        let mut cmd = Command::new(tools::demo_upstream(profile)?);
        cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
        let proc = process::spawn("upstream", &mut cmd, dir)?;
        let upstream = Upstream { port, proc };
        http::wait_ok(&upstream.url("/_demo/requests"), Duration::from_secs(30))?;
        Ok(upstream)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What the upstream has received so far.
    pub fn log(&self) -> Result<Log> {
        Ok(http::client()
            .get(self.url("/_demo/requests"))
            .send()?
            .json()?)
    }
}
