//! Envoy stats kept by the filter: proxy-wasm counters, a histogram and a
//! gauge, which Envoy's `/stats/prometheus` shows under these names.

pub const REQUESTS: &str = "sentinel_requests_total";
pub const VERDICT_ALLOW: &str = "sentinel_verdict_allow_total";
pub const VERDICT_BLOCK: &str = "sentinel_verdict_block_total";
/// Would-block requests that monitor mode let through.
pub const VERDICT_MONITOR: &str = "sentinel_verdict_monitor_total";
pub const BODY_TOO_LARGE: &str = "sentinel_body_too_large_total";
/// Requests refused because their client is quarantined.
pub const QUARANTINED: &str = "sentinel_quarantined_total";
/// Requests refused because their client is over its rate limit.
pub const RATE_LIMITED: &str = "sentinel_rate_limited_total";
/// Pulls of the shared state that failed (the last known state stays).
pub const STATE_PULL_FAILURES: &str = "sentinel_state_pull_failures_total";
/// Decision events the sidecar acknowledged.
pub const EVENTS_SENT: &str = "sentinel_events_sent_total";
/// Events lost: queue full, or a batch the sidecar refused.
pub const EVENTS_DROPPED: &str = "sentinel_events_dropped_total";
/// Event batches that failed (retried or refused).
pub const EVENTS_FAILED_BATCHES: &str = "sentinel_events_failed_batches_total";
/// Answers judged (JSON bodies and event streams).
pub const RESPONSES_SCANNED: &str = "sentinel_response_scanned_total";
/// Answers delivered with what was found masked.
pub const RESPONSES_REDACTED: &str = "sentinel_response_redacted_total";
/// Answers replaced by an error, or streams ended with one.
pub const RESPONSES_BLOCKED: &str = "sentinel_response_blocked_total";
/// Answers with findings delivered unchanged (response mode `monitor`).
pub const RESPONSES_FLAGGED: &str = "sentinel_response_flagged_total";
/// Answers that could not be scanned (compressed, too large, an oversize
/// stream event), passed or refused as the policy says.
pub const RESPONSES_UNSCANNED: &str = "sentinel_response_unscanned_total";
/// Histogram: microseconds the filter spent on a judged request (its
/// header callback, then parsing, scanning and deciding on the body), time
/// waiting for the body's bytes excepted.
pub const FILTER_TIME_US: &str = "sentinel_filter_time_us";
/// Gauge: microseconds the last configuration took to build (policy parse
/// and engine compile), once per worker VM and on every policy change.
pub const BUILD_TIME_US: &str = "sentinel_policy_build_us";

/// `sentinel_category_<category>_total`: requests with at least one
/// detection of that category. Anything outside `[a-z0-9_]` becomes `_`, so
/// a category name cannot produce an odd stat name.
pub fn category_metric(category: &str) -> String {
    let category: String = category
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect();
    format!("sentinel_category_{category}_total")
}

#[cfg(target_arch = "wasm32")]
pub use host::Metrics;

#[cfg(target_arch = "wasm32")]
mod host {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use proxy_wasm::hostcalls;
    use proxy_wasm::types::MetricType;
    use sentinel_engines::Verdict;

    use crate::answer::Delivery;
    use crate::decision::Outcome;
    use crate::outbox::Stats;

    /// Counter ids of one VM. Defined in `on_configure`: the host refuses
    /// calls during module start.
    pub struct Metrics {
        requests: u32,
        allow: u32,
        block: u32,
        monitor: u32,
        body_too_large: u32,
        quarantined: u32,
        rate_limited: u32,
        state_pull_failures: u32,
        events_sent: u32,
        events_dropped: u32,
        events_failed_batches: u32,
        filter_time: u32,
        build_time: u32,
        responses: [u32; 5],
        /// Category counters, defined on first use: the engines do not list
        /// their categories up front.
        /// Keyed by category name; a custom rule's category is owned.
        categories: RefCell<HashMap<String, u32>>,
    }

