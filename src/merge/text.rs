//! Three-way merge of one text (a formula, a file), byte-identical to `git merge-file -p`.
//!
//! The line merge itself is libgit2's copy of git's xdiff. This module papers over the places
//! where libgit2's wrapper differs from the `git merge-file` command:
//! * git uses the `ZEALOUS_ALNUM` simplification level; libgit2 only with `simplify_alnum`;
//! * libgit2 drops the label of a side whose content is empty (git prints it), so those marker
//!   lines are relabelled afterwards;
//! * libgit2 treats content with a NUL byte as binary (and then hands back a null buffer), so
//!   NUL bytes travel through the merge as a private-use character absent from every input;
//! * libgit2 only says "clean or not"; the number of conflicts is counted from the marker lines
//!   of a probe merge whose markers are longer than any run of marker characters in the input.

use std::sync::Once;

use crate::error::{Error, Result};

/// Labels printed after the conflict markers (`<<<<<<< ours`, `||||||| base`, `>>>>>>> theirs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub base: String,
    pub ours: String,
    pub theirs: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            base: "base".to_owned(),
            ours: "ours".to_owned(),
            theirs: "theirs".to_owned(),
        }
    }
}

/// How a conflict is shown: git's `merge.conflictStyle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictStyle {
    /// Ours and theirs only.
    #[default]
    Merge,
    /// Also the base version of the conflicting lines.
    Diff3,
    /// Like `Diff3`, with lines common to both sides moved out of the conflict.
    Zdiff3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMergeOptions {
    /// CR, LF and NUL inside a label are replaced by spaces: a label must stay on its marker
    /// line (git would print them raw and corrupt the marker structure).
    pub labels: Labels,
    /// Length of the conflict markers; 0 means git's default, 7.
    pub marker_size: usize,
    pub style: ConflictStyle,
}

