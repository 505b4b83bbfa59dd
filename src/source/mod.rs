//! The source tree (what `pac canvas unpack` writes) and the conversions app <-> tree.
//!
//! `unpack` turns an [`MsApp`](crate::model::MsApp) into a [`SourceTree`]; `pack` does the
//! reverse. Each part of the app has its own submodule; they share the [`Entropy`] (round-trip
//! data that has no natural place in the tree) and collect [`Warnings`].

pub mod controls;
pub mod datasources;
pub mod defaults;
pub mod entropy;
pub mod names;
pub mod pack;
pub mod transforms;
pub mod tree;
pub mod unpack;

pub use entropy::Entropy;
pub use tree::SourceTree;

/// Non-fatal findings (name collisions, dropped files) shown to the user after unpack/pack.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Warnings(pub Vec<String>);

impl Warnings {
    pub fn push(&mut self, message: impl Into<String>) {
        self.0.push(message.into());
    }
}

/// `CanvasManifest.json` `FormatVersion` of a source tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FormatVersion {
    /// What pac documents and what real committed trees use.
    #[default]
    V0_24,
    /// The reference's newer version (adds the `AppTestsMissingStepsMetadata` entropy field).
    V0_30,
}

impl FormatVersion {
    pub const SUPPORTED: &[&str] = &["0.24", "0.30"];

    pub fn as_str(self) -> &'static str {
        match self {
            FormatVersion::V0_24 => "0.24",
            FormatVersion::V0_30 => "0.30",
        }
    }
    pub fn parse(s: &str) -> Option<FormatVersion> {
        match s {
            "0.24" => Some(FormatVersion::V0_24),
            "0.30" => Some(FormatVersion::V0_30),
            _ => None,
        }
    }
}
