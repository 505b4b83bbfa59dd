//! `cargo bench --bench msapp`: wall time and peak memory of every command on the corpus apps
//! and on generated apps of growing size, each next to the naive floor (inflate the three
//! inputs, deflate one output, same zip library). Writes `bench/results/`.
//!
//! Full run (tens of minutes; keep the machine otherwise idle, the figures are wall times):
//!     bench/run.sh                          # = cargo bench --bench msapp, then the plot
//! Smoke run (one to two minutes: the largest and the smallest corpus app with one change per
//! side, generated apps of 10 and 50 screens, every command once):
//!     cargo bench --bench msapp -- --quick
//! Needs `../shared/corpus/apps` beside the repository (or `--corpus DIR`).
//!
//! Options (after `--`): `--runs N` (default 5), `--quick` (the smoke run above; `--runs`
//! and `--sizes` still override it), `--only TEXT` (subjects whose name contains TEXT),
//! `--sizes 10,100,500`, `--no-corpus`, `--no-synthetic`, `--no-phases`, `--out DIR`,
//! `--corpus DIR`.

const USAGE: &str = "\
cargo bench --bench msapp -- [OPTIONS]
Wall time and peak memory of every command on the corpus apps and on generated apps, next to
the floor (inflate three inputs, deflate one output). Writes bench/results/.

  --runs N          runs per figure (default 5)
  --quick           smoke run: one run, generated apps of 10 and 50 screens
  --only TEXT       subjects whose name contains TEXT (corpus app names, labels-N, cloned-N)
  --sizes A,B,C     generated app sizes in screens (default 10,100,500)
  --no-corpus       no corpus apps
  --no-synthetic    no generated apps
  --no-phases       no in-process phase timing of the model merge
  --out DIR         where results go (default bench/results)
  --corpus DIR      the corpus apps (default ../shared/corpus/apps)
  -h, --help        this text

Full run with the plot: bench/run.sh. git log -p over a history: bench/log-p.sh.";

mod inputs;
mod measure;
mod phases;
mod report;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use msapp_merge::container::{self, Limits};

use measure::{Sample, Stats};

// The same allocator as the binary, so the in-process figures and the floors compare fairly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MERGE_BIN: &str = env!("CARGO_BIN_EXE_msapp-merge");
/// Changes per side of "merge with many changes".
const MANY: usize = 100;
/// Changes per side measured on the largest generated app of each series.
const SWEEP: &[usize] = &[1, 10, 100, 1000];
/// Labels per screen of the label-only series.
const LABELS_PER_SCREEN: usize = 20;
/// The real screen the realistic series is made of, and its app.
const CLONE_APP: &str = "AnimationControlIdIsGuid.msapp";
const CLONE_SCREEN: &str = "Screen2";
/// The git directory of the warm merge, inside each subject's scratch directory.
const GIT_DIR: &str = "git";
/// The conflict workspace the merge driver writes inside its git directory for
/// `--path app.msapp`. Only it goes between runs: the same directory holds the checksum cache
/// the warm merges are measured with.
const WORKSPACE: &str = "msapp-merge/app.msapp";
/// The git directory textconv-warm runs with, and the one holding the base's renderings that
/// each run starts from.
const TEXTCONV_GIT_DIR: &str = "textconv-git";
const TEXTCONV_WARMED: &str = "textconv-git-warmed";

pub struct Config {
    pub runs: usize,
    pub quick: bool,
    pub only: Option<String>,
    pub sizes: Vec<usize>,
    pub corpus: bool,
    pub synthetic: bool,
    pub phases: bool,
    pub out: PathBuf,
    pub corpus_dir: PathBuf,
    pub args: String,
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut cfg = Config {
            runs: 5,
            quick: false,
            only: None,
            sizes: vec![10, 100, 500],
            corpus: true,
            synthetic: true,
            phases: true,
            out: root.join("bench/results"),
            corpus_dir: root.join("../shared/corpus/apps"),
            args: args
                .iter()
                .filter(|a| *a != "--bench")
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        };
        let (mut runs, mut sizes) = (None, None);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                // cargo bench passes this to every bench target.
                "--bench" => {}
                "--runs" => runs = Some(value()?.parse().map_err(|e| format!("--runs: {e}"))?),
                "--quick" => cfg.quick = true,
                "--only" => cfg.only = Some(value()?),
                "--sizes" => {
                    sizes = Some(
                        value()?
                            .split(',')
                            .map(|s| s.trim().parse().map_err(|e| format!("--sizes: {e}")))
                            .collect::<Result<_, _>>()?,
                    )
                }
                "--no-corpus" => cfg.corpus = false,
                "--no-synthetic" => cfg.synthetic = false,
                "--no-phases" => cfg.phases = false,
                "--out" => cfg.out = PathBuf::from(value()?),
                "--corpus" => cfg.corpus_dir = PathBuf::from(value()?),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if cfg.quick {
            // A smoke run: every command and every report section once, in about a minute.
            cfg.runs = 1;
            cfg.sizes = vec![10, 50];
        }
        cfg.runs = runs.unwrap_or(cfg.runs).max(1);
        cfg.sizes = sizes.unwrap_or(cfg.sizes);
        Ok(cfg)
    }
}

