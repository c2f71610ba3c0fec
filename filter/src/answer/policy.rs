//! The policy's `response` object: how the model's answers are judged.
//!
//! ```json
//! {"response": {"mode": "redact", "engines": ["pii", "secrets", "exfiltration"],
//!               "max_body_bytes": 1048576, "window_bytes": 128, "unscanned": "block",
//!               "canaries": ["CANARY-7f3a9c51"], "min_echo_share": 0.2,
//!               "system_prompts": [{"id": "support-bot", "shingles": ["9f2c...", ...]}]}}
//! ```
//!
//! A `system_prompts` entry is what `sentinel-sidecar fingerprint` prints
//! for a prompt: its word shingles as 16-digit hex hashes.

use std::collections::HashSet;

use sentinel_engines::{CustomRule, Engine, Fingerprint, Leakage, Scanner};
use serde::Deserialize;

use crate::policy::{bounded, parse_engines};

/// What happens to an answer the engines find something in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Answers are not scanned.
    Off,
    /// Scanned and counted, delivered unchanged.
    Monitor,
    /// What was found is masked (`[REDACTED:<category>]`), the rest delivered.
    Redact,
    /// The answer is replaced (JSON) or ended (stream) with an error in the
    /// API's shape.
    Block,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Monitor => "monitor",
            Mode::Redact => "redact",
            Mode::Block => "block",
        }
    }
}

/// What happens to an answer that cannot be scanned: compressed, larger
/// than `max_body_bytes`, or a stream event larger than [`MAX_EVENT_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unscanned {
    /// Refused (502, or the stream ended with an error event).
    Block,
    /// Delivered as it is, counted as unscanned.
    Pass,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub mode: Mode,
    /// The output-side engines.
    pub engines: Vec<Engine>,
    /// The largest JSON answer buffered to be judged.
    pub max_body_bytes: usize,
    /// Text of a stream held back behind what is delivered: more than the
    /// longest value the rules match in practice (a key with its name, an
    /// e-mail address, a card number with spaces). Runs of non-space
    /// characters are held whole besides, up to `sentinel_engines::MAX_RUN`.
    pub window_bytes: usize,
    pub unscanned: Unscanned,
    /// Strings planted in system prompts: an answer holding one leaks it.
    pub canaries: Vec<String>,
    /// Fingerprints of system prompts an answer must not echo.
    pub system_prompts: Vec<Fingerprint>,
    /// The share of a prompt's shingles an answer must hold to echo it.
    pub min_echo_share: f32,
}

pub const DEFAULT_MIN_ECHO_SHARE: f32 = 0.2;

pub const DEFAULT_ENGINES: [Engine; 3] = [Engine::Pii, Engine::Secrets, Engine::Exfiltration];
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_BODY_BYTES: (u64, u64) = (1, 16 * 1024 * 1024);
pub const DEFAULT_WINDOW_BYTES: usize = 128;
const WINDOW_BYTES: (u64, u64) = (16, 4096);
/// The largest stream event buffered whole; a larger one is unscannable.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

impl Response {
    /// The default for a policy in `mode` (its request-side mode): answers
    /// redacted when requests are enforced, only counted when monitored.
    pub fn for_mode(enforce: bool) -> Response {
        Response {
            mode: if enforce { Mode::Redact } else { Mode::Monitor },
            engines: DEFAULT_ENGINES.to_vec(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            window_bytes: DEFAULT_WINDOW_BYTES,
            unscanned: Unscanned::Block,
            canaries: Vec::new(),
            system_prompts: Vec::new(),
            min_echo_share: DEFAULT_MIN_ECHO_SHARE,
        }
    }

    /// The canaries and prompt fingerprints, compiled.
    pub fn leakage(&self) -> Result<Leakage, String> {
        Leakage::new(
            &self.canaries,
            self.system_prompts.clone(),
            self.min_echo_share,
        )
        .map_err(|e| format!("response: {e}"))
    }

    /// The scanner for answers: the output engines and those custom rules
    /// that belong to one of them.
    pub fn scanner(&self, custom: &[CustomRule]) -> Result<Scanner, String> {
        let rules = custom
            .iter()
            .filter(|r| self.engines.contains(&r.engine))
            .cloned()
            .collect();
        Scanner::builder()
            .engines(&self.engines)
            .custom_rules(rules)
            .build()
            .map_err(|e| format!("cannot build the response engines: {e}"))
    }
}

/// The `response` object as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    mode: Option<Mode>,
    engines: Option<Vec<String>>,
    max_body_bytes: Option<u64>,
    window_bytes: Option<u64>,
    unscanned: Option<Unscanned>,
    canaries: Option<Vec<String>>,
    system_prompts: Option<Vec<RawPrompt>>,
    min_echo_share: Option<f64>,
}

/// One `system_prompts` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrompt {
    id: String,
    shingles: Vec<String>,
}

/// Longest `system_prompts` id.
const MAX_PROMPT_ID: usize = 64;

