//! Sentinel Mesh proxy-wasm filter: runs the SENTINEL engines inline in Envoy.
//!
//! Module map
//! - `policy`   plugin configuration JSON -> validated [`policy::Policy`]
//! - `extract`  request body -> the texts to scan, by API format (OpenAI chat,
//!   completions and responses, Anthropic messages, Gemini, plain text) and
//!   the policy's `text_paths`; one module per format under `extract/`
//! - `decision` verdict + policy -> allow / block / monitor, `x-sentinel-*` tags
//! - `seen`     verdicts of texts already judged (a conversation's history),
//!   per VM and configuration
//! - `response` local replies (403 blocked or quarantined, 413 too large,
//!   429 rate limited, 503 unconfigured)
//! - `refusal`  every refusal's error body in the shape of the client's API
//!   (OpenAI, Anthropic, Gemini), whole or as a stream's last event
//! - `client`   client identity (hashed API key, header or source IP) and the
//!   hash of the scanned texts, for events
//! - `events`   decision events (`docs/events.md`) and their ids
//! - `outbox`   the bounded per-VM event queue: batches, retries, backoff
//! - `enforced` the quarantine list the sidecar publishes (`GET /v1/state`)
//! - `usage`    LLM token usage read from a response's end (rate limits)
//! - `metrics`  counter names; the host-side counters (wasm only)
//! - `root`     root context: policy + scanner built once per configuration,
//!   event delivery to the sidecar on a timer (wasm only)
//! - `pull`     the state pull: one worker per Envoy asks, all share the copy
//!   in proxy-wasm shared data (wasm only)
//! - `http`     request context: refuse quarantined clients, hold, buffer,
//!   judge, reply or tag, record the event (wasm only)
//!
//! Everything but the proxy-wasm glue is plain Rust, tested natively with
//! `cargo test`; the glue compiles only for wasm32, where the host imports
//! exist.

pub mod answer;
pub mod client;
pub mod decision;
pub mod enforced;
pub mod events;
pub mod extract;
pub mod metrics;
pub mod outbox;
pub mod policy;
pub mod refusal;
pub mod response;
pub mod seen;
pub mod usage;

#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod pull;
#[cfg(target_arch = "wasm32")]
mod root;

// Runs during module start, where the host refuses calls: only register
// callbacks here (the log level also installs a panic hook that logs).
#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::Root::default())
    });
}}
