//! The zip container: reading with limits against hostile archives, writing deterministic
//! archives with `\`-separated names, and raw copies of unchanged entries.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use zip::read::Config;
use zip::result::ZipError;
use zip::unstable::read::ZipIterable;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipReadOptions, ZipWriter};

use crate::error::{Error, Result};

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

/// Entries at most this large are exempt from the ratio check: tiny highly repetitive JSON
/// files legitimately compress very well and cannot hurt anyone.
const RATIO_EXEMPT_SIZE: u64 = 1 << 20;

/// Pre-allocation cap for one inflated entry, so a lying size field cannot reserve memory
/// the data never fills.
const MAX_PREALLOCATION: u64 = 64 << 20;

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

/// Central-directory facts about one file entry, known without inflating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// The name as stored.
    pub name: String,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
}

/// Reads a whole `.msapp`. `label` names the file in errors.
pub fn read_archive(bytes: &[u8], label: &str, limits: &Limits) -> Result<Archive> {
    read_archive_filtered(bytes, label, limits, |_| true)
}

/// Reads the entries whose position (among file entries) `wanted` accepts.
fn read_archive_filtered(
    bytes: &[u8],
    label: &str,
    limits: &Limits,
    wanted: impl Fn(usize) -> bool + Sync,
) -> Result<Archive> {
    let stored = StoredArchive::open(bytes, label, limits)?;
    let chosen: Vec<usize> = (0..stored.entries.len()).filter(|&i| wanted(i)).collect();
    let inflate_all = |indexes: &[usize]| -> Result<Vec<ArchiveEntry>> {
        indexes
            .iter()
            .map(|&i| {
                Ok(ArchiveEntry {
                    name: stored.entries[i].info.name.clone(),
                    data: stored.inflate(i)?,
                })
            })
            .collect()
    };
    let sizes: Vec<u64> = chosen
        .iter()
        .map(|&i| stored.entries[i].info.uncompressed_size)
        .collect();
    if sizes.iter().sum::<u64>() < PARALLEL_INFLATE_FROM {
        return Ok(Archive {
            entries: inflate_all(&chosen)?,
        });
    }
    // Entries inflate independently: half of the bytes on another core. Each half stops at
    // its first bad entry, so the error reported is the first in archive order either way.
    let (first, second) = chosen.split_at(half_of_the_bytes(&sizes));
    let (second, first) = crate::parallel::join(|| inflate_all(second), || inflate_all(first));
    let mut entries = first?;
    entries.extend(second?);
    Ok(Archive { entries })
}

/// Where to cut a run of items of these sizes so that the first part holds at least half of
/// the bytes and as few items more as that takes: the split of work between two cores.
pub fn half_of_the_bytes(sizes: &[u64]) -> usize {
    let total: u64 = sizes.iter().sum();
    let mut share = 0;
    sizes
        .iter()
        .position(|&size| {
            share += size;
            share * 2 >= total
        })
        .map_or(sizes.len(), |i| i + 1)
}

/// Apps smaller than this (uncompressed) are inflated on one thread.
const PARALLEL_INFLATE_FROM: u64 = 4 << 20;

/// Lists the file entries (directories skipped) with their central-directory metadata, after
/// the same checks as [`read_archive`], without inflating anything.
pub fn list_entries(bytes: &[u8], label: &str, limits: &Limits) -> Result<Vec<EntryInfo>> {
    Ok(checked_entries(bytes, label, limits)?
        .into_iter()
        .map(|(info, _)| info)
        .collect())
}

/// An archive's file entries as stored: metadata and where each one's compressed bytes lie,
/// so that entries can be compared and copied without inflating them.
pub struct StoredArchive<'a> {
    bytes: &'a [u8],
    label: String,
    pub entries: Vec<StoredEntry>,
}

#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub info: EntryInfo,
    method: CompressionMethod,
    /// The compressed bytes inside the archive.
    data: std::ops::Range<usize>,
}

