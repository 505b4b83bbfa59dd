//! The zip container: reading with limits against hostile archives, writing deterministic
//! archives with `\`-separated names, and raw copies of unchanged entries.

use crate::error::Result;

/// Limits applied before anything is inflated (zip bombs, absurd entry counts).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_entries: usize,
    pub max_total_uncompressed: u64,
    pub max_entry_uncompressed: u64,
    /// Largest allowed uncompressed/compressed ratio of one entry (for entries over 1 MiB).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 20_000,
            max_total_uncompressed: 2 << 30,
            max_entry_uncompressed: 1 << 30,
            max_ratio: 1_000,
        }
    }
}

/// One inflated entry.
#[derive(Debug, Clone)]
pub struct ArchiveEntry {
    /// The name as stored (Studio uses `\` separators).
    pub name: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Archive {
    pub entries: Vec<ArchiveEntry>,
}

/// Reads a whole `.msapp`. `label` names the file in errors.
pub fn read_archive(bytes: &[u8], label: &str, limits: &Limits) -> Result<Archive> {
    let _ = (bytes, label, limits);
    todo!("container::read_archive")
}

/// Writes entries in the given order: Deflate, fixed timestamp, MS-DOS "made by", UTF-8 flag
/// only for non-ASCII names. Same input, same bytes.
pub fn write_archive(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let _ = entries;
    todo!("container::write_archive")
}
