//! Inputs the fuzzers (`fuzz/`) or the hostile-input suite found to break something, replayed
//! through the same harness code the fuzzer ran (`fuzz/src/harness.rs`), plus focused tests of
//! each fix. Small minimized crashing inputs are written inline as bytes in their test;
//! `tests/regressions/<target>/` holds any too large for that.

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

use msapp_merge::container::{self, Limits};
use msapp_merge::driver::{MergeRequest, run_merge};
use msapp_merge::error::Error;
use msapp_merge::merge::app::merge_apps;
use msapp_merge::merge::file::{FileKind, merge_one_file};
use msapp_merge::merge::tree::MergeOptions;
use msapp_merge::synthetic::synthetic_app;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_file() && path.extension().is_none_or(|e| e != "md") {
            let data = fs::read(&path).unwrap();
            eprintln!("replaying {}", path.display());
            run(&data);
        }
    }
}

#[test]
fn replay_fxyaml() {
    replay("fxyaml", harness::fxyaml);
}

#[test]
fn replay_container() {
    replay("container", harness::container);
}

#[test]
fn replay_json_model() {
    replay("json_model", harness::json_model);
}

#[test]
fn replay_merge() {
    replay("merge", harness::merge);
}

#[test]
fn replay_textconv() {
    replay("textconv", harness::textconv);
}

/// The harnesses accept the trivial inputs the fuzzers start from.
#[test]
fn harnesses_take_empty_and_tiny_inputs() {
    for data in [
        &b""[..],
        b"\0",
        b"PK\x05\x06",
        b"{}",
        b"\x01\x01\x01\x01\x01\x01",
    ] {
        harness::fxyaml(data);
        harness::container(data);
        harness::json_model(data);
        harness::merge(data);
        harness::textconv(data);
    }
}

// ---- the fast path against the whole-app merge ----

/// Found by the `merge` fuzzer (minimized) once the fast path kept conflicts: theirs deleted
/// the labels of a screen and ours edited one of them, so the reduced merge kept ours' label,
/// but theirs' reduced app held no label left to take its template from, and the label was
/// written with a bare template. The whole app knows the template from other screens.
#[test]
fn a_kept_control_whose_template_only_other_screens_hold() {
    harness::merge(b"\x22\x78\x22\x02\x05\x09\x07\x01\x24\x29\x03\x05\x78\x22\x02\x02\x01\x32\x07\x24\x29\xff\xff\xff\x80\x05\xff");
}

/// Found by the `merge` fuzzer: a screen entry whose top control both sides renamed, each
/// differently, while keeping its place in the screen order. The reduced merge ordered the
/// screens by that place, the whole app orders them by name (and reports the renames); the
/// fast path now leaves a top control renamed on both sides to the whole app.
#[test]
fn a_top_control_renamed_differently_on_both_sides() {
    harness::merge(b"\x02\x01\xce\x05\x04\x03\x06\x22\x22\x78\x02\xae\xae\xe3\x3f\xff\x00\xff\xfe\xf6\x02\x03\xee\x04\x03\xff\x06\x03\x01\x05\x0f\x02\x02\x09\x7a\xfc\xff\xff\xff\x05\x22\xde\x78\x22\x05\x05\xae\x7c\x6c\xff\xff\xff\x00\x00\x00\x00\x12\x00\x00\x03\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x05\x03\x27\x27\xff\xff");
}

/// Found by the `merge` fuzzer: the first screen renamed (replaced) on one side, the second
/// on the other. The whole-app merge compared first screens by name and reported that both
/// sides put a different screen first; it now tells screens apart by their unique ids, as
/// the fast path, which saw no reordering, did.
#[test]
fn first_screens_are_compared_by_identity() {
    harness::merge(b"\xa4\x03\x03\x01\x24\x05\x07\xff\xff\xff\xff\xa4\x03\x03\x01\x24\x05\x07\xff\xff\xff\xff\x01\x00\x00\x02\xff\x54\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\xff\xff\xff\xff\xff\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xf5\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
}

// ---- control headers without a type ----

/// Found by the `fxyaml` fuzzer (minimized): the reader, like the reference, took `e As .l` as
/// a control of the empty type, which the writer spells `e As ''.l` and no reader reads.
#[test]
fn header_without_a_type_is_refused() {
    let input = b"e As .l:";
    harness::fxyaml(input);
    let err = msapp_merge::fxyaml::parse("e As .l:", "Src/Screen1.fx.yaml")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Src/Screen1.fx.yaml:1:1: Control type can't be empty.");
    // A child control too, and in a component file.
    let nested = "Screen1 As screen:\n    Label1 As .variant:\n        X: =1\n";
    let err = msapp_merge::fxyaml::parse_component(nested, "c.fx.yaml")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "c.fx.yaml:2:5: Control type can't be empty.");
}

