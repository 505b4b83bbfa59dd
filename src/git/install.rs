//! `install` and `uninstall`: write (or remove) the driver definitions in one config scope, the
//! `.gitattributes` routing in the current repository, and optionally the pre-push hook.
//!
//! Install is idempotent and never replaces a value it did not write unless forced; uninstall
//! removes only values msapp-merge writes (recognised by value, see [`config::Entry::is_ours`]),
//! so a key the user changed stays.
//!
//! The program written into commands is, in this order: `--command-name` as given; the bare name
//! `msapp-merge` when git's shell finds this very executable on the PATH; otherwise the absolute
//! path of the running executable, quoted for sh (forward slashes on Windows).

use std::fmt;
use std::path::{Path, PathBuf};

use super::attributes::{self, AttrValue};
use super::config::{self, Entry};
use super::hooks::{self, Hook, HookState};
use super::{Git, GitVersion, Scope};
use crate::error::{Error, Result};

/// What `install` should do.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    pub scope: Scope,
    /// Replace values (and a hook) msapp-merge did not write.
    pub force: bool,
    /// Program to write into commands instead of the detected one.
    pub program: Option<String>,
    /// Leave the current repository alone (no `.gitattributes`, no hook).
    pub skip_repo: bool,
    /// Also route the files of committed unpacked trees (per-file drivers).
    pub trees: bool,
    pub hook: Option<Hook>,
}

/// What `uninstall` should do.
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    pub scope: Scope,
    /// Also remove keys whose values msapp-merge did not write.
    pub force: bool,
    /// Program recognised as ours besides any `msapp-merge` binary.
    pub program: Option<String>,
    /// Leave the current repository alone (no `.gitattributes`, no hook).
    pub skip_repo: bool,
}

/// One thing install or uninstall did (or deliberately did not do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ConfigSet {
        key: String,
        value: String,
    },
    ConfigUnchanged {
        key: String,
    },
    /// A value written by an earlier msapp-merge install was brought up to date.
    ConfigUpgraded {
        key: String,
        old: String,
        new: String,
    },
    /// A value msapp-merge did not write was left alone.
    ConfigForeignKept {
        key: String,
        value: String,
    },
    /// A value msapp-merge did not write was replaced or removed (`--force`).
    ConfigForeignReplaced {
        key: String,
        old: String,
    },
    ConfigRemoved {
        key: String,
    },
    AttributesAdded {
        file: PathBuf,
        lines: Vec<String>,
    },
    AttributesPresent {
        file: PathBuf,
    },
    AttributesRemoved {
        file: PathBuf,
        lines: Vec<String>,
    },
    AttributesFileDeleted {
        file: PathBuf,
    },
    Hook {
        path: PathBuf,
        state: HookState,
    },
}

impl Change {
    /// Whether this change left something undone because it was not ours to change.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Change::ConfigForeignKept { .. }
                | Change::Hook {
                    state: HookState::ForeignKept,
                    ..
                }
        )
    }
}

fn shown(value: &str) -> String {
    value.replace('\n', "\\n").replace('\t', "\\t")
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::ConfigSet { key, value } => write!(f, "set {key} = {}", shown(value)),
            Change::ConfigUnchanged { key } => write!(f, "{key} already set"),
            Change::ConfigUpgraded { key, old, new } => {
                write!(f, "updated {key} from {} to {}", shown(old), shown(new))
            }
            Change::ConfigForeignKept { key, value } => write!(
                f,
                "left {key} = {} alone: msapp-merge did not write it (--force to replace)",
                shown(value)
            ),
            Change::ConfigForeignReplaced { key, old } => {
                write!(f, "replaced {key} (was {}) because of --force", shown(old))
            }
            Change::ConfigRemoved { key } => write!(f, "removed {key}"),
            Change::AttributesAdded { file, lines } => {
                write!(f, "added to {}: {}", file.display(), lines.join(" | "))
            }
            Change::AttributesPresent { file } => {
                write!(f, "{} already routes apps to msapp-merge", file.display())
            }
            Change::AttributesRemoved { file, lines } => {
                write!(f, "removed from {}: {}", file.display(), lines.join(" | "))
            }
            Change::AttributesFileDeleted { file } => {
                write!(
                    f,
                    "deleted {} (it held only msapp-merge lines)",
                    file.display()
                )
            }
            Change::Hook { path, state } => {
                let path = path.display();
                match state {
                    HookState::Written => write!(f, "wrote hook {path}"),
                    HookState::Unchanged => write!(f, "hook {path} already installed"),
                    HookState::ForeignKept => write!(
                        f,
                        "left hook {path} alone: msapp-merge did not write it (--force to replace, or call `msapp-merge check` from it)"
                    ),
                    HookState::ForeignReplaced => {
                        write!(f, "replaced hook {path} because of --force")
                    }
                    HookState::Removed => write!(f, "removed hook {path}"),
                    HookState::Absent => write!(f, "no hook {path}"),
                }
            }
        }
    }
}

