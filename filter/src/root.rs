//! The root context: one per plugin and VM (i.e. per worker). It parses the
//! policy (compiling its thresholds and allow-list), builds the scanner once
//! and hands both to every request context. A policy that does not parse is
//! refused (`on_configure` returns false) and the previous one, if any, stays.
//!
//! It also delivers the decision events the request contexts queue: on each
//! tick (the policy's flush interval) one batch goes to the sidecar with
//! `dispatch_http_call`; the answer settles it and, on success, the next
//! batch goes at once.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel, MapType};
use sentinel_engines::{Leakage, Scanner};

use crate::answer::Judge;
use crate::events::{micros_between, unix_ms, EventIds};
use crate::http::{Filter, Unconfigured};
use crate::metrics::Metrics;
use crate::outbox::{Delivery, Outbox};
use crate::policy::{Events, Policy};
use crate::pull::{Answer, StateView};
use crate::seen::Seen;

/// What request contexts share; built once per configuration. Compiling the
/// engines per request would cost most of Envoy's throughput.
pub struct Shared {
    pub policy: Policy,
    pub scanner: Scanner,
    /// The response engines; `None` when answers are not judged.
    pub answers: Option<Scanner>,
    /// The policy's canaries and system-prompt fingerprints, compiled.
    pub leakage: Leakage,
    pub metrics: Metrics,
    /// Verdicts of texts this configuration judged already.
    pub seen: RefCell<Seen>,
    /// Makes fallback request ids of different VMs and restarts distinct.
    configured_at: u128,
    request_ids: Cell<u64>,
    sink: Rc<Sink>,
}

impl Shared {
    /// What judges this configuration's answers; `None` when they are not
    /// judged.
    pub fn judge(&self) -> Option<Judge<'_>> {
        let scanner = self.answers.as_ref()?;
        let mode = self.policy.response.mode;
        Some(Judge::new(
            scanner,
            &self.policy.allowlist,
            &self.leakage,
            mode,
        ))
    }

    /// An id for a request that came without `x-request-id`.
    pub fn fallback_request_id(&self) -> String {
        let n = self.request_ids.get().wrapping_add(1);
        self.request_ids.set(n);
        format!("sentinel-{:x}-{n}", self.configured_at)
    }

    pub fn events_enabled(&self) -> bool {
        self.policy.events.is_some()
    }

    pub fn next_event_id(&self) -> String {
        self.sink.ids.next()
    }

    /// Until when `client_id` is quarantined, if it is at `now_ms` (never,
    /// when the policy does not pull the shared state).
    pub fn quarantined_until(&self, client_id: &str, now_ms: u64) -> Option<u64> {
        self.policy.state.as_ref()?;
        self.sink.state.quarantined_until(client_id, now_ms)
    }

    /// Until when `client_id` is over its rate limit on `route_id`, if it
    /// is at `now_ms` (never, without a limit or without the state pull).
    pub fn limited_until(&self, client_id: &str, route_id: &str, now_ms: u64) -> Option<u64> {
        self.policy.rate_limit?;
        self.policy.state.as_ref()?;
        self.sink.state.limited_until(client_id, route_id, now_ms)
    }

    /// Queues an event (or a [`crate::events::Usage`] report) for the next
    /// batch.
    pub fn record(&self, event: &impl serde::Serialize) {
        if !self.events_enabled() {
            return;
        }
        let mut outbox = self.sink.outbox.borrow_mut();
        match serde_json::to_string(event) {
            Ok(json) => outbox.push(json),
            Err(e) => log(LogLevel::Warn, &format!("events: cannot serialize: {e}")),
        }
        self.metrics.events(outbox.take_stats());
    }
}

/// Event delivery of one VM, shared by all its root contexts: a new
/// configuration gets a new root context in the same VM, and neither the
/// queue nor a batch in flight may be lost on the way.
pub struct Sink {
    outbox: RefCell<Outbox>,
    ids: EventIds,
    /// The quarantine list pulled from the sidecar, kept across
    /// configurations like the queue.
    state: StateView,
    /// The newest accepted configuration's number. Only its root context
    /// sends: an older one may still tick, with an outdated destination.
    generation: Cell<u64>,
}

thread_local! {
    static SINK: OnceCell<Rc<Sink>> = const { OnceCell::new() };
}

/// The VM's sink, made on first use (after module start: it needs the host).
fn sink(root: &Root) -> Rc<Sink> {
    SINK.with(|cell| {
        Rc::clone(cell.get_or_init(|| {
            let now = root
                .get_current_time()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let mut entropy = now.to_le_bytes().to_vec();
            match random_bytes() {
                Some(random) => entropy.extend_from_slice(&random),
                None => log(
                    LogLevel::Warn,
                    "events: no randomness from the host; event ids are seeded from the clock",
                ),
            }
            Rc::new(Sink {
                outbox: RefCell::new(Outbox::new(&Events::default())),
                ids: EventIds::new(&entropy),
                state: StateView::default(),
                generation: Cell::new(0),
            })
        }))
    })
}

