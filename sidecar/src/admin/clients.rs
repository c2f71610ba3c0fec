//! `GET /v1/clients/{client_id}` (risk, recent blocks, quarantine) and
//! `DELETE /v1/clients/{client_id}/quarantine` (release, recorded in
//! Postgres for `rebuild-state`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Admin;
use super::now_ms;
use crate::error::ApiError;
use crate::server::AppState;
use crate::state::{valid_client_id, StateStore};

fn checked(client_id: &str) -> Result<&str, ApiError> {
    if valid_client_id(client_id) {
        Ok(client_id)
    } else {
        Err(ApiError::InvalidRequest(
            "client_id must be 32 lowercase hex characters (as in events)".into(),
        ))
    }
}

pub async fn show(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
    Path(client_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client_id = checked(&client_id)?;
    let client = state
        .shared
        .client(client_id, now_ms(), &state.quarantine)
        .await
        .map_err(ApiError::store)?;
    Ok(Json(json!({
        "client_id": client.client_id,
        "risk": client.risk,
        "recent_blocks": client.recent_blocks,
        "quarantined": client.quarantined_until_ms.is_some(),
        "quarantined_until_ms": client.quarantined_until_ms,
    })))
}

pub async fn release(
    admin: Admin,
    State(state): State<Arc<AppState>>,
    Path(client_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client_id = checked(&client_id)?;
    let released = state
        .shared
        .release(client_id)
        .await
        .map_err(ApiError::store)?;
    if !released {
        return Err(ApiError::NotQuarantined);
    }
    tracing::info!(admin = admin.name, client_id, "quarantine released");
    // Redis enforces, and it has released: a lost record only means that a
    // later `rebuild-state` may quarantine the client again.
    if let Err(error) = record_release(&state, client_id, &admin.name).await {
        tracing::warn!(
            error = ?error,
            client_id,
            "release not recorded in Postgres"
        );
    }
    Ok(Json(json!({ "client_id": client_id, "released": true })))
}

/// Notes the release in `quarantine_releases`, so that `rebuild-state`
/// does not replay the blocks it forgave.
async fn record_release(state: &AppState, client_id: &str, by: &str) -> Result<(), ApiError> {
    let client = state.db().await?;
    client
        .execute(
            "INSERT INTO quarantine_releases (client_id, released_by) VALUES ($1, $2)",
            &[&client_id, &by],
        )
        .await
        .map_err(ApiError::store)?;
    Ok(())
}
