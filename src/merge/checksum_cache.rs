//! A cache of checksum values of stored entries, kept in the repository's git directory.
//!
//! A fresh `checksum.json` needs every JSON entry of the merged app parsed and hashed, which
//! would make even the fast path pay for the whole app. The value of an entry depends only on
//! its content, and a rebase or a series of merges sees the same unchanged entries again and
//! again: after the first merge of an app, only what changed is parsed.
//!
//! The file holds a magic header and fixed-size records (entry fingerprint, value). Anything
//! unexpected in it makes the cache empty, never an error: it only saves time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::fsio;

const MAGIC: &[u8; 8] = b"MSAPPCV1";
const RECORD: usize = 64;
/// About 4 MB: thousands of apps' worth of entries; the oldest records go first.
const MAX_RECORDS: usize = 65_536;

pub type Digest = [u8; 32];

#[derive(Debug, Default)]
pub struct ChecksumCache {
    path: Option<PathBuf>,
    known: HashMap<Digest, Digest>,
    /// In file order, oldest first, so trimming keeps the newest.
    order: Vec<Digest>,
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
        let Ok(bytes) = std::fs::read(path) else {
            return cache;
        };
        let Some(records) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return cache;
        };
        if records.len() % RECORD != 0 {
            return cache;
        }
        for record in records.chunks_exact(RECORD) {
            let (key, value) = record.split_at(RECORD / 2);
            if let (Ok(key), Ok(value)) = (Digest::try_from(key), Digest::try_from(value))
                && cache.known.insert(key, value).is_none()
            {
                cache.order.push(key);
            }
        }
        cache
    }

    pub fn get(&self, key: &Digest) -> Option<Digest> {
        self.known.get(key).copied()
    }

    /// Remembers a computed value (callable from several threads).
    pub fn record(&self, key: Digest, value: Digest) {
        if self.path.is_some()
            && !self.known.contains_key(&key)
            && let Ok(mut fresh) = self.fresh.lock()
        {
            fresh.push((key, value));
        }
    }

    /// Writes the cache back when it learned something. A failure is ignored: the merge
    /// result does not depend on it.
    pub fn save(self) {
        let Some(path) = self.path else { return };
        let fresh = self.fresh.into_inner().unwrap_or_default();
        if fresh.is_empty() {
            return;
        }
        let mut known = self.known;
        let mut order = self.order;
        for (key, value) in fresh {
            if known.insert(key, value).is_none() {
                order.push(key);
            }
        }
        let keep = order.len().saturating_sub(MAX_RECORDS);
        let mut bytes = Vec::with_capacity(MAGIC.len() + (order.len() - keep) * RECORD);
        bytes.extend_from_slice(MAGIC);
        for key in &order[keep..] {
            if let Some(value) = known.get(key) {
                bytes.extend_from_slice(key);
                bytes.extend_from_slice(value);
            }
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = fsio::write_atomic(&path, &bytes);
    }
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
    fn a_disabled_cache_learns_nothing() {
        let cache = ChecksumCache::disabled();
        cache.record([1; 32], [2; 32]);
        assert_eq!(cache.get(&[1; 32]), None);
        cache.save();
    }
}
