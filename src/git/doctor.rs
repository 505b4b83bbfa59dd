//! `doctor`: what git will really do with an app here. Git falls back silently when a driver
//! named in `.gitattributes` is not configured, when another scope overrides ours, when the
//! program is not on the PATH git's shell sees, or when LFS owns the path, so each of these is
//! checked the way git resolves it (effective config, `check-attr`, git's own shell).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::attributes::{self, AttrValue};
use super::config::{self, APP_DRIVER, Entry, MARKER_KEY, TreeKind};
use super::install::{self, InstallOptions};
use super::{Git, GitVersion, Scope};
use crate::error::{Error, Result};

/// How much a doctor line matters. `Warning` and `Problem` are findings (exit status 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Info,
    Warning,
    Problem,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Problem => "problem",
        }
    }
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            severity,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<7} {}", self.severity.label(), self.message)
    }
}

/// Every line the doctor printed, in order.
#[derive(Debug, Clone, Default)]
pub struct DoctorReport {
    pub lines: Vec<Finding>,
}

impl DoctorReport {
    /// Lines that need the user's attention.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.lines
            .iter()
            .filter(|l| l.severity >= Severity::Warning)
    }

    pub fn has_findings(&self) -> bool {
        self.findings().next().is_some()
    }

    fn push(&mut self, severity: Severity, message: impl Into<String>) {
        self.lines.push(Finding::new(severity, message));
    }
}

/// What the doctor should check besides configuration.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// Program recognised as ours besides any `msapp-merge` binary (`--command-name`).
    pub program: Option<String>,
    /// Inputs for the end-to-end merge and diff in a temporary repository; skipped when `None`.
    pub proof: Option<ProofFixture>,
}

/// Paths probed with `check-attr`: lower, upper and mixed case, a space and non-ASCII.
const APP_PROBES: [&str; 3] = ["App.msapp", "APP.MSAPP", "dir with space/Äpp.MsApp"];

/// Runs every check from `git`'s directory.
pub fn doctor(git: &Git, options: &DoctorOptions) -> Result<DoctorReport> {
    let mut report = DoctorReport::default();
    check_version(git, &mut report)?;
    let program = install::resolve_program(git, options.program.as_deref())?;
    let entries = config::planned_entries(&program);
    check_config(git, &entries, &program, &mut report)?;
    check_programs(git, &entries, &mut report)?;
    match git.work_tree_top()? {
        Some(top) => check_attributes(&git.at(&top), &mut report)?,
        None => report.push(
            Severity::Info,
            "not inside a git work tree: .gitattributes checks skipped",
        ),
    }
    if let Some(fixture) = &options.proof {
        let program = effective_program(git, &entries)?.unwrap_or(program);
        if supports_merge(git, &program) {
            report
                .lines
                .extend(prove_merge_and_diff(git, &program, fixture)?);
        } else {
            report.push(
                Severity::Info,
                format!("`{program} merge` is not available: real merge test skipped"),
            );
        }
    }
    Ok(report)
}

fn check_version(git: &Git, report: &mut DoctorReport) -> Result<()> {
    let version = git.version()?;
    if version < GitVersion::PATH_PLACEHOLDER {
        report.push(
            Severity::Problem,
            format!("git {version} is too old: merge drivers need %P (git 2.5)"),
        );
    } else if version < GitVersion::LABELS {
        report.push(
            Severity::Warning,
            format!(
                "git {version} does not pass branch labels (%S %X %Y need git 2.44): conflicts will say ours/theirs only"
            ),
        );
    } else {
        report.push(Severity::Ok, format!("git {version}"));
    }
    Ok(())
}

fn last_value(values: &[(String, String)]) -> Option<&(String, String)> {
    values.last()
}

fn is_required(entry: &Entry) -> bool {
    entry.key == format!("merge.{APP_DRIVER}.driver")
        || entry.key == format!("diff.{APP_DRIVER}.textconv")
}

