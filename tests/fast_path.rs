//! The entry-by-entry fast path of the app merge is only an optimisation: wherever it decides,
//! the merged app holds the same content as the model merge's, its checksum stamp is fresh,
//! and it unpacks. Where it cannot decide (a screen changed on both sides, controls added on
//! both sides with the same name), the model merge runs and says why.
//!
//! Sides are saved the way a branch saves an app: unpacked, edited, packed. The base is the
//! packed original, so unchanged entries keep their bytes, as they do between Studio saves.

#[path = "merge_common/mod.rs"]
mod common;

use common::*;
use msapp_merge::app;
use msapp_merge::container::{Limits, read_archive};
use msapp_merge::json::{self, Json};
use msapp_merge::merge::app::{AppMerge, Strategy, merge_apps};
use msapp_merge::merge::tree::MergeOptions;
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;

fn merged(base: &[u8], ours: &[u8], theirs: &[u8], model_only: bool) -> AppMerge {
    let opts = MergeOptions {
        model_only,
        ..options()
    };
    merge_apps(base, ours, theirs, &opts).unwrap_or_else(|e| panic!("merge failed: {e}"))
}

fn stamp(bytes: &[u8]) -> String {
    let app = app::parse_msapp(bytes, "app").unwrap();
    app.json("checksum.json")
        .and_then(|c| c.get("ClientStampedChecksum"))
        .and_then(Json::as_str)
        .unwrap()
        .to_string()
}

/// Both paths on the same inputs: the fast one decides, and agrees with the model.
fn assert_fast_equals_model(base: &[u8], ours: &[u8], theirs: &[u8]) -> Vec<u8> {
    let fast = merged(base, ours, theirs, false);
    assert!(
        matches!(fast.strategy, Strategy::Entries | Strategy::Screens { .. }),
        "{}",
        fast.strategy
    );
    assert!(fast.is_clean());
    let model = merged(base, ours, theirs, true);
    assert!(matches!(model.strategy, Strategy::Model(_)));
    assert!(model.is_clean(), "{:?}", model.conflicts);
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    assert_eq!(
        stamp(&fast.merged),
        content_checksum(&fast.merged),
        "stale checksum stamp"
    );
    let reread = app::parse_msapp(&fast.merged, "merged").unwrap();
    app::unpack_verified(&reread, "merged", &UnpackOptions::default())
        .unwrap_or_else(|e| panic!("merged app does not round-trip: {e}"));
    fast.merged
}

/// A formula to edit in each top-level file: a leaf control of each screen with at least one
/// property, and the App object's first property; in file order.
fn leaf_per_screen(tree: &SourceTree) -> Vec<(String, String, String)> {
    fn leaf(b: &msapp_merge::fxyaml::Block) -> Option<&msapp_merge::fxyaml::Block> {
        b.children.iter().find_map(|c| {
            if c.children.is_empty() && !c.properties.is_empty() {
                Some(c)
            } else {
                leaf(c)
            }
        })
    }
    blocks(tree)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("Src/Components/"))
        .filter_map(|(path, top)| {
            let l = if path == "Src/App.fx.yaml" && !top.properties.is_empty() {
                &top
            } else {
                leaf(&top)?
            };
            Some((path, l.name.clone(), l.properties[0].name.clone()))
        })
        .collect()
}

fn edited(tree: &SourceTree, ctl: &str, prop: &str, tag: &str) -> Vec<u8> {
    let mut t = tree.clone();
    let old = common::prop(&t, ctl, prop).unwrap();
    set_prop(&mut t, ctl, prop, &format!("If(true, {old}, \"{tag}\")"));
    pack_bytes(&t)
}

#[test]
fn one_change_per_side_in_different_screens_takes_the_fast_path_on_every_corpus_app() {
    let mut tried = 0;
    for path in corpus_apps() {
        let name = path.display().to_string();
        let tree = unpack_bytes(&std::fs::read(&path).unwrap(), &name);
        let leaves = leaf_per_screen(&tree);
        let [(_, a, pa), .., (_, b, pb)] = leaves.as_slice() else {
            continue;
        };
        let base = pack_bytes(&tree);
        let ours = edited(&tree, a, pa, "ours");
        let theirs = edited(&tree, b, pb, "theirs");
        let result = assert_fast_equals_model(&base, &ours, &theirs);
        let back = unpack_bytes(&result, "merged");
        assert!(
            common::prop(&back, a, pa).unwrap().contains("\"ours\""),
            "{name}"
        );
        assert!(
            common::prop(&back, b, pb).unwrap().contains("\"theirs\""),
            "{name}"
        );
        tried += 1;
    }
    assert!(
        tried >= 15,
        "only {tried} corpus apps have two top-level files to edit"
    );
}

/// Two leaf controls with properties in the same top-level file (screens first).
fn two_leaves_in_one_file(tree: &SourceTree) -> Option<(String, [(String, String); 2])> {
    two_leaves_per_file(tree).into_iter().next()
}

/// Every corpus app (by path), unpacked, with the first top-level file that holds two leaf
/// controls with properties, and those two.
fn apps_with_two_leaves_in_one_file()
-> impl Iterator<Item = (String, SourceTree, String, [(String, String); 2])> {
    // One app at a time: the largest unpacks to 55 MB.
    corpus_apps().into_iter().filter_map(|path| {
        let name = path.display().to_string();
        let tree = unpack_bytes(&std::fs::read(&path).unwrap(), &name);
        let (file, leaves) = two_leaves_in_one_file(&tree)?;
        Some((name, tree, file, leaves))
    })
}

/// For every top-level file with two leaf controls with properties, the first and the last
/// (screens first).
fn two_leaves_per_file(tree: &SourceTree) -> Vec<(String, [(String, String); 2])> {
    fn leaves<'b>(
        b: &'b msapp_merge::fxyaml::Block,
        out: &mut Vec<&'b msapp_merge::fxyaml::Block>,
    ) {
        for c in &b.children {
            if c.children.is_empty() && !c.properties.is_empty() {
                out.push(c);
            } else {
                leaves(c, out);
            }
        }
    }
    let mut files: Vec<_> = blocks(tree)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("Src/Components/"))
        .collect();
    files.sort_by_key(|(path, _)| *path == "Src/App.fx.yaml");
    files
        .into_iter()
        .filter_map(|(path, top)| {
            let mut found = Vec::new();
            leaves(&top, &mut found);
            let pick =
                |b: &msapp_merge::fxyaml::Block| (b.name.clone(), b.properties[0].name.clone());
            match found.as_slice() {
                [a, .., b] => Some((path.clone(), [pick(a), pick(b)])),
                _ => None,
            }
        })
        .collect()
}

