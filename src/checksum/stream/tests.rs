use std::cell::Cell;

use proptest::prelude::*;

use super::*;
use crate::checksum::json_value;

thread_local! {
    static FALLBACKS: Cell<usize> = const { Cell::new(0) };
}

pub(super) fn note_fallback() {
    FALLBACKS.with(|f| f.set(f.get() + 1));
}

fn tree_value(bytes: &[u8], max_depth: usize) -> Option<Vec<u8>> {
    json::parse_bytes_nested(bytes, max_depth)
        .ok()
        .map(|j| json_value(&j))
}

/// The tokenizer's own verdict, without the tree parser behind it.
fn tape_accepts(bytes: &[u8], max_depth: usize) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut scratch = Scratch::default();
    tokenize(text, max_depth, &mut scratch).is_ok()
}

/// Same acceptance, same value, and no nested document needed the tree parser.
fn check(bytes: &[u8], max_depth: usize) -> Result<(), TestCaseError> {
    FALLBACKS.with(|f| f.set(0));
    let tree = tree_value(bytes, max_depth);
    let lossy = String::from_utf8_lossy(bytes);
    prop_assert_eq!(
        tape_accepts(bytes, max_depth),
        tree.is_some(),
        "acceptance of {:?}",
        lossy
    );
    let tape = json_entry_value(bytes, max_depth).ok();
    prop_assert_eq!(tape, tree, "value of {:?}", lossy);
    prop_assert_eq!(FALLBACKS.with(Cell::get), 0, "fallback on {:?}", lossy);
    Ok(())
}

fn same(text: &str) {
    check(text.as_bytes(), json::MAX_ENTRY_DEPTH).unwrap();
    check(text.as_bytes(), json::MAX_DEPTH).unwrap();
}

/// `text` as a JSON string literal.
fn encode(text: &str) -> String {
    json::to_compact_string(&json::Json::str(text))
}

#[test]
fn edge_cases_hash_as_the_tree_does() {
    for text in [
        "null",
        "true",
        "\"\"",
        "\"  \"",
        "\" \\u00a0x\\r\\ny\\r\\n\"",
        "[]",
        "{}",
        "[1, -0, 0, -0.0, 1.0, 1e400, -1e400, 1e-400, 5e-324, 1E+21, 0e99999999999999999999]",
        "[12345678901234567890, 9007199254740993, 0.10000000000000001, 2.2250738585072011e-308]",
        r#"{"b":1,"a":2,"b":3,"a":{"x":null}}"#,
        r#"{"a":null,"a":1}"#,
        r#"{"\u0061":1,"a":2}"#,
        r#"{"a":1,"\u0061":2}"#,
        r#"{"K":1,"\u212a":2,"K":3,"\u212a":4,"k":5}"#,
        r#"{"\u212a":1,"K":2,"\u212a":3}"#,
        r#"{"é":1,"e\u0301":2,"E":3,"e":4,"":5,"":6}"#,
        r#"{"InvariantScript":"  a \t\r\n b  ","x":{"InvariantScript":1}}"#,
        r#"{"InvariantScript":null,"InvariantScript":"x"}"#,
        r#"{"InvariantScript":"\u0020\u0020"}"#,
        r#"{"LocalConnectionReferences":"{\"b\":1,\"a\":2}"}"#,
        r#"{"LocalConnectionReferences":"\ufeff{\"b\":1}"}"#,
        r#"{"LocalConnectionReferences":"{"}"#,
        r#"{"LocalConnectionReferences":"  "}"#,
        r#"{"LocalConnectionReferences":"[1,]"}"#,
        r#"{"LocalConnectionReferences":"\"\\ud800\""}"#,
        r#"{"LocalConnectionReferences":" 1 "}"#,
        r#"{"x":{"LibraryDependencies":["{\"a\":\"b\"}",{"c":"[1]"}]}}"#,
        r#"{"MyLibraryDependencies":"{\"b\":1}"}"#,
        r#"{"DataSources":[{"TableDefinition":"{\"LocalDatabaseReferences\":\"{}\"}"}]}"#,
        r#"{"UsedTemplates":[{"Template":"<?xml version=\"1.0\"?><a><b/></a>"}]}"#,
        r#"{"UsedTemplates":[{"Template":"<a>"}]}"#,
        r#"{"UsedTemplates":{"Template":"\r\n<a/>"}}"#,
        r#"{"Template":"<a/>"}"#,
        "\u{feff}{}",
        "\u{feff}\u{feff}[1]",
    ] {
        same(text);
    }
}