    impl Metrics {
        pub fn define() -> Result<Metrics, String> {
            Ok(Metrics {
                requests: counter(super::REQUESTS)?,
                allow: counter(super::VERDICT_ALLOW)?,
                block: counter(super::VERDICT_BLOCK)?,
                monitor: counter(super::VERDICT_MONITOR)?,
                body_too_large: counter(super::BODY_TOO_LARGE)?,
                quarantined: counter(super::QUARANTINED)?,
                rate_limited: counter(super::RATE_LIMITED)?,
                state_pull_failures: counter(super::STATE_PULL_FAILURES)?,
                events_sent: counter(super::EVENTS_SENT)?,
                events_dropped: counter(super::EVENTS_DROPPED)?,
                events_failed_batches: counter(super::EVENTS_FAILED_BATCHES)?,
                filter_time: define(MetricType::Histogram, super::FILTER_TIME_US)?,
                build_time: define(MetricType::Gauge, super::BUILD_TIME_US)?,
                responses: [
                    counter(super::RESPONSES_SCANNED)?,
                    counter(super::RESPONSES_REDACTED)?,
                    counter(super::RESPONSES_BLOCKED)?,
                    counter(super::RESPONSES_FLAGGED)?,
                    counter(super::RESPONSES_UNSCANNED)?,
                ],
                categories: RefCell::new(HashMap::new()),
            })
        }

        pub fn request(&self) {
            increment(self.requests);
        }

        pub fn body_too_large(&self) {
            increment(self.body_too_large);
        }

        pub fn quarantined(&self) {
            increment(self.quarantined);
        }

        pub fn rate_limited(&self) {
            increment(self.rate_limited);
        }

        pub fn state_pull_failed(&self) {
            increment(self.state_pull_failures);
        }

        pub fn filter_time(&self, micros: u64) {
            record(self.filter_time, micros);
        }

        pub fn build_time(&self, micros: u64) {
            record(self.build_time, micros);
        }

        pub fn events(&self, stats: Stats) {
            add(self.events_sent, stats.sent);
            add(self.events_dropped, stats.dropped);
            add(self.events_failed_batches, stats.failed_batches);
        }

        /// One answer's outcome; every judged answer also counts as scanned.
        pub fn answer(&self, outcome: Delivery) {
            let [scanned, redacted, blocked, flagged, unscanned] = self.responses;
            match outcome {
                Delivery::Unscanned => increment(unscanned),
                judged => {
                    increment(scanned);
                    match judged {
                        Delivery::Redacted => increment(redacted),
                        Delivery::Blocked => increment(blocked),
                        Delivery::Flagged => increment(flagged),
                        Delivery::Clean | Delivery::Unscanned => {}
                    }
                }
            }
        }

        pub fn outcome(&self, outcome: &Outcome) {
            increment(match outcome {
                Outcome::Allow => self.allow,
                Outcome::Block { .. } => self.block,
                Outcome::Monitor { .. } => self.monitor,
            });
        }

        /// Counts each category of the verdict once.
        pub fn detections(&self, verdict: &Verdict) {
            let mut seen: Vec<&str> = Vec::new();
            for detection in &verdict.detections {
                let category = detection.category.as_ref();
                if !seen.contains(&category) {
                    seen.push(category);
                    self.category(category);
                }
            }
        }

        fn category(&self, category: &str) {
            let mut ids = self.categories.borrow_mut();
            let id = match ids.get(category) {
                Some(&id) => id,
                None => match counter(&super::category_metric(category)) {
                    Ok(id) => {
                        ids.insert(category.to_string(), id);
                        id
                    }
                    // Uncounted is better than failing the request.
                    Err(_) => return,
                },
            };
            increment(id);
        }
    }

    fn counter(name: &str) -> Result<u32, String> {
        define(MetricType::Counter, name)
    }

    fn define(kind: MetricType, name: &str) -> Result<u32, String> {
        hostcalls::define_metric(kind, name)
            .map_err(|status| format!("cannot define {kind:?} {name}: {status:?}"))
    }

    /// Sets a gauge or adds a histogram sample; never fails the request.
    fn record(id: u32, value: u64) {
        let _ = hostcalls::record_metric(id, value);
    }

    fn increment(id: u32) {
        add(id, 1);
    }

    fn add(id: u32, n: u64) {
        if n > 0 {
            // A stat that cannot be bumped must not fail the request.
            let _ = hostcalls::increment_metric(id, i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_metric_names() {
        assert_eq!(
            category_metric("prompt_injection"),
            "sentinel_category_prompt_injection_total"
        );
        assert_eq!(
            category_metric("PII.email-address"),
            "sentinel_category_pii_email_address_total"
        );
    }
}
