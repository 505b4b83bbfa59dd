//! Helpers for merge tests: load corpus apps as source trees, edit them the way a maker would
//! in Studio (formulas, controls, screens, JSON files), save them like Studio (pack and unpack
//! again, which assigns ids and editor state), and check merged trees for the cross-file
//! invariants of merge-cases.md §4.2.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use msapp_merge::app;
use msapp_merge::fxyaml::{self, Block, Property};
use msapp_merge::json::{self, Json};
use msapp_merge::merge::app::merge_apps;
use msapp_merge::merge::conflict::{Conflict, ConflictKind};
use msapp_merge::merge::controls::SideControls;
use msapp_merge::merge::tree::{MergeOptions, TreeMerge, merge_trees};
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;

pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.join("corpus").is_dir(),
        "../shared/corpus is missing: these tests need the shared corpus next to the repository"
    );
    p
}

/// A corpus app by name: `MyWeather` (corpus/apps) or `pairs/weather` (corpus/pairs).
pub fn app_path(name: &str) -> PathBuf {
    match name.strip_prefix("pairs/") {
        Some(pair) => shared().join("corpus/pairs").join(pair).join("app.msapp"),
        None => shared().join("corpus/apps").join(format!("{name}.msapp")),
    }
}

/// Every corpus app: the apps and the pairs.
pub fn corpus_apps() -> Vec<PathBuf> {
    let dir = shared().join("corpus/apps");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "msapp"))
        .collect();
    apps.sort();
    let mut pairs: Vec<PathBuf> = std::fs::read_dir(shared().join("corpus/pairs"))
        .unwrap()
        .map(|e| e.unwrap().path().join("app.msapp"))
        .filter(|p| p.is_file())
        .collect();
    pairs.sort();
    apps.extend(pairs);
    apps
}

pub fn unpack_bytes(bytes: &[u8], label: &str) -> SourceTree {
    let app = app::parse_msapp(bytes, label).unwrap_or_else(|e| panic!("{label}: {e}"));
    app::unpack_app(&app, label, &UnpackOptions::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"))
        .0
}

pub fn load(name: &str) -> SourceTree {
    let bytes = std::fs::read(app_path(name)).unwrap();
    unpack_bytes(&bytes, name)
}

pub fn pack_bytes(tree: &SourceTree) -> Vec<u8> {
    let (app, _) = app::pack_tree(tree).unwrap_or_else(|e| panic!("pack: {e}"));
    app::msapp_bytes(&app).unwrap()
}

/// What Studio would save after the edits: the tree packed and unpacked again, so new
/// controls get unique ids, editor state and publish order like a real branch would.
pub fn save(tree: &SourceTree) -> SourceTree {
    unpack_bytes(&pack_bytes(tree), "saved side")
}

// ---------------------------------------------------------------------------------------
// Reading and editing controls.

pub fn is_control_file(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("Src/") else {
        return false;
    };
    let file = rest.strip_prefix("Components/").unwrap_or(rest);
    !file.contains('/') && file.ends_with(".fx.yaml")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// The top-level blocks of the tree, by file path.
pub fn blocks(tree: &SourceTree) -> BTreeMap<String, Block> {
    tree.files
        .iter()
        .filter(|(p, _)| is_control_file(p))
        .map(|(p, b)| (p.clone(), fxyaml::parse(text(b), p).unwrap().block))
        .collect()
}

fn find_mut<'a>(block: &'a mut Block, name: &str) -> Option<&'a mut Block> {
    if block.name == name {
        return Some(block);
    }
    block.children.iter_mut().find_map(|c| find_mut(c, name))
}

fn find<'a>(block: &'a Block, name: &str) -> Option<&'a Block> {
    if block.name == name {
        return Some(block);
    }
    block.children.iter().find_map(|c| find(c, name))
}

/// Runs `f` on the block of control `name` and writes its file back.
pub fn with_control(tree: &mut SourceTree, name: &str, f: impl FnOnce(&mut Block)) {
    for (path, mut top) in blocks(tree) {
        if let Some(b) = find_mut(&mut top, name) {
            f(b);
            tree.insert(path, fxyaml::write(&top).into_bytes());
            return;
        }
    }
    panic!("no control {name}");
}

