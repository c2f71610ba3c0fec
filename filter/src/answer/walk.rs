//! The strings and whole numbers of a JSON text with where they are, read
//! without building a tree: a stream event is read this way on every event,
//! and a `serde_json::Value` (a map per object, a string per key) costs
//! several times more than the judging of the few bytes of text it holds.
//! Strings without escapes are borrowed from the input.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One step of a path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// Every string and whole number of a JSON text, in document order. The
/// paths share one buffer: reading an event allocates little.
#[derive(Debug, Default)]
pub struct Leaves<'a> {
    steps: Vec<Step<'a>>,
    /// (start, end) of the path in `steps`, and the value.
    values: Vec<(usize, usize, Scalar<'a>)>,
}

impl<'a> Leaves<'a> {
    pub fn iter(&self) -> impl Iterator<Item = Leaf<'_, 'a>> + '_ {
        self.values.iter().map(|(start, end, value)| Leaf {
            path: self.steps.get(*start..*end).unwrap_or_default(),
            value,
        })
    }

    pub fn get(&self, n: usize) -> Option<Leaf<'_, 'a>> {
        self.iter().nth(n)
    }

    /// The whole number at `path`, if there is one.
    pub fn number(&self, path: &[Step<'_>]) -> Option<u64> {
        self.iter().find_map(|leaf| match leaf.value {
            Scalar::Uint(n) if leaf.path == path => Some(*n),
            _ => None,
        })
    }

    /// The string at `path`, if there is one.
    pub fn string(&self, path: &[Step<'_>]) -> Option<&str> {
        self.iter().find_map(|leaf| match leaf.value {
            Scalar::Str(s) if leaf.path == path => Some(s.as_ref()),
            _ => None,
        })
    }
}

/// A string or a whole number, and its path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaf<'l, 'a> {
    pub path: &'l [Step<'a>],
    pub value: &'l Scalar<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Uint(u64),
}

impl Leaf<'_, '_> {
    /// Whether the path is `pattern`, where `Any` matches any index.
    pub fn at(&self, pattern: &[Pat<'_>]) -> bool {
        self.path.len() == pattern.len()
            && self
                .path
                .iter()
                .zip(pattern)
                .all(|(step, pat)| match (step, pat) {
                    (Step::Key(k), Pat::Key(p)) => k == p,
                    (Step::Index(_), Pat::Any) => true,
                    _ => false,
                })
    }

    /// The index at position `i` of the path, if it is one.
    pub fn index(&self, i: usize) -> Option<usize> {
        match self.path.get(i) {
            Some(Step::Index(n)) => Some(*n),
            _ => None,
        }
    }

    /// The last key of the path, if the path ends with one.
    pub fn key(&self) -> Option<&str> {
        match self.path.last() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }
}

/// A path pattern step: a key, or any index.
#[derive(Debug, Clone, Copy)]
pub enum Pat<'p> {
    Key(&'p str),
    Any,
}

/// Every string and whole number of `json`; an error when it is not JSON
/// (the parser's depth limit included).
pub fn leaves(json: &str) -> Result<Leaves<'_>, serde_json::Error> {
    let mut out = Leaves::default();
    let mut path = Vec::new();
    let mut de = serde_json::Deserializer::from_str(json);
    Walker {
        path: &mut path,
        out: &mut out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

struct Walker<'p, 'a> {
    path: &'p mut Vec<Step<'a>>,
    out: &'p mut Leaves<'a>,
}

impl<'a> Walker<'_, 'a> {
    fn reborrow(&mut self) -> Walker<'_, 'a> {
        Walker {
            path: self.path,
            out: self.out,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Walker<'_, 'de> {
    fn leaf(&mut self, value: Scalar<'de>) {
        let start = self.out.steps.len();
        self.out.steps.extend(self.path.iter().cloned());
        let end = self.out.steps.len();
        self.out.values.push((start, end, value));
    }
}

impl<'de> Visitor<'de> for Walker<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_borrowed_str<E>(mut self, v: &'de str) -> Result<(), E> {
        self.leaf(Scalar::Str(Cow::Borrowed(v)));
        Ok(())
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        self.leaf(Scalar::Str(Cow::Owned(v.to_string())));
        Ok(())
    }

    fn visit_string<E>(mut self, v: String) -> Result<(), E> {
        self.leaf(Scalar::Str(Cow::Owned(v)));
        Ok(())
    }

    fn visit_u64<E>(mut self, v: u64) -> Result<(), E> {
        self.leaf(Scalar::Uint(v));
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.path.push(Step::Index(i));
            let more = seq.next_element_seed(self.reborrow())?;
            self.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            self.path.push(Step::Key(key));
            map.next_value_seed(self.reborrow())?;
            self.path.pop();
        }
        Ok(())
    }
}

/// A key, borrowed when it has no escapes (serde's own `Cow<str>` always
/// copies).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step<'_> {
        Step::Key(Cow::Borrowed(k))
    }

    #[test]
    fn strings_and_whole_numbers_with_their_paths() {
        let json = r#"{"id":"c1","choices":[{"index":2,"delta":{"content":"a\"b"},"x":null,
            "f":1.5,"n":-3,"t":true}],"e":[]}"#;
        let leaves = leaves(json).unwrap();
        let got: Vec<(Vec<Step>, Scalar)> = leaves
            .iter()
            .map(|l| (l.path.to_vec(), l.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (vec![key("id")], Scalar::Str("c1".into())),
                (
                    vec![key("choices"), Step::Index(0), key("index")],
                    Scalar::Uint(2)
                ),
                (
                    vec![key("choices"), Step::Index(0), key("delta"), key("content")],
                    Scalar::Str("a\"b".into())
                ),
            ]
        );
        let number = leaves.number(&[key("choices"), Step::Index(0), key("index")]);
        assert_eq!(number, Some(2));
        assert_eq!(leaves.string(&[key("id")]), Some("c1"));
        let content = leaves.get(2).unwrap();
        assert!(content.at(&[
            Pat::Key("choices"),
            Pat::Any,
            Pat::Key("delta"),
            Pat::Key("content")
        ]));
        assert_eq!(content.index(1), Some(0));
        assert_eq!(content.key(), Some("content"));
    }

    #[test]
    fn unescaped_strings_are_borrowed() {
        let leaves = leaves(r#"{"a":"plain","b":"esc\n"}"#).unwrap();
        let values: Vec<&Scalar> = leaves.iter().map(|l| l.value).collect();
        assert!(matches!(values[0], Scalar::Str(Cow::Borrowed("plain"))));
        assert!(matches!(values[1], Scalar::Str(Cow::Owned(s)) if s == "esc\n"));
    }

    #[test]
    fn not_json_is_an_error() {
        assert!(leaves("{broken").is_err());
        assert!(leaves(r#"{"a":1} trailing"#).is_err());
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert!(leaves(&deep).is_err(), "the depth limit holds");
        assert_eq!(leaves("\"top\"").unwrap().iter().count(), 1);
    }
}
