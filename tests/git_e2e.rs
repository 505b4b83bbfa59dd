//! End to end with the real `git`: after `msapp-merge install --local`, merges, rebases,
//! cherry-picks and stash pops of `.msapp` files in temporary repositories, conflicts and their
//! resolution, committed unpacked trees with the per-file drivers, awkward paths, CRLF settings
//! and git versions with and without `%S %X %Y`.

mod common;

use std::fs;
use std::path::Path;

use common::*;

const APP: &str = "App.msapp";

fn clean_sides() -> (Vec<Edit>, Vec<Edit>) {
    (
        vec![label1_city("seattle")],
        vec![label2_text("Hello from theirs")],
    )
}

/// Both sides change Label2's text; each also makes a change of its own elsewhere.
fn conflicting_sides() -> (Vec<Edit>, Vec<Edit>) {
    (
        vec![label2_text("Hello from ours"), label1_y(45)],
        vec![label2_text("Hello from theirs"), label1_city("seattle")],
    )
}

/// The conflict workspace of `app` as the merge driver wrote it.
fn workspace(repo: &Repo, app: &str) -> std::path::PathBuf {
    let escaped = msapp_merge::source::names::escape_filename(app);
    repo.git_dir().join("msapp-merge").join(escaped)
}

/// Replaces the conflict block of Label2's Text in the workspace screen with `formula`.
fn settle_workspace_text(screen_file: &Path, formula: &str) {
    let text = fs::read_to_string(screen_file).unwrap();
    let start = text
        .find("        Text: |-\n")
        .unwrap_or_else(|| panic!("no conflict block in\n{text}"));
    let end_marker = text[start..].find(">>>>>>>").unwrap() + start;
    let end = text[end_marker..].find('\n').unwrap() + end_marker + 1;
    let settled = format!(
        "{}        Text: ={formula}\n{}",
        &text[..start],
        &text[end..]
    );
    fs::write(screen_file, settled).unwrap();
}

// ---- clean merges ---------------------------------------------------------------------------------

#[test]
fn install_routes_apps_to_the_driver() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    assert_eq!(
        repo.git_ok(&["config", "merge.msapp.driver"]).trim_end(),
        "msapp-merge merge --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B"
    );
    assert_eq!(
        repo.git_ok(&["config", "merge.msapp.recursive"]).trim_end(),
        "binary"
    );
    let attrs = repo.git_ok(&["check-attr", "merge", "diff", "text", "--", APP]);
    assert!(attrs.contains("merge: msapp"), "{attrs}");
    assert!(attrs.contains("diff: msapp"), "{attrs}");
    assert!(attrs.contains("text: unset"), "{attrs}");
    assert!(repo.status().is_empty(), "{:?}", repo.status());
}

#[test]
fn merge_of_different_controls_is_clean_with_every_git() {
    for git in all_gits() {
        let sb = Sandbox::with(git.clone(), true);
        let repo = sb.repo("repo", APP);
        let (ours, theirs) = clean_sides();
        repo.diverge(&ours, &theirs);
        let out = repo.git(&["merge", "--no-edit", "feature"]);
        assert!(
            out.status.success(),
            "git {:?}: {}",
            git.version,
            text(&out)
        );
        assert!(repo.unmerged().is_empty());
        assert!(repo.status().is_empty(), "{:?}", repo.status());
        let screen = repo.screen_at("HEAD");
        assert_has(&screen, &ours);
        assert_has(&screen, &theirs);
        assert_eq!(repo.screen(), screen);
        let parents = repo.git_ok(&["rev-list", "--parents", "-n", "1", "HEAD"]);
        assert_eq!(parents.split_whitespace().count(), 3, "a merge commit");
    }
}