fn check_config(
    git: &Git,
    entries: &[Entry],
    program: &str,
    report: &mut DoctorReport,
) -> Result<()> {
    let mut ours = 0usize;
    let mut missing = Vec::new();
    for entry in entries {
        let values = config::effective_with_origin(git, &entry.key)?;
        if entry.key == MARKER_KEY {
            if let Some((origin, value)) = last_value(&values) {
                report.push(Severity::Info, format!("installed by {value} ({origin})"));
            }
            continue;
        }
        match last_value(&values) {
            None if is_required(entry) => report.push(
                Severity::Problem,
                format!(
                    "{} is not configured: git merges and diffs apps as opaque binaries (run `msapp-merge install`)",
                    entry.key
                ),
            ),
            None => missing.push(entry.key.clone()),
            Some((origin, value)) if entry.is_outdated(value, program) => report.push(
                Severity::Warning,
                format!(
                    "{} = {value} ({origin}) was written by an earlier msapp-merge whose diff text differs: run `msapp-merge install` again, so git renders apps afresh instead of mixing cached old texts with new ones",
                    entry.key
                ),
            ),
            Some((_, value)) if entry.is_ours(value, program) => ours += 1,
            Some((origin, value)) if entry.is_command() => report.push(
                Severity::Warning,
                format!(
                    "{} = {value} ({origin}) is not msapp-merge's command{}",
                    entry.key,
                    if values.len() > 1 {
                        ", and it overrides another value"
                    } else {
                        ""
                    }
                ),
            ),
            Some((origin, value)) => report.push(
                Severity::Info,
                format!(
                    "{} = {} ({origin}) differs from msapp-merge's value",
                    entry.key,
                    value.replace('\n', "\\n")
                ),
            ),
        }
    }
    if !missing.is_empty() {
        report.push(
            Severity::Warning,
            format!(
                "not configured: {} (run `msapp-merge install`)",
                missing.join(", ")
            ),
        );
    }
    if ours > 0 {
        report.push(
            Severity::Ok,
            format!("{ours} driver settings hold msapp-merge's values"),
        );
    }
    Ok(())
}

/// The program of the effective app merge driver, when one is configured.
fn effective_program(git: &Git, entries: &[Entry]) -> Result<Option<String>> {
    let Some(driver) = entries
        .iter()
        .find(|e| e.key == format!("merge.{APP_DRIVER}.driver"))
    else {
        return Ok(None);
    };
    let values = config::effective_with_origin(git, &driver.key)?;
    Ok(last_value(&values).and_then(|(_, v)| driver.program_of(v)))
}

fn check_programs(git: &Git, entries: &[Entry], report: &mut DoctorReport) -> Result<()> {
    let mut seen = BTreeSet::new();
    for entry in entries.iter().filter(|e| e.is_command()) {
        let values = config::effective_with_origin(git, &entry.key)?;
        let Some(program) = last_value(&values).and_then(|(_, v)| entry.program_of(v)) else {
            continue;
        };
        if !seen.insert(program.clone()) {
            continue;
        }
        match git.command_v(&program)? {
            Some(found) => report.push(
                Severity::Ok,
                format!("git's shell finds `{program}` ({found})"),
            ),
            None => report.push(
                Severity::Problem,
                format!(
                    "`{program}` (from {}) is not found by git's shell: install msapp-merge on the PATH or re-run `msapp-merge install` from its new place",
                    entry.key
                ),
            ),
        }
    }
    Ok(())
}

/// Built-in merge drivers, which need no configuration.
fn is_builtin_merge(name: &str) -> bool {
    matches!(name, "text" | "binary" | "union")
}