impl Default for TextMergeOptions {
    fn default() -> Self {
        TextMergeOptions {
            labels: Labels::default(),
            marker_size: DEFAULT_MARKER_SIZE,
            style: ConflictStyle::Merge,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMerge {
    /// The merged text, with conflict markers where the sides disagree.
    pub text: String,
    /// Number of conflict blocks in `text` (what `git merge-file` returns as its exit status).
    pub conflicts: usize,
    pub clean: bool,
}

pub const DEFAULT_MARKER_SIZE: usize = 7;

/// libgit2 calls anything larger than this (just under 1 GiB) binary and then returns nothing.
const MAX_TEXT_BYTES: usize = 1_000_000_000;

const OURS_MARK: u8 = b'<';
const BASE_MARK: u8 = b'|';
const THEIRS_MARK: u8 = b'>';

/// Merges `ours` and `theirs`, two edits of `base`, line by line exactly like
/// `git merge-file -p -L ours -L base -L theirs [--diff3|--zdiff3] [--marker-size=N]`.
pub fn merge_text(
    base: &str,
    ours: &str,
    theirs: &str,
    opts: &TextMergeOptions,
) -> Result<TextMerge> {
    if ours == theirs || base == theirs {
        return Ok(clean(ours));
    }
    if base == ours {
        return Ok(clean(theirs));
    }
    let marker_size = match opts.marker_size {
        0 => DEFAULT_MARKER_SIZE,
        n => n,
    };
    let marker_size = u16::try_from(marker_size).map_err(|_| {
        Error::invalid(
            "merge",
            format!("conflict marker size {marker_size} is too large"),
        )
    })?;
    let labels = Labels {
        base: one_line(&opts.labels.base),
        ours: one_line(&opts.labels.ours),
        theirs: one_line(&opts.labels.theirs),
    };

    let nul = NulStandIn::choose(&[
        base,
        ours,
        theirs,
        &labels.base,
        &labels.ours,
        &labels.theirs,
    ])?;
    let (base, ours, theirs) = (nul.hide(base), nul.hide(ours), nul.hide(theirs));
    for side in [&base, &ours, &theirs] {
        if side.len() > MAX_TEXT_BYTES {
            return Err(Error::invalid("merge", "text too large to merge"));
        }
    }

    let inputs = Inputs {
        base: &base,
        ours: &ours,
        theirs: &theirs,
        style: opts.style,
    };
    let (merged, clean_merge) = inputs.run(Some(&labels), marker_size)?;
    if clean_merge {
        return Ok(clean(&nul.restore(merged)));
    }

    // Marker lines are found where a probe merge puts markers longer than any run of marker
    // characters in the input; the probe has the same lines, since the marker size only
    // changes how markers are drawn, never where conflicts are.
    let longest_run = [base.as_str(), ours.as_str(), theirs.as_str()]
        .iter()
        .flat_map(|text| text.split('\n'))
        .map(|line| {
            line.bytes()
                .take_while(|b| matches!(*b, OURS_MARK | BASE_MARK | THEIRS_MARK))
                .count()
        })
        .max()
        .unwrap_or(0);
    let probe_size = longest_run.saturating_add(1);
    let probe = if probe_size <= usize::from(marker_size) {
        Some((merged.clone(), usize::from(marker_size)))
    } else {
        match u16::try_from(probe_size) {
            Ok(size) => Some((inputs.run(None, size)?.0, probe_size)),
            Err(_) => None,
        }
    };
    let Some((probe, probe_size)) = probe else {
        // Only input with a line of 65535 marker characters gets here: no marker can be told
        // apart from content, so the text stays as libgit2 made it.
        return Ok(TextMerge {
            text: nul.restore(merged),
            conflicts: 1,
            clean: false,
        });
    };

    let mut relabel: Vec<(u8, &str)> = Vec::new();
    if ours.is_empty() {
        relabel.push((OURS_MARK, &labels.ours));
    }
    if theirs.is_empty() {
        relabel.push((THEIRS_MARK, &labels.theirs));
    }
    if base.is_empty() && opts.style != ConflictStyle::Merge {
        relabel.push((BASE_MARK, &labels.base));
    }

    let mut text = String::with_capacity(merged.len() + 64);
    let mut conflicts = 0;
    for (line, probe_line) in merged
        .split_inclusive('\n')
        .zip(probe.split_inclusive('\n'))
    {
        let mark = marker_of(probe_line, probe_size);
        if mark == Some(OURS_MARK) {
            conflicts += 1;
        }
        match relabel.iter().find(|(m, _)| Some(*m) == mark) {
            Some((_, label)) => text.push_str(&with_label(line, label)),
            None => text.push_str(line),
        }
    }
    Ok(TextMerge {
        text: nul.restore(text),
        conflicts: conflicts.max(1),
        clean: false,
    })
}

fn clean(text: &str) -> TextMerge {
    TextMerge {
        text: text.to_owned(),
        conflicts: 0,
        clean: true,
    }
}

fn one_line(label: &str) -> String {
    label.replace(['\r', '\n', '\0'], " ")
}

/// The marker character when `line` starts with at least `size` of one.
fn marker_of(line: &str, size: usize) -> Option<u8> {
    let first = *line.as_bytes().first()?;
    let is_marker = matches!(first, OURS_MARK | BASE_MARK | THEIRS_MARK)
        && line.bytes().take_while(|b| *b == first).count() >= size;
    is_marker.then_some(first)
}

/// `<<<<<<<\n` -> `<<<<<<< label\n`, keeping a CR before the LF.
fn with_label(marker_line: &str, label: &str) -> String {
    let body = marker_line.trim_end_matches(['\r', '\n']);
    let eol = marker_line.get(body.len()..).unwrap_or("");
    format!("{body} {label}{eol}")
}

struct Inputs<'a> {
    base: &'a str,
    ours: &'a str,
    theirs: &'a str,
    style: ConflictStyle,
}

impl Inputs<'_> {
    /// One libgit2 merge: the merged text and whether it is clean. Without labels the markers
    /// are bare (the probe only needs their positions).
    fn run(&self, labels: Option<&Labels>, marker_size: u16) -> Result<(String, bool)> {
        init_libgit2();
        fn input(text: &str) -> git2::MergeFileInput<'_> {
            let mut input = git2::MergeFileInput::new();
            input.content(text.as_bytes());
            input
        }
        let (base, ours, theirs) = (input(self.base), input(self.ours), input(self.theirs));
        let mut options = git2::MergeFileOptions::new();
        options
            .simplify_alnum(true)
            .marker_size(marker_size)
            .style_diff3(self.style == ConflictStyle::Diff3)
            .style_zdiff3(self.style == ConflictStyle::Zdiff3);
        if let Some(labels) = labels {
            // `one_line` removed NULs, the only thing these setters cannot take.
            options
                .ancestor_label(labels.base.as_str())
                .our_label(labels.ours.as_str())
                .their_label(labels.theirs.as_str());
        }
        let result = git2::merge_file(&base, &ours, &theirs, Some(&mut options))
            .map_err(|e| Error::invalid("merge", format!("text merge failed: {}", e.message())))?;
        let text = String::from_utf8(result.content().to_vec())
            .map_err(|_| Error::invalid("merge", "text merge produced invalid UTF-8"))?;
        Ok((text, result.is_automergeable()))
    }
}

/// `git2::merge_file` does not initialise libgit2 itself (it then fails with "no error");
/// any API that does will do.
fn init_libgit2() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = git2::Config::new();
    });
}

/// A character that stands in for NUL while libgit2 merges, so NUL-bearing text is merged as
/// text. Lines compare equal exactly when they did before, so the merge is unchanged.
struct NulStandIn(Option<char>);

