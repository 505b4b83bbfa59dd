//! Three-way merge of whole source trees, file by file, with one policy per kind of file:
//!
//! | files | policy |
//! |---|---|
//! | `Src/*.fx.yaml`, `Src/Components/*.fx.yaml`, `Src/EditorState/` | control-level merge ([`super::controls`]) |
//! | `Src/Tests/*.fx.yaml` | line merge of each file |
//! | `Other/Src/*.pa.yaml` (Studio's YAML view) | derived: pack renders it from the merged controls |
//! | `Entropy/Entropy.json` | cache: merged key by key, ids kept unique, clashes take ours |
//! | `Entropy/checksum.json` | the latest side's (pack writes a fresh client checksum anyway) |
//! | other `Entropy/` files | cache: merged key by key, clashes take ours |
//! | `CanvasManifest.json` | strict JSON merge; `ScreenOrder` as a sequence; `Header` takes the newer Studio version |
//! | `DataSources/`, `pkgs/`, `Connections/` | strict: non-overlapping changes merge, clashes are refused |
//! | everything else | JSON files merged strictly key by key, other files as whole files |

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::error::Result;
use crate::json::{self, Json, Object};
use crate::source::SourceTree;

use super::conflict::{Conflict, ConflictKind, Note};
use super::controls::{ControlsMerger, Digests, SideControls, TakenFiles, one_line, owns_path};
use super::json::{JsonConflict, JsonMergeOptions, Policy, merge_json};
use super::sequence::{Favor, merge_sequence_with};
use super::test_files::merge_test_file;
use super::text::{TextMergeOptions, merge_text};

#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    pub text: TextMergeOptions,
    /// Skip the entry-by-entry fast path (tests compare both paths; users may rule it out).
    pub model_only: bool,
    /// Where the fast path keeps checksum values of unchanged entries between runs.
    pub checksum_cache: Option<std::path::PathBuf>,
    /// Unpack the three sides one after another instead of two at a time (see
    /// `merge::app::merge_apps`).
    pub sides_in_turn: bool,
    /// How much control JSON the fast path merges or checks again through one reduced app
    /// (see `merge::entries::screens`); `None` is the default. Tests make it small to cut
    /// a merge into many batches.
    pub batch_bytes: Option<u64>,
}

/// A merged tree (ours at every conflict: always a valid app) and the same tree with
/// conflict markers where a person has to decide.
#[derive(Debug, Default)]
pub struct TreeMerge {
    pub tree: SourceTree,
    pub workspace: SourceTree,
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
}

fn is_strict(path: &str) -> bool {
    path == "CanvasManifest.json"
        || ["DataSources/", "pkgs/", "Connections/"]
            .iter()
            .any(|p| path.starts_with(p))
}

fn parse(bytes: Option<&[u8]>) -> Option<Json> {
    bytes.and_then(|b| json::parse_bytes(b).ok())
}

fn json_conflict(path: &str, c: &JsonConflict, kind: ConflictKind) -> Conflict {
    let mut at_path = c.path.clone();
    let (mut base, mut ours, mut theirs) = (c.base.as_ref(), c.ours.as_ref(), c.theirs.as_ref());
    // Point at where the two sides' values differ, not at the whole value (two versions of a
    // data source file, or of an atomic array, usually differ in one field deep inside).
    if let (Some(o), Some(t)) = (ours, theirs) {
        let (steps, b, o, t) = narrow(base, o, t);
        at_path.extend(steps);
        (base, ours, theirs) = (b, Some(o), Some(t));
    }
    let at = if at_path.is_empty() {
        path.to_string()
    } else {
        format!("{path}: {}", at_path.join("."))
    };
    let text = |v: Option<&Json>| v.map(|j| one_line(&json::to_compact_string(j)));
    Conflict {
        at,
        kind,
        base: text(base),
        ours: text(ours),
        theirs: text(theirs),
    }
}

type Narrowed<'a> = (Vec<String>, Option<&'a Json>, &'a Json, &'a Json);

