//! A cache of checksum values of stored entries, kept in the repository's git directory.
//!
//! A fresh `checksum.json` needs every JSON entry of the merged app parsed and hashed, which
//! would make even the fast path pay for the whole app. The value of an entry depends only on
//! its content, and a rebase or a series of merges sees the same unchanged entries again and
//! again: after the first merge of an app, only what changed is parsed.
//!
//! The file holds a magic header and fixed-size records (entry fingerprint, value). Anything
//! unexpected in it makes the cache empty, never an error: it only saves time.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::fsio;

const MAGIC: &[u8; 8] = b"MSAPPCV1";
const RECORD: usize = 64;
const KEY: usize = RECORD / 2;
/// About 4 MB: thousands of apps' worth of entries; the oldest records go first.
const MAX_RECORDS: usize = 65_536;

pub type Digest = [u8; 32];

/// Keys are SHA-256 digests: their first bytes are already a good hash.
#[derive(Debug, Default)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A record's place in the file, by the first 8 bytes of its key. A full cache is 65,536
/// records: a map of whole keys and values took longer to build than the merge it served.
type Index = HashMap<u64, u32, BuildHasherDefault<PrefixHasher>>;

fn prefix(key: &Digest) -> u64 {
    let (first, _) = key.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
    u64::from_le_bytes(*first)
}

#[derive(Debug, Default)]
pub struct ChecksumCache {
    path: Option<PathBuf>,
    /// The file's records as read, oldest first.
    records: Vec<u8>,
    index: Index,
    /// Whether the file holds a valid cache that new records can be appended to.
    appendable: bool,
    fresh: Mutex<Vec<(Digest, Digest)>>,
}

impl ChecksumCache {
    /// No file: values are computed each time.
    pub fn disabled() -> Self {
        ChecksumCache::default()
    }

    /// The cache stored at `path` (empty when missing or unreadable).
    pub fn load(path: &Path) -> Self {
        let mut cache = ChecksumCache {
            path: Some(path.to_path_buf()),
            ..ChecksumCache::default()
        };
        let Ok(mut bytes) = std::fs::read(path) else {
            return cache;
        };
        if !bytes.starts_with(MAGIC) || !(bytes.len() - MAGIC.len()).is_multiple_of(RECORD) {
            return cache;
        }
        bytes.drain(..MAGIC.len());
        let count = bytes.len() / RECORD;
        let Ok(count32) = u32::try_from(count) else {
            return cache;
        };
        cache.index = Index::with_capacity_and_hasher(count, BuildHasherDefault::default());
        for (position, record) in (0..count32).zip(bytes.chunks_exact(RECORD)) {
            if let Some(key) = record.get(..KEY).and_then(|k| Digest::try_from(k).ok()) {
                // A later record of the same key (or of one sharing its prefix) wins.
                cache.index.insert(prefix(&key), position);
            }
        }
        cache.records = bytes;
        cache.appendable = true;
        cache
    }

    pub fn get(&self, key: &Digest) -> Option<Digest> {
        let position = usize::try_from(*self.index.get(&prefix(key))?).ok()?;
        let record = self
            .records
            .get(position * RECORD..(position + 1) * RECORD)?;
        let (stored_key, value) = record.split_at(KEY);
        if stored_key != key {
            return None;
        }
        Digest::try_from(value).ok()
    }

    /// Remembers a computed value (callable from several threads).
    pub fn record(&self, key: Digest, value: Digest) {
        if self.path.is_some()
            && self.get(&key).is_none()
            && let Ok(mut fresh) = self.fresh.lock()
        {
            fresh.push((key, value));
        }
    }

    /// Adds what the cache learned to its file: appended, or written again with the newest
    /// records once it would grow past its size. A failure is ignored: the merge result does
    /// not depend on it, and neither does any later one (nothing is synced to disk: a torn
    /// file reads as junk, which is an empty cache).
    pub fn save(self) {
        let Some(path) = self.path else { return };
        let mut fresh = self.fresh.into_inner().unwrap_or_default();
        let mut seen = HashSet::new();
        fresh.retain(|(key, _)| seen.insert(*key));
        if fresh.is_empty() {
            return;
        }
        let mut added = Vec::with_capacity(fresh.len() * RECORD);
        for (key, value) in &fresh {
            added.extend_from_slice(key);
            added.extend_from_slice(value);
        }
        let count = self.records.len() / RECORD + fresh.len();
        if self.appendable && count <= MAX_RECORDS && append(&path, &added).is_ok() {
            return;
        }
        let mut all = self.records;
        all.extend_from_slice(&added);
        // The newest record of each key, the newest records kept, in file order.
        let mut kept: Vec<&[u8]> = Vec::new();
        let mut keys = HashSet::new();
        for record in all.chunks_exact(RECORD).rev() {
            if kept.len() == MAX_RECORDS {
                break;
            }
            if keys.insert(record.get(..KEY)) {
                kept.push(record);
            }
        }
        let mut bytes = Vec::with_capacity(MAGIC.len() + kept.len() * RECORD);
        bytes.extend_from_slice(MAGIC);
        for record in kept.into_iter().rev() {
            bytes.extend_from_slice(record);
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = fsio::write_atomic_unsynced(&path, &bytes);
    }
}

/// Appends the records in one write, so that two merges saving at once do not interleave
/// parts of records.
fn append(path: &Path, records: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_a_save_and_junk_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("cache");
        let cache = ChecksumCache::load(&path);
        assert_eq!(cache.get(&[1; 32]), None);
        cache.record([1; 32], [2; 32]);
        cache.save();
        let cache = ChecksumCache::load(&path);
        assert_eq!(cache.get(&[1; 32]), Some([2; 32]));

        std::fs::write(&path, b"MSAPPCV1 truncated").unwrap();
        assert_eq!(ChecksumCache::load(&path).get(&[1; 32]), None);
        std::fs::write(
            &path,
            b"not a cache at all, but long enough to be one record.....",
        )
        .unwrap();
        assert_eq!(ChecksumCache::load(&path).get(&[1; 32]), None);
    }

    #[test]
    fn saves_append_and_a_full_cache_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let key = |i: usize| -> Digest {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            k[31] = 1;
            k
        };
        let cache = ChecksumCache::load(&path);
        cache.record(key(0), [7; 32]);
        cache.record(key(0), [7; 32]);
        cache.save();
        let cache = ChecksumCache::load(&path);
        cache.record(key(1), [8; 32]);
        cache.save();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len() as usize,
            MAGIC.len() + 2 * RECORD
        );
        let cache = ChecksumCache::load(&path);
        assert_eq!(cache.get(&key(0)), Some([7; 32]));
        assert_eq!(cache.get(&key(1)), Some([8; 32]));
        // The same first bytes, another key: not a hit.
        let mut other = key(1);
        other[31] = 2;
        assert_eq!(cache.get(&other), None);

        for i in 2..MAX_RECORDS + 2 {
            cache.record(key(i), [9; 32]);
        }
        cache.save();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len() as usize,
            MAGIC.len() + MAX_RECORDS * RECORD
        );
        let cache = ChecksumCache::load(&path);
        assert_eq!(cache.get(&key(0)), None);
        assert_eq!(cache.get(&key(1)), None);
        assert_eq!(cache.get(&key(2)), Some([9; 32]));
        assert_eq!(cache.get(&key(MAX_RECORDS + 1)), Some([9; 32]));
    }

    #[test]
    fn a_disabled_cache_learns_nothing() {
        let cache = ChecksumCache::disabled();
        cache.record([1; 32], [2; 32]);
        assert_eq!(cache.get(&[1; 32]), None);
        cache.save();
    }
}
