//! The checksum value of a JSON entry without building a `Json` tree.
//!
//! Large entries made the tree path spend most of its time having the kernel hand out fresh
//! zeroed pages for nodes and strings. Here one pass validates the text exactly as
//! [`json::parse_bytes_nested`] does and records a flat tape of tokens (spans into the text;
//! keys with escapes decoded into a side arena); the walk then hashes the tape as
//! [`Walker::walk`] hashes a tree, decoding string values with escapes one at a time into a
//! reused buffer, so no more than one of them is ever held decoded. Buffers are kept per
//! thread and reused, so a merge's many entries touch the same memory again.

use std::cell::RefCell;
use std::cmp::Ordering;

use sha2::Digest as _;

use super::{Walker, checksum_order, normalize_formula_whitespace};
use crate::json::{self, JsonError, skip_plain};
use crate::xml;

mod list;
pub use list::{ListItem, Member, list_members, list_members_of_tree, wrapped_member_value};

/// [`super::json_value`] of `json::parse_bytes_nested(bytes, max_depth)`, and its error when
/// that fails.
pub fn json_entry_value(bytes: &[u8], max_depth: usize) -> Result<Vec<u8>, JsonError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body)
        .ok()
        .map(|t| t.strip_prefix('\u{feff}').unwrap_or(t));
    let mut scratch = Scratch::take();
    let tokenized = text.map(|t| (t, tokenize(t, max_depth, &mut scratch)));
    let value = match tokenized {
        Some((text, Ok(()))) => {
            let mut walk = TapeWalk {
                walker: Walker::new(),
                members: std::mem::take(&mut scratch.members),
            };
            let mut decoded = std::mem::take(&mut scratch.decoded);
            walk.value(&scratch.document(text), &mut decoded, 0);
            scratch.decoded = decoded;
            scratch.members = walk.members;
            Some(walk.walker.finish())
        }
        _ => None,
    };
    scratch.give_back();
    match value {
        Some(value) => Ok(value),
        // The tree parser words the error (and would, were the two ever to disagree, still
        // give the right value).
        None => json::parse_bytes_nested(bytes, max_depth).map(|j| super::json_value(&j)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Null,
    False,
    True,
    Number,
    /// A string without escapes: `start..end` of the text.
    Plain,
    /// A string value with escapes: `start..end` of the text, its spelling between the
    /// quotes. The walk decodes it when it gets there, into one buffer for all of them.
    Escaped,
    /// An object key with escapes: `start..end` of the arena, where it is decoded (sorting
    /// compares keys many times).
    EscapedKey,
    /// `end` is the index of the token after the container's last one.
    Array,
    Object,
}

/// One value or object key. Objects hold key, value, key, value...
#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: u32,
    end: u32,
}

/// Buffers of one document, reused across calls.
#[derive(Default)]
struct Scratch {
    tape: Vec<Token>,
    /// Decoded keys with escapes.
    arena: String,
    open: Vec<u32>,
    /// Object members being sorted, for every open object of the walk (one stack).
    members: Vec<u32>,
    /// The string value with escapes the walk is at.
    decoded: String,
}

thread_local! {
    static POOL: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
}

/// Scratch sets kept per thread: enough for a document, one nested in its strings, and so on.
const POOL_SIZE: usize = 4;

impl Scratch {
    fn take() -> Scratch {
        POOL.try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn give_back(mut self) {
        self.tape.clear();
        self.arena.clear();
        self.open.clear();
        self.members.clear();
        self.decoded.clear();
        let _ = POOL.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut()
                && pool.len() < POOL_SIZE
            {
                pool.push(self);
            }
        });
    }

    fn document<'a>(&'a self, text: &'a str) -> Document<'a> {
        Document {
            text,
            tape: &self.tape,
            arena: &self.arena,
        }
    }
}

struct Document<'a> {
    text: &'a str,
    tape: &'a [Token],
    arena: &'a str,
}