/// A copy of control `name`'s block, if any file has it.
pub fn control(tree: &SourceTree, name: &str) -> Option<Block> {
    blocks(tree)
        .values()
        .find_map(|top| find(top, name).cloned())
}

/// The formula of `ctl.prop`, `None` when the control or the property is absent.
pub fn prop(tree: &SourceTree, ctl: &str, prop: &str) -> Option<String> {
    control(tree, ctl)?
        .properties
        .iter()
        .find(|p| p.name == prop)
        .map(|p| p.formula.clone())
}

pub fn set_prop(tree: &mut SourceTree, ctl: &str, name: &str, formula: &str) {
    with_control(tree, ctl, |b| {
        match b.properties.iter_mut().find(|p| p.name == name) {
            Some(p) => p.formula = formula.to_string(),
            None => b.properties.push(property(name, formula)),
        }
    });
}

pub fn remove_prop(tree: &mut SourceTree, ctl: &str, name: &str) {
    with_control(tree, ctl, |b| {
        let before = b.properties.len();
        b.properties.retain(|p| p.name != name);
        assert_ne!(before, b.properties.len(), "{ctl}.{name} was not set");
    });
}

pub fn property(name: &str, formula: &str) -> Property {
    Property {
        name: name.into(),
        formula: formula.into(),
        line: 0,
    }
}

/// `Name As type[.variant]` with properties (a ZIndex is the caller's business).
pub fn new_control(name: &str, type_name: &str, props: &[(&str, &str)]) -> Block {
    let (type_name, variant) = match type_name.split_once('.') {
        Some((t, v)) => (t.to_string(), Some(v.to_string())),
        None => (type_name.to_string(), None),
    };
    Block {
        name: name.into(),
        type_name,
        variant,
        properties: props.iter().map(|(n, f)| property(n, f)).collect(),
        ..Block::default()
    }
}

pub fn with_children(mut block: Block, children: Vec<Block>) -> Block {
    block.children = children;
    block
}

/// Adds `child` as the last child of `parent`, with the next ZIndex unless it has one, and a
/// minimal editor state placing it last (Studio's `ParentIndex`; pack fills in the rest).
pub fn add_control(tree: &mut SourceTree, parent: &str, mut child: Block) {
    let mut siblings = Vec::new();
    with_control(tree, parent, |p| {
        if !child.properties.iter().any(|x| x.name == "ZIndex") {
            let z = p
                .children
                .iter()
                .map(fxyaml::zindex_key)
                .fold(0.0, f64::max) as i64
                + 1;
            child.properties.push(property("ZIndex", &z.to_string()));
        }
        siblings = p.children.iter().map(|c| c.name.clone()).collect();
        p.children.push(child.clone());
    });
    let top = top_of(tree, parent);
    let last = siblings
        .iter()
        .filter_map(|s| state(tree, s)?.1.get("ParentIndex")?.as_f64())
        .fold(-1.0, f64::max) as i64;
    let mut states = Vec::new();
    minimal_states(&child, last + 1, &mut states);
    if has_state_file(tree, &top) {
        edit_state_file(tree, &top, |s| s.0.extend(states));
    }
}

fn minimal_states(block: &Block, index: i64, out: &mut Vec<(String, Json)>) {
    let mut entry = json::Object::new();
    entry.insert("Name", Json::str(&block.name));
    entry.insert("ParentIndex", Json::from_i64(index));
    out.push((block.name.clone(), Json::Object(entry)));
    for (i, c) in block.children.iter().enumerate() {
        minimal_states(c, i as i64, out);
    }
}

fn has_state_file(tree: &SourceTree, top: &str) -> bool {
    tree.under("Src/EditorState").any(|(_, b)| {
        json::parse_bytes(b)
            .ok()
            .and_then(|d| {
                d.get("TopParentName")
                    .and_then(|t| t.as_str().map(String::from))
            })
            .as_deref()
            == Some(top)
    })
}

/// Every control name in `block`'s subtree.
pub fn subtree_names(block: &Block) -> Vec<String> {
    let mut out = vec![block.name.clone()];
    for c in &block.children {
        out.extend(subtree_names(c));
    }
    out
}

