//! The admin API's bearer token check, as an extractor: a handler that
//! takes [`Admin`] cannot run for a caller without a live token.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::token;
use crate::error::ApiError;
use crate::server::AppState;

/// Longer than any token we issue: not worth a database round-trip.
const MAX_TOKEN_LEN: usize = 256;

/// A caller that presented a live admin token (its name, for the logs).
pub struct Admin {
    pub name: String,
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_TOKEN_LEN)
        .then_some(token)
}

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let client = state.db().await?;
        match token::lookup(&**client, token).await {
            Ok(Some(name)) => Ok(Admin { name }),
            Ok(None) => Err(ApiError::Unauthorized),
            Err(e) => Err(ApiError::store(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(authorization: Option<&str>) -> Parts {
        let mut request = Request::builder().uri("/v1/clients/x");
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_tokens_only() {
        assert_eq!(bearer(&parts(Some("Bearer smt_abc"))), Some("smt_abc"));
        assert_eq!(bearer(&parts(Some("bearer  smt_abc "))), Some("smt_abc"));
        assert_eq!(bearer(&parts(Some("Basic dXNlcjpwYXNz"))), None);
        assert_eq!(bearer(&parts(Some("Bearer "))), None);
        assert_eq!(bearer(&parts(None)), None);
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert_eq!(bearer(&parts(Some(&long))), None);
    }
}
