//! A closed-loop HTTP/1.1 load generator for the benchmark.
//!
//! Closed loop: each keep-alive connection sends its next request as soon as
//! the previous answer has fully arrived, so the load is as much as the
//! server can take at that concurrency, and the latency is that of a request
//! that never queued behind the generator. It runs on one thread (a
//! current-thread tokio runtime), so on this 2-core machine it takes at most
//! one core from the programs it measures. The same generator, with the same
//! settings, drives both Envoys (with and without the filter): the A/B
//! comparison is then fair, whatever the generator's own cost.

use std::fmt::Display;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout_at;

/// Latencies up to a minute are told apart; longer ones saturate.
const MAX_LATENCY_US: u64 = 60_000_000;
/// How long a connection waits before connecting again after a failed try.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// What to send, where, how hard and for how long.
#[derive(Debug, Clone)]
pub struct Load {
    /// A loopback address: the benchmark never loads anything else.
    pub addr: SocketAddr,
    /// The request path, e.g. `/v1/chat/completions`.
    pub path: String,
    /// The POST body (`application/json`). Each [`NONCE`] in it is replaced,
    /// request by request, with a number of the same width unique to the
    /// request: bodies that differ in every text, so that what the filter
    /// remembers of texts it judged does not answer for it.
    pub body: Bytes,
    /// Keep-alive connections, each with one request in flight at a time.
    pub connections: usize,
    pub duration: Duration,
    /// The status every answer should have (200 for benign requests, 403 for
    /// attacks); any other counts as an error.
    pub expect_status: u16,
}

/// Stands in a [`Load::body`] for the per-request number (ten ASCII
/// characters, replaced by ten digits: the body's length does not change).
pub const NONCE: &str = "@@nonce@@@";

/// A body split at its nonces, so each request joins the pieces around its
/// own number.
#[derive(Clone)]
struct Template {
    pieces: Vec<Bytes>,
}

impl Template {
    fn new(body: &Bytes) -> Template {
        let marker = NONCE.as_bytes();
        let mut pieces = Vec::new();
        let mut rest = 0;
        let mut at = 0;
        while let Some(found) = body
            .get(at..)
            .and_then(|tail| tail.windows(marker.len()).position(|w| w == marker))
        {
            pieces.push(body.slice(rest..at + found));
            at += found + marker.len();
            rest = at;
        }
        pieces.push(body.slice(rest..));
        Template { pieces }
    }

    /// The body of request `n` on connection `index`.
    fn body(&self, index: usize, n: u64) -> Bytes {
        if self.pieces.len() == 1 {
            return self.pieces.first().cloned().unwrap_or_default();
        }
        let nonce = format!("{:04}{:06}", index % 10_000, n % 1_000_000);
        let mut body = Vec::with_capacity(self.pieces.iter().map(Bytes::len).sum::<usize>() + 64);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        Bytes::from(body)
    }
}

/// What a run (or several, merged) saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Responses with the expected status.
    pub requests: u64,
    /// Responses with another status, and connection or I/O failures.
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency in microseconds of each expected-status response, from just
    /// before sending until its body had been read.
    pub latency_us: Histogram<u64>,
    /// The first error, for messages.
    pub first_error: Option<String>,
}

impl Outcome {
    fn empty() -> Result<Outcome> {
        Ok(Outcome {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .context("creating the latency histogram")?,
            first_error: None,
        })
    }

    /// Expected-status responses per second of `elapsed`.
    pub fn rps(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.requests as f64 / seconds
        } else {
            0.0
        }
    }

    /// The latency at percentile `q` (0 to 100), in microseconds; 0 when no
    /// request succeeded.
    pub fn percentile_us(&self, q: f64) -> u64 {
        self.latency_us.value_at_percentile(q)
    }

    /// Adds `other` in: counts, elapsed time and histograms add up, so
    /// merging successive runs gives their overall rate and percentiles.
    pub fn merge(&mut self, other: &Outcome) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        // Every histogram here is made by `empty`, with the same bounds:
        // only different bounds make adding fail.
        let _ = self.latency_us.add(&other.latency_us);
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }

    fn fail(&mut self, error: impl Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_string());
        }
    }
}

