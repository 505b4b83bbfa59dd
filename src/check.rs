//! `msapp-merge check`: for CI and pre-push. Each `.msapp` must unpack and round-trip; each
//! source tree (a directory holding `CanvasManifest.json`) must parse, pack, and the packed app
//! must round-trip; control names must be unique app-wide; no conflict markers may be left;
//! and no merge conflict recorded by the merge driver may be unresolved.
//!
//! Findings are one line each: `<file>: <what>[ at <line>:<col>]`.
//!
//! # Recorded merge conflicts
//!
//! When the merge driver leaves an app (or a tree) conflicted it records that, because a
//! conflicted `.msapp` is still a valid zip and nothing else would stop it from being
//! committed. A record is a JSON file in `$GIT_DIR/msapp-merge/conflicts/` (per worktree, like
//! git's own merge state; any `*.json` there is read, whatever its name):
//!
//! ```json
//! {
//!   "version": 1,
//!   "path": "apps/Sales.msapp",
//!   "created": "2025-06-01T10:00:00Z merging feature into main",
//!   "conflicts": ["Screen1.Label1.Text changed on both sides"]
//! }
//! ```
//!
//! `path` is the repository-relative path (`/` separators) of the app or tree, `created` free
//! text, `conflicts` one line per unresolved conflict. Unknown members are ignored; `version`
//! is optional and must be 1 when present. [`write_record`] writes one, [`remove_record`]
//! deletes those of a path once it is resolved, [`read_records`] lists them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::app;
use crate::error::{Error, Result};
use crate::fsio;
use crate::fxyaml;
use crate::git::Git;
use crate::json::{self, Json, Object};
use crate::source::SourceTree;
use crate::source::unpack::UnpackOptions;

/// Where records live, relative to `$GIT_DIR`.
pub const CONFLICTS_DIR: &str = "msapp-merge/conflicts";

const RECORD_VERSION: i64 = 1;

/// The shortest conflict marker git writes (`conflict-marker-size` can make them longer).
const MARKER_SIZE: usize = 7;

/// An unresolved merge conflict left by the merge driver (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConflictRecord {
    /// Repository-relative path of the `.msapp` or tree, `/`-separated.
    pub path: String,
    /// Free text: when and during what the conflict arose.
    pub created: String,
    /// One-line descriptions of the conflicts.
    pub conflicts: Vec<String>,
}

impl ConflictRecord {
    pub fn to_json(&self) -> Json {
        let mut obj = Object::new();
        obj.insert("version", Json::from_i64(RECORD_VERSION));
        obj.insert("path", Json::str(&self.path));
        obj.insert("created", Json::str(&self.created));
        obj.insert(
            "conflicts",
            Json::Array(self.conflicts.iter().map(Json::str).collect()),
        );
        Json::Object(obj)
    }

    /// Reads a record; `file` names it in errors.
    pub fn from_json(value: &Json, file: &str) -> Result<ConflictRecord> {
        let bad = |message: &str| Error::bad_input(file, message);
        let obj = value
            .as_object()
            .ok_or_else(|| bad("a conflict record is a JSON object"))?;
        if let Some(version) = obj.get("version")
            && version.as_f64() != Some(RECORD_VERSION as f64)
        {
            return Err(bad("unsupported conflict record version"));
        }
        let path = obj
            .get("path")
            .and_then(Json::as_str)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("conflict record without a \"path\" string"))?;
        let created = obj.get("created").and_then(Json::as_str).unwrap_or("");
        let conflicts = match obj.get("conflicts") {
            None => Vec::new(),
            Some(Json::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("\"conflicts\" holds something other than strings"))?,
            Some(_) => return Err(bad("\"conflicts\" is not a list")),
        };
        Ok(ConflictRecord {
            path: normalize_repo_path(path),
            created: created.to_string(),
            conflicts,
        })
    }
}

