//! API errors and the only mapping from them to HTTP status codes. Body shape:
//! `{"error":{"code":"invalid_request","message":"...","type":"invalid_request"}}`.

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
    /// The caller may not use this endpoint (events from a non-loopback peer).
    Forbidden(String),
    NotFound,
    /// Engines still compiling: retry shortly (readiness keeps traffic away).
    EnginesLoading,
    EnginesFailed(String),
    /// The event spool is at its size bound (Postgres down for long): the
    /// filter keeps its events and retries.
    SpoolFull,
    /// No admin token, or one that is not (or no longer) valid.
    Unauthorized,
    /// Redis or Postgres is needed for this and did not answer.
    StoreUnavailable(String),
    /// Release asked for a client that is not quarantined.
    NotQuarantined,
    /// A policy the filters would refuse; the reason names what is wrong.
    InvalidPolicy(String),
    /// No policy version was ever created through the admin API.
    NoPolicy,
    Internal(String),
}

impl ApiError {
    /// A store (Redis or Postgres) that failed, with its error chain.
    pub fn store(error: impl std::fmt::Display) -> ApiError {
        ApiError::StoreUnavailable(format!("{error:#}"))
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::InvalidRequest(m) => (StatusCode::BAD_REQUEST, "invalid_request", m.clone()),
            ApiError::BodyTooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", m.clone())
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
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
            ApiError::SpoolFull => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the event spool is full; retry later".into(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid admin token is required: Authorization: Bearer <token>".into(),
            ),
            ApiError::StoreUnavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                m.clone(),
            ),
            ApiError::NotQuarantined => (
                StatusCode::NOT_FOUND,
                "not_quarantined",
                "this client is not quarantined".into(),
            ),
            ApiError::InvalidPolicy(m) => (StatusCode::BAD_REQUEST, "invalid_policy", m.clone()),
            ApiError::NoPolicy => (
                StatusCode::NOT_FOUND,
                "no_policy",
                "no policy version has been created; the filters run their configured one".into(),
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
        // `code` is the stable name to match on; `type` the same, in the
        // shape of the filter's (OpenAI-style) errors.
        let body = json!({ "error": { "code": kind, "message": message, "type": kind } });
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
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
            (ApiError::Forbidden("x".into()), 403),
            (ApiError::NotFound, 404),
            (ApiError::EnginesLoading, 503),
            (ApiError::EnginesFailed("x".into()), 503),
            (ApiError::SpoolFull, 503),
            (ApiError::Unauthorized, 401),
            (ApiError::StoreUnavailable("x".into()), 503),
            (ApiError::NotQuarantined, 404),
            (ApiError::InvalidPolicy("x".into()), 400),
            (ApiError::NoPolicy, 404),
            (ApiError::Internal("x".into()), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.into_response().status().as_u16(), status);
        }
    }
}
