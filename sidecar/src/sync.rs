//! `GET /v1/state`: what the local filter must enforce beyond its own
//! verdicts (quarantined clients) and the policy version it must run, as
//! one compact document it pulls on a timer. `?since=<version>` answers 304 when nothing changed, so most pulls
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
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::admin::now_ms;
use crate::error::ApiError;
use crate::ingest::loopback_only;
use crate::policy::CurrentPolicy;
use crate::server::AppState;
use crate::state::{Limited, Quarantine, StateStore};

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Changes whenever the content does; the same on every sidecar for the
    /// same state (a hash, not a counter).
    pub version: String,
    pub quarantined: Vec<Quarantine>,
    /// Clients over their rate limit on a route.
    pub limited: Vec<Limited>,
    /// The newest policy version from the admin API, if there is one.
    pub policy: Option<PolicyDocument>,
    /// Served from memory because the cluster could not be read.
    pub stale: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyDocument {
    pub version: i64,
    /// As stored (validated when it was created).
    pub policy: Box<RawValue>,
}

impl Snapshot {
    pub fn new(
        (mut quarantined, mut limited): (Vec<Quarantine>, Vec<Limited>),
        policy: Option<&CurrentPolicy>,
    ) -> Snapshot {
        quarantined.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        limited.sort_by(|a, b| (&a.client_id, &a.route_id).cmp(&(&b.client_id, &b.route_id)));
        let mut hash = Sha256::new();
        for q in &quarantined {
            hash.update(q.client_id.as_bytes());
            hash.update(q.until_ms.to_be_bytes());
        }
        hash.update(b"limited");
        for l in &limited {
            hash.update(l.client_id.as_bytes());
            hash.update(l.route_id.as_bytes());
            hash.update(l.until_ms.to_be_bytes());
        }
        let policy = policy.and_then(|p| {
            let raw = RawValue::from_string(p.body.clone()).ok()?;
            hash.update(b"policy");
            hash.update(p.version.to_be_bytes());
            Some(PolicyDocument {
                version: p.version,
                policy: raw,
            })
        });
        let version = hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Snapshot {
            version,
            quarantined,
            limited,
            policy,
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
    let policy = app.policy.current();
    let now = now_ms();
    let read = async {
        let quarantined = app.shared.quarantined(now).await?;
        let limited = app.shared.limited(now).await?;
        anyhow::Ok((quarantined, limited))
    };
    let snapshot = match read.await {
        Ok(lists) => {
            let snapshot = Snapshot::new(lists, policy.as_deref());
            *app.last_state.lock().await = Some(snapshot.clone());
            snapshot
        }
        // The last known quarantines, with the current policy.
        Err(error) => match app.last_state.lock().await.clone() {
            Some(last) => {
                tracing::debug!(error = format!("{error:#}"), "serving the last state");
                Snapshot {
                    stale: true,
                    ..Snapshot::new((last.quarantined, last.limited), policy.as_deref())
                }
            }
            None => return Err(ApiError::store(error)),
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
        let a = Snapshot::new((vec![q("a", 1), q("b", 2)], vec![]), None);
        let b = Snapshot::new((vec![q("b", 2), q("a", 1)], vec![]), None);
        assert_eq!(a.version, b.version);
        assert_eq!(a.quarantined, b.quarantined);
        let other = |list, policy| Snapshot::new((list, vec![]), policy).version;
        assert_ne!(a.version, other(vec![q("a", 1), q("b", 3)], None));
        assert_ne!(a.version, other(vec![], None));
        assert_eq!(a.version.len(), 16);
        let v1 = CurrentPolicy {
            version: 1,
            body: r#"{"mode":"monitor"}"#.to_string(),
        };
        let v2 = CurrentPolicy {
            version: 2,
            ..v1.clone()
        };
        let with_v1 = Snapshot::new((vec![q("a", 1), q("b", 2)], vec![]), Some(&v1));
        assert_ne!(a.version, with_v1.version);
        assert_ne!(
            with_v1.version,
            other(vec![q("a", 1), q("b", 2)], Some(&v2))
        );
        let limited = Limited {
            client_id: "a".into(),
            route_id: "r".into(),
            until_ms: 5,
        };
        let with_limit = Snapshot::new((vec![q("a", 1), q("b", 2)], vec![limited]), Some(&v1));
        assert_ne!(with_v1.version, with_limit.version);
        let json = serde_json::to_value(&with_v1).unwrap();
        assert_eq!(json["policy"]["version"], 1);
        assert_eq!(json["policy"]["policy"]["mode"], "monitor");
    }
}
