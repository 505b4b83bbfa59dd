//! The `unpack` and `pack` commands as a user runs them: arguments, exit codes, messages, and
//! that bad input never leaves partial output.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_msapp-merge"))
}

fn corpus(app: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/apps")
        .join(app);
    assert!(
        p.exists(),
        "../shared/corpus is missing: {} not found",
        p.display()
    );
    p
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run msapp-merge")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file below `dir` with its bytes, to prove nothing changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn unpack_ok(app: &Path, dir: &Path) {
    let o = run(bin().arg("unpack").arg(app).arg(dir));
    assert!(o.status.success(), "unpack failed: {}", stderr(&o));
}

/// A one-line error with exit code 2 that mentions `needle`.
fn assert_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unpack_and_pack_with_both_spellings() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("my app src");
    let o = run(bin()
        .arg("unpack")
        .arg("--msapp")
        .arg(corpus("MyWeather.msapp"))
        .arg("--sources")
        .arg(&src));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(src.join("Src/Screen1.fx.yaml").is_file());
    let out = tmp.path().join("out app.msapp");
    let o = run(bin()
        .arg("pack")
        .arg("--sources")
        .arg(&src)
        .arg("--msapp")
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let out2 = tmp.path().join("out2.msapp");
    let o = run(bin().arg("pack").arg(&src).arg(&out2));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&out2).unwrap(),
        "pack is deterministic"
    );
}

#[test]
fn unpack_defaults_to_app_src_next_to_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("Weather.msapp");
    std::fs::copy(corpus("MyWeather.msapp"), &app).unwrap();
    let o = run(bin().arg("unpack").arg(&app));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tmp.path().join("Weather_src/CanvasManifest.json").is_file());
}

#[test]
fn unpack_refuses_a_non_empty_directory_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    let o = run(bin().arg("unpack").arg(corpus("MyWeather.msapp")).arg(&dir));
    assert_error(&o, "--force");
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "mine"
    );
    let o = run(bin()
        .arg("unpack")
        .arg("--force")
        .arg(corpus("MyWeather.msapp"))
        .arg(&dir));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("CanvasManifest.json").is_file());
    assert!(!dir.join("keep.txt").exists());
}

#[test]
fn format_version_is_024_by_default_and_030_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (vec![], "\"0.24\""),
        (vec!["--format-version", "0.30"], "\"0.30\""),
    ] {
        let dir = tmp.path().join(expected.trim_matches('"'));
        let o = run(bin()
            .arg("unpack")
            .args(&args)
            .arg(corpus("MyWeather.msapp"))
            .arg(&dir));
        assert!(o.status.success(), "{}", stderr(&o));
        let manifest = std::fs::read_to_string(dir.join("CanvasManifest.json")).unwrap();
        assert!(
            manifest.contains(&format!("\"FormatVersion\": {expected}")),
            "{manifest}"
        );
        let out = tmp.path().join("x.msapp");
        let o = run(bin().arg("pack").arg(&dir).arg(&out));
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn pack_refuses_unknown_format_versions_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    unpack_ok(&corpus("MyWeather.msapp"), &dir);
    let manifest = dir.join("CanvasManifest.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"0.24\"", "\"0.22\"");
    std::fs::write(&manifest, text).unwrap();
    let out = tmp.path().join("out.msapp");
    std::fs::write(&out, b"previous").unwrap();
    let o = run(bin().arg("pack").arg(&dir).arg(&out));
    assert_error(&o, "0.22");
    assert!(stderr(&o).contains("0.24") && stderr(&o).contains("0.30"));
    assert_eq!(std::fs::read(&out).unwrap(), b"previous");
}

