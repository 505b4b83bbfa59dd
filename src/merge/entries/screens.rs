//! Top controls changed on both sides, merged through the source trees of a reduced app.
//!
//! A screen edited on both branches needs the model merge, but the rest of the app does not:
//! each side is cut down to those screens and the entries their unpacking reads (header,
//! properties, templates, themes, component definitions), the three reduced apps go through
//! the ordinary model merge, and the merged screens are taken from its result. What a screen
//! holds that depends on the whole app is checked against the full sides instead: its place in
//! the screen order (`Index`) must be the same on all three, and every name, id and publish
//! order it ends up with must come from ours or theirs, so nothing was allocated without
//! seeing the other screens. The same reduction proves the result: every entry the merge
//! changed is unpacked again with that context. A control that left such a screen for
//! another one is a move only the whole app sees whole, and sends the merge there.
//!
//! A conflict in those screens is the reduced merge's to report, as it is local to them: the
//! merged screens keep ours there, and the workspace the user resolves it in is the merged app
//! unpacked, with the markers the reduced merge wrote.
//!
//! Many such screens go through several reduced apps of bounded size, one after another (the
//! proof too), so the memory a merge needs follows the largest batch, not the number of
//! screens changed. What the separate merges cannot see of each other, two merged screens
//! ending up with one name or id, is checked across their results.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::added::{Identity, identities};
use super::{Decided, Plan, Side, Sides, Source, StoredArchive, entry_key, fallback};
use crate::app::{parse_msapp, parse_msapp_for_unpack, unpack_app, unpack_app_owned};
use crate::container::{ArchiveWriter, Limits, RawSource};
use crate::json::{self, Json};
use crate::merge::app::{AppMerge, merge_apps};
use crate::merge::conflict::{Conflict, Note};
use crate::merge::tree::MergeOptions;
use crate::source::SourceTree;
use crate::source::controls::is_component_template_id;
use crate::source::unpack::UnpackOptions;

/// Whether an entry is Studio's YAML view of one part of the app (`Src\*.pa.yaml`).
pub(super) fn is_screen_yaml(key: &str) -> bool {
    key.starts_with("src\\") && key.ends_with(".pa.yaml")
}

/// What unpacking a top control reads besides the control itself. Data sources, assets, tests
/// and the app checker's report are left out: controls refer to them only by name inside
/// formulas.
fn is_context(key: &str) -> bool {
    matches!(
        key,
        "header.json"
            | "properties.json"
            | "references\\templates.json"
            | "references\\themes.json"
            | "componentsmetadata.json"
            | "src\\app.pa.yaml"
            | "src\\_editorstate.pa.yaml"
    )
}

fn is_component_definition(key: &str) -> bool {
    key.starts_with("components\\")
}

/// Template names of the component instances inside a top control.
fn instances(doc: &Json, out: &mut BTreeSet<String>) {
    fn walk(control: &Json, out: &mut BTreeSet<String>) {
        for child in control
            .get("Children")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let template = child.get("Template");
            if template
                .and_then(|t| t.get("Id"))
                .and_then(Json::as_str)
                .is_some_and(is_component_template_id)
                && let Some(name) = template.and_then(|t| t.get("Name")).and_then(Json::as_str)
            {
                out.insert(name.to_string());
            }
            walk(child, out);
        }
    }
    if let Some(top) = doc.get("TopParent") {
        walk(top, out);
    }
}

/// What a component definition entry holds for [`components_used`]: its template name and the
/// templates it instantiates. Keyed by the entry's fingerprint, so that a definition the three
/// sides store alike is read once.
type DefinitionsSeen = HashMap<[u8; 32], Option<(String, BTreeSet<String>)>>;

/// An app's component definitions: template name -> (entry key, the templates it uses).
type Definitions = HashMap<String, (String, BTreeSet<String>)>;

