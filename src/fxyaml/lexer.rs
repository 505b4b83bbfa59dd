//! Line-based lexer for the `.fx.yaml` subset: turns lines into start-object, property and
//! end-object tokens, rejecting every YAML construct outside the subset with the reference's
//! messages and positions.
//!
//! Columns are 1-based character indexes. Errors point at the scan position on the current
//! line; errors about a block scalar carry the line that ended the block but the column on the
//! key line, as the reference does.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// The reference treats the end of a line and a NUL character alike.
const EOL: char = '\0';

const COMMENT_ERROR: &str =
    "# comments are not supported. Use // within a property to add comments.";

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    StartObj {
        key: String,
        line: usize,
        column: usize,
    },
    Property {
        key: String,
        value: String,
        line: usize,
        column: usize,
    },
    EndObj,
    EndOfFile,
    Error {
        message: String,
        line: usize,
        column: usize,
    },
}

/// Renders a token the way the reference's parser messages show it.
impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::StartObj { key, .. } => write!(f, "{key}:"),
            Token::Property { key, value, .. } => write!(f, "{key}={value}"),
            Token::EndObj => f.write_str("<EndObj>"),
            Token::EndOfFile => f.write_str("<EndOfFile>"),
            Token::Error {
                message,
                line,
                column,
            } => write!(f, "Yaml error: {line},{column} {message}"),
        }
    }
}

/// One open mapping: the column of its key and the column its keys use.
struct Frame {
    key_indent: isize,
    child_indent: isize,
    keys: HashMap<String, usize>,
}

impl Frame {
    fn new(key_indent: isize) -> Self {
        Frame {
            key_indent,
            child_indent: 0,
            keys: HashMap::new(),
        }
    }
}

/// A scan position in one line.
struct Cursor {
    chars: Rc<[char]>,
    idx: usize,
}

impl Cursor {
    fn current(&self) -> char {
        self.chars.get(self.idx).copied().unwrap_or(EOL)
    }

    fn previous(&self) -> char {
        self.idx
            .checked_sub(1)
            .and_then(|i| self.chars.get(i))
            .copied()
            .unwrap_or(EOL)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.current() == c {
            self.idx += 1;
            true
        } else {
            false
        }
    }

    fn eat_spaces(&mut self) -> usize {
        let start = self.idx;
        while self.eat(' ') {}
        self.idx - start
    }

    fn rest(&self) -> String {
        self.chars
            .get(self.idx..)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    fn slice(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    fn column(&self) -> usize {
        self.idx + 1
    }
}

/// Splits like .NET `TextReader.ReadLine`: on `\r\n`, `\n` or a lone `\r`; a final terminator
/// does not start another line.
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                lines.push(text.get(start..i).unwrap_or_default());
                i += 1;
                start = i;
            }
            Some(b'\r') => {
                lines.push(text.get(start..i).unwrap_or_default());
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(text.get(start..).unwrap_or_default());
    }
    lines
}

pub(crate) struct Lexer {
    lines: Vec<Rc<[char]>>,
    /// Lines read so far; the 1-based number of the current line.
    current_line: usize,
    /// Whether the current line has been peeked but not consumed.
    pending: bool,
    /// The implicit mapping around the whole file; never closed.
    root: Frame,
    /// Open mappings inside the root.
    frames: Vec<Frame>,
    last_was_start: bool,
    component: bool,
    /// Position of the first dropped comment line.
    pub(crate) first_comment: Option<(usize, usize)>,
}

impl Lexer {
    pub(crate) fn new(text: &str, component: bool) -> Self {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        Lexer {
            lines: split_lines(text)
                .into_iter()
                .map(|l| l.chars().collect())
                .collect(),
            current_line: 0,
            pending: false,
            root: Frame::new(-1),
            frames: Vec::new(),
            // The file behaves as the content of an implicit root mapping.
            last_was_start: true,
            component,
            first_comment: None,
        }
    }

    fn peek_line(&mut self) -> Option<Cursor> {
        if !self.pending {
            if self.current_line >= self.lines.len() {
                return None;
            }
            self.current_line += 1;
            self.pending = true;
        }
        let chars = self.lines.get(self.current_line - 1)?.clone();
        Some(Cursor { chars, idx: 0 })
    }

    fn move_next_line(&mut self) {
        self.pending = false;
    }

    fn top(&mut self) -> &mut Frame {
        self.frames.last_mut().unwrap_or(&mut self.root)
    }

    fn pop(&mut self) {
        self.frames.pop();
    }

    fn error(&self, cursor: &Cursor, message: &str) -> Token {
        Token::Error {
            message: message.to_string(),
            line: self.current_line,
            column: cursor.column(),
        }
    }