/// The fast path merges the screens changed on both sides, and checks the ones changed on one
/// side, through reduced apps of a bounded size, one after another: cut into one batch per
/// screen, the merge gives the same bytes as in one batch, and the model merge's content.
#[test]
fn screens_merged_in_batches_give_the_same_app_as_in_one() {
    let mut tried = Vec::new();
    for path in corpus_apps() {
        let name = path.display().to_string();
        let tree = unpack_bytes(&std::fs::read(&path).unwrap(), &name);
        let base = pack_bytes(&tree);
        if let Some(merged) = assert_batches_agree(&name, &tree, &base) {
            // By default an app smaller than a batch merges its screens in one go, and the
            // largest corpus app (29 screens, 70 MB) in several.
            let uncompressed: u64 = msapp_merge::container::list_entries(
                &base,
                "base",
                &msapp_merge::container::Limits::default(),
            )
            .unwrap()
            .iter()
            .map(|e| e.uncompressed_size)
            .sum();
            if uncompressed < 8 << 20 {
                assert_eq!(merged.reduced_merges, 1, "{name}");
            }
            if name.contains("EmptyLocalDBRefsHashMismatchProperties") {
                assert!(merged.reduced_merges > 1, "{name}");
            }
            tried.push(format!(
                "{name}: {} screens, {} reduced merges",
                merged.len(),
                merged.reduced_merges
            ));
        }
    }
    eprintln!("{tried:#?}");
    assert!(tried.len() >= 5, "{tried:#?}");
}

/// The same with Studio's YAML view (`Src\*.pa.yaml`): each batch renders the views of its own
/// screens.
#[test]
fn screens_merged_in_batches_each_bring_their_yaml_view() {
    let mut tree = load("AppWithCategoryAndControlPropertyState");
    for screen in ["Second", "Third"] {
        add_screen(
            &mut tree,
            with_children(
                new_control(screen, "screen", &[("Fill", "White")]),
                ["A", "B"]
                    .map(|l| new_control(&format!("{screen}{l}"), "label", &[("Text", "\"l\"")]))
                    .to_vec(),
            ),
        );
    }
    let base = studio_save(&tree);
    let tree = unpack_bytes(&base, "base");
    let merged = assert_batches_agree("three screens", &tree, &base).unwrap();
    assert!(merged.len() >= 2, "{:?}", merged.screens);
    let limits = msapp_merge::container::Limits::default();
    let entries = msapp_merge::container::read_archive(&merged.bytes, "merged", &limits)
        .unwrap()
        .entries;
    for screen in ["Second", "Third"] {
        let view = entries
            .iter()
            .find(|e| e.name == format!("Src\\{screen}.pa.yaml"))
            .unwrap_or_else(|| panic!("no view of {screen}"));
        let text = String::from_utf8_lossy(&view.data);
        for tag in ["ours", "theirs"] {
            assert!(text.contains(tag), "{screen}: {text}");
        }
    }
}

/// The merged app and the screens merged on both sides.
struct Batched {
    bytes: Vec<u8>,
    screens: Vec<String>,
    /// With the default batch size.
    reduced_merges: usize,
}

impl Batched {
    fn len(&self) -> usize {
        self.screens.len()
    }
}