#[test]
fn acceptance_matches_the_parser() {
    for text in [
        "",
        " ",
        "[1,]",
        "{\"a\":1,}",
        "// c\n1",
        "{'a':1}",
        "{a:1}",
        "01",
        "-01",
        "1.",
        ".5",
        "+1",
        "NaN",
        "-Infinity",
        "\"a\nb\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12G4\"",
        "\"\\uD83D\"",
        "\"\\uD83Dx\"",
        "\"\\uD83D\\u0041\"",
        "\"\\uD83D\\uD83D\"",
        "\"\\uDE00\"",
        "\"\\uDE00\\uDE00\"",
        "\"\\uDC00\\uD800\"",
        "\"\\uDBFF\\uDFFF\\uD800\\uDC00\"",
        "\"\\uD83D\\uDE0\"",
        "\"\\u0000\"",
        "[",
        "]",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "{\"a\" 1}",
        "{,}",
        "[,]",
        "[1 2]",
        "\"abc",
        "\"abc\\",
        "\"\\",
        "tru",
        "truee",
        "nul",
        "null null",
        "-",
        "1e",
        "1e+",
        "1.5.2",
        "\"\t\"",
        "\u{a0}1",
        "[1]]",
        "{}}",
        "{\"a\":1]",
        "[1}",
        "\u{feff}\u{feff}\u{feff}1",
        "\"\u{7f}\u{80}\u{10ffff}\"",
    ] {
        same(text);
    }
    for bytes in [
        &b"\xEF\xBB\xBF[1]"[..],
        b"\xEF\xBB\xBF\xEF\xBB\xBF[1]",
        b"[\"ab\xFF\"]",
        b"\"\xC3\"",
        b"\xEF\xBB",
        b"\"\xED\xA0\x80\"",
    ] {
        check(bytes, json::MAX_DEPTH).unwrap();
    }
}

#[test]
fn nesting_limit_is_the_parsers() {
    for depth in [0, 1, 2, 3, json::MAX_ENTRY_DEPTH] {
        for levels in [depth.saturating_sub(1), depth, depth + 1] {
            let arrays = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            check(arrays.as_bytes(), depth).unwrap();
            let objects = format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
            check(objects.as_bytes(), depth).unwrap();
            check(b"1", depth).unwrap();
        }
    }
    let very_deep = "{\"a\":".repeat(1_000_000);
    check(very_deep.as_bytes(), json::MAX_ENTRY_DEPTH).unwrap();
}

/// Documents nested in strings, each a few hundred levels deep, until the walk's bound stops
/// reading them as JSON.
#[test]
fn walk_depth_bound_is_the_trees() {
    for levels in [1, 4, 5, 6] {
        let mut doc = encode(" {\"deepest\": [1, 2]}");
        for _ in 0..levels {
            let inner = format!("{}{doc}{}", "[".repeat(400), "]".repeat(400));
            doc = encode(&format!("{{\"x\":{{\"LibraryDependencies\":{inner}}}}}"));
        }
        let text = format!("{{\"LibraryDependencies\":{doc}}}");
        // Run on a thread with room for the tree walk's recursion.
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || same(&text))
            .unwrap()
            .join()
            .unwrap();
    }
}

#[test]
fn scratch_is_reused_and_left_clean() {
    let a = r#"{"b":[1,"x\n"],"a":{"LocalConnectionReferences":"{\"z\":\"\\u00e9\"}"}}"#;
    let first = json_entry_value(a.as_bytes(), json::MAX_DEPTH).unwrap();
    assert!(json_entry_value(b"{\"a\":[1,", json::MAX_DEPTH).is_err());
    let _ = json_entry_value(b"[\"\\u00e9\\n\"]", json::MAX_DEPTH).unwrap();
    assert_eq!(
        json_entry_value(a.as_bytes(), json::MAX_DEPTH).unwrap(),
        first
    );
}

#[test]
fn plain_run_scanner_finds_every_stop_byte() {
    for len in 0..40 {
        for at in 0..len {
            for stop in [b'"', b'\\', 0x00, 0x1F] {
                let mut bytes = vec![b'a'; len];
                bytes[at] = stop;
                assert_eq!(skip_plain(&bytes, 0), at);
                assert_eq!(skip_plain(&bytes, at), at);
            }
            for go in [0x20, 0x7F, 0x80, 0xFF, 0xE0, 0x5B, 0x23, 0x21] {
                let bytes = vec![go; len];
                assert_eq!(skip_plain(&bytes, at), len);
            }
        }
    }
}

// ---- random documents ----

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n  ", "\t", "\r\n"])
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "-0",
            "-0.0",
            "1.0",
            "1e400",
            "-1e400",
            "1e-400",
            "5e-324",
            "1E+21",
            "12345678901234567890",
            "0.1",
            "9007199254740993",
            "0e99999999999999999999",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
        ])
        .prop_map(str::to_owned),
        "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?",
    ]
}

