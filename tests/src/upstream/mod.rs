//! The demo LLM upstream, so the stack works offline. It speaks three APIs,
//! one module each:
//! - [`openai`]: `POST /v1/chat/completions`, JSON or an SSE stream of
//!   `chat.completion.chunk`s (`"stream": true`), with a final usage chunk
//!   for `"stream_options": {"include_usage": true}`;
//! - [`anthropic`]: `POST /v1/messages`, JSON or the Messages API's event
//!   stream (`message_start` ... `content_block_delta` ... `message_stop`);
//! - [`ollama`]: `POST /api/chat`, JSON or (Ollama's default) a stream of
//!   JSON lines (`application/x-ndjson`).
//!
//! It records what it received (`GET /_demo/requests`) so tests can prove
//! that a blocked request never reached it and a passed one arrived
//! unchanged.
//!
//! Request headers that script the answer, for every API (demo only; the
//! filter treats them like any other header), so curl users and tests can
//! make it leak:
//! - `x-demo-reply: <text>`: the assistant says exactly this; streamed as 1–6 char deltas cut into random 1–40 byte frames.
//! - `x-demo-seed: <u64>`: makes the delta sizes and frame cuts reproducible (default: the clock; echoed back).
//! - `x-demo-sse: <base64>`: when streaming, the body is exactly these bytes (cut as above), for malformed streams.
//! - `x-demo-abort-after: <n>`: when streaming, sends n body bytes (after any gzip), then aborts the connection.
//! - `x-demo-encoding: gzip`: gzips the body (JSON or stream) and sets `content-encoding: gzip`.

mod anthropic;
mod ollama;
mod openai;

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::write::GzEncoder;
use flate2::Compression;
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
    // No Nagle, so the scripted small frames leave as separate segments.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

fn app() -> Router {
    Router::new()
        .route("/_demo/requests", get(requests))
        .fallback(handle)
        .with_state(Shared::default())
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
        (Method::POST, "/v1/chat/completions") => answer(&headers, &body, openai::answer),
        (Method::POST, "/v1/messages") => answer(&headers, &body, anthropic::answer),
        (Method::POST, "/api/chat") => answer(&headers, &body, ollama::answer),
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

/// The `x-demo-*` headers of one chat request, validated up front so bad
/// input gets a 400 rather than a half-sent stream.
struct Script {
    reply: Option<String>,
    sse: Option<Vec<u8>>,
    abort_after: Option<usize>,
    gzip: bool,
    seed: u64,
}

impl Script {
    fn from_headers(headers: &HeaderMap) -> Result<Script, String> {
        let reply = demo_header(headers, "x-demo-reply")?.map(str::to_string);
        let sse = demo_header(headers, "x-demo-sse")?
            .map(|text| STANDARD.decode(text.trim()))
            .transpose()
            .map_err(|_| "x-demo-sse is not valid base64 (standard alphabet)".to_string())?;
        let abort_after = demo_header(headers, "x-demo-abort-after")?
            .map(|text| text.trim().parse::<usize>())
            .transpose()
            .map_err(|_| "x-demo-abort-after must be a byte count".to_string())?;
        let gzip = match demo_header(headers, "x-demo-encoding")?.map(str::trim) {
            None | Some("identity") => false,
            Some(v) if v.eq_ignore_ascii_case("gzip") => true,
            Some(_) => return Err("x-demo-encoding supports only gzip".to_string()),
        };
        let seed = match demo_header(headers, "x-demo-seed")? {
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| "x-demo-seed must be a u64".to_string())?,
            // Truncating the nanoseconds is fine: any value is a good seed.
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        };
        Ok(Script {
            reply,
            sse,
            abort_after,
            gzip,
            seed,
        })
    }
}

/// A header as text; raw UTF-8 is accepted because curl sends it as is.
fn demo_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => std::str::from_utf8(value.as_bytes())
            .map(Some)
            .map_err(|_| format!("{name} is not UTF-8")),
    }
}

