//! What a batch tells the shared state: blocked requests count toward a
//! quarantine, judged requests and reported tokens toward their rate
//! limits.

use super::{valid_client_id, valid_route_id, Budget, Observation, QuarantineRule, StateStore};
use crate::events::{Event, Usage, Verdict};

struct Block {
    client_id: String,
    event_id: String,
    time_ms: u64,
    risk: f64,
    rule: QuarantineRule,
}

/// Something spent from a per-minute budget: one request, or the tokens a
/// response reported.
struct Spend {
    client_id: String,
    route_id: String,
    time_ms: u64,
    /// Requests: 1; tokens: how many.
    amount: u64,
    per_minute: u32,
}

/// The updates of one batch, taken before the batch moves to the spool.
#[derive(Default)]
pub struct Updates {
    blocks: Vec<Block>,
    requests: Vec<Spend>,
    tokens: Vec<Spend>,
}

impl Updates {
    /// Blocked requests under a quarantine rule (monitor mode too: it shows
    /// who would be quarantined) and every judged request under a rate
    /// limit. 413s and
    /// refusals of quarantined or limited clients count for neither: they
    /// are not new attacks, and a refused request uses no budget.
    pub fn of(events: &[Event]) -> Updates {
        let mut updates = Updates::default();
        for e in events.iter().filter(|e| valid_client_id(&e.client_id)) {
            let time_ms = u64::try_from(e.time_ms).unwrap_or(0);
            let judged = matches!(
                e.verdict,
                Verdict::Allow | Verdict::Block | Verdict::Monitor
            );
            let blocked = matches!(e.verdict, Verdict::Block | Verdict::Monitor);
            if let Some(rule) = e.quarantine.filter(|_| blocked) {
                updates.blocks.push(Block {
                    client_id: e.client_id.clone(),
                    event_id: e.id.clone(),
                    time_ms,
                    risk: f64::from(e.risk),
                    rule,
                });
            }
            let limit = e
                .rate_limit
                .filter(|_| judged && valid_route_id(&e.route_id));
            if let Some(per_minute) = limit.and_then(|l| l.requests_per_minute) {
                updates.requests.push(Spend {
                    client_id: e.client_id.clone(),
                    route_id: e.route_id.clone(),
                    time_ms,
                    amount: 1,
                    per_minute,
                });
            }
        }
        updates
    }

    /// Adds the tokens responses reported (from the same batch).
    pub fn with_usage(mut self, usage: Vec<Usage>) -> Updates {
        let valid = |u: &Usage| valid_client_id(&u.client_id) && valid_route_id(&u.route_id);
        self.tokens
            .extend(usage.into_iter().filter(valid).map(|u| Spend {
                time_ms: u64::try_from(u.time_ms).unwrap_or(0),
                amount: u.tokens,
                per_minute: u.tokens_per_minute,
                client_id: u.client_id,
                route_id: u.route_id,
            }));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.requests.is_empty() && self.tokens.is_empty()
    }

    /// Writes the updates; stops at the first failure. Redis is a cache of
    /// decisions: the events are in the spool and reach Postgres whatever
    /// happens here.
    pub async fn apply(self, shared: &impl StateStore) {
        if let Err(error) = self.write(shared).await {
            tracing::warn!(error = format!("{error:#}"), "shared state not updated");
        }
    }

    async fn write(self, shared: &impl StateStore) -> anyhow::Result<()> {
        for b in &self.blocks {
            let observation = Observation {
                client_id: &b.client_id,
                event_id: &b.event_id,
                time_ms: b.time_ms,
                blocked: true,
                risk: b.risk,
            };
            if let Some(q) = shared.record(&observation, &b.rule).await? {
                tracing::warn!(
                    client_id = q.client_id,
                    until_ms = q.until_ms,
                    "client quarantined"
                );
            }
        }
        for (spend, budget) in self
            .requests
            .iter()
            .map(|s| (s, Budget::Requests))
            .chain(self.tokens.iter().map(|s| (s, Budget::Tokens)))
        {
            let limited = shared
                .spend(
                    &spend.client_id,
                    &spend.route_id,
                    budget,
                    spend.time_ms,
                    spend.amount,
                    spend.per_minute,
                )
                .await?;
            if let Some(l) = limited {
                tracing::debug!(
                    client_id = l.client_id,
                    route_id = l.route_id,
                    until_ms = l.until_ms,
                    ?budget,
                    "client over its rate limit"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::events::tests::event_json;

    fn event(verdict: &str, extra: Value) -> Event {
        let mut e = event_json("e1");
        e["verdict"] = json!(verdict);
        e["route_id"] = json!("0123456789abcdef");
        if let (Some(e), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
            e.extend(extra.clone());
        }
        serde_json::from_value(e).expect("an event")
    }

    #[test]
    fn what_counts_toward_quarantines_and_limits() {
        let rule =
            json!({"quarantine": {"blocks": 3, "window_ms": 60_000, "duration_ms": 120_000}});
        let limit = json!({"rate_limit": {"requests_per_minute": 10}});
        let both = json!({
            "quarantine": {"blocks": 3, "window_ms": 60_000, "duration_ms": 120_000},
            "rate_limit": {"requests_per_minute": 10}
        });
        let updates = Updates::of(&[
            event("block", both.clone()),
            event("monitor", rule.clone()),
            // A block under a policy without quarantines: no block counted.
            event("block", json!({})),
            event("allow", limit.clone()),
            // Refusals use no budget and are no new attacks.
            event("rate_limited", both.clone()),
            event("quarantined", both.clone()),
            event("too_large", both),
        ]);
        assert_eq!(updates.blocks.len(), 2);
        assert_eq!(updates.blocks[0].rule.blocks, 3);
        assert_eq!(updates.requests.len(), 2);
        assert!(Updates::of(&[event("allow", json!({}))]).is_empty());
        let tokens_only = json!({"rate_limit": {"tokens_per_minute": 100}});
        assert!(Updates::of(&[event("allow", tokens_only)]).is_empty());
    }
}
