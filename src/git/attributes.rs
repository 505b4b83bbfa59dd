//! The `.gitattributes` lines that route apps (and, optionally, the files of committed unpacked
//! trees) to our drivers, and `git check-attr` to see what git actually decides for a path.

use std::fs;
use std::path::Path;

use super::Git;
use super::config::{APP_DRIVER, TreeKind};
use crate::error::{Error, Result};
use crate::fsio;

/// Matches the `.msapp` extension in any letter case: attribute patterns are case-sensitive
/// unless `core.ignorecase` is set (Windows and macOS clones set it, Linux ones do not), and one
/// bracket pattern covers `App.msapp`, `APP.MSAPP` and `App.MsApp` alike.
pub const APP_PATTERN: &str = "*.[mM][sS][aA][pP][pP]";

/// `-text` so no end-of-line conversion ever touches the zip; `diff` and `merge` name our drivers.
pub fn app_line() -> String {
    format!("{APP_PATTERN} -text diff={APP_DRIVER} merge={APP_DRIVER}")
}

/// Where each file of an unpacked tree (`pac canvas unpack` layout) goes, wherever the tree sits
/// in the repository. `-text` keeps the files byte-exact as unpack wrote them, so packing on any
/// platform gives the same app.
pub fn tree_rules() -> Vec<(&'static str, TreeKind)> {
    vec![
        ("**/Src/**/*.fx.yaml", TreeKind::FxYaml),
        ("**/Src/EditorState/*.editorstate.json", TreeKind::Cache),
        ("**/Entropy/Entropy.json", TreeKind::Cache),
        ("**/Entropy/checksum.json", TreeKind::Checksum),
        ("**/CanvasManifest.json", TreeKind::Strict),
        ("**/DataSources/**", TreeKind::Strict),
        ("**/pkgs/**", TreeKind::Strict),
        ("**/Connections/**", TreeKind::Strict),
    ]
}

/// The attribute lines for unpacked trees.
pub fn tree_lines() -> Vec<String> {
    tree_rules()
        .into_iter()
        .map(|(pattern, kind)| format!("{pattern} -text merge={}", kind.driver_name()))
        .collect()
}

fn uses_crlf(text: &str) -> bool {
    match text.find('\n') {
        Some(index) => index > 0 && text.as_bytes().get(index - 1) == Some(&b'\r'),
        None => false,
    }
}

fn same_rule(existing: &str, line: &str) -> bool {
    existing.trim() == line.trim()
}

fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::bad_input(path.display().to_string(), "not UTF-8 text")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Fails the way [`add_lines`] would on an unreadable attributes file, without writing, so
/// install can stop before it changes anything.
pub fn check_readable(path: &Path) -> Result<()> {
    read_text(path).map(drop)
}

fn write_keeping_permissions(path: &Path, text: &str, existed: bool) -> Result<()> {
    if !existed {
        // Atomic even when new: an interrupted write must not leave half a line behind.
        return fsio::write_atomic(path, text.as_bytes());
    }
    let permissions = fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions();
    fsio::write_atomic(path, text.as_bytes())?;
    fs::set_permissions(path, permissions).map_err(|e| Error::io(path, e))
}

/// Appends each of `lines` not already present to the attributes file at `path` (created if
/// missing), in the file's own line-ending style. Returns the lines added.
pub fn add_lines(path: &Path, lines: &[String]) -> Result<Vec<String>> {
    let existing = read_text(path)?;
    let text = existing.clone().unwrap_or_default();
    let eol = if uses_crlf(&text) { "\r\n" } else { "\n" };
    let missing: Vec<String> = lines
        .iter()
        .filter(|line| !text.lines().any(|l| same_rule(l, line)))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut updated = text;
    if !updated.is_empty() && !updated.ends_with('\n') {
        updated.push_str(eol);
    }
    for line in &missing {
        updated.push_str(line);
        updated.push_str(eol);
    }
    write_keeping_permissions(path, &updated, existing.is_some())?;
    Ok(missing)
}

/// What [`remove_lines`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removal {
    pub removed: Vec<String>,
    /// The file held nothing else and was deleted.
    pub deleted_file: bool,
}

/// Removes every line equal to one of `lines` from the attributes file at `path`, leaving all
/// other bytes as they were; deletes the file if nothing is left.
pub fn remove_lines(path: &Path, lines: &[String]) -> Result<Removal> {
    let Some(text) = read_text(path)? else {
        return Ok(Removal::default());
    };
    let mut removal = Removal::default();
    let mut kept = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let content = piece.trim_end_matches(['\n', '\r']);
        match lines.iter().find(|line| same_rule(content, line)) {
            Some(line) => removal.removed.push(line.clone()),
            None => kept.push_str(piece),
        }
    }
    if removal.removed.is_empty() {
        return Ok(removal);
    }
    if kept.is_empty() {
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        removal.deleted_file = true;
    } else {
        write_keeping_permissions(path, &kept, true)?;
    }
    Ok(removal)
}

