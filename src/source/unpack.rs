//! `.msapp` model -> source tree, in the layout `pac canvas unpack` writes.

use std::collections::{HashMap, HashSet};

use crate::checksum;
use crate::error::{Error, Result};
use crate::fxyaml::{self, Block};
use crate::json::{self, Json, Object};
use crate::model::{EntryData, MsApp, is_json_name, parse_entry};

use super::controls::{self, Splitter, StateStore, TemplateStore};
use super::datasources::{self, DataUnpack};
use super::names::{escape_filename, truncate_name_if_too_long};
use super::transforms::{ComponentDefaults, DefaultSource, UnpackTransforms};
use super::{Entropy, FormatVersion, SourceTree, Warnings};

/// Options of an unpack.
#[derive(Debug, Clone, Default)]
pub struct UnpackOptions {
    pub format_version: FormatVersion,
    /// Leave the client checksum out of `Entropy/checksum.json`: for trees that only live in
    /// memory (a merge's sides), where hashing the whole app again buys nothing.
    pub skip_client_checksum: bool,
    /// The app is cut down to some of its top controls (textconv reuses the renderings of
    /// the others), so one without any is not refused.
    pub partial: bool,
}

/// Entries with a fixed meaning; everything else is a control file, an asset or unknown.
const KNOWN_ENTRIES: &[&str] = &[
    "Properties.json",
    "Header.json",
    "Defines.fx.yaml",
    "CustomPagesMetadata.json",
    "checksum.json",
    "AppCheckerResult.sarif",
    "ComponentsMetadata.json",
    "Resources\\PublishInfo.json",
    "References\\DataSources.json",
    "References\\Themes.json",
    "References\\Templates.json",
    "References\\Resources.json",
];

/// Where a control file's top parent lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopKind {
    Screen,
    App,
    Component,
    Test,
}

struct TopParent {
    kind: TopKind,
    /// The archive entry it came from (`Controls\3.json`), to name in errors.
    entry: String,
    block: Block,
    /// The top parent's template name (component GUID for components).
    template_name: String,
}

fn first_segment(name: &str) -> &str {
    name.split(['\\', '/']).next().unwrap_or("")
}

fn is_known(name: &str) -> bool {
    KNOWN_ENTRIES
        .iter()
        .any(|k| crate::model::same_entry_name(k, name))
}

/// Entries of these folders are parsed as control trees.
pub fn control_folder(name: &str) -> Option<&'static str> {
    let seg = first_segment(name);
    ["Controls", "Components", "AppTests"]
        .into_iter()
        .find(|f| f.eq_ignore_ascii_case(seg) && name.len() > seg.len())
}

fn obj_of(app: &MsApp, name: &str) -> Option<Object> {
    app.json(name).and_then(Json::as_object).cloned()
}

/// Unpacks an app. `label` names it in errors.
pub fn unpack(
    app: &MsApp,
    defaults: &dyn DefaultSource,
    opts: &UnpackOptions,
    label: &str,
) -> Result<(SourceTree, Warnings)> {
    unpack_taking(app, Taken::default(), defaults, opts, label)
}

/// [`unpack`] of an app that is not needed afterwards: the entries left unparsed by
/// [`MsApp::from_archive_deferring`] (controls, data sources) are let go once split, one by
/// one, instead of staying in the app until the end (a merge unpacks two sides at once). The
/// client checksum reads every entry at the end, so an unpack that computes it keeps them.
pub fn unpack_owned(
    mut app: MsApp,
    defaults: &dyn DefaultSource,
    opts: &UnpackOptions,
    label: &str,
) -> Result<(SourceTree, Warnings)> {
    let mut taken = Taken::default();
    if opts.skip_client_checksum {
        for (index, entry) in app.entries.iter_mut().enumerate() {
            let EntryData::Bytes(raw) = &mut entry.data else {
                continue;
            };
            if control_folder(&entry.name).is_some() && is_json_name(&entry.name) {
                taken.controls.push((index, std::mem::take(raw)));
            } else if datasources::reads_unparsed(&entry.name) && taken.data_sources.is_none() {
                taken.data_sources = Some(std::mem::take(raw));
            }
        }
    }
    unpack_taking(&app, taken, defaults, opts, label)
}

