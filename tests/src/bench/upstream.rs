//! A minimal OpenAI-compatible upstream for the benchmark: every request is
//! answered 200 with the same precomputed `chat.completion` JSON.
//!
//! It does as little as a server can (HTTP/1.1 keep-alive straight on hyper,
//! one task per connection, no routing, no logging, no locks) so that the
//! benchmark's figures measure Envoy and the filter, not the upstream. It
//! still reads every request body in full, so the bytes the proxy forwards are
//! really received.

use std::future::Future;
use std::io::ErrorKind;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The one answer: a complete, non-streaming chat completion.
const COMPLETION: &[u8] = br#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"The capital of France is Paris."},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21}}"#;

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

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    request.into_body().collect().await?;
    let mut response = Response::new(Full::new(Bytes::from_static(COMPLETION)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
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
}
