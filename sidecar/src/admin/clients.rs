//! `GET /v1/clients/{client_id}` (risk, recent blocks, quarantine) and
//! `DELETE /v1/clients/{client_id}/quarantine` (release).

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
    Ok(Json(json!({ "client_id": client_id, "released": true })))
}