/// Changes, on both sides, every screen of `tree` with two leaf controls, and the others on
/// one side each; merges one screen per batch and all in one, and checks the two agree with
/// each other and with the model merge. `None` when fewer than two screens can be changed.
fn assert_batches_agree(name: &str, tree: &SourceTree, base: &[u8]) -> Option<Batched> {
    let both: Vec<_> = two_leaves_per_file(tree)
        .into_iter()
        .filter(|(file, _)| file != "Src/App.fx.yaml")
        .collect();
    if both.len() < 2 {
        return None;
    }
    let one_sided: Vec<_> = leaf_per_screen(tree)
        .into_iter()
        .filter(|(file, _, _)| !both.iter().any(|(f, _)| f == file))
        .collect();
    let side = |pick: usize, tag: &str| {
        let mut t = tree.clone();
        let mut edits: Vec<(String, String)> = both
            .iter()
            .map(|(_, leaves)| leaves[pick].clone())
            .collect();
        edits.extend(
            one_sided
                .iter()
                .skip(pick)
                .step_by(2)
                .map(|(_, c, p)| (c.clone(), p.clone())),
        );
        for (ctl, p) in &edits {
            let old = common::prop(&t, ctl, p).unwrap();
            set_prop(&mut t, ctl, p, &format!("If(true, {old}, \"{tag}\")"));
        }
        (pack_bytes(&t), edits)
    };
    let ((ours, ours_edits), (theirs, theirs_edits)) = (side(0, "ours"), side(1, "theirs"));
    let in_batches = |batch_bytes| {
        let opts = MergeOptions {
            batch_bytes,
            ..options()
        };
        merge_apps(base, &ours, &theirs, &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let (one_each, together) = (in_batches(Some(1)), in_batches(None));
    let Strategy::Screens {
        names: merged_screens,
        reduced_merges,
    } = &one_each.strategy
    else {
        panic!("{name}: {}", one_each.strategy);
    };
    assert_eq!(merged_screens.len(), both.len(), "{name}");
    assert_eq!(
        *reduced_merges,
        both.len(),
        "{name}: one reduced merge per screen"
    );
    let Strategy::Screens {
        names,
        reduced_merges: together_merges,
    } = &together.strategy
    else {
        panic!("{name}: {}", together.strategy);
    };
    assert_eq!(names, merged_screens, "{name}");
    assert!(
        one_each.merged == together.merged,
        "{name}: the bytes differ"
    );
    let model = merged(base, &ours, &theirs, true);
    assert_eq!(
        content_checksum(&one_each.merged),
        content_checksum(&model.merged),
        "{name}"
    );
    let back = unpack_bytes(&one_each.merged, "merged");
    for (edits, tag) in [(&ours_edits, "ours"), (&theirs_edits, "theirs")] {
        for (ctl, p) in edits {
            assert!(
                common::prop(&back, ctl, p).unwrap().contains(tag),
                "{name}: {ctl}.{p} lost {tag}"
            );
        }
    }
    Some(Batched {
        screens: merged_screens.clone(),
        bytes: one_each.merged,
        reduced_merges: *together_merges,
    })
}

#[test]
fn same_screen_on_both_sides_merges_that_screen_alone_on_every_corpus_app() {
    let mut screens_path = Vec::new();
    let mut fell_back = Vec::new();
    for (name, tree, file, [(a, pa), (b, pb)]) in apps_with_two_leaves_in_one_file() {
        let base = pack_bytes(&tree);
        let ours = edited(&tree, &a, &pa, "ours");
        let theirs = edited(&tree, &b, &pb, "theirs");
        let fast = merged(&base, &ours, &theirs, false);
        assert!(fast.is_clean(), "{name}: {:?}", fast.conflicts);
        let model = merged(&base, &ours, &theirs, true);
        assert!(model.is_clean(), "{name}: {:?}", model.conflicts);
        assert_eq!(
            content_checksum(&fast.merged),
            content_checksum(&model.merged),
            "{name} {file}"
        );
        assert_eq!(
            stamp(&fast.merged),
            content_checksum(&fast.merged),
            "{name}: stale stamp"
        );
        let back = unpack_bytes(&fast.merged, "merged");
        assert!(
            common::prop(&back, &a, &pa).unwrap().contains("\"ours\""),
            "{name}"
        );
        assert!(
            common::prop(&back, &b, &pb).unwrap().contains("\"theirs\""),
            "{name}"
        );
        match &fast.strategy {
            Strategy::Screens { names, .. } => screens_path.push(format!("{name}: {names:?}")),
            other => fell_back.push(format!("{name} {file}: {other}")),
        }
    }
    eprintln!("screens: {screens_path:#?}\nfell back: {fell_back:#?}");
    assert!(screens_path.len() >= 15, "{fell_back:#?}");
}

/// What a reviewer is shown of a merge: its conflicts and notes, in order.
fn reported(m: &AppMerge) -> Vec<String> {
    let conflicts = m.conflicts.iter().map(|c| {
        format!(
            "conflict {}: {} ({:?} / {:?} / {:?})",
            c.at, c.kind, c.base, c.ours, c.theirs
        )
    });
    let notes = m
        .notes
        .iter()
        .map(|n| format!("note {}: {}", n.at, n.message));
    conflicts.chain(notes).collect()
}

/// `text` with theirs at each conflict, as a user resolving a conflicted formula would leave
/// it: the `=` of a formula that starts with a marker goes to theirs' first line.
fn take_theirs(text: &str) -> String {
    let mut out = String::new();
    // Ours' lines, then theirs' (of which the first may need the formula's `=`).
    let (mut skipping, mut taking, mut equals) = (false, false, false);
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let bare = trimmed.strip_prefix('=').unwrap_or(trimmed);
        if bare.starts_with("<<<<<<<") {
            (skipping, equals) = (true, trimmed.starts_with('='));
            continue;
        }
        if skipping && trimmed.starts_with("=======") {
            (skipping, taking) = (false, true);
            continue;
        }
        if taking && trimmed.starts_with(">>>>>>>") {
            taking = false;
            continue;
        }
        if skipping {
            continue;
        }
        if taking && equals {
            out.push_str(&format!("{indent}={trimmed}\n"));
            equals = false;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A conflict inside a screen changed on both sides is settled on the reduced app too: the
/// merged app keeps ours at the conflict, and the conflicts, the notes and the workspace (the
/// whole app's source tree, with the markers) are the whole-app merge's.
#[test]
fn conflicts_in_a_screen_changed_on_both_sides_are_reported_as_the_whole_app_merge_does() {
    let mut settled = Vec::new();
    let mut fell_back = Vec::new();
    for (name, tree, file, [(a, pa), (b, pb)]) in apps_with_two_leaves_in_one_file() {
        let base = pack_bytes(&tree);
        let side = |edits: &[(&str, &str)], tag: &str| {
            let mut t = tree.clone();
            for &(ctl, p) in edits {
                let old = common::prop(&t, ctl, p).unwrap();
                set_prop(&mut t, ctl, p, &format!("If(true, {old}, \"{tag}\")"));
            }
            pack_bytes(&t)
        };
        // The same formula on both sides, and a clean change beside it on theirs.
        let ours = side(&[(&a, &pa)], "ours");
        let theirs = side(&[(&a, &pa), (&b, &pb)], "theirs");
        let fast = merged(&base, &ours, &theirs, false);
        let model = merged(&base, &ours, &theirs, true);
        assert_eq!(model.conflicts.len(), 1, "{name}: {:?}", model.conflicts);
        assert_eq!(reported(&fast), reported(&model), "{name} {file}");
        assert_eq!(
            content_checksum(&fast.merged),
            content_checksum(&model.merged),
            "{name} {file}"
        );
        let back = unpack_bytes(&fast.merged, "merged");
        assert!(common::prop(&back, &a, &pa).unwrap().contains("\"ours\""));
        assert!(common::prop(&back, &b, &pb).unwrap().contains("\"theirs\""));
        let differ: Vec<&String> = model
            .workspace
            .files
            .iter()
            // The round-trip record of the checksum: the whole-app merge takes the latest
            // side's, the fast path's workspace is its merged app unpacked, with that app's
            // own stamp. Packing the workspace stamps a fresh one either way.
            // Studio's YAML view: the whole-app merge keeps ours' for pack to render again,
            // the fast path's is already rendered from the merged screens.
            .filter(|(p, _)| *p != "Entropy/checksum.json" && !p.ends_with(".pa.yaml"))
            .filter(|(p, bytes)| fast.workspace.get(p) != Some(bytes.as_slice()))
            .map(|(p, _)| p)
            .chain((fast.workspace.files.keys()).filter(|p| !model.workspace.contains(p)))
            .collect();
        assert!(
            differ.is_empty(),
            "{name} {file}: the workspaces differ in {differ:?}"
        );
        let marked = fast.workspace.get(&file).unwrap();
        assert!(
            String::from_utf8_lossy(marked).contains("<<<<<<<"),
            "{name}"
        );
        // Resolved alike, the two workspaces pack to the same app.
        let resolved = |workspace: &SourceTree| {
            let mut tree = workspace.clone();
            let text = String::from_utf8(tree.get(&file).unwrap().to_vec()).unwrap();
            tree.insert(file.clone(), take_theirs(&text).into_bytes());
            pack_bytes(&tree)
        };
        let resolved_fast = resolved(&fast.workspace);
        assert_eq!(
            content_checksum(&resolved_fast),
            content_checksum(&resolved(&model.workspace)),
            "{name} {file}"
        );
        let back = unpack_bytes(&resolved_fast, "resolved");
        assert!(common::prop(&back, &a, &pa).unwrap().contains("\"theirs\""));
        match &fast.strategy {
            Strategy::Screens { .. } => settled.push(name),
            other => fell_back.push(format!("{name} {file}: {other}")),
        }
    }
    eprintln!("settled on the reduced app: {settled:#?}\nfell back: {fell_back:#?}");
    assert!(settled.len() >= 15, "{fell_back:#?}");
}

/// Both sides edited one multi-line formula on different lines, and both appended statements
/// to `OnStart`: the merge takes both, and says so for review on either path.
#[test]
fn review_notes_of_a_screen_merged_on_the_reduced_app_are_the_whole_app_merges() {
    let mut tree = load("MyWeather");
    let (_, [(a, pa), _]) = two_leaves_in_one_file(&tree).unwrap();
    let lines = [
        "If(",
        "    true,",
        "    1,",
        "    2,",
        "    3,",
        "    4",
        ")",
    ];
    set_prop(&mut tree, &a, &pa, &lines.join("\n"));
    set_prop(&mut tree, "App", "OnStart", "Set(x, 1)");
    let tree = save(&tree);
    let base = pack_bytes(&tree);
    let side = |line: usize, text: &str, statement: &str| {
        let mut t = tree.clone();
        let mut edited = lines;
        edited[line] = text;
        set_prop(&mut t, &a, &pa, &edited.join("\n"));
        set_prop(
            &mut t,
            "App",
            "OnStart",
            &format!("Set(x, 1);\n{statement}"),
        );
        pack_bytes(&t)
    };
    let ours = side(1, "    false,", "Set(y, 2)");
    let theirs = side(5, "    40", "Set(z, 3)");
    let fast = merged(&base, &ours, &theirs, false);
    assert!(
        matches!(&fast.strategy, Strategy::Screens { names, .. } if names.len() == 2),
        "{}",
        fast.strategy
    );
    assert!(fast.is_clean(), "{:?}", fast.conflicts);
    let model = merged(&base, &ours, &theirs, true);
    assert_eq!(reported(&fast), reported(&model));
    assert_eq!(fast.notes.len(), 2, "{:?}", fast.notes);
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    let back = unpack_bytes(&fast.merged, "merged");
    let formula = common::prop(&back, &a, &pa).unwrap();
    assert!(
        formula.contains("false") && formula.contains("40"),
        "{formula}"
    );
    let on_start = common::prop(&back, "App", "OnStart").unwrap();
    assert!(on_start.contains("Set(y, 2)") && on_start.contains("Set(z, 3)"));
}

/// Three leaf controls of the first screen with their first property, and two other screens.
fn three_leaves_and_two_other_screens(tree: &SourceTree) -> ([(String, String); 3], [String; 2]) {
    let screens = screen_names(tree);
    let [first, second, third, ..] = screens.as_slice() else {
        panic!("fewer than three screens");
    };
    let top = &blocks(tree)[&format!("Src/{first}.fx.yaml")];
    let mut leaves = Vec::new();
    fn walk(b: &msapp_merge::fxyaml::Block, out: &mut Vec<(String, String)>) {
        for c in &b.children {
            match c.properties.first() {
                Some(p) if c.children.is_empty() => out.push((c.name.clone(), p.name.clone())),
                _ => walk(c, out),
            }
        }
    }
    walk(top, &mut leaves);
    let [a, b, c, ..] = leaves.as_slice() else {
        panic!("{first} has fewer than three leaf controls");
    };
    (
        [a.clone(), b.clone(), c.clone()],
        [second.clone(), third.clone()],
    )
}

/// The screens (and component definitions) that hold a control of that name.
fn holders(bytes: &[u8], name: &str) -> Vec<String> {
    blocks(&unpack_bytes(bytes, "merged"))
        .into_iter()
        .filter(|(_, b)| subtree_names(b).iter().any(|n| n == name))
        .map(|(path, _)| path)
        .collect()
}

/// A move between screens is the whole app's to merge: each reduced merge would see only half
/// of it. Moved on one side and edited on the other, the control ends up moved with the edit;
/// moved to different screens on both sides, it is a conflict, and the app holds it once.
#[test]
fn a_control_moved_to_another_screen_is_merged_by_the_whole_app() {
    let tree = load("ComponentTest");
    let ([(leaf, prop), (edited, edited_prop), (also, also_prop)], [one, other]) =
        three_leaves_and_two_other_screens(&tree);
    let base = pack_bytes(&tree);
    let side = |f: &dyn Fn(&mut SourceTree)| {
        let mut t = tree.clone();
        f(&mut t);
        pack_bytes(&save(&t))
    };

    // Moved against an edit, with other edits in the screen on both sides.
    let ours = side(&|t| {
        move_control(t, &leaf, &one);
        set_prop(t, &edited, &edited_prop, "\"ours\"");
    });
    let theirs = side(&|t| set_prop(t, &leaf, &prop, "\"theirs\""));
    let fast = merged(&base, &ours, &theirs, false);
    let model = merged(&base, &ours, &theirs, true);
    assert!(fast.is_clean(), "{:?}", fast.conflicts);
    assert_eq!(reported(&fast), reported(&model));
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    assert_eq!(holders(&fast.merged, &leaf), [format!("Src/{one}.fx.yaml")]);
    let back = unpack_bytes(&fast.merged, "merged");
    assert_eq!(
        common::prop(&back, &leaf, &prop).as_deref(),
        Some("\"theirs\"")
    );

    // Moved to different screens on both sides.
    let theirs = side(&|t| {
        move_control(t, &leaf, &other);
        set_prop(t, &also, &also_prop, "\"theirs\"");
    });
    let fast = merged(&base, &ours, &theirs, false);
    let model = merged(&base, &ours, &theirs, true);
    assert!(
        fast.conflicts
            .iter()
            .any(|c| c.at.ends_with(&format!("{leaf} (parent)"))),
        "{:?}",
        fast.conflicts
    );
    assert_eq!(reported(&fast), reported(&model));
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    assert_eq!(holders(&fast.merged, &leaf), [format!("Src/{one}.fx.yaml")]);
}

/// A reduced app knows only the control templates its screens use. Theirs deleted the only
/// button of a screen and ours added another one there: the reduced merge has no button
/// template left, while the whole app has buttons on other screens. The whole app decides,
/// and the new button keeps its template.
#[test]
fn a_control_whose_template_only_other_screens_use_is_merged_by_the_whole_app() {
    let tree = load("AnimationControlIdIsGuid");
    let (screen, button) = blocks(&tree)
        .into_iter()
        .filter(|(path, _)| path != "Src/App.fx.yaml")
        .find_map(|(_, top)| {
            let buttons: Vec<&str> = top
                .children
                .iter()
                .filter(|c| c.type_name.starts_with("button") && c.children.is_empty())
                .map(|c| c.name.as_str())
                .collect();
            match buttons.as_slice() {
                [only] => Some((top.name.clone(), only.to_string())),
                _ => None,
            }
        })
        .expect("a screen with a single button");
    assert!(
        screen_names(&tree).len() > 1,
        "buttons elsewhere keep the template in the whole app"
    );
    let base = pack_bytes(&tree);
    let mut ours = tree.clone();
    add_control(
        &mut ours,
        &screen,
        new_control("NewButton1", "button", &[("X", "5")]),
    );
    let mut theirs = tree.clone();
    remove_control(&mut theirs, &button);
    let (ours, theirs) = (pack_bytes(&save(&ours)), pack_bytes(&save(&theirs)));
    let fast = merged(&base, &ours, &theirs, false);
    match &fast.strategy {
        Strategy::Model(why) => assert!(why.contains("template"), "{why}"),
        other => panic!("{other}"),
    }
    let model = merged(&base, &ours, &theirs, true);
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    let template = |bytes: &[u8]| -> Json {
        fn find(control: &Json, name: &str) -> Option<Json> {
            if control.get("Name").and_then(Json::as_str) == Some(name) {
                return control.get("Template").cloned();
            }
            control
                .get("Children")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .find_map(|c| find(c, name))
        }
        let archive = read_archive(bytes, "app", &Limits::default()).unwrap();
        archive
            .entries
            .iter()
            .filter(|e| e.name.starts_with("Controls\\"))
            .find_map(|e| {
                find(
                    json::parse_bytes(&e.data).unwrap().get("TopParent")?,
                    "NewButton1",
                )
            })
            .expect("NewButton1 in the app")
    };
    assert_eq!(template(&fast.merged), template(&ours));
}

#[test]
fn a_screen_changed_on_both_sides_among_one_sided_changes_elsewhere() {
    let tree = load("ComponentTest");
    let (file, [(a, pa), (b, pb)]) = two_leaves_in_one_file(&tree).unwrap();
    let others: Vec<_> = leaf_per_screen(&tree)
        .into_iter()
        .filter(|(path, _, _)| *path != file)
        .collect();
    let [(_, c, pc), .., (_, d, pd)] = others.as_slice() else {
        panic!("ComponentTest has fewer than three top-level files");
    };
    let base = pack_bytes(&tree);
    let side = |edits: [(&str, &str); 2], tag: &str| {
        let mut t = tree.clone();
        for (ctl, p) in edits {
            let old = common::prop(&t, ctl, p).unwrap();
            set_prop(&mut t, ctl, p, &format!("If(true, {old}, \"{tag}\")"));
        }
        pack_bytes(&t)
    };
    let ours = side([(&a, &pa), (c, pc)], "ours");
    let theirs = side([(&b, &pb), (d, pd)], "theirs");
    let fast = merged(&base, &ours, &theirs, false);
    assert!(
        matches!(&fast.strategy, Strategy::Screens { names, .. } if names.len() == 1),
        "{}",
        fast.strategy
    );
    let model = merged(&base, &ours, &theirs, true);
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    assert_eq!(stamp(&fast.merged), content_checksum(&fast.merged));
    let back = unpack_bytes(&fast.merged, "merged");
    for (ctl, p, tag) in [
        (&a, &pa, "ours"),
        (c, pc, "ours"),
        (&b, &pb, "theirs"),
        (d, pd, "theirs"),
    ] {
        assert!(
            common::prop(&back, ctl, p).unwrap().contains(tag),
            "{ctl}.{p}"
        );
    }
}

#[test]
fn new_controls_on_both_sides_of_one_screen_agree_with_the_whole_app_merge() {
    for app in [
        "MyWeather",
        "ComponentTest",
        "GroupControlTest",
        "TestEngine_MdaIconsPage",
    ] {
        let tree = load(app);
        let (file, [(a, pa), _]) = two_leaves_in_one_file(&tree).unwrap();
        let screen = blocks(&tree)[&file].name.clone();
        let base = pack_bytes(&tree);
        let side = |name: &str, tag: &str| {
            let mut t = tree.clone();
            add_control(
                &mut t,
                &screen,
                new_control(name, "label", &[("Text", "\"new\"")]),
            );
            let old = common::prop(&t, &a, &pa).unwrap();
            if tag == "ours" {
                set_prop(&mut t, &a, &pa, &format!("If(true, {old}, \"{tag}\")"));
            }
            pack_bytes(&t)
        };
        let ours = side("OursNewLabel", "ours");
        let theirs = side("TheirsNewLabel", "theirs");
        let fast = merged(&base, &ours, &theirs, false);
        let model = merged(&base, &ours, &theirs, true);
        assert!(fast.is_clean() && model.is_clean(), "{app}");
        // Both sides gave their label the same new id and publish order; theirs is renumbered
        // before the screen is merged on its own.
        assert!(
            matches!(fast.strategy, Strategy::Screens { .. }),
            "{app}: {}",
            fast.strategy
        );
        assert_eq!(
            content_checksum(&fast.merged),
            content_checksum(&model.merged),
            "{app}: {}",
            fast.strategy
        );
        let back = unpack_bytes(&fast.merged, "merged");
        assert!(control(&back, "OursNewLabel").is_some(), "{app}");
        assert!(control(&back, "TheirsNewLabel").is_some(), "{app}");
        eprintln!("{app}: {}", fast.strategy);
    }
}

#[test]
fn the_same_new_name_on_both_sides_goes_to_the_model_merge() {
    let tree = load("DuplicateScreen");
    let screens = screen_names(&tree);
    assert!(screens.len() >= 2, "{screens:?}");
    let side = |screen: &str, text: &str| {
        let mut t = tree.clone();
        add_control(
            &mut t,
            screen,
            new_control("Clash1", "label", &[("Text", &format!("\"{text}\""))]),
        );
        pack_bytes(&t)
    };
    let base = pack_bytes(&tree);
    let m = merged(
        &base,
        &side(&screens[0], "a"),
        &side(&screens[1], "b"),
        false,
    );
    match &m.strategy {
        Strategy::Model(why) => assert!(why.contains("both sides added controls"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn different_new_controls_on_each_side_are_both_kept() {
    let tree = load("DuplicateScreen");
    let screens = screen_names(&tree);
    let side = |screen: &str, name: &str| {
        let mut t = tree.clone();
        add_control(
            &mut t,
            screen,
            new_control(name, "label", &[("Text", "\"new\"")]),
        );
        pack_bytes(&t)
    };
    let base = pack_bytes(&tree);
    let (ours, theirs) = (
        side(&screens[0], "OursLabel"),
        side(&screens[1], "TheirsLabel"),
    );
    // Both sides gave their new label the same fresh id and publish order: theirs takes the
    // next free ones, on the fast path as in the model merge.
    let fast = assert_fast_equals_model(&base, &ours, &theirs);
    let back = unpack_bytes(&fast, "merged");
    let ids = unique_ids(&back);
    assert_ne!(ids["OursLabel"], ids["TheirsLabel"]);
    assert_eq!(
        ids["OursLabel"],
        unique_ids(&unpack_bytes(&ours, "ours"))["OursLabel"]
    );
    assert_distinct_numbers(&back, &["OursLabel", "TheirsLabel"]);
}

/// No two controls share an id, and the `new` controls share no publish order with any other
/// control (real apps repeat some publish orders, screens' 0 among them).
fn assert_distinct_numbers(tree: &SourceTree, new: &[&str]) {
    let ids = unique_ids(tree);
    let mut seen = std::collections::HashMap::new();
    for (name, id) in &ids {
        if let Some(other) = seen.insert(*id, name) {
            panic!("{name} and {other} share id {id}");
        }
    }
    let entropy = read_json(tree, "Entropy/Entropy.json");
    let publish = entropy
        .get("PublishOrderIndices")
        .and_then(Json::as_object)
        .unwrap();
    for name in new {
        let mine = publish
            .get(name)
            .unwrap_or_else(|| panic!("{name} has no publish order"));
        for (other, value) in publish.iter() {
            assert!(
                other == *name || value != mine,
                "{name} and {other} share publish order"
            );
        }
    }
}

/// An app as Studio saves it after adding controls: the id counter covers the new ids.
fn studio_save(tree: &SourceTree) -> Vec<u8> {
    let mut back = unpack_bytes(&pack_bytes(tree), "side");
    let max = unique_ids(&back).into_values().max().unwrap_or(0);
    let counter = read_json(&back, "CanvasManifest.json")
        .get("Properties")
        .and_then(|p| p.get("LastControlUniqueId"))
        .cloned();
    let raised = match counter {
        Some(Json::String(_)) => Some(Json::str(max.to_string())),
        Some(_) => Some(Json::from_i64(max)),
        None => None,
    };
    if let Some(raised) = raised {
        edit_json(&mut back, "CanvasManifest.json", |m| {
            m.get_mut("Properties")
                .and_then(Json::as_object_mut)
                .unwrap()
                .insert("LastControlUniqueId", raised);
        });
    }
    pack_bytes(&back)
}

/// `tree` with a new label in `screen`, saved as Studio saves it.
fn with_new_label(tree: &SourceTree, screen: &str, name: &str) -> Vec<u8> {
    let mut t = tree.clone();
    add_control(
        &mut t,
        screen,
        new_control(name, "label", &[("Text", "\"new\"")]),
    );
    studio_save(&t)
}

fn counter_of(bytes: &[u8]) -> Option<i64> {
    read_json(&unpack_bytes(bytes, "app"), "CanvasManifest.json")
        .get("Properties")?
        .get("LastControlUniqueId")
        .and_then(|c| match c {
            Json::String(s) => s.parse().ok(),
            other => other.as_f64().map(|v| v as i64),
        })
}

#[test]
fn several_new_controls_on_both_sides_are_renumbered_as_the_model_merge_does() {
    let mut counters = 0;
    for app in [
        "AppWithLabel",
        "MyWeather",
        "DuplicateScreen",
        "ComponentTest",
    ] {
        let tree = save(&load(app));
        let screens = screen_names(&tree);
        let base = pack_bytes(&tree);
        let side = |prefix: &str, screen_pick: usize| {
            let mut t = tree.clone();
            for (i, name) in ["Zeta", "Alpha", "Mid"].iter().enumerate() {
                let screen = &screens[(screen_pick + i) % screens.len()];
                add_control(
                    &mut t,
                    screen,
                    new_control(&format!("{prefix}{name}"), "label", &[("Text", "\"new\"")]),
                );
            }
            studio_save(&t)
        };
        let (ours, theirs) = (side("Ours", 0), side("Theirs", 1));
        let fast = assert_fast_equals_model(&base, &ours, &theirs);
        let back = unpack_bytes(&fast, "merged");
        let new = [
            "OursZeta",
            "OursAlpha",
            "OursMid",
            "TheirsZeta",
            "TheirsAlpha",
            "TheirsMid",
        ];
        for name in new {
            assert!(control(&back, name).is_some(), "{app}: {name} lost");
        }
        assert_distinct_numbers(&back, &new);
        if let Some(counter) = counter_of(&fast) {
            let max = unique_ids(&back).into_values().max().unwrap();
            assert_eq!(counter, max, "{app}: LastControlUniqueId");
            counters += 1;
        }
    }
    assert_eq!(counters, 2, "the apps with an id counter");
}

#[test]
fn a_control_renamed_on_one_side_keeps_its_id_beside_new_controls_of_the_other() {
    let tree = save(&load("GroupControlTest"));
    let screens = screen_names(&tree);
    let (file, [(a, _), _]) = two_leaves_in_one_file(&tree).unwrap();
    let screen = blocks(&tree)[&file].name.clone();
    let base = pack_bytes(&tree);
    let ours = with_new_label(&tree, &screens[0], "OursNew");
    let mut t = tree.clone();
    rename_control(&mut t, &a, "RenamedByTheirs");
    add_control(
        &mut t,
        &screen,
        new_control("TheirsNew", "label", &[("Text", "\"t\"")]),
    );
    let theirs = studio_save(&t);
    let fast = assert_fast_equals_model(&base, &ours, &theirs);
    let back = unpack_bytes(&fast, "merged");
    assert_eq!(
        unique_ids(&back)["RenamedByTheirs"],
        unique_ids(&tree)[&a],
        "a rename keeps the id"
    );
    assert!(control(&back, &a).is_none());
    assert_distinct_numbers(&back, &["OursNew", "TheirsNew"]);
}

/// Studio rewrites the save time and load timings on every save: both sides change
/// `Header.json` and `Properties.json`, and the fast path still applies.
#[test]
fn save_time_and_volatile_properties_merge_on_the_fast_path() {
    let tree = load("EmptyLocalDBRefsHashMismatchProperties");
    let leaves = leaf_per_screen(&tree);
    let saved = |t: &mut SourceTree, when: &str, load_time: f64| {
        edit_json(t, "Entropy/Entropy.json", |e| {
            let e = e.as_object_mut().unwrap();
            e.insert("HeaderLastSavedDateTimeUTC", Json::str(when));
            if let Some(Json::Object(v)) = e.get_mut("VolatileProperties") {
                v.insert("AnalysisLoadTime", Json::from_f64(load_time));
            }
        });
    };
    let side = |i: usize, when: &str, load_time: f64| {
        let (_, ctl, prop) = &leaves[i];
        let mut t = tree.clone();
        let old = common::prop(&t, ctl, prop).unwrap();
        set_prop(&mut t, ctl, prop, &format!("If(true, {old}, \"x\")"));
        saved(&mut t, when, load_time);
        pack_bytes(&t)
    };
    let base = pack_bytes(&tree);
    let ours = side(1, "03/04/2026 10:00:00", 1.5);
    let theirs = side(leaves.len() - 1, "11/02/2026 08:30:00", 2.5);
    let result = assert_fast_equals_model(&base, &ours, &theirs);
    let app = app::parse_msapp(&result, "merged").unwrap();
    let header = app.json("Header.json").unwrap();
    assert_eq!(
        header.get("LastSavedDateTimeUTC").and_then(Json::as_str),
        Some("11/02/2026 08:30:00")
    );
    let props = app.json("Properties.json").unwrap();
    assert_eq!(
        props.get("AnalysisLoadTime").map(json::to_compact_string),
        Some("1.5".to_string()),
        "a clash in a volatile property keeps ours, as the model merge does"
    );
}

/// A side written by another zip writer (entries reordered, recompressed) holds the same
/// entries: the fast path compares their content, not their bytes.
/// Both sides changed the app checker's report in the same place: the report is a cache, so
/// ours wins, and either path says so for review.
#[test]
fn a_clash_in_the_app_checker_report_is_noted_on_the_fast_path_too() {
    let tree = load("MyWeather");
    let path = "Entropy/AppCheckerResult.sarif";
    let report = String::from_utf8(tree.get(path).unwrap().to_vec()).unwrap();
    let side = |tag: &str| {
        let mut t = tree.clone();
        let edited = report.replacen("\"version\"", &format!("\"zz\": \"{tag}\", \"version\""), 1);
        assert_ne!(edited, report);
        t.insert(path, edited.into_bytes());
        pack_bytes(&t)
    };
    let base = pack_bytes(&tree);
    let (ours, theirs) = (side("ours"), side("theirs"));
    let fast = merged(&base, &ours, &theirs, false);
    assert!(
        matches!(fast.strategy, Strategy::Entries),
        "{}",
        fast.strategy
    );
    let model = merged(&base, &ours, &theirs, true);
    assert_eq!(reported(&fast), reported(&model));
    assert_eq!(
        reported(&fast),
        [
            "note Entropy/AppCheckerResult.sarif: changed on both sides; kept ours where they clash (a cache)"
        ]
    );
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
}

#[test]
fn a_recompressed_side_still_takes_the_fast_path() {
    let tree = load("ComponentTest");
    let leaves = leaf_per_screen(&tree);
    let base = pack_bytes(&tree);
    let ours = resave(&edited(&tree, &leaves[0].1, &leaves[0].2, "ours"));
    let theirs = edited(&tree, &leaves[2].1, &leaves[2].2, "theirs");
    assert_fast_equals_model(&resave(&base), &ours, &theirs);
}

#[test]
fn the_fast_path_is_deterministic() {
    let tree = load("ComponentTest");
    let leaves = leaf_per_screen(&tree);
    let base = pack_bytes(&tree);
    let ours = edited(&tree, &leaves[0].1, &leaves[0].2, "ours");
    let theirs = edited(&tree, &leaves[3].1, &leaves[3].2, "theirs");
    let first = merged(&base, &ours, &theirs, false);
    let again = merged(&base, &ours, &theirs, false);
    assert_eq!(first.strategy, Strategy::Entries);
    assert!(
        first.merged == again.merged,
        "two runs gave different bytes"
    );
    // The same with a screen changed on both sides.
    let (_, [(a, pa), (b, pb)]) = two_leaves_in_one_file(&tree).unwrap();
    let ours = edited(&tree, &a, &pa, "ours");
    let theirs = edited(&tree, &b, &pb, "theirs");
    let first = merged(&base, &ours, &theirs, false);
    let again = merged(&base, &ours, &theirs, false);
    assert!(
        matches!(first.strategy, Strategy::Screens { .. }),
        "{}",
        first.strategy
    );
    assert!(
        first.merged == again.merged,
        "two runs gave different bytes"
    );
}

/// A screen's `Index` is its place in the app's screen order, which the reduced app cannot
/// know: a side that also moved the screen sends the merge to the whole app.
#[test]
fn a_moved_screen_changed_on_both_sides_is_left_to_the_whole_app_merge() {
    let tree = load("ComponentTest");
    let (file, [(a, pa), (b, pb)]) = two_leaves_in_one_file(&tree).unwrap();
    let screen = blocks(&tree)[&file].name.clone();
    let base = pack_bytes(&tree);
    let mut moved = tree.clone();
    let mut order = screen_order(&moved);
    assert!(order.len() >= 2, "{order:?}");
    order.retain(|s| *s != screen);
    order.push(screen.clone());
    let old = common::prop(&moved, &a, &pa).unwrap();
    set_prop(&mut moved, &a, &pa, &format!("If(true, {old}, \"ours\")"));
    set_screen_order(&mut moved, &order);
    let ours = pack_bytes(&moved);
    let theirs = edited(&tree, &b, &pb, "theirs");
    let fast = merged(&base, &ours, &theirs, false);
    let model = merged(&base, &ours, &theirs, true);
    assert!(fast.is_clean(), "{:?}", fast.conflicts);
    assert!(
        !matches!(fast.strategy, Strategy::Screens { .. }),
        "{}",
        fast.strategy
    );
    assert_eq!(
        content_checksum(&fast.merged),
        content_checksum(&model.merged)
    );
    let back = unpack_bytes(&fast.merged, "merged");
    assert_eq!(screen_order(&back).last(), Some(&screen));
}

/// Conflict markers in a side are the model merge's to refuse, with the formula named.
#[test]
fn conflict_markers_in_a_changed_screen_are_refused() {
    let tree = load("ComponentTest");
    let leaves = leaf_per_screen(&tree);
    let base = pack_bytes(&tree);
    let (_, ctl, prop) = &leaves[0];
    let mut t = tree.clone();
    set_prop(
        &mut t,
        ctl,
        prop,
        "\n<<<<<<< HEAD\n1\n=======\n2\n>>>>>>> feature",
    );
    let ours = pack_bytes(&t);
    let theirs = edited(&tree, &leaves[2].1, &leaves[2].2, "theirs");
    let err = merge_apps(&base, &ours, &theirs, &options())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("conflict markers") && err.contains(ctl.as_str()),
        "{err}"
    );
}

/// The cache of checksum values only saves work: a warm run writes the same bytes as a cold
/// one, and the stamp is still the app's content checksum.
#[test]
fn the_checksum_cache_changes_nothing_but_time() {
    let tree = load("ComponentTest");
    let leaves = leaf_per_screen(&tree);
    let base = pack_bytes(&tree);
    let ours = edited(&tree, &leaves[0].1, &leaves[0].2, "ours");
    let theirs = edited(&tree, &leaves[3].1, &leaves[3].2, "theirs");
    let dir = tempfile::tempdir().unwrap();
    let opts = MergeOptions {
        checksum_cache: Some(dir.path().join("git").join("checksum-values")),
        ..options()
    };
    let cold = merge_apps(&base, &ours, &theirs, &opts).unwrap();
    assert_eq!(cold.strategy, Strategy::Entries);
    let size = std::fs::metadata(dir.path().join("git").join("checksum-values"))
        .unwrap()
        .len();
    assert!(size > 8, "nothing was cached");
    let warm = merge_apps(&base, &ours, &theirs, &opts).unwrap();
    assert!(warm.merged == cold.merged, "the warm run wrote other bytes");
    assert_eq!(stamp(&warm.merged), content_checksum(&warm.merged));
    let uncached = merged(&base, &ours, &theirs, false);
    assert!(uncached.merged == cold.merged);
}

/// The cache remembers which controls an unchanged entry names, to skip reading it when a
/// side added nothing; a later merge where that side does add controls must still see them.
#[test]
fn a_warm_cache_still_sees_new_controls_on_both_sides() {
    let tree = save(&load("DuplicateScreen"));
    let screens = screen_names(&tree);
    let base = pack_bytes(&tree);
    let leaves = leaf_per_screen(&tree);
    // A formula of the other screen (its file name may differ from its name).
    let leaf = leaves
        .iter()
        .find(|l| l.0 != "Src/App.fx.yaml" && l.0 != format!("Src/{}.fx.yaml", screens[0]))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = MergeOptions {
        checksum_cache: Some(dir.path().join("git").join("checksum-values")),
        ..options()
    };
    let ours = with_new_label(&tree, &screens[0], "OursNew");
    let only_edited = edited(&tree, &leaf.1, &leaf.2, "theirs");
    let first = merge_apps(&base, &ours, &only_edited, &opts).unwrap();
    assert_eq!(first.strategy, Strategy::Entries);
    let theirs = with_new_label(&tree, &screens[1], "TheirsNew");
    let warm = merge_apps(&base, &ours, &theirs, &opts).unwrap();
    let uncached = merged(&base, &ours, &theirs, false);
    assert_eq!(warm.strategy, Strategy::Entries);
    assert!(
        warm.merged == uncached.merged,
        "the warm run wrote other bytes"
    );
    assert_distinct_numbers(
        &unpack_bytes(&warm.merged, "merged"),
        &["OursNew", "TheirsNew"],
    );
}

/// A side whose controls changed but whose `Src/*.pa.yaml` did not was written by a tool that
/// left Studio's YAML stale: the model merge renders it again rather than keep it.
#[test]
fn stale_pa_yaml_goes_to_the_model_merge() {
    let tree = load("AppWithCategoryAndControlPropertyState");
    let leaves = leaf_per_screen(&tree);
    assert!(leaves.len() >= 2, "{leaves:?}");
    let base = pack_bytes(&tree);
    let fresh = edited(&tree, &leaves[1].1, &leaves[1].2, "ours");
    let theirs = edited(&tree, &leaves[0].1, &leaves[0].2, "theirs");
    assert_fast_equals_model(&base, &fresh, &theirs);

    let limits = msapp_merge::container::Limits::default();
    let old_yaml: Vec<(String, Vec<u8>)> =
        msapp_merge::container::read_archive(&base, "b", &limits)
            .unwrap()
            .entries
            .into_iter()
            .filter(|e| e.name.ends_with(".pa.yaml"))
            .map(|e| (e.name, e.data))
            .collect();
    let stale: Vec<(String, Vec<u8>)> = msapp_merge::container::read_archive(&fresh, "o", &limits)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| match old_yaml.iter().find(|(n, _)| *n == e.name) {
            Some((n, d)) => (n.clone(), d.clone()),
            None => (e.name, e.data),
        })
        .collect();
    let ours = msapp_merge::container::write_archive(&stale).unwrap();
    let m = merged(&base, &ours, &theirs, false);
    match &m.strategy {
        Strategy::Model(why) => assert!(why.contains("Src/*.pa.yaml"), "{why}"),
        other => panic!("{other:?}"),
    }
    let fast = merged(&base, &fresh, &theirs, false);
    assert_eq!(
        content_checksum(&m.merged),
        content_checksum(&fast.merged),
        "the YAML was not rendered again"
    );
}

#[test]
fn a_new_screen_on_one_side_and_new_controls_on_the_other_stay_on_the_fast_path() {
    for app in ["MyWeather", "DuplicateScreen"] {
        let tree = save(&load(app));
        let screens = screen_names(&tree);
        let base = pack_bytes(&tree);
        let ours = with_new_label(&tree, &screens[0], "OursNew");
        let mut t = tree.clone();
        add_screen(
            &mut t,
            with_children(
                new_control("TheirsScreen", "screen", &[("Fill", "White")]),
                vec![new_control("TheirsLabel", "label", &[("Text", "\"t\"")])],
            ),
        );
        let theirs = studio_save(&t);
        let fast = assert_fast_equals_model(&base, &ours, &theirs);
        let back = unpack_bytes(&fast, "merged");
        assert!(
            screen_names(&back).contains(&"TheirsScreen".to_string()),
            "{app}"
        );
        assert_distinct_numbers(&back, &["OursNew", "TheirsLabel"]);
    }
}

/// A component instance's formulas are read against its definition: a screen merged on its
/// own carries the definitions it uses, and only those.
#[test]
fn a_component_instance_edited_beside_another_change_in_its_screen() {
    let tree = load("ComponentTest");
    let components: std::collections::BTreeSet<String> = blocks(&tree)
        .iter()
        .filter(|(path, _)| path.starts_with("Src/Components/"))
        .map(|(_, b)| b.name.clone())
        .collect();
    let mut checked = 0;
    for (path, top) in blocks(&tree) {
        if path.starts_with("Src/Components/") || top.name == "App" {
            continue;
        }
        let Some(instance) = top
            .children
            .iter()
            .find(|c| components.contains(&c.type_name) && !c.properties.is_empty())
        else {
            continue;
        };
        let Some(other) = top
            .children
            .iter()
            .find(|c| c.name != instance.name && !c.properties.is_empty())
        else {
            continue;
        };
        let base = pack_bytes(&tree);
        let ours = edited(&tree, &instance.name, &instance.properties[0].name, "ours");
        let theirs = edited(&tree, &other.name, &other.properties[0].name, "theirs");
        let fast = assert_fast_equals_model(&base, &ours, &theirs);
        let back = unpack_bytes(&fast, "merged");
        let formula = common::prop(&back, &instance.name, &instance.properties[0].name).unwrap();
        assert!(formula.contains("\"ours\""), "{path}: {formula}");
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} screens with an edited instance"
    );
}
