//! Small helpers shared by the data-side submodules.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::json::{self, Json, Object};
use crate::source::SourceTree;

/// .NET ordinal string order (UTF-16 code units), used where the reference sorts with
/// `StringComparer.Ordinal`.
pub fn ordinal_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// .NET `OrdinalIgnoreCase` equality (simple upper-case folding per character).
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    fold_case(a) == fold_case(b)
}

pub fn fold_case(s: &str) -> String {
    s.chars().flat_map(char::to_uppercase).collect()
}

/// A string member of an object, if present and a string.
pub fn str_member<'a>(obj: &'a Object, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Json::as_str)
}

/// Parses a tree file as JSON; syntax errors point into the file.
pub fn parse_tree_json(path: &str, bytes: &[u8]) -> Result<Json> {
    json::parse_bytes(bytes).map_err(|e| Error::syntax(path, e.line, e.column, e.message))
}

/// Parses a tree file that must hold a JSON object.
pub fn parse_tree_object(path: &str, bytes: &[u8]) -> Result<Object> {
    match parse_tree_json(path, bytes)? {
        Json::Object(o) => Ok(o),
        _ => Err(Error::bad_input(path, "expected a JSON object")),
    }
}

/// Tree text as UTF-8 without a BOM.
pub fn tree_text<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| Error::bad_input(path, "not valid UTF-8 text"))
}

/// The last segment of a tree path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Hidden files (`.DS_Store`, `.gitkeep`) are never part of an app; the reference would pack or
/// crash on them, we skip them with a warning.
pub fn is_hidden(path: &str) -> bool {
    path.split('/').any(|segment| segment.starts_with('.'))
}

/// Files directly inside `dir` (not in subfolders), sorted by path.
pub fn direct_children<'a>(
    tree: &'a SourceTree,
    dir: &'a str,
) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
    let depth = dir.matches('/').count() + 1;
    tree.under(dir)
        .filter(move |(path, _)| path.matches('/').count() == depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinal_is_utf16_order() {
        assert_eq!(ordinal_cmp("B", "a"), Ordering::Less);
        // U+FF21 sorts after a surrogate pair in UTF-16 but before it in UTF-8.
        assert_eq!(ordinal_cmp("\u{FF21}", "😀"), Ordering::Greater);
    }

    #[test]
    fn case_folding() {
        assert!(eq_ignore_case("Image", "iMAGE"));
        assert!(!eq_ignore_case("Image", "Image_1"));
    }

    #[test]
    fn hidden_paths() {
        assert!(is_hidden("Assets/.DS_Store"));
        assert!(is_hidden("Assets/.git/x"));
        assert!(!is_hidden("Assets/Images/a.png"));
    }
}
