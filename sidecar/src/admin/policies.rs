//! `POST /v1/policies` (a new version), `GET /v1/policies` (the versions)
//! and `GET /v1/policies/current`. A policy is validated exactly as the
//! filter will (same parser, custom rules compiled) before it is stored, so
//! a policy the filters would refuse never becomes current.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};

use super::auth::Admin;
use crate::error::ApiError;
use crate::policy::{announce, CHANNEL};
use crate::server::AppState;

/// Largest policy request accepted (custom rules and allow-lists included).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Versions listed by `GET /v1/policies`, newest first.
const LISTED: i64 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPolicy<'a> {
    #[serde(borrow)]
    policy: &'a RawValue,
    #[serde(default)]
    comment: String,
}

/// Checks `policy` (JSON text) as the filter does on configuration.
pub fn validate(policy: &str) -> Result<(), String> {
    let parsed = sentinel_filter::policy::Policy::parse(policy.as_bytes())?;
    parsed.scanner().map(drop)
}

pub async fn create(
    admin: Admin,
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body?;
    let request: NewPolicy<'_> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("invalid policy request: {e}")))?;
    if !request.policy.get().trim_start().starts_with('{') {
        return Err(ApiError::InvalidPolicy(
            "policy must be a JSON object".into(),
        ));
    }
    validate(request.policy.get()).map_err(ApiError::InvalidPolicy)?;
    let client = state.db().await?;
    let row = client
        .query_one(
            "INSERT INTO policies (body, author, comment) VALUES ($1::text::jsonb, $2, $3)
             RETURNING version, to_char(created_at AT TIME ZONE 'UTC',
                                        'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[&request.policy.get(), &admin.name, &request.comment],
        )
        .await
        .map_err(ApiError::store)?;
    let version: i64 = row.get(0);
    let created_at: String = row.get(1);
    tracing::info!(admin = admin.name, version, "policy version created");
    // Stored is what counts: sidecars also poll, so a lost announcement
    // only delays the change.
    if let Err(error) = announce(&state.shared, version).await {
        tracing::warn!(
            error = format!("{error:#}"),
            channel = CHANNEL,
            "policy not announced"
        );
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "version": version, "created_at": created_at })),
    ))
}

pub async fn list(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, ApiError> {
    let client = state.db().await?;
    let rows = client
        .query(
            "SELECT version, author, comment, to_char(created_at AT TIME ZONE 'UTC',
                    'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
             FROM policies ORDER BY version DESC LIMIT $1",
            &[&LISTED],
        )
        .await
        .map_err(ApiError::store)?;
    let policies: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "version": r.get::<_, i64>(0),
                "author": r.get::<_, String>(1),
                "comment": r.get::<_, String>(2),
                "created_at": r.get::<_, String>(3),
            })
        })
        .collect();
    Ok(Json(json!({ "policies": policies })))
}

pub async fn current(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, ApiError> {
    match state.policy.current() {
        Some(current) => {
            let policy: Value = serde_json::from_str(&current.body)
                .map_err(|e| ApiError::Internal(format!("stored policy is not JSON: {e}")))?;
            Ok(Json(
                json!({ "version": current.version, "policy": policy }),
            ))
        }
        None => Err(ApiError::NoPolicy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_is_the_filters() {
        assert!(validate("{}").is_ok());
        assert!(validate(r#"{"mode":"monitor","block_threshold":0.5}"#).is_ok());
        let bad_rule = r#"{"custom_rules":[{"id":"acme.bad","engine":"secrets",
            "category":"x","confidence":0.9,"pattern":"(unclosed"}]}"#;
        assert!(validate(bad_rule).unwrap_err().contains("acme.bad"));
        assert!(validate(r#"{"mode":"loud"}"#).is_err());
        assert!(validate(r#"{"surprise":1}"#)
            .unwrap_err()
            .contains("surprise"));
    }
}
