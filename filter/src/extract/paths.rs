//! JSON paths named in the policy (`text_paths`): the fields of a custom API
//! whose strings must be scanned.
//!
//! A small subset of JSONPath:
//!
//! | syntax | selects |
//! |---|---|
//! | `$` | the whole body (must come first) |
//! | `.key` | the member `key` of an object (any characters but `.`, `[`, `]`; not `*`) |
//! | `[n]` | element `n` (from 0) of an array |
//! | `[*]` | every element of an array, or every member value of an object |
//!
//! Example: `$.query`, `$.items[*].body`, `$.turns[0].text`. A selected
//! string is scanned; a selected object or array gives all its string values
//! (not its keys). A path that selects nothing in a body is not an error.
//! Quoted keys, recursive descent (`..`), slices and filters are refused.

use serde_json::Value;

/// At most this many paths per policy.
pub const MAX_PATHS: usize = 32;
/// At most this many bytes per path.
pub const MAX_PATH_LEN: usize = 256;
/// At most this many steps (`.key`, `[n]`, `[*]`) per path.
pub const MAX_PATH_STEPS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    source: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Each,
}

impl JsonPath {
    /// Parses one path; the error says what is wrong (the caller names the
    /// path).
    pub fn parse(source: &str) -> Result<JsonPath, String> {
        if source.len() > MAX_PATH_LEN {
            return Err(format!("longer than {MAX_PATH_LEN} bytes"));
        }
        let mut rest = source
            .strip_prefix('$')
            .ok_or("must start with `$` (e.g. `$.messages[*].content`)")?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            let at = source.len() - rest.len();
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[', ']']).unwrap_or(after.len());
                let key = &after[..end];
                match key {
                    "" if after.starts_with('.') => {
                        return Err(format!(
                            "recursive descent `..` at byte {at} is not supported"
                        ))
                    }
                    "" => return Err(format!("empty key after `.` at byte {at}")),
                    "*" => return Err(format!("`.*` at byte {at} is not supported: use `[*]`")),
                    key => steps.push(Step::Key(key.to_string())),
                }
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after
                    .find(']')
                    .ok_or_else(|| format!("`[` at byte {at} is not closed"))?;
                let inner = &after[..end];
                let step = if inner == "*" {
                    Step::Each
                } else if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
                    Step::Index(
                        inner
                            .parse()
                            .map_err(|_| format!("index `[{inner}]` is too large"))?,
                    )
                } else {
                    return Err(format!(
                        "`[{inner}]` at byte {at} is not supported: use `[n]` or `[*]` \
                         (quoted keys, slices and filters are not)"
                    ));
                };
                steps.push(step);
                rest = &after[end + 1..];
            } else {
                let c = rest.chars().next().unwrap_or_default();
                return Err(format!(
                    "unexpected `{c}` at byte {at}: steps are `.key`, `[n]` or `[*]`"
                ));
            }
            if steps.len() > MAX_PATH_STEPS {
                return Err(format!("more than {MAX_PATH_STEPS} steps"));
            }
        }
        Ok(JsonPath {
            source: source.to_string(),
            steps,
        })
    }

    /// The path as written in the policy.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Calls `found` with every value the path selects in `root`.
    pub fn select<'a>(&self, root: &'a Value, found: &mut dyn FnMut(&'a Value)) {
        select(&self.steps, root, found);
    }
}

fn select<'a>(steps: &[Step], value: &'a Value, found: &mut dyn FnMut(&'a Value)) {
    let Some((step, rest)) = steps.split_first() else {
        found(value);
        return;
    };
    match (step, value) {
        (Step::Key(key), Value::Object(object)) => {
            if let Some(value) = object.get(key) {
                select(rest, value, found);
            }
        }
        (Step::Index(i), Value::Array(items)) => {
            if let Some(value) = items.get(*i) {
                select(rest, value, found);
            }
        }
        (Step::Each, Value::Array(items)) => {
            for value in items {
                select(rest, value, found);
            }
        }
        (Step::Each, Value::Object(object)) => {
            for value in object.values() {
                select(rest, value, found);
            }
        }
        _ => {}
    }
}
