//! What the model merge holds on to: editor-state entries a side shares with the base are one
//! allocation, and a clean merge keeps no second copy of the tree for a conflict workspace.
//! (The peak memory itself is measured by the benchmark, not asserted here.)

#[path = "merge_common/mod.rs"]
mod common;

use std::sync::Arc;

use common::*;
use msapp_merge::json::Json;
use msapp_merge::merge::controls::SideControls;
use msapp_merge::source::SourceTree;

#[test]
fn editor_state_equal_to_the_base_shares_its_allocation() {
    let base = load("MyWeather");
    let mut ours = base.clone();
    let top = top_of(&ours, "Label1");
    edit_state_file(&mut ours, &top, |states| {
        if let Some(Json::Object(label)) = states.get_mut("Label1") {
            label.insert("StyleName", Json::str("changedStyle"));
        }
    });

    let base_side = SideControls::read(&base).unwrap();
    let ours_side = SideControls::read_sharing(&ours, Some(&base_side)).unwrap();
    let alone = SideControls::read(&ours).unwrap();
    assert!(base_side.states.len() > 3, "the app has controls to share");
    for (name, (state, top)) in &ours_side.states {
        let (base_state, base_top) = &base_side.states[name];
        assert_eq!(top, base_top);
        // Sharing never changes what a side reads.
        assert_eq!(**state, *alone.states[name].0, "{name}");
        if name == "Label1" {
            assert!(!Arc::ptr_eq(state, base_state), "the edited entry is ours");
            assert_ne!(**state, **base_state);
        } else {
            assert!(Arc::ptr_eq(state, base_state), "{name} is the base's");
        }
    }
}

#[test]
fn a_clean_merge_keeps_no_workspace_and_a_conflicted_one_shows_the_whole_tree() {
    let base = load("MyWeather");
    let mut ours = base.clone();
    set_prop(&mut ours, "Label1", "Text", "\"ours\"");
    let mut theirs = base.clone();
    set_prop(&mut theirs, "Label1", "Color", "RGBA(1, 2, 3, 1)");
    let (ours, theirs) = (save(&ours), save(&theirs));

    let clean = merge(&base, &ours, &theirs);
    assert!(clean.conflicts.is_empty(), "{}", describe_conflicts(&clean));
    assert!(clean.workspace.files.is_empty());
    assert_eq!(
        prop(&clean.tree, "Label1", "Text").as_deref(),
        Some("\"ours\"")
    );

    let mut theirs = base.clone();
    set_prop(&mut theirs, "Label1", "Text", "\"theirs\"");
    let conflicted = merge(&base, &ours, &save(&theirs));
    assert_eq!(conflicted.conflicts.len(), 1);
    let paths = |t: &SourceTree| t.files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(paths(&conflicted.workspace), paths(&conflicted.tree));
    let marked = prop(&conflicted.workspace, "Label1", "Text").unwrap();
    assert!(marked.contains("<<<<<<< HEAD"), "{marked}");
    // Every file without a conflict reads as in the merged tree.
    let differing: Vec<&String> = conflicted
        .tree
        .files
        .iter()
        .filter(|(p, b)| conflicted.workspace.get(p) != Some(b.as_slice()))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert!(differing[0].ends_with(".fx.yaml"), "{differing:?}");
}

#[test]
fn the_merged_tree_is_compared_with_the_sides_whose_control_files_were_let_go() {
    use msapp_merge::merge::tree::{SameAs, merge_owned_trees};
    let base = load("MyWeather");
    let edit = |ctl: &str, prop: &str, formula: &str| {
        let mut tree = base.clone();
        set_prop(&mut tree, ctl, prop, formula);
        save(&tree)
    };
    let label_text = edit("Label1", "Text", "\"ours\"");
    let label_color = edit("Label1", "Color", "RGBA(1, 2, 3, 1)");
    let same_as = |b: &SourceTree, o: &SourceTree, t: &SourceTree| {
        let (m, same) = merge_owned_trees(b.clone(), o.clone(), t.clone(), &options()).unwrap();
        assert!(m.conflicts.is_empty(), "{}", describe_conflicts(&m));
        // What the by-reference merge returns is the same merge.
        assert_eq!(m.tree, merge(b, o, t).tree);
        let expected = [(SameAs::Ours, o), (SameAs::Theirs, t)]
            .into_iter()
            .find(|(_, side)| m.tree == **side)
            .map(|(which, _)| which);
        assert_eq!(same, expected);
        same
    };
    assert_eq!(same_as(&base, &label_text, &base), Some(SameAs::Ours));
    assert_eq!(same_as(&base, &base, &label_color), Some(SameAs::Theirs));
    assert_eq!(same_as(&base, &label_text, &label_text), Some(SameAs::Ours));
    // Both sides changed the same screen file: the merge is neither side.
    assert_eq!(same_as(&base, &label_text, &label_color), None);
}
