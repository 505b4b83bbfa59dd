//! XML canonical form of .NET `XDocument.Parse(s).ToString()` (with `\n` newlines): used for
//! `pkgs/*.xml` files and by the checksum for template and WADL payloads.
//!
//! The output is what the reference tool writes, byte for byte (verified against real
//! `pac canvas unpack` output and against Microsoft-stamped checksums). Two .NET behaviours
//! matter and are easy to get wrong:
//!
//! * an element written `<a></a>` (or holding only dropped whitespace) stays `<a></a>`; only
//!   `<a/>` in the source becomes `<a />`;
//! * indentation stops at the first text or CDATA child of an element, not before: the .NET
//!   writer decides while streaming, so elements and comments *before* that child are still
//!   indented, and everything after it (and inside its later siblings) is not.
//!
//! Parsing and writing are one streaming pass with explicit stacks, so nesting depth cannot
//! overflow the call stack.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::memo::{KeyBuilder, Memo};

/// Deepest element nesting accepted. Indentation makes output grow with depth squared, so a
/// hostile document of nested tags could otherwise blow up; real templates nest < 20 levels.
const MAX_DEPTH: usize = 256;

/// Pretty-prints `xml` the way .NET's `XDocument.ToString()` does, with LF newlines.
pub fn canonical(xml: &str) -> Result<String> {
    canonical_named(xml, "XML")
}

/// [`canonical`], naming the document `label` in syntax errors.
pub fn canonical_named(xml: &str, label: &str) -> Result<String> {
    // A merge pretty-prints the same templates for every unpack (three sides, the merged app
    // read back) and for checksums; small documents are cheaper to redo than to remember.
    if !(MEMO_MIN_LEN..=MEMO_MAX_LEN).contains(&xml.len()) {
        return pretty_print(xml, label);
    }
    let key = KeyBuilder::new("xml::canonical").text(xml).finish();
    PRETTY
        .get_or_try(key, xml.len(), || {
            pretty_print(xml, label).map(Arc::<str>::from)
        })
        .map(|pretty| pretty.to_string())
}

const MEMO_MIN_LEN: usize = 1024;
const MEMO_MAX_LEN: usize = 4 << 20;
/// Weighed by input size, which the kept output roughly matches (the input is not kept).
static PRETTY: Memo<Arc<str>> = Memo::new(256, 16 << 20);

fn pretty_print(xml: &str, label: &str) -> Result<String> {
    let text = normalize_line_ends(xml.strip_prefix('\u{feff}').unwrap_or(xml));
    let mut writer = DotNetWriter::default();
    Parser {
        text: &text,
        pos: 0,
        label,
    }
    .run(&mut writer)?;
    Ok(writer.out)
}

