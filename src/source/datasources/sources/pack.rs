//! Pack: rebuilds `DataSources.json` entries (in Entropy order) and the
//! `LocalDatabaseReferences` datasets from the tree.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::json::{self, Json, Object};
use crate::source::names::{unescape_filename, without_extension};
use crate::source::{Entropy, SourceTree, Warnings};

use super::super::util::{
    direct_children, file_name, is_hidden, parse_tree_json, parse_tree_object, str_member,
    tree_text,
};
use super::super::{
    CONNECTIONS_DIR, DATA_SOURCES_DIR, ENTROPY_DATA_SOURCE_ORDER, ENTROPY_LDR_AS_EMPTY,
    ENTROPY_LDR_WAS_EMPTY, SWAGGER_DIR, TABLE_DEFINITIONS_DIR, WADL_DIR,
};
use super::{
    DATASET_SOURCES, DATASET_URL, DEF_DATASET_NAME, DEF_ENTITY_NAME, DEF_INSTANCE_URL,
    DEF_KNOWN_KEYS, DEF_METADATA, DEF_REFERENCE, DEF_TABLE_DEFINITION, DEF_TABLE_NAME, DEF_UNUSED,
    TYPE_CDP, TYPE_CDS, TYPE_OPTION_SET, TYPE_SERVICE, TYPE_VIEW, group_key, unique_name,
};

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
    let (definitions, mut datasets) = load_definitions(tree, warnings)?;
    let rebuild_datasets = !was_database_references_empty(entropy);
    for (path, bytes) in tree.under(CONNECTIONS_DIR) {
        if super::super::connections::is_connections_file(path) {
            continue;
        }
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let dataset = parse_tree_object(path, bytes)?;
        let name = unescape_filename(without_extension(file_name(path)));
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
    let mut used_stems = HashSet::new();
    for (path, _) in tree.under(DATA_SOURCES_DIR) {
        if path.matches('/').count() > 1 {
            warnings.push(format!(
                "ignored {path}: data sources are read from the top level only"
            ));
        }
    }
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
                if service_done {
                    used_stems.insert(stem.to_string());
                }
            }
            loaded.push(entry);
        }
    }

    for (dir, stems) in [(WADL_DIR, &wadl), (SWAGGER_DIR, &swagger)] {
        for stem in stems.keys().filter(|s| !used_stems.contains(*s)) {
            warnings.push(format!(
                "ignored {dir}/{stem}.*: no service data source in {DATA_SOURCES_DIR}/{stem}.json takes it"
            ));
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
fn load_definitions(
    tree: &SourceTree,
    warnings: &mut Warnings,
) -> Result<(HashMap<String, Object>, Object)> {
    let mut definitions: HashMap<String, Object> = HashMap::new();
    let mut datasets = Object::new();
    for (path, bytes) in tree.under(TABLE_DEFINITIONS_DIR) {
        if is_hidden(path) || !path.ends_with(".json") {
            warnings.push(format!("ignored {path}"));
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
        // Entries that still hold their payload were kept whole on unpack.
        Some(TYPE_CDS) if !entry.contains_key(DEF_TABLE_DEFINITION) => {
            restore_member(entry, DEF_DATASET_NAME, def.get(DEF_DATASET_NAME));
            let table = def
                .get(DEF_TABLE_DEFINITION)
                .map(|t| Json::String(json::to_indented_string(t)));
            restore_member(entry, DEF_TABLE_DEFINITION, table.as_ref());
        }
        Some(TYPE_CDP) if !entry.contains_key(DEF_METADATA) => {
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
