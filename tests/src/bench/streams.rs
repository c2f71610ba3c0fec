//! What the filter costs a streamed answer: time to first byte (the window
//! of text it holds back, the first events judged) and the time to download
//! the whole stream, with and without the filter.
//!
//! One kept-alive connection per Envoy, one request at a time, the sides in
//! turn (with, without, with, without...): nothing queues, so each time is
//! what one client pays. The client is a raw HTTP/1.1 client on a blocking
//! socket, timed on its own thread: no runtime or channel between the
//! socket and the clock. Every request asks for the upstream's 4 MiB event
//! stream ([`upstream::STREAM`]) of 4-character deltas (its first kilobyte,
//! then the rest); it is benign, so the filter passes it byte for byte, and
//! any other length fails the run.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde::Serialize;

use super::pair::Pair;
use super::upstream;
use crate::envoy::Envoy;

/// Requests per side before anything counts: the first streams compile the
/// rules' regexes and fill Envoy's buffers.
const WARM_UP: usize = 2;
/// No answer takes this long on loopback unless something is stuck.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The figures of the streams; the field names are those of `latest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct StreamFigures {
    /// The length of one stream, as the upstream sends it.
    pub bytes: u64,
    pub requests_with: usize,
    pub requests_without: usize,
    /// From just before the request is written to the first byte of the
    /// answer's body.
    pub ttfb_p50_us_with: u64,
    pub ttfb_p50_us_without: u64,
    pub ttfb_p90_us_with: u64,
    pub ttfb_p90_us_without: u64,
    /// `ttfb_p50_us_with - ttfb_p50_us_without`.
    pub added_ttfb_p50_us: i64,
    /// From just before the request is written to the body's last byte.
    pub seconds_mean_with: f64,
    pub seconds_mean_without: f64,
    /// End to end: the stream's bytes over the mean download time.
    pub mb_per_s_with: f64,
    pub mb_per_s_without: f64,
    /// The stream's bytes over the time the filter adds to its download
    /// (MB = 10^6 bytes); `None` when it added none measurable.
    pub scanner_mb_per_s: Option<f64>,
}

/// `rounds` times: `per_round` streams through the Envoy with the filter,
/// then as many through the one without.
pub fn measure(pair: &Pair, rounds: u32, per_round: usize) -> Result<StreamFigures> {
    ensure!(
        rounds > 0 && per_round > 0,
        "the streams need at least one request"
    );
    let expected = upstream::STREAM.len();
    let mut with = Client::connect(&pair.with)?;
    let mut without = Client::connect(&pair.without)?;
    for _ in 0..WARM_UP {
        with.stream(expected)?;
        without.stream(expected)?;
    }
    let (mut timed_with, mut timed_without) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (client, timed) in [
            (&mut with, &mut timed_with),
            (&mut without, &mut timed_without),
        ] {
            for _ in 0..per_round {
                timed.push(client.stream(expected)?);
            }
        }
    }
    let bytes = expected as f64;
    let mean = |timed: &[Timing]| {
        timed.iter().map(|t| t.total.as_secs_f64()).sum::<f64>() / timed.len() as f64
    };
    let (mean_with, mean_without) = (mean(&timed_with), mean(&timed_without));
    let ttfb = |timed: &[Timing], q: f64| percentile_us(timed.iter().map(|t| t.ttfb), q);
    let (p50_with, p50_without) = (ttfb(&timed_with, 0.5), ttfb(&timed_without, 0.5));
    let added = mean_with - mean_without;
    Ok(StreamFigures {
        bytes: expected as u64,
        requests_with: timed_with.len(),
        requests_without: timed_without.len(),
        ttfb_p50_us_with: p50_with,
        ttfb_p50_us_without: p50_without,
        ttfb_p90_us_with: ttfb(&timed_with, 0.9),
        ttfb_p90_us_without: ttfb(&timed_without, 0.9),
        added_ttfb_p50_us: p50_with as i64 - p50_without as i64,
        seconds_mean_with: mean_with,
        seconds_mean_without: mean_without,
        mb_per_s_with: bytes / mean_with / 1e6,
        mb_per_s_without: bytes / mean_without / 1e6,
        scanner_mb_per_s: (added > 0.0).then(|| bytes / added / 1e6),
    })
}

/// The nearest-rank percentile (`q` from 0 to 1) of `times`, in µs.
fn percentile_us(times: impl Iterator<Item = Duration>, q: f64) -> u64 {
    let mut us: Vec<u64> = times
        .map(|t| u64::try_from(t.as_micros()).unwrap_or(u64::MAX))
        .collect();
    us.sort_unstable();
    let rank = (q * us.len() as f64).ceil() as usize;
    us.get(rank.saturating_sub(1)).copied().unwrap_or(0)
}

