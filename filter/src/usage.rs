//! LLM token usage read from a response as it streams by: the last bytes of
//! the body are kept (bounded), and the usage object nearest its end is
//! read when it ends. That covers a JSON answer (`usage` comes last) and a
//! stream's final chunk alike, whatever the body's size.

use serde_json::Value;

/// Bytes of the body's end that are kept: far more than a usage object
/// and the closing of a response.
pub const TAIL_BYTES: usize = 16 * 1024;
/// Occurrences of a usage key looked at, from the end (a stream repeats
/// `"usage": null` in its chunks before the real one).
const CANDIDATES: usize = 8;

/// The end of a response body, seen chunk by chunk.
#[derive(Debug, Default)]
pub struct Tail(Vec<u8>);

impl Tail {
    pub fn push(&mut self, chunk: &[u8]) {
        self.0.extend_from_slice(chunk);
        // Trimmed in steps, so a body of many small chunks costs linear time.
        if self.0.len() > 2 * TAIL_BYTES {
            let cut = self.0.len() - TAIL_BYTES;
            self.0.drain(..cut);
        }
    }

    /// The tokens the response reports, if it does.
    pub fn tokens(&self) -> Option<u64> {
        tokens(&self.0)
    }
}

/// Tokens of the last usage object in `body`: Gemini's
/// `usageMetadata.totalTokenCount`, OpenAI's `usage.total_tokens` (or
/// prompt plus completion), Anthropic's `usage.input_tokens +
/// output_tokens`; or Ollama's counts, which have no object of their own.
pub fn tokens(body: &[u8]) -> Option<u64> {
    [&b"\"usageMetadata\""[..], &b"\"usage\""[..]]
        .into_iter()
        .find_map(|key| last_object_after(body, key))
        .and_then(|usage| count(&usage))
        .or_else(|| ollama(body))
}

/// Ollama's `prompt_eval_count + eval_count`, at the top of its answer or
/// of its stream's `done` line. Read as the numbers after the last of each
/// key, since the object may have begun before the tail.
fn ollama(body: &[u8]) -> Option<u64> {
    let eval = last_number_after(body, b"\"eval_count\"")?;
    let prompt = last_number_after(body, b"\"prompt_eval_count\"").unwrap_or(0);
    Some(prompt.saturating_add(eval))
}

fn last_number_after(body: &[u8], key: &[u8]) -> Option<u64> {
    let at = body.windows(key.len()).rposition(|w| w == key)?;
    let rest = body.get(at + key.len()..)?;
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}

/// The JSON object that follows the last of the final few occurrences of
/// `key` (a quoted name) that is followed by one.
fn last_object_after(body: &[u8], key: &[u8]) -> Option<Value> {
    let mut end = body.len();
    for _ in 0..CANDIDATES {
        let at = body
            .get(..end)?
            .windows(key.len())
            .rposition(|w| w == key)?;
        end = at;
        let rest = body.get(at + key.len()..)?;
        let rest = rest
            .trim_ascii_start()
            .strip_prefix(b":")?
            .trim_ascii_start();
        if rest.first() == Some(&b'{') {
            let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
            if let Some(Ok(value)) = values.next() {
                return Some(value);
            }
        }
    }
    None
}

fn count(usage: &Value) -> Option<u64> {
    let field = |name: &str| usage.get(name).and_then(Value::as_u64);
    field("totalTokenCount")
        .or_else(|| field("total_tokens"))
        .or_else(|| {
            Some(field("prompt_tokens")?.saturating_add(field("completion_tokens").unwrap_or(0)))
        })
        .or_else(|| {
            Some(
                field("input_tokens")
                    .unwrap_or(0)
                    .saturating_add(field("output_tokens")?),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_api_shape() {
        let openai = br#"{"id":"x","choices":[{"message":{"content":"hi"}}],
            "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
        assert_eq!(tokens(openai), Some(15));
        let anthropic = br#"{"content":[{"type":"text","text":"hi"}],
            "usage":{"input_tokens":12,"output_tokens":7}}"#;
        assert_eq!(tokens(anthropic), Some(19));
        let gemini = br#"{"candidates":[],"usageMetadata":{"promptTokenCount":3,
            "candidatesTokenCount":4,"totalTokenCount":7}}"#;
        assert_eq!(tokens(gemini), Some(7));
        let partial = br#"{"usage":{"prompt_tokens":10}}"#;
        assert_eq!(tokens(partial), Some(10));
        let ollama = br#"{"message":{"content":"hi"},"done":true,
            "prompt_eval_count":26,"eval_count":290,"eval_duration":4709213000}"#;
        assert_eq!(tokens(ollama), Some(316));
    }

    #[test]
    fn a_stream_reports_in_its_last_chunk() {
        let sse = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n\
            data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n\
            data: [DONE]\n\n";
        assert_eq!(tokens(sse), Some(11));
        let without = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n";
        assert_eq!(tokens(without), None);
        let lines = b"{\"message\":{\"content\":\"a\"},\"done\":false}\n\
            {\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":9,\"eval_count\":2}\n";
        assert_eq!(tokens(lines), Some(11));
    }

    #[test]
    fn nothing_to_read() {
        assert_eq!(tokens(b""), None);
        assert_eq!(tokens(b"{\"usage\":"), None);
        assert_eq!(tokens(b"{\"usage\":{\"prompt_tokens\":\"many\"}}"), None);
        assert_eq!(tokens(b"not json \"usage\" at all"), None);
        assert_eq!(tokens(b"{\"eval_count\":\"many\"}"), None);
        // Counts an upstream made up do not overflow.
        let huge = format!(
            "{{\"usage\":{{\"prompt_tokens\":{0},\"completion_tokens\":{0}}}}}",
            u64::MAX
        );
        assert_eq!(tokens(huge.as_bytes()), Some(u64::MAX));
    }

    #[test]
    fn the_tail_keeps_the_end_of_a_long_body() {
        let mut tail = Tail::default();
        let filler = vec![b'x'; 1000];
        for _ in 0..200 {
            tail.push(&filler);
        }
        tail.push(br#"{"usage":{"total_tokens":42}}"#);
        assert!(tail.0.len() <= 2 * TAIL_BYTES);
        assert_eq!(tail.tokens(), Some(42));
    }
}