/// Removes a control with its subtree, and their editor state, as Studio's delete does.
pub fn remove_control(tree: &mut SourceTree, name: &str) -> Block {
    let mut removed = None;
    for (path, mut top) in blocks(tree) {
        if take_child(&mut top, name, &mut removed) {
            tree.insert(path, fxyaml::write(&top).into_bytes());
            break;
        }
    }
    let removed = removed.unwrap_or_else(|| panic!("no control {name} to remove"));
    let names = subtree_names(&removed);
    edit_states(tree, |states| states.0.retain(|(k, _)| !names.contains(k)));
    removed
}

fn take_child(block: &mut Block, name: &str, removed: &mut Option<Block>) -> bool {
    if let Some(i) = block.children.iter().position(|c| c.name == name) {
        *removed = Some(block.children.remove(i));
        return true;
    }
    block
        .children
        .iter_mut()
        .any(|c| take_child(c, name, removed))
}

/// Moves a control (with its subtree) under another parent, keeping its editor state.
pub fn move_control(tree: &mut SourceTree, name: &str, new_parent: &str) {
    let mut removed = None;
    for (path, mut top) in blocks(tree) {
        if take_child(&mut top, name, &mut removed) {
            tree.insert(path, fxyaml::write(&top).into_bytes());
            break;
        }
    }
    let block = removed.unwrap_or_else(|| panic!("no control {name} to move"));
    let mut moved = block.clone();
    moved.properties.retain(|p| p.name != "ZIndex");
    // The editor state follows to the new top parent's file.
    let names = subtree_names(&block);
    let mut states = Vec::new();
    edit_states(tree, |s| {
        s.0.retain(|(k, v)| {
            if names.contains(k) {
                states.push((k.clone(), v.clone()));
                false
            } else {
                true
            }
        })
    });
    add_control(tree, new_parent, moved);
    let top = top_of(tree, new_parent);
    if !has_state_file(tree, &top) {
        return;
    }
    edit_state_file(tree, &top, |s| {
        for (k, mut old_state) in states {
            if k == name
                && let Some(pi) = s.get(&k).and_then(|m| m.get("ParentIndex")).cloned()
                && let Some(o) = old_state.as_object_mut()
            {
                o.insert("ParentIndex", pi);
            }
            s.insert(k, old_state);
        }
    });
}

/// The top parent (screen, App, component) holding control `name`.
pub fn top_of(tree: &SourceTree, name: &str) -> String {
    blocks(tree)
        .values()
        .find(|top| find(top, name).is_some())
        .map(|t| t.name.clone())
        .unwrap_or_else(|| panic!("no control {name}"))
}

/// Runs `f` on every editor-state file's `ControlStates`.
pub fn edit_states(tree: &mut SourceTree, mut f: impl FnMut(&mut json::Object)) {
    let paths: Vec<String> = tree
        .under("Src/EditorState")
        .map(|(p, _)| p.into())
        .collect();
    for path in paths {
        edit_json(tree, &path, |doc| {
            if let Some(Json::Object(s)) = doc.get_mut("ControlStates") {
                f(s);
            }
        });
    }
}

/// Runs `f` on the `ControlStates` of top parent `top`'s editor-state file.
pub fn edit_state_file(tree: &mut SourceTree, top: &str, f: impl FnOnce(&mut json::Object)) {
    let path = tree
        .under("Src/EditorState")
        .find(|(_, b)| {
            json::parse_bytes(b)
                .ok()
                .and_then(|d| {
                    d.get("TopParentName")
                        .and_then(|t| t.as_str().map(String::from))
                })
                .as_deref()
                == Some(top)
        })
        .map(|(p, _)| p.to_string())
        .unwrap_or_else(|| panic!("no editor state file for {top}"));
    edit_json(tree, &path, |doc| {
        if let Some(Json::Object(s)) = doc.get_mut("ControlStates") {
            f(s);
        }
    });
}

