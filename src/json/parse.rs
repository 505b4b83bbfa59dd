use super::number::{Number, scan_number};
use super::{Json, Object};

/// Containers nested deeper than this are rejected; real apps stay far below it.
pub const MAX_DEPTH: usize = 512;

/// The limit for the JSON entries of an `.msapp`. Unpack nests entry values one or two levels
/// deeper in the tree's files (the header inside `CanvasManifest.json`, control states inside
/// editor-state files), and those files must still be readable by pack and by a merge.
pub const MAX_ENTRY_DEPTH: usize = MAX_DEPTH - 32;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl JsonError {
    /// The library error for this problem in `file`.
    pub fn into_error(self, file: impl Into<String>) -> crate::error::Error {
        crate::error::Error::syntax(file, self.line, self.column, self.message)
    }
}

/// Strict RFC 8259 JSON; a leading BOM is tolerated.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    parse_nested(text, MAX_DEPTH)
}

fn parse_nested(text: &str, max_depth: usize) -> Result<Json, JsonError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    Parser {
        src: body.as_bytes(),
        text: body,
        pos: 0,
        max_depth,
    }
    .document()
}

/// UTF-8 bytes, BOM tolerated.
pub fn parse_bytes(bytes: &[u8]) -> Result<Json, JsonError> {
    parse_bytes_nested(bytes, MAX_DEPTH)
}

/// Like [`parse_bytes`] with containers nested at most `max_depth` levels deep.
pub fn parse_bytes_nested(bytes: &[u8], max_depth: usize) -> Result<Json, JsonError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => parse_nested(text, max_depth),
        Err(e) => {
            // Position the error on the last valid character boundary.
            let valid = body.get(..e.valid_up_to()).unwrap_or_default();
            let text = std::str::from_utf8(valid).unwrap_or_default();
            Err(error_at(text, text.len(), "invalid UTF-8".to_owned()))
        }
    }
}

/// Why an escape sequence does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadEscape {
    /// Not one of JSON's escapes.
    Unknown,
    /// `\u` without four hex digits, at this index.
    Hex(usize),
    /// A low surrogate with no high one before it.
    LoneLow(u32),
    /// A high surrogate not followed by a low one.
    LoneHigh(u32),
}

/// Decodes the escape at `at` (a backslash): the character and the index after the escape.
/// Surrogates must come in pairs, which decode to one character (text cannot hold a lone one).
/// Shared by the tree parser and the checksum's tree-less walk, which must accept alike.
pub(crate) fn decode_escape(src: &[u8], at: usize) -> Result<(char, usize), BadEscape> {
    let simple = match src.get(at + 1) {
        Some(b'u') => {
            let unit = hex4(src, at)?;
            if !(0xD800..0xE000).contains(&unit) {
                return Ok((char::from_u32(unit).unwrap_or('\u{fffd}'), at + 6));
            }
            if unit >= 0xDC00 {
                return Err(BadEscape::LoneLow(unit));
            }
            let pair_follows = src.get(at + 6..at + 8) == Some(b"\\u");
            let low = if pair_follows { hex4(src, at + 6)? } else { 0 };
            if !(0xDC00..0xE000).contains(&low) {
                return Err(BadEscape::LoneHigh(unit));
            }
            let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            return Ok((char::from_u32(scalar).unwrap_or('\u{fffd}'), at + 12));
        }
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        _ => return Err(BadEscape::Unknown),
    };
    Ok((simple, at + 2))
}

/// The index of the first quote, backslash or control character at or after `from` (the
/// input's length when there is none).
pub(crate) fn skip_plain(src: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let mut i = from;
    // Eight bytes at a time while none of them can end the plain run.
    while let Some(chunk) = src.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_ne_bytes(chunk);
        let quote = has_zero_byte(word ^ u64::from_ne_bytes([b'"'; 8]));
        let backslash = has_zero_byte(word ^ u64::from_ne_bytes([b'\\'; 8]));
        // A byte below 0x20 is one whose top three bits are all clear.
        let control = has_zero_byte(word & u64::from_ne_bytes([0xE0; 8]));
        if quote || backslash || control {
            break;
        }
        i += 8;
    }
    while let Some(&b) = src.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return i;
        }
        i += 1;
    }
    src.len()
}