/// The API's answer to a request that reads well, or a 400 that says what
/// is wrong with it.
fn answer(headers: &HeaderMap, body: &Bytes, api: fn(&Ask) -> Response) -> Response {
    match Ask::read(headers, body) {
        Ok(ask) => api(&ask),
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

/// What one request asks for, read the same way for both APIs.
struct Ask {
    script: Script,
    request: Value,
    reply: String,
}

impl Ask {
    fn read(headers: &HeaderMap, body: &Bytes) -> Result<Ask, String> {
        let script = Script::from_headers(headers)?;
        let request = serde_json::from_slice::<Value>(body)
            .map_err(|_| "body is not valid JSON".to_string())?;
        let messages = request["messages"].as_array().map_or(0, Vec::len);
        let reply = script.reply.clone().unwrap_or_else(|| {
            format!("Hello from the Sentinel Mesh demo upstream. You sent {messages} message(s).")
        });
        Ok(Ask {
            script,
            request,
            reply,
        })
    }

    fn model(&self) -> &str {
        self.request["model"].as_str().unwrap_or("sentinel-demo")
    }

    /// Whether the request asks for a stream; `default` when it does not say.
    fn streaming(&self, default: bool) -> bool {
        self.request["stream"].as_bool().unwrap_or(default)
    }

    /// The reply's length in words, the demo's token count.
    fn words(&self) -> usize {
        self.reply.split(' ').count()
    }
}

/// A JSON answer, gzipped when the script says so.
fn json_answer(script: &Script, answer: Value) -> Response {
    if !script.gzip {
        return Json(answer).into_response();
    }
    let Ok(gzipped) = gzip_units(vec![Bytes::from(answer.to_string())]) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "gzip failed");
    };
    Response::builder()
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Body::from(gzipped.concat()))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "response failed"))
}

/// A streamed answer of type `media`; `events` wraps the reply's deltas
/// in the API's events.
/// Without a script: one word per delta, one event per frame. With
/// `x-demo-reply` or `x-demo-sse`: the bytes cut at random offsets, so the
/// filter sees events and UTF-8 chars split across frames.
fn stream(
    ask: &Ask,
    media: &'static str,
    events: impl FnOnce(Vec<String>) -> Vec<Bytes>,
) -> Response {
    let script = &ask.script;
    let mut rng = fastrand::Rng::with_seed(script.seed);
    let scripted = script.reply.is_some() || script.sse.is_some();
    let units = if let Some(sse) = &script.sse {
        vec![Bytes::from(sse.clone())]
    } else if script.reply.is_some() {
        events(small_deltas(&ask.reply, &mut rng))
    } else {
        events(words(&ask.reply))
    };
    let units = if script.gzip {
        match gzip_units(units) {
            Ok(units) => units,
            Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "gzip failed"),
        }
    } else {
        units
    };
    // Deltas are drawn before the cuts, so gzip changes only the cuts and
    // the decoded body matches the plain one for the same seed.
    let (pieces, pace) = if scripted {
        (cut(&units.concat(), &mut rng), Pace::Random(rng))
    } else {
        (units, Pace::Fixed)
    };
    let mut response = Response::builder()
        .header("content-type", media)
        .header("cache-control", "no-cache");
    if script.gzip {
        response = response.header("content-encoding", "gzip");
    }
    if scripted {
        // Lets a failing run be replayed with the same cuts.
        response = response.header("x-demo-seed", script.seed);
    }
    response
        .body(Body::from_stream(paced(pieces, pace, script.abort_after)))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "stream failed"))
}

