//! The source tree (what `pac canvas unpack` writes) and the conversions app <-> tree.

use std::collections::BTreeMap;

/// A source tree in memory: `/`-separated relative path -> file bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTree {
    pub files: BTreeMap<String, Vec<u8>>,
}