fn definitions_of(
    stored: &StoredArchive<'_>,
    label: &str,
    seen_definitions: &mut DefinitionsSeen,
) -> Decided<Definitions> {
    let mut definitions = Definitions::new();
    for (index, entry) in stored.entries.iter().enumerate() {
        let key = entry_key(&entry.info.name);
        if !is_component_definition(&key) {
            continue;
        }
        let fingerprint = stored.fingerprint(index);
        let known = fingerprint.and_then(|f| seen_definitions.get(&f).cloned());
        let definition = match known {
            Some(definition) => definition,
            None => {
                let bytes = stored
                    .inflate(index)
                    .map_err(|e| fallback(format!("{label} {}: {e}", entry.info.name)))?;
                let doc = json::parse_bytes_nested(&bytes, json::MAX_ENTRY_DEPTH)
                    .map_err(|e| fallback(format!("{label} {}: {e}", entry.info.name)))?;
                let name = top(&doc)
                    .and_then(|t| t.get("Template"))
                    .and_then(|t| t.get("Name"))
                    .and_then(Json::as_str);
                let definition = name.map(|name| {
                    let mut uses = BTreeSet::new();
                    instances(&doc, &mut uses);
                    (name.to_string(), uses)
                });
                if let Some(f) = fingerprint {
                    seen_definitions.insert(f, definition.clone());
                }
                definition
            }
        };
        if let Some((name, uses)) = definition {
            definitions.insert(name, (key, uses));
        }
    }
    Ok(definitions)
}

/// The keys of the component definitions that instances of `wanted` use, directly or through
/// other definitions: unpacking an instance compares it with its definition, and nothing else
/// of a definition matters to a screen (most of a component-heavy app is definitions).
fn components_used(definitions: &Definitions, wanted: BTreeSet<String>) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut todo: Vec<String> = wanted.iter().cloned().collect();
    let mut seen = wanted;
    while let Some(name) = todo.pop() {
        if let Some((key, uses)) = definitions.get(&name) {
            keys.insert(key.clone());
            for next in uses {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
    }
    keys
}

/// `Properties.json` keys that tie the app to its data sources; pack checks them against
/// `References\DataSources.json`, which a reduced app does not carry.
const DATA_PROPERTIES: [&str; 2] = ["LocalConnectionReferences", "LocalDatabaseReferences"];

/// The app cut down to its context entries and those `keep` names, in stored order.
fn reduced_archive(
    stored: &StoredArchive<'_>,
    label: &str,
    keep: &dyn Fn(&str) -> bool,
    replaced: &HashMap<String, Vec<u8>>,
) -> Decided<Vec<u8>> {
    let failed = |e: crate::error::Error| fallback(format!("reducing {label}: {e}"));
    let mut writer = ArchiveWriter::new();
    let mut source = RawSource::open(stored.bytes()).map_err(failed)?;
    for (index, entry) in stored.entries.iter().enumerate() {
        let name = entry.info.name.as_str();
        let key = entry_key(name);
        if !is_context(&key) && !keep(&key) {
            continue;
        }
        if let Some(bytes) = replaced.get(&key) {
            writer.add(name, bytes).map_err(failed)?;
        } else if key == "properties.json" {
            let bytes = stored.inflate(index).map_err(failed)?;
            let mut properties = json::parse_bytes_nested(&bytes, json::MAX_ENTRY_DEPTH)
                .map_err(|e| fallback(format!("{label} {name}: {e}")))?;
            if let Some(object) = properties.as_object_mut() {
                for key in DATA_PROPERTIES {
                    object.remove(key);
                }
            }
            let text = json::to_compact_string(&properties);
            writer.add(name, text.as_bytes()).map_err(failed)?;
        } else {
            writer.copy_raw(&mut source, name).map_err(failed)?;
        }
    }
    writer.finish().map_err(failed)
}

/// The top control of a `Controls\*.json` document.
fn top(doc: &Json) -> Option<&Json> {
    doc.get("TopParent")
}

/// What the fast path's checks read of a top control entry (screen, App, component
/// definition, test): small enough to keep for every changed entry, where the trees are not.
#[derive(Debug, Default)]
pub(super) struct TopFacts {
    /// Every control, the top one first.
    pub identities: Vec<Identity>,
    /// The top control's place in the screen order.
    pub index: Option<Json>,
    /// Template names of the component instances inside.
    pub instances: BTreeSet<String>,
    /// Every control's `Template`, as compact JSON.
    pub templates: BTreeSet<String>,
}

impl TopFacts {
    pub fn of(doc: &Json) -> Self {
        let mut facts = TopFacts {
            index: top(doc).and_then(|t| t.get("Index")).cloned(),
            ..TopFacts::default()
        };
        identities(doc, &mut facts.identities);
        instances(doc, &mut facts.instances);
        fn walk(control: &Json, out: &mut BTreeSet<String>) {
            if let Some(template) = control.get("Template") {
                out.insert(json::to_compact_string(template));
            }
            for child in control
                .get("Children")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                walk(child, out);
            }
        }
        if let Some(top) = top(doc) {
            walk(top, &mut facts.templates);
        }
        facts
    }

    /// The top control's name.
    fn name(&self) -> Option<&str> {
        self.identities
            .first()
            .filter(|c| c.top)
            .map(|c| c.name.as_str())
    }

    /// What must stay unique app-wide: the names, ids and publish orders of the controls
    /// (the top control's own place in the screen order is checked separately).
    fn unique(&self) -> BTreeSet<String> {
        let mut facts = self.names_and_ids();
        for c in &self.identities {
            if let Some(order) = c.distinct_publish() {
                facts.insert(format!("publish order {}", json::to_compact_string(order)));
            }
        }
        facts
    }

    /// The names and ids of the controls: what no two top controls of an app may share.
    fn names_and_ids(&self) -> BTreeSet<String> {
        let mut facts = BTreeSet::new();
        for c in &self.identities {
            facts.insert(format!("name {}", c.name));
            if let Some(id) = c.id {
                facts.insert(format!("id {id}"));
            }
            if let Some(id) = &c.other_id {
                facts.insert(format!("id {id}"));
            }
        }
        facts
    }
}

