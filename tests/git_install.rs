//! `install`, `uninstall` and `doctor` against the real `git` binary, in temporary repositories,
//! with the user's configuration shut out (HOME, XDG_CONFIG_HOME, GIT_CONFIG_GLOBAL point into
//! the sandbox; GIT_CONFIG_NOSYSTEM hides the machine config).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use msapp_merge::git::Git;
use msapp_merge::git::doctor::{self, ProofFixture, Severity};

const BIN: &str = env!("CARGO_BIN_EXE_msapp-merge");
const APP_LINE: &str = "*.[mM][sS][aA][pP][pP] -text diff=msapp merge=msapp";

/// Variables that would point git at another repository or inject config.
const LEAKY: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG",
    "GIT_CONFIG_SYSTEM",
    "GIT_ATTR_NOSYSTEM",
];

struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    /// Prepended to PATH (e.g. to pick another git, or to put msapp-merge on the PATH).
    path_prefix: Vec<PathBuf>,
    extra_env: Vec<(String, OsString)>,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        fs::create_dir(&home).unwrap();
        Sandbox {
            _dir: dir,
            root,
            home,
            path_prefix: Vec::new(),
            extra_env: Vec::new(),
        }
    }

    fn global_config(&self) -> PathBuf {
        self.home.join("gitconfig")
    }

    fn path_var(&self) -> OsString {
        let mut parts: Vec<PathBuf> = self.path_prefix.clone();
        if let Some(path) = std::env::var_os("PATH") {
            parts.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(parts).unwrap()
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
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
            .env("GIT_AUTHOR_NAME", "Tester")
            .env("GIT_AUTHOR_EMAIL", "tester@example.invalid")
            .env("GIT_COMMITTER_NAME", "Tester")
            .env("GIT_COMMITTER_EMAIL", "tester@example.invalid")
            .env("PATH", self.path_var());
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        command
    }

    /// The library's git runner with the same isolation.
    fn lib_git(&self, cwd: &Path) -> Git {
        let mut git = Git::new(cwd)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.global_config())
            .env("PATH", self.path_var());
        for (k, v) in &self.extra_env {
            git = git.env(k, v);
        }
        git
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command("git", cwd).args(args).output().unwrap()
    }

    fn git_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(BIN, cwd).args(args).output().unwrap()
    }

    fn run_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args);
        assert!(
            out.status.success(),
            "msapp-merge {args:?} exited {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn repo(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        fs::create_dir_all(&dir).unwrap();
        self.git_ok(&dir, &["init", "-q"]);
        self.git_ok(&dir, &["config", "commit.gpgsign", "false"]);
        dir
    }

    /// Every key under any msapp section, in every scope git reads here.
    fn msapp_keys(&self, cwd: &Path) -> String {
        let out = self.git(cwd, &["config", "--get-regexp", "msapp"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn get(&self, cwd: &Path, key: &str) -> Option<String> {
        let out = self.git(cwd, &["config", "--get", key]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn check_attr(
    sb: &Sandbox,
    repo: &Path,
    attrs: &[&str],
    paths: &[&str],
) -> Vec<(String, String, String)> {
    let mut args = vec!["check-attr", "-z"];
    args.extend(attrs);
    args.push("--");
    args.extend(paths);
    let out = sb.git_ok(repo, &args);
    let fields: Vec<&str> = out.split('\0').collect();
    fields
        .chunks_exact(3)
        .map(|c| (c[0].to_string(), c[1].to_string(), c[2].to_string()))
        .collect()
}

fn attr(answers: &[(String, String, String)], path: &str, attribute: &str) -> String {
    answers
        .iter()
        .find(|(p, a, _)| p == path && a == attribute)
        .map(|(_, _, v)| v.clone())
        .unwrap_or_else(|| panic!("no answer for {path} {attribute}"))
}

#[cfg(unix)]
fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

// ---- install ------------------------------------------------------------------------------------

#[test]
fn install_twice_changes_nothing() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    // An existing attributes file with CRLF endings and no final newline.
    fs::write(
        repo.join(".gitattributes"),
        "*.png binary\r\n*.sh text eol=lf",
    )
    .unwrap();
    sb.run_ok(&repo, &["install", "--trees"]);
    let config = fs::read(sb.global_config()).unwrap();
    let attributes = fs::read_to_string(repo.join(".gitattributes")).unwrap();
    assert!(attributes.starts_with("*.png binary\r\n*.sh text eol=lf\r\n"));
    assert!(attributes.contains(&format!("{APP_LINE}\r\n")));
    assert!(attributes.contains("**/Src/**/*.fx.yaml -text merge=msapp-fxyaml\r\n"));
    assert!(!attributes.replace("\r\n", "").contains('\n'));

    let second = sb.run_ok(&repo, &["install", "--trees"]);
    assert!(second.contains("already in place"), "{second}");
    assert!(second.contains("already routes"), "{second}");
    assert_eq!(fs::read(sb.global_config()).unwrap(), config);
    assert_eq!(
        fs::read_to_string(repo.join(".gitattributes")).unwrap(),
        attributes
    );
    // Without --trees the tree lines already there stay, and nothing is added.
    sb.run_ok(&repo, &["install"]);
    assert_eq!(
        fs::read_to_string(repo.join(".gitattributes")).unwrap(),
        attributes
    );
}

#[test]
fn install_writes_every_driver_key_in_the_global_config() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install"]);
    let driver = sb.get(&repo, "merge.msapp.driver").unwrap();
    assert!(
        driver.ends_with(
            " merge --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B"
        ),
        "{driver}"
    );
    assert_eq!(sb.get(&repo, "merge.msapp.recursive").unwrap(), "binary");
    assert!(sb.get(&repo, "merge.msapp.name").is_some());
    assert!(
        sb.get(&repo, "diff.msapp.textconv")
            .unwrap()
            .ends_with(" textconv --text-version 2")
    );
    assert_eq!(sb.get(&repo, "diff.msapp.cachetextconv").unwrap(), "true");
    assert_eq!(sb.get(&repo, "diff.msapp.binary").unwrap(), "true");
    assert!(sb.get(&repo, "diff.msapp.xfuncname").is_some());
    assert!(sb.get(&repo, "diff.msapp.wordregex").is_some());
    for (driver, kind) in [
        ("msapp-fxyaml", "fx-yaml"),
        ("msapp-cache", "cache"),
        ("msapp-checksum", "checksum"),
        ("msapp-strict", "strict"),
    ] {
        let value = sb.get(&repo, &format!("merge.{driver}.driver")).unwrap();
        assert!(
            value.contains(&format!(" merge-file --kind {kind} --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B")),
            "{value}"
        );
        assert_eq!(
            sb.get(&repo, &format!("merge.{driver}.recursive")).unwrap(),
            "binary"
        );
    }
    assert!(
        sb.get(&repo, "msapp-merge.installed-by")
            .unwrap()
            .starts_with("msapp-merge ")
    );
    // Global scope: the repository's own config holds nothing.
    let local = sb.git(&repo, &["config", "--local", "--get-regexp", "msapp"]);
    assert!(local.stdout.is_empty());
    assert!(
        fs::read_to_string(repo.join(".gitattributes"))
            .unwrap()
            .contains(APP_LINE)
    );
}

#[test]
fn program_is_the_absolute_executable_unless_found_on_the_path() {
    let sb = Sandbox::new();
    let dir = sb.root.join("plain");
    fs::create_dir(&dir).unwrap();
    sb.run_ok(&dir, &["install"]);
    let exe = fs::canonicalize(BIN).unwrap();
    let driver = sb.get(&dir, "merge.msapp.driver").unwrap();
    assert!(
        driver.starts_with(&format!("{} merge ", exe.display()))
            || driver.starts_with(&format!("'{}' merge ", exe.display())),
        "{driver}"
    );

    let mut on_path = Sandbox::new();
    on_path
        .path_prefix
        .push(Path::new(BIN).parent().unwrap().to_path_buf());
    let dir = on_path.root.join("plain");
    fs::create_dir(&dir).unwrap();
    on_path.run_ok(&dir, &["install"]);
    assert!(
        on_path
            .get(&dir, "merge.msapp.driver")
            .unwrap()
            .starts_with("msapp-merge merge ")
    );
    assert_eq!(
        on_path.get(&dir, "diff.msapp.textconv").unwrap(),
        "msapp-merge textconv --text-version 2"
    );
    // --command-name wins and is quoted for sh.
    on_path.run_ok(
        &dir,
        &[
            "install",
            "--force",
            "--command-name",
            "/opt/my tools/msapp-merge",
        ],
    );
    assert_eq!(
        on_path.get(&dir, "diff.msapp.textconv").unwrap(),
        "'/opt/my tools/msapp-merge' textconv --text-version 2"
    );
}

#[test]
fn install_outside_a_repository_writes_config_only() {
    let sb = Sandbox::new();
    let dir = sb.root.join("not a repo");
    fs::create_dir(&dir).unwrap();
    let out = sb.run_ok(&dir, &["install"]);
    assert!(!out.contains(".gitattributes"), "{out}");
    assert!(!dir.join(".gitattributes").exists());
    assert!(sb.get(&dir, "merge.msapp.driver").is_some());

    for args in [
        &["install", "--local"][..],
        &["install", "--hook", "pre-push"][..],
        &["install", "--trees"][..],
        &["uninstall", "--local"][..],
    ] {
        let out = sb.run(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("work tree"), "{err}");
    }
}

#[test]
fn local_system_and_file_scopes() {
    let mut sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install", "--local"]);
    assert!(!sb.global_config().exists());
    let local = fs::read_to_string(repo.join(".git/config")).unwrap();
    assert!(local.contains("[merge \"msapp\"]"), "{local}");
    sb.run_ok(&repo, &["uninstall", "--local"]);
    assert_eq!(sb.msapp_keys(&repo), "");
    let local = fs::read_to_string(repo.join(".git/config")).unwrap();
    assert!(!local.contains("msapp"), "{local}");

    let file = sb.root.join("some dir").join("extra.gitconfig");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let file_arg = file.to_str().unwrap();
    sb.run_ok(&repo, &["install", "--skip-repo", "--file", file_arg]);
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("[diff \"msapp\"]")
    );
    sb.run_ok(&repo, &["uninstall", "--skip-repo", "--file", file_arg]);
    assert!(!fs::read_to_string(&file).unwrap().contains("msapp"));

    // System scope, pointed into the sandbox (git >= 2.32 honours GIT_CONFIG_SYSTEM).
    let system = sb.root.join("system.gitconfig");
    sb.extra_env
        .push(("GIT_CONFIG_SYSTEM".into(), system.clone().into_os_string()));
    sb.extra_env
        .push(("GIT_CONFIG_NOSYSTEM".into(), "0".into()));
    sb.run_ok(&repo, &["install", "--system", "--skip-repo"]);
    assert!(
        fs::read_to_string(&system)
            .unwrap()
            .contains("[merge \"msapp\"]")
    );
    assert!(!sb.global_config().exists());
    sb.run_ok(&repo, &["uninstall", "--system", "--skip-repo"]);
    assert!(!fs::read_to_string(&system).unwrap().contains("msapp"));

    let out = sb.run(&repo, &["install", "--local", "--global"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn install_never_overwrites_a_foreign_value_unless_forced() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.git_ok(
        &repo,
        &[
            "config",
            "--global",
            "merge.msapp.driver",
            "my-tool %O %A %B",
        ],
    );
    let out = sb.run(&repo, &["install"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("left merge.msapp.driver"),
        "{}",
        text(&out)
    );
    assert_eq!(
        sb.get(&repo, "merge.msapp.driver").unwrap(),
        "my-tool %O %A %B"
    );
    // Everything else was installed.
    assert!(sb.get(&repo, "diff.msapp.textconv").is_some());

    sb.run_ok(&repo, &["install", "--force"]);
    assert!(
        sb.get(&repo, "merge.msapp.driver")
            .unwrap()
            .contains(" merge --marker-size %L")
    );
}

#[test]
fn install_upgrades_its_own_earlier_values() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let old = "'/old place/msapp-merge' merge --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B";
    sb.git_ok(&repo, &["config", "--global", "merge.msapp.driver", old]);
    sb.git_ok(
        &repo,
        &[
            "config",
            "--global",
            "msapp-merge.installed-by",
            "msapp-merge 0.0.1",
        ],
    );
    let out = sb.run_ok(&repo, &["install"]);
    assert!(out.contains("updated merge.msapp.driver"), "{out}");
    assert_ne!(sb.get(&repo, "merge.msapp.driver").unwrap(), old);
}

#[test]
fn install_warns_when_another_scope_overrides_a_driver() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.git_ok(&repo, &["config", "--local", "diff.msapp.textconv", "cat"]);
    let out = sb.run(&repo, &["install"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("diff.msapp.textconv is overridden by file:.git/config"),
        "{err}"
    );
}

// ---- uninstall ----------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn uninstall_removes_exactly_what_install_wrote() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.git_ok(&repo, &["config", "--global", "user.name", "Someone"]);
    sb.git_ok(&repo, &["config", "--global", "merge.tool", "vimdiff"]);
    fs::write(repo.join(".gitattributes"), "*.png binary\n").unwrap();
    let config_before = fs::read(sb.global_config()).unwrap();

    sb.run_ok(&repo, &["install", "--trees", "--hook", "pre-push"]);
    let hook = repo.join(".git/hooks/pre-push");
    assert!(hook.exists());
    sb.run_ok(&repo, &["uninstall"]);

    assert_eq!(sb.msapp_keys(&repo), "");
    let config = fs::read_to_string(sb.global_config()).unwrap();
    assert!(!config.contains("msapp"), "{config}");
    assert_eq!(fs::read(sb.global_config()).unwrap(), config_before);
    assert_eq!(
        fs::read_to_string(repo.join(".gitattributes")).unwrap(),
        "*.png binary\n"
    );
    assert!(!hook.exists());
    // Nothing left to do the second time.
    let out = sb.run_ok(&repo, &["uninstall"]);
    assert!(out.contains("nothing of msapp-merge's found"), "{out}");
}

#[test]
fn uninstall_keeps_values_the_user_changed_unless_forced() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install"]);
    sb.git_ok(
        &repo,
        &["config", "--global", "merge.msapp.name", "my merge"],
    );
    sb.git_ok(
        &repo,
        &[
            "config",
            "--global",
            "diff.msapp.textconv",
            "my-textconv --fast",
        ],
    );
    sb.git_ok(&repo, &["config", "--global", "merge.msapp.extra", "mine"]);

    let out = sb.run(&repo, &["uninstall"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("left merge.msapp.name"), "{all}");
    assert!(all.contains("left diff.msapp.textconv"), "{all}");
    assert!(all.contains("merge.msapp.extra"), "{all}");
    assert_eq!(sb.get(&repo, "merge.msapp.name").unwrap(), "my merge");
    assert_eq!(
        sb.get(&repo, "diff.msapp.textconv").unwrap(),
        "my-textconv --fast"
    );
    assert_eq!(sb.get(&repo, "merge.msapp.driver"), None);
    assert_eq!(sb.get(&repo, "diff.msapp.xfuncname"), None);

    sb.run_ok(&repo, &["uninstall", "--force"]);
    assert_eq!(sb.get(&repo, "merge.msapp.name"), None);
    assert_eq!(sb.get(&repo, "diff.msapp.textconv"), None);
    // A key install never writes is not ours to remove, even with --force.
    assert_eq!(sb.get(&repo, "merge.msapp.extra").unwrap(), "mine");
}

// ---- hooks --------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn hook_is_written_only_on_request_and_never_over_a_foreign_one() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let hook = repo.join(".git/hooks/pre-push");
    sb.run_ok(&repo, &["install"]);
    assert!(!hook.exists());

    sb.run_ok(&repo, &["install", "--hook", "pre-push"]);
    let script = fs::read_to_string(&hook).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.trim_end().ends_with(" check"), "{script}");
    use std::os::unix::fs::PermissionsExt;
    assert_ne!(fs::metadata(&hook).unwrap().permissions().mode() & 0o111, 0);
    let out = sb.run_ok(&repo, &["install", "--hook", "pre-push"]);
    assert!(out.contains("already installed"), "{out}");

    let foreign = "#!/bin/sh\ncommand -v git-lfs >/dev/null && git lfs pre-push \"$@\"\n";
    fs::write(&hook, foreign).unwrap();
    let out = sb.run(&repo, &["install", "--hook", "pre-push"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("left hook"), "{}", text(&out));
    assert_eq!(fs::read_to_string(&hook).unwrap(), foreign);
    // Uninstall leaves a foreign hook alone.
    sb.run_ok(&repo, &["uninstall"]);
    assert_eq!(fs::read_to_string(&hook).unwrap(), foreign);

    sb.run_ok(&repo, &["install", "--hook", "pre-push", "--force"]);
    assert!(fs::read_to_string(&hook).unwrap().contains(" check"));

    // core.hooksPath is honoured.
    let hooks_dir = sb.root.join("shared hooks");
    sb.git_ok(
        &repo,
        &["config", "core.hooksPath", hooks_dir.to_str().unwrap()],
    );
    sb.run_ok(&repo, &["install", "--hook", "pre-push"]);
    assert!(hooks_dir.join("pre-push").exists());
}

// ---- attributes ---------------------------------------------------------------------------------

const TREE: &str = "apps/My App_src";

fn tree_expectations() -> Vec<(String, &'static str)> {
    [
        ("Src/Screen1.fx.yaml", "msapp-fxyaml"),
        ("Src/Components/Comp 1.fx.yaml", "msapp-fxyaml"),
        ("Src/App.fx.yaml", "msapp-fxyaml"),
        ("Src/EditorState/Screen1.editorstate.json", "msapp-cache"),
        ("Entropy/Entropy.json", "msapp-cache"),
        ("Entropy/checksum.json", "msapp-checksum"),
        ("CanvasManifest.json", "msapp-strict"),
        ("DataSources/Accounts.json", "msapp-strict"),
        ("pkgs/button_2.2.0.xml", "msapp-strict"),
        ("pkgs/Wadl/MSNWeather.xml", "msapp-strict"),
        ("Connections/Connections.json", "msapp-strict"),
        ("Assets/Images/logo.png", "unspecified"),
        ("Src/Themes.json", "unspecified"),
    ]
    .into_iter()
    .map(|(p, v)| (format!("{TREE}/{p}"), v))
    .collect()
}

fn assert_routing(sb: &Sandbox, repo: &Path, with_trees: bool) {
    let apps = [
        "App.msapp",
        "APP.MSAPP",
        "App.MsApp",
        "dir with space/x.msapp",
        "ünïcödé/Äpp.msapp",
        "apps/My App_src/../Other App.msapp",
    ];
    let answers = check_attr(sb, repo, &["merge", "diff", "text"], &apps);
    for path in &apps[..5] {
        assert_eq!(attr(&answers, path, "merge"), "msapp", "{path}");
        assert_eq!(attr(&answers, path, "diff"), "msapp", "{path}");
        assert_eq!(attr(&answers, path, "text"), "unset", "{path}");
    }
    let others = ["App.msapp.bak", "msapp", "README.md"];
    let answers = check_attr(sb, repo, &["merge", "diff"], &others);
    for path in others {
        assert_eq!(attr(&answers, path, "merge"), "unspecified", "{path}");
    }

    let tree = tree_expectations();
    let paths: Vec<&str> = tree.iter().map(|(p, _)| p.as_str()).collect();
    let answers = check_attr(sb, repo, &["merge", "text"], &paths);
    for (path, expected) in &tree {
        let expected = if with_trees { expected } else { "unspecified" };
        assert_eq!(attr(&answers, path, "merge"), expected, "{path}");
        if expected != "unspecified" {
            assert_eq!(attr(&answers, path, "text"), "unset", "{path}");
        }
    }
}

#[test]
fn attributes_route_apps_in_any_case_and_tree_files_anywhere() {
    let sb = Sandbox::new();
    let repo = sb.repo("répo with space");
    sb.run_ok(&repo, &["install"]);
    assert_routing(&sb, &repo, false);
    sb.run_ok(&repo, &["install", "--trees"]);
    assert_routing(&sb, &repo, true);
    // check-attr from a subdirectory sees the same top-level file.
    let sub = repo.join("apps");
    fs::create_dir_all(&sub).unwrap();
    let answers = check_attr(
        &sb,
        &sub,
        &["merge"],
        &["My App_src/Src/Screen1.fx.yaml", "x.MSAPP"],
    );
    assert_eq!(
        attr(&answers, "My App_src/Src/Screen1.fx.yaml", "merge"),
        "msapp-fxyaml"
    );
    assert_eq!(attr(&answers, "x.MSAPP", "merge"), "msapp");
}

#[test]
fn install_from_a_subdirectory_writes_the_top_level_attributes() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let sub = repo.join("a/b");
    fs::create_dir_all(&sub).unwrap();
    sb.run_ok(&sub, &["install"]);
    assert!(repo.join(".gitattributes").exists());
    assert!(!sub.join(".gitattributes").exists());
}

#[test]
fn the_example_file_routes_like_install_trees() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    let example =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("gitattributes.example"))
            .unwrap();
    fs::write(repo.join(".gitattributes"), &example).unwrap();
    assert_routing(&sb, &repo, true);
    // And install --trees finds every one of its rules already there.
    sb.run_ok(&repo, &["install", "--trees"]);
    assert_eq!(
        fs::read_to_string(repo.join(".gitattributes")).unwrap(),
        example
    );
}

