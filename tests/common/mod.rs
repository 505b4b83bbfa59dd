//! Helpers for end-to-end tests against the real `git` binary: a sandbox whose git config is
//! shut off from the user's and the machine's, repositories inside it, and app versions built
//! from a corpus app by editing its `.fx.yaml` formulas.

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use msapp_merge::app;
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;

pub const BIN: &str = env!("CARGO_BIN_EXE_msapp-merge");

/// The corpus app every version is built from: one screen, two labels.
pub const CORPUS_APP: &str = "../shared/corpus/apps/MyWeather.msapp";
pub const SCREEN: &str = "Src/Screen1.fx.yaml";

/// Variables that would point git at another repository or inject config.
const LEAKY: [&str; 13] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG",
    "GIT_CONFIG_SYSTEM",
    "GIT_ATTR_NOSYSTEM",
    "GIT_EXEC_PATH",
    "GIT_MERGE_VERBOSITY",
    "GIT_PAGER",
];

// ---- git binaries -------------------------------------------------------------------------------

/// A git binary and its version.
#[derive(Debug, Clone)]
pub struct GitBin {
    pub path: PathBuf,
    pub version: (u32, u32),
}

impl GitBin {
    pub fn probe(program: &Path) -> Option<GitBin> {
        let out = Command::new(program).arg("--version").output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let number = text.split_whitespace().nth(2)?;
        let mut parts = number.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(GitBin {
            path: program.to_path_buf(),
            version: (major, minor),
        })
    }

    /// Git 2.44 is the first to expand `%S %X %Y` in merge driver commands.
    pub fn expands_labels(&self) -> bool {
        self.version >= (2, 44)
    }
}

/// The git on the PATH.
pub fn default_git() -> GitBin {
    GitBin::probe(Path::new("git")).expect("git is needed for these tests")
}

/// Every distinct git version installed in the usual places (this machine has a newer one in
/// /usr/local/bin and the distribution's older one in /usr/bin), or the PATH's git.
pub fn all_gits() -> Vec<GitBin> {
    let mut found: Vec<GitBin> = Vec::new();
    for candidate in ["/usr/local/bin/git", "/usr/bin/git"] {
        if let Some(git) = GitBin::probe(Path::new(candidate))
            && !found.iter().any(|g| g.version == git.version)
        {
            found.push(git);
        }
    }
    if found.is_empty() {
        found.push(default_git());
    }
    found
}

// ---- sandbox ------------------------------------------------------------------------------------

pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub git: GitBin,
    /// Prepended to PATH: the directory holding the chosen `git`, and (unless asked otherwise)
    /// the directory of the msapp-merge under test, so git's shell finds both.
    path_prefix: Vec<PathBuf>,
}

impl Sandbox {
    /// A sandbox using the PATH's git, with msapp-merge on the PATH.
    pub fn new() -> Self {
        Self::with(default_git(), true)
    }

    /// A sandbox using `git` for everything (the test's commands and the ones msapp-merge runs),
    /// with or without msapp-merge's directory on the PATH.
    pub fn with(git: GitBin, bin_on_path: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        fs::create_dir(&home).unwrap();
        let mut path_prefix = Vec::new();
        let git_dir = root.join("gitbin");
        fs::create_dir(&git_dir).unwrap();
        link_program(&git.path, &git_dir.join("git"));
        path_prefix.push(git_dir);
        if bin_on_path {
            path_prefix.push(Path::new(BIN).parent().unwrap().to_path_buf());
        }
        let sandbox = Sandbox {
            _dir: dir,
            root,
            home,
            git,
            path_prefix,
        };
        for (key, value) in [
            ("user.name", "Tester"),
            ("user.email", "tester@example.invalid"),
            ("init.defaultBranch", "main"),
            ("commit.gpgsign", "false"),
            ("advice.detachedHead", "false"),
        ] {
            let home = sandbox.home.clone();
            sandbox.git_ok(&home, &["config", "--global", key, value]);
        }
        sandbox
    }

    pub fn global_config(&self) -> PathBuf {
        self.home.join("gitconfig")
    }

