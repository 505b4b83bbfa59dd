//! Registration with git: the driver definitions written with `git config`, the `.gitattributes`
//! routing, the optional pre-push hook, and the `doctor` that checks all of it.
//!
//! Everything goes through the real `git` binary (legacy `git config` syntax, so git 2.39 works)
//! rather than editing config files directly: git knows where each scope lives, how to lock it and
//! how `GIT_CONFIG_*` overrides apply.

pub mod attributes;
pub mod config;
pub mod doctor;
pub mod hooks;
pub mod install;
pub mod shell;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::error::{Error, Result};

/// Which configuration file `install`/`uninstall` write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The repository's `.git/config` (requires running inside a work tree).
    Local,
    /// The user's global config (`~/.gitconfig`, XDG, or `GIT_CONFIG_GLOBAL`).
    Global,
    /// The machine-wide config.
    System,
    /// An explicit config file (`git config --file`).
    File(PathBuf),
}

impl Scope {
    fn args(&self) -> Vec<OsString> {
        match self {
            Scope::Local => vec!["--local".into()],
            Scope::Global => vec!["--global".into()],
            Scope::System => vec!["--system".into()],
            Scope::File(path) => vec!["--file".into(), path.clone().into_os_string()],
        }
    }

    /// How the scope is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Scope::Local => "local config".into(),
            Scope::Global => "global config".into(),
            Scope::System => "system config".into(),
            Scope::File(path) => format!("config file {}", path.display()),
        }
    }
}

/// A git version as `major.minor.patch` (vendor suffixes such as `.windows.1` are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GitVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl GitVersion {
    /// First version that expands `%S %X %Y` (merge labels) in merge driver commands.
    pub const LABELS: GitVersion = GitVersion::new(2, 44, 0);
    /// First version that expands `%P` in merge driver commands.
    pub const PATH_PLACEHOLDER: GitVersion = GitVersion::new(2, 5, 0);

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        GitVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses the output of `git --version` ("git version 2.47.3", "git version 2.39.3 (Apple
    /// Git-146)", "git version 2.45.1.windows.1").
    pub fn parse(text: &str) -> Option<GitVersion> {
        let rest = text.trim().strip_prefix("git version ")?;
        let number = rest.split_whitespace().next()?;
        let mut parts = number.split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(GitVersion::new(major, minor, patch))
    }
}

impl std::fmt::Display for GitVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Runs the `git` binary in a directory. The environment is inherited, so `HOME`,
/// `GIT_CONFIG_GLOBAL` and friends apply exactly as they would for the user's own git commands.
#[derive(Debug, Clone)]
pub struct Git {
    program: OsString,
    dir: PathBuf,
    envs: Vec<(OsString, OsString)>,
}

impl Git {
    /// `git` from the PATH, run in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            program: "git".into(),
            dir: dir.into(),
            envs: Vec::new(),
        }
    }

    /// A specific git binary, run in `dir`.
    pub fn with_program(program: impl Into<OsString>, dir: impl Into<PathBuf>) -> Self {
        Git {
            program: program.into(),
            dir: dir.into(),
            envs: Vec::new(),
        }
    }

    /// Sets an environment variable for every git run (on top of the inherited environment).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// The same git (program and environment) run in another directory.
    pub fn at(&self, dir: impl Into<PathBuf>) -> Git {
        Git {
            dir: dir.into(),
            ..self.clone()
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// Runs git and returns its raw output whatever the exit status; fails only when git cannot
    /// be started.
    pub fn output<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.output_with_stdin(args, None)
    }

    /// Like [`Git::output`], feeding `stdin` to the process.
    pub fn output_with_stdin<I, S>(&self, args: I, stdin: Option<&[u8]>) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(&self.program);
        command.args(args).current_dir(&self.dir);
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let spawn_error = |e| Error::io(PathBuf::from(&self.program), e);
        let mut child = command.spawn().map_err(spawn_error)?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            // A git that exits early closes the pipe; its exit status tells the real story.
            let _ = pipe.write_all(bytes);
        }
        child.wait_with_output().map_err(spawn_error)
    }

    /// Runs git and returns stdout; a non-zero exit becomes a one-line error quoting git.
    pub fn run<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.output(&args)?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(git_failure(&args, &out))
        }
    }

    /// `git --version`, parsed.
    pub fn version(&self) -> Result<GitVersion> {
        let text = self.run(["--version"])?;
        GitVersion::parse(&text).ok_or_else(|| {
            Error::bad_input("git --version", format!("unrecognised output {text:?}"))
        })
    }

    /// The top directory of the work tree `dir` is in, or `None` outside a work tree (including
    /// inside `.git` and in bare repositories).
    pub fn work_tree_top(&self) -> Result<Option<PathBuf>> {
        let inside = self.output(["rev-parse", "--is-inside-work-tree"])?;
        if !inside.status.success() || String::from_utf8_lossy(&inside.stdout).trim() != "true" {
            return Ok(None);
        }
        let top = self.run(["rev-parse", "--show-toplevel"])?;
        let top = top.trim_end_matches(['\n', '\r']);
        if top.is_empty() {
            return Ok(None);
        }
        Ok(Some(PathBuf::from(top)))
    }

    /// Resolves `program` the way a driver command's first word is resolved: through git's own
    /// shell, with git's PATH (git puts its exec path first). Returns what `command -v` prints, or
    /// `None` when the shell cannot find it.
    pub fn command_v(&self, program: &str) -> Result<Option<String>> {
        let out = self.output([
            "-c",
            "alias.msapp-merge-which=!command -v",
            "msapp-merge-which",
            program,
        ])?;
        let found = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Ok((out.status.success() && !found.is_empty()).then_some(found))
    }

    /// Where git looks for a hook (honours `core.hooksPath` and linked worktrees).
    pub fn hook_path(&self, hook: &str) -> Result<PathBuf> {
        let path = self.run(["rev-parse", "--git-path", &format!("hooks/{hook}")])?;
        let path = PathBuf::from(path.trim_end_matches(['\n', '\r']));
        Ok(if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        })
    }
}