/// Entry bytes moved out of the app being unpacked.
#[derive(Default)]
struct Taken {
    /// Control entries by entry index, in order.
    controls: Vec<(usize, Vec<u8>)>,
    /// `References\DataSources.json`.
    data_sources: Option<Vec<u8>>,
}

fn unpack_taking(
    app: &MsApp,
    taken: Taken,
    defaults: &dyn DefaultSource,
    opts: &UnpackOptions,
    label: &str,
) -> Result<(SourceTree, Warnings)> {
    if app.find("Entities.json").is_some() {
        return Err(Error::bad_input(
            label,
            "this is an .msapp of the older v1 format (it has Entities.json); open and save it in a current Power Apps Studio first",
        ));
    }
    if app
        .json("Header.json")
        .is_some_and(|h| h.as_object().is_none())
        || app
            .json("Properties.json")
            .is_some_and(|h| h.as_object().is_none())
    {
        return Err(Error::bad_input(
            label,
            "Header.json or Properties.json is not a JSON object",
        ));
    }
    let mut header = obj_of(app, "Header.json")
        .ok_or_else(|| Error::bad_input(label, "missing Header.json: not a canvas app"))?;
    let mut properties = obj_of(app, "Properties.json")
        .ok_or_else(|| Error::bad_input(label, "missing Properties.json: not a canvas app"))?;
    let has_controls = app
        .entries
        .iter()
        .any(|e| control_folder(&e.name).is_some());
    if !has_controls && !opts.partial {
        let has_pa_yaml = app.entries.iter().any(|e| {
            let n = e.name.to_ascii_lowercase();
            n.ends_with(".pa.yaml")
        });
        return Err(Error::bad_input(
            label,
            if has_pa_yaml {
                "the app has no Controls/ entries, only Src/*.pa.yaml (written by another tool); msapp-merge needs an app saved by Power Apps Studio"
            } else {
                "the app has no Controls/ entries: not a canvas app saved by Power Apps Studio"
            },
        ));
    }

    let mut tree = SourceTree::new();
    let mut warnings = Warnings::default();
    let mut entropy = Entropy::new();
    // Fields the reference always writes, so a fresh unpack lists them even when empty.
    for field in [
        "ComponentIndexes",
        "ControlUniqueGuids",
        "ControlUniqueIds",
        "FunctionParamsInvariantScripts",
        "FunctionParamsInvariantScriptsOnInstances",
        "LocalConnectionIDReferences",
        "LocalResourceFileNames",
        "LocalResourceRootPaths",
        "OrderComponentMetadata",
        "OrderComponentTemplate",
        "OrderDataSource",
        "OrderGroupControls",
        "OrderPcfTemplate",
        "OrderTemplate",
        "OrderXMLTemplate",
        "PublishOrderIndices",
        "ResourcesJsonIndices",
        "RuleScreenIdWithoutScreen",
        "TemplateVersions",
    ] {
        entropy.map_mut(field);
    }
    entropy.set("IsLegacyComponentAllowGlobalScopeCase", Json::Bool(false));
    entropy.set("LocalDatabaseReferencesAsEmpty", Json::Bool(false));

    // Header and volatile properties.
    if let Some(saved) = header.remove("LastSavedDateTimeUTC") {
        entropy.set("HeaderLastSavedDateTimeUTC", saved);
    }
    let mut volatile = Object::new();
    for key in [
        "ControlCount",
        "DeserializationLoadTime",
        "AnalysisLoadTime",
        "ErrorCount",
    ] {
        if let Some(v) = properties.remove(key) {
            volatile.insert(key, v);
        }
    }
    if !volatile.is_empty() {
        entropy.set("VolatileProperties", Json::Object(volatile));
    }
    if let Some(deps) = properties.remove("LibraryDependencies") {
        match &deps {
            Json::String(s) if !s.is_empty() => {
                let parsed = json::parse(s).map_err(|e| {
                    Error::bad_input(label, format!("Properties.json LibraryDependencies: {e}"))
                })?;
                tree.insert_json("ComponentReferences.json", &parsed);
            }
            Json::String(_) | Json::Null => {}
            other => tree.insert_json("ComponentReferences.json", other),
        }
    }
    if let Some(Json::String(key)) = properties.get("InstrumentationKey").cloned()
        && !key.is_empty()
    {
        properties.remove("InstrumentationKey");
        let mut o = Object::new();
        o.insert("InstrumentationKey", Json::str(key));
        tree.insert_json("AppInsightsKey.json", &Json::Object(o));
    }
    // Pack always writes these; an absent one would not round-trip.
    if !properties.contains_key("DocumentAppType") {
        warnings.push(format!("{label}: Properties.json has no DocumentAppType"));
    }

    let mut publish_info = obj_of(app, "Resources\\PublishInfo.json");
    datasources::unpack(DataUnpack {
        app,
        data_sources: taken.data_sources,
        label,
        properties: &mut properties,
        publish_info: publish_info.as_mut(),
        entropy: &mut entropy,
        tree: &mut tree,
        warnings: &mut warnings,
    })?;

    // Control trees.
    let templates_json = obj_of(app, "References\\Templates.json").unwrap_or_default();
    let widget_templates: HashSet<String> = templates_json
        .get("UsedTemplates")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("Name").and_then(Json::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut states = StateStore::default();
    let mut templates = TemplateStore::default();
    let mut tops: Vec<TopParent> = Vec::new();
    let mut screens: Vec<(String, f64)> = Vec::new();
    let mut taken = taken.controls.into_iter().peekable();
    for (index, entry) in app.entries.iter().enumerate() {
        let Some(folder) = control_folder(&entry.name) else {
            continue;
        };
        // Left unparsed by `MsApp::from_archive_deferring`: parsed here, dropped once split.
        let parse = |raw: &[u8]| parse_entry(raw, &entry.name, label);
        let parsed;
        let doc = match (taken.next_if(|(i, _)| *i == index), &entry.data) {
            (Some((_, raw)), _) => {
                parsed = parse(&raw)?;
                &parsed
            }
            (None, EntryData::Json(doc)) => doc,
            (None, EntryData::Bytes(raw)) if is_json_name(&entry.name) => {
                parsed = parse(raw)?;
                &parsed
            }
            (None, EntryData::Bytes(_)) => continue,
        };
        let top = doc
            .get("TopParent")
            .and_then(Json::as_object)
            .ok_or_else(|| {
                Error::bad_input(label, format!("{}: no TopParent object", entry.name))
            })?;
        let extra: Vec<&str> = doc
            .as_object()
            .map(|o| o.keys().filter(|k| *k != "TopParent").collect())
            .unwrap_or_default();
        if !extra.is_empty() {
            warnings.push(format!(
                "{label}: {}: keys next to TopParent are not kept: {}",
                entry.name,
                extra.join(", ")
            ));
        }
        let file = format!("{label}: {}", entry.name);
        let mut splitter = Splitter {
            file: &file,
            states: &mut states,
            templates: &mut templates,
            entropy: &mut entropy,
            widget_templates: &widget_templates,
        };
        let block = splitter.split_top(top)?;
        let template = top
            .get("Template")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let template_id = template.get("Id").and_then(Json::as_str).unwrap_or("");
        let kind = match folder {
            "Components" if controls::is_component_template_id(template_id) => TopKind::Component,
            "AppTests" => TopKind::Test,
            _ if block.name == "App" => TopKind::App,
            _ if block.name == controls::TEST_ROOT_NAME => TopKind::Test,
            _ => TopKind::Screen,
        };
        let index = top.get("Index").and_then(Json::as_f64).unwrap_or(0.0);
        if kind == TopKind::Screen {
            screens.push((block.name.clone(), index));
        }
        record_component_indexes(top, kind == TopKind::Screen, &mut entropy);
        // Component instances remember whether their definition info lacked the flag.
        mark_legacy_global_scope(top, &mut entropy);
        tops.push(TopParent {
            kind,
            entry: entry.name.clone(),
            template_name: template
                .get("Name")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            block,
        });
    }
    // Stable sort by Index: ties keep archive order, like the reference.
    screens.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));

    // Component definitions become templates named after the component.
    let components_meta = obj_of(app, "ComponentsMetadata.json");
    let component_templates: Vec<Object> = templates_json
        .get("ComponentTemplates")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_object).cloned().collect())
        .unwrap_or_default();
    let mut component_names: HashMap<String, String> = HashMap::new();
    for top in tops.iter_mut().filter(|t| t.kind == TopKind::Component) {
        let guid = top.template_name.clone();
        let comp_name = top.block.name.clone();
        let mut record = templates.templates.remove(&guid).unwrap_or_default();
        let comp_type = record
            .get("ComponentType")
            .and_then(Json::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                match record.get("Id").and_then(Json::as_str) {
                    Some(controls::DATA_COMPONENT_ID) => "DataComponent",
                    _ => "CanvasComponent",
                }
                .to_string()
            });
        top.block.type_name = comp_type;
        if let Some((pos, meta)) = component_templates
            .iter()
            .enumerate()
            .find(|(_, t)| t.get("Name").and_then(Json::as_str) == Some(guid.as_str()))
        {
            entropy.map_set_index("OrderComponentTemplate", &guid, pos);
            for (k, v) in meta.iter() {
                match k {
                    "IsComponentLocked"
                    | "ComponentChangedSinceFileImport"
                    | "ComponentAllowCustomization" => record.insert(k, v.clone()),
                    "Version" => {
                        if record.get("Version") != Some(v) {
                            entropy.map_set("TemplateVersions", &guid, v.clone());
                        }
                    }
                    "Name" | "CustomProperties" | "ComponentType" => {}
                    _ => {
                        let mut extra = match record.remove("ComponentExtraMetadata") {
                            Some(Json::Object(o)) => o,
                            _ => Object::new(),
                        };
                        extra.insert(k, v.clone());
                        record.insert("ComponentExtraMetadata", Json::Object(extra));
                    }
                }
            }
        }
        if let Some(list) = components_meta
            .as_ref()
            .and_then(|m| m.get("Components"))
            .and_then(Json::as_array)
            && let Some((pos, meta)) = list
                .iter()
                .enumerate()
                .find(|(_, m)| m.get("TemplateName").and_then(Json::as_str) == Some(guid.as_str()))
        {
            entropy.map_set_index("OrderComponentMetadata", &guid, pos);
            let mut manifest = Object::new();
            for (k, v) in meta
                .as_object()
                .map(|o| o.iter().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let key = if k == "TemplateName" {
                    "TemplateGuid"
                } else {
                    k
                };
                manifest.0.push((key.to_string(), v.clone()));
            }
            record.insert("ComponentManifest", Json::Object(manifest));
        }
        templates.templates.insert(comp_name.clone(), record);
        component_names.insert(guid, comp_name);
    }

    // Screen ids for test steps.
    let mut screen_ids = HashMap::new();
    for (name, _) in &screens {
        if let Some(id) = entropy.map_get("ControlUniqueIds", name) {
            if let Some(n) = id.as_f64() {
                screen_ids.insert(format!("{n}"), name.clone());
            }
        } else if let Some(Json::String(g)) = entropy.map_get("ControlUniqueGuids", name) {
            screen_ids.insert(g.clone(), name.clone());
        }
    }

    // Transforms: component definitions first, since instances compare with them.
    let mut component_defaults = ComponentDefaults::default();
    let mut order: Vec<usize> = (0..tops.len())
        .filter(|&i| tops[i].kind == TopKind::Component)
        .collect();
    order.extend((0..tops.len()).filter(|&i| tops[i].kind != TopKind::Component));
    for i in order {
        let top = &mut tops[i];
        let file = format!("{label}: {}", top.block.name);
        let mut t = UnpackTransforms {
            defaults,
            components: &component_defaults,
            component_names: &component_names,
            screen_ids: &screen_ids,
            states: &mut states,
            entropy: &mut entropy,
            warnings: &mut warnings,
            file: &file,
        };
        t.apply(&mut top.block, false)?;
        // Checked after the transforms, which add controls of their own (test steps). A
        // tree written anyway could not be read back: pack and every merge would fail on our
        // own output instead of naming the app.
        if let Some(problem) = fxyaml::unwritable(&top.block) {
            return Err(Error::bad_input(
                format!("{label}: {}", top.entry),
                format!("{problem}, which .fx.yaml cannot express"),
            ));
        }
        if top.kind == TopKind::Component {
            let props = top
                .block
                .properties
                .iter()
                .map(|p| (p.name.clone(), p.formula.clone()))
                .collect();
            component_defaults
                .by_template
                .insert(top.template_name.clone(), props);
        }
    }

    // Write the control files. File names are handed out in name order (not archive order),
    // so names that collide ignoring case get the same suffixes on every unpack.
    let mut used_names: HashSet<String> = HashSet::new();
    let mut by_name: Vec<&TopParent> = tops.iter().collect();
    by_name.sort_by(|a, b| {
        (a.kind == TopKind::Test, &a.block.name).cmp(&(b.kind == TopKind::Test, &b.block.name))
    });
    let mut states_by_top = states.into_by_top_parent();
    // A group is moved into its file unless another top parent has the same name.
    let mut tops_named: HashMap<&str, usize> = HashMap::new();
    for top in &by_name {
        *tops_named.entry(top.block.name.as_str()).or_default() += 1;
    }
    for top in by_name {
        let name = &top.block.name;
        match top.kind {
            TopKind::Screen | TopKind::App => {
                let path = unique_path(&mut used_names, "Src", name, ".fx.yaml");
                tree.insert(path, fxyaml::write(&top.block).into_bytes());
            }
            TopKind::Component => {
                let path = unique_path(&mut used_names, "Src/Components", name, ".fx.yaml");
                tree.insert(path, fxyaml::write(&top.block).into_bytes());
                if let Some(record) = templates.templates.get(name) {
                    let path = unique_path(&mut used_names, "Src/Components", name, ".json");
                    tree.insert_json(path, &Json::Object(record.clone()));
                }
            }
            TopKind::Test => {
                let mut root = top.block.clone();
                let suites = std::mem::take(&mut root.children);
                let path = unique_path(&mut used_names, "Src/Tests", name, ".fx.yaml");
                tree.insert(path, fxyaml::write(&root).into_bytes());
                for suite in &suites {
                    let display = suite
                        .properties
                        .iter()
                        .find(|p| p.name == "DisplayName")
                        .map(|p| p.formula.trim_matches('"').to_string())
                        .unwrap_or_else(|| suite.name.clone());
                    let path = unique_path(&mut used_names, "Src/Tests", &display, ".fx.yaml");
                    tree.insert(path, fxyaml::write(suite).into_bytes());
                }
            }
        }
        let group = match tops_named.get_mut(name.as_str()) {
            Some(left) if *left > 1 => {
                *left -= 1;
                states_by_top.get(name.as_str()).cloned()
            }
            _ => states_by_top.remove(name.as_str()),
        };
        let mut states_obj = Object::new();
        for (control, state) in group.into_iter().flatten() {
            states_obj.0.push((control, Json::Object(state.entry)));
        }
        let mut doc = Object::new();
        doc.insert("ControlStates", Json::Object(states_obj));
        doc.insert("TopParentName", Json::str(name));
        let path = unique_path(
            &mut used_names,
            "Src/EditorState",
            name,
            ".editorstate.json",
        );
        tree.insert_json(path, &Json::Object(doc));
    }

    // ControlTemplates.json: every non-component template.
    let mut control_templates = Object::new();
    for (name, record) in &templates.templates {
        let is_component = record
            .get("IsComponentTemplate")
            .and_then(Json::as_bool)
            .unwrap_or(false)
            || component_names.values().any(|c| c == name);
        if !is_component {
            control_templates
                .0
                .push((name.clone(), Json::Object(record.clone())));
        }
    }
    for name in ["appinfo", "screen", "groupContainer"] {
        if !control_templates.contains_key(name) {
            control_templates.insert(name, Json::Object(controls::code_defined_record(name)));
        }
    }
    tree.insert_json("ControlTemplates.json", &Json::Object(control_templates));

    // Themes, manifest, app checker, checksum, pass-through files.
    if let Some(themes) = app.json("References\\Themes.json") {
        tree.insert_json("Src/Themes.json", themes);
    }
    let mut manifest = Object::new();
    manifest.insert("FormatVersion", Json::str(opts.format_version.as_str()));
    manifest.insert("Header", Json::Object(header));
    manifest.insert("Properties", Json::Object(properties));
    if let Some(mut info) = publish_info {
        for key in ["PublishResourcesLocally", "PublishDataLocally"] {
            if !info.contains_key(key) {
                info.insert(key, Json::Bool(false));
            }
        }
        manifest.insert("PublishInfo", Json::Object(info));
    }
    manifest.insert(
        "ScreenOrder",
        Json::Array(screens.iter().map(|(n, _)| Json::str(n)).collect()),
    );
    tree.insert_json("CanvasManifest.json", &Json::Object(manifest));

    if let Some(sarif) = app.json("AppCheckerResult.sarif") {
        tree.insert_json("Entropy/AppCheckerResult.sarif", sarif);
    }
    let mut checksum_doc = obj_of(app, "checksum.json").unwrap_or_default();
    if !opts.skip_client_checksum {
        let sums = checksum::compute(app);
        checksum_doc.insert("ClientStampedChecksum", Json::str(&sums.whole));
        let mut per_file = Object::new();
        for (name, sum) in &sums.per_file {
            per_file.insert(name.as_str(), Json::str(sum));
        }
        checksum_doc.insert("ClientPerFileChecksums", Json::Object(per_file));
    }
    tree.insert_json("Entropy/checksum.json", &Json::Object(checksum_doc));

    for entry in &app.entries {
        let name = entry.name.as_str();
        if crate::model::same_entry_name(name, "Defines.fx.yaml") {
            tree.insert("Defines.fx.yaml", strip_bom(entry_bytes(&entry.data)));
        } else if crate::model::same_entry_name(name, "CustomPagesMetadata.json") {
            tree.insert("pkgs/CustomPagesMetadata.json", entry_bytes(&entry.data));
        }
    }
    // Assets, the logo file and the data-side references are written by the data side.
    let logo = datasources::logo_entry_name(
        app,
        app.json("Resources\\PublishInfo.json")
            .and_then(Json::as_object),
    );
    for entry in &app.entries {
        if is_known(&entry.name)
            || control_folder(&entry.name).is_some()
            || datasources::handles_entry(&entry.name)
            || logo.as_deref() == Some(entry.name.as_str())
        {
            continue;
        }
        let path = other_path(&entry.name);
        match &entry.data {
            EntryData::Json(j) => tree.insert_json(path, j),
            EntryData::Bytes(b) => tree.insert(path, b.clone()),
        }
    }

    tree.insert_json("Entropy/Entropy.json", &Json::Object(entropy.into_object()));
    Ok((tree, warnings))
}

