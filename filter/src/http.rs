//! The per-request context: holds the headers, buffers the body (bounded),
//! judges it once complete, then refuses the request or tags and forwards it.
//! Every decision becomes an event for the sidecar (when the policy has them).
//!
//! Envoy runs with `allow_on_headers_stop_iteration: true`, so pausing in the
//! headers callback still delivers the body and no header reaches the upstream
//! before the verdict.

use std::cell::OnceCell;
use std::rc::Rc;
use std::time::SystemTime;

use crate::answer::policy::{Mode as AnswerMode, Unscanned};
use crate::answer::stream::Stream;
use crate::answer::{errors, json, Delivery, Reading};
use crate::client::{client_id, text_sha256, Hints};
use crate::decision::{
    decide, is_reserved_header, upstream_headers, verdict_of, Outcome, QUARANTINED_HEADER,
};
use crate::events::{micros_between, unix_ms, Decision, Event, Request, Usage};
use crate::extract::{Body, Format};
use crate::policy::Mode;
use crate::response::{self, request_id_from_header, LocalResponse, To};
use crate::root::Shared;
use crate::usage::Tail;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};
use sentinel_engines::Verdict;

pub struct Filter {
    shared: Rc<Shared>,
    /// Bytes buffered so far, as last reported by Envoy.
    body_size: usize,
    /// A local reply was sent: nothing more to do for this request.
    replied: bool,
    /// The API format the request path names, if any.
    format: Option<Format>,
    /// What the headers said, for the event; `None` when events are off.
    request: Option<Request>,
    /// Made once: the error body and the event must name the same id.
    request_id: OnceCell<String>,
    /// The end of the response, kept while a tokens-per-minute limit
    /// needs the tokens it reports.
    usage: Option<Tail>,
    /// Time spent in the headers callback, for the filter-time histogram.
    headers_us: u64,
    /// How the answer is being judged, once its headers said what it is.
    answer: Option<Answer>,
}

/// An answer being judged.
enum Answer {
    /// JSON, buffered to its end (the headers held until then).
    Json,
    /// An event stream, judged as it flows.
    Stream(Box<Stream>),
}

impl Filter {
    pub fn new(shared: Rc<Shared>) -> Self {
        Filter {
            shared,
            body_size: 0,
            replied: false,
            format: None,
            request: None,
            request_id: OnceCell::new(),
            usage: None,
            headers_us: 0,
            answer: None,
        }
    }

    /// Judges the complete body: scan every text, apply the allow-list,
    /// merge, decide.
    fn judge(&mut self) -> Action {
        let started = self.get_current_time();
        let body = match self.body_size {
            0 => None,
            size => self.get_http_request_body(0, size),
        }
        .unwrap_or_default();
        let body = Body::parse(&body);
        let policy = &self.shared.policy;
        let texts = body.texts(self.format, &policy.text_paths);
        // Hashing costs a pass over the texts; skip it when nobody reads it.
        let texts_hash = match self.request {
            Some(_) => text_sha256(&texts),
            None => String::new(),
        };
        let verdict = verdict_of(
            &self.shared.scanner,
            policy,
            &texts,
            &mut self.shared.seen.borrow_mut(),
        );
        let outcome = decide(&verdict, &self.shared.policy);
        let now = self.get_current_time();
        self.shared
            .metrics
            .filter_time(self.headers_us + micros_between(started, now));
        self.shared.metrics.outcome(&outcome);
        self.shared.metrics.detections(&verdict);
        self.record_until(
            Decision::judged(&outcome, &verdict),
            &texts_hash,
            started,
            now,
        );
        match &outcome {
            Outcome::Block { category } => {
                // The body may name the API where the path did not.
                let format = body.format(self.format);
                let to = To {
                    format,
                    request_id: self.request_id(),
                };
                let reply = response::blocked(category, to);
                self.reply(reply)
            }
            Outcome::Allow | Outcome::Monitor { .. } => self.forward(verdict.risk_score, &outcome),
        }
    }

