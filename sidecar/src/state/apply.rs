//! What a batch of events tells the shared state: blocked requests count
//! toward a quarantine, judged requests toward their rate limit.

use super::{valid_client_id, valid_route_id, Observation, QuarantineRule, StateStore};
use crate::events::{Event, Verdict};

struct Block {
    client_id: String,
    event_id: String,
    time_ms: u64,
    risk: f64,
}

struct Request {
    client_id: String,
    route_id: String,
    time_ms: u64,
    per_minute: u32,
}

/// The updates of one batch, taken before the batch moves to the spool.
#[derive(Default)]
pub struct Updates {
    blocks: Vec<Block>,
    requests: Vec<Request>,
}

impl Updates {
    /// Blocked requests (monitor mode too: it shows who would be
    /// quarantined) and every judged request under a rate limit. 413s and
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
            if matches!(e.verdict, Verdict::Block | Verdict::Monitor) {
                updates.blocks.push(Block {
                    client_id: e.client_id.clone(),
                    event_id: e.id.clone(),
                    time_ms,
                    risk: f64::from(e.risk),
                });
            }
            if let Some(limit) = e
                .rate_limit
                .filter(|_| judged && valid_route_id(&e.route_id))
            {
                updates.requests.push(Request {
                    client_id: e.client_id.clone(),
                    route_id: e.route_id.clone(),
                    time_ms,
                    per_minute: limit.requests_per_minute,
                });
            }
        }
        updates
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.requests.is_empty()
    }

    /// Writes the updates; stops at the first failure. Redis is a cache of
    /// decisions: the events are in the spool and reach Postgres whatever
    /// happens here.
    pub async fn apply(self, shared: &impl StateStore, rule: &QuarantineRule) {
        if let Err(error) = self.write(shared, rule).await {
            tracing::warn!(error = format!("{error:#}"), "shared state not updated");
        }
    }

    async fn write(self, shared: &impl StateStore, rule: &QuarantineRule) -> anyhow::Result<()> {
        for b in &self.blocks {
            let observation = Observation {
                client_id: &b.client_id,
                event_id: &b.event_id,
                time_ms: b.time_ms,
                blocked: true,
                risk: b.risk,
            };
            if let Some(q) = shared.record(&observation, rule).await? {
                tracing::warn!(
                    client_id = q.client_id,
                    until_ms = q.until_ms,
                    "client quarantined"
                );
            }
        }
        for r in &self.requests {
            let limited = shared
                .count_request(&r.client_id, &r.route_id, r.time_ms, r.per_minute)
                .await?;
            if let Some(l) = limited {
                tracing::debug!(
                    client_id = l.client_id,
                    route_id = l.route_id,
                    until_ms = l.until_ms,
                    "client over its rate limit"
                );
            }
        }
        Ok(())
    }
}