    fn path_var(&self) -> OsString {
        let mut parts: Vec<PathBuf> = self.path_prefix.clone();
        if let Some(path) = std::env::var_os("PATH") {
            parts.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(parts).unwrap()
    }

    pub fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(cwd);
        for var in LEAKY {
            command.env_remove(var);
        }
        command
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.global_config())
            .env("GIT_EDITOR", "true")
            .env("GIT_MERGE_AUTOEDIT", "no")
            .env("LC_ALL", "C")
            .env("PATH", self.path_var());
        command
    }

    pub fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(&self.git.path, cwd)
            .args(args)
            .output()
            .unwrap()
    }

    pub fn git_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args);
        assert!(
            out.status.success(),
            "git {args:?} failed ({:?}):\n{}",
            self.git.path,
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn msapp(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(BIN, cwd).args(args).output().unwrap()
    }

    pub fn msapp_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.msapp(cwd, args);
        assert!(
            out.status.success(),
            "msapp-merge {args:?} exited {:?}:\n{}",
            out.status.code(),
            text(&out)
        );
        text(&out)
    }

    /// A new repository with msapp-merge installed in its local config and `.gitattributes`
    /// committed together with the base version of the app at `app`.
    pub fn repo(&self, name: &str, app: &str) -> Repo<'_> {
        let dir = self.root.join(name);
        fs::create_dir_all(&dir).unwrap();
        self.git_ok(&dir, &["init", "-q", "-b", "main"]);
        let repo = Repo {
            sb: self,
            dir,
            app: app.to_string(),
        };
        repo.msapp_ok(&["install", "--local"]);
        repo.put_app(&[]);
        repo.commit_all("base");
        repo
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(unix)]
fn link_program(target: &Path, link: &Path) {
    let target = if target.is_absolute() {
        target.to_path_buf()
    } else {
        which(target).unwrap_or_else(|| target.to_path_buf())
    };
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(not(unix))]
fn link_program(_target: &Path, _link: &Path) {
    // Elsewhere only the PATH's git is used, so the PATH already finds it.
}

#[cfg(unix)]
fn which(program: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// stdout then stderr, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---- repositories -------------------------------------------------------------------------------

pub struct Repo<'a> {
    pub sb: &'a Sandbox,
    pub dir: PathBuf,
    /// The app's path in the repository (forward slashes).
    pub app: String,
}