/// The names and ids of a top control's controls, to tell whether it holds a given control
/// (possibly renamed, or given a new id).
struct Holds<'f> {
    names: HashSet<&'f str>,
    ids: HashSet<i64>,
    other_ids: HashSet<&'f str>,
}

impl<'f> Holds<'f> {
    fn of(facts: &'f TopFacts) -> Self {
        let ids = &facts.identities;
        Holds {
            names: ids.iter().map(|c| c.name.as_str()).collect(),
            ids: ids.iter().filter_map(|c| c.id).collect(),
            other_ids: ids.iter().filter_map(|c| c.other_id.as_deref()).collect(),
        }
    }

    fn holds(&self, c: &Identity) -> bool {
        self.names.contains(c.name.as_str())
            || c.id.is_some_and(|id| self.ids.contains(&id))
            || c.other_id
                .as_deref()
                .is_some_and(|id| self.other_ids.contains(id))
    }
}

/// The most control JSON one reduced merge takes in: the sum over its screens of the largest
/// side's entry. A reduced merge holds the three sides' source trees of its screens at once,
/// some four times their JSON each with the allocator's share; a merge of many screens goes
/// through several reduced merges, one after another, instead of one that holds them all.
/// Each reads the context again, a few hundred kB on the largest corpus app.
pub(super) const BATCH_BYTES: u64 = 8 << 20;

/// `items` in order, cut into runs whose sizes add up to at most `limit` (a larger item is a
/// run of its own).
fn batches<T>(items: impl IntoIterator<Item = (T, u64)>, limit: u64) -> Vec<Vec<T>> {
    let mut batches: Vec<Vec<T>> = Vec::new();
    let mut filled = 0;
    for (item, size) in items {
        match batches.last_mut() {
            Some(batch) if filled + size <= limit => {
                batch.push(item);
                filled += size;
            }
            _ => {
                batches.push(vec![item]);
                filled = size;
            }
        }
    }
    batches
}

/// A top control changed on both sides, as the checks of [`Sides::merge_screens`] see it.
struct BothChanged<'k> {
    key: &'k str,
    /// Its place in the screen order, the same on the three sides.
    index: Json,
    /// The names, ids and publish orders it may end up with: ours' and theirs'.
    allowed: BTreeSet<String>,
    /// The control templates it may end up with: ours' and theirs'. A reduced app knows only
    /// the templates its screens use, so a control whose template the merge could not find
    /// there (theirs deleted the screen's last button, ours added one) would be written with
    /// a bare one.
    templates: BTreeSet<String>,
    /// The keys of its `Src\*.pa.yaml` view, by its names on the three sides.
    yaml_keys: BTreeSet<String>,
    /// Template names of the component instances in it, per side (base, ours, theirs).
    instances: [BTreeSet<String>; 3],
    /// The largest side's entry, uncompressed.
    size: u64,
}

/// Source files with conflict markers: path -> (the file as the merged app unpacks to, the
/// file with the markers).
pub(super) type MarkedFiles = BTreeMap<String, (Vec<u8>, Vec<u8>)>;

