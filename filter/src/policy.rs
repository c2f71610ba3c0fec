//! The plugin configuration: the JSON string in the wasm filter's
//! `configuration`. Every field is optional; a typo or an out-of-range value is
//! an error, so a broken policy is refused at configure time instead of being
//! half applied.

use std::collections::BTreeMap;
use std::str::FromStr;

use sentinel_engines::{Allowlist, CustomRule, Engine, Scanner, Thresholds};
use serde::Deserialize;

use crate::extract::{JsonPath, MAX_PATHS};

pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The filter holds the whole body in the VM before judging it; this bounds
/// what one request may cost a worker.
pub const MAX_BODY_BYTES_LIMIT: usize = 16 * 1024 * 1024;

/// What happens to a request the engines would block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuse it with 403.
    Enforce,
    /// Let it through, tagged `x-sentinel-verdict: block` (for rollouts).
    Monitor,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Monitor => "monitor",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub mode: Mode,
    /// `block_threshold` (risk at or above which a request with a detection
    /// is blocked) and the `engine_thresholds`.
    pub thresholds: Thresholds,
    /// Phrases and `re:` patterns whose matches are not reported, compiled.
    pub allowlist: Allowlist,
    pub max_body_bytes: usize,
    pub engines: Vec<Engine>,
    /// JSON paths whose strings are scanned besides a known API format's
    /// fields (see [`crate::extract::JsonPath`] for the syntax).
    pub text_paths: Vec<JsonPath>,
    /// Rules added to the packs; validated and compiled by
    /// [`Policy::scanner`], which refuses a bad one by id.
    pub custom_rules: Vec<CustomRule>,
    /// Where decision events go; `None` when the policy disables them.
    pub events: Option<Events>,
    /// A header whose value identifies the client when the request carries
    /// no API key (lowercase, as Envoy stores header names).
    pub client_id_header: Option<String>,
    /// Where the quarantine list is pulled from; `None` when disabled.
    pub state: Option<StateSync>,
    /// Requests per minute a client may send to one route, counted over
    /// every pod; `None`: unlimited.
    pub rate_limit: Option<RateLimit>,
    /// When repeated blocks quarantine a client (on every pod); `None`:
    /// never.
    pub quarantine: Option<QuarantineRule>,
    /// How the model's answers are judged (`response`).
    pub response: crate::answer::policy::Response,
}

/// The `quarantine` object: `blocks` blocked requests within `window_s`
/// quarantine the client for `duration_s`. Block events carry it (in
/// milliseconds) so that the sidecars apply the rule of the policy that
/// judged the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct QuarantineRule {
    pub blocks: u32,
    pub window_ms: u64,
    pub duration_ms: u64,
}

impl Default for QuarantineRule {
    /// 5 blocked attacks within 5 minutes: quarantined for 15 minutes.
    fn default() -> Self {
        QuarantineRule {
            blocks: 5,
            window_ms: 300_000,
            duration_ms: 900_000,
        }
    }
}

const QUARANTINE_BLOCKS: (u64, u64) = (1, 1000);
const QUARANTINE_WINDOW_S: (u64, u64) = (1, 86_400);
const QUARANTINE_DURATION_S: (u64, u64) = (1, 30 * 86_400);

/// The `rate_limit` object (at least one of the two); events carry it so
/// that the sidecars count against the limit of the policy that judged the
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RateLimit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    /// LLM tokens, as the responses' `usage` reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_minute: Option<u32>,
}

const REQUESTS_PER_MINUTE: (u64, u64) = (1, 1_000_000);
const TOKENS_PER_MINUTE: (u64, u64) = (1, 1_000_000_000);

/// Pulling what the sidecar publishes at `GET /v1/state` (quarantined
/// clients, decided from the events of every pod).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSync {
    pub cluster: String,
    pub authority: String,
    pub path: String,
    /// How often one worker of the Envoy asks; the others read its copy.
    pub pull_interval_ms: u64,
    pub timeout_ms: u64,
}

impl Default for StateSync {
    fn default() -> Self {
        StateSync {
            cluster: "sentinel_sidecar".to_string(),
            authority: "sentinel-sidecar".to_string(),
            path: "/v1/state".to_string(),
            pull_interval_ms: 250,
            timeout_ms: 1000,
        }
    }
}

const PULL_INTERVAL_MS: (u64, u64) = (10, 60_000);

/// Delivery of decision events to the sidecar (`docs/events.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// The Envoy cluster `dispatch_http_call` sends to.
    pub cluster: String,
    pub authority: String,
    pub path: String,
    pub flush_interval_ms: u64,
    /// Events per request to the sidecar.
    pub max_batch: usize,
    /// Events a worker keeps while the sidecar is slow or down.
    pub max_queue: usize,
    pub timeout_ms: u64,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            cluster: "sentinel_sidecar".to_string(),
            authority: "sentinel-sidecar".to_string(),
            path: "/v1/events".to_string(),
            flush_interval_ms: 500,
            max_batch: 200,
            max_queue: 5000,
            timeout_ms: 2000,
        }
    }
}

