//! File names in the source tree: the reference's segment escaping (`%xx`), its reverse, the
//! truncation of long top-parent names, and the .NET `Path` helpers whose edge cases the layout
//! depends on.
//!
//! Escaping works on UTF-16 code units because that is what the reference iterates over; every
//! code unit above 255 is kept, so escaping never splits a character.

/// Longest escaped top-parent name before it is truncated and suffixed with a hash.
pub const MAX_NAME_LENGTH: usize = 50;

fn is_kept_unescaped(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '[' | ']' | '_' | '-' | '~' | '.' | ' ')
}

/// Escapes one path segment: `0-9 a-z A-Z [ ] _ - ~ . space` and everything above U+00FF stay,
/// every other character becomes `%` + two lowercase hex digits.
pub fn escape_filename(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for c in segment.chars() {
        if is_kept_unescaped(c) || u32::from(c) > 0xFF {
            out.push(c);
        } else {
            out.push_str(&format!("%{:02x}", u32::from(c)));
        }
    }
    out
}

/// Reverses [`escape_filename`]: `%XX` and the legacy `%%XXXX` (either hex case) become that
/// UTF-16 code unit. A `%` not followed by enough hex digits is kept literally (the reference
/// would crash); unpaired surrogates become U+FFFD.
pub fn unescape_filename(segment: &str) -> String {
    let units: Vec<u16> = segment.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let unit = units[i];
        if unit == u16::from(b'%') {
            if let Some(value) =
                hex_units(&units, i + 2, 4).filter(|_| units.get(i + 1) == Some(&unit))
            {
                out.push(value);
                i += 6;
                continue;
            }
            if let Some(value) = hex_units(&units, i + 1, 2) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(unit);
        i += 1;
    }
    String::from_utf16_lossy(&out)
}

/// The value of `count` hex digits starting at `start`, if they are all there.
fn hex_units(units: &[u16], start: usize, count: usize) -> Option<u16> {
    let digits = units.get(start..start.checked_add(count)?)?;
    let mut value: u16 = 0;
    for &d in digits {
        let digit = char::from_u32(u32::from(d))?.to_digit(16)?;
        value = value
            .checked_mul(16)?
            .checked_add(u16::try_from(digit).ok()?)?;
    }
    Some(value)
}

/// djb2 over UTF-16 code units, 64-bit wrapping, as the reference hashes long names.
pub fn djb2(text: &str) -> u64 {
    text.encode_utf16().fold(5381u64, |hash, unit| {
        hash.wrapping_shl(5)
            .wrapping_add(hash)
            .wrapping_add(u64::from(unit))
    })
}

/// The escaped name of a top-parent file (`.fx.yaml`, `.editorstate.json`, component `.json`):
/// escaped names longer than 50 UTF-16 units are cut to 46 units (without leaving half an
/// escape) and get `_` + three hex digits of their djb2 hash.
pub fn truncate_name_if_too_long(name: &str) -> String {
    let escaped = escape_filename(name);
    let units: Vec<u16> = escaped.encode_utf16().collect();
    if units.len() <= MAX_NAME_LENGTH {
        return escaped;
    }
    let suffix = format!("{:03x}", djb2(&escaped) % 4096);
    let keep = MAX_NAME_LENGTH - suffix.len() - 1;
    let percent = u16::from(b'%');
    let dangling = if units.get(keep - 1) == Some(&percent) {
        1
    } else if units.get(keep - 2) == Some(&percent) {
        2
    } else {
        0
    };
    // The cut can split a surrogate pair, as in the reference; the lone half becomes U+FFFD
    // (what .NET writes for it in a UTF-8 file name).
    let mut truncated = String::from_utf16_lossy(&units[..keep - dangling]);
    truncated.push('_');
    truncated.push_str(&suffix);
    truncated
}

/// .NET `Path.GetExtension` of a file name: from the last `.` on, or `""` when there is no dot
/// or the dot is the last character.
pub fn extension(file_name: &str) -> &str {
    match file_name.rfind('.') {
        Some(dot) if dot + 1 < file_name.len() => &file_name[dot..],
        _ => "",
    }
}

