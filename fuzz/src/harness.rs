//! What each fuzz target does with one input. Shared with `tests/fuzz_regressions.rs` (through
//! `#[path]`), so a saved crashing input is replayed through exactly the code that crashed.
//!
//! Every harness calls the library the way the commands do and only requires "no panic", plus
//! a few invariants the merge driver relies on (what pack accepts, unpack reads back).

use std::sync::OnceLock;

use msapp_merge::app::{msapp_bytes, pack_tree, parse_msapp, unpack_app};
use msapp_merge::checksum;
use msapp_merge::container::{self, Archive, ArchiveEntry, Limits};
use msapp_merge::fxyaml;
use msapp_merge::json;
use msapp_merge::merge::app::{Strategy, markers_in, merge_apps};
use msapp_merge::merge::tree::MergeOptions;
use msapp_merge::model::MsApp;
use msapp_merge::render::{self, TextFormat};
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;
use msapp_merge::synthetic::synthetic_tree;

/// The `.fx.yaml` reader: parse as a screen and as a component; what parses must be written
/// back to text that parses again. Then the same bytes as a screen file of a whole tree, packed
/// and, when pack accepts it, read back the way a merge reads its sides.
pub fn fxyaml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for component in [false, true] {
        let parsed = if component {
            fxyaml::parse_component(&text, "fuzz.fx.yaml")
        } else {
            fxyaml::parse(&text, "fuzz.fx.yaml")
        };
        if let Ok(parsed) = parsed {
            let written = fxyaml::write(&parsed.block);
            if let Err(e) = fxyaml::parse(&written, "rewritten.fx.yaml") {
                panic!("written .fx.yaml does not parse again: {e}\n{written}");
            }
        }
    }
    let mut tree = synthetic_tree(1, 1, &[]);
    tree.insert("Src/Screen1.fx.yaml", data.to_vec());
    pack_and_reread(&tree);
}

/// The zip container and everything after it: list, inflate, load the model, unpack, pack,
/// and render for textconv.
pub fn container(data: &[u8]) {
    let limits = Limits::default();
    let listed = container::list_entries(data, "fuzz.msapp", &limits);
    let read = container::read_archive(data, "fuzz.msapp", &limits);
    if let (Ok(listed), Ok(read)) = (&listed, &read) {
        assert_eq!(listed.len(), read.entries.len());
    }
    if let Ok(archive) = read {
        load_and_unpack(&archive);
    }
    let _ = render::render(data, "fuzz.msapp", TextFormat::FxYaml);
}

/// The JSON model loader: the JSON parser and writers on their own (what parses must be
/// written to text that parses back to the same value, and normalizing is a fixed point), then the input as one JSON entry of a
/// real app (the first byte picks which) loaded, unpacked, packed and rendered.
pub fn json_model(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    if let Ok(value) = json::parse_bytes(body) {
        for written in [
            json::to_compact_string(&value),
            json::to_indented_string(&value),
        ] {
            match json::parse(&written) {
                Ok(back) => assert!(back == value, "JSON changed through the writer: {written}"),
                Err(e) => panic!("written JSON does not parse again: {e}: {written}"),
            }
        }
        // The normalized form sorts keys and respells numbers; it must be a fixed point.
        let normalized = json::to_normalized_string(&value);
        match json::parse(&normalized) {
            Ok(back) => assert!(
                json::to_normalized_string(&back) == normalized,
                "normalizing twice differs: {normalized}"
            ),
            Err(e) => panic!("normalized JSON does not parse again: {e}: {normalized}"),
        }
    }
    let base = synthetic_archive();
    let json_entries: Vec<usize> = base
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| msapp_merge::model::is_json_name(&e.name))
        .map(|(i, _)| i)
        .collect();
    if json_entries.is_empty() {
        return;
    }
    let index = json_entries[usize::from(pick) % json_entries.len()];
    let mut archive = base.clone();
    if let Some(entry) = archive.entries.get_mut(index) {
        entry.data = body.to_vec();
    }
    load_and_unpack(&archive);
}

/// The three-way merge, on three related apps derived from one input: the first byte picks
/// raw mode (the input split into three byte strings handed to the merge as they are) or edit
/// mode (line edits of a small app's source tree for base, ours and theirs, each packed).
pub fn merge(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte();
    // Half the runs cut the fast path's reduced merges into one screen each.
    let batch_bytes = (mode & 0x80 != 0).then_some(1);
    if mode % 8 == 0 {
        let (a, b, c) = input.three_slices();
        run_merge(a, b, c, batch_bytes);
        return;
    }
    let start = synthetic_tree(2, 3, &[]);
    let base_tree = apply_edits(&start, &mut input);
    let ours_tree = apply_edits(&base_tree, &mut input);
    let theirs_tree = apply_edits(&base_tree, &mut input);
    let Some(ours) = packed(&ours_tree) else {
        return;
    };
    let Some(theirs) = packed(&theirs_tree) else {
        return;
    };
    // Both branches added the app: git hands the driver an empty base.
    let base = if mode % 8 == 1 {
        Vec::new()
    } else {
        match packed(&base_tree) {
            Some(b) => b,
            None => return,
        }
    };
    run_merge(&base, &ours, &theirs, batch_bytes);
}