/// What one measured command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// Inflate base, ours, theirs; deflate ours into the output.
    Floor,
    /// Inflate one app.
    Inflate,
    /// Read every entry of one app once, on both cores: inflate it and, for JSON, compute
    /// its checksum value (tokenize and hash, no tree). Nothing that shows or checksums the
    /// whole app without a cache can do less.
    ReadAll,
    /// Sketch of the proposed fast path's lower bound: decide per entry from the central
    /// directories (CRC, size) which side changed it and copy it compressed from that side.
    EntryCopy,
    Merge(usize),
    /// The merge with one change per side as git runs it (`--path`, a git directory), so
    /// the checksum values of unchanged entries come from the cache the untimed proof run
    /// filled.
    MergeWarm,
    /// One change per side in the same screen, warm cache: that screen goes through the
    /// model merge of a reduced app.
    MergeSameScreen,
    /// One new control per side in the same screen, warm cache: both sides give theirs the
    /// same id and publish order, and theirs is renumbered.
    MergeAdds,
    /// One formula changed differently on each side, warm cache, as git runs it: the merge
    /// exits 1 and writes the conflict workspace (the whole app's source tree).
    MergeConflict,
    /// textconv with no store of earlier renderings.
    Textconv,
    /// textconv of the version with one change, its store warmed by the version before (as
    /// in `git log -p`, which renders consecutive versions).
    TextconvWarm,
    Unpack,
    Pack,
    Check,
}

impl Op {
    pub fn name(self) -> String {
        match self {
            Op::Floor => "floor".into(),
            Op::Inflate => "inflate".into(),
            Op::ReadAll => "read-all".into(),
            Op::EntryCopy => "entry-copy".into(),
            Op::Merge(n) => format!("merge-{n}"),
            Op::MergeWarm => "merge-warm-1".into(),
            Op::MergeSameScreen => "merge-same-screen".into(),
            Op::MergeAdds => "merge-adds".into(),
            Op::MergeConflict => "merge-conflict".into(),
            Op::Textconv => "textconv".into(),
            Op::TextconvWarm => "textconv-warm".into(),
            Op::Unpack => "unpack".into(),
            Op::Pack => "pack".into(),
            Op::Check => "check".into(),
        }
    }
}

/// An app to measure.
pub struct Subject {
    pub series: &'static str,
    pub name: String,
    pub screens: Option<usize>,
    pub base: Vec<u8>,
    pub merge_counts: Vec<usize>,
}

/// Everything measured on one subject.
pub struct Measured {
    pub series: &'static str,
    pub name: String,
    pub screens: Option<usize>,
    pub compressed: u64,
    pub uncompressed: u64,
    pub formulas: usize,
    /// Changes per side requested -> made (an app with few formulas gets fewer).
    pub changes: BTreeMap<usize, usize>,
    pub stats: BTreeMap<Op, Stats>,
    /// Merge op -> the path the command reported taking (`MSAPP_MERGE_TRACE`) on its
    /// untimed proof run.
    pub merge_paths: BTreeMap<Op, String>,
    pub load: String,
    pub notes: Vec<String>,
}

impl Measured {
    pub fn get(&self, op: Op) -> Option<&Stats> {
        self.stats.get(&op)
    }
}

