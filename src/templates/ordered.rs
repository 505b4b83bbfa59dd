//! A string map that remembers insertion order: default lists are emitted in a fixed order
//! (the order the reference tool's dictionaries enumerate in), and looked up by name often.

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct OrderedMap {
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl OrderedMap {
    pub fn new() -> Self {
        OrderedMap::default()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.index
            .get(key)
            .and_then(|i| self.entries.get(*i))
            .map(|(_, v)| v.as_str())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Adds a new key at the end; an existing key keeps its value (first definition wins).
    pub fn insert_if_absent(&mut self, key: &str, value: String) {
        if !self.index.contains_key(key) {
            self.index.insert(key.to_string(), self.entries.len());
            self.entries.push((key.to_string(), value));
        }
    }

    /// Sets a value; an existing key keeps its position.
    pub fn set(&mut self, key: &str, value: String) {
        match self.index.get(key).and_then(|i| self.entries.get_mut(*i)) {
            Some(entry) => entry.1 = value,
            None => {
                self.index.insert(key.to_string(), self.entries.len());
                self.entries.push((key.to_string(), value));
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    pub fn into_vec(self) -> Vec<(String, String)> {
        self.entries
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for OrderedMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = OrderedMap::new();
        for (k, v) in iter {
            map.insert_if_absent(k.as_ref(), v.into());
        }
        map
    }
}
