//! The per-VM queue of serialized events waiting for the sidecar: bounded
//! (the newest events are kept), one batch in flight at a time, exponential
//! backoff while the sidecar fails. Time comes in as a parameter, so all of
//! it is tested natively.

use std::collections::VecDeque;

use crate::policy::Events;

/// Longest event accepted; events are a few hundred bytes, this only stops
/// an outlier from taking a batch alone.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Largest batch body (the sidecar takes up to 4 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Bytes of queued events a VM keeps, whatever `max_queue` says.
pub const MAX_QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Longest wait between retries (unless the flush interval is longer): a
/// retry is one loopback call, and a sidecar back from a restart should
/// get the events it missed within seconds.
pub const MAX_BACKOFF_MS: u64 = 5_000;
/// A batch whose response never came (its root context went away) counts
/// as failed this long after its timeout.
const LEASE_SLACK_MS: u64 = 5_000;

const BODY_HEAD: &str = r#"{"events":["#;
const BODY_TAIL: &str = "]}";

/// How the sidecar answered a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// Try again later: 5xx, a timeout, no answer, or a route that is wrong
    /// for now (a reconfiguration can fix it; the batch itself is fine).
    Retry,
    /// The sidecar refused the batch itself (400, 413): retrying cannot help.
    Refused,
}

impl Delivery {
    /// From the response's `:status`; `None` when no response came.
    pub fn from_status(status: Option<u32>) -> Delivery {
        match status {
            Some(200..=299) => Delivery::Delivered,
            Some(400 | 413) => Delivery::Refused,
            _ => Delivery::Retry,
        }
    }
}

/// Counts since they were last taken, for the host's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub sent: u64,
    pub dropped: u64,
    pub failed_batches: u64,
}

#[derive(Debug)]
struct InFlight {
    events: Vec<String>,
    /// The call's token; `None` until the host accepted the call.
    token: Option<u32>,
    expires_at_ms: u64,
}

#[derive(Debug)]
pub struct Outbox {
    max_batch: usize,
    max_queue: usize,
    flush_interval_ms: u64,
    lease_ms: u64,
    queue: VecDeque<String>,
    queued_bytes: usize,
    in_flight: Option<InFlight>,
    /// 0 while the sidecar answers.
    backoff_ms: u64,
    retry_at_ms: u64,
    stats: Stats,
}

impl Outbox {
    pub fn new(config: &Events) -> Outbox {
        let mut outbox = Outbox {
            max_batch: 1,
            max_queue: 1,
            flush_interval_ms: 0,
            lease_ms: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            in_flight: None,
            backoff_ms: 0,
            retry_at_ms: 0,
            stats: Stats::default(),
        };
        outbox.configure(config);
        outbox
    }

    /// Applies a new configuration; queued and in-flight events stay (a
    /// smaller `max_queue` drops the oldest).
    pub fn configure(&mut self, config: &Events) {
        self.max_batch = config.max_batch.max(1);
        self.max_queue = config.max_queue.max(1);
        self.flush_interval_ms = config.flush_interval_ms;
        self.lease_ms = config.timeout_ms.saturating_add(LEASE_SLACK_MS);
        self.trim();
    }

    /// Queues one serialized event, dropping the oldest if full.
    pub fn push(&mut self, event: String) {
        if event.len() > MAX_EVENT_BYTES {
            self.stats.dropped += 1;
            return;
        }
        self.queued_bytes += event.len();
        self.queue.push_back(event);
        self.trim();
    }

    /// The next batch body, `{"events":[...]}`, if one may go now: nothing
    /// in flight, backoff over, something queued. Its events stay in flight
    /// until [`Outbox::on_result`].
    pub fn next_batch(&mut self, now_ms: u64) -> Option<String> {
        if let Some(in_flight) = &self.in_flight {
            if now_ms < in_flight.expires_at_ms {
                return None;
            }
            let token = in_flight.token;
            self.on_result(token, Delivery::Retry, now_ms);
        }
        if self.queue.is_empty() || now_ms < self.retry_at_ms {
            return None;
        }
        let mut body = String::from(BODY_HEAD);
        let mut events = Vec::new();
        while events.len() < self.max_batch {
            let Some(event) = self.queue.front() else {
                break;
            };
            // The first event always fits: MAX_EVENT_BYTES < MAX_BODY_BYTES.
            let len = body.len() + 1 + event.len() + BODY_TAIL.len();
            if !events.is_empty() && len > MAX_BODY_BYTES {
                break;
            }
            let Some(event) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes = self.queued_bytes.saturating_sub(event.len());
            if !events.is_empty() {
                body.push(',');
            }
            body.push_str(&event);
            events.push(event);
        }
        body.push_str(BODY_TAIL);
        self.in_flight = Some(InFlight {
            events,
            token: None,
            expires_at_ms: now_ms.saturating_add(self.lease_ms),
        });
        Some(body)
    }