/// The editor state of control `name`, from whichever file holds it.
pub fn state(tree: &SourceTree, name: &str) -> Option<(String, Json)> {
    tree.under("Src/EditorState").find_map(|(_, b)| {
        let doc = json::parse_bytes(b).ok()?;
        let top = doc.get("TopParentName")?.as_str()?.to_string();
        Some((top, doc.get("ControlStates")?.get(name)?.clone()))
    })
}

pub fn edit_json(tree: &mut SourceTree, path: &str, f: impl FnOnce(&mut Json)) {
    let mut doc = json::parse_bytes(tree.get(path).unwrap_or_else(|| panic!("no {path}"))).unwrap();
    f(&mut doc);
    tree.insert_json(path, &doc);
}

pub fn read_json(tree: &SourceTree, path: &str) -> Json {
    json::parse_bytes(tree.get(path).unwrap_or_else(|| panic!("no {path}"))).unwrap()
}

/// Renames a control everywhere Studio does: its block, editor state, entropy keys, the
/// manifest's screen order and file names for top parents, and whole-word references in
/// formulas.
pub fn rename_control(tree: &mut SourceTree, old: &str, new: &str) {
    let is_top = blocks(tree).values().any(|t| t.name == old);
    let mut renamed = SourceTree::new();
    for (path, bytes) in &tree.files {
        let mut path = path.clone();
        let mut bytes = bytes.clone();
        if is_control_file(&path) {
            let mut top = fxyaml::parse(text(&bytes), &path).unwrap().block;
            rename_in_block(&mut top, old, new);
            bytes = fxyaml::write(&top).into_bytes();
            if is_top && path == format!("Src/{old}.fx.yaml") {
                path = format!("Src/{new}.fx.yaml");
            }
        } else if path.starts_with("Src/EditorState/") {
            let mut doc = json::parse_bytes(&bytes).unwrap();
            if let Some(Json::Object(s)) = doc.get_mut("ControlStates") {
                for (k, v) in s.0.iter_mut() {
                    if k == old {
                        *k = new.to_string();
                        if let Some(o) = v.as_object_mut() {
                            o.insert("Name", Json::str(new));
                        }
                    }
                }
            }
            if is_top && doc.get("TopParentName").and_then(Json::as_str) == Some(old) {
                doc.as_object_mut()
                    .unwrap()
                    .insert("TopParentName", Json::str(new));
                path = format!("Src/EditorState/{new}.editorstate.json");
            }
            bytes = json::to_normalized_string(&doc).into_bytes();
        } else if path == "Entropy/Entropy.json" {
            let mut doc = json::parse_bytes(&bytes).unwrap();
            if let Json::Object(e) = &mut doc {
                for (_, map) in e.0.iter_mut() {
                    if let Json::Object(m) = map {
                        for (k, _) in m.0.iter_mut() {
                            if k == old {
                                *k = new.to_string();
                            }
                        }
                    }
                }
            }
            bytes = json::to_normalized_string(&doc).into_bytes();
        }
        renamed.insert(path, bytes);
    }
    *tree = renamed;
    if is_top {
        let order: Vec<String> = screen_order(tree)
            .into_iter()
            .map(|s| if s == old { new.to_string() } else { s })
            .collect();
        set_screen_order(tree, &order);
    }
}

fn rename_in_block(block: &mut Block, old: &str, new: &str) {
    if block.name == old {
        block.name = new.to_string();
    }
    for p in &mut block.properties {
        p.formula = replace_word(&p.formula, old, new);
    }
    for c in &mut block.children {
        rename_in_block(c, old, new);
    }
}

