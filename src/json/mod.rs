//! Lossless JSON for msapp content.
//!
//! Real apps hold duplicate keys, number spellings (`1.0`, `1E+21`, `-0`, integers beyond 2^53)
//! and mixed escape styles that `serde_json` cannot keep. This DOM keeps every *value*
//! exactly: objects are ordered `(key, value)` lists (duplicates kept), numbers keep their
//! source lexeme, strings are decoded. Writers re-emit the way the reference tool (.NET
//! `JsonNormalizer`) does, so unpacking on any OS gives identical trees.

mod collate;
mod number;
mod parse;
mod write;

pub use collate::{culture_cmp, lo_cmp};
pub use number::Number;
pub(crate) use number::scan_number;
pub use parse::{JsonError, MAX_DEPTH, MAX_ENTRY_DEPTH, parse, parse_bytes, parse_bytes_nested};
pub(crate) use parse::{decode_escape, simple_escape, skip_plain};
pub use write::{
    to_compact_string, to_indented_string, to_normalized_string, write_string_literal,
};

/// A JSON value. Objects keep document order and duplicate keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// An ordered list of members; duplicate keys are kept (lookups see the first one, like the
/// checksum does).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object(pub Vec<(String, Json)>);

impl Object {
    pub fn new() -> Self {
        Object(Vec::new())
    }
    /// First member with this key.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
    /// Replaces the value of the first member with this key, or appends a new member.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(v) => *v = value,
            None => self.0.push((key, value)),
        }
    }
    /// Removes every member with this key and returns the first one's value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let mut first = None;
        let mut kept = Vec::with_capacity(self.0.len());
        for (k, v) in self.0.drain(..) {
            if k == key {
                if first.is_none() {
                    first = Some(v);
                }
            } else {
                kept.push((k, v));
            }
        }
        self.0 = kept;
        first
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl Json {
    pub fn object() -> Json {
        Json::Object(Object::new())
    }
    pub fn str(s: impl Into<String>) -> Json {
        Json::String(s.into())
    }
    pub fn from_f64(v: f64) -> Json {
        Json::Number(Number::from_f64(v))
    }
    pub fn from_i64(v: i64) -> Json {
        Json::Number(Number::from_i64(v))
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }
    /// `self[key]` for objects (first member with that key); `None` otherwise.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(key))
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.as_object_mut().and_then(|o| o.get_mut(key))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}