// ---- doctor -------------------------------------------------------------------------------------

#[test]
fn doctor_is_happy_after_install() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install", "--trees"]);
    fs::create_dir_all(repo.join(TREE)).unwrap();
    fs::write(repo.join(TREE).join("CanvasManifest.json"), "{}\n").unwrap();
    sb.git_ok(&repo, &["add", "--all"]);
    let out = sb.run(&repo, &["doctor"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("all good"), "{all}");
    assert!(
        all.contains("route their files to the per-file drivers"),
        "{all}"
    );

    let outside = sb.root.join("outside");
    fs::create_dir(&outside).unwrap();
    let out = sb.run(&outside, &["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("not inside a git work tree"));
}

/// A release whose diff text differs names a new text version in the textconv command, so
/// git's cache of texts starts afresh once install has run again; doctor says so until then.
#[test]
fn an_older_textconv_command_is_reported_and_upgraded() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install", "--local"]);
    let current = sb.get(&repo, "diff.msapp.textconv").unwrap();
    let older = current.replace(" --text-version 2", "");
    assert_ne!(older, current);
    sb.git_ok(&repo, &["config", "--local", "diff.msapp.textconv", &older]);
    let out = sb.run(&repo, &["doctor"]);
    let all = text(&out);
    assert!(
        all.contains("was written by an earlier msapp-merge whose diff text differs"),
        "{all}"
    );
    let out = sb.run(&repo, &["install", "--local"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(sb.get(&repo, "diff.msapp.textconv").unwrap(), current);
    let out = sb.run(&repo, &["doctor"]);
    assert!(
        !text(&out).contains("earlier msapp-merge"),
        "{}",
        text(&out)
    );
}

#[test]
fn doctor_detects_attributes_naming_undefined_drivers() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    fs::write(
        repo.join(".gitattributes"),
        format!("{APP_LINE}\n**/Src/**/*.fx.yaml merge=msapp-fxyaml\n"),
    )
    .unwrap();
    let out = sb.run(&repo, &["doctor"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("merge.msapp.driver is not configured"),
        "{all}"
    );
    assert!(
        all.contains("has merge=msapp but merge.msapp is not configured"),
        "{all}"
    );
    assert!(
        all.contains("has merge=msapp-fxyaml but merge.msapp-fxyaml is not configured"),
        "{all}"
    );
    assert!(
        all.contains("has diff=msapp but diff.msapp is not configured"),
        "{all}"
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        assert!(!line.is_empty());
    }
}

#[test]
fn doctor_detects_missing_attributes_lfs_and_shadowing() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install", "--skip-repo"]);
    let out = sb.run(&repo, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("App.msapp: no merge attribute"),
        "{}",
        text(&out)
    );

    fs::write(
        repo.join(".gitattributes"),
        format!("*.msapp filter=lfs diff=lfs merge=lfs -text\n{APP_LINE}\n"),
    )
    .unwrap();
    let out = sb.run(&repo, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("tracked by git-lfs"), "{}", text(&out));

    fs::write(repo.join(".gitattributes"), format!("{APP_LINE}\n")).unwrap();
    sb.run_ok(&repo, &["doctor"]);
    sb.git_ok(
        &repo,
        &[
            "config",
            "--local",
            "merge.msapp.driver",
            "other-tool %O %A %B",
        ],
    );
    let out = sb.run(&repo, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("is not msapp-merge's command"),
        "{}",
        text(&out)
    );
}

#[test]
fn doctor_detects_a_program_git_cannot_find() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(
        &repo,
        &["install", "--command-name", "/nowhere/msapp-merge"],
    );
    let out = sb.run(&repo, &["doctor", "--command-name", "/nowhere/msapp-merge"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(
            "`/nowhere/msapp-merge` (from merge.msapp.driver) is not found by git's shell"
        ),
        "{}",
        text(&out)
    );
}

// ---- the driver protocol, with a stand-in program ------------------------------------------------

/// A stand-in for msapp-merge (the real merge and textconv are built elsewhere): logs its
/// arguments one per line, merges by taking theirs, converts by printing the text.
#[cfg(unix)]
const FAKE: &str = r#"#!/bin/sh
log="$(dirname "$0")/calls.log"
for a in "$@"; do printf '[%s]\n' "$a" >> "$log"; done
echo --- >> "$log"
case "$1" in
  merge)
    [ "$2" = --help ] && exit 0
    cp "${14}" "${13}"; exit 0 ;;
  textconv)
    [ "$2" = --text-version ] && shift 2
    printf 'textconv of %s\n' "$(basename "$2")"; tr -d '\000' < "$2" ;;
  *) exit 2 ;;
