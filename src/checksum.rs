//! The version-8 content checksum Power Apps stamps in `checksum.json` (`C8_<base64>`).
//!
//! Each entry contributes a value: for JSON entries the SHA-256 of a canonical byte stream
//! (key order, formatting and number spelling do not matter), for other entries their raw
//! bytes. The whole checksum hashes `ascii(name) + value` for every entry in culture order.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::model::{Entry, EntryData, MsApp, is_json_name};
use crate::xml;

mod stream;

pub use stream::{
    ListItem, Member, json_entry_value, list_members, list_members_of_tree, wrapped_member_value,
};

/// Whole-app checksum and per-file checksums (entry name -> `C8_...`), in checksum order.
#[derive(Debug, Clone, PartialEq)]
pub struct Checksums {
    pub whole: String,
    pub per_file: Vec<(String, String)>,
}

const VERSION: u32 = 8;
const MARKER: u8 = 0xFF;

/// String values at these paths (property names joined with `\`) hold JSON text and are
/// hashed as the JSON they contain. A one-element path must equal an entry; longer paths
/// must end with one.
const JSON_IN_STRING: [&str; 13] = [
    "LocalConnectionReferences",
    "LocalDatabaseReferences",
    "LibraryDependencies",
    "DataSources\\TableDefinition",
    "DataSources\\WadlMetadata\\SwaggerJson",
    "Template\\DynamicControlDefinitionJson",
    "Template\\DynamicControlDefinitionJson\\AuthConfigProperties",
    "Template\\DynamicControlDefinitionJson\\CommonEvents",
    "Template\\DynamicControlDefinitionJson\\Events",
    "Template\\DynamicControlDefinitionJson\\IncludedProperties",
    "Template\\DynamicControlDefinitionJson\\Properties",
    "Template\\DynamicControlDefinitionJson\\Resources",
    "Template\\DynamicControlDefinitionJson\\SubscribedFunctionalities",
];

/// String values at exactly these paths hold XML, hashed in its canonical form.
const XML_IN_STRING: [&str; 2] = [
    "UsedTemplates\\Template",
    "DataSources\\WadlMetadata\\WadlXml",
];

/// Bound on the walk's recursion (JSON nesting plus JSON nested in strings). The parser
/// already limits one document's depth; this stops chains of double-encoded documents.
const MAX_WALK_DEPTH: usize = 2048;

/// Computes the checksum of an app's entries (entries whose name ends in `checksum.json` are
/// skipped); see [`entry_value_of`] for entries the reference would refuse.
pub fn compute(app: &MsApp) -> Checksums {
    combine(entry_values(app))
}

/// Apps with fewer entries than this are hashed on one thread.
const PARALLEL_FROM_ENTRIES: usize = 8;

/// The value ([`combine`]'s input) of every entry of `app` but the checksum files, in app
/// order, as [`compute`] hashes them. Entries are independent: a big app's are spread over
/// two threads, and put back in app order (entries of the same name hash in that order).
pub fn entry_values(app: &MsApp) -> Vec<(String, Vec<u8>)> {
    let entries: Vec<&Entry> = app
        .entries
        .iter()
        .filter(|e| !is_checksum_name(&e.name))
        .collect();
    let value_of = |e: &Entry| (e.name.clone(), entry_value_of(e));
    if entries.len() < PARALLEL_FROM_ENTRIES {
        return entries.into_iter().map(value_of).collect();
    }
    let next = AtomicUsize::new(0);
    let run = || {
        let mut values = Vec::new();
        loop {
            let at = next.fetch_add(1, AtomicOrdering::Relaxed);
            let Some(e) = entries.get(at) else {
                return values;
            };
            values.push((at, value_of(e)));
        }
    };
    let (mut values, here) = crate::parallel::join(run, run);
    values.extend(here);
    values.sort_by_key(|(at, _)| *at);
    values.into_iter().map(|(_, value)| value).collect()
}