/// Bounds of the `events` numbers. The sidecar takes at most 1,000 events
/// per batch; a longer flush interval than the longest retry backoff would
/// make retries faster than normal delivery.
const FLUSH_INTERVAL_MS: (u64, u64) = (10, 30_000);
const MAX_BATCH: (u64, u64) = (1, 1000);
const MAX_QUEUE: (u64, u64) = (1, 100_000);
const TIMEOUT_MS: (u64, u64) = (10, 60_000);
/// Longest `events` string or `client_id_header`.
const MAX_NAME_BYTES: usize = 256;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: Mode::Enforce,
            thresholds: Thresholds::default(),
            allowlist: Allowlist::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            engines: Engine::ALL.to_vec(),
            text_paths: Vec::new(),
            custom_rules: Vec::new(),
            events: Some(Events::default()),
            client_id_header: None,
            state: Some(StateSync::default()),
            rate_limit: None,
            quarantine: Some(QuarantineRule::default()),
            response: crate::answer::policy::Response::for_mode(true),
        }
    }
}

/// The JSON as written; `Policy` is what survives validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    mode: Option<Mode>,
    block_threshold: Option<f64>,
    engine_thresholds: Option<BTreeMap<String, f64>>,
    allowlist: Option<Vec<String>>,
    max_body_bytes: Option<u64>,
    engines: Option<Vec<String>>,
    text_paths: Option<Vec<String>>,
    custom_rules: Option<Vec<RawCustomRule>>,
    events: Option<RawEvents>,
    client_id_header: Option<String>,
    state: Option<RawState>,
    rate_limit: Option<RawRateLimit>,
    quarantine: Option<RawQuarantine>,
    response: Option<crate::answer::policy::RawResponse>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuarantine {
    enabled: Option<bool>,
    blocks: Option<u64>,
    window_s: Option<u64>,
    duration_s: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    requests_per_minute: Option<u64>,
    tokens_per_minute: Option<u64>,
}

/// The `state` object as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    enabled: Option<bool>,
    cluster: Option<String>,
    authority: Option<String>,
    path: Option<String>,
    pull_interval_ms: Option<u64>,
    timeout_ms: Option<u64>,
}

/// The `events` object as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    enabled: Option<bool>,
    cluster: Option<String>,
    authority: Option<String>,
    path: Option<String>,
    flush_interval_ms: Option<u64>,
    max_batch: Option<u64>,
    max_queue: Option<u64>,
    timeout_ms: Option<u64>,
}

/// One `custom_rules` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomRule {
    id: String,
    engine: String,
    category: String,
    confidence: f64,
    pattern: String,
}

impl Policy {
    /// Parses the plugin configuration. An absent or blank configuration
    /// means all defaults.
    pub fn parse(config: &[u8]) -> Result<Policy, String> {
        if config.iter().all(u8::is_ascii_whitespace) {
            return Ok(Policy::default());
        }
        let raw: RawPolicy =
            serde_json::from_slice(config).map_err(|e| format!("invalid policy JSON: {e}"))?;
        let mut policy = Policy::default();
        if let Some(mode) = raw.mode {
            policy.mode = mode;
        }
        if let Some(threshold) = raw.block_threshold {
            if !(0.0..=1.0).contains(&threshold) {
                return Err(format!(
                    "block_threshold must be between 0 and 1, got {threshold}"
                ));
            }
            policy.thresholds =
                Thresholds::new(threshold as f32).map_err(|e| format!("block_threshold: {e}"))?;
        }
        if let Some(max) = raw.max_body_bytes {
            if max == 0 || max > MAX_BODY_BYTES_LIMIT as u64 {
                return Err(format!(
                    "max_body_bytes must be between 1 and {MAX_BODY_BYTES_LIMIT}, got {max}"
                ));
            }
            policy.max_body_bytes = max as usize;
        }
        if let Some(names) = raw.engines {
            policy.engines = parse_engines(&names)?;
        }
        if let Some(paths) = raw.text_paths {
            policy.text_paths = parse_text_paths(&paths)?;
        }
        if let Some(thresholds) = raw.engine_thresholds {
            policy.thresholds =
                parse_engine_thresholds(policy.thresholds, &thresholds, &policy.engines)?;
        }
        if let Some(entries) = raw.allowlist {
            policy.allowlist = Allowlist::new(&entries).map_err(|e| e.to_string())?;
        }
        if let Some(rules) = raw.custom_rules {
            policy.custom_rules = parse_custom_rules(rules)?;
        }
        if let Some(events) = raw.events {
            policy.events = parse_events(events)?;
        }
        if let Some(name) = raw.client_id_header {
            policy.client_id_header = Some(parse_header_name(&name)?);
        }
        if let Some(state) = raw.state {
            policy.state = parse_state(state)?;
        }
        if let Some(quarantine) = raw.quarantine {
            policy.quarantine = parse_quarantine(quarantine)?;
        }
        if let Some(limit) = raw.rate_limit {
            policy.rate_limit = Some(parse_rate_limit(limit)?);
        }
        let enforce = policy.mode == Mode::Enforce;
        policy.response = match raw.response {
            Some(response) => crate::answer::policy::parse(response, enforce)?,
            None => crate::answer::policy::Response::for_mode(enforce),
        };
        Ok(policy)
    }