esac
"#;

#[cfg(unix)]
#[test]
fn git_runs_the_installed_command_with_quoted_paths_and_labels() {
    let sb = Sandbox::new();
    let tools = sb.root.join("tools 'ü' 100%");
    let fake = tools.join("fake msapp-merge");
    write_script(&fake, FAKE);
    let repo = sb.repo("repo ñ");
    sb.run_ok(
        &repo,
        &["install", "--command-name", fake.to_str().unwrap()],
    );

    let app = "dir with space/Äpp.msapp";
    fs::create_dir_all(repo.join("dir with space")).unwrap();
    let write =
        |content: &str| fs::write(repo.join(app), format!("PK\x03\x04\0\0{content}")).unwrap();
    write("line1\nline2\nline3\n");
    sb.git_ok(&repo, &["add", "--all"]);
    sb.git_ok(&repo, &["commit", "-qm", "base"]);
    sb.git_ok(&repo, &["branch", "their-side/ü"]);
    write("line1 ours\nline2\nline3\n");
    sb.git_ok(&repo, &["commit", "-qam", "ours"]);
    sb.git_ok(&repo, &["checkout", "-q", "their-side/ü"]);
    write("line1 theirs\nline2\nline3 theirs\n");
    sb.git_ok(&repo, &["commit", "-qam", "theirs"]);
    sb.git_ok(&repo, &["checkout", "-q", "-"]);
    sb.git_ok(&repo, &["merge", "-q", "--no-edit", "their-side/ü"]);
    assert_eq!(
        fs::read_to_string(repo.join(app)).unwrap(),
        "PK\x03\x04\0\0line1 theirs\nline2\nline3 theirs\n"
    );

    let log = fs::read_to_string(tools.join("calls.log")).unwrap();
    let args: Vec<&str> = log.lines().take_while(|l| *l != "---").collect();
    assert_eq!(args[0], "[merge]");
    assert_eq!(
        args[1..5],
        [
            "[--marker-size]",
            "[7]",
            "[--path]",
            "[dir with space/Äpp.msapp]"
        ]
    );
    assert_eq!(args[5], "[--base-label]");
    assert_eq!(
        args[7..11],
        [
            "[--ours-label]",
            "[HEAD]",
            "[--theirs-label]",
            "[their-side/ü]"
        ]
    );
    assert_eq!(args.len(), 14, "{log}");
    assert!(args[6].len() > 2 && args[6] != "[%S]", "{log}");

    let diff = sb.git_ok(&repo, &["diff", "HEAD~2", "HEAD", "--", app]);
    assert!(diff.contains("textconv of"), "{diff}");
    assert!(diff.contains("\n+line3 theirs\n"), "{diff}");
    let patch = sb.git_ok(&repo, &["format-patch", "--stdout", "-1", "HEAD~1"]);
    assert!(
        !patch.contains("textconv of"),
        "format-patch must stay binary: {patch}"
    );
}

