//! Source tree -> `.msapp` model: the inverse of [`unpack`](super::unpack).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::checksum;
use crate::error::{Error, Result};
use crate::fxyaml::{self, Block, Property};
use crate::json::{self, Json, Object, lo_cmp};
use crate::model::{Entry, EntryData, MsApp};

use super::controls::{self, ControlState, StateStore, TemplateStore};
use super::datasources::{self, DataPack};
use super::names::unescape_filename;
use super::transforms::{
    self, ComponentDefaults, DefaultCtx, DefaultSource, RESPONSIVE_PROPERTIES,
    adds_child_dynamic_properties,
};
use super::{Entropy, FormatVersion, SourceTree, Warnings};

fn read_json(tree: &SourceTree, path: &str) -> Result<Option<Json>> {
    match tree.get(path) {
        None => Ok(None),
        Some(bytes) => json::parse_bytes(bytes)
            .map(Some)
            .map_err(|e| Error::syntax(path, e.line, e.column, e.message)),
    }
}

fn read_object(tree: &SourceTree, path: &str) -> Result<Option<Object>> {
    match read_json(tree, path)? {
        None => Ok(None),
        Some(Json::Object(o)) => Ok(Some(o)),
        Some(_) => Err(Error::invalid(path, "expected a JSON object")),
    }
}

fn text_of<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| Error::bad_input(path, "not UTF-8 text"))
}

/// One parsed top-level `.fx.yaml` file.
struct TopFile {
    path: String,
    block: Block,
    kind: super::unpack::TopKind,
}

