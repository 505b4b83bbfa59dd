//! Command-line entry point: parses arguments, calls the library, prints, sets the exit code
//! (0 success, 1 conflicts or findings, 2 bad input or failure, 129 a bug: see `crash`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use msapp_merge::app;
use msapp_merge::error::Error;
use msapp_merge::source::FormatVersion;
use msapp_merge::source::unpack::UnpackOptions;

#[derive(Parser)]
#[command(
    name = "msapp-merge",
    version,
    about = "Keep Power Apps canvas apps (.msapp) in git: unpack, pack, merge, diff, check"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Unpack an .msapp into the `pac canvas unpack` source layout
    Unpack(UnpackArgs),
    /// Pack a source tree back into an .msapp
    Pack(PackArgs),
    /// Register msapp-merge with git: merge and diff drivers in git config and, inside a
    /// repository, the .gitattributes line routing *.msapp to them
    Install(InstallArgs),
    /// Remove exactly what install wrote (values changed by the user stay unless --force)
    Uninstall(UninstallArgs),
    /// Check that git really uses msapp-merge for apps here; exit 1 when something is missing
    Doctor(DoctorArgs),
    /// Three-way merge of apps (git's merge driver): writes the result over OURS
    Merge(MergeArgs),
    /// Finish a conflicted merge: pack the edited workspace (or take --ours / --theirs)
    Resolve(ResolveArgs),
    /// Merge one file of a committed source tree (git's per-file merge driver)
    MergeFile(MergeFileArgs),
    /// Print an app as text for git diff, log -p, blame and log -S (git's diff.msapp.textconv);
    /// never fails: a broken file prints one explanatory line
    Textconv(TextconvArgs),
    /// For CI and pre-push: apps and source trees unpack, pack and round-trip, control names
    /// are unique, no conflict markers or unresolved recorded merge conflicts are left.
    /// Exit 0 clean, 1 findings (one line each), 2 could not run
    Check(CheckArgs),
}

#[derive(Args)]
struct MergeFileArgs {
    /// The rule for this file: fx-yaml, cache, checksum or strict
    #[arg(long, value_name = "KIND")]
    kind: msapp_merge::merge::file::FileKind,
    #[command(flatten)]
    merge: MergeArgs,
}

#[derive(Args)]
struct MergeArgs {
    /// The common ancestor (git's %O; an empty file when both sides added the app)
    #[arg(value_name = "BASE")]
    base: PathBuf,
    /// Our version (git's %A); the result is written here unless -o is given
    #[arg(value_name = "OURS")]
    ours: PathBuf,
    /// Their version (git's %B)
    #[arg(value_name = "THEIRS")]
    theirs: PathBuf,
    /// Write the result here instead of over OURS
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The path of the app in the repository (git's %P)
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// Length of conflict markers (git's %L)
    #[arg(long, value_name = "N")]
    marker_size: Option<usize>,
    /// Label of the base version (git's %S)
    #[arg(long, value_name = "LABEL")]
    base_label: Option<String>,
    /// Label of our version (git's %X)
    #[arg(long, value_name = "LABEL")]
    ours_label: Option<String>,
    /// Label of their version (git's %Y)
    #[arg(long, value_name = "LABEL")]
    theirs_label: Option<String>,
    /// Always merge through the unpacked model, never entry by entry (for diagnosis)
    #[arg(long, hide = true)]
    no_fast_path: bool,
}

#[derive(Args)]
struct ResolveArgs {
    /// The conflicted app
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// Keep ours at every conflict
    #[arg(long, conflicts_with = "theirs")]
    ours: bool,
    /// Take theirs at every conflict
    #[arg(long)]
    theirs: bool,
    /// Settle even though git has no conflict recorded for PATH (a workspace left over from an
    /// aborted merge)
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct UnpackArgs {
    /// The app to unpack
    #[arg(value_name = "APP.msapp", required_unless_present = "msapp")]
    app: Option<PathBuf>,
    /// Output directory [default: APP_src next to the app]
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// pac spelling of APP.msapp
    #[arg(long, value_name = "APP.msapp", conflicts_with = "app")]
    msapp: Option<PathBuf>,
    /// pac spelling of DIR
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    sources: Option<PathBuf>,
    /// Replace the content of a non-empty DIR
    #[arg(long)]
    force: bool,
    /// FormatVersion written to CanvasManifest.json (0.24 or 0.30)
    #[arg(long, value_name = "VERSION", default_value = "0.24")]
    format_version: String,
}

#[derive(Args)]
struct PackArgs {
    /// The source tree
    #[arg(value_name = "DIR", required_unless_present = "sources")]
    dir: Option<PathBuf>,
    /// The app to write
    #[arg(value_name = "APP.msapp", required_unless_present = "msapp")]
    app: Option<PathBuf>,
    /// pac spelling of DIR
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    sources: Option<PathBuf>,
    /// pac spelling of APP.msapp
    #[arg(long, value_name = "APP.msapp", conflicts_with = "app")]
    msapp: Option<PathBuf>,
}

// The app model is millions of small allocations (JSON keys, strings); mimalloc handles that
// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc hands freed memory back to the system after 10 ms, and the commands free and
/// allocate hundreds of MB in phases (parse, unpack, merge, pack): each phase then had the
/// kernel zero its pages afresh, a quarter of a 100-change merge's time on the largest corpus
/// app. A command lives for seconds at most, so it keeps what it freed for its next phase; its
/// peak memory is the same.
fn keep_freed_memory() {
    // `mi_option_purge_delay`: the sixteenth option of mimalloc 2 and 3, which
    // libmimalloc-sys does not name.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one process-wide option of the allocator, which reads it atomically.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    // textconv keeps its own hook: it must exit 0 whatever happens.
    if !matches!(cli.command, Command::Textconv(_)) {
        msapp_merge::crash::install_hook();
    }
    msapp_merge::crash::guarded(|| match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("msapp-merge: error: {e}");
            ExitCode::from(2)
        }
    })
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("msapp-merge: warning: {w}");
    }
}

