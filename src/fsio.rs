//! File-system boundary: atomic writes (temp + rename in the same directory) so that on any
//! failure the user's files are byte-identical to before, and source trees read from / written
//! to directories.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source::SourceTree;

/// Writes `bytes` to `path` through a temp file in the same directory, then renames it over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_file(path, bytes, true)
}

/// [`write_atomic`] without waiting for the data to reach the disk: for files whose reader
/// takes over at once and keeps what it needs itself (git reading a merge driver's result
/// back from its temp file), or that only save time (a cache). Readers still see either the
/// old file or the whole new one.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_file(path, bytes, false)
}

fn replace_file(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".msapp-merge-")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    // The temp file is private (0600); a replaced file keeps the permissions it had.
    if let Ok(meta) = fs::metadata(path) {
        tmp.as_file()
            .set_permissions(meta.permissions())
            .map_err(|e| Error::io(tmp.path(), e))?;
    }
    if sync {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(tmp.path(), e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, e))
}

/// Reads every file below `dir` into a tree (paths with `/`), skipping `.git` folders.
pub fn read_tree(dir: &Path) -> Result<SourceTree> {
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::bad_input(
            dir.display().to_string(),
            "not a directory",
        ));
    }
    let mut tree = SourceTree::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let entries = fs::read_dir(&path).map_err(|e| Error::io(&path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&path, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(Error::bad_input(
                    entry.path().display().to_string(),
                    "file name is not valid Unicode",
                ));
            };
            let child_rel = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let ft = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if ft.is_dir() {
                if name != ".git" {
                    stack.push((entry.path(), child_rel));
                }
            } else if ft.is_file() {
                let bytes = fs::read(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
                tree.insert(child_rel, bytes);
            }
        }
    }
    Ok(tree)
}

/// True when `dir` is missing or holds no files (empty folders do not count).
pub fn is_empty_dir(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir, e)),
        Ok(mut entries) => Ok(entries.next().is_none()),
    }
}

/// Writes a tree into `dir`, replacing its content. The tree is first written to a sibling
/// temp directory, so a failure leaves `dir` as it was. A `.git` inside `dir` is kept.
pub fn write_tree(dir: &Path, tree: &SourceTree) -> Result<()> {
    let parent = parent_dir(dir);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".msapp-merge-unpack-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    for (rel, bytes) in &tree.files {
        let path = staging.path().join(inside_tree(rel)?);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    if !dir.exists() {
        let staged = staging.keep();
        return fs::rename(&staged, dir).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            Error::io(dir, e)
        });
    }
    // The user's directory moves aside whole, `.git` included, and `.git` moves into the new
    // tree only once that is in place: no failure can leave `.git` in a directory that is
    // then deleted.
    let old = free_sibling(&parent, ".msapp-merge-old");
    fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
    let staged = staging.keep();
    if let Err(e) = fs::rename(&staged, dir) {
        let _ = fs::rename(&old, dir);
        let _ = fs::remove_dir_all(&staged);
        return Err(Error::io(dir, e));
    }
    let old_git = old.join(".git");
    if old_git.exists()
        && let Err(e) = fs::rename(&old_git, dir.join(".git"))
    {
        return Err(Error::Refused(format!(
            "{}: wrote the tree but could not move .git back into it ({e}); your previous directory, .git included, is at {}",
            dir.display(),
            old.display()
        )));
    }
    let _ = fs::remove_dir_all(old);
    Ok(())
}

/// A tree path as a relative path that stays inside the tree. Trees come from apps, which
/// come from anyone: the last line of defence against a crafted name writing elsewhere.
fn inside_tree(rel: &str) -> Result<&Path> {
    use std::path::Component;
    let path = Path::new(rel);
    let escapes = rel.is_empty()
        || rel.split(['/', '\\']).any(|segment| segment == "..")
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)));
    if escapes {
        return Err(Error::bad_input(
            rel,
            "refusing to write a file outside the source tree",
        ));
    }
    if rel
        .split(['/', '\\'])
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(".git"))
    {
        return Err(Error::bad_input(
            rel,
            "refusing to write into the directory's .git",
        ));
    }
    Ok(path)
}

/// `parent/prefix-<pid>-<n>` for the first `n` not taken (a crashed run may have left one).
fn free_sibling(parent: &Path, prefix: &str) -> PathBuf {
    let pid = std::process::id();
    (0u32..)
        .map(|n| parent.join(format!("{prefix}-{pid}-{n}")))
        .find(|p| fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| parent.join(format!("{prefix}-{pid}")))
}
