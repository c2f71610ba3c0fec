//! `sentinel-sidecar rebuild-state`: the quarantines in Redis, rebuilt from
//! Postgres after Redis lost its data.
//!
//! Quarantines are decided by block events alone, and recording one is
//! idempotent by event id and uses the event's own time. So replaying, in
//! time order, each block event that could still matter through the same
//! [`StateStore::record`] the sidecars use reproduces every quarantine
//! still in force, with its end time. Blocks a release forgave are left
//! out, as the release forgot them in Redis.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures_util::{pin_mut, TryStreamExt};

use crate::config::RebuildStateArgs;
use crate::state::{valid_client_id, Observation, QuarantineRule, RedisState, StateStore};

/// Blocks (and monitor-mode would-be blocks) under a quarantine rule,
/// recent enough to count (within the rule's window plus its quarantine
/// of now) and after the client's latest release, oldest first. The fixed
/// bound (the longest window plus the longest quarantine events carry)
/// lets the partial index on `time` narrow the scan.
const REPLAY: &str = "
SELECT e.id, e.client_id, (extract(epoch FROM e.time) * 1000)::bigint, e.risk,
       e.quarantine::text
FROM events e
WHERE e.verdict IN ('block', 'monitor')
  AND e.quarantine IS NOT NULL
  AND e.time > now() - interval '31 days'
  AND e.time > now() - ((e.quarantine->>'window_ms')::bigint
                        + (e.quarantine->>'duration_ms')::bigint) * interval '1 millisecond'
  AND NOT EXISTS (SELECT 1 FROM quarantine_releases r
                  WHERE r.client_id = e.client_id AND r.released_at >= e.time)
ORDER BY e.time, e.id";

pub fn run(args: &RebuildStateArgs) -> anyhow::Result<()> {
    super::runtime()?.block_on(rebuild(args))
}

async fn rebuild(args: &RebuildStateArgs) -> anyhow::Result<()> {
    let shared = RedisState::new(&args.redis_urls)?;
    let client = super::connect(&args.database_url).await?;
    let rows = client
        .query_raw(REPLAY, std::iter::empty::<&str>())
        .await
        .context("cannot read the block events")?;
    pin_mut!(rows);
    let (mut replayed, mut skipped) = (0u64, 0u64);
    let mut clients = HashSet::new();
    while let Some(row) = rows
        .try_next()
        .await
        .context("cannot read the block events")?
    {
        let (id, client_id): (String, String) = (row.get(0), row.get(1));
        let time_ms: i64 = row.get(2);
        let risk: f32 = row.get(3);
        let rule: Option<QuarantineRule> = serde_json::from_str(row.get(4)).ok();
        // Stored events were validated on ingest; anything else is not
        // worth stopping a recovery for.
        let Some(rule) = rule.filter(|_| valid_client_id(&client_id)) else {
            skipped += 1;
            continue;
        };
        let observation = Observation {
            client_id: &client_id,
            event_id: &id,
            time_ms: u64::try_from(time_ms).unwrap_or(0),
            blocked: true,
            risk: f64::from(risk),
        };
        shared
            .record(&observation, &rule)
            .await
            .with_context(|| format!("cannot replay event {id}"))?;
        replayed += 1;
        clients.insert(client_id);
    }
    let quarantined = shared.quarantined(now_ms()).await?;
    println!(
        "replayed {replayed} block events of {} clients; {} clients quarantined now",
        clients.len(),
        quarantined.len()
    );
    if skipped > 0 {
        println!("skipped {skipped} events with an unreadable rule or client id");
    }
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
