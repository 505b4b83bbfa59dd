//! Control-level merge of the `.fx.yaml` trees and their editor state, app-wide.
//!
//! Controls are matched by name (names are unique across the app), so a control that changed
//! parent on one side is a move, not a delete plus an add. Each control's type, variant and
//! parent merge as values, its formulas one by one (git's line merge when both sides edited
//! the same formula), and each parent's children as an ordered sequence.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::error::Result;
use crate::fxyaml::{self, Block, Function, Property};
use crate::json::{self, Json, Object};
use crate::source::SourceTree;

use super::conflict::{Conflict, ConflictKind, Note};
use super::json::{JsonMergeOptions, Policy, merge_json};
use super::sequence::{Favor, merge_sequence_with};
use super::statements::merge_appends;
use super::text::{TextMergeOptions, merge_text};

/// One control as read from a side's `.fx.yaml` files.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub type_name: String,
    pub variant: Option<String>,
    pub props: Vec<(String, String)>,
    pub functions: Vec<Function>,
    /// `None` for top parents (screens, `App`, components).
    pub parent: Option<String>,
    /// Children in file order.
    pub children: Vec<String>,
}

impl Node {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    /// Same control content, ignoring children.
    fn same_content(&self, other: &Node) -> bool {
        let sorted = |n: &Node| {
            let mut p = n.props.clone();
            p.sort();
            p
        };
        self.type_name == other.type_name
            && self.variant == other.variant
            && self.parent == other.parent
            && self.functions == other.functions
            && sorted(self) == sorted(other)
    }
}

/// One side's controls and editor state.
#[derive(Debug, Clone, Default)]
pub struct SideControls {
    pub nodes: HashMap<String, Node>,
    /// Top parent name -> the tree path of its `.fx.yaml`.
    pub top_files: BTreeMap<String, String>,
    /// Editor-state entries (JSON objects) by control name, with the top parent that lists
    /// them. A side's entry equal to the base's shares the base's allocation: editor state is
    /// most of an unpacked app, and three copies of it were most of a merge's memory.
    pub states: HashMap<String, (Arc<Json>, String)>,
    /// Editor-state file path by top parent name.
    pub state_files: HashMap<String, String>,
    /// Editor-state files of Test Studio tests (`Src/Tests`): not controls, merged as files.
    pub test_state_files: Vec<String>,
}

/// The `.fx.yaml` files whose controls share the app's name space.
fn is_control_file(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("Src/") else {
        return false;
    };
    let file = rest.strip_prefix("Components/").unwrap_or(rest);
    !file.contains('/') && file.ends_with(".fx.yaml")
}

/// How an editor-state file was read.
#[derive(Debug, PartialEq, Eq)]
enum StateFile {
    /// The editor state of a top parent's controls.
    Controls,
    /// A Test Studio test's, merged as a file.
    Test,
    /// Not an editor-state document: left out of the merge.
    Unread,
}

/// Names of the Test Studio tests (`Src/Tests`), whose editor state is not the controls'.
fn test_tops(tree: &SourceTree) -> HashSet<String> {
    tree.under("Src/Tests")
        .filter(|(p, _)| p.ends_with(".fx.yaml"))
        .filter_map(|(p, b)| {
            let text = std::str::from_utf8(b).ok()?;
            Some(fxyaml::parse(text, p).ok()?.block.name)
        })
        .collect()
}

/// Tree paths the control merge owns (the tree merge leaves them alone).
pub fn owns_path(path: &str) -> bool {
    is_control_file(path) || path.starts_with("Src/EditorState/")
}

/// What [`SideControls::take`] took out of a tree: each file's path and SHA-256 digest, so
/// that a merged tree can still be compared with the side.
pub type TakenFiles = BTreeMap<String, [u8; 32]>;

/// Whether [`SideControls::take`] hashes the files it takes (a base is never compared with the
/// merged tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digests {
    Keep,
    Skip,
}

impl SideControls {
    pub fn read(tree: &SourceTree) -> Result<SideControls> {
        SideControls::read_sharing(tree, None)
    }

    /// Reads a side whose editor-state entries equal to `base`'s share them (from a copy of the
    /// tree: one way of reading, [`SideControls::take`]).
    pub fn read_sharing(tree: &SourceTree, base: Option<&SideControls>) -> Result<SideControls> {
        SideControls::take(&mut tree.clone(), base, Digests::Skip).map(|(side, _)| side)
    }