impl Document<'_> {
    fn token(&self, at: usize) -> Option<Token> {
        self.tape.get(at).copied()
    }

    /// The index after the value at `at` and everything inside it.
    fn next(&self, at: usize) -> usize {
        match self.token(at) {
            Some(Token {
                kind: Kind::Array | Kind::Object,
                end,
                ..
            }) => end as usize,
            _ => at + 1,
        }
    }

    /// The text of a key, number, or string without escapes.
    fn str_of(&self, token: Token) -> &str {
        let range = token.start as usize..token.end as usize;
        match token.kind {
            Kind::EscapedKey => self.arena.get(range),
            _ => self.text.get(range),
        }
        .unwrap_or_default()
    }

    fn key(&self, at: u32) -> &str {
        self.token(at as usize)
            .map_or("", |token| self.str_of(token))
    }

    /// The text of a string value, decoded into `buffer` when it has escapes.
    fn string<'s>(&'s self, token: Token, buffer: &'s mut String) -> &'s str {
        if token.kind != Kind::Escaped {
            return self.str_of(token);
        }
        buffer.clear();
        let spelled = (token.end - token.start) as usize;
        if buffer.capacity() < spelled {
            // A fresh buffer rather than a grown one: growing would copy the old contents.
            *buffer = String::with_capacity(spelled);
        }
        // The tokenizer validated the literal; it decodes the same way again.
        let _ = unescape(self.text, token.start as usize, buffer);
        buffer
    }
}

struct TapeWalk {
    walker: Walker,
    members: Vec<u32>,
}

impl TapeWalk {
    /// Hashes the value at `at` as [`Walker::walk`] hashes the same value in a tree.
    fn value(&mut self, doc: &Document, decoded: &mut String, at: usize) {
        let Some(token) = doc.token(at) else {
            return;
        };
        self.walker.depth += 1;
        match token.kind {
            Kind::Array => {
                self.walker.hash.update(b"[");
                let mut item = at + 1;
                while item < token.end as usize {
                    self.value(doc, decoded, item);
                    item = doc.next(item);
                }
                self.walker.hash.update(b"]");
            }
            Kind::Object => self.object(doc, decoded, at, token.end as usize),
            Kind::Number => {
                let value = doc.str_of(token).parse::<f64>().unwrap_or(f64::NAN);
                self.walker.data(&value.to_le_bytes());
            }
            Kind::True => self.walker.data(&[1]),
            Kind::False => self.walker.data(&[0]),
            Kind::Null => self.walker.data(&[0xFE]),
            Kind::Plain | Kind::Escaped | Kind::EscapedKey => {
                // JSON text cannot hold a raw CR; only an escape writes one.
                let may_hold_cr = token.kind != Kind::Plain;
                self.string(doc.string(token, decoded), may_hold_cr);
            }
        }
        self.walker.depth -= 1;
    }

    fn object(&mut self, doc: &Document, decoded: &mut String, at: usize, end: usize) {
        self.walker.hash.update(b"{");
        let base = self.members.len();
        let mut key = at + 1;
        while key < end {
            self.members.push(key as u32);
            key = doc.next(key + 1);
        }
        if let Some(members) = self.members.get_mut(base..) {
            // Stable, as the tree walk's sort: keys that compare equal keep document order.
            members.sort_by(|&a, &b| checksum_order(doc.key(a), doc.key(b)));
        }
        for slot in base..self.members.len() {
            let Some(&key) = self.members.get(slot) else {
                break;
            };
            if self.repeats_earlier_key(doc, base, slot) {
                continue;
            }
            self.member(doc, decoded, doc.key(key), key as usize + 1);
        }
        self.members.truncate(base);
        self.walker.hash.update(b"}");
    }

    /// Hashes one object member, its name then the value at `value_at`, as the tree walk does.
    fn member(&mut self, doc: &Document, decoded: &mut String, name: &str, value_at: usize) {
        self.walker.property_name(name);
        match doc.token(value_at) {
            Some(value) if name == "InvariantScript" && is_string(value) => {
                let script = normalize_formula_whitespace(doc.string(value, decoded));
                self.walker.data(script.as_bytes());
            }
            Some(Token {
                kind: Kind::Null, ..
            }) => {}
            _ => {
                self.walker.push(name);
                self.value(doc, decoded, value_at);
                self.walker.pop();
            }
        }
    }

    /// Whether the key in `slot` already appeared in this object (the first one counts).
    /// Sorting put equal keys next to each other, among keys that merely compare equal.
    fn repeats_earlier_key(&self, doc: &Document, base: usize, slot: usize) -> bool {
        let Some(&key) = self.members.get(slot) else {
            return false;
        };
        let name = doc.key(key);
        for earlier in (base..slot).rev() {
            let Some(&other) = self.members.get(earlier) else {
                return false;
            };
            let other = doc.key(other);
            if other == name {
                return true;
            }
            if checksum_order(other, name) != Ordering::Equal {
                return false;
            }
        }
        false
    }