/// What the reduced merges of the screens changed on both sides report.
#[derive(Debug, Default)]
pub(super) struct ScreensMerged {
    /// The merged top controls' names, sorted.
    pub names: Vec<String>,
    pub reduced_merges: usize,
    /// As the whole-app merge reports them: the merged screens hold ours at each conflict.
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
    /// The source files the conflicts left markers in.
    pub marked: MarkedFiles,
}

impl Sides<'_> {
    /// Settles every [`Source::Model`] entry of the plan and re-renders the YAML view of the
    /// merged screens.
    pub(super) fn merge_screens(
        &self,
        plan: &mut Plan,
        theirs_renumbered: &HashMap<String, Vec<u8>>,
        opts: &MergeOptions,
    ) -> Decided<ScreensMerged> {
        let model: BTreeSet<String> = plan.model_keys().map(str::to_string).collect();
        let mut merged = ScreensMerged::default();
        if model.is_empty() {
            return Ok(merged);
        }
        let controls: Vec<&String> = model
            .iter()
            .filter(|k| k.starts_with("controls\\"))
            .collect();
        if controls.is_empty() {
            let first = model.iter().next().map_or("", String::as_str);
            return Err(fallback(format!("both sides changed {first}")));
        }

        let mut screens = Vec::new();
        for key in &controls {
            let located = |side: &Side<'_>| -> Decided<(usize, u64)> {
                let index = side
                    .find(key)
                    .ok_or_else(|| fallback(format!("{key} is missing on a side")))?;
                let size = side
                    .stored
                    .entries
                    .get(index)
                    .map_or(0, |e| e.info.uncompressed_size);
                Ok((index, size))
            };
            let ((b_index, b_size), (o_index, o_size)) =
                (located(&self.base)?, located(&self.ours)?);
            let (b, o) = (self.base.top_facts(b_index)?, self.ours.top_facts(o_index)?);
            let (t, t_size) = match theirs_renumbered.get(key.as_str()) {
                Some(bytes) => {
                    let doc = json::parse_bytes_nested(bytes, json::MAX_ENTRY_DEPTH)
                        .map_err(|e| fallback(format!("renumbered {key}: {e}")))?;
                    (Arc::new(TopFacts::of(&doc)), bytes.len() as u64)
                }
                None => {
                    let (index, size) = located(&self.theirs)?;
                    (self.theirs.top_facts(index)?, size)
                }
            };
            let Some(index) = b.index.clone() else {
                return Err(fallback(format!("{key} has no top control index")));
            };
            if o.index.as_ref() != Some(&index) || t.index.as_ref() != Some(&index) {
                return Err(fallback(format!("{key}: the screen order changed as well")));
            }
            let names = [&b, &o, &t].map(|facts| facts.name());
            if names[0] != names[1] && names[0] != names[2] && names[1] != names[2] {
                // Two new names for one screen: the whole app reports them (and orders the
                // screens by name).
                return Err(fallback(format!(
                    "{key}: renamed differently on both sides"
                )));
            }
            self.moved_away(key, &b, [&o, &t], plan)?;
            let mut allowed = o.unique();
            allowed.extend(t.unique());
            let templates = o.templates.union(&t.templates).cloned().collect();
            let yaml_keys = [&b, &o, &t]
                .iter()
                .filter_map(|facts| facts.name())
                .map(|name| entry_key(&crate::payaml::screen_file_name(name)))
                .collect();
            screens.push(BothChanged {
                key: key.as_str(),
                index,
                allowed,
                templates,
                yaml_keys,
                instances: [&b, &o, &t].map(|facts| facts.instances.clone()),
                size: b_size.max(o_size).max(t_size),
            });
        }
        // The merges below need the memory.
        for side in [&self.base, &self.ours, &self.theirs] {
            side.forget_parsed();
        }

        let limit = opts.batch_bytes.unwrap_or(BATCH_BYTES);
        let batches = batches(screens.iter().map(|s| (s, s.size)), limit);

        let mut definitions: [Option<Definitions>; 3] = [None, None, None];
        let mut seen = DefinitionsSeen::new();
        let mut resolved: HashMap<String, Vec<u8>> = HashMap::new();
        // Each name and id of the merged screens, and the screen that holds it: merged in
        // separate batches, two screens are checked against each other here.
        let mut held_by: HashMap<String, &str> = HashMap::new();
        for batch in &batches {
            let mut keep: BTreeSet<String> = batch.iter().map(|s| s.key.to_string()).collect();
            let sides = [
                (&self.base, "base"),
                (&self.ours, "ours"),
                (&self.theirs, "theirs"),
            ];
            for (which, (side, label)) in sides.into_iter().enumerate() {
                let wanted: BTreeSet<String> = batch
                    .iter()
                    .filter_map(|s| s.instances.get(which))
                    .flatten()
                    .cloned()
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let Some(slot) = definitions.get_mut(which) else {
                    continue;
                };
                let known = match slot {
                    Some(known) => known,
                    None => slot.insert(definitions_of(&side.stored, label, &mut seen)?),
                };
                keep.extend(components_used(known, wanted));
            }
            keep.extend(
                model
                    .iter()
                    .filter(|k| batch.iter().any(|s| s.yaml_keys.contains(*k)))
                    .cloned(),
            );
            self.merge_batch(
                batch,
                &keep,
                theirs_renumbered,
                opts,
                plan,
                &mut resolved,
                &mut merged,
                &mut held_by,
            )?;
        }

        for entry in &mut plan.entries {
            if let Some(bytes) = resolved.remove(&entry.key) {
                entry.source = Source::Merged(bytes);
                entry.changed = true;
                // The reduced merge unpacked its result again, in the same context.
                entry.reread = true;
            } else if matches!(entry.source, Source::Model) {
                return Err(fallback(format!("both sides changed {}", entry.name)));
            }
        }
        merged.names.sort();
        merged.reduced_merges = batches.len();
        Ok(merged)
    }

    /// Fails when a control of the top control `key`, changed on both sides, is gone from it
    /// on a side that holds it in another top control: a move between screens, which the
    /// reduced merges would each see half of (a deletion here, a new control there), and so
    /// keep a control twice or call a move against an edit a conflict. The whole app decides.
    fn moved_away(
        &self,
        key: &str,
        base: &TopFacts,
        sides: [&TopFacts; 2],
        plan: &Plan,
    ) -> Decided<()> {
        let labels = ["ours", "theirs"];
        for (((side, now), changed), label) in [&self.ours, &self.theirs]
            .into_iter()
            .zip(sides)
            .zip(&plan.tops_changed)
            .zip(labels)
        {
            // Looked up, not compared pairwise: a screen may hold thousands of controls.
            let here = Holds::of(now);
            let gone: Vec<&Identity> = base
                .identities
                .iter()
                .filter(|c| !c.top && !here.holds(c))
                .collect();
            if gone.is_empty() {
                continue;
            }
            for other in changed.iter().filter(|k| k.as_str() != key) {
                let Some(index) = side.find(other) else {
                    continue;
                };
                let facts = side.top_facts(index)?;
                let there = Holds::of(&facts);
                if let Some(c) = gone.iter().find(|c| there.holds(c)) {
                    return Err(fallback(format!(
                        "{label} moved {} from {} to {}",
                        c.name,
                        base.name().unwrap_or(key),
                        facts.name().unwrap_or(other)
                    )));
                }
            }
        }
        Ok(())
    }

    /// Merges the screens of `batch` through an app reduced to them, the context and the
    /// other entries `keep` names; puts the merged screens and their YAML view in `resolved`
    /// and what the merge reports in `report`.
    #[allow(clippy::too_many_arguments)]
    fn merge_batch<'k>(
        &self,
        batch: &[&BothChanged<'k>],
        keep: &BTreeSet<String>,
        theirs_renumbered: &HashMap<String, Vec<u8>>,
        opts: &MergeOptions,
        plan: &Plan,
        resolved: &mut HashMap<String, Vec<u8>>,
        report: &mut ScreensMerged,
        held_by: &mut HashMap<String, &'k str>,
    ) -> Decided<()> {
        let keep = |key: &str| keep.contains(key);
        let none = HashMap::new();
        let reduced = [
            reduced_archive(&self.base.stored, "base", &keep, &none)?,
            reduced_archive(&self.ours.stored, "ours", &keep, &none)?,
            reduced_archive(&self.theirs.stored, "theirs", &keep, theirs_renumbered)?,
        ];
        // The reduced app is mostly the controls that unpack splits, allocation-heavy work: on
        // two cores, a second thread's fresh heap cost more than it gained. Interleaved A/B on
        // the bench's 100-change merge of the largest corpus app: 2.73 -> 2.41 s (median),
        // peak RSS 352 -> 284 MB. The whole-app merge stays two at a time: 2.50 s against
        // 2.77 s one after another, for 526 against 470 MB.
        let reduced_opts = MergeOptions {
            model_only: true,
            checksum_cache: None,
            sides_in_turn: true,
            ..opts.clone()
        };
        let mut merged = merge_apps(&reduced[0], &reduced[1], &reduced[2], &reduced_opts)
            .map_err(|e| fallback(format!("merging the screens changed on both sides: {e}")))?;
        drop(reduced);
        if !merged.conflicts.is_empty() {
            report.marked.append(&mut marked_files(&merged)?);
        }
        report.conflicts.append(&mut merged.conflicts);
        report.notes.append(&mut merged.notes);

        let out = StoredArchive::open(&merged.merged, "merged screens", &Limits::default())
            .map_err(|e| fallback(format!("merged screens: {e}")))?;
        let out_keys: HashMap<String, usize> = out
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (entry_key(&e.info.name), i))
            .collect();
        let out_controls = out_keys
            .keys()
            .filter(|k| k.starts_with("controls\\"))
            .count();
        if out_controls != batch.len() {
            return Err(fallback("the merged screens came back as other entries"));
        }
        let inflate = |key: &str| -> Decided<Vec<u8>> {
            let index = out_keys
                .get(key)
                .ok_or_else(|| fallback(format!("the merged screens lack {key}")))?;
            out.inflate(*index)
                .map_err(|e| fallback(format!("merged screens {key}: {e}")))
        };

        let mut app_merged = false;
        for screen in batch {
            let key = screen.key;
            let bytes = inflate(key)?;
            let mut doc = json::parse_bytes_nested(&bytes, json::MAX_ENTRY_DEPTH)
                .map_err(|e| fallback(format!("merged {key}: {e}")))?;
            let facts = TopFacts::of(&doc);
            if let Some(extra) = facts.unique().difference(&screen.allowed).next() {
                return Err(fallback(format!(
                    "merging {key} allocated a new {extra}, which only the whole app can check"
                )));
            }
            if let Some(other) = facts.templates.difference(&screen.templates).next() {
                return Err(fallback(format!(
                    "merging {key} gave a control the template {other}, which only the whole app knows"
                )));
            }
            for fact in facts.names_and_ids() {
                if let Some(other) = held_by.insert(fact.clone(), key) {
                    return Err(fallback(format!(
                        "merged {key} and {other} both hold {fact}"
                    )));
                }
            }
            let Some(top) = doc.get_mut("TopParent").and_then(Json::as_object_mut) else {
                return Err(fallback(format!("merged {key} has no top control")));
            };
            report.names.push(
                top.get("Name")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string(),
            );
            app_merged |= top
                .get("Template")
                .and_then(|t| t.get("Name"))
                .and_then(Json::as_str)
                == Some("appinfo");
            // In the reduced app the screen's position counts only the screens kept.
            let bytes = if top.get("Index") == Some(&screen.index) {
                bytes
            } else {
                top.insert("Index", screen.index.clone());
                json::to_compact_string(&doc).into_bytes()
            };
            resolved.insert(key.to_string(), bytes);
        }

        // Studio's YAML view of a merged screen is rendered from the merged controls.
        for key in out_keys.keys().filter(|k| is_screen_yaml(k)) {
            let screen = !key.starts_with("src\\components\\")
                && key != "src\\_editorstate.pa.yaml"
                && key != "src\\app.pa.yaml";
            if screen || (key == "src\\app.pa.yaml" && app_merged) {
                if !plan.entries.iter().any(|e| &e.key == key) {
                    return Err(fallback(format!(
                        "{key} of a merged screen has no counterpart in the app"
                    )));
                }
                if resolved.insert(key.clone(), inflate(key)?).is_some() {
                    return Err(fallback(format!("two merged screens render to {key}")));
                }
            }
        }
        Ok(())
    }
}

