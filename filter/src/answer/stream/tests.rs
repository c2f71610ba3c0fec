use super::*;
use crate::answer::policy::Mode;
use crate::answer::sse::Parser;
use sentinel_engines::{Allowlist, Engine, Scanner};
use serde_json::json;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";

fn scanner() -> Scanner {
    Scanner::builder()
        .engines(&[Engine::Pii, Engine::Secrets, Engine::Exfiltration])
        .build()
        .unwrap()
}

fn openai(deltas: &[&str]) -> Vec<u8> {
    let chunk = |delta: Value, finish: Value| {
        let event = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {event}\n\n")
    };
    let mut out = chunk(json!({"role": "assistant", "content": ""}), Value::Null);
    for d in deltas {
        out += &chunk(json!({"content": d}), Value::Null);
    }
    out += &chunk(json!({}), json!("stop"));
    out += "data: [DONE]\n\n";
    out.into_bytes()
}

/// Cuts `bytes` at pseudo-random offsets (1..=max) from `seed`.
fn cuts(bytes: &[u8], seed: u64, max: usize) -> Vec<&[u8]> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (1 + (state % max as u64) as usize).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        out.push(piece);
        rest = tail;
    }
    out
}

/// Runs `body` through a stream in the given pieces; returns what the
/// client gets and the stream.
fn run(pieces: &[&[u8]], mode: Mode, window: usize) -> (Vec<u8>, Stream) {
    run_framed(Framing::Sse, pieces, mode, window)
}

fn run_framed(framing: Framing, pieces: &[&[u8]], mode: Mode, window: usize) -> (Vec<u8>, Stream) {
    let scanner = scanner();
    let allow = Allowlist::default();
    let judge = Judge::new(&scanner, &allow, crate::answer::no_leakage(), mode);
    let mut stream = Stream::new(
        framing,
        Some(Format::OpenAiChat),
        "req-1".into(),
        window,
        Unscanned::Block,
    );
    let mut out = Vec::new();
    for piece in pieces {
        out.extend(stream.push(piece, &judge));
    }
    out.extend(stream.finish(&judge));
    (out, stream)
}

/// The concatenated `delta.content` of an OpenAI stream, and its events.
fn content_of(sse: &[u8]) -> (String, Vec<Value>) {
    let mut parser = Parser::new(1 << 20);
    let mut events = Vec::new();
    parser.push(sse, &mut events).unwrap();
    assert!(parser.finish().is_none(), "ends on an event boundary");
    let mut text = String::new();
    let mut values = Vec::new();
    for e in events {
        let Some(data) = e.data else { continue };
        if data == "[DONE]" {
            values.push(json!("[DONE]"));
            continue;
        }
        let v: Value = serde_json::from_str(&data).expect("every event is JSON");
        if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
            text += t;
        }
        values.push(v);
    }
    (text, values)
}

fn leaky() -> Vec<u8> {
    let deltas = leaky_deltas();
    let refs: Vec<&str> = deltas.iter().map(String::as_str).collect();
    openai(&refs)
}

/// An answer that spells a key across 5 deltas, amid prose.
fn leaky_deltas() -> Vec<String> {
    let filler = "Here is a long and friendly answer that goes on for a while. ";
    let mut deltas: Vec<String> = filler
        .repeat(3)
        .split_inclusive(' ')
        .map(String::from)
        .collect();
    deltas.push("The key is ".into());
    // The key spelled across 5 deltas.
    for part in ["AKIA", "IOSFO", "DNN7E", "XAMP", "LE"] {
        deltas.push(part.into());
    }
    deltas.push(" and that is all. ".into());
    deltas.extend(filler.repeat(2).split_inclusive(' ').map(String::from));
    deltas
}

/// An Ollama chat stream: a JSON line per delta, then the `done` line.
fn ollama(deltas: &[String]) -> Vec<u8> {
    let line = |content: &str, done: bool| {
        let mut line = json!({"model": "m", "created_at": "t",
            "message": {"role": "assistant", "content": content}, "done": done});
        if done {
            line["eval_count"] = json!(deltas.len());
        }
        format!("{line}\n")
    };
    let mut out: String = deltas.iter().map(|d| line(d, false)).collect();
    out += &line("", true);
    out.into_bytes()
}

/// The lines of an NDJSON stream as JSON, and the joined `message.content`.
fn lines_of(out: &[u8]) -> (Vec<Value>, String) {
    let text = std::str::from_utf8(out).unwrap();
    assert!(text.ends_with('\n'), "ends on a line boundary");
    let values: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let content = values
        .iter()
        .filter_map(|v| v["message"]["content"].as_str())
        .collect();
    (values, content)
}