/// The driver keeps the checksum values it computed in the git directory, which it finds
/// itself (git does not pass it), also in a linked work tree; `MSAPP_MERGE_NO_CACHE` keeps
/// nothing.
#[test]
fn merges_keep_checksum_values_in_the_git_directory() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = clean_sides();
    repo.diverge(&ours, &theirs);
    let cache = repo.git_dir().join("msapp-merge").join("checksum-values");

    let mut off = sb.command(&sb.git.path, &repo.dir);
    let out = off
        .env("MSAPP_MERGE_NO_CACHE", "1")
        .args(["merge", "--no-edit", "feature"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!cache.exists());

    repo.git_ok(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git_ok(&["merge", "--no-edit", "feature"]);
    assert!(cache.is_file());
    assert!(fs::metadata(&cache).unwrap().len() > 8);
}

#[test]
fn rebase_of_different_controls_is_clean() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = clean_sides();
    repo.diverge(&ours, &theirs);
    repo.git_ok(&["checkout", "-q", "feature"]);
    repo.git_ok(&["rebase", "main"]);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    let screen = repo.screen_at("HEAD");
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);
    assert_eq!(
        repo.git_ok(&["rev-parse", "HEAD~1"]),
        repo.git_ok(&["rev-parse", "main"]),
        "feature now sits on main"
    );
}

#[test]
fn cherry_pick_of_a_change_to_another_control_is_clean() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = clean_sides();
    repo.diverge(&ours, &theirs);
    repo.git_ok(&["cherry-pick", "feature"]);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    let screen = repo.screen_at("HEAD");
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);
}

#[test]
fn stash_pop_over_a_change_to_another_control_is_clean() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (committed, stashed) = clean_sides();
    repo.put_app(&stashed);
    repo.git_ok(&["stash", "push", "-q"]);
    assert_eq!(fs::read(repo.app_path()).unwrap(), app_with(&[]));
    repo.put_app(&committed);
    repo.commit_all("a change while the other was stashed");
    let out = repo.git(&["stash", "pop"]);
    assert!(out.status.success(), "{}", text(&out));
    let screen = repo.screen();
    assert_has(&screen, &committed);
    assert_has(&screen, &stashed);
    assert!(repo.unmerged().is_empty());
    assert_eq!(repo.git_ok(&["stash", "list"]), "", "the stash was dropped");
}

#[test]
fn merge_tree_runs_the_driver_for_ci_checks() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = clean_sides();
    repo.diverge(&ours, &theirs);
    // What a CI job can run to learn whether a pull request merges, without a work tree.
    let tree = repo.git_ok(&["merge-tree", "--write-tree", "main", "feature"]);
    let merged = repo.git(&["show", &format!("{}:{APP}", tree.trim())]);
    let screen = screen_of(&merged.stdout);
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);

    repo.git_ok(&["checkout", "-q", "-b", "clash", "main~1"]);
    repo.put_app(&[label1_city("tokyo")]);
    repo.commit_all("clash");
    let out = repo.git(&["merge-tree", "--write-tree", "main", "clash"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("Screen1/Label1.Text"), "{}", text(&out));
}

// ---- conflicts ------------------------------------------------------------------------------------