/// The `.fx.yaml` files a reduced merge left conflict markers in, each with the file as the
/// reduced merged app unpacks to: [`conflict_workspace`] puts them in the whole app's tree
/// where it holds that same file.
fn marked_files(merged: &AppMerge) -> Decided<MarkedFiles> {
    let unpacked = unpacked_for_workspace(&merged.merged, "the merged screens")?;
    let mut marked = BTreeMap::new();
    for (path, bytes) in &merged.workspace.files {
        if !path.ends_with(".fx.yaml") {
            continue;
        }
        let plain = unpacked
            .get(path)
            .ok_or_else(|| fallback(format!("the merged screens lack {path}")))?;
        if plain != bytes.as_slice() {
            marked.insert(path.clone(), (plain.to_vec(), bytes.clone()));
        }
    }
    Ok(marked)
}

fn unpacked_for_workspace(bytes: &[u8], label: &str) -> Decided<SourceTree> {
    let failed = |e: crate::error::Error| fallback(format!("unpacking {label}: {e}"));
    let app = parse_msapp_for_unpack(bytes, label).map_err(failed)?;
    let opts = UnpackOptions {
        skip_client_checksum: true,
        ..UnpackOptions::default()
    };
    Ok(unpack_app_owned(app, label, &opts).map_err(failed)?.0)
}