/// XML end-of-line handling: every `\r\n` and lone `\r` reads as `\n`.
fn normalize_line_ends(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Emulates `XmlWriter` with `Indent = true` fed by `XElement`'s writer: the decisions below
/// mirror the .NET indenting writer's state (mixed-content flag, position of the last text,
/// position where the current element's content began).
#[derive(Default)]
struct DotNetWriter {
    out: String,
    /// Output length right after the last text or CDATA: nothing is indented right after text.
    text_end: usize,
    /// Output length right after the current element's start tag.
    content_start: usize,
    /// Set by text or CDATA; once set, nothing more is indented in this element or below.
    mixed: bool,
    open: Vec<OpenElement>,
}

struct OpenElement {
    name: String,
    outer_mixed: bool,
    has_content: bool,
    preserve_space: bool,
}

impl DotNetWriter {
    fn may_indent(&self) -> bool {
        !self.mixed && self.text_end != self.out.len()
    }

    fn indent(&mut self, level: usize) {
        self.out.push('\n');
        for _ in 0..level {
            self.out.push_str("  ");
        }
    }

    fn mark_content(&mut self) {
        if let Some(top) = self.open.last_mut() {
            top.has_content = true;
        }
    }

    fn start_element(&mut self, name: &str, attributes: &[(String, String)]) {
        self.mark_content();
        if self.may_indent() {
            self.indent(self.open.len());
        }
        let preserve_space = match attributes.iter().find(|(k, _)| k == "xml:space") {
            Some((_, v)) if v == "preserve" => true,
            Some((_, v)) if v == "default" => false,
            _ => self.open.last().is_some_and(|e| e.preserve_space),
        };
        self.open.push(OpenElement {
            name: name.to_string(),
            outer_mixed: self.mixed,
            has_content: false,
            preserve_space,
        });
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_attribute(value, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
        self.content_start = self.out.len();
    }

    /// `<a/>` in the source: no content at all, written `<a />`.
    fn end_empty_element(&mut self) {
        if let Some(element) = self.open.pop() {
            self.mixed = element.outer_mixed;
        }
        self.out.pop();
        self.out.push_str(" />");
    }

    fn end_element(&mut self) {
        let Some(element) = self.open.last() else {
            return;
        };
        if !element.has_content {
            // XElement keeps an explicitly closed element's content as an empty string, which
            // the writer emits as (empty) text: `<a></a>`.
            self.mixed = true;
            self.text_end = self.out.len();
        }
        let Some(element) = self.open.pop() else {
            return;
        };
        if !self.mixed && self.content_start != self.out.len() && self.text_end != self.out.len() {
            self.indent(self.open.len());
        }
        self.mixed = element.outer_mixed;
        self.out.push_str("</");
        self.out.push_str(&element.name);
        self.out.push('>');
    }

    fn text(&mut self, text: &str) {
        let significant =
            self.open.last().is_some_and(|e| e.preserve_space) || !text.chars().all(is_xml_space);
        if !significant {
            return;
        }
        self.mark_content();
        self.mixed = true;
        escape_text(text, &mut self.out);
        self.text_end = self.out.len();
    }

    fn cdata(&mut self, text: &str) {
        self.mark_content();
        self.mixed = true;
        self.out.push_str("<![CDATA[");
        self.out.push_str(text);
        self.out.push_str("]]>");
        self.text_end = self.out.len();
    }

    fn comment(&mut self, text: &str) {
        self.mark_content();
        if self.may_indent() {
            self.indent(self.open.len());
        }
        self.out.push_str("<!--");
        self.out.push_str(text);
        self.out.push_str("-->");
    }

    fn processing_instruction(&mut self, target: &str, data: &str) {
        self.mark_content();
        if self.may_indent() {
            self.indent(self.open.len());
        }
        self.out.push_str("<?");
        self.out.push_str(target);
        if !data.is_empty() {
            self.out.push(' ');
            self.out.push_str(data);
        }
        self.out.push_str("?>");
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn escape_text(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // The writer replaces every newline form (here only from `&#xD;`) by its newline.
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            c => out.push(c),
        }
    }
}

/// A small well-formedness-checking XML reader that streams into the writer.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    label: &'a str,
}

impl<'a> Parser<'a> {
    fn run(&mut self, writer: &mut DotNetWriter) -> Result<()> {
        let mut open: Vec<String> = Vec::new();
        let mut seen_root = false;
        if self.rest().starts_with("<?xml")
            && self.rest()[5..].starts_with(|c: char| is_xml_space(c) || c == '?')
        {
            self.skip_past("?>", "unterminated XML declaration")?;
        }
        while self.pos < self.text.len() {
            let rest = self.rest();
            if rest.starts_with("<!--") {
                let body = self.delimited(4, "-->", "unterminated comment")?;
                if body.contains("--") || body.ends_with('-') {
                    return Err(self.error_at(self.pos, "`--` inside a comment"));
                }
                writer.comment(body);
            } else if rest.starts_with("<![CDATA[") {
                if open.is_empty() {
                    return Err(self.error("CDATA outside the root element"));
                }
                let body = self.delimited(9, "]]>", "unterminated CDATA section")?;
                check_chars(body).map_err(|m| self.error(m))?;
                writer.cdata(body);
            } else if rest.starts_with("<!") {
                return Err(self.error("DOCTYPE and other declarations are not supported"));
            } else if rest.starts_with("<?") {
                let (target, data) = self.processing_instruction()?;
                writer.processing_instruction(target, data);
            } else if rest.starts_with("</") {
                let at = self.pos;
                self.pos += 2;
                let name = self.name()?;
                self.skip_space();
                self.expect('>')?;
                match open.pop() {
                    Some(expected) if expected == name => writer.end_element(),
                    Some(expected) => {
                        return Err(self.error_at(at, format!("`</{name}>` closes `<{expected}>`")));
                    }
                    None => return Err(self.error_at(at, format!("`</{name}>` closes nothing"))),
                }
            } else if rest.starts_with('<') {
                if open.is_empty() && seen_root {
                    return Err(self.error("more than one root element"));
                }
                seen_root = true;
                self.pos += 1;
                let (name, attributes, empty) = self.start_tag()?;
                writer.start_element(name, &attributes);
                if empty {
                    writer.end_empty_element();
                } else {
                    if open.len() >= MAX_DEPTH {
                        return Err(
                            self.error(format!("elements nested deeper than {MAX_DEPTH} levels"))
                        );
                    }
                    open.push(name.to_string());
                }
            } else {
                let at = self.pos;
                let end = rest.find('<').map_or(self.text.len(), |i| self.pos + i);
                let raw = &self.text[self.pos..end];
                if open.is_empty() {
                    if !raw.chars().all(is_xml_space) {
                        return Err(self.error_at(at, "text outside the root element"));
                    }
                } else {
                    if raw.contains("]]>") {
                        return Err(self.error_at(at, "`]]>` in text"));
                    }
                    let decoded = self.decode(raw, at, false)?;
                    writer.text(&decoded);
                }
                self.pos = end;
            }
        }
        if let Some(name) = open.last() {
            return Err(self.error(format!("element `<{name}>` is not closed")));
        }
        if !seen_root {
            return Err(self.error("no root element"));
        }
        Ok(())
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Returns the text between an opening delimiter of `open_len` bytes and `close`, moving
    /// past `close`.
    fn delimited(&mut self, open_len: usize, close: &str, unterminated: &str) -> Result<&'a str> {
        let start = self.pos + open_len;
        let body_len = self.text.get(start..).and_then(|s| s.find(close));
        let Some(len) = body_len else {
            return Err(self.error(unterminated));
        };
        self.pos = start + len + close.len();
        Ok(&self.text[start..start + len])
    }

    fn skip_past(&mut self, close: &str, unterminated: &str) -> Result<()> {
        match self.rest().find(close) {
            Some(i) => {
                self.pos += i + close.len();
                Ok(())
            }
            None => Err(self.error(unterminated)),
        }
    }

    fn processing_instruction(&mut self) -> Result<(&'a str, &'a str)> {
        let at = self.pos;
        self.pos += 2;
        let target = self.name()?;
        if target.eq_ignore_ascii_case("xml") {
            return Err(self.error_at(at, "XML declaration not at the start of the document"));
        }
        let rest = self.rest();
        if rest.starts_with("?>") {
            self.pos += 2;
            return Ok((target, ""));
        }
        if !rest.starts_with(is_xml_space) {
            return Err(self.error("bad processing instruction"));
        }
        self.skip_space();
        let data = self.delimited(0, "?>", "unterminated processing instruction")?;
        check_chars(data).map_err(|m| self.error_at(at, m))?;
        Ok((target, data))
    }

    /// Parses a start tag after its `<`: name, attributes in order, and whether it is `/>`.
    #[allow(clippy::type_complexity)]
    fn start_tag(&mut self) -> Result<(&'a str, Vec<(String, String)>, bool)> {
        let name = self.name()?;
        let mut attributes: Vec<(String, String)> = Vec::new();
        loop {
            let had_space = self.skip_space();
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.pos += 2;
                return Ok((name, attributes, true));
            }
            if rest.starts_with('>') {
                self.pos += 1;
                return Ok((name, attributes, false));
            }
            if rest.is_empty() {
                return Err(self.error(format!("unterminated start tag `<{name}`")));
            }
            if !had_space {
                return Err(self.error("expected whitespace between attributes"));
            }
            let at = self.pos;
            let key = self.name()?;
            self.skip_space();
            self.expect('=')?;
            self.skip_space();
            let quote = match self.rest().chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => return Err(self.error("expected a quoted attribute value")),
            };
            self.pos += 1;
            let Some(len) = self.rest().find(quote) else {
                return Err(self.error("unterminated attribute value"));
            };
            let raw_at = self.pos;
            let raw = &self.text[raw_at..raw_at + len];
            if raw.contains('<') {
                return Err(self.error_at(raw_at, "`<` in an attribute value"));
            }
            let value = self.decode(raw, raw_at, true)?;
            self.pos = raw_at + len + 1;
            if attributes.iter().any(|(k, _)| k == key) {
                return Err(self.error_at(at, format!("duplicate attribute `{key}`")));
            }
            attributes.push((key.to_string(), value));
        }
    }

    fn name(&mut self) -> Result<&'a str> {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = &rest[..len];
        match name.chars().next() {
            Some(c) if !c.is_ascii_digit() && c != '-' && c != '.' => {
                self.pos += len;
                Ok(name)
            }
            _ => Err(self.error("expected a name")),
        }
    }

    fn skip_space(&mut self) -> bool {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_xml_space(c)).unwrap_or(rest.len());
        self.pos += len;
        len > 0
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.error(format!("expected `{c}`")))
        }
    }

    /// Resolves entity and character references. In attribute values, literal whitespace
    /// becomes a space (attribute-value normalization); referenced characters stay as they are.
    fn decode(&self, raw: &str, at: usize, attribute: bool) -> Result<String> {
        check_chars(raw).map_err(|m| self.error_at(at, m))?;
        let needs_work = raw.contains('&') || (attribute && raw.contains(['\t', '\n']));
        if !needs_work {
            return Ok(raw.to_string());
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if c == '&' {
                let offset = at + (raw.len() - rest.len());
                let Some(end) = rest.find(';') else {
                    return Err(self.error_at(offset, "`&` that starts no reference"));
                };
                let reference = &rest[1..end];
                out.push(resolve_reference(reference).ok_or_else(|| {
                    self.error_at(
                        offset,
                        format!("unknown or invalid reference `&{reference};`"),
                    )
                })?);
                rest = &rest[end + 1..];
            } else {
                out.push(if attribute && is_xml_space(c) { ' ' } else { c });
                rest = &rest[c.len_utf8()..];
            }
        }
        Ok(out)
    }

    fn error(&self, message: impl Into<String>) -> Error {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> Error {
        let before = self.text.get(..at).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Error::syntax(self.label, line, column, message)
    }
}