/// Found by the `fxyaml` fuzzer (minimized): a quoted key starting with a space reads as a
/// control with an empty name, which the writer spells `''`, an identifier nothing reads.
#[test]
fn header_without_a_name_is_refused() {
    let input = b"\" As e\"\0";
    harness::fxyaml(input);
    let err = msapp_merge::fxyaml::parse("\" As e\":\n", "Src/Screen1.fx.yaml")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Src/Screen1.fx.yaml:1:1: Control name can't be empty.");
}

/// Found by the `fxyaml` fuzzer (minimized): a function signature takes bare names made of
/// letters, digits, marks and connectors, so `6` is a type the reader reads; the writer quoted
/// it like a Power Fx identifier (`'6'`), which the signature reader cannot read.
#[test]
fn signature_names_starting_with_a_digit_stay_bare() {
    let input = b"o As e:\n s(e As 6):";
    harness::fxyaml(input);
    let text = "Component1 As CanvasComponent:\n    F(p As 9Type, \u{300}q As Number):\n        ThisProperty:\n            Default: =1\n";
    let parsed = msapp_merge::fxyaml::parse_component(text, "c.fx.yaml").unwrap();
    let written = msapp_merge::fxyaml::write(&parsed.block);
    assert!(
        written.contains("    F(p As 9Type, \u{300}q As Number):\n"),
        "{written}"
    );
    let again = msapp_merge::fxyaml::parse_component(&written, "c.fx.yaml").unwrap();
    assert_eq!(again.block.functions, parsed.block.functions);
}

/// The synthetic app (one screen, two labels) with `from` replaced by `to` in its screen's
/// control file.
fn app_with_screen_edit(from: &str, to: &str) -> Vec<u8> {
    let bytes = synthetic_app(1, 2, &[]).unwrap();
    let archive = container::read_archive(&bytes, "app", &Limits::default()).unwrap();
    let mut edited = false;
    let entries: Vec<(String, Vec<u8>)> = archive
        .entries
        .into_iter()
        .map(|e| {
            let text = String::from_utf8_lossy(&e.data).into_owned();
            if e.name.starts_with("Controls") && text.contains("\"Name\":\"Screen1\"") {
                assert!(text.contains(from), "{from}");
                edited = true;
                (e.name, text.replacen(from, to, 1).into_bytes())
            } else {
                (e.name, e.data)
            }
        })
        .collect();
    assert!(edited);
    container::write_archive(&entries).unwrap()
}

/// Found tracing the fuzz crash above into unpack: a control with an empty name or template
/// name, or a line break in a name, unpacked to `.fx.yaml` that nothing reads back, so a merge
/// failed on a file of our own making (`Src/Screen1.fx.yaml:3:5: Can't parse control
/// definition`) without naming the app. Unpack now refuses it and names the app and entry.
#[test]
fn controls_fx_yaml_cannot_spell_are_refused_at_unpack() {
    let base = synthetic_app(1, 2, &[]).unwrap();
    let theirs = synthetic_app(1, 2, &[(1, 2, "\"theirs\"")]).unwrap();
    let cases = [
        (
            "\"Name\":\"label\"",
            "\"Name\":\"\"",
            "control 'Label1_1' has no type (an empty template name)",
        ),
        (
            "\"Name\":\"label\",",
            "\"Name\":\"label\",\"TemplateDisplayName\":\"\",",
            "control 'Label1_1' has no type (an empty template name)",
        ),
        (
            "\"Name\":\"Label1_2\"",
            "\"Name\":\"\"",
            "a control in 'Screen1' has an empty name",
        ),
        (
            "\"Name\":\"Label1_2\"",
            "\"Name\":\"a\\nb\"",
            "control 'a\\nb' has a line break in its name, type or variant",
        ),
        (
            "\"Property\":\"Text\"",
            "\"Property\":\"Te\\rxt\"",
            "control 'Label1_1' has a line break in the property name 'Te\\rxt'",
        ),
    ];
    for (from, to, problem) in cases {
        let ours = app_with_screen_edit(from, to);
        let err = merge_apps(&base, &ours, &theirs, &MergeOptions::default())
            .unwrap_err()
            .to_string();
        let expected =
            format!("ours (ours): Controls\\3.json: {problem}, which .fx.yaml cannot express");
        assert_eq!(err, expected, "{to}");
        harness::container(&ours);
    }
}

// ---- JSON nested close to the limit ----

