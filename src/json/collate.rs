use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::CollatorOptions;
use icu_collator::{CollatorBorrowed, CollatorPreferences};

/// .NET's culture-aware string order (ICU root collation), used for JSON keys, property names
/// and file order. Stable sorts with this comparer reproduce the reference output.
///
/// Strings the collator considers equal (they differ only in ignorable characters or in
/// canonically equivalent spellings) are ordered ordinally, so this is a total order.
pub fn lo_cmp(a: &str, b: &str) -> Ordering {
    culture_cmp(a, b).then_with(|| a.cmp(b))
}

/// The collator's verdict alone, as .NET's `string.Compare` returns it (may be `Equal` for
/// different strings). Sorting with a stable sort and this comparer is exactly .NET's `OrderBy`.
pub fn culture_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        ascii_cmp(a.as_bytes(), b.as_bytes())
    } else {
        match collator() {
            Some(c) => c.compare(a, b),
            None => a.cmp(b),
        }
    }
}

fn collator() -> Option<&'static CollatorBorrowed<'static>> {
    static COLLATOR: OnceLock<Option<CollatorBorrowed<'static>>> = OnceLock::new();
    COLLATOR
        .get_or_init(|| {
            CollatorBorrowed::try_new(CollatorPreferences::default(), CollatorOptions::default())
                .ok()
        })
        .as_ref()
}

/// ICU root primary order of ASCII: whitespace, punctuation and symbols, digits, letters.
/// Controls other than TAB..CR are completely ignorable.
const ASCII_PRIMARY_ORDER: &[u8] =
    b"\t\n\x0B\x0C\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";

/// Primary weight per ASCII byte (0 = ignorable); upper and lower case share a weight.
static PRIMARY: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < ASCII_PRIMARY_ORDER.len() {
        let b = ASCII_PRIMARY_ORDER[i];
        table[b as usize] = (i + 1) as u8;
        if b.is_ascii_lowercase() {
            table[b.to_ascii_uppercase() as usize] = (i + 1) as u8;
        }
        i += 1;
    }
    table
};

fn primary(b: u8) -> u8 {
    PRIMARY.get(usize::from(b)).copied().unwrap_or(0)
}

/// Three-level comparison as ICU does it for ASCII (the secondary level never differs):
/// primary weights of the non-ignorable characters, then case position by position with
/// lowercase first.
fn ascii_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let weighted = |s: &[u8]| {
        s.iter()
            .copied()
            .filter(|&c| primary(c) != 0)
            .collect::<Vec<u8>>()
    };
    // Fast path without allocation: compare in lockstep while neither side has an ignorable.
    let mut i = 0;
    let mut first_case_difference = Ordering::Equal;
    loop {
        match (a.get(i), b.get(i)) {
            (None, None) => return first_case_difference,
            (None, Some(&y)) if primary(y) != 0 => return Ordering::Less,
            (Some(&x), None) if primary(x) != 0 => return Ordering::Greater,
            (Some(&x), Some(&y)) if primary(x) != 0 && primary(y) != 0 => {
                match primary(x).cmp(&primary(y)) {
                    Ordering::Equal => {
                        if first_case_difference == Ordering::Equal {
                            first_case_difference =
                                x.is_ascii_uppercase().cmp(&y.is_ascii_uppercase());
                        }
                        i += 1;
                    }
                    other => return other,
                }
            }
            _ => break,
        }
    }
    // Rare: an ignorable control character; compare the filtered strings.
    let (a, b) = (weighted(a), weighted(b));
    let primaries = a
        .iter()
        .map(|&c| primary(c))
        .cmp(b.iter().map(|&c| primary(c)));
    primaries.then_with(|| {
        a.iter()
            .map(u8::is_ascii_uppercase)
            .cmp(b.iter().map(u8::is_ascii_uppercase))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icu(a: &str, b: &str) -> Ordering {
        collator().unwrap().compare(a, b)
    }

    #[test]
    fn vectors() {
        let less = [
            ("MinVersionToLoad", "MSAppStructureVersion"),
            ("address1_x", "address10"),
            ("{VersionNumber}", "Author"),
            ("Components\\3.json", "ComponentsMetadata.json"),
            ("_y", "Width"),
            ("appColor_Component", "Default"),
            ("a", "A"),
            ("A", "b"),
            ("ab", "Ab"),
            ("aB", "Ab"),
            ("", "a"),
            ("a b", "a_b"),
            ("a-b", "a,b"),
            ("a9", "aa"),
            ("$", "0"),
        ];
        for (a, b) in less {
            assert_eq!(lo_cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(lo_cmp(b, a), Ordering::Greater, "{b} > {a}");
            assert_eq!(icu(a, b), Ordering::Less, "ICU: {a} < {b}");
        }
        assert_eq!(lo_cmp("same", "same"), Ordering::Equal);
        assert_eq!(culture_cmp("a\u{1}b", "ab"), Ordering::Equal);
        assert_eq!(lo_cmp("a\u{1}b", "ab"), Ordering::Less);
        assert_eq!(lo_cmp("é", "f"), Ordering::Less);
        assert_eq!(lo_cmp("e", "é"), Ordering::Less);
        assert_eq!(
            lo_cmp("E", "é"),
            Ordering::Less,
            "accents weigh more than case"
        );
    }

    /// The hand-written ASCII path must agree with ICU on every pair of characters and on
    /// random strings.
    #[test]
    fn ascii_fast_path_matches_icu() {
        for x in 0u8..128 {
            for y in 0u8..128 {
                let a = format!("k{}", char::from(x));
                let b = format!("k{}", char::from(y));
                assert_eq!(culture_cmp(&a, &b), icu(&a, &b), "{x:#x} vs {y:#x}");
            }
        }
        let alphabet = b"aAbB_-0 9.\\{}$\x01zZ";
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let mut word = || {
                let len = (next() % 6) as usize;
                (0..len)
                    .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                    .collect::<String>()
            };
            let (a, b) = (word(), word());
            assert_eq!(culture_cmp(&a, &b), icu(&a, &b), "{a:?} vs {b:?}");
        }
    }
}