fn default_src_dir(app: &Path) -> PathBuf {
    let stem = app
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_string());
    app.with_file_name(format!("{stem}_src"))
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Unpack(a) => {
            let app_path = a
                .app
                .or(a.msapp)
                .ok_or_else(|| Error::Refused("no app given".into()))?;
            let dir = a
                .dir
                .or(a.sources)
                .unwrap_or_else(|| default_src_dir(&app_path));
            let format_version = FormatVersion::parse(&a.format_version).ok_or_else(|| {
                Error::Refused(format!(
                    "--format-version {} is not supported (supported: {})",
                    a.format_version,
                    FormatVersion::SUPPORTED.join(", ")
                ))
            })?;
            let warnings = app::unpack_file(
                &app_path,
                &dir,
                a.force,
                &UnpackOptions {
                    format_version,
                    ..UnpackOptions::default()
                },
            )?;
            print_warnings(&warnings.0);
            Ok(ExitCode::SUCCESS)
        }
        Command::Pack(a) => {
            let dir = a
                .dir
                .or(a.sources)
                .ok_or_else(|| Error::Refused("no source directory given".into()))?;
            let app_path = a
                .app
                .or(a.msapp)
                .ok_or_else(|| Error::Refused("no output app given".into()))?;
            let warnings = app::pack_dir(&dir, &app_path)?;
            print_warnings(&warnings.0);
            Ok(ExitCode::SUCCESS)
        }
        Command::Install(a) => run_install(a),
        Command::Uninstall(a) => run_uninstall(a),
        Command::Doctor(a) => run_doctor(a),
        Command::Merge(a) => run_merge(a),
        Command::Resolve(a) => run_resolve(a),
        Command::MergeFile(a) => run_merge_file(a),
        Command::Textconv(a) => Ok(run_textconv(a)),
        Command::Check(a) => run_check(a),
    }
}

// ---- git registration: install, uninstall, doctor ----