/// Runs `load` to its end and returns what it saw. Blocking: it builds its
/// own single-thread runtime, so call it from plain code, not from a runtime.
pub fn run(load: &Load) -> Result<Outcome> {
    ensure!(
        load.addr.ip().is_loopback(),
        "the load generator only targets loopback, not {}",
        load.addr
    );
    ensure!(load.connections > 0, "a load needs at least one connection");
    let uri: Uri = load
        .path
        .parse()
        .with_context(|| format!("the request path {:?}", load.path))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the load generator's runtime")?;
    runtime.block_on(async {
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + load.duration);
        let mut tasks = JoinSet::new();
        for index in 0..load.connections {
            let connection = Connection {
                addr: load.addr,
                uri: uri.clone(),
                headers: headers(load.addr, index)?,
                index,
                body: Template::new(&load.body),
                expect_status: load.expect_status,
            };
            tasks.spawn(connection.drive(deadline, Outcome::empty()?));
        }
        let mut total = Outcome::empty()?;
        while let Some(joined) = tasks.join_next().await {
            total.merge(&joined.context("a load connection's task failed")?);
        }
        total.elapsed = started.elapsed();
        Ok(total)
    })
}

/// The headers of every request on connection `index`: its own fixed API key,
/// as one client would send.
fn headers(addr: SocketAddr, index: usize) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::try_from(addr.to_string())?);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-api-key",
        HeaderValue::try_from(format!("sk-bench-{index}"))?,
    );
    Ok(headers)
}

/// One keep-alive connection's share of the load.
struct Connection {
    addr: SocketAddr,
    uri: Uri,
    headers: HeaderMap,
    index: usize,
    body: Template,
    expect_status: u16,
}