    fn too_large(&mut self) -> Action {
        let started = self.get_current_time();
        self.shared.metrics.body_too_large();
        self.record(Decision::too_large(), &nothing_scanned(), started);
        let reply = response::too_large(self.shared.policy.max_body_bytes, self.to());
        self.reply(reply)
    }

    fn forward(&self, risk: f32, outcome: &Outcome) -> Action {
        for (name, value) in upstream_headers(risk, outcome, self.shared.policy.mode) {
            self.set_http_request_header(name, Some(&value));
        }
        Action::Continue
    }

    /// Answers the client; the upstream never sees the request.
    fn reply(&mut self, reply: LocalResponse) -> Action {
        self.replied = true;
        send(self, reply)
    }

    /// Whom a refusal answers, in the API the request's path names.
    fn to(&self) -> To<'_> {
        To {
            format: self.format,
            request_id: self.request_id(),
        }
    }

    fn request_id(&self) -> &str {
        self.request_id.get_or_init(|| {
            header_request_id(self).unwrap_or_else(|| self.shared.fallback_request_id())
        })
    }

    /// What the headers tell about the request and its sender.
    fn describe(&self, headers: &[(String, Vec<u8>)]) -> Request {
        let find = |wanted: &str| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.as_slice())
        };
        let mut hints = Hints {
            authorization: find("authorization"),
            api_key: find("x-api-key"),
            named_header: self
                .shared
                .policy
                .client_id_header
                .as_deref()
                .and_then(find),
            source_address: None,
        };
        // The address only names a client without a key or named header:
        // the host call is spared on every request that has one. Not
        // panicking matters more than the address: `addr:` alone then.
        let source = if hints.identified() {
            None
        } else {
            hostcalls::get_property(vec!["source", "address"])
                .ok()
                .flatten()
        };
        hints.source_address = source.as_deref();
        Request::new(
            client_id(&hints),
            find(":method").unwrap_or_default(),
            find(":authority").unwrap_or_default(),
            find(":path").unwrap_or_default(),
        )
    }

    /// Until when the sender is quarantined, if it is now.
    fn quarantined_until(&self) -> Option<u64> {
        let request = self.request.as_ref()?;
        let now = unix_ms(self.get_current_time());
        self.shared.quarantined_until(&request.client_id, now)
    }

    /// Seconds until the sender may use this route again, if it is over
    /// its rate limit now (enforced in both modes: a limit is not a
    /// verdict on content).
    fn limited_for(&self) -> Option<u64> {
        let request = self.request.as_ref()?;
        let now = unix_ms(self.get_current_time());
        let until = self
            .shared
            .limited_until(&request.client_id, &request.route_id, now)?;
        Some((until - now).div_ceil(1000).max(1))
    }

    /// Queues the tokens the response reported, for the sidecars to count.
    fn report_usage(&self, tail: &Tail) {
        let (Some(request), Some(tokens), Some(per_minute)) = (
            &self.request,
            tail.tokens(),
            self.shared
                .policy
                .rate_limit
                .and_then(|r| r.tokens_per_minute),
        ) else {
            return;
        };
        let now = unix_ms(self.get_current_time());
        self.shared
            .record(&Usage::new(request, now, tokens, per_minute));
    }

    /// Queues the event of this request's decision, taken from `started`
    /// until now.
    fn record(&self, decision: Decision<'_>, texts_hash: &str, started: SystemTime) {
        if self.request.is_some() {
            self.record_until(decision, texts_hash, started, self.get_current_time());
        }
    }

    /// [`Filter::record`] with the time already read.
    fn record_until(
        &self,
        decision: Decision<'_>,
        texts_hash: &str,
        started: SystemTime,
        now: SystemTime,
    ) {
        let Some(request) = &self.request else {
            return;
        };
        let quarantine = self
            .shared
            .policy
            .quarantine
            .filter(|_| decision.counts_as_block());
        // An answer's event is not a request: it spends no request budget.
        let rate_limit = self
            .shared
            .policy
            .rate_limit
            .filter(|_| !decision.is_response());
        self.shared.record(&Event {
            id: self.shared.next_event_id(),
            request_id: self.request_id(),
            time_ms: unix_ms(now),
            request,
            decision,
            mode: self.shared.policy.mode.as_str(),
            text_sha256: texts_hash,
            latency_us: micros_between(started, now),
            rate_limit,
            quarantine,
        });
    }
}