    /// [`SideControls::read_sharing`] that takes each file it reads out of `tree` (the editor
    /// state of tests stays: it is merged as a file). Once read, the text of a side's controls
    /// is not needed, and it is most of an unpacked app.
    pub fn take(
        tree: &mut SourceTree,
        base: Option<&SideControls>,
        digests: Digests,
    ) -> Result<(SideControls, TakenFiles)> {
        use sha2::{Digest, Sha256};
        let mut side = SideControls::default();
        let mut taken = TakenFiles::new();
        let mut record = |path: String, bytes: &[u8]| {
            if digests == Digests::Keep {
                taken.insert(path, Sha256::digest(bytes).into());
            }
        };
        let take = |tree: &mut SourceTree, path: &str| tree.files.remove_entry(path);
        let controls: Vec<String> = tree
            .files
            .keys()
            .filter(|p| is_control_file(p))
            .cloned()
            .collect();
        for path in controls {
            if let Some((path, bytes)) = take(tree, &path) {
                side.read_control_file(&path, &bytes)?;
                record(path, &bytes);
            }
        }
        let test_tops = test_tops(tree);
        let states: Vec<String> = tree
            .under("Src/EditorState")
            .map(|(p, _)| p.to_string())
            .collect();
        for path in states {
            let Some(bytes) = tree.get(&path) else {
                continue;
            };
            if side.read_state_file(&path, bytes, &test_tops, base) == StateFile::Controls
                && let Some((path, bytes)) = take(tree, &path)
            {
                record(path, &bytes);
            }
        }
        Ok((side, taken))
    }

    fn read_control_file(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let text =
            std::str::from_utf8(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes))
                .map_err(|_| crate::error::Error::bad_input(path, "not UTF-8 text"))?;
        let parsed = fxyaml::parse(text, path)?;
        self.top_files
            .insert(parsed.block.name.clone(), path.to_string());
        self.add_block(&parsed.block, None);
        Ok(())
    }

    fn read_state_file(
        &mut self,
        path: &str,
        bytes: &[u8],
        test_tops: &HashSet<String>,
        base: Option<&SideControls>,
    ) -> StateFile {
        let Ok(Json::Object(doc)) = json::parse_bytes(bytes) else {
            return StateFile::Unread;
        };
        // The first member of each key counts, as `Object::get` reads it.
        let (mut top, mut states) = (None, None);
        for (key, value) in doc.0 {
            match key.as_str() {
                "TopParentName" if top.is_none() => top = Some(value),
                "ControlStates" if states.is_none() => states = Some(value),
                _ => {}
            }
        }
        let (top, states) = match (top, states) {
            (Some(Json::String(t)), Some(Json::Object(s))) => (t, s),
            _ => return StateFile::Unread,
        };
        if test_tops.contains(&top) && !self.top_files.contains_key(&top) {
            self.test_state_files.push(path.to_string());
            return StateFile::Test;
        }
        self.state_files.insert(top.clone(), path.to_string());
        for (name, state) in states.0 {
            if !matches!(state, Json::Object(_)) {
                continue;
            }
            let state = match base.and_then(|b| b.states.get(&name)) {
                Some((shared, _)) if **shared == state => Arc::clone(shared),
                _ => Arc::new(state),
            };
            self.states.insert(name, (state, top.clone()));
        }
        StateFile::Controls
    }

    fn add_block(&mut self, block: &Block, parent: Option<&str>) {
        let node = Node {
            name: block.name.clone(),
            type_name: block.type_name.clone(),
            variant: block.variant.clone(),
            props: block
                .properties
                .iter()
                .map(|p| (p.name.clone(), p.formula.clone()))
                .collect(),
            functions: block.functions.clone(),
            parent: parent.map(str::to_string),
            children: block.children.iter().map(|c| c.name.clone()).collect(),
        };
        self.nodes.insert(block.name.clone(), node);
        for child in &block.children {
            self.add_block(child, Some(&block.name));
        }
    }

    /// `Screen1/Gallery1/Label3`: the control's path from its top parent.
    pub fn path(&self, name: &str) -> String {
        let mut parts = vec![name.to_string()];
        let mut current = name;
        while let Some(p) = self.nodes.get(current).and_then(|n| n.parent.as_deref()) {
            if parts.len() > 64 {
                break;
            }
            parts.push(p.to_string());
            current = p;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Children of `parent` in msapp order (editor-state `ParentIndex`, file order on ties).
    fn ordered_children(&self, parent: &str) -> Vec<String> {
        let Some(node) = self.nodes.get(parent) else {
            return Vec::new();
        };
        let mut kids: Vec<(f64, usize, String)> = node
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pi = self
                    .states
                    .get(c)
                    .and_then(|(s, _)| s.get("ParentIndex"))
                    .and_then(Json::as_f64)
                    .unwrap_or(-1.0);
                (pi, i, c.clone())
            })
            .collect();
        kids.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        kids.into_iter().map(|(_, _, c)| c).collect()
    }
}

/// A merged formula: a value, or a conflict (ours kept in the app, markers in the workspace).
#[derive(Debug, Clone, PartialEq)]
enum PropValue {
    Clean(String),
    Conflict {
        ours: Option<String>,
        marked: String,
    },
}

#[derive(Debug, Clone)]
struct MergedNode {
    node: Node,
    props: Vec<(String, PropValue)>,
}

/// The result for the control files and editor state.
#[derive(Debug, Default)]
pub struct ControlsMerge {
    /// `.fx.yaml` and `.editorstate.json` files of the merged app (ours at conflicts).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Those of `files` that read differently with conflict markers in their formulas, for
    /// the conflict workspace; the others are the same there.
    pub marked_files: BTreeMap<String, Vec<u8>>,
    /// Every control name in the result, hidden gallery templates included.
    pub names: HashSet<String>,
    /// Screens of the result (top parents outside `Src/Components`, `App` excluded).
    pub screens: Vec<String>,
    /// Top parents of the result: screens, the App, component definitions.
    pub tops: HashSet<String>,
    /// Controls only theirs added, in a stable order (ids are reallocated in this order).
    pub added_by_theirs: Vec<String>,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
}