fn is_name_char(c: char) -> bool {
    let delimiter = matches!(
        c,
        '<' | '>' | '/' | '=' | '?' | '!' | '"' | '\'' | '&' | ';'
    );
    !(delimiter || is_xml_space(c) || c.is_control())
}

fn resolve_reference(reference: &str) -> Option<char> {
    let code = match reference {
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "amp" => return Some('&'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => {
            if let Some(hex) = reference.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else if let Some(dec) = reference.strip_prefix('#') {
                dec.parse::<u32>().ok()?
            } else {
                return None;
            }
        }
    };
    char::from_u32(code).filter(|&c| is_xml_char(c))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_chars(text: &str) -> std::result::Result<(), &'static str> {
    if text.chars().all(is_xml_char) {
        Ok(())
    } else {
        Err("character not allowed in XML")
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    fn canon(s: &str) -> String {
        canonical(s).unwrap()
    }

    #[test]
    fn declaration_dropped_and_indented() {
        assert_eq!(
            canon("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<a x='1'><b/><c>t</c></a>"),
            "<a x=\"1\">\n  <b />\n  <c>t</c>\n</a>"
        );
    }

    #[test]
    fn explicit_empty_elements_stay_open() {
        assert_eq!(
            canon("<a><b></b><c>  \n </c><d/></a>"),
            "<a>\n  <b></b>\n  <c></c>\n  <d />\n</a>"
        );
    }

    #[test]
    fn indentation_stops_at_first_text() {
        assert_eq!(
            canon("<a><!--c--><b/><![CDATA[x]]><d/><!--e--></a>"),
            "<a>\n  <!--c-->\n  <b /><![CDATA[x]]><d /><!--e--></a>"
        );
        assert_eq!(
            canon("<p><b><i/></b>text<q><r/></q></p>"),
            "<p>\n  <b>\n    <i />\n  </b>text<q><r /></q></p>"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(
            canon("<a t=\"&lt;&amp;&gt;&quot;'&#xA;&#9;x\ny\">&lt;&amp;&gt;\"'&#xD;</a>"),
            "<a t=\"&lt;&amp;&gt;&quot;'&#xA;&#x9;x y\">&lt;&amp;&gt;\"'\n</a>"
        );
    }

    #[test]
    fn comments_and_pis_at_top_level() {
        assert_eq!(
            canon("<!--x--><?pi  data ?><a/><!--y-->"),
            "<!--x-->\n<?pi data ?>\n<a />\n<!--y-->"
        );
        assert_eq!(canon("<a><?p?></a>"), "<a>\n  <?p?>\n</a>");
    }

    #[test]
    fn whitespace_kept_under_xml_space_preserve() {
        assert_eq!(
            canon("<a xml:space=\"preserve\"><b> </b></a>"),
            "<a xml:space=\"preserve\">\n  <b> </b>\n</a>"
        );
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "</a>",
            "<a><b></a></b>",
            "<a/><b/>",
            "<a x=1/>",
            "<a x='1' x='2'/>",
            "<a>&bogus;</a>",
            "<a>&#0;</a>",
            "<a>& b</a>",
            "<a x='<'/>",
            "<!DOCTYPE a><a/>",
            "<a><!-- a -- b --></a>",
            "<a><![CDATA[x</a>",
            "<a\u{1}/>",
            "<a>\u{1}</a>",
            "<",
            "<a",
            "<a x",
            "<a x=",
            "<a x='",
            "<?xml",
            "<a><?xml x?></a>",
            "<a>]]></a>",
            "<a/>text",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
        let nested = |n: usize| "<a>".repeat(n) + &"</a>".repeat(n);
        assert!(canonical(&nested(100_000)).is_err());
        assert!(canonical(&nested(200)).is_ok());
    }
}
