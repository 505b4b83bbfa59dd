//! Merge laws on whole `.msapp` files, for every corpus app A and a few changes B of it:
//! merge(A, B, A) = B, merge(A, A, B) = B and merge(A, B, B) = B (same content checksum), also
//! when the unchanged side is a byte-different re-save of A (entries reversed, recompressed).
//! The merged app always unpacks again. Then hostile and broken inputs through the binary:
//! exit 2 (or 1), one line on stderr, OURS byte-identical, never a panic.

#[path = "merge_common/mod.rs"]
mod common;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use msapp_merge::fxyaml::Block;
use msapp_merge::merge::app::merge_apps;
use msapp_merge::source::SourceTree;

/// A leaf control (no children) below a screen, in file order.
fn first_leaf(tree: &SourceTree) -> Option<(String, Block)> {
    fn leaf(b: &Block) -> Option<&Block> {
        b.children.iter().find_map(|c| {
            if c.children.is_empty() {
                Some(c)
            } else {
                leaf(c)
            }
        })
    }
    blocks(tree)
        .into_iter()
        .filter(|(p, b)| b.type_name == "screen" && !p.starts_with("Src/Components/"))
        .find_map(|(_, top)| leaf(&top).map(|l| (top.name.clone(), l.clone())))
}

/// Changes a maker makes in Studio, each as the changed app's bytes.
fn changes(name: &str, tree: &SourceTree) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut push = |what: &str, t: SourceTree| {
        out.push((format!("{name}: {what}"), pack_bytes(&t)));
    };
    if let Some((screen, leaf)) = first_leaf(tree) {
        // Edit a formula.
        if let Some(p) = leaf.properties.iter().find(|p| p.name != "ZIndex") {
            let mut t = tree.clone();
            set_prop(&mut t, &leaf.name, &p.name, &format!("({})", p.formula));
            push(&format!("edit {}.{}", leaf.name, p.name), t);
        }
        // Add a control: a copy of the leaf (Studio's paste).
        let mut t = tree.clone();
        let mut copy = leaf.clone();
        copy.name = format!("{}_law", leaf.name);
        copy.properties.retain(|p| p.name != "ZIndex");
        add_control(&mut t, &screen, copy);
        push(&format!("add a copy of {}", leaf.name), t);
        // Delete a control.
        let mut t = tree.clone();
        remove_control(&mut t, &leaf.name);
        push(&format!("delete {}", leaf.name), t);
    }
    let order = screen_order(tree);
    if order.len() > 1 {
        let mut t = tree.clone();
        let reversed: Vec<String> = order.into_iter().rev().collect();
        set_screen_order(&mut t, &reversed);
        push("reverse the screen order", t);
    }
    out
}

/// merge(base, ours, theirs) must be clean, unpack again, and hold `expected`'s content.
fn assert_law(what: &str, base: &[u8], ours: &[u8], theirs: &[u8], expected: &str) {
    let m = merge_apps(base, ours, theirs, &options()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        m.is_clean(),
        "{what}: conflicts {:?}",
        m.conflicts.iter().map(|c| &c.at).collect::<Vec<_>>()
    );
    assert_eq!(
        content_checksum(&m.merged),
        expected,
        "{what}: content differs"
    );
    // merge_apps read both inputs; anything else it wrote must read back too.
    if m.merged != ours && m.merged != theirs {
        unpack_bytes(&m.merged, what);
    }
}

/// Apps above this size get one change and fewer re-saved variants (each full merge of the
/// 3.7 MB corpus app takes seconds).
const LARGE: u64 = 1_000_000;

