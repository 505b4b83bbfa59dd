//! The merge driver as git calls it, and `resolve`: where the conflict workspace lives, how
//! labels arrive, and writing results without ever leaving a half-written file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::check::{ConflictRecord, remove_record, write_record};
use crate::error::{Error, Result};
use crate::fsio;
use crate::json::{self, Json, Object};
use crate::merge::app::merge_apps;
use crate::merge::file::{FileKind, merge_one_file};
use crate::merge::report;
use crate::merge::text::{Labels, TextMergeOptions};
use crate::merge::tree::MergeOptions;
use crate::source::names::escape_filename;

/// What `msapp-merge merge` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct MergeRequest {
    pub base: PathBuf,
    pub ours: PathBuf,
    pub theirs: PathBuf,
    /// Where to write; `None` writes over `ours` (git's contract).
    pub out: Option<PathBuf>,
    /// The path in the repository (`%P`), for messages and the workspace name.
    pub path: Option<String>,
    pub marker_size: Option<usize>,
    pub base_label: Option<String>,
    pub ours_label: Option<String>,
    pub theirs_label: Option<String>,
    /// Always merge through the unpacked model (diagnosis and benchmarks).
    pub model_only: bool,
}

/// What happened, for the caller to print and turn into an exit code.
#[derive(Debug)]
pub struct MergeOutcome {
    pub conflicts: usize,
    /// Summary and notes for stderr (empty when clean and nothing to note).
    pub report: String,
    pub workspace: Option<PathBuf>,
}

/// Git older than 2.44 passes `%S`, `%X`, `%Y` through literally; treat those as absent.
fn label(given: &Option<String>, placeholder: &str, default: &str) -> String {
    match given.as_deref() {
        None | Some("") => default.to_string(),
        Some(l) if l == placeholder => default.to_string(),
        Some(l) => l.to_string(),
    }
}

fn options(req: &MergeRequest) -> (Labels, MergeOptions) {
    let labels = Labels {
        base: label(&req.base_label, "%S", "base"),
        ours: label(&req.ours_label, "%X", "ours"),
        theirs: label(&req.theirs_label, "%Y", "theirs"),
    };
    let opts = MergeOptions {
        text: TextMergeOptions {
            labels: labels.clone(),
            marker_size: req.marker_size.unwrap_or(7),
            ..TextMergeOptions::default()
        },
        model_only: req.model_only,
        checksum_cache: None,
        sides_in_turn: false,
        batch_bytes: None,
    };
    (labels, opts)
}

/// `merge-file`: one file of a committed tree. The result (with conflict markers in formulas
/// when the sides clash) goes over OURS like any git merge driver's.
pub fn run_merge_file(kind: FileKind, req: &MergeRequest) -> Result<MergeOutcome> {
    let (labels, opts) = options(req);
    let base = fsio::read_file(&req.base)?;
    let ours = fsio::read_file(&req.ours)?;
    let theirs = fsio::read_file(&req.theirs)?;
    let display = req
        .path
        .clone()
        .unwrap_or_else(|| req.ours.display().to_string());
    let result = merge_one_file(kind, &display, &base, &ours, &theirs, &opts)?;
    let out = req.out.clone().unwrap_or_else(|| req.ours.clone());
    match &result.bytes {
        Some(bytes) if *bytes != ours || req.out.is_some() => fsio::write_atomic(&out, bytes)?,
        Some(_) => {}
        // Deleted on the side that wins: git expects the file's content; an empty result
        // with a conflict lets the user decide.
        None => fsio::write_atomic(&out, b"")?,
    }
    let outcome = match kind {
        FileKind::FxYaml => "conflict markers in the formulas",
        _ => "ours kept",
    };
    let mut text = report::render(&display, &result.conflicts, &result.notes, &labels, outcome);
    if kind == FileKind::Strict && !result.conflicts.is_empty() {
        text.push_str(&format!(
            "msapp-merge: refusing to merge conflicting changes in {display}: data sources, packages, connections and the manifest are never merged automatically; ours is kept, choose with `git checkout --ours/--theirs -- {}`\n",
            shell_quote(&display)
        ));
    }
    Ok(MergeOutcome {
        conflicts: result.conflicts.len(),
        report: text,
        workspace: None,
    })
}

