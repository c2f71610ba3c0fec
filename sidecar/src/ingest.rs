//! `POST /v1/events`: the local Envoy's decision events into the spool. The
//! answer is 200 only once the batch is fsynced, so an acknowledged event
//! survives a crash of the sidecar.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::events;
use crate::server::AppState;
use crate::spool::AppendError;
use crate::state::apply::Updates;

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub accepted: usize,
}

pub async fn ingest(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted>, ApiError> {
    loopback_only(peer)?;
    let posted = events::parse_batch(&body?, &state.pod).map_err(ApiError::InvalidRequest)?;
    let accepted = posted.len();
    if posted.is_empty() {
        return Ok(Json(Accepted { accepted }));
    }
    let updates = Updates::of(&posted.events).with_usage(posted.usage);
    let events = posted.events;
    // Usage reports only count; events are kept.
    if !events.is_empty() {
        let spool = Arc::clone(&state.spool);
        tokio::task::spawn_blocking(move || spool.append(&events))
            .await
            .map_err(|e| ApiError::Internal(format!("spool append did not complete: {e}")))?
            .map_err(|e| match e {
                AppendError::Full => ApiError::SpoolFull,
                AppendError::Io(e) => ApiError::Internal(format!("cannot spool events: {e}")),
            })?;
    }
    state.metrics.events_ingested.inc_by(accepted as u64);
    // Shared state after the ack is certain; never holds the ack up.
    if !updates.is_empty() {
        let shared = Arc::clone(&state.shared);
        tokio::spawn(async move { updates.apply(&*shared).await });
    }
    Ok(Json(Accepted { accepted }))
}

/// Events come from the Envoy in the same pod, never from the network.
pub fn loopback_only(peer: SocketAddr) -> Result<(), ApiError> {
    if peer.ip().to_canonical().is_loopback() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "events are accepted from loopback only, not from {}",
            peer.ip()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_pass() {
        for peer in [
            "127.0.0.1:5000",
            "127.9.9.9:1",
            "[::1]:5000",
            "[::ffff:127.0.0.1]:80",
        ] {
            let peer: SocketAddr = peer.parse().expect("address");
            assert!(loopback_only(peer).is_ok(), "{peer}");
        }
        for peer in [
            "10.0.0.7:5000",
            "0.0.0.0:1",
            "[fe80::1]:80",
            "[::ffff:10.0.0.7]:80",
        ] {
            let peer: SocketAddr = peer.parse().expect("address");
            assert!(
                matches!(loopback_only(peer), Err(ApiError::Forbidden(_))),
                "{peer}"
            );
        }
    }
}
