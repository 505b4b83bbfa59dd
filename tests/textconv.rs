//! `msapp-merge textconv`: snapshots of real apps, fidelity to `unpack`, never failing, and
//! end to end through real git (`diff`, `log -p`, `log -S`, `blame`) with the installed driver.

#[path = "textconv_check_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs;

use msapp_merge::app;
use msapp_merge::container;
use msapp_merge::render::{TextFormat, textconv};
use msapp_merge::source::unpack::UnpackOptions;

use support::{BIN, Sandbox, assert_snapshot, corpus_app, corpus_apps, stdout};

fn render_file(path: &std::path::Path) -> String {
    let bytes = fs::read(path).unwrap();
    textconv(&bytes, &path.display().to_string(), TextFormat::FxYaml)
}

/// `=== path` sections: path -> content (the blank separator line removed).
fn sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("=== ") {
            if let Some((p, mut body)) = current.take() {
                assert!(body.ends_with("\n\n") || body == "\n", "{p}: no separator");
                body.pop();
                out.insert(p, body);
            }
            current = Some((path.trim_end().to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some((p, body)) = current {
        out.insert(p, body);
    }
    out
}

#[test]
fn snapshots_of_corpus_apps() {
    // Data source and connection; component; tests; assets; CDS tables and option sets.
    for name in [
        "MyWeather",
        "ComponentDefinitionWithAllowGlobalAccessProperty",
        "TestStudio_Test",
        "AssetPackingCollision",
        "GalleryTestApp",
    ] {
        let text = render_file(&corpus_app(name));
        assert_snapshot(&format!("textconv/{name}.txt"), &text);
    }
}

/// Every `.fx.yaml` of a full unpack appears once, byte for byte (textconv skips editor-only
/// control data to be fast; this proves the skipping changes nothing shown).
#[test]
fn fx_yaml_sections_equal_the_unpacked_files_for_every_corpus_app() {
    for path in corpus_apps() {
        let label = path.display().to_string();
        let text = render_file(&path);
        assert!(!text.starts_with("msapp-merge: cannot show"), "{text}");
        let shown = sections(&text);
        let app = app::load_msapp(&path).unwrap();
        let (tree, _) = app::unpack_app(&app, &label, &UnpackOptions::default()).unwrap();
        let fx: Vec<&String> = tree
            .files
            .keys()
            .filter(|p| p.ends_with(".fx.yaml"))
            .collect();
        assert!(!fx.is_empty(), "{label}");
        for file in fx {
            let expected = String::from_utf8(tree.files[file].clone()).unwrap();
            assert_eq!(
                shown.get(file.as_str()),
                Some(&expected),
                "{label}: section {file}"
            );
        }
        let order: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("=== "))
            .collect();
        assert_eq!(order.first(), Some(&"Src/App.fx.yaml"), "{label}");
    }
}

#[test]
fn output_is_stable_lf_only_and_free_of_volatile_data() {
    for path in corpus_apps() {
        let first = render_file(&path);
        assert_eq!(first, render_file(&path), "{}", path.display());
        assert!(!first.contains('\r'), "{}", path.display());
        assert!(!first.contains('\u{1b}'), "colour in {}", path.display());
        for volatile in [
            "LastSavedDateTimeUTC",
            "ClientStampedChecksum",
            "ClientPerFileChecksums",
            "LastControlUniqueId",
            "AnalysisLoadTime",
            "ControlPropertyState",
            "=== Entropy/",
            "=== Src/EditorState/",
        ] {
            assert!(
                !first.contains(volatile),
                "{volatile} in {}",
                path.display()
            );
        }
    }
}

/// An app repacked by msapp-merge shows no change: digests follow the checksum's canonical
/// form, not the bytes pack happens to write.
#[test]
fn a_repacked_app_renders_the_same() {
    for path in corpus_apps() {
        if fs::metadata(&path).unwrap().len() > 2_000_000 {
            continue; // the largest apps take long in debug builds; the others cover every part
        }
        let label = path.display().to_string();
        let app = app::load_msapp(&path).unwrap();
        let (tree, _) = app::unpack_app(&app, &label, &UnpackOptions::default()).unwrap();
        let (repacked, _) = app::pack_tree(&tree).unwrap();
        let bytes = app::msapp_bytes(&repacked).unwrap();
        assert_eq!(
            textconv(&bytes, &label, TextFormat::FxYaml),
            render_file(&path),
            "{label}"
        );
    }
}

#[test]
fn screens_follow_screen_order_then_components_then_tests() {
    let text = render_file(&corpus_app("ComponentTest"));
    let headers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("=== "))
        .collect();
    assert_eq!(headers[0], "Src/App.fx.yaml");
    assert_eq!(headers[1], "Src/Splash Screen.fx.yaml");
    assert_eq!(headers[2], "Src/Home Screen.fx.yaml");
    // Parentheses are escaped twice in file names, as pac does.
    assert!(headers.contains(&"Src/New Order Screen 2 %2528Room List%2529.fx.yaml"));
    let first_component = headers
        .iter()
        .position(|h| h.starts_with("Src/Components/"))
        .unwrap();
    assert!(
        headers[..first_component]
            .iter()
            .all(|h| h.starts_with("Src/") && !h.contains("/Components/"))
    );
    assert_eq!(
        headers[first_component + 1],
        "Src/Components/AllocatedLeadsComponent.json"
    );
    let rest: Vec<&str> = headers
        .iter()
        .copied()
        .skip_while(|h| h.starts_with("Src/"))
        .collect();
    assert_eq!(
        rest,
        [
            "CanvasManifest.json",
            "ComponentReferences.json",
            "DataSources/",
            "Connections/Connections.json",
            "Assets/",
            "Other files"
        ]
    );
}