pub fn run_merge(req: &MergeRequest) -> Result<MergeOutcome> {
    let (labels, mut opts) = options(req);
    // Only when run by git (%P given): a manual merge does not write into some repository.
    opts.checksum_cache = req
        .path
        .as_ref()
        .and_then(|_| crate::git::cache_git_dir())
        .map(|dir| dir.join("msapp-merge").join("checksum-values"));
    let base = fsio::read_file(&req.base)?;
    let ours = fsio::read_file(&req.ours)?;
    let theirs = fsio::read_file(&req.theirs)?;
    let out = req.out.clone().unwrap_or_else(|| req.ours.clone());
    let display = req
        .path
        .clone()
        .unwrap_or_else(|| out.display().to_string());
    let result = merge_apps(&base, &ours, &theirs, &opts).map_err(|e| in_app(e, &display))?;
    if std::env::var_os("MSAPP_MERGE_TRACE").is_some() {
        eprintln!("msapp-merge: {display}: {}", result.strategy);
    }

    let workspace = if result.is_clean() {
        None
    } else {
        let dir = workspace_dir(req.path.as_deref(), &out)?;
        write_workspace(
            &dir,
            &result.workspace,
            &display,
            &result,
            &labels,
            [&base, &ours, &theirs],
        )?;
        // `check` refuses the app until `resolve` removes this record.
        if let (Some(path), Some(git_dir)) = (req.path.as_deref(), git_dir_of_run()) {
            let record = ConflictRecord {
                path: path.to_string(),
                created: format!("merge of {} into {}", labels.theirs, labels.ours),
                conflicts: result
                    .conflicts
                    .iter()
                    .map(|c| format!("{}: {}", c.at, c.kind))
                    .collect(),
            };
            write_record(&git_dir, &record)?;
        }
        Some(dir)
    };
    // The app last: until here nothing of the user's changed.
    if result.merged != ours || req.out.is_some() {
        if req.path.is_some() {
            // Run by git: it reads the result back from its own temp file and stores it
            // itself, so waiting for the disk here only delays the merge.
            fsio::write_atomic_unsynced(&out, &result.merged)?;
        } else {
            fsio::write_atomic(&out, &result.merged)?;
        }
    }
    let mut text = report::render(
        &display,
        &result.conflicts,
        &result.notes,
        &labels,
        "the app keeps ours at each",
    );
    if let Some(dir) = &workspace {
        // Clashes of whole controls or of orders have no formula to put markers in.
        let edit = if markers_in(&result.workspace).is_empty() {
            format!(
                "the workspace {}/tree holds ours at each conflict (no conflict markers: whole controls or orders clash); change it if needed",
                dir.display()
            )
        } else {
            format!("edit the conflict markers in {}/tree/Src", dir.display())
        };
        text.push_str(&format!(
            "  to resolve: {edit}, then run: msapp-merge resolve {}\n  (or msapp-merge resolve --ours / --theirs {})\n",
            shell_quote(&display),
            shell_quote(&display)
        ));
    }
    Ok(MergeOutcome {
        conflicts: result.conflicts.len(),
        report: text,
        workspace,
    })
}

/// Merge errors name the side ("theirs (feature)"); git's temporary files mean nothing to
/// the user, so the app's path in the repository goes first.
fn in_app(e: Error, display: &str) -> Error {
    match e {
        Error::BadInput { file, message } => Error::BadInput {
            file: format!("{display}: {file}"),
            message,
        },
        Error::Invalid { file, message } => Error::Invalid {
            file: format!("{display}: {file}"),
            message,
        },
        other => other,
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The repository git is merging in: `$GIT_DIR` as git exports it to drivers, else the one
/// around the current directory.
fn git_dir_of_run() -> Option<PathBuf> {
    std::env::var_os("GIT_DIR")
        .map(PathBuf::from)
        .or_else(git_dir_here)
}

/// `$GIT_DIR/msapp-merge/<path>` when run by git, else `<out>.msapp-merge` next to the output.
fn workspace_dir(path: Option<&str>, out: &Path) -> Result<PathBuf> {
    if let (Some(path), Some(git_dir)) = (path, git_dir_of_run()) {
        return Ok(git_dir.join("msapp-merge").join(escape_filename(path)));
    }
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".msapp-merge");
    Ok(out.with_file_name(name))
}

fn git_dir_here() -> Option<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--absolute-git-dir"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(s.trim_end_matches(['\n', '\r'])))
}

/// The record kept next to the workspace tree (read by `resolve` and `check`).
pub const RECORD_FILE: &str = "conflict.json";