#[test]
fn ollama_lines_are_judged_like_events() {
    let body = ollama(&leaky_deltas());
    for seed in 0..20 {
        let pieces = cuts(&body, seed, 40);
        let (out, _) = run_framed(Framing::Lines, &pieces, Mode::Redact, 64);
        assert!(
            !String::from_utf8_lossy(&out).contains("AKIA"),
            "seed {seed}"
        );
        let (values, content) = lines_of(&out);
        assert!(
            content.contains("The key is [REDACTED:aws_access_key] and that is all."),
            "{content}"
        );
        assert_eq!(values.last().unwrap()["done"], true);

        let (out, stream) = run_framed(Framing::Lines, &pieces, Mode::Block, 64);
        assert!(
            !String::from_utf8_lossy(&out).contains("AKIA"),
            "seed {seed}"
        );
        let (values, _) = lines_of(&out);
        let last = values.last().unwrap();
        assert_eq!(last["code"], "aws_access_key");
        assert!(last["error"].is_string(), "Ollama clients raise `error`");
        assert_eq!(stream.blocked.as_deref(), Some("aws_access_key"));
    }
    let clean: Vec<String> = "Paris is lovely in spring, they say. "
        .repeat(8)
        .split_inclusive(' ')
        .map(String::from)
        .collect();
    let body = ollama(&clean);
    let (out, _) = run_framed(Framing::Lines, &cuts(&body, 5, 40), Mode::Redact, 64);
    assert_eq!(out, body, "a clean stream passes byte for byte");
}

#[test]
fn a_key_split_across_deltas_and_chunks_never_reaches_the_client() {
    let body = leaky();
    for seed in 0..40 {
        let (out, stream) = run(&cuts(&body, seed, 40), Mode::Redact, 64);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(!text.contains(KEY), "seed {seed}");
        let (content, events) = content_of(&out);
        assert!(
            content.contains("The key is [REDACTED:aws_access_key] and that is all."),
            "{content}"
        );
        assert_eq!(events.last(), Some(&json!("[DONE]")));
        assert_eq!(stream.found.len(), 1);
    }
}

#[test]
fn a_clean_stream_passes_byte_for_byte() {
    let filler = "Paris is the capital of France, and it is lovely in spring. ";
    let text = filler.repeat(10);
    let deltas: Vec<&str> = text.split_inclusive(' ').collect();
    let body = openai(&deltas);
    for seed in 0..20 {
        let (out, stream) = run(&cuts(&body, seed, 40), Mode::Redact, 64);
        assert_eq!(out, body, "seed {seed}");
        assert!(stream.found.is_empty());
    }
}

#[test]
fn events_without_text_leave_at_once() {
    let scanner = scanner();
    let allow = Allowlist::default();
    let judge = Judge::new(&scanner, &allow, crate::answer::no_leakage(), Mode::Redact);
    let mut stream = Stream::new(Framing::Sse, None, "r".into(), 64, Unscanned::Block);
    let first = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n";
    assert_eq!(stream.push(first, &judge), first.to_vec());
    let text = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
    assert!(
        stream.push(text, &judge).is_empty(),
        "text waits for its window"
    );
    assert_eq!(stream.finish(&judge), text.to_vec());
}

#[test]
fn block_ends_the_stream_with_an_error_event() {
    let body = leaky();
    for seed in 0..10 {
        let (out, stream) = run(&cuts(&body, seed, 40), Mode::Block, 64);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(!text.contains(KEY) && !text.contains("AKIA"), "seed {seed}");
        let (_, events) = content_of(&out);
        let n = events.len();
        assert_eq!(events[n - 1], json!("[DONE]"));
        assert_eq!(events[n - 2]["error"]["code"], "aws_access_key");
        assert_eq!(events[n - 2]["error"]["request_id"], "req-1");
        assert_eq!(stream.blocked.as_deref(), Some("aws_access_key"));
    }
}

#[test]
fn monitor_passes_everything_and_counts() {
    let body = leaky();
    let (out, stream) = run(&cuts(&body, 3, 40), Mode::Monitor, 64);
    assert_eq!(out, body);
    assert_eq!(stream.found.len(), 1);
}

#[test]
fn anthropic_deltas_are_masked() {
    let mut body = String::from("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"role\":\"assistant\",\"content\":[]}}\n\n");
    body += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    for part in [
        "Mail me at jan",
        "e.doe@exa",
        "mple.com please",
        ", thanks.",
    ] {
        let event = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}});
        body += &format!("event: content_block_delta\ndata: {event}\n\n");
    }
    body += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let (out, stream) = run(&cuts(body.as_bytes(), 7, 30), Mode::Redact, 32);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("jane.doe"), "{text}");
    assert!(
        text.contains("event: content_block_delta\ndata: {"),
        "{text}"
    );
    assert!(text.contains("[REDACTED:email]"));
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    assert_eq!(stream.found.len(), 1);
}

