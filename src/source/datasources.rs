//! Data sources, connections, assets, the logo and control-template packages: the parts of the
//! app outside the control trees.
//!
//! Unpack: `References\DataSources.json`, `Properties.json` (`LocalConnectionReferences`,
//! `LocalDatabaseReferences`), `References\Resources.json`, `Assets\**`, the logo
//! (`Resources\<LogoFileName>`), `References\Templates.json` (`UsedTemplates`, `PcfTemplates`)
//! -> `DataSources/`, `pkgs/TableDefinitions|Wadl|Swagger/`, `Connections/`, `Assets/`,
//! `pkgs/*.xml`, `pkgs/PcfConversions/`. Pack reverses it.

use crate::error::Result;
use crate::json::{Json, Object};
use crate::model::MsApp;

use super::{Entropy, SourceTree, Warnings};

/// What unpack of the data side needs beyond the app itself.
pub struct DataUnpack<'a> {
    pub app: &'a MsApp,
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
    let _ = ctx;
    todo!("datasources::unpack")
}

/// The msapp pieces rebuilt from the data side of a tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataPacked {
    /// Entries to write, with their msapp names (`References\DataSources.json`,
    /// `References\Resources.json`, `Assets\...`, `Resources\<logo>`), in write order.
    pub entries: Vec<(String, crate::model::EntryData)>,
    /// `UsedTemplates` items for `References\Templates.json`, in order.
    pub used_templates: Vec<Json>,
    /// `PcfTemplates` items (empty: omit the key).
    pub pcf_templates: Vec<Json>,
    /// `Properties.json` members to add (`LocalConnectionReferences`, `LocalDatabaseReferences`
    /// as double-encoded JSON strings), in order.
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

pub fn pack(ctx: DataPack<'_>) -> Result<DataPacked> {
    let _ = ctx;
    todo!("datasources::pack")
}