fn main() -> ExitCode {
    let raw: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let [flag, rest @ ..] = raw.as_slice()
        && flag == measure::MEASURED_FLAG
    {
        return measure::measured_main(rest);
    }
    let Some(args) = raw
        .into_iter()
        .map(OsString::into_string)
        .collect::<Result<Vec<String>, _>>()
        .ok()
    else {
        eprintln!("msapp bench: arguments must be UTF-8");
        return ExitCode::from(2);
    };
    match args.first().map(String::as_str) {
        // The trivial process whose peak memory shows what the measurement itself costs.
        Some("__noop") => return ExitCode::SUCCESS,
        Some("__floor") => return exit(floor(args.get(1..).unwrap_or_default(), true)),
        Some("__inflate") => return exit(floor(args.get(1..).unwrap_or_default(), false)),
        Some("__entry_copy") => return exit(entry_copy(args.get(1..).unwrap_or_default())),
        Some("__read_all") => return exit(read_all(args.get(1..).unwrap_or_default())),
        _ => {}
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let cfg = match Config::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("msapp bench: {e}");
            return ExitCode::from(2);
        }
    };
    exit(run(&cfg))
}

fn exit(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("msapp bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// The naive floor as its own process: the zip crate used plainly, on one thread, as a
/// merge driver that unzips everything and zips the result would use it: read and inflate
/// every entry of the inputs and, for the merge floor, deflate the second input's entries
/// (default level) into the output file. msapp-merge's own container is not used: it
/// inflates and deflates big apps on two cores, which is an optimisation, not the floor.
fn floor(args: &[String], write: bool) -> Result<(), String> {
    use std::io::{Read, Write};
    let (inputs, output) = if write {
        match args {
            [a, b, c, out] => (vec![a, b, c], Some(out)),
            _ => return Err("usage: __floor BASE OURS THEIRS OUT".into()),
        }
    } else {
        (args.iter().collect(), None)
    };
    let mut inflated: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    for path in inputs {
        let bytes = fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| format!("{path}: {e}"))?;
        let mut entries = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).map_err(|e| format!("{path}: {e}"))?;
            let mut data = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
            file.read_to_end(&mut data)
                .map_err(|e| format!("{path}: {e}"))?;
            entries.push((
                file.name()
                    .map_err(|e| format!("{path}: {e}"))?
                    .into_owned(),
                data,
            ));
        }
        inflated.push(entries);
    }
    if let (Some(out), Some(ours)) = (output, inflated.get(1)) {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in ours {
            writer
                .start_file(name.as_str(), options)
                .map_err(|e| e.to_string())?;
            writer.write_all(data).map_err(|e| e.to_string())?;
        }
        let bytes = writer.finish().map_err(|e| e.to_string())?.into_inner();
        fs::write(out, bytes).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

/// [`Op::ReadAll`] as its own process: msapp-merge's container inflates the app (big apps
/// on both cores), then each core computes the checksum values of half of the bytes.
fn read_all(args: &[String]) -> Result<(), String> {
    let [path] = args else {
        return Err("usage: __read_all APP".into());
    };
    let bytes = fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let archive =
        container::read_archive(&bytes, path, &Limits::default()).map_err(|e| e.to_string())?;
    let sizes: Vec<u64> = archive
        .entries
        .iter()
        .map(|e| e.data.len() as u64)
        .collect();
    let (first, second) = archive
        .entries
        .split_at(container::half_of_the_bytes(&sizes));
    let values = |part: &[container::ArchiveEntry]| -> Result<usize, String> {
        let mut hashed = 0;
        for e in part {
            hashed += msapp_merge::checksum::entry_value(&e.name, &e.data)
                .map_err(|e| e.to_string())?
                .len();
        }
        Ok(hashed)
    };
    std::thread::scope(|scope| {
        let other = scope.spawn(|| values(second));
        values(first)?;
        other
            .join()
            .map_err(|_| "a worker panicked".to_string())??;
        Ok(())
    })
}

/// The fast path's floor: no entry is inflated; each is copied compressed from the side that
/// changed it. Entries changed on both sides are counted (the real fast path would merge
/// them) and taken from ours. Cross-entry checks and the client checksum are left out.
fn entry_copy(args: &[String]) -> Result<(), String> {
    let [base, ours, theirs, out] = args else {
        return Err("usage: __entry_copy BASE OURS THEIRS OUT".into());
    };
    let read = |p: &String| fs::read(p).map_err(|e| format!("{p}: {e}"));
    let (base, ours, theirs) = (read(base)?, read(ours)?, read(theirs)?);
    let list = |bytes: &[u8]| {
        container::list_entries(bytes, "side", &Limits::default())
            .map_err(|e| e.to_string())
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| (e.name.clone(), (e.crc32, e.uncompressed_size)))
                    .collect::<BTreeMap<_, _>>()
            })
    };
    let (b, o, t) = (list(&base)?, list(&ours)?, list(&theirs)?);
    let mut writer = container::ArchiveWriter::new();
    let open = |bytes| container::RawSource::open(bytes).map_err(|e| e.to_string());
    let (mut ours_raw, mut theirs_raw) = (open(&ours)?, open(&theirs)?);
    let mut both_changed = 0;
    for (name, facts) in &o {
        let ours_changed = b.get(name) != Some(facts);
        match t.get(name) {
            Some(theirs_facts) if !ours_changed && b.get(name) != Some(theirs_facts) => {
                writer.copy_raw(&mut theirs_raw, name)
            }
            Some(theirs_facts) if ours_changed && b.get(name) != Some(theirs_facts) => {
                if theirs_facts != facts {
                    both_changed += 1;
                }
                writer.copy_raw(&mut ours_raw, name)
            }
            // Deleted by theirs and untouched by ours: gone.
            None if !ours_changed => continue,
            _ => writer.copy_raw(&mut ours_raw, name),
        }
        .map_err(|e| e.to_string())?;
    }
    for name in t
        .keys()
        .filter(|n| !o.contains_key(*n) && !b.contains_key(*n))
    {
        writer
            .copy_raw(&mut theirs_raw, name)
            .map_err(|e| e.to_string())?;
    }
    let bytes = writer.finish().map_err(|e| e.to_string())?;
    fs::write(out, bytes).map_err(|e| format!("{out}: {e}"))?;
    if both_changed > 0 {
        eprintln!("{both_changed} entries changed on both sides");
    }
    Ok(())
}

