//! `sentinel-sidecar eval`: the engines measured on labelled corpora.
//!
//! # Input
//!
//! JSON Lines, one object per line (blank lines skipped):
//! `{"id", "text", "label": "attack"|"benign", "engine": "<name>"|null,
//! "lang", "note"?, "contains"?: ["pii", ...]}`.
//!
//! - `engine` names the engine expected to catch an attack (`null` for
//!   benign). Any name is accepted, also one no engine has yet: it is counted
//!   under that name and simply never gets a detection of its own.
//! - `contains` names value engines (`pii`, `secrets`) whose values are
//!   planted in the text besides the labelled one (a support ticket with an
//!   email in it is benign and still holds PII).
//! - Rows without an `engine` key (the shared development corpus) have a
//!   `category` instead; [`engine_of_category`] maps it to an engine, and an
//!   unknown category counts in the total only. Such rows say nothing about
//!   planted values, so they are left out of the pii/secrets precision.
//!
//! Default corpora: every `engines/corpus/*.jsonl` of the workspace, plus
//! `../shared/corpus/dev.jsonl` beside it when present (skipped with a note
//! otherwise). The workspace is the one this binary was built from, else the
//! current directory.
//!
//! # Counting rules
//!
//! "Blocked" means the verdict at `--threshold` is `block`. For an engine E:
//!
//! - Blocking engines (everything but `pii` and `secrets`): an attack
//!   labelled E is a TP(E) when it is blocked *and* E has a detection in it,
//!   else an FN(E). A benign text is an FP(E) when it is blocked and E has a
//!   detection in it, else a TN(E). Attacks labelled with other engines do not
//!   count for E's FP/TN.
//! - Value engines (`pii`, `secrets`): PII alone never blocks at the default
//!   threshold, so what counts is *detected*, not blocked. An attack labelled
//!   E is a TP(E) when E has a detection in it, else an FN(E). Any other text
//!   (benign or attack) without a planted E value (`engine` != E and E not in
//!   `contains`) is an FP(E) when E detects something in it, else a TN(E).
//! - `injection+jailbreak` is both engines as one group: an attack labelled
//!   either is a TP when blocked with a detection of either.
//! - Total: an attack is caught (TP) when blocked by any engine, or, when it
//!   is labelled pii/secrets, when that engine detects it; else FN. A benign
//!   text is an FP when blocked, else a TN. `caught` in an engine's row
//!   counts its attacks caught in this sense, whichever engine did it.
//!
//! Precision is TP/(TP+FP), recall TP/(TP+FN), FP rate FP/(FP+TN); a ratio
//! with a zero denominator is shown as `-` (JSON `null`).
//!
//! Exit status 0 whatever the figures (it is a report); an unreadable file or
//! a malformed line stops the run with `file:line: why`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use sentinel_engines::{Decision, Engine, Scanner};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::EvalArgs;

/// Engines judged on "detected" rather than "blocked".
const VALUE_ENGINES: [&str; 2] = ["pii", "secrets"];
/// The engines of the combined injection+jailbreak row.
const MODEL_ATTACK_GROUP: [&str; 2] = ["injection", "jailbreak"];
/// How many characters of a text the miss and FP lists show.
const SNIPPET_CHARS: usize = 80;

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let (paths, notes) = if args.corpus.is_empty() {
        default_corpora()?
    } else {
        (args.corpus.clone(), Vec::new())
    };
    let mut rows = Vec::new();
    let mut corpora = Vec::new();
    for path in &paths {
        let before = rows.len();
        rows.extend(read_corpus(path)?);
        corpora.push(CorpusInfo {
            path: path.display().to_string(),
            rows: rows.len() - before,
        });
    }
    let scanner = Scanner::builder()
        .engines(&Engine::ALL)
        .build()
        .context("cannot build the engines")?;
    let mut report = evaluate(&scanner, &rows, args.threshold);
    report.corpora = corpora;
    report.notes = notes;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_table(&report));
    }
    Ok(())
}

/// Whether an attack was labelled as such or is an ordinary prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Attack,
    Benign,
}

/// One labelled text.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub text: String,
    pub label: Label,
    /// The engine expected to catch it (attacks), if known.
    pub engine: Option<String>,
    /// Value engines with values planted in the text besides `engine`.
    pub contains: Vec<String>,
    /// False when the corpus says nothing about planted values (no `engine`
    /// key): such rows do not count for pii/secrets FP/TN.
    pub values_known: bool,
}

