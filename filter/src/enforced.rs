//! What the filter enforces beyond its own verdicts: the quarantined clients
//! its sidecar publishes at `GET /v1/state` (the sidecar's `sync` module),
//! decided from the events of every pod, and the policy version made through
//! the admin API.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// Larger documents are refused: the list is a few entries in practice,
/// and parsing must stay bounded in the VM.
pub const MAX_STATE_BYTES: usize = 4 << 20;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Enforced {
    version: String,
    /// Client id -> quarantined until (Unix ms).
    quarantined: HashMap<String, u64>,
    /// The newest policy version and its JSON, if one was ever made.
    policy: Option<(i64, String)>,
    /// Client id -> route id -> over its rate limit until (Unix ms); nested
    /// so that a lookup on the request path allocates nothing.
    limited: HashMap<String, HashMap<String, u64>>,
}

#[derive(Deserialize)]
struct Document {
    version: String,
    quarantined: Vec<Entry>,
    #[serde(default)]
    policy: Option<PolicyDocument>,
    #[serde(default)]
    limited: Vec<Limited>,
}

#[derive(Deserialize)]
struct Limited {
    client_id: String,
    route_id: String,
    until_ms: u64,
}

#[derive(Deserialize)]
struct PolicyDocument {
    version: i64,
    policy: Box<RawValue>,
}

#[derive(Deserialize)]
struct Entry {
    client_id: String,
    until_ms: u64,
}

impl Enforced {
    pub fn parse(body: &[u8]) -> Result<Enforced, String> {
        if body.len() > MAX_STATE_BYTES {
            return Err(format!(
                "state document of {} bytes is over {MAX_STATE_BYTES}",
                body.len()
            ));
        }
        let document: Document =
            serde_json::from_slice(body).map_err(|e| format!("bad state document: {e}"))?;
        Ok(Enforced {
            version: document.version,
            quarantined: document
                .quarantined
                .into_iter()
                .map(|e| (e.client_id, e.until_ms))
                .collect(),
            policy: document
                .policy
                .map(|p| (p.version, p.policy.get().to_string())),
            limited: document
                .limited
                .into_iter()
                .fold(HashMap::new(), |mut by_client, l| {
                    by_client
                        .entry(l.client_id)
                        .or_insert_with(HashMap::new)
                        .insert(l.route_id, l.until_ms);
                    by_client
                }),
        })
    }

    /// The version to send as `since` (empty before the first document).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Until when `client_id` is quarantined, if it is at `now_ms`.
    pub fn quarantined_until(&self, client_id: &str, now_ms: u64) -> Option<u64> {
        self.quarantined
            .get(client_id)
            .copied()
            .filter(|&until| until > now_ms)
    }

    /// Until when `client_id` is over its rate limit on `route_id`, if it
    /// is at `now_ms`.
    pub fn limited_until(&self, client_id: &str, route_id: &str, now_ms: u64) -> Option<u64> {
        self.limited
            .get(client_id)?
            .get(route_id)
            .copied()
            .filter(|&until| until > now_ms)
    }

    /// The policy version to run and its JSON, if the admin API made one.
    pub fn policy(&self) -> Option<(i64, &str)> {
        self.policy.as_ref().map(|(v, body)| (*v, body.as_str()))
    }

    pub fn len(&self) -> usize {
        self.quarantined.len()
    }

    pub fn is_empty(&self) -> bool {
        self.quarantined.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantines_hold_until_their_end() {
        let body = br#"{"version":"ab12","stale":false,"quarantined":[
            {"client_id":"c1","until_ms":2000},{"client_id":"c2","until_ms":500}]}"#;
        let enforced = Enforced::parse(body).unwrap();
        assert_eq!(enforced.version(), "ab12");
        assert_eq!(enforced.quarantined_until("c1", 1000), Some(2000));
        assert_eq!(enforced.quarantined_until("c1", 2000), None);
        assert_eq!(enforced.quarantined_until("c2", 1000), None);
        assert_eq!(enforced.quarantined_until("c3", 0), None);
        assert_eq!(enforced.len(), 2);
    }

    #[test]
    fn rate_limits_hold_per_client_and_route() {
        let body = br#"{"version":"v","quarantined":[],"limited":[
            {"client_id":"c1","route_id":"r1","until_ms":2000}]}"#;
        let enforced = Enforced::parse(body).unwrap();
        assert_eq!(enforced.limited_until("c1", "r1", 1000), Some(2000));
        assert_eq!(enforced.limited_until("c1", "r2", 1000), None);
        assert_eq!(enforced.limited_until("c2", "r1", 1000), None);
        assert_eq!(enforced.limited_until("c1", "r1", 2000), None);
    }

    #[test]
    fn a_policy_version_comes_with_the_state() {
        let body = br#"{"version":"v","quarantined":[],
            "policy":{"version":7,"policy":{"mode":"monitor"}}}"#;
        let enforced = Enforced::parse(body).unwrap();
        let (version, json) = enforced.policy().unwrap();
        assert_eq!(version, 7);
        assert_eq!(json, r#"{"mode":"monitor"}"#);
        let none = Enforced::parse(br#"{"version":"v","quarantined":[],"policy":null}"#);
        assert_eq!(none.unwrap().policy(), None);
    }

    #[test]
    fn bad_documents_are_refused() {
        assert!(Enforced::parse(b"").is_err());
        assert!(Enforced::parse(br#"{"version":"x"}"#).is_err());
        assert!(Enforced::parse(br#"{"version":"x","quarantined":[{"client_id":1}]}"#).is_err());
        let huge = vec![b' '; MAX_STATE_BYTES + 1];
        assert!(Enforced::parse(&huge).is_err());
        assert!(Enforced::default().is_empty());
    }
}
