//! Unpack: groups `DataSources.json` entries, splits off table definitions and service
//! descriptions, folds in the datasets of `LocalDatabaseReferences`.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{self, Json, Object};
use crate::model::{EntryData, MsApp, parse_entry};
use crate::source::names::escape_filename;
use crate::source::{Entropy, SourceTree, Warnings};

use super::super::util::{ordinal_cmp, str_member};
use super::super::{
    CONNECTIONS_DIR, DATA_SOURCES_DIR, ENTROPY_DATA_SOURCE_ORDER, ENTROPY_LDR_AS_EMPTY,
    ENTROPY_LDR_WAS_EMPTY, SWAGGER_DIR, TABLE_DEFINITIONS_DIR, WADL_DIR,
};
use super::{
    DATASET_SOURCES, DATASET_URL, DEF_DATASET_NAME, DEF_ENTITY_NAME, DEF_INSTANCE_URL,
    DEF_KNOWN_KEYS, DEF_METADATA, DEF_REFERENCE, DEF_TABLE_DEFINITION, DEF_TABLE_NAME, DEF_UNUSED,
    ENTRY, OLD_CDS_API, PROPERTY, TYPE_OPTION_SET, TYPE_SERVICE, TYPE_VIEW, group_key, unique_name,
};

/// `taken`: the entry's bytes when they were moved out of `app`.
pub fn unpack(
    app: &MsApp,
    taken: Option<Vec<u8>>,
    label: &str,
    properties: &mut Object,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> Result<()> {
    entropy.map_mut(ENTROPY_DATA_SOURCE_ORDER);
    let datasets = take_datasets(properties, entropy, warnings);
    let entry = app.find(ENTRY);
    // Left as bytes by the reading for unpack: parsed here and let go once written.
    let parse = |raw: &[u8]| parse_entry(raw, entry.map_or(ENTRY, |e| e.name.as_str()), label);
    let parsed;
    let doc = match (taken, entry.map(|e| &e.data)) {
        (Some(raw), _) => {
            parsed = parse(&raw)?;
            &parsed
        }
        (None, Some(EntryData::Json(doc))) => doc,
        (None, Some(EntryData::Bytes(raw))) => {
            parsed = parse(raw)?;
            &parsed
        }
        (None, None) => {
            write_untracked_datasets(&datasets, &HashSet::new(), tree)?;
            return Ok(());
        }
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

    let claimed = attach_unused_data_sources(&mut definitions, &datasets);
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
    let mut handled = vec![false; members.len()];
    for (entry, handled) in members.iter_mut().zip(handled.iter_mut()) {
        if str_member(entry, "Type") == Some(TYPE_VIEW) {
            *handled = true;
            continue;
        }
        let splits = str_member(entry, DEF_TABLE_DEFINITION).is_some()
            || entry.get(DEF_METADATA).is_some_and(|m| !m.is_null());
        if splits && definition.is_some() {
            // One definition file per group; a second one stays where it is.
            warnings.push(format!(
                "data sources `{key}` hold more than one table definition; `{}` kept whole in {DATA_SOURCES_DIR}/",
                str_member(entry, "Name").unwrap_or_default()
            ));
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
                    definition = Some(def);
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
            definition = Some(def);
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
    datasets: &Object,
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
        if super::super::connections::is_connections_file(&path) || tree.contains(&path) {
            return Err(Error::bad_input(
                "Properties.json",
                format!("dataset `{name}` cannot be written to {path}: the name is taken"),
            ));
        }
        tree.insert_json(path, dataset);
    }
    Ok(())
}