impl<'a> StoredArchive<'a> {
    /// Lists the entries after the checks of [`read_archive`], locating their data.
    pub fn open(bytes: &'a [u8], label: &str, limits: &Limits) -> Result<Self> {
        let mut body = Cursor::new(bytes);
        let mut entries = Vec::new();
        for (info, entry) in checked_entries(bytes, label, limits)? {
            let method = entry.compression();
            let file = entry
                .with_reader(&mut body, ZipReadOptions::new())
                .map_err(|e| corrupt(label, &format!("entry {}: {e}", info.name)))?;
            let start = file.data_start().and_then(|s| usize::try_from(s).ok());
            let len = usize::try_from(info.compressed_size).ok();
            let data = match (start, len) {
                (Some(start), Some(len)) if start.saturating_add(len) <= bytes.len() => {
                    start..start + len
                }
                _ => {
                    return Err(corrupt(
                        label,
                        &format!("entry {} lies outside the archive", info.name),
                    ));
                }
            };
            drop(file);
            entries.push(StoredEntry { info, method, data });
        }
        Ok(StoredArchive {
            bytes,
            label: label.to_string(),
            entries,
        })
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether two stored entries certainly hold the same content, decided on their
    /// compressed bytes: false means "not known to be equal", not "different".
    pub fn stored_alike(a: (&Self, usize), b: (&Self, usize)) -> bool {
        match (a.0.entries.get(a.1), b.0.entries.get(b.1)) {
            (Some(x), Some(y)) => {
                x.method == y.method
                    && x.info.crc32 == y.info.crc32
                    && x.info.uncompressed_size == y.info.uncompressed_size
                    && a.0.bytes.get(x.data.clone()) == b.0.bytes.get(y.data.clone())
            }
            _ => false,
        }
    }

    /// A digest that identifies an entry's content by its stored form (method, CRC, size and
    /// compressed bytes): equal fingerprints mean equal content, without inflating.
    pub fn fingerprint(&self, index: usize) -> Option<[u8; 32]> {
        use sha2::{Digest, Sha256};
        let e = self.entries.get(index)?;
        let mut h = Sha256::new();
        h.update(format!(
            "{:?}/{}/{}/",
            e.method, e.info.crc32, e.info.uncompressed_size
        ));
        h.update(self.bytes.get(e.data.clone())?);
        Some(h.finalize().into())
    }

    /// Inflates one entry straight from its compressed bytes, checking that it inflates to
    /// the size and CRC the directory declares.
    pub fn inflate(&self, index: usize) -> Result<Vec<u8>> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| Error::invalid(&self.label, format!("no entry number {index}")))?;
        let input = self.bytes.get(entry.data.clone()).unwrap_or_default();
        let declared = entry.info.uncompressed_size;
        let data = match entry.method {
            CompressionMethod::Stored if input.len() as u64 != declared => {
                return Err(corrupt(
                    &self.label,
                    &format!(
                        "entry {} is stored as {} bytes but declares {declared}",
                        entry.info.name,
                        input.len()
                    ),
                ));
            }
            CompressionMethod::Stored => input.to_vec(),
            CompressionMethod::Deflated => inflate_raw(input, declared)
                .map_err(|e| corrupt(&self.label, &format!("entry {}: {e}", entry.info.name)))?,
            _ => self.inflate_with_zip_reader(entry)?,
        };
        if data.len() as u64 != declared {
            return Err(corrupt(
                &self.label,
                &format!(
                    "entry {} inflates to {}{} bytes but declares {declared}",
                    entry.info.name,
                    if data.len() as u64 > declared {
                        "more than "
                    } else {
                        ""
                    },
                    data.len()
                        .min(usize::try_from(declared).unwrap_or(usize::MAX)),
                ),
            ));
        }
        if crc32fast::hash(&data) != entry.info.crc32 {
            return Err(corrupt(
                &self.label,
                &format!("entry {}: its CRC-32 does not match", entry.info.name),
            ));
        }
        Ok(data)
    }

    /// Methods other than Stored and Deflated (Deflate64) go through the zip crate's reader.
    /// At most one byte more than declared is read, enough to notice a lying size.
    fn inflate_with_zip_reader(&self, entry: &StoredEntry) -> Result<Vec<u8>> {
        let failed = |e: &dyn std::fmt::Display| {
            corrupt(&self.label, &format!("entry {}: {e}", entry.info.name))
        };
        let mut archive = ZipArchive::new(Cursor::new(self.bytes)).map_err(|e| failed(&e))?;
        let index = archive
            .index_for_name_raw(entry.info.name.as_bytes())
            .ok_or_else(|| failed(&"not found again in the directory"))?;
        let file = archive.by_index(index).map_err(|e| failed(&e))?;
        let declared = entry.info.uncompressed_size;
        let mut data = Vec::with_capacity(preallocation(declared));
        file.take(declared.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| failed(&e))?;
        Ok(data)
    }
}