/// The response side: the model's answer, judged on its way back.
impl Filter {
    /// Decides from the answer's headers how it is judged: JSON is
    /// buffered with its headers held (so a redaction can fix
    /// `content-length` and a block can still answer with an error); a
    /// stream (server-sent events, JSON lines) flows, its headers at once.
    fn start_answer(&mut self, reading: Reading) -> Action {
        if self.shared.answers.is_none() {
            return Action::Continue;
        }
        let encoded = self
            .get_http_response_header("content-encoding")
            .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
        if encoded {
            return self.unscanned("compressed");
        }
        if let Reading::Stream(framing) = reading {
            // Masks change the length; the stream is chunked anyway.
            self.set_http_response_header("content-length", None);
            let policy = &self.shared.policy.response;
            let stream = Stream::new(
                framing,
                self.format,
                self.request_id().to_string(),
                policy.window_bytes,
                policy.unscanned,
            );
            self.answer = Some(Answer::Stream(Box::new(stream)));
            Action::Continue
        } else {
            self.answer = Some(Answer::Json);
            Action::Pause
        }
    }

    /// An answer that cannot be judged: passed (counted) or refused with
    /// 502, as the policy says.
    fn unscanned(&mut self, reason: &str) -> Action {
        self.answer = None;
        self.shared.metrics.answer(Delivery::Unscanned);
        self.record_answer(Delivery::Unscanned, &Verdict::default(), Some(reason));
        match self.shared.policy.response.unscanned {
            Unscanned::Pass => Action::Continue,
            Unscanned::Block => {
                let reply = errors::unscanned(self.format, reason, self.request_id());
                self.reply(reply)
            }
        }
    }

    /// The whole JSON answer: delivered, masked in place, or replaced by
    /// an error in the API's shape.
    fn judge_json(&mut self, body: &[u8], size: usize) -> Action {
        self.answer = None;
        let shared = Rc::clone(&self.shared);
        let Some(judge) = shared.judge() else {
            return Action::Continue;
        };
        let mode = judge.mode();
        let judged = json::judge(body, &judge);
        let delivery = Delivery::of(!judged.detections.is_empty(), mode);
        shared.metrics.answer(delivery);
        let found = Verdict::from_detections(judged.detections);
        self.record_answer(delivery, &found, None);
        match (delivery, judged.redacted) {
            (Delivery::Blocked, _) => {
                // The most serious finding names the error, as in the event.
                let category = found.top_category().unwrap_or("unknown");
                let reply = errors::blocked(self.format, category, self.request_id());
                self.reply(reply)
            }
            (Delivery::Redacted, Some(redacted)) => {
                self.set_http_response_body(0, size, &redacted);
                let length = redacted.len().to_string();
                self.set_http_response_header("content-length", Some(&length));
                Action::Continue
            }
            _ => Action::Continue,
        }
    }