#[cfg(unix)]
#[test]
fn hunk_headers_name_the_control_and_words_split_formulas() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    sb.run_ok(&repo, &["install", "--skip-repo"]);
    // The textconv output format, diffed with a textconv of `cat`.
    fs::write(repo.join(".gitattributes"), "*.txt diff=msapp\n").unwrap();
    sb.git_ok(&repo, &["config", "--local", "diff.msapp.textconv", "cat"]);
    let before = r#"=== Src/App.fx.yaml
App As appinfo:
    BackEnabled: =false
    OnStart: |-
        =Set(x, 1);
        Set(y, 2)

=== Src/Screen1.fx.yaml
Screen1 As screen:
    Fill: =RGBA(255, 255, 255, 1)

    "'My Label' As label":
        Text: ="hello As world:"
        X: =10
        Y: =20
        Width: =100
        Height: =40
        Color: =Color.Red

    Gallery1 As gallery.'BrowseLayout_Vertical_TwoTextOneImageVariant_ver5.0':
        Items: =Accounts
        X: =10
        Y: =20
        Width: =100
        Height: =40

        Title1 As label:
            Text: =ThisItem.Name
            X: =10
            Y: =20
            Width: =100
            Height: =40
            Size: =12
=== Src/Screen2.fx.yaml
Screen2 As screen:
"#;
    fs::write(repo.join("app.txt"), before).unwrap();
    sb.git_ok(&repo, &["add", "--all"]);
    sb.git_ok(&repo, &["commit", "-qm", "base"]);
    let after = before
        .replace("Color.Red", "Color.Blue")
        .replace("Size: =12", "Size: =14")
        .replace("Set(y, 2)", "Set(y, 3)")
        .replace("Screen2 As screen:", "Screen3 As screen:");
    fs::write(repo.join("app.txt"), after).unwrap();
    let diff = sb.git_ok(&repo, &["diff", "-U0"]);
    let headers: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with("@@"))
        .map(|l| l.rsplit("@@").next().unwrap().trim())
        .collect();
    assert_eq!(
        headers,
        [
            "App As appinfo",
            "\"'My Label' As label\"",
            "Title1 As label",
            "=== Src/Screen2.fx.yaml"
        ],
        "{diff}"
    );
    let words = sb.git_ok(&repo, &["diff", "--word-diff=plain", "-U0"]);
    assert!(words.contains("=Color.[-Red-]{+Blue+}"), "{words}");
    assert!(words.contains("Set(y, [-2-]{+3+})"), "{words}");
}