/// The conflict workspace of a merge whose screens conflicted: the merged app (ours at each
/// conflict) unpacked, with the conflict markers of `marked`. A file the whole app unpacks
/// to something else than the reduced app did (a screen whose file name depends on the
/// other screens) is the whole-app merge's to show.
pub(super) fn conflict_workspace(bytes: &[u8], marked: MarkedFiles) -> Decided<SourceTree> {
    let mut tree = unpacked_for_workspace(bytes, "the merged app")?;
    for (path, (plain, with_markers)) in marked {
        if tree.get(&path) != Some(plain.as_slice()) {
            return Err(fallback(format!(
                "{path} is another file in the whole app than in the merged screens"
            )));
        }
        tree.insert(path, with_markers);
    }
    Ok(tree)
}

/// The entries [`verify_changed`] unpacks again: the controls that differ from the base's
/// and were not already unpacked by the reduced merge of the screens.
pub(super) fn to_verify(plan: &Plan) -> BTreeSet<&str> {
    plan.entries
        .iter()
        .filter(|e| {
            e.changed
                && !e.reread
                && (e.key.starts_with("controls\\") || e.key.starts_with("components\\"))
        })
        .map(|e| e.key.as_str())
        .collect()
}

/// Whether an entry of the merged app is read by [`verify_changed`] for `changed`: the
/// context, the changed entries, and the component definitions they may use.
pub(super) fn read_by_verify(key: &str, changed: &BTreeSet<&str>) -> bool {
    is_context(key) || changed.contains(key) || is_component_definition(key)
}