/// Packs a source tree into an app model.
pub fn pack(
    tree: &SourceTree,
    defaults_for: &dyn Fn(&SourceTree) -> Result<Box<dyn DefaultSource>>,
) -> Result<(MsApp, Warnings)> {
    use super::unpack::TopKind;

    let mut warnings = Warnings::default();
    let manifest = read_object(tree, "CanvasManifest.json")?.ok_or_else(|| {
        Error::invalid(
            "CanvasManifest.json",
            "not found: this is not a source tree written by unpack",
        )
    })?;
    let version = manifest
        .get("FormatVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    if FormatVersion::parse(version).is_none() {
        return Err(Error::invalid(
            "CanvasManifest.json",
            format!(
                "FormatVersion \"{version}\" is not supported (supported: {})",
                FormatVersion::SUPPORTED.join(", ")
            ),
        ));
    }
    let entropy = match read_object(tree, "Entropy/Entropy.json")? {
        Some(o) => Entropy::from_object(o),
        None => Entropy::new(),
    };

    let mut header = match manifest.get("Header") {
        Some(Json::Object(o)) => o.clone(),
        _ => Object::new(),
    };
    if let Some(saved) = entropy
        .get("HeaderLastSavedDateTimeUTC")
        .filter(|v| !v.is_null())
    {
        header.insert("LastSavedDateTimeUTC", saved.clone());
    }
    let mut properties = match manifest.get("Properties") {
        Some(Json::Object(o)) => o.clone(),
        _ => Object::new(),
    };
    let mut publish_info = match manifest.get("PublishInfo") {
        Some(Json::Object(o)) => Some(o.clone()),
        _ => None,
    };
    let data = datasources::pack(DataPack {
        tree,
        entropy: &entropy,
        publish_info: publish_info.as_mut(),
        warnings: &mut warnings,
    })?;
    for (k, v) in &data.properties {
        properties.insert(k.as_str(), v.clone());
    }
    if let Some(key) = read_object(tree, "AppInsightsKey.json")?
        && let Some(v) = key.get("InstrumentationKey")
    {
        properties.insert("InstrumentationKey", v.clone());
    }
    if let Some(deps) = read_json(tree, "ComponentReferences.json")? {
        properties.insert(
            "LibraryDependencies",
            Json::String(json::to_compact_string(&deps)),
        );
    }
    if let Some(Json::Object(volatile)) = entropy.get("VolatileProperties") {
        for (k, v) in volatile.iter() {
            properties.insert(k, v.clone());
        }
    }

    let defaults = defaults_for(tree)?;

    // Templates and editor state.
    let mut templates = TemplateStore::default();
    if let Some(ct) = read_object(tree, "ControlTemplates.json")? {
        for (name, record) in ct.iter() {
            if let Json::Object(r) = record {
                templates.templates.insert(name.to_string(), r.clone());
            }
        }
    }
    let mut states = StateStore::default();
    for (path, bytes) in tree.under("Src/EditorState") {
        if !path.ends_with(".editorstate.json") {
            return Err(Error::invalid(
                path,
                "unexpected file in Src/EditorState (only *.editorstate.json belong there)",
            ));
        }
        let doc = json::parse_bytes(bytes)
            .map_err(|e| Error::syntax(path, e.line, e.column, e.message))?;
        let (top, control_states) = match (&doc.get("TopParentName"), doc.get("ControlStates")) {
            (Some(Json::String(top)), Some(Json::Object(cs))) => (top.clone(), cs.clone()),
            _ => {
                // Legacy form: a bare map, the top parent named by the file.
                let file = path.rsplit('/').next().unwrap_or(path);
                let top = unescape_filename(file.trim_end_matches(".editorstate.json"));
                match doc {
                    Json::Object(o) => (top, o),
                    _ => return Err(Error::invalid(path, "expected a JSON object")),
                }
            }
        };
        for (name, entry) in control_states.iter() {
            let Json::Object(entry) = entry else { continue };
            let state = ControlState {
                entry: entry.clone(),
                top_parent: top.clone(),
                grouped_controls: None,
            };
            if !states.add(name, state) {
                return Err(Error::invalid(
                    path,
                    format!("control '{name}' already has an editor state in another file"),
                ));
            }
        }
    }

    // Control files.
    let mut tops: Vec<TopFile> = Vec::new();
    let parse = |path: &str,
                 bytes: &[u8],
                 kind: TopKind,
                 tops: &mut Vec<TopFile>,
                 warnings: &mut Warnings|
     -> Result<()> {
        let text = text_of(path, bytes)?;
        let parsed = fxyaml::parse(text, path)?;
        for w in parsed.warnings {
            warnings.push(format!("{path}:{}:{}: {}", w.line, w.column, w.message));
        }
        tops.push(TopFile {
            path: path.to_string(),
            block: parsed.block,
            kind,
        });
        Ok(())
    };
    for (path, bytes) in tree.under("Src") {
        let rest = &path[4..];
        if rest.contains('/') || !rest.ends_with(".fx.yaml") {
            continue;
        }
        let kind = if rest == "App.fx.yaml" {
            TopKind::App
        } else {
            TopKind::Screen
        };
        parse(path, bytes, kind, &mut tops, &mut warnings)?;
    }
    for dir in ["Src/Components", "pkgs/Components"] {
        for (path, bytes) in tree.under(dir) {
            if path.ends_with(".fx.yaml") {
                parse(path, bytes, TopKind::Component, &mut tops, &mut warnings)?;
            }
        }
    }
    let mut test_root: Option<TopFile> = None;
    let mut suites = Vec::new();
    for (path, bytes) in tree.under("Src/Tests") {
        if !path.ends_with(".fx.yaml") {
            continue;
        }
        let mut tmp = Vec::new();
        parse(path, bytes, TopKind::Test, &mut tmp, &mut warnings)?;
        for t in tmp {
            if t.block.name == controls::TEST_ROOT_NAME {
                test_root = Some(t);
            } else {
                suites.push(t.block);
            }
        }
    }
    if let Some(mut root) = test_root {
        root.block.children.extend(suites);
        tops.push(root);
    } else if !suites.is_empty() {
        return Err(Error::invalid(
            "Src/Tests",
            format!("test suites without {}.fx.yaml", controls::TEST_ROOT_NAME),
        ));
    }
    for top in &mut tops {
        if top.kind == TopKind::App && top.block.name != "App" {
            top.kind = TopKind::Screen;
        }
        if top.kind == TopKind::Screen && top.block.name == "App" {
            top.kind = TopKind::App;
        }
    }
    check_unique_names(&tops)?;

    for (path, bytes) in tree
        .under("Src/Components")
        .chain(tree.under("pkgs/Components"))
    {
        if path.ends_with(".json") {
            let rec = json::parse_bytes(bytes)
                .map_err(|e| Error::syntax(path, e.line, e.column, e.message))?;
            if let Json::Object(rec) = rec {
                let stem = path
                    .rsplit('/')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches(".json");
                let name = tops
                    .iter()
                    .find(|t| {
                        t.kind == TopKind::Component
                            && t.path.ends_with(&format!("/{stem}.fx.yaml"))
                    })
                    .map(|t| t.block.name.clone())
                    .unwrap_or_else(|| unescape_filename(stem));
                templates.templates.insert(name, rec);
            }
        }
    }

    let mut packer = Packer {
        entropy: &entropy,
        states: &mut states,
        templates: &mut templates,
        defaults: defaults.as_ref(),
        component_defaults: ComponentDefaults::default(),
        component_guids: HashMap::new(),
        ids: IdAllocator::new(&entropy),
        publish: PublishOrder::new(&entropy),
        screen_ids: HashMap::new(),
        warnings: &mut warnings,
    };

    // Component definitions first: instances take defaults and definition info from them.
    tops.sort_by_key(|t| t.kind != TopKind::Component);
    for top in tops.iter_mut().filter(|t| t.kind == TopKind::Component) {
        packer.prepare_component(top)?;
    }
    // Ids for top parents are handed out first, in a stable order.
    let mut screen_order: Vec<String> = manifest
        .get("ScreenOrder")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for top in &tops {
        let id = packer.ids.id_for(&top.block.name);
        if top.kind == TopKind::Screen {
            packer.screen_ids.insert(top.block.name.clone(), id);
        }
    }
    let screen_names: Vec<String> = tops
        .iter()
        .filter(|t| t.kind == TopKind::Screen)
        .map(|t| t.block.name.clone())
        .collect();
    let same_set = {
        let a: HashSet<&String> = screen_names.iter().collect();
        let b: HashSet<&String> = screen_order.iter().collect();
        a == b && screen_order.len() == screen_names.len()
    };
    if !same_set {
        // The manifest's order no longer matches the screens: keep the listed ones in order
        // and append the others by name, so output stays deterministic.
        let mut rest: Vec<String> = screen_names
            .iter()
            .filter(|n| !screen_order.contains(n))
            .cloned()
            .collect();
        rest.sort();
        // A name listed twice keeps its first place: indexes must not skip.
        let mut listed = HashSet::new();
        screen_order.retain(|n| screen_names.contains(n) && listed.insert(n.clone()));
        screen_order.extend(rest);
    }

    // Decided before combining, which refreshes the records' definition copies.
    let instances_first = packer
        .templates
        .templates
        .values()
        .any(|r| r.contains_key("ComponentDefinitionInfo"));
    let mut control_entries: Vec<(String, Json)> = Vec::new();
    let mut component_info: BTreeMap<String, Object> = BTreeMap::new();
    for top in tops {
        let folder = match top.kind {
            TopKind::Component => "Components",
            TopKind::Test => "AppTests",
            _ => "Controls",
        };
        let mut block = top.block;
        packer.before_write(&mut block, false, &top.path)?;
        let (mut item, _) = packer.combine(&block, "", false, &top.path)?;
        let index = match top.kind {
            TopKind::Screen => screen_order
                .iter()
                .position(|n| *n == block.name)
                .map(|p| p as f64)
                .unwrap_or(0.0),
            _ => packer
                .entropy
                .map_index("ComponentIndexes", &block.name)
                .unwrap_or(0.0),
        };
        item.insert("Index", controls::index_json(index));
        if top.kind == TopKind::Component {
            component_info.insert(block.name.clone(), item.clone());
        }
        let id = item
            .get("ControlUniqueId")
            .and_then(Json::as_str)
            .unwrap_or("0")
            .to_string();
        let mut doc = Object::new();
        doc.insert("TopParent", Json::Object(item));
        control_entries.push((format!("{folder}\\{id}.json"), Json::Object(doc)));
    }
    drop(component_info);
    control_entries.sort_by(|a, b| lo_cmp(&a.0, &b.0));
    // Studio writes screens before components, so instances come first and the component's
    // record keeps their copy of the definition; a tree whose records hold such a copy is
    // packed in that order so it unpacks to the same files again.
    if instances_first {
        control_entries.sort_by_key(|(name, _)| !name.starts_with("Controls\\"));
    }

    // Templates.json, ComponentsMetadata.json.
    let mut templates_doc = Object::new();
    templates_doc.insert("UsedTemplates", Json::Array(data.used_templates.clone()));
    let mut component_templates: Vec<(f64, Json)> = Vec::new();
    let mut component_meta: Vec<(f64, Json)> = Vec::new();
    for (guid, record) in &packer.templates.templates {
        if !record
            .get("IsComponentTemplate")
            .and_then(Json::as_bool)
            .unwrap_or(false)
        {
            continue;
        }
        if let Some(Json::Object(manifest)) = record.get("ComponentManifest") {
            let mut m = Object::new();
            for (k, v) in manifest.iter() {
                let key = if k == "TemplateGuid" {
                    "TemplateName"
                } else {
                    k
                };
                m.0.push((key.to_string(), v.clone()));
            }
            let order = packer
                .entropy
                .map_index("OrderComponentMetadata", guid)
                .unwrap_or(-1.0);
            component_meta.push((order, Json::Object(m)));
        }
        let has_custom = record
            .get("CustomProperties")
            .and_then(Json::as_array)
            .is_some_and(|a| !a.is_empty());
        let allow_custom = record.contains_key("ComponentAllowCustomization");
        let is_data = record.get("Id").and_then(Json::as_str) == Some(controls::DATA_COMPONENT_ID);
        if (has_custom || allow_custom) && !is_data {
            let mut t = Object::new();
            t.insert("Name", Json::str(guid.as_str()));
            let version = packer
                .entropy
                .map_get("TemplateVersions", guid)
                .cloned()
                .or_else(|| record.get("Version").cloned())
                .unwrap_or(Json::Null);
            t.insert("Version", version);
            for key in [
                "IsComponentLocked",
                "ComponentChangedSinceFileImport",
                "ComponentAllowCustomization",
                "CustomProperties",
                "ComponentType",
            ] {
                if let Some(v) = record.get(key) {
                    t.insert(key, v.clone());
                }
            }
            if let Some(Json::Object(extra)) = record.get("ComponentExtraMetadata") {
                for (k, v) in extra.iter() {
                    t.insert(k, v.clone());
                }
            }
            let order = packer
                .entropy
                .map_index("OrderComponentTemplate", guid)
                .unwrap_or(-1.0);
            component_templates.push((order, Json::Object(t)));
        }
    }
    let by_order = |v: &mut Vec<(f64, Json)>| {
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        v.drain(..).map(|(_, j)| j).collect::<Vec<_>>()
    };
    if !component_templates.is_empty() {
        templates_doc.insert(
            "ComponentTemplates",
            Json::Array(by_order(&mut component_templates)),
        );
    }
    if !data.pcf_templates.is_empty() {
        templates_doc.insert("PcfTemplates", Json::Array(data.pcf_templates.clone()));
    }
    drop(packer);

    // Assemble entries in the reference's order.
    let mut entries: Vec<Entry> = Vec::new();
    let push_json = |entries: &mut Vec<Entry>, name: &str, j: Json| {
        entries.push(Entry {
            name: name.to_string(),
            data: EntryData::Json(j),
        })
    };
    for (path, bytes) in tree.under("Other") {
        let name = path[6..]
            .split('/')
            .map(unescape_filename)
            .collect::<Vec<_>>()
            .join("\\");
        let data = if crate::model::is_json_name(&name) {
            EntryData::Json(
                json::parse_bytes(bytes)
                    .map_err(|e| Error::syntax(path, e.line, e.column, e.message))?,
            )
        } else {
            EntryData::Bytes(bytes.to_vec())
        };
        entries.push(Entry { name, data });
    }
    match read_json(tree, "Src/Themes.json")? {
        Some(themes) => push_json(&mut entries, "References\\Themes.json", themes),
        None => {
            return Err(Error::invalid(
                "Src/Themes.json",
                "missing: the app's theme is required",
            ));
        }
    }
    push_json(&mut entries, "Header.json", Json::Object(header));
    push_json(&mut entries, "Properties.json", Json::Object(properties));
    if let Some(bytes) = tree.get("Defines.fx.yaml") {
        entries.push(Entry {
            name: "Defines.fx.yaml".into(),
            data: EntryData::Bytes(bytes.to_vec()),
        });
    }
    if let Some(bytes) = tree.get("pkgs/CustomPagesMetadata.json") {
        let j = json::parse_bytes(bytes).map_err(|e| {
            Error::syntax("pkgs/CustomPagesMetadata.json", e.line, e.column, e.message)
        })?;
        push_json(&mut entries, "CustomPagesMetadata.json", j);
    }
    let is_logo = |n: &str| {
        n.starts_with("Resources\\") && !n.eq_ignore_ascii_case("Resources\\PublishInfo.json")
    };
    for (name, d) in data.entries.iter().filter(|(n, _)| is_logo(n)) {
        entries.push(Entry {
            name: name.clone(),
            data: d.clone(),
        });
    }
    if let Some(info) = publish_info {
        push_json(
            &mut entries,
            "Resources\\PublishInfo.json",
            Json::Object(info),
        );
    }
    for (name, d) in data
        .entries
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("References\\DataSources.json"))
    {
        entries.push(Entry {
            name: name.clone(),
            data: d.clone(),
        });
    }
    for (name, j) in control_entries {
        push_json(&mut entries, &name, j);
    }
    push_json(
        &mut entries,
        "References\\Templates.json",
        Json::Object(templates_doc),
    );
    if !component_meta.is_empty() {
        let mut o = Object::new();
        o.insert("Components", Json::Array(by_order(&mut component_meta)));
        push_json(&mut entries, "ComponentsMetadata.json", Json::Object(o));
    }
    if let Some(sarif) = read_json(tree, "Entropy/AppCheckerResult.sarif")? {
        push_json(&mut entries, "AppCheckerResult.sarif", sarif);
    }
    for (name, d) in data
        .entries
        .iter()
        .filter(|(n, _)| !is_logo(n) && !n.eq_ignore_ascii_case("References\\DataSources.json"))
    {
        entries.push(Entry {
            name: name.clone(),
            data: d.clone(),
        });
    }

    let mut app = MsApp { entries };
    let mut values = checksum::entry_values(&app);
    let mut sums = checksum::combine(values.clone());
    let unpacked_from = read_object(tree, "Entropy/checksum.json")?.and_then(|c| {
        c.get("ClientStampedChecksum")
            .and_then(Json::as_str)
            .map(str::to_string)
    });
    if refresh_pa_yaml(&mut app, unpacked_from.as_deref(), &sums.whole)? {
        // Only the YAML view changed: the other entries keep their values, in the same
        // order (hashing the whole app again doubled the checksum's cost of packing an app
        // saved since 2024).
        let mut kept = values.into_iter().filter(|(name, _)| !is_pa_yaml(name));
        values = app
            .entries
            .iter()
            .filter(|e| !checksum::is_checksum_name(&e.name))
            .map(|e| {
                let known = if is_pa_yaml(&e.name) {
                    None
                } else {
                    kept.next().filter(|(name, _)| *name == e.name)
                };
                known.unwrap_or_else(|| (e.name.clone(), checksum::entry_value_of(e)))
            })
            .collect();
        sums = checksum::combine(values);
    }
    let mut checksum_doc = Object::new();
    checksum_doc.insert("ClientStampedChecksum", Json::str(&sums.whole));
    let mut per_file = Object::new();
    for (name, sum) in &sums.per_file {
        per_file.insert(name.as_str(), Json::str(sum));
    }
    checksum_doc.insert("ClientPerFileChecksums", Json::Object(per_file));
    if let Some(old) = read_object(tree, "Entropy/checksum.json")? {
        for key in ["ServerStampedChecksum", "ServerPerFileChecksums"] {
            if let Some(v) = old.get(key) {
                checksum_doc.insert(key, v.clone());
            }
        }
    }
    app.entries.push(Entry {
        name: "checksum.json".into(),
        data: EntryData::Json(Json::Object(checksum_doc)),
    });
    Ok((app, warnings))
}

