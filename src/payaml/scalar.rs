//! How one scalar is written: the style choice and the escaping of YamlDotNet's emitter (the
//! library Microsoft's pa.yaml serializer is built on), redone for the scalars pa.yaml holds.
//!
//! Studio's output only looks "hand-written" because the emitter picks the plainest style a
//! value allows. Reproducing its choices byte for byte means mirroring its analysis: which
//! characters make plain style ambiguous, when single quotes are still allowed, when a block
//! scalar is refused and the value falls back to double quotes.

/// How a scalar asks to be written before the emitter checks what its text allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Let the emitter choose (plain for one line, folded for several).
    Any,
    /// A literal block (`|`), which Power Fx formulas ask for when plain style would need
    /// escaping.
    Literal,
    DoubleQuoted,
}

/// The style the emitter settles on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// What a scalar's text allows, in the emitter's terms.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    has_single_quotes: bool,
}

pub fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The emitter's look-ahead reads a NUL (and the end of the text) as whitespace.
fn is_white_break_or_nul(c: char) -> bool {
    is_blank(c) || is_break(c) || c == '\0'
}

/// Printable in YAML's sense, judged per UTF-16 unit as .NET does: characters outside the
/// basic plane (stored as surrogate pairs) count as unprintable.
fn is_printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
}

fn analyze(value: &str) -> Analysis {
    let chars: Vec<char> = value.chars().collect();
    if chars.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: false,
            single_quoted_allowed: true,
            block_allowed: false,
            has_single_quotes: false,
        };
    }
    let white_or_end = |i: usize| chars.get(i).is_none_or(|c| is_white_break_or_nul(*c));

    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut leading_quote = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;
    let mut line_of_spaces = false;
    let mut lines_of_spaces = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut single_quotes = false;
    let mut preceded_by_white = true;

    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_white = white_or_end(i + 1);
        if i == 0 {
            if "#,[]{}&*!|>\"%@`'".contains(c) {
                block_indicators = true;
                leading_quote = c == '\'';
                single_quotes |= c == '\'';
            }
            if (c == '?' || c == ':') && followed_by_white {
                block_indicators = true;
            }
            if c == '-' && followed_by_white {
                block_indicators = true;
            }
        } else {
            if c == ':' && followed_by_white {
                block_indicators = true;
            }
            if c == '#' && preceded_by_white {
                block_indicators = true;
            }
            single_quotes |= c == '\'';
        }
        special |= !is_printable(c);
        line_breaks |= is_break(c);

        // A trailing tab would be lost by a plain scalar just like a space; treat both alike
        // so the output always reads back as written.
        if is_blank(c) {
            leading_space |= i == 0;
            trailing_space |= i == last;
            if previous_break {
                break_space = true;
                line_of_spaces = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            lines_of_spaces |= line_of_spaces;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
            line_of_spaces = false;
        }
        preceded_by_white = is_white_break_or_nul(c);
    }

    let mut block_plain = true;
    let mut single = true;
    let mut block = true;
    if leading_space || leading_break || trailing_space || trailing_break || leading_quote {
        block_plain = false;
    }
    if trailing_space || lines_of_spaces {
        block = false;
    }
    if break_space || space_break || special {
        block_plain = false;
        single = false;
    }
    if line_breaks || block_indicators {
        block_plain = false;
    }
    Analysis {
        multiline: line_breaks,
        block_plain_allowed: block_plain,
        single_quoted_allowed: single,
        block_allowed: block,
        has_single_quotes: single_quotes,
    }
}

