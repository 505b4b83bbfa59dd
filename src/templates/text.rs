//! The three textual rules shared by template XML and theme styles: reserved-name escapes
//! (`%Color.RESERVED%`), localization keys (`##Label_Text##`) and palette references
//! (`%Palette.PrimaryColor1%`). Hand-written matchers that accept exactly what the reference
//! tool's regular expressions accept, so the same values count as defaults.

/// Replaces every `%Name.RESERVED%` (ASCII letters only, possibly none) by `Name`.
pub fn unescape_reserved(value: &str) -> String {
    const SUFFIX: &str = ".RESERVED%";
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        if after[letters..].starts_with(SUFFIX) {
            out.push_str(&rest[..start]);
            out.push_str(&after[..letters]);
            rest = &after[letters + SUFFIX.len()..];
        } else {
            // Not a match here; a later `%` (maybe the very next char) may still start one.
            out.push_str(&rest[..=start]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// True when `value` contains `##word##` anywhere: Studio resolves such keys from the author's
/// locale at design time, so they are never treated as defaults.
pub fn is_localization_key(value: &str) -> bool {
    let mut search_from = 0;
    while let Some(offset) = value[search_from..].find("##") {
        let open = search_from + offset;
        let word_start = open + 2;
        let word_len: usize = value[word_start..]
            .chars()
            .take_while(|c| is_word_char(*c))
            .map(char::len_utf8)
            .sum();
        if word_len > 0 && value[word_start + word_len..].starts_with("##") {
            return true;
        }
        search_from = open + 1;
    }
    false
}

/// .NET regex `\w`: letters, decimal digits, connector punctuation, non-spacing marks.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || matches!(
            c,
            '\u{203F}' | '\u{2040}' | '\u{2054}' | '\u{FE33}' | '\u{FE34}' | '\u{FE4D}'
                ..='\u{FE4F}' | '\u{FF3F}'
        )
}

/// The first `%Palette?Name%` reference in `value` (`?` is any character but a newline, as
/// in the reference pattern): the whole matched text and the palette entry name.
pub fn first_palette_reference(value: &str) -> Option<(&str, &str)> {
    const PREFIX: &str = "%Palette";
    let mut search_from = 0;
    while let Some(offset) = value[search_from..].find(PREFIX) {
        let start = search_from + offset;
        let after_prefix = &value[start + PREFIX.len()..];
        if let Some(any) = after_prefix.chars().next().filter(|c| *c != '\n') {
            let name_start = start + PREFIX.len() + any.len_utf8();
            let name_len = value[name_start..]
                .find('%')
                .unwrap_or(value.len() - name_start);
            let name_end = name_start + name_len;
            if name_len > 0 && value[name_end..].starts_with('%') {
                return Some((&value[start..=name_end], &value[name_start..name_end]));
            }
        }
        search_from = start + 1;
    }
    None
}

/// `"default" + TypeName-with-first-char-uppercased + "Style"`: the style a control uses when
/// its editor state names none.
pub fn default_style_name(type_name: &str) -> String {
    let mut chars = type_name.chars();
    let mut name = String::from("default");
    if let Some(first) = chars.next() {
        let mut upper = first.to_uppercase();
        // .NET upper-cases one UTF-16 unit to one unit; keep characters whose upper case
        // would expand (e.g. `ß`).
        match (upper.next(), upper.next()) {
            (Some(single), None) => name.push(single),
            _ => name.push(first),
        }
        name.push_str(chars.as_str());
    }
    name.push_str("Style");
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_are_unescaped() {
        assert_eq!(
            unescape_reserved("%Font.RESERVED%.'Open Sans'"),
            "Font.'Open Sans'"
        );
        assert_eq!(
            unescape_reserved(
                "If(Self.Layout = %Layout.RESERVED%.Horizontal, 1, %Layout.RESERVED%.Vertical)"
            ),
            "If(Self.Layout = Layout.Horizontal, 1, Layout.Vertical)"
        );
        assert_eq!(unescape_reserved("%%Font.RESERVED%"), "%Font");
        assert_eq!(unescape_reserved("%.RESERVED%x"), "x");
        assert_eq!(unescape_reserved("%Fo1.RESERVED%"), "%Fo1.RESERVED%");
        assert_eq!(unescape_reserved("100%"), "100%");
        assert_eq!(unescape_reserved("%Ä.RESERVED%"), "%Ä.RESERVED%");
        assert_eq!(unescape_reserved(""), "");
    }

    #[test]
    fn localization_keys() {
        assert!(is_localization_key("##Label_DefaultValue_Text##"));
        assert!(is_localization_key("\"##a##\""));
        assert!(is_localization_key("###a##"));
        assert!(!is_localization_key("####"));
        assert!(!is_localization_key("##a b##"));
        assert!(!is_localization_key("##a#"));
        assert!(is_localization_key("##é1##"));
    }

    #[test]
    fn palette_references() {
        assert_eq!(
            first_palette_reference("%Palette.PrimaryColor1%"),
            Some(("%Palette.PrimaryColor1%", "PrimaryColor1"))
        );
        assert_eq!(
            first_palette_reference("ColorFade(%Palette.A%, %Palette.B%)"),
            Some(("%Palette.A%", "A"))
        );
        assert_eq!(first_palette_reference("%Palette.%"), None);
        assert_eq!(first_palette_reference("%Palette.A"), None);
        assert_eq!(
            first_palette_reference("%Palette%X%"),
            Some(("%Palette%X%", "X"))
        );
        assert_eq!(first_palette_reference("%Palette\nX%"), None);
        assert_eq!(
            first_palette_reference("%Palette.%Palette.B%"),
            Some(("%Palette.B%", "B"))
        );
    }

    #[test]
    fn default_style_names() {
        assert_eq!(default_style_name("label"), "defaultLabelStyle");
        assert_eq!(
            default_style_name("groupContainer"),
            "defaultGroupContainerStyle"
        );
        assert_eq!(default_style_name(""), "defaultStyle");
        assert_eq!(default_style_name("ßx"), "defaultßxStyle");
    }
}