fn run(cfg: &Config) -> Result<(), String> {
    fs::create_dir_all(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    let started_load = report::loadavg();
    let noop = std::env::current_exe()
        .map(|me| {
            let mut c = Command::new(me);
            c.arg("__noop");
            c
        })
        .map_err(|e| e.to_string())?;
    let scratch = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let baseline = measure::run(&noop, scratch.path()).map_err(|e| format!("baseline: {e}"))?;
    let mut measured = Vec::new();
    let mut phase_rows = None;

    if cfg.corpus {
        let mut apps = corpus_apps(&cfg.corpus_dir)?;
        if cfg.quick && apps.len() > 2 {
            // The target's app and the smallest one, whose peak memory shows the floor.
            apps.drain(1..apps.len() - 1);
        }
        let largest = apps.first().map(|(n, _)| n.clone());
        for (name, path) in apps {
            if !selected(cfg, &name) {
                continue;
            }
            let base = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let subject = Subject {
                series: "corpus",
                name: name.clone(),
                screens: None,
                base,
                // Many changes on the largest app may take the model merge, twice (the proof,
                // the run): too long for a smoke run.
                merge_counts: if cfg.quick { vec![1] } else { vec![1, MANY] },
            };
            let m = measure_subject(cfg, &subject)?;
            if cfg.phases && Some(&name) == largest.as_ref() {
                phase_rows = Some(measure_phases(cfg, &subject)?);
            }
            measured.push(m);
        }
    }

    if cfg.synthetic {
        let clone_source = fs::read(cfg.corpus_dir.join(CLONE_APP))
            .map_err(|e| format!("{CLONE_APP}: {e} (needed for the cloned-screen series)"))?;
        let largest = cfg.sizes.iter().copied().max().unwrap_or(0);
        for &screens in &cfg.sizes {
            let counts = if screens == largest {
                SWEEP.to_vec()
            } else {
                vec![1, MANY]
            };
            let labels_name = format!("labels-{screens}");
            if selected(cfg, &labels_name) {
                eprintln!("generating {labels_name}");
                let base = msapp_merge::synthetic::synthetic_app(screens, LABELS_PER_SCREEN, &[])
                    .map_err(|e| e.to_string())?;
                let subject = Subject {
                    series: "labels",
                    name: labels_name,
                    screens: Some(screens),
                    base,
                    merge_counts: counts.clone(),
                };
                measured.push(measure_subject(cfg, &subject)?);
            }
            let cloned_name = format!("cloned-{screens}");
            if selected(cfg, &cloned_name) {
                eprintln!("generating {cloned_name}");
                let base = inputs::cloned_app(&clone_source, CLONE_SCREEN, screens)
                    .map_err(|e| e.to_string())?;
                let subject = Subject {
                    series: "cloned",
                    name: cloned_name,
                    screens: Some(screens),
                    base,
                    merge_counts: counts,
                };
                measured.push(measure_subject(cfg, &subject)?);
            }
        }
    }

    let finished_load = report::loadavg();
    report::write_all(
        cfg,
        &measured,
        phase_rows.as_deref(),
        baseline.peak_rss,
        &started_load,
        &finished_load,
    )
}

fn selected(cfg: &Config, name: &str) -> bool {
    cfg.only.as_deref().is_none_or(|only| name.contains(only))
}

/// Corpus apps, largest first.
fn corpus_apps(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut apps = Vec::new();
    let listing = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in listing.flatten() {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("msapp"))
        {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            apps.push((size, name, path));
        }
    }
    apps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(apps.into_iter().map(|(_, n, p)| (n, p)).collect())
}