    pub(crate) fn next_token(&mut self) -> Token {
        let token = self.next_token_inner();
        self.last_was_start = matches!(token, Token::StartObj { .. });
        token
    }

    fn next_token_inner(&mut self) -> Token {
        let (mut line, indent) = loop {
            let Some(mut line) = self.peek_line() else {
                if self.frames.pop().is_some() {
                    return Token::EndObj;
                }
                return Token::EndOfFile;
            };
            let indent = line.eat_spaces();
            if line.current() == '#' {
                if self.first_comment.is_none() {
                    self.first_comment = Some((self.current_line, line.column()));
                }
                self.move_next_line();
                continue;
            }
            if line.current() != EOL {
                break (line, indent);
            }
            self.move_next_line();
        };

        if line.current() == '-' {
            return self.error(
                &line,
                "--- markers are not supported. Only a single document per file.",
            );
        }
        if line.current() == '\t' {
            return self.error(&line, "Use spaces, not tabs.");
        }
        let start_column = line.column();

        if let Some(token) = self.check_indent(&line, indent as isize) {
            return token;
        }

        let key = match self.read_key(&mut line, indent) {
            Ok(key) => key,
            Err(token) => return token,
        };

        let spaces = line.eat_spaces();
        let key_line = self.current_line;
        if let Some(&previous) = self.top().keys.get(&key) {
            return self.error(
                &line,
                &format!("Property '{key}' was already defined on line {previous}."),
            );
        }
        self.top().keys.insert(key.clone(), key_line);

        if line.current() == EOL {
            self.frames.push(Frame::new(indent as isize));
            self.move_next_line();
            return Token::StartObj {
                key,
                line: key_line,
                column: start_column,
            };
        }
        if line.current() == '#' {
            return self.error(&line, COMMENT_ERROR);
        }
        if spaces == 0 {
            return self.error(&line, "Must have at least 1 space after colon.");
        }

        let value = if line.eat('=') {
            let value = line.rest();
            if value.contains('#') {
                return self.error(&line, COMMENT_ERROR);
            }
            self.move_next_line();
            value
        } else if line.current() == '"' || line.current() == '\'' {
            return self.error(
                &line,
                "Quote is not a supported escape sequence. Use = or |",
            );
        } else if line.eat('>') {
            return self.error(&line, "> is not a supported multiline escape. Use |");
        } else if line.eat('|') {
            let keep_trailing = !line.eat('-');
            if keep_trailing {
                line.eat('+');
            }
            line.eat_spaces();
            if line.current() == '#' {
                return self.error(&line, COMMENT_ERROR);
            }
            if line.current() != EOL {
                return self.error(&line, "Content for | escape must start on next line.");
            }
            self.move_next_line();
            let block = self.read_block(keep_trailing);
            let Some(formula) = block.strip_prefix('=') else {
                let message = if block.is_empty() {
                    "Can't have empty multiline expressions."
                } else {
                    "Property value must start with an '='"
                };
                return self.error(&line, message);
            };
            formula.to_string()
        } else {
            return self.error(
                &line,
                "Expected either '=' for a single line expression or '|' to begin a multiline expression",
            );
        };
        Token::Property {
            key,
            value,
            line: key_line,
            column: start_column,
        }
    }

    /// Opens, continues or closes mappings according to the line's indentation; returns the
    /// token to emit instead of reading the line, if any.
    fn check_indent(&mut self, line: &Cursor, indent: isize) -> Option<Token> {
        if self.last_was_start {
            let key_indent = self.top().key_indent;
            if indent == key_indent {
                self.pop();
                return Some(Token::EndObj);
            }
            if indent < key_indent {
                self.pop();
                if indent > self.top().key_indent {
                    return Some(self.error(
                        line,
                        "Property indent must align exactly with a previous indent level.",
                    ));
                }
                return Some(Token::EndObj);
            }
            self.top().child_indent = indent;
            return None;
        }
        let expected = self.top().child_indent;
        if indent == expected {
            return None;
        }
        if indent > expected {
            return Some(self.error(line, "Property should be at same indent level"));
        }
        if indent > self.top().key_indent {
            return Some(self.error(
                line,
                "Property indent must align exactly with a previous indent level.",
            ));
        }
        self.pop();
        Some(Token::EndObj)
    }

