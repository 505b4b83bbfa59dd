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

mod pack;
mod unpack;

use crate::error::{Error, Result};
use crate::json::{Json, Object};

use super::util::str_member;

pub use pack::pack;
pub use unpack::unpack;

pub const ENTRY: &str = "References\\DataSources.json";
pub const PROPERTY: &str = "LocalDatabaseReferences";
pub(super) const OLD_CDS_API: &str = "/providers/microsoft.powerapps/apis/shared_commondataservice";

// Keys of a table definition file that are not flattened dataset members.
pub(super) const DEF_DATASET_NAME: &str = "DatasetName";
pub(super) const DEF_ENTITY_NAME: &str = "EntityName";
pub(super) const DEF_TABLE_NAME: &str = "TableName";
pub(super) const DEF_INSTANCE_URL: &str = "InstanceUrl";
pub(super) const DEF_TABLE_DEFINITION: &str = "TableDefinition";
pub(super) const DEF_METADATA: &str = "DataEntityMetadataJson";
pub(super) const DEF_REFERENCE: &str = "LocalReferenceDSJson";
pub(super) const DEF_UNUSED: &str = "UnusedDataSources";
pub(super) const DEF_KNOWN_KEYS: [&str; 8] = [
    DEF_DATASET_NAME,
    DEF_ENTITY_NAME,
    DEF_TABLE_NAME,
    DEF_INSTANCE_URL,
    DEF_TABLE_DEFINITION,
    DEF_METADATA,
    DEF_REFERENCE,
    DEF_UNUSED,
];
pub(super) const DATASET_SOURCES: &str = "dataSources";
pub(super) const DATASET_URL: &str = "instanceUrl";

pub(super) const TYPE_CDS: &str = "NativeCDSDataSourceInfo";
pub(super) const TYPE_CDP: &str = "ConnectedDataSourceInfo";
pub(super) const TYPE_OPTION_SET: &str = "OptionSetInfo";
pub(super) const TYPE_VIEW: &str = "ViewInfo";
pub(super) const TYPE_SERVICE: &str = "ServiceInfo";

/// `RelatedEntityName\Name`, or `Name`: the key of Entropy `OrderDataSource`.
pub(super) fn unique_name(entry: &Object) -> String {
    let name = str_member(entry, "Name").unwrap_or_default();
    match str_member(entry, "RelatedEntityName") {
        Some(related) => format!("{related}\\{name}"),
        None => name.to_string(),
    }
}

pub(super) fn group_key(entry: &Object) -> Result<&str> {
    match (entry.get("RelatedEntityName"), entry.get("Name")) {
        (Some(Json::String(related)), _) => Ok(related),
        (None | Some(Json::Null), Some(Json::String(name))) => Ok(name),
        _ => Err(Error::bad_input(
            ENTRY,
            "a data source has no string `Name` (or a non-string `RelatedEntityName`)",
        )),
    }
}