/// What git decides for one attribute of one path (`git check-attr` vocabulary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    Unspecified,
    Set,
    Unset,
    Value(String),
}

impl AttrValue {
    fn parse(text: &str) -> Self {
        match text {
            "unspecified" => AttrValue::Unspecified,
            "set" => AttrValue::Set,
            "unset" => AttrValue::Unset,
            other => AttrValue::Value(other.to_string()),
        }
    }

    /// The string value, if the attribute has one.
    pub fn value(&self) -> Option<&str> {
        match self {
            AttrValue::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl std::fmt::Display for AttrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttrValue::Unspecified => f.write_str("unspecified"),
            AttrValue::Set => f.write_str("set"),
            AttrValue::Unset => f.write_str("unset"),
            AttrValue::Value(v) => f.write_str(v),
        }
    }
}

/// One `git check-attr` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrAnswer {
    pub path: String,
    pub attribute: String,
    pub value: AttrValue,
}

/// Asks git which value each of `attributes` has for each of `paths` (repository-relative, with
/// `/`; the files need not exist). Runs in the repository `git` points at.
pub fn check_attr(git: &Git, attributes: &[&str], paths: &[&str]) -> Result<Vec<AttrAnswer>> {
    let mut args: Vec<&str> = vec!["check-attr", "-z", "--stdin"];
    args.extend(attributes);
    let mut stdin = Vec::new();
    for path in paths {
        stdin.extend_from_slice(path.as_bytes());
        stdin.push(0);
    }
    let out = git.output_with_stdin(&args, Some(&stdin))?;
    if !out.status.success() {
        let owned: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        return Err(super::git_failure(&owned, &out));
    }
    let fields: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    Ok(fields
        .chunks_exact(3)
        .filter_map(|c| match c {
            [path, attribute, value] => Some(AttrAnswer {
                path: path.clone(),
                attribute: attribute.clone(),
                value: AttrValue::parse(value),
            }),
            _ => None,
        })
        .collect())
}

/// Looks up one answer in a [`check_attr`] result.
pub fn lookup<'a>(answers: &'a [AttrAnswer], path: &str, attribute: &str) -> &'a AttrValue {
    answers
        .iter()
        .find(|a| a.path == path && a.attribute == attribute)
        .map_or(&AttrValue::Unspecified, |a| &a.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_line_routes_to_our_drivers() {
        assert_eq!(
            app_line(),
            "*.[mM][sS][aA][pP][pP] -text diff=msapp merge=msapp"
        );
        assert_eq!(tree_lines().len(), 8);
        assert!(tree_lines().contains(&"**/Src/**/*.fx.yaml -text merge=msapp-fxyaml".to_string()));
    }

    #[test]
    fn adds_once_in_the_files_line_ending_style() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitattributes");
        fs::write(&path, "*.png binary\r\n*.txt text").unwrap();
        let lines = vec![app_line()];
        assert_eq!(add_lines(&path, &lines).unwrap(), lines);
        let after = fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            format!("*.png binary\r\n*.txt text\r\n{}\r\n", app_line())
        );
        assert!(add_lines(&path, &lines).unwrap().is_empty());
        assert_eq!(fs::read_to_string(&path).unwrap(), after);

        let removal = remove_lines(&path, &lines).unwrap();
        assert_eq!(removal.removed, lines);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "*.png binary\r\n*.txt text\r\n"
        );
    }

    #[test]
    fn creates_and_deletes_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitattributes");
        let lines = vec![app_line(), tree_lines()[0].clone()];
        add_lines(&path, &lines).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}\n{}\n", lines[0], lines[1])
        );
        let removal = remove_lines(&path, &lines).unwrap();
        assert!(removal.deleted_file);
        assert!(!path.exists());
        assert_eq!(remove_lines(&path, &lines).unwrap(), Removal::default());
    }

    #[test]
    fn detects_crlf_from_the_first_line() {
        assert!(uses_crlf("a\r\nb\n"));
        assert!(!uses_crlf("a\nb\r\n"));
        assert!(!uses_crlf("\n"));
        assert!(!uses_crlf(""));
    }

    #[test]
    fn refuses_non_utf8_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitattributes");
        fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
        assert!(add_lines(&path, &[app_line()]).is_err());
        assert_eq!(fs::read(&path).unwrap(), vec![0xff, 0xfe, b'\n']);
    }
}