pub struct ControlsMerger<'a> {
    pub base: &'a SideControls,
    pub ours: &'a SideControls,
    pub theirs: &'a SideControls,
    pub text_opts: &'a TextMergeOptions,
}

impl ControlsMerger<'_> {
    pub fn merge(&self) -> Result<ControlsMerge> {
        let mut out = ControlsMerge::default();
        let mut names: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for side in [self.ours, self.theirs, self.base] {
            let mut side_names: Vec<&String> = side.nodes.keys().collect();
            side_names.sort();
            for n in side_names {
                if seen.insert(n.clone()) {
                    names.push(n.clone());
                }
            }
        }

        let mut merged: HashMap<String, MergedNode> = HashMap::new();
        for name in &names {
            let b = self.base.nodes.get(name);
            let o = self.ours.nodes.get(name);
            let t = self.theirs.nodes.get(name);
            if let Some(m) = self.merge_node(name, b, o, t, &mut out)? {
                merged.insert(name.clone(), m);
            }
        }
        self.repair_orphans(&mut merged, &mut out);

        // Children order per parent.
        let mut parents: Vec<String> = merged.keys().cloned().collect();
        parents.sort();
        let mut order: HashMap<String, Vec<String>> = HashMap::new();
        for p in &parents {
            let keep = |k: &String| {
                merged
                    .get(k)
                    .is_some_and(|m| m.node.parent.as_deref() == Some(p.as_str()))
            };
            let seq = merge_sequence_with(
                &self.base.ordered_children(p),
                &self.ours.ordered_children(p),
                &self.theirs.ordered_children(p),
                keep,
                Favor::Ours,
            );
            for c in &seq.conflicts {
                out.conflicts.push(Conflict {
                    at: format!("{}: order of {}", self.path_of(&merged, p), join(&c.items)),
                    kind: ConflictKind::Order,
                    base: Some(join(&c.base)),
                    ours: Some(join(&c.ours)),
                    theirs: Some(join(&c.theirs)),
                });
            }
            order.insert(p.clone(), seq.items);
        }
        self.untie_zindex(&mut merged, &order, &mut out);

        // Top parents and their files.
        let mut tops: Vec<String> = merged
            .values()
            .filter(|m| m.node.parent.is_none())
            .map(|m| m.node.name.clone())
            .collect();
        tops.sort();
        out.tops.extend(tops.iter().cloned());
        let mut used_paths: HashSet<String> = HashSet::new();
        let mut top_paths: BTreeMap<String, String> = BTreeMap::new();
        for top in &tops {
            let path = self
                .ours
                .top_files
                .get(top)
                .or_else(|| self.theirs.top_files.get(top))
                .or_else(|| self.base.top_files.get(top))
                .cloned()
                .unwrap_or_else(|| format!("Src/{top}.fx.yaml"));
            let path = unique_path(&mut used_paths, &path);
            top_paths.insert(top.clone(), path);
        }
        for (top, path) in &top_paths {
            let (resolved, marked) = self.build_block(top, &merged, &order);
            let (resolved, marked) = (fxyaml::write(&resolved), fxyaml::write(&marked));
            if marked != resolved {
                out.marked_files.insert(path.clone(), marked.into_bytes());
            }
            out.files.insert(path.clone(), resolved.into_bytes());
            if !path.starts_with("Src/Components/") && top != "App" {
                out.screens.push(top.clone());
            }
        }

        self.merge_states(&merged, &order, &top_paths, &mut out);

        let mut theirs_added: Vec<String> = merged
            .keys()
            .filter(|n| !self.base.nodes.contains_key(*n) && !self.ours.nodes.contains_key(*n))
            .cloned()
            .collect();
        theirs_added.sort();
        out.added_by_theirs = theirs_added;
        out.names.extend(merged.keys().cloned());
        Ok(out)
    }

    fn merge_node(
        &self,
        name: &str,
        b: Option<&Node>,
        o: Option<&Node>,
        t: Option<&Node>,
        out: &mut ControlsMerge,
    ) -> Result<Option<MergedNode>> {
        let at = self.path(name);
        match (b, o, t) {
            (_, None, None) => Ok(None),
            (None, Some(o), None) => Ok(Some(clean_node(o))),
            (None, None, Some(t)) => Ok(Some(clean_node(t))),
            (Some(b), Some(o), None) => {
                if o.same_content(b) {
                    Ok(None)
                } else {
                    out.conflicts.push(Conflict {
                        at,
                        kind: ConflictKind::DeletedAndChanged,
                        base: Some(describe(b)),
                        ours: Some(describe(o)),
                        theirs: None,
                    });
                    Ok(Some(clean_node(o)))
                }
            }
            (Some(b), None, Some(t)) => {
                if !t.same_content(b) {
                    out.conflicts.push(Conflict {
                        at,
                        kind: ConflictKind::DeletedAndChanged,
                        base: Some(describe(b)),
                        ours: None,
                        theirs: Some(describe(t)),
                    });
                }
                Ok(None)
            }
            (None, Some(o), Some(t)) => {
                if o.same_content(t) {
                    return Ok(Some(clean_node(o)));
                }
                // Without any common ancestor (both sides added the whole app) the two are the
                // same control: merge it formula by formula against an empty base.
                let two_way = self.base.nodes.is_empty()
                    && o.type_name == t.type_name
                    && o.variant == t.variant
                    && o.parent == t.parent;
                if two_way {
                    let empty = Node {
                        props: Vec::new(),
                        functions: Vec::new(),
                        ..o.clone()
                    };
                    return self.merge_existing(name, &empty, o, t, out).map(Some);
                }
                // Two different controls that happen to share a name (Studio numbers new
                // controls from the same counter on both branches).
                out.conflicts.push(Conflict {
                    at,
                    kind: ConflictKind::BothAdded,
                    base: None,
                    ours: Some(describe(o)),
                    theirs: Some(describe(t)),
                });
                Ok(Some(clean_node(o)))
            }
            (Some(b), Some(o), Some(t)) => self.merge_existing(name, b, o, t, out).map(Some),
        }
    }

    fn merge_existing(
        &self,
        name: &str,
        b: &Node,
        o: &Node,
        t: &Node,
        out: &mut ControlsMerge,
    ) -> Result<MergedNode> {
        let name = &self.path(name);
        let mut node = o.clone();
        let pick = |bv: &Option<String>,
                    ov: &Option<String>,
                    tv: &Option<String>|
         -> Result<Option<String>, ()> {
            if ov == tv || bv == tv {
                Ok(ov.clone())
            } else if bv == ov {
                Ok(tv.clone())
            } else {
                Err(())
            }
        };
        let ty = |n: &Node| Some(n.type_name.clone());
        match pick(&ty(b), &ty(o), &ty(t)) {
            Ok(v) => node.type_name = v.unwrap_or_default(),
            Err(()) => out.conflicts.push(Conflict {
                at: format!("{name} (control type)"),
                kind: ConflictKind::BothChanged,
                base: Some(b.type_name.clone()),
                ours: Some(o.type_name.clone()),
                theirs: Some(t.type_name.clone()),
            }),
        }
        match pick(&b.variant, &o.variant, &t.variant) {
            Ok(v) => node.variant = v,
            Err(()) => out.conflicts.push(Conflict {
                at: format!("{name} (variant)"),
                kind: ConflictKind::BothChanged,
                base: b.variant.clone(),
                ours: o.variant.clone(),
                theirs: t.variant.clone(),
            }),
        }
        match pick(&b.parent, &o.parent, &t.parent) {
            Ok(v) => node.parent = v,
            Err(()) => out.conflicts.push(Conflict {
                at: format!("{name} (parent)"),
                kind: ConflictKind::BothMoved,
                base: b.parent.clone(),
                ours: o.parent.clone(),
                theirs: t.parent.clone(),
            }),
        }
        // Functions as whole values.
        let mut fnames: Vec<String> = Vec::new();
        for f in o.functions.iter().chain(&t.functions).chain(&b.functions) {
            if !fnames.contains(&f.name) {
                fnames.push(f.name.clone());
            }
        }
        let mut functions = Vec::new();
        for fname in fnames {
            let find = |n: &Node| n.functions.iter().find(|f| f.name == fname).cloned();
            let (bf, of, tf) = (find(b), find(o), find(t));
            let chosen = if of == tf || bf == tf {
                of
            } else if bf == of {
                tf
            } else {
                out.conflicts.push(Conflict {
                    at: format!("{name}.{fname} (function)"),
                    kind: ConflictKind::BothChanged,
                    base: bf.as_ref().map(|f| format!("{f:?}")),
                    ours: of.as_ref().map(|f| format!("{f:?}")),
                    theirs: tf.as_ref().map(|f| format!("{f:?}")),
                });
                of
            };
            if let Some(f) = chosen {
                functions.push(f);
            }
        }
        node.functions = functions;

        // Properties one by one.
        let mut pnames: Vec<String> = Vec::new();
        for (p, _) in o.props.iter().chain(&t.props).chain(&b.props) {
            if !pnames.contains(p) {
                pnames.push(p.clone());
            }
        }
        let mut props = Vec::new();
        for p in pnames {
            let (bv, ov, tv) = (b.prop(&p), o.prop(&p), t.prop(&p));
            let value = if ov == tv || bv == tv {
                ov.map(|v| PropValue::Clean(v.to_string()))
            } else if bv == ov {
                tv.map(|v| PropValue::Clean(v.to_string()))
            } else {
                self.merge_formula(name, &p, bv, ov, tv, out)?
            };
            if let Some(v) = value {
                props.push((p, v));
            }
        }
        node.props = props
            .iter()
            .filter_map(|(n, v)| match v {
                PropValue::Clean(s) => Some((n.clone(), s.clone())),
                PropValue::Conflict { ours, .. } => ours.clone().map(|o| (n.clone(), o)),
            })
            .collect();
        Ok(MergedNode { node, props })
    }

    /// Both sides changed one formula: merge its text line by line; overlapping edits are a
    /// conflict (ours stays in the app, markers go to the workspace).
    fn merge_formula(
        &self,
        control: &str,
        prop: &str,
        bv: Option<&str>,
        ov: Option<&str>,
        tv: Option<&str>,
        out: &mut ControlsMerge,
    ) -> Result<Option<PropValue>> {
        let at = format!("{control}.{prop}");
        if let (Some(ov), Some(tv)) = (ov, tv) {
            // Statement chains where both sides appended: base's, ours' new, theirs' new.
            let named = prop == "Formulas";
            if (named || (prop == "OnStart" && bv.is_some()))
                && let Some(text) = merge_appends(bv.unwrap_or(""), ov, tv, named)
            {
                out.notes.push(Note {
                    at,
                    message:
                        "both sides appended statements; kept ours' then theirs': review the order"
                            .into(),
                });
                return Ok(Some(PropValue::Clean(text)));
            }
            // Line merge wants whole lines; formulas rarely end with a newline.
            let nl = |s: &str| format!("{s}\n");
            let merged = merge_text(&nl(bv.unwrap_or("")), &nl(ov), &nl(tv), self.text_opts)?;
            let text = merged
                .text
                .strip_suffix('\n')
                .unwrap_or(&merged.text)
                .to_string();
            if merged.clean && bv.is_some() {
                out.notes.push(Note {
                    at,
                    message: "edited on both sides; the edits were merged line by line: review it"
                        .into(),
                });
                return Ok(Some(PropValue::Clean(text)));
            }
            out.conflicts.push(Conflict {
                at,
                kind: if bv.is_some() {
                    ConflictKind::BothChanged
                } else {
                    ConflictKind::BothAdded
                },
                base: bv.map(str::to_string),
                ours: Some(ov.to_string()),
                theirs: Some(tv.to_string()),
            });
            return Ok(Some(PropValue::Conflict {
                ours: Some(ov.to_string()),
                marked: text,
            }));
        }
        // One side reset the property to its default (removed the line), the other edited it.
        out.conflicts.push(Conflict {
            at,
            kind: ConflictKind::DeletedAndChanged,
            base: bv.map(str::to_string),
            ours: ov.map(str::to_string),
            theirs: tv.map(str::to_string),
        });
        let marked = format!(
            "{}{} {}\n{}\n{}\n{}{} {}",
            "<".repeat(7),
            self.text_opts.labels.ours,
            "",
            ov.unwrap_or("(reset to default)"),
            "=".repeat(7),
            tv.unwrap_or("(reset to default)"),
            ">".repeat(7),
            self.text_opts.labels.theirs,
        );
        let marked = marked.replace(" \n", "\n");
        Ok(Some(PropValue::Conflict {
            ours: ov.map(str::to_string),
            marked,
        }))
    }

    /// A kept control whose parent is gone: keep ours' parent when ours has it (ours'
    /// version wins at the conflict), otherwise drop the control (ours deleted the parent).
    fn repair_orphans(&self, merged: &mut HashMap<String, MergedNode>, out: &mut ControlsMerge) {
        loop {
            let orphans: Vec<(String, String)> = merged
                .values()
                .filter_map(|m| {
                    let p = m.node.parent.as_ref()?;
                    (!merged.contains_key(p)).then(|| (m.node.name.clone(), p.clone()))
                })
                .collect();
            if orphans.is_empty() {
                break;
            }
            let mut changed = false;
            for (child, parent) in orphans {
                if let Some(p) = self.ours.nodes.get(&parent) {
                    out.conflicts.push(Conflict {
                        at: parent.clone(),
                        kind: ConflictKind::DeletedAndChanged,
                        base: self.base.nodes.get(&parent).map(describe),
                        ours: Some(format!("kept, with {child}")),
                        theirs: None,
                    });
                    merged.insert(parent.clone(), clean_node(p));
                    changed = true;
                } else if merged.remove(&child).is_some() {
                    out.conflicts.push(Conflict {
                        at: child.clone(),
                        kind: ConflictKind::DeletedAndChanged,
                        base: None,
                        ours: Some(format!("{parent} deleted")),
                        theirs: Some(format!("{child} placed in {parent}")),
                    });
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Moves on both sides can build a cycle; undo theirs' move of the controls involved.
        let names: Vec<String> = merged.keys().cloned().collect();
        for name in names {
            let mut seen = HashSet::new();
            let mut current = name.clone();
            let mut cyclic = false;
            while let Some(p) = merged.get(&current).and_then(|m| m.node.parent.clone()) {
                if !seen.insert(p.clone()) || p == name {
                    cyclic = true;
                    break;
                }
                current = p;
            }
            if cyclic && let Some(m) = merged.get_mut(&name) {
                let ours_parent = self.ours.nodes.get(&name).and_then(|n| n.parent.clone());
                out.conflicts.push(Conflict {
                    at: format!("{name} (parent)"),
                    kind: ConflictKind::BothMoved,
                    base: self.base.nodes.get(&name).and_then(|n| n.parent.clone()),
                    ours: ours_parent.clone(),
                    theirs: self.theirs.nodes.get(&name).and_then(|n| n.parent.clone()),
                });
                m.node.parent = ours_parent;
            }
        }
    }

    /// Both sides adding (or moving, or restacking) children of one parent usually pick the
    /// same ZIndex; a tie makes the file order, and so the app, depend on chance. Each child
    /// tied with a sibling that holds the value on ours' side moves to the top (max + 1), in
    /// merged order; values ours itself gave twice are left alone.
    fn untie_zindex(
        &self,
        merged: &mut HashMap<String, MergedNode>,
        order: &HashMap<String, Vec<String>>,
        out: &mut ControlsMerge,
    ) {
        let zindex = |m: &MergedNode| -> Option<f64> {
            m.props
                .iter()
                .find(|(p, _)| p == "ZIndex")
                .and_then(|(_, v)| match v {
                    PropValue::Clean(s) => s.trim().parse::<f64>().ok().filter(|z| z.is_finite()),
                    PropValue::Conflict { .. } => None,
                })
        };
        let mut parents: Vec<&String> = order.keys().collect();
        parents.sort();
        for parent in parents {
            let kids = order.get(parent).map(Vec::as_slice).unwrap_or_default();
            let values: Vec<(String, f64)> = kids
                .iter()
                .filter_map(|k| Some((k.clone(), zindex(merged.get(k)?)?)))
                .collect();
            let ours_holds = |k: &str, z: f64| {
                self.ours.nodes.get(k).is_some_and(|n| {
                    n.parent.as_deref() == Some(parent.as_str())
                        && n.prop("ZIndex").and_then(|v| v.trim().parse::<f64>().ok()) == Some(z)
                })
            };
            let mut top = values.iter().map(|(_, z)| *z).fold(0.0, f64::max);
            for (kid, z) in &values {
                let tied = values.iter().any(|(other, oz)| other != kid && oz == z);
                if !tied || ours_holds(kid, *z) {
                    continue;
                }
                let holder = values
                    .iter()
                    .find(|(other, oz)| other != kid && oz == z && ours_holds(other, *z));
                let Some((holder, _)) = holder else { continue };
                top = top.floor() + 1.0;
                let new = format!("{top}");
                if let Some(m) = merged.get_mut(kid) {
                    for (p, v) in m.props.iter_mut() {
                        if p == "ZIndex" {
                            *v = PropValue::Clean(new.clone());
                        }
                    }
                    for (p, v) in m.node.props.iter_mut() {
                        if p == "ZIndex" {
                            *v = new.clone();
                        }
                    }
                }
                out.notes.push(Note {
                    at: format!("{}.ZIndex", self.path_of(merged, kid)),
                    message: format!("{z} is also {holder}'s; moved to {new}, on top"),
                });
            }
        }
    }

    /// A control's path on the side that has it (ours first).
    fn path(&self, name: &str) -> String {
        for side in [self.ours, self.theirs, self.base] {
            if side.nodes.contains_key(name) {
                return side.path(name);
            }
        }
        name.to_string()
    }

    fn path_of(&self, merged: &HashMap<String, MergedNode>, name: &str) -> String {
        let mut parts = vec![name.to_string()];
        let mut current = name.to_string();
        while let Some(p) = merged.get(&current).and_then(|m| m.node.parent.clone()) {
            if parts.len() > 64 {
                break;
            }
            parts.push(p.clone());
            current = p;
        }
        parts.reverse();
        parts.join("/")
    }

    fn build_block(
        &self,
        name: &str,
        merged: &HashMap<String, MergedNode>,
        order: &HashMap<String, Vec<String>>,
    ) -> (Block, Block) {
        let Some(m) = merged.get(name) else {
            return (Block::default(), Block::default());
        };
        let mut resolved = Block {
            name: m.node.name.clone(),
            type_name: m.node.type_name.clone(),
            variant: m.node.variant.clone(),
            functions: m.node.functions.clone(),
            ..Block::default()
        };
        let mut marked = resolved.clone();
        for (p, v) in &m.props {
            match v {
                PropValue::Clean(s) => {
                    resolved.properties.push(prop(p, s));
                    marked.properties.push(prop(p, s));
                }
                PropValue::Conflict { ours, marked: text } => {
                    if let Some(o) = ours {
                        resolved.properties.push(prop(p, o));
                    }
                    marked.properties.push(prop(p, text));
                }
            }
        }
        for child in order.get(name).into_iter().flatten() {
            let (r, k) = self.build_block(child, merged, order);
            resolved.children.push(r);
            marked.children.push(k);
        }
        (resolved, marked)
    }

    /// Editor state: merged per control (a cache: clashes take ours and are noted), placed
    /// in the file of the control's merged top parent, `ParentIndex` following the merged
    /// child order.
    fn merge_states(
        &self,
        merged: &HashMap<String, MergedNode>,
        order: &HashMap<String, Vec<String>>,
        top_paths: &BTreeMap<String, String>,
        out: &mut ControlsMerge,
    ) {
        let opts = JsonMergeOptions {
            policy: Policy::PreferOurs,
            array_keys: vec!["PropertyName".into()],
        };
        // Visible controls, then hidden gallery templates owned by a kept gallery.
        let mut wanted: Vec<(String, String)> = Vec::new();
        let mut names: Vec<&String> = merged.keys().collect();
        names.sort();
        let top_of = |n: &str| -> Option<String> {
            let mut current = n.to_string();
            for _ in 0..10_000 {
                match merged.get(&current).and_then(|m| m.node.parent.clone()) {
                    Some(p) => current = p,
                    None => return Some(current),
                }
            }
            None
        };
        for n in names {
            if let Some(top) = top_of(n) {
                wanted.push((n.clone(), top));
            }
        }
        // Each side numbers hidden templates from one app-wide counter, so two galleries
        // added on different sides can claim the same name: ours' (or base's) keeps it,
        // theirs' gets a fresh one (invisible and unreferenced, so safe to rename).
        let mut claims: Vec<(bool, String, String, String)> = Vec::new();
        for (n, top) in &wanted {
            for (is_theirs, side) in [(false, self.ours), (true, self.theirs), (false, self.base)] {
                if let Some(Json::String(h)) = side
                    .states
                    .get(n)
                    .and_then(|(s, _)| s.get("GalleryTemplateChildName"))
                {
                    claims.push((is_theirs, n.clone(), h.clone(), top.clone()));
                    break;
                }
            }
        }
        claims.sort_by_key(|c| c.0);
        let mut hidden: Vec<(String, String)> = Vec::new();
        let mut owner: HashMap<String, String> = HashMap::new();
        // Renamed hidden templates: new name -> (gallery, name on theirs' side).
        let mut renamed: HashMap<String, (String, String)> = HashMap::new();
        for (_, gallery, h, top) in claims {
            if merged.contains_key(&h) {
                continue;
            }
            match owner.get(&h) {
                None => {
                    owner.insert(h.clone(), gallery);
                    hidden.push((h, top));
                }
                Some(g) if *g == gallery => {}
                Some(g) => {
                    let taken = |c: &String| {
                        merged.contains_key(c)
                            || owner.contains_key(c)
                            || renamed.contains_key(c)
                            || [self.base, self.ours, self.theirs]
                                .iter()
                                .any(|s| s.nodes.contains_key(c) || s.states.contains_key(c))
                    };
                    let fresh = (1..)
                        .map(|i| format!("{h}_{i}"))
                        .find(|c| !taken(c))
                        .unwrap_or_default();
                    out.notes.push(Note {
                        at: format!("{gallery} (hidden template)"),
                        message: format!("{h} is also {g}'s; renamed to {fresh}"),
                    });
                    renamed.insert(fresh.clone(), (gallery, h));
                    hidden.push((fresh, top));
                }
            }
        }
        wanted.extend(hidden);

        // New ParentIndex values where the merged order differs from ours'.
        let mut parent_index: HashMap<String, i64> = HashMap::new();
        for (parent, kids) in order {
            let ours_order = self.ours.ordered_children(parent);
            let ours_kids: Vec<&String> = ours_order.iter().filter(|k| kids.contains(k)).collect();
            if ours_kids.len() == kids.len() && ours_kids.iter().zip(kids).all(|(a, b)| *a == b) {
                continue;
            }
            // Theirs' order taken whole: theirs' values, so a one-sided change stays verbatim.
            let theirs_order = self.theirs.ordered_children(parent);
            let theirs_kids: Vec<&String> =
                theirs_order.iter().filter(|k| kids.contains(k)).collect();
            let theirs_index = |k: &String| {
                self.theirs
                    .states
                    .get(k)
                    .and_then(|(s, _)| s.get("ParentIndex"))
                    .and_then(Json::as_f64)
            };
            if theirs_kids.len() == kids.len()
                && theirs_kids.iter().zip(kids).all(|(a, b)| *a == b)
                && kids.iter().all(|k| theirs_index(k).is_some())
            {
                for k in kids {
                    if let Some(pi) = theirs_index(k) {
                        parent_index.insert(k.clone(), pi as i64);
                    }
                }
                continue;
            }
            let start = kids
                .iter()
                .filter_map(|k| {
                    self.ours
                        .states
                        .get(k)
                        .or_else(|| self.theirs.states.get(k))
                })
                .filter_map(|(s, _)| s.get("ParentIndex").and_then(Json::as_f64))
                .fold(f64::INFINITY, f64::min);
            let start = if start.is_finite() {
                start.max(0.0) as i64
            } else {
                0
            };
            for (i, k) in kids.iter().enumerate() {
                parent_index.insert(k.clone(), start + i as i64);
            }
        }

        // One top parent at a time, so that only one file's merged entries are held at once.
        let mut by_top: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
        for (name, top) in &wanted {
            by_top.entry(top).or_default().push(name);
        }
        let renamed_by_gallery: HashMap<&String, &String> =
            renamed.iter().map(|(new, (g, _))| (g, new)).collect();
        let mut used = HashSet::new();
        for (top, names) in by_top {
            let mut states = Object::new();
            for name in names {
                let renamed_theirs;
                let (b, o, t) = match renamed.get(name) {
                    Some((_, old)) => {
                        renamed_theirs = self.theirs.states.get(old).map(|(o, _)| {
                            let mut state = (**o).clone();
                            if let Some(s) = state.as_object_mut() {
                                s.insert("Name", Json::str(name));
                            }
                            state
                        });
                        (None, None, renamed_theirs.as_ref())
                    }
                    None => (
                        state_of(self.base, name),
                        state_of(self.ours, name),
                        state_of(self.theirs, name),
                    ),
                };
                let result = merge_state(b, o, t, &opts);
                for c in result.conflicts.iter().filter(|c| c.resolved) {
                    out.notes.push(Note {
                        at: format!("{name} (editor state {})", c.path.join(".")),
                        message: "changed on both sides; kept ours (editor state is a cache)"
                            .into(),
                    });
                }
                let Some(Json::Object(mut state)) = result.value.or_else(|| o.or(t).cloned())
                else {
                    continue;
                };
                if let Some(pi) = parent_index.get(name) {
                    state.insert("ParentIndex", Json::from_i64(*pi));
                }
                if let Some(hidden) = renamed_by_gallery.get(name) {
                    state.insert("GalleryTemplateChildName", Json::str(hidden.as_str()));
                }
                states.0.push((name.clone(), Json::Object(state)));
                out.names.insert(name.clone());
            }
            if states.0.is_empty() {
                continue;
            }
            let path = self
                .ours
                .state_files
                .get(top)
                .or_else(|| self.theirs.state_files.get(top))
                .cloned()
                .unwrap_or_else(|| {
                    let file = top_paths
                        .get(top)
                        .and_then(|p| p.rsplit('/').next())
                        .and_then(|f| f.strip_suffix(".fx.yaml"))
                        .unwrap_or(top)
                        .to_string();
                    format!("Src/EditorState/{file}.editorstate.json")
                });
            let path = unique_path(&mut used, &path);
            let mut doc = Object::new();
            doc.insert("ControlStates", Json::Object(states));
            doc.insert("TopParentName", Json::str(top));
            // Editor state holds no formulas, so no conflict markers: `marked_files` falls
            // back to these.
            out.files.insert(
                path,
                json::to_normalized_string(&Json::Object(doc)).into_bytes(),
            );
        }
    }
}

fn state_of<'s>(side: &'s SideControls, name: &str) -> Option<&'s Json> {
    side.states.get(name).map(|(state, _)| &**state)
}