/// What one entry of an app contributes to [`compute`]. Where the reference would throw
/// (double-encoded JSON or XML that does not parse, a `.json` entry held as unparsable
/// bytes), the offending value is hashed as it is instead, so the result is still a stable
/// content fingerprint.
pub fn entry_value_of(e: &Entry) -> Vec<u8> {
    match &e.data {
        EntryData::Json(json) => json_value(json),
        EntryData::Bytes(bytes) if is_json_name(&e.name) => {
            json_entry_value(bytes, json::MAX_DEPTH).unwrap_or_else(|_| bytes.clone())
        }
        EntryData::Bytes(bytes) => bytes.clone(),
    }
}

/// Computes the checksum of raw archive entries (name, bytes); JSON entries that do not
/// parse are an error, as they are for the reference.
pub fn compute_entries(entries: &[(String, Vec<u8>)]) -> Result<Checksums> {
    let mut values = Vec::with_capacity(entries.len());
    for (name, bytes) in entries {
        if is_checksum_name(name) {
            continue;
        }
        values.push((name.clone(), entry_value(name, bytes)?));
    }
    Ok(combine(values))
}

/// What one raw entry contributes to the checksum (see [`combine`]); entries are independent,
/// so callers may compute these in parallel.
pub fn entry_value(name: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    if is_json_name(name) {
        json_entry_value(bytes, json::MAX_DEPTH)
            .map_err(|e| Error::bad_input(name, format!("cannot checksum: {e}")))
    } else {
        Ok(bytes.to_vec())
    }
}

/// The per-file value of a JSON entry: the SHA-256 of its canonical stream.
pub fn json_value(json: &Json) -> Vec<u8> {
    let mut walker = Walker::new();
    walker.walk(json);
    walker.finish()
}