/// Replaces whole identifier tokens `old` (not inside longer identifiers, not after `.`).
pub fn replace_word(text: &str, old: &str, new: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(old) {
        let before = rest[..i].chars().last().or(prev);
        let after = rest[i + old.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(|c| is_ident(c) || c == '.') || after.is_some_and(is_ident) {
            out.push_str(old);
        } else {
            out.push_str(new);
        }
        prev = old.chars().last();
        rest = &rest[i + old.len()..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// Screens and the manifest.

/// The names of the app's screens (every top-level file but the App and components).
pub fn screen_names(tree: &SourceTree) -> Vec<String> {
    blocks(tree)
        .into_iter()
        .filter(|(p, _)| p != "Src/App.fx.yaml" && !p.starts_with("Src/Components/"))
        .map(|(_, b)| b.name)
        .collect()
}

pub fn screen_order(tree: &SourceTree) -> Vec<String> {
    read_json(tree, "CanvasManifest.json")
        .get("ScreenOrder")
        .and_then(Json::as_array)
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

pub fn set_screen_order(tree: &mut SourceTree, order: &[String]) {
    edit_json(tree, "CanvasManifest.json", |m| {
        m.as_object_mut().unwrap().insert(
            "ScreenOrder",
            Json::Array(order.iter().map(Json::str).collect()),
        );
    });
}

/// Adds a screen (its file and its place at the end of `ScreenOrder`).
pub fn add_screen(tree: &mut SourceTree, screen: Block) {
    let name = screen.name.clone();
    tree.insert(
        format!("Src/{name}.fx.yaml"),
        fxyaml::write(&screen).into_bytes(),
    );
    let mut order = screen_order(tree);
    order.push(name);
    set_screen_order(tree, &order);
}

/// Deletes a screen: its file, its editor-state file and its `ScreenOrder` entry.
pub fn delete_screen(tree: &mut SourceTree, name: &str) {
    let path = blocks(tree)
        .into_iter()
        .find(|(_, b)| b.name == name)
        .map(|(p, _)| p)
        .unwrap_or_else(|| panic!("no screen {name}"));
    tree.files.remove(&path);
    let state: Vec<String> = tree
        .under("Src/EditorState")
        .filter(|(_, b)| {
            json::parse_bytes(b)
                .ok()
                .and_then(|d| {
                    d.get("TopParentName")
                        .and_then(|t| t.as_str().map(String::from))
                })
                .as_deref()
                == Some(name)
        })
        .map(|(p, _)| p.to_string())
        .collect();
    for p in state {
        tree.files.remove(&p);
    }
    let order: Vec<String> = screen_order(tree)
        .into_iter()
        .filter(|s| s != name)
        .collect();
    set_screen_order(tree, &order);
}

// ---------------------------------------------------------------------------------------
// Merging and checking results.

pub fn options() -> MergeOptions {
    let mut opts = MergeOptions::default();
    opts.text.labels.base = "merged common ancestors".into();
    opts.text.labels.ours = "HEAD".into();
    opts.text.labels.theirs = "feature/theirs".into();
    opts
}

pub fn merge(base: &SourceTree, ours: &SourceTree, theirs: &SourceTree) -> TreeMerge {
    merge_trees(base, ours, theirs, &options()).unwrap_or_else(|e| panic!("merge failed: {e}"))
}

pub fn describe_conflicts(m: &TreeMerge) -> String {
    m.conflicts
        .iter()
        .map(|c| format!("{} [{:?}]", c.at, c.kind))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn assert_clean(m: &TreeMerge) {
    assert!(
        m.conflicts.is_empty(),
        "expected a clean merge, got conflicts: {}",
        describe_conflicts(m)
    );
}

/// The one conflict whose `at` contains `at`, asserting its kind.
pub fn conflict_at<'a>(m: &'a TreeMerge, at: &str, kind: ConflictKind) -> &'a Conflict {
    let mut found: Vec<&Conflict> = m.conflicts.iter().filter(|c| c.at == at).collect();
    if found.is_empty() {
        found = m.conflicts.iter().filter(|c| c.at.contains(at)).collect();
    }
    assert!(
        !found.is_empty(),
        "expected a conflict at {at}, got: {}",
        describe_conflicts(m)
    );
    found
        .into_iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| {
            panic!(
                "conflict at {at} is not {kind:?}: {}",
                describe_conflicts(m)
            )
        })
}

/// Every control of the tree: name -> (parent, top parent).
pub fn controls(tree: &SourceTree) -> HashMap<String, (Option<String>, String)> {
    fn walk(
        b: &Block,
        parent: Option<&str>,
        top: &str,
        out: &mut HashMap<String, (Option<String>, String)>,
        dups: &mut Vec<String>,
    ) {
        if out
            .insert(b.name.clone(), (parent.map(String::from), top.to_string()))
            .is_some()
        {
            dups.push(b.name.clone());
        }
        for c in &b.children {
            walk(c, Some(&b.name), top, out, dups);
        }
    }
    let mut out = HashMap::new();
    let mut dups = Vec::new();
    for (path, top) in blocks(tree) {
        if path.starts_with("Src/Tests/") {
            continue;
        }
        walk(&top, None, &top.name.clone(), &mut out, &mut dups);
    }
    assert!(dups.is_empty(), "control names defined twice: {dups:?}");
    out
}

pub fn parent_of(tree: &SourceTree, name: &str) -> Option<String> {
    controls(tree).get(name).and_then(|(p, _)| p.clone())
}

/// Child names of `parent` in file (ZIndex) order.
pub fn children(tree: &SourceTree, parent: &str) -> Vec<String> {
    control(tree, parent)
        .unwrap_or_else(|| panic!("no control {parent}"))
        .children
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

pub fn unique_ids(tree: &SourceTree) -> BTreeMap<String, i64> {
    let Some(bytes) = tree.get("Entropy/Entropy.json") else {
        return BTreeMap::new();
    };
    let e = json::parse_bytes(bytes).unwrap();
    e.get("ControlUniqueIds")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_string(), v.as_f64().unwrap() as i64))
                .collect()
        })
        .unwrap_or_default()
}