/// .NET `Path.GetFileNameWithoutExtension` of a file name: everything before the last `.`.
pub fn without_extension(file_name: &str) -> &str {
    match file_name.rfind('.') {
        Some(dot) => &file_name[..dot],
        None => file_name,
    }
}

/// Joins segments into a tree path, escaping each one.
pub fn escaped_path<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    segments
        .into_iter()
        .map(escape_filename)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_reference_vectors() {
        assert_eq!(escape_filename("\r\t!$^%/\\"), "%0d%09%21%24%5e%25%2f%5c");
        assert_eq!(escape_filename("'|"), "%27%7c");
        assert_eq!(
            escape_filename("für - Copy (2).jpg"),
            "f%fcr - Copy %282%29.jpg"
        );
        assert_eq!(escape_filename("Ab09[]_-~. "), "Ab09[]_-~. ");
        assert_eq!(escape_filename("日本😀"), "日本😀");
    }

    #[test]
    fn unescape_reverses_escape() {
        for s in [
            "\r\t!$^%/\\",
            "für - Copy (2).jpg",
            "a%b",
            "日本😀",
            "x:y*z?",
        ] {
            assert_eq!(unescape_filename(&escape_filename(s)), s);
        }
        assert_eq!(unescape_filename("%2A%2a"), "**");
        assert_eq!(unescape_filename("%%00e9t%%d83d%%de00"), "ét😀");
    }

    #[test]
    fn unescape_keeps_incomplete_escapes() {
        assert_eq!(unescape_filename("100%"), "100%");
        assert_eq!(unescape_filename("%4"), "%4");
        assert_eq!(unescape_filename("%zz"), "%zz");
        assert_eq!(unescape_filename("%%12"), "%\u{12}");
        assert_eq!(unescape_filename("%%d83d"), "\u{fffd}");
    }

    #[test]
    fn truncation_vectors() {
        assert_eq!(
            truncate_name_if_too_long("Long*Control*Name*Truncation*Tests***"),
            "Long%2aControl%2aName%2aTruncation%2aTests%2a_959"
        );
        assert_eq!(
            truncate_name_if_too_long(
                "TestReallyLoooooooooooooooooooooooooooooooooooongControlName"
            ),
            "TestReallyLooooooooooooooooooooooooooooooooooo_cad"
        );
        assert_eq!(
            truncate_name_if_too_long("TestControlName"),
            "TestControlName"
        );
    }

    #[test]
    fn truncation_never_leaves_half_an_escape() {
        for pad in 0..60 {
            let name = format!("{}{}", "a".repeat(pad), "*".repeat(30));
            let t = truncate_name_if_too_long(&name);
            assert!(t.encode_utf16().count() <= MAX_NAME_LENGTH, "{t}");
            let body = &t[..t.len() - 4];
            let units: Vec<char> = body.chars().collect();
            for (i, c) in units.iter().enumerate() {
                if *c == '%' {
                    assert!(i + 2 < units.len(), "dangling escape in {t}");
                }
            }
        }
    }

    #[test]
    fn truncation_can_split_surrogates_without_panicking() {
        let name = format!("{}{}", "a".repeat(45), "😀".repeat(10));
        let t = truncate_name_if_too_long(&name);
        assert!(t.contains('\u{fffd}'));
    }

    #[test]
    fn path_helpers_follow_dotnet() {
        assert_eq!(extension("a.b.PNG"), ".PNG");
        assert_eq!(extension("abc."), "");
        assert_eq!(extension("abc"), "");
        assert_eq!(extension(".gitignore"), ".gitignore");
        assert_eq!(without_extension("a.b.png"), "a.b");
        assert_eq!(without_extension("abc."), "abc");
        assert_eq!(without_extension(".png"), "");
        assert_eq!(escaped_path(["Images", "a:b.png"]), "Images/a%3ab.png");
    }
}