#[test]
fn broken_inputs_become_one_explanatory_line() {
    let one_line = |bytes: &[u8]| {
        let text = textconv(bytes, "broken.msapp", TextFormat::FxYaml);
        assert!(
            text.starts_with("msapp-merge: cannot show broken.msapp: "),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.ends_with('\n'));
        text
    };
    assert_eq!(
        one_line(b""),
        "msapp-merge: cannot show broken.msapp: empty file (0 bytes), not an .msapp\n"
    );
    one_line(b"not a zip at all");
    let real = fs::read(corpus_app("MyWeather")).unwrap();
    one_line(&real[..real.len() / 2]);
    let mut flipped = real.clone();
    for b in flipped.iter_mut().skip(100).take(2000) {
        *b ^= 0x5a;
    }
    one_line(&flipped);
}

#[test]
fn a_readable_zip_that_is_no_app_lists_its_entries() {
    let zip = container::write_archive(&[
        ("readme.txt".to_string(), b"hello".to_vec()),
        ("Header.json".to_string(), b"{}".to_vec()),
    ])
    .unwrap();
    let text = textconv(&zip, "other.msapp", TextFormat::FxYaml);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("msapp-merge: cannot show other.msapp: "));
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "=== Entries");
    assert!(
        lines[3].starts_with("Header.json  2 bytes  sha256:"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("readme.txt  5 bytes  sha256:"),
        "{text}"
    );

    // A control entry with broken JSON: the app cannot be shown, its entries still can.
    let bad = container::write_archive(&[
        ("Header.json".to_string(), b"{}".to_vec()),
        ("Controls\\1.json".to_string(), b"{\"TopParent\": ".to_vec()),
    ])
    .unwrap();
    let text = textconv(&bad, "bad.msapp", TextFormat::FxYaml);
    assert!(text.starts_with("msapp-merge: cannot show bad.msapp: entry Controls\\1.json"));
    assert!(text.contains("\n=== Entries\nControls\\1.json  14 bytes  sha256:"));
}