/// The file [`write_record`] uses for `repo_path`: a readable form of the path plus a hash,
/// so different paths never share a file.
pub fn record_path(git_dir: &Path, repo_path: &str) -> PathBuf {
    let repo_path = normalize_repo_path(repo_path);
    let readable: String = repo_path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let hash = Sha256::digest(repo_path.as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    git_dir
        .join(CONFLICTS_DIR)
        .join(format!("{readable}-{hex}.json"))
}

/// Writes (or replaces) the record of `record.path`; returns the file written.
pub fn write_record(git_dir: &Path, record: &ConflictRecord) -> Result<PathBuf> {
    let path = record_path(git_dir, &record.path);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut text = json::to_indented_string(&record.to_json());
    text.push('\n');
    fsio::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// Every record, sorted by file name. No directory means no records; a record that cannot be
/// read is an error naming its file.
pub fn read_records(git_dir: &Path) -> Result<Vec<(PathBuf, ConflictRecord)>> {
    record_files(git_dir)?
        .into_iter()
        .map(|file| read_record(&file).map(|record| (file, record)))
        .collect()
}

/// Deletes every record of `repo_path` (whatever its file name); returns whether one existed.
/// Unreadable record files are left alone.
pub fn remove_record(git_dir: &Path, repo_path: &str) -> Result<bool> {
    let wanted = normalize_repo_path(repo_path);
    let mut removed = false;
    for file in record_files(git_dir)? {
        if read_record(&file).is_ok_and(|r| r.path == wanted) {
            fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
            removed = true;
        }
    }
    Ok(removed)
}

fn record_files(git_dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = git_dir.join(CONFLICTS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(&dir, e))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_record(file: &Path) -> Result<ConflictRecord> {
    let label = file.display().to_string();
    let bytes = fsio::read_file(file)?;
    let value = json::parse_bytes(&bytes).map_err(|e| e.into_error(label.as_str()))?;
    ConflictRecord::from_json(&value, &label)
}

fn normalize_repo_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./").trim_end_matches('/');
    path.to_string()
}

// ---- findings -------------------------------------------------------------------------------

/// One problem: `<file>: <what>[ at <line>:<col>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub what: String,
    /// 1-based line and column, when the problem has a place in a text file.
    pub at: Option<(usize, usize)>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)?;
        if let Some((line, column)) = self.at {
            write!(f, " at {line}:{column}")?;
        }
        Ok(())
    }
}

/// What one run found, and how much it looked at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub apps: usize,
    pub trees: usize,
}

/// Something to check, with the name findings use for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    App(PathBuf),
    Tree(PathBuf),
}

impl Target {
    fn path(&self) -> &Path {
        match self {
            Target::App(p) | Target::Tree(p) => p,
        }
    }
}

/// `check PATH...`: files are apps; a directory holding `CanvasManifest.json` is a tree; any
/// other directory is searched for apps and trees. Recorded conflicts are read from the
/// repository `git` runs in, if any. Errors only when a path does not exist or cannot be read.
pub fn check_paths(git: &Git, paths: &[PathBuf]) -> Result<Report> {
    let mut targets = BTreeSet::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_file() {
            targets.insert(Target::App(path.clone()));
        } else if path.join("CanvasManifest.json").is_file() {
            targets.insert(Target::Tree(path.clone()));
        } else {
            find_targets(path, &mut targets)?;
        }
    }
    let mut report = Report::default();
    for target in &targets {
        check_one(target, &target.path().display().to_string(), &mut report);
    }
    // Without git, or outside a repository, there are no recorded conflicts to look at.
    if let Ok(Some(repo)) = repository(git) {
        let checked: Vec<(String, String)> = targets
            .iter()
            .filter_map(|t| {
                let relative = repo_relative(&repo.top, t.path())?;
                Some((relative, t.path().display().to_string()))
            })
            .collect();
        report_records(&repo.git_dir, &checked, &mut report.findings);
    }
    Ok(report)
}

