//! The event writer: every flush interval it seals the active spool segment
//! and moves each sealed segment, oldest first, into Postgres, deleting a
//! segment only once all its events are committed. Inserts are idempotent
//! (`ON CONFLICT (id) DO NOTHING`), so a segment replayed after a crash or a
//! failed attempt stores each event once. While Postgres is down the
//! segments stay and the writer retries with backoff.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use deadpool_postgres::Object;
use prometheus_client::metrics::counter::Counter;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

use crate::events::Event;
use crate::migrate;
use crate::spool::{self, Line, Segment, Spool};
use crate::store::PostgresStore;

/// Events per insert (one transaction each).
const BATCH: usize = 500;
const INSERT_TIMEOUT: Duration = Duration::from_secs(30);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Bound on the last flush at shutdown; what it leaves is replayed at the
/// next start.
const FINAL_FLUSH: Duration = Duration::from_secs(10);

/// One statement, so one transaction: the JSON array becomes rows in
/// Postgres, and ids already stored are skipped. `quarantine` is the rule a
/// block carried (absent: NULL), kept for `rebuild-state`.
const INSERT: &str = "
INSERT INTO events (id, request_id, time, client_id, method, authority, path,
                    verdict, category, risk, mode, detections, text_sha256,
                    latency_us, pod, quarantine, stage)
SELECT id, request_id, timestamptz 'epoch' + time_ms * interval '1 millisecond',
       client_id, method, authority, path, verdict, category, risk, mode,
       detections, text_sha256, latency_us, pod, quarantine,
       coalesce(stage, 'request')
FROM jsonb_to_recordset($1::text::jsonb) AS e(
    id text, request_id text, time_ms bigint, client_id text, method text,
    authority text, path text, verdict text, category text, risk real,
    mode text, detections jsonb, text_sha256 text, latency_us bigint, pod text,
    quarantine jsonb, stage text)
ON CONFLICT (id) DO NOTHING";

pub struct Writer {
    spool: Arc<Spool>,
    postgres: PostgresStore,
    interval: Duration,
    migrated: bool,
    /// Counts the events inserted (`sentinel_sidecar_events_stored_total`).
    stored: Counter,
}

impl Writer {
    pub fn new(spool: Arc<Spool>, postgres: PostgresStore, interval: Duration) -> Self {
        Writer {
            spool,
            postgres,
            interval,
            migrated: false,
            stored: Counter::default(),
        }
    }

    /// Counts inserted events into `stored` (the sidecar's metrics).
    pub fn counting(mut self, stored: Counter) -> Self {
        self.stored = stored;
        self
    }