// ---- the end-to-end proof the doctor can run ----------------------------------------------------

#[cfg(unix)]
#[test]
fn doctor_proof_runs_a_real_merge_and_diff() {
    let sb = Sandbox::new();
    let fake = sb.root.join("bin dir").join("msapp-merge");
    write_script(&fake, FAKE);
    let git = sb.lib_git(&sb.root);
    let program = fake.to_str().unwrap();
    assert!(doctor::supports_merge(&git, program));
    let fixture = ProofFixture {
        base: b"PK\x03\x04\0base\n".to_vec(),
        ours: b"PK\x03\x04\0ours\n".to_vec(),
        theirs: b"PK\x03\x04\0theirs\n".to_vec(),
        expect_clean: true,
    };
    let findings = doctor::prove_merge_and_diff(&git, program, &fixture).unwrap();
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert!(
        findings.iter().all(|f| f.severity == Severity::Ok),
        "{findings:?}"
    );
    // The user's (sandboxed) global config was not touched.
    assert!(!sb.global_config().exists());

    // A program without `merge` is not run.
    let no_merge = sb.root.join("other").join("msapp-merge");
    write_script(&no_merge, "#!/bin/sh\nexit 2\n");
    assert!(!doctor::supports_merge(&git, no_merge.to_str().unwrap()));
    assert!(!doctor::supports_merge(&git, "/nowhere/msapp-merge"));

    // A driver that is not run (git falls back to its binary merge) is a problem.
    let findings = doctor::prove_merge_and_diff(&git, "/nowhere/msapp-merge", &fixture).unwrap();
    assert!(
        findings.iter().any(|f| f.severity == Severity::Problem),
        "{findings:?}"
    );
}