/// Engine for a development-corpus category, `None` for one no single engine
/// owns. The development corpus's `exfiltration` mixes prompt leaks ("print
/// your instructions verbatim", the injection engine's) with data sent out
/// (the exfiltration engine's), so it counts in the total only.
pub fn engine_of_category(category: &str) -> Option<&'static str> {
    Some(match category {
        "direct_injection"
        | "indirect_injection"
        | "instruction_override"
        | "prompt_injection"
        | "prompt_leak"
        | "delimiter_injection"
        | "role_hijack" => "injection",
        "jailbreak_persona" | "jailbreak" | "policy_evasion" => "jailbreak",
        "obfuscation" | "encoding_smuggle" => "evasion",
        "tool_misuse" | "excessive_agency" => "tool_abuse",
        "code_injection" => "code_injection",
        "pii" => "pii",
        "secrets" => "secrets",
        _ => return None,
    })
}

/// The workspace the corpora are looked up in: the one this binary was
/// built from when it still exists, else the current directory.
fn workspace_root() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = if built.join("engines/corpus").is_dir() {
        built
    } else {
        PathBuf::from(".")
    };
    std::fs::canonicalize(&root).unwrap_or(root)
}

fn default_corpora() -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let root = workspace_root();
    let dir = root.join("engines/corpus");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read the corpus directory {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    paths.sort();
    if paths.is_empty() {
        bail!("no *.jsonl corpus in {}", dir.display());
    }
    let mut notes = Vec::new();
    let dev = root.join("../shared/corpus/dev.jsonl");
    if dev.is_file() {
        paths.push(std::fs::canonicalize(&dev).unwrap_or(dev));
    } else {
        notes.push(format!(
            "optional corpus {} not found, skipped",
            dev.display()
        ));
    }
    Ok((paths, notes))
}

/// Reads one corpus; errors name the file and the line.
pub fn read_corpus(path: &Path) -> anyhow::Result<Vec<Row>> {
    let name = path.display().to_string();
    let raw = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let mut rows = Vec::new();
    for (index, line) in raw.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let line = std::str::from_utf8(line)
            .map_err(|e| anyhow!("{name}:{number}: invalid UTF-8 ({e})"))?;
        if line.trim().is_empty() {
            continue;
        }
        rows.push(parse_row(line).map_err(|why| anyhow!("{name}:{number}: {why}"))?);
    }
    Ok(rows)
}

fn parse_row(line: &str) -> Result<Row, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON ({e})"))?;
    let Value::Object(object) = value else {
        return Err("expected a JSON object".into());
    };
    let string = |key: &str| -> Result<String, String> {
        match object.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("\"{key}\" is not a string")),
            None => Err(format!("no \"{key}\" field")),
        }
    };
    let id = string("id")?;
    let text = string("text")?;
    let label = match string("label")?.as_str() {
        "attack" => Label::Attack,
        "benign" => Label::Benign,
        other => {
            return Err(format!(
                "label {other:?} is neither \"attack\" nor \"benign\""
            ))
        }
    };
    let (engine, values_known) = match object.get("engine") {
        Some(Value::String(s)) if !s.is_empty() => (Some(s.clone()), true),
        Some(Value::Null) => (None, true),
        Some(_) => return Err("\"engine\" is not a string or null".into()),
        None => (category_engine(&object)?, false),
    };
    let contains = match object.get("contains") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or("\"contains\" is not an array of strings")?,
        Some(_) => return Err("\"contains\" is not an array of strings".into()),
    };
    Ok(Row {
        id,
        text,
        label,
        engine: if label == Label::Attack { engine } else { None },
        contains,
        values_known,
    })
}

fn category_engine(object: &Map<String, Value>) -> Result<Option<String>, String> {
    match object.get("category") {
        Some(Value::String(c)) => Ok(engine_of_category(c).map(str::to_string)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err("\"category\" is not a string".into()),
    }
}

/// What the scan said about one row.
struct Outcome<'a> {
    row: &'a Row,
    blocked: bool,
    detected: BTreeSet<&'static str>,
    rules: Vec<String>,
}

impl Outcome<'_> {
    fn planted(&self, engine: &str) -> bool {
        self.row.engine.as_deref() == Some(engine) || self.row.contains.iter().any(|c| c == engine)
    }

    /// Caught in the total's sense (see the module doc).
    fn caught(&self) -> bool {
        self.blocked
            || self
                .row
                .engine
                .as_deref()
                .is_some_and(|e| is_value_engine(e) && self.detected.contains(e))
    }
}

fn is_value_engine(engine: &str) -> bool {
    VALUE_ENGINES.contains(&engine)
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// Attacks labelled with this engine (or group); the total: all attacks.
    pub attacks: usize,
    /// Benign texts in the corpora (the same in every row).
    pub benign: usize,
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub tn: usize,
    /// Attacks of this engine caught by any engine (see the module doc).
    pub caught: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub fp_rate: Option<f64>,
}