#[test]
fn overlapping_changes_conflict_and_resolve_finishes_the_merge_with_every_git() {
    for git in all_gits() {
        let sb = Sandbox::with(git.clone(), true);
        let repo = sb.repo("repo", APP);
        let (ours, theirs) = conflicting_sides();
        repo.diverge(&ours, &theirs);
        let out = repo.git_fails(&["merge", "--no-edit", "feature"]);
        let v = git.version;

        // Git's own report, and the driver's summary naming the property and the sides.
        assert!(
            out.contains("CONFLICT (content): Merge conflict in App.msapp"),
            "{v:?}: {out}"
        );
        assert!(
            out.contains("msapp-merge: CONFLICT in App.msapp: 1 conflict"),
            "{v:?}: {out}"
        );
        assert!(
            out.contains("Screen1/Label2.Text: changed on both sides"),
            "{v:?}: {out}"
        );
        if git.expands_labels() {
            assert!(out.contains("ours (HEAD):"), "{v:?}: {out}");
            assert!(out.contains("theirs (feature):"), "{v:?}: {out}");
        } else {
            // Older git hands over "%X" literally; the driver falls back to plain names.
            assert!(out.contains("ours (ours):"), "{v:?}: {out}");
            assert!(out.contains("theirs (theirs):"), "{v:?}: {out}");
            assert!(!out.contains('%'), "{v:?}: {out}");
        }
        assert!(out.contains("\"Hello from ours\""), "{v:?}: {out}");
        assert!(out.contains("\"Hello from theirs\""), "{v:?}: {out}");
        assert!(
            out.contains("msapp-merge resolve App.msapp"),
            "{v:?}: {out}"
        );

        // Git is mid-merge with all three stages; the work tree holds a valid app: ours at the
        // conflict, both sides' other changes merged.
        assert_eq!(repo.unmerged().len(), 3, "{v:?}");
        assert!(repo.git_dir().join("MERGE_HEAD").is_file());
        let screen = repo.screen();
        assert!(screen.contains("Text: =\"Hello from ours\""), "{screen}");
        assert_has(&screen, &[label1_y(45), label1_city("seattle")]);

        // The workspace has the conflict as markers inside the formula.
        let ws = workspace(&repo, APP);
        let ws_screen = ws.join("tree").join(SCREEN);
        let marked = fs::read_to_string(&ws_screen).unwrap();
        let (ours_marker, theirs_marker) = if git.expands_labels() {
            ("<<<<<<< HEAD", ">>>>>>> feature")
        } else {
            ("<<<<<<< ours", ">>>>>>> theirs")
        };
        assert!(marked.contains(ours_marker), "{marked}");
        assert!(marked.contains(theirs_marker), "{marked}");

        // resolve refuses while markers remain, and changes nothing.
        let before = fs::read(repo.app_path()).unwrap();
        let refused = repo.msapp(&["resolve", APP]);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(
            text(&refused).contains("conflict markers are still in the workspace"),
            "{}",
            text(&refused)
        );
        assert_eq!(fs::read(repo.app_path()).unwrap(), before);

        settle_workspace_text(&ws_screen, "\"Hello from both\"");
        let said = repo.msapp_ok(&["resolve", APP]);
        assert!(said.contains("now `git add` it"), "{said}");
        assert!(!ws.exists(), "the workspace is removed");
        repo.git_ok(&["add", APP]);
        repo.git_ok(&["commit", "-q", "--no-edit"]);

        assert!(repo.status().is_empty(), "{:?}", repo.status());
        let parents = repo.git_ok(&["rev-list", "--parents", "-n", "1", "HEAD"]);
        assert_eq!(parents.split_whitespace().count(), 3, "a merge commit");
        let screen = repo.screen_at("HEAD");
        assert!(screen.contains("Text: =\"Hello from both\""), "{screen}");
        assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
    }
}

#[test]
fn resolve_ours_keeps_ours_at_the_conflict_and_their_other_changes() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    repo.msapp_ok(&["resolve", "--ours", APP]);
    assert!(!workspace(&repo, APP).exists());
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let screen = repo.screen_at("HEAD");
    assert!(screen.contains("Text: =\"Hello from ours\""), "{screen}");
    assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
}

#[test]
fn resolve_theirs_takes_theirs_at_the_conflict_and_keeps_our_other_changes() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    assert!(!workspace(&repo, APP).exists());
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let screen = repo.screen_at("HEAD");
    assert!(screen.contains("Text: =\"Hello from theirs\""), "{screen}");
    assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
}

#[test]
fn resolve_refuses_a_leftover_separator_line() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    let screen_file = workspace(&repo, APP).join("tree").join(SCREEN);
    let marked = fs::read_to_string(&screen_file).unwrap();
    // Both marker lines gone, the separator forgotten: the formula would still be broken.
    let mut lines = Vec::new();
    let mut move_equals = false;
    for line in marked.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("=<<<<<<<") {
            move_equals = true;
        } else if trimmed.starts_with(">>>>>>>") {
        } else if move_equals {
            let indent = &line[..line.len() - trimmed.len()];
            lines.push(format!("{indent}={trimmed}\n"));
            move_equals = false;
        } else {
            lines.push(format!("{line}\n"));
        }
    }
    let half_done = lines.concat();
    assert!(half_done.contains("=======\n"), "{half_done}");
    assert!(!half_done.contains("<<<<<<<"), "{half_done}");
    fs::write(&screen_file, half_done).unwrap();
    let out = repo.msapp(&["resolve", APP]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("conflict markers are still in the workspace"),
        "{}",
        text(&out)
    );
}