/// 16 bytes from WASI `random_get` (Envoy fills them from its CSPRNG), or
/// `None` if the host refuses: std's own use of it would panic instead.
fn random_bytes() -> Option<[u8; 16]> {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        fn random_get(buf: *mut u8, buf_len: usize) -> i32;
    }
    let mut buf = [0u8; 16];
    // SAFETY: the host writes at most `buf_len` bytes to `buf`, which is
    // that long and lives across the call.
    let errno = unsafe { random_get(buf.as_mut_ptr(), buf.len()) };
    (errno == 0).then_some(buf)
}

#[derive(Default)]
pub struct Root {
    shared: Option<Rc<Shared>>,
    /// This root's configuration number (see [`Sink::generation`]).
    generation: u64,
    /// The sidecar's policy version running here, and the last one refused.
    applied: Option<i64>,
    refused: Option<i64>,
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        let Some(shared) = &self.shared else {
            return;
        };
        if shared.sink.state.owns(token_id) {
            self.on_state(num_headers, body_size);
            return;
        }
        // Without headers (a failed call) the host has no response map and
        // the SDK would panic on reading it.
        let status = (num_headers > 0)
            .then(|| hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status"))
            .and_then(|value| value.ok().flatten())
            .and_then(|value| std::str::from_utf8(&value).ok()?.parse::<u32>().ok());
        let delivery = Delivery::from_status(status);
        let now = unix_ms(self.get_current_time());
        {
            let mut outbox = shared.sink.outbox.borrow_mut();
            outbox.on_result(Some(token_id), delivery, now);
            shared.metrics.events(outbox.take_stats());
            let status = status.map_or("no response".to_string(), |s| format!("status {s}"));
            match delivery {
                Delivery::Delivered => {}
                Delivery::Retry => log(
                    LogLevel::Warn,
                    &format!(
                        "events: batch failed ({status}); retrying in {} ms",
                        outbox.backoff_ms()
                    ),
                ),
                Delivery::Refused => log(
                    LogLevel::Warn,
                    &format!("events: the sidecar refused a batch ({status}); it is dropped"),
                ),
            }
        }
        self.flush();
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let config = self.get_plugin_configuration().unwrap_or_default();
        let started = self.get_current_time();
        match self.build(Policy::parse(&config)) {
            Ok(shared) => {
                let built = self.get_current_time();
                shared.metrics.build_time(micros_between(started, built));
                let generation = shared.sink.generation.get().wrapping_add(1);
                shared.sink.generation.set(generation);
                self.generation = generation;
                self.install(shared, "configured");
                true
            }
            Err(e) => {
                log(LogLevel::Error, &format!("refusing configuration: {e}"));
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        // Returning None would panic in the SDK; without a policy, refuse.
        Some(match &self.shared {
            Some(shared) => Box::new(Filter::new(Rc::clone(shared))),
            None => Box::new(Unconfigured),
        })
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn on_tick(&mut self) {
        self.flush();
        self.sync_state();
        self.follow_policy();
    }
}

impl Root {
    /// Everything a configuration needs, built before anything changes: a
    /// policy that fails here (a bad custom rule, named) leaves the running
    /// one in place.
    fn build(&self, policy: Result<Policy, String>) -> Result<Shared, String> {
        let policy = policy?;
        let scanner = policy.scanner()?;
        let answers = match policy.response.mode {
            crate::answer::policy::Mode::Off => None,
            _ => Some(policy.response.scanner(&policy.custom_rules)?),
        };
        let leakage = policy.response.leakage()?;
        let metrics = Metrics::define()?;
        let configured_at = self
            .get_current_time()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let sink = sink(self);
        if let Some(events) = &policy.events {
            sink.outbox.borrow_mut().configure(events);
        }
        Ok(Shared {
            policy,
            scanner,
            answers,
            leakage,
            metrics,
            seen: RefCell::new(Seen::default()),
            configured_at,
            request_ids: Cell::new(0),
            sink,
        })
    }

    /// Makes `shared` what new requests get; requests in flight keep theirs.
    fn install(&mut self, shared: Shared, what: &str) {
        log(
            LogLevel::Info,
            &format!(
                "{what}: mode={} block_threshold={} engine_thresholds={:?} \
                 allowlist_entries={} max_body_bytes={} engines={:?} text_paths={:?} \
                 custom_rules={:?} events={:?} state={:?} client_id_header={:?} \
                 response_mode={} response_engines={:?} canaries={} system_prompts={}",
                shared.policy.mode.as_str(),
                shared.policy.block_threshold(),
                shared
                    .policy
                    .thresholds
                    .engines()
                    .map(|(e, t)| (e.name(), t))
                    .collect::<Vec<_>>(),
                shared.policy.allowlist.len(),
                shared.policy.max_body_bytes,
                shared.scanner.engines(),
                shared
                    .policy
                    .text_paths
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>(),
                shared
                    .policy
                    .custom_rules
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>(),
                shared.policy.events,
                shared.policy.state,
                shared.policy.client_id_header,
                shared.policy.response.mode.as_str(),
                shared.policy.response.engines,
                shared.policy.response.canaries.len(),
                shared.policy.response.system_prompts.len(),
            ),
        );
        // One timer for both jobs: the shorter interval.
        let period = [
            shared.policy.events.as_ref().map(|e| e.flush_interval_ms),
            shared.policy.state.as_ref().map(|s| s.pull_interval_ms),
        ]
        .into_iter()
        .flatten()
        .min()
        .map_or(Duration::ZERO, Duration::from_millis);
        // Zero stops the timer; a refused period only delays events.
        let _ = hostcalls::set_tick_period(period);
        self.shared = Some(Rc::new(shared));
    }

    /// Runs the policy version the sidecar publishes, once per version: a
    /// version that does not build is logged and skipped, and the running
    /// policy stays.
    fn follow_policy(&mut self) {
        let Some(shared) = self.shared.clone() else {
            return;
        };
        let Some((version, body)) = shared.sink.state.policy() else {
            return;
        };
        if self.applied == Some(version) || self.refused == Some(version) {
            return;
        }
        match self.build(Policy::parse_pulled(body.as_bytes(), &shared.policy)) {
            Ok(next) => {
                self.applied = Some(version);
                self.install(next, &format!("policy version {version} applied"));
            }
            Err(e) => {
                self.refused = Some(version);
                log(
                    LogLevel::Error,
                    &format!("refusing policy version {version}: {e}; the running policy stays"),
                );
            }
        }
    }

    /// Takes up the state another worker pulled, and pulls when it is this
    /// worker's turn (newest configuration only, like event batches).
    fn sync_state(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        shared.sink.state.refresh();
        let Some(config) = &shared.policy.state else {
            return;
        };
        if shared.sink.generation.get() != self.generation {
            return;
        }
        if let Err(status) = shared.sink.state.pull(config, self.get_current_time()) {
            shared.metrics.state_pull_failed();
            log(
                LogLevel::Warn,
                &format!(
                    "state: cannot call cluster {:?} ({status:?})",
                    config.cluster
                ),
            );
        }
    }

    /// The sidecar's answer to a state pull.
    fn on_state(&self, num_headers: usize, body_size: usize) {
        let Some(shared) = &self.shared else {
            return;
        };
        match shared.sink.state.answer(num_headers, body_size) {
            Answer::Updated(count) => log(
                LogLevel::Debug,
                &format!("state: {count} quarantined clients"),
            ),
            Answer::Unchanged => {}
            Answer::Failed(reason) => {
                shared.metrics.state_pull_failed();
                if shared.sink.state.first_failure() {
                    log(
                        LogLevel::Warn,
                        &format!("state: pull failed ({reason}); enforcing the last known state"),
                    );
                }
            }
        }
    }

    /// Sends the next batch if one may go now (see [`Outbox::next_batch`]).
    fn flush(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        let Some(config) = &shared.policy.events else {
            return;
        };
        if shared.sink.generation.get() != self.generation {
            return;
        }
        let now = unix_ms(self.get_current_time());
        let mut outbox = shared.sink.outbox.borrow_mut();
        if let Some(body) = outbox.next_batch(now) {
            let headers = vec![
                (":method", "POST"),
                (":path", config.path.as_str()),
                (":authority", config.authority.as_str()),
                ("content-type", "application/json"),
            ];
            let timeout = Duration::from_millis(config.timeout_ms);
            match self.dispatch_http_call(
                &config.cluster,
                headers,
                Some(body.as_bytes()),
                vec![],
                timeout,
            ) {
                Ok(token) => outbox.dispatched(token),
                // E.g. no such cluster: retried like a sidecar that is down.
                Err(status) => {
                    outbox.on_result(None, Delivery::Retry, now);
                    log(
                        LogLevel::Warn,
                        &format!(
                            "events: cannot call cluster {:?} ({status:?}); retrying in {} ms",
                            config.cluster,
                            outbox.backoff_ms()
                        ),
                    );
                }
            }
        }
        shared.metrics.events(outbox.take_stats());
    }
}

fn log(level: LogLevel, message: &str) {
    // Nothing sensible to do if the host refuses a log line.
    let _ = hostcalls::log(level, message);
}