/// textconv with a store of earlier renderings, which must show exactly what a fresh rendering
/// shows. The first byte picks raw mode (the rest of the input is an archive, rendered twice)
/// or edit mode (versions of a small app, each edited from the one before: its screens, the
/// manifest and the theme, which every screen is compared with), rendered in turn with one
/// store, as `git log -p` renders consecutive versions.
pub fn textconv(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte();
    let versions: Vec<Vec<u8>> = if mode % 8 == 0 {
        vec![input.0.to_vec(), input.0.to_vec()]
    } else {
        let mut tree = synthetic_tree(1 + usize::from(mode % 3), 3, &[]);
        let mut versions = Vec::new();
        for _ in 0..3 {
            tree = apply_edits_to(&tree, &mut input, &|p| {
                p.ends_with(".fx.yaml")
                    || p.ends_with("CanvasManifest.json")
                    || p == "Src/Themes.json"
            });
            versions.extend(packed(&tree));
        }
        versions
    };
    // One scratch git directory per process, emptied for every input.
    let dir = std::env::temp_dir().join(format!("msapp-fuzz-textconv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (n, bytes) in versions.iter().enumerate() {
        let mut store = render::RenderStore::in_git_dir(&dir);
        let stored = render::textconv_with(bytes, "fuzz.msapp", TextFormat::FxYaml, &mut store);
        store.save();
        let fresh = render::textconv(bytes, "fuzz.msapp", TextFormat::FxYaml);
        if stored != fresh {
            let line = stored
                .lines()
                .zip(fresh.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "version {n}: the stored rendering differs from a fresh one at line {}: {:?} vs {:?}",
                line + 1,
                stored.lines().nth(line),
                fresh.lines().nth(line)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn run_merge(base: &[u8], ours: &[u8], theirs: &[u8], batch_bytes: Option<u64>) {
    let opts = MergeOptions {
        batch_bytes,
        ..MergeOptions::default()
    };
    let Ok(result) = merge_apps(base, ours, theirs, &opts) else {
        return;
    };
    // The driver writes `merged` over the user's app: it must always be an app we can read.
    let app = match parse_msapp(&result.merged, "merged") {
        Ok(app) => app,
        Err(e) => panic!("merge produced an unreadable app: {e}"),
    };
    if let Err(e) = unpack_app(&app, "merged", &UnpackOptions::default()) {
        panic!("merge produced an app that does not unpack: {e}");
    }
    let _ = markers_in(&result.workspace);
    if !result.is_clean() && result.workspace.files.is_empty() {
        panic!("conflicted merge without a workspace");
    }
    // The fast path is only an optimisation: where it decides, the whole-app merge must give
    // the same app and report the same conflicts and notes.
    if !matches!(result.strategy, Strategy::Model(_)) {
        let model_only = MergeOptions {
            model_only: true,
            ..MergeOptions::default()
        };
        let Ok(model) = merge_apps(base, ours, theirs, &model_only) else {
            panic!("the fast path merged what the whole-app merge refuses");
        };
        let reported = |m: &msapp_merge::merge::app::AppMerge| -> Vec<String> {
            let conflicts = m.conflicts.iter().map(|c| format!("{}: {}", c.at, c.kind));
            let notes = m
                .notes
                .iter()
                .map(|n| format!("note {}: {}", n.at, n.message));
            conflicts.chain(notes).collect()
        };
        if reported(&result) != reported(&model) {
            panic!(
                "the fast path ({}) reports {:?}, the whole-app merge {:?}",
                result.strategy,
                reported(&result),
                reported(&model)
            );
        }
        let content =
            |bytes: &[u8]| parse_msapp(bytes, "merged").map(|a| checksum::compute(&a).whole);
        if content(&result.merged).ok() != content(&model.merged).ok() {
            panic!(
                "the fast path ({}) and the whole-app merge disagree",
                result.strategy
            );
        }
    }
}

fn load_and_unpack(archive: &Archive) {
    let Ok(app) = MsApp::from_archive(archive, "fuzz.msapp") else {
        return;
    };
    let Ok((tree, _)) = unpack_app(&app, "fuzz.msapp", &UnpackOptions::default()) else {
        return;
    };
    if let Ok((repacked, _)) = pack_tree(&tree) {
        let _ = msapp_bytes(&repacked);
    }
    let _ = markers_in(&tree);
}

/// Packs a tree; when pack accepts it, the app must read back and unpack (a merge relies on
/// every packed side being readable).
fn pack_and_reread(tree: &SourceTree) {
    let Some(bytes) = packed(tree) else {
        return;
    };
    let app = match parse_msapp(&bytes, "packed") {
        Ok(app) => app,
        Err(e) => panic!("pack wrote an app that does not read back: {e}"),
    };
    if let Err(e) = unpack_app(&app, "packed", &UnpackOptions::default()) {
        panic!("pack wrote an app that does not unpack: {e}");
    }
}

fn packed(tree: &SourceTree) -> Option<Vec<u8>> {
    let (app, _) = pack_tree(tree).ok()?;
    msapp_bytes(&app).ok()
}

fn synthetic_archive() -> &'static Archive {
    static ARCHIVE: OnceLock<Archive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let entries = packed(&synthetic_tree(2, 2, &[]))
            .and_then(|bytes| container::read_archive(&bytes, "synthetic", &Limits::default()).ok())
            .map(|a| a.entries)
            .unwrap_or_default();
        Archive {
            entries: entries
                .into_iter()
                .map(|e| ArchiveEntry {
                    name: e.name,
                    data: e.data,
                })
                .collect(),
        }
    })
}

/// Reads the fuzz input as a stream of small decisions; an exhausted input reads as zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, len: usize) -> &'a [u8] {
        let len = len.min(self.0.len());
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        head
    }

    /// A short string: a length byte, then that many bytes (lossy UTF-8, so invalid bytes
    /// still reach the parsers as replacement characters).
    fn text(&mut self) -> String {
        let len = usize::from(self.byte());
        String::from_utf8_lossy(self.bytes(len)).into_owned()
    }

    fn three_slices(&mut self) -> (&'a [u8], &'a [u8], &'a [u8]) {
        let rest = self.0;
        let first = usize::from(self.byte()) * 64;
        let second = usize::from(self.byte()) * 64;
        let body = &rest[2.min(rest.len())..];
        let a_end = first.min(body.len());
        let b_end = (a_end + second).min(body.len());
        (&body[..a_end], &body[a_end..b_end], &body[b_end..])
    }
}