/// The style the emitter uses for `value` in block context (`simple_key`: as a mapping key).
pub fn choose_style(value: &str, requested: Requested, simple_key: bool) -> Style {
    let a = analyze(value);
    let mut style = match requested {
        Requested::Any if a.multiline => Style::Folded,
        Requested::Any => Style::Plain,
        Requested::Literal => Style::Literal,
        Requested::DoubleQuoted => Style::DoubleQuoted,
    };
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain {
        if !a.block_plain_allowed {
            style = if a.single_quoted_allowed && !a.has_single_quotes {
                Style::SingleQuoted
            } else {
                Style::DoubleQuoted
            };
        }
        if value.is_empty() && simple_key {
            style = Style::SingleQuoted;
        }
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if matches!(style, Style::Literal | Style::Folded) && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// True when YamlDotNet's "quote necessary strings" option double-quotes a string: text a
/// YAML reader would take for null, a boolean or a number, or that is blank or starts with
/// whitespace.
pub fn is_special_string(value: &str) -> bool {
    if value.trim().is_empty() {
        return true;
    }
    // .NET's `$` also matches before one final line feed.
    matches_special(value) || value.strip_suffix('\n').is_some_and(matches_special)
}

fn matches_special(v: &str) -> bool {
    const WORDS: &[&str] = &[
        "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", ".nan",
        ".NaN", ".NAN",
    ];
    if WORDS.contains(&v) {
        return true;
    }
    if let Some(first) = v.chars().next()
        && first.is_whitespace()
    {
        // `\s.*`: the rest must not hold a line feed.
        return !v[first.len_utf8()..].contains('\n');
    }
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if let Some(octal) = v.strip_prefix("0o") {
        return !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if let Some(hex) = v.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    is_decimal_number(unsigned)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (which also covers plain integers).
fn is_decimal_number(v: &str) -> bool {
    let bytes = v.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = 0;
    if bytes.first() == Some(&b'.') {
        let n = digits(1);
        if n == 0 {
            return false;
        }
        i = 1 + n;
    } else {
        let n = digits(0);
        if n == 0 {
            return false;
        }
        i += n;
        if bytes.get(i) == Some(&b'.') {
            i += 1 + digits(i + 1);
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == bytes.len()
}

/// Writes a one-line scalar in the given (non-block) style.
pub fn write_inline(out: &mut String, value: &str, style: Style) {
    match style {
        Style::SingleQuoted => {
            out.push('\'');
            for c in value.chars() {
                if c == '\'' {
                    out.push('\'');
                }
                out.push(c);
            }
            out.push('\'');
        }
        Style::DoubleQuoted => write_double_quoted(out, value),
        _ => out.push_str(value),
    }
}

fn write_double_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        out.push('\\');
        match c {
            '\0' => out.push('0'),
            '\u{7}' => out.push('a'),
            '\u{8}' => out.push('b'),
            '\t' => out.push('t'),
            '\n' => out.push('n'),
            '\u{B}' => out.push('v'),
            '\u{C}' => out.push('f'),
            '\r' => out.push('r'),
            '\u{1B}' => out.push('e'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '\u{85}' => out.push('N'),
            '\u{A0}' => out.push('_'),
            '\u{2028}' => out.push('L'),
            '\u{2029}' => out.push('P'),
            _ => {
                let code = u32::from(c);
                if code <= 0xFF {
                    out.push_str(&format!("x{code:02X}"));
                } else if code > 0xFFFF {
                    out.push_str(&format!("U{code:08X}"));
                } else {
                    out.push_str(&format!("u{code:04X}"));
                }
            }
        }
    }
    out.push('"');
}

/// The indicators after `|` or `>`: an indentation hint when the text starts with a space or
/// a line break, then `-` (no final line break) or `+` (more than one).
fn block_hints(value: &str) -> String {
    let mut hints = String::new();
    if value.starts_with(' ') || value.chars().next().is_some_and(is_break) {
        hints.push('2');
    }
    let mut tail = value.chars().rev();
    match (tail.next(), tail.next()) {
        (Some(last), before) if is_break(last) => {
            if before.is_some_and(is_break) {
                hints.push('+');
            }
        }
        _ => hints.push('-'),
    }
    hints
}

/// Writes a block scalar: the header (`|-` ...) ending the current line, then the text's lines
/// indented by `indent` spaces. Leaves the output at the start of a line.
pub fn write_block(out: &mut String, value: &str, style: Style, indent: usize) {
    out.push(if style == Style::Folded { '>' } else { '|' });
    out.push_str(&block_hints(value));
    out.push('\n');
    let chars: Vec<char> = value.chars().collect();
    let mut previous_break = true;
    let mut leading_spaces = true;
    for (i, &c) in chars.iter().enumerate() {
        if is_break(c) {
            if c == '\r' && chars.get(i + 1) == Some(&'\n') {
                continue;
            }
            let written = if matches!(c, '\r' | '\n' | '\u{85}') {
                '\n'
            } else {
                c
            };
            if style == Style::Folded && !previous_break && !leading_spaces && written == '\n' {
                // A single line feed would fold into a space: double it unless the next line
                // is blank or indented.
                let next = chars[i..].iter().find(|c| !is_break(**c));
                if next.is_some_and(|n| !is_blank(*n)) {
                    out.push('\n');
                }
            }
            out.push(written);
            previous_break = true;
        } else {
            if previous_break {
                out.extend(std::iter::repeat_n(' ', indent));
                leading_spaces = is_blank(c);
            }
            out.push(c);
            previous_break = false;
        }
    }
    if !previous_break {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_plain_when_they_can() {
        assert_eq!(
            choose_style("=RGBA(0, 0, 0, 1)", Requested::Any, false),
            Style::Plain
        );
        assert_eq!(
            choose_style("=\"Simple App\"", Requested::Any, false),
            Style::Plain
        );
        assert_eq!(choose_style("=", Requested::Any, false), Style::Plain);
        assert_eq!(
            choose_style("=Font.'Open Sans'", Requested::Any, false),
            Style::Plain
        );
    }

    #[test]
    fn trailing_spaces_force_quotes() {
        assert_eq!(
            choose_style("=0   ", Requested::Any, false),
            Style::SingleQuoted
        );
        assert_eq!(
            choose_style("=a.'b' ", Requested::Any, false),
            Style::DoubleQuoted
        );
        assert_eq!(
            choose_style("=a\n ", Requested::Literal, false),
            Style::DoubleQuoted
        );
    }

    #[test]
    fn unprintable_text_is_double_quoted() {
        assert_eq!(
            choose_style("=\"😀\"", Requested::Any, false),
            Style::DoubleQuoted
        );
        let mut out = String::new();
        write_inline(&mut out, "=\"😀\"\u{1}", Style::DoubleQuoted);
        assert_eq!(out, "\"=\\\"\\U0001F600\\\"\\x01\"");
    }

    #[test]
    fn special_strings() {
        for s in [
            "", " ", "true", "NULL", "~", "12", "-1.5e3", ".5", "0x1F", "0o17", ".inf", " a",
        ] {
            assert!(is_special_string(s), "{s:?}");
        }
        for s in ["Screen1", "1a", "0x", "1.2.3", "yes", "e5", "-", "."] {
            assert!(!is_special_string(s), "{s:?}");
        }
    }

    #[test]
    fn block_scalars() {
        let mut out = String::new();
        write_block(&mut out, "=a;\r\nb;", Style::Literal, 4);
        assert_eq!(out, "|-\n    =a;\n    b;\n");
        let mut out = String::new();
        write_block(&mut out, "=a\n\nb\n", Style::Literal, 2);
        assert_eq!(out, "|\n  =a\n\n  b\n");
        let mut out = String::new();
        write_block(&mut out, "=a\r\n", Style::Literal, 2);
        assert_eq!(out, "|+\n  =a\n");
        let mut out = String::new();
        write_block(&mut out, "one\ntwo", Style::Folded, 2);
        assert_eq!(out, ">-\n  one\n\n  two\n");
    }
}