fn measure_phases(cfg: &Config, subject: &Subject) -> Result<Vec<(String, Duration)>, String> {
    eprintln!("  phases of merge-1 on {}", subject.name);
    let scripts = inputs::scripts(&subject.base).map_err(|e| e.to_string())?;
    let (o, t) = inputs::spread(&scripts, 1);
    let ours = inputs::with_changes(&subject.base, &o, "ours").map_err(|e| e.to_string())?;
    let theirs = inputs::with_changes(&subject.base, &t, "theirs").map_err(|e| e.to_string())?;
    let times = phases::merge_phases([&subject.base, &ours, &theirs], cfg.runs)
        .map_err(|e| e.to_string())?;
    Ok(phases::STEPS
        .iter()
        .chain([&phases::CHECKSUM_STEP])
        .map(|s| s.to_string())
        .zip(times)
        .collect())
}

fn measure_subject(cfg: &Config, subject: &Subject) -> Result<Measured, String> {
    eprintln!("measuring {} ({} bytes)", subject.name, subject.base.len());
    let tmp = tempfile::Builder::new()
        .prefix("msapp-bench-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    // MSAPP_BENCH_KEEP=1 keeps the inputs for a closer look.
    let dir = if std::env::var_os("MSAPP_BENCH_KEEP").is_some() {
        let kept = tmp.keep();
        eprintln!("  inputs kept in {}", kept.display());
        kept
    } else {
        tmp.path().to_path_buf()
    };
    let dir = dir.as_path();
    let err = |e: msapp_merge::Error| format!("{}: {e}", subject.name);
    let base = dir.join("base.msapp");
    fs::write(&base, &subject.base).map_err(|e| e.to_string())?;
    let mut m = Measured {
        series: subject.series,
        name: subject.name.clone(),
        screens: subject.screens,
        compressed: subject.base.len() as u64,
        uncompressed: inputs::uncompressed_size(&subject.base).map_err(err)?,
        formulas: 0,
        changes: BTreeMap::new(),
        stats: BTreeMap::new(),
        merge_paths: BTreeMap::new(),
        load: report::loadavg(),
        notes: Vec::new(),
    };
    let scripts = inputs::scripts(&subject.base).map_err(err)?;
    m.formulas = scripts.len();

    let side = |tag: &str, n: usize| dir.join(format!("{tag}-{n}.msapp"));
    let mut ops = vec![Op::Floor, Op::Inflate, Op::ReadAll, Op::EntryCopy];
    for &n in &subject.merge_counts {
        let (ours, theirs) = inputs::spread(&scripts, n);
        if ours.is_empty() || theirs.is_empty() {
            m.notes
                .push(format!("merge-{n}: the app has too few formulas to change"));
            continue;
        }
        m.changes.insert(n, ours.len());
        let ours_bytes = inputs::with_changes(&subject.base, &ours, "ours").map_err(err)?;
        let theirs_bytes = inputs::with_changes(&subject.base, &theirs, "theirs").map_err(err)?;
        fs::write(side("ours", n), ours_bytes).map_err(|e| e.to_string())?;
        fs::write(side("theirs", n), theirs_bytes).map_err(|e| e.to_string())?;
        let merges = if n == 1 {
            // The git directory the warm merge's cache lives in; its proof run fills it.
            fs::create_dir_all(dir.join(GIT_DIR)).map_err(|e| e.to_string())?;
            vec![Op::Merge(n), Op::MergeWarm]
        } else {
            vec![Op::Merge(n)]
        };
        let mut merges = merges;
        if n == 1
            && let Some((o, t)) = inputs::same_screen(&scripts)
        {
            let o_entry = o.entry.clone();
            let clash = |side| inputs::with_changes(&subject.base, std::slice::from_ref(&o), side);
            fs::write(dir.join("ours-conflict.msapp"), clash("ours").map_err(err)?)
                .map_err(|e| e.to_string())?;
            fs::write(
                dir.join("theirs-conflict.msapp"),
                clash("theirs").map_err(err)?,
            )
            .map_err(|e| e.to_string())?;
            let o = inputs::with_changes(&subject.base, &[o], "ours").map_err(err)?;
            let t = inputs::with_changes(&subject.base, &[t], "theirs").map_err(err)?;
            fs::write(side("ours", 0), o).map_err(|e| e.to_string())?;
            fs::write(side("theirs", 0), t).map_err(|e| e.to_string())?;
            merges.push(Op::MergeSameScreen);
            let adds = (
                inputs::with_new_control(&subject.base, &o_entry, "ours"),
                inputs::with_new_control(&subject.base, &o_entry, "theirs"),
            );
            match adds {
                (Ok(o), Ok(t)) => {
                    fs::write(dir.join("ours-add.msapp"), o).map_err(|e| e.to_string())?;
                    fs::write(dir.join("theirs-add.msapp"), t).map_err(|e| e.to_string())?;
                    merges.push(Op::MergeAdds);
                }
                (Err(e), _) | (_, Err(e)) => m.notes.push(format!("merge-adds: {e}")),
            }
            merges.push(Op::MergeConflict);
        }
        for op in merges {
            let (ours, theirs) = match op {
                Op::MergeSameScreen | Op::MergeAdds => (1, 1),
                // The merged app keeps ours at the conflict.
                Op::MergeConflict => (1, 0),
                _ => (ours.len(), theirs.len()),
            };
            match proves_merge(dir, &base, op, ours, theirs) {
                Ok(path) => {
                    m.merge_paths.insert(op, path);
                }
                Err(problem) => m.notes.push(format!("{}: {problem}", op.name())),
            }
            ops.push(op);
        }
    }
    ops.push(Op::Textconv);
    // The store textconv-warm starts from: the renderings of the base (untimed).
    // Apps the store cannot serve leave it empty; their next version is then rendered cold.
    fs::create_dir_all(dir.join(TEXTCONV_WARMED)).map_err(|e| e.to_string())?;
    let warmed = Command::new(MERGE_BIN)
        .current_dir(dir)
        .env("GIT_DIR", dir.join(TEXTCONV_WARMED))
        .arg("textconv")
        .arg(&base)
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if warmed && dir.join("ours-1.msapp").is_file() {
        ops.push(Op::TextconvWarm);
    }
    ops.push(Op::Unpack);
    let tree = dir.join("tree");
    let unpacked = command(Op::Unpack, dir, &base)
        .arg(&tree)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if unpacked {
        ops.push(Op::Pack);
    } else {
        m.notes
            .push("unpack fails on this app; pack not measured".into());
    }
    ops.push(Op::Check);

    // Round-robin over the commands, so load from other work on the machine spreads over
    // all of them instead of skewing one.
    let mut samples: BTreeMap<Op, Vec<Sample>> = BTreeMap::new();
    for round in 0..cfg.runs {
        eprintln!("  round {}/{}", round + 1, cfg.runs);
        for &op in &ops {
            let out = dir.join(format!("run-{}", op.name()));
            let _ = fs::remove_dir_all(&out);
            let _ = fs::remove_file(&out);
            if op == Op::TextconvWarm {
                // Each run starts from the base's renderings, not from the last run's.
                let _ = fs::remove_dir_all(dir.join(TEXTCONV_GIT_DIR));
                copy_dir(&dir.join(TEXTCONV_WARMED), &dir.join(TEXTCONV_GIT_DIR))
                    .map_err(|e| format!("textconv-warm: {e}"))?;
            }
            if op == Op::MergeConflict {
                let _ = fs::remove_dir_all(dir.join(GIT_DIR).join(WORKSPACE));
            }
            let mut cmd = command(op, dir, &base);
            if matches!(
                op,
                Op::Floor
                    | Op::EntryCopy
                    | Op::Merge(_)
                    | Op::MergeWarm
                    | Op::MergeSameScreen
                    | Op::MergeAdds
                    | Op::MergeConflict
                    | Op::Unpack
                    | Op::Pack
            ) {
                cmd.arg(&out);
            }
            let sample = measure::run(&cmd, &dir.join("stderr.txt"))
                .map_err(|e| format!("{}: {e}", op.name()))?;
            let acceptable = match op {
                // check reports findings with 1 (a corpus app may have some).
                Op::Check => matches!(sample.exit_code, Some(0 | 1)),
                Op::MergeConflict => sample.exit_code == Some(1),
                _ => sample.exit_code == Some(0),
            };
            if !acceptable {
                let note = format!(
                    "{} exited with {:?}: {}",
                    op.name(),
                    sample.exit_code,
                    first_line(&fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default())
                );
                if !m.notes.contains(&note) {
                    m.notes.push(note);
                }
                continue;
            }
            let findings = "check reports findings on this app".to_string();
            if op == Op::Check && sample.exit_code == Some(1) && !m.notes.contains(&findings) {
                m.notes.push(findings);
            }
            samples.entry(op).or_default().push(sample);
            if op == Op::MergeConflict {
                // The workspace it wrote (55 MB on the largest app) is written back to disk by
                // the kernel seconds later, on the cores the next commands are timed on.
                let _ = Command::new("sync").status();
            }
        }
    }
    for (op, list) in samples {
        if let Some(stats) = Stats::of(&list) {
            m.stats.insert(op, stats);
        }
    }
    Ok(m)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// The command for `op` on the subject in `dir`, missing only its output argument.
fn command(op: Op, dir: &Path, base: &Path) -> Command {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("msapp-bench"));
    let mut cmd = match op {
        Op::Floor => {
            let mut c = Command::new(me);
            c.arg("__floor")
                .arg(base)
                .arg(dir.join("ours-1.msapp"))
                .arg(dir.join("theirs-1.msapp"));
            c
        }
        Op::Inflate => {
            let mut c = Command::new(me);
            c.arg("__inflate").arg(base);
            c
        }
        Op::ReadAll => {
            let mut c = Command::new(me);
            c.arg("__read_all").arg(base);
            c
        }
        Op::EntryCopy => {
            let mut c = Command::new(me);
            c.arg("__entry_copy")
                .arg(base)
                .arg(dir.join("ours-1.msapp"))
                .arg(dir.join("theirs-1.msapp"));
            c
        }
        Op::Merge(n) => {
            let mut c = Command::new(MERGE_BIN);
            c.arg("merge")
                .arg(base)
                .arg(dir.join(format!("ours-{n}.msapp")))
                .arg(dir.join(format!("theirs-{n}.msapp")))
                .arg("-o");
            c
        }
        Op::MergeWarm => {
            let mut c = Command::new(MERGE_BIN);
            c.env("GIT_DIR", dir.join(GIT_DIR))
                .arg("merge")
                .arg(base)
                .arg(dir.join("ours-1.msapp"))
                .arg(dir.join("theirs-1.msapp"))
                .args(["--path", "app.msapp", "-o"]);
            c
        }
        Op::MergeSameScreen => {
            let mut c = Command::new(MERGE_BIN);
            c.env("GIT_DIR", dir.join(GIT_DIR))
                .arg("merge")
                .arg(base)
                .arg(dir.join("ours-0.msapp"))
                .arg(dir.join("theirs-0.msapp"))
                .args(["--path", "app.msapp", "-o"]);
            c
        }
        Op::MergeAdds => {
            let mut c = Command::new(MERGE_BIN);
            c.env("GIT_DIR", dir.join(GIT_DIR))
                .arg("merge")
                .arg(base)
                .arg(dir.join("ours-add.msapp"))
                .arg(dir.join("theirs-add.msapp"))
                .args(["--path", "app.msapp", "-o"]);
            c
        }
        Op::MergeConflict => {
            let mut c = Command::new(MERGE_BIN);
            c.env("GIT_DIR", dir.join(GIT_DIR))
                .arg("merge")
                .arg(base)
                .arg(dir.join("ours-conflict.msapp"))
                .arg(dir.join("theirs-conflict.msapp"))
                .args(["--path", "app.msapp", "-o"]);
            c
        }
        Op::Textconv => {
            let mut c = Command::new(MERGE_BIN);
            c.env("MSAPP_MERGE_NO_CACHE", "1").arg("textconv").arg(base);
            c
        }
        Op::TextconvWarm => {
            let mut c = Command::new(MERGE_BIN);
            c.env("GIT_DIR", dir.join(TEXTCONV_GIT_DIR))
                .arg("textconv")
                .arg(dir.join("ours-1.msapp"));
            c
        }
        Op::Unpack => {
            let mut c = Command::new(MERGE_BIN);
            c.arg("unpack").arg(base);
            c
        }
        Op::Pack => {
            let mut c = Command::new(MERGE_BIN);
            c.arg("pack").arg(dir.join("tree"));
            c
        }
        Op::Check => {
            let mut c = Command::new(MERGE_BIN);
            c.arg("check").arg(base);
            c
        }
    };
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match fs::File::create(dir.join("stderr.txt")) {
        Ok(f) => cmd.stderr(f),
        Err(_) => cmd.stderr(Stdio::null()),
    };
    cmd
}

/// Runs the merge once (which also fills the warm merge's cache) and checks that it is clean
/// and carries every change of both sides, so the figures are those of a real merge. Returns
/// the path the command reports taking, or what is wrong.
fn proves_merge(
    dir: &Path,
    base: &Path,
    op: Op,
    ours_changes: usize,
    theirs_changes: usize,
) -> Result<String, String> {
    let out = dir.join(format!("proof-{}.msapp", op.name()));
    let workspace = dir.join(GIT_DIR).join(WORKSPACE);
    let _ = fs::remove_dir_all(&workspace);
    let expected = if op == Op::MergeConflict { 1 } else { 0 };
    let status = command(op, dir, base)
        .env("MSAPP_MERGE_TRACE", "1")
        .arg(&out)
        .status();
    let stderr = fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
    match status.map(|s| s.code()) {
        Ok(Some(code)) if code == expected => {}
        Ok(code) => {
            return Err(format!(
                "merge exited with {code:?}: {}",
                first_line(&stderr)
            ));
        }
        Err(e) => return Err(format!("merge did not run: {e}")),
    }
    let path = traced_path(&stderr);
    let bytes = fs::read(&out).map_err(|e| format!("merged app: {e}"))?;
    let archive = container::read_archive(&bytes, "merged", &Limits::default())
        .map_err(|e| format!("merged app: {e}"))?;
    let text: Vec<&[u8]> = archive.entries.iter().map(|e| e.data.as_slice()).collect();
    let missing = (0..ours_changes)
        .map(|k| inputs::tag("ours", k))
        .chain((0..theirs_changes).map(|k| inputs::tag("theirs", k)))
        .filter(|tag| {
            !text
                .iter()
                .any(|t| t.windows(tag.len()).any(|w| w == tag.as_bytes()))
        })
        .count();
    if missing > 0 {
        return Err(format!(
            "{missing} change(s) missing from the merged app ({path})"
        ));
    }
    if op == Op::MergeConflict && !holds_markers(&workspace) {
        return Err(format!("no conflict markers in the workspace ({path})"));
    }
    Ok(path)
}

/// Whether a `.fx.yaml` file under `dir` holds a conflict marker.
fn holds_markers(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            holds_markers(&path)
        } else {
            path.to_string_lossy().ends_with(".fx.yaml")
                && fs::read_to_string(&path).is_ok_and(|text| text.contains("<<<<<<< "))
        }
    })
}

/// The path line `MSAPP_MERGE_TRACE` makes the merge print: `msapp-merge: APP: PATH`.
fn traced_path(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("msapp-merge: ")?;
            ["one side unchanged", "merged "]
                .iter()
                .find_map(|start| rest.find(start).map(|at| rest[at..].to_string()))
        })
        .unwrap_or_else(|| "not reported".into())
}