#[test]
fn resolve_after_an_aborted_merge_is_refused() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    repo.git_ok(&["merge", "--abort"]);
    let before = fs::read(repo.app_path()).unwrap();
    let out = repo.msapp(&["resolve", "--theirs", APP]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("git has no conflict recorded for it"),
        "{}",
        text(&out)
    );
    assert_eq!(fs::read(repo.app_path()).unwrap(), before);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    // --force settles it anyway; --ours leaves the app as it is and clears the leftover.
    repo.msapp_ok(&["resolve", "--force", "--ours", APP]);
    assert!(!workspace(&repo, APP).exists());
    assert!(repo.status().is_empty(), "{:?}", repo.status());

    // The next conflict on the same app starts afresh.
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    assert!(repo.screen_at("HEAD").contains("Hello from theirs"));
}

#[test]
fn conflict_in_a_linked_worktree_started_from_a_subdirectory() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", "apps/App.msapp");
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_ok(&["checkout", "-q", "--detach"]);
    let linked_dir = sb.root.join("linked");
    repo.git_ok(&[
        "worktree",
        "add",
        "-q",
        linked_dir.to_str().unwrap(),
        "main",
    ]);
    let linked = Repo {
        sb: &sb,
        dir: linked_dir,
        app: "apps/App.msapp".to_string(),
    };
    let inner = linked.dir.join("apps");
    let out = sb.git(&inner, &["merge", "--no-edit", "feature"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("msapp-merge resolve apps/App.msapp"),
        "{}",
        text(&out)
    );
    let ws = workspace(&linked, "apps/App.msapp");
    assert!(
        ws.starts_with(repo.git_dir().join("worktrees")),
        "{}",
        ws.display()
    );
    assert!(ws.join("tree").join(SCREEN).is_file(), "{}", ws.display());
    assert!(!workspace(&repo, "apps/App.msapp").exists());

    sb.msapp_ok(&inner, &["resolve", "--theirs", "App.msapp"]);
    sb.git_ok(&inner, &["add", "App.msapp"]);
    sb.git_ok(&inner, &["commit", "-q", "--no-edit"]);
    assert!(linked.screen_at("HEAD").contains("Hello from theirs"));
}

#[test]
fn checkout_merge_redoes_the_conflict_after_a_resolve() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_fails(&["merge", "--no-edit", "feature"]);
    let first = fs::read(repo.app_path()).unwrap();
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    assert!(repo.screen().contains("Hello from theirs"));

    // Changed one's mind before `git add`: git runs the driver again, same result.
    repo.git_ok(&["checkout", "-m", "--", APP]);
    assert_eq!(fs::read(repo.app_path()).unwrap(), first);
    let ws = workspace(&repo, APP);
    assert!(ws.join("tree").join(SCREEN).is_file());
    settle_workspace_text(&ws.join("tree").join(SCREEN), "\"Hello again\"");
    repo.msapp_ok(&["resolve", APP]);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let screen = repo.screen_at("HEAD");
    assert!(screen.contains("Text: =\"Hello again\""), "{screen}");
    assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
}

#[test]
fn resolve_without_a_conflict_is_refused() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let out = repo.msapp(&["resolve", APP]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no recorded merge conflict"),
        "{}",
        text(&out)
    );
}

#[test]
fn rebase_conflict_shows_labels_with_spaces_and_continues_after_resolve() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    let (ours, theirs) = conflicting_sides();
    repo.diverge(&ours, &theirs);
    repo.git_ok(&["checkout", "-q", "feature"]);
    let out = repo.git_fails(&["rebase", "main"]);
    assert!(out.contains("CONFLICT (content)"), "{out}");
    assert!(out.contains("Screen1/Label2.Text"), "{out}");
    if sb.git.expands_labels() {
        // The replayed commit is labelled "<id> (<subject>)".
        assert!(out.contains("(theirs: edit the app)):"), "{out}");
        let ws = workspace(&repo, APP);
        let marked = fs::read_to_string(ws.join("tree").join(SCREEN)).unwrap();
        assert!(marked.contains(" (theirs: edit the app)\n"), "{marked}");
    }
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["rebase", "--continue"]);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    let screen = repo.screen_at("HEAD");
    assert!(screen.contains("Text: =\"Hello from theirs\""), "{screen}");
    assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
}

