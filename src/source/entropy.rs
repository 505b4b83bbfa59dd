//! `Entropy/Entropy.json`: order and id data with no natural place in the tree, kept so that
//! pack rebuilds the app exactly. Kept as a JSON object so unknown fields survive.

use std::collections::HashMap;

use crate::json::{Json, Number, Object};

#[derive(Debug, Clone, Default)]
pub struct Entropy {
    obj: Object,
    /// For map fields: key -> position of its first member in that map. Maps such as
    /// `ControlUniqueIds` get one member per control, set while unpacking and read while
    /// packing; found by scanning, a 500-screen app spent most of its unpack comparing keys.
    /// A field leaves the index when [`Entropy::map_mut`] hands its map out, and comes back
    /// on its next [`Entropy::map_set`].
    index: HashMap<String, HashMap<String, usize>>,
}

impl PartialEq for Entropy {
    fn eq(&self, other: &Self) -> bool {
        self.obj == other.obj
    }
}

impl Entropy {
    pub fn new() -> Self {
        Self::default()
    }
    /// The entropy saved in a tree; map fields are indexed as they are found.
    pub fn from_object(obj: Object) -> Self {
        let mut entropy = Entropy {
            obj,
            index: HashMap::new(),
        };
        let fields: Vec<String> = entropy.obj.keys().map(str::to_string).collect();
        for field in fields {
            entropy.index_field(&field);
        }
        entropy
    }
    pub fn into_object(self) -> Object {
        self.obj
    }
    pub fn get(&self, field: &str) -> Option<&Json> {
        self.obj.get(field)
    }
    pub fn set(&mut self, field: &str, value: Json) {
        self.index.remove(field);
        self.obj.insert(field, value);
    }
    /// The map stored under `field`, created empty if missing (or if it held a non-object).
    pub fn map_mut(&mut self, field: &str) -> &mut Object {
        // The caller may change the map in any way: its index is rebuilt when next needed.
        self.index.remove(field);
        self.map_object(field)
    }
    fn map_object(&mut self, field: &str) -> &mut Object {
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
    /// Indexes the map under `field` (first members win, as lookups see them). Only a field
    /// whose first member is an object is indexed: that is the map both lookups and
    /// [`Entropy::map_object`] see; anything stranger stays on the plain path.
    fn index_field(&mut self, field: &str) {
        let Some(Json::Object(map)) = self.obj.get(field) else {
            self.index.remove(field);
            return;
        };
        let mut positions = HashMap::new();
        for (pos, (key, _)) in map.0.iter().enumerate() {
            positions.entry(key.clone()).or_insert(pos);
        }
        self.index.insert(field.to_string(), positions);
    }
    /// `field[key]` of a map field.
    pub fn map_get(&self, field: &str, key: &str) -> Option<&Json> {
        let map = self.obj.get(field)?;
        match self.index.get(field) {
            Some(positions) => positions
                .get(key)
                .and_then(|&pos| map.as_object()?.0.get(pos))
                .map(|(_, v)| v),
            None => map.get(key),
        }
    }
    /// Sets `field[key]` as [`Object::insert`] does: the first member with the key, or a new
    /// one at the end.
    pub fn map_set(&mut self, field: &str, key: &str, value: Json) {
        if !self.index.contains_key(field) {
            self.index_field(field);
        }
        let Some(positions) = self.index.get(field) else {
            self.map_object(field).insert(key, value);
            return;
        };
        let found = positions.get(key).copied();
        let map = self.map_object(field);
        match found.and_then(|pos| map.0.get_mut(pos)) {
            Some(member) => member.1 = value,
            None => {
                map.0.push((key.to_string(), value));
                let pos = map.0.len() - 1;
                if let Some(positions) = self.index.get_mut(field) {
                    positions.insert(key.to_string(), pos);
                }
            }
        }
    }
    /// `field[key]` as a number (orders, indexes, ids), if present and numeric.
    pub fn map_index(&self, field: &str, key: &str) -> Option<f64> {
        self.map_get(field, key).and_then(Json::as_f64)
    }
    pub fn map_set_index(&mut self, field: &str, key: &str, index: usize) {
        self.map_set(field, key, Json::Number(Number::from_i64(index as i64)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation agrees with the same operations on a plain object.
    #[test]
    fn the_index_never_changes_what_is_stored_or_found() {
        let saved = crate::json::parse(
            r#"{"Ids":{"a":1,"b":2,"a":3},"Order":{"x":0},"Flag":true,"Ids":{"c":9}}"#,
        )
        .unwrap();
        let Json::Object(saved) = saved else {
            unreachable!()
        };
        let mut indexed = Entropy::from_object(saved.clone());
        let mut plain = saved;
        assert_eq!(
            indexed.map_get("Ids", "a"),
            Some(&Json::Number(Number::from_i64(1)))
        );
        assert_eq!(indexed.map_get("Ids", "c"), None);
        indexed.map_set_index("Ids", "a", 7);
        indexed.map_set_index("Ids", "d", 8);
        let ids = match plain.get_mut("Ids") {
            Some(Json::Object(o)) => o,
            _ => unreachable!(),
        };
        ids.insert("a", Json::Number(Number::from_i64(7)));
        ids.insert("d", Json::Number(Number::from_i64(8)));
        assert_eq!(indexed.clone().into_object(), plain);
        // A map handed out and changed by the caller is found again as changed.
        indexed
            .map_mut("Order")
            .0
            .insert(0, ("y".into(), Json::Bool(true)));
        indexed.map_set_index("Order", "x", 5);
        assert_eq!(indexed.map_get("Order", "y"), Some(&Json::Bool(true)));
        assert_eq!(indexed.map_index("Order", "x"), Some(5.0));
        // A field replaced by a scalar becomes a map again on the next map_set.
        indexed.set("Flag", Json::Bool(false));
        indexed.map_set_index("Flag", "k", 1);
        assert_eq!(indexed.map_index("Flag", "k"), Some(1.0));
        assert_eq!(indexed.map_get("Missing", "k"), None);
    }
}