/// Control names are unique across the app (test suites excepted: step names repeat).
fn check_unique_names(tops: &[TopFile]) -> Result<()> {
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    fn walk(b: &Block, path: &str, seen: &mut HashMap<String, (String, usize)>) -> Result<()> {
        if let Some((file, line)) = seen.get(&b.name) {
            return Err(Error::syntax(
                path,
                b.line,
                b.column.max(1),
                format!("control name '{}' is already used at {file}:{line}", b.name),
            ));
        }
        seen.insert(b.name.clone(), (path.to_string(), b.line));
        for c in &b.children {
            walk(c, path, seen)?;
        }
        Ok(())
    }
    for top in tops {
        if top.kind == super::unpack::TopKind::Test {
            continue;
        }
        walk(&top.block, &top.path, &mut seen)?;
    }
    Ok(())
}

/// Unique ids: known ones come back from entropy; new controls get fresh integers.
struct IdAllocator {
    known_ints: HashMap<String, i64>,
    known_guids: HashMap<String, String>,
    next: i64,
    given: HashMap<String, String>,
}

impl IdAllocator {
    fn new(entropy: &Entropy) -> Self {
        let mut known_ints = HashMap::new();
        if let Some(Json::Object(m)) = entropy.get("ControlUniqueIds") {
            for (k, v) in m.iter() {
                if let Some(n) = v.as_f64() {
                    known_ints.insert(k.to_string(), n as i64);
                }
            }
        }
        let mut known_guids = HashMap::new();
        if let Some(Json::Object(m)) = entropy.get("ControlUniqueGuids") {
            for (k, v) in m.iter() {
                if let Some(g) = v.as_str() {
                    known_guids.insert(k.to_string(), g.to_string());
                }
            }
        }
        let max = known_ints.values().copied().max().unwrap_or(0).max(2);
        IdAllocator {
            known_ints,
            known_guids,
            next: max + 1,
            given: HashMap::new(),
        }
    }