/// Pieces of a string literal's body, escapes included.
fn string_body() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "A",
        "K",
        "\u{212a}",
        "é",
        "e\u{301}",
        " ",
        "\u{a0}",
        "\u{3000}",
        "{",
        "}",
        "[",
        "1",
        "<",
        "<a/>",
        "\\n",
        "\\r\\n",
        "\\r",
        "\\t",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\u0041",
        "\\u00e9",
        "\\uD83D\\uDE00",
        "\\u0000",
        "\\uFEFF",
        "\\u212A",
        "😀",
    ]);
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "A",
            "\\u0061",
            "b",
            "K",
            "\\u212A",
            "\u{212a}",
            "é",
            "e\u{301}",
            "",
            "InvariantScript",
            "Invariant\\u0053cript",
            "LocalConnectionReferences",
            "LibraryDependencies",
            "DataSources",
            "TableDefinition",
            "UsedTemplates",
            "Template",
            "WadlMetadata",
            "WadlXml",
        ])
        .prop_map(|k| format!("\"{k}\"")),
        string_body().prop_map(|k| format!("\"{k}\"")),
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["null", "true", "false"]).prop_map(str::to_owned),
        number(),
        string_body().prop_map(|s| format!("\"{s}\"")),
        prop::sample::select(vec![
            "\"<a>\\r\\n <b x='1' />\\r\\n</a>\"",
            "\"<?xml version=\\\"1.0\\\"?><a/>\"",
            "\"<a>\"",
            "\"[1, {\\\"b\\\": null}]\"",
        ])
        .prop_map(str::to_owned),
    ]
}

fn document() -> impl Strategy<Value = String> {
    scalar().prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec((ws(), inner.clone(), ws()), 0..5).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(a, v, b)| format!("{a}{v}{b}"))
                    .collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((ws(), key(), ws(), inner.clone()), 0..6).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(a, k, b, v)| format!("{a}{k}{b}:{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
            // A document held in a string, somewhere a checksum reads it as JSON or XML.
            (inner.clone(), ws()).prop_map(|(v, w)| encode(&format!("{w}{v}"))),
            inner.clone().prop_map(|v| format!(
                "{{\"DataSources\":[{{\"TableDefinition\":{}}}]}}",
                encode(&v)
            )),
            inner
                .clone()
                .prop_map(|v| format!("{{\"LocalDatabaseReferences\":{}}}", encode(&v))),
            inner.prop_map(|v| format!("{{\"UsedTemplates\":[{{\"Template\":{v}}}]}}")),
        ]
    })
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        any::<prop::sample::Index>(),
        0..4u8,
        prop::sample::select(vec![
            b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'e', b'-', b'.', b'u', b'D',
            b' ', 0x00, 0x1F, 0xC3, 0xED, 0xFF,
        ]),
        prop::sample::select(vec![
            "\\uDE00",
            "\\uD83D",
            "\\uDC00\\uD800",
            "\\u",
            "1e9999",
            "\\u00",
            "\"\"",
            "{}",
            "[]",
        ]),
    );
    (document(), prop::collection::vec(edit, 1..4)).prop_map(|(doc, edits)| {
        let mut bytes = doc.into_bytes();
        for (at, op, byte, snippet) in edits {
            let at = at.index(bytes.len() + 1);
            match op {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, byte),
                2 => {
                    bytes.splice(at..at, snippet.bytes());
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_hash_as_the_tree_does(doc in document(), depth in 0..8usize) {
        check(doc.as_bytes(), json::MAX_ENTRY_DEPTH)?;
        check(doc.as_bytes(), depth)?;
    }

    #[test]
    fn broken_documents_are_rejected_as_the_parser_rejects_them(bytes in mutated()) {
        check(&bytes, json::MAX_ENTRY_DEPTH)?;
    }

    #[test]
    fn list_members_are_the_trees(items in prop::collection::vec((ws(), document()), 0..5), short in 0..12usize) {
        let items: Vec<String> = items.into_iter().map(|(w, d)| format!("{w}{d}")).collect();
        let doc = format!("{{\"x\":1,\"DataSources\":[{}]}}", items.join(","));
        let inline = |key: &str, len: usize| len <= short || key == "Name";
        let tape = list_members(doc.as_bytes(), "DataSources", &inline).map_err(|e| e.to_string());
        let tree = json::parse_bytes(doc.as_bytes())
            .map(|d| list_members_of_tree(d, "DataSources", &inline))
            .map_err(|e| e.to_string());
        prop_assert_eq!(tape, tree);
    }

    #[test]
    fn broken_lists_fail_as_the_parser_fails(bytes in mutated()) {
        let inline = |_: &str, len: usize| len <= 3;
        let tape = list_members(&bytes, "DataSources", &inline).map_err(|e| e.to_string());
        let tree = json::parse_bytes(&bytes)
            .map(|d| list_members_of_tree(d, "DataSources", &inline))
            .map_err(|e| e.to_string());
        prop_assert_eq!(tape, tree);
    }
}
