//! The shared state in Redis Cluster. A client's keys carry its id as a hash
//! tag (`sentinel:{<id>}:...`), so they share a slot and one Lua script can
//! update them together; only the index of quarantined clients is a key of
//! its own. Every key has a TTL: nothing outlives its use.

use anyhow::Context;
use redis::Script;

use super::{
    Budget, ClientState, Limited, Observation, Quarantine, QuarantineRule, StateStore,
    RISK_HALF_LIFE_MS,
};
use crate::store::RedisStore;

/// Every quarantined client with its end time (a sorted set scored by it):
/// what the filters pull.
const QUARANTINED: &str = "sentinel:quarantined";

/// How long an idle client's risk score is kept.
const RISK_TTL_MS: u64 = 24 * 60 * 60 * 1000;

fn key(client_id: &str, what: &str) -> String {
    format!("sentinel:{{{client_id}}}:{what}")
}

/// Decays the risk score to the event's time and adds its risk; for a
/// block, adds the event to the window of recent blocks (once per event id)
/// and starts a quarantine when the window holds enough of them. Returns
/// {quarantined until (0: no new quarantine), risk score}.
const RECORD: &str = r"
local blocks, risk, quarantine = KEYS[1], KEYS[2], KEYS[3]
local event, now, add = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local half_life, risk_ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local blocked, needed = ARGV[6] == '1', tonumber(ARGV[7])
local window, duration = tonumber(ARGV[8]), tonumber(ARGV[9])

local saved = redis.call('HMGET', risk, 'score', 'at')
local score, at = tonumber(saved[1]) or 0, tonumber(saved[2]) or now
if now > at then
  score = score * math.pow(0.5, (now - at) / half_life)
  at = now
end
score = score + add
redis.call('HSET', risk, 'score', tostring(score), 'at', tostring(at))
redis.call('PEXPIRE', risk, risk_ttl)
if not blocked then
  return {0, tostring(score)}
end

redis.call('ZADD', blocks, now, event)
redis.call('ZREMRANGEBYSCORE', blocks, '-inf', now - window)
redis.call('PEXPIRE', blocks, window)
if redis.call('ZCARD', blocks) < needed then
  return {0, tostring(score)}
end
local until_ms = now + duration
local current = tonumber(redis.call('GET', quarantine) or '0')
if current >= until_ms then
  return {0, tostring(score)}
end
redis.call('SET', quarantine, tostring(until_ms), 'PX', duration)
return {until_ms, tostring(score)}
";

/// Every (client, route) over its rate limit, scored by until when.
const LIMITED: &str = "sentinel:limited";

/// GCRA over one minute: the theoretical arrival time (TAT) moves on by
/// 60 s / limit per unit spent (`ARGV[2]` in all), never from before now.
/// The budget is free again once TAT + lookahead - 60 s is past: if that
/// is later than now, the client is limited until then. Returns that time,
/// or 0.
const COUNT: &str = r"
local tat_key, limited_key = KEYS[1], KEYS[2]
local now, interval, lookahead = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local period = 60000
local tat = tonumber(redis.call('GET', tat_key) or '0')
if tat < now then
  tat = now
end
tat = tat + interval
redis.call('SET', tat_key, string.format('%.3f', tat), 'PX', math.ceil(tat - now + period))
local next_ok = math.ceil(tat + lookahead - period)
if next_ok <= now then
  return 0
end
local current = tonumber(redis.call('GET', limited_key) or '0')
if next_ok > current then
  redis.call('SET', limited_key, tostring(next_ok), 'PX', next_ok - now + 1)
end
return next_ok
";

/// {risk score, its time, blocks within the window, quarantined until}.
const READ: &str = r"
local saved = redis.call('HMGET', KEYS[1], 'score', 'at')
local recent = redis.call('ZCOUNT', KEYS[2], tonumber(ARGV[1]) - tonumber(ARGV[2]), '+inf')
local until_ms = redis.call('GET', KEYS[3]) or '0'
return {saved[1] or '0', saved[2] or ARGV[1], recent, until_ms}
";

