//! Runs the labelled cases in `tests/cases/*.jsonl` against a scanner with
//! every engine. One JSON object per line:
//!
//! - `text`: the input;
//! - `verdict`: `"block"` or `"allow"` at the default threshold;
//! - `categories` (optional): categories that must be detected;
//! - `absent` (optional): categories that must not be detected, `"*"` for
//!   no detection at all.
//!
//! All failures of a file are reported together.

use std::collections::BTreeSet;

use sentinel_engines::{Decision, Scanner, DEFAULT_BLOCK_THRESHOLD};
use serde_json::Value;

const FILES: [&str; 8] = [
    "injection.jsonl",
    "jailbreak.jsonl",
    "pii.jsonl",
    "secrets.jsonl",
    "evasion.jsonl",
    "exfiltration.jsonl",
    "tool_abuse.jsonl",
    "code_injection.jsonl",
];

fn read(file: &str) -> String {
    let path = format!("{}/tests/cases/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(file: &str) {
    let raw = read(file);
    let scanner = Scanner::builder().build().expect("engines build");
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in raw
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        count += 1;
        let case: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}:{}: {e}", n + 1));
        let text = case["text"].as_str().expect("text");
        let want = match case["verdict"].as_str() {
            Some("block") => Decision::Block,
            Some("allow") => Decision::Allow,
            other => panic!("{file}:{}: bad verdict {other:?}", n + 1),
        };
        let strings = |key: &str| -> Vec<String> {
            case[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let verdict = scanner.scan(text);
        let got: BTreeSet<&str> = verdict
            .detections
            .iter()
            .map(|d| d.category.as_ref())
            .collect();
        let mut problems = Vec::new();
        if verdict.decide(DEFAULT_BLOCK_THRESHOLD) != want {
            problems.push(format!(
                "verdict {:?} (risk {:.2}), want {want:?}",
                verdict.decide(DEFAULT_BLOCK_THRESHOLD),
                verdict.risk_score
            ));
        }
        for c in strings("categories") {
            if !got.contains(c.as_str()) {
                problems.push(format!("missing category {c}"));
            }
        }
        for c in strings("absent") {
            if (c == "*" && !got.is_empty()) || got.contains(c.as_str()) {
                problems.push(format!("unexpected {c}"));
            }
        }
        if !problems.is_empty() {
            let rules: Vec<_> = verdict.detections.iter().map(|d| d.rule.as_ref()).collect();
            failures.push(format!(
                "{file}:{}: {}\n    text: {text:?}\n    rules: {rules:?}",
                n + 1,
                problems.join("; ")
            ));
        }
    }
    println!("{file}: {count} cases, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn injection_cases() {
    run("injection.jsonl");
}

#[test]
fn jailbreak_cases() {
    run("jailbreak.jsonl");
}

#[test]
fn pii_cases() {
    run("pii.jsonl");
}

#[test]
fn secrets_cases() {
    run("secrets.jsonl");
}

#[test]
fn evasion_cases() {
    run("evasion.jsonl");
}

#[test]
fn exfiltration_cases() {
    run("exfiltration.jsonl");
}

#[test]
fn tool_abuse_cases() {
    run("tool_abuse.jsonl");
}

#[test]
fn code_injection_cases() {
    run("code_injection.jsonl");
}

/// Every rule fires on at least one case: a rule nothing exercises is either
/// broken or untested.
#[test]
fn every_rule_fires_somewhere() {
    let scanner = Scanner::builder().build().expect("engines build");
    let mut fired = BTreeSet::new();
    for file in FILES {
        for line in read(file).lines().filter(|l| !l.trim().is_empty()) {
            let case: Value = serde_json::from_str(line).expect("case");
            let verdict = scanner.scan(case["text"].as_str().expect("text"));
            fired.extend(verdict.detections.iter().map(|d| d.rule.to_string()));
        }
    }
    let silent: Vec<_> = scanner
        .rule_ids()
        .into_iter()
        .filter(|id| !fired.contains(*id))
        .collect();
    assert!(silent.is_empty(), "rules no case exercises: {silent:?}");
}