    /// The scanner this policy asks for: its engines and custom rules,
    /// compiled. A bad custom rule is refused with a message naming its id.
    /// A policy version pulled from the sidecar (made through the admin
    /// API): all of it but how the filter reaches its sidecar (`events`,
    /// `state`), which stays as the running configuration says, so that no
    /// version can cut a filter off from the next one.
    pub fn parse_pulled(config: &[u8], running: &Policy) -> Result<Policy, String> {
        let mut policy = Policy::parse(config)?;
        policy.events.clone_from(&running.events);
        policy.state.clone_from(&running.state);
        Ok(policy)
    }

    pub fn scanner(&self) -> Result<Scanner, String> {
        Scanner::builder()
            .engines(&self.engines)
            .custom_rules(self.custom_rules.clone())
            .build()
            .map_err(|e| format!("cannot build the engines: {e}"))
    }

    /// The risk at or above which a request is blocked.
    pub fn block_threshold(&self) -> f32 {
        self.thresholds.global()
    }
}

/// Adds `engine_thresholds` to the global threshold. A threshold must be in
/// 0..=1, name an enabled engine and not exceed `block_threshold` (it could
/// never fire): a no-op setting is refused rather than silently ignored.
fn parse_engine_thresholds(
    mut thresholds: Thresholds,
    raw: &BTreeMap<String, f64>,
    enabled: &[Engine],
) -> Result<Thresholds, String> {
    for (name, &threshold) in raw {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(format!(
                "engine_thresholds.{name} must be between 0 and 1, got {threshold}"
            ));
        }
        thresholds = thresholds
            .with_engine(name, threshold as f32)
            .map_err(|e| format!("engine_thresholds: {e}"))?;
        if !enabled.iter().any(|e| e.name() == name) {
            return Err(format!(
                "engine_thresholds.{name}: engine {name} is not enabled by `engines`"
            ));
        }
    }
    Ok(thresholds)
}

pub(crate) fn parse_engines(names: &[String]) -> Result<Vec<Engine>, String> {
    if names.is_empty() {
        return Err("engines must name at least one engine \
                    (known: injection, jailbreak, pii, secrets, evasion, exfiltration, tool_abuse, code_injection)"
            .to_string());
    }
    let mut engines = Vec::with_capacity(names.len());
    for name in names {
        let engine = Engine::from_str(name).map_err(|e| e.to_string())?;
        if !engines.contains(&engine) {
            engines.push(engine);
        }
    }
    Ok(engines)
}

/// Turns `custom_rules` into engine rules; the engines validate the rest
/// (id, category, confidence, pattern, limits) when the scanner is built.
fn parse_custom_rules(raw: Vec<RawCustomRule>) -> Result<Vec<CustomRule>, String> {
    if raw.len() > sentinel_engines::MAX_CUSTOM_RULES {
        return Err(format!(
            "custom_rules may hold at most {} rules, got {}",
            sentinel_engines::MAX_CUSTOM_RULES,
            raw.len()
        ));
    }
    raw.into_iter()
        .map(|r| {
            let engine = Engine::from_str(&r.engine)
                .map_err(|e| format!("custom_rules: rule {:?}: {e}", r.id))?;
            Ok(CustomRule {
                id: r.id,
                engine,
                category: r.category,
                confidence: r.confidence as f32,
                pattern: r.pattern,
            })
        })
        .collect()
}

fn parse_events(raw: RawEvents) -> Result<Option<Events>, String> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let mut events = Events::default();
    set_destination(
        "events",
        (raw.cluster, raw.authority, raw.path),
        (&mut events.cluster, &mut events.authority, &mut events.path),
    )?;
    if let Some(ms) = raw.flush_interval_ms {
        events.flush_interval_ms = bounded("events.flush_interval_ms", ms, FLUSH_INTERVAL_MS)?;
    }
    if let Some(n) = raw.max_batch {
        events.max_batch = bounded("events.max_batch", n, MAX_BATCH)? as usize;
    }
    if let Some(n) = raw.max_queue {
        events.max_queue = bounded("events.max_queue", n, MAX_QUEUE)? as usize;
    }
    if let Some(ms) = raw.timeout_ms {
        events.timeout_ms = bounded("events.timeout_ms", ms, TIMEOUT_MS)?;
    }
    if events.max_batch > events.max_queue {
        return Err(format!(
            "events.max_batch ({}) must not exceed events.max_queue ({})",
            events.max_batch, events.max_queue
        ));
    }
    Ok(Some(events))
}