/// The outcome of install or uninstall.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The program written into (or recognised in) commands.
    pub program: String,
    pub changes: Vec<Change>,
    /// Things the user should know that did not stop the operation.
    pub warnings: Vec<String>,
}

impl Report {
    /// How many things were left undone because they were not ours.
    pub fn refusals(&self) -> usize {
        self.changes.iter().filter(|c| c.is_refusal()).count()
    }
}

/// Chooses the program written into driver commands (see the module docs).
pub fn resolve_program(git: &Git, explicit: Option<&str>) -> Result<String> {
    if let Some(program) = explicit {
        if program.trim().is_empty() {
            return Err(Error::Refused("--command-name must not be empty".into()));
        }
        return Ok(program.to_string());
    }
    let exe =
        std::env::current_exe().map_err(|e| Error::io(PathBuf::from("current executable"), e))?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    if let Some(found) = git.command_v("msapp-merge")? {
        let found = PathBuf::from(found);
        if found.is_absolute() && std::fs::canonicalize(&found).ok().as_ref() == Some(&exe) {
            return Ok("msapp-merge".to_string());
        }
    }
    path_for_sh(&exe)
}

/// A path as sh on every platform reads it: Windows' verbatim prefix dropped, forward slashes.
fn path_for_sh(path: &Path) -> Result<String> {
    let text = path.to_str().ok_or_else(|| {
        Error::Refused(format!(
            "the path of this executable is not valid UTF-8 ({}); pass --command-name",
            path.display()
        ))
    })?;
    if cfg!(windows) {
        let text = text.strip_prefix(r"\\?\").unwrap_or(text);
        Ok(text.replace('\\', "/"))
    } else {
        Ok(text.to_string())
    }
}

fn require_work_tree(top: &Option<PathBuf>, what: &str) -> Result<PathBuf> {
    top.clone().ok_or_else(|| {
        Error::Refused(format!(
            "{what} needs a git work tree: run it inside a repository"
        ))
    })
}

/// A git running at the top of the work tree, where `check-attr` paths are relative to.
fn at_top(git: &Git, top: &Path) -> Git {
    git.at(top)
}

/// Registers the drivers, routes apps in the current repository, and writes the hook if asked.
pub fn install(git: &Git, options: &InstallOptions) -> Result<Report> {
    let version = git.version()?;
    let top = git.work_tree_top()?;
    if options.scope == Scope::Local {
        require_work_tree(&top, "--local")?;
    }
    if options.hook.is_some() {
        require_work_tree(&top, "--hook")?;
    }
    if options.trees && !options.skip_repo {
        require_work_tree(&top, "--trees")?;
    }
    if let (Some(top), false) = (&top, options.skip_repo) {
        attributes::check_readable(&top.join(".gitattributes"))?;
    }
    let program = resolve_program(git, options.program.as_deref())?;
    let mut report = Report {
        program: program.clone(),
        ..Report::default()
    };
    if version < GitVersion::LABELS {
        report.warnings.push(format!(
            "git {version} does not expand %S %X %Y (git 2.44 does): merges will run without branch labels"
        ));
    }

    let entries = config::planned_entries(&program);
    for entry in &entries {
        let change = install_entry(git, options, entry, &program)?;
        report.changes.push(change);
    }
    if !matches!(options.scope, Scope::File(_)) {
        report.warnings.extend(shadowed(git, &entries, &program)?);
    }

    if let (Some(top), false) = (&top, options.skip_repo) {
        let file = top.join(".gitattributes");
        let mut lines = vec![attributes::app_line()];
        if options.trees {
            lines.extend(attributes::tree_lines());
        }
        let added = attributes::add_lines(&file, &lines)?;
        report.changes.push(if added.is_empty() {
            Change::AttributesPresent { file }
        } else {
            Change::AttributesAdded { file, lines: added }
        });
        report.warnings.extend(lfs_warning(&at_top(git, top))?);
        if let Some(hook) = options.hook {
            let path = git.hook_path(hook.file_name())?;
            let state = hooks::write(&path, &program, options.force)?;
            report.changes.push(Change::Hook { path, state });
        }
    }
    Ok(report)
}

fn install_entry(
    git: &Git,
    options: &InstallOptions,
    entry: &Entry,
    program: &str,
) -> Result<Change> {
    let scope = &options.scope;
    let current = config::get_all(git, scope, &entry.key)?;
    let key = entry.key.clone();
    if current.is_empty() {
        config::set(git, scope, &entry.key, &entry.value)?;
        return Ok(Change::ConfigSet {
            key,
            value: entry.value.clone(),
        });
    }
    if current.len() == 1 && current.first() == Some(&entry.value) {
        return Ok(Change::ConfigUnchanged { key });
    }
    let old = current.join(", ");
    if current.iter().all(|v| entry.is_ours(v, program)) {
        config::set(git, scope, &entry.key, &entry.value)?;
        return Ok(Change::ConfigUpgraded {
            key,
            old,
            new: entry.value.clone(),
        });
    }
    if options.force {
        config::set(git, scope, &entry.key, &entry.value)?;
        return Ok(Change::ConfigForeignReplaced { key, old });
    }
    Ok(Change::ConfigForeignKept { key, value: old })
}

/// Keys whose effective value (all scopes together) is not ours: another scope overrides it.
fn shadowed(git: &Git, entries: &[Entry], program: &str) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for entry in entries {
        let values = config::effective_with_origin(git, &entry.key)?;
        if let Some((origin, value)) = values.last()
            && !entry.is_ours(value, program)
        {
            warnings.push(format!(
                "{} is overridden by {origin}: {}",
                entry.key,
                shown(value)
            ));
        }
    }
    Ok(warnings)
}