    fn string(&mut self, s: &str, may_hold_cr: bool) {
        if self.walker.may_hold_document(s) {
            if self.walker.json_in_string() && self.nested_document(s) {
                return;
            }
            if self.walker.xml_in_string()
                && let Ok(canonical) = xml::canonical(s)
            {
                self.walker.data(canonical.as_bytes());
                return;
            }
        }
        self.walker.text_with_line_ends(s, may_hold_cr);
    }

    /// Hashes `s` as the JSON document it holds (as `json::parse` reads it); false, with
    /// nothing hashed, when it does not parse.
    fn nested_document(&mut self, s: &str) -> bool {
        let text = s.strip_prefix('\u{feff}').unwrap_or(s);
        let mut scratch = Scratch::take();
        let parsed = tokenize(text, json::MAX_DEPTH, &mut scratch).is_ok();
        if parsed {
            let mut decoded = std::mem::take(&mut scratch.decoded);
            self.value(&scratch.document(text), &mut decoded, 0);
            scratch.decoded = decoded;
        }
        scratch.give_back();
        if parsed {
            return true;
        }
        // Never reached while the tokenizer accepts what the parser accepts; it keeps the
        // value right were they ever to differ.
        match json::parse(s) {
            Ok(inner) => {
                #[cfg(test)]
                tests::note_fallback();
                self.walker.walk(&inner);
                true
            }
            Err(_) => false,
        }
    }
}

fn is_string(token: Token) -> bool {
    matches!(token.kind, Kind::Plain | Kind::Escaped | Kind::EscapedKey)
}

/// The input does not parse (or is too large for 32-bit spans); the tree parser says why.
#[derive(Debug)]
struct Rejected;

type Step<T> = Result<T, Rejected>;