/// The `cluster`, `authority` and `path` of a call to the sidecar, each
/// checked (errors name `<section>.<field>`) and set when given.
fn set_destination(
    section: &str,
    given: (Option<String>, Option<String>, Option<String>),
    into: (&mut String, &mut String, &mut String),
) -> Result<(), String> {
    if let Some(cluster) = given.0 {
        *into.0 = parse_plain(&format!("{section}.cluster"), cluster)?;
    }
    if let Some(authority) = given.1 {
        *into.1 = parse_plain(&format!("{section}.authority"), authority)?;
    }
    if let Some(path) = given.2 {
        let path = parse_plain(&format!("{section}.path"), path)?;
        if !path.starts_with('/') {
            return Err(format!("{section}.path must start with `/`, got {path:?}"));
        }
        *into.2 = path;
    }
    Ok(())
}

fn parse_rate_limit(raw: RawRateLimit) -> Result<RateLimit, String> {
    let field = |name: &str, value: Option<u64>, range| {
        value
            .map(|n| bounded(&format!("rate_limit.{name}"), n, range).map(|n| n as u32))
            .transpose()
    };
    let limit = RateLimit {
        requests_per_minute: field(
            "requests_per_minute",
            raw.requests_per_minute,
            REQUESTS_PER_MINUTE,
        )?,
        tokens_per_minute: field(
            "tokens_per_minute",
            raw.tokens_per_minute,
            TOKENS_PER_MINUTE,
        )?,
    };
    if limit.requests_per_minute.is_none() && limit.tokens_per_minute.is_none() {
        return Err(
            "rate_limit needs requests_per_minute or tokens_per_minute (or both)".to_string(),
        );
    }
    Ok(limit)
}

fn parse_quarantine(raw: RawQuarantine) -> Result<Option<QuarantineRule>, String> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let mut rule = QuarantineRule::default();
    if let Some(n) = raw.blocks {
        rule.blocks = bounded("quarantine.blocks", n, QUARANTINE_BLOCKS)? as u32;
    }
    if let Some(s) = raw.window_s {
        rule.window_ms = bounded("quarantine.window_s", s, QUARANTINE_WINDOW_S)? * 1000;
    }
    if let Some(s) = raw.duration_s {
        rule.duration_ms = bounded("quarantine.duration_s", s, QUARANTINE_DURATION_S)? * 1000;
    }
    Ok(Some(rule))
}

fn parse_state(raw: RawState) -> Result<Option<StateSync>, String> {
    if raw.enabled == Some(false) {
        return Ok(None);
    }
    let mut state = StateSync::default();
    set_destination(
        "state",
        (raw.cluster, raw.authority, raw.path),
        (&mut state.cluster, &mut state.authority, &mut state.path),
    )?;
    if let Some(ms) = raw.pull_interval_ms {
        state.pull_interval_ms = bounded("state.pull_interval_ms", ms, PULL_INTERVAL_MS)?;
    }
    if let Some(ms) = raw.timeout_ms {
        state.timeout_ms = bounded("state.timeout_ms", ms, TIMEOUT_MS)?;
    }
    Ok(Some(state))
}

pub(crate) fn bounded(field: &str, value: u64, (min, max): (u64, u64)) -> Result<u64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{field} must be between {min} and {max}, got {value}"
        ))
    }
}

/// A cluster name or header value: non-empty, bounded, no spaces or control
/// characters (Envoy would refuse the call at every flush instead).
fn parse_plain(field: &str, value: String) -> Result<String, String> {
    if value.is_empty() || value.len() > MAX_NAME_BYTES {
        return Err(format!(
            "{field} must be 1 to {MAX_NAME_BYTES} bytes long, got {} bytes",
            value.len()
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{field} must not contain spaces or control characters, got {value:?}"
        ));
    }
    Ok(value)
}

/// An HTTP header name (RFC 9110 token), lowercased.
fn parse_header_name(name: &str) -> Result<String, String> {
    let is_token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || name.len() > MAX_NAME_BYTES || !name.bytes().all(is_token) {
        return Err(format!(
            "client_id_header must be a header name (1 to {MAX_NAME_BYTES} token characters), \
             got {name:?}"
        ));
    }
    Ok(name.to_ascii_lowercase())
}