/// `check` without paths: every tracked `*.msapp` and every directory with a tracked
/// `CanvasManifest.json`, named relative to the top of the work tree.
pub fn check_repository(git: &Git) -> Result<Report> {
    let repo = repository(git)?.ok_or_else(|| {
        Error::Refused(
            "not inside a git work tree: give the apps and source trees to check as arguments"
                .into(),
        )
    })?;
    let listed = git.at(&repo.top).run(["ls-files", "-z", "--cached"])?;
    // Target -> its name relative to the top (how findings name it, like git does).
    let mut targets: BTreeMap<Target, String> = BTreeMap::new();
    for file in listed.split('\0').filter(|f| !f.is_empty()) {
        if file.to_ascii_lowercase().ends_with(".msapp") {
            targets
                .entry(Target::App(repo.top.join(file)))
                .or_insert_with(|| file.to_string());
        } else if let Some(dir) = tree_of_manifest(file) {
            targets
                .entry(Target::Tree(repo.top.join(dir)))
                .or_insert_with(|| dir.to_string());
        }
    }
    let mut report = Report::default();
    for (target, name) in &targets {
        check_one(target, name, &mut report);
    }
    let checked: Vec<(String, String)> = targets
        .values()
        .map(|name| (normalize_repo_path(name), name.clone()))
        .collect();
    report_records(&repo.git_dir, &checked, &mut report.findings);
    Ok(report)
}

/// The tree directory of a tracked `CanvasManifest.json` (`.` at the top).
fn tree_of_manifest(file: &str) -> Option<&str> {
    if file == "CanvasManifest.json" {
        return Some(".");
    }
    file.strip_suffix("/CanvasManifest.json")
}

fn check_one(target: &Target, label: &str, report: &mut Report) {
    match target {
        Target::App(path) => {
            report.apps += 1;
            report.findings.extend(check_app(path, label));
        }
        Target::Tree(dir) => {
            report.trees += 1;
            report.findings.extend(check_tree(dir, label));
        }
    }
}

/// Directories below `dir` holding `CanvasManifest.json` are trees (not searched further);
/// `*.msapp` files elsewhere are apps. `.git` is skipped.
fn find_targets(dir: &Path, targets: &mut BTreeSet<Target>) -> Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = fs::read_dir(&current).map_err(|e| Error::io(&current, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&current, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_dir() {
                if entry.file_name() == ".git" {
                    continue;
                }
                if path.join("CanvasManifest.json").is_file() {
                    targets.insert(Target::Tree(path));
                } else {
                    stack.push(path);
                }
            } else if kind.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("msapp"))
            {
                targets.insert(Target::App(path));
            }
        }
    }
    Ok(())
}

// ---- one app, one tree ----------------------------------------------------------------------

/// Checks one `.msapp`; `label` names it in findings.
pub fn check_app(path: &Path, label: &str) -> Vec<Finding> {
    let finding = |what: String| Finding {
        file: label.to_string(),
        what,
        at: None,
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return vec![finding(format!("cannot read: {e}"))],
    };
    if bytes.starts_with(b"version https://git-lfs") {
        return vec![finding(
            "is a Git LFS pointer, not the app (run `git lfs pull`)".into(),
        )];
    }
    let options = UnpackOptions::default();
    match app::unpack_verified_bytes(&bytes, label, &options) {
        Ok((tree, _)) => content_findings(&tree, &Place::App(label)),
        Err(verify_error) => {
            // Say why when the tree shows it (markers, duplicate names); else the error itself.
            let unpacked = app::parse_msapp_for_unpack(&bytes, label)
                .and_then(|app| app::unpack_app(&app, label, &options));
            let details = match unpacked {
                Ok((tree, _)) => content_findings(&tree, &Place::App(label)),
                Err(_) => Vec::new(),
            };
            if details.is_empty() {
                vec![finding(reason(&verify_error, label))]
            } else {
                details
            }
        }
    }
}

