use super::collate::culture_cmp;
use super::{Json, Object};

/// The reference's normalized form: keys sorted with `lo_cmp` (stable), 2-space indentation,
/// `": "`, LF newlines, no trailing newline, .NET number format, relaxed escaping.
pub fn to_normalized_string(v: &Json) -> String {
    let mut out = String::new();
    Writer {
        out: &mut out,
        layout: Layout::Normalized,
    }
    .value(v, 0);
    out
}

/// Like [`to_normalized_string`] but keeps key order.
pub fn to_indented_string(v: &Json) -> String {
    let mut out = String::new();
    Writer {
        out: &mut out,
        layout: Layout::Indented,
    }
    .value(v, 0);
    out
}

/// Compact, key order kept.
pub fn to_compact_string(v: &Json) -> String {
    let mut out = String::new();
    Writer {
        out: &mut out,
        layout: Layout::Compact,
    }
    .value(v, 0);
    out
}

/// Appends `s` as a JSON string literal with .NET relaxed escaping.
pub fn write_string_literal(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    loop {
        // Tight scan over the (long, e.g. base64) runs of ASCII written as is.
        while bytes
            .get(i)
            .is_some_and(|&b| PLAIN_ASCII.get(usize::from(b)) == Some(&true))
        {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if b < 0x80 {
            out.push_str(s.get(run_start..i).unwrap_or_default());
            out.push_str(
                ASCII_ESCAPES
                    .get(usize::from(b))
                    .copied()
                    .unwrap_or_default(),
            );
            i += 1;
            run_start = i;
            continue;
        }
        let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let next = i + c.len_utf8();
        if needs_escape(c) {
            out.push_str(s.get(run_start..i).unwrap_or_default());
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                push_unicode_escape(out, *unit);
            }
            run_start = next;
        }
        i = next;
    }
    out.push_str(s.get(run_start..).unwrap_or_default());
    out.push('"');
}

fn push_unicode_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xF)]));
    }
}

/// ASCII bytes written as is (indexed by byte; bytes >= 0x80 are not in the table).
static PLAIN_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = ASCII_ESCAPES[i].is_empty();
        i += 1;
    }
    table
};

/// The escape for each ASCII byte, empty when it is written as is.
static ASCII_ESCAPES: [&str; 128] = {
    const UPPER_HEX_CONTROLS: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000B", "\\f", "\\r", "\\u000E", "\\u000F", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
        "\\u001A", "\\u001B", "\\u001C", "\\u001D", "\\u001E", "\\u001F",
    ];
    let mut table = [""; 128];
    let mut i = 0;
    while i < 32 {
        table[i] = UPPER_HEX_CONTROLS[i];
        i += 1;
    }
    table[b'"' as usize] = "\\\"";
    table[b'\\' as usize] = "\\\\";
    table[0x7F] = "\\u007F";
    table
};

/// Non-ASCII characters that .NET's `UnsafeRelaxedJsonEscaping` still escapes: everything outside
/// the BMP, and its "always forbidden" BMP set (controls, private use, space separators except
/// U+0020, line/paragraph separators, unassigned code points, U+FEFF, U+FFF0..U+FFFF).
fn needs_escape(c: char) -> bool {
    use icu_properties::CodePointMapData;
    use icu_properties::props::GeneralCategory;
    let cp = u32::from(c);
    match cp {
        0x80..=0x9F
        | 0xA0
        | 0x1680
        | 0x2000..=0x200A
        | 0x2028
        | 0x2029
        | 0x202F
        | 0x205F
        | 0x3000 => true,
        0xE000..=0xF8FF | 0xFEFF | 0xFFF0..=0xFFFF => true,
        0x10000.. => true,
        _ => CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Unassigned,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Normalized,
    Indented,
    Compact,
}

struct Writer<'a> {
    out: &'a mut String,
    layout: Layout,
}

