//! Power Fx identifier escaping used in headers and property names, and the identifier
//! grammar the reader uses for control headers and function signatures.
//!
//! The reference classifies UTF-16 code units, so a character outside the Basic Multilingual
//! Plane is seen as two surrogates and is never an identifier character.

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

const DELIMITER: char = '\'';

fn category(c: char) -> Option<GeneralCategory> {
    if u32::from(c) > 0xFFFF {
        return None;
    }
    Some(CodePointMapData::<GeneralCategory>::new().get(c))
}

fn is_letter_category(gc: GeneralCategory) -> bool {
    use GeneralCategory as G;
    matches!(
        gc,
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
    )
}

/// May start a bare identifier.
pub(crate) fn is_ident_start(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_';
    }
    category(c).is_some_and(|gc| is_letter_category(gc) || gc == GeneralCategory::LetterNumber)
}

/// May continue a bare identifier (when reading, may also start one).
pub(crate) fn is_ident_part(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    use GeneralCategory as G;
    category(c).is_some_and(|gc| {
        is_letter_category(gc)
            || matches!(
                gc,
                G::LetterNumber
                    | G::NonspacingMark
                    | G::SpacingMark
                    | G::DecimalNumber
                    | G::ConnectorPunctuation
                    | G::Format
            )
    })
}

/// The character class of function and parameter names in a function signature
/// (`[\p{L}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]`: unlike [`is_ident_part`], no letter numbers).
pub(crate) fn is_signature_char(c: char) -> bool {
    use GeneralCategory as G;
    category(c).is_some_and(|gc| {
        is_letter_category(gc)
            || matches!(
                gc,
                G::DecimalNumber
                    | G::NonspacingMark
                    | G::SpacingMark
                    | G::ConnectorPunctuation
                    | G::Format
            )
    })
}

/// `\s` of .NET regular expressions.
pub(crate) fn is_regex_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}')
        || category(c).is_some_and(|gc| {
            matches!(
                gc,
                GeneralCategory::SpaceSeparator
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
            )
        })
}

