//! The per-request context: holds the headers, buffers the body (bounded),
//! judges it once complete, then refuses the request or tags and forwards it.
//!
//! Envoy runs with `allow_on_headers_stop_iteration: true`, so pausing in the
//! headers callback still delivers the body and no header reaches the upstream
//! before the verdict.

use std::rc::Rc;

use crate::decision::{decide, is_reserved_header, upstream_headers, verdict_of, Outcome};
use crate::extract::{Body, Format};
use crate::response::{self, request_id_from_header, LocalResponse};
use crate::root::Shared;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

pub struct Filter {
    shared: Rc<Shared>,
    /// Bytes buffered so far, as last reported by Envoy.
    body_size: usize,
    /// A local reply was sent: nothing more to do for this request.
    replied: bool,
    /// The API format the request path names, if any.
    format: Option<Format>,
}

impl Filter {
    pub fn new(shared: Rc<Shared>) -> Self {
        Filter {
            shared,
            body_size: 0,
            replied: false,
            format: None,
        }
    }

    /// Judges the complete body: scan every text, apply the allow-list,
    /// merge, decide.
    fn judge(&mut self) -> Action {
        let body = match self.body_size {
            0 => None,
            size => self.get_http_request_body(0, size),
        }
        .unwrap_or_default();
        let body = Body::parse(&body);
        let policy = &self.shared.policy;
        let texts = body.texts(self.format, &policy.text_paths);
        let verdict = verdict_of(&self.shared.scanner, policy, texts);
        let outcome = decide(&verdict, &self.shared.policy);
        self.shared.metrics.outcome(&outcome);
        self.shared.metrics.detections(&verdict);
        match &outcome {
            Outcome::Block { category } => {
                let reply = response::blocked(category, &self.request_id());
                self.reply(reply)
            }
            Outcome::Allow | Outcome::Monitor { .. } => self.forward(verdict.risk_score, &outcome),
        }
    }

    fn too_large(&mut self) -> Action {
        self.shared.metrics.body_too_large();
        let reply = response::too_large(self.shared.policy.max_body_bytes, &self.request_id());
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

    fn request_id(&self) -> String {
        header_request_id(self).unwrap_or_else(|| self.shared.fallback_request_id())
    }
}

impl Context for Filter {}

impl HttpContext for Filter {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.shared.metrics.request();
        let mut content_length = None;
        for (name, value) in self.get_http_request_headers_bytes() {
            if is_reserved_header(&name) {
                // Only the filter may tell the upstream what it concluded.
                self.remove_http_request_header(&name);
            } else if name == ":path" {
                self.format = std::str::from_utf8(&value).ok().and_then(Format::from_path);
            } else if name.eq_ignore_ascii_case("content-length") {
                content_length = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok());
            }
        }
        if end_of_stream {
            // No body, nothing to scan (a plain GET).
            self.shared.metrics.outcome(&Outcome::Allow);
            return self.forward(0.0, &Outcome::Allow);
        }
        // A declared length over the limit is refused before any buffering.
        if content_length.is_some_and(|n| n > self.shared.policy.max_body_bytes as u64) {
            return self.too_large();
        }
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
        send(self, response::unavailable(&id))
    }
}

fn send(context: &impl HttpContext, reply: LocalResponse) -> Action {
    context.send_http_response(reply.status, reply.headers.to_vec(), Some(&reply.body));
    Action::Pause
}

/// Envoy generates `x-request-id`; its value is echoed in error bodies.
fn header_request_id(context: &impl HttpContext) -> Option<String> {
    context
        .get_http_request_header_bytes("x-request-id")
        .map(|value| request_id_from_header(&value))
        .filter(|id| !id.is_empty())
}