impl Writer<'_> {
    fn newline(&mut self, depth: usize) {
        if self.layout != Layout::Compact {
            self.out.push('\n');
            self.out.extend(std::iter::repeat_n(' ', depth * 2));
        }
    }

    fn value(&mut self, v: &Json, depth: usize) {
        match v {
            Json::Null => self.out.push_str("null"),
            Json::Bool(true) => self.out.push_str("true"),
            Json::Bool(false) => self.out.push_str("false"),
            Json::Number(n) => match self.layout {
                Layout::Normalized => self.out.push_str(&n.normalized()),
                Layout::Indented | Layout::Compact => self.out.push_str(n.raw()),
            },
            Json::String(s) => write_string_literal(self.out, s),
            Json::Array(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return;
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    self.value(item, depth + 1);
                }
                self.newline(depth);
                self.out.push(']');
            }
            Json::Object(object) => self.object(object, depth),
        }
    }

    fn object(&mut self, object: &Object, depth: usize) {
        if object.is_empty() {
            self.out.push_str("{}");
            return;
        }
        let mut members: Vec<&(String, Json)> = object.0.iter().collect();
        if self.layout == Layout::Normalized {
            // .NET's OrderBy is stable and keys equal under the culture comparer keep document
            // order, so the ordinal tie-break of `lo_cmp` must not be used here.
            members.sort_by(|a, b| culture_cmp(&a.0, &b.0));
        }
        self.out.push('{');
        for (i, (key, value)) in members.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.newline(depth + 1);
            write_string_literal(self.out, key);
            self.out.push_str(if self.layout == Layout::Compact {
                ":"
            } else {
                ": "
            });
            self.value(value, depth + 1);
        }
        self.newline(depth);
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        write_string_literal(&mut out, s);
        out
    }

    #[test]
    fn relaxed_escaping() {
        assert_eq!(lit("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(lit("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(
            lit("\u{0}\u{1f}\u{b}\u{7f}"),
            r#""\u0000\u001F\u000B\u007F""#
        );
        assert_eq!(lit("<>&'+`é€ü中"), "\"<>&'+`é€ü中\"");
        assert_eq!(lit("😀"), r#""\uD83D\uDE00""#);
        assert_eq!(
            lit("\u{80}\u{9f}\u{a0}x\u{3000}\u{2028}\u{2029}"),
            r#""\u0080\u009F\u00A0x\u3000\u2028\u2029""#
        );
        assert_eq!(
            lit("\u{e000}\u{f8ff}\u{feff}\u{fff0}\u{ffff}\u{fffd}"),
            r#""\uE000\uF8FF\uFEFF\uFFF0\uFFFF\uFFFD""#
        );
        assert_eq!(lit("\u{200b}\u{2019}"), "\"\u{200b}\u{2019}\"");
        assert_eq!(lit("\u{378}"), r#""\u0378""#);
        assert_eq!(lit(""), r#""""#);
    }

    #[test]
    fn normalized_layout() {
        let v = parse(r#"{"b":[1.0,{},[]],"a":{"z":"x","Z":null,"z":true},"B":12.50}"#).unwrap();
        let expected = "{\n  \"a\": {\n    \"z\": \"x\",\n    \"z\": true,\n    \"Z\": null\n  },\n  \"b\": [\n    1,\n    {},\n    []\n  ],\n  \"B\": 12.5\n}";
        assert_eq!(to_normalized_string(&v), expected);
        assert_eq!(to_normalized_string(&parse("[]").unwrap()), "[]");
        assert_eq!(
            to_normalized_string(&parse("\"\u{1F600}\"").unwrap()),
            "\"\\uD83D\\uDE00\""
        );
    }

    #[test]
    fn indented_and_compact_keep_order_and_lexemes() {
        let text = r#"{"b":[1.0,{},[]],"a":{"z":"x","Z":1E+21,"z":true}}"#;
        let v = parse(text).unwrap();
        assert_eq!(to_compact_string(&v), text);
        let expected = "{\n  \"b\": [\n    1.0,\n    {},\n    []\n  ],\n  \"a\": {\n    \"z\": \"x\",\n    \"Z\": 1E+21,\n    \"z\": true\n  }\n}";
        assert_eq!(to_indented_string(&v), expected);
    }
}
