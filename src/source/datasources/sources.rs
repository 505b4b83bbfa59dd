//! `References\DataSources.json` and `Properties.LocalDatabaseReferences` <-> `DataSources/`,
//! `pkgs/TableDefinitions/`, `pkgs/Wadl/`, `pkgs/Swagger/` and `Connections/<dataset>.json`.
//!
//! Entries are grouped by `RelatedEntityName ?? Name` (an entity with its option sets and
//! views); each group is one `DataSources/<key>.json` file. Environment-specific parts move to
//! `pkgs/`: a table definition (CDS `TableDefinition`, or `DataEntityMetadataJson` + `TableName`)
//! joined with its dataset from `LocalDatabaseReferences`, and connector WADL/Swagger.
//!
//! Where the reference loses data we keep it in place instead (unparsable payloads stay inline,
//! option-set dataset names that differ from the table's are kept, WADL is only moved out of
//! entries that pack gives it back to); for every app the reference handles the files are the
//! same as its output.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{self, Json, Object};
use crate::model::MsApp;
use crate::source::names::{escape_filename, without_extension};
use crate::source::{Entropy, SourceTree, Warnings};

use super::util::{
    direct_children, file_name, is_hidden, ordinal_cmp, parse_tree_json, parse_tree_object,
    str_member, tree_text,
};
use super::{
    CONNECTIONS_DIR, DATA_SOURCES_DIR, ENTROPY_DATA_SOURCE_ORDER, ENTROPY_LDR_AS_EMPTY,
    ENTROPY_LDR_WAS_EMPTY, SWAGGER_DIR, TABLE_DEFINITIONS_DIR, WADL_DIR,
};

pub const ENTRY: &str = "References\\DataSources.json";
pub const PROPERTY: &str = "LocalDatabaseReferences";
const OLD_CDS_API: &str = "/providers/microsoft.powerapps/apis/shared_commondataservice";

// Keys of a table definition file that are not flattened dataset members.
const DEF_DATASET_NAME: &str = "DatasetName";
const DEF_ENTITY_NAME: &str = "EntityName";
const DEF_TABLE_NAME: &str = "TableName";
const DEF_INSTANCE_URL: &str = "InstanceUrl";
const DEF_TABLE_DEFINITION: &str = "TableDefinition";
const DEF_METADATA: &str = "DataEntityMetadataJson";
const DEF_REFERENCE: &str = "LocalReferenceDSJson";
const DEF_UNUSED: &str = "UnusedDataSources";
const DEF_KNOWN_KEYS: [&str; 8] = [
    DEF_DATASET_NAME,
    DEF_ENTITY_NAME,
    DEF_TABLE_NAME,
    DEF_INSTANCE_URL,
    DEF_TABLE_DEFINITION,
    DEF_METADATA,
    DEF_REFERENCE,
    DEF_UNUSED,
];
const DATASET_SOURCES: &str = "dataSources";
const DATASET_URL: &str = "instanceUrl";

const TYPE_CDS: &str = "NativeCDSDataSourceInfo";
const TYPE_CDP: &str = "ConnectedDataSourceInfo";
const TYPE_OPTION_SET: &str = "OptionSetInfo";
const TYPE_VIEW: &str = "ViewInfo";
const TYPE_SERVICE: &str = "ServiceInfo";

// ---------------------------------------------------------------------------------------------
// Unpack