/// Checks one source tree; `label` names the directory in findings.
pub fn check_tree(dir: &Path, label: &str) -> Vec<Finding> {
    let place = Place::Tree(label);
    let tree = match fsio::read_tree(dir) {
        Ok(tree) => tree,
        Err(e) => {
            return vec![Finding {
                file: label.to_string(),
                what: format!("cannot read the tree: {e}"),
                at: None,
            }];
        }
    };
    let findings = content_findings(&tree, &place);
    if !findings.is_empty() {
        // Packing would only stop at the first of these.
        return findings;
    }
    let packed = match app::pack_tree(&tree) {
        Ok((packed, _)) => packed,
        Err(e) => return vec![place.error_finding(&e, "does not pack")],
    };
    match app::unpack_verified(&packed, label, &UnpackOptions::default()) {
        Ok(_) => Vec::new(),
        Err(e) => vec![Finding {
            file: label.to_string(),
            what: format!(
                "packs, but the app does not round-trip: {}",
                reason(&e, label)
            ),
            at: None,
        }],
    }
}

/// Where tree files are reported: as files of a tree directory, or inside an app.
enum Place<'a> {
    Tree(&'a str),
    App(&'a str),
}

impl Place<'_> {
    /// How a file of the tree is named in messages.
    fn name_of(&self, inner: &str) -> String {
        match self {
            Place::Tree(dir) => format!("{}/{inner}", dir.trim_end_matches('/')),
            Place::App(_) => inner.to_string(),
        }
    }

    fn finding(&self, inner: &str, what: &str, at: Option<(usize, usize)>) -> Finding {
        match self {
            Place::Tree(_) => Finding {
                file: self.name_of(inner),
                what: what.to_string(),
                at,
            },
            // Positions are in the file as `unpack` writes it.
            Place::App(file) => Finding {
                file: file.to_string(),
                what: format!("in {inner}: {what}"),
                at,
            },
        }
    }

    /// An error from the tree code, whose file names are relative to the tree.
    fn error_finding(&self, e: &Error, context: &str) -> Finding {
        match e {
            Error::Syntax { at, message } => {
                self.finding(&at.file, message, Some((at.line, at.column)))
            }
            Error::Invalid { file, message } | Error::BadInput { file, message }
                if !file.is_empty() && !Path::new(file).is_absolute() =>
            {
                self.finding(file, message, None)
            }
            other => {
                let (Place::Tree(label) | Place::App(label)) = self;
                Finding {
                    file: label.to_string(),
                    what: format!("{context}: {other}"),
                    at: None,
                }
            }
        }
    }
}

fn reason(e: &Error, label: &str) -> String {
    let text = e.to_string();
    text.strip_prefix(label)
        .and_then(|rest| rest.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(text)
}

/// Conflict markers in any text file, then `.fx.yaml` syntax and unique control names.
fn content_findings(tree: &SourceTree, place: &Place<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (path, bytes) in &tree.files {
        if bytes.contains(&0) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        for (line, column, marker) in conflict_markers(text) {
            findings.push(place.finding(
                path,
                &format!("conflict marker `{marker}`"),
                Some((line, column)),
            ));
        }
    }
    if findings.is_empty() {
        findings.extend(name_findings(tree, place));
    }
    findings
}

/// `(line, column, marker)` of each conflict: its `<<<<<<<` line, plus marker lines outside
/// any conflict (left over from a partial resolution). Markers may be indented, as they are
/// inside multi-line formulas.
pub fn conflict_markers(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut found = Vec::new();
    let mut open = false;
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let body = line.trim_start_matches([' ', '\t']);
        let column = line.len() - body.len() + 1;
        let at = (index + 1, column);
        match marker_kind(body) {
            Some('<') => {
                found.push((at.0, at.1, "<<<<<<<"));
                open = true;
            }
            Some('>') if open => open = false,
            Some(_) if open => {}
            Some('>') => found.push((at.0, at.1, ">>>>>>>")),
            Some('=') => found.push((at.0, at.1, "=======")),
            Some(_) => found.push((at.0, at.1, "|||||||")),
            None => {}
        }
    }
    found
}

