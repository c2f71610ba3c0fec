//! Property tests (run by plain `cargo test`): the stream judge never
//! panics on any stream cut anywhere, read as server-sent events or as
//! JSON lines, and in monitor mode it never
//! changes a byte: what leaves is the stream as it came (less an event the
//! upstream cut off at the end, which SSE clients drop too).
//!
//! Inputs: streams made of OpenAI and Anthropic events whose deltas mix
//! prose with pieces of keys, addresses and markdown links, comments,
//! events that are not JSON, stray CRs and arbitrary bytes, cut into chunks
//! of 1 to 64 bytes.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::select;
use sentinel_engines::{Allowlist, Engine, Leakage, Scanner};
use sentinel_filter::answer::framing::Framing;
use sentinel_filter::answer::policy::{Mode, Unscanned};
use sentinel_filter::answer::stream::Stream;
use sentinel_filter::answer::Judge;
use sentinel_filter::extract::Format;
use serde_json::json;

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    Scanner::builder()
        .engines(&[Engine::Pii, Engine::Secrets, Engine::Exfiltration])
        .build()
        .expect("the engines build")
});

const FRAGMENTS: &[&str] = &[
    "Hello",
    " there",
    ", ",
    "AKIA",
    "IOSFODNN7",
    "EXAMPLE",
    "jane.doe",
    "@example",
    ".com",
    "![x](https://evil.example/p.png?d=",
    "c2VjcmV0",
    ")",
    "\n",
    " ",
    "é",
    "日本",
    "\u{200b}",
    "\"",
    "\\",
    "ghp_",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

fn delta() -> impl Strategy<Value = String> {
    prop::collection::vec(select(FRAGMENTS), 0..4).prop_map(|parts| parts.concat())
}

fn event() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (delta(), 0u8..3).prop_map(|(text, choice)| {
            let chunk = json!({"choices": [{"index": choice, "delta": {"content": text}}]});
            format!("data: {chunk}\n\n").into_bytes()
        }),
        2 => (delta(), 0u8..2).prop_map(|(text, block)| {
            let delta = json!({"type": "content_block_delta", "index": block,
                               "delta": {"type": "text_delta", "text": text}});
            format!("event: content_block_delta\ndata: {delta}\n\n").into_bytes()
        }),
        1 => delta().prop_map(|text| format!("data: {}\n\n", text.replace('\n', " ")).into_bytes()),
        1 => Just(b": keep-alive\n\n".to_vec()),
        1 => Just(b"data: [DONE]\r\n\r\n".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ]
}

fn stream() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    (
        prop::collection::vec(event(), 0..24).prop_map(|events| events.concat()),
        prop::collection::vec(1usize..64, 1..32),
    )
}

/// What leaves for `body` cut into `cuts` (cycled), read as `framing`
/// says and judged in `mode`.
fn run(body: &[u8], cuts: &[usize], mode: Mode, framing: Framing) -> Vec<u8> {
    let allow = Allowlist::default();
    let leakage = Leakage::default();
    let judge = Judge::new(&SCANNER, &allow, &leakage, mode);
    let format = Some(Format::OpenAiChat);
    let mut stream = Stream::new(framing, format, "r".into(), 32, Unscanned::Pass);
    let mut out = Vec::new();
    let mut rest = body;
    for &n in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        out.extend(stream.push(chunk, &judge));
        rest = tail;
    }
    out.extend(stream.finish(&judge));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_in_any_mode((body, cuts) in stream()) {
        for mode in [Mode::Redact, Mode::Block] {
            for framing in [Framing::Sse, Framing::Lines] {
                let out = run(&body, &cuts, mode, framing);
                // What leaves is bounded by what came plus the masks and
                // one error event.
                prop_assert!(out.len() <= body.len() * 4 + 1024);
            }
        }
    }

    #[test]
    fn monitor_changes_no_byte((body, cuts) in stream()) {
        let out = run(&body, &cuts, Mode::Monitor, Framing::Sse);
        prop_assert!(body.starts_with(&out), "monitor output is the input, or a prefix of it");
        if body.ends_with(b"\n\n") || body.ends_with(b"\r\n\r\n") {
            prop_assert_eq!(out, body.clone());
        }
        // Read as JSON lines, every line is an event; all of them leave.
        let out = run(&body, &cuts, Mode::Monitor, Framing::Lines);
        prop_assert!(body.starts_with(&out));
        if body.ends_with(b"\n") {
            prop_assert_eq!(out, body);
        }
    }
}
