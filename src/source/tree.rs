use std::collections::BTreeMap;

use crate::json::{self, Json};

/// A source tree in memory: `/`-separated relative path -> file bytes. Text files are UTF-8
/// without BOM and use LF newlines whatever the platform.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTree {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl SourceTree {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(path.into(), bytes);
    }
    /// Writes `value` in the reference's normalized JSON form.
    pub fn insert_json(&mut self, path: impl Into<String>, value: &Json) {
        self.insert(path, json::to_normalized_string(value).into_bytes());
    }
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|v| v.as_slice())
    }
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
    /// Files whose path starts with `dir` + `/` (any depth), as (path, bytes), sorted by path.
    pub fn under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let prefix = format!("{dir}/");
        self.files
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}