/// A valid app whose Header.json carries one more member nested `depth` levels deep.
fn app_with_deep_header(depth: usize) -> Vec<u8> {
    let bytes = synthetic_app(1, 2, &[]).unwrap();
    let archive = container::read_archive(&bytes, "app", &Limits::default()).unwrap();
    let entries: Vec<(String, Vec<u8>)> = archive
        .entries
        .into_iter()
        .map(|e| {
            if e.name == "Header.json" {
                let text = String::from_utf8(e.data).unwrap();
                let deep = format!(
                    "{{\"Deep\":{}1{},",
                    "[".repeat(depth - 1),
                    "]".repeat(depth - 1)
                );
                (e.name, text.replacen('{', &deep, 1).into_bytes())
            } else {
                (e.name, e.data)
            }
        })
        .collect();
    container::write_archive(&entries).unwrap()
}

/// Found by the hostile-input suite: an entry nested right at the parser's limit loaded, but
/// unpack put it one level deeper into CanvasManifest.json, which then could not be read
/// back: the merge failed with "a bug in msapp-merge" instead of naming the input.
#[test]
fn json_entries_leave_room_for_the_tree_nesting() {
    let base = synthetic_app(1, 2, &[]).unwrap();
    let theirs = synthetic_app(1, 2, &[(1, 2, "\"theirs\"")]).unwrap();
    let at_limit = app_with_deep_header(msapp_merge::json::MAX_ENTRY_DEPTH);
    let merged = merge_apps(&base, &at_limit, &theirs, &MergeOptions::default()).unwrap();
    assert!(merged.is_clean());

    let too_deep = app_with_deep_header(msapp_merge::json::MAX_ENTRY_DEPTH + 1);
    let err = merge_apps(&base, &too_deep, &theirs, &MergeOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Header.json") && err.contains("nesting deeper than"),
        "{err}"
    );
    // The old limit was the parser's own.
    let old_limit = app_with_deep_header(msapp_merge::json::MAX_DEPTH);
    assert!(merge_apps(&base, &old_limit, &theirs, &MergeOptions::default()).is_err());
}

// ---- merge-file names the side ----

const SCREEN: &str =
    "Screen1 As screen:\n\n    Label1 As label:\n        Text: =\"Hello\"\n        X: =40\n\n";

fn merge_fx_yaml(theirs: &str) -> Result<(), Error> {
    let ours = SCREEN.replace("X: =40", "X: =41");
    merge_one_file(
        FileKind::FxYaml,
        "Src/Screen1.fx.yaml",
        SCREEN.as_bytes(),
        ours.as_bytes(),
        theirs.as_bytes(),
        &MergeOptions::default(),
    )
    .map(|_| ())
}

/// Found by the hostile-input suite: a syntax error in theirs was reported with the temporary
/// file's place but without saying it was theirs (git's three files have meaningless names).
#[test]
fn merge_file_errors_say_which_side() {
    let err = merge_fx_yaml(&SCREEN.replace("    Label1", "\tLabel1"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Src/Screen1.fx.yaml:3:1: in theirs (theirs): "),
        "{err}"
    );
}

/// Found by the hostile-input suite: merge-file merged a side that still held conflict
/// markers (burying them in formulas) where the app merge refuses it.
#[test]
fn merge_file_refuses_a_side_with_conflict_markers() {
    let marked = SCREEN.replace(
        "        Text: =\"Hello\"\n",
        "<<<<<<< HEAD\n        Text: =\"a\"\n=======\n        Text: =\"b\"\n>>>>>>> x\n",
    );
    let err = merge_fx_yaml(&marked).unwrap_err().to_string();
    assert_eq!(
        err,
        "Src/Screen1.fx.yaml:4: in theirs (theirs): holds unresolved conflict markers; resolve them first"
    );
}

// ---- the merge driver names the app ----

/// Found by the hostile-input suite: a broken side was reported as "theirs (theirs): not a
/// zip archive", naming neither the app nor a file the user could find.
#[test]
fn merge_errors_name_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_app(1, 2, &[]).unwrap();
    let ours = synthetic_app(1, 2, &[(1, 1, "\"ours\"")]).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        path
    };
    let request = MergeRequest {
        base: write("base", &base),
        ours: write("ours", &ours),
        theirs: write("theirs", b"garbage"),
        path: Some("Apps/Weather.msapp".into()),
        theirs_label: Some("feature".into()),
        ..MergeRequest::default()
    };
    let err = run_merge(&request).unwrap_err().to_string();
    assert_eq!(
        err,
        "Apps/Weather.msapp: theirs (feature): not a zip archive"
    );
    assert_eq!(fs::read(&request.ours).unwrap(), ours);
}

// ---- unpack over a directory keeps .git ----

