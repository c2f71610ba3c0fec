//! Recall and false-positive rate on the labelled development corpus
//! (`shared/corpus/dev.jsonl` beside the workspace, or `$SENTINEL_CORPUS`).
//! The corpus is not part of this repository: without it the test says so
//! and passes. Run with `--nocapture` to see the figures and every miss.

use std::path::PathBuf;

use sentinel_engines::{Decision, Scanner, DEFAULT_BLOCK_THRESHOLD};
use serde_json::Value;

/// Floors below what the engines reach on the corpus, with some margin.
const MIN_RECALL: f64 = 0.85;
const MAX_FALSE_POSITIVE_RATE: f64 = 0.05;

fn corpus_path() -> PathBuf {
    std::env::var_os("SENTINEL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/corpus/dev.jsonl"
            ))
        })
}

#[test]
fn dev_corpus_recall_and_false_positives() {
    let path = corpus_path();
    let Ok(raw) = std::fs::read_to_string(&path) else {
        println!("skipped: corpus not found at {}", path.display());
        return;
    };
    let scanner = Scanner::builder().build().expect("engines build");
    let (mut attacks, mut caught, mut benign, mut flagged) = (0usize, 0usize, 0usize, 0usize);
    // Benign texts with any detection at all, blocking or not.
    let mut noticed = 0usize;
    for (n, line) in raw
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let row: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let text = row["text"].as_str().expect("text");
        let id = row["id"].as_str().unwrap_or("?");
        let verdict = scanner.scan(text);
        let blocked = verdict.decide(DEFAULT_BLOCK_THRESHOLD) == Decision::Block;
        let rules: Vec<_> = verdict.detections.iter().map(|d| d.rule.as_ref()).collect();
        match row["label"].as_str() {
            Some("attack") => {
                attacks += 1;
                if blocked {
                    caught += 1;
                } else {
                    println!(
                        "miss  {id} risk={:.2} {rules:?}: {}",
                        verdict.risk_score,
                        snippet(text)
                    );
                }
            }
            Some("benign") => {
                benign += 1;
                noticed += usize::from(!verdict.detections.is_empty());
                if blocked {
                    flagged += 1;
                    println!(
                        "FP    {id} risk={:.2} {rules:?}: {}",
                        verdict.risk_score,
                        snippet(text)
                    );
                }
            }
            other => panic!("line {}: unknown label {other:?}", n + 1),
        }
    }
    assert!(attacks > 0 && benign > 0, "corpus has both labels");
    let recall = caught as f64 / attacks as f64;
    let fp_rate = flagged as f64 / benign as f64;
    println!(
        "corpus {}: recall {caught}/{attacks} = {recall:.3}, false positives {flagged}/{benign} = {fp_rate:.3} (threshold {DEFAULT_BLOCK_THRESHOLD}); benign with any detection {noticed}/{benign}",
        path.display()
    );
    assert!(
        recall >= MIN_RECALL,
        "recall {recall:.3} below {MIN_RECALL}"
    );
    assert!(
        fp_rate <= MAX_FALSE_POSITIVE_RATE,
        "false-positive rate {fp_rate:.3} above {MAX_FALSE_POSITIVE_RATE}"
    );
}

fn snippet(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.chars().take(110).collect()
}
