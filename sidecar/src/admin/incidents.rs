//! `GET /v1/incidents`: stored incidents (see [`crate::incident`]), newest
//! first, filtered by the query parameters and paged with an opaque
//! keyset cursor over (time, id).

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use deadpool_postgres::Object;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Admin;
use crate::error::ApiError;
use crate::events::{Verdict, MAX_ID_CHARS};
use crate::incident::{Incident, COLUMNS, PREDICATE};
use crate::rfc3339;
use crate::server::AppState;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// A listing that takes longer is answered 503 rather than held open.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    request_id: Option<String>,
    client_id: Option<String>,
    verdict: Option<Verdict>,
    /// The deciding category or any detection's.
    category: Option<String>,
    /// Inclusive lower bound on the decision time (RFC 3339).
    since: Option<String>,
    /// Exclusive upper bound on the decision time (RFC 3339).
    until: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Where a page ends: the last incident's time and id.
#[derive(Debug, Clone, PartialEq)]
struct Cursor {
    time_us: i64,
    id: String,
}

impl Cursor {
    /// Hex of `<time_us>:<id>`: opaque to callers, safe in a URL.
    fn encode(&self) -> String {
        format!("{}:{}", self.time_us, self.id)
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn decode(text: &str) -> Result<Cursor, ApiError> {
        let bad = || ApiError::InvalidRequest("cursor is not one this API returned".into());
        // Hex of an i64, ':' and an event id (at most 4 bytes a char).
        if !text.len().is_multiple_of(2) || text.len() > 2 * (20 + 1 + 4 * MAX_ID_CHARS) {
            return Err(bad());
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>, ApiError>>()?;
        let plain = String::from_utf8(bytes).map_err(|_| bad())?;
        let (time, id) = plain.split_once(':').ok_or_else(bad)?;
        let time_us = time.parse().map_err(|_| bad())?;
        if !(1..=MAX_ID_CHARS).contains(&id.chars().count()) || id.contains('\0') {
            return Err(bad());
        }
        Ok(Cursor {
            time_us,
            id: id.to_string(),
        })
    }
}

/// A checked query: what goes into the SQL parameters.
#[derive(Debug, PartialEq)]
struct Filter {
    request_id: Option<String>,
    client_id: Option<String>,
    verdict: Option<&'static str>,
    category: Option<String>,
    since_us: Option<i64>,
    until_us: Option<i64>,
    limit: i64,
    after: Option<Cursor>,
}

impl Filter {
    fn new(params: Params) -> Result<Filter, ApiError> {
        let time = |name: &str, value: Option<String>| {
            value
                .map(|v| rfc3339::parse(&v))
                .transpose()
                .map_err(|why| ApiError::InvalidRequest(format!("{name}: {why}")))
        };
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::InvalidRequest(format!(
                "limit must be 1..={MAX_LIMIT}, got {limit}"
            )));
        }
        let texts = [&params.request_id, &params.client_id, &params.category];
        // Postgres refuses NUL in text: that would be a 503, not a 400.
        if texts.into_iter().flatten().any(|t| t.contains('\0')) {
            return Err(ApiError::InvalidRequest(
                "parameters must not contain NUL characters".into(),
            ));
        }
        Ok(Filter {
            since_us: time("since", params.since)?,
            until_us: time("until", params.until)?,
            after: params.cursor.as_deref().map(Cursor::decode).transpose()?,
            request_id: params.request_id,
            client_id: params.client_id,
            verdict: params.verdict.map(Verdict::as_str),
            category: params.category,
            limit,
        })
    }
}

/// Parameters only, never values spliced into the text.
fn select() -> String {
    format!(
        "SELECT {COLUMNS} FROM events
         WHERE {PREDICATE}
           AND ($1::text IS NULL OR request_id = $1)
           AND ($2::text IS NULL OR client_id = $2)
           AND ($3::text IS NULL OR verdict = $3)
           AND ($4::text IS NULL OR category = $4
                OR detections @> jsonb_build_array(jsonb_build_object('category', $4::text)))
           AND ($5::bigint IS NULL OR time >= timestamptz 'epoch' + $5 * interval '1 microsecond')
           AND ($6::bigint IS NULL OR time < timestamptz 'epoch' + $6 * interval '1 microsecond')
           AND ($7::bigint IS NULL
                OR (time, id) < (timestamptz 'epoch' + $7 * interval '1 microsecond', $8::text))
         ORDER BY time DESC, id DESC
         LIMIT $9"
    )
}

