//! A minimal OpenAI-compatible upstream for the benchmark: every request is
//! answered 200 with the same precomputed `chat.completion` JSON, or, when
//! it asks for a stream (`"stream":true`), with the same precomputed event
//! stream of about 4 MiB ([`STREAM`]).
//!
//! It does as little as a server can (HTTP/1.1 keep-alive straight on hyper,
//! one task per connection, no routing, no logging, no locks) so that the
//! benchmark's figures measure Envoy and the filter, not the upstream. It
//! still reads every request body in full, so the bytes the proxy forwards are
//! really received.

use std::convert::Infallible;
use std::future::Future;
use std::io::ErrorKind;
use std::sync::LazyLock;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The one answer: a complete, non-streaming chat completion.
const COMPLETION: &[u8] = br#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"The capital of France is Paris."},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21}}"#;

/// What a request for a stream has in its body, as the benchmark's client
/// writes it (no spaces).
pub const STREAM_REQUEST: &str = r#""stream":true"#;

/// The streamed answer is sent in frames of this size, so Envoy (and the
/// filter) see it arrive in pieces, as from a real model.
const FRAME: usize = 16 * 1024;

/// The stream's first frame holds the events up to the first this many
/// bytes; the rest follows after [`FIRST_PAUSE`], as a model's first
/// tokens come before the bulk of its answer. Without the pause Envoy
/// would hand the filter a megabyte at once, and the first byte would
/// measure how long that megabyte takes, not what a client waits for.
const FIRST_BYTES: usize = 1024;
const FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// At least this much stream, so the scanner's cost stands out of the noise.
const STREAM_BYTES: usize = 4 * 1024 * 1024;

/// Benign prose for the streamed answer: no addresses, keys, links or
/// numbers, so the response engines find nothing and a clean stream passes
/// the filter byte for byte.
const PROSE: &str = "Once upon a time, in a quiet valley between two green hills, there was a \
small village where the baker rose long before dawn to light his ovens. The smell of fresh \
bread drifted along the narrow streets, and the children woke to it as other children wake \
to birdsong. In the spring the river ran high and cold with melted snow, and the miller \
worked from morning until night while the farmers planted their fields. Every evening the \
old storyteller sat by the fountain in the square and told the same tales of sailors, \
lanterns and patient gardeners, changing them a little each time so that nobody could be \
sure how they ended. The village was not rich, but it was kind, and travellers who passed \
through often stayed a season longer than they had planned. ";

/// The streamed answer: OpenAI `chat.completion.chunk` events of four
/// characters each (a token is about that), the role first, then the text,
/// then `finish_reason` and `[DONE]`. Built once: the upstream must cost
/// next to nothing per request.
pub static STREAM: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(stream_body()));

