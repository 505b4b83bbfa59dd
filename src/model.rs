//! The app model: the entries of a `.msapp`, JSON entries parsed losslessly.
//!
//! This is the hub of the data flow: the container reads bytes into an [`MsApp`], the source
//! layer turns an [`MsApp`] into a source tree and back, and the merge works on three of them.

use crate::container::Archive;
use crate::error::{Error, Result};
use crate::json::{self, Json};

/// What an entry holds once read.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryData {
    /// `.json` / `.sarif` entries, parsed losslessly.
    Json(Json),
    /// Everything else (assets, YAML, XML, unknown files), byte for byte.
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The entry name as stored in the zip (segments separated by `\`).
    pub name: String,
    pub data: EntryData,
}

/// A canvas app: its entries in archive order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MsApp {
    pub entries: Vec<Entry>,
}

/// Whether an entry name holds JSON (the checksum and the reference treat these alike).
pub fn is_json_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".sarif")
}

impl MsApp {
    /// Parses the JSON entries of an archive, except those `deferred` accepts: they stay as
    /// their bytes for whoever reads them to parse (unpack parses control entries one at a
    /// time and lets each go once split: all of them parsed at once were most of a big app's
    /// memory). Raw bytes of parsed entries are let go as they are parsed. `label` names the
    /// file in error messages.
    pub fn from_archive_deferring(
        archive: Archive,
        label: &str,
        deferred: impl Fn(&str) -> bool,
    ) -> Result<MsApp> {
        let mut entries = Vec::with_capacity(archive.entries.len());
        for e in archive.entries {
            let data = if is_json_name(&e.name) && !deferred(&e.name) {
                EntryData::Json(parse_entry(&e.data, &e.name, label)?)
            } else {
                EntryData::Bytes(e.data)
            };
            entries.push(Entry { name: e.name, data });
        }
        Ok(MsApp { entries })
    }

    /// Every JSON entry parsed (callers that keep the archive; the app owns copies).
    pub fn from_archive(archive: &Archive, label: &str) -> Result<MsApp> {
        Self::from_archive_deferring(archive.clone(), label, |_| false)
    }

    /// Entry by name, ignoring ASCII case and treating `/` like `\`.
    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| same_entry_name(&e.name, name))
    }

    pub fn json(&self, name: &str) -> Option<&Json> {
        match self.find(name).map(|e| &e.data) {
            Some(EntryData::Json(j)) => Some(j),
            _ => None,
        }
    }
}

/// Parses a JSON entry as reading an app does, with the same message for a broken one,
/// whether it is parsed on reading or later by whoever deferred it.
pub fn parse_entry(bytes: &[u8], name: &str, label: &str) -> Result<Json> {
    json::parse_bytes_nested(bytes, json::MAX_ENTRY_DEPTH)
        .map_err(|err| Error::bad_input(label, format!("entry {name}: {err}")))
}

/// Entry names compare case-insensitively with either separator, as Studio does.
pub fn same_entry_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            let norm = |c: u8| {
                if c == b'/' {
                    b'\\'
                } else {
                    c.to_ascii_lowercase()
                }
            };
            norm(x) == norm(y)
        })
}