/// The character of the escape at `at` (a backslash) when it is one of the common
/// one-character escapes; the rest go through [`decode_escape`]. Documents held in strings
/// escape every quote, so this is the hot path of parsing them.
#[inline]
pub(crate) fn simple_escape(src: &[u8], at: usize) -> Option<char> {
    match src.get(at + 1) {
        Some(b'"') => Some('"'),
        Some(b'\\') => Some('\\'),
        Some(b'/') => Some('/'),
        Some(b'n') => Some('\n'),
        Some(b'r') => Some('\r'),
        Some(b't') => Some('\t'),
        _ => None,
    }
}

/// The code unit of the `\uXXXX` escape starting at `at`.
fn hex4(src: &[u8], at: usize) -> Result<u32, BadEscape> {
    let digits = src.get(at + 2..at + 6).ok_or(BadEscape::Hex(at))?;
    digits.iter().try_fold(0, |unit, &d| {
        let nibble = char::from(d).to_digit(16).ok_or(BadEscape::Hex(at))?;
        Ok(unit * 16 + nibble)
    })
}

/// The index of the closing quote of a string literal, scanning from `from` (inside it) and
/// skipping escaped characters; the input's length when it is unterminated.
fn raw_string_end(src: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(&b) = src.get(i) {
        match b {
            b'"' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    src.len()
}

fn error_at(text: &str, offset: usize, message: String) -> JsonError {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    JsonError {
        line,
        column,
        message,
    }
}

enum Frame {
    Array(Vec<Json>),
    /// Members so far and the key whose value is being parsed.
    Object(Vec<(String, Json)>, String),
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    max_depth: usize,
}

type Parsed<T> = Result<T, JsonError>;

impl<'a> Parser<'a> {
    fn fail<T>(&self, message: impl Into<String>) -> Parsed<T> {
        Err(self.error(self.pos, message))
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> JsonError {
        error_at(self.text, offset, message.into())
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn describe_here(&self) -> String {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            None => "end of input".to_owned(),
            Some(c) if c.is_control() => format!("character U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        }
    }

    /// An explicit stack instead of recursion: input decides the depth, and it must never
    /// overflow the call stack.
    fn document(mut self) -> Parsed<Json> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.skip_ws();
            let mut value = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if stack.len() >= self.max_depth {
                        let limit = self.max_depth;
                        return self.fail(format!("nesting deeper than {limit} levels"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    if open == b'{' {
                        if self.peek() == Some(b'}') {
                            self.pos += 1;
                            Json::Object(Object::new())
                        } else {
                            let key = self.member_key()?;
                            stack.push(Frame::Object(Vec::new(), key));
                            continue;
                        }
                    } else if self.peek() == Some(b']') {
                        self.pos += 1;
                        Json::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue;
                    }
                }
                _ => self.scalar()?,
            };
            // Hand the finished value to its container; close containers that end here.
            loop {
                self.skip_ws();
                match stack.last_mut() {
                    None => {
                        if self.pos < self.src.len() {
                            return self.fail(format!(
                                "unexpected {} after the JSON value",
                                self.describe_here()
                            ));
                        }
                        return Ok(value);
                    }
                    Some(Frame::Array(items)) => {
                        items.push(value);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                break;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                value = match stack.pop() {
                                    Some(Frame::Array(items)) => Json::Array(items),
                                    _ => return self.fail("internal parser state"),
                                };
                            }
                            _ => {
                                return self.fail(format!(
                                    "expected ',' or ']' but found {}",
                                    self.describe_here()
                                ));
                            }
                        }
                    }
                    Some(Frame::Object(members, key)) => {
                        members.push((std::mem::take(key), value));
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                let next = self.member_key()?;
                                if let Some(Frame::Object(_, key)) = stack.last_mut() {
                                    *key = next;
                                }
                                break;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                value = match stack.pop() {
                                    Some(Frame::Object(members, _)) => {
                                        Json::Object(Object(members))
                                    }
                                    _ => return self.fail("internal parser state"),
                                };
                            }
                            _ => {
                                return self.fail(format!(
                                    "expected ',' or '}}' but found {}",
                                    self.describe_here()
                                ));
                            }
                        }
                    }
                }
            }
        }
    }

    /// `"key" :` with the position on the key's opening quote.
    fn member_key(&mut self) -> Parsed<String> {
        if self.peek() != Some(b'"') {
            return self.fail(format!(
                "expected a property name in double quotes but found {}",
                self.describe_here()
            ));
        }
        let key = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return self.fail(format!("expected ':' but found {}", self.describe_here()));
        }
        self.pos += 1;
        Ok(key)
    }

    fn scalar(&mut self) -> Parsed<Json> {
        match self.peek() {
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.fail(format!(
                "expected a JSON value but found {}",
                self.describe_here()
            )),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Parsed<Json> {
        if self.src.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.fail(format!("invalid literal (expected '{word}')"))
        }
    }

    fn number(&mut self) -> Parsed<Json> {
        let start = self.pos;
        let Some(end) = scan_number(self.src, start) else {
            return self.fail("invalid number");
        };
        // RFC 8259 forbids `01`; catch it here for a clearer message than "expected ','".
        if self.src.get(end).is_some_and(u8::is_ascii_digit) {
            return self.fail("invalid number (leading zeros are not allowed)");
        }
        self.pos = end;
        let lexeme = self.text.get(start..end).unwrap_or("0");
        Ok(Json::Number(Number::from_valid_lexeme(lexeme)))
    }

    /// Decodes a string literal; the position is on its opening quote.
    fn string(&mut self) -> Parsed<String> {
        let start = self.pos + 1;
        let mut i = skip_plain(self.src, start);
        // Fast path: most strings have no escapes and can be copied in one go.
        if self.src.get(i) == Some(&b'"') {
            self.pos = i + 1;
            return Ok(self.text.get(start..i).unwrap_or_default().to_owned());
        }
        // Decoded text is never longer than its escaped spelling. Sizing the buffer once
        // matters for the megabyte-long double-encoded documents real apps hold: growing it
        // by doubling touches fresh memory again at every step.
        let mut out = String::with_capacity(raw_string_end(self.src, i).saturating_sub(start));
        let mut run = start;
        loop {
            match self.src.get(i) {
                Some(b'"') => {
                    out.push_str(self.text.get(run..i).unwrap_or_default());
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.text.get(run..i).unwrap_or_default());
                    match simple_escape(self.src, i) {
                        Some(c) => {
                            out.push(c);
                            i += 2;
                        }
                        None => i = self.escape(i, &mut out)?,
                    }
                    run = i;
                }
                Some(&b) if b < 0x20 => {
                    return Err(self.error(i, "control character in string (must be escaped)"));
                }
                Some(_) => i += 1,
                None => return Err(self.error(self.pos, "unterminated string")),
            }
            i = skip_plain(self.src, i);
        }
    }

    /// Decodes the escape at `at` (a backslash) and returns the index after it.
    fn escape(&self, at: usize, out: &mut String) -> Parsed<usize> {
        match decode_escape(self.src, at) {
            Ok((c, next)) => {
                out.push(c);
                Ok(next)
            }
            Err(BadEscape::Unknown) => Err(self.error(at, "invalid escape sequence")),
            Err(BadEscape::Hex(at)) => {
                Err(self.error(at, "invalid \\u escape (needs four hex digits)"))
            }
            Err(BadEscape::LoneLow(unit)) => Err(self.error(
                at,
                format!("lone low surrogate \\u{unit:04X} (not representable as text)"),
            )),
            Err(BadEscape::LoneHigh(unit)) => Err(self.error(
                at,
                format!(
                    "lone high surrogate \\u{unit:04X} (not followed by a low surrogate; not representable as text)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> JsonError {
        parse(text).unwrap_err()
    }

    #[test]
    fn parses_values_in_document_order_with_duplicates() {
        let v = parse(r#"{"b": 1, "a": [true, false, null, "x"], "b": {"c": -0}}"#).unwrap();
        let o = v.as_object().unwrap();
        assert_eq!(o.keys().collect::<Vec<_>>(), ["b", "a", "b"]);
        assert_eq!(o.get("b").unwrap().as_f64(), Some(1.0));
        assert_eq!(
            o.0[2].1.get("c").unwrap(),
            &Json::Number(Number::from_raw("-0").unwrap())
        );
        assert_eq!(parse(" [ ] ").unwrap(), Json::Array(vec![]));
        assert_eq!(parse("{}").unwrap(), Json::object());
        assert_eq!(parse("\"x\"").unwrap(), Json::str("x"));
    }

    #[test]
    fn numbers_keep_their_lexeme() {
        let v = parse("[1.0, 1E+21, -0, 12345678901234567890, 0.5e-3]").unwrap();
        let raws: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| match n {
                Json::Number(n) => n.raw(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            raws,
            ["1.0", "1E+21", "-0", "12345678901234567890", "0.5e-3"]
        );
    }

    #[test]
    fn decodes_escapes() {
        let v = parse(r#""\u002B\u00e9\uD83D\uDE00\"\\\/\b\f\n\r\t""#).unwrap();
        assert_eq!(v.as_str().unwrap(), "+é😀\"\\/\u{8}\u{c}\n\r\t");
        assert_eq!(parse(r#""plain é""#).unwrap().as_str(), Some("plain é"));
        // Runs longer than the eight bytes the scanner skips at once, escapes between them.
        let v = parse(r#""abcdefghijk\"lmnopqrstuvwxyz\\0123456789é\u0041\nABCDEFGHIJ""#).unwrap();
        assert_eq!(
            v.as_str().unwrap(),
            "abcdefghijk\"lmnopqrstuvwxyz\\0123456789éA\nABCDEFGHIJ"
        );
        let e = err("\"abcdefghijklmnop\\nqrstuvwxyz\u{1}\"");
        assert!(e.message.contains("control character"), "{}", e.message);
        assert_eq!(e.column, 30);
        assert!(err("\"abcdefghijklmnop").message.contains("unterminated"));
    }

    #[test]
    fn lone_surrogates_are_errors() {
        assert!(err(r#""\uD83D""#).message.contains("lone high surrogate"));
        assert!(err(r#""\uD83Dx""#).message.contains("lone high surrogate"));
        assert!(
            err(r#""\uD83D\u0041""#)
                .message
                .contains("lone high surrogate")
        );
        assert!(err(r#""\uDE00""#).message.contains("lone low surrogate"));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = err("{\n  \"a\": 1,\n  \"b\": tru\n}");
        assert_eq!((e.line, e.column), (3, 8));
        let e = err("[1,]");
        assert_eq!((e.line, e.column), (1, 4));
        assert_eq!(e.to_string(), "1:4: expected a JSON value but found ']'");
        let e = err("{\"é\": 1 x}");
        assert_eq!((e.line, e.column), (1, 9));
        let e = err("[1] [2]");
        assert_eq!((e.line, e.column), (1, 5));
    }

    #[test]
    fn rejects_non_rfc8259_input() {
        for bad in [
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "// c\n1",
            "/* c */ 1",
            "{'a':1}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "+1",
            "NaN",
            "Infinity",
            "\"a\nb\"",
            "\"\\x\"",
            "\"\\u12\"",
            "[",
            "{\"a\"",
            "{\"a\":",
            "\"abc",
            "tru",
            "nul",
            "[1 2]",
            "{\"a\" 1}",
            "\u{a0}1",
            "-",
            "1e",
            "\"\t\"",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn bom_and_invalid_utf8() {
        assert_eq!(
            parse_bytes(b"\xEF\xBB\xBF[1]").unwrap(),
            parse("[1]").unwrap()
        );
        assert_eq!(parse("\u{feff}{}").unwrap(), Json::object());
        let e = parse_bytes(b"[\n\"ab\xFF\"]").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (2, 4, "invalid UTF-8")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(err(&deep).message.contains("nesting"));
        let very_deep = "{\"a\":".repeat(1_000_000);
        assert!(err(&very_deep).message.contains("nesting"));
    }

    /// Truncations and byte flips of a valid document must give a value or an error, never a
    /// panic.
    #[test]
    fn mangled_input_never_panics() {
        let doc = "{\"a\": [1.5e-3, -0, \"x\\u00e9\\uD83D\\uDE00\\n\", {\"b\": null}], \"c\": true, \"é\": false}".as_bytes();
        for cut in 0..=doc.len() {
            let _ = parse_bytes(&doc[..cut]);
        }
        for at in 0..doc.len() {
            for replacement in [
                b'"', b'\\', b'{', b']', b'0', b'e', b'-', b' ', 0x00, 0xC3, 0xFF,
            ] {
                let mut mangled = doc.to_vec();
                mangled[at] = replacement;
                let _ = parse_bytes(&mangled);
            }
        }
    }
}
