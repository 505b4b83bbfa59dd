//! A small block-style YAML writer that lays text out the way Studio's pa.yaml serializer does:
//! two-space indentation, sequences indented under their key, one mapping per sequence item
//! started on the dash line, `{}`/`[]` for empty collections, LF line ends.
//!
//! It only writes; pa.yaml is never parsed here.

use super::scalar::{Requested, Style, choose_style, is_special_string, write_block, write_inline};

/// A pa.yaml document, built in the order it is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text (names, keywords, descriptions): double-quoted when a reader would take it for
    /// null, a boolean or a number.
    Str(String),
    /// A Power Fx formula without its leading `=`.
    Formula(String),
    Bool(bool),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }
}

/// The emitter gives up on a simple `key:` beyond this length (YAML's limit).
const MAX_SIMPLE_KEY: usize = 1024;

/// Writes `root` (normally a mapping) as a YAML document body.
pub fn to_yaml(root: &Node) -> String {
    let mut out = String::new();
    match root {
        Node::Map(entries) if !entries.is_empty() => write_entries(&mut out, entries, 0, false),
        Node::Seq(items) if !items.is_empty() => write_items(&mut out, items, 0, false),
        other => {
            write_value_after(&mut out, other, 0, false);
        }
    }
    out
}

/// Mapping entries with keys at column `indent`; the first key continues the current line
/// when `inline_first` (a mapping that is a sequence item).
fn write_entries(out: &mut String, entries: &[(String, Node)], indent: usize, inline_first: bool) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if !(i == 0 && inline_first) {
            pad(out, indent);
        }
        if is_simple_key(key) {
            write_scalar(out, key, string_request(key), true, indent);
            out.push(':');
            write_value_after(out, value, indent, true);
        } else {
            // An explicit key; only reachable with names no app is likely to hold.
            out.push_str("? ");
            write_inline(out, key, Style::DoubleQuoted);
            out.push('\n');
            pad(out, indent);
            out.push(':');
            write_value_after(out, value, indent, true);
        }
    }
}

/// Sequence items with dashes at column `indent`.
fn write_items(out: &mut String, items: &[Node], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if !(i == 0 && inline_first) {
            pad(out, indent);
        }
        out.push('-');
        write_value_after(out, item, indent, false);
    }
}

/// Writes a node that follows `key:` (`in_mapping`) or `-` at column `indent`, then ends the
/// line.
fn write_value_after(out: &mut String, node: &Node, indent: usize, in_mapping: bool) {
    match node {
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(entries) if in_mapping => {
            out.push('\n');
            write_entries(out, entries, indent + 2, false);
        }
        Node::Seq(items) if in_mapping => {
            out.push('\n');
            write_items(out, items, indent + 2, false);
        }
        Node::Map(entries) => {
            out.push(' ');
            write_entries(out, entries, indent + 2, true);
        }
        Node::Seq(items) => {
            out.push(' ');
            write_items(out, items, indent + 2, true);
        }
        Node::Str(s) => {
            out.push(' ');
            write_scalar(out, s, string_request(s), false, indent + 2);
        }
        Node::Formula(f) => {
            out.push(' ');
            let text = format!("={f}");
            write_scalar(out, &text, formula_request(f), false, indent + 2);
        }
        Node::Bool(b) => {
            out.push(' ');
            out.push_str(if *b { "true" } else { "false" });
            out.push('\n');
        }
    }
}

/// Writes a scalar; block scalars put their lines at `block_indent`. Ends the line unless the
/// scalar is a key.
fn write_scalar(
    out: &mut String,
    text: &str,
    requested: Requested,
    key: bool,
    block_indent: usize,
) {
    let style = choose_style(text, requested, key);
    if matches!(style, Style::Literal | Style::Folded) {
        write_block(out, text, style, block_indent);
    } else {
        write_inline(out, text, style);
        if !key {
            out.push('\n');
        }
    }
}

fn string_request(s: &str) -> Requested {
    if is_special_string(s) {
        Requested::DoubleQuoted
    } else {
        Requested::Any
    }
}

/// Formulas that would need escaping as plain scalars go to a literal block instead, so the
/// Power Fx text stays readable.
fn formula_request(script: &str) -> Requested {
    if script.contains(" #") || script.contains(": ") || script.contains(['\n', '\r']) {
        Requested::Literal
    } else {
        Requested::Any
    }
}

fn is_simple_key(key: &str) -> bool {
    !key.contains(super::scalar::is_break) && key.chars().count() <= MAX_SIMPLE_KEY
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    #[test]
    fn layout_matches_studio() {
        let doc = map(vec![(
            "Screens",
            map(vec![(
                "Screen1",
                map(vec![
                    (
                        "Properties",
                        map(vec![("Fill", Node::Formula("Color.White".into()))]),
                    ),
                    (
                        "Children",
                        Node::Seq(vec![map(vec![(
                            "Button1",
                            map(vec![
                                ("Control", Node::str("Button@0.0.44")),
                                (
                                    "Properties",
                                    map(vec![(
                                        "OnSelect",
                                        Node::Formula("Notify(\"a\");\nBack()".into()),
                                    )]),
                                ),
                            ]),
                        )])]),
                    ),
                ]),
            )]),
        )]);
        assert_eq!(
            to_yaml(&doc),
            "Screens:\n  Screen1:\n    Properties:\n      Fill: =Color.White\n    Children:\n      - Button1:\n          Control: Button@0.0.44\n          Properties:\n            OnSelect: |-\n              =Notify(\"a\");\n              Back()\n"
        );
    }

    #[test]
    fn sequences_empties_and_quoting() {
        let doc = map(vec![
            (
                "EditorState",
                map(vec![(
                    "ScreensOrder",
                    Node::Seq(vec![Node::str("Screen1"), Node::str("123")]),
                )]),
            ),
            ("App", map(vec![])),
            ("Flag", Node::Bool(true)),
            ("true", Node::str("")),
        ]);
        assert_eq!(
            to_yaml(&doc),
            "EditorState:\n  ScreensOrder:\n    - Screen1\n    - \"123\"\nApp: {}\nFlag: true\n\"true\": \"\"\n"
        );
    }
}