/// `<`, `>` or `|`: a run of at least 7, then the end or a space and a label. `=`: a run of
/// at least 7 alone on the line.
fn marker_kind(body: &str) -> Option<char> {
    let first = body.chars().next()?;
    if !matches!(first, '<' | '>' | '|' | '=') {
        return None;
    }
    let run = body.chars().take_while(|&c| c == first).count();
    if run < MARKER_SIZE {
        return None;
    }
    let rest = body.get(run..).unwrap_or("");
    let ok = if first == '=' {
        rest.trim_end().is_empty()
    } else {
        rest.is_empty() || rest.starts_with(' ')
    };
    ok.then_some(first)
}

/// Syntax errors and duplicate control names across screens, `App` and components (test
/// suites have their own namespace: step names repeat).
fn name_findings(tree: &SourceTree, place: &Place<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    let files = tree
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("Src/") && p.ends_with(".fx.yaml"))
        .filter(|(p, _)| !p.starts_with("Src/Tests/") && !p.starts_with("Src/EditorState/"));
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        let parsed = if path.starts_with("Src/Components/") {
            fxyaml::parse_component(&text, path)
        } else {
            fxyaml::parse(&text, path)
        };
        match parsed {
            Ok(parsed) => collect_names(&parsed.block, path, &mut seen, place, &mut findings),
            Err(e) => findings.push(place.error_finding(&e, "cannot read")),
        }
    }
    findings
}

fn collect_names(
    block: &fxyaml::Block,
    path: &str,
    seen: &mut HashMap<String, (String, usize)>,
    place: &Place<'_>,
    findings: &mut Vec<Finding>,
) {
    match seen.get(&block.name) {
        Some((first_file, first_line)) => findings.push(place.finding(
            path,
            &format!(
                "control name '{}' is already used at {}:{first_line}",
                block.name,
                place.name_of(first_file)
            ),
            Some((block.line, block.column.max(1))),
        )),
        None => {
            seen.insert(block.name.clone(), (path.to_string(), block.line));
        }
    }
    for child in &block.children {
        collect_names(child, path, seen, place, findings);
    }
}

// ---- repository ------------------------------------------------------------------------------

struct Repository {
    top: PathBuf,
    git_dir: PathBuf,
}

fn repository(git: &Git) -> Result<Option<Repository>> {
    let Some(top) = git.work_tree_top()? else {
        return Ok(None);
    };
    let git_dir = git.run(["rev-parse", "--absolute-git-dir"])?;
    Ok(Some(Repository {
        top,
        git_dir: PathBuf::from(git_dir.trim_end_matches(['\n', '\r'])),
    }))
}

