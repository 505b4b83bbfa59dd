//! Renderings of single entries kept between `textconv` runs, in the repository's git
//! directory (`msapp-merge/textconv/`, one file per rendering, named by its key).
//!
//! `git log -p` renders every version of an app, and consecutive versions share all but the
//! entries a save touched; git's own `cachetextconv` only helps for a version seen before. Each
//! rendering is keyed by the content it came from and by the program that made it, so a new
//! build of msapp-merge never reads an old build's output. Anything unreadable is a miss, never an
//! error: the store only saves time.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use crate::fsio;
use crate::memo::KeyBuilder;

pub type Key = [u8; 32];

const MAGIC: &[u8; 8] = b"MSAPPRC1";
/// Size of the store after a run that added to it; the oldest renderings go first. Several
/// versions of the largest corpus app's renderings (2.7 MB each) fit.
const MAX_BYTES: u64 = 64 << 20;

/// Where renderings are kept, or nowhere.
#[derive(Debug, Default)]
pub struct RenderStore {
    dir: Option<PathBuf>,
    /// Identifies the program that renders: its version and the executable file's size and
    /// time, so a rebuilt binary starts afresh.
    build: Key,
    fresh: Vec<(Key, Vec<u8>)>,
    reused: std::cell::Cell<usize>,
}

impl RenderStore {
    /// Renders everything afresh and keeps nothing.
    pub fn disabled() -> Self {
        RenderStore::default()
    }

    /// The store of the repository whose git directory is `git_dir`; disabled when the running
    /// program cannot be identified.
    pub fn in_git_dir(git_dir: &Path) -> Self {
        match build_identity() {
            Some(build) => RenderStore {
                dir: Some(git_dir.join("msapp-merge").join("textconv")),
                build,
                ..RenderStore::default()
            },
            None => RenderStore::disabled(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// A key for content: what kind of rendering, and the digests of everything it depends on.
    pub fn key(&self, kind: &str, parts: &[&[u8]]) -> Key {
        let mut key = KeyBuilder::new("msapp-merge textconv rendering");
        key.bytes(&self.build).text(kind);
        for part in parts {
            key.bytes(part);
        }
        key.finish()
    }

    pub fn get(&self, key: &Key) -> Option<Vec<u8>> {
        let path = self.dir.as_ref()?.join(hex(key));
        let bytes = std::fs::read(&path).ok()?;
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (len, payload) = rest.split_first_chunk::<8>()?;
        if u64::from_le_bytes(*len) != payload.len() as u64 {
            return None;
        }
        // Used renderings count as new, so trimming drops the ones no version needs any more.
        if let Ok(file) = std::fs::File::options().write(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        self.reused.set(self.reused.get() + 1);
        Some(payload.to_vec())
    }

    /// How many renderings were read back so far.
    pub fn reused(&self) -> usize {
        self.reused.get()
    }

    /// Renderings learned in this run, not yet saved.
    pub fn learned(&self) -> usize {
        self.fresh.len()
    }

    /// Remembers a rendering; written by [`RenderStore::save`].
    pub fn put(&mut self, key: Key, payload: Vec<u8>) {
        if self.dir.is_some() {
            self.fresh.push((key, payload));
        }
    }

    /// Writes what was learned and trims the store. Failures are ignored.
    pub fn save(self) {
        let Some(dir) = self.dir else { return };
        if self.fresh.is_empty() {
            return;
        }
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        for (key, payload) in &self.fresh {
            let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + payload.len());
            bytes.extend_from_slice(MAGIC);
            bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            bytes.extend_from_slice(payload);
            // A rendering lost in a crash is only a miss, and a torn one fails the length check.
            let _ = fsio::write_atomic_unsynced(&dir.join(hex(key)), &bytes);
        }
        trim(&dir, MAX_BYTES);
    }
}

/// Removes the least recently used renderings until the store holds at most `max` bytes.
fn trim(dir: &Path, max: u64) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = listing
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            if !meta.is_file() {
                return None;
            }
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    if total <= max {
        return;
    }
    files.sort();
    for (_, len, path) in files {
        if total <= max {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

fn build_identity() -> Option<Key> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(meta.len().to_le_bytes());
    h.update(modified.as_nanos().to_le_bytes());
    Some(h.finalize().into())
}

fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings_survive_a_save_and_damaged_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RenderStore::in_git_dir(dir.path());
        let key = store.key("screen", &[b"a", b"b"]);
        assert_ne!(key, store.key("screen", &[b"ab"]), "parts are delimited");
        assert_eq!(store.get(&key), None);
        store.put(key, b"rendered".to_vec());
        store.save();

        let store = RenderStore::in_git_dir(dir.path());
        assert_eq!(store.get(&key).as_deref(), Some(&b"rendered"[..]));
        let file = dir.path().join("msapp-merge/textconv").join(hex(&key));
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.pop();
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(store.get(&key), None, "a truncated rendering is not used");
        std::fs::write(&file, b"junk").unwrap();
        assert_eq!(store.get(&key), None);
    }

    #[test]
    fn trimming_drops_the_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["old", "mid", "new"].iter().enumerate() {
            let path = dir.path().join(name);
            std::fs::write(&path, [0u8; 100]).unwrap();
            let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(time)
                .unwrap();
        }
        trim(dir.path(), 250);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["mid", "new"]);
    }

    #[test]
    fn a_disabled_store_keeps_nothing() {
        let mut store = RenderStore::disabled();
        let key = store.key("screen", &[]);
        store.put(key, b"x".to_vec());
        assert_eq!(store.get(&key), None);
        assert!(!store.is_enabled());
        store.save();
    }
}