pub fn unique_guids(tree: &SourceTree) -> BTreeMap<String, String> {
    let Some(bytes) = tree.get("Entropy/Entropy.json") else {
        return BTreeMap::new();
    };
    let e = json::parse_bytes(bytes).unwrap();
    e.get("ControlUniqueGuids")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_string(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The §4.2 invariants, then P5: the merged tree packs, the app reads back, and unpacking it
/// gives the same controls and formulas. Returns the re-unpacked tree.
pub fn assert_valid(tree: &SourceTree) -> SourceTree {
    let ctrls = controls(tree);

    // Screens: ScreenOrder is exactly a permutation of the screens.
    let mut order = screen_order(tree);
    let mut screens: Vec<String> = blocks(tree)
        .iter()
        .filter(|(p, b)| {
            !p.starts_with("Src/Components/") && !p.starts_with("Src/Tests/") && b.name != "App"
        })
        .map(|(_, b)| b.name.clone())
        .collect();
    order.sort();
    screens.sort();
    assert_eq!(order, screens, "ScreenOrder must list exactly the screens");

    // Ids unique app-wide, only for existing controls (hidden gallery templates included).
    let ids = unique_ids(tree);
    let mut seen: HashMap<i64, &String> = HashMap::new();
    for (name, id) in &ids {
        if let Some(other) = seen.insert(*id, name) {
            panic!("ControlUniqueIds: {name} and {other} share id {id}");
        }
    }

    let guids = unique_guids(tree);
    let mut seen: HashMap<&String, &String> = HashMap::new();
    for (name, guid) in &guids {
        if let Some(other) = seen.insert(guid, name) {
            panic!("ControlUniqueGuids: {name} and {other} share {guid}");
        }
    }

    // Editor state: every entry names an existing control (or a hidden gallery template of
    // one) and sits in its top parent's file; ParentIndex distinct per parent.
    let mut hidden: HashSet<String> = HashSet::new();
    let mut entries: Vec<(String, String, Json)> = Vec::new();
    for (path, b) in tree.under("Src/EditorState") {
        let doc = json::parse_bytes(b).unwrap();
        let top = doc
            .get("TopParentName")
            .and_then(Json::as_str)
            .unwrap_or_else(|| panic!("{path}: no TopParentName"))
            .to_string();
        if let Some(states) = doc.get("ControlStates").and_then(Json::as_object) {
            for (name, s) in states.iter() {
                if let Some(h) = s.get("GalleryTemplateChildName").and_then(Json::as_str) {
                    hidden.insert(h.to_string());
                }
                entries.push((name.to_string(), top.clone(), s.clone()));
            }
        }
    }
    // Test Studio suites, cases and tests have ids and editor state too.
    let mut test_names: HashSet<String> = HashSet::new();
    for (path, bytes) in tree.under("Src/Tests") {
        if path.ends_with(".fx.yaml") {
            let top = fxyaml::parse(text(bytes), path).unwrap().block;
            let mut stack = vec![&top];
            while let Some(b) = stack.pop() {
                test_names.insert(b.name.clone());
                stack.extend(b.children.iter());
            }
        }
    }
    entries.retain(|(_, top, _)| !test_names.contains(top));
    for name in ids.keys().chain(guids.keys()) {
        assert!(
            ctrls.contains_key(name)
                || hidden.contains(name)
                || test_names.contains(name)
                || name == "App",
            "entropy has an id for {name}, which is not a control"
        );
    }
    let mut names_seen = HashSet::new();
    let mut parent_indexes: HashMap<(Option<String>, i64), String> = HashMap::new();
    for (name, top, s) in &entries {
        assert!(
            names_seen.insert(name.clone()),
            "editor state for {name} defined twice"
        );
        match ctrls.get(name) {
            Some((parent, real_top)) => {
                assert_eq!(top, real_top, "editor state of {name} is in {top}'s file");
                if let (Some(pi), Some(_)) = (s.get("ParentIndex").and_then(Json::as_f64), parent)
                    && let Some(other) =
                        parent_indexes.insert((parent.clone(), pi as i64), name.clone())
                {
                    panic!("{name} and {other} share ParentIndex {pi} under {parent:?}");
                }
            }
            None => assert!(
                hidden.contains(name),
                "editor state for {name}, which is not a control"
            ),
        }
    }

    // P5: packs, reads back, and unpacks to the same controls and formulas.
    let bytes = pack_bytes(tree);
    let again = unpack_bytes(&bytes, "merged app");
    for (path, b) in &tree.files {
        if is_control_file(path) {
            assert_eq!(
                again.get(path).map(text),
                Some(text(b)),
                "{path} changed through pack and unpack"
            );
        }
    }
    for path in again.files.keys() {
        if is_control_file(path) {
            assert!(
                tree.contains(path),
                "{path} appeared through pack and unpack"
            );
        }
    }
    // Ids survive the round trip.
    let again_ids = unique_ids(&again);
    for (name, id) in &ids {
        assert_eq!(
            again_ids.get(name),
            Some(id),
            "id of {name} after repacking"
        );
    }
    again
}

/// Merges, asserts the merged tree is valid, and also runs the same merge through
/// `merge_apps` on packed bytes (it must not fail, and it is clean exactly when the tree
/// merge is).
pub fn merge_checked(base: &SourceTree, ours: &SourceTree, theirs: &SourceTree) -> TreeMerge {
    let m = merge(base, ours, theirs);
    assert_valid(&m.tree);
    let (b, o, t) = (pack_bytes(base), pack_bytes(ours), pack_bytes(theirs));
    let apps = merge_apps(&b, &o, &t, &options()).unwrap_or_else(|e| panic!("merge_apps: {e}"));
    assert_eq!(
        apps.conflicts.len(),
        m.conflicts.len(),
        "merge_apps and merge_trees disagree"
    );
    let merged = unpack_bytes(&apps.merged, "merge_apps result");
    for (path, b) in &m.tree.files {
        if is_control_file(path) {
            assert_eq!(
                merged.get(path).map(text),
                Some(text(b)),
                "{path} from merge_apps"
            );
        }
    }
    m
}

pub fn side_controls(tree: &SourceTree) -> SideControls {
    SideControls::read(tree).unwrap()
}

/// The content checksum Power Apps stamps: equal for apps holding the same content.
pub fn content_checksum(bytes: &[u8]) -> String {
    msapp_merge::checksum::compute(&app::parse_msapp(bytes, "app").unwrap()).whole
}

/// The same app written again by another zip writer: entries in reverse order, deflated at
/// another level. Same content, different bytes.
pub fn resave(bytes: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        entries.push((f.name().unwrap().to_string(), data));
    }
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, data) in entries.iter().rev() {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(data).unwrap();
    }
    let resaved = out.finish().unwrap().into_inner();
    assert_ne!(resaved, bytes);
    resaved
}
