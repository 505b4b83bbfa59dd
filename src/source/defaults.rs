//! Builds the default-value source for unpack (from the app) and pack (from the tree).

use crate::error::Result;
use crate::model::MsApp;

use super::SourceTree;
use super::transforms::{DefaultCtx, DefaultSource};

/// Strips nothing and restores nothing (used until templates are wired in).
pub struct NoDefaults;

impl DefaultSource for NoDefaults {
    fn strip_default(&self, _: &DefaultCtx<'_>, _: &str) -> Option<String> {
        None
    }
    fn restore_defaults(&self, _: &DefaultCtx<'_>) -> Vec<(String, String)> {
        Vec::new()
    }
    fn input_properties(&self, _: &str) -> Vec<String> {
        Vec::new()
    }
}

pub fn from_app(app: &MsApp) -> Result<Box<dyn DefaultSource>> {
    let _ = app;
    Ok(Box::new(NoDefaults))
}

pub fn from_tree(tree: &SourceTree) -> Result<Box<dyn DefaultSource>> {
    let _ = tree;
    Ok(Box::new(NoDefaults))
}
