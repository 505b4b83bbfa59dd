//! `msapp-merge check`: each finding kind, exit codes (0 clean, 1 findings, 2 could not run),
//! explicit paths and whole repositories, and merge conflicts recorded under `$GIT_DIR`.

#[path = "textconv_check_support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use msapp_merge::app;
use msapp_merge::check::{self, ConflictRecord};
use msapp_merge::json;
use msapp_merge::model::EntryData;
use msapp_merge::source::unpack::UnpackOptions;

use support::{Sandbox, assert_snapshot, corpus_app, stderr, stdout};

fn check(sb: &Sandbox, cwd: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend(args);
    sb.run(cwd, &all)
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

/// `dir/<name>` as the unpacked tree of a corpus app.
fn unpack_to(app_name: &str, dir: &Path, name: &str) -> PathBuf {
    let tree = dir.join(name);
    app::unpack_file(
        &corpus_app(app_name),
        &tree,
        false,
        &UnpackOptions::default(),
    )
    .unwrap();
    tree
}

fn edit(path: &Path, old: &str, new: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(old).count(),
        1,
        "{old:?} in {}",
        path.display()
    );
    fs::write(path, text.replace(old, new)).unwrap();
}

/// MyWeather with `edit` applied to the control JSON of the entry that holds `Label2`.
fn my_weather_with(edit: impl Fn(&mut String)) -> Vec<u8> {
    let mut app = app::load_msapp(&corpus_app("MyWeather")).unwrap();
    let entry = app
        .entries
        .iter_mut()
        .find(|e| match &e.data {
            EntryData::Json(j) => json::to_compact_string(j).contains("\"Label2\""),
            EntryData::Bytes(_) => false,
        })
        .unwrap();
    let EntryData::Json(doc) = &entry.data else {
        unreachable!()
    };
    let mut text = json::to_compact_string(doc);
    edit(&mut text);
    entry.data = EntryData::Json(json::parse(&text).unwrap());
    app::msapp_bytes(&app).unwrap()
}

#[test]
fn clean_apps_and_trees_pass() {
    let sb = Sandbox::new();
    let tree = unpack_to("MyWeather", &sb.root, "weather_src");
    fs::copy(
        corpus_app("ComponentTest"),
        sb.root.join("Components.msapp"),
    )
    .unwrap();
    let out = check(&sb, &sb.root, &["Components.msapp", "weather_src"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("1 app(s) and 1 source tree(s) checked, all good"),
        "{}",
        stderr(&out)
    );
    // A directory that is no tree is searched for apps and trees.
    assert!(tree.exists());
    let out = check(&sb, &sb.root, &["."]);
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("1 app(s) and 1 source tree(s)"));
}

#[test]
fn findings_in_a_broken_tree() {
    let sb = Sandbox::new();
    let tree = unpack_to("MyWeather", &sb.root, "tree");
    let screen = tree.join("Src/Screen1.fx.yaml");
    // A conflict git left in a formula, and a stray marker of a half-resolved one.
    edit(
        &screen,
        "        Text: =\"Hello\"\n",
        "<<<<<<< HEAD\n        Text: =\"Hello\"\n=======\n        Text: =\"Hi\"\n>>>>>>> feature\n",
    );
    edit(
        &tree.join("CanvasManifest.json"),
        "  \"ScreenOrder\"",
        ">>>>>>> feature\n  \"ScreenOrder\"",
    );
    let out = check(&sb, &sb.root, &["tree"]);
    assert_exit(&out, 1);
    assert_snapshot("check/conflict_markers.txt", &stdout(&out));
}

#[test]
fn duplicate_control_names_across_files() {
    let sb = Sandbox::new();
    let tree = unpack_to("MyWeather", &sb.root, "tree");
    // (Two siblings of the same name are already a syntax error: see the app test.)
    fs::write(
        tree.join("Src/Screen2.fx.yaml"),
        "Screen2 As screen:\n\n    Label2 As label:\n        Text: =\"a\"\n\n    Screen1 As label:\n        Text: =\"b\"\n",
    )
    .unwrap();
    let out = check(&sb, &sb.root, &["tree"]);
    assert_exit(&out, 1);
    assert_snapshot("check/duplicate_names.txt", &stdout(&out));
}