    /// The host accepted the call for the batch in flight.
    pub fn dispatched(&mut self, token: u32) {
        if let Some(in_flight) = &mut self.in_flight {
            in_flight.token = Some(token);
        }
    }

    /// Settles the batch in flight. `token` is the call's (`None` if the
    /// host refused the call); an answer to an older, expired call is
    /// ignored.
    pub fn on_result(&mut self, token: Option<u32>, delivery: Delivery, now_ms: u64) {
        if self.in_flight.as_ref().is_none_or(|f| f.token != token) {
            return;
        }
        let Some(in_flight) = self.in_flight.take() else {
            return;
        };
        let count = in_flight.events.len() as u64;
        match delivery {
            Delivery::Delivered => {
                self.stats.sent += count;
                self.backoff_ms = 0;
            }
            Delivery::Refused => {
                self.stats.failed_batches += 1;
                self.stats.dropped += count;
                self.backoff_ms = 0;
            }
            Delivery::Retry => {
                self.stats.failed_batches += 1;
                // Back at the front, oldest first; past the bound, they are
                // the oldest and go first.
                for event in in_flight.events.into_iter().rev() {
                    self.queued_bytes += event.len();
                    self.queue.push_front(event);
                }
                self.trim();
                let cap = MAX_BACKOFF_MS.max(self.flush_interval_ms);
                self.backoff_ms = match self.backoff_ms {
                    0 => self.flush_interval_ms,
                    ms => ms.saturating_mul(2),
                }
                .min(cap);
            }
        }
        self.retry_at_ms = match self.backoff_ms {
            0 => 0,
            ms => now_ms.saturating_add(ms),
        };
    }

    /// The wait before the next try, 0 when healthy.
    pub fn backoff_ms(&self) -> u64 {
        self.backoff_ms
    }

    /// The counts since the last call.
    pub fn take_stats(&mut self) -> Stats {
        std::mem::take(&mut self.stats)
    }