pub fn unpack(
    app: &MsApp,
    properties: &mut Object,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> Result<()> {
    entropy.map_mut(ENTROPY_DATA_SOURCE_ORDER);
    let mut datasets = take_datasets(properties, entropy, warnings);
    let Some(doc) = app.json(ENTRY) else {
        write_untracked_datasets(&datasets, &HashSet::new(), tree)?;
        return Ok(());
    };
    let entries = data_source_entries(doc)?;

    let mut groups: Vec<(String, Vec<Object>)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        entropy.map_set_index(ENTROPY_DATA_SOURCE_ORDER, &unique_name(entry), index);
        let key = group_key(entry)?.to_string();
        let slot = *group_of.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        if let Some((_, members)) = groups.get_mut(slot) {
            members.push(entry.clone());
        }
    }

    let mut used_names = HashSet::new();
    let mut definitions: Vec<(String, Object)> = Vec::new();
    for (key, mut members) in groups {
        let stem = allocate_stem(&key, &mut used_names, warnings);
        members.sort_by(
            |a, b| match (str_member(a, "Name"), str_member(b, "Name")) {
                (Some(a), Some(b)) => ordinal_cmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            },
        );
        let definition = split_group(&key, &stem, &mut members, tree, warnings)?;
        if let Some(mut definition) = definition {
            fold_dataset(&mut definition, &datasets)?;
            definitions.push((stem.clone(), definition));
        }
        let entries = Json::Array(members.into_iter().map(Json::Object).collect());
        tree.insert_json(
            format!(
                "{DATA_SOURCES_DIR}/{}",
                escape_filename(&format!("{stem}.json"))
            ),
            &entries,
        );
    }

    let claimed = attach_unused_data_sources(&mut definitions, &mut datasets);
    for (stem, definition) in definitions {
        let path = format!(
            "{TABLE_DEFINITIONS_DIR}/{}",
            escape_filename(&format!("{stem}.json"))
        );
        tree.insert_json(path, &Json::Object(definition));
    }
    write_untracked_datasets(&datasets, &claimed, tree)
}

/// Moves `LocalDatabaseReferences` out of the properties when it names at least one dataset
/// and records how an empty value was spelled. Anything unexpected stays in the manifest.
fn take_datasets(
    properties: &mut Object,
    entropy: &mut Entropy,
    warnings: &mut Warnings,
) -> Object {
    let mut set_flags = |as_empty: bool, was_empty: bool| {
        entropy.set(ENTROPY_LDR_AS_EMPTY, Json::Bool(as_empty));
        entropy.set(ENTROPY_LDR_WAS_EMPTY, Json::Bool(was_empty));
    };
    let text = match properties.get(PROPERTY) {
        None => {
            set_flags(true, true);
            return Object::new();
        }
        Some(Json::String(text)) if text.is_empty() => {
            set_flags(true, true);
            return Object::new();
        }
        Some(Json::String(text)) => text.clone(),
        Some(_) => {
            set_flags(false, true);
            warnings.push(format!(
                "Properties.{PROPERTY} is not a string; kept in CanvasManifest.json"
            ));
            return Object::new();
        }
    };
    match json::parse(&text) {
        Ok(Json::Object(datasets)) if datasets.iter().all(|(_, d)| is_dataset(d)) => {
            if datasets.is_empty() {
                set_flags(false, true);
                Object::new()
            } else {
                set_flags(false, false);
                properties.remove(PROPERTY);
                datasets
            }
        }
        _ => {
            set_flags(false, true);
            warnings.push(format!(
                "Properties.{PROPERTY} is not a JSON map of datasets; kept as text in CanvasManifest.json"
            ));
            Object::new()
        }
    }
}

fn is_dataset(value: &Json) -> bool {
    match value {
        Json::Object(dataset) => matches!(
            dataset.get(DATASET_SOURCES),
            None | Some(Json::Object(_)) | Some(Json::Null)
        ),
        _ => false,
    }
}

fn data_source_entries(doc: &Json) -> Result<Vec<Object>> {
    let Json::Object(top) = doc else {
        return Err(Error::bad_input(ENTRY, "expected a JSON object"));
    };
    if let Some(extra) = top.keys().find(|k| *k != "DataSources") {
        return Err(Error::bad_input(
            ENTRY,
            format!("unknown top-level field `{extra}`"),
        ));
    }
    let Some(Json::Array(items)) = top.get("DataSources") else {
        return Err(Error::bad_input(ENTRY, "missing `DataSources` array"));
    };
    items
        .iter()
        .map(|item| match item {
            Json::Object(entry) => Ok(entry.clone()),
            _ => Err(Error::bad_input(
                ENTRY,
                "a data source entry is not an object",
            )),
        })
        .collect()
}

/// `RelatedEntityName\Name`, or `Name`: the key of Entropy `OrderDataSource`.
fn unique_name(entry: &Object) -> String {
    let name = str_member(entry, "Name").unwrap_or_default();
    match str_member(entry, "RelatedEntityName") {
        Some(related) => format!("{related}\\{name}"),
        None => name.to_string(),
    }
}