/// Found reviewing the writes: when moving the user's directory aside failed (here: a
/// leftover of a crashed run under the name it wanted), the `.git` already moved into the
/// staging directory was deleted with it.
#[test]
fn write_tree_keeps_git_when_the_old_name_is_taken() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("tree");
    fs::create_dir_all(dir.join(".git/refs")).unwrap();
    fs::write(dir.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    fs::write(dir.join("old.txt"), b"old").unwrap();
    let leftover = parent
        .path()
        .join(format!(".msapp-merge-old-{}", std::process::id()));
    fs::create_dir_all(&leftover).unwrap();
    fs::write(leftover.join("x"), b"leftover").unwrap();

    let mut tree = msapp_merge::source::SourceTree::new();
    tree.insert("Src/App.fx.yaml", b"App As appinfo:\n".to_vec());
    msapp_merge::fsio::write_tree(&dir, &tree).unwrap();

    assert_eq!(
        fs::read(dir.join(".git/HEAD")).unwrap(),
        b"ref: refs/heads/main\n"
    );
    assert!(dir.join(".git/refs").is_dir());
    assert!(!dir.join("old.txt").exists());
    assert_eq!(
        fs::read(dir.join("Src/App.fx.yaml")).unwrap(),
        b"App As appinfo:\n"
    );
    assert_eq!(fs::read(leftover.join("x")).unwrap(), b"leftover");
    let names: Vec<String> = fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// Whatever names a crafted app smuggles into a tree, writing it never leaves the directory
/// and never touches its `.git`; the directory stays as it was.
#[test]
fn write_tree_refuses_paths_outside_the_tree() {
    for bad in [
        "../evil.txt",
        "Src/../../evil.txt",
        "/tmp/evil.txt",
        "Src\\..\\..\\evil.txt",
        "./x",
        "",
        ".git/hooks/pre-commit",
        ".GIT/config",
    ] {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("a/tree");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("keep.txt"), b"keep").unwrap();
        let mut tree = msapp_merge::source::SourceTree::new();
        tree.insert("Src/App.fx.yaml", b"App As appinfo:\n".to_vec());
        tree.insert(bad, b"evil".to_vec());
        let err = msapp_merge::fsio::write_tree(&dir, &tree)
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing to write"), "{bad}: {err}");
        assert_eq!(fs::read(dir.join("keep.txt")).unwrap(), b"keep");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "{bad}");
        assert_eq!(
            fs::read_dir(parent.path().join("a")).unwrap().count(),
            1,
            "{bad}"
        );
        assert!(!parent.path().join("evil.txt").exists());
        assert!(!Path::new("/tmp/evil.txt").exists());
    }
}

/// Found by the merge target's differential check: theirs renumbered existing controls (a
/// tool's save; ours is a byte-different re-save of the base) and the whole-app merge put the
/// base's ids back, where the fast path kept theirs. A one-sided change wins in both now.
#[test]
fn a_side_that_renumbered_controls_keeps_its_ids_on_both_paths() {
    harness::merge(b"\x04\x01$LocalDataba\x00\x00d");
}

/// Found by the merge target's differential check: a side packed from a manifest that lists a
/// screen twice in `ScreenOrder` got an `Index` with a gap, which unpack could not reproduce, so
/// the whole-app merge (which unpacks the side) and the fast path (which copies it) disagreed.
#[test]
fn a_screen_listed_twice_in_the_screen_order_packs_without_a_gap() {
    harness::merge(b"\x04\xe4\xe3\xe3\xe3\xe3\xe3\xe3\xdc\x1c\x1c\x9f\x1c\x18\x1c\x1c\x1c\x1c\x41\x1c\x1c\xe3\xe3\xe3\xe3\xe3\x3f\xdc\x1c\x24\x05\x07\x03\x02\x09\x01\x00\xf9\x06\x05\xae\x7c\x7c\x7c\x01\x03\x09\x03\x05\x05\x04\x22\x00\x00\x02\x78\x22\x02\x7c\x7c\x19\x20\x22\x68\x76\x79\x22");

    let mut tree = msapp_merge::synthetic::synthetic_tree(3, 1, &[]);
    let mut manifest =
        msapp_merge::json::parse_bytes(tree.get("CanvasManifest.json").unwrap()).unwrap();
    let order = manifest
        .get_mut("ScreenOrder")
        .and_then(|o| o.as_array_mut())
        .unwrap();
    let first = order[0].clone();
    order.insert(1, first);
    tree.insert(
        "CanvasManifest.json",
        msapp_merge::json::to_normalized_string(&manifest).into_bytes(),
    );
    let (app, _) = msapp_merge::app::pack_tree(&tree).unwrap();
    let bytes = msapp_merge::app::msapp_bytes(&app).unwrap();
    let app = msapp_merge::app::parse_msapp(&bytes, "packed").unwrap();
    msapp_merge::app::unpack_verified(&app, "packed", &Default::default())
        .unwrap_or_else(|e| panic!("does not round-trip: {e}"));
}