/// Leaves a valid identifier bare, otherwise wraps it in `'...'` doubling inner quotes.
pub fn escape_name(name: &str) -> String {
    let mut chars = name.chars();
    let bare = match chars.next() {
        Some(first) => is_ident_start(first) && chars.all(is_ident_part),
        None => false,
    };
    if bare {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push(DELIMITER);
    for c in name.chars() {
        if c == DELIMITER {
            out.push(DELIMITER);
        }
        out.push(c);
    }
    out.push(DELIMITER);
    out
}

/// Reverses [`escape_name`]; `None` for an unmatched `'`.
///
/// Like the reference, a `'` inside the delimiters escapes whatever follows it, and text that
/// does not start with `'` is returned unchanged.
pub fn unescape_name(name: &str) -> Option<String> {
    if !name.starts_with(DELIMITER) {
        return Some(name.to_string());
    }
    if !name.ends_with(DELIMITER) {
        return None;
    }
    let chars: Vec<char> = name.chars().collect();
    let last_inner = chars.len().saturating_sub(2);
    let mut out = String::with_capacity(name.len());
    let mut i = 1;
    while i <= last_inner {
        if chars.get(i) == Some(&DELIMITER) {
            i += 1;
        }
        if let Some(&c) = chars.get(i) {
            out.push(c);
        }
        i += 1;
    }
    Some(out)
}

/// Reads one identifier at the start of `source`: a `'...'` identifier (`''` inside stands for
/// `'`; must be closed and non-empty) or a run of identifier characters, which may be empty.
/// Returns the identifier and the number of bytes it spans.
pub(crate) fn parse_ident(source: &str) -> Option<(String, usize)> {
    let mut chars = source.char_indices().peekable();
    let (_, first) = *chars.peek()?;
    if first != DELIMITER {
        let end = source
            .find(|c: char| !is_ident_part(c))
            .unwrap_or(source.len());
        return Some((source.get(..end)?.to_string(), end));
    }
    chars.next();
    let mut ident = String::new();
    while let Some((i, c)) = chars.next() {
        if c != DELIMITER {
            ident.push(c);
            continue;
        }
        if chars.peek().is_some_and(|&(_, next)| next == DELIMITER) {
            chars.next();
            ident.push(DELIMITER);
            continue;
        }
        if ident.is_empty() {
            return None;
        }
        return Some((ident, i + DELIMITER.len_utf8()));
    }
    None
}

/// A control header `Name As Type[.Variant]` split into its unescaped parts.
pub(crate) fn parse_control_def(header: &str) -> Option<(String, String, Option<String>)> {
    let (name, len) = parse_ident(header)?;
    let rest = header.get(len..)?;
    if !rest.starts_with(' ') {
        return None;
    }
    let rest = rest.trim_start().strip_prefix("As ")?.trim_start();
    let (type_name, len) = parse_ident(rest)?;
    let rest = rest.get(len..)?;
    if rest.is_empty() {
        return Some((name, type_name, None));
    }
    let rest = rest.strip_prefix('.')?;
    let (variant, len) = parse_ident(rest)?;
    if len != rest.len() {
        return None;
    }
    Some((name, type_name, Some(variant)))
}

/// Whether a mapping key names a child control (as opposed to a function signature).
pub(crate) fn is_control_start(key: &str) -> bool {
    match parse_ident(key) {
        Some((_, len)) => key
            .get(len..)
            .is_some_and(|rest| rest.trim_start().starts_with("As")),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_power_fx() {
        assert_eq!(escape_name("Label1"), "Label1");
        assert_eq!(escape_name("_x"), "_x");
        assert_eq!(escape_name("Home Screen"), "'Home Screen'");
        assert_eq!(escape_name("Bob's Label"), "'Bob''s Label'");
        assert_eq!(escape_name("1stLabel"), "'1stLabel'");
        assert_eq!(escape_name("my-label"), "'my-label'");
        assert_eq!(
            escape_name("tabletLayout_Email_ver3.0"),
            "'tabletLayout_Email_ver3.0'"
        );
        assert_eq!(escape_name("Étiquette1"), "Étiquette1");
        assert_eq!(escape_name("'"), "''''");
        assert_eq!(escape_name(""), "''");
        // Roman numeral one (Nl) may start; a combining mark (Mn) may only continue.
        assert_eq!(escape_name("\u{2160}x"), "\u{2160}x");
        assert_eq!(escape_name("\u{301}x"), "'\u{301}x'");
        assert_eq!(escape_name("x\u{301}"), "x\u{301}");
        // Outside the BMP: surrogates in .NET, never identifier characters.
        assert_eq!(escape_name("x\u{1D400}"), "'x\u{1D400}'");
    }

    #[test]
    fn unescapes_like_the_reference() {
        assert_eq!(unescape_name("Foo").as_deref(), Some("Foo"));
        assert_eq!(unescape_name("'Foo Bar'").as_deref(), Some("Foo Bar"));
        assert_eq!(unescape_name("'It''s'").as_deref(), Some("It's"));
        assert_eq!(unescape_name("'a'b'").as_deref(), Some("ab"));
        assert_eq!(unescape_name("'a''").as_deref(), Some("a'"));
        assert_eq!(unescape_name("'").as_deref(), Some(""));
        assert_eq!(unescape_name("''").as_deref(), Some(""));
        assert_eq!(unescape_name("'abc"), None);
        assert_eq!(unescape_name("").as_deref(), Some(""));
    }

    #[test]
    fn parses_identifiers() {
        let cases: &[(&str, Option<(&str, usize)>)] = &[
            ("Foo", Some(("Foo", 3))),
            ("'Foo'", Some(("Foo", 5))),
            ("'Foo Bar'", Some(("Foo Bar", 9))),
            ("'Foo B''ar'", Some(("Foo B'ar", 11))),
            ("'F''o''o B''ar'", Some(("F'o'o B'ar", 15))),
            ("Foo Bar", Some(("Foo", 3))),
            ("'Foo' Bar", Some(("Foo", 5))),
            ("''", None),
            ("'Foo Bar", None),
            ("'Foo ''Bar", None),
            ("", None),
            ("-x", Some(("", 0))),
        ];
        for (input, expected) in cases {
            let got = parse_ident(input);
            assert_eq!(
                got.as_ref().map(|(s, n)| (s.as_str(), *n)),
                *expected,
                "{input}"
            );
        }
    }

    #[test]
    fn parses_control_definitions() {
        let ok: &[(&str, &str, &str, Option<&str>)] = &[
            ("Foo As Bar", "Foo", "Bar", None),
            ("Foo As Bar.Baz", "Foo", "Bar", Some("Baz")),
            ("'escaped foo' As Bar", "escaped foo", "Bar", None),
            (
                "'escaped foo' As Bar.'escaped'",
                "escaped foo",
                "Bar",
                Some("escaped"),
            ),
            (
                "'es''caped f''oo' As 'Escaped'.foo",
                "es'caped f'oo",
                "Escaped",
                Some("foo"),
            ),
            ("Foo   As   Bar", "Foo", "Bar", None),
            ("1st As label", "1st", "label", None),
        ];
        for (input, name, ty, variant) in ok {
            let (n, t, v) = parse_control_def(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(
                (n.as_str(), t.as_str(), v.as_deref()),
                (*name, *ty, *variant),
                "{input}"
            );
        }
        for bad in [
            "Screen1",
            "Screen1 As screen.a.b",
            "Foo as Bar",
            "Foo As Bar.",
            "Foo As Bar x",
            "Foo:As Bar",
        ] {
            assert!(parse_control_def(bad).is_none(), "{bad}");
        }
    }
}
