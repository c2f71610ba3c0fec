//! The scan API: `POST /v1/scan` with `{"text": "..."}` answers the same
//! verdict JSON as `sentinel-sidecar scan`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::Json;

use crate::error::ApiError;
use crate::readiness::Engines;
use crate::report::VerdictReport;
use crate::request;
use crate::server::AppState;

pub async fn scan(
    State(state): State<Arc<AppState>>,
    // Raw bytes, not `Json`: callers need not send a content type, and every
    // malformed body gets the same `invalid_request` error.
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VerdictReport>, ApiError> {
    let text = request::text_of(&body?).map_err(ApiError::InvalidRequest)?;
    let scanner = match state.readiness.engines() {
        Engines::Loaded(scanner) => scanner,
        Engines::Loading => return Err(ApiError::EnginesLoading),
        Engines::Failed(reason) => return Err(ApiError::EnginesFailed(reason)),
    };
    // Scanning is CPU work; keep it off the workers that answer the probes.
    let verdict = tokio::task::spawn_blocking(move || scanner.scan(&text))
        .await
        .map_err(|e| ApiError::Internal(format!("scan did not complete: {e}")))?;
    Ok(Json(VerdictReport::new(&verdict, state.threshold)))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