fn driver_defined(git: &Git, kind: &str, name: &str) -> Result<bool> {
    let keys: &[&str] = if kind == "merge" {
        &["driver"]
    } else {
        &["textconv", "command"]
    };
    for key in keys {
        if !config::effective_with_origin(git, &format!("{kind}.{name}.{key}"))?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Apps and tree files tracked in the repository (at most `limit` of each).
fn tracked_paths(git: &Git, limit: usize) -> Result<(Vec<String>, Vec<String>)> {
    let out = git.output(["ls-files", "-z"])?;
    if !out.status.success() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut apps = Vec::new();
    let mut manifests = Vec::new();
    for path in out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path).into_owned();
        if path.to_ascii_lowercase().ends_with(".msapp") && apps.len() < limit {
            apps.push(path);
        } else if (path == "CanvasManifest.json" || path.ends_with("/CanvasManifest.json"))
            && manifests.len() < limit
        {
            manifests.push(path);
        }
    }
    Ok((apps, manifests))
}

fn check_attributes(git_at_top: &Git, report: &mut DoctorReport) -> Result<()> {
    let (apps, manifests) = tracked_paths(git_at_top, 50)?;
    let mut app_paths: Vec<String> = APP_PROBES.iter().map(|p| p.to_string()).collect();
    app_paths.extend(apps);
    let refs: Vec<&str> = app_paths.iter().map(String::as_str).collect();
    let answers = attributes::check_attr(git_at_top, &["merge", "diff", "text", "filter"], &refs)?;

    let mut routed = 0usize;
    let mut undefined = BTreeSet::new();
    for path in &refs {
        let merge = attributes::lookup(&answers, path, "merge");
        let diff = attributes::lookup(&answers, path, "diff");
        let text = attributes::lookup(&answers, path, "text");
        let filter = attributes::lookup(&answers, path, "filter");
        let mut fine = true;
        match merge {
            AttrValue::Value(v) if v == APP_DRIVER => {}
            AttrValue::Unspecified => {
                fine = false;
                report.push(
                    Severity::Problem,
                    format!(
                        "{path}: no merge attribute, git merges it as a binary (add `{}` to .gitattributes: `msapp-merge install`)",
                        attributes::app_line()
                    ),
                );
            }
            other => {
                fine = false;
                report.push(
                    Severity::Warning,
                    format!("{path}: merge={other} shadows merge={APP_DRIVER}"),
                );
            }
        }
        match diff {
            AttrValue::Value(v) if v == APP_DRIVER => {}
            other => {
                fine = false;
                report.push(
                    Severity::Warning,
                    format!("{path}: diff={other}, so git diff shows no app changes (want diff={APP_DRIVER})"),
                );
            }
        }
        if filter.value() == Some("lfs") {
            fine = false;
            report.push(
                Severity::Warning,
                format!(
                    "{path}: tracked by git-lfs (filter=lfs), the merge driver would receive LFS pointers instead of apps"
                ),
            );
        }
        if *text != AttrValue::Unset {
            report.push(
                Severity::Info,
                format!("{path}: text={text}; `-text` keeps end-of-line conversion away from apps"),
            );
        }
        for (kind, value) in [("merge", merge), ("diff", diff)] {
            if let Some(name) = value.value()
                && !(kind == "merge" && is_builtin_merge(name))
            {
                undefined.insert((kind, name.to_string(), path.to_string()));
            }
        }
        if fine {
            routed += 1;
        }
    }
    if routed > 0 {
        report.push(
            Severity::Ok,
            format!(
                "{routed} of {} app paths route to merge={APP_DRIVER} diff={APP_DRIVER}",
                refs.len()
            ),
        );
    }

    check_trees(git_at_top, &manifests, &mut undefined, report)?;

    let mut reported = BTreeSet::new();
    for (kind, name, path) in undefined {
        if !reported.insert((kind, name.clone())) || driver_defined(git_at_top, kind, &name)? {
            continue;
        }
        report.push(
            Severity::Problem,
            format!(
                "{path} has {kind}={name} but {kind}.{name} is not configured: git silently falls back to its built-in {}",
                if kind == "merge" { "text merge" } else { "diff" }
            ),
        );
    }
    Ok(())
}