/// `C8_` followed by the Base64 of a digest.
pub fn to_checksum_string(digest: &[u8]) -> String {
    format!(
        "C{VERSION}_{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

pub fn is_checksum_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with("checksum.json")
}

/// The checksums of entries given their values ([`entry_value`]), checksum files excluded.
pub fn combine(mut values: Vec<(String, Vec<u8>)>) -> Checksums {
    values.sort_by(|a, b| checksum_order(&a.0, &b.0));
    let mut whole = Sha256::new();
    let mut per_file = Vec::with_capacity(values.len());
    for (name, value) in values {
        let ascii: Vec<u8> = name
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .collect();
        whole.update(&ascii);
        whole.update(&value);
        per_file.push((name, to_checksum_string(&Sha256::digest(&value))));
    }
    Checksums {
        whole: to_checksum_string(&whole.finalize()),
        per_file,
    }
}

struct Walker {
    hash: Sha256,
    /// Property names from the root, joined with `\`.
    path: String,
    /// Length of `path` before each push, to pop.
    path_lengths: Vec<usize>,
    depth: usize,
}

impl Walker {
    fn new() -> Walker {
        Walker {
            hash: Sha256::new(),
            path: String::new(),
            path_lengths: Vec::new(),
            depth: 0,
        }
    }

    fn finish(self) -> Vec<u8> {
        self.hash.finalize().to_vec()
    }

    fn walk(&mut self, value: &Json) {
        self.depth += 1;
        match value {
            Json::Array(items) => {
                self.hash.update(b"[");
                for item in items {
                    self.walk(item);
                }
                self.hash.update(b"]");
            }
            Json::Object(object) => {
                self.hash.update(b"{");
                let mut members: Vec<&(String, Json)> = object.0.iter().collect();
                members.sort_by(|a, b| checksum_order(&a.0, &b.0));
                let mut seen: Vec<&str> = Vec::with_capacity(members.len());
                for (name, member) in members {
                    // Duplicate keys (a known server bug): only the first one counts.
                    if seen.contains(&name.as_str()) {
                        continue;
                    }
                    seen.push(name);
                    self.property_name(name);
                    match member {
                        Json::String(s) if name == "InvariantScript" => {
                            self.data(normalize_formula_whitespace(s).as_bytes());
                        }
                        Json::Null => {}
                        _ => {
                            self.push(name);
                            self.walk(member);
                            self.pop();
                        }
                    }
                }
                self.hash.update(b"}");
            }
            Json::Number(n) => self.data(&n.as_f64().to_le_bytes()),
            Json::Bool(b) => self.data(&[u8::from(*b)]),
            Json::Null => self.data(&[0xFE]),
            Json::String(s) => self.string(s),
        }
        self.depth -= 1;
    }

    fn string(&mut self, s: &str) {
        if self.may_hold_document(s) {
            if self.json_in_string()
                && let Ok(inner) = json::parse(s)
            {
                self.walk(&inner);
                return;
            }
            if self.xml_in_string()
                && let Ok(canonical) = xml::canonical(s)
            {
                self.data(canonical.as_bytes());
                return;
            }
        }
        self.plain_string(s);
    }

    /// A string hashed as text: leading whitespace dropped, CRLF as LF.
    fn plain_string(&mut self, s: &str) {
        self.text_with_line_ends(s, true);
    }

    /// [`Walker::plain_string`]; `may_hold_cr` false promises `s` holds no CR.
    fn text_with_line_ends(&mut self, s: &str, may_hold_cr: bool) {
        let mut rest = s.trim_start_matches(char::is_whitespace);
        if !may_hold_cr {
            self.data(rest.as_bytes());
            return;
        }
        // Hashing is streamed, so CRLF can be rewritten piecewise without building a copy.
        // (A char pattern makes `find` search a word at a time.)
        let mut from = 0;
        while let Some(cr) = rest.get(from..).and_then(|r| r.find('\r')) {
            let cr = from + cr;
            if rest.as_bytes().get(cr + 1) == Some(&b'\n') {
                self.hash.update(rest.get(..cr).unwrap_or_default());
                self.hash.update(b"\n");
                rest = rest.get(cr + 2..).unwrap_or_default();
                from = 0;
            } else {
                from = cr + 1;
            }
        }
        self.data(rest.as_bytes());
    }

    /// The blank test that keeps whitespace-only strings from being re-parsed.
    fn may_hold_document(&self, s: &str) -> bool {
        self.depth < MAX_WALK_DEPTH && !s.chars().all(char::is_whitespace)
    }

    fn json_in_string(&self) -> bool {
        match self.path_lengths.len() {
            0 => false,
            1 => JSON_IN_STRING.contains(&self.path.as_str()),
            _ => JSON_IN_STRING.iter().any(|p| self.path.ends_with(p)),
        }
    }

    fn xml_in_string(&self) -> bool {
        self.path_lengths.len() >= 2 && XML_IN_STRING.contains(&self.path.as_str())
    }

    fn push(&mut self, name: &str) {
        self.path_lengths.push(self.path.len());
        if self.path_lengths.len() > 1 {
            self.path.push('\\');
        }
        self.path.push_str(name);
    }

    fn pop(&mut self) {
        if let Some(len) = self.path_lengths.pop() {
            self.path.truncate(len);
        }
    }

    fn data(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        self.hash.update([MARKER]);
    }

    fn property_name(&mut self, name: &str) {
        self.data(name.as_bytes());
        self.hash.update([MARKER]);
    }
}

/// The order of property and entry names (the reference sorts with .NET's culture-aware
/// `OrderBy`; names that compare equal keep their order, as in a stable sort).
///
/// Characters compare by class first (symbols and punctuation, then digits, then letters),
/// symbols by code point and letters case-insensitively (compatibility-decomposed, so `é`
/// sorts with `e`); only then does case decide, position by position, lower case first.
/// This is the order of `msapp_checksum.py`. It reproduces every C8 stamp of the corpus,
/// including one written by the reference tool itself that ICU root order does not: there
/// `$metadata` sorts before `{table}`, where ICU puts currency symbols after all other
/// punctuation.
pub fn checksum_order(a: &str, b: &str) -> Ordering {
    if let Some(order) = ascii_order(a.as_bytes(), b.as_bytes()) {
        return order;
    }
    let primary = a.chars().map(weight).cmp(b.chars().map(weight));
    primary.then_with(|| {
        a.chars()
            .map(|c| !c.is_lowercase())
            .cmp(b.chars().map(|c| !c.is_lowercase()))
    })
}

/// [`checksum_order`] in one pass when the names are ASCII up to where they differ (an ASCII
/// character weighs the same in the general order); `None` where that needs the general one.
fn ascii_order(a: &[u8], b: &[u8]) -> Option<Ordering> {
    let mut case = Ordering::Equal;
    for (&x, &y) in a.iter().zip(b) {
        if !x.is_ascii() || !y.is_ascii() {
            return None;
        }
        if x != y {
            let (wx, wy) = (ascii_weight(x), ascii_weight(y));
            if wx != wy {
                return Some(wx.cmp(&wy));
            }
            if case == Ordering::Equal {
                case = case_rank(x).cmp(&case_rank(y));
            }
        }
    }
    // Equal weights so far: the shorter name (all ASCII, so fewer characters) sorts first.
    Some(a.len().cmp(&b.len()).then(case))
}

fn ascii_weight(b: u8) -> (u8, u8) {
    if b.is_ascii_alphabetic() {
        (3, b.to_ascii_lowercase())
    } else if b.is_ascii_digit() {
        (2, b)
    } else {
        (1, b)
    }
}

/// Lower case first; everything that is not a lower-case letter ranks alike.
fn case_rank(b: u8) -> bool {
    !b.is_ascii_lowercase()
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    Symbol(char),
    Digit(char),
    Letter(String),
}

fn weight(c: char) -> Weight {
    use icu_properties::CodePointMapData;
    use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
    let category = CodePointMapData::<GeneralCategory>::new().get(c);
    if GeneralCategoryGroup::Letter.contains(category) {
        let lower: String = c.to_lowercase().collect();
        let nfkd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfkd();
        Weight::Letter(nfkd.normalize(&lower).into_owned())
    } else if category == GeneralCategory::DecimalNumber {
        Weight::Digit(c)
    } else {
        Weight::Symbol(c)
    }
}

/// Formula whitespace: only TAB, space, CR and LF count; leading runs are dropped, inner runs
/// become one space, trailing spaces are dropped.
fn normalize_formula_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_space = true;
    for c in s.chars() {
        if matches!(c, '\t' | ' ' | '\r' | '\n') {
            if !after_space {
                out.push(' ');
            }
            after_space = true;
        } else {
            out.push(c);
            after_space = false;
        }
    }
    while out.len() > 1 && out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(text: &str) -> Vec<u8> {
        json_value(&json::parse(text).unwrap())
    }

    #[test]
    fn name_order() {
        let less = [
            ("/{c}/$metadata", "/{c}/{table}"),
            ("MinVersionToLoad", "MSAppStructureVersion"),
            ("address1_x", "address10"),
            ("{VersionNumber}", "Author"),
            ("Components\\3.json", "ComponentsMetadata.json"),
            ("_y", "Width"),
            ("ab", "Ab"),
            ("a", "A"),
            ("A", "b"),
            ("", "a"),
            ("e", "é"),
            ("é", "f"),
            ("E", "é"),
            ("Ä", "b"),
        ];
        for (a, b) in less {
            assert_eq!(checksum_order(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(checksum_order(b, a), Ordering::Greater, "{b} > {a}");
        }
    }

    /// The order as first written: the ASCII path only when both names are all ASCII.
    fn reference_order(a: &str, b: &str) -> Ordering {
        if a.is_ascii() && b.is_ascii() {
            let primary = a.bytes().map(ascii_weight).cmp(b.bytes().map(ascii_weight));
            return primary.then_with(|| a.bytes().map(case_rank).cmp(b.bytes().map(case_rank)));
        }
        let primary = a.chars().map(weight).cmp(b.chars().map(weight));
        primary.then_with(|| {
            a.chars()
                .map(|c| !c.is_lowercase())
                .cmp(b.chars().map(|c| !c.is_lowercase()))
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn one_pass_order_is_the_reference_order(
            a in "[aAbB0_ \\$é\u{212a}Kk\u{e9}\u{301}\u{3000}ﬁ]{0,6}",
            b in "[aAbB0_ \\$é\u{212a}Kk\u{e9}\u{301}\u{3000}ﬁ]{0,6}",
        ) {
            proptest::prop_assert_eq!(checksum_order(&a, &b), reference_order(&a, &b));
        }
    }

    #[test]
    fn formula_whitespace() {
        assert_eq!(normalize_formula_whitespace("  a \t\r\n b  "), "a b");
        assert_eq!(normalize_formula_whitespace(" \n "), "");
        assert_eq!(normalize_formula_whitespace("x\u{a0} y"), "x\u{a0} y");
    }

    #[test]
    fn formatting_and_order_do_not_matter() {
        assert_eq!(
            stream_of("{\"b\":1,\"a\":[true,null]}"),
            stream_of("{ \"a\" : [ true , null ] , \"b\" : 1.0 }")
        );
        assert_ne!(stream_of("{\"a\":1}"), stream_of("{\"a\":\"1\"}"));
        assert_ne!(stream_of("{\"a\":null}"), stream_of("{}"));
        assert_ne!(stream_of("[1,2]"), stream_of("[2,1]"));
    }

    #[test]
    fn first_duplicate_key_wins() {
        assert_eq!(stream_of("{\"a\":1,\"a\":2}"), stream_of("{\"a\":1}"));
    }

    #[test]
    fn strings_lose_leading_whitespace_and_crlf() {
        assert_eq!(
            stream_of("{\"a\":\"  x\\r\\ny \"}"),
            stream_of("{\"a\":\"x\\ny \"}")
        );
        assert_ne!(stream_of("{\"a\":\"x \"}"), stream_of("{\"a\":\"x\"}"));
        assert_eq!(
            stream_of("{\"InvariantScript\":\" a  +\\n b \"}"),
            stream_of("{\"InvariantScript\":\"a + b\"}")
        );
    }

    #[test]
    fn crlf_is_rewritten_as_replace_would() {
        for s in [
            "",
            "\r",
            "\r\n",
            "\n\r",
            "\r\r\n\n",
            "a\rb\r\nc\r",
            " \u{3000}x\r\n\r\ny\r",
            "é\r\né",
        ] {
            let mut walker = Walker::new();
            walker.plain_string(s);
            let trimmed = s.trim_start_matches(char::is_whitespace);
            let mut expected = trimmed.replace("\r\n", "\n").into_bytes();
            expected.push(MARKER);
            assert_eq!(walker.finish(), Sha256::digest(&expected).to_vec(), "{s:?}");
        }
    }

    #[test]
    fn double_encoded_json_and_xml() {
        assert_eq!(
            stream_of(r#"{"LocalConnectionReferences":"{\"b\":1,\"a\":2}"}"#),
            stream_of(r#"{"LocalConnectionReferences":"{\"a\":2.0, \"b\":1}"}"#)
        );
        // One-name paths must match exactly; longer paths only need to end with a name.
        assert_ne!(
            stream_of(r#"{"MyLibraryDependencies":"{\"b\":1,\"a\":2}"}"#),
            stream_of(r#"{"MyLibraryDependencies":"{\"a\":2.0, \"b\":1}"}"#)
        );
        assert_eq!(
            stream_of(r#"{"x":{"MyLibraryDependencies":"{\"b\":1,\"a\":2}"}}"#),
            stream_of(r#"{"x":{"MyLibraryDependencies":"{\"a\":2.0, \"b\":1}"}}"#)
        );
        assert_eq!(
            stream_of(r#"{"UsedTemplates":[{"Template":"<?xml version=\"1.0\"?><a><b/></a>"}]}"#),
            stream_of(r#"{"UsedTemplates":[{"Template":"<a>\r\n  <b />\r\n</a>"}]}"#)
        );
        // Unparsable payloads are hashed as strings rather than failing.
        let _ = stream_of(r#"{"UsedTemplates":[{"Template":"<a>"}],"LibraryDependencies":"{"}"#);
    }

    #[test]
    fn checksum_json_entries_are_skipped_and_names_sorted() {
        let a = compute_entries(&[
            ("b.txt".into(), b"x".to_vec()),
            ("A.json".into(), b"{}".to_vec()),
            ("checksum.json".into(), b"{\"x\":1}".to_vec()),
        ])
        .unwrap();
        let b = compute_entries(&[
            ("A.json".into(), b"{ }".to_vec()),
            ("b.txt".into(), b"x".to_vec()),
        ])
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.per_file.len(), 2);
        assert_eq!(a.per_file[0].0, "A.json");
        assert!(a.whole.starts_with("C8_"));
        assert!(compute_entries(&[("bad.json".into(), b"{".to_vec())]).is_err());
    }
}