/// One stream's times.
#[derive(Debug, Clone, Copy)]
struct Timing {
    ttfb: Duration,
    total: Duration,
}

/// A kept-alive HTTP/1.1 connection to one Envoy.
struct Client {
    socket: TcpStream,
    host: String,
    name: String,
    /// Numbers the requests: each prompt differs, so the filter's memory of
    /// texts it judged does not answer for it.
    sent: u64,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(envoy: &Envoy) -> Result<Client> {
        let host = format!("127.0.0.1:{}", envoy.config.port);
        let socket = TcpStream::connect(&host).with_context(|| format!("connecting to {host}"))?;
        // The request is small and must leave at once.
        socket.set_nodelay(true).context("setting TCP_NODELAY")?;
        socket
            .set_read_timeout(Some(READ_TIMEOUT))
            .context("setting the read timeout")?;
        Ok(Client {
            socket,
            host,
            name: envoy.proc.name.clone(),
            sent: 0,
            buffer: vec![0; 256 * 1024],
        })
    }

    /// One streamed answer read to its end; it must be 200 and `expected`
    /// bytes long.
    fn stream(&mut self, expected: usize) -> Result<Timing> {
        self.sent += 1;
        let body = format!(
            r#"{{"model":"bench",{stream},"messages":[{{"role":"user","content":"Tell me a long story, story number {n}."}}]}}"#,
            stream = upstream::STREAM_REQUEST,
            n = self.sent,
        );
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\n\
             content-type: application/json\r\nx-api-key: sk-bench-stream\r\n\
             content-length: {length}\r\n\r\n{body}",
            host = self.host,
            length = body.len(),
        );
        let started = Instant::now();
        self.socket
            .write_all(request.as_bytes())
            .with_context(|| format!("sending a stream request to {}", self.name))?;
        let mut answer = Answer::default();
        let mut ttfb = None;
        while !answer.done() {
            let read = self
                .socket
                .read(&mut self.buffer)
                .with_context(|| format!("reading a stream from {}", self.name))?;
            if read == 0 {
                bail!("{} closed the connection mid-answer", self.name);
            }
            let bytes = self.buffer.get(..read).unwrap_or_default();
            answer
                .feed(bytes)
                .with_context(|| format!("a malformed answer from {}", self.name))?;
            if ttfb.is_none() && answer.body_bytes > 0 {
                ttfb = Some(started.elapsed());
            }
        }
        let total = started.elapsed();
        let status = answer.status.unwrap_or(0);
        if status != 200 {
            bail!(
                "{}: a stream request answered {status}: {}",
                self.name,
                String::from_utf8_lossy(&answer.head_of_body)
            );
        }
        ensure!(
            answer.body_bytes == expected,
            "{}: a stream of {} bytes, expected {expected} (the upstream's, byte for byte)",
            self.name,
            answer.body_bytes
        );
        Ok(Timing {
            ttfb: ttfb.unwrap_or(total),
            total,
        })
    }
}

/// An answer parsed as it arrives: the head, then a body framed by
/// `content-length` or chunked; only its length is kept (and its start,
/// for error messages).
#[derive(Default)]
struct Answer {
    /// The head, until its blank line.
    head: Vec<u8>,
    status: Option<u16>,
    framing: Option<Framing>,
    body_bytes: usize,
    head_of_body: Vec<u8>,
    /// A chunk-size, chunk-end or trailer line being read.
    line: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Body bytes still to come.
    Length(usize),
    /// Before a chunk-size line.
    ChunkSize,
    /// Bytes of the current chunk still to come.
    ChunkData(usize),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines, until a blank one.
    Trailers,
    Done,
}

/// The start of a body kept for an error message.
const HEAD_OF_BODY: usize = 512;

impl Answer {
    fn done(&self) -> bool {
        self.framing == Some(Framing::Done)
    }