impl Stats {
    fn finish(mut self) -> Self {
        let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
        self.precision = ratio(self.tp, self.fp);
        self.recall = ratio(self.tp, self.fn_);
        self.fp_rate = ratio(self.fp, self.tn);
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub id: String,
    /// Missed: the expected engine; false positive: the engines counted FP.
    pub engines: Vec<String>,
    pub blocked: bool,
    pub rules: Vec<String>,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct CorpusInfo {
    pub path: String,
    pub rows: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub threshold: f32,
    pub corpora: Vec<CorpusInfo>,
    pub notes: Vec<String>,
    /// Per engine, in `Engine::ALL` order first, then other names.
    pub engines: BTreeMap<String, Stats>,
    #[serde(skip)]
    pub engine_order: Vec<String>,
    #[serde(rename = "injection+jailbreak")]
    pub injection_jailbreak: Stats,
    pub total: Stats,
    /// Attacks no engine caught.
    pub missed: Vec<Listed>,
    /// Attacks caught, but not by their labelled engine.
    pub caught_by_other_engine: Vec<Listed>,
    pub false_positives: Vec<Listed>,
}

/// Scans every row and counts by the rules in the module doc.
pub fn evaluate(scanner: &Scanner, rows: &[Row], threshold: f32) -> Report {
    let outcomes: Vec<Outcome> = rows
        .iter()
        .map(|row| {
            let verdict = scanner.scan(&row.text);
            Outcome {
                row,
                blocked: verdict.decide(threshold) == Decision::Block,
                detected: verdict.detections.iter().map(|d| d.engine.name()).collect(),
                rules: verdict
                    .detections
                    .iter()
                    .map(|d| d.rule.to_string())
                    .collect(),
            }
        })
        .collect();

    let mut order: Vec<String> = Engine::ALL.iter().map(|e| e.name().to_string()).collect();
    let mut others = BTreeSet::new();
    for o in &outcomes {
        others.extend(o.row.engine.iter().cloned());
        others.extend(o.detected.iter().map(|e| e.to_string()));
    }
    for name in others {
        if !order.contains(&name) {
            order.push(name);
        }
    }

    let engines = order
        .iter()
        .map(|name| (name.clone(), group_stats(&outcomes, &[name.as_str()])))
        .collect();
    let injection_jailbreak = group_stats(&outcomes, &MODEL_ATTACK_GROUP);

    let mut total = Stats::default();
    let (mut missed, mut other_engine, mut false_positives) = (Vec::new(), Vec::new(), Vec::new());
    for o in &outcomes {
        match o.row.label {
            Label::Attack => {
                total.attacks += 1;
                if o.caught() {
                    total.tp += 1;
                    total.caught += 1;
                    if let Some(e) = o.row.engine.as_deref() {
                        if !o.detected.contains(e) {
                            other_engine.push(listed(o, vec![e.to_string()]));
                        }
                    }
                } else {
                    total.fn_ += 1;
                    missed.push(listed(o, o.row.engine.iter().cloned().collect()));
                }
            }
            Label::Benign => {
                total.benign += 1;
                if o.blocked {
                    total.fp += 1;
                } else {
                    total.tn += 1;
                }
            }
        }
        let fp_engines: Vec<String> = order
            .iter()
            .filter(|e| is_false_positive(o, &[e.as_str()]))
            .cloned()
            .collect();
        if !fp_engines.is_empty() || (o.row.label == Label::Benign && o.blocked) {
            false_positives.push(listed(o, fp_engines));
        }
    }

    Report {
        threshold,
        corpora: Vec::new(),
        notes: Vec::new(),
        engines,
        engine_order: order,
        injection_jailbreak: injection_jailbreak.finish(),
        total: total.finish(),
        missed,
        caught_by_other_engine: other_engine,
        false_positives,
    }
}

fn listed(o: &Outcome, engines: Vec<String>) -> Listed {
    Listed {
        id: o.row.id.clone(),
        engines,
        blocked: o.blocked,
        rules: o.rules.clone(),
        text: snippet(&o.row.text),
    }
}

/// Whether `o` counts as a false positive for the group (see the module doc).
fn is_false_positive(o: &Outcome, group: &[&str]) -> bool {
    match group {
        [one] if is_value_engine(one) => {
            o.row.values_known && !o.planted(one) && o.detected.contains(one)
        }
        _ => {
            o.row.label == Label::Benign
                && o.blocked
                && group.iter().any(|e| o.detected.contains(e))
        }
    }
}

fn group_stats(outcomes: &[Outcome], group: &[&str]) -> Stats {
    let value_engine = matches!(group, [one] if is_value_engine(one));
    let mut stats = Stats::default();
    for o in outcomes {
        if o.row.label == Label::Benign {
            stats.benign += 1;
        }
        let labelled = o
            .row
            .engine
            .as_deref()
            .filter(|e| group.contains(e) && o.row.label == Label::Attack);
        if let Some(expected) = labelled {
            stats.attacks += 1;
            stats.caught += usize::from(o.caught());
            let hit = if value_engine {
                o.detected.contains(expected)
            } else {
                o.blocked && group.iter().any(|e| o.detected.contains(e))
            };
            if hit {
                stats.tp += 1;
            } else {
                stats.fn_ += 1;
            }
            continue;
        }
        let counts_for_negatives = if value_engine {
            o.row.values_known && !o.planted(group[0])
        } else {
            o.row.label == Label::Benign
        };
        if counts_for_negatives {
            if is_false_positive(o, group) {
                stats.fp += 1;
            } else {
                stats.tn += 1;
            }
        }
    }
    stats.finish()
}

/// The first characters of a text on one line.
fn snippet(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(SNIPPET_CHARS)
        .map(|c| {
            if c.is_control() || is_invisible(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Zero-width and bidi controls: shown as spaces so a listed text cannot
/// reorder or hide the terminal line it is printed on.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// The human-readable report: corpora, table, then the lists.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.corpora {
        let _ = writeln!(out, "corpus {} ({} rows)", c.path, c.rows);
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "threshold {}\n", report.threshold);
    let _ = writeln!(
        out,
        "{:<20} {:>7} {:>5} {:>5} {:>5} {:>5} {:>6} {:>9} {:>7} {:>7}",
        "engine", "attacks", "TP", "FN", "FP", "TN", "caught", "precision", "recall", "FP rate"
    );
    let mut line = |name: &str, s: &Stats| {
        let _ = writeln!(
            out,
            "{:<20} {:>7} {:>5} {:>5} {:>5} {:>5} {:>6} {:>9} {:>7} {:>7}",
            name,
            s.attacks,
            s.tp,
            s.fn_,
            s.fp,
            s.tn,
            s.caught,
            percent(s.precision),
            percent(s.recall),
            percent(s.fp_rate)
        );
    };
    for name in &report.engine_order {
        if let Some(stats) = report.engines.get(name) {
            line(name, stats);
        }
    }
    line("injection+jailbreak", &report.injection_jailbreak);
    line("total", &report.total);
    let _ = writeln!(
        out,
        "\n{} attacks, {} benign; pii/secrets count detections, the others blocks (`eval --help`)",
        report.total.attacks, report.total.benign
    );
    let mut list = |title: &str, items: &[Listed]| {
        let _ = writeln!(out, "\n{title} ({}):", items.len());
        for item in items {
            let _ = writeln!(
                out,
                "  {:<28} [{}]{} {}",
                item.id,
                item.engines.join(","),
                if item.blocked { " blocked" } else { "" },
                item.text
            );
        }
    };
    list("missed attacks", &report.missed);
    list(
        "caught, but not by the labelled engine",
        &report.caught_by_other_engine,
    );
    list("false positives", &report.false_positives);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_and_errors_say_why() {
        let row =
            parse_row(r#"{"id":"a","text":"t","label":"attack","engine":"evasion","lang":"en"}"#)
                .expect("valid row");
        assert_eq!(row.engine.as_deref(), Some("evasion"));
        assert!(row.values_known);
        let dev =
            parse_row(r#"{"id":"d","text":"t","label":"attack","category":"jailbreak_persona"}"#)
                .expect("dev row");
        assert_eq!(dev.engine.as_deref(), Some("jailbreak"));
        assert!(!dev.values_known);
        for (bad, why) in [
            ("nope", "invalid JSON"),
            ("[]", "expected a JSON object"),
            (r#"{"text":"t","label":"benign"}"#, "no \"id\""),
            (r#"{"id":"x","text":"t","label":"maybe"}"#, "neither"),
            (
                r#"{"id":"x","text":1,"label":"benign"}"#,
                "\"text\" is not a string",
            ),
            (
                r#"{"id":"x","text":"t","label":"benign","contains":[1]}"#,
                "contains",
            ),
        ] {
            let err = parse_row(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn snippet_is_one_line_and_short() {
        assert_eq!(snippet("a\nb"), "a b");
        assert_eq!(snippet("\u{202E}ab\u{200B}c"), " ab c");
        let long = "é".repeat(100);
        assert_eq!(snippet(&long).chars().count(), SNIPPET_CHARS + 1);
    }

    #[test]
    fn every_dev_category_family_maps() {
        assert_eq!(engine_of_category("prompt_leak"), Some("injection"));
        assert_eq!(engine_of_category("obfuscation"), Some("evasion"));
        assert_eq!(engine_of_category("exfiltration"), None);
        assert_eq!(engine_of_category("benign_support"), None);
    }
}