impl NulStandIn {
    /// `texts` must include the labels: they are printed into the merged text too.
    fn choose(texts: &[&str]) -> Result<NulStandIn> {
        if !texts.iter().any(|t| t.contains('\0')) {
            return Ok(NulStandIn(None));
        }
        let private_use = ('\u{E000}'..='\u{F8FF}').chain('\u{F0000}'..='\u{FFFFD}');
        private_use
            .into_iter()
            .find(|c| !texts.iter().any(|t| t.contains(*c)))
            .map(|c| NulStandIn(Some(c)))
            .ok_or_else(|| {
                Error::invalid(
                    "merge",
                    "text with NUL bytes uses every private-use character",
                )
            })
    }
    fn hide(&self, text: &str) -> String {
        match self.0 {
            Some(c) => text.replace('\0', c.encode_utf8(&mut [0; 4])),
            None => text.to_owned(),
        }
    }
    fn restore(&self, text: String) -> String {
        match self.0 {
            Some(c) => text.replace(c, "\0"),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(base: &str, ours: &str, theirs: &str) -> TextMerge {
        merge_text(base, ours, theirs, &TextMergeOptions::default()).unwrap()
    }

    #[test]
    fn identical_sides_are_clean_without_libgit2() {
        assert_eq!(merge("a\n", "b\n", "b\n"), clean("b\n"));
        assert_eq!(merge("a\n", "a\n", "c\n"), clean("c\n"));
        assert_eq!(merge("a\n", "b\n", "a\n"), clean("b\n"));
    }

    #[test]
    fn separate_edits_merge_cleanly() {
        let m = merge("a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n");
        assert_eq!(m, clean("A\nb\nc\nd\nE\n"));
    }

    #[test]
    fn overlapping_edits_conflict_with_labels() {
        let opts = TextMergeOptions {
            labels: Labels {
                base: "B".into(),
                ours: "HEAD".into(),
                theirs: "feature".into(),
            },
            ..Default::default()
        };
        let m = merge_text("x\n", "o\n", "t\n", &opts).unwrap();
        assert_eq!(m.text, "<<<<<<< HEAD\no\n=======\nt\n>>>>>>> feature\n");
        assert_eq!((m.conflicts, m.clean), (1, false));
    }

    #[test]
    fn diff3_shows_base_and_custom_marker_size() {
        let opts = TextMergeOptions {
            style: ConflictStyle::Diff3,
            marker_size: 3,
            ..Default::default()
        };
        let m = merge_text("x\n", "o\n", "t\n", &opts).unwrap();
        assert_eq!(m.text, "<<< ours\no\n||| base\nx\n===\nt\n>>> theirs\n");
    }

    #[test]
    fn empty_side_keeps_its_label() {
        let opts = TextMergeOptions {
            style: ConflictStyle::Diff3,
            ..Default::default()
        };
        let m = merge_text("", "o\n", "t\n", &opts).unwrap();
        assert_eq!(
            m.text,
            "<<<<<<< ours\no\n||||||| base\n=======\nt\n>>>>>>> theirs\n"
        );
        let m = merge_text("x\n", "", "t\n", &TextMergeOptions::default()).unwrap();
        assert_eq!(m.text, "<<<<<<< ours\n=======\nt\n>>>>>>> theirs\n");
    }

    #[test]
    fn counts_conflicts_even_when_content_looks_like_markers() {
        let base = "<<<<<<< x\n1\nk\nl\nm\nn\n2\n";
        let ours = "<<<<<<< x\nA\nk\nl\nm\nn\nB\n";
        let theirs = "<<<<<<< x\na\nk\nl\nm\nn\nb\n";
        let m = merge(base, ours, theirs);
        assert_eq!(m.conflicts, 2);
        assert!(m.text.starts_with("<<<<<<< x\n<<<<<<< ours\nA\n"));
    }

    #[test]
    fn nul_bytes_merge_as_text() {
        let m = merge("a\0\nb\nk\nc\n", "a\0\nB\nk\nc\n", "a\0\nb\nk\nc\0\n");
        assert_eq!(m, clean("a\0\nB\nk\nc\0\n"));
        let m = merge("\0\n", "\0o\n", "\0t\n");
        assert_eq!(m.text, "<<<<<<< ours\n\0o\n=======\n\0t\n>>>>>>> theirs\n");
    }

    #[test]
    fn nul_stand_in_avoids_the_labels() {
        let opts = TextMergeOptions {
            labels: Labels {
                ours: "\u{E000}".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let m = merge_text("\0\n", "o\n", "t\n", &opts).unwrap();
        assert_eq!(m.text, "<<<<<<< \u{E000}\no\n=======\nt\n>>>>>>> theirs\n");
    }

    #[test]
    fn labels_stay_on_their_line() {
        let opts = TextMergeOptions {
            labels: Labels {
                base: "b".into(),
                ours: "o\nx".into(),
                theirs: "t\0".into(),
            },
            ..Default::default()
        };
        let m = merge_text("x\n", "o\n", "t\n", &opts).unwrap();
        assert_eq!(m.text, "<<<<<<< o x\no\n=======\nt\n>>>>>>> t \n");
        assert_eq!(m.conflicts, 1);
    }

    #[test]
    fn oversized_marker_is_an_error() {
        let opts = TextMergeOptions {
            marker_size: 70_000,
            ..Default::default()
        };
        assert!(merge_text("x\n", "o\n", "t\n", &opts).is_err());
    }
}
