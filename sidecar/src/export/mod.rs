//! SIEM export: incidents (see [`crate::incident`]) as ECS JSON lines, or
//! Splunk HEC events, to a file or an HTTP endpoint.
//!
//! Singleton, active-passive: only the sidecar holding the export lease
//! ([`lease`]) exports; the others try to take it every few seconds.
//! Progress is the `export_cursor` row, moved only after the sink accepted
//! a batch. Delivery is therefore at least once: a crash or a lost lease
//! between the sink's acceptance and the cursor update sends that batch
//! again, so the SIEM should deduplicate on `event.id`.
//!
//! - [`lease`]: the advisory lock, the cursor and the incident reads.
//! - [`ecs`]: the ECS document and the HEC envelope.
//! - [`owasp`]: categories to OWASP Top 10 for LLM Applications 2025 ids.
//! - [`sink`]: the file or HTTP destination.

pub mod ecs;
pub mod lease;
pub mod owasp;
pub mod sink;

use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use self::lease::{Lease, Position};
use self::sink::Sink;
use crate::config::ServeConfig;
use crate::incident::Incident;
use crate::store::postgres;

/// Incidents per batch (one sink write or POST each).
const BATCH: i64 = 500;
/// How often a passive sidecar tries to take the lease.
const LEASE_RETRY: Duration = Duration::from_secs(3);
const MAX_SINK_BACKOFF: Duration = Duration::from_secs(30);

/// The record format (`--export-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One ECS document per line.
    Ecs,
    /// Each ECS document in a Splunk HTTP Event Collector envelope.
    Hec,
}

impl Format {
    /// JSON lines, each ending in `\n`.
    fn encode(self, incidents: &[(Incident, Position)]) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        for (incident, _) in incidents {
            let record = match self {
                Format::Ecs => ecs::ecs(incident),
                Format::Hec => ecs::hec(incident),
            };
            serde_json::to_writer(&mut out, &record).context("cannot encode an incident")?;
            out.push(b'\n');
        }
        Ok(out)
    }
}

pub struct Exporter {
    database: tokio_postgres::Config,
    sink: Sink,
    format: Format,
    interval: Duration,
}

/// Why an active exporter stopped.
enum Stop {
    Asked,
    /// The lease connection failed: back to passive.
    Lost(anyhow::Error),
}

impl Exporter {
    /// None when no export is configured.
    pub fn from_config(config: &ServeConfig) -> anyhow::Result<Option<Exporter>> {
        let args = &config.export;
        let sink = match (&args.export_file, &args.export_url) {
            (Some(path), _) => Sink::File(path.clone()),
            (None, Some(url)) => Sink::http(url.clone(), args.export_hec_token.clone())?,
            (None, None) => return Ok(None),
        };
        Ok(Some(Exporter {
            database: postgres::config(&config.database_url)?,
            sink,
            format: args.export_format,
            interval: Duration::from_millis(args.export_interval_ms),
        }))
    }

    /// Takes the lease when it can and exports while holding it, until
    /// `stop` turns true (or its sender is gone).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        // Say once per change that this sidecar is standing by.
        let mut standing_by = false;
        loop {
            match Lease::try_take(&self.database).await {
                Ok(Some(lease)) => {
                    standing_by = false;
                    tracing::info!("export lease taken; exporting incidents");
                    match self.export(&lease, &mut stop).await {
                        Stop::Asked => return,
                        Stop::Lost(error) => tracing::warn!(
                            error = format!("{error:#}"),
                            "export lease given up; retrying"
                        ),
                    }
                }
                Ok(None) if !standing_by => {
                    standing_by = true;
                    tracing::info!("another sidecar holds the export lease; standing by");
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(error = format!("{error:#}"), "export lease not taken")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(LEASE_RETRY) => {}
                _ = stop.wait_for(|&stop| stop) => return,
            }
        }
    }

    /// Exports batch after batch while the lease holds.
    async fn export(&self, lease: &Lease, stop: &mut watch::Receiver<bool>) -> Stop {
        let mut at = match lease.position().await {
            Ok(position) => position,
            Err(error) => return Stop::Lost(error),
        };
        let mut backoff = self.interval;
        loop {
            let batch = match lease.next(&at, BATCH).await {
                Ok(batch) => batch,
                Err(error) => return Stop::Lost(error),
            };
            let wait = match batch.last() {
                None => self.interval,
                Some((_, last)) => match self.deliver(&batch).await {
                    Ok(()) => {
                        if let Err(error) = lease.advance(&at, last).await {
                            return Stop::Lost(error);
                        }
                        tracing::debug!(incidents = batch.len(), "incidents exported");
                        at = last.clone();
                        backoff = self.interval;
                        if batch.len() as i64 == BATCH {
                            Duration::ZERO
                        } else {
                            self.interval
                        }
                    }
                    // The lease stays: another sidecar would meet the same
                    // sink. The batch is read again and resent.
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            retry_in = ?backoff,
                            "the export sink refused a batch"
                        );
                        let wait = backoff;
                        backoff = (backoff * 2).min(MAX_SINK_BACKOFF);
                        wait
                    }
                },
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|&stop| stop) => return Stop::Asked,
            }
        }
    }

    async fn deliver(&self, batch: &[(Incident, Position)]) -> anyhow::Result<()> {
        self.sink.send(self.format.encode(batch)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::tests::incident;
    use serde_json::Value;

    fn lines(format: Format) -> Vec<Value> {
        let position = Position {
            tx: "7".into(),
            id: "e1".into(),
        };
        let batch = vec![(incident(), position.clone()), (incident(), position)];
        let out = format.encode(&batch).expect("encodes");
        assert!(out.ends_with(b"\n"));
        String::from_utf8(out)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON value a line"))
            .collect()
    }

    #[test]
    fn batches_are_json_lines() {
        let ecs = lines(Format::Ecs);
        assert_eq!(ecs.len(), 2);
        assert_eq!(ecs[0]["event"]["kind"], "alert");
        let hec = lines(Format::Hec);
        assert_eq!(hec[1]["sourcetype"], "sentinel:incident");
        assert_eq!(hec[1]["event"], ecs[1]);
    }
}
