//! Three-way merge of lossless JSON values ([`crate::json::Json`]).
//!
//! * Objects merge key by key, recursively. The result lists base's keys in base order, then
//!   the keys ours added (ours' order), then those theirs added (theirs' order).
//! * An object with a duplicate key on any side is merged as one atomic value: which of the
//!   duplicates a reader sees differs between readers, so no guess is safe.
//! * Arrays are atomic, unless [`JsonMergeOptions::array_keys`] names a field that identifies
//!   their elements; then they merge as keyed sequences ([`super::sequence`]), element by
//!   element.
//! * Numbers compare by spelling: `1.0` and `1` are different values, as they are in the file.
//!
//! Where the sides disagree, the [`Policy`] decides the value and the disagreement is recorded
//! as a [`JsonConflict`].

use std::collections::{HashMap, HashSet};

use super::sequence::{Favor, merge_sequence_with};
use crate::json::{Json, Object};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Conflicts are reported as unresolved; the value at a conflict is ours.
    #[default]
    Strict,
    /// For caches and other derived data: a conflict takes ours and is noted as resolved.
    PreferOurs,
    /// Likewise, taking theirs.
    PreferTheirs,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonMergeOptions {
    pub policy: Policy,
    /// Fields that identify the elements of an array of objects (e.g. `PropertyName`,
    /// `Name`). An array merges as a keyed sequence with the first field that every element of
    /// all three versions has as a string, unique within each version; otherwise atomically.
    pub array_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonConflictKind {
    /// The sides changed the value at `path` differently (including delete vs modify and
    /// different values added under one key).
    Value,
    /// Both sides reordered the keyed array at `path` in incompatible ways; its elements
    /// merged, but their order follows one side for the crossing part.
    Order,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonConflict {
    /// Object keys from the root; an element of a keyed array is `[field=key]`.
    pub path: Vec<String>,
    /// `None`: absent on that side.
    pub base: Option<Json>,
    pub ours: Option<Json>,
    pub theirs: Option<Json>,
    pub kind: JsonConflictKind,
    /// True when the policy picked a side (a note, not a conflict for the user to resolve).
    pub resolved: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonMerge {
    /// `None`: absent in the result (deleted, or ours' deletion kept at a conflict).
    pub value: Option<Json>,
    pub conflicts: Vec<JsonConflict>,
}

impl JsonMerge {
    /// No conflict is left for the user (resolved notes may remain).
    pub fn is_clean(&self) -> bool {
        self.conflicts.iter().all(|c| c.resolved)
    }
}

/// Merges three versions of a value, any of which may be absent (a file added or deleted).
pub fn merge_json(
    base: Option<&Json>,
    ours: Option<&Json>,
    theirs: Option<&Json>,
    opts: &JsonMergeOptions,
) -> JsonMerge {
    let mut merger = Merger {
        opts,
        path: Vec::new(),
        conflicts: Vec::new(),
    };
    let value = merger.merge(base, ours, theirs);
    JsonMerge {
        value,
        conflicts: merger.conflicts,
    }
}

struct Merger<'a> {
    opts: &'a JsonMergeOptions,
    path: Vec<String>,
    conflicts: Vec<JsonConflict>,
}

impl Merger<'_> {
    fn merge(
        &mut self,
        base: Option<&Json>,
        ours: Option<&Json>,
        theirs: Option<&Json>,
    ) -> Option<Json> {
        if ours == theirs || base == theirs {
            return ours.cloned();
        }
        if base == ours {
            return theirs.cloned();
        }
        match (base, ours, theirs) {
            (Some(Json::Object(b)), Some(Json::Object(o)), Some(Json::Object(t)))
                if unique_keys(b) && unique_keys(o) && unique_keys(t) =>
            {
                Some(Json::Object(self.merge_objects(b, o, t)))
            }
            (Some(Json::Array(b)), Some(Json::Array(o)), Some(Json::Array(t))) => {
                let opts = self.opts;
                match key_field(&opts.array_keys, &[b, o, t]) {
                    Some(field) => Some(Json::Array(self.merge_keyed(field, b, o, t))),
                    None => self.conflict(JsonConflictKind::Value, base, ours, theirs),
                }
            }
            _ => self.conflict(JsonConflictKind::Value, base, ours, theirs),
        }
    }

    /// Records a conflict at the current path and returns the value the policy picks.
    fn conflict(
        &mut self,
        kind: JsonConflictKind,
        base: Option<&Json>,
        ours: Option<&Json>,
        theirs: Option<&Json>,
    ) -> Option<Json> {
        self.conflicts.push(JsonConflict {
            path: self.path.clone(),
            base: base.cloned(),
            ours: ours.cloned(),
            theirs: theirs.cloned(),
            kind,
            resolved: self.opts.policy != Policy::Strict,
        });
        match self.opts.policy {
            Policy::Strict | Policy::PreferOurs => ours.cloned(),
            Policy::PreferTheirs => theirs.cloned(),
        }
    }

    fn merge_objects(&mut self, base: &Object, ours: &Object, theirs: &Object) -> Object {
        let mut keys: Vec<&str> = base.keys().collect();
        keys.extend(ours.keys().filter(|k| !base.contains_key(k)));
        keys.extend(
            theirs
                .keys()
                .filter(|k| !base.contains_key(k) && !ours.contains_key(k)),
        );
        let mut merged = Object::new();
        for key in keys {
            self.path.push(key.to_owned());
            let value = self.merge(base.get(key), ours.get(key), theirs.get(key));
            self.path.pop();
            if let Some(value) = value {
                merged.0.push((key.to_owned(), value));
            }
        }
        merged
    }

    /// Merges arrays whose elements all have a unique string `field` (checked by `key_field`).
    fn merge_keyed(
        &mut self,
        field: &str,
        base: &[Json],
        ours: &[Json],
        theirs: &[Json],
    ) -> Vec<Json> {
        let keyed = |array: &[Json]| -> Vec<(String, Json)> {
            array
                .iter()
                .filter_map(|e| element_key(e, field).map(|k| (k.to_owned(), e.clone())))
                .collect()
        };
        let (base_els, ours_els, theirs_els) = (keyed(base), keyed(ours), keyed(theirs));
        let keys =
            |els: &[(String, Json)]| els.iter().map(|(k, _)| k.clone()).collect::<Vec<String>>();
        let (base_keys, ours_keys, theirs_keys) =
            (keys(&base_els), keys(&ours_els), keys(&theirs_els));
        let lookup =
            |els: &[(String, Json)]| els.iter().cloned().collect::<HashMap<String, Json>>();
        let (b, o, t) = (lookup(&base_els), lookup(&ours_els), lookup(&theirs_els));

        let mut merged: HashMap<String, Json> = HashMap::new();
        // Elements in a conflict take part in the ordering even when the policy dropped them,
        // so that the conflicts found depend on the three inputs only, never on the policy.
        let mut conflicted: HashSet<&str> = HashSet::new();
        let mut visited: HashSet<&str> = HashSet::new();
        for key in base_keys.iter().chain(&ours_keys).chain(&theirs_keys) {
            if !visited.insert(key) {
                continue;
            }
            let conflicts_before = self.conflicts.len();
            self.path.push(format!("[{field}={key}]"));
            let element = self.merge(b.get(key), o.get(key), t.get(key));
            self.path.pop();
            if self.conflicts.len() > conflicts_before {
                conflicted.insert(key);
            }
            if let Some(element) = element {
                merged.insert(key.clone(), element);
            }
        }

        let favor = match self.opts.policy {
            Policy::PreferTheirs => Favor::Theirs,
            Policy::Strict | Policy::PreferOurs => Favor::Ours,
        };
        let order = merge_sequence_with(
            &base_keys,
            &ours_keys,
            &theirs_keys,
            |k| merged.contains_key(k) || conflicted.contains(k.as_str()),
            favor,
        );
        if !order.conflicts.is_empty() {
            let array = |els: &[Json]| Some(Json::Array(els.to_vec()));
            let (b, o, t) = (array(base), array(ours), array(theirs));
            self.conflict(JsonConflictKind::Order, b.as_ref(), o.as_ref(), t.as_ref());
        }
        order
            .items
            .iter()
            .filter_map(|key| merged.remove(key))
            .collect()
    }
}

/// The first of `fields` that identifies the elements of every array.
fn key_field<'f>(fields: &'f [String], arrays: &[&Vec<Json>]) -> Option<&'f str> {
    let identifies = |field: &str| {
        arrays.iter().all(|array| {
            let mut seen = HashSet::new();
            array
                .iter()
                .all(|element| element_key(element, field).is_some_and(|key| seen.insert(key)))
        })
    };
    fields
        .iter()
        .map(String::as_str)
        .find(|field| identifies(field))
}