/// Lifts the quarantine and forgets the blocks; 1 if there was one.
const RELEASE: &str = r"
local had = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
return had
";

pub struct RedisState {
    redis: RedisStore,
    record: Script,
    read: Script,
    release: Script,
    count: Script,
}

impl RedisState {
    /// Validates the seed URLs; connects on first use.
    pub fn new(seed_urls: &[String]) -> anyhow::Result<Self> {
        Ok(RedisState {
            redis: RedisStore::new(seed_urls)?,
            record: Script::new(RECORD),
            read: Script::new(READ),
            release: Script::new(RELEASE),
            count: Script::new(COUNT),
        })
    }

    /// Runs `f` on the cluster connection; after a failure the connection
    /// is dropped so the next call starts afresh.
    async fn with<T, F, Fut>(&self, what: &'static str, f: F) -> anyhow::Result<T>
    where
        F: FnOnce(redis::cluster_async::ClusterConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.redis.connection().await?;
        match f(connection).await {
            Ok(value) => Ok(value),
            Err(e) => {
                self.redis.reset().await;
                Err(e).context(what)
            }
        }
    }
}

/// Decays `score`, last updated at `at_ms`, to `now_ms`.
fn decayed(score: f64, at_ms: u64, now_ms: u64) -> f64 {
    let elapsed = now_ms.saturating_sub(at_ms) as f64;
    score * 0.5f64.powf(elapsed / RISK_HALF_LIFE_MS as f64)
}

impl RedisState {
    /// Adds `member` to the sorted-set index `set`, scored by `until_ms`;
    /// the index expires with its last entry. An index lives in its own
    /// slot: if this fails, the next update of the member writes it again.
    async fn index(&self, set: &'static str, member: &str, until_ms: u64) -> anyhow::Result<()> {
        self.with("indexing failed", |mut c| async move {
            redis::pipe()
                .zadd(set, member, until_ms)
                .ignore()
                .cmd("PEXPIREAT")
                .arg(set)
                .arg(until_ms)
                .arg("GT")
                .ignore()
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    /// The entries of the index `set` still current at `now_ms`, dropping
    /// the past ones.
    async fn current(&self, set: &'static str, now_ms: u64) -> anyhow::Result<Vec<(String, u64)>> {
        let entries: Vec<(String, f64)> = self
            .with("reading an index failed", |mut c| async move {
                redis::pipe()
                    .zrembyscore(set, "-inf", now_ms)
                    .ignore()
                    .zrange_withscores(set, 0, -1)
                    .query_async::<(Vec<(String, f64)>,)>(&mut c)
                    .await
                    .map(|(entries,)| entries)
            })
            .await?;
        Ok(entries
            .into_iter()
            .map(|(member, until)| (member, until as u64))
            .collect())
    }

    /// Publishes `message` on `channel` (it reaches every node).
    pub async fn publish(&self, channel: &str, message: &str) -> anyhow::Result<()> {
        self.with("publishing failed", |mut c| async move {
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg(message)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }
}

impl StateStore for RedisState {
    async fn record(
        &self,
        observation: &Observation<'_>,
        rule: &QuarantineRule,
    ) -> anyhow::Result<Option<Quarantine>> {
        let id = observation.client_id;
        let (until_ms, _score): (u64, String) = self
            .with("recording a decision failed", |mut c| async move {
                self.record
                    .key(key(id, "blocks"))
                    .key(key(id, "risk"))
                    .key(key(id, "quarantine"))
                    .arg(observation.event_id)
                    .arg(observation.time_ms)
                    .arg(observation.risk)
                    .arg(RISK_HALF_LIFE_MS)
                    .arg(RISK_TTL_MS)
                    .arg(if observation.blocked { "1" } else { "0" })
                    .arg(rule.blocks)
                    .arg(rule.window_ms)
                    .arg(rule.duration_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if until_ms == 0 {
            return Ok(None);
        }
        self.index(QUARANTINED, id, until_ms).await?;
        Ok(Some(Quarantine {
            client_id: id.to_string(),
            until_ms,
        }))
    }

    async fn quarantined(&self, now_ms: u64) -> anyhow::Result<Vec<Quarantine>> {
        let entries = self.current(QUARANTINED, now_ms).await?;
        Ok(entries
            .into_iter()
            .map(|(client_id, until_ms)| Quarantine {
                client_id,
                until_ms,
            })
            .collect())
    }

    async fn client(
        &self,
        client_id: &str,
        now_ms: u64,
        rule: &QuarantineRule,
    ) -> anyhow::Result<ClientState> {
        let (score, at, recent, until): (String, String, u32, String) = self
            .with("reading a client failed", |mut c| async move {
                self.read
                    .key(key(client_id, "risk"))
                    .key(key(client_id, "blocks"))
                    .key(key(client_id, "quarantine"))
                    .arg(now_ms)
                    .arg(rule.window_ms)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let score: f64 = score.parse().unwrap_or(0.0);
        let at: u64 = at.parse().unwrap_or(now_ms);
        let until: u64 = until.parse().unwrap_or(0);
        Ok(ClientState {
            client_id: client_id.to_string(),
            risk: decayed(score, at, now_ms),
            recent_blocks: recent,
            quarantined_until_ms: (until > now_ms).then_some(until),
        })
    }

    async fn spend(
        &self,
        client_id: &str,
        route_id: &str,
        budget: Budget,
        time_ms: u64,
        amount: u64,
        per_minute: u32,
    ) -> anyhow::Result<Option<Limited>> {
        let interval = 60_000.0 / f64::from(per_minute.max(1));
        // A request's size is known: the next one is over if it would not
        // fit. A response's tokens are not: over once the minute is spent.
        let (name, lookahead) = match budget {
            Budget::Requests => ("rate", interval),
            Budget::Tokens => ("tokens", 0.0),
        };
        let until_ms: u64 = self
            .with("counting toward a rate limit failed", |mut c| async move {
                self.count
                    .key(key(client_id, &format!("{name}:{route_id}")))
                    .key(key(client_id, &format!("limited:{route_id}")))
                    .arg(time_ms)
                    .arg(interval * amount as f64)
                    .arg(lookahead)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if until_ms == 0 {
            return Ok(None);
        }
        self.index(LIMITED, &format!("{client_id}:{route_id}"), until_ms)
            .await?;
        Ok(Some(Limited {
            client_id: client_id.to_string(),
            route_id: route_id.to_string(),
            until_ms,
        }))
    }

    async fn limited(&self, now_ms: u64) -> anyhow::Result<Vec<Limited>> {
        let entries = self.current(LIMITED, now_ms).await?;
        Ok(entries
            .into_iter()
            .filter_map(|(member, until_ms)| {
                let (client_id, route_id) = member.split_once(':')?;
                Some(Limited {
                    client_id: client_id.to_string(),
                    route_id: route_id.to_string(),
                    until_ms,
                })
            })
            .collect())
    }

    async fn release(&self, client_id: &str) -> anyhow::Result<bool> {
        let had: u32 = self
            .with("releasing a quarantine failed", |mut c| async move {
                self.release
                    .key(key(client_id, "quarantine"))
                    .key(key(client_id, "blocks"))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        self.with("unindexing a quarantine failed", |mut c| async move {
            redis::cmd("ZREM")
                .arg(QUARANTINED)
                .arg(client_id)
                .query_async::<()>(&mut c)
                .await
        })
        .await?;
        Ok(had > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_client_share_a_hash_tag() {
        let id = "0123456789abcdef0123456789abcdef";
        for what in ["blocks", "risk", "quarantine"] {
            assert!(key(id, what).starts_with(&format!("sentinel:{{{id}}}:")));
        }
    }

    #[test]
    fn risk_halves_every_half_life() {
        assert_eq!(decayed(8.0, 0, 0), 8.0);
        assert!((decayed(8.0, 0, RISK_HALF_LIFE_MS) - 4.0).abs() < 1e-9);
        assert!((decayed(8.0, 0, 3 * RISK_HALF_LIFE_MS) - 1.0).abs() < 1e-9);
        // A clock that went backwards does not inflate the score.
        assert_eq!(decayed(8.0, 10, 5), 8.0);
    }
}