fn write_workspace(
    dir: &Path,
    tree: &crate::source::SourceTree,
    display: &str,
    result: &crate::merge::app::AppMerge,
    labels: &Labels,
    inputs: [&[u8]; 3],
) -> Result<()> {
    fsio::write_tree(&dir.join("tree"), tree)?;
    let inputs_dir = dir.join("inputs");
    std::fs::create_dir_all(&inputs_dir).map_err(|e| Error::io(&inputs_dir, e))?;
    for (name, bytes) in ["base.msapp", "ours.msapp", "theirs.msapp"]
        .iter()
        .zip(inputs)
    {
        fsio::write_atomic(&inputs_dir.join(name), bytes)?;
    }
    let mut record = Object::new();
    record.insert("Path", Json::str(display));
    let mut l = Object::new();
    l.insert("Base", Json::str(&labels.base));
    l.insert("Ours", Json::str(&labels.ours));
    l.insert("Theirs", Json::str(&labels.theirs));
    record.insert("Labels", Json::Object(l));
    record.insert(
        "Conflicts",
        Json::Array(
            result
                .conflicts
                .iter()
                .map(|c| Json::str(format!("{}: {}", c.at, c.kind)))
                .collect(),
        ),
    );
    fsio::write_atomic(
        &dir.join(RECORD_FILE),
        json::to_normalized_string(&Json::Object(record)).as_bytes(),
    )
}

/// How `resolve` settles a conflicted app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Pack the edited workspace.
    Workspace,
    /// Ours at every conflict (what the merge already wrote).
    Ours,
    /// Theirs at every conflict.
    Theirs,
}

/// The repository-relative form of a path the user typed, with the repository's git dir.
fn repo_path_of(path: &Path) -> Option<(PathBuf, String)> {
    let git_dir = git_dir_here()?;
    let prefix = Command::new("git")
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
        .unwrap_or_default();
    let rel = format!("{prefix}{}", path.display()).replace('\\', "/");
    Some((git_dir, rel.trim_start_matches("./").to_string()))
}

/// Finds the workspace of `path` (as given by the user, relative to the current directory).
pub fn find_workspace(path: &Path) -> Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(git_dir) = git_dir_here() {
        let prefix = Command::new("git")
            .args(["rev-parse", "--show-prefix"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
            .unwrap_or_default();
        let rel = format!("{prefix}{}", path.display()).replace('\\', "/");
        let rel = rel.trim_start_matches("./").to_string();
        candidates.push(git_dir.join("msapp-merge").join(escape_filename(&rel)));
    }
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".msapp-merge");
    candidates.push(path.with_file_name(name));
    candidates
        .into_iter()
        .find(|c| c.join(RECORD_FILE).is_file())
        .ok_or_else(|| {
            Error::Refused(format!(
                "{}: no recorded merge conflict (nothing to resolve)",
                path.display()
            ))
        })
}

pub use crate::merge::app::markers_in;

/// Refuses to settle a conflict git no longer has. After `git merge --abort`, or a merge
/// finished without `resolve`, the workspace stays behind; packing it would put a stale result
/// over the app. Outside git, or when git cannot tell, nothing is refused.
pub fn ensure_still_conflicted(path: &Path) -> Result<()> {
    let dir = find_workspace(path)?;
    let Some(git_dir) = git_dir_here() else {
        return Ok(());
    };
    if !dir.starts_with(git_dir.join("msapp-merge")) {
        return Ok(());
    }
    let unmerged = Command::new("git")
        .args(["--literal-pathspecs", "ls-files", "-u", "-z", "--"])
        .arg(path)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| !o.stdout.is_empty());
    if unmerged == Some(false) {
        return Err(Error::Refused(format!(
            "{}: git has no conflict recorded for it (the merge was aborted, or finished without `msapp-merge resolve`); the workspace {} is left over: delete it, or pass --force to use it anyway",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Settles a conflicted app and removes its workspace.
pub fn resolve(path: &Path, how: Resolution) -> Result<()> {
    let dir = find_workspace(path)?;
    let bytes = match how {
        Resolution::Ours => None,
        Resolution::Theirs => {
            let read = |n: &str| fsio::read_file(&dir.join("inputs").join(n));
            let (base, ours, theirs) = (
                read("base.msapp")?,
                read("ours.msapp")?,
                read("theirs.msapp")?,
            );
            // Merging with the sides swapped keeps theirs at every conflict and still
            // applies ours' one-sided changes.
            let swapped = merge_apps(&base, &theirs, &ours, &MergeOptions::default())?;
            Some(swapped.merged)
        }
        Resolution::Workspace => {
            let tree = fsio::read_tree(&dir.join("tree"))?;
            let left = markers_in(&tree);
            if !left.is_empty() {
                return Err(Error::Refused(format!(
                    "conflict markers are still in the workspace: {} (in {})",
                    left.join(", "),
                    dir.join("tree").display()
                )));
            }
            let (app, _) = crate::app::pack_tree(&tree)?;
            Some(crate::app::msapp_bytes(&app)?)
        }
    };
    if let Some(bytes) = bytes {
        fsio::write_atomic(path, &bytes)?;
    }
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    if let Some((git_dir, rel)) = repo_path_of(path) {
        remove_record(&git_dir, &rel)?;
    }
    Ok(())
}