fn lfs_warning(git_at_top: &Git) -> Result<Option<String>> {
    let answers = attributes::check_attr(git_at_top, &["filter"], &["App.msapp"])?;
    let filter = attributes::lookup(&answers, "App.msapp", "filter");
    Ok((filter == &AttrValue::Value("lfs".into())).then(|| {
        "*.msapp is tracked by git-lfs (filter=lfs): the merge driver would receive LFS pointers, not apps; untrack apps from LFS to merge them".to_string()
    }))
}

/// Removes what install writes: our values in the scope (others only with `force`), then our
/// `.gitattributes` lines and hook in the current repository.
pub fn uninstall(git: &Git, options: &UninstallOptions) -> Result<Report> {
    let top = git.work_tree_top()?;
    if options.scope == Scope::Local {
        require_work_tree(&top, "--local")?;
    }
    let program = resolve_program(git, options.program.as_deref())?;
    let mut report = Report {
        program: program.clone(),
        ..Report::default()
    };
    let scope = &options.scope;
    for entry in config::planned_entries(&program) {
        let current = config::get_all(git, scope, &entry.key)?;
        if current.is_empty() {
            continue;
        }
        let key = entry.key.clone();
        let old = current.join(", ");
        if current.iter().all(|v| entry.is_ours(v, &program)) {
            config::unset_all(git, scope, &entry.key)?;
            report.changes.push(Change::ConfigRemoved { key });
        } else if options.force {
            config::unset_all(git, scope, &entry.key)?;
            report
                .changes
                .push(Change::ConfigForeignReplaced { key, old });
        } else {
            report
                .changes
                .push(Change::ConfigForeignKept { key, value: old });
        }
    }
    for section in config::sections() {
        config::remove_section_if_empty(git, scope, &section)?;
        let left = config::keys_in_section(git, scope, &section)?;
        let unreported: Vec<&String> = left
            .iter()
            .filter(|key| {
                !report.changes.iter().any(|c| {
                    matches!(c, Change::ConfigForeignKept { key: k, .. } if k.eq_ignore_ascii_case(key))
                })
            })
            .collect();
        if !unreported.is_empty() {
            report.warnings.push(format!(
                "{} still holds keys msapp-merge never writes: {}",
                scope.describe(),
                unreported
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    if let (Some(top), false) = (&top, options.skip_repo) {
        let file = top.join(".gitattributes");
        let mut lines = vec![attributes::app_line()];
        lines.extend(attributes::tree_lines());
        let removal = attributes::remove_lines(&file, &lines)?;
        if !removal.removed.is_empty() {
            report.changes.push(if removal.deleted_file {
                Change::AttributesFileDeleted { file }
            } else {
                Change::AttributesRemoved {
                    file,
                    lines: removal.removed,
                }
            });
        }
        for hook in Hook::ALL {
            let path = git.hook_path(hook.file_name())?;
            // Only a hook we wrote goes; any other is the user's, whatever --force says.
            if hooks::remove(&path, &program)? == HookState::Removed {
                report.changes.push(Change::Hook {
                    path,
                    state: HookState::Removed,
                });
            }
        }
    }
    Ok(report)
}