#[test]
fn cli_never_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.msapp");
    for path in [missing.as_path(), dir.path()] {
        let out = std::process::Command::new(BIN)
            .args(["textconv"])
            .arg(path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        assert!(text.starts_with("msapp-merge: cannot show "), "{text}");
        assert_eq!(text.lines().count(), 1);
    }
    let app = corpus_app("MyWeather");
    let out = std::process::Command::new(BIN)
        .args(["textconv", "--format", "fx-yaml"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), render_file(&app));
}

// ---- end to end through git ----------------------------------------------------------------------

/// MyWeather with one formula of `Label2` changed.
fn edited_my_weather(old: &str, new: &str) -> Vec<u8> {
    let path = corpus_app("MyWeather");
    let app = app::load_msapp(&path).unwrap();
    let (mut tree, _) = app::unpack_app(&app, "MyWeather", &UnpackOptions::default()).unwrap();
    let screen = String::from_utf8(tree.files["Src/Screen1.fx.yaml"].clone()).unwrap();
    assert_eq!(screen.matches(old).count(), 1);
    let edited = screen.replace(old, new);
    tree.insert("Src/Screen1.fx.yaml", edited.into_bytes());
    let (packed, _) = app::pack_tree(&tree).unwrap();
    app::msapp_bytes(&packed).unwrap()
}

#[test]
fn git_shows_a_formula_change_as_one_line_under_its_control() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let install = sb.run(&repo, &["install", "--local"]);
    assert!(install.status.success(), "{}", support::stderr(&install));
    fs::copy(corpus_app("MyWeather"), repo.join("App.msapp")).unwrap();
    sb.commit_all(&repo, "add app");
    // `Y` of Label2: far enough below the control header that git's hunk context (3 lines)
    // does not swallow the header. (A change in the first three lines under a header is
    // labelled with the control above it: git looks for the header above the hunk.)
    fs::write(
        repo.join("App.msapp"),
        edited_my_weather("Y: =130\n", "Y: =Label1.Y + Label1.Height + 20\n"),
    )
    .unwrap();
    sb.commit_all(&repo, "place Label2 under Label1");

    for args in [
        &["diff", "HEAD~1", "HEAD", "--", "App.msapp"][..],
        &["log", "-p", "-1", "--format=%s", "--", "App.msapp"][..],
    ] {
        let diff = sb.git_ok(&repo, args);
        let removed: Vec<&str> = diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .collect();
        let added: Vec<&str> = diff
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect();
        assert_eq!(removed, ["-        Y: =130"], "{diff}");
        assert_eq!(
            added,
            ["+        Y: =Label1.Y + Label1.Height + 20"],
            "{diff}"
        );
        let hunks: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
        assert_eq!(hunks.len(), 1, "{diff}");
        assert!(hunks[0].ends_with("@@ Label2 As label"), "{diff}");
    }

    // Pickaxe and blame see the text too.
    let found = sb.git_ok(&repo, &["log", "-S", "Label1.Height", "--format=%s"]);
    assert_eq!(found, "place Label2 under Label1\n");
    let blame = sb.git_ok(&repo, &["blame", "-s", "App.msapp"]);
    let head = sb.git_ok(&repo, &["rev-parse", "--short", "HEAD"]);
    let changed: Vec<&str> = blame
        .lines()
        .filter(|l| l.starts_with(head.trim()))
        .collect();
    assert_eq!(changed.len(), 1, "{blame}");
    assert!(
        changed[0].ends_with("Y: =Label1.Y + Label1.Height + 20"),
        "{blame}"
    );
}