/// Bytes reserved up front for an entry that declares `declared` bytes: one more, so that an
/// entry inflating to more than it declares is seen without growing the buffer, but never
/// more than [`MAX_PREALLOCATION`], so a lying size cannot reserve memory.
fn preallocation(declared: u64) -> usize {
    usize::try_from(declared.saturating_add(1).min(MAX_PREALLOCATION)).unwrap_or(0)
}

thread_local! {
    /// One inflate state per thread, reset between entries: a fresh one costs a 32 kB window
    /// and its state for every entry.
    static INFLATER: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(false));
}

/// Inflates a raw deflate stream, stopping once it passes `declared` bytes (the caller
/// reports the size mismatch). Errors are the stream's own: corrupt data, or an early end.
fn inflate_raw(input: &[u8], declared: u64) -> std::result::Result<Vec<u8>, String> {
    let limit = usize::try_from(declared.saturating_add(1)).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(preallocation(declared));
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(false);
        // Output goes into the vector's spare capacity, never past it: the loop only grows
        // the vector (up to one byte past the declared size) when the stream fills it.
        while out.len() < limit {
            if out.len() == out.capacity() {
                out.reserve_exact((limit - out.len()).min(MAX_PREALLOCATION as usize));
            }
            let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
            let rest = input.get(consumed..).unwrap_or_default();
            let before = (inflater.total_in(), inflater.total_out());
            let status = inflater
                .decompress_vec(rest, &mut out, flate2::FlushDecompress::Finish)
                .map_err(|e| e.to_string())?;
            if status == flate2::Status::StreamEnd {
                break;
            }
            if (inflater.total_in(), inflater.total_out()) == before {
                return Err("the deflate stream ends early".to_string());
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes entries in the given order: Deflate, fixed timestamp, MS-DOS "made by", UTF-8 flag
/// only for non-ASCII names. Same input, same bytes.
pub fn write_archive(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let deflate = |part: &[(String, Vec<u8>)]| -> Result<Vec<u8>> {
        let mut writer = ArchiveWriter::new();
        for (name, data) in part {
            writer.add(name, data)?;
        }
        writer.finish()
    };
    let sizes: Vec<u64> = entries.iter().map(|(_, data)| data.len() as u64).collect();
    if sizes.iter().sum::<u64>() < PARALLEL_DEFLATE_FROM as u64 {
        return deflate(entries);
    }
    // Deflating is most of writing a big app, and entries deflate independently: one half on
    // another core, each into an archive of its own, then copied over compressed in order.
    // An entry's bytes do not depend on which half deflated it.
    let split = half_of_the_bytes(&sizes);
    let (first, second) = entries.split_at(split);
    let (second, first) = crate::parallel::join(|| deflate(second), || deflate(first));
    let (first, second) = (first?, second?);
    let mut halves = [RawSource::open(&first)?, RawSource::open(&second)?];
    let mut writer = ArchiveWriter::new();
    for (index, (name, _)) in entries.iter().enumerate() {
        writer.copy_raw(&mut halves[usize::from(index >= split)], name)?;
    }
    writer.finish()
}

/// Apps smaller than this (uncompressed) are deflated on one thread.
const PARALLEL_DEFLATE_FROM: usize = 4 << 20;

/// Builds an archive entry by entry, deflating new content and copying unchanged entries'
/// compressed bytes from a source archive as they are.
pub struct ArchiveWriter {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    names: NameRegistry,
}

impl Default for ArchiveWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ArchiveWriter {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// A writer whose buffer starts with room for `bytes`: an archive that grows by doubling
    /// copies itself into fresh memory at every step, and fresh memory is paid for when the
    /// kernel zeroes it.
    pub fn with_capacity(bytes: usize) -> Self {
        ArchiveWriter {
            zip: ZipWriter::new(Cursor::new(Vec::with_capacity(bytes))),
            names: NameRegistry::default(),
        }
    }

    /// Adds `data` under `name` (written exactly as given), deflated at the default level.
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<()> {
        self.register(name)?;
        let options = deterministic_options()
            .compression_method(CompressionMethod::Deflated)
            .large_file(data.len() as u64 >= zip::ZIP64_BYTES_THR);
        self.zip
            .start_file(name, options)
            .map_err(|e| write_failed(name, &e))?;
        self.zip
            .write_all(data)
            .map_err(|e| Error::invalid(name, format!("cannot write entry: {e}")))
    }

    /// Copies the entry `name` of the archive `source` without inflating it: its compressed
    /// bytes, CRC and sizes are kept; the timestamp is set to the fixed one of new entries so
    /// the output does not depend on which side an entry was copied from. For one entry;
    /// [`ArchiveWriter::copy_raw`] copies many from one source without reading its directory
    /// each time.
    pub fn copy_raw_from(&mut self, source: &[u8], name: &str) -> Result<()> {
        self.copy_raw(&mut RawSource::open(source)?, name)
    }

    /// [`ArchiveWriter::copy_raw_from`] from an archive opened once.
    pub fn copy_raw(&mut self, source: &mut RawSource<'_>, name: &str) -> Result<()> {
        let label = "source archive";
        let index = source
            .archive
            .index_for_name_raw(name.as_bytes())
            .ok_or_else(|| Error::invalid(name, "no such entry in the source archive"))?;
        self.register(name)?;
        let file = source
            .archive
            .by_index_raw(index)
            .map_err(|e| corrupt(label, &format!("entry {name}: {e}")))?;
        self.zip
            .raw_copy_file_touch(file, DateTime::default(), None)
            .map_err(|e| write_failed(name, &e))
    }

    pub fn finish(self) -> Result<Vec<u8>> {
        self.zip
            .finish()
            .map(Cursor::into_inner)
            .map_err(|e| Error::invalid("archive", format!("cannot finish the zip: {e}")))
    }

    /// Refuses names the reader would refuse, so every written archive reads back.
    fn register(&mut self, name: &str) -> Result<()> {
        if let Some(problem) = name_problem(name) {
            return Err(Error::invalid(
                name,
                format!("cannot write entry: {problem}"),
            ));
        }
        self.names
            .insert(name)
            .map_err(|message| Error::invalid(name, message))
    }
}

/// An archive whose entries are copied compressed into a new one: its directory is read and
/// every entry checked (as the reader checks them) once.
pub struct RawSource<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> RawSource<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Self> {
        let label = "source archive";
        let mut iterable = open_iterable(bytes, label)?;
        let files = iterable
            .files()
            .map_err(|e| corrupt(label, &e.to_string()))?;
        for entry in files {
            let entry = entry.map_err(|e| corrupt(label, &e.to_string()))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            check_entry_kind(&entry, &name, label)?;
        }
        let archive =
            ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(label, &e.to_string()))?;
        Ok(RawSource { archive })
    }
}

fn deterministic_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .last_modified_time(DateTime::default())
        .system(System::Dos)
        .external_attributes(0)
}

