//! Which strings of a stream event are text deltas, and of which channel:
//! the deltas of one channel (a choice, a content block, a tool call's
//! arguments) join into one text; everything else in an event is whole.
//!
//! | API | delta | channel |
//! |---|---|---|
//! | OpenAI chat | `choices[i].delta.content`, `.refusal` | the choice's `index` |
//! | OpenAI chat | `choices[i].delta.tool_calls[k].function.arguments` | the choice and the call's `index` |
//! | OpenAI completions | `choices[i].text` | the choice's `index` |
//! | OpenAI responses | `delta` of a `*.delta` event | `output_index`, `content_index` |
//! | Anthropic | `delta.text`, `.partial_json`, `.thinking` of `content_block_delta` | the block's `index` |
//! | Gemini | `candidates[i].content.parts[k].text` | the candidate's `index` |
//! | Ollama (JSON lines) | `message.content` (chat), `response` (generate) | one |
//! | Ollama (JSON lines) | `message.thinking`, `thinking` | one |

use std::borrow::Cow;

use super::walk::{Leaf, Leaves, Pat, Step};

use Pat::{Any, Key};

/// A channel of text deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// An OpenAI choice's content (chat) or text (completions).
    Choice(u64),
    Refusal(u64),
    /// A choice's tool call's arguments.
    Tool(u64, u64),
    /// An Anthropic content block.
    Block(u64),
    /// An OpenAI responses output item's content part.
    Item(u64, u64),
    /// A Gemini candidate.
    Candidate(u64),
    /// An Ollama answer's text.
    Message,
    /// An Ollama answer's thinking.
    Thinking,
    /// An event's data that is not JSON.
    Raw,
}

