//! Data sources, connections, assets, the logo and control-template packages: the parts of the
//! app outside the control trees.
//!
//! Unpack: `References\DataSources.json`, `Properties.json` (`LocalConnectionReferences`,
//! `LocalDatabaseReferences`), `References\Resources.json`, `Assets\**`, the logo
//! (`Resources\<LogoFileName>`), `References\Templates.json` (`UsedTemplates`, `PcfTemplates`)
//! -> `DataSources/`, `pkgs/TableDefinitions|Wadl|Swagger/`, `Connections/`, `Assets/`,
//! `pkgs/*.xml`, `pkgs/PcfConversions/`. Pack reverses it.
//!
//! Entropy fields owned here: `OrderDataSource`, `LocalResourceRootPaths`,
//! `LocalResourceFileNames`, `ResourcesJsonIndices`, `OldLogoFileName`,
//! `LocalConnectionIDReferences`, `LocalDatabaseReferencesAsEmpty`,
//! `WasLocalDatabaseReferencesEmpty`, `OrderXMLTemplate`, `OrderPcfTemplate`.
//!
//! Where the reference would crash or silently drop data, this side keeps the data in place and
//! warns instead: unparsable double-encoded payloads stay inline, local resources that could not
//! be regenerated exactly are kept whole in `Assets/<Name>.json`. On pack, hidden files (such as
//! `.DS_Store`) are skipped with a warning, and asset files that are not images, audio, video or
//! PDF are packed as plain `Assets\` entries without a `Resources.json` entry. Malformed input
//! that cannot be represented (bad JSON in the tree, a `DataSources.json` with unknown fields,
//! unparsable template XML, inconsistent connections or datasets) is an error.

mod assets;
mod connections;
mod pkgs;
mod sources;
mod util;

use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::model::{EntryData, MsApp, is_json_name, same_entry_name};

use super::{Entropy, SourceTree, Warnings};

pub use assets::{is_asset_entry, logo_entry_name};

const DATA_SOURCES_DIR: &str = "DataSources";
const CONNECTIONS_DIR: &str = "Connections";
const ASSETS_DIR: &str = "Assets";
const PKGS_DIR: &str = "pkgs";
const TABLE_DEFINITIONS_DIR: &str = "pkgs/TableDefinitions";
const WADL_DIR: &str = "pkgs/Wadl";
const SWAGGER_DIR: &str = "pkgs/Swagger";
const PCF_CONVERSIONS_DIR: &str = "pkgs/PcfConversions";

const ENTROPY_DATA_SOURCE_ORDER: &str = "OrderDataSource";
const ENTROPY_RESOURCE_ROOT_PATHS: &str = "LocalResourceRootPaths";
const ENTROPY_RESOURCE_FILE_NAMES: &str = "LocalResourceFileNames";
const ENTROPY_RESOURCE_INDICES: &str = "ResourcesJsonIndices";
const ENTROPY_OLD_LOGO: &str = "OldLogoFileName";
const ENTROPY_CONNECTION_IDS: &str = "LocalConnectionIDReferences";
const ENTROPY_LDR_AS_EMPTY: &str = "LocalDatabaseReferencesAsEmpty";
const ENTROPY_LDR_WAS_EMPTY: &str = "WasLocalDatabaseReferencesEmpty";
const ENTROPY_XML_ORDER: &str = "OrderXMLTemplate";
const ENTROPY_PCF_ORDER: &str = "OrderPcfTemplate";

/// The msapp entry names of the data side.
pub const DATA_SOURCES_ENTRY: &str = sources::ENTRY;
pub const RESOURCES_ENTRY: &str = assets::ENTRY;

/// Whether unpack turns this msapp entry into tree files, so it must not also go to `Other/`:
/// `References\DataSources.json`, `References\Resources.json` and every `Assets\` file. The
/// logo is found with [`logo_entry_name`]; `References\Templates.json` is shared with the
/// control side (this module only reads `UsedTemplates` and `PcfTemplates`).
pub fn handles_entry(name: &str) -> bool {
    same_entry_name(name, DATA_SOURCES_ENTRY)
        || same_entry_name(name, RESOURCES_ENTRY)
        || is_asset_entry(name)
}

/// Whether unpack can read this msapp entry from its bytes: `References\DataSources.json`, a
/// big app's largest entry, is parsed by the data side itself and let go once written (see
/// [`crate::app::parse_msapp_for_unpack`]).
pub fn reads_unparsed(name: &str) -> bool {
    same_entry_name(name, DATA_SOURCES_ENTRY)
}

/// What unpack of the data side needs beyond the app itself.
pub struct DataUnpack<'a> {
    pub app: &'a MsApp,
    /// The bytes of `References\DataSources.json` when they were moved out of `app` (see
    /// [`crate::source::unpack::unpack_owned`]).
    pub data_sources: Option<Vec<u8>>,
    /// Names the app in error messages.
    pub label: &'a str,
    /// `Properties.json`, being turned into `CanvasManifest.json` `Properties`: remove the keys
    /// that move to `Connections/`, `pkgs/TableDefinitions/`... as the format spec says.
    pub properties: &'a mut Object,
    /// `Resources\PublishInfo.json` (its `LogoFileName` is rewritten when the logo moves).
    pub publish_info: Option<&'a mut Object>,
    pub entropy: &'a mut Entropy,
    pub tree: &'a mut SourceTree,
    pub warnings: &'a mut Warnings,
}