fn laws_for(path: &Path) -> usize {
    let large = std::fs::metadata(path).unwrap().len() > LARGE;
    let name = path
        .strip_prefix(shared())
        .unwrap_or(path)
        .display()
        .to_string();
    let a = std::fs::read(path).unwrap();
    let a2 = resave(&a);
    let tree = unpack_bytes(&a, &name);
    let a_sum = content_checksum(&a);
    assert_eq!(
        content_checksum(&a2),
        a_sum,
        "{name}: the re-save changed content"
    );
    if !large {
        assert_law(&format!("{name}: merge(A, A, A)"), &a, &a, &a, &a_sum);
        assert_law(&format!("{name}: merge(A, A', A)"), &a, &a2, &a, &a_sum);
    }

    let mut all = changes(&name, &tree);
    if large {
        all.truncate(1);
    }
    let count = all.len();
    for (i, (what, b)) in all.into_iter().enumerate() {
        let b_sum = content_checksum(&b);
        assert_ne!(b_sum, a_sum, "{what}: the change changed nothing");
        assert_law(&format!("{what}: merge(A, B, A)"), &a, &b, &a, &b_sum);
        assert_law(&format!("{what}: merge(A, A, B)"), &a, &a, &b, &b_sum);
        assert_law(&format!("{what}: merge(A, B, B)"), &a, &b, &b, &b_sum);
        // The unchanged side re-saved, so the full merge runs (the other variants take
        // turns to keep the run short).
        assert_law(&format!("{what}: merge(A, B, A')"), &a, &b, &a2, &b_sum);
        if large {
            continue;
        }
        assert_law(&format!("{what}: merge(A, A', B)"), &a, &a2, &b, &b_sum);
        if i % 2 == 0 {
            let b2 = resave(&b);
            assert_law(&format!("{what}: merge(A, B, B')"), &a, &b, &b2, &b_sum);
        } else {
            assert_law(&format!("{what}: merge(A', B, A)"), &a2, &b, &a, &b_sum);
        }
    }
    count
}

/// Corpus apps: the large ones, or every other small one (so test threads share the work).
fn corpus_share(large: bool, first: bool) -> Vec<PathBuf> {
    let apps = corpus_apps();
    assert!(apps.len() >= 30, "expected the 28 corpus apps and 2 pairs");
    let is_large = |p: &PathBuf| std::fs::metadata(p).unwrap().len() > LARGE;
    let (big, small): (Vec<PathBuf>, Vec<PathBuf>) = apps.into_iter().partition(is_large);
    if large {
        return big;
    }
    small
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (i % 2 == 0) == first)
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn laws_hold_for_every_small_corpus_app_first_half() {
    let changes: usize = corpus_share(false, true).iter().map(|p| laws_for(p)).sum();
    assert!(changes >= 30, "only {changes} changes tested");
}

#[test]
fn laws_hold_for_every_small_corpus_app_second_half() {
    let changes: usize = corpus_share(false, false).iter().map(|p| laws_for(p)).sum();
    assert!(changes >= 30, "only {changes} changes tested");
}

fn laws_for_large_app(index: usize) {
    let apps = corpus_share(true, true);
    assert_eq!(apps.len(), 2, "expected two corpus apps over {LARGE} bytes");
    assert_eq!(laws_for(&apps[index]), 1);
}

#[test]
fn laws_hold_for_the_first_large_corpus_app() {
    laws_for_large_app(0);
}

#[test]
fn laws_hold_for_the_second_large_corpus_app() {
    laws_for_large_app(1);
}

#[test]
fn python_oracle_agrees_on_a_law() {
    let a = std::fs::read(app_path("MyWeather")).unwrap();
    let tree = unpack_bytes(&a, "MyWeather");
    let (_, b) = changes("MyWeather", &tree).remove(0);
    let m = merge_apps(&a, &b, &resave(&a), &options()).unwrap();
    assert!(m.is_clean());
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("merged.msapp"), dir.path().join("b.msapp"));
    std::fs::write(&x, &m.merged).unwrap();
    std::fs::write(&y, &b).unwrap();
    let status = Command::new("python3")
        .arg(shared().join("tools/msapp_checksum.py"))
        .arg("--same")
        .args([&x, &y])
        .status()
        .expect("python3 is needed for the checksum oracle");
    assert!(
        status.success(),
        "the oracle says merge(A, B, A') differs from B"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile and broken inputs through the binary.

struct Run {
    code: i32,
    stderr: String,
    ours_after: Vec<u8>,
}

/// `msapp-merge merge BASE OURS THEIRS` (OURS is written in place, like git does).
fn run_merge(base: &[u8], ours: &[u8], theirs: &[u8]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    std::fs::write(path("base"), base).unwrap();
    std::fs::write(path("ours"), ours).unwrap();
    std::fs::write(path("theirs"), theirs).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_msapp-merge"))
        .current_dir(dir.path())
        .env_remove("GIT_DIR")
        .args(["merge", "base", "ours", "theirs", "--path", "App.msapp"])
        .args(["--ours-label", "HEAD", "--theirs-label", "feature"])
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("killed by a signal"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        ours_after: std::fs::read(path("ours")).unwrap(),
    }
}

fn weather_bytes() -> Vec<u8> {
    std::fs::read(app_path("MyWeather")).unwrap()
}

fn edited(f: impl FnOnce(&mut SourceTree)) -> Vec<u8> {
    let mut t = unpack_bytes(&weather_bytes(), "MyWeather");
    f(&mut t);
    pack_bytes(&t)
}

/// Refused as bad input: exit 2, one line naming the side, ours untouched.
fn assert_refused(run: &Run, ours: &[u8], mentions: &str) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(run.stderr.contains(mentions), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.ours_after == ours, "OURS was modified");
}