    fn id_for(&mut self, name: &str) -> String {
        if let Some(id) = self.given.get(name) {
            return id.clone();
        }
        let id = if let Some(g) = self.known_guids.get(name) {
            g.clone()
        } else if let Some(n) = self.known_ints.get(name) {
            n.to_string()
        } else if name == "App" {
            "1".to_string()
        } else {
            let n = self.next;
            self.next += 1;
            n.to_string()
        };
        self.given.insert(name.to_string(), id.clone());
        id
    }
}

struct PublishOrder {
    next: i64,
}

impl PublishOrder {
    fn new(entropy: &Entropy) -> Self {
        let max = match entropy.get("PublishOrderIndices") {
            Some(Json::Object(m)) => m
                .iter()
                .filter_map(|(_, v)| v.as_f64())
                .fold(-1.0, f64::max),
            _ => -1.0,
        };
        PublishOrder {
            next: max as i64 + 1,
        }
    }
}

struct Packer<'a> {
    entropy: &'a Entropy,
    states: &'a mut StateStore,
    templates: &'a mut TemplateStore,
    defaults: &'a dyn DefaultSource,
    component_defaults: ComponentDefaults,
    /// Component name -> template GUID.
    component_guids: HashMap<String, String>,
    ids: IdAllocator,
    publish: PublishOrder,
    screen_ids: HashMap<String, String>,
    warnings: &'a mut Warnings,
}