/// Up to seven line edits of the tree's text files (`.fx.yaml` and the manifest).
fn apply_edits(tree: &SourceTree, input: &mut Input<'_>) -> SourceTree {
    apply_edits_to(tree, input, &|p| {
        p.ends_with(".fx.yaml") || p.ends_with("CanvasManifest.json")
    })
}

/// Up to seven line edits of the tree's files that `edited` picks.
fn apply_edits_to(
    tree: &SourceTree,
    input: &mut Input<'_>,
    edited: &dyn Fn(&str) -> bool,
) -> SourceTree {
    let mut out = tree.clone();
    let files: Vec<String> = out.files.keys().filter(|p| edited(p)).cloned().collect();
    let edits = input.byte() % 8;
    for _ in 0..edits {
        if files.is_empty() {
            break;
        }
        let file = &files[usize::from(input.byte()) % files.len()];
        let Some(bytes) = out.files.get(file) else {
            continue;
        };
        let text = String::from_utf8_lossy(bytes).into_owned();
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let op = input.byte();
        let at = usize::from(input.byte()) % lines.len().max(1);
        let other = usize::from(input.byte()) % lines.len().max(1);
        match op % 8 {
            0 => {
                let t = input.text();
                if let Some(l) = lines.get_mut(at) {
                    *l = t;
                }
            }
            1 => {
                if at < lines.len() {
                    lines.remove(at);
                }
            }
            2 => {
                let t = input.text();
                lines.insert(at.min(lines.len()), t);
            }
            3 => {
                if let Some(l) = lines.get(at).cloned() {
                    lines.insert(other.min(lines.len()), l);
                }
            }
            4 => {
                if at < lines.len() && other < lines.len() {
                    lines.swap(at, other);
                }
            }
            5 => {
                // A new formula for a property line keeps the file's structure.
                let t = input.text();
                if let Some(l) = lines.get_mut(at)
                    && let Some(eq) = l.find(": =")
                {
                    l.truncate(eq + 3);
                    l.push_str(&t);
                }
            }
            6 => {
                // Renames a control everywhere in the file, so names collide or move.
                let t = input.text();
                if let Some(name) = lines
                    .get(at)
                    .and_then(|l| l.trim_start().split(" As ").next().map(str::to_string))
                    .filter(|n| !n.is_empty() && !n.contains(':'))
                {
                    for l in &mut lines {
                        *l = l.replace(&name, &t);
                    }
                }
            }
            _ => {
                // Moves a block of lines (a control with its properties) elsewhere.
                let len = usize::from(input.byte() % 8) + 1;
                let end = (at + len).min(lines.len());
                let block: Vec<String> = lines.drain(at.min(end)..end).collect();
                let to = other.min(lines.len());
                for (i, l) in block.into_iter().enumerate() {
                    lines.insert(to + i, l);
                }
            }
        }
        out.insert(file.clone(), lines.join("\n").into_bytes());
    }
    out
}
