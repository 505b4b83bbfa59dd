//! The optional pre-push hook that runs `msapp-merge check`. Written only on request, never over
//! a hook we did not write (hook managers and git-lfs own theirs) unless forced.

use std::fs;
use std::path::Path;

use super::config::is_msapp_merge_program;
use super::shell;
use crate::error::{Error, Result};

/// Hooks `install --hook` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    PrePush,
}

impl Hook {
    /// The hook's file name in the hooks directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Hook::PrePush => "pre-push",
        }
    }

    /// Every hook msapp-merge can write, for uninstall.
    pub const ALL: [Hook; 1] = [Hook::PrePush];
}

const FIRST_LINES: [&str; 3] = [
    "#!/bin/sh",
    "# Written by msapp-merge (msapp-merge install --hook); removed by msapp-merge uninstall.",
    "# Refuses the push when an app or unpacked tree has unresolved conflicts or fails checks.",
];

/// The hook script for `program` (unquoted program path or name).
pub fn script(program: &str) -> String {
    format!(
        "{}\nexec {} check\n",
        FIRST_LINES.join("\n"),
        shell::quote(program)
    )
}

/// Whether `text` is a hook msapp-merge wrote (for any program location) and nobody edited.
pub fn is_ours(text: &str, program: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let Some((last, first)) = lines.split_last() else {
        return false;
    };
    if first != FIRST_LINES {
        return false;
    }
    let Some(command) = last.strip_prefix("exec ") else {
        return false;
    };
    match shell::split_first_word(command) {
        Some((word, rest)) => {
            rest == " check" && (word == program || is_msapp_merge_program(&word))
        }
        None => false,
    }
}

/// What happened to a hook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookState {
    Written,
    Unchanged,
    /// A hook we did not write is there; left alone.
    ForeignKept,
    /// A hook we did not write was replaced (`--force`).
    ForeignReplaced,
    Removed,
    Absent,
}

/// Writes the hook at `path` unless a foreign hook is there (replaced only with `force`).
pub fn write(path: &Path, program: &str, force: bool) -> Result<HookState> {
    let wanted = script(program);
    let state = match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            if text == wanted {
                return Ok(HookState::Unchanged);
            }
            if is_ours(&text, program) {
                HookState::Written
            } else if force {
                HookState::ForeignReplaced
            } else {
                return Ok(HookState::ForeignKept);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HookState::Written,
        Err(e) => return Err(Error::io(path, e)),
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    crate::fsio::write_atomic(path, wanted.as_bytes())?;
    make_executable(path)?;
    Ok(state)
}

/// Removes the hook at `path` if we wrote it and nobody edited it.
pub fn remove(path: &Path, program: &str) -> Result<HookState> {
    match fs::read(path) {
        Ok(bytes) => {
            if !is_ours(&String::from_utf8_lossy(&bytes), program) {
                return Ok(HookState::ForeignKept);
            }
            fs::remove_file(path).map_err(|e| Error::io(path, e))?;
            Ok(HookState::Removed)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HookState::Absent),
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    // Git for Windows runs hooks through its sh whatever the file mode.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_its_own_script_from_any_location() {
        let ours = script("/a b/msapp-merge");
        assert!(ours.ends_with("exec '/a b/msapp-merge' check\n"));
        assert!(is_ours(&ours, "/elsewhere/msapp-merge"));
        assert!(is_ours(&script("wrapper"), "wrapper"));
        assert!(!is_ours(&script("wrapper"), "msapp-merge"));
        assert!(!is_ours(&format!("{ours}echo more\n"), "msapp-merge"));
        assert!(!is_ours("#!/bin/sh\nexit 0\n", "msapp-merge"));
        assert!(!is_ours("", "msapp-merge"));
    }

    #[test]
    fn never_replaces_a_foreign_hook_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks").join("pre-push");
        assert_eq!(
            write(&path, "msapp-merge", false).unwrap(),
            HookState::Written
        );
        assert_eq!(
            write(&path, "msapp-merge", false).unwrap(),
            HookState::Unchanged
        );
        assert_eq!(remove(&path, "msapp-merge").unwrap(), HookState::Removed);
        assert_eq!(remove(&path, "msapp-merge").unwrap(), HookState::Absent);
        fs::write(&path, "#!/bin/sh\ngit lfs pre-push \"$@\"\n").unwrap();
        assert_eq!(
            write(&path, "msapp-merge", false).unwrap(),
            HookState::ForeignKept
        );
        assert_eq!(
            remove(&path, "msapp-merge").unwrap(),
            HookState::ForeignKept
        );
        assert!(path.exists());
        assert_eq!(
            write(&path, "msapp-merge", true).unwrap(),
            HookState::ForeignReplaced
        );
        assert!(is_ours(&fs::read_to_string(&path).unwrap(), "msapp-merge"));
    }
}