fn stream_body() -> String {
    let event = |choice: &str| {
        format!(
            "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\
             \"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{choice}]}}\n\n"
        )
    };
    let end = event(r#"{"index":0,"delta":{},"finish_reason":"stop"}"#) + "data: [DONE]\n\n";
    let mut body =
        event(r#"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}"#);
    let mut text = PROSE.chars().cycle();
    while body.len() + end.len() < STREAM_BYTES {
        let piece: String = text.by_ref().take(4).collect();
        // A JSON string, quotes and escapes included.
        let content = serde_json::Value::from(piece).to_string();
        body += &event(&format!(
            r#"{{"index":0,"delta":{{"content":{content}}},"finish_reason":null}}"#
        ));
    }
    body + &end
}

/// Serves connections from `listener` until `shutdown` completes; then stops
/// accepting (connections already open end with the runtime).
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // The client gave up before the accept: its loss, not the server's.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => return Err(e).context("accepting a connection"),
        };
        // Small answers on a kept-alive connection: Nagle would delay them.
        // Should it fail, the connection still works, only slower.
        stream.set_nodelay(true).ok();
        tokio::spawn(async move {
            // Ends when the client closes the connection; no one to tell.
            http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await
                .ok();
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// Where the stream's first frame ends: after the event that reaches past
/// [`FIRST_BYTES`].
fn first_events() -> usize {
    let from = FIRST_BYTES.min(STREAM.len());
    STREAM[from..]
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or(STREAM.len(), |at| from + at + 2)
}

async fn answer(request: Request<Incoming>) -> Result<Response<Body>, hyper::Error> {
    let body = request.into_body().collect().await?.to_bytes();
    // UTF-8 validation and `contains` are both vectorised: a few
    // microseconds even for the 64 KiB mixes.
    let stream = std::str::from_utf8(&body).is_ok_and(|text| text.contains(STREAM_REQUEST));
    let (body, kind) = if stream {
        let first = first_events();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
        tokio::spawn(async move {
            let _ = tx.send(Ok(Frame::data(STREAM.slice(..first)))).await;
            tokio::time::sleep(FIRST_PAUSE).await;
            for at in (first..STREAM.len()).step_by(FRAME) {
                let piece = STREAM.slice(at..STREAM.len().min(at + FRAME));
                // The client went away: nothing more to send.
                if tx.send(Ok(Frame::data(piece))).await.is_err() {
                    return;
                }
            }
        });
        let body = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx)).boxed();
        (body, "text/event-stream")
    } else {
        let body = Full::new(Bytes::from_static(COMPLETION)).boxed();
        (body, "application/json")
    };
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    Ok(response)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::SocketAddr;
    use std::thread::JoinHandle;

    use anyhow::{anyhow, Context, Result};
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::client::conn::http1;
    use hyper::header::{CONTENT_TYPE, HOST};
    use hyper::{Method, Request, StatusCode};
    use hyper_util::rt::TokioIo;
    use serde_json::Value;
    use tokio::sync::oneshot;

    /// The upstream on a loopback port, served by a multi-thread runtime on a
    /// thread of its own, as it runs beside Envoy in the benchmark.
    pub(crate) struct Running {
        pub(crate) addr: SocketAddr,
        stop: oneshot::Sender<()>,
        thread: JoinHandle<Result<()>>,
    }

    impl Running {
        pub(crate) fn start() -> Result<Running> {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.set_nonblocking(true)?;
            let addr = listener.local_addr()?;
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::spawn(move || {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?
                    .block_on(async {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        super::run(listener, async {
                            stopped.await.ok();
                        })
                        .await
                    })
            });
            Ok(Running { addr, stop, thread })
        }

        /// Stops accepting and waits for `run` to return, which must be `Ok`.
        pub(crate) fn stop(self) -> Result<()> {
            self.stop
                .send(())
                .map_err(|()| anyhow!("the upstream had already stopped"))?;
            self.thread
                .join()
                .map_err(|_| anyhow!("the upstream's thread panicked"))?
        }
    }

    /// Two requests on one kept-alive connection, each answered with the
    /// completion.
    #[test]
    fn answers_every_request_with_the_completion() -> Result<()> {
        let upstream = Running::start()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let stream = tokio::net::TcpStream::connect(upstream.addr).await?;
            let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            for _ in 0..2 {
                sender.ready().await?;
                let request = Request::builder()
                    .method(Method::POST)
                    .uri("/v1/chat/completions")
                    .header(HOST, upstream.addr.to_string())
                    .header(CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from_static(br#"{"messages":[]}"#)))?;
                let response = sender.send_request(request).await?;
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
                let body = response.into_body().collect().await?.to_bytes();
                let completion: Value = serde_json::from_slice(&body)?;
                assert_eq!(completion["object"], "chat.completion");
                assert_eq!(completion["choices"][0]["message"]["role"], "assistant");
                assert_eq!(completion["choices"][0]["finish_reason"], "stop");
                assert!(completion["usage"]["total_tokens"].is_u64());
            }
            anyhow::Ok(())
        })?;
        upstream.stop().context("stopping the upstream")
    }

    /// A request with `"stream":true` gets the event stream, in several
    /// pieces: the role first, then 4-character deltas, then the stop and
    /// `[DONE]`.
    #[test]
    fn answers_a_stream_request_with_the_event_stream() -> Result<()> {
        let upstream = Running::start()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (frames, body) = runtime.block_on(async {
            let stream = tokio::net::TcpStream::connect(upstream.addr).await?;
            let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let request = Request::builder()
                .method(Method::POST)
                .uri("/v1/chat/completions")
                .header(HOST, upstream.addr.to_string())
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from_static(
                    br#"{"model":"m","stream":true,"messages":[]}"#,
                )))?;
            let response = sender.send_request(request).await?;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
            let mut body = response.into_body();
            let (mut frames, mut all) = (0, Vec::new());
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    frames += 1;
                    all.extend_from_slice(&data);
                }
            }
            anyhow::Ok((frames, all))
        })?;
        upstream.stop().context("stopping the upstream")?;

        assert_eq!(body, super::STREAM.as_ref());
        assert!(body.len() >= 4 * 1024 * 1024, "{}", body.len());
        assert!(frames > 1, "{frames} frame(s)");
        let text = std::str::from_utf8(&body)?;
        let events: Vec<&str> = text
            .split_terminator("\n\n")
            .map(|e| e.strip_prefix("data: ").unwrap_or(e))
            .collect();
        assert_eq!(events.last(), Some(&"[DONE]"));
        let chunks = events
            .iter()
            .take(events.len() - 1)
            .map(|e| serde_json::from_str(e))
            .collect::<Result<Vec<Value>, _>>()?;
        let delta = |i: usize| &chunks[i]["choices"][0]["delta"];
        assert_eq!(delta(0)["role"], "assistant");
        assert_eq!(
            chunks[chunks.len() - 1]["choices"][0]["finish_reason"],
            "stop"
        );
        for chunk in &chunks[1..chunks.len() - 1] {
            assert_eq!(chunk["object"], "chat.completion.chunk");
            assert!(chunk["choices"][0]["finish_reason"].is_null());
            let content = chunk["choices"][0]["delta"]["content"].as_str();
            assert_eq!(content.map(|c| c.chars().count()), Some(4), "{chunk}");
        }
        Ok(())
    }
}