#[test]
fn pack_succeeds_without_entropy_or_editor_state_and_the_result_unpacks() {
    for drop in ["Entropy", "Src/EditorState"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("src");
        unpack_ok(&corpus("GalleryTestApp.msapp"), &dir);
        std::fs::remove_dir_all(dir.join(drop)).unwrap();
        let out = tmp.path().join("out.msapp");
        let o = run(bin().arg("pack").arg(&dir).arg(&out));
        assert!(o.status.success(), "without {drop}: {}", stderr(&o));
        let again = tmp.path().join("again");
        let o = run(bin().arg("unpack").arg(&out).arg(&again));
        assert!(
            o.status.success(),
            "without {drop}, re-unpack: {}",
            stderr(&o)
        );
        assert!(again.join("Src/Screen1.fx.yaml").is_file());
    }
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default();
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn hostile_or_broken_apps_fail_cleanly_and_write_nothing() {
    let real = std::fs::read(corpus("MyWeather.msapp")).unwrap();
    let header: &[u8] = br#"{"DocVersion":"1.3"}"#;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not a zip", b"hello, I am not an app".to_vec(), "zip"),
        ("empty file", Vec::new(), "zip"),
        ("truncated", real[..real.len() / 2].to_vec(), "zip"),
        (
            "dot-dot",
            zip_with(&[("Header.json", header), ("..\\evil.json", b"{}")]),
            "..",
        ),
        (
            "absolute",
            zip_with(&[("Header.json", header), ("/etc/evil", b"x")]),
            "absolute",
        ),
        (
            "case duplicates",
            zip_with(&[("Header.json", header), ("header.json", header)]),
            "header.json",
        ),
        (
            "old layout",
            zip_with(&[
                ("Entities.json", b"{}"),
                ("Header.json", header),
                ("Properties.json", b"{}"),
            ]),
            "Entities.json",
        ),
    ];
    for (what, bytes, needle) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("bad.msapp");
        std::fs::write(&app, &bytes).unwrap();
        let dir = tmp.path().join("out");
        let o = run(bin().arg("unpack").arg(&app).arg(&dir));
        assert_error(&o, needle);
        assert!(
            stderr(&o).contains("bad.msapp"),
            "{what}: the message names the file: {}",
            stderr(&o)
        );
        assert!(!dir.exists(), "{what}: nothing written");
        assert_eq!(
            std::fs::read(&app).unwrap(),
            bytes,
            "{what}: input untouched"
        );
    }
}

#[test]
fn broken_source_trees_fail_with_file_line_column_and_leave_the_app_alone() {
    // (what to do to Src/Screen1.fx.yaml, expected text in the message)
    type Edit = Box<dyn Fn(&str) -> String>;
    let edits: Vec<(&str, Edit, &str)> = vec![
        (
            "tab",
            Box::new(|t: &str| t.replacen("    Label", "\tLabel", 1)),
            "Screen1.fx.yaml:",
        ),
        (
            "missing =",
            Box::new(|t: &str| t.replacen(": =", ": ", 1)),
            "Screen1.fx.yaml:",
        ),
        (
            "bad indentation",
            Box::new(|t: &str| t.replacen("\n        ", "\n      ", 1)),
            "Screen1.fx.yaml:",
        ),
        (
            "duplicate control",
            Box::new(|t: &str| t.replace("Label2 As", "Label1 As")),
            "Label1",
        ),
    ];
    for (what, edit, needle) in edits {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("src");
        unpack_ok(&corpus("MyWeather.msapp"), &dir);
        let file = dir.join("Src/Screen1.fx.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        let edited = edit(&text);
        assert_ne!(edited, text, "{what}: the edit must change the file");
        std::fs::write(&file, edited).unwrap();
        let out = tmp.path().join("out.msapp");
        std::fs::write(&out, b"previous").unwrap();
        let before = snapshot(&dir);
        let o = run(bin().arg("pack").arg(&dir).arg(&out));
        assert_error(&o, needle);
        let err = stderr(&o);
        if what != "duplicate control" {
            // file:line:column
            let after = err.split("Screen1.fx.yaml:").nth(1).unwrap_or("");
            let mut nums = after.split(':');
            assert!(
                nums.next().unwrap_or("").parse::<usize>().is_ok(),
                "{what}: line in {err}"
            );
            assert!(
                nums.next().unwrap_or("").trim().parse::<usize>().is_ok(),
                "{what}: column in {err}"
            );
        }
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"previous",
            "{what}: app untouched"
        );
        assert_eq!(snapshot(&dir), before, "{what}: tree untouched");
    }
}