fn write_failed(name: &str, err: &ZipError) -> Error {
    Error::invalid(name, format!("cannot write entry: {err}"))
}

/// Every file entry with its metadata, validated, in central-directory order.
fn checked_entries(
    bytes: &[u8],
    label: &str,
    limits: &Limits,
) -> Result<Vec<(EntryInfo, zip::read::ZipFileEntry<'static>)>> {
    let mut iterable = open_iterable(bytes, label)?;
    if iterable.len() > limits.max_entries {
        return Err(Error::bad_input(
            label,
            format!(
                "zip archive has {} entries, more than the limit of {}",
                iterable.len(),
                limits.max_entries
            ),
        ));
    }
    let files = iterable
        .files()
        .map_err(|e| corrupt(label, &e.to_string()))?;
    let mut names = NameRegistry::default();
    let mut total: u64 = 0;
    let mut out = Vec::new();
    for entry in files {
        let entry = entry.map_err(|e| corrupt(label, &e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| corrupt(label, &e.to_string()))?
            .into_owned();
        if is_directory_name(&name) {
            continue;
        }
        if let Some(problem) = name_problem(&name) {
            return Err(Error::bad_input(
                label,
                format!("entry {}: {problem}", printable(&name)),
            ));
        }
        names
            .insert(&name)
            .map_err(|message| Error::bad_input(label, message))?;
        check_entry_kind(&entry, &name, label)?;
        let size = entry.size();
        let compressed = entry.compressed_size();
        check_size(label, &name, size, compressed, limits)?;
        total = total.saturating_add(size);
        if total > limits.max_total_uncompressed {
            return Err(Error::bad_input(
                label,
                format!(
                    "entries declare more than {} bytes in total once inflated (zip bomb?)",
                    limits.max_total_uncompressed
                ),
            ));
        }
        let info = EntryInfo {
            name,
            crc32: entry.crc32(),
            compressed_size: compressed,
            uncompressed_size: size,
        };
        out.push((info, entry));
    }
    Ok(out)
}

fn open_iterable<'a>(bytes: &'a [u8], label: &str) -> Result<ZipIterable<Cursor<&'a [u8]>>> {
    if bytes.is_empty() {
        return Err(Error::bad_input(label, "not a zip archive (empty file)"));
    }
    ZipIterable::try_new(Cursor::new(bytes), Config::default()).map_err(|e| {
        // A zip starts with a local header ("PK\3\4") or, when empty, the end record.
        if bytes.starts_with(b"PK") {
            corrupt(label, &e.to_string())
        } else {
            Error::bad_input(label, "not a zip archive")
        }
    })
}

