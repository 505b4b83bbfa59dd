//! Merging three `.msapp` files: unpack each, merge the trees, pack the result and prove it
//! unpacks again before anyone relies on it.

use crate::app::{msapp_bytes, pack_tree, parse_msapp_for_unpack, unpack_app_owned};
use crate::error::{Error, Result};
use crate::fxyaml::{self, Block, Property};
use crate::source::SourceTree;
use crate::source::unpack::UnpackOptions;

use super::checksum_cache::ChecksumCache;
use super::conflict::{Conflict, Note};
use super::tree::{MergeOptions, SameAs, TreeMerge, merge_owned_trees};

/// The outcome of an app merge.
#[derive(Debug)]
pub struct AppMerge {
    /// The merged app: ours at every conflict, so it is always a valid app.
    pub merged: Vec<u8>,
    /// The merged source tree with conflict markers (only meaningful with conflicts).
    pub workspace: SourceTree,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
    pub strategy: Strategy,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Strategy::Bytes => f.write_str("one side unchanged: taken whole"),
            Strategy::Entries => f.write_str("merged entry by entry (fast path)"),
            Strategy::Screens {
                names,
                reduced_merges,
            } => {
                write!(
                    f,
                    "merged entry by entry (fast path); changed on both sides and merged \
                     through the source trees: {}",
                    names.join(", ")
                )?;
                if *reduced_merges > 1 {
                    write!(f, " (in {reduced_merges} reduced merges)")?;
                }
                Ok(())
            }
            Strategy::Model(why) => write!(f, "merged through the source trees ({why})"),
        }
    }
}

/// How a merge was decided, for tests and the benchmark: the three paths must agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// One side is unchanged or both are equal: that side's bytes.
    Bytes,
    /// Entry by entry on the stored bytes ([`super::entries`]).
    Entries,
    /// Entry by entry, with these top controls (changed on both sides) merged through the
    /// source trees of reduced apps, this many one after another.
    Screens {
        names: Vec<String>,
        reduced_merges: usize,
    },
    /// The model merge of the unpacked trees; the reason the entry merge did not apply.
    Model(String),
}