impl Packer<'_> {
    /// Renames a component definition back to its template GUID and registers its formulas
    /// as the defaults of its instances.
    fn prepare_component(&mut self, top: &mut TopFile) -> Result<()> {
        let name = top.block.name.clone();
        let Some(record) = self.templates.templates.remove(&name) else {
            return Err(Error::invalid(
                &top.path,
                format!("no template for component '{name}' (its .json file is missing)"),
            ));
        };
        if !record.contains_key("ComponentManifest") {
            return Err(Error::invalid(
                &top.path,
                format!("component '{name}': ComponentManifest missing from its .json"),
            ));
        }
        let guid = record
            .get("Name")
            .and_then(Json::as_str)
            .unwrap_or(&name)
            .to_string();
        top.block.type_name = guid.clone();
        self.templates.templates.insert(guid.clone(), record);
        let props = top
            .block
            .properties
            .iter()
            .map(|p| (p.name.clone(), p.formula.clone()))
            .collect();
        self.component_defaults
            .by_template
            .insert(guid.clone(), props);
        self.component_guids.insert(name, guid);
        Ok(())
    }

    /// Top-down inverse transforms: groups, component instances, test steps, gallery
    /// templates; defaults are restored last, bottom-up.
    fn before_write(&mut self, block: &mut Block, responsive: bool, file: &str) -> Result<()> {
        self.flatten_groups(block);
        if let Some(guid) = self.component_guids.get(&block.type_name) {
            block.type_name = guid.clone();
        }
        match block.type_name.as_str() {
            "TestCase" => self.collapse_test_steps(block, file)?,
            "gallery" => self.unfold_gallery_template(block),
            _ => {}
        }
        let child_responsive =
            adds_child_dynamic_properties(&block.type_name, block.variant.as_deref());
        for child in &mut block.children {
            self.before_write(child, child_responsive, file)?;
        }
        self.restore_defaults(block, responsive);
        Ok(())
    }

    fn flatten_groups(&mut self, block: &mut Block) {
        let mut appended = Vec::new();
        for child in &mut block.children {
            if child.type_name != "group" {
                continue;
            }
            let members = std::mem::take(&mut child.children);
            let order = self
                .entropy
                .get("OrderGroupControls")
                .and_then(|o| o.get(&child.name))
                .cloned();
            let mut names: Vec<(f64, String)> = members
                .iter()
                .map(|m| {
                    let pos = order
                        .as_ref()
                        .and_then(|o| o.get(&m.name))
                        .and_then(Json::as_f64)
                        .unwrap_or(-1.0);
                    (pos, m.name.clone())
                })
                .collect();
            names.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
            let key = Json::Array(names.into_iter().map(|(_, n)| Json::str(n)).collect());
            match self.states.get_mut(&child.name) {
                Some(state) => {
                    state.grouped_controls = Some(match key {
                        Json::Array(a) => a,
                        _ => Vec::new(),
                    })
                }
                None => {
                    let mut entry = Object::new();
                    entry.insert("Name", Json::str(&child.name));
                    entry.insert("ParentIndex", Json::from_i64(i32::MAX as i64));
                    entry.insert("StyleName", Json::str(""));
                    entry.insert("IsGroupControl", Json::Bool(true));
                    for (k, v) in default_extension() {
                        entry.insert(k, v);
                    }
                    let grouped = match key {
                        Json::Array(a) => Some(a),
                        _ => None,
                    };
                    self.states.add(
                        &child.name,
                        ControlState {
                            entry,
                            top_parent: String::new(),
                            grouped_controls: grouped,
                        },
                    );
                }
            }
            appended.extend(members);
        }
        block.children.extend(appended);
    }

    fn collapse_test_steps(&mut self, block: &mut Block, file: &str) -> Result<()> {
        let steps = std::mem::take(&mut block.children);
        let missing_meta = self
            .entropy
            .get("AppTestsMissingStepsMetadata")
            .and_then(Json::as_array)
            .is_some_and(|a| a.iter().any(|n| n.as_str() == Some(block.name.as_str())));
        let mut meta = String::from("[");
        for (i, step) in steps.iter().enumerate() {
            if step.type_name != "TestStep" {
                return Err(Error::invalid(
                    file,
                    format!(
                        "test case '{}': only TestStep controls may be its children ('{}' is a {})",
                        block.name, step.name, step.type_name
                    ),
                ));
            }
            let get = |n: &str| {
                step.properties
                    .iter()
                    .find(|p| p.name == n)
                    .map(|p| p.formula.clone())
            };
            let description = get("Description").ok_or_else(|| {
                Error::invalid(
                    file,
                    format!("test step '{}' has no Description", step.name),
                )
            })?;
            let value = get("Value").ok_or_else(|| {
                Error::invalid(file, format!("test step '{}' has no Value", step.name))
            })?;
            let screen = get("Screen").unwrap_or_default();
            let description =
                transforms::fx_string_literal_value(&description).unwrap_or(description);
            let screen_id = if screen.is_empty() {
                self.entropy
                    .map_get(
                        "RuleScreenIdWithoutScreen",
                        &format!("{}.{}", block.name, step.name),
                    )
                    .and_then(Json::as_str)
                    .map(str::to_string)
            } else {
                match self.screen_ids.get(&screen) {
                    Some(id) => Some(id.clone()),
                    None => {
                        return Err(Error::invalid(
                            file,
                            format!(
                                "test step '{}' names screen '{screen}', which does not exist",
                                step.name
                            ),
                        ));
                    }
                }
            };
            if i > 0 {
                meta.push(',');
            }
            meta.push_str("{\"Description\":");
            newtonsoft_string(&mut meta, &description);
            meta.push_str(",\"Rule\":");
            newtonsoft_string(&mut meta, &step.name);
            meta.push_str(",\"ScreenId\":");
            match screen_id {
                Some(id) => newtonsoft_string(&mut meta, &id),
                None => meta.push_str("null"),
            }
            meta.push('}');
            block.properties.push(Property {
                name: step.name.clone(),
                formula: value,
                line: 0,
            });
        }
        meta.push(']');
        if !(missing_meta && steps.is_empty()) {
            block.properties.push(Property {
                name: "TestStepsMetadata".into(),
                formula: transforms::fx_string_literal(&meta),
                line: 0,
            });
        }
        Ok(())
    }

    fn unfold_gallery_template(&mut self, block: &mut Block) {
        let state_name = self
            .states
            .get(&block.name)
            .and_then(|s| s.entry.get("GalleryTemplateChildName"))
            .and_then(Json::as_str)
            .map(str::to_string);
        let name = match state_name {
            Some(n) => n,
            None => {
                let mut n = 1;
                loop {
                    let candidate = format!("{}template{n}", block.name);
                    if self.states.get(&candidate).is_none() {
                        break candidate;
                    }
                    n += 1;
                }
            }
        };
        let inputs: HashSet<String> = self
            .defaults
            .input_properties("galleryTemplate")
            .into_iter()
            .collect();
        let (moved, kept): (Vec<Property>, Vec<Property>) = std::mem::take(&mut block.properties)
            .into_iter()
            .partition(|p| inputs.contains(&p.name));
        block.properties = kept;
        block.children.insert(
            0,
            Block {
                name,
                type_name: "galleryTemplate".into(),
                properties: moved,
                ..Block::default()
            },
        );
    }

    fn restore_defaults(&mut self, block: &mut Block, responsive: bool) {
        let state = self.states.get(&block.name);
        let style = state.and_then(ControlState::style_name).map(str::to_string);
        let ctx = DefaultCtx {
            type_name: &block.type_name,
            variant: block.variant.as_deref(),
            style_name: style.as_deref(),
            in_responsive_container: responsive,
        };
        let all: Vec<(String, String)> =
            match self.component_defaults.by_template.get(&block.type_name) {
                Some(props) => props.clone(),
                None => self.defaults.restore_defaults(&ctx),
            };
        let present: HashSet<String> = block.properties.iter().map(|p| p.name.clone()).collect();
        let allowed: Option<HashSet<String>> = state.map(|s| {
            let mut names: HashSet<String> = s.property_names().into_iter().collect();
            if let Some(Json::Array(d)) = s.entry.get("DynamicProperties") {
                for dp in d {
                    if dp.get("Property").is_some()
                        && let Some(n) = dp.get("PropertyName").and_then(Json::as_str)
                    {
                        names.insert(n.to_string());
                    }
                }
            }
            names
        });
        for (name, value) in all {
            if present.contains(&name) {
                continue;
            }
            if allowed.as_ref().is_none_or(|a| a.contains(&name)) {
                block.properties.push(Property {
                    name,
                    formula: value,
                    line: 0,
                });
            }
        }
    }

    /// Rebuilds one control's JSON item; returns it with its sibling position.
    fn combine(
        &mut self,
        block: &Block,
        parent: &str,
        responsive: bool,
        file: &str,
    ) -> Result<(Object, f64)> {
        let name = block.name.clone();
        let child_responsive =
            adds_child_dynamic_properties(&block.type_name, block.variant.as_deref());
        let mut children = Vec::new();
        for child in &block.children {
            children.push(self.combine(child, &name, child_responsive, file)?);
        }
        // Stable: equal positions keep file order.
        children.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));

        let type_name = block.type_name.as_str();
        let mut template: Object =
            if let Some(Json::Object(t)) = self.entropy.map_get("PCFTemplateEntry", &name) {
                t.clone()
            } else {
                let key = if self
                    .templates
                    .templates
                    .get(&name)
                    .is_some_and(controls::is_host_control)
                {
                    name.clone()
                } else {
                    type_name.to_string()
                };
                match self.templates.templates.get(&key) {
                    Some(record) => record_to_template(record),
                    None => {
                        let mut t = Object::new();
                        t.insert("Name", Json::str(type_name));
                        t
                    }
                }
            };
        for (field, entropy_field) in [
            ("OverridableProperties", "OverridablePropertiesEntry"),
            (
                "PCFDynamicSchemaForIRRetrieval",
                "PCFDynamicSchemaForIRRetrievalEntry",
            ),
            ("HostType", "HostTypeEntry"),
            ("HostService", "HostServiceEntry"),
            (
                "CustomControlDefinitionJson",
                "DataTableCustomControlTemplateJsons",
            ),
        ] {
            if let Some(v) = self.entropy.map_get(entropy_field, &name) {
                template.insert(field, v.clone());
            }
        }

        let id = self.ids.id_for(&name);
        let state = self.states.get(&name).cloned();
        let mut item = Object::new();
        item.insert("Name", Json::str(&name));
        item.insert("ControlUniqueId", Json::str(&id));
        item.insert(
            "VariantName",
            Json::str(block.variant.clone().unwrap_or_default()),
        );
        item.insert("Parent", Json::str(parent));
        let poi = match self.entropy.map_get("PublishOrderIndices", &name) {
            Some(v) => v.clone(),
            None => {
                let n = self.publish.next;
                self.publish.next += 1;
                Json::from_i64(n)
            }
        };
        item.insert("PublishOrderIndex", poi);

        let mut rules: Vec<Object> = Vec::new();
        let mut dynamic: Vec<Object> = Vec::new();
        let state_props: Vec<Object> = state
            .as_ref()
            .and_then(|s| s.entry.get("Properties"))
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_object).cloned().collect())
            .unwrap_or_default();
        let state_dyn: Option<Vec<Object>> = state
            .as_ref()
            .and_then(|s| s.entry.get("DynamicProperties"))
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_object).cloned().collect());
        let make_rule = |prop: &str, formula: &str| -> Object {
            let mut r = Object::new();
            r.insert("Property", Json::str(prop));
            r.insert("InvariantScript", Json::str(formula));
            match state_props
                .iter()
                .find(|p| p.get("PropertyName").and_then(Json::as_str) == Some(prop))
            {
                Some(ps) if state.is_some() => {
                    for (k, v) in ps.iter() {
                        if k != "PropertyName" {
                            r.insert(k, v.clone());
                        }
                    }
                }
                _ => r.insert("RuleProviderType", Json::str("Unknown")),
            }
            r
        };
        for p in &block.properties {
            let is_dyn = responsive
                && RESPONSIVE_PROPERTIES.contains(&p.name.as_str())
                && (state.is_none() || state_dyn.is_some());
            if is_dyn {
                let mut d = Object::new();
                d.insert("PropertyName", Json::str(&p.name));
                let mut rule = Object::new();
                rule.insert("Property", Json::str(&p.name));
                rule.insert("InvariantScript", Json::str(&p.formula));
                let ds = state_dyn.as_ref().and_then(|s| {
                    s.iter().find(|d| {
                        d.get("PropertyName").and_then(Json::as_str) == Some(p.name.as_str())
                    })
                });
                match ds.and_then(|d| d.get("Property")).and_then(Json::as_object) {
                    Some(ps) => {
                        for (k, v) in ps.iter() {
                            if k != "PropertyName" {
                                rule.insert(k, v.clone());
                            }
                        }
                    }
                    None => rule.insert("RuleProviderType", Json::str("Unknown")),
                }
                d.insert("Rule", Json::Object(rule));
                if let Some(ds) = ds {
                    for (k, v) in ds.iter() {
                        if k != "PropertyName" && k != "Property" {
                            d.insert(k, v.clone());
                        }
                    }
                }
                dynamic.push(d);
            } else {
                rules.push(make_rule(&p.name, &p.formula));
            }
        }
        if responsive && let Some(sd) = &state_dyn {
            for d in sd.iter().filter(|d| d.get("Property").is_none()) {
                let mut o = Object::new();
                o.insert(
                    "PropertyName",
                    d.get("PropertyName").cloned().unwrap_or(Json::Null),
                );
                dynamic.push(o);
            }
            let order: Vec<String> = sd
                .iter()
                .filter_map(|d| {
                    d.get("PropertyName")
                        .and_then(Json::as_str)
                        .map(str::to_string)
                })
                .collect();
            dynamic.sort_by_key(|d| {
                position_or_minus_one(&order, d.get("PropertyName").and_then(Json::as_str))
            });
        }

        // Functions (component definitions) and hidden parameter rules (instances).
        for func in &block.functions {
            let this = func
                .metadata
                .iter()
                .find(|(n, _)| n == "ThisProperty")
                .ok_or_else(|| {
                    Error::syntax(
                        file,
                        func.line,
                        1,
                        format!("function '{}' has no ThisProperty block", func.name),
                    )
                })?;
            rules.push(make_rule(&func.name, &this.1));
            for (arg, default) in func.metadata.iter().filter(|(n, _)| n != "ThisProperty") {
                let prop = format!("{}_{}", func.name, arg);
                let key = format!("{name}.{prop}");
                let script = self
                    .entropy
                    .map_get("FunctionParamsInvariantScripts", &key)
                    .and_then(|p| p.as_array())
                    .and_then(|a| a.get(1))
                    .and_then(Json::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| default.clone());
                rules.push(make_rule(&prop, &script));
            }
        }
        if !block.functions.is_empty() {
            repopulate_custom_properties(&mut template, block, self.entropy, &name, file)?;
        } else {
            for custom in controls::custom_properties(&template) {
                let Some(scope) = controls::function_scope_rules(&custom) else {
                    continue;
                };
                for arg in scope {
                    let arg_name = arg
                        .get("Name")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string();
                    if rules.iter().any(|r| {
                        r.get("Property").and_then(Json::as_str) == Some(arg_name.as_str())
                    }) {
                        continue;
                    }
                    let key = format!("{name}.{arg_name}");
                    let script = self
                        .entropy
                        .map_get("FunctionParamsInvariantScriptsOnInstances", &key)
                        .and_then(|p| p.as_array())
                        .and_then(|a| a.get(1))
                        .and_then(Json::as_str)
                        .map(str::to_string)
                        .or_else(|| {
                            arg.get("ScopeVariableInfo")
                                .and_then(|i| i.get("DefaultRule"))
                                .and_then(Json::as_str)
                                .map(str::to_string)
                        })
                        .unwrap_or_default();
                    rules.push(make_rule(&arg_name, &script));
                }
            }
        }
        if state.is_some() {
            let order: Vec<String> = state_props
                .iter()
                .filter_map(|p| {
                    p.get("PropertyName")
                        .and_then(Json::as_str)
                        .map(str::to_string)
                })
                .collect();
            rules.sort_by_key(|r| {
                position_or_minus_one(&order, r.get("Property").and_then(Json::as_str))
            });
        }
        item.insert(
            "Rules",
            Json::Array(rules.into_iter().map(Json::Object).collect()),
        );
        if responsive && !dynamic.is_empty() {
            item.insert(
                "DynamicProperties",
                Json::Array(dynamic.into_iter().map(Json::Object).collect()),
            );
        }

        let parent_index = match &state {
            Some(s) => {
                for key in [
                    "HasDynamicProperties",
                    "StyleName",
                    "IsGroupControl",
                    "AllowAccessToGlobals",
                ] {
                    if let Some(v) = s.entry.get(key) {
                        item.insert(key, v.clone());
                    }
                }
                if let Some(g) = &s.grouped_controls {
                    item.insert("GroupedControlsKey", Json::Array(g.clone()));
                }
                for (k, v) in s.entry.iter() {
                    if !STATE_KNOWN_KEYS.contains(&k) {
                        item.insert(k, v.clone());
                    }
                }
                match s.entry.get("IsComponentDefinition") {
                    Some(v) => template.insert("IsComponentDefinition", v.clone()),
                    None => {
                        template.remove("IsComponentDefinition");
                    }
                }
                s.parent_index()
            }
            None => {
                item.insert(
                    "StyleName",
                    Json::str(format!("default{}Style", first_upper(type_name))),
                );
                for (k, v) in default_extension() {
                    item.insert(k, v);
                }
                let has_dyn = responsive && item.contains_key("DynamicProperties");
                item.insert("HasDynamicProperties", Json::Bool(has_dyn));
                item.insert("IsGroupControl", Json::Bool(false));
                -1.0
            }
        };

        let is_definition = template
            .get("IsComponentDefinition")
            .and_then(Json::as_bool)
            .unwrap_or(false)
            && self.component_defaults.by_template.contains_key(type_name);
        if is_definition {
            template.remove("ComponentDefinitionInfo");
            // Instances carry a copy of their definition.
            let mut info = Object::new();
            info.insert("Name", Json::str(&name));
            if let Some(ts) = template.get("LastModifiedTimestamp") {
                info.insert("LastModifiedTimestamp", ts.clone());
            }
            let legacy = self
                .entropy
                .get("IsLegacyComponentAllowGlobalScopeCase")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            if !legacy && let Some(v) = item.get("AllowAccessToGlobals") {
                info.insert("AllowAccessToGlobals", v.clone());
            }
            info.insert(
                "Rules",
                item.get("Rules")
                    .cloned()
                    .unwrap_or(Json::Array(Vec::new())),
            );
            if let Some(v) = item.get("ControlPropertyState") {
                info.insert("ControlPropertyState", v.clone());
            }
            info.insert(
                "Children",
                Json::Array(
                    children
                        .iter()
                        .map(|(c, _)| Json::Object(c.clone()))
                        .collect(),
                ),
            );
            if let Some(record) = self.templates.templates.get_mut(type_name) {
                // A stored copy that says the same keeps its bytes (formula newlines
                // included), so an unedited tree packs and unpacks to itself.
                let info = Json::Object(info);
                let unchanged = record
                    .get("ComponentDefinitionInfo")
                    .is_some_and(|old| checksum::json_value(old) == checksum::json_value(&info));
                if !unchanged {
                    record.insert("ComponentDefinitionInfo", info);
                }
                if let Some(cp) = template.get("CustomProperties") {
                    record.insert("CustomProperties", cp.clone());
                }
            }
        }
        item.insert("Template", Json::Object(template));
        item.insert(
            "Children",
            Json::Array(children.into_iter().map(|(c, _)| Json::Object(c)).collect()),
        );
        item.insert("Index", Json::from_i64(0));
        if let Some(i) = self.entropy.map_index("ComponentIndexes", &name) {
            item.insert("Index", controls::index_json(i));
        }
        let _ = &self.warnings;
        Ok((item, parent_index))
    }
}