    /// Reads the key up to its colon (outside `'...'` spans, or after a closing `"`).
    fn read_key(&self, line: &mut Cursor, indent: usize) -> Result<String, Token> {
        let mut in_single_quotes = false;
        let double_quoted = line.eat('"');
        while line.current() != ':' || in_single_quotes || double_quoted {
            if line.current() == '\'' {
                in_single_quotes = !in_single_quotes;
            }
            if double_quoted && line.current() == '"' && line.previous() != '\\' {
                line.idx += 1;
                break;
            }
            if line.current() == EOL {
                let message = if in_single_quotes {
                    self.missing_single_quote_message(line)
                } else if double_quoted {
                    "Missing closing \"."
                } else {
                    "Missing ':'. If this is a multiline property, use |"
                };
                return Err(self.error(line, message));
            }
            line.idx += 1;
        }
        line.eat(':');
        // Like the reference, this drops the last character before the scan position: the
        // colon, or the closing quote of a double-quoted key written without a colon.
        let raw = line.slice(indent, line.idx.saturating_sub(1));
        let key = raw.trim();
        if double_quoted {
            return Ok(key.replace("\\\"", "\"").trim_matches('"').to_string());
        }
        Ok(key.to_string())
    }

    fn missing_single_quote_message(&self, line: &Cursor) -> &'static str {
        let text: String = line.chars.iter().collect::<String>().to_lowercase();
        match text.split(" as ").count() {
            n if n > 2 => "Missing closing ' in Function Node",
            2 if self.component => "Missing closing ' in Component",
            2 => "Missing closing ' in TypeNode",
            _ => "Missing closing ' in Property",
        }
    }

    /// Takes the lines indented deeper than the property key; the first one fixes the
    /// content column. An empty line therefore ends the block.
    fn read_block(&mut self, keep_trailing: bool) -> String {
        let parent_indent = self.top().child_indent;
        let mut content_indent = None;
        let mut text = String::new();
        while let Some(mut line) = self.peek_line() {
            let indent = line.eat_spaces();
            let content_indent = *content_indent.get_or_insert(indent);
            if indent as isize <= parent_indent {
                break;
            }
            line.idx = content_indent;
            text.push_str(&line.rest());
            text.push('\n');
            self.move_next_line();
        }
        if !keep_trailing {
            // The reference removes one `\n`, and keeps going only through `\r\n` pairs,
            // which cannot occur since lines never contain `\r`.
            text.pop();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        let mut lexer = Lexer::new(text, false);
        let mut out = Vec::new();
        for _ in 0..1000 {
            let token = lexer.next_token();
            let stop = matches!(token, Token::EndOfFile | Token::Error { .. });
            out.push(token);
            if stop {
                break;
            }
        }
        out
    }

    fn first_error(text: &str) -> (usize, usize, String) {
        tokens(text)
            .into_iter()
            .find_map(|t| match t {
                Token::Error {
                    message,
                    line,
                    column,
                } => Some((line, column, message)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no error for {text:?}"))
    }

    fn prop(key: &str, value: &str) -> Token {
        Token::Property {
            key: key.into(),
            value: value.into(),
            line: 0,
            column: 0,
        }
    }

    fn start(key: &str) -> Token {
        Token::StartObj {
            key: key.into(),
            line: 0,
            column: 0,
        }
    }

    /// Tokens without positions, for comparing structure.
    fn shapes(text: &str) -> Vec<Token> {
        tokens(text)
            .into_iter()
            .map(|t| match t {
                Token::StartObj { key, .. } => start(&key),
                Token::Property { key, value, .. } => prop(&key, &value),
                other => other,
            })
            .collect()
    }

    #[test]
    fn splits_lines_like_read_line() {
        assert_eq!(split_lines(""), Vec::<&str>::new());
        assert_eq!(split_lines("\n"), vec![""]);
        assert_eq!(split_lines("a\r\nb\rc\nd"), vec!["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\r\n"), vec!["a"]);
        assert_eq!(split_lines("a\r\r\n"), vec!["a", ""]);
        assert_eq!(split_lines("a\u{85}b\u{2028}c"), vec!["a\u{85}b\u{2028}c"]);
    }

    /// The lexer error table of the spec (§3.3), positions exactly as the reference reports them.
    #[test]
    fn error_table() {
        let rows: &[(&str, usize, usize, &str)] = &[
            (
                "Foo: 12",
                1,
                6,
                "Expected either '=' for a single line expression or '|' to begin a multiline expression",
            ),
            ("Foo: =x #comment", 1, 7, COMMENT_ERROR),
            ("Foo: # x", 1, 6, COMMENT_ERROR),
            ("Foo: | # c\n  =1", 1, 8, COMMENT_ERROR),
            (
                "Foo: |x",
                1,
                7,
                "Content for | escape must start on next line.",
            ),
            (
                "Foo: >",
                1,
                7,
                "> is not a supported multiline escape. Use |",
            ),
            (
                "Foo: |\nBar: =next",
                2,
                7,
                "Can't have empty multiline expressions.",
            ),
            (
                "Foo: |\n  abc",
                2,
                7,
                "Property value must start with an '='",
            ),
            (
                "Foo: \"x\"",
                1,
                6,
                "Quote is not a supported escape sequence. Use = or |",
            ),
            ("Foo:=1", 1, 5, "Must have at least 1 space after colon."),
            (
                "Foo",
                1,
                4,
                "Missing ':'. If this is a multiline property, use |",
            ),
            (
                "Foo:\n  val",
                2,
                6,
                "Missing ':'. If this is a multiline property, use |",
            ),
            ("\"Foo: =1", 1, 9, "Missing closing \"."),
            ("'Foo: ", 1, 7, "Missing closing ' in Property"),
            (
                "Scr'een1 As screen:",
                1,
                20,
                "Missing closing ' in TypeNode",
            ),
            (
                "fun'c1(P As String, Q As String):",
                1,
                34,
                "Missing closing ' in Function Node",
            ),
            (
                "---",
                1,
                1,
                "--- markers are not supported. Only a single document per file.",
            ),
            (
                "- x",
                1,
                1,
                "--- markers are not supported. Only a single document per file.",
            ),
            ("\tFoo: =1", 1, 1, "Use spaces, not tabs."),
            (
                "Foo: =1\nFoo: =2",
                2,
                6,
                "Property 'Foo' was already defined on line 1.",
            ),
            (
                "A:\n    B: =1\n  C: =2",
                3,
                3,
                "Property indent must align exactly with a previous indent level.",
            ),
            (
                "A:\n    B: =1\n      C: =2",
                3,
                7,
                "Property should be at same indent level",
            ),
        ];
        for (input, line, column, message) in rows {
            assert_eq!(
                first_error(input),
                (*line, *column, message.to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn component_files_name_the_component_in_quote_errors() {
        let mut lexer = Lexer::new("Comp'1 As CanvasComponent:", true);
        match lexer.next_token() {
            Token::Error { message, .. } => assert_eq!(message, "Missing closing ' in Component"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_nesting_and_values() {
        let text = "A As screen:\n    X: =1\n    B As label:\n        Y: |-\n            =a\n            b\n\n    # note\n    Z: = 2 \n";
        assert_eq!(
            shapes(text),
            vec![
                start("A As screen"),
                prop("X", "1"),
                start("B As label"),
                prop("Y", "a\nb"),
                Token::EndObj,
                prop("Z", " 2 "),
                Token::EndObj,
                Token::EndOfFile,
            ]
        );
    }

    #[test]
    fn empty_mapping_closes_immediately() {
        assert_eq!(
            shapes("A:\nB: =1"),
            vec![start("A"), Token::EndObj, prop("B", "1"), Token::EndOfFile]
        );
    }

    #[test]
    fn comments_are_dropped_and_remembered() {
        let mut lexer = Lexer::new("  # one\nA: =1\n# two", false);
        assert_eq!(
            lexer.next_token(),
            Token::Property {
                key: "A".into(),
                value: "1".into(),
                line: 2,
                column: 1
            }
        );
        assert_eq!(lexer.next_token(), Token::EndOfFile);
        assert_eq!(lexer.first_comment, Some((1, 3)));
    }

    #[test]
    fn block_scalar_modes() {
        // `|` keeps every trailing line, `|-` removes a single newline.
        assert_eq!(shapes("A: |\n  =x\n  \n  ")[0], prop("A", "x\n\n\n"));
        assert_eq!(shapes("A: |+\n  =x\n")[0], prop("A", "x\n"));
        assert_eq!(shapes("A: |-  \n  =x\n  \n")[0], prop("A", "x\n"));
        assert_eq!(shapes("A: |-\n  =\n  x")[0], prop("A", "\nx"));
        // Less indented lines are cut at the first line's column.
        assert_eq!(shapes("A: |-\n    =x\n  abc")[0], prop("A", "x\nc"));
        // `#` is content inside a block.
        assert_eq!(shapes("A: |-\n  =x # y")[0], prop("A", "x # y"));
    }

    #[test]
    fn keys_with_quotes() {
        assert_eq!(shapes("\"'A' As b\":")[0], start("'A' As b"));
        assert_eq!(
            shapes("\"Say \\\"Hi\\\" As b\":")[0],
            start("Say \"Hi\" As b")
        );
        assert_eq!(
            shapes("'My Screen' As screen:")[0],
            start("'My Screen' As screen")
        );
        assert_eq!(shapes("'a:b': =1")[0], prop("'a:b'", "1"));
        // A closing double quote ends the key even without a colon.
        assert_eq!(shapes("\"A\" =1")[0], prop("A", "1"));
        assert_eq!(shapes("X: =a: b")[0], prop("X", "a: b"));
    }

    #[test]
    fn duplicate_keys_are_per_mapping() {
        let text = "S As screen:\n    A As label:\n        X: =1\n    B As label:\n        X: =1\n";
        assert!(
            tokens(text)
                .iter()
                .all(|t| !matches!(t, Token::Error { .. }))
        );
    }
}