#[test]
fn git_log_keeps_renderings_in_the_git_directory_and_shows_the_same() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let install = sb.run(&repo, &["install", "--local"]);
    assert!(install.status.success(), "{}", support::stderr(&install));
    // Both versions saved by pack, so they share the entries the edit did not touch.
    fs::write(
        repo.join("App.msapp"),
        edited_my_weather("Y: =130\n", "Y: =130\n"),
    )
    .unwrap();
    sb.commit_all(&repo, "add app");
    fs::write(
        repo.join("App.msapp"),
        edited_my_weather("Y: =130\n", "Y: =140\n"),
    )
    .unwrap();
    sb.commit_all(&repo, "move Label2");
    fs::create_dir(repo.join("sub dir")).unwrap();

    // git runs textconv from the top of the work tree, wherever it was started.
    let no_git_cache = ["-c", "diff.msapp.cachetextconv=false"];
    let log = |cwd: &std::path::Path, no_store: bool| {
        let mut command = sb.command("git", cwd);
        command
            .args(no_git_cache)
            .args(["log", "-p", "--format=%s", "--", ":/App.msapp"]);
        if no_store {
            command.env("MSAPP_MERGE_NO_CACHE", "1");
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", support::stderr(&out));
        stdout(&out)
    };
    let store = repo.join(".git/msapp-merge/textconv");
    let fresh = log(&repo, true);
    assert!(!store.exists(), "MSAPP_MERGE_NO_CACHE keeps nothing");
    assert!(fresh.contains("+        Y: =140"), "{fresh}");
    let first = log(&repo.join("sub dir"), false);
    let kept = fs::read_dir(&store).unwrap().count();
    // The App and the screen of each version (the screen changed) and the data sources.
    assert_eq!(
        kept,
        4,
        "{:?}",
        fs::read_dir(&store).unwrap().collect::<Vec<_>>()
    );
    let again = log(&repo, false);
    assert_eq!(first, fresh);
    assert_eq!(again, fresh);
    assert_eq!(fs::read_dir(&store).unwrap().count(), kept);
}

#[test]
fn a_corrupt_app_in_history_does_not_break_git_log() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    assert!(sb.run(&repo, &["install", "--local"]).status.success());
    fs::copy(corpus_app("MyWeather"), repo.join("App.msapp")).unwrap();
    sb.commit_all(&repo, "add app");
    fs::write(repo.join("App.msapp"), b"PK\x03\x04 truncated").unwrap();
    sb.commit_all(&repo, "break it");
    fs::copy(corpus_app("AppWithLabel"), repo.join("App.msapp")).unwrap();
    sb.commit_all(&repo, "replace it");

    let out = sb.git(&repo, &["log", "-p"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    let log = stdout(&out);
    assert_eq!(
        log.matches("msapp-merge: cannot show ").count(),
        2,
        "shown once as the new side, once as the old side:\n{log}"
    );
    assert!(log.contains("+=== Src/Screen1.fx.yaml"), "{log}");
}

/// Deeply nested data-source values (also as JSON inside strings, which the digest walks
/// into) are shown without overflowing a stack: an overflow would abort, not explain.
#[test]
fn deeply_nested_data_sources_render() {
    let bytes = fs::read(corpus_app("MyWeather")).unwrap();
    let archive =
        container::read_archive(&bytes, "MyWeather", &container::Limits::default()).unwrap();
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let nested_text = format!("{}1{}", "{\"a\":".repeat(500), "}".repeat(500));
    let mut table = String::new();
    msapp_merge::json::write_string_literal(&mut table, &nested_text);
    let sources = format!(
        r#"{{"DataSources":[{{"Name":"Deep","Type":"T","Value":{deep}}},{{"Name":"Text","Type":"NativeCDSDataSourceInfo","TableDefinition":{table}}}]}}"#
    );
    let entries: Vec<(String, Vec<u8>)> = archive
        .entries
        .into_iter()
        .map(|e| {
            if e.name.ends_with("DataSources.json") {
                (e.name, sources.clone().into_bytes())
            } else {
                (e.name, e.data)
            }
        })
        .collect();
    let zip = container::write_archive(&entries).unwrap();
    let text = msapp_merge::render::render(&zip, "deep.msapp", TextFormat::FxYaml).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Deep: ") || l.starts_with("Text: "))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("Deep: T Value=<sha256:"), "{text}");
    assert!(
        lines[1].starts_with("Text: NativeCDSDataSourceInfo TableDefinition=<sha256:"),
        "{text}"
    );
}
