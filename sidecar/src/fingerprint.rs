//! `sentinel-sidecar fingerprint`: a system prompt in, the `system_prompts`
//! entry of a filter policy out (one JSON object), so the policy carries
//! the prompt's word shingles and never the prompt.

use std::io::{self, Read, Write};

use anyhow::{bail, Context};
use sentinel_engines::{fingerprint, MIN_SHINGLES, SHINGLE_WORDS};
use serde_json::json;

use crate::config::FingerprintArgs;

pub fn run(args: &FingerprintArgs) -> anyhow::Result<()> {
    let prompt = match &args.file {
        Some(path) if path.as_os_str() != "-" => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        _ => {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the prompt from stdin")?;
            text
        }
    };
    let entry = entry(&args.id, &prompt)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{entry}").context("cannot write the fingerprint")?;
    Ok(())
}

/// The policy entry for `prompt`: its distinct shingles as 16 hex digits,
/// sorted (the same prompt always prints the same entry).
fn entry(id: &str, prompt: &str) -> anyhow::Result<serde_json::Value> {
    let mut shingles = fingerprint(prompt);
    shingles.sort_unstable();
    shingles.dedup();
    if shingles.len() < MIN_SHINGLES {
        bail!(
            "the prompt has {} distinct shingles; a fingerprint needs {MIN_SHINGLES} \
             (a prompt of at least {} words)",
            shingles.len(),
            MIN_SHINGLES + SHINGLE_WORDS - 1
        );
    }
    let hex: Vec<String> = shingles.iter().map(|h| format!("{h:016x}")).collect();
    Ok(json!({"id": id, "shingles": hex}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_sorted_distinct_hex_shingles() {
        let prompt = "You are a helpful assistant for Acme. You are a helpful assistant for Acme.";
        let entry = entry("acme", prompt).unwrap();
        assert_eq!(entry["id"], "acme");
        let shingles: Vec<&str> = entry["shingles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(shingles.iter().all(|s| s.len() == 16));
        assert!(
            shingles.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        // 14 words: 10 shingles, of which the repeated half are the same.
        assert_eq!(shingles.len(), 7);
    }

    #[test]
    fn a_prompt_too_short_is_refused() {
        let err = entry("x", "Be nice.").unwrap_err().to_string();
        assert!(err.contains("needs 4"), "{err}");
    }
}
