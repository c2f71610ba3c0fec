//! Per-category recall and precision of the PII and secrets engines on their
//! labelled cases (`tests/cases/pii.jsonl`, `tests/cases/secrets.jsonl`).
//!
//! A case's `categories` are what it contains. For every PII/secret category
//! `c`: a true positive is a case listing `c` where `c` is detected; a false
//! negative one listing `c` where it is not; a false positive a case that
//! does not list `c` (benign look-alikes included) where `c` is detected.
//! Run with `--nocapture` to see the table; the test holds the floors of
//! issue 3: recall >= 98% and precision >= 95%, per engine and per category.

use std::collections::{BTreeMap, BTreeSet};

use sentinel_engines::{Engine, Scanner};
use serde_json::Value;

const MIN_RECALL: f64 = 0.98;
const MIN_PRECISION: f64 = 0.95;

#[derive(Default, Clone, Copy)]
struct Count {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Count {
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    fn add(&mut self, other: Count) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn measure(engine: Engine, file: &str) -> BTreeMap<String, Count> {
    let path = format!("{}/tests/cases/{file}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let scanner = Scanner::builder()
        .engines(&[engine])
        .build()
        .expect("engine builds");
    let mut counts: BTreeMap<String, Count> = BTreeMap::new();
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("case");
        let text = case["text"].as_str().expect("text");
        let got: BTreeSet<String> = scanner
            .scan(text)
            .detections
            .iter()
            .map(|d| d.category.to_string())
            .collect();
        let want: BTreeSet<String> = case["categories"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for c in &want {
            // Categories of other engines ("instruction_override") are not
            // this engine's to find.
            if !scanner.categories().contains(&c.as_str()) {
                continue;
            }
            let entry = counts.entry(c.clone()).or_default();
            if got.contains(c) {
                entry.tp += 1;
            } else {
                entry.fn_ += 1;
                println!("  miss {c}: {text:?}");
            }
        }
        for c in got.difference(&want) {
            counts.entry(c.clone()).or_default().fp += 1;
            println!("  false {c}: {text:?}");
        }
    }
    counts
}

#[test]
fn pii_and_secrets_recall_and_precision() {
    let mut failures = Vec::new();
    for (engine, file) in [
        (Engine::Pii, "pii.jsonl"),
        (Engine::Secrets, "secrets.jsonl"),
    ] {
        let counts = measure(engine, file);
        let mut total = Count::default();
        println!("{engine} ({file})");
        println!(
            "  {:<20} {:>4} {:>4} {:>4} {:>8} {:>9}",
            "category", "tp", "fp", "fn", "recall", "precision"
        );
        for (category, c) in &counts {
            total.add(*c);
            println!(
                "  {category:<20} {:>4} {:>4} {:>4} {:>8.3} {:>9.3}",
                c.tp,
                c.fp,
                c.fn_,
                c.recall(),
                c.precision()
            );
            if c.recall() < MIN_RECALL || c.precision() < MIN_PRECISION {
                failures.push(format!(
                    "{engine}/{category}: recall {:.3}, precision {:.3}",
                    c.recall(),
                    c.precision()
                ));
            }
        }
        println!(
            "  {:<20} {:>4} {:>4} {:>4} {:>8.3} {:>9.3}",
            "TOTAL",
            total.tp,
            total.fp,
            total.fn_,
            total.recall(),
            total.precision()
        );
    }
    assert!(failures.is_empty(), "below the floors: {failures:?}");
}