/// The deepest place where `a` and `b` differ in exactly one member or element, with `base`
/// followed along the same way.
fn narrow<'a>(mut base: Option<&'a Json>, mut a: &'a Json, mut b: &'a Json) -> Narrowed<'a> {
    let mut path = Vec::new();
    for _ in 0..json::MAX_DEPTH {
        let step = match (a, b) {
            (Json::Object(x), Json::Object(y)) => {
                let keys: Vec<&str> = x.keys().chain(y.keys()).collect();
                let differing: HashSet<&str> =
                    keys.into_iter().filter(|k| x.get(k) != y.get(k)).collect();
                match differing.into_iter().collect::<Vec<_>>().as_slice() {
                    [k] => match (x.get(k), y.get(k)) {
                        (Some(xa), Some(yb)) => {
                            Some((k.to_string(), base.and_then(|v| v.get(k)), xa, yb))
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
                let differing: Vec<usize> =
                    (0..x.len()).filter(|&i| x.get(i) != y.get(i)).collect();
                match differing.as_slice() {
                    [i] => x.get(*i).zip(y.get(*i)).map(|(xa, yb)| {
                        let in_base = base.and_then(Json::as_array);
                        match xa.get("Name").and_then(Json::as_str) {
                            Some(n) if yb.get("Name").and_then(Json::as_str) == Some(n) => {
                                let bv = in_base.and_then(|items| {
                                    items
                                        .iter()
                                        .find(|e| e.get("Name").and_then(Json::as_str) == Some(n))
                                });
                                (format!("[Name={n}]"), bv, xa, yb)
                            }
                            _ => {
                                let bv = in_base
                                    .filter(|items| items.len() == x.len())
                                    .and_then(|items| items.get(*i));
                                (format!("[{i}]"), bv, xa, yb)
                            }
                        }
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((label, next_base, next_a, next_b)) = step else {
            break;
        };
        path.push(label);
        (base, a, b) = (next_base, next_a, next_b);
    }
    (path, base, a, b)
}

pub fn merge_trees(
    base: &SourceTree,
    ours: &SourceTree,
    theirs: &SourceTree,
    opts: &MergeOptions,
) -> Result<TreeMerge> {
    merge_owned_trees(base.clone(), ours.clone(), theirs.clone(), opts).map(|(merge, _)| merge)
}

/// The side a merged tree is, file for file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameAs {
    Ours,
    Theirs,
}

/// [`merge_trees`] that consumes the three trees: each side's control files are let go as
/// soon as they are read, and the rest once merged. Also says whether the merged tree is one
/// of the sides, file for file.
pub fn merge_owned_trees(
    mut base: SourceTree,
    mut ours: SourceTree,
    mut theirs: SourceTree,
    opts: &MergeOptions,
) -> Result<(TreeMerge, Option<SameAs>)> {
    let (base_controls, _) = SideControls::take(&mut base, None, Digests::Skip)?;
    let shared = Some(&base_controls);
    let (ours_controls, ours_taken) = SideControls::take(&mut ours, shared, Digests::Keep)?;
    let (theirs_controls, theirs_taken) = SideControls::take(&mut theirs, shared, Digests::Keep)?;
    let sides = (base_controls, ours_controls, theirs_controls);
    let (base, ours, theirs) = (&base, &ours, &theirs);
    let mut controls = ControlsMerger {
        base: &sides.0,
        ours: &sides.1,
        theirs: &sides.2,
        text_opts: &opts.text,
    }
    .merge()?;

    let mut out = TreeMerge {
        conflicts: controls.conflicts.clone(),
        notes: controls.notes.clone(),
        ..TreeMerge::default()
    };
    // Until the end, the workspace holds only the files that differ from the merged tree.
    out.tree.files.append(&mut controls.files);
    out.workspace.files.append(&mut controls.marked_files);

    // Tests' editor state is not the controls': merged as a file (a cache).
    let test_states: HashSet<&String> = [&sides.0, &sides.1, &sides.2]
        .iter()
        .flat_map(|s| s.test_state_files.iter())
        .collect();
    let paths: BTreeSet<&String> = base
        .files
        .keys()
        .chain(ours.files.keys())
        .chain(theirs.files.keys())
        .filter(|p| !owns_path(p) || test_states.contains(p))
        .collect();
    for path in paths {
        let (b, o, t) = (base.get(path), ours.get(path), theirs.get(path));
        let merged = match path.as_str() {
            "CanvasManifest.json" => {
                let ids = [base, ours, theirs].map(control_ids);
                merge_manifest(b, o, t, &controls.screens, &ids, &mut out)
            }
            "Entropy/Entropy.json" => continue,
            "Entropy/checksum.json" => latest(base, ours, theirs, path),
            _ if test_states.contains(path) => merge_cache(path, b, o, t, &mut out),
            p if p.starts_with("Entropy/") => merge_cache(path, b, o, t, &mut out),
            // Studio's YAML view is derived from the controls; pack renders it again.
            p if p.starts_with("Other/Src/") && p.ends_with(".pa.yaml") => {
                o.or(t).map(<[u8]>::to_vec)
            }
            p if p.starts_with("Src/Tests/") => merge_text_file(path, b, o, t, opts, &mut out)?,
            p if p.starts_with("Src/Components/") && p.ends_with(".json") => {
                merge_component_record(path, b, o, t, &mut out)
            }
            _ => merge_file(path, b, o, t, &mut out),
        };
        if let Some(bytes) = merged {
            out.tree.insert(path.clone(), bytes);
        }
    }

    // Test suites, cases and tests have entropy entries too.
    let mut names = controls.names.clone();
    for (path, bytes) in out.tree.under("Src/Tests") {
        if let Some(block) = std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| crate::fxyaml::parse(text, path).ok())
        {
            block_names(&block.block, &mut names);
        }
    }
    out.conflicts.extend(renamed_apart(
        [base, ours, theirs],
        [&sides.0, &sides.1, &sides.2],
        &names,
    ));
    let (entropy, allocated) = merge_entropy(base, ours, theirs, &controls, &names, &mut out);
    if let Some(e) = entropy {
        let bytes = json::to_normalized_string(&e).into_bytes();
        out.tree.insert("Entropy/Entropy.json", bytes);
        raise_last_control_unique_id(&mut out.tree, allocated);
    }
    let same_as = if is_side(&out.tree, ours, &ours_taken) {
        Some(SameAs::Ours)
    } else if is_side(&out.tree, theirs, &theirs_taken) {
        Some(SameAs::Theirs)
    } else {
        None
    };
    // Only a merge with conflicts shows its workspace; the rest of it is the merged tree.
    if out.conflicts.is_empty() {
        out.workspace = SourceTree::new();
    } else {
        for (path, bytes) in &out.tree.files {
            if !out.workspace.contains(path) {
                out.workspace.insert(path.clone(), bytes.clone());
            }
        }
    }
    Ok((out, same_as))
}

/// Whether `merged` is the side whose control files were `taken` and whose other files are
/// `rest`. The other files are compared first: they settle most merges without hashing.
fn is_side(merged: &SourceTree, rest: &SourceTree, taken: &TakenFiles) -> bool {
    use sha2::{Digest, Sha256};
    merged.files.len() == rest.files.len() + taken.len()
        && merged
            .files
            .iter()
            .filter(|(path, _)| !taken.contains_key(*path))
            .all(|(path, bytes)| rest.get(path) == Some(bytes.as_slice()))
        && merged.files.iter().all(|(path, bytes)| {
            taken
                .get(path)
                .is_none_or(|digest| Sha256::digest(bytes).as_slice() == digest.as_slice())
        })
}

/// Whole files: one-sided changes win, identical changes are fine, JSON files merge key by
/// key; anything else that both sides changed is a conflict (ours kept).
pub(crate) fn merge_file(
    path: &str,
    b: Option<&[u8]>,
    o: Option<&[u8]>,
    t: Option<&[u8]>,
    out: &mut TreeMerge,
) -> Option<Vec<u8>> {
    if o == t || b == t {
        return o.map(<[u8]>::to_vec);
    }
    if b == o {
        return t.map(<[u8]>::to_vec);
    }
    let kind = if is_strict(path) {
        ConflictKind::Refused
    } else {
        ConflictKind::BothChanged
    };
    let is_json = crate::model::is_json_name(path);
    let (bj, oj, tj) = (parse(b), parse(o), parse(t));
    let parsed_all = (b.is_none() || bj.is_some())
        && (o.is_none() || oj.is_some())
        && (t.is_none() || tj.is_some());
    if is_json && parsed_all {
        let opts = JsonMergeOptions {
            policy: Policy::Strict,
            array_keys: vec!["Name".into(), "PropertyName".into()],
        };
        let merged = merge_json(bj.as_ref(), oj.as_ref(), tj.as_ref(), &opts);
        for c in &merged.conflicts {
            out.conflicts.push(json_conflict(path, c, kind));
        }
        if merged.conflicts.is_empty() {
            return merged
                .value
                .map(|v| json::to_normalized_string(&v).into_bytes());
        }
        return o.map(<[u8]>::to_vec);
    }
    let describe = |x: Option<&[u8]>| x.map(|bytes| format!("{} bytes", bytes.len()));
    out.conflicts.push(Conflict {
        at: path.to_string(),
        kind: match (o, t) {
            (None, _) | (_, None) => ConflictKind::DeletedAndChanged,
            _ if b.is_none() => ConflictKind::BothAdded,
            _ => kind,
        },
        base: describe(b),
        ours: describe(o),
        theirs: describe(t),
    });
    o.map(<[u8]>::to_vec)
}

/// The note for a cache (editor state, entropy, the app checker's report) both sides changed
/// in the same place.
pub const CACHE_CLASH: &str = "changed on both sides; kept ours where they clash (a cache)";

/// Caches: merged key by key; a clash takes ours and is only noted.
pub(crate) fn merge_cache(
    path: &str,
    b: Option<&[u8]>,
    o: Option<&[u8]>,
    t: Option<&[u8]>,
    out: &mut TreeMerge,
) -> Option<Vec<u8>> {
    if o == t || b == t {
        return o.map(<[u8]>::to_vec);
    }
    if b == o {
        return t.map(<[u8]>::to_vec);
    }
    let opts = JsonMergeOptions {
        policy: Policy::PreferOurs,
        array_keys: Vec::new(),
    };
    let merged = merge_json(
        parse(b).as_ref(),
        parse(o).as_ref(),
        parse(t).as_ref(),
        &opts,
    );
    if !merged.conflicts.is_empty() {
        out.notes.push(Note {
            at: path.to_string(),
            message: CACHE_CLASH.into(),
        });
    }
    match merged.value {
        Some(v) => Some(json::to_normalized_string(&v).into_bytes()),
        None => o.map(<[u8]>::to_vec),
    }
}

fn merge_text_file(
    path: &str,
    b: Option<&[u8]>,
    o: Option<&[u8]>,
    t: Option<&[u8]>,
    opts: &MergeOptions,
    out: &mut TreeMerge,
) -> Result<Option<Vec<u8>>> {
    if o == t || b == t {
        return Ok(o.map(<[u8]>::to_vec));
    }
    if b == o {
        return Ok(t.map(<[u8]>::to_vec));
    }
    let text = |x: Option<&[u8]>| x.map(|b| String::from_utf8_lossy(b).into_owned());
    match (text(o), text(t)) {
        (Some(os), Some(ts)) => {
            if let Some(merged) = merge_test_file(text(b).as_deref(), &os, &ts, path) {
                return Ok(Some(merged.into_bytes()));
            }
            let merged = merge_text(&text(b).unwrap_or_default(), &os, &ts, &opts.text)?;
            if merged.clean {
                return Ok(Some(merged.text.into_bytes()));
            }
            out.conflicts.push(Conflict {
                at: path.to_string(),
                kind: ConflictKind::BothChanged,
                base: None,
                ours: Some(format!("{} conflicting region(s)", merged.conflicts)),
                theirs: None,
            });
            out.workspace
                .insert(path.to_string(), merged.text.into_bytes());
            Ok(o.map(<[u8]>::to_vec))
        }
        _ => Ok(merge_file(path, b, o, t, out)),
    }
}

/// `HeaderLastSavedDateTimeUTC` as a sortable tuple.
fn saved_at(tree: &SourceTree) -> Option<(u32, u32, u32, String)> {
    let e = parse(tree.get("Entropy/Entropy.json"))?;
    studio_time(e.get("HeaderLastSavedDateTimeUTC")?.as_str()?)
}

/// Studio's save time (`MM/dd/yyyy HH:mm:ss`, as `Header.json` holds it) as a sortable tuple.
pub(super) fn studio_time(s: &str) -> Option<(u32, u32, u32, String)> {
    let mut parts = s.split(['/', ' ']);
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    let time = parts.next()?.to_string();
    Some((year, month, day, time))
}

/// The file of the side saved last in Studio (ours on a tie or when unknown).
fn latest(
    base: &SourceTree,
    ours: &SourceTree,
    theirs: &SourceTree,
    path: &str,
) -> Option<Vec<u8>> {
    let (b, o, t) = (base.get(path), ours.get(path), theirs.get(path));
    // One-sided changes first, like any file; the save time only settles a real clash.
    if o == t || b == t {
        return o.map(<[u8]>::to_vec);
    }
    if b == o {
        return t.map(<[u8]>::to_vec);
    }
    let pick_theirs = match (saved_at(ours), saved_at(theirs)) {
        (Some(a), Some(b)) => b > a,
        (None, Some(_)) => true,
        _ => false,
    };
    if pick_theirs && t.is_some() {
        t
    } else {
        o.or(t)
    }
    .map(<[u8]>::to_vec)
}

fn version_key(v: Option<&Json>) -> Vec<u64> {
    v.and_then(Json::as_str)
        .map(|s| s.split('.').map(|p| p.parse().unwrap_or(0)).collect())
        .unwrap_or_default()
}

/// `CanvasManifest.json`: strict key-by-key merge, `ScreenOrder` merged as a sequence over the
/// merged screens, `Header` taken from the side saved by the newer Studio.
fn merge_manifest(
    b: Option<&[u8]>,
    o: Option<&[u8]>,
    t: Option<&[u8]>,
    screens: &[String],
    ids: &[HashMap<String, String>; 3],
    out: &mut TreeMerge,
) -> Option<Vec<u8>> {
    let (mut bj, mut oj, mut tj) = (parse(b), parse(o), parse(t));
    let take = |j: &mut Option<Json>, key: &str| -> Option<Json> {
        j.as_mut()
            .and_then(Json::as_object_mut)
            .and_then(|m| m.remove(key))
    };
    let order_of = |j: &Option<Json>| -> Vec<String> {
        j.as_ref()
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (bo, oo, to) = (
        take(&mut bj, "ScreenOrder"),
        take(&mut oj, "ScreenOrder"),
        take(&mut tj, "ScreenOrder"),
    );
    let (bh, oh, th) = (
        take(&mut bj, "Header"),
        take(&mut oj, "Header"),
        take(&mut tj, "Header"),
    );

    // Preview flags are a set: each side's enabled and disabled flags all apply.
    let flags = |j: &mut Option<Json>| -> Option<Vec<String>> {
        let props = j.as_mut()?.get_mut("Properties")?.as_object_mut()?;
        let list: Option<Vec<String>> = props
            .get(PREVIEW_FLAGS)?
            .as_array()?
            .iter()
            .map(|f| f.as_str().map(str::to_string))
            .collect();
        props.remove(PREVIEW_FLAGS);
        list
    };
    let (bf, of, tf) = (flags(&mut bj), flags(&mut oj), flags(&mut tj));
    let merged_flags = match (&of, &tf) {
        (Some(o), Some(t)) => {
            Some(super::sequence::merge_sequence(&bf.unwrap_or_default(), o, t).items)
        }
        (o, t) => o.clone().or(t.clone()),
    };

    // The id counter: both sides adding controls raise it differently; the larger covers both.
    let counter = |j: &mut Option<Json>| -> Option<Json> {
        let props = j.as_mut()?.get_mut("Properties")?.as_object_mut()?;
        props.remove(LAST_ID)
    };
    let (bc, oc, tc) = (counter(&mut bj), counter(&mut oj), counter(&mut tj));
    let merged_counter = merge_id_counter(bc.as_ref(), oc.as_ref(), tc.as_ref());

    let opts = JsonMergeOptions {
        policy: Policy::Strict,
        array_keys: Vec::new(),
    };
    let merged = merge_json(bj.as_ref(), oj.as_ref(), tj.as_ref(), &opts);
    for c in &merged.conflicts {
        out.conflicts.push(json_conflict(
            "CanvasManifest.json",
            c,
            ConflictKind::Refused,
        ));
    }
    let mut manifest = match merged.value.or(oj) {
        Some(Json::Object(m)) => m,
        _ => Object::new(),
    };
    if let (Some(v), Some(props)) = (
        merged_counter,
        manifest.get_mut("Properties").and_then(Json::as_object_mut),
    ) {
        props.insert(LAST_ID, v);
    }
    if let (Some(list), Some(props)) = (
        merged_flags,
        manifest.get_mut("Properties").and_then(Json::as_object_mut),
    ) {
        props.insert(
            PREVIEW_FLAGS,
            Json::Array(list.into_iter().map(Json::String).collect()),
        );
    }

    let header = if oh == th || bh == th {
        oh
    } else if bh == oh {
        th
    } else {
        let newer_theirs = version_key(th.as_ref().and_then(|h| h.get("DocVersion")))
            > version_key(oh.as_ref().and_then(|h| h.get("DocVersion")));
        out.notes.push(Note {
            at: "CanvasManifest.json: Header".into(),
            message: format!(
                "both sides were saved by different Studio versions; kept the newer ({})",
                if newer_theirs { "theirs" } else { "ours" }
            ),
        });
        if newer_theirs { th } else { oh }
    };
    if let Some(h) = header {
        manifest.insert("Header", h);
    }

    let screen_set: HashSet<&String> = screens.iter().collect();
    let seq = merge_sequence_with(
        &order_of(&bo),
        &order_of(&oo),
        &order_of(&to),
        |s: &String| screen_set.contains(s),
        Favor::Ours,
    );
    for c in &seq.conflicts {
        out.conflicts.push(Conflict {
            at: "CanvasManifest.json: ScreenOrder".into(),
            kind: ConflictKind::Order,
            base: Some(c.base.join(", ")),
            ours: Some(c.ours.join(", ")),
            theirs: Some(c.theirs.join(", ")),
        });
    }
    let mut order = seq.items;
    if seq.conflicts.is_empty()
        && let Some(c) = first_screen_clash([&bo, &oo, &to], &screen_set, ids)
    {
        // Ours' first screen leads until the conflict is resolved.
        if let Some(first) = c.ours.clone() {
            order.retain(|s| *s != first);
            order.insert(0, first);
        }
        out.conflicts.push(c);
    }
    let mut missing: Vec<&String> = screens.iter().filter(|s| !order.contains(s)).collect();
    missing.sort();
    order.extend(missing.into_iter().cloned());
    manifest.insert(
        "ScreenOrder",
        Json::Array(order.into_iter().map(Json::String).collect()),
    );
    Some(json::to_normalized_string(&Json::Object(manifest)).into_bytes())
}

/// The first screen is where the app opens (unless `App.StartScreen` says otherwise): both
/// sides putting a different screen first is a conflict even when their moves combine into
/// one order pair by pair (that order would open on a screen neither side chose).
///
/// Screens are told apart by their unique ids where the sides' entropy has them: a screen
/// renamed on one side is still the screen it was (renaming the first screen on one side and
/// the second on the other reorders nothing).
fn first_screen_clash(
    orders: [&Option<Json>; 3],
    screens: &HashSet<&String>,
    ids: &[HashMap<String, String>; 3],
) -> Option<Conflict> {
    let identity = |side: usize, name: &str| -> String {
        ids.get(side)
            .and_then(|ids| ids.get(name))
            .cloned()
            .unwrap_or_else(|| format!("name {name}"))
    };
    // The merged screens by identity: their names are ours' or theirs'.
    let merged: HashSet<String> = screens
        .iter()
        .flat_map(|s| [identity(1, s), identity(2, s)])
        .collect();
    let first = |side: usize| -> Option<(String, String)> {
        orders
            .get(side)?
            .as_ref()?
            .as_array()?
            .iter()
            .filter_map(Json::as_str)
            .map(|name| (identity(side, name), name.to_string()))
            .find(|(id, name)| screens.contains(&name.to_string()) || merged.contains(id))
    };
    let [b, o, t] = [0, 1, 2].map(first);
    let id = |f: &Option<(String, String)>| f.as_ref().map(|(id, _)| id.clone());
    if id(&o) == id(&b) || id(&t) == id(&b) || id(&o) == id(&t) {
        return None;
    }
    let name = |f: Option<(String, String)>| f.map(|(_, name)| name);
    Some(Conflict {
        at: "CanvasManifest.json: ScreenOrder (first screen)".into(),
        kind: ConflictKind::Order,
        base: name(b),
        ours: name(o),
        theirs: name(t),
    })
}

/// Control name -> unique id, from a tree's entropy (integer ids and GUIDs kept apart).
fn control_ids(tree: &SourceTree) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    let Some(entropy) = parse(tree.get("Entropy/Entropy.json")) else {
        return ids;
    };
    for map in ["ControlUniqueIds", "ControlUniqueGuids"] {
        for (name, id) in entropy
            .get(map)
            .and_then(Json::as_object)
            .into_iter()
            .flat_map(|m| m.iter())
        {
            ids.insert(
                name.to_string(),
                format!("{map} {}", json::to_compact_string(id)),
            );
        }
    }
    ids
}

const PREVIEW_FLAGS: &str = "AppPreviewFlagsKey";
const LAST_ID: &str = "LastControlUniqueId";

/// Entropy maps keyed by control name.
const PER_CONTROL_MAPS: &[&str] = &[
    "ControlUniqueIds",
    "ControlUniqueGuids",
    "PublishOrderIndices",
    "ComponentIndexes",
    "OrderGroupControls",
    "PCFTemplateEntry",
    "OverridablePropertiesEntry",
    "PCFDynamicSchemaForIRRetrievalEntry",
    "HostTypeEntry",
    "HostServiceEntry",
    "DataTableCustomControlTemplateJsons",
];

/// `Entropy/Entropy.json`: merged key by key (a cache), then made consistent with the merged
/// controls: entries of deleted controls dropped, unique ids kept unique (both sides number
/// new controls from the same counter), publish order entries that would clash dropped.
fn block_names(block: &crate::fxyaml::Block, names: &mut HashSet<String>) {
    names.insert(block.name.clone());
    for c in &block.children {
        block_names(c, names);
    }
}

fn merge_entropy(
    base: &SourceTree,
    ours: &SourceTree,
    theirs: &SourceTree,
    controls: &super::controls::ControlsMerge,
    names: &HashSet<String>,
    out: &mut TreeMerge,
) -> (Option<Json>, i64) {
    let path = "Entropy/Entropy.json";
    let (b, o, t) = (
        parse(base.get(path)),
        parse(ours.get(path)),
        parse(theirs.get(path)),
    );
    if o.is_none() && t.is_none() {
        return (None, 0);
    }
    let opts = JsonMergeOptions {
        policy: Policy::PreferOurs,
        array_keys: Vec::new(),
    };
    let merged = merge_json(b.as_ref(), o.as_ref(), t.as_ref(), &opts);
    let mut e = match merged.value.or(o.clone()).or(t.clone()) {
        Some(Json::Object(m)) => m,
        _ => Object::new(),
    };
    // The latest save time wins, like checksum.json.
    let latest_saved = match (saved_at(ours), saved_at(theirs)) {
        (Some(a), Some(b)) if b > a => t.as_ref(),
        (None, Some(_)) => t.as_ref(),
        _ => o.as_ref(),
    }
    .and_then(|x| x.get("HeaderLastSavedDateTimeUTC"))
    .cloned();
    if let Some(v) = latest_saved {
        e.insert("HeaderLastSavedDateTimeUTC", v);
    }

    for map in PER_CONTROL_MAPS {
        if let Some(Json::Object(m)) = e.get_mut(map) {
            m.0.retain(|(k, _)| names.contains(k));
        }
    }

    // Unique ids: a theirs-only id that is taken gets a fresh one.
    let id_of = |j: &Option<Json>, name: &str| -> Option<i64> {
        j.as_ref()?
            .get("ControlUniqueIds")?
            .get(name)?
            .as_f64()
            .map(|v| v as i64)
    };
    // The largest number any side holds in an entropy map (`floor` when none); new numbers
    // start above it.
    let largest = |map: &str, floor: f64| -> i64 {
        [&b, &o, &t]
            .iter()
            .filter_map(|j| j.as_ref()?.get(map)?.as_object())
            .flat_map(|m| m.iter().filter_map(|(_, v)| v.as_f64()))
            .fold(floor, f64::max) as i64
    };
    let mut next = largest("ControlUniqueIds", 0.0) + 1;
    let mut allocated = 0;
    let mut ids: Vec<(String, i64)> = Vec::new();
    let mut used: HashMap<i64, String> = HashMap::new();
    let theirs_added: HashSet<&String> = controls.added_by_theirs.iter().collect();
    let mut ordered: Vec<&String> = names.iter().filter(|n| !theirs_added.contains(n)).collect();
    ordered.sort();
    ordered.extend(controls.added_by_theirs.iter());
    // A side that renumbered a control (tools do; Studio keeps ids) changed it: a one-sided
    // change wins, ours when both did. Ids theirs brought yield on a clash, after the others.
    let mut chosen: Vec<(bool, &String, i64)> = Vec::new();
    for name in ordered {
        let (bi, oi, ti) = (id_of(&b, name), id_of(&o, name), id_of(&t, name));
        let (id, from_theirs) = if oi.is_some() && oi != bi {
            (oi, false)
        } else if ti.is_some() && ti != bi {
            (ti, true)
        } else {
            (bi.or(oi).or(ti), false)
        };
        if let Some(id) = id {
            chosen.push((from_theirs || theirs_added.contains(name), name, id));
        }
    }
    chosen.sort_by_key(|(from_theirs, _, _)| *from_theirs);
    for (_, name, mut id) in chosen {
        if let Some(owner) = used.get(&id) {
            out.notes.push(Note {
                at: format!("{name} (unique id)"),
                message: format!("id {id} is also {owner}'s; given {next}"),
            });
            id = next;
            allocated = next;
            next += 1;
        }
        used.insert(id, name.clone());
        ids.push((name.clone(), id));
    }
    if e.contains_key("ControlUniqueIds") || !ids.is_empty() {
        let map = Object(
            ids.into_iter()
                .map(|(n, id)| (n, Json::from_i64(id)))
                .collect(),
        );
        e.insert("ControlUniqueIds", Json::Object(map));
    }

    // Publish order: a theirs-only index that clashes gets the next free one, in the same order
    // as the ids, so the result does not depend on where pack happens to meet the control.
    // Top parents are left alone: Studio numbers every screen 0.
    let max_publish = largest("PublishOrderIndices", -1.0);
    if let Some(Json::Object(m)) = e.get_mut("PublishOrderIndices") {
        let mut seen: HashSet<String> = m
            .iter()
            .filter(|(k, _)| {
                let name = k.to_string();
                !theirs_added.contains(&name) && !controls.tops.contains(&name)
            })
            .map(|(_, v)| json::to_compact_string(v))
            .collect();
        let mut next = max_publish + 1;
        for name in controls
            .added_by_theirs
            .iter()
            .filter(|n| !controls.tops.contains(*n))
        {
            let Some(value) = m.get_mut(name) else {
                continue;
            };
            if !seen.insert(json::to_compact_string(value)) {
                *value = Json::from_i64(next);
                seen.insert(next.to_string());
                next += 1;
            }
        }
    }
    (Some(Json::Object(e)), allocated)
}

/// Both sides renamed one control to different names: the control merge sees two new
/// controls, and only the unique id (which a rename keeps) tells it was one. Reported so the
/// app does not silently end up with two copies.
fn renamed_apart(
    trees: [&SourceTree; 3],
    sides: [&SideControls; 3],
    names: &HashSet<String>,
) -> Vec<Conflict> {
    let [b, o, t] = trees.map(|tree| parse(tree.get("Entropy/Entropy.json")));
    let type_of = |side: usize, name: &str| {
        sides
            .get(side)
            .and_then(|s| s.nodes.get(name))
            .map(|n| n.type_name.clone())
    };
    let mut found = Vec::new();
    for map in ["ControlUniqueIds", "ControlUniqueGuids"] {
        let ids = |j: &Option<Json>| -> Vec<(String, String)> {
            j.as_ref()
                .and_then(|j| j.get(map))
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_string(), json::to_compact_string(v)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (bi, oi, ti) = (ids(&b), ids(&o), ids(&t));
        let new_name = |side: &[(String, String)], id: &str| {
            side.iter()
                .find(|(n, v)| v == id && !bi.iter().any(|(bn, _)| bn == n))
                .map(|(n, _)| n.clone())
        };
        for (name, id) in &bi {
            if names.contains(name) {
                continue;
            }
            // Same type on all three sides: a deleted id reused for a new control is not a
            // rename.
            if let (Some(on), Some(tn)) = (new_name(&oi, id), new_name(&ti, id))
                && on != tn
                && type_of(0, name).is_some()
                && type_of(0, name) == type_of(1, &on)
                && type_of(0, name) == type_of(2, &tn)
            {
                found.push(Conflict {
                    at: format!("{name} (renamed)"),
                    kind: ConflictKind::BothChanged,
                    base: Some(name.clone()),
                    ours: Some(on),
                    theirs: Some(tn),
                });
            }
        }
    }
    found
}

/// `LastControlUniqueId` (in the manifest's Properties) never lags behind the ids the merge
/// allocated. Ids that came from a side are that side's business: a side is taken as it is.
fn raise_last_control_unique_id(tree: &mut SourceTree, max: i64) {
    if max <= 0 {
        return;
    }
    let Some(mut manifest) = parse(tree.get("CanvasManifest.json")) else {
        return;
    };
    let Some(props) = manifest.get_mut("Properties").and_then(Json::as_object_mut) else {
        return;
    };
    if let Some(value) = props
        .get(LAST_ID)
        .and_then(|current| raised_id_counter(current, max))
    {
        props.insert(LAST_ID, value);
        tree.insert(
            "CanvasManifest.json",
            json::to_normalized_string(&manifest).into_bytes(),
        );
    }
}

/// `LastControlUniqueId` of the merged app: a counter, so one side's change wins and when both
/// moved it (both added controls) the larger value.
pub(crate) fn merge_id_counter(
    b: Option<&Json>,
    o: Option<&Json>,
    t: Option<&Json>,
) -> Option<Json> {
    let as_number = |v: Option<&Json>| match v {
        Some(Json::String(s)) => s.parse::<f64>().ok(),
        Some(other) => other.as_f64(),
        None => None,
    };
    let theirs_wins = o != t && b != t && (b == o || as_number(t) > as_number(o));
    if theirs_wins { t } else { o }.cloned()
}

/// The counter raised to `max` when it lags behind, in its own spelling (Studio writes it as a
/// string, older apps as a number); `None` when it needs no change or is not a counter.
pub(crate) fn raised_id_counter(current: &Json, max: i64) -> Option<Json> {
    match current {
        Json::String(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| *v < max)
            .map(|_| Json::str(max.to_string())),
        Json::Number(n) => (n.as_f64() < max as f64).then(|| Json::from_i64(max)),
        _ => None,
    }
}

/// A component's record holds a copy of its definition (`ComponentDefinitionInfo`) that pack
/// regenerates; when both sides edited the component, that copy differs on both sides without
/// being a real conflict, so it is left out and rebuilt.
fn merge_component_record(
    path: &str,
    b: Option<&[u8]>,
    o: Option<&[u8]>,
    t: Option<&[u8]>,
    out: &mut TreeMerge,
) -> Option<Vec<u8>> {
    let mut trial = TreeMerge::default();
    let merged = merge_file(path, b, o, t, &mut trial);
    let derived_only = !trial.conflicts.is_empty()
        && trial.conflicts.iter().all(|c| {
            c.at.starts_with(&format!("{path}: ComponentDefinitionInfo"))
        });
    if !derived_only {
        out.conflicts.extend(trial.conflicts);
        out.notes.extend(trial.notes);
        return merged;
    }
    let strip = |x: Option<&[u8]>| -> Option<Vec<u8>> {
        let mut j = parse(x)?;
        if let Some(o) = j.as_object_mut() {
            o.remove("ComponentDefinitionInfo");
        }
        Some(json::to_normalized_string(&j).into_bytes())
    };
    let (bs, os, ts) = (strip(b), strip(o), strip(t));
    merge_file(path, bs.as_deref(), os.as_deref(), ts.as_deref(), out)
}