#[test]
fn data_that_is_not_json_is_judged_as_text() {
    let body = b"data: plain words then jane.doe@example.com and more\n\n: a comment\n\n";
    let (out, stream) = run(&[&body[..]], Mode::Redact, 32);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("data: plain words then [REDACTED:email] and more\n\n"),
        "{text}"
    );
    assert!(text.ends_with(": a comment\n\n"));
    assert_eq!(stream.found.len(), 1);
}

#[test]
fn an_event_cut_off_by_the_upstream_is_dropped_like_a_client_would() {
    let whole = openai(&["Your key: AKIAIOSFO"]);
    let mut body = whole[..whole.len() - b"data: [DONE]\n\n".len()].to_vec();
    body.extend_from_slice(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"DNN7EXAMPLE\"",
    );
    let (out, stream) = run(&cuts(&body, 5, 30), Mode::Redact, 32);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("DNN7EXAMPLE"));
    let (content, _) = content_of(&out);
    assert_eq!(content, "Your key: AKIAIOSFO");
    assert!(stream.truncated);
}

#[test]
fn a_last_event_without_its_blank_line_is_kept() {
    let body = openai(&["fine"]);
    let cut = &body[..body.len() - 1];
    let (out, stream) = run(&[cut], Mode::Redact, 32);
    assert_eq!(out, cut);
    assert!(!stream.truncated);
}

#[test]
fn an_oversize_event_is_refused_or_passed_and_counted() {
    let scanner = scanner();
    let allow = Allowlist::default();
    let judge = Judge::new(&scanner, &allow, crate::answer::no_leakage(), Mode::Redact);
    let huge = format!("data: {}\n\n", "x".repeat(MAX_EVENT_BYTES + 20_000));
    let pieces: Vec<&[u8]> = huge.as_bytes().chunks(16 * 1024).collect();
    let mut blocked = Stream::new(
        Framing::Sse,
        Some(Format::OpenAiChat),
        "r".into(),
        64,
        Unscanned::Block,
    );
    let mut out = Vec::new();
    for piece in &pieces {
        out.extend(blocked.push(piece, &judge));
    }
    out.extend(blocked.finish(&judge));
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("data: {\"error\""),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(text.contains("sentinel_unscanned"));
    assert!(text.ends_with("data: [DONE]\n\n"));
    assert_eq!(blocked.unscannable, 1);

    let mut passed = Stream::new(
        Framing::Sse,
        Some(Format::OpenAiChat),
        "r".into(),
        64,
        Unscanned::Pass,
    );
    let mut out = Vec::new();
    for piece in &pieces {
        out.extend(passed.push(piece, &judge));
    }
    out.extend(passed.finish(&judge));
    assert!(out == huge.as_bytes(), "passed as it came");
    assert_eq!(passed.unscannable, 1);
}

#[test]
fn tool_call_arguments_are_a_channel_of_their_own() {
    let mut body = String::new();
    for part in ["{\"to\": \"jane.d", "oe@example.com\"}"] {
        let event = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
            "function": {"arguments": part}}]}}]});
        body += &format!("data: {event}\n\n");
    }
    let (out, _) = run(&[body.as_bytes()], Mode::Redact, 32);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("jane.d"), "{text}");
    assert!(text.contains("REDACTED:email"), "{text}");
}

#[test]
fn canaries_and_an_echoed_prompt_are_caught_in_flight() {
    let prompt = "You are the Acme support assistant. Never reveal the internal refund \
        rules, and hand every refund above 500 euros to a human agent.";
    let shingles = sentinel_engines::fingerprint(prompt).into_iter().collect();
    let fingerprint = sentinel_engines::Fingerprint {
        id: "support".into(),
        shingles,
    };
    let leakage =
        sentinel_engines::Leakage::new(&["CANARY-7f3a9c51".into()], vec![fingerprint], 0.3)
            .unwrap();
    let scanner = scanner();
    let allow = Allowlist::default();
    let judge = Judge::new(&scanner, &allow, &leakage, Mode::Redact);

    let answer = format!("My marker is CANARY-7f3a9c51 and my orders: {prompt} Bye now.");
    let deltas: Vec<String> = answer
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let refs: Vec<&str> = deltas.iter().map(String::as_str).collect();
    let body = openai(&refs);
    let mut stream = Stream::new(Framing::Sse, None, "r".into(), 32, Unscanned::Block);
    let mut out = Vec::new();
    for piece in cuts(&body, 11, 40) {
        out.extend(stream.push(piece, &judge));
    }
    out.extend(stream.finish(&judge));
    let (content, _) = content_of(&out);
    assert!(!content.contains("CANARY-7f3a9c51"), "{content}");
    assert!(content.contains("[REDACTED:canary]"), "{content}");
    assert!(
        content.contains("[REDACTED:system_prompt_leak]"),
        "{content}"
    );
    assert!(content.ends_with("Bye now."), "{content}");
    // Once the echo is substantial, the rest of the prompt is masked.
    assert!(!content.contains("human agent"), "{content}");
}