/// Editor-state keys with a fixed meaning; the rest is the control's extension data.
const STATE_KNOWN_KEYS: &[&str] = &[
    "Name",
    "Properties",
    "DynamicProperties",
    "HasDynamicProperties",
    "StyleName",
    "IsGroupControl",
    "ParentIndex",
    "AllowAccessToGlobals",
    "IsComponentDefinition",
    "GalleryTemplateChildName",
    "TopParentName",
    "GroupedControlsKey",
];

fn default_extension() -> Vec<(&'static str, Json)> {
    vec![
        ("LayoutName", Json::str("")),
        ("MetaDataIDKey", Json::str("")),
        ("PersistMetaDataIDKey", Json::Bool(false)),
        ("IsFromScreenLayout", Json::Bool(false)),
        ("IsDataControl", Json::Bool(false)),
        ("IsAutoGenerated", Json::Bool(false)),
        ("IsLocked", Json::Bool(false)),
    ]
}

fn first_upper(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn position_or_minus_one(order: &[String], name: Option<&str>) -> i64 {
    name.and_then(|n| order.iter().position(|o| o == n))
        .map(|p| p as i64)
        .unwrap_or(-1)
}

/// The msapp `Template` object of a template record.
fn record_to_template(record: &Object) -> Object {
    let mut t = Object::new();
    for (k, v) in record.iter() {
        match k {
            "IsComponentTemplate" => t.insert("IsComponentDefinition", v.clone()),
            "IsWidgetTemplate"
            | "IsPcfControl"
            | "TemplateOriginalName"
            | "IsComponentLocked"
            | "ComponentChangedSinceFileImport"
            | "ComponentAllowCustomization"
            | "ComponentExtraMetadata"
            | "ComponentManifest" => {}
            _ => t.0.push((k.to_string(), v.clone())),
        }
    }
    t
}

/// Refills the scope-variable fields of a component's function properties from `.fx.yaml`.
fn repopulate_custom_properties(
    template: &mut Object,
    block: &Block,
    entropy: &Entropy,
    control: &str,
    file: &str,
) -> Result<()> {
    let Some(Json::Array(customs)) = template.get_mut("CustomProperties") else {
        return Err(Error::syntax(
            file,
            block.line,
            1,
            format!(
                "component '{}' defines functions but its .json has no CustomProperties",
                block.name
            ),
        ));
    };
    for func in &block.functions {
        let Some(custom) = customs
            .iter_mut()
            .find(|c| c.get("Name").and_then(Json::as_str) == Some(func.name.as_str()))
        else {
            return Err(Error::syntax(
                file,
                func.line,
                1,
                format!(
                    "function '{}' has no matching custom property in the component's .json",
                    func.name
                ),
            ));
        };
        let Some(Json::Array(scope_rules)) = custom
            .get_mut("PropertyScopeKey")
            .and_then(|s| s.get_mut("PropertyScopeRulesKey"))
        else {
            return Err(Error::syntax(
                file,
                func.line,
                1,
                format!("custom property '{}' is not a function", func.name),
            ));
        };
        let args = func.metadata.iter().filter(|(n, _)| n != "ThisProperty");
        for (index, (arg, default)) in (1..).zip(args) {
            let prop = format!("{}_{}", func.name, arg);
            let key = format!("{control}.{prop}");
            let default_rule = entropy
                .map_get("FunctionParamsInvariantScripts", &key)
                .and_then(|p| p.as_array())
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or_else(|| Json::str(default));
            let type_name = func
                .params
                .iter()
                .find(|(p, _)| p == arg)
                .map(|(_, t)| t.clone());
            let code = type_name
                .as_deref()
                .and_then(controls::property_data_type_code)
                .ok_or_else(|| {
                    Error::syntax(
                        file,
                        func.line,
                        1,
                        format!(
                            "function '{}': parameter '{arg}' has no valid type",
                            func.name
                        ),
                    )
                })?;
            let Some(rule) = scope_rules
                .iter_mut()
                .find(|r| r.get("Name").and_then(Json::as_str) == Some(prop.as_str()))
            else {
                return Err(Error::syntax(
                    file,
                    func.line,
                    1,
                    format!(
                        "function '{}': parameter '{arg}' is not in the component's .json",
                        func.name
                    ),
                ));
            };
            if let Some(Json::Object(info)) = rule.get_mut("ScopeVariableInfo") {
                info.insert("DefaultRule", default_rule);
                info.insert("ParameterIndex", Json::from_i64(index));
                info.insert("ParentPropertyName", Json::str(&func.name));
                info.insert("ScopePropertyDataType", Json::from_i64(code));
            }
        }
    }
    Ok(())
}

/// Newtonsoft's compact string escaping (test-step metadata is written by it).
fn newtonsoft_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_pa_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("src\\") && lower.ends_with(".pa.yaml")
}

/// Studio's YAML view of the app (`Src\*.pa.yaml`, carried through `Other/`) must describe the
/// controls being packed. When the app is exactly what was unpacked (same content checksum)
/// the stored files are kept byte for byte; otherwise they are rendered from the packed model
/// so an edited or merged tree never ships a stale view. Apps without them stay without.
fn refresh_pa_yaml(app: &mut MsApp, unpacked_from: Option<&str>, now: &str) -> Result<bool> {
    let position = app.entries.iter().position(|e| is_pa_yaml(&e.name));
    let Some(position) = position else {
        return Ok(false);
    };
    if unpacked_from == Some(now) {
        return Ok(false);
    }
    let rendered = crate::payaml::render_app(app)?;
    app.entries.retain(|e| !is_pa_yaml(&e.name));
    let at = position.min(app.entries.len());
    for (offset, (name, text)) in rendered.into_iter().enumerate() {
        app.entries.insert(
            at + offset,
            Entry {
                name,
                data: EntryData::Bytes(text.into_bytes()),
            },
        );
    }
    Ok(true)
}