/// One line describing a failed git command, quoting git's own first error line.
pub(crate) fn git_failure(args: &[OsString], out: &Output) -> Error {
    let command: Vec<String> = args
        .iter()
        .take(3)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message");
    let status = out
        .status
        .code()
        .map_or_else(|| "killed".to_string(), |c| format!("exit {c}"));
    Error::bad_input(
        format!("git {}", command.join(" ")),
        format!("{first} ({status})"),
    )
}

/// Where the caches of the repository the command runs in live (the checksum values of the
/// merge, textconv's renderings): its git directory, unless `MSAPP_MERGE_NO_CACHE` is set.
/// git runs drivers from the top of the work tree.
pub fn cache_git_dir() -> Option<PathBuf> {
    if std::env::var_os("MSAPP_MERGE_NO_CACHE").is_some() {
        return None;
    }
    find_git_dir(&std::env::current_dir().ok()?)
}

/// The git directory of the repository around `start`, found without running git: `GIT_DIR`
/// when set, else the nearest `.git` directory or `.git` file (`gitdir: ...`, worktrees and
/// submodules) above it. For caches, where a wrong answer only costs time: git runs textconv
/// from the top of the work tree without telling it the git directory, and starting `git
/// rev-parse` would cost more than a cached rendering.
pub fn find_git_dir(start: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GIT_DIR") {
        return Some(start.join(dir));
    }
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        if meta.is_dir() {
            return Some(dot_git);
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        return Some(dir.join(target));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_versions() {
        assert_eq!(
            GitVersion::parse("git version 2.47.3\n"),
            Some(GitVersion::new(2, 47, 3))
        );
        assert_eq!(
            GitVersion::parse("git version 2.39.3 (Apple Git-146)"),
            Some(GitVersion::new(2, 39, 3))
        );
        assert_eq!(
            GitVersion::parse("git version 2.45.1.windows.1"),
            Some(GitVersion::new(2, 45, 1))
        );
        assert_eq!(
            GitVersion::parse("git version 2.44"),
            Some(GitVersion::new(2, 44, 0))
        );
        assert_eq!(GitVersion::parse("hg 6.0"), None);
        assert_eq!(GitVersion::parse("git version x.y"), None);
        assert!(GitVersion::new(2, 39, 5) < GitVersion::LABELS);
        assert!(GitVersion::new(2, 47, 3) >= GitVersion::LABELS);
    }

    #[test]
    fn the_git_directory_is_found_from_any_folder_of_a_work_tree() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        if std::env::var_os("GIT_DIR").is_none() {
            assert_eq!(find_git_dir(&repo.join("a/b")), Some(repo.join(".git")));
            // A linked work tree names its git directory in a `.git` file.
            let linked = dir.path().join("linked");
            std::fs::create_dir_all(&linked).unwrap();
            std::fs::write(
                linked.join(".git"),
                "gitdir: ../repo/.git/worktrees/linked\n",
            )
            .unwrap();
            assert_eq!(
                find_git_dir(&linked),
                Some(linked.join("../repo/.git/worktrees/linked"))
            );
        }
    }
}