/// [`merge_json`] of one control's editor state. Entries a side shares with the base (see
/// [`SideControls::read_sharing`]) are the same allocation, so most controls are settled
/// without comparing their contents.
fn merge_state(
    base: Option<&Json>,
    ours: Option<&Json>,
    theirs: Option<&Json>,
    opts: &JsonMergeOptions,
) -> super::json::JsonMerge {
    let same = |a: Option<&Json>, b: Option<&Json>| match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b),
        (None, None) => true,
        _ => false,
    };
    let taken = |value: Option<&Json>| super::json::JsonMerge {
        value: value.cloned(),
        conflicts: Vec::new(),
    };
    if same(ours, theirs) || same(base, theirs) {
        taken(ours)
    } else if same(base, ours) {
        taken(theirs)
    } else {
        merge_json(base, ours, theirs, opts)
    }
}

fn clean_node(n: &Node) -> MergedNode {
    MergedNode {
        node: n.clone(),
        props: n
            .props
            .iter()
            .map(|(k, v)| (k.clone(), PropValue::Clean(v.clone())))
            .collect(),
    }
}

fn prop(name: &str, formula: &str) -> Property {
    Property {
        name: name.to_string(),
        formula: formula.to_string(),
        line: 0,
    }
}

/// A short description of a control for conflict reports.
fn describe(n: &Node) -> String {
    let ty = match &n.variant {
        Some(v) => format!("{}.{}", n.type_name, v),
        None => n.type_name.clone(),
    };
    let props: Vec<String> = n
        .props
        .iter()
        .take(6)
        .map(|(k, v)| format!("{k}={}", one_line(v)))
        .collect();
    let more = if n.props.len() > 6 { ", ..." } else { "" };
    format!(
        "{} As {ty} in {}: {}{more}",
        n.name,
        n.parent.as_deref().unwrap_or("(app)"),
        props.join(", ")
    )
}

pub fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        format!("{}...", flat.chars().take(77).collect::<String>())
    } else {
        flat
    }
}

fn join(items: &[String]) -> String {
    items.join(", ")
}

/// A path not used yet, compared ignoring case (`_1`, `_2`... before the extension).
fn unique_path(used: &mut HashSet<String>, path: &str) -> String {
    let (stem, ext) = match path
        .find(".fx.yaml")
        .or_else(|| path.find(".editorstate.json"))
    {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    let mut candidate = path.to_string();
    let mut n = 1;
    while used.contains(&candidate.to_lowercase()) {
        candidate = format!("{stem}_{n}{ext}");
        n += 1;
    }
    used.insert(candidate.to_lowercase());
    candidate
}