#[test]
fn stash_pop_conflict_names_the_stash_labels() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    repo.put_app(&[label2_text("stashed text")]);
    repo.git_ok(&["stash", "push", "-q"]);
    repo.put_app(&[label2_text("committed text")]);
    repo.commit_all("committed while stashed");
    let out = repo.git_fails(&["stash", "pop"]);
    assert!(out.contains("Screen1/Label2.Text"), "{out}");
    if sb.git.expands_labels() {
        assert!(out.contains("ours (Updated upstream):"), "{out}");
        assert!(out.contains("theirs (Stashed changes):"), "{out}");
    }
    assert!(repo.screen().contains("committed text"));
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    let screen = repo.screen();
    assert!(screen.contains("Text: =\"stashed text\""), "{screen}");
    // A conflicted pop keeps the stash; settle the index and drop it.
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["stash", "drop", "-q"]);
    assert!(repo.unmerged().is_empty());
}

// ---- histories ----------------------------------------------------------------------------------

#[test]
fn unrelated_histories_merge_with_an_empty_base() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    repo.put_app(&[label1_city("seattle")]);
    repo.commit_all("ours: seattle");
    repo.git_ok(&["checkout", "-q", "--orphan", "other"]);
    repo.git_ok(&["rm", "-rq", "--cached", "."]);
    repo.put_app(&[label1_city("seattle"), label2_text("Hello from theirs")]);
    repo.commit_all("theirs: added on its own");
    repo.git_ok(&["checkout", "-q", "-f", "main"]);
    let out = repo.git(&["merge", "--no-edit", "--allow-unrelated-histories", "other"]);
    let said = text(&out);
    // Both sides added the app: git's base is an empty file. What both agree on merges;
    // Label2's text differs without a base to say who changed it, so it is a conflict.
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("CONFLICT (add/add)"), "{said}");
    // Without a common ancestor the same control is merged formula by formula: only the
    // formula the two versions disagree on is a conflict (with markers in the workspace).
    assert!(
        said.contains("Screen1/Label2.Text: added on both sides with different content"),
        "{said}"
    );
    assert!(!said.contains("no conflict markers"), "{said}");
    let screen = repo.screen();
    assert_has(&screen, &[label1_city("seattle")]);
    assert!(screen.contains("Text: =\"Hello\""), "ours kept: {screen}");
    repo.msapp_ok(&["resolve", "--theirs", APP]);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let screen = repo.screen_at("HEAD");
    assert_has(
        &screen,
        &[label1_city("seattle"), label2_text("Hello from theirs")],
    );
}

#[test]
fn criss_cross_history_merges_into_a_valid_app() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo", APP);
    // x1 and y1 clash on Label2's text; both merges settle on the same text. Git then has two
    // merge bases; `recursive = binary` makes the virtual base the older ancestor.
    repo.git_ok(&["checkout", "-q", "-b", "y"]);
    repo.put_app(&[label2_text("Y")]);
    repo.commit_all("y1");
    repo.git_ok(&["checkout", "-q", "-b", "x", "main"]);
    repo.put_app(&[label2_text("X")]);
    repo.commit_all("x1");
    let settled = [label2_text("XY")];

    repo.git_fails(&["merge", "--no-edit", "y"]);
    repo.put_app(&settled);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    repo.git_ok(&["checkout", "-q", "y"]);
    repo.git_fails(&["merge", "--no-edit", "x~1"]);
    repo.put_app(&settled);
    repo.git_ok(&["add", APP]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);

    repo.put_app(&[label2_text("XY"), label2_y(150)]);
    repo.commit_all("y3");
    repo.git_ok(&["checkout", "-q", "x"]);
    repo.put_app(&[label2_text("XY"), label1_city("seattle")]);
    repo.commit_all("x3");
    let bases = repo.git_ok(&["merge-base", "--all", "x", "y"]);
    assert_eq!(bases.lines().count(), 2, "criss-cross: {bases}");

    let out = repo.git(&["merge", "--no-edit", "y"]);
    assert!(out.status.success(), "{}", text(&out));
    let screen = repo.screen_at("HEAD");
    assert_has(
        &screen,
        &[label2_text("XY"), label2_y(150), label1_city("seattle")],
    );
    assert!(
        !text(&out).contains("Temporary merge branch"),
        "{}",
        text(&out)
    );
}

