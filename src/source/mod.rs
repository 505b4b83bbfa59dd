//! The source tree (what `pac canvas unpack` writes) and the conversions app <-> tree.
//!
//! `unpack` turns an [`MsApp`](crate::model::MsApp) into a [`SourceTree`]; `pack` does the
//! reverse. Each part of the app has its own submodule; they share the [`Entropy`] (round-trip
//! data that has no natural place in the tree) and collect [`Warnings`].

pub mod datasources;
pub mod entropy;
pub mod names;
pub mod tree;

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