/// Writes the data side of the app into the tree (see the module doc).
pub fn unpack(ctx: DataUnpack<'_>) -> Result<()> {
    let DataUnpack {
        app,
        data_sources,
        label,
        properties,
        publish_info,
        entropy,
        tree,
        warnings,
    } = ctx;
    connections::unpack(properties, entropy, tree, warnings);
    sources::unpack(
        app,
        data_sources,
        label,
        properties,
        entropy,
        tree,
        warnings,
    )?;
    assets::unpack(app, publish_info, entropy, tree, warnings)?;
    pkgs::unpack(app, entropy, tree, warnings)
}

/// The msapp pieces rebuilt from the data side of a tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataPacked {
    /// Entries to write, with their msapp names, in write order: `Resources\<logo>` (if any),
    /// `References\DataSources.json`, `References\Resources.json`, then `Assets\...`.
    pub entries: Vec<(String, crate::model::EntryData)>,
    /// `UsedTemplates` items for `References\Templates.json`, in order.
    pub used_templates: Vec<Json>,
    /// `PcfTemplates` items (empty: omit the key).
    pub pcf_templates: Vec<Json>,
    /// `Properties.json` members to add (`LocalConnectionReferences`, `LocalDatabaseReferences`
    /// as double-encoded JSON strings), in order. A property the tree does not rebuild is not
    /// listed: it stayed in the manifest (e.g. `LocalDatabaseReferences` `"{}"`).
    pub properties: Vec<(String, Json)>,
}

/// What pack of the data side needs beyond the tree.
pub struct DataPack<'a> {
    pub tree: &'a SourceTree,
    pub entropy: &'a Entropy,
    /// The manifest's `PublishInfo` (its `LogoFileName` names the logo under `Assets/`); pack
    /// restores the original logo name into it.
    pub publish_info: Option<&'a mut Object>,
    pub warnings: &'a mut Warnings,
}

/// Rebuilds the data side of the app from the tree (see [`DataPacked`] for what comes back).
/// `entries` are, in order: the logo, `References\DataSources.json`,
/// `References\Resources.json`, then the `Assets\` files.
pub fn pack(ctx: DataPack<'_>) -> Result<DataPacked> {
    let DataPack {
        tree,
        entropy,
        publish_info,
        warnings,
    } = ctx;
    let connections = connections::pack(tree, entropy)?;
    let sources = sources::pack(tree, entropy, warnings)?;
    if let Some(connections) = &connections {
        check_connected_sources(connections, &sources.entries)?;
    }
    let assets = assets::pack(tree, entropy, publish_info, warnings)?;
    let (used_templates, pcf_templates) = pkgs::pack(tree, entropy, warnings)?;

    let mut packed = DataPacked {
        used_templates,
        pcf_templates,
        ..DataPacked::default()
    };
    if let Some((name, bytes)) = assets.logo {
        packed.entries.push((name, EntryData::Bytes(bytes)));
    }
    let mut data_sources = Object::new();
    data_sources.insert("DataSources", Json::Array(sources.entries));
    packed.entries.push((
        DATA_SOURCES_ENTRY.to_string(),
        EntryData::Json(Json::Object(data_sources)),
    ));
    packed.entries.push((
        RESOURCES_ENTRY.to_string(),
        EntryData::Json(assets.resources),
    ));
    for (name, bytes) in assets.files {
        let data = entry_data(&name, bytes)?;
        packed.entries.push((name, data));
    }

    if let Some(connections) = connections {
        let text = crate::json::to_indented_string(&Json::Object(connections));
        packed
            .properties
            .push((connections::PROPERTY.to_string(), Json::String(text)));
    }
    if let Some(text) = sources.database_references {
        packed
            .properties
            .push((sources::PROPERTY.to_string(), Json::String(text)));
    }
    Ok(packed)
}

/// Entry data as the app model holds it: JSON-named entries parsed, the rest as bytes.
fn entry_data(name: &str, bytes: Vec<u8>) -> Result<EntryData> {
    if !is_json_name(name) {
        return Ok(EntryData::Bytes(bytes));
    }
    crate::json::parse_bytes(&bytes)
        .map(EntryData::Json)
        .map_err(|e| Error::bad_input(name, format!("not valid JSON: {e}")))
}

/// Every data source a connection names must exist (a merge can drop one and not the other).
fn check_connected_sources(connections: &Object, entries: &[Json]) -> Result<()> {
    for (connection, name) in connections::claimed_data_sources(connections) {
        let exists = entries
            .iter()
            .any(|e| e.get("Name").and_then(Json::as_str) == Some(name));
        if !exists {
            return Err(Error::invalid(
                format!("{CONNECTIONS_DIR}/Connections.json"),
                format!(
                    "connection `{connection}` names data source `{name}`, which does not exist"
                ),
            ));
        }
    }
    Ok(())
}