#[derive(Args)]
#[group(multiple = false)]
struct ScopeArgs {
    /// Use the repository's .git/config (run inside a work tree)
    #[arg(long)]
    local: bool,
    /// Use the user's global git config [default]
    #[arg(long)]
    global: bool,
    /// Use the machine-wide git config
    #[arg(long)]
    system: bool,
    /// Use this config file
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

impl ScopeArgs {
    fn scope(&self) -> msapp_merge::git::Scope {
        use msapp_merge::git::Scope;
        match (&self.file, self.local, self.system) {
            (Some(file), _, _) => Scope::File(file.clone()),
            (None, true, _) => Scope::Local,
            (None, false, true) => Scope::System,
            (None, false, false) => Scope::Global,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum HookArg {
    /// Run `msapp-merge check` before every push
    PrePush,
}

#[derive(Args)]
struct InstallArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Replace values (and a hook) msapp-merge did not write
    #[arg(long)]
    force: bool,
    /// Program to write into the driver commands [default: `msapp-merge` when git's shell finds
    /// this executable on the PATH, else this executable's absolute path]
    #[arg(long, value_name = "NAME")]
    command_name: Option<String>,
    /// Do not touch the current repository (.gitattributes, hooks)
    #[arg(long, conflicts_with_all = ["trees", "hook"])]
    skip_repo: bool,
    /// Also route the files of committed unpacked trees to the per-file drivers
    #[arg(long)]
    trees: bool,
    /// Also install this git hook in the current repository
    #[arg(long, value_enum, value_name = "HOOK")]
    hook: Option<HookArg>,
}

#[derive(Args)]
struct UninstallArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Also remove values msapp-merge did not write
    #[arg(long)]
    force: bool,
    /// Program install was given with --command-name, so its commands are recognised
    #[arg(long, value_name = "NAME")]
    command_name: Option<String>,
    /// Do not touch the current repository (.gitattributes, hooks)
    #[arg(long)]
    skip_repo: bool,
}

#[derive(Args)]
struct DoctorArgs {
    /// Program install was given with --command-name, so its commands are recognised
    #[arg(long, value_name = "NAME")]
    command_name: Option<String>,
}

fn current_git() -> Result<msapp_merge::git::Git, Error> {
    let dir = std::env::current_dir().map_err(|e| Error::io(PathBuf::from("."), e))?;
    Ok(msapp_merge::git::Git::new(dir))
}

fn print_git_report(report: &msapp_merge::git::install::Report, scope: &str) -> ExitCode {
    use msapp_merge::git::install::Change;
    // Keys already in place, or removed, are summed up: the keys themselves are listed by
    // `git config --get-regexp msapp`.
    let mut unchanged = 0usize;
    let mut removed = 0usize;
    for change in &report.changes {
        match change {
            Change::ConfigUnchanged { .. } => unchanged += 1,
            Change::ConfigRemoved { .. } => removed += 1,
            Change::ConfigSet { .. }
            | Change::ConfigUpgraded { .. }
            | Change::ConfigForeignKept { .. }
            | Change::ConfigForeignReplaced { .. } => println!("{scope}: {change}"),
            _ => println!("{change}"),
        }
    }
    if unchanged > 0 {
        println!("{scope}: {unchanged} msapp-merge settings already in place");
    }
    if removed > 0 {
        println!("{scope}: removed {removed} msapp-merge settings");
    }
    print_warnings(&report.warnings);
    let refusals = report.refusals();
    if refusals > 0 {
        eprintln!(
            "msapp-merge: {refusals} item(s) left alone because msapp-merge did not write them"
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_install(a: InstallArgs) -> Result<ExitCode, Error> {
    use msapp_merge::git::{hooks::Hook, install};
    let scope = a.scope.scope();
    let options = install::InstallOptions {
        scope: scope.clone(),
        force: a.force,
        program: a.command_name,
        skip_repo: a.skip_repo,
        trees: a.trees,
        hook: a.hook.map(|h| match h {
            HookArg::PrePush => Hook::PrePush,
        }),
    };
    let report = install::install(&current_git()?, &options)?;
    Ok(print_git_report(&report, &scope.describe()))
}

fn run_uninstall(a: UninstallArgs) -> Result<ExitCode, Error> {
    use msapp_merge::git::install;
    let scope = a.scope.scope();
    let options = install::UninstallOptions {
        scope: scope.clone(),
        force: a.force,
        program: a.command_name,
        skip_repo: a.skip_repo,
    };
    let report = install::uninstall(&current_git()?, &options)?;
    if report.changes.is_empty() {
        println!("nothing of msapp-merge's found in {}", scope.describe());
    }
    Ok(print_git_report(&report, &scope.describe()))
}

fn run_doctor(a: DoctorArgs) -> Result<ExitCode, Error> {
    use msapp_merge::git::doctor;
    // A generated app proves merge and diff end to end without shipping a sample.
    let proof = (|| -> Result<doctor::ProofFixture, Error> {
        use msapp_merge::synthetic::synthetic_app;
        Ok(doctor::ProofFixture {
            base: synthetic_app(2, 2, &[])?,
            ours: synthetic_app(2, 2, &[(1, 1, "\"edited by ours\"")])?,
            theirs: synthetic_app(2, 2, &[(2, 2, "\"edited by theirs\"")])?,
            expect_clean: true,
        })
    })()?;
    let options = doctor::DoctorOptions {
        program: a.command_name,
        proof: Some(proof),
    };
    let report = doctor::doctor(&current_git()?, &options)?;
    for line in &report.lines {
        println!("{line}");
    }
    let findings = report.findings().count();
    if findings == 0 {
        println!("msapp-merge doctor: all good");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("msapp-merge doctor: {findings} finding(s)");
        Ok(ExitCode::from(1))
    }
}

fn run_merge(a: MergeArgs) -> Result<ExitCode, Error> {
    let request = msapp_merge::driver::MergeRequest {
        base: a.base,
        ours: a.ours,
        theirs: a.theirs,
        out: a.output,
        path: a.path,
        marker_size: a.marker_size,
        base_label: a.base_label,
        ours_label: a.ours_label,
        theirs_label: a.theirs_label,
        model_only: a.no_fast_path,
    };
    let outcome = msapp_merge::driver::run_merge(&request)?;
    eprint!("{}", outcome.report);
    Ok(if outcome.conflicts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_resolve(a: ResolveArgs) -> Result<ExitCode, Error> {
    use msapp_merge::driver::Resolution;
    let how = if a.ours {
        Resolution::Ours
    } else if a.theirs {
        Resolution::Theirs
    } else {
        Resolution::Workspace
    };
    if !a.force {
        msapp_merge::driver::ensure_still_conflicted(&a.path)?;
    }
    msapp_merge::driver::resolve(&a.path, how)?;
    eprintln!(
        "msapp-merge: resolved {}; now `git add` it",
        a.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_merge_file(a: MergeFileArgs) -> Result<ExitCode, Error> {
    let m = a.merge;
    let request = msapp_merge::driver::MergeRequest {
        base: m.base,
        ours: m.ours,
        theirs: m.theirs,
        out: m.output,
        path: m.path,
        marker_size: m.marker_size,
        base_label: m.base_label,
        ours_label: m.ours_label,
        theirs_label: m.theirs_label,
        model_only: m.no_fast_path,
    };
    let outcome = msapp_merge::driver::run_merge_file(a.kind, &request)?;
    eprint!("{}", outcome.report);
    Ok(if outcome.conflicts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

// ---- textconv ----

#[derive(Clone, Copy, clap::ValueEnum)]
enum TextFormatArg {
    /// Controls as the `.fx.yaml` files of `unpack`
    FxYaml,
    /// Controls as Studio's own YAML view (`Src/*.pa.yaml`)
    PaYaml,
}

#[derive(Args)]
struct TextconvArgs {
    /// The app (git passes a temporary copy of the blob)
    #[arg(value_name = "APP.msapp")]
    file: PathBuf,
    /// How controls are written
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "fx-yaml")]
    format: TextFormatArg,
    /// The text version the configured command was installed for (`install` writes it so that
    /// git's cache of texts starts afresh when a release changes them); the current text is
    /// always written
    #[arg(long, value_name = "N")]
    text_version: Option<u32>,
}

/// Always exits 0: a failing textconv would abort the user's whole `git log -p`.
fn run_textconv(a: TextconvArgs) -> ExitCode {
    use msapp_merge::render::{self, TextFormat};
    use std::io::Write;
    let format = match a.format {
        TextFormatArg::FxYaml => TextFormat::FxYaml,
        TextFormatArg::PaYaml => TextFormat::PaYaml,
    };
    // A panic is reported on stdout by textconv itself; the default hook would add a
    // backtrace hint to git's output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut store = render_store();
    let text = render::textconv_path(&a.file, format, &mut store);
    // A closed pipe (`git log -p | head`) is not an error worth reporting.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    store.save();
    ExitCode::SUCCESS
}

/// Renderings are kept in the git directory of the repository textconv runs in.
fn render_store() -> msapp_merge::render::RenderStore {
    use msapp_merge::render::RenderStore;
    msapp_merge::git::cache_git_dir()
        .map_or_else(RenderStore::disabled, |dir| RenderStore::in_git_dir(&dir))
}

// ---- check ----

#[derive(Args)]
struct CheckArgs {
    /// Apps, source trees (directories with CanvasManifest.json), or directories to search for
    /// both [default: every tracked *.msapp and tree of the repository, named relative to its
    /// top]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn run_check(a: CheckArgs) -> Result<ExitCode, Error> {
    use msapp_merge::check;
    let git = current_git()?;
    let report = if a.paths.is_empty() {
        check::check_repository(&git)?
    } else {
        check::check_paths(&git, &a.paths)?
    };
    for finding in &report.findings {
        println!("{finding}");
    }
    let checked = format!(
        "{} app(s) and {} source tree(s) checked",
        report.apps, report.trees
    );
    if report.findings.is_empty() {
        eprintln!("msapp-merge check: {checked}, all good");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "msapp-merge check: {checked}, {} finding(s)",
            report.findings.len()
        );
        Ok(ExitCode::from(1))
    }
}