fn group_key(entry: &Object) -> Result<&str> {
    match (entry.get("RelatedEntityName"), entry.get("Name")) {
        (Some(Json::String(related)), _) => Ok(related),
        (None | Some(Json::Null), Some(Json::String(name))) => Ok(name),
        _ => Err(Error::bad_input(
            ENTRY,
            "a data source has no string `Name` (or a non-string `RelatedEntityName`)",
        )),
    }
}

/// File names collide case-insensitively whatever the OS, so colliding groups get `_1`, `_2`...
fn allocate_stem(key: &str, used: &mut HashSet<String>, warnings: &mut Warnings) -> String {
    if used.insert(format!("{key}.json").to_lowercase()) {
        return key.to_string();
    }
    let mut index = 1;
    loop {
        let alternative = format!("{key}_{index}");
        if used.insert(format!("{alternative}.json").to_lowercase()) {
            warnings.push(format!(
                "Data source name collision: {key}.json, writing as {alternative}.json to avoid."
            ));
            return alternative;
        }
        index += 1;
    }
}

/// Strips environment data from a group's entries; returns the group's table definition.
fn split_group(
    key: &str,
    stem: &str,
    members: &mut [Object],
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> Result<Option<Object>> {
    let mut definition: Option<Object> = None;
    let set_definition = |definition: &mut Option<Object>, new: Object| {
        if definition.is_some() {
            return Err(Error::bad_input(
                ENTRY,
                format!("data sources `{key}` hold more than one table definition"),
            ));
        }
        *definition = Some(new);
        Ok(())
    };
    let mut handled = vec![false; members.len()];
    for (entry, handled) in members.iter_mut().zip(handled.iter_mut()) {
        if str_member(entry, "Type") == Some(TYPE_VIEW) {
            *handled = true;
            continue;
        }
        if let Some(text) = str_member(entry, DEF_TABLE_DEFINITION) {
            match json::parse(text) {
                Ok(table) => {
                    let mut def = Object::new();
                    def.insert(DEF_TABLE_DEFINITION, table);
                    if let Some(dataset) = entry.remove(DEF_DATASET_NAME) {
                        def.insert(DEF_DATASET_NAME, dataset);
                    }
                    def.insert(DEF_ENTITY_NAME, Json::str(key));
                    entry.remove(DEF_TABLE_DEFINITION);
                    set_definition(&mut definition, def)?;
                    *handled = true;
                    continue;
                }
                Err(e) => warnings.push(format!(
                    "TableDefinition of data source `{}` is not valid JSON ({e}); kept in {DATA_SOURCES_DIR}/",
                    str_member(entry, "Name").unwrap_or_default()
                )),
            }
        } else if entry.get(DEF_METADATA).is_some_and(|m| !m.is_null()) {
            let name = entry.get("Name").cloned().unwrap_or(Json::Null);
            if str_member(entry, "ApiId") == Some(OLD_CDS_API) {
                return Err(Error::bad_input(
                    ENTRY,
                    format!(
                        "connection {} uses the old CDS connector, which is not supported",
                        name.as_str().unwrap_or_default()
                    ),
                ));
            }
            let mut def = Object::new();
            if let Some(metadata) = entry.remove(DEF_METADATA) {
                def.insert(DEF_METADATA, metadata);
            }
            def.insert(DEF_ENTITY_NAME, name);
            if let Some(table) = entry.remove(DEF_TABLE_NAME) {
                def.insert(DEF_TABLE_NAME, table);
            }
            set_definition(&mut definition, def)?;
            *handled = true;
        }
    }

    let dataset_name = definition
        .as_ref()
        .and_then(|d| d.get(DEF_DATASET_NAME))
        .cloned();
    let mut wadl_moved = false;
    for (entry, handled) in members.iter_mut().zip(handled) {
        if handled {
            continue;
        }
        if str_member(entry, "Type") == Some(TYPE_OPTION_SET) {
            if definition.is_some() {
                strip_option_set_dataset(entry, dataset_name.as_ref());
            }
        } else if !wadl_moved
            && definition.is_none()
            && str_member(entry, "Type") == Some(TYPE_SERVICE)
        {
            wadl_moved = move_service_definitions(entry, stem, tree, warnings);
        }
    }

    if let Some(Json::String(dataset)) = &dataset_name {
        for entry in members
            .iter_mut()
            .filter(|e| str_member(e, "Type") == Some(TYPE_VIEW))
        {
            let trimmed = str_member(entry, "Name")
                .and_then(|n| n.strip_prefix(dataset.as_str()))
                .map(str::to_string);
            if let Some(trimmed) = trimmed {
                entry.insert("Name", Json::String(trimmed));
                entry.insert("TrimmedViewName", Json::Bool(true));
            }
        }
    }
    Ok(definition)
}

/// Option sets carry their table's dataset name: drop it when it is the table's, and mark an
/// absent one with `""` so that pack knows not to add it.
fn strip_option_set_dataset(entry: &mut Object, table_dataset: Option<&Json>) {
    match entry.get(DEF_DATASET_NAME) {
        None => entry.insert(DEF_DATASET_NAME, Json::str("")),
        Some(own) if Some(own) == table_dataset => {
            entry.remove(DEF_DATASET_NAME);
        }
        Some(_) => {}
    }
}

/// Moves `WadlMetadata.WadlXml` / `.SwaggerJson` to `pkgs/Wadl|Swagger/<stem>.xml|json`.
/// Returns whether anything moved.
fn move_service_definitions(
    entry: &mut Object,
    stem: &str,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> bool {
    let name = str_member(entry, "Name").unwrap_or_default().to_string();
    let Some(Json::Object(wadl)) = entry.get_mut("WadlMetadata") else {
        return false;
    };
    let mut moved = false;
    if let Some(xml) = str_member(wadl, "WadlXml") {
        match crate::xml::canonical(xml) {
            Ok(pretty) => {
                tree.insert(
                    format!("{WADL_DIR}/{}", escape_filename(&format!("{stem}.xml"))),
                    pretty.into_bytes(),
                );
                wadl.remove("WadlXml");
                moved = true;
            }
            Err(e) => warnings.push(format!("WadlXml of data source `{name}` kept inline: {e}")),
        }
    }
    if let Some(swagger) = str_member(wadl, "SwaggerJson") {
        match json::parse(swagger) {
            Ok(value) => {
                tree.insert_json(
                    format!("{SWAGGER_DIR}/{}", escape_filename(&format!("{stem}.json"))),
                    &value,
                );
                wadl.remove("SwaggerJson");
                moved = true;
            }
            Err(e) => warnings.push(format!(
                "SwaggerJson of data source `{name}` kept inline: {e}"
            )),
        }
    }
    if moved && wadl.is_empty() {
        entry.remove("WadlMetadata");
    }
    moved
}

/// Joins the definition with its dataset from `LocalDatabaseReferences`.
fn fold_dataset(definition: &mut Object, datasets: &Object) -> Result<()> {
    let Some(dataset_name) = str_member(definition, DEF_DATASET_NAME) else {
        return Ok(());
    };
    let Some(Json::Object(dataset)) = datasets.get(dataset_name) else {
        return Ok(());
    };
    let entity = str_member(definition, DEF_ENTITY_NAME).unwrap_or_default();
    let reference = match dataset.get(DATASET_SOURCES) {
        Some(Json::Object(sources)) => sources.get(entity).cloned(),
        _ => None,
    };
    let mut extra = Vec::new();
    for (key, value) in dataset.iter() {
        match key {
            DATASET_SOURCES => {}
            DATASET_URL => extra.push((DEF_INSTANCE_URL.to_string(), value.clone())),
            _ if DEF_KNOWN_KEYS.contains(&key) => {
                return Err(Error::bad_input(
                    ENTRY,
                    format!(
                        "dataset `{dataset_name}` has a field `{key}` that clashes with the table definition layout"
                    ),
                ));
            }
            _ => extra.push((key.to_string(), value.clone())),
        }
    }
    if let Some(reference) = reference {
        definition.insert(DEF_REFERENCE, reference);
    }
    for (key, value) in extra {
        definition.insert(key, value);
    }
    Ok(())
}

/// Every definition of a dataset gets the dataset's `dataSources` that no definition claims
/// (so that pack rebuilds them); returns the datasets claimed by some definition.
fn attach_unused_data_sources(
    definitions: &mut [(String, Object)],
    datasets: &mut Object,
) -> HashSet<String> {
    let mut entities_of: HashMap<String, HashSet<String>> = HashMap::new();
    for (_, def) in definitions.iter() {
        if let Some(dataset) =
            str_member(def, DEF_DATASET_NAME).filter(|d| datasets.contains_key(d))
        {
            let entity = str_member(def, DEF_ENTITY_NAME)
                .unwrap_or_default()
                .to_string();
            entities_of
                .entry(dataset.to_string())
                .or_default()
                .insert(entity);
        }
    }
    for (_, def) in definitions.iter_mut() {
        let Some(dataset) = str_member(def, DEF_DATASET_NAME).map(str::to_string) else {
            continue;
        };
        let (Some(entities), Some(Json::Object(found))) =
            (entities_of.get(&dataset), datasets.get(&dataset))
        else {
            continue;
        };
        match found.get(DATASET_SOURCES) {
            Some(Json::Object(sources)) => {
                let unused = sources.iter().filter(|(k, _)| !entities.contains(*k));
                let unused = Object(unused.map(|(k, v)| (k.to_string(), v.clone())).collect());
                def.insert(DEF_UNUSED, Json::Object(unused));
            }
            Some(Json::Null) => def.insert(DEF_UNUSED, Json::Null),
            _ => {}
        }
    }
    entities_of.into_keys().collect()
}

/// Datasets no definition claims keep their raw form in `Connections/<dataset>.json`.
fn write_untracked_datasets(
    datasets: &Object,
    claimed: &HashSet<String>,
    tree: &mut SourceTree,
) -> Result<()> {
    for (name, dataset) in datasets.iter().filter(|(name, _)| !claimed.contains(*name)) {
        let path = format!(
            "{CONNECTIONS_DIR}/{}",
            escape_filename(&format!("{name}.json"))
        );
        if super::connections::is_connections_file(&path) || tree.contains(&path) {
            return Err(Error::bad_input(
                "Properties.json",
                format!("dataset `{name}` cannot be written to {path}: the name is taken"),
            ));
        }
        tree.insert_json(path, dataset);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Pack

/// What pack rebuilds on the data-source side.
pub struct PackedSources {
    /// The `References\DataSources.json` entries, in order.
    pub entries: Vec<Json>,
    /// The `LocalDatabaseReferences` property text, when the tree rebuilds it.
    pub database_references: Option<String>,
}

pub fn pack(
    tree: &SourceTree,
    entropy: &Entropy,
    warnings: &mut Warnings,
) -> Result<PackedSources> {
    let (definitions, mut datasets) = load_definitions(tree)?;
    let rebuild_datasets = !was_database_references_empty(entropy);
    for (path, bytes) in tree.under(CONNECTIONS_DIR) {
        if super::connections::is_connections_file(path) {
            continue;
        }
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let dataset = parse_tree_object(path, bytes)?;
        let name = crate::source::names::unescape_filename(without_extension(file_name(path)));
        if !rebuild_datasets {
            warnings.push(format!(
                "ignored {path}: the app had no LocalDatabaseReferences when unpacked"
            ));
        } else if datasets.contains_key(&name) {
            return Err(Error::invalid(
                path,
                format!("dataset `{name}` is also defined by {TABLE_DEFINITIONS_DIR}/"),
            ));
        } else {
            datasets.insert(name, Json::Object(dataset));
        }
    }
    let wadl = files_by_stem(tree, WADL_DIR, warnings)?;
    let swagger = files_by_stem(tree, SWAGGER_DIR, warnings)?;

    let mut loaded: Vec<Object> = Vec::new();
    for (path, bytes) in direct_children(tree, DATA_SOURCES_DIR) {
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let Json::Array(items) = parse_tree_json(path, bytes)? else {
            return Err(Error::bad_input(
                path,
                "expected a JSON array of data sources",
            ));
        };
        let stem = without_extension(file_name(path));
        let mut service_done = false;
        for item in items {
            let Json::Object(mut entry) = item else {
                return Err(Error::bad_input(
                    path,
                    "a data source entry is not an object",
                ));
            };
            let key = group_key(&entry)
                .map_err(|_| Error::bad_input(path, "a data source has no string `Name`"))?;
            if let Some(def) = definitions.get(key) {
                restore_from_definition(&mut entry, def);
            } else if !service_done && str_member(&entry, "Type") == Some(TYPE_SERVICE) {
                service_done = restore_service(&mut entry, wadl.get(stem), swagger.get(stem));
            }
            loaded.push(entry);
        }
    }

    let mut ordered: Vec<(f64, Object)> = loaded
        .into_iter()
        .map(|entry| {
            let fallback = if entry.contains_key(DEF_TABLE_DEFINITION) {
                f64::from(i32::MAX)
            } else {
                -1.0
            };
            let order = entropy
                .map_index(ENTROPY_DATA_SOURCE_ORDER, &unique_name(&entry))
                .unwrap_or(fallback);
            (order, entry)
        })
        .collect();
    ordered.sort_by(|a, b| a.0.total_cmp(&b.0));

    let database_references = if rebuild_datasets {
        Some(if datasets.is_empty() {
            let as_empty = entropy.get(ENTROPY_LDR_AS_EMPTY).and_then(Json::as_bool) == Some(true);
            if as_empty {
                String::new()
            } else {
                "{}".to_string()
            }
        } else {
            json::to_indented_string(&Json::Object(datasets))
        })
    } else {
        None
    };
    Ok(PackedSources {
        entries: ordered.into_iter().map(|(_, e)| Json::Object(e)).collect(),
        database_references,
    })
}

/// The reference's "was empty" test: `WasLocalDatabaseReferencesEmpty ?? LocalDatabaseReferencesAsEmpty`.
fn was_database_references_empty(entropy: &Entropy) -> bool {
    entropy
        .get(ENTROPY_LDR_WAS_EMPTY)
        .and_then(Json::as_bool)
        .or_else(|| entropy.get(ENTROPY_LDR_AS_EMPTY).and_then(Json::as_bool))
        .unwrap_or(false)
}

/// Table definitions by entity name, and the datasets they rebuild.
fn load_definitions(tree: &SourceTree) -> Result<(HashMap<String, Object>, Object)> {
    let mut definitions: HashMap<String, Object> = HashMap::new();
    let mut datasets = Object::new();
    for (path, bytes) in tree.under(TABLE_DEFINITIONS_DIR) {
        if is_hidden(path) || !path.ends_with(".json") {
            continue;
        }
        let def = parse_tree_object(path, bytes)?;
        let Some(entity) = str_member(&def, DEF_ENTITY_NAME).map(str::to_string) else {
            return Err(Error::bad_input(
                path,
                "table definition without a string `EntityName`",
            ));
        };
        if let Some(dataset_name) = str_member(&def, DEF_DATASET_NAME) {
            add_to_dataset(&mut datasets, dataset_name, &entity, &def, path)?;
        }
        if definitions.insert(entity.clone(), def).is_some() {
            return Err(Error::invalid(
                path,
                format!("a second table definition for entity `{entity}`"),
            ));
        }
    }
    Ok((definitions, datasets))
}

fn add_to_dataset(
    datasets: &mut Object,
    dataset_name: &str,
    entity: &str,
    def: &Object,
    path: &str,
) -> Result<()> {
    if !datasets.contains_key(dataset_name) {
        let mut dataset = Object::new();
        for (key, value) in def.iter().filter(|(k, _)| !DEF_KNOWN_KEYS.contains(k)) {
            dataset.insert(key, value.clone());
        }
        if let Some(url) = def.get(DEF_INSTANCE_URL) {
            dataset.insert(DATASET_URL, url.clone());
        }
        datasets.insert(dataset_name, Json::Object(dataset));
    }
    let Some(Json::Object(dataset)) = datasets.get_mut(dataset_name) else {
        return Ok(());
    };
    if dataset.get(DATASET_URL) != def.get(DEF_INSTANCE_URL) {
        return Err(Error::invalid(
            path,
            format!("the dataset {dataset_name} has multiple instance URLs"),
        ));
    }
    let add_source =
        |dataset: &mut Object, key: &str, value: &Json| match dataset.get_mut(DATASET_SOURCES) {
            Some(Json::Object(sources)) => {
                if !sources.contains_key(key) {
                    sources.insert(key, value.clone());
                }
            }
            _ => {
                let mut sources = Object::new();
                sources.insert(key, value.clone());
                dataset.insert(DATASET_SOURCES, Json::Object(sources));
            }
        };
    if let Some(reference) = def.get(DEF_REFERENCE) {
        add_source(dataset, entity, reference);
    }
    match def.get(DEF_UNUSED) {
        Some(Json::Object(unused)) => {
            if !dataset.contains_key(DATASET_SOURCES) {
                dataset.insert(DATASET_SOURCES, Json::object());
            }
            for (key, value) in unused.iter() {
                add_source(dataset, key, value);
            }
        }
        Some(Json::Null) if !dataset.contains_key(DATASET_SOURCES) => {
            dataset.insert(DATASET_SOURCES, Json::Null)
        }
        _ => {}
    }
    Ok(())
}

fn restore_from_definition(entry: &mut Object, def: &Object) {
    match str_member(entry, "Type") {
        Some(TYPE_CDS) => {
            restore_member(entry, DEF_DATASET_NAME, def.get(DEF_DATASET_NAME));
            let table = def
                .get(DEF_TABLE_DEFINITION)
                .map(|t| Json::String(json::to_indented_string(t)));
            restore_member(entry, DEF_TABLE_DEFINITION, table.as_ref());
        }
        Some(TYPE_CDP) => {
            restore_member(entry, DEF_METADATA, def.get(DEF_METADATA));
            restore_member(entry, DEF_TABLE_NAME, def.get(DEF_TABLE_NAME));
        }
        Some(TYPE_OPTION_SET) => match entry.get(DEF_DATASET_NAME) {
            Some(Json::String(marker)) if marker.is_empty() => {
                entry.remove(DEF_DATASET_NAME);
            }
            None => restore_member(entry, DEF_DATASET_NAME, def.get(DEF_DATASET_NAME)),
            Some(_) => {}
        },
        Some(TYPE_VIEW) if entry.get("TrimmedViewName").and_then(Json::as_bool) == Some(true) => {
            let prefix = str_member(def, DEF_DATASET_NAME).unwrap_or_default();
            let name = format!("{prefix}{}", str_member(entry, "Name").unwrap_or_default());
            entry.insert("Name", Json::String(name));
            entry.remove("TrimmedViewName");
        }
        _ => {}
    }
}

fn restore_member(entry: &mut Object, key: &str, value: Option<&Json>) {
    match value {
        Some(value) => entry.insert(key, value.clone()),
        None => {
            entry.remove(key);
        }
    }
}

fn restore_service(entry: &mut Object, wadl: Option<&String>, swagger: Option<&String>) -> bool {
    if wadl.is_none() && swagger.is_none() {
        return false;
    }
    if !matches!(entry.get("WadlMetadata"), Some(Json::Object(_))) {
        entry.insert("WadlMetadata", Json::object());
    }
    if let Some(Json::Object(metadata)) = entry.get_mut("WadlMetadata") {
        if let Some(xml) = wadl {
            metadata.insert("WadlXml", Json::String(xml.clone()));
        }
        if let Some(swagger) = swagger {
            metadata.insert("SwaggerJson", Json::String(swagger.clone()));
        }
    }
    true
}

/// Text files of a `pkgs/` folder by file name without extension (as written on disk).
fn files_by_stem(
    tree: &SourceTree,
    dir: &str,
    warnings: &mut Warnings,
) -> Result<HashMap<String, String>> {
    let mut files = HashMap::new();
    for (path, bytes) in tree.under(dir) {
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let text = tree_text(path, bytes)?;
        if dir == SWAGGER_DIR {
            parse_tree_json(path, bytes)?;
        }
        files.insert(
            without_extension(file_name(path)).to_string(),
            text.to_string(),
        );
    }
    Ok(files)
}