fn corrupt(label: &str, detail: &str) -> Error {
    Error::bad_input(
        label,
        format!("truncated or corrupt zip: {}", one_line(detail)),
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Shows control characters of hostile names escaped, keeping the message on one line; other
/// characters (the `\` separators above all) stay as they are stored.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_directory_name(name: &str) -> bool {
    name.ends_with('/') || name.ends_with('\\')
}

/// Why an entry name cannot be accepted, if it cannot.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("empty entry name");
    }
    if name.chars().any(char::is_control) {
        return Some("entry name contains NUL or control characters");
    }
    let mut chars = name.chars();
    let first = chars.next();
    let second = chars.next();
    if matches!(first, Some('/' | '\\')) {
        return Some("absolute entry name");
    }
    if first.is_some_and(|c| c.is_ascii_alphabetic()) && second == Some(':') {
        return Some("absolute entry name (drive letter)");
    }
    if name.split(['/', '\\']).any(|segment| segment == "..") {
        return Some("entry name contains a `..` segment");
    }
    None
}

/// Refuses what cannot be read as plain file content.
fn check_entry_kind(entry: &zip::read::ZipFileEntry<'_>, name: &str, label: &str) -> Result<()> {
    if entry.encrypted() {
        return Err(Error::bad_input(
            label,
            format!("entry {name} is encrypted"),
        ));
    }
    match entry.compression() {
        CompressionMethod::Stored | CompressionMethod::Deflated | CompressionMethod::Deflate64 => {}
        other => {
            return Err(Error::bad_input(
                label,
                format!("entry {name} uses an unsupported compression method ({other})"),
            ));
        }
    }
    if is_symlink(entry.system(), entry.external_attributes()) {
        return Err(Error::bad_input(
            label,
            format!("entry {name} is a symbolic link"),
        ));
    }
    Ok(())
}

