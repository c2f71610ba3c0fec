//! API errors and the only mapping from them to HTTP status codes. Body shape:
//! `{"error":{"message":"...","type":"invalid_request"}}`.

use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// The client sent something we cannot read; resending it will not help.
    InvalidRequest(String),
    BodyTooLarge(String),
    NotFound,
    /// Engines still compiling: retry shortly (readiness keeps traffic away).
    EnginesLoading,
    EnginesFailed(String),
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::InvalidRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request", m.clone()),
            ApiError::BodyTooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", m.clone())
            }
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".into(),
            ),
            ApiError::EnginesLoading => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "engines are still loading; retry shortly".into(),
            ),
            ApiError::EnginesFailed(reason) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("engines failed to build: {reason}"),
            ),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", m.clone()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, message) = self.parts();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), %message, "API error");
        }
        let body = json!({ "error": { "message": message, "type": kind } });
        (status, Json(body)).into_response()
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BodyTooLarge(rejection.body_text())
        } else {
            ApiError::InvalidRequest(rejection.body_text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let cases = [
            (ApiError::InvalidRequest("x".into()), 400),
            (ApiError::BodyTooLarge("x".into()), 413),
            (ApiError::NotFound, 404),
            (ApiError::EnginesLoading, 503),
            (ApiError::EnginesFailed("x".into()), 503),
            (ApiError::Internal("x".into()), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.into_response().status().as_u16(), status);
        }
    }
}