    /// Replays what an earlier run left at once, then flushes every interval
    /// until `stop` turns true (or its sender is gone), then makes one last
    /// bounded attempt.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut backoff = MIN_BACKOFF;
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|&stop| stop) => break,
            }
            match self.flush().await {
                Ok(()) => {
                    if backoff > MIN_BACKOFF {
                        tracing::info!("storing events again; the spool is drained");
                    }
                    backoff = MIN_BACKOFF;
                    wait = self.interval;
                }
                Err(error) => {
                    // One warning per outage; the retries are debug noise.
                    let error = format!("{error:#}");
                    let spool_bytes = self.spool.bytes();
                    if backoff == MIN_BACKOFF {
                        tracing::warn!(
                            %error,
                            spool_bytes,
                            "cannot store events; they stay in the spool, retrying with backoff"
                        );
                    } else {
                        tracing::debug!(%error, spool_bytes, "storing events failed again");
                    }
                    wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        match tokio::time::timeout(FINAL_FLUSH, self.flush()).await {
            Ok(Ok(())) => tracing::info!("event spool flushed"),
            Ok(Err(error)) => tracing::warn!(
                error = format!("{error:#}"),
                "events left in the spool for the next start"
            ),
            Err(_) => tracing::warn!("last flush timed out; events left in the spool"),
        }
    }

    /// Seals the active segment and stores every sealed one, oldest first.
    /// Stops at the first failure, leaving that segment and later ones.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        // The schema first, even with nothing to store: the admin API and
        // operators expect the tables as soon as Postgres answers.
        if !self.migrated {
            let mut client = self.postgres.client().await?;
            let applied = tokio::time::timeout(INSERT_TIMEOUT, migrate::apply(&mut client))
                .await
                .unwrap_or_else(|_| Err(anyhow!("no answer within {INSERT_TIMEOUT:?}")))
                .context("cannot migrate the schema")?;
            if !applied.is_empty() {
                tracing::info!(?applied, "schema migrations applied");
            }
            self.migrated = true;
        }
        let spool = Arc::clone(&self.spool);
        let sealed = tokio::task::spawn_blocking(move || {
            spool.seal()?;
            spool.sealed()
        })
        .await
        .context("spool task failed")?
        .context("cannot seal or list the spool segments")?;
        for segment in sealed {
            self.store(&segment).await?;
            let spool = Arc::clone(&self.spool);
            tokio::task::spawn_blocking(move || spool.remove(&segment))
                .await
                .context("spool task failed")?
                .context("cannot delete a stored segment")?;
        }
        Ok(())
    }

    /// Inserts every event of `segment`, in batches.
    async fn store(&mut self, segment: &Segment) -> anyhow::Result<()> {
        let file = tokio::fs::File::open(&segment.path)
            .await
            .with_context(|| format!("cannot open {}", segment.path.display()))?;
        let mut reader = BufReader::new(file);
        let (mut batch, mut bad, mut inserted) = (Vec::new(), 0u64, 0u64);
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .await
                .with_context(|| format!("cannot read {}", segment.path.display()))?;
            if read > 0 {
                match spool::parse_line(&line) {
                    Line::Event(event) => batch.push(*event),
                    Line::Bad => bad += 1,
                }
            }
            if batch.len() == BATCH || (read == 0 && !batch.is_empty()) {
                inserted += self.insert(&batch).await?;
                batch.clear();
            }
            if read == 0 {
                break;
            }
        }
        if bad > 0 {
            tracing::warn!(
                segment = %segment.path.display(),
                skipped_lines = bad,
                "skipped torn or corrupt spool lines (unacknowledged writes)"
            );
        }
        self.stored.inc_by(inserted);
        tracing::debug!(segment = segment.seq, inserted, "segment stored");
        Ok(())
    }

    /// Inserts one batch; returns how many events were new.
    async fn insert(&mut self, events: &[Event]) -> anyhow::Result<u64> {
        let json = serde_json::to_string(events).context("cannot encode events")?;
        let client = self.postgres.client().await?;
        let outcome = tokio::time::timeout(INSERT_TIMEOUT, async {
            client
                .execute(INSERT, &[&json])
                .await
                .context("insert failed")
        })
        .await
        .unwrap_or_else(|_| Err(anyhow!("insert got no answer within {INSERT_TIMEOUT:?}")));
        if outcome.is_err() {
            // Broken or busy in an unknown state: never reuse it.
            drop(Object::take(client));
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::tests::{event, TempDir};

    /// With Postgres out of reach a flush fails and keeps every segment.
    #[tokio::test]
    async fn a_failed_flush_keeps_the_segments() {
        let dir = TempDir::new("writer-down");
        let spool = Arc::new(Spool::open(&dir.0, 1 << 20).expect("open"));
        spool.append(&[event("a")]).expect("append");
        let postgres =
            PostgresStore::new("postgres://postgres@127.0.0.1:1/sentinel").expect("valid URL");
        let mut writer = Writer::new(Arc::clone(&spool), postgres, Duration::from_secs(60));
        assert!(writer.flush().await.is_err());
        spool.append(&[event("b")]).expect("append");
        assert!(writer.flush().await.is_err());
        spool.seal().expect("seal");
        let lines: usize = spool
            .sealed()
            .expect("list")
            .iter()
            .map(|s| {
                std::fs::read_to_string(&s.path)
                    .expect("read")
                    .lines()
                    .count()
            })
            .sum();
        assert_eq!(lines, 2, "both events are still spooled");
    }
}