#[test]
fn syntax_and_pack_errors_in_trees() {
    let sb = Sandbox::new();
    let syntax = unpack_to("MyWeather", &sb.root, "syntax");
    edit(
        &syntax.join("Src/Screen1.fx.yaml"),
        "        Size: =21\n        Text: =\"Hello\"",
        "        Size: =21\n          Text: =\"Hello\"",
    );
    let pack = unpack_to("MyWeather", &sb.root, "pack");
    fs::write(pack.join("DataSources/MSNWeather.json"), "[{\"Name\": ").unwrap();
    let out = check(&sb, &sb.root, &["syntax", "pack"]);
    assert_exit(&out, 1);
    assert_eq!(
        stdout(&out),
        "pack/DataSources/MSNWeather.json: expected a JSON value but found end of input at 1:11\n\
         syntax/Src/Screen1.fx.yaml: Property should be at same indent level at 17:11\n"
    );
}

#[test]
fn findings_in_apps() {
    let sb = Sandbox::new();
    let dir = &sb.root;
    fs::write(dir.join("garbage.msapp"), b"not a zip").unwrap();
    fs::write(
        dir.join("pointer.msapp"),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
    )
    .unwrap();
    // A merge that wrote a conflict into a formula: the app is a valid zip.
    fs::write(
        dir.join("markers.msapp"),
        my_weather_with(|t| {
            *t = t.replace(
                r#""InvariantScript":"\"Hello\"""#,
                r#""InvariantScript":"\"Hello\"\n<<<<<<< ours\n& \"!\"\n=======\n& \"?\"\n>>>>>>> theirs""#,
            )
        }),
    )
    .unwrap();
    fs::write(
        dir.join("duplicate.msapp"),
        my_weather_with(|t| *t = t.replace(r#""Name":"Label2""#, r#""Name":"Label1""#)),
    )
    .unwrap();
    let out = check(
        &sb,
        dir,
        &[
            "garbage.msapp",
            "pointer.msapp",
            "markers.msapp",
            "duplicate.msapp",
        ],
    );
    assert_exit(&out, 1);
    assert_snapshot("check/apps.txt", &stdout(&out));
}

#[test]
fn could_not_run_exits_2() {
    let sb = Sandbox::new();
    let out = check(&sb, &sb.root, &["missing.msapp"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("missing.msapp"), "{}", stderr(&out));
    // No PATH outside a repository: nothing to look for.
    let out = check(&sb, &sb.root, &[]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("not inside a git work tree"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_repository_checks_every_tracked_app_and_tree() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    fs::create_dir_all(repo.join("apps")).unwrap();
    fs::copy(corpus_app("MyWeather"), repo.join("apps/Weather.MSAPP")).unwrap();
    fs::copy(corpus_app("AppWithLabel"), repo.join("Label.msapp")).unwrap();
    unpack_to("GalleryTestApp", &repo.join("src"), "Gallery");
    sb.commit_all(&repo, "apps");
    // Not tracked: not checked, even though broken.
    fs::write(repo.join("Untracked.msapp"), b"junk").unwrap();

    let out = check(&sb, &repo.join("apps"), &[]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("2 app(s) and 1 source tree(s) checked, all good"),
        "{}",
        stderr(&out)
    );

    // A tracked app broken in the work tree; a tree with a conflict marker. Paths are named
    // relative to the top whatever the current directory.
    fs::write(repo.join("Label.msapp"), b"junk").unwrap();
    edit(
        &repo.join("src/Gallery/Src/Screen1.fx.yaml"),
        "Screen1 As screen:\n",
        "Screen1 As screen:\n<<<<<<< HEAD\n",
    );
    let out = check(&sb, &repo.join("apps"), &[]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("Label.msapp: "), "{text}");
    assert_eq!(
        lines[1],
        "src/Gallery/Src/Screen1.fx.yaml: conflict marker `<<<<<<<` at 2:1"
    );
}

#[test]
fn recorded_merge_conflicts_are_findings_until_removed() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    fs::create_dir_all(repo.join("apps")).unwrap();
    fs::copy(corpus_app("MyWeather"), repo.join("apps/Weather.msapp")).unwrap();
    unpack_to("AppWithLabel", &repo, "label_src");
    sb.commit_all(&repo, "apps");
    let git_dir = repo.join(".git");
    check::write_record(
        &git_dir,
        &ConflictRecord {
            path: "apps/Weather.msapp".into(),
            created: "merge of feature".into(),
            conflicts: vec![
                "Screen1.Label2.Text changed on both sides".into(),
                "Screen1.Label1 deleted in ours, changed in theirs".into(),
            ],
        },
    )
    .unwrap();
    check::write_record(
        &git_dir,
        &ConflictRecord {
            path: "label_src/Src/Screen1.fx.yaml".into(),
            created: String::new(),
            conflicts: vec![],
        },
    )
    .unwrap();
    check::write_record(
        &git_dir,
        &ConflictRecord {
            path: "gone.msapp".into(),
            created: String::new(),
            conflicts: vec!["not checked, not reported".into()],
        },
    )
    .unwrap();

    let out = check(&sb, &repo, &[]);
    assert_exit(&out, 1);
    assert_eq!(
        stdout(&out),
        "apps/Weather.msapp: unresolved merge conflict: Screen1.Label2.Text changed on both sides (merge of feature)\n\
         apps/Weather.msapp: unresolved merge conflict: Screen1.Label1 deleted in ours, changed in theirs (merge of feature)\n\
         label_src/Src/Screen1.fx.yaml: unresolved merge conflict recorded\n"
    );

    // Explicit paths find the records of the repository they are in.
    let out = check(&sb, &repo.join("apps"), &["Weather.msapp"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).starts_with("Weather.msapp: unresolved merge conflict: Screen1.Label2"),
        "{}",
        stdout(&out)
    );

    assert!(check::remove_record(&git_dir, "apps/Weather.msapp").unwrap());
    assert!(check::remove_record(&git_dir, "label_src/Src/Screen1.fx.yaml").unwrap());
    assert_exit(&check(&sb, &repo, &[]), 0);

    // A record nobody can read is a finding, not a crash.
    fs::write(git_dir.join(check::CONFLICTS_DIR).join("broken.json"), "{").unwrap();
    let out = check(&sb, &repo, &[]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("cannot read the recorded merge conflicts"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_pre_push_hook_refuses_a_push_with_findings() {
    let sb = Sandbox::new();
    let remote = sb.root.join("remote.git");
    sb.git_ok(&sb.root, &["init", "-q", "--bare", "remote.git"]);
    let repo = sb.repo("repo");
    let install = sb.run(&repo, &["install", "--local", "--hook", "pre-push"]);
    assert_exit(&install, 0);
    sb.git_ok(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    fs::copy(corpus_app("MyWeather"), repo.join("App.msapp")).unwrap();
    sb.commit_all(&repo, "app");
    sb.git_ok(&repo, &["push", "-q", "origin", "HEAD:refs/heads/main"]);

    let tree = unpack_to("AppWithLabel", &repo, "label_src");
    edit(
        &tree.join("Src/Screen1.fx.yaml"),
        "Screen1 As screen:\n",
        "Screen1 As screen:\n=======\n",
    );
    sb.commit_all(&repo, "half-resolved tree");
    let push = sb.git(&repo, &["push", "-q", "origin", "HEAD:refs/heads/main"]);
    assert!(!push.status.success());
    assert!(
        stdout(&push).contains("label_src/Src/Screen1.fx.yaml: conflict marker `=======` at 2:1")
            || stderr(&push)
                .contains("label_src/Src/Screen1.fx.yaml: conflict marker `=======` at 2:1"),
        "{}{}",
        stdout(&push),
        stderr(&push)
    );
}