pub fn parse(raw: RawResponse, enforce: bool) -> Result<Response, String> {
    let mut response = Response::for_mode(enforce);
    if let Some(mode) = raw.mode {
        response.mode = mode;
    }
    if let Some(names) = raw.engines {
        response.engines = parse_engines(&names).map_err(|e| format!("response.engines: {e}"))?;
    }
    if let Some(n) = raw.max_body_bytes {
        response.max_body_bytes = bounded("response.max_body_bytes", n, MAX_BODY_BYTES)? as usize;
    }
    if let Some(n) = raw.window_bytes {
        response.window_bytes = bounded("response.window_bytes", n, WINDOW_BYTES)? as usize;
    }
    if let Some(unscanned) = raw.unscanned {
        response.unscanned = unscanned;
    }
    if let Some(canaries) = raw.canaries {
        response.canaries = canaries;
    }
    if let Some(prompts) = raw.system_prompts {
        response.system_prompts = prompts
            .into_iter()
            .map(parse_prompt)
            .collect::<Result<_, _>>()?;
    }
    if let Some(share) = raw.min_echo_share {
        response.min_echo_share = share as f32;
    }
    // Checks the limits of all three together, as the filter will build them.
    response.leakage()?;
    Ok(response)
}

fn parse_prompt(raw: RawPrompt) -> Result<Fingerprint, String> {
    if raw.id.is_empty() || raw.id.len() > MAX_PROMPT_ID {
        return Err(format!(
            "response.system_prompts: id must be 1 to {MAX_PROMPT_ID} bytes, got {:?}",
            raw.id
        ));
    }
    let shingles: HashSet<u64> = raw
        .shingles
        .iter()
        .map(|hex| {
            (hex.len() == 16)
                .then(|| u64::from_str_radix(hex, 16).ok())
                .flatten()
                .ok_or_else(|| {
                    format!(
                        "response.system_prompts {:?}: shingle {hex:?} is not 16 hex digits \
                         (use `sentinel-sidecar fingerprint`)",
                        raw.id
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(Fingerprint {
        id: raw.id,
        shingles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(json: &str, enforce: bool) -> Result<Response, String> {
        let raw: RawResponse = serde_json::from_str(json).map_err(|e| e.to_string())?;
        parse(raw, enforce)
    }

    #[test]
    fn defaults_follow_the_request_mode() {
        assert_eq!(parsed("{}", true).unwrap().mode, Mode::Redact);
        assert_eq!(parsed("{}", false).unwrap().mode, Mode::Monitor);
        let r = parsed("{}", true).unwrap();
        assert_eq!(r.engines, DEFAULT_ENGINES);
        assert_eq!(r.unscanned, Unscanned::Block);
    }

    #[test]
    fn every_field() {
        let r = parsed(
            r#"{"mode":"block","engines":["secrets","secrets"],"max_body_bytes":2048,
                "window_bytes":64,"unscanned":"pass"}"#,
            false,
        )
        .unwrap();
        assert_eq!(r.mode, Mode::Block);
        assert_eq!(r.engines, [Engine::Secrets]);
        assert_eq!((r.max_body_bytes, r.window_bytes), (2048, 64));
        assert_eq!(r.unscanned, Unscanned::Pass);
    }

    #[test]
    fn bad_values_are_named() {
        let err = |json| parsed(json, true).unwrap_err();
        assert!(err(r#"{"window_bytes":8}"#).contains("response.window_bytes must be between 16"));
        assert!(err(r#"{"max_body_bytes":0}"#).contains("response.max_body_bytes"));
        assert!(err(r#"{"engines":[]}"#).contains("at least one"));
        assert!(err(r#"{"engines":["pi"]}"#).contains("response.engines"));
        assert!(err(r#"{"mode":"mask"}"#).contains("unknown variant"));
        assert!(err(r#"{"windw_bytes":64}"#).contains("unknown field"));
        assert!(err(r#"{"canaries":["short"]}"#).contains("8 to 256 bytes"));
        assert!(err(r#"{"min_echo_share":1.5}"#).contains("min_echo_share"));
        let bad_hex = r#"{"system_prompts":[{"id":"p","shingles":["xyz"]}]}"#;
        assert!(err(bad_hex).contains("16 hex digits"));
        let too_few = r#"{"system_prompts":[{"id":"p","shingles":["00000000000000ff"]}]}"#;
        assert!(err(too_few).contains("needs 4"));
    }

    #[test]
    fn a_fingerprint_as_the_cli_prints_it() {
        let prompt = "You are the support assistant of Acme and never reveal the refund rules.";
        let shingles: Vec<String> = sentinel_engines::fingerprint(prompt)
            .iter()
            .map(|h| format!("{h:016x}"))
            .collect();
        let json = serde_json::json!({"canaries": ["CANARY-7f3a9c51"],
            "system_prompts": [{"id": "support", "shingles": shingles}]});
        let r = parsed(&json.to_string(), true).unwrap();
        let leakage = r.leakage().unwrap();
        let found = leakage.find(&format!("Here: {prompt} CANARY-7f3a9c51"));
        assert!(found.iter().any(|d| d.category == "system_prompt_leak"));
        assert!(found.iter().any(|d| d.category == "canary"));
    }

    #[test]
    fn the_scanner_takes_only_output_custom_rules() {
        let custom = vec![
            CustomRule {
                id: "acme.codename".into(),
                engine: Engine::Secrets,
                category: "internal_codename".into(),
                confidence: 0.9,
                pattern: "(?i)project bluebird".into(),
            },
            CustomRule {
                id: "acme.override".into(),
                engine: Engine::Injection,
                category: "override".into(),
                confidence: 0.9,
                pattern: "(?i)obey me".into(),
            },
        ];
        let scanner = parsed("{}", true).unwrap().scanner(&custom).unwrap();
        let verdict = scanner.scan("the plan is Project Bluebird; obey me");
        let rules: Vec<&str> = verdict.detections.iter().map(|d| d.rule.as_ref()).collect();
        assert_eq!(rules, ["acme.codename"]);
    }
}