/// Reads the merged archive back and unpacks again, with their context, the entries that
/// differ from the base's: the merge must hand git an app that reads back, and the unchanged
/// entries are the base's own bytes. `bytes` may hold only the entries [`read_by_verify`]
/// accepts, in the merged app's order: the verdict is the same.
pub(super) fn verify_changed(bytes: &[u8], plan: &Plan, batch_bytes: u64) -> Decided<()> {
    let changed = to_verify(plan);
    let stored = StoredArchive::open(bytes, "merged app", &Limits::default())
        .map_err(|e| fallback(format!("the merged app does not read back: {e}")))?;
    if changed.is_empty() {
        // Every entry is a side's own, or was unpacked again by the reduced merge.
        return Ok(());
    }
    let has_components = stored
        .entries
        .iter()
        .any(|e| is_component_definition(&entry_key(&e.info.name)));
    let mut definitions = None;
    // In batches, as the screens merged on both sides are: a merge of many changes would
    // otherwise unpack most of the app at once.
    let changed_entries = stored
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| changed.contains(entry_key(&e.info.name).as_str()))
        .map(|(index, e)| (index, e.info.uncompressed_size));
    for batch in batches(changed_entries, batch_bytes) {
        let mut keep: BTreeSet<String> = batch
            .iter()
            .map(|&index| entry_key(stored_name(&stored, index)))
            .collect();
        if has_components {
            let wanted = batch_instances(&stored, &batch)?;
            if !wanted.is_empty() {
                let known = match &mut definitions {
                    Some(known) => known,
                    None => definitions.insert(definitions_of(
                        &stored,
                        "the merged app",
                        &mut DefinitionsSeen::new(),
                    )?),
                };
                keep.extend(components_used(known, wanted));
            }
        }
        let reduced = reduced_archive(
            &stored,
            "the merged app",
            &|k| keep.contains(k),
            &HashMap::new(),
        )?;
        let app = parse_msapp(&reduced, "merged app")
            .map_err(|e| fallback(format!("the merged app does not read back: {e}")))?;
        drop(reduced);
        let opts = UnpackOptions {
            skip_client_checksum: true,
            ..UnpackOptions::default()
        };
        unpack_app(&app, "merged app", &opts)
            .map_err(|e| fallback(format!("the merged app does not unpack: {e}")))?;
    }
    Ok(())
}