impl AppMerge {
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// `is_side`: ours or theirs, which must not hold conflict markers (the base is history).
fn unpack_side(bytes: &[u8], label: &str, is_side: bool) -> Result<SourceTree> {
    let app = parse_msapp_for_unpack(bytes, label)?;
    let opts = UnpackOptions {
        skip_client_checksum: true,
        ..UnpackOptions::default()
    };
    let tree = unpack_app_owned(app, label, &opts)?.0;
    if is_side {
        refuse_conflict_markers(&tree, label)?;
    }
    Ok(tree)
}

/// An app whose formulas hold git conflict markers is the result of an unfinished text merge
/// (of unpacked sources) that was packed anyway. Merging it would spread the markers, or take
/// them whole when the other side is unchanged: refuse and name the formula.
fn refuse_conflict_markers(tree: &SourceTree, label: &str) -> Result<()> {
    fn marked(formula: &str) -> bool {
        let mut opened = false;
        for line in formula.lines().map(str::trim_start) {
            if line.starts_with("<<<<<<<") {
                opened = true;
            } else if opened && line.starts_with(">>>>>>>") {
                return true;
            }
        }
        false
    }
    fn find(block: &Block) -> Option<(String, &Property)> {
        if let Some(p) = block.properties.iter().find(|p| marked(&p.formula)) {
            return Some((block.name.clone(), p));
        }
        block.children.iter().find_map(find)
    }
    for (path, bytes) in &tree.files {
        let Some(text) = path
            .ends_with(".fx.yaml")
            .then(|| std::str::from_utf8(bytes).ok())
            .flatten()
        else {
            continue;
        };
        let Ok(parsed) = fxyaml::parse(text, path) else {
            continue;
        };
        if let Some((control, p)) = find(&parsed.block) {
            return Err(Error::bad_input(
                label,
                format!(
                    "{path}:{}: {control}.{} holds git conflict markers (an unfinished merge was packed); finish that merge first",
                    p.line, p.name
                ),
            ));
        }
    }
    Ok(())
}

/// Merges `ours` and `theirs`, two descendants of `base`. An empty `base` means both sides
/// added the file (no common ancestor). The labels name the sides in errors.
pub fn merge_apps(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    opts: &MergeOptions,
) -> Result<AppMerge> {
    let labels = &opts.text.labels;
    let clean = |bytes: &[u8]| AppMerge {
        merged: bytes.to_vec(),
        workspace: SourceTree::new(),
        conflicts: Vec::new(),
        notes: Vec::new(),
        strategy: Strategy::Bytes,
    };
    // Trivial cases decided on the bytes, like git does, once both sides are known to be apps.
    if ours == theirs || base == theirs {
        unpack_side(ours, &format!("ours ({})", labels.ours), true)?;
        return Ok(clean(ours));
    }
    if base == ours {
        unpack_side(theirs, &format!("theirs ({})", labels.theirs), true)?;
        return Ok(clean(theirs));
    }
    let fallback = if base.is_empty() {
        "no common ancestor".to_string()
    } else if opts.model_only {
        "the fast path was ruled out".to_string()
    } else {
        let cache = opts
            .checksum_cache
            .as_deref()
            .map_or_else(ChecksumCache::disabled, ChecksumCache::load);
        let outcome = super::entries::merge_entries(base, ours, theirs, &cache, opts);
        if outcome.is_ok() {
            cache.save();
        }
        match outcome {
            Ok(merged) => {
                let strategy = if merged.screens.is_empty() {
                    Strategy::Entries
                } else {
                    Strategy::Screens {
                        names: merged.screens,
                        reduced_merges: merged.reduced_merges,
                    }
                };
                return Ok(AppMerge {
                    merged: merged.bytes,
                    workspace: merged.workspace,
                    conflicts: merged.conflicts,
                    notes: merged.notes,
                    strategy,
                });
            }
            Err(reason) => reason.0,
        }
    };
    // The three sides are independent, but each unpack in flight holds a parsed app and the
    // tree it grows: two at a time, not three. On two cores a third thread gained no time,
    // and it made the peak memory of a 100-change merge of the largest corpus app a third
    // higher.
    let unpack_ours = || unpack_side(ours, &format!("ours ({})", labels.ours), true);
    let unpack_base_then_theirs = || {
        let base_tree = if base.is_empty() {
            Ok(SourceTree::new())
        } else {
            unpack_side(base, &format!("base ({})", labels.base), false)
        };
        let theirs_tree = unpack_side(theirs, &format!("theirs ({})", labels.theirs), true);
        (base_tree, theirs_tree)
    };
    let (ours_tree, (base_tree, theirs_tree)) = if opts.sides_in_turn {
        (unpack_ours(), unpack_base_then_theirs())
    } else {
        crate::parallel::join(unpack_ours, unpack_base_then_theirs)
    };
    let (ours_tree, theirs_tree, base_tree) = (ours_tree?, theirs_tree?, base_tree?);
    // A side that still holds conflict markers was committed half-resolved; merging it again
    // would bury the markers in formulas.
    for (side, tree) in [(&labels.ours, &ours_tree), (&labels.theirs, &theirs_tree)] {
        let found = markers_in(tree);
        if let Some(first) = found.first() {
            return Err(Error::bad_input(
                side.as_str(),
                format!(
                    "holds unresolved conflict markers ({first}{}); resolve them first",
                    if found.len() > 1 {
                        format!(" and {} more", found.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }

    let (
        TreeMerge {
            tree,
            workspace,
            conflicts,
            notes,
        },
        same_as,
    ) = merge_owned_trees(base_tree, ours_tree, theirs_tree, opts)?;
    // Each step's input is let go as soon as the next one has what it needs (the sides'
    // trees inside the tree merge, then the merged tree, then the packed app), so that
    // packing and re-reading the result reuse that memory instead of adding to the peak.
    let unchanged_side = match same_as {
        Some(SameAs::Ours) => Some(ours),
        Some(SameAs::Theirs) => Some(theirs),
        None => None,
    };
    // An unchanged side keeps its exact bytes.
    let bytes = match unchanged_side {
        Some(side) => side.to_vec(),
        None => {
            let bytes = {
                let (app, _) =
                    pack_tree(&tree).map_err(|e| internal("packing the merged app", e))?;
                drop(tree);
                msapp_bytes(&app)?
            };
            verify(&bytes)?;
            bytes
        }
    };
    Ok(AppMerge {
        merged: bytes,
        workspace,
        conflicts,
        notes,
        strategy: Strategy::Model(fallback),
    })
}

/// The merged app must read back; a merge that produced something else is a bug, and the
/// driver then fails rather than hand git a broken file.
fn verify(bytes: &[u8]) -> Result<()> {
    let app = parse_msapp_for_unpack(bytes, "merged app")
        .map_err(|e| internal("re-reading the merged app", e))?;
    let opts = UnpackOptions {
        skip_client_checksum: true,
        ..UnpackOptions::default()
    };
    unpack_app_owned(app, "merged app", &opts)
        .map_err(|e| internal("re-unpacking the merged app", e))?;
    Ok(())
}

fn internal(what: &str, e: Error) -> Error {
    Error::Invalid {
        file: "merge".into(),
        message: format!("{what} failed (a bug in msapp-merge; your files are unchanged): {e}"),
    }
}

/// Lines with conflict markers in a tree's `.fx.yaml` files, as `file:line`.
pub fn markers_in(tree: &SourceTree) -> Vec<String> {
    let mut found = Vec::new();
    for (path, bytes) in &tree.files {
        if !path.ends_with(".fx.yaml") {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let raw = line.trim_start();
            // The first line of a formula starts with `=`, so a marker may follow it.
            let after_equals = raw.strip_prefix('=').unwrap_or(raw);
            if is_marker(raw) || is_marker(after_equals) {
                found.push(format!("{path}:{}", i + 1));
            }
        }
    }
    found
}

fn is_marker(line: &str) -> bool {
    ["<<<<<<<", ">>>>>>>", "|||||||"]
        .iter()
        .any(|m| line == *m || line.starts_with(&format!("{m} ")))
        || line == "======="
}
