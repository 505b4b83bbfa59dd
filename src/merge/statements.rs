//! Statement chains (`a; b; c`) in formulas such as `App.OnStart` and `App.Formulas`.
//!
//! The most common clash in those formulas is both branches appending statements at the end.
//! A line merge sees two insertions at the same place and gives up; at the statement level
//! the result is clear: base's statements, then ours' new ones, then theirs'.

/// The byte ranges of the top-level statements of `formula`: split at `;` outside brackets,
/// strings, quoted identifiers, comments and interpolation holes. `None` when the formula
/// does not scan (an unclosed string or bracket): then nothing is merged automatically.
pub fn split(formula: &str) -> Option<Vec<(usize, usize)>> {
    #[derive(PartialEq)]
    enum Frame {
        Bracket,
        Hole,
        Text,
        Interpolated,
    }
    let bytes = formula.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        match stack.last() {
            Some(Frame::Text) | Some(Frame::Interpolated) => {
                let interpolated = stack.last() == Some(&Frame::Interpolated);
                match (c, next) {
                    (b'"', Some(b'"')) => i += 1,
                    (b'"', _) => {
                        stack.pop();
                    }
                    (b'{', Some(b'{')) if interpolated => i += 1,
                    (b'}', Some(b'}')) if interpolated => i += 1,
                    (b'{', _) if interpolated => stack.push(Frame::Hole),
                    _ => {}
                }
            }
            _ => match (c, next) {
                (b'"', _) => stack.push(Frame::Text),
                (b'$', Some(b'"')) => {
                    stack.push(Frame::Interpolated);
                    i += 1;
                }
                (b'\'', _) => {
                    // A quoted identifier; '' is an escaped quote.
                    i += 1;
                    loop {
                        match (bytes.get(i)?, bytes.get(i + 1)) {
                            (b'\'', Some(b'\'')) => i += 2,
                            (b'\'', _) => break,
                            _ => i += 1,
                        }
                    }
                }
                (b'/', Some(b'/')) => {
                    while bytes.get(i).is_some_and(|&b| b != b'\n') {
                        i += 1;
                    }
                    continue;
                }
                (b'/', Some(b'*')) => {
                    i += 2;
                    while !(bytes.get(i)? == &b'*' && bytes.get(i + 1) == Some(&b'/')) {
                        i += 1;
                    }
                    i += 1;
                }
                (b'(' | b'[' | b'{', _) => stack.push(Frame::Bracket),
                (b'}', _) if stack.last() == Some(&Frame::Hole) => {
                    stack.pop();
                }
                (b')' | b']' | b'}', _) if stack.pop() != Some(Frame::Bracket) => return None,
                (b')' | b']' | b'}', _) => {}
                (b';', _) if stack.is_empty() => {
                    out.push((start, i));
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if !stack.is_empty() {
        return None;
    }
    out.push((start, formula.len()));
    // A trailing `;` leaves an empty last statement.
    while out
        .last()
        .is_some_and(|&(s, e)| formula.get(s..e).is_some_and(|t| t.trim().is_empty()))
    {
        out.pop();
    }
    Some(out)
}

/// Both sides kept base's statements unchanged and appended new ones: base's, ours' new
/// ones, then theirs' (as ours' text followed by theirs' added text). `None` when that is not
/// the case, or when the sides added a statement in common (or, for named formulas, the same
/// name), so the caller falls back to a line merge.
pub fn merge_appends(base: &str, ours: &str, theirs: &str, named: bool) -> Option<String> {
    let (bs, os, ts) = (split(base)?, split(ours)?, split(theirs)?);
    let text = |f: &'_ str, &(s, e): &(usize, usize)| f.get(s..e).map(str::trim).map(String::from);
    let stmts = |f: &str, r: &[(usize, usize)]| -> Option<Vec<String>> {
        r.iter().map(|x| text(f, x)).collect()
    };
    let (b, o, t) = (stmts(base, &bs)?, stmts(ours, &os)?, stmts(theirs, &ts)?);
    if o.len() <= b.len() || t.len() <= b.len() || !o.starts_with(&b) || !t.starts_with(&b) {
        return None;
    }
    let (o_new, t_new) = (o.get(b.len()..)?, t.get(b.len()..)?);
    let key = |s: &String| -> String {
        match named {
            true => s.split('=').next().unwrap_or(s).trim().to_string(),
            false => s.clone(),
        }
    };
    if o_new.iter().any(|x| t_new.iter().any(|y| key(x) == key(y))) {
        return None;
    }
    let theirs_added = ts.get(b.len()).and_then(|&(s, _)| theirs.get(s..))?.trim();
    let ours_text = ours.trim_end();
    let separator = if ours_text.ends_with(';') {
        "\n"
    } else {
        ";\n"
    };
    Some(format!("{ours_text}{separator}{theirs_added}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(f: &str) -> Vec<&str> {
        split(f)
            .unwrap()
            .into_iter()
            .map(|(s, e)| f[s..e].trim())
            .collect()
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        assert_eq!(
            parts("Set(a, \"x;y\"); If(b, c; d); /* ; */ 'odd;name'; $\"{e; f}\" // ;"),
            vec![
                "Set(a, \"x;y\")",
                "If(b, c; d)",
                "/* ; */ 'odd;name'",
                "$\"{e; f}\" // ;"
            ]
        );
        assert_eq!(parts("a;\nb;\n"), vec!["a", "b"]);
        assert_eq!(split("Set(a, \"x"), None);
        assert_eq!(split("f(a))"), None);
    }

    #[test]
    fn appends_on_both_sides_keep_ours_then_theirs() {
        assert_eq!(
            merge_appends("A;", "A;\nB;", "A;\nC;", false).as_deref(),
            Some("A;\nB;\nC;")
        );
        assert_eq!(
            merge_appends("A", "A;\nB", "A;\nC", false).as_deref(),
            Some("A;\nB;\nC")
        );
        assert_eq!(
            merge_appends("", "x = 1;", "y = 2;", true).as_deref(),
            Some("x = 1;\ny = 2;")
        );
    }

    #[test]
    fn anything_but_pure_appends_is_left_to_the_line_merge() {
        assert_eq!(merge_appends("A;", "A2;\nB;", "A;\nC;", false), None);
        assert_eq!(merge_appends("A;", "A;\nB;", "A;", false), None);
        assert_eq!(merge_appends("A;", "A;\nB;", "A;\nB;", false), None);
        assert_eq!(merge_appends("", "x = 1;", "x = 2;", true), None);
    }
}