impl Repo<'_> {
    pub fn git(&self, args: &[&str]) -> Output {
        self.sb.git(&self.dir, args)
    }

    pub fn git_ok(&self, args: &[&str]) -> String {
        self.sb.git_ok(&self.dir, args)
    }

    /// Runs git expecting it to fail; returns stdout and stderr together.
    pub fn git_fails(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            !out.status.success(),
            "git {args:?} should have failed:\n{}",
            text(&out)
        );
        text(&out)
    }

    pub fn msapp(&self, args: &[&str]) -> Output {
        self.sb.msapp(&self.dir, args)
    }

    pub fn msapp_ok(&self, args: &[&str]) -> String {
        self.sb.msapp_ok(&self.dir, args)
    }

    pub fn app_path(&self) -> PathBuf {
        self.dir.join(&self.app)
    }

    /// Writes the base app with `edits` applied to the work tree.
    pub fn put_app(&self, edits: &[Edit]) {
        let path = self.app_path();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, app_with(edits)).unwrap();
    }

    pub fn commit_all(&self, message: &str) {
        self.git_ok(&["add", "-A"]);
        self.git_ok(&["commit", "-q", "-m", message]);
    }

    /// From the base commit: `feature` gets `theirs`, `main` gets `ours`; `main` checked out.
    pub fn diverge(&self, ours: &[Edit], theirs: &[Edit]) {
        self.git_ok(&["checkout", "-q", "-b", "feature"]);
        self.put_app(theirs);
        self.commit_all("theirs: edit the app");
        self.git_ok(&["checkout", "-q", "main"]);
        self.put_app(ours);
        self.commit_all("ours: edit the app");
    }

    /// The screen's formulas of the app in the work tree (which must be a valid app).
    pub fn screen(&self) -> String {
        screen_of(&fs::read(self.app_path()).unwrap())
    }

    /// The screen's formulas of the app as committed in `rev`.
    pub fn screen_at(&self, rev: &str) -> String {
        let out = self.git(&["show", &format!("{rev}:{}", self.app)]);
        assert!(out.status.success(), "{}", text(&out));
        screen_of(&out.stdout)
    }

    /// Unmerged index entries (`git ls-files -u`), one line each.
    pub fn unmerged(&self) -> Vec<String> {
        self.git_ok(&["ls-files", "-u", "-z"])
            .split('\0')
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `git status --porcelain` lines.
    pub fn status(&self) -> Vec<String> {
        self.git_ok(&["status", "--porcelain", "-z"])
            .split('\0')
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn git_dir(&self) -> PathBuf {
        let dir = self.git_ok(&["rev-parse", "--absolute-git-dir"]);
        PathBuf::from(dir.trim_end())
    }
}

// ---- app versions -------------------------------------------------------------------------------

/// One textual change to the screen's `.fx.yaml`: `from` must occur exactly once.
#[derive(Debug, Clone)]
pub struct Edit {
    pub from: &'static str,
    pub to: String,
}

/// Label1's formula asks for another city's weather.
pub fn label1_city(city: &str) -> Edit {
    Edit {
        from: "\"redmond\"",
        to: format!("\"{city}\""),
    }
}

/// Label1 moves down.
pub fn label1_y(y: u32) -> Edit {
    Edit {
        from: "Y: =40\n",
        to: format!("Y: ={y}\n"),
    }
}

/// Label2's text.
pub fn label2_text(text: &str) -> Edit {
    Edit {
        from: "Text: =\"Hello\"",
        to: format!("Text: =\"{text}\""),
    }
}

/// Label2 moves down.
pub fn label2_y(y: u32) -> Edit {
    Edit {
        from: "Y: =130\n",
        to: format!("Y: ={y}\n"),
    }
}

/// The corpus app unpacked once.
pub fn base_tree() -> &'static SourceTree {
    static TREE: OnceLock<SourceTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let app = app::load_msapp(Path::new(CORPUS_APP)).unwrap();
        app::unpack_app(&app, CORPUS_APP, &UnpackOptions::default())
            .unwrap()
            .0
    })
}

/// The base tree with `edits` applied to the screen.
pub fn tree_with(edits: &[Edit]) -> SourceTree {
    let mut tree = base_tree().clone();
    let mut screen = String::from_utf8(tree.get(SCREEN).unwrap().to_vec()).unwrap();
    for edit in edits {
        assert_eq!(
            screen.matches(edit.from).count(),
            1,
            "{:?} must occur once in\n{screen}",
            edit.from
        );
        screen = screen.replace(edit.from, &edit.to);
    }
    tree.insert(SCREEN, screen.into_bytes());
    tree
}

/// The app bytes of the base with `edits`.
pub fn app_with(edits: &[Edit]) -> Vec<u8> {
    let (app, _) = app::pack_tree(&tree_with(edits)).unwrap();
    app::msapp_bytes(&app).unwrap()
}

/// The tree of an app, proving on the way that it is a valid app that round-trips.
pub fn tree_of(bytes: &[u8]) -> SourceTree {
    let app = app::parse_msapp(bytes, "app under test").unwrap();
    app::unpack_verified(&app, "app under test", &UnpackOptions::default())
        .unwrap()
        .0
}

pub fn screen_of(bytes: &[u8]) -> String {
    String::from_utf8(tree_of(bytes).get(SCREEN).unwrap().to_vec()).unwrap()
}

/// Asserts every edit's result is in `screen` and its original text is not.
pub fn assert_has(screen: &str, edits: &[Edit]) {
    for edit in edits {
        assert!(
            screen.contains(&edit.to) && !screen.contains(edit.from),
            "expected {:?} (instead of {:?}) in\n{screen}",
            edit.to,
            edit.from
        );
    }
}

/// Writes `tree` under `dir`, file by file.
pub fn write_tree_files(dir: &Path, tree: &SourceTree) {
    for (path, bytes) in &tree.files {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, bytes).unwrap();
    }
}