fn key(k: &'static str) -> Step<'static> {
    Step::Key(Cow::Borrowed(k))
}

/// The channel `leaf` (a string of the event whose leaves are `leaves`)
/// is a delta of, if it is one.
pub fn channel(leaf: Leaf<'_, '_>, leaves: &Leaves<'_>) -> Option<Channel> {
    match leaf.path.first() {
        Some(Step::Key(k)) if k == "choices" => choice_delta(leaf, leaves),
        Some(Step::Key(k)) if k == "candidates" => {
            let part = [
                Key("candidates"),
                Any,
                Key("content"),
                Key("parts"),
                Any,
                Key("text"),
            ];
            let i = leaf.index(1).filter(|_| leaf.at(&part))?;
            let n = leaves.number(&[key("candidates"), Step::Index(i), key("index")]);
            Some(Channel::Candidate(n.unwrap_or(i as u64)))
        }
        Some(Step::Key(k)) if k == "delta" => {
            let kind = leaves.string(&[key("type")])?;
            let number = |name| leaves.number(&[key(name)]).unwrap_or(0);
            let field = |f: &str| leaf.at(&[Key("delta"), Key(f)]);
            if kind == "content_block_delta"
                && (field("text") || field("partial_json") || field("thinking"))
            {
                Some(Channel::Block(number("index")))
            } else if kind.ends_with(".delta") && leaf.at(&[Key("delta")]) {
                Some(Channel::Item(
                    number("output_index"),
                    number("content_index"),
                ))
            } else {
                None
            }
        }
        // Ollama's lines carry one answer: its text at the top, not in a
        // list (a message in any other API's event is an object or sits
        // in `choices`).
        Some(Step::Key(k)) if k == "message" => {
            if leaf.at(&[Key("message"), Key("content")]) {
                Some(Channel::Message)
            } else if leaf.at(&[Key("message"), Key("thinking")]) {
                Some(Channel::Thinking)
            } else {
                None
            }
        }
        Some(Step::Key(k)) if k == "response" && leaf.path.len() == 1 => Some(Channel::Message),
        Some(Step::Key(k)) if k == "thinking" && leaf.path.len() == 1 => Some(Channel::Thinking),
        _ => None,
    }
}

fn choice_delta(leaf: Leaf<'_, '_>, leaves: &Leaves<'_>) -> Option<Channel> {
    let i = leaf.index(1)?;
    let choice = leaves
        .number(&[key("choices"), Step::Index(i), key("index")])
        .unwrap_or(i as u64);
    if leaf.at(&[Key("choices"), Any, Key("delta"), Key("content")])
        || leaf.at(&[Key("choices"), Any, Key("text")])
    {
        return Some(Channel::Choice(choice));
    }
    if leaf.at(&[Key("choices"), Any, Key("delta"), Key("refusal")]) {
        return Some(Channel::Refusal(choice));
    }
    let arguments = [
        Key("choices"),
        Any,
        Key("delta"),
        Key("tool_calls"),
        Any,
        Key("function"),
        Key("arguments"),
    ];
    if !leaf.at(&arguments) {
        return None;
    }
    let k = leaf.index(4)?;
    let call = [
        key("choices"),
        Step::Index(i),
        key("delta"),
        key("tool_calls"),
        Step::Index(k),
        key("index"),
    ];
    Some(Channel::Tool(
        choice,
        leaves.number(&call).unwrap_or(k as u64),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::walk::leaves;

    use crate::answer::walk::Scalar;
    use Channel::*;

    /// The channel of each delta of `json`, in order.
    fn channels(json: &str) -> Vec<(Channel, String)> {
        let leaves = leaves(json).unwrap();
        leaves
            .iter()
            .filter_map(|leaf| {
                let Scalar::Str(text) = leaf.value else {
                    return None;
                };
                channel(leaf, &leaves).map(|c| (c, text.to_string()))
            })
            .collect()
    }

    fn pairs(list: &[(Channel, &str)]) -> Vec<(Channel, String)> {
        list.iter().map(|(a, b)| (*a, b.to_string())).collect()
    }

    #[test]
    fn openai_chat() {
        let chunk = r#"{"id":"x","object":"chat.completion.chunk","choices":[
            {"index":1,"delta":{"role":"assistant","content":"Hi","refusal":"no"}},
            {"delta":{"tool_calls":[{"index":3,"function":{"name":"f","arguments":"{\"a\""}}]}}]}"#;
        assert_eq!(
            channels(chunk),
            pairs(&[
                (Choice(1), "Hi"),
                (Refusal(1), "no"),
                (Tool(1, 3), "{\"a\"")
            ])
        );
        let legacy = r#"{"choices":[{"index":0,"text":"old"}]}"#;
        assert_eq!(channels(legacy), pairs(&[(Choice(0), "old")]));
    }

    #[test]
    fn anthropic() {
        let text =
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Hi"}}"#;
        assert_eq!(channels(text), pairs(&[(Block(2), "Hi")]));
        let json = r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q"}}"#;
        assert_eq!(channels(json), pairs(&[(Block(1), "{\"q")]));
        let start =
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
        assert!(channels(start).is_empty(), "whole, not a delta");
    }

    #[test]
    fn openai_responses_and_gemini() {
        let delta = r#"{"type":"response.output_text.delta","output_index":1,"content_index":0,"delta":"Hi"}"#;
        assert_eq!(channels(delta), pairs(&[(Item(1, 0), "Hi")]));
        let done = r#"{"type":"response.output_text.done","text":"Hi there"}"#;
        assert!(channels(done).is_empty());
        let gemini =
            r#"{"candidates":[{"content":{"parts":[{"text":"Hi"},{"text":" you"}]},"index":0}]}"#;
        assert_eq!(
            channels(gemini),
            pairs(&[(Candidate(0), "Hi"), (Candidate(0), " you")])
        );
    }

    #[test]
    fn ollama() {
        let chat = r#"{"model":"m","created_at":"t","message":{"role":"assistant","content":"Hi","thinking":"hm"},"done":false}"#;
        assert_eq!(channels(chat), pairs(&[(Message, "Hi"), (Thinking, "hm")]));
        let generate = r#"{"model":"m","response":"Hi","thinking":"hm","done":false}"#;
        assert_eq!(
            channels(generate),
            pairs(&[(Message, "Hi"), (Thinking, "hm")])
        );
        // Other APIs' messages and responses are objects: not deltas.
        let anthropic =
            r#"{"type":"message_start","message":{"content":[{"type":"text","text":"x"}]}}"#;
        assert!(channels(anthropic).is_empty());
        let responses = r#"{"type":"response.created","response":{"id":"r","status":"x"}}"#;
        assert!(channels(responses).is_empty());
    }
}