    fn feed(&mut self, mut input: &[u8]) -> Result<()> {
        if self.framing.is_none() {
            let Some(rest) = self.feed_head(input)? else {
                return Ok(());
            };
            input = rest;
        }
        while !input.is_empty() {
            let framing = self.framing.unwrap_or(Framing::Done);
            self.framing = Some(match framing {
                Framing::Length(left) | Framing::ChunkData(left) => {
                    let (data, rest) = input.split_at(left.min(input.len()));
                    input = rest;
                    self.data(data);
                    match (framing, left - data.len()) {
                        (Framing::Length(_), 0) => Framing::Done,
                        (Framing::Length(_), left) => Framing::Length(left),
                        (_, 0) => Framing::ChunkEnd,
                        (_, left) => Framing::ChunkData(left),
                    }
                }
                Framing::ChunkSize | Framing::ChunkEnd | Framing::Trailers => {
                    let Some(line) = self.line(&mut input) else {
                        continue;
                    };
                    match framing {
                        Framing::ChunkSize => {
                            let size = line.split(';').next().unwrap_or_default().trim();
                            match usize::from_str_radix(size, 16) {
                                Ok(0) => Framing::Trailers,
                                Ok(n) => Framing::ChunkData(n),
                                Err(_) => bail!("chunk size {line:?}"),
                            }
                        }
                        Framing::ChunkEnd if line.is_empty() => Framing::ChunkSize,
                        Framing::ChunkEnd => bail!("{line:?} after a chunk's data"),
                        _ if line.is_empty() => Framing::Done,
                        _ => Framing::Trailers,
                    }
                }
                // Nothing is pipelined: bytes after the answer are a fault.
                Framing::Done => bail!("{} bytes after the answer's end", input.len()),
            });
        }
        Ok(())
    }

    /// Adds to the head; once it is complete, sets the status and framing
    /// and returns the bytes after it.
    fn feed_head<'a>(&mut self, input: &'a [u8]) -> Result<Option<&'a [u8]>> {
        let before = self.head.len();
        self.head.extend_from_slice(input);
        let Some(end) = self.head.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = String::from_utf8_lossy(self.head.get(..end).unwrap_or_default()).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("no status in {head:?}"))?;
        let (mut length, mut chunked) = (None, false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().with_context(|| format!("{line:?}"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        self.status = Some(status);
        self.framing = Some(match (chunked, length) {
            (true, _) => Framing::ChunkSize,
            (false, Some(0)) => Framing::Done,
            (false, Some(n)) => Framing::Length(n),
            (false, None) => bail!("an answer with neither length nor chunks: {head:?}"),
        });
        Ok(Some(input.get(end + 4 - before..).unwrap_or_default()))
    }

    fn data(&mut self, data: &[u8]) {
        self.body_bytes += data.len();
        let room = HEAD_OF_BODY.saturating_sub(self.head_of_body.len());
        self.head_of_body
            .extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
    }

    /// A complete line (without its CRLF) taken from `input`, or `None`
    /// with `input` kept for the next read.
    fn line(&mut self, input: &mut &[u8]) -> Option<String> {
        match input.iter().position(|&b| b == b'\n') {
            Some(at) => {
                self.line
                    .extend_from_slice(input.get(..at).unwrap_or_default());
                *input = input.get(at + 1..).unwrap_or_default();
                let line = String::from_utf8_lossy(&self.line)
                    .trim_end_matches('\r')
                    .to_string();
                self.line.clear();
                Some(line)
            }
            None => {
                self.line.extend_from_slice(input);
                *input = &[];
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pieces: &[&[u8]]) -> Result<Answer> {
        let mut answer = Answer::default();
        for piece in pieces {
            answer.feed(piece)?;
        }
        Ok(answer)
    }

    /// A chunked answer cut anywhere, even inside the head or a size line,
    /// gives the same body length.
    #[test]
    fn reads_chunked_answers_cut_anywhere() -> Result<()> {
        let whole: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
            5\r\nhello\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\n";
        for cut in 1..whole.len() {
            let (a, b) = whole.split_at(cut);
            let answer = parse(&[a, b])?;
            assert!(answer.done(), "cut at {cut}");
            assert_eq!((answer.status, answer.body_bytes), (Some(200), 21));
            assert_eq!(answer.head_of_body, b"hello0123456789abcdef");
        }
        Ok(())
    }

    #[test]
    fn reads_answers_with_a_length() -> Result<()> {
        let answer = parse(&[
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nno",
            b"pe",
        ])?;
        assert!(answer.done());
        assert_eq!((answer.status, answer.body_bytes), (Some(403), 4));
        let empty = parse(&[b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"])?;
        assert!(empty.done());
        Ok(())
    }

    #[test]
    fn refuses_what_is_not_an_answer() {
        assert!(parse(&[b"HTTP/1.1 200 OK\r\n\r\n"]).is_err());
        assert!(parse(&[b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nab"]).is_err());
        assert!(parse(&[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"]).is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let times = (1..=10).map(Duration::from_micros);
        assert_eq!(percentile_us(times.clone(), 0.5), 5);
        assert_eq!(percentile_us(times.clone(), 0.9), 9);
        assert_eq!(percentile_us(times, 1.0), 10);
        assert_eq!(percentile_us(std::iter::empty(), 0.5), 0);
    }
}