    /// One chunk of an event stream: what may leave now replaces it.
    fn judge_chunk(&mut self, chunk: &[u8], size: usize, end_of_stream: bool) -> Action {
        let Some(Answer::Stream(mut stream)) = self.answer.take() else {
            return Action::Continue;
        };
        let shared = Rc::clone(&self.shared);
        let Some(judge) = shared.judge() else {
            return Action::Continue;
        };
        let mode = judge.mode();
        let was_ended = stream.blocked.is_some();
        let mut out = stream.push(chunk, &judge);
        if end_of_stream {
            out.extend(stream.finish(&judge));
            if stream.truncated {
                // The upstream's fault, not the client's: worth a line.
                let _ = hostcalls::log(
                    LogLevel::Warn,
                    &format!(
                        "request {}: the upstream ended its event stream mid-event; \
                         the cut-off event was dropped",
                        self.request_id()
                    ),
                );
            }
        }
        // Told once: when the stream was ended early (the upstream may go
        // on sending for long), else when it ends.
        if !was_ended && (end_of_stream || stream.blocked.is_some()) {
            let delivery = stream_delivery(&stream, mode);
            shared.metrics.answer(delivery);
            let found = Verdict::from_detections(stream.found.clone());
            self.record_answer(delivery, &found, stream.blocked.as_deref());
        }
        if !end_of_stream {
            self.answer = Some(Answer::Stream(stream));
        }
        if out != chunk {
            self.set_http_response_body(0, size, &out);
        }
        Action::Continue
    }

    /// The event of an answer's judging, when there was something to tell:
    /// findings, or an answer that could not be judged (`reason`).
    fn record_answer(&self, delivery: Delivery, found: &Verdict, reason: Option<&str>) {
        if self.request.is_none() {
            return;
        }
        let refused = self.shared.policy.response.unscanned == Unscanned::Block;
        let verdict = match delivery {
            Delivery::Clean => return,
            Delivery::Redacted => "redact",
            Delivery::Blocked => "block",
            Delivery::Flagged => "monitor",
            Delivery::Unscanned if refused => "block",
            Delivery::Unscanned => "unscanned",
        };
        let category = reason.or_else(|| found.top_category());
        let decision = Decision::answered(verdict, category, found);
        let now = self.get_current_time();
        self.record_until(decision, &nothing_scanned(), now, now);
    }

    /// Feeds the usage reader (tokens-per-minute limits), when it reads.
    fn read_usage(&mut self, chunk: &[u8], end_of_stream: bool) {
        if let Some(mut tail) = self.usage.take() {
            tail.push(chunk);
            if end_of_stream {
                self.report_usage(&tail);
            } else {
                self.usage = Some(tail);
            }
        }
    }
}

/// What became of a finished stream.
fn stream_delivery(stream: &Stream, mode: AnswerMode) -> Delivery {
    if stream.found.is_empty() && stream.unscannable > 0 {
        Delivery::Unscanned
    } else {
        Delivery::of(!stream.found.is_empty(), mode)
    }
}

impl Context for Filter {}

