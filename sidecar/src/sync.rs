//! `GET /v1/state`: what the local filter must enforce beyond its own
//! verdicts (quarantined clients), as one compact document it pulls on a
//! timer. `?since=<version>` answers 304 when nothing changed, so most pulls
//! cost a few bytes.
//!
//! When Redis Cluster cannot be read, the last document is served again with
//! `"stale": true`: the data plane keeps working on its last known state.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::admin::now_ms;
use crate::error::ApiError;
use crate::ingest::loopback_only;
use crate::server::AppState;
use crate::state::{Quarantine, StateStore};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Changes whenever the content does; the same on every sidecar for the
    /// same state (a hash, not a counter).
    pub version: String,
    pub quarantined: Vec<Quarantine>,
    /// Served from memory because the cluster could not be read.
    pub stale: bool,
}

impl Snapshot {
    pub fn new(mut quarantined: Vec<Quarantine>) -> Snapshot {
        quarantined.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        let mut hash = Sha256::new();
        for q in &quarantined {
            hash.update(q.client_id.as_bytes());
            hash.update(q.until_ms.to_be_bytes());
        }
        let version = hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Snapshot {
            version,
            quarantined,
            stale: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    since: Option<String>,
}

pub async fn state(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(since): Query<Since>,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    let snapshot = match app.shared.quarantined(now_ms()).await {
        Ok(quarantined) => {
            let snapshot = Snapshot::new(quarantined);
            *app.last_state.lock().await = Some(snapshot.clone());
            snapshot
        }
        Err(error) => match app.last_state.lock().await.clone() {
            Some(last) => {
                tracing::debug!(error = format!("{error:#}"), "serving the last state");
                Snapshot {
                    stale: true,
                    ..last
                }
            }
            None => return Err(ApiError::StoreUnavailable(format!("{error:#}"))),
        },
    };
    if since.since.as_deref() == Some(snapshot.version.as_str()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(Json(snapshot).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, until_ms: u64) -> Quarantine {
        Quarantine {
            client_id: id.to_string(),
            until_ms,
        }
    }

    #[test]
    fn version_follows_content_not_order() {
        let a = Snapshot::new(vec![q("a", 1), q("b", 2)]);
        let b = Snapshot::new(vec![q("b", 2), q("a", 1)]);
        assert_eq!(a, b);
        assert_ne!(a.version, Snapshot::new(vec![q("a", 1), q("b", 3)]).version);
        assert_ne!(a.version, Snapshot::new(vec![]).version);
        assert_eq!(a.version.len(), 16);
    }
}