/// Validates `text` exactly as `json::parse_bytes_nested` validates it (after the BOM) and
/// fills `scratch.tape`.
fn tokenize(text: &str, max_depth: usize, scratch: &mut Scratch) -> Step<()> {
    if u32::try_from(text.len()).is_err() {
        return Err(Rejected);
    }
    // A first guess at the token count (real entries spend some 25 bytes per token), taken
    // as a fresh allocation: growing an empty vector would still copy its old capacity.
    let guess = text.len() / 32;
    if scratch.tape.capacity() < guess {
        scratch.tape = Vec::with_capacity(guess);
    }
    let mut lexer = Lexer {
        text,
        src: text.as_bytes(),
        pos: 0,
        tape: &mut scratch.tape,
        arena: &mut scratch.arena,
    };
    let open = &mut scratch.open;
    loop {
        lexer.skip_ws();
        match lexer.peek() {
            Some(bracket @ (b'{' | b'[')) => {
                if open.len() >= max_depth {
                    return Err(Rejected);
                }
                let kind = if bracket == b'{' {
                    Kind::Object
                } else {
                    Kind::Array
                };
                open.push(lexer.push(kind, 0, 0));
                lexer.pos += 1;
                lexer.skip_ws();
                let close = if kind == Kind::Object { b'}' } else { b']' };
                if lexer.peek() == Some(close) {
                    lexer.pos += 1;
                    lexer.close(open);
                } else {
                    if kind == Kind::Object {
                        lexer.member_key()?;
                    }
                    continue;
                }
            }
            _ => lexer.scalar()?,
        }
        // A value ended: go on in its container, closing the containers that end here.
        loop {
            lexer.skip_ws();
            let Some(&container) = open.last() else {
                return if lexer.pos < lexer.src.len() {
                    Err(Rejected)
                } else {
                    Ok(())
                };
            };
            let in_object = lexer
                .tape
                .get(container as usize)
                .is_some_and(|t| t.kind == Kind::Object);
            match lexer.peek() {
                Some(b',') => {
                    lexer.pos += 1;
                    if in_object {
                        lexer.skip_ws();
                        lexer.member_key()?;
                    }
                    break;
                }
                Some(b'}') if in_object => {
                    lexer.pos += 1;
                    lexer.close(open);
                }
                Some(b']') if !in_object => {
                    lexer.pos += 1;
                    lexer.close(open);
                }
                _ => return Err(Rejected),
            }
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    tape: &'a mut Vec<Token>,
    arena: &'a mut String,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Appends a token and returns its index. Spans and indices fit in `u32`: the text does,
    /// and neither spans nor the token count exceed its length.
    fn push(&mut self, kind: Kind, start: usize, end: usize) -> u32 {
        let index = self.tape.len() as u32;
        self.tape.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
        });
        index
    }

    fn close(&mut self, open: &mut Vec<u32>) {
        let after = self.tape.len() as u32;
        if let Some(container) = open.pop()
            && let Some(token) = self.tape.get_mut(container as usize)
        {
            token.end = after;
        }
    }

    /// `"key" :`, with the position on the key's opening quote.
    fn member_key(&mut self) -> Step<()> {
        if self.peek() != Some(b'"') {
            return Err(Rejected);
        }
        self.string(true)?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(Rejected);
        }
        self.pos += 1;
        Ok(())
    }

    fn scalar(&mut self) -> Step<()> {
        match self.peek() {
            Some(b'"') => self.string(false),
            Some(b't') => self.literal(b"true", Kind::True),
            Some(b'f') => self.literal(b"false", Kind::False),
            Some(b'n') => self.literal(b"null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Rejected),
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Step<()> {
        if self.src.get(self.pos..self.pos + word.len()) != Some(word) {
            return Err(Rejected);
        }
        self.push(kind, self.pos, self.pos + word.len());
        self.pos += word.len();
        Ok(())
    }

    fn number(&mut self) -> Step<()> {
        let start = self.pos;
        let end = json::scan_number(self.src, start).ok_or(Rejected)?;
        if self.src.get(end).is_some_and(u8::is_ascii_digit) {
            return Err(Rejected);
        }
        self.push(Kind::Number, start, end);
        self.pos = end;
        Ok(())
    }

    /// A string literal, with the position on its opening quote. Keys with escapes are
    /// decoded into the arena; values are only checked.
    fn string(&mut self, key: bool) -> Step<()> {
        let start = self.pos + 1;
        let plain_end = skip_plain(self.src, start);
        let (kind, from, to, close) = if self.src.get(plain_end) == Some(&b'"') {
            (Kind::Plain, start, plain_end, plain_end)
        } else if key {
            let from = self.arena.len();
            let close = unescape(self.text, start, self.arena)?;
            (Kind::EscapedKey, from, self.arena.len(), close)
        } else {
            let close = unescape(self.text, start, &mut Unchecked)?;
            (Kind::Escaped, start, close, close)
        };
        if u32::try_from(to).is_err() {
            return Err(Rejected);
        }
        self.push(kind, from, to);
        self.pos = close + 1;
        Ok(())
    }
}

/// Where decoded string text goes.
trait Decoded {
    fn push_str(&mut self, s: &str);
    fn push(&mut self, c: char);
}

impl Decoded for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
    fn push(&mut self, c: char) {
        String::push(self, c);
    }
}

/// Validation only.
struct Unchecked;

impl Decoded for Unchecked {
    fn push_str(&mut self, _: &str) {}
    fn push(&mut self, _: char) {}
}

/// Decodes the string literal whose text starts at `start` (after the opening quote) into
/// `out`; the index of its closing quote, or an error where the JSON parser fails.
fn unescape(text: &str, start: usize, out: &mut impl Decoded) -> Step<usize> {
    let src = text.as_bytes();
    let mut run = start;
    let mut i = skip_plain(src, start);
    loop {
        match src.get(i) {
            Some(b'"') => {
                out.push_str(text.get(run..i).unwrap_or_default());
                return Ok(i);
            }
            Some(b'\\') => {
                out.push_str(text.get(run..i).unwrap_or_default());
                // Documents held in strings escape every quote: the one-character escapes
                // are decoded here, without a call, and `\u` ones by the parser's rules.
                match json::simple_escape(src, i) {
                    Some(c) => {
                        out.push(c);
                        i += 2;
                    }
                    None => i = escape(src, i, out)?,
                }
                run = i;
                i = skip_plain(src, i);
            }
            _ => return Err(Rejected),
        }
    }
}

/// Decodes the escape at `at` (a backslash) into `out`; the index after it.
fn escape(src: &[u8], at: usize, out: &mut impl Decoded) -> Step<usize> {
    let (c, next) = json::decode_escape(src, at).map_err(|_| Rejected)?;
    out.push(c);
    Ok(next)
}

#[cfg(test)]
mod tests;