impl HttpContext for Filter {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let started = self.get_current_time();
        self.shared.metrics.request();
        let mut content_length = None;
        let headers = self.get_http_request_headers_bytes();
        for (name, value) in &headers {
            if is_reserved_header(name) {
                // Only the filter may tell the upstream what it concluded.
                self.remove_http_request_header(name);
            } else if name.eq_ignore_ascii_case("accept-encoding") && self.shared.answers.is_some()
            {
                // Answers are judged as text: ask the upstream for them
                // uncompressed (one it compresses anyway is unscanned).
                self.remove_http_request_header(name);
            } else if name == ":path" {
                self.format = std::str::from_utf8(value).ok().and_then(Format::from_path);
            } else if name.eq_ignore_ascii_case("content-length") {
                content_length = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok());
            }
        }
        if self.shared.events_enabled() || self.shared.policy.state.is_some() {
            self.request = Some(self.describe(&headers));
        }
        if let Some(until_ms) = self.quarantined_until() {
            match self.shared.policy.mode {
                Mode::Enforce => {
                    self.shared.metrics.quarantined();
                    self.record(Decision::quarantined(), &nothing_scanned(), started);
                    let reply = response::quarantined(until_ms, self.to());
                    return self.reply(reply);
                }
                // Told to the upstream, judged as usual.
                Mode::Monitor => {
                    self.set_http_request_header(QUARANTINED_HEADER, Some("true"));
                }
            }
        }
        if let Some(retry_after_s) = self.limited_for() {
            self.shared.metrics.rate_limited();
            self.record(Decision::rate_limited(), &nothing_scanned(), started);
            let reply = response::rate_limited(retry_after_s, self.to());
            return self.reply(reply);
        }
        if end_of_stream {
            // No body, nothing to scan (a plain GET).
            self.shared.metrics.outcome(&Outcome::Allow);
            let verdict = Verdict::default();
            let decision = Decision::judged(&Outcome::Allow, &verdict);
            self.record(decision, &nothing_scanned(), started);
            return self.forward(0.0, &Outcome::Allow);
        }
        // A declared length over the limit is refused before any buffering.
        if content_length.is_some_and(|n| n > self.shared.policy.max_body_bytes as u64) {
            return self.too_large();
        }
        self.headers_us = micros_between(started, self.get_current_time());
        Action::Pause
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.replied {
            return Action::Pause;
        }
        self.body_size = body_size;
        if body_size > self.shared.policy.max_body_bytes {
            return self.too_large();
        }
        if !end_of_stream {
            // Buffer: Envoy keeps the chunks until the whole body is judged.
            return Action::Pause;
        }
        self.judge()
    }

    /// A forwarded request's answer: judged (JSON or an event stream) when
    /// the policy judges answers; under a tokens-per-minute limit, also
    /// read for the tokens it says it used.
    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        if self.replied || end_of_stream {
            return Action::Continue;
        }
        let limited = self.request.is_some()
            && self
                .shared
                .policy
                .rate_limit
                .is_some_and(|r| r.tokens_per_minute.is_some());
        if !limited && self.shared.answers.is_none() {
            return Action::Continue;
        }
        // Read once, for both readers.
        let kind = self
            .get_http_response_header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(reading) = Reading::of(&kind) else {
            return Action::Continue;
        };
        if limited {
            self.usage = Some(Tail::default());
        }
        self.start_answer(reading)
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if let Some(Answer::Json) = self.answer {
            if body_size > self.shared.policy.response.max_body_bytes {
                return self.unscanned("too_large");
            }
            if !end_of_stream {
                return Action::Pause;
            }
        }
        // One copy of the body (or of this chunk), for both readers.
        let wanted = self.answer.is_some() || self.usage.is_some();
        let body = match body_size {
            0 => Vec::new(),
            _ if !wanted => return Action::Continue,
            size => self.get_http_response_body(0, size).unwrap_or_default(),
        };
        self.read_usage(&body, end_of_stream);
        match self.answer {
            Some(Answer::Json) => self.judge_json(&body, body_size),
            Some(Answer::Stream(_)) => self.judge_chunk(&body, body_size, end_of_stream),
            None => Action::Continue,
        }
    }

    /// Trailers end a request whose last body chunk was not end of stream.
    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.replied {
            return Action::Pause;
        }
        self.judge()
    }
}

/// Request context of a root that has no valid policy (Envoy should not
/// create one): refuses every request instead of passing it unjudged.
pub struct Unconfigured;

impl Context for Unconfigured {}

impl HttpContext for Unconfigured {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let id = header_request_id(self).unwrap_or_default();
        let format = self
            .get_http_request_header(":path")
            .as_deref()
            .and_then(Format::from_path);
        let to = To {
            format,
            request_id: &id,
        };
        send(self, response::unavailable(to))
    }
}

/// The `text_sha256` of a request with no text scanned.
fn nothing_scanned() -> String {
    text_sha256::<&str>(&[])
}

fn send(context: &impl HttpContext, reply: LocalResponse) -> Action {
    let retry_after = reply.retry_after_s.map(|s| s.to_string());
    let mut headers = reply.headers.to_vec();
    if let Some(seconds) = &retry_after {
        headers.push(("retry-after", seconds));
    }
    context.send_http_response(reply.status, headers, Some(&reply.body));
    Action::Pause
}

/// Envoy generates `x-request-id`; its value is echoed in error bodies.
fn header_request_id(context: &impl HttpContext) -> Option<String> {
    context
        .get_http_request_header_bytes("x-request-id")
        .map(|value| request_id_from_header(&value))
        .filter(|id| !id.is_empty())
}