fn stored_name<'s>(stored: &'s StoredArchive<'_>, index: usize) -> &'s str {
    stored
        .entries
        .get(index)
        .map_or("", |e| e.info.name.as_str())
}

/// The component templates that the top controls at `indices` instantiate. Each parsed
/// document is dropped once read: the batch is unpacked next, which parses them again.
fn batch_instances(stored: &StoredArchive<'_>, indices: &[usize]) -> Decided<BTreeSet<String>> {
    let mut wanted = BTreeSet::new();
    for &index in indices {
        let name = stored_name(stored, index);
        let bytes = stored
            .inflate(index)
            .map_err(|e| fallback(format!("the merged app does not read back: {e}")))?;
        let doc = json::parse_bytes_nested(&bytes, json::MAX_ENTRY_DEPTH)
            .map_err(|e| fallback(format!("merged {name}: {e}")))?;
        instances(&doc, &mut wanted);
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::super::Planned;
    use super::*;
    use crate::container::read_archive;

    fn plan_of(bytes: &[u8]) -> Plan {
        let archive = read_archive(bytes, "app", &Limits::default()).unwrap();
        Plan {
            entries: archive
                .entries
                .iter()
                .map(|e| Planned {
                    name: e.name.clone(),
                    key: entry_key(&e.name),
                    source: Source::Checksum,
                    changed: entry_key(&e.name).starts_with("controls\\"),
                    reread: false,
                })
                .collect(),
            controls_changed: [Vec::new(), Vec::new()],
            tops_changed: [Vec::new(), Vec::new()],
            screens_changed: [false, false],
            has_pa_yaml: false,
            pa_yaml_changed: [false, false],
            checksum_from: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn batches_keep_order_and_stay_within_the_limit() {
        let sized = |sizes: &[u64]| sizes.iter().copied().enumerate().collect::<Vec<_>>();
        assert_eq!(
            batches(sized(&[4, 4, 3, 9, 12, 1]), 10),
            [vec![0, 1], vec![2], vec![3], vec![4], vec![5]]
        );
        assert_eq!(batches(sized(&[2, 3, 5]), 10), [vec![0, 1, 2]]);
        assert_eq!(batches(sized(&[2, 3, 5]), 1), [vec![0], vec![1], vec![2]]);
        assert!(batches(sized(&[]), 10).is_empty());
    }

    #[test]
    fn facts_cover_names_ids_and_order() {
        let doc = json::parse(
            r#"{"TopParent":{"Name":"S","ControlUniqueId":"4","Index":1,"PublishOrderIndex":0,
            "Children":[{"Name":"B","ControlUniqueId":"5","PublishOrderIndex":3},
            {"Name":"G","ControlUniqueId":"AB-cd","PublishOrderIndex":4}]}}"#,
        )
        .unwrap();
        let facts: Vec<_> = TopFacts::of(&doc).unique().into_iter().collect();
        assert_eq!(
            facts,
            [
                "id 4",
                "id 5",
                "id ab-cd",
                "name B",
                "name G",
                "name S",
                "publish order 3",
                "publish order 4"
            ]
        );
    }

    #[test]
    fn changed_screens_that_do_not_unpack_are_caught() {
        let good = crate::synthetic::synthetic_app(2, 2, &[]).unwrap();
        assert_eq!(verify_changed(&good, &plan_of(&good), BATCH_BYTES), Ok(()));

        let archive = read_archive(&good, "app", &Limits::default()).unwrap();
        let broken: Vec<(String, Vec<u8>)> = archive
            .entries
            .into_iter()
            .map(|e| {
                let data = if entry_key(&e.name).starts_with("controls\\") {
                    br#"{"TopParent":{"Name":"Screen9","Children":7}}"#.to_vec()
                } else {
                    e.data
                };
                (e.name, data)
            })
            .collect();
        let broken = crate::container::write_archive(&broken).unwrap();
        let verdict = verify_changed(&broken, &plan_of(&broken), 1);
        assert!(
            verdict
                .as_ref()
                .is_err_and(|f| f.0.contains("does not unpack")),
            "{verdict:?}"
        );
        // Unchanged entries are the base's own bytes and are not read again.
        let mut unchanged = plan_of(&broken);
        unchanged.entries.iter_mut().for_each(|e| e.changed = false);
        assert_eq!(verify_changed(&broken, &unchanged, BATCH_BYTES), Ok(()));
    }
}