fn parse_text_paths(paths: &[String]) -> Result<Vec<JsonPath>, String> {
    if paths.len() > MAX_PATHS {
        return Err(format!(
            "text_paths may name at most {MAX_PATHS} paths, got {}",
            paths.len()
        ));
    }
    let mut parsed: Vec<JsonPath> = Vec::with_capacity(paths.len());
    for path in paths {
        let path =
            JsonPath::parse(path).map_err(|e| format!("text_paths: invalid path {path:?}: {e}"))?;
        if !parsed.contains(&path) {
            parsed.push(path);
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentinel_engines::DEFAULT_BLOCK_THRESHOLD;

    fn parse(json: &str) -> Result<Policy, String> {
        Policy::parse(json.as_bytes())
    }

    #[test]
    fn absent_blank_or_empty_object_means_defaults() {
        for config in ["", "  \n", "{}"] {
            assert_eq!(parse(config), Ok(Policy::default()), "config {config:?}");
        }
        let p = Policy::default();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.block_threshold(), DEFAULT_BLOCK_THRESHOLD);
        assert_eq!(p.thresholds, Thresholds::default());
        assert!(p.allowlist.is_empty());
        assert_eq!(p.max_body_bytes, 1_048_576);
        assert_eq!(p.engines, Engine::ALL.to_vec());
        assert_eq!(
            p.events,
            Some(Events {
                cluster: "sentinel_sidecar".into(),
                authority: "sentinel-sidecar".into(),
                path: "/v1/events".into(),
                flush_interval_ms: 500,
                max_batch: 200,
                max_queue: 5000,
                timeout_ms: 2000,
            })
        );
        assert_eq!(p.client_id_header, None);
    }

    #[test]
    fn full_policy() {
        let p = parse(
            r#"{"mode":"monitor","block_threshold":0.5,"max_body_bytes":2048,
                "engines":["pii","secrets","pii"]}"#,
        )
        .unwrap();
        assert_eq!(p.mode, Mode::Monitor);
        assert_eq!(p.block_threshold(), 0.5);
        assert_eq!(p.max_body_bytes, 2048);
        assert_eq!(p.engines, vec![Engine::Pii, Engine::Secrets]);
    }

    #[test]
    fn null_fields_mean_defaults() {
        assert_eq!(
            parse(r#"{"mode":null,"block_threshold":null}"#),
            Ok(Policy::default())
        );
    }

    #[test]
    fn threshold_bounds_are_inclusive() {
        assert_eq!(
            parse(r#"{"block_threshold":0}"#).unwrap().block_threshold(),
            0.0
        );
        assert_eq!(
            parse(r#"{"block_threshold":1}"#).unwrap().block_threshold(),
            1.0
        );
        for bad in ["-0.1", "1.01", "7"] {
            let err = parse(&format!(r#"{{"block_threshold":{bad}}}"#)).unwrap_err();
            assert!(
                err.contains("block_threshold must be between 0 and 1"),
                "{err}"
            );
        }
    }

    #[test]
    fn max_body_bytes_bounds() {
        let limit = MAX_BODY_BYTES_LIMIT;
        let ok = parse(&format!(r#"{{"max_body_bytes":{limit}}}"#)).unwrap();
        assert_eq!(ok.max_body_bytes, limit);
        for bad in ["0".to_string(), (limit + 1).to_string()] {
            let err = parse(&format!(r#"{{"max_body_bytes":{bad}}}"#)).unwrap_err();
            assert!(
                err.contains("max_body_bytes must be between 1 and"),
                "{err}"
            );
        }
        for bad in ["-1", "1.5", "\"1MB\""] {
            let err = parse(&format!(r#"{{"max_body_bytes":{bad}}}"#)).unwrap_err();
            assert!(err.starts_with("invalid policy JSON"), "{err}");
        }
    }

    #[test]
    fn unknown_field_is_named() {
        let err = parse(r#"{"block_treshold":0.5}"#).unwrap_err();
        assert!(err.contains("unknown field `block_treshold`"), "{err}");
    }

    #[test]
    fn unknown_mode_is_named() {
        let err = parse(r#"{"mode":"audit"}"#).unwrap_err();
        assert!(err.contains("unknown variant `audit`"), "{err}");
    }

    #[test]
    fn engines_must_be_known_and_non_empty() {
        let err = parse(r#"{"engines":["pii","malware"]}"#).unwrap_err();
        assert!(err.contains("unknown engine \"malware\""), "{err}");
        let err = parse(r#"{"engines":[]}"#).unwrap_err();
        assert!(err.contains("at least one engine"), "{err}");
    }

    #[test]
    fn text_paths_are_parsed_and_deduplicated() {
        let p =
            parse(r#"{"text_paths":["$.query","$.items[*].body","$.query","$[0].a-b"]}"#).unwrap();
        let paths: Vec<&str> = p.text_paths.iter().map(JsonPath::as_str).collect();
        assert_eq!(paths, ["$.query", "$.items[*].body", "$[0].a-b"]);
        assert_eq!(parse(r#"{"text_paths":[]}"#).unwrap().text_paths, []);
        assert_eq!(parse(r#"{"text_paths":null}"#), Ok(Policy::default()));
    }

    #[test]
    fn invalid_text_path_is_named() {
        for (bad, why) in [
            ("query", "must start with `$`"),
            ("$.items[", "is not closed"),
            ("$.items['a']", "is not supported"),
            ("$..body", "recursive descent"),
            ("$.a.", "empty key"),
            ("$.*", "use `[*]`"),
            ("$.a]", "unexpected `]`"),
            ("$[-1]", "is not supported"),
            ("$[99999999999999999999999]", "too large"),
        ] {
            let err = parse(&format!(
                r#"{{"text_paths":["$.ok",{}]}}"#,
                serde_json::json!(bad)
            ))
            .unwrap_err();
            assert!(
                err.starts_with(&format!("text_paths: invalid path {bad:?}: ")),
                "{bad}: {err}"
            );
            assert!(err.contains(why), "{bad}: {err}");
        }
        let long = format!("$.{}", "a".repeat(300));
        let err = parse(&format!(r#"{{"text_paths":["{long}"]}}"#)).unwrap_err();
        assert!(err.contains("longer than"), "{err}");
        let deep = format!("${}", "[0]".repeat(40));
        let err = parse(&format!(r#"{{"text_paths":["{deep}"]}}"#)).unwrap_err();
        assert!(err.contains("steps"), "{err}");
        let many: Vec<String> = (0..=MAX_PATHS).map(|i| format!("$.f{i}")).collect();
        let err = parse(&serde_json::json!({ "text_paths": many }).to_string()).unwrap_err();
        assert!(err.contains("at most 32 paths"), "{err}");
        let err = parse(r#"{"text_paths":"$.query"}"#).unwrap_err();
        assert!(err.starts_with("invalid policy JSON"), "{err}");
    }

    #[test]
    fn engine_thresholds_are_parsed() {
        let p = parse(r#"{"engine_thresholds":{"pii":0.4,"secrets":0.6}}"#).unwrap();
        assert_eq!(p.thresholds.engine(Engine::Pii), Some(0.4));
        assert_eq!(p.thresholds.engine(Engine::Secrets), Some(0.6));
        assert_eq!(p.thresholds.engine(Engine::Injection), None);
        assert_eq!(p.block_threshold(), DEFAULT_BLOCK_THRESHOLD);
        // Order of keys does not matter: block_threshold applies first.
        let p = parse(r#"{"engine_thresholds":{"pii":0.2},"block_threshold":0.3}"#).unwrap();
        assert_eq!(p.block_threshold(), 0.3);
        assert_eq!(p.thresholds.engine(Engine::Pii), Some(0.2));
        assert_eq!(parse(r#"{"engine_thresholds":{}}"#), Ok(Policy::default()));
        assert_eq!(
            parse(r#"{"engine_thresholds":null}"#),
            Ok(Policy::default())
        );
    }

    #[test]
    fn bad_engine_thresholds_are_named() {
        for (json, want) in [
            (
                r#"{"engine_thresholds":{"pii":1.5}}"#,
                "engine_thresholds.pii must be between 0 and 1, got 1.5",
            ),
            (
                r#"{"engine_thresholds":{"pii":-0.1}}"#,
                "engine_thresholds.pii must be between 0 and 1, got -0.1",
            ),
            (
                r#"{"engine_thresholds":{"malware":0.5}}"#,
                "engine_thresholds: unknown engine \"malware\" (known: injection, jailbreak, \
                 pii, secrets, evasion, exfiltration, tool_abuse, code_injection)",
            ),
            (
                r#"{"engine_thresholds":{"pii":0.8}}"#,
                "engine_thresholds: threshold of engine pii (0.8) is above the block threshold",
            ),
            (
                r#"{"engines":["injection"],"engine_thresholds":{"pii":0.4}}"#,
                "engine_thresholds.pii: engine pii is not enabled by `engines`",
            ),
        ] {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with(want), "{json}: {err}");
        }
        for bad in [
            r#"{"engine_thresholds":[0.4]}"#,
            r#"{"engine_thresholds":{"pii":"0.4"}}"#,
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid policy JSON"), "{bad}: {err}");
        }
    }

    #[test]
    fn allowlist_is_compiled() {
        let p = parse(
            r#"{"allowlist":["ignore the previous error","re:AKIA[0-9A-Z]{9}EXAMPLE",
                "ignore the previous error"]}"#,
        )
        .unwrap();
        assert_eq!(
            p.allowlist.entries(),
            ["ignore the previous error", "re:AKIA[0-9A-Z]{9}EXAMPLE"]
        );
        assert!(parse(r#"{"allowlist":[]}"#).unwrap().allowlist.is_empty());
        assert_eq!(parse(r#"{"allowlist":null}"#), Ok(Policy::default()));
    }

    #[test]
    fn bad_allowlist_entry_is_named() {
        let err = parse(r#"{"allowlist":["fine","re:foo("]}"#).unwrap_err();
        assert!(
            err.starts_with("allowlist entry 2 (\"re:foo(\") is not a valid pattern: "),
            "{err}"
        );
        let err = parse(r#"{"allowlist":[""]}"#).unwrap_err();
        assert_eq!(err, "allowlist entry 1 (\"\") is an empty phrase");
        let many: Vec<String> = (0..=sentinel_engines::MAX_ALLOWLIST_ENTRIES)
            .map(|i| format!("p{i}"))
            .collect();
        let err = parse(&serde_json::json!({ "allowlist": many }).to_string()).unwrap_err();
        assert!(err.contains("at most 256 entries"), "{err}");
        for bad in [r#"{"allowlist":"foo"}"#, r#"{"allowlist":[3]}"#] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid policy JSON"), "{bad}: {err}");
        }
        let err = parse(r#"{"allow_list":["x"]}"#).unwrap_err();
        assert!(err.contains("unknown field `allow_list`"), "{err}");
    }

    const CUSTOM: &str = r#"{"custom_rules": [{"id": "acme.codename", "engine": "secrets",
        "category": "internal_codename", "confidence": 0.95,
        "pattern": "(?i)project\\s+bluebird"}]}"#;

    #[test]
    fn custom_rules_are_parsed_and_fire() {
        let p = parse(CUSTOM).unwrap();
        assert_eq!(
            p.custom_rules,
            vec![CustomRule {
                id: "acme.codename".into(),
                engine: Engine::Secrets,
                category: "internal_codename".into(),
                confidence: 0.95,
                pattern: r"(?i)project\s+bluebird".into(),
            }]
        );
        let scanner = p.scanner().unwrap();
        let v = scanner.scan("about Project  Bluebird");
        assert_eq!(v.top_category(), Some("internal_codename"));
        assert!(parse(r#"{"custom_rules": []}"#).unwrap().scanner().is_ok());
    }

    #[test]
    fn bad_custom_rule_is_refused_by_id() {
        let bad_regex = CUSTOM.replace(r"(?i)project", "(?i)(project");
        let err = parse(&bad_regex).unwrap().scanner().unwrap_err();
        assert!(err.contains("acme.codename"), "{err}");
        for (from, to) in [
            ("acme.codename", "injection.ignore_previous"),
            ("\"secrets\"", "\"nope\""),
            ("0.95", "1.5"),
            ("internal_codename", "Internal Codename"),
        ] {
            let json = CUSTOM.replace(from, to);
            let err = parse(&json)
                .and_then(|p| p.scanner().map(|_| ()))
                .unwrap_err();
            let id = if from == "acme.codename" {
                to
            } else {
                "acme.codename"
            };
            assert!(err.contains(id), "{json}: {err}");
        }
        // An engine the policy does not enable.
        let json = CUSTOM.replace(
            "{\"custom_rules\"",
            "{\"engines\": [\"injection\"], \"custom_rules\"",
        );
        let err = parse(&json).unwrap().scanner().unwrap_err();
        assert!(
            err.contains("acme.codename") && err.contains("not enabled"),
            "{err}"
        );
        // Unknown and missing fields of a rule.
        let err =
            parse(&CUSTOM.replace("\"pattern\"", "\"severity\": 1, \"pattern\"")).unwrap_err();
        assert!(err.contains("severity"), "{err}");
        assert!(parse(&CUSTOM.replace("\"confidence\": 0.95,", "")).is_err());
    }

    #[test]
    fn events_are_parsed() {
        let p = parse(
            r#"{"events":{"cluster":"events_out","authority":"ingest.local","path":"/in",
                "flush_interval_ms":250,"max_batch":1000,"max_queue":1000,"timeout_ms":500,
                "enabled":true}}"#,
        )
        .unwrap();
        assert_eq!(
            p.events,
            Some(Events {
                cluster: "events_out".into(),
                authority: "ingest.local".into(),
                path: "/in".into(),
                flush_interval_ms: 250,
                max_batch: 1000,
                max_queue: 1000,
                timeout_ms: 500,
            })
        );
        let p = parse(r#"{"events":{"max_batch":10}}"#).unwrap();
        assert_eq!(p.events.unwrap().max_batch, 10);
        for same in [r#"{"events":{}}"#, r#"{"events":null}"#] {
            assert_eq!(parse(same), Ok(Policy::default()), "{same}");
        }
        for off in [
            r#"{"events":{"enabled":false}}"#,
            r#"{"events":{"enabled":false,"cluster":"x"}}"#,
        ] {
            assert_eq!(parse(off).unwrap().events, None, "{off}");
        }
    }

    #[test]
    fn bad_events_are_named() {
        for (events, want) in [
            (
                r#"{"flush_interval_ms":0}"#,
                "events.flush_interval_ms must be between 10 and 30000, got 0",
            ),
            (
                r#"{"flush_interval_ms":30001}"#,
                "events.flush_interval_ms must be between",
            ),
            (
                r#"{"max_batch":0}"#,
                "events.max_batch must be between 1 and 1000",
            ),
            (r#"{"max_batch":1001}"#, "events.max_batch must be between"),
            (
                r#"{"max_queue":0}"#,
                "events.max_queue must be between 1 and 100000",
            ),
            (
                r#"{"max_queue":100001}"#,
                "events.max_queue must be between",
            ),
            (
                r#"{"timeout_ms":5}"#,
                "events.timeout_ms must be between 10 and 60000",
            ),
            (
                r#"{"max_batch":300,"max_queue":200}"#,
                "events.max_batch (300) must not exceed events.max_queue (200)",
            ),
            (
                r#"{"cluster":""}"#,
                "events.cluster must be 1 to 256 bytes long",
            ),
            (
                r#"{"authority":"a b"}"#,
                "events.authority must not contain spaces",
            ),
            (r#"{"path":"v1/events"}"#, "events.path must start with `/`"),
            (r#"{"path":"/v1\nx"}"#, "events.path must not contain"),
        ] {
            let json = format!(r#"{{"events":{events}}}"#);
            let err = parse(&json).unwrap_err();
            assert!(err.starts_with(want), "{json}: {err}");
        }
        let long = "c".repeat(257);
        let err = parse(&format!(r#"{{"events":{{"cluster":"{long}"}}}}"#)).unwrap_err();
        assert!(err.contains("got 257 bytes"), "{err}");
        for bad in [
            r#"{"events":{"clusters":"x"}}"#,
            r#"{"events":{"max_batch":-1}}"#,
            r#"{"events":{"enabled":"no"}}"#,
            r#"{"events":true}"#,
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid policy JSON"), "{bad}: {err}");
        }
        let err = parse(r#"{"events":{"clusters":"x"}}"#).unwrap_err();
        assert!(err.contains("unknown field `clusters`"), "{err}");
    }

    #[test]
    fn pulled_policies_keep_the_sidecar_link() {
        let running =
            parse(r#"{"state":{"pull_interval_ms":100},"events":{"max_batch":5}}"#).unwrap();
        let pulled = Policy::parse_pulled(
            br#"{"mode":"monitor","state":{"enabled":false},"events":{"enabled":false}}"#,
            &running,
        )
        .unwrap();
        assert_eq!(pulled.mode, Mode::Monitor);
        assert_eq!(pulled.state, running.state);
        assert_eq!(pulled.events, running.events);
        assert!(Policy::parse_pulled(br#"{"mode":"x"}"#, &running).is_err());
    }

    #[test]
    fn quarantine_rule_is_parsed() {
        assert_eq!(
            parse("{}").unwrap().quarantine,
            Some(QuarantineRule::default())
        );
        let p = parse(r#"{"quarantine":{"blocks":3,"window_s":60,"duration_s":120}}"#).unwrap();
        assert_eq!(
            p.quarantine,
            Some(QuarantineRule {
                blocks: 3,
                window_ms: 60_000,
                duration_ms: 120_000
            })
        );
        assert_eq!(
            parse(r#"{"quarantine":{"enabled":false}}"#)
                .unwrap()
                .quarantine,
            None
        );
        let err = parse(r#"{"quarantine":{"blocks":0}}"#).unwrap_err();
        assert!(err.contains("quarantine.blocks"), "{err}");
    }

    #[test]
    fn rate_limit_is_parsed() {
        assert_eq!(parse("{}").unwrap().rate_limit, None);
        let p = parse(r#"{"rate_limit":{"requests_per_minute":60}}"#).unwrap();
        assert_eq!(
            p.rate_limit,
            Some(RateLimit {
                requests_per_minute: Some(60),
                tokens_per_minute: None
            })
        );
        let p = parse(r#"{"rate_limit":{"tokens_per_minute":1000}}"#).unwrap();
        assert_eq!(p.rate_limit.and_then(|r| r.tokens_per_minute), Some(1000));
        for bad in [
            r#"{"rate_limit":{"requests_per_minute":0}}"#,
            r#"{"rate_limit":{}}"#,
            r#"{"rate_limit":{"requests_per_minute":5,"burst":1}}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn state_sync_is_parsed() {
        assert_eq!(parse("{}").unwrap().state, Some(StateSync::default()));
        let p = parse(r#"{"state":{"pull_interval_ms":100,"path":"/x","cluster":"c"}}"#).unwrap();
        let state = p.state.unwrap();
        assert_eq!(
            (
                state.pull_interval_ms,
                state.path.as_str(),
                state.cluster.as_str()
            ),
            (100, "/x", "c")
        );
        assert_eq!(parse(r#"{"state":{"enabled":false}}"#).unwrap().state, None);
        for (bad, named) in [
            (
                r#"{"state":{"pull_interval_ms":1}}"#,
                "state.pull_interval_ms",
            ),
            (r#"{"state":{"path":"v1"}}"#, "state.path"),
            (r#"{"state":{"cluster":""}}"#, "state.cluster"),
            (r#"{"state":{"what":1}}"#, "what"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }

    #[test]
    fn client_id_header_is_lowercased_and_checked() {
        let p = parse(r#"{"client_id_header":"X-Tenant-Id"}"#).unwrap();
        assert_eq!(p.client_id_header.as_deref(), Some("x-tenant-id"));
        for bad in ["", "x tenant", ":authority", "x-ténant"] {
            let err =
                parse(&serde_json::json!({ "client_id_header": bad }).to_string()).unwrap_err();
            assert!(
                err.starts_with("client_id_header must be a header name"),
                "{bad:?}: {err}"
            );
        }
        assert_eq!(parse(r#"{"client_id_header":null}"#), Ok(Policy::default()));
    }

    #[test]
    fn not_an_object_is_refused() {
        for bad in ["[]", "\"enforce\"", "{", "mode=enforce"] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid policy JSON"), "{bad}: {err}");
        }
    }
}