/// One word per delta, as the unscripted demo always did.
fn words(reply: &str) -> Vec<String> {
    reply
        .split(' ')
        .enumerate()
        .map(|(i, word)| {
            if i == 0 {
                word.to_string()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

/// 1 to 6 chars per delta, like a tokenizer's pieces.
fn small_deltas(reply: &str, rng: &mut fastrand::Rng) -> Vec<String> {
    let mut chars = reply.chars().peekable();
    let mut deltas = Vec::new();
    while chars.peek().is_some() {
        let n = rng.usize(1..=6);
        deltas.push(chars.by_ref().take(n).collect());
    }
    deltas
}

/// Gzips the units as one stream, sync-flushing after each so every piece
/// decodes as soon as it arrives; the trailer is a piece of its own.
fn gzip_units(units: Vec<Bytes>) -> std::io::Result<Vec<Bytes>> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    let mut out = Vec::with_capacity(units.len() + 1);
    for unit in units {
        gz.write_all(&unit)?;
        gz.flush()?;
        out.push(Bytes::from(std::mem::take(gz.get_mut())));
    }
    out.push(Bytes::from(gz.finish()?));
    out.retain(|piece| !piece.is_empty());
    Ok(out)
}

/// Cuts the body at random byte offsets, 1 to 40 bytes apart, ignoring
/// event and char boundaries on purpose.
fn cut(body: &[u8], rng: &mut fastrand::Rng) -> Vec<Bytes> {
    let body = Bytes::copy_from_slice(body);
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let end = (at + rng.usize(1..=40)).min(body.len());
        pieces.push(body.slice(at..end));
        at = end;
    }
    pieces
}

/// The pause after each frame.
enum Pace {
    /// 5 ms, like a model producing events.
    Fixed,
    /// 1 to 3 ms, enough for each piece to leave as its own TCP segment.
    Random(fastrand::Rng),
}

type Frame = Result<Bytes, std::io::Error>;

/// Sends each piece as its own frame, a little apart. With `abort_after`,
/// stops after that many bytes and fails the body, so hyper drops the
/// connection instead of ending the chunked body.
fn paced(
    mut pieces: Vec<Bytes>,
    mut pace: Pace,
    abort_after: Option<usize>,
) -> ReceiverStream<Frame> {
    if let Some(limit) = abort_after {
        let mut sent = 0;
        pieces = pieces
            .into_iter()
            .filter_map(|piece| {
                let take = piece.len().min(limit - sent);
                sent += take;
                (take > 0).then(|| piece.slice(..take))
            })
            .collect();
    }
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for piece in pieces {
            if tx.send(Ok(piece)).await.is_err() {
                return;
            }
            let pause = match &mut pace {
                Pace::Fixed => Duration::from_millis(5),
                Pace::Random(rng) => Duration::from_millis(rng.u64(1..=3)),
            };
            tokio::time::sleep(pause).await;
        }
        if abort_after.is_some() {
            let _ = tx
                .send(Err(std::io::Error::other("x-demo-abort-after")))
                .await;
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::{HeaderValue, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    pub(super) const REPLY: &str = "Sürè, the card is 4111 1111 1111 1111 ✓ — ok?";

    /// What came back: status, headers, the data frames as they arrived,
    /// and whether the body failed.
    pub(super) struct Answer {
        pub(super) status: StatusCode,
        pub(super) headers: HeaderMap,
        pub(super) frames: Vec<Bytes>,
        pub(super) failed: bool,
    }

    impl Answer {
        pub(super) fn body(&self) -> Vec<u8> {
            self.frames.concat()
        }

        pub(super) fn text(&self) -> String {
            String::from_utf8(self.body()).unwrap()
        }
    }

    async fn chat(headers: &[(&str, &str)], body: Value) -> Answer {
        post("/v1/chat/completions", headers, body).await
    }

    /// `body` and `headers` sent to `path` of the demo's router.
    pub(super) async fn post(path: &str, headers: &[(&str, &str)], body: Value) -> Answer {
        let mut request = Request::post(path);
        for (name, value) in headers {
            // from_bytes: the reply may be raw UTF-8, as curl would send it.
            request = request.header(*name, HeaderValue::from_bytes(value.as_bytes()).unwrap());
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = response.into_body();
        let mut frames = Vec::new();
        let mut failed = false;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => frames.extend(frame.into_data().ok()),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        Answer {
            status,
            headers,
            frames,
            failed,
        }
    }

    fn streaming() -> Value {
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]})
    }

    /// The JSON payloads of the `data:` events, `[DONE]` excluded.
    fn payloads(sse: &str) -> Vec<Value> {
        sse.split("\n\n")
            .filter_map(|event| event.strip_prefix("data: "))
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).unwrap())
            .collect()
    }

    fn gunzip(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[tokio::test]
    async fn upstream_json_reply_is_the_header_text() {
        let answer = chat(&[("x-demo-reply", REPLY)], json!({"messages": []})).await;
        assert_eq!(answer.status, StatusCode::OK);
        let body: Value = serde_json::from_slice(&answer.body()).unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], REPLY);
    }

    #[tokio::test]
    async fn upstream_sse_reply_comes_in_small_deltas_and_random_frames() {
        let answer = chat(
            &[("x-demo-reply", REPLY), ("x-demo-seed", "7")],
            streaming(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["content-type"], "text/event-stream");
        assert_eq!(answer.headers["x-demo-seed"], "7");
        let text = answer.text();
        assert!(text.ends_with("data: [DONE]\n\n"));
        let events = payloads(&text);
        assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(events[0]["choices"][0]["delta"]["content"], "");
        let last = events.last().unwrap();
        assert_eq!(last["choices"][0]["finish_reason"], "stop");
        let deltas: Vec<&str> = events[1..events.len() - 1]
            .iter()
            .map(|e| e["choices"][0]["delta"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(deltas.concat(), REPLY);
        assert!(deltas.iter().all(|d| (1..=6).contains(&d.chars().count())));
        assert!(deltas.iter().any(|d| d.chars().count() > 1));
        // The frames ignore event boundaries and are small.
        assert!(answer.frames.iter().all(|f| (1..=40).contains(&f.len())));
        assert!(answer.frames.len() > events.len());
        // Some frame splits a multi-byte char (the reply has several).
        assert!(answer
            .frames
            .iter()
            .any(|f| std::str::from_utf8(f).is_err()));
    }

    #[tokio::test]
    async fn upstream_usage_chunk_when_asked() {
        let mut body = streaming();
        body["stream_options"] = json!({"include_usage": true});
        let answer = chat(&[("x-demo-reply", REPLY)], body).await;
        let events = payloads(&answer.text());
        let last = events.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert!(last["usage"]["total_tokens"].as_u64().unwrap() > 0);
        let stop = &events[events.len() - 2];
        assert_eq!(stop["choices"][0]["finish_reason"], "stop");
        assert!(stop["usage"].is_null());
    }

    #[tokio::test]
    async fn upstream_same_seed_same_bytes_and_cuts() {
        async fn run(seed: &str) -> Answer {
            chat(
                &[("x-demo-reply", REPLY), ("x-demo-seed", seed)],
                streaming(),
            )
            .await
        }
        let (a, b, c) = (run("42").await, run("42").await, run("43").await);
        assert_eq!(a.frames, b.frames);
        assert_ne!(a.frames, c.frames);
    }

    #[tokio::test]
    async fn upstream_unscripted_stream_keeps_one_event_per_frame() {
        let answer = chat(&[], streaming()).await;
        assert!(answer.frames.iter().all(|f| f.ends_with(b"\n\n")));
        let events = payloads(&answer.text());
        assert!(events[1]["choices"][0]["delta"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Hello"));
    }

    #[tokio::test]
    async fn upstream_sse_header_is_the_exact_body() {
        // A broken stream: a split event, a bad UTF-8 byte, no [DONE].
        let raw: &[u8] =
            b"data: {\"choices\":[{\"delta\":{\"content\":\"\xff4111\"}}]}\n\ndata: {\"cho";
        let answer = chat(&[("x-demo-sse", &STANDARD.encode(raw))], streaming()).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["content-type"], "text/event-stream");
        assert_eq!(answer.body(), raw);
        assert!(answer.frames.iter().all(|f| f.len() <= 40));

        let bad = chat(&[("x-demo-sse", "not base64!")], streaming()).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let error: Value = serde_json::from_slice(&bad.body()).unwrap();
        assert!(error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("base64"));
    }

    #[tokio::test]
    async fn upstream_gzip_decodes_to_the_plain_body() {
        let json_body = json!({"messages": []});
        let plain = chat(&[("x-demo-reply", REPLY)], json_body.clone()).await;
        let gz = chat(
            &[("x-demo-reply", REPLY), ("x-demo-encoding", "gzip")],
            json_body,
        )
        .await;
        assert_eq!(gz.headers["content-encoding"], "gzip");
        assert_eq!(gunzip(&gz.body()), plain.body());

        for headers in [&[("x-demo-reply", REPLY), ("x-demo-seed", "5")][..], &[]] {
            let plain = chat(headers, streaming()).await;
            let mut zipped = headers.to_vec();
            zipped.push(("x-demo-encoding", "gzip"));
            let gz = chat(&zipped, streaming()).await;
            assert_eq!(gz.headers["content-encoding"], "gzip");
            assert!(plain.headers.get("content-encoding").is_none());
            assert_eq!(gunzip(&gz.body()), plain.body());
        }
    }

    #[tokio::test]
    async fn upstream_abort_after_fails_the_body() {
        for headers in [&[("x-demo-reply", REPLY)][..], &[]] {
            let mut headers = headers.to_vec();
            headers.push(("x-demo-abort-after", "50"));
            let answer = chat(&headers, streaming()).await;
            assert!(answer.failed);
            assert_eq!(answer.body().len(), 50);
        }
    }

    #[tokio::test]
    async fn upstream_abort_after_cuts_the_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, async {
            let _ = stopped.await;
        }));
        let response = reqwest::Client::new()
            .post(format!("http://{addr}/v1/chat/completions"))
            .header("x-demo-reply", "a reply long enough to be cut")
            .header("x-demo-abort-after", "30")
            .body(streaming().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // hyper drops the connection before the last chunk: an error, or
        // at most the 30 bytes sent.
        match response.bytes().await {
            Err(_) => {}
            Ok(body) => assert!(body.len() <= 30),
        }
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn upstream_rejects_bad_demo_headers() {
        for (name, value) in [
            ("x-demo-seed", "soon"),
            ("x-demo-abort-after", "-1"),
            ("x-demo-encoding", "br"),
        ] {
            let answer = chat(&[(name, value)], streaming()).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        }
    }
}