// ---- awkward paths, CRLF settings ---------------------------------------------------------------

#[test]
fn paths_with_spaces_and_non_ascii_names_under_autocrlf_with_every_git() {
    for git in all_gits() {
        paths_with_spaces_and_non_ascii_names_under_autocrlf(git);
    }
}

fn paths_with_spaces_and_non_ascii_names_under_autocrlf(git: GitBin) {
    // msapp-merge is not on the PATH: install writes its absolute path into the commands.
    let sb = Sandbox::with(git, false);
    let app = "Team's Apps/Wetter Zürich $1.msapp";
    let dir = sb.root.join("work tree ü");
    fs::create_dir_all(&dir).unwrap();
    sb.git_ok(&dir, &["init", "-q", "-b", "main"]);
    sb.git_ok(&dir, &["config", "core.autocrlf", "true"]);
    let repo = Repo {
        sb: &sb,
        dir,
        app: app.to_string(),
    };
    repo.msapp_ok(&["install", "--local"]);
    let driver = repo.git_ok(&["config", "merge.msapp.driver"]);
    assert!(
        driver.starts_with('/') || driver.starts_with('\''),
        "{driver}"
    );
    repo.put_app(&[]);
    repo.commit_all("base");
    assert!(repo.status().is_empty(), "autocrlf leaves the app alone");

    // A clean merge.
    let (ours, theirs) = clean_sides();
    repo.diverge(&ours, &theirs);
    repo.git_ok(&["merge", "--no-edit", "feature"]);
    let screen = repo.screen_at("HEAD");
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);
    assert!(repo.status().is_empty(), "{:?}", repo.status());

    // A conflict from a branch with a non-ASCII name, resolved from inside the app's folder.
    repo.git_ok(&["checkout", "-q", "-b", "größe"]);
    repo.put_app(&[label1_city("seattle"), label2_text("Grüße"), label1_y(45)]);
    repo.commit_all("theirs");
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.put_app(&[label1_city("seattle"), label2_text("Hallo Welt")]);
    repo.commit_all("ours");
    let out = repo.git_fails(&["merge", "--no-edit", "größe"]);
    assert!(
        out.contains("msapp-merge: CONFLICT in Team's Apps/Wetter Zürich $1.msapp"),
        "{out}"
    );
    assert!(
        out.contains(r#"msapp-merge resolve 'Team'\''s Apps/Wetter Zürich $1.msapp'"#),
        "{out}"
    );
    if sb.git.expands_labels() {
        assert!(out.contains("theirs (größe):"), "{out}");
    }
    assert!(repo.screen().contains("Hallo Welt"));
    let ws = workspace(&repo, app);
    assert!(ws.join("tree").join(SCREEN).is_file(), "{}", ws.display());

    settle_workspace_text(&ws.join("tree").join(SCREEN), "\"Hallo Grüße\"");
    let inner = repo.dir.join("Team's Apps");
    sb.msapp_ok(&inner, &["resolve", "Wetter Zürich $1.msapp"]);
    assert!(!ws.exists());
    sb.git_ok(&inner, &["add", "Wetter Zürich $1.msapp"]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let screen = repo.screen_at("HEAD");
    assert!(screen.contains("Text: =\"Hallo Grüße\""), "{screen}");
    assert_has(&screen, &[label1_y(45), label1_city("seattle")]);
    assert!(repo.status().is_empty(), "{:?}", repo.status());
}

// ---- committed unpacked trees -------------------------------------------------------------------

const TREE_DIR: &str = "app_src";

/// A side's tree as Studio plus `pac canvas unpack` would leave it: the edited formulas, a fresh
/// checksum, and then `tweak` applied to the volatile files.
fn side_tree(
    edits: &[Edit],
    tweak: impl Fn(&mut msapp_merge::source::SourceTree),
) -> msapp_merge::source::SourceTree {
    let (app, _) = msapp_merge::app::pack_tree(&tree_with(edits)).unwrap();
    let bytes = msapp_merge::app::msapp_bytes(&app).unwrap();
    let mut tree = tree_of(&bytes);
    tweak(&mut tree);
    tree
}

fn replace_in(
    tree: &mut msapp_merge::source::SourceTree,
    file: &str,
    after: &str,
    from: &str,
    to: &str,
) {
    let text = String::from_utf8(tree.get(file).unwrap().to_vec()).unwrap();
    let anchor = text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {file}"));
    let at = text[anchor..]
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} in {file}"))
        + anchor;
    let changed = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
    tree.insert(file, changed.into_bytes());
}

