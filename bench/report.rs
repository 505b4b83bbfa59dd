//! Writing the results: `results.md` (tables and the targets), `results.json` (every figure),
//! `measurements.csv` (what `bench/plot.py` draws).

use std::fmt::Write as _;
use std::fs;
use std::process::Command;
use std::time::Duration;

use crate::measure::Stats;
use crate::{Config, MANY, Measured, Op};

pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

pub fn write_all(
    cfg: &Config,
    measured: &[Measured],
    phases: Option<&[(String, Duration)]>,
    baseline_rss: Option<u64>,
    start_load: &str,
    end_load: &str,
) -> Result<(), String> {
    let md = markdown(cfg, measured, phases, baseline_rss, start_load, end_load);
    let write = |name: &str, text: &str| {
        let path = cfg.out.join(name);
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("results.md", &md)?;
    write(
        "results.json",
        &json(cfg, measured, phases, baseline_rss, start_load, end_load),
    )?;
    write("measurements.csv", &csv(measured))?;
    println!("{md}");
    eprintln!(
        "wrote {}/results.md, results.json, measurements.csv; draw the plot with `python3 bench/plot.py`",
        cfg.out.display()
    );
    Ok(())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub fn fmt_dur(d: Duration) -> String {
    let s = secs(d);
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.1 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

pub fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

fn ratio(a: Duration, b: Duration) -> Option<f64> {
    (b.as_nanos() > 0).then(|| secs(a) / secs(b))
}

fn fmt_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

/// "1.23 s (4.1×)": the median and its ratio to the app's floor.
fn cell(m: &Measured, op: Op) -> String {
    let Some(s) = m.get(op) else {
        return "–".into();
    };
    match m.get(Op::Floor).and_then(|f| ratio(s.median, f.median)) {
        Some(r) if op != Op::Floor => format!("{} ({})", fmt_dur(s.median), fmt_ratio(r)),
        _ => fmt_dur(s.median),
    }
}

fn rss_cell(m: &Measured, op: Op) -> String {
    match m.get(op).and_then(|s| s.peak_rss) {
        Some(rss) if m.uncompressed > 0 => format!(
            "{} ({})",
            fmt_bytes(rss),
            fmt_ratio(rss as f64 / m.uncompressed as f64)
        ),
        Some(rss) => fmt_bytes(rss),
        None => "–".into(),
    }
}

fn shell(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "n/a".into())
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "n/a".into())
}

fn largest_corpus(measured: &[Measured]) -> Option<&Measured> {
    measured
        .iter()
        .filter(|m| m.series == "corpus")
        .max_by_key(|m| m.uncompressed)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

/// Growth exponent of `op` between the smallest and largest app of a series: time grows as
/// size^k. 1 means proportional to the app; 0 means independent of it.
fn exponent(series: &[&Measured], op: Op) -> Option<(f64, &'static str)> {
    let first = series.first()?;
    let last = series.last()?;
    let t0 = secs(first.get(op)?.median);
    let t1 = secs(last.get(op)?.median);
    let size = last.uncompressed as f64 / first.uncompressed.max(1) as f64;
    (size > 1.0 && t0 > 0.0).then(|| ((t1 / t0).ln() / size.ln(), first.series))
}

fn targets(out: &mut String, measured: &[Measured]) {
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | measured | |\n|---|---|---|");
    if let Some(big) = largest_corpus(measured) {
        let floor = big.get(Op::Floor).map(|s| s.median);
        for (op, cache) in [(Op::Merge(1), "no cache"), (Op::MergeWarm, "warm cache")] {
            if let (Some(merge), Some(floor)) = (big.get(op), floor)
                && let Some(r) = ratio(merge.median, floor)
            {
                let _ = writeln!(
                    out,
                    "| merge, one change per side, largest corpus app ({}), {cache}: ≤ 0.2× floor | {} vs floor {} = {:.2}× | {} |",
                    big.name,
                    fmt_dur(merge.median),
                    fmt_dur(floor),
                    r,
                    verdict(r <= 0.2)
                );
            }
        }
        if let (Some(merge), Some(floor)) = (big.get(Op::MergeSameScreen), floor)
            && let Some(r) = ratio(merge.median, floor)
        {
            let _ = writeln!(
                out,
                "| (merge, one change per side in the same screen, warm cache, same app) | {} = {:.2}× floor | |",
                fmt_dur(merge.median),
                r
            );
        }
        if let (Some(merge), Some(floor)) = (big.get(Op::MergeAdds), floor)
            && let Some(r) = ratio(merge.median, floor)
        {
            let _ = writeln!(
                out,
                "| (merge, one new control per side in the same screen, warm cache, same app) | {} = {:.2}× floor | |",
                fmt_dur(merge.median),
                r
            );
        }
        if let (Some(merge), Some(floor)) = (big.get(Op::MergeConflict), floor)
            && let Some(r) = ratio(merge.median, floor)
        {
            let _ = writeln!(
                out,
                "| (merge, one formula changed differently on each side, warm cache, same app: exits 1 and writes the conflict workspace) | {} = {:.2}× floor, peak {} = {:.2}× | |",
                fmt_dur(merge.median),
                r,
                merge.peak_rss.map(fmt_bytes).unwrap_or_default(),
                merge.peak_rss.unwrap_or(0) as f64 / big.uncompressed.max(1) as f64
            );
        }
        for (op, path) in &big.merge_paths {
            let _ = writeln!(
                out,
                "| (path {} took on that app) | {path} | |",
                merge_label(big, *op)
            );
        }
        if let (Some(sketch), Some(floor)) = (big.get(Op::EntryCopy), floor)
            && let Some(r) = ratio(sketch.median, floor)
        {
            let _ = writeln!(
                out,
                "| (what the target asks is reachable: entry-copy sketch, same inputs) | {} = {:.2}× floor | |",
                fmt_dur(sketch.median),
                r
            );
        }
        let inflate = big.get(Op::Inflate).map(|s| s.median);
        for (op, what) in [
            (Op::Textconv, "textconv of the largest corpus app"),
            (
                Op::TextconvWarm,
                "textconv of the next version (one change), renderings of the version before kept",
            ),
        ] {
            if let (Some(tc), Some(inflate)) = (big.get(op), inflate)
                && let Some(r) = ratio(tc.median, inflate)
            {
                let _ = writeln!(
                    out,
                    "| {what}: ≤ inflating it once | {} vs inflate {} = {:.2}× | {} |",
                    fmt_dur(tc.median),
                    fmt_dur(inflate),
                    r,
                    verdict(r <= 1.0)
                );
            }
        }
        if let (Some(read), Some(inflate), Some(floor)) = (big.get(Op::ReadAll), inflate, floor)
            && let (Some(ri), Some(rf)) = (ratio(read.median, inflate), ratio(read.median, floor))
        {
            let _ = writeln!(
                out,
                "| (the least a cold textconv or a merge without cache does: inflate every entry and read every JSON entry once, both cores) | {} = {:.2}× inflate, {:.2}× floor | |",
                fmt_dur(read.median),
                ri,
                rf
            );
        }
        if let Some(rss) = big.get(Op::Merge(1)).and_then(|s| s.peak_rss) {
            let r = rss as f64 / big.uncompressed.max(1) as f64;
            let _ = writeln!(
                out,
                "| peak memory of merge (one change per side, no cache) < 4× the app's uncompressed size ({}) | {} = {:.2}× | {} |",
                fmt_bytes(big.uncompressed),
                fmt_bytes(rss),
                r,
                verdict(r < 4.0)
            );
        }
        if let Some(rss) = big.get(Op::MergeWarm).and_then(|s| s.peak_rss) {
            let _ = writeln!(
                out,
                "| (the same, warm cache) | {} = {:.2}× | |",
                fmt_bytes(rss),
                rss as f64 / big.uncompressed.max(1) as f64
            );
        }
        // The target names no change count; the many-changes merge goes through the model
        // merge of the screens changed on both sides, which holds them unpacked three times.
        if let Some(rss) = big.get(Op::Merge(MANY)).and_then(|s| s.peak_rss) {
            let r = rss as f64 / big.uncompressed.max(1) as f64;
            let _ = writeln!(
                out,
                "| peak memory of merge ({MANY} changes per side, no cache) < 4× the app's uncompressed size | {} = {:.2}× | {} |",
                fmt_bytes(rss),
                r,
                verdict(r < 4.0)
            );
        }
    }
    for (op, cache) in [
        (Op::Merge(1), "no cache"),
        (Op::MergeWarm, "warm cache"),
        (Op::MergeSameScreen, "in the same screen, warm cache"),
        (
            Op::MergeAdds,
            "a new control each in the same screen, warm cache",
        ),
    ] {
        for series in ["labels", "cloned"] {
            let list: Vec<&Measured> = measured.iter().filter(|m| m.series == series).collect();
            let Some((k, _)) = exponent(&list, op) else {
                continue;
            };
            let (Some(first), Some(last)) = (list.first(), list.last()) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| merge cost grows with the change, not the app (`{series}` series, one change per side, {cache}) | {} → {} screens ({} → {}): {} → {}, time ∝ size^{:.2} | {} |",
                first.screens.unwrap_or(0),
                last.screens.unwrap_or(0),
                fmt_bytes(first.uncompressed),
                fmt_bytes(last.uncompressed),
                first.get(op).map(|f| fmt_dur(f.median)).unwrap_or_default(),
                last.get(op).map(|l| fmt_dur(l.median)).unwrap_or_default(),
                k,
                verdict(k < 0.2)
            );
        }
    }
    for series in ["labels", "cloned"] {
        let list: Vec<&Measured> = measured.iter().filter(|m| m.series == series).collect();
        if let Some((k, _)) = exponent(&list, Op::EntryCopy) {
            let _ = writeln!(
                out,
                "| (entry-copy sketch on the `{series}` series: reading the inputs and copying compressed entries alone) | time ∝ size^{k:.2} | |"
            );
        }
    }
    let _ = writeln!(
        out,
        "\nThe growth exponent k fits time ∝ (uncompressed size)^k between the smallest and the largest app of a series: k ≈ 1 means the merge pays for the whole app, k ≈ 0 that it pays only for the change (the target; read as met below 0.2). Without the cache the merge parses every JSON entry of the merged app once for a fresh client checksum, so its cost includes a term proportional to the app even on the fast path.\n"
    );
}

/// "merge-1 (no cache)", for the rows that name a measured merge.
fn merge_label(m: &Measured, op: Op) -> String {
    match op {
        Op::Merge(n) => format!(
            "the merge with {} change(s) per side, no cache,",
            m.changes.get(&n).unwrap_or(&n)
        ),
        Op::MergeWarm => "the merge with one change per side, warm cache,".into(),
        Op::MergeSameScreen => {
            "the merge with one change per side in the same screen, warm cache,".into()
        }
        Op::MergeAdds => {
            "the merge with one new control per side in the same screen, warm cache,".into()
        }
        Op::MergeConflict => {
            "the merge with one formula changed differently on each side, warm cache,".into()
        }
        other => other.name(),
    }
}

/// Which path each measured merge took, grouped by path; the fast path only counted.
fn merge_paths(out: &mut String, measured: &[Measured]) {
    // Path -> subject -> the merges of that subject that took it.
    type BySubject<'a> = Vec<(&'a str, Vec<String>)>;
    let mut by_path: std::collections::BTreeMap<&str, BySubject> = Default::default();
    for m in measured {
        for (op, path) in &m.merge_paths {
            let subjects = by_path.entry(path.as_str()).or_default();
            match subjects.iter_mut().find(|(name, _)| *name == m.name) {
                Some((_, ops)) => ops.push(op.name()),
                None => subjects.push((m.name.as_str(), vec![op.name()])),
            }
        }
    }
    if by_path.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Path each merge took\n\nAs the command reports it with `MSAPP_MERGE_TRACE=1` on its untimed proof run (`merge-N`: N changes per side, no cache; `merge-warm-1`: one change per side, warm cache; `merge-same-screen`: one change per side in the same screen, warm cache; `merge-adds`: one new control per side in the same screen, warm cache; `merge-conflict`: one formula changed differently on each side, warm cache). A screen changed on both sides goes through the model merge of a reduced app holding only such screens, conflicts included (the conflict workspace is then the merged app unpacked, with the markers); new controls that both sides numbered alike are renumbered on theirs first, as the model merge does; the whole app goes through the model merge when, among other cases, another entry changed on both sides or both sides added a control of the same name.\n\n| path | merges | which |\n|---|---|---|"
    );
    for (path, subjects) in by_path {
        let count: usize = subjects.iter().map(|(_, ops)| ops.len()).sum();
        let which = if path.contains("fast path") || path.starts_with("one side") {
            "–".to_string()
        } else {
            subjects
                .iter()
                .map(|(name, ops)| format!("{name} ({})", ops.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(out, "| {path} | {count} | {which} |");
    }
    let _ = writeln!(out);
}

const COLUMNS: &[(Op, &str)] = &[
    (Op::Floor, "floor"),
    (Op::Inflate, "inflate ×1"),
    (Op::ReadAll, "read all, 2 cores"),
    (Op::EntryCopy, "entry-copy sketch"),
    (Op::Merge(1), "merge, 1 change/side"),
    (Op::MergeWarm, "merge, 1 change/side, warm cache"),
    (
        Op::MergeSameScreen,
        "merge, 1 change/side in one screen, warm cache",
    ),
    (
        Op::MergeAdds,
        "merge, 1 new control/side in one screen, warm cache",
    ),
    (Op::MergeConflict, "merge, 1 conflict, warm cache"),
    (Op::Merge(MANY), "merge, 100 changes/side"),
    (Op::Textconv, "textconv"),
    (Op::TextconvWarm, "textconv, next version"),
    (Op::Unpack, "unpack"),
    (Op::Pack, "pack"),
    (Op::Check, "check"),
];

fn table(out: &mut String, rows: &[&Measured], first_column: &str) {
    let _ = write!(out, "| {first_column} | zip | uncompressed |");
    for (_, title) in COLUMNS {
        let _ = write!(out, " {title} |");
    }
    let _ = writeln!(
        out,
        " merge-1 peak RSS (× uncompressed) | textconv peak RSS |"
    );
    let _ = writeln!(out, "|{}", "---|".repeat(COLUMNS.len() + 5));
    for m in rows {
        let label = match m.screens {
            Some(s) => s.to_string(),
            None => m.name.clone(),
        };
        let _ = write!(
            out,
            "| {label} | {} | {} |",
            fmt_bytes(m.compressed),
            fmt_bytes(m.uncompressed)
        );
        for (op, _) in COLUMNS {
            let _ = write!(out, " {} |", cell(m, *op));
        }
        let _ = writeln!(
            out,
            " {} | {} |",
            rss_cell(m, Op::Merge(1)),
            m.get(Op::Textconv)
                .and_then(|s| s.peak_rss)
                .map(fmt_bytes)
                .unwrap_or_else(|| "–".into())
        );
    }
    let _ = writeln!(out);
}

fn markdown(
    cfg: &Config,
    measured: &[Measured],
    phases: Option<&[(String, Duration)]>,
    baseline_rss: Option<u64>,
    start_load: &str,
    end_load: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# msapp-merge benchmark results\n");
    let _ = writeln!(
        out,
        "`cargo bench --bench msapp -- {}` on {} (commit {}, {}).\n",
        cfg.args,
        shell("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        shell("git", &["rev-parse", "--short", "HEAD"]),
        shell("rustc", &["--version"]),
    );
    let _ = writeln!(
        out,
        "Machine: {} logical CPUs ({}); load average (1, 5, 15 min) {start_load} at the start, {end_load} at the end.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model()
    );
    let _ = writeln!(
        out,
        "Every figure is the median wall time of {} runs, each a separate process (the commands round-robin, so load from other work spreads over all of them), followed by its ratio to the **floor** of the same app: a process that inflates base, ours and theirs and deflates one output with the same zip library (the `zip` crate used plainly: one entry after another on one thread, default level), as a merge driver that unzips everything and zips the result would. `inflate ×1` inflates the app once the same way. `read all, 2 cores` inflates every entry with msapp-merge's container and computes the checksum value of every JSON entry (tokenizer and hash, no tree) on both cores: the least that a merge without cache (which checksums the whole merged app) or a textconv of an app never rendered before (which shows all of it) can do. `entry-copy sketch` is the floor of an entry-level fast path: it inflates nothing, decides per entry from the three central directories (CRC, size) which side changed it and copies that side's compressed bytes (one change per side; no cross-entry checks, no checksum). Peak RSS is the process's peak resident memory (median over the runs), read by a small intermediary process that spawns the command and reaps it with `wait4`, so the bench's own memory does not leak into the figure (on Linux a child's peak starts from that of the process it was forked from); a process that does nothing shows {} measured this way. Ours and theirs are the app with formulas changed inside its control JSON (`If(true, OLD, \"tag\")`), all other entries copied compressed, as a Studio save leaves them; one change per side lands in two controls a third of the app apart, N changes are spread evenly and alternate between the sides. Before timing, each merge is run once and must be clean and carry every change. `merge, 1 change/side` is the command as run by hand (no `--path`): it keeps no cache, so it computes the merged app's client checksum from every JSON entry. `merge, 1 change/side, warm cache` is the same merge as git runs it (`--path app.msapp`, `GIT_DIR` set to a directory of the subject): checksum values of entries it has seen are cached in `$GIT_DIR/msapp-merge/checksum-values`, and the untimed run before timing has filled that cache, so every timed run finds it warm (the values of the merged entries included: a merge git runs for the first time on a given pair also parses the entries that changed). `merge, 1 change/side in one screen, warm cache` is that merge with both changes in the same screen entry: the first and the last formula of the screen with at least two formulas nearest the middle of the app. `merge, 1 new control/side in one screen, warm cache` adds to that screen, on each side, a copy of its last leaf control under a new name, numbered as Studio numbers a pasted control (the next id and publish order of the whole app, the id counter raised), so both sides give their control the same numbers.\n",
        cfg.runs,
        baseline_rss.map(fmt_bytes).unwrap_or_else(|| "n/a".into())
    );
    targets(&mut out, measured);

    let corpus: Vec<&Measured> = measured.iter().filter(|m| m.series == "corpus").collect();
    if !corpus.is_empty() {
        let _ = writeln!(out, "## Corpus apps\n");
        table(&mut out, &corpus, "app");
    }
    for (series, what) in [
        (
            "labels",
            "generated by `synthetic_app(screens, 20, &[])`: 20 labels per screen",
        ),
        (
            "cloned",
            "copies of `Screen2` of the corpus app AnimationControlIdIsGuid (29 controls: containers, icons, labels, timers, with their editor state), controls renamed per copy",
        ),
    ] {
        let rows: Vec<&Measured> = measured.iter().filter(|m| m.series == series).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## Growth: `{series}` apps\n\nApps {what}.\n");
        table(&mut out, &rows, "screens");
    }

    let sweeps: Vec<&Measured> = measured
        .iter()
        .filter(|m| m.series != "corpus" && m.changes.len() > 2)
        .collect();
    if !sweeps.is_empty() {
        let _ = writeln!(
            out,
            "## Growth with the size of the change\n\n| app | changes per side | merge | × floor | × one change | peak RSS |\n|---|---|---|---|---|---|"
        );
        for m in sweeps {
            let one = m.get(Op::Merge(1)).map(|s| s.median);
            for (&asked, &made) in &m.changes {
                let Some(s) = m.get(Op::Merge(asked)) else {
                    continue;
                };
                let floor = m
                    .get(Op::Floor)
                    .and_then(|f| ratio(s.median, f.median))
                    .map(fmt_ratio)
                    .unwrap_or_default();
                let vs_one = one
                    .and_then(|o| ratio(s.median, o))
                    .map(fmt_ratio)
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| {} | {made} | {} | {floor} | {vs_one} | {} |",
                    m.name,
                    fmt_dur(s.median),
                    s.peak_rss.map(fmt_bytes).unwrap_or_default()
                );
            }
        }
        let _ = writeln!(out);
    }

    merge_paths(&mut out, measured);

    if let Some(rows) = phases {
        let steps = rows.len().min(crate::phases::STEPS.len());
        let total: f64 = rows.iter().take(steps).map(|(_, d)| secs(*d)).sum();
        let name = largest_corpus(measured)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "## Where the model merge spends its time (merge-1 of {name}, in process, steps run one after another)\n\n| step | median | share |\n|---|---|---|"
        );
        for (step, d) in rows.iter().take(steps) {
            let _ = writeln!(
                out,
                "| {step} | {} | {:.0}% |",
                fmt_dur(*d),
                100.0 * secs(*d) / total.max(f64::MIN_POSITIVE)
            );
        }
        let _ = writeln!(
            out,
            "| sum (the driver unpacks the three sides on parallel threads) | {} | |\n",
            fmt_dur(Duration::from_secs_f64(total))
        );
        if let Some((step, d)) = rows.get(steps) {
            let _ = writeln!(out, "{step}: {}.\n", fmt_dur(*d));
        }
    }

    let noted: Vec<&Measured> = measured.iter().filter(|m| !m.notes.is_empty()).collect();
    if !noted.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for m in noted {
            for note in &m.notes {
                let _ = writeln!(out, "* {}: {note}", m.name);
            }
        }
        let _ = writeln!(out);
    }
    let capped: Vec<String> = measured
        .iter()
        .filter(|m| m.changes.iter().any(|(a, b)| a != b))
        .map(|m| {
            let pairs: Vec<String> = m
                .changes
                .iter()
                .filter(|(a, b)| a != b)
                .map(|(a, b)| format!("{a} asked, {b} made"))
                .collect();
            format!("{} ({})", m.name, pairs.join(", "))
        })
        .collect();
    if !capped.is_empty() {
        let _ = writeln!(
            out,
            "Apps with fewer editable formulas than changes asked get as many as they have: {}.\n",
            capped.join("; ")
        );
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::new();
    msapp_merge::json::write_string_literal(&mut out, s);
    out
}

fn stats_json(s: &Stats) -> String {
    format!(
        "{{\"runs\":{},\"median_s\":{:.6},\"min_s\":{:.6},\"max_s\":{:.6},\"cpu_median_s\":{:.6},\"peak_rss_bytes\":{}}}",
        s.runs,
        secs(s.median),
        secs(s.min),
        secs(s.max),
        secs(s.cpu_median),
        s.peak_rss
            .map(|r| r.to_string())
            .unwrap_or_else(|| "null".into())
    )
}

fn json(
    cfg: &Config,
    measured: &[Measured],
    phases: Option<&[(String, Duration)]>,
    baseline_rss: Option<u64>,
    start_load: &str,
    end_load: &str,
) -> String {
    let subjects: Vec<String> = measured
        .iter()
        .map(|m| {
            let ops: Vec<String> = m
                .stats
                .iter()
                .map(|(op, s)| format!("{}:{}", json_string(&op.name()), stats_json(s)))
                .collect();
            let changes: Vec<String> = m
                .changes
                .iter()
                .map(|(a, b)| format!("\"{a}\":{b}"))
                .collect();
            let notes: Vec<String> = m.notes.iter().map(|n| json_string(n)).collect();
            let paths: Vec<String> = m
                .merge_paths
                .iter()
                .map(|(op, p)| format!("{}:{}", json_string(&op.name()), json_string(p)))
                .collect();
            format!(
                "{{\"series\":{},\"name\":{},\"screens\":{},\"compressed_bytes\":{},\"uncompressed_bytes\":{},\"formulas\":{},\"changes_per_side\":{{{}}},\"load\":{},\"ops\":{{{}}},\"merge_paths\":{{{}}},\"notes\":[{}]}}",
                json_string(m.series),
                json_string(&m.name),
                m.screens
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "null".into()),
                m.compressed,
                m.uncompressed,
                m.formulas,
                changes.join(","),
                json_string(&m.load),
                ops.join(","),
                paths.join(","),
                notes.join(",")
            )
        })
        .collect();
    let phases = phases
        .map(|rows| {
            rows.iter()
                .map(|(s, d)| {
                    format!(
                        "{{\"step\":{},\"median_s\":{:.6}}}",
                        json_string(s),
                        secs(*d)
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    format!(
        "{{\"args\":{},\"runs\":{},\"load_start\":{},\"load_end\":{},\"cpus\":{},\"commit\":{},\"baseline_peak_rss_bytes\":{},\"subjects\":[\n{}\n],\"merge_phases\":[{}]}}\n",
        json_string(&cfg.args),
        cfg.runs,
        json_string(start_load),
        json_string(end_load),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        json_string(&shell("git", &["rev-parse", "--short", "HEAD"])),
        baseline_rss
            .map(|r| r.to_string())
            .unwrap_or_else(|| "null".into()),
        subjects.join(",\n"),
        phases
    )
}

fn csv(measured: &[Measured]) -> String {
    let mut out = String::from(
        "series,name,screens,compressed_bytes,uncompressed_bytes,op,changes_per_side,median_s,min_s,max_s,peak_rss_bytes\n",
    );
    for m in measured {
        for (op, s) in &m.stats {
            let changes = match op {
                Op::Merge(n) => m.changes.get(n).map(|c| c.to_string()).unwrap_or_default(),
                Op::MergeWarm => m.changes.get(&1).map(|c| c.to_string()).unwrap_or_default(),
                Op::MergeSameScreen | Op::MergeAdds | Op::MergeConflict => "1".to_string(),
                _ => String::new(),
            };
            let kind = match op {
                Op::Merge(_) => "merge".to_string(),
                Op::MergeWarm => "merge-warm".to_string(),
                other => other.name(),
            };
            let _ = writeln!(
                out,
                "{},{},{},{},{},{kind},{changes},{:.6},{:.6},{:.6},{}",
                m.series,
                m.name,
                m.screens.map(|s| s.to_string()).unwrap_or_default(),
                m.compressed,
                m.uncompressed,
                secs(s.median),
                secs(s.min),
                secs(s.max),
                s.peak_rss.map(|r| r.to_string()).unwrap_or_default()
            );
        }
    }
    out
}
