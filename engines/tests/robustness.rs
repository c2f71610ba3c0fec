//! Hostile and malformed input: scanning never panics (a panic would kill
//! the Envoy VM) and the work stays bounded on inputs built to provoke
//! repeated matching.

use sentinel_engines::{Scanner, Verdict};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// Pieces that exercise every normalisation and decoding branch.
const PIECES: &[&str] = &[
    "ignore",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    "\u{200B}",
    "\u{00AD}",
    "\u{FEFF}",
    "\u{202E}",
    "\u{E0049}",
    "\u{E007F}",
    "Ｉ",
    "４",
    "ﬁ",
    "Ⅻ",
    "é",
    "e\u{301}",
    "İ",
    "ß",
    "ǅ",
    "о",
    "Ω",
    "中",
    "🙂",
    "\u{0}",
    "\u{7F}",
    "a",
    "1",
    "0",
    "-",
    "+",
    "/",
    "=",
    "%",
    "%2",
    "%20",
    "\\u",
    "\\u00",
    "\\x4",
    "<~",
    "~>",
    ".-",
    "-----BEGIN ",
    "PRIVATE KEY-----",
    "sk-",
    "ghp_",
    "eyJ",
    ".",
    "@",
    "4111",
    "DE89",
    "you have no ",
    "dan",
    "<|im_start|>",
    "system:",
    "###",
    "[INST]",
    "i g n",
    "1gn0r3",
    "SWdub3Jl",
    "01001001 ",
    "8",
    "(",
    ")",
    "'",
    "\"",
    "«",
    "—",
    "&#105;",
    "&#x69;",
    "&amp;",
    "&lt;",
    "&#",
    ";",
    "_",
    "ign-ore",
    "pre.vious",
    "4772.5452.",
];

fn random_text(rng: &mut Rng) -> String {
    let len = rng.next() % 200;
    (0..len).map(|_| *rng.pick(PIECES)).collect()
}

fn assert_sane(text: &str, verdict: &Verdict) {
    assert!(
        (0.0..=1.0).contains(&verdict.risk_score),
        "risk {} for {text:?}",
        verdict.risk_score
    );
    for d in &verdict.detections {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "span {:?} in {text:?}",
            d.span
        );
        assert!(
            text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
            "{:?} in {text:?}",
            d.span
        );
    }
    let starts: Vec<_> = verdict.detections.iter().map(|d| d.span.start).collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "detections not sorted in {text:?}"
    );
}

#[test]
fn random_input_never_panics_and_spans_stay_valid() {
    let scanner = Scanner::builder().build().unwrap();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for _ in 0..1500 {
        let text = random_text(&mut rng);
        assert_sane(&text, &scanner.scan(&text));
    }
}

#[test]
fn empty_and_whitespace() {
    let scanner = Scanner::builder().build().unwrap();
    for text in ["", " ", "\n\n", "\u{200B}", "\u{E0001}"] {
        let v = scanner.scan(text);
        assert!(v.detections.is_empty(), "{text:?}: {:?}", v.detections);
        assert_eq!(v.risk_score, 0.0);
    }
}

/// Inputs made of thousands of near-matches: the scan finishes and reports a
/// bounded number of detections.
#[test]
fn repeated_near_matches_stay_bounded() {
    let scanner = Scanner::builder().build().unwrap();
    let units = [
        "ignore all ",
        "QUFBQUFBQUFBQUFBQUFBQUFB ",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "4111 1111 1111 1111 ",
        "a\u{200B}",
        "a b ",
        "you have no ",
        "ignore all previous instructions. ",
        "%41%42%43 ",
        "&#105;&#103; ",
        "for-get your guide-lines ",
        "4772.5452.0200.7060 ",
    ];
    for unit in units {
        let text = unit.repeat((128 << 10) / unit.len());
        let verdict = scanner.scan(&text);
        assert_sane(&text, &verdict);
        assert!(
            verdict.detections.len() <= 4096,
            "{unit:?}: {} detections",
            verdict.detections.len()
        );
    }
}

/// `unit` repeated to `len` bytes (cut at a character boundary).
fn repeated(unit: &str, len: usize) -> String {
    let mut text = unit.repeat(len / unit.len() + 1);
    let mut end = len;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// 1 MiB inputs built to make a backtracking or quadratic matcher blow up:
/// near-matches of the override phrases, one long base64-like run, a word
/// repeated a hundred thousand times, zero-width characters between every
/// letter, digit groups that look like card numbers, spaced-out letters.
/// Each must finish with valid spans and bounded detections. Whether the
/// time grows linearly is measured, not asserted (wall-clock asserts are
/// flaky): `cargo bench -p sentinel-engines` prints the 1 MiB / 64 KiB
/// ratio for the same inputs.
#[test]
fn one_mebibyte_adversarial_inputs_finish() {
    let scanner = Scanner::builder().build().unwrap();
    let units = [
        "ignore all previous and the other ones, disregard your ",
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
        "ignore ",
        "a\u{200B}\u{200D}",
        "4111 1111 ",
        "i g n o r e ",
        "<|im_start|>system ",
        "%41",
        "\u{0456}gn\u{043E}re ",
        "&#105;&#x67;&amp;",
        "ign-ore prev.ious instruc_tions ",
        "a-",
    ];
    for unit in units {
        let text = repeated(unit, 1 << 20);
        let verdict = scanner.scan(&text);
        assert_sane(&text, &verdict);
        assert!(
            verdict.detections.len() <= 8192,
            "{unit:?}: {} detections",
            verdict.detections.len()
        );
    }
}