/// `Other/` keeps an unknown entry's path, each segment escaped.
pub fn other_path(entry_name: &str) -> String {
    let mut path = String::from("Other");
    for seg in entry_name.split('\\') {
        path.push('/');
        path.push_str(&escape_filename(seg));
    }
    path
}

fn entry_bytes(data: &EntryData) -> Vec<u8> {
    match data {
        EntryData::Bytes(b) => b.clone(),
        EntryData::Json(j) => json::to_normalized_string(j).into_bytes(),
    }
}

fn strip_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    bytes
}

/// `dir/<name><ext>` with the reference's escaping and truncation; `_1`, `_2`... when the
/// name is taken ignoring case, so trees are the same on every file system.
fn unique_path(used: &mut HashSet<String>, dir: &str, name: &str, ext: &str) -> String {
    let base = truncate_name_if_too_long(&escape_filename(name));
    let mut candidate = format!("{dir}/{base}{ext}");
    let mut n = 1;
    while used.contains(&candidate.to_lowercase()) {
        candidate = format!("{dir}/{base}_{n}{ext}");
        n += 1;
    }
    used.insert(candidate.to_lowercase());
    candidate
}

/// Records `Index` values of non-screen controls that are not 0.
fn record_component_indexes(top: &Object, top_is_screen: bool, entropy: &mut Entropy) {
    fn walk(c: &Object, skip_self: bool, entropy: &mut Entropy) {
        if !skip_self
            && let (Some(name), Some(index)) = (
                c.get("Name").and_then(Json::as_str),
                c.get("Index").and_then(Json::as_f64),
            )
            && index != 0.0
        {
            entropy.map_set("ComponentIndexes", name, controls::index_json(index));
        }
        if let Some(kids) = c.get("Children").and_then(Json::as_array) {
            for k in kids.iter().filter_map(Json::as_object) {
                walk(k, false, entropy);
            }
        }
    }
    walk(top, top_is_screen, entropy);
}

fn mark_legacy_global_scope(top: &Object, entropy: &mut Entropy) {
    fn walk(c: &Object, entropy: &mut Entropy) {
        if let Some(info) = c
            .get("Template")
            .and_then(|t| t.get("ComponentDefinitionInfo"))
            .and_then(Json::as_object)
        {
            entropy.set(
                "IsLegacyComponentAllowGlobalScopeCase",
                Json::Bool(!info.contains_key("AllowAccessToGlobals")),
            );
        }
        if let Some(kids) = c.get("Children").and_then(Json::as_array) {
            for k in kids.iter().filter_map(Json::as_object) {
                walk(k, entropy);
            }
        }
    }
    walk(top, entropy);
}