const ENTROPY: &str = "Entropy/Entropy.json";
const EDITOR_STATE: &str = "Src/EditorState/Screen1.editorstate.json";
const MANIFEST: &str = "CanvasManifest.json";

fn tree_repo(sb: &Sandbox) -> Repo<'_> {
    let dir = sb.root.join("trees");
    fs::create_dir_all(&dir).unwrap();
    sb.git_ok(&dir, &["init", "-q", "-b", "main"]);
    let repo = Repo {
        sb,
        dir,
        app: String::new(),
    };
    repo.msapp_ok(&["install", "--local", "--trees"]);
    write_tree_files(&repo.dir.join(TREE_DIR), &side_tree(&[], |_| {}));
    repo.commit_all("base tree");
    repo
}

fn put_tree(repo: &Repo, tree: &msapp_merge::source::SourceTree) {
    let dir = repo.dir.join(TREE_DIR);
    fs::remove_dir_all(&dir).unwrap();
    write_tree_files(&dir, tree);
}

#[test]
fn committed_trees_merge_file_by_file() {
    let sb = Sandbox::new();
    let repo = tree_repo(&sb);
    let attrs = repo.git_ok(&[
        "check-attr",
        "merge",
        "--",
        "app_src/Src/Screen1.fx.yaml",
        "app_src/Entropy/Entropy.json",
        "app_src/CanvasManifest.json",
    ]);
    assert!(
        attrs.contains("Screen1.fx.yaml: merge: msapp-fxyaml"),
        "{attrs}"
    );
    assert!(
        attrs.contains("Entropy.json: merge: msapp-cache"),
        "{attrs}"
    );
    assert!(
        attrs.contains("CanvasManifest.json: merge: msapp-strict"),
        "{attrs}"
    );

    // Each side edits one control of the same screen, and Studio touched the volatile files:
    // both saved at different times, each locked a different control in the editor.
    let (ours, theirs) = clean_sides();
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    put_tree(
        &repo,
        &side_tree(&theirs, |t| {
            replace_in(
                t,
                ENTROPY,
                "HeaderLastSaved",
                "06/29/2020 18:36:48",
                "07/02/2020 09:00:00",
            );
            replace_in(t, ENTROPY, "AnalysisLoadTime", "0.0640581", "0.5");
            replace_in(
                t,
                EDITOR_STATE,
                "\"Label2\": {",
                "\"IsLocked\": false",
                "\"IsLocked\": true",
            );
        }),
    );
    repo.commit_all("theirs");
    repo.git_ok(&["checkout", "-q", "main"]);
    put_tree(
        &repo,
        &side_tree(&ours, |t| {
            replace_in(
                t,
                ENTROPY,
                "HeaderLastSaved",
                "06/29/2020 18:36:48",
                "07/01/2020 12:00:00",
            );
            replace_in(
                t,
                EDITOR_STATE,
                "\"Label1\": {",
                "\"IsLocked\": false",
                "\"IsLocked\": true",
            );
        }),
    );
    repo.commit_all("ours");

    let out = repo.git(&["merge", "--no-edit", "feature"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(repo.status().is_empty(), "{:?}", repo.status());
    let tree_dir = repo.dir.join(TREE_DIR);
    let screen = fs::read_to_string(tree_dir.join(SCREEN)).unwrap();
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);
    let entropy = fs::read_to_string(tree_dir.join(ENTROPY)).unwrap();
    assert!(
        entropy.contains("07/01/2020 12:00:00"),
        "ours where they clash: {entropy}"
    );
    assert!(entropy.contains("\"AnalysisLoadTime\": 0.5"), "{entropy}");
    let state = fs::read_to_string(tree_dir.join(EDITOR_STATE)).unwrap();
    assert_eq!(state.matches("\"IsLocked\": true").count(), 2, "{state}");

    // The merged tree packs into an app with both changes.
    let packed = repo.dir.join("merged.msapp");
    repo.msapp_ok(&["pack", TREE_DIR, packed.to_str().unwrap()]);
    let screen = screen_of(&fs::read(&packed).unwrap());
    assert_has(&screen, &ours);
    assert_has(&screen, &theirs);
}

#[test]
fn committed_trees_conflict_in_formulas_with_markers() {
    let sb = Sandbox::new();
    let repo = tree_repo(&sb);
    let (ours, theirs) = conflicting_sides();
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    put_tree(&repo, &side_tree(&theirs, |_| {}));
    repo.commit_all("theirs");
    repo.git_ok(&["checkout", "-q", "main"]);
    put_tree(&repo, &side_tree(&ours, |_| {}));
    repo.commit_all("ours");
    let out = repo.git_fails(&["merge", "--no-edit", "feature"]);
    assert!(
        out.contains("CONFLICT (content): Merge conflict in app_src/Src/Screen1.fx.yaml"),
        "{out}"
    );
    assert!(out.contains("Screen1/Label2.Text"), "{out}");
    let screen = fs::read_to_string(repo.dir.join(TREE_DIR).join(SCREEN)).unwrap();
    assert!(
        screen.contains("<<<<<<< HEAD") || !sb.git.expands_labels(),
        "{screen}"
    );
    // The rest of the file merged: their other change is in.
    assert_has(&screen, &[label1_city("seattle"), label1_y(45)]);
    let unmerged = repo.unmerged();
    assert!(
        unmerged
            .iter()
            .all(|l| l.ends_with("app_src/Src/Screen1.fx.yaml")),
        "{unmerged:?}"
    );

    // Settling the markers by hand gives a tree that packs.
    settle_workspace_text(&repo.dir.join(TREE_DIR).join(SCREEN), "\"Hello from both\"");
    repo.git_ok(&["add", "-A"]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let packed = repo.dir.join("merged.msapp");
    repo.msapp_ok(&["pack", TREE_DIR, packed.to_str().unwrap()]);
    let screen = screen_of(&fs::read(&packed).unwrap());
    assert!(screen.contains("Text: =\"Hello from both\""), "{screen}");
}

#[test]
fn committed_trees_refuse_conflicting_manifest_edits() {
    let sb = Sandbox::new();
    let repo = tree_repo(&sb);
    let description = |d: &'static str| {
        move |t: &mut msapp_merge::source::SourceTree| {
            replace_in(t, MANIFEST, "\"AppDescription\"", "\"\"", d)
        }
    };
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    put_tree(&repo, &side_tree(&[], description("\"theirs\"")));
    repo.commit_all("theirs: describe the app");
    repo.git_ok(&["checkout", "-q", "main"]);
    put_tree(&repo, &side_tree(&[], description("\"ours\"")));
    repo.commit_all("ours: describe the app");

    let out = repo.git_fails(&["merge", "--no-edit", "feature"]);
    assert!(
        out.contains("CONFLICT (content): Merge conflict in app_src/CanvasManifest.json"),
        "{out}"
    );
    assert!(
        out.contains("refusing to merge conflicting changes in app_src/CanvasManifest.json"),
        "{out}"
    );
    assert!(
        out.contains("git checkout --ours/--theirs -- app_src/CanvasManifest.json"),
        "{out}"
    );
    let unmerged = repo.unmerged();
    assert!(!unmerged.is_empty());
    assert!(
        unmerged
            .iter()
            .all(|l| l.ends_with("app_src/CanvasManifest.json")),
        "{unmerged:?}"
    );
    // Ours is in the work tree, whole and valid JSON.
    let manifest = fs::read_to_string(repo.dir.join(TREE_DIR).join(MANIFEST)).unwrap();
    assert!(
        manifest.contains("\"AppDescription\": \"ours\""),
        "{manifest}"
    );

    repo.git_ok(&["checkout", "--theirs", "--", "app_src/CanvasManifest.json"]);
    repo.git_ok(&["add", "app_src/CanvasManifest.json"]);
    repo.git_ok(&["commit", "-q", "--no-edit"]);
    let manifest = fs::read_to_string(repo.dir.join(TREE_DIR).join(MANIFEST)).unwrap();
    assert!(
        manifest.contains("\"AppDescription\": \"theirs\""),
        "{manifest}"
    );
}
