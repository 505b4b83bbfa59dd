//! POSIX shell words: git runs driver and textconv commands through `sh -c` (Git for Windows'
//! bundled `sh` too), so the program path we write must be quoted for sh, and reading a command
//! back must undo that quoting.

/// Quotes `word` so sh reads it back as exactly one word. Plain names stay readable.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@+,=".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Splits the first shell word off `command`: returns it unquoted, with the rest of the line
/// (starting at the whitespace that ended the word). `None` for an empty line or an unterminated
/// quote.
pub fn split_first_word(command: &str) -> Option<(String, &str)> {
    let trimmed = command.trim_start_matches([' ', '\t']);
    let mut word = String::new();
    let mut chars = trimmed.char_indices().peekable();
    while let Some(&(index, c)) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                return (!word.is_empty()).then(|| (word, &trimmed[index..]));
            }
            '\'' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, ch)) => word.push(ch),
                        None => return None,
                    }
                }
            }
            '"' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, ch @ ('"' | '\\' | '$' | '`'))) => word.push(ch),
                            Some((_, '\n')) => {}
                            Some((_, ch)) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return None,
                        },
                        Some((_, ch)) => word.push(ch),
                        None => return None,
                    }
                }
            }
            '\\' => {
                chars.next();
                match chars.next() {
                    Some((_, '\n')) => {}
                    Some((_, ch)) => word.push(ch),
                    None => return None,
                }
            }
            _ => {
                chars.next();
                word.push(c);
            }
        }
    }
    (!word.is_empty()).then_some((word, ""))
}

/// Doubles `%` so git's placeholder expansion in merge driver commands leaves it alone.
pub fn escape_percent(text: &str) -> String {
    text.replace('%', "%%")
}

/// Undoes [`escape_percent`] the way git reads `%%`; other `%x` sequences are kept as written.
pub fn unescape_percent(text: &str) -> String {
    text.replace("%%", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("msapp-merge"), "msapp-merge");
        assert_eq!(
            quote("/usr/local/bin/msapp-merge"),
            "/usr/local/bin/msapp-merge"
        );
        assert_eq!(quote("/home/a b/msapp-merge"), "'/home/a b/msapp-merge'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("/home/é/x"), "'/home/é/x'");
        assert_eq!(quote("a$b"), "'a$b'");
    }

    #[test]
    fn first_word_round_trips_quoting() {
        for word in [
            "msapp-merge",
            "/home/a b/msapp-merge",
            "it's",
            "C:/Program Files/x/msapp-merge.exe",
            "/tmp/ü ñ/$HOME/`x`",
        ] {
            let line = format!("{} merge %O", quote(word));
            let (first, rest) = split_first_word(&line).unwrap();
            assert_eq!(first, word);
            assert_eq!(rest, " merge %O");
        }
    }

    #[test]
    fn first_word_handles_double_quotes_and_escapes() {
        assert_eq!(
            split_first_word(r#""/a b/c\"d" x"#),
            Some((r#"/a b/c"d"#.to_string(), " x"))
        );
        assert_eq!(
            split_first_word(r"/a\ b/c x"),
            Some(("/a b/c".to_string(), " x"))
        );
        assert_eq!(split_first_word("  prog"), Some(("prog".to_string(), "")));
        assert_eq!(split_first_word("'unterminated"), None);
        assert_eq!(split_first_word("   "), None);
        assert_eq!(split_first_word(""), None);
    }

    #[test]
    fn percent_escaping_round_trips() {
        assert_eq!(escape_percent("/a%b/%%"), "/a%%b/%%%%");
        assert_eq!(unescape_percent(&escape_percent("/a%b/%%")), "/a%b/%%");
    }
}