impl Connection {
    /// Sends requests one after the other until `deadline`, reconnecting
    /// after a failure. A request still in flight at the deadline is dropped
    /// uncounted: the run measures what completed within its time.
    async fn drive(self, deadline: tokio::time::Instant, mut outcome: Outcome) -> Outcome {
        let mut sent: u64 = 0;
        while tokio::time::Instant::now() < deadline {
            let mut sender = match timeout_at(deadline, self.connect()).await {
                Err(_) => break,
                Ok(Ok(sender)) => sender,
                Ok(Err(e)) => {
                    outcome.fail(format!("{e:#}"));
                    tokio::time::sleep_until(
                        deadline.min(tokio::time::Instant::now() + RECONNECT_PAUSE),
                    )
                    .await;
                    continue;
                }
            };
            loop {
                sent += 1;
                match timeout_at(deadline, self.exchange(&mut sender, sent)).await {
                    Err(_) => return outcome,
                    Ok(Ok((status, latency))) if status == self.expect_status => {
                        outcome.requests += 1;
                        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                        outcome.latency_us.saturating_record(micros.max(1));
                    }
                    // The answer was read in full: the connection goes on.
                    Ok(Ok((status, _))) => {
                        outcome.fail(format!("status {status}, expected {}", self.expect_status))
                    }
                    Ok(Err(e)) => {
                        outcome.fail(format!("{e:#}"));
                        break;
                    }
                }
            }
        }
        outcome
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("connecting to {}", self.addr))?;
        // One small request at a time: Nagle would only add delay.
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .context("the HTTP/1.1 handshake")?;
        // Its failures reach the sender as failed requests.
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Request `n` and its whole answer: the status and the time taken.
    async fn exchange(
        &self,
        sender: &mut SendRequest<Full<Bytes>>,
        n: u64,
    ) -> Result<(u16, Duration)> {
        sender.ready().await.context("the connection closed")?;
        let mut request = Request::new(Full::new(self.body.body(self.index, n)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        let started = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .context("reading the response body")?;
        Ok((status, started.elapsed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::upstream::tests::Running;

    /// A chat request of about 4 KiB, the size of a prompt with some context.
    fn chat_body() -> Bytes {
        let content = "Summarise the quarterly report for the board. ".repeat(88);
        let body = serde_json::json!({
            "model": "bench-model",
            "messages": [{"role": "user", "content": content}],
        });
        Bytes::from(body.to_string())
    }

    fn load(addr: SocketAddr, expect_status: u16) -> Load {
        Load {
            addr,
            path: "/v1/chat/completions".to_owned(),
            body: chat_body(),
            connections: 4,
            duration: Duration::from_millis(300),
            expect_status,
        }
    }

    #[test]
    fn loads_the_upstream_and_counts_what_it_saw() -> Result<()> {
        let upstream = Running::start()?;
        let benign = load(upstream.addr, 200);
        assert!((4000..5000).contains(&benign.body.len()));
        let outcome = run(&benign)?;
        assert!(outcome.requests > 0, "{outcome:?}");
        assert_eq!(outcome.errors, 0, "{:?}", outcome.first_error);
        assert_eq!(outcome.latency_us.len(), outcome.requests);
        assert!(outcome.percentile_us(50.0) > 0);
        assert!(outcome.percentile_us(99.0) >= outcome.percentile_us(50.0));
        assert!(outcome.rps() > 0.0);
        assert!(outcome.elapsed >= benign.duration);

        // The upstream answers 200, so expecting 403 makes every answer an
        // error, and none a request.
        let outcome = run(&load(upstream.addr, 403))?;
        assert_eq!(outcome.requests, 0);
        assert!(outcome.errors > 0);
        assert!(outcome.latency_us.is_empty());
        let first_error = outcome.first_error.unwrap_or_default();
        assert!(first_error.contains("status 200"), "{first_error}");

        upstream.stop()
    }

    #[test]
    fn merge_adds_counts_time_and_latencies() -> Result<()> {
        let mut a = Outcome::empty()?;
        a.requests = 2;
        a.elapsed = Duration::from_secs(1);
        a.latency_us.saturating_record(100);
        a.latency_us.saturating_record(100);
        let mut b = Outcome::empty()?;
        b.requests = 2;
        b.errors = 1;
        b.elapsed = Duration::from_secs(1);
        b.first_error = Some("refused".to_owned());
        b.latency_us.saturating_record(300);
        b.latency_us.saturating_record(MAX_LATENCY_US * 2);
        a.merge(&b);
        assert_eq!((a.requests, a.errors), (4, 1));
        assert_eq!(a.rps(), 2.0);
        assert_eq!(a.latency_us.len(), 4);
        assert_eq!(a.percentile_us(50.0), 100);
        assert!(a.percentile_us(100.0) >= MAX_LATENCY_US);
        assert_eq!(a.first_error.as_deref(), Some("refused"));
        Ok(())
    }

    #[test]
    fn refuses_addresses_off_loopback() {
        // TEST-NET-1: checked before any connection is tried.
        let target = load(SocketAddr::from(([192, 0, 2, 1], 80)), 200);
        assert!(run(&target).is_err());
    }

    #[test]
    fn every_nonce_becomes_the_requests_number() {
        let body = Bytes::from(format!("{{\"a\":\"{NONCE} x\",\"b\":\"y {NONCE}\"}}"));
        let template = Template::new(&body);
        let first = template.body(3, 1);
        let second = template.body(3, 2);
        assert_eq!(first.len(), body.len());
        assert_eq!(&first[..], br#"{"a":"0003000001 x","b":"y 0003000001"}"#);
        assert_ne!(first, second);
        let plain = Bytes::from_static(b"{}");
        assert_eq!(Template::new(&plain).body(0, 9), plain);
    }
}