    fn trim(&mut self) {
        while self.queue.len() > self.max_queue || self.queued_bytes > MAX_QUEUE_BYTES {
            let Some(oldest) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes = self.queued_bytes.saturating_sub(oldest.len());
            self.stats.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn config(max_batch: usize, max_queue: usize) -> Events {
        Events {
            max_batch,
            max_queue,
            flush_interval_ms: 1000,
            timeout_ms: 2000,
            ..Events::default()
        }
    }

    fn event(n: usize) -> String {
        format!(r#"{{"id":"{n}"}}"#)
    }

    fn ids(body: &str) -> Vec<String> {
        let body: Value = serde_json::from_str(body).expect("valid JSON");
        body["events"]
            .as_array()
            .expect("events array")
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn outbox_with(max_batch: usize, max_queue: usize, events: usize) -> Outbox {
        let mut outbox = Outbox::new(&config(max_batch, max_queue));
        for n in 0..events {
            outbox.push(event(n));
        }
        outbox
    }

    #[test]
    fn batches_in_order_one_at_a_time() {
        let mut o = outbox_with(2, 10, 5);
        assert_eq!(
            o.next_batch(0).as_deref(),
            Some(r#"{"events":[{"id":"0"},{"id":"1"}]}"#)
        );
        assert_eq!(o.next_batch(0), None, "one batch in flight");
        o.dispatched(7);
        o.on_result(Some(7), Delivery::Delivered, 10);
        assert_eq!(ids(&o.next_batch(10).unwrap()), ["2", "3"]);
        o.dispatched(8);
        o.on_result(Some(8), Delivery::Delivered, 20);
        assert_eq!(ids(&o.next_batch(20).unwrap()), ["4"]);
        o.dispatched(9);
        o.on_result(Some(9), Delivery::Delivered, 30);
        assert_eq!(o.next_batch(30), None, "empty");
        assert_eq!(
            o.take_stats(),
            Stats {
                sent: 5,
                dropped: 0,
                failed_batches: 0
            }
        );
        assert_eq!(o.take_stats(), Stats::default(), "taken");
    }

    #[test]
    fn full_queue_drops_the_oldest() {
        let mut o = outbox_with(10, 3, 5);
        assert_eq!(o.take_stats().dropped, 2);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["2", "3", "4"]);
        // In-flight events do not count against the queue.
        for n in 5..8 {
            o.push(event(n));
        }
        assert_eq!(o.take_stats().dropped, 0);
    }

    #[test]
    fn retry_keeps_events_first_and_backs_off() {
        let mut o = outbox_with(2, 10, 3);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["0", "1"]);
        o.dispatched(1);
        o.push(event(3));
        o.on_result(Some(1), Delivery::Retry, 100);
        assert_eq!(o.backoff_ms(), 1000);
        assert_eq!(o.next_batch(1099), None, "backing off");
        assert_eq!(ids(&o.next_batch(1100).unwrap()), ["0", "1"]);
        // Doubles up to 5 s.
        let mut now = 1100;
        for want in [2000, 4000, 5000, 5000] {
            o.on_result(None, Delivery::Retry, now);
            assert_eq!(o.backoff_ms(), want);
            now += want;
            assert_eq!(ids(&o.next_batch(now).unwrap()), ["0", "1"]);
        }
        o.dispatched(2);
        o.on_result(Some(2), Delivery::Delivered, now);
        assert_eq!(o.backoff_ms(), 0, "reset on success");
        assert_eq!(ids(&o.next_batch(now).unwrap()), ["2", "3"]);
        assert_eq!(
            o.take_stats(),
            Stats {
                sent: 2,
                dropped: 0,
                failed_batches: 5
            }
        );
    }

    #[test]
    fn retried_events_past_the_bound_are_dropped_oldest_first() {
        let mut o = outbox_with(2, 3, 3);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["0", "1"]);
        o.push(event(3));
        o.push(event(4));
        o.on_result(None, Delivery::Retry, 0);
        assert_eq!(o.take_stats().dropped, 2);
        assert_eq!(ids(&o.next_batch(1000).unwrap()), ["2", "3"]);
    }

    #[test]
    fn refused_batches_are_dropped_and_counted() {
        let mut o = outbox_with(2, 10, 3);
        o.next_batch(0).unwrap();
        o.dispatched(4);
        o.on_result(Some(4), Delivery::Refused, 0);
        assert_eq!(o.backoff_ms(), 0);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["2"]);
        assert_eq!(
            o.take_stats(),
            Stats {
                sent: 0,
                dropped: 2,
                failed_batches: 1
            }
        );
    }

    #[test]
    fn statuses() {
        for (status, want) in [
            (Some(200), Delivery::Delivered),
            (Some(204), Delivery::Delivered),
            (Some(400), Delivery::Refused),
            (Some(413), Delivery::Refused),
            (Some(503), Delivery::Retry),
            (Some(500), Delivery::Retry),
            (Some(404), Delivery::Retry),
            (Some(429), Delivery::Retry),
            (None, Delivery::Retry),
        ] {
            assert_eq!(Delivery::from_status(status), want, "{status:?}");
        }
    }

    #[test]
    fn stale_answers_are_ignored_and_lost_calls_expire() {
        let mut o = outbox_with(1, 10, 2);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["0"]);
        o.dispatched(1);
        o.on_result(Some(99), Delivery::Delivered, 5);
        assert_eq!(o.next_batch(5), None, "still in flight");
        // No answer within timeout + slack: failed, retried after backoff.
        assert_eq!(o.next_batch(6999), None);
        assert_eq!(o.next_batch(7000), None, "expired, now backing off");
        assert_eq!(o.take_stats().failed_batches, 1);
        assert_eq!(ids(&o.next_batch(8000).unwrap()), ["0"]);
        o.dispatched(2);
        // The expired call's late answer settles nothing.
        o.on_result(Some(1), Delivery::Delivered, 8001);
        o.on_result(Some(2), Delivery::Delivered, 8002);
        assert_eq!(o.take_stats().sent, 1);
        assert_eq!(ids(&o.next_batch(8002).unwrap()), ["1"]);
    }

    #[test]
    fn bodies_are_bounded() {
        let big = |n: usize| format!(r#"{{"id":"{n}","pad":"{}"}}"#, "x".repeat(60_000));
        let mut o = Outbox::new(&config(1000, 1000));
        for n in 0..40 {
            o.push(big(n));
        }
        let body = o.next_batch(0).unwrap();
        assert!(body.len() <= MAX_BODY_BYTES, "{}", body.len());
        let sent = ids(&body);
        assert_eq!(sent.len(), MAX_BODY_BYTES / 60_020);
        assert_eq!(sent[0], "0");
        // An event too large for any batch is refused up front.
        o.push("x".repeat(MAX_EVENT_BYTES + 1));
        assert_eq!(o.take_stats().dropped, 1);
    }

    #[test]
    fn queue_bytes_are_bounded() {
        let mut o = Outbox::new(&config(1000, 100_000));
        let event = "x".repeat(MAX_EVENT_BYTES);
        let fit = MAX_QUEUE_BYTES / MAX_EVENT_BYTES;
        for _ in 0..fit + 3 {
            o.push(event.clone());
        }
        assert_eq!(o.take_stats().dropped, 3);
        assert_eq!(o.queue.len(), fit);
    }

    #[test]
    fn reconfigure_keeps_events() {
        let mut o = outbox_with(2, 10, 5);
        assert_eq!(ids(&o.next_batch(0).unwrap()), ["0", "1"]);
        o.dispatched(3);
        o.configure(&config(5, 2));
        assert_eq!(o.take_stats().dropped, 1, "smaller queue drops the oldest");
        o.on_result(Some(3), Delivery::Delivered, 1);
        assert_eq!(ids(&o.next_batch(1).unwrap()), ["3", "4"]);
    }
}
