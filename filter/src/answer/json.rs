//! A JSON answer, buffered whole: every string in it is judged (message
//! content, tool-call arguments, whatever the API's shape, so a new shape
//! cannot slip past), and what was found is masked in place.

use sentinel_engines::{redact, Detection};
use serde_json::Value;

use super::Judge;

/// Members whose string values are names the API chose, not the model's
/// text: skipped, which saves a scan per member on every answer and event.
const NOT_TEXT: &[&str] = &[
    "id",
    "object",
    "model",
    "role",
    "type",
    "finish_reason",
    "stop_reason",
    "system_fingerprint",
    "status",
    "item_id",
    "event",
    "service_tier",
    "modelVersion",
    "responseId",
    "finishReason",
];

/// Whether a member named `key` holds a name the API chose, not text.
pub fn not_text(key: &str) -> bool {
    NOT_TEXT.contains(&key)
}

/// What judging a buffered answer found.
#[derive(Debug, Default)]
pub struct Judged {
    pub detections: Vec<Detection>,
    /// The answer with what was found masked, when the judge redacts and
    /// found something.
    pub redacted: Option<Vec<u8>>,
}

/// Judges a JSON answer. A body that is not JSON (a broken upstream) is
/// judged as text, so nothing passes unread.
pub fn judge(body: &[u8], judge: &Judge<'_>) -> Judged {
    let mut judged = Judged::default();
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            if strings(&mut value, judge, &mut judged.detections) && judge.redacts() {
                judged.redacted = serde_json::to_vec(&value).ok();
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let found = judge.whole(&text);
            if !found.is_empty() && judge.redacts() {
                judged.redacted = Some(redact(&text, &found).into_bytes());
            }
            judged.detections = found;
        }
    }
    judged
}

/// Judges every string of `value` but the [`NOT_TEXT`] members; masks
/// what was found when the judge redacts. Returns whether anything was
/// found. The depth is bounded by the JSON parser's recursion limit.
pub fn strings(value: &mut Value, judge: &Judge<'_>, found: &mut Vec<Detection>) -> bool {
    match value {
        Value::String(text) => {
            if text.is_empty() {
                return false;
            }
            let detections = judge.whole(text);
            if detections.is_empty() {
                return false;
            }
            if judge.redacts() {
                *text = redact(text, &detections);
            }
            found.extend(detections);
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| strings(item, judge, found) | any),
        Value::Object(members) => members
            .iter_mut()
            .filter(|(key, value)| !(value.is_string() && not_text(key)))
            .fold(false, |any, (_, value)| strings(value, judge, found) | any),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::policy::Mode;
    use sentinel_engines::{Allowlist, Engine, Scanner};
    use serde_json::json;

    fn scanner() -> Scanner {
        Scanner::builder()
            .engines(&[Engine::Pii, Engine::Secrets, Engine::Exfiltration])
            .build()
            .unwrap()
    }

    const LEAK: &str = "Sure: write to jane.doe@example.com, key AKIAIOSFODNN7EXAMPLE.";

    #[test]
    fn redacts_every_shape_in_place() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let redacting = Judge::new(&scanner, &allow, crate::answer::no_leakage(), Mode::Redact);
        let answers = [
            json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0,
                "message": {"role": "assistant", "content": LEAK}}],
                "usage": {"total_tokens": 9}}),
            json!({"choices": [{"message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": "t", "type": "function", "function": {"name": "send",
                "arguments": json!({"to": "jane.doe@example.com"}).to_string()}}]}}]}),
            json!({"type": "message", "role": "assistant", "content": [{"type": "text", "text": LEAK}]}),
            json!({"candidates": [{"content": {"parts": [{"text": LEAK}], "role": "model"}}]}),
            json!({"output": [{"type": "message", "content": [{"type": "output_text", "text": LEAK}]}]}),
        ];
        for answer in answers {
            let judged = judge(answer.to_string().as_bytes(), &redacting);
            assert!(!judged.detections.is_empty(), "{answer}");
            let redacted = judged.redacted.expect("redacted");
            let text = String::from_utf8(redacted).unwrap();
            let value: Value = serde_json::from_str(&text).expect("still JSON");
            assert!(!text.contains("jane.doe@example.com"), "{text}");
            assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
            assert!(text.contains("[REDACTED:email]"), "{text}");
            // Only the strings with findings changed.
            let mut back = value.clone();
            let mut none = Vec::new();
            strings(&mut back, &redacting, &mut none);
            assert!(none.is_empty(), "a redacted answer reads clean: {none:?}");
        }
    }

    #[test]
    fn monitor_and_block_find_but_do_not_rewrite() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let body = json!({"choices": [{"message": {"content": LEAK}}]}).to_string();
        for mode in [Mode::Monitor, Mode::Block] {
            let judged = judge(
                body.as_bytes(),
                &Judge::new(&scanner, &allow, crate::answer::no_leakage(), mode),
            );
            let categories: Vec<&str> = judged
                .detections
                .iter()
                .map(|d| d.category.as_ref())
                .collect();
            assert_eq!(categories, ["email", "aws_access_key"]);
            assert!(judged.redacted.is_none());
        }
    }

    #[test]
    fn a_clean_answer_is_left_alone() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let judge = Judge::new(&scanner, &allow, crate::answer::no_leakage(), Mode::Redact);
        let body =
            json!({"id": "jane.doe@example.com", "choices": [{"message": {"content": "Paris."}}]});
        let judged = super::judge(body.to_string().as_bytes(), &judge);
        assert!(judged.detections.is_empty(), "ids are not the model's text");
        assert!(judged.redacted.is_none());
    }

    #[test]
    fn an_echoed_system_prompt_is_masked() {
        let prompt = "You are the Acme support assistant. Never reveal the internal refund \
            rules, and hand every refund above 500 euros to a human agent.";
        let fingerprint = sentinel_engines::Fingerprint {
            id: "support".into(),
            shingles: sentinel_engines::fingerprint(prompt).into_iter().collect(),
        };
        let leakage = sentinel_engines::Leakage::new(&[], vec![fingerprint], 0.5).unwrap();
        let scanner = scanner();
        let allow = Allowlist::default();
        let judge = Judge::new(&scanner, &allow, &leakage, Mode::Redact);
        let body = json!({"content": [{"type": "text", "text": format!("Sure: {prompt}")}]});
        let judged = super::judge(body.to_string().as_bytes(), &judge);
        assert!(judged
            .detections
            .iter()
            .all(|d| d.category == "system_prompt_leak"));
        let value: Value = serde_json::from_slice(&judged.redacted.unwrap()).unwrap();
        assert_eq!(
            value["content"][0]["text"],
            "Sure: [REDACTED:system_prompt_leak]."
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_read_as_text() {
        let scanner = scanner();
        let allow = Allowlist::default();
        let judge = Judge::new(&scanner, &allow, crate::answer::no_leakage(), Mode::Redact);
        let judged = super::judge(format!("{{broken {LEAK}").as_bytes(), &judge);
        assert_eq!(judged.detections.len(), 2);
        let text = String::from_utf8(judged.redacted.unwrap()).unwrap();
        assert!(
            text.starts_with("{broken Sure: write to [REDACTED:email]"),
            "{text}"
        );
    }
}
