//! JSON as `path: value` lines, one fact per line, and short content digests.
//!
//! Line-oriented output is what makes `git diff` and `git log -S` useful: a changed setting is
//! one `-`/`+` pair that names it in full.

use sha2::{Digest, Sha256};

use crate::json::{self, Json, Object};

/// Strings longer than this are shown as their length and digest: a diff line of several KB
/// (double-encoded schemas, table definitions) helps nobody.
pub const LONG_STRING: usize = 500;

/// `sha256:` and the first 16 hex digits: enough to tell versions apart in a diff.
pub fn digest(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 16);
    out.push_str("sha256:");
    for byte in sum.iter().take(8) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A scalar as it appears after `: ` (strings as JSON literals, so `""` stays visible).
/// Returns `None` for arrays and objects.
pub fn scalar(value: &Json) -> Option<String> {
    match value {
        Json::Null => Some("null".to_string()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.raw().to_string()),
        Json::String(s) if s.len() > LONG_STRING => Some(format!(
            "<{} chars, {}>",
            s.chars().count(),
            digest(s.as_bytes())
        )),
        Json::String(s) => {
            let mut out = String::new();
            json::write_string_literal(&mut out, s);
            Some(out)
        }
        Json::Array(_) | Json::Object(_) => None,
    }
}

/// Appends one line per leaf of `value` under `path`. Keys for which `skip(path)` holds are left
/// out (with everything below them).
pub fn flatten(path: &str, value: &Json, skip: &dyn Fn(&str) -> bool, out: &mut String) {
    if !path.is_empty() && skip(path) {
        return;
    }
    match value {
        Json::Object(obj) if obj.is_empty() => line(out, path, "{}"),
        Json::Object(obj) => {
            for (key, child) in sorted(obj) {
                flatten(&join(path, key), child, skip, out);
            }
        }
        Json::Array(items) if items.is_empty() => line(out, path, "[]"),
        Json::Array(items) => {
            if let Some(names) = item_names(items) {
                for (name, item) in names.iter().zip(items) {
                    flatten(&format!("{path}[{name}]"), item, skip, out);
                }
            } else if items.iter().all(|i| scalar(i).is_some()) {
                // No indices: inserting one item must not change every following line.
                let key = format!("{path}[]");
                for item in items {
                    line(out, &key, &scalar(item).unwrap_or_default());
                }
            } else {
                for (index, item) in items.iter().enumerate() {
                    flatten(&format!("{path}[{index}]"), item, skip, out);
                }
            }
        }
        scalar_value => line(out, path, &scalar(scalar_value).unwrap_or_default()),
    }
}

/// Flattens the members of an object at the top level (no leading dot).
pub fn flatten_object(obj: &Object, skip: &dyn Fn(&str) -> bool, out: &mut String) {
    for (key, child) in sorted(obj) {
        flatten(key, child, skip, out);
    }
}

/// Members by key (stable, so duplicate keys keep their order): the order Studio happens to
/// write keys in is no fact worth a diff line.
fn sorted(obj: &Object) -> Vec<(&str, &Json)> {
    let mut members: Vec<(&str, &Json)> = obj.iter().collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn line(out: &mut String, path: &str, value: &str) {
    if !path.is_empty() {
        out.push_str(path);
        out.push_str(": ");
    }
    out.push_str(value);
    out.push('\n');
}

/// Items named by a unique string `Name` (custom properties, rules...): identified by name
/// rather than position, so reordering or inserting one does not rename the others.
fn item_names(items: &[Json]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|i| {
            i.get("Name")
                .and_then(Json::as_str)
                .filter(|n| !n.is_empty())
        })
        .collect::<Option<Vec<_>>>()?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(text: &str) -> String {
        let mut out = String::new();
        flatten("", &json::parse(text).unwrap(), &|p| p == "skip", &mut out);
        out
    }

    #[test]
    fn leaves_become_lines() {
        assert_eq!(
            flat(r#"{"a":{"b":1,"c":""},"skip":{"x":1},"e":[],"f":{}}"#),
            "a.b: 1\na.c: \"\"\ne: []\nf: {}\n"
        );
    }

    #[test]
    fn scalar_lists_have_no_indices_and_named_items_use_names() {
        assert_eq!(flat(r#"{"l":["x","y"]}"#), "l[]: \"x\"\nl[]: \"y\"\n");
        assert_eq!(
            flat(r#"{"p":[{"Name":"A","v":true},{"Name":"B","v":null}]}"#),
            "p[A].Name: \"A\"\np[A].v: true\np[B].Name: \"B\"\np[B].v: null\n"
        );
        assert_eq!(
            flat(r#"{"p":[{"Name":"A"},{"Name":"A"}]}"#),
            "p[0].Name: \"A\"\np[1].Name: \"A\"\n"
        );
    }

    #[test]
    fn long_strings_become_digests() {
        let long = "x".repeat(LONG_STRING + 1);
        let out = flat(&format!(r#"{{"s":"{long}"}}"#));
        assert!(out.starts_with("s: <501 chars, sha256:"), "{out}");
        assert_eq!(digest(b"").len(), 7 + 16);
    }
}