/// For each unpacked tree (found by its `CanvasManifest.json`), where its files would merge.
fn check_trees(
    git_at_top: &Git,
    manifests: &[String],
    undefined: &mut BTreeSet<(&'static str, String, String)>,
    report: &mut DoctorReport,
) -> Result<()> {
    let samples = [
        ("Src/Screen1.fx.yaml", TreeKind::FxYaml),
        ("Src/EditorState/Screen1.editorstate.json", TreeKind::Cache),
        ("Entropy/Entropy.json", TreeKind::Cache),
        ("Entropy/checksum.json", TreeKind::Checksum),
        ("CanvasManifest.json", TreeKind::Strict),
        ("DataSources/Accounts.json", TreeKind::Strict),
        ("pkgs/button_2.2.0.xml", TreeKind::Strict),
        ("Connections/Connections.json", TreeKind::Strict),
    ];
    let mut probes = Vec::new();
    for manifest in manifests {
        let root = manifest
            .strip_suffix("CanvasManifest.json")
            .unwrap_or_default();
        for (sample, kind) in samples {
            probes.push((format!("{root}{sample}"), kind));
        }
    }
    // Tree routing is opt-in, but a committed attribute naming our per-file drivers must work.
    let generic: Vec<(String, TreeKind)> = samples
        .iter()
        .map(|(s, k)| (format!("some_src/{s}"), *k))
        .collect();
    let all: Vec<&str> = probes
        .iter()
        .chain(generic.iter())
        .map(|(p, _)| p.as_str())
        .collect();
    let answers = attributes::check_attr(git_at_top, &["merge"], &all)?;
    for (path, _) in &generic {
        if let Some(name) = attributes::lookup(&answers, path, "merge").value()
            && name.starts_with("msapp")
        {
            undefined.insert(("merge", name.to_string(), path.clone()));
        }
    }
    let mut unrouted = 0usize;
    for (path, kind) in &probes {
        match attributes::lookup(&answers, path, "merge") {
            AttrValue::Value(v) if v == kind.driver_name() => {}
            AttrValue::Unspecified => unrouted += 1,
            other => {
                if let Some(name) = other.value() {
                    undefined.insert(("merge", name.to_string(), path.clone()));
                }
                report.push(
                    Severity::Warning,
                    format!(
                        "{path}: merge={other}, msapp-merge would use merge={}",
                        kind.driver_name()
                    ),
                );
            }
        }
    }
    if !manifests.is_empty() {
        if unrouted == 0 {
            report.push(
                Severity::Ok,
                format!(
                    "{} unpacked tree(s) route their files to the per-file drivers",
                    manifests.len()
                ),
            );
        } else {
            report.push(
                Severity::Info,
                format!(
                    "{} unpacked tree(s) merge with git's text merge; `msapp-merge install --trees` routes their files to the per-file drivers",
                    manifests.len()
                ),
            );
        }
    }
    Ok(())
}

/// Whether `program` (as a driver command's first word) has a working `merge` subcommand.
pub fn supports_merge(git: &Git, program: &str) -> bool {
    let Ok(Some(found)) = git.command_v(program) else {
        return false;
    };
    Command::new(found)
        .args(["merge", "--help"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Inputs for [`prove_merge_and_diff`]: three versions of one app such that merging `ours` and
/// `theirs` over `base` must succeed (or, with `expect_clean == false`, conflict).
#[derive(Debug, Clone)]
pub struct ProofFixture {
    pub base: Vec<u8>,
    pub ours: Vec<u8>,
    pub theirs: Vec<u8>,
    pub expect_clean: bool,
}

/// Proves the installation end to end: in a throw-away repository configured (local scope) to
/// run `program`, merges two branches that both changed an app and diffs the app with textconv.
/// Uses `git`'s binary but none of the user's repository.
pub fn prove_merge_and_diff(
    git: &Git,
    program: &str,
    fixture: &ProofFixture,
) -> Result<Vec<Finding>> {
    let dir = tempfile::Builder::new()
        .prefix("msapp-merge-doctor-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).map_err(|e| Error::io(&repo, e))?;
    let git = git.at(&repo);
    let mut findings = Vec::new();

    git.run(["init", "-q"])?;
    for (key, value) in [
        ("user.name", "msapp-merge doctor"),
        ("user.email", "doctor@msapp-merge.invalid"),
        ("commit.gpgsign", "false"),
        ("core.hooksPath", ".git/no-hooks"),
        ("merge.conflictStyle", "merge"),
        ("merge.verifySignatures", "false"),
    ] {
        git.run(["config", "--local", key, value])?;
    }
    install::install(
        &git,
        &InstallOptions {
            scope: Scope::Local,
            force: true,
            program: Some(program.to_string()),
            skip_repo: false,
            trees: false,
            hook: None,
        },
    )?;
    let app = repo.join("App.msapp");
    let commit = |bytes: &[u8], message: &str| -> Result<()> {
        write_file(&app, bytes)?;
        git.run(["add", "--all"])?;
        git.run(["commit", "-q", "--no-verify", "-m", message])
            .map(drop)
    };
    commit(&fixture.base, "base")?;
    git.run(["branch", "-q", "msapp-theirs"])?;
    commit(&fixture.ours, "ours")?;
    git.run(["checkout", "-q", "msapp-theirs"])?;
    commit(&fixture.theirs, "theirs")?;
    git.run(["checkout", "-q", "-"])?;

    let merge = git.output(["merge", "--no-ff", "--no-edit", "-q", "msapp-theirs"])?;
    let stderr = String::from_utf8_lossy(&merge.stderr);
    let stdout = String::from_utf8_lossy(&merge.stdout);
    let fell_back = stderr.contains("Cannot merge binary files")
        || stdout.contains("Cannot merge binary files");
    let clean = merge.status.success();
    if fell_back {
        findings.push(Finding::new(
            Severity::Problem,
            "real merge: git did not run the msapp-merge driver (it fell back to its binary merge)",
        ));
    } else if clean == fixture.expect_clean {
        findings.push(Finding::new(
            Severity::Ok,
            format!(
                "real merge in a temporary repository: {}",
                if clean {
                    "clean"
                } else {
                    "conflict, as expected"
                }
            ),
        ));
    } else {
        let first = stderr
            .lines()
            .chain(stdout.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        findings.push(Finding::new(
            Severity::Problem,
            format!(
                "real merge in a temporary repository: expected {}, got {} ({first})",
                if fixture.expect_clean {
                    "a clean merge"
                } else {
                    "a conflict"
                },
                if clean {
                    "a clean merge"
                } else {
                    "a conflict or failure"
                }
            ),
        ));
    }

    let shown = git.output(["cat-file", "--textconv", "msapp-theirs:App.msapp"])?;
    if shown.status.success() && !shown.stdout.is_empty() {
        findings.push(Finding::new(
            Severity::Ok,
            "real textconv: git shows apps as text",
        ));
    } else {
        findings.push(Finding::new(
            Severity::Problem,
            format!(
                "real textconv failed: {}",
                String::from_utf8_lossy(&shown.stderr)
                    .lines()
                    .next()
                    .unwrap_or("no output")
            ),
        ));
    }
    let diff = git.output(["diff", "msapp-theirs~1", "msapp-theirs", "--", "App.msapp"])?;
    let diff_text = String::from_utf8_lossy(&diff.stdout);
    let changed = fixture.base != fixture.theirs;
    if diff.status.success()
        && !diff_text.contains("Binary files")
        && (!changed || !diff_text.trim().is_empty())
    {
        findings.push(Finding::new(
            Severity::Ok,
            "real diff: git diff shows app changes",
        ));
    } else {
        findings.push(Finding::new(
            Severity::Problem,
            "real diff: git diff still says the app is binary",
        ));
    }
    Ok(findings)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(PathBuf::from(path), e))
}