// ---- both gits on this machine, help ------------------------------------------------------------

#[cfg(unix)]
#[test]
fn works_with_every_git_on_this_machine() {
    for git in ["/usr/bin/git", "/usr/local/bin/git"] {
        if !Path::new(git).exists() {
            continue;
        }
        let mut sb = Sandbox::new();
        let shim = sb.root.join("shim");
        fs::create_dir(&shim).unwrap();
        std::os::unix::fs::symlink(git, shim.join("git")).unwrap();
        sb.path_prefix.push(shim);
        let version = sb.git_ok(&sb.root, &["--version"]);
        let repo = sb.repo("repo");
        sb.run_ok(&repo, &["install", "--trees", "--hook", "pre-push"]);
        let config = fs::read(sb.global_config()).unwrap();
        sb.run_ok(&repo, &["install", "--trees", "--hook", "pre-push"]);
        assert_eq!(fs::read(sb.global_config()).unwrap(), config, "{version}");
        assert_routing(&sb, &repo, true);
        let out = sb.run(&repo, &["doctor"]);
        let old = version.contains(" 2.39.");
        assert_eq!(
            out.status.code(),
            Some(if old { 1 } else { 0 }),
            "{version}: {}",
            text(&out)
        );
        if old {
            assert!(
                text(&out).contains("%S %X %Y need git 2.44"),
                "{}",
                text(&out)
            );
        }
        sb.run_ok(&repo, &["uninstall"]);
        assert_eq!(sb.msapp_keys(&repo), "", "{version}");
        assert!(!repo.join(".gitattributes").exists());
        assert!(!repo.join(".git/hooks/pre-push").exists());
    }
}

#[test]
fn every_subcommand_has_help() {
    let sb = Sandbox::new();
    for sub in ["install", "uninstall", "doctor"] {
        let out = sb.run(&sb.root, &[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{sub}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{sub}"
        );
    }
    let out = sb.run(&sb.root, &["install", "--hook", "post-commit"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn errors_are_one_line_and_change_nothing() {
    let sb = Sandbox::new();
    let repo = sb.repo("repo");
    fs::write(repo.join(".gitattributes"), [0xff, 0xfe, b'\n']).unwrap();
    let out = sb.run(&repo, &["install"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert!(!sb.global_config().exists());

    fs::write(sb.global_config(), "[broken\n").unwrap();
    for sub in ["install", "uninstall", "doctor"] {
        let out = sb.run(&repo, &[sub]);
        assert_eq!(out.status.code(), Some(2), "{sub}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{sub}: {err}");
        assert!(err.contains("bad config line 1"), "{sub}: {err}");
    }
    assert_eq!(fs::read_to_string(sb.global_config()).unwrap(), "[broken\n");
}