fn is_symlink(system: System, external_attributes: u32) -> bool {
    const FILE_TYPE_MASK: u32 = 0o170_000;
    const SYMLINK: u32 = 0o120_000;
    // MS-DOS attributes have no file type; every other "made by" system may carry a Unix mode.
    system != System::Dos && (external_attributes >> 16) & FILE_TYPE_MASK == SYMLINK
}

fn check_size(label: &str, name: &str, size: u64, compressed: u64, limits: &Limits) -> Result<()> {
    if size > limits.max_entry_uncompressed {
        return Err(Error::bad_input(
            label,
            format!(
                "entry {name} declares {size} bytes once inflated, more than the limit of {} (zip bomb?)",
                limits.max_entry_uncompressed
            ),
        ));
    }
    if size > RATIO_EXEMPT_SIZE && size / compressed.max(1) > limits.max_ratio {
        return Err(Error::bad_input(
            label,
            format!(
                "entry {name} has a compression ratio above {}:1 ({compressed} -> {size} bytes, zip bomb?)",
                limits.max_ratio
            ),
        ));
    }
    Ok(())
}

/// Entry names seen so far, compared the way Studio and the reference do (ASCII case and
/// separator ignored), remembering the first spelling for error messages.
#[derive(Default)]
struct NameRegistry {
    seen: HashMap<String, String>,
}

impl NameRegistry {
    fn insert(&mut self, name: &str) -> std::result::Result<(), String> {
        let key: String = name
            .chars()
            .map(|c| {
                if c == '/' {
                    '\\'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        match self.seen.get(&key) {
            Some(first) if first == name => Err(format!("duplicate entry name {name}")),
            Some(first) => Err(format!(
                "duplicate entry names {first} and {name} (they differ only in case or separator)"
            )),
            None => {
                self.seen.insert(key, name.to_string());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_rejected() {
        for bad in [
            "", "/abs", "\\abs", "C:\\x", "c:x", "a\\..\\b", "../x", "a/..", "a\0b", "a\nb",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "Controls\\1.json",
            "a..b\\c",
            "..x",
            "Assets/Images/x.png",
            "Grüße.txt",
        ] {
            assert!(name_problem(good).is_none(), "{good:?}");
        }
    }

    #[test]
    fn registry_names_both() {
        let mut r = NameRegistry::default();
        r.insert("Controls\\1.json").unwrap();
        let e = r.insert("controls/1.JSON").unwrap_err();
        assert!(
            e.contains("Controls\\1.json") && e.contains("controls/1.JSON"),
            "{e}"
        );
        let e = r.insert("Controls\\1.json").unwrap_err();
        assert!(e.contains("duplicate"), "{e}");
    }

    #[test]
    fn symlink_detection() {
        assert!(is_symlink(System::Unix, (0o120_777) << 16));
        assert!(!is_symlink(System::Unix, (0o100_644) << 16));
        assert!(!is_symlink(System::Dos, 0));
    }

    #[test]
    fn write_is_deterministic_and_reads_back() {
        let entries = vec![
            ("Header.json".to_string(), b"{}".to_vec()),
            ("Controls\\1.json".to_string(), b"{\"a\":1}".to_vec()),
            ("Grüße.txt".to_string(), Vec::new()),
        ];
        let a = write_archive(&entries).unwrap();
        let b = write_archive(&entries).unwrap();
        assert_eq!(a, b);
        let back = read_archive(&a, "t", &Limits::default()).unwrap();
        let got: Vec<_> = back.entries.into_iter().map(|e| (e.name, e.data)).collect();
        assert_eq!(got, entries);
    }
}