#[test]
fn theirs_not_a_zip_is_refused() {
    let (base, ours) = (
        weather_bytes(),
        edited(|t| set_prop(t, "Label1", "Text", "\"o\"")),
    );
    let run = run_merge(&base, &ours, b"this is not an app\n");
    assert_refused(&run, &ours, "theirs");
}

#[test]
fn ours_not_a_zip_is_refused() {
    let base = weather_bytes();
    let theirs = edited(|t| set_prop(t, "Label1", "Text", "\"t\""));
    let ours = b"<<<<<<< HEAD\nnot an app\n=======\n>>>>>>> x\n".to_vec();
    let run = run_merge(&base, &ours, &theirs);
    assert_refused(&run, &ours, "ours");
}

#[test]
fn truncated_apps_are_refused() {
    let base = weather_bytes();
    let ours = edited(|t| set_prop(t, "Label1", "Text", "\"o\""));
    let theirs = edited(|t| set_prop(t, "Label2", "Text", "\"t\""));
    for cut in [10, theirs.len() / 2, theirs.len() - 30] {
        let run = run_merge(&base, &ours, &theirs[..cut]);
        assert_refused(&run, &ours, "theirs");
    }
    let run = run_merge(&base[..base.len() / 3], &ours, &theirs);
    assert_refused(&run, &ours, "base");
}

#[test]
fn a_zip_that_is_not_an_app_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("../../evil.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"hello").unwrap();
    let theirs = zip.finish().unwrap().into_inner();
    let (base, ours) = (
        weather_bytes(),
        edited(|t| set_prop(t, "Label1", "Text", "\"o\"")),
    );
    let run = run_merge(&base, &ours, &theirs);
    assert_refused(&run, &ours, "theirs");
}

#[test]
fn conflict_markers_inside_a_formula_are_refused() {
    let base = weather_bytes();
    let ours = edited(|t| set_prop(t, "Label2", "Text", "\"o\""));
    let botched = "<<<<<<< HEAD\n\"Hello there\"\n=======\n\"Hi\"\n>>>>>>> feature";
    let theirs = edited(|t| set_prop(t, "Label1", "Text", botched));
    let run = run_merge(&base, &ours, &theirs);
    assert_refused(&run, &ours, "Label1");
    // Also when ours is unchanged (the merge would otherwise take theirs whole).
    let run = run_merge(&base, &base, &theirs);
    assert_refused(&run, &base, "Label1");
}

#[test]
fn a_conflict_exits_1_with_a_report_and_keeps_ours() {
    let base = weather_bytes();
    let ours = edited(|t| set_prop(t, "Label1", "Text", "\"UpdatedBranchA\""));
    let theirs = edited(|t| set_prop(t, "Label1", "Text", "\"UpdatedBranchB\""));
    let run = run_merge(&base, &ours, &theirs);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for needle in [
        "Screen1/Label1.Text",
        "UpdatedBranchA",
        "UpdatedBranchB",
        "HEAD",
        "feature",
    ] {
        assert!(
            run.stderr.contains(needle),
            "report lacks {needle}:\n{}",
            run.stderr
        );
    }
    // The written app is ours at the conflict: same content as ours.
    assert_eq!(content_checksum(&run.ours_after), content_checksum(&ours));
}
