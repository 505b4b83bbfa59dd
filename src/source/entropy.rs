//! `Entropy/Entropy.json`: order and id data with no natural place in the tree, kept so that
//! pack rebuilds the app exactly. Kept as a JSON object so unknown fields survive.

use crate::json::{Json, Number, Object};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entropy {
    pub obj: Object,
}

impl Entropy {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self, field: &str) -> Option<&Json> {
        self.obj.get(field)
    }
    pub fn set(&mut self, field: &str, value: Json) {
        self.obj.insert(field, value);
    }
    /// The map stored under `field`, created empty if missing (or if it held a non-object).
    pub fn map_mut(&mut self, field: &str) -> &mut Object {
        let members = &mut self.obj.0;
        let pos = match members
            .iter()
            .position(|(k, v)| k == field && matches!(v, Json::Object(_)))
        {
            Some(pos) => pos,
            None => {
                members.retain(|(k, _)| k != field);
                members.push((field.to_string(), Json::object()));
                members.len() - 1
            }
        };
        match &mut members[pos].1 {
            Json::Object(o) => o,
            _ => unreachable!("position() matched an object member"),
        }
    }
    /// `field[key]` of a map field.
    pub fn map_get(&self, field: &str, key: &str) -> Option<&Json> {
        self.obj.get(field).and_then(|m| m.get(key))
    }
    pub fn map_set(&mut self, field: &str, key: &str, value: Json) {
        self.map_mut(field).insert(key, value);
    }
    /// `field[key]` as a number (orders, indexes, ids), if present and numeric.
    pub fn map_index(&self, field: &str, key: &str) -> Option<f64> {
        self.map_get(field, key).and_then(Json::as_f64)
    }
    pub fn map_set_index(&mut self, field: &str, key: &str, index: usize) {
        self.map_set(field, key, Json::Number(Number::from_i64(index as i64)));
    }
}