fn unique_keys(object: &Object) -> bool {
    let mut seen = HashSet::with_capacity(object.len());
    object.keys().all(|k| seen.insert(k))
}

/// The element's identifying string, when it is an object with that field as a string.
/// A duplicated field makes the element unidentifiable (readers disagree on its key).
fn element_key<'a>(element: &'a Json, field: &str) -> Option<&'a str> {
    let object = element.as_object()?;
    let mut values = object.iter().filter(|(k, _)| *k == field).map(|(_, v)| v);
    let key = values.next()?.as_str()?;
    values.next().is_none().then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn j(text: &str) -> Json {
        parse(text).unwrap()
    }

    fn merge3(base: &str, ours: &str, theirs: &str, opts: &JsonMergeOptions) -> JsonMerge {
        merge_json(Some(&j(base)), Some(&j(ours)), Some(&j(theirs)), opts)
    }

    fn text(m: &JsonMerge) -> String {
        crate::json::to_compact_string(m.value.as_ref().unwrap())
    }

    #[test]
    fn objects_merge_key_by_key_in_base_ours_theirs_order() {
        let m = merge3(
            r#"{"a":1,"b":{"x":1,"y":2},"c":3}"#,
            r#"{"o":0,"a":2,"b":{"x":1,"y":2},"c":3}"#,
            r#"{"a":1,"b":{"x":1,"y":5,"z":6},"t":9}"#,
            &JsonMergeOptions::default(),
        );
        assert_eq!(text(&m), r#"{"a":2,"b":{"x":1,"y":5,"z":6},"o":0,"t":9}"#);
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn different_changes_conflict_and_keep_ours_under_strict() {
        let m = merge3(
            r#"{"a":1,"b":1}"#,
            r#"{"a":2}"#,
            r#"{"a":3,"b":2}"#,
            &JsonMergeOptions::default(),
        );
        assert_eq!(text(&m), r#"{"a":2}"#);
        let paths: Vec<_> = m.conflicts.iter().map(|c| c.path.join("/")).collect();
        assert_eq!(paths, ["a", "b"]);
        let b = &m.conflicts[1];
        assert_eq!((b.ours.clone(), b.theirs.clone()), (None, Some(j("2"))));
        assert!(!m.is_clean());
    }

    #[test]
    fn prefer_policies_resolve_but_note() {
        let opts = JsonMergeOptions {
            policy: Policy::PreferTheirs,
            ..Default::default()
        };
        let m = merge3(r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#, &opts);
        assert_eq!(text(&m), r#"{"a":3}"#);
        assert_eq!(m.conflicts.len(), 1);
        assert!(m.conflicts[0].resolved && m.is_clean());
    }

    #[test]
    fn absent_files() {
        let opts = JsonMergeOptions::default();
        let v = j(r#"{"a":1}"#);
        let w = j(r#"{"a":2}"#);
        assert_eq!(
            merge_json(None, Some(&v), Some(&v), &opts).value,
            Some(v.clone())
        );
        assert_eq!(
            merge_json(None, Some(&v), Some(&w), &opts).conflicts.len(),
            1
        );
        assert_eq!(merge_json(Some(&v), None, Some(&v), &opts).value, None);
        let m = merge_json(Some(&v), Some(&w), None, &opts);
        assert_eq!((m.value, m.conflicts.len()), (Some(w), 1));
    }

    #[test]
    fn duplicate_keys_make_the_object_atomic() {
        let m = merge3(
            r#"{"a":1,"a":2,"b":1}"#,
            r#"{"a":1,"a":2,"b":2}"#,
            r#"{"a":1,"a":3,"b":1}"#,
            &Default::default(),
        );
        assert_eq!(m.conflicts.len(), 1);
        assert!(m.conflicts[0].path.is_empty());
    }

    #[test]
    fn arrays_are_atomic_by_default() {
        let m = merge3("[1,2,3]", "[0,1,2,3]", "[1,2,3,4]", &Default::default());
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(text(&m), "[0,1,2,3]");
    }

    #[test]
    fn keyed_arrays_merge_element_by_element() {
        let opts = JsonMergeOptions {
            array_keys: vec!["Id".into(), "Name".into()],
            ..Default::default()
        };
        let m = merge3(
            r#"[{"Name":"a","v":1},{"Name":"b","v":1},{"Name":"c","v":1}]"#,
            r#"[{"Name":"a","v":2},{"Name":"b","v":1},{"Name":"n","v":0},{"Name":"c","v":1}]"#,
            r#"[{"Name":"c","v":1},{"Name":"a","v":1},{"Name":"b","v":3}]"#,
            &opts,
        );
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        assert_eq!(
            text(&m),
            r#"[{"Name":"c","v":1},{"Name":"a","v":2},{"Name":"b","v":3},{"Name":"n","v":0}]"#
        );
    }

    #[test]
    fn keyed_array_delete_vs_modify_keeps_the_element_at_a_conflict() {
        let opts = JsonMergeOptions {
            array_keys: vec!["Name".into()],
            ..Default::default()
        };
        let m = merge3(
            r#"[{"Name":"a","v":1},{"Name":"b","v":1}]"#,
            r#"[{"Name":"a","v":1},{"Name":"b","v":2}]"#,
            r#"[{"Name":"a","v":1}]"#,
            &opts,
        );
        assert_eq!(text(&m), r#"[{"Name":"a","v":1},{"Name":"b","v":2}]"#);
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].path, ["[Name=b]"]);
    }

    #[test]
    fn keyed_array_conflicts_do_not_depend_on_which_side_is_ours() {
        // Theirs deletes n3 (which ours modified) and moves n5 first: the order of n2, n3, n5
        // is contested whether or not the policy keeps n3.
        let opts = JsonMergeOptions {
            array_keys: vec!["Name".into()],
            ..Default::default()
        };
        let base = r#"[{"Name":"n2"},{"Name":"n3","v":1},{"Name":"n5"}]"#;
        let ours = r#"[{"Name":"n2"},{"Name":"n3","v":2},{"Name":"n5"}]"#;
        let theirs = r#"[{"Name":"n5"},{"Name":"n2"}]"#;
        let kinds = |m: &JsonMerge| m.conflicts.iter().map(|c| c.kind).collect::<Vec<_>>();
        let m = merge3(base, ours, theirs, &opts);
        let swapped = merge3(base, theirs, ours, &opts);
        assert_eq!(
            kinds(&m),
            [JsonConflictKind::Value, JsonConflictKind::Order]
        );
        assert_eq!(kinds(&swapped), kinds(&m));
        assert_eq!(text(&swapped), r#"[{"Name":"n5"},{"Name":"n2"}]"#);
    }

    #[test]
    fn keyed_array_order_conflict() {
        let opts = JsonMergeOptions {
            array_keys: vec!["Name".into()],
            ..Default::default()
        };
        let el = |n: &str| format!(r#"{{"Name":"{n}"}}"#);
        let arr = |names: &[&str]| {
            format!(
                "[{}]",
                names.iter().map(|n| el(n)).collect::<Vec<_>>().join(",")
            )
        };
        let m = merge3(
            &arr(&["a", "b", "c"]),
            &arr(&["b", "a", "c"]),
            &arr(&["a", "c", "b"]),
            &opts,
        );
        assert_eq!(text(&m), arr(&["b", "a", "c"]));
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(m.conflicts[0].kind, JsonConflictKind::Order);
    }

    #[test]
    fn arrays_without_a_usable_key_stay_atomic() {
        let opts = JsonMergeOptions {
            array_keys: vec!["Name".into()],
            ..Default::default()
        };
        let m = merge3(
            r#"[{"Name":"a"}]"#,
            r#"[{"Name":"a"},{"Name":"a"}]"#,
            r#"[{"Name":"a"},{"X":1}]"#,
            &opts,
        );
        assert_eq!(m.conflicts.len(), 1);
        assert!(m.conflicts[0].path.is_empty());
    }
}