/// `path` relative to the work tree top, `/`-separated; `None` outside it.
fn repo_relative(top: &Path, path: &Path) -> Option<String> {
    let top = fs::canonicalize(top).ok()?;
    let path = fs::canonicalize(path).ok()?;
    let rel = path.strip_prefix(&top).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// A finding per unresolved conflict of each checked path (`(repo-relative, shown name)`).
fn report_records(git_dir: &Path, checked: &[(String, String)], findings: &mut Vec<Finding>) {
    let records = match read_records(git_dir) {
        Ok(records) => records,
        Err(e) => {
            findings.push(Finding {
                file: git_dir.join(CONFLICTS_DIR).display().to_string(),
                what: format!("cannot read the recorded merge conflicts: {e}"),
                at: None,
            });
            return;
        }
    };
    for (_, record) in records {
        let Some((rel, shown)) = checked.iter().find(|(rel, _)| {
            rel == "." || record.path == *rel || record.path.starts_with(&format!("{rel}/"))
        }) else {
            continue;
        };
        let when = if record.created.is_empty() {
            String::new()
        } else {
            format!(" ({})", record.created)
        };
        // A record of a file inside a tree names that file.
        let inner = if rel == "." {
            Some(record.path.as_str())
        } else {
            record
                .path
                .strip_prefix(rel.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
        };
        let file = match inner {
            Some(inner) if !inner.is_empty() => {
                format!("{}/{inner}", shown.trim_end_matches('/'))
            }
            _ => shown.clone(),
        };
        if record.conflicts.is_empty() {
            findings.push(Finding {
                file,
                what: format!("unresolved merge conflict recorded{when}"),
                at: None,
            });
        } else {
            for conflict in &record.conflicts {
                findings.push(Finding {
                    file: file.clone(),
                    what: format!("unresolved merge conflict: {conflict}{when}"),
                    at: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_where_git_and_formulas_put_them() {
        let text = "a\n<<<<<<< ours\nx\n||||||| base\n=======\ny\n>>>>>>> theirs\nb\n";
        assert_eq!(conflict_markers(text), vec![(2, 1, "<<<<<<<")]);
        let indented =
            "    Text: |\n        <<<<<<<<< HEAD\r\n        =========\n        >>>>>>>>>\n";
        assert_eq!(conflict_markers(indented), vec![(2, 9, "<<<<<<<")]);
        assert_eq!(
            conflict_markers("x\n=======\n>>>>>>> theirs\n"),
            vec![(2, 1, "======="), (3, 1, ">>>>>>>")]
        );
        for innocent in [
            "<<<<<< six\n",
            "<<<<<<<no space\n",
            "======= text\n",
            "a <<<<<<< b\n",
            "Text: =\"<<<<<<< \"\n",
        ] {
            assert!(conflict_markers(innocent).is_empty(), "{innocent:?}");
        }
    }

    #[test]
    fn records_round_trip_and_are_removed_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let git_dir = dir.path();
        assert!(read_records(git_dir).unwrap().is_empty());
        let record = ConflictRecord {
            path: "apps/Sales.msapp".into(),
            created: "merging feature".into(),
            conflicts: vec!["Screen1.Label1.Text changed on both sides".into()],
        };
        let file = write_record(git_dir, &record).unwrap();
        assert_eq!(file, record_path(git_dir, "apps/Sales.msapp"));
        assert!(file.starts_with(git_dir.join(CONFLICTS_DIR)));
        assert_ne!(
            record_path(git_dir, "apps/Sales.msapp"),
            record_path(git_dir, "apps_Sales.msapp")
        );
        let other = ConflictRecord {
            path: "Other.msapp".into(),
            ..ConflictRecord::default()
        };
        write_record(git_dir, &other).unwrap();
        let read: Vec<ConflictRecord> = read_records(git_dir)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(read.len(), 2);
        assert!(read.contains(&record) && read.contains(&other));

        // Records written under another name by someone else count too.
        let text = r#"{"path": ".\\apps\\Sales.msapp", "extra": 1}"#;
        fs::write(git_dir.join(CONFLICTS_DIR).join("by-hand.json"), text).unwrap();
        assert_eq!(read_records(git_dir).unwrap().len(), 3);
        assert!(remove_record(git_dir, "apps/Sales.msapp").unwrap());
        assert!(!remove_record(git_dir, "apps/Sales.msapp").unwrap());
        let left = read_records(git_dir).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1, other);
    }

    #[test]
    fn malformed_records_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join(CONFLICTS_DIR);
        fs::create_dir_all(&records).unwrap();
        for (name, text) in [
            ("a.json", "{"),
            ("b.json", "[]"),
            ("c.json", r#"{"path": ""}"#),
            ("d.json", r#"{"path": "x", "conflicts": [1]}"#),
            ("e.json", r#"{"path": "x", "version": 2}"#),
        ] {
            let file = records.join(name);
            fs::write(&file, text).unwrap();
            let err = read_records(dir.path()).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
            fs::remove_file(&file).unwrap();
        }
        fs::write(records.join("notes.txt"), "ignored").unwrap();
        assert!(read_records(dir.path()).unwrap().is_empty());
    }
}
