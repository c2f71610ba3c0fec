//! Shared per-client state: what every pod's decisions add up to. Kept in
//! Redis Cluster, so a quarantine decided on one pod is enforced on all of
//! them; a cache of decisions that Postgres (the record) could rebuild.
//!
//! The store is a small trait so the rules above it (when to quarantine,
//! what a client's risk is) are the same whatever holds the state.

pub mod apply;
pub mod redis;

use std::future::Future;

pub use self::redis::RedisState;

/// When a client is quarantined: the filter policy's rule, which block
/// events carry (docs/events.md), so that the sidecars apply the rule of
/// the policy that judged the request.
pub use sentinel_filter::policy::QuarantineRule;

/// Half-life of a client's risk score: a burst of attacks an hour ago
/// weighs a sixteenth of one now.
pub const RISK_HALF_LIFE_MS: u64 = 15 * 60 * 1000;

/// One decision about a client, as the state needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation<'a> {
    pub client_id: &'a str,
    /// Makes recording idempotent: an event replayed counts once.
    pub event_id: &'a str,
    pub time_ms: u64,
    /// The request was refused (or would have been, in monitor mode) for
    /// what it contained.
    pub blocked: bool,
    pub risk: f64,
}

/// A client refused until `until_ms` (Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Quarantine {
    pub client_id: String,
    pub until_ms: u64,
}

/// The per-minute budgets of a client on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Requests,
    /// LLM tokens, as responses report them.
    Tokens,
}

/// A client over its rate limit on one route until `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Limited {
    pub client_id: String,
    pub route_id: String,
    pub until_ms: u64,
}

/// What is known about one client now.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClientState {
    pub client_id: String,
    /// Decaying sum of the risk of its requests (see [`RISK_HALF_LIFE_MS`]).
    pub risk: f64,
    /// Blocked requests within the quarantine window.
    pub recent_blocks: u32,
    pub quarantined_until_ms: Option<u64>,
}

/// Where the shared state lives.
pub trait StateStore: Send + Sync {
    /// Adds one decision; returns the quarantine it started, if any.
    fn record(
        &self,
        observation: &Observation<'_>,
        rule: &QuarantineRule,
    ) -> impl Future<Output = anyhow::Result<Option<Quarantine>>> + Send;

    /// Every client quarantined at `now_ms`.
    fn quarantined(
        &self,
        now_ms: u64,
    ) -> impl Future<Output = anyhow::Result<Vec<Quarantine>>> + Send;

    fn client(
        &self,
        client_id: &str,
        now_ms: u64,
        rule: &QuarantineRule,
    ) -> impl Future<Output = anyhow::Result<ClientState>> + Send;

    /// Lifts a quarantine (and forgets the blocks that led to it); `false`
    /// if the client was not quarantined.
    fn release(&self, client_id: &str) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// Spends `amount` of the `budget` of `client_id` on `route_id` at
    /// `time_ms`, against `per_minute` (GCRA: that much in any minute);
    /// returns until when the client must wait, if its budget there is
    /// used up (for requests: if its next request would be over).
    fn spend(
        &self,
        client_id: &str,
        route_id: &str,
        budget: Budget,
        time_ms: u64,
        amount: u64,
        per_minute: u32,
    ) -> impl Future<Output = anyhow::Result<Option<Limited>>> + Send;

    /// Every client and route over its limit at `now_ms`.
    fn limited(&self, now_ms: u64) -> impl Future<Output = anyhow::Result<Vec<Limited>>> + Send;
}

/// A route id as the filter makes them: 16 lowercase hex characters.
pub fn valid_route_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A client id as the filter makes them: 32 lowercase hex characters. Keys
/// are built from it, so nothing else is let in.
pub fn valid_client_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_hex_digests() {
        assert!(valid_client_id("0123456789abcdef0123456789abcdef"));
        assert!(!valid_client_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!valid_client_id("{c}:x"));
        assert!(!valid_client_id(""));
    }
}