async fn query(client: &Object, filter: &Filter) -> anyhow::Result<Vec<Incident>> {
    let after_us = filter.after.as_ref().map(|c| c.time_us);
    let after_id = filter.after.as_ref().map(|c| c.id.as_str());
    // One more than asked: whether a next page exists.
    let fetch = filter.limit + 1;
    let sql = select();
    let rows = tokio::time::timeout(
        QUERY_TIMEOUT,
        client.query(
            &sql,
            &[
                &filter.request_id,
                &filter.client_id,
                &filter.verdict,
                &filter.category,
                &filter.since_us,
                &filter.until_us,
                &after_us,
                &after_id,
                &fetch,
            ],
        ),
    )
    .await
    .map_err(|_| anyhow!("no answer within {QUERY_TIMEOUT:?}"))??;
    rows.iter().map(Incident::from_row).collect()
}

pub async fn list(
    _admin: Admin,
    State(state): State<Arc<AppState>>,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = params.map_err(|r| ApiError::InvalidRequest(r.body_text()))?;
    let filter = Filter::new(params)?;
    let client = state.db().await?;
    let mut incidents = match query(&client, &filter).await {
        Ok(incidents) => incidents,
        Err(e) => {
            // Broken or in an unknown state: never hand it out again.
            drop(Object::take(client));
            return Err(ApiError::store(e));
        }
    };
    let more = incidents.len() as i64 > filter.limit;
    incidents.truncate(filter.limit as usize);
    let next_cursor = incidents.last().filter(|_| more).map(|last| {
        Cursor {
            time_us: last.time_us,
            id: last.id.clone(),
        }
        .encode()
    });
    Ok(Json(json!({
        "incidents": incidents.iter().map(Incident::to_json).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Result<Params, String> {
        let uri: axum::http::Uri = format!("/v1/incidents?{query}").parse().expect("uri");
        Query::<Params>::try_from_uri(&uri)
            .map(|Query(p)| p)
            .map_err(|r| r.body_text())
    }

    fn filter(query: &str) -> Result<Filter, String> {
        Filter::new(params(query)?).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        for cursor in [
            Cursor {
                time_us: 1_767_225_600_123_000,
                id: "a:b-7".into(),
            },
            Cursor {
                time_us: -1,
                id: "é😀".repeat(MAX_ID_CHARS / 2),
            },
        ] {
            let text = cursor.encode();
            assert!(text.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
            assert_eq!(Cursor::decode(&text).expect("decodes"), cursor);
        }
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        for bad in [
            String::new(),
            "abc".into(),
            "zz".into(),
            hex("12"),
            hex("x:id"),
            hex("12:"),
            hex("12:a\0"),
            "ff".repeat(4),
            hex(&format!("1:{}", "x".repeat(MAX_ID_CHARS + 1))),
            "ab".repeat(2000),
        ] {
            assert!(
                matches!(Cursor::decode(&bad), Err(ApiError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn parameters_are_checked() {
        let f = filter(
            "client_id=c&verdict=too_large&category=pii&since=2026-01-01T00:00:00Z\
             &until=2026-01-02T00:00:00%2B01:00&limit=500&request_id=r",
        )
        .expect("valid");
        assert_eq!(f.verdict, Some("too_large"));
        assert_eq!(f.since_us, Some(1_767_225_600_000_000));
        assert_eq!(f.until_us, Some(1_767_308_400_000_000));
        assert_eq!((f.limit, f.after), (500, None));
        assert_eq!(filter("").expect("no parameters").limit, DEFAULT_LIMIT);

        let unknown = filter("client=c").expect_err("unknown");
        assert!(unknown.contains("unknown field `client`"), "{unknown}");
        for bad in [
            "verdict=maybe",
            "limit=0",
            "limit=501",
            "limit=ten",
            "since=yesterday",
            "until=2026-01-01",
            "cursor=nothex",
            "category=a%00b",
        ] {
            assert!(filter(bad).is_err(), "{bad}");
        }
    }
}
