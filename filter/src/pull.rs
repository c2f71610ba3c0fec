//! Pulling the shared state (quarantined clients) from the sidecar, once per
//! Envoy rather than once per worker: the workers share one copy in
//! proxy-wasm shared data, and a timestamp there, claimed with
//! compare-and-swap, elects the worker that asks next. Every worker parses
//! the shared copy when it changes.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use proxy_wasm::hostcalls;
use proxy_wasm::types::{MapType, Status};

use crate::enforced::{Enforced, MAX_STATE_BYTES};
use crate::events::unix_ms;
use crate::policy::StateSync;

/// The last state document, as the sidecar sent it.
const STATE_KEY: &str = "sentinel.state.v1";
/// When a worker last asked (Unix ms, decimal).
const PULLED_KEY: &str = "sentinel.state.pulled_at";
/// A pull whose answer never came is forgotten after its timeout plus this.
const GRACE_MS: u64 = 5_000;

/// One VM's view of the shared state.
#[derive(Default)]
pub struct StateView {
    enforced: RefCell<Enforced>,
    /// The shared data version last parsed.
    cas: Cell<Option<u32>>,
    /// The pull this VM has in flight: its token and when it left.
    in_flight: Cell<Option<(u32, u64)>>,
    /// Failed pulls in a row (one warning per streak).
    failures: Cell<u32>,
}

/// What became of an answer.
pub enum Answer {
    Updated(usize),
    Unchanged,
    Failed(String),
}

impl StateView {
    /// Until when `client_id` is quarantined, if it is now.
    pub fn quarantined_until(&self, client_id: &str, now_ms: u64) -> Option<u64> {
        self.enforced.borrow().quarantined_until(client_id, now_ms)
    }

    /// Until when `client_id` is over its rate limit on `route_id`.
    pub fn limited_until(&self, client_id: &str, route_id: &str, now_ms: u64) -> Option<u64> {
        self.enforced
            .borrow()
            .limited_until(client_id, route_id, now_ms)
    }

    /// The policy version the sidecar says to run, and its JSON.
    pub fn policy(&self) -> Option<(i64, String)> {
        let enforced = self.enforced.borrow();
        enforced.policy().map(|(v, body)| (v, body.to_string()))
    }

    /// Takes up the shared copy if another worker stored a newer one.
    pub fn refresh(&self) {
        let Ok((Some(bytes), cas)) = hostcalls::get_shared_data(STATE_KEY) else {
            return;
        };
        if cas.is_some() && cas == self.cas.get() {
            return;
        }
        // Stored only after it parsed, so this fails only on a bug.
        if let Ok(enforced) = Enforced::parse(&bytes) {
            *self.enforced.borrow_mut() = enforced;
            self.cas.set(cas);
        }
    }

    /// Asks the sidecar, if it is this VM's turn; `Err` only if the call
    /// could not be made.
    pub fn pull(&self, config: &StateSync, now: std::time::SystemTime) -> Result<(), Status> {
        let now_ms = unix_ms(now);
        if let Some((_, sent)) = self.in_flight.get() {
            if now_ms < sent + config.timeout_ms + GRACE_MS {
                return Ok(());
            }
            self.in_flight.set(None);
        }
        if !claim(now_ms, config.pull_interval_ms) {
            return Ok(());
        }
        let version = self.enforced.borrow().version().to_string();
        let path = if version.is_empty() {
            config.path.clone()
        } else {
            format!("{}?since={version}", config.path)
        };
        let token = hostcalls::dispatch_http_call(
            &config.cluster,
            vec![
                (":method", "GET"),
                (":path", &path),
                (":authority", &config.authority),
            ],
            None,
            vec![],
            Duration::from_millis(config.timeout_ms),
        )?;
        self.in_flight.set(Some((token, now_ms)));
        Ok(())
    }

    /// Whether `token` is this VM's pull (then it is settled by `answer`).
    pub fn owns(&self, token: u32) -> bool {
        self.in_flight.get().is_some_and(|(t, _)| t == token)
    }

    /// Settles the pull with the sidecar's answer.
    pub fn answer(&self, num_headers: usize, body_size: usize) -> Answer {
        self.in_flight.set(None);
        let status = (num_headers > 0)
            .then(|| hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status"))
            .and_then(|value| value.ok().flatten())
            .and_then(|value| std::str::from_utf8(&value).ok()?.parse::<u32>().ok());
        let outcome = match status {
            Some(304) => Answer::Unchanged,
            Some(200) if body_size > MAX_STATE_BYTES => {
                Answer::Failed(format!("a state document of {body_size} bytes"))
            }
            Some(200) => self.take(body_size),
            Some(status) => Answer::Failed(format!("status {status}")),
            None => Answer::Failed("no response".to_string()),
        };
        match outcome {
            Answer::Failed(_) => self.failures.set(self.failures.get().saturating_add(1)),
            _ => self.failures.set(0),
        }
        outcome
    }

    /// Whether the last answer started a streak of failures.
    pub fn first_failure(&self) -> bool {
        self.failures.get() == 1
    }

    fn take(&self, body_size: usize) -> Answer {
        let body = hostcalls::get_buffer(
            proxy_wasm::types::BufferType::HttpCallResponseBody,
            0,
            body_size,
        )
        .ok()
        .flatten()
        .unwrap_or_default();
        match Enforced::parse(&body) {
            Ok(enforced) => {
                let count = enforced.len();
                // Shared for the other workers; this one takes up the shared
                // copy like them (or keeps its own if sharing failed).
                if hostcalls::set_shared_data(STATE_KEY, Some(&body), None).is_ok() {
                    self.refresh();
                } else {
                    *self.enforced.borrow_mut() = enforced;
                }
                Answer::Updated(count)
            }
            Err(e) => Answer::Failed(e),
        }
    }
}

/// Claims the next pull for this worker if the last one is older than the
/// interval: a compare-and-swap on the shared timestamp, so of several
/// workers ticking at once only one asks.
fn claim(now_ms: u64, interval_ms: u64) -> bool {
    let (last, cas) = match hostcalls::get_shared_data(PULLED_KEY) {
        Ok((bytes, cas)) => {
            let last = bytes
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            (last, cas)
        }
        Err(_) => return false,
    };
    if now_ms < last.saturating_add(interval_ms) {
        return false;
    }
    hostcalls::set_shared_data(PULLED_KEY, Some(now_ms.to_string().as_bytes()), cas).is_ok()
}
