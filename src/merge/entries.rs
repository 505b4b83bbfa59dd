//! The fast path of the app merge, decided per zip entry on the stored bytes.
//!
//! Studio writes every entry on each save, yet an entry whose content did not change keeps its
//! compressed bytes, and a typical merge touches a few screens on each side of an app with
//! dozens. So the merged app is assembled from the sides' stored entries: an entry unchanged
//! on one side is the other side's, copied without inflating it. Only the app-level files
//! every save rewrites (`Header.json`, `Properties.json`, `AppCheckerResult.sarif`,
//! `checksum.json`) are merged here, with the rules `merge::tree` applies to what they unpack
//! to. A screen (or any `Controls\*.json` top control) changed on both sides is merged through
//! the source trees of a reduced app that holds only those screens and what they need
//! (`screens`), and the entries that changed are unpacked again before the result is used;
//! a conflict there is reported as the whole-app merge reports it. Anything else that needs
//! the model (another entry changed on both sides, controls added on both sides with the same
//! name or id, a control moved between screens, an unreadable entry) returns a [`Fallback`]
//! and the caller runs the whole-app model merge, which also owns every error message.
//! `tests/fast_path.rs` checks that both paths give the same app, conflicts and notes.

mod added;
mod screens;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::checksum;
use crate::container::{ArchiveWriter, Limits, RawSource, StoredArchive};
use crate::json::{self, Json, Object};
use crate::merge::checksum_cache::ChecksumCache;
use crate::merge::conflict::{Conflict, Note};
use crate::merge::json::{JsonMergeOptions, Policy, merge_json};
use crate::merge::tree::{CACHE_CLASH, MergeOptions, merge_id_counter, studio_time};
use crate::model::is_json_name;
use crate::source::SourceTree;
use screens::TopFacts;

/// Why the fast path did not apply; the model merge decides instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback(pub String);

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fallback(reason: impl Into<String>) -> Fallback {
    Fallback(reason.into())
}

type Decided<T> = std::result::Result<T, Fallback>;

/// Real apps hold tens to hundreds of entries; copying an entry looks it up by position, so
/// the fast path stays away from archives where that would grow quadratically.
const MAX_ENTRIES: usize = 5_000;

/// `Properties.json` keys Studio recomputes on every save; unpack keeps them as entropy, which
/// merges key by key with ours winning a clash.
const VOLATILE_PROPERTIES: [&str; 4] = [
    "ControlCount",
    "DeserializationLoadTime",
    "AnalysisLoadTime",
    "ErrorCount",
];

const SAVED_AT: &str = "LastSavedDateTimeUTC";
/// Where unpack puts `AppCheckerResult.sarif`, which the whole-app merge's notes name.
const APP_CHECKER_SOURCE: &str = "Entropy/AppCheckerResult.sarif";
const LAST_ID: &str = "LastControlUniqueId";

/// The app merged entry by entry.
#[derive(Debug)]
pub struct EntryMerge {
    /// Ours at each conflict, as the whole-app merge's.
    pub bytes: Vec<u8>,
    /// Names of the top controls (screens, the App) changed on both sides and merged through
    /// the source trees of a reduced app.
    pub screens: Vec<String>,
    /// How many reduced apps those screens went through (see `screens::BATCH_BYTES`).
    pub reduced_merges: usize,
    /// What the merges of those screens report; only they can conflict on this path.
    pub conflicts: Vec<Conflict>,
    pub notes: Vec<Note>,
    /// With conflicts, the merged app's source tree with the conflict markers.
    pub workspace: SourceTree,
}

/// Merges three apps entry by entry, or says why it cannot. `base` must be a real ancestor
/// (not empty).
pub fn merge_entries(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    cache: &ChecksumCache,
    opts: &MergeOptions,
) -> Decided<EntryMerge> {
    let open = |bytes, label| {
        let stored = StoredArchive::open(bytes, label, &Limits::default())
            .map_err(|e| fallback(format!("{label}: {e}")))?;
        if stored.entries.len() > MAX_ENTRIES {
            return Err(fallback(format!(
                "{label}: too many entries for the fast path"
            )));
        }
        Ok(Side::new(stored))
    };
    let sides = Sides {
        base: open(base, "base")?,
        ours: open(ours, "ours")?,
        theirs: open(theirs, "theirs")?,
        cache,
    };
    let mut plan = sides.plan()?;
    let renumbered = sides.settle_added(&plan)?;
    sides.apply_renumbered(&mut plan, &renumbered)?;
    let screens = sides.merge_screens(&mut plan, &renumbered.entries, opts)?;
    // Nothing reads the parsed screens any more; writing and checksumming need the memory.
    for side in [&sides.base, &sides.ours, &sides.theirs] {
        side.forget_parsed();
    }
    let bytes = if screens::to_verify(&plan).is_empty() {
        sides.write(&plan)?
    } else {
        // The changed entries are unpacked again while the merged app is written: the proof
        // reads them and their context from an archive of just those entries, in the merged
        // app's order (see `screens::verify_changed`).
        let (proved, written) =
            crate::parallel::join(|| sides.verify(&plan, opts), || sides.write(&plan));
        proved.and(written)?
    };
    StoredArchive::open(&bytes, "merged app", &Limits::default())
        .map_err(|e| fallback(format!("the merged app does not read back: {e}")))?;
    let workspace = if screens.conflicts.is_empty() {
        SourceTree::new()
    } else {
        screens::conflict_workspace(&bytes, screens.marked)?
    };
    Ok(EntryMerge {
        bytes,
        screens: screens.names,
        reduced_merges: screens.reduced_merges,
        conflicts: screens.conflicts,
        // The whole-app merge notes the controls first, then the other files.
        notes: screens.notes.into_iter().chain(plan.notes).collect(),
        workspace,
    })
}

struct Side<'a> {
    stored: StoredArchive<'a>,
    by_key: HashMap<String, usize>,
    /// Small entries parsed so far (header, properties), read by more than one step.
    parsed: Mutex<HashMap<usize, Arc<Json>>>,
    /// What the checks read of the changed top control entries, which the plan, the check of
    /// added controls and the screen merge all need: parsing each once and keeping only this
    /// holds kilobytes where the trees of a merge of many screens held most of the app.
    tops: Mutex<HashMap<usize, Arc<TopFacts>>>,
}

impl<'a> Side<'a> {
    fn new(stored: StoredArchive<'a>) -> Self {
        let by_key = stored
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (entry_key(&e.info.name), i))
            .collect();
        Side {
            stored,
            by_key,
            parsed: Mutex::new(HashMap::new()),
            tops: Mutex::new(HashMap::new()),
        }
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    fn name(&self, index: usize) -> &str {
        self.stored
            .entries
            .get(index)
            .map_or("", |e| e.info.name.as_str())
    }

    fn inflate(&self, index: usize) -> Decided<Vec<u8>> {
        self.stored
            .inflate(index)
            .map_err(|e| fallback(format!("{}: {e}", self.name(index))))
    }

    fn forget_parsed(&self) {
        if let Ok(mut parsed) = self.parsed.lock() {
            parsed.clear();
        }
        if let Ok(mut tops) = self.tops.lock() {
            tops.clear();
        }
    }

    /// The [`TopFacts`] of a top control entry, parsed once.
    fn top_facts(&self, index: usize) -> Decided<Arc<TopFacts>> {
        if let Some(facts) = self.tops.lock().ok().and_then(|t| t.get(&index).cloned()) {
            return Ok(facts);
        }
        let facts = Arc::new(TopFacts::of(&*self.json_once(index)?));
        if let Ok(mut tops) = self.tops.lock() {
            tops.insert(index, Arc::clone(&facts));
        }
        Ok(facts)
    }

    /// An entry parsed for one look: the memo is used but not filled.
    fn json_once(&self, index: usize) -> Decided<Arc<Json>> {
        if let Some(doc) = self.parsed.lock().ok().and_then(|p| p.get(&index).cloned()) {
            return Ok(doc);
        }
        let bytes = self.inflate(index)?;
        json::parse_bytes_nested(&bytes, json::MAX_ENTRY_DEPTH)
            .map(Arc::new)
            .map_err(|e| fallback(format!("{}: {e}", self.name(index))))
    }

    fn json(&self, index: usize) -> Decided<Arc<Json>> {
        let doc = self.json_once(index)?;
        if let Ok(mut parsed) = self.parsed.lock() {
            parsed.insert(index, Arc::clone(&doc));
        }
        Ok(doc)
    }
}

/// Entry names compare as Studio compares them: ASCII case and separator ignored.
fn entry_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == '/' {
                '\\'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Ours,
    Theirs,
}

/// Where one entry of the merged app comes from.
enum Source {
    Stored(Which, usize),
    Merged(Vec<u8>),
    /// Changed on both sides: settled by the model merge of the screens (`screens`).
    Model,
    Checksum,
}

struct Planned {
    name: String,
    key: String,
    source: Source,
    /// Whether the merged entry differs from the base's (then it is unpacked again).
    changed: bool,
    /// Already unpacked again by the reduced merge of the screens.
    reread: bool,
}

/// What the decisions left for the controls check: the entries holding controls (screens,
/// component definitions, tests) each side changed (by key).
struct Plan {
    entries: Vec<Planned>,
    controls_changed: [Vec<String>; 2],
    /// Every entry holding controls that each side changed, those both changed alike too.
    tops_changed: [Vec<String>; 2],
    /// Whether each side changed a `Controls\*.json` entry (Studio renders those as YAML).
    screens_changed: [bool; 2],
    /// Whether the app carries Studio's YAML rendering, and which sides changed any of it.
    has_pa_yaml: bool,
    pa_yaml_changed: [bool; 2],
    checksum_from: Option<(Which, usize)>,
    /// What the entry merges tell a reviewer, as the whole-app merge words it.
    notes: Vec<Note>,
}

impl Plan {
    fn model_keys(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|e| matches!(e.source, Source::Model))
            .map(|e| e.key.as_str())
    }
}

struct Sides<'a> {
    base: Side<'a>,
    ours: Side<'a>,
    theirs: Side<'a>,
    cache: &'a ChecksumCache,
}

impl Sides<'_> {
    fn side(&self, which: Which) -> &Side<'_> {
        match which {
            Which::Ours => &self.ours,
            Which::Theirs => &self.theirs,
        }
    }

    /// Whether two versions of an entry hold the same bytes. Equal compressed bytes decide at
    /// once; a re-save may compress the same content differently, so equal CRCs and sizes
    /// are settled by inflating.
    fn same(&self, a: (&Side<'_>, Option<usize>), b: (&Side<'_>, Option<usize>)) -> Decided<bool> {
        let ((sa, ia), (sb, ib)) = (a, b);
        let (ia, ib) = match (ia, ib) {
            (None, None) => return Ok(true),
            (Some(x), Some(y)) => (x, y),
            _ => return Ok(false),
        };
        if StoredArchive::stored_alike((&sa.stored, ia), (&sb.stored, ib)) {
            return Ok(true);
        }
        let (Some(ea), Some(eb)) = (sa.stored.entries.get(ia), sb.stored.entries.get(ib)) else {
            return Ok(false);
        };
        if ea.info.crc32 != eb.info.crc32 || ea.info.uncompressed_size != eb.info.uncompressed_size
        {
            return Ok(false);
        }
        Ok(sa.inflate(ia)? == sb.inflate(ib)?)
    }

    fn plan(&self) -> Decided<Plan> {
        let mut plan = Plan {
            entries: Vec::new(),
            controls_changed: [Vec::new(), Vec::new()],
            tops_changed: [Vec::new(), Vec::new()],
            screens_changed: [false, false],
            has_pa_yaml: false,
            pa_yaml_changed: [false, false],
            checksum_from: None,
            notes: Vec::new(),
        };
        // Ours' order first, then what only theirs has, in theirs' order.
        let key_of = |e: &crate::container::StoredEntry| entry_key(&e.info.name);
        let mut keys: Vec<String> = self.ours.stored.entries.iter().map(key_of).collect();
        keys.extend(
            self.theirs
                .stored
                .entries
                .iter()
                .map(key_of)
                .filter(|k| self.ours.find(k).is_none()),
        );
        for key in keys {
            self.decide(&key, &mut plan)?;
        }
        // A side's `Src/*.pa.yaml` is taken as it is, which is right only when that side
        // rendered it from its own controls, as Studio does on every save. Controls changed
        // without any YAML changing means a tool that left it stale: the model merge renders
        // it again.
        for (side, label) in [0, 1].into_iter().zip(["ours", "theirs"]) {
            if plan.has_pa_yaml && plan.screens_changed[side] && !plan.pa_yaml_changed[side] {
                return Err(fallback(format!(
                    "{label} changed controls but not their Src/*.pa.yaml"
                )));
            }
        }
        Ok(plan)
    }

    fn decide(&self, key: &str, plan: &mut Plan) -> Decided<()> {
        let (b, o, t) = (
            self.base.find(key),
            self.ours.find(key),
            self.theirs.find(key),
        );
        let ours_same_as_theirs = self.same((&self.ours, o), (&self.theirs, t))?;
        let theirs_unchanged = self.same((&self.base, b), (&self.theirs, t))?;
        let ours_unchanged = self.same((&self.base, b), (&self.ours, o))?;
        let is_controls = key.starts_with("controls\\");
        // Component definitions and tests hold controls too, numbered from the same counters.
        let holds_controls =
            is_controls || key.starts_with("components\\") || key.starts_with("apptests\\");
        if holds_controls {
            for (side, unchanged) in [ours_unchanged, theirs_unchanged].into_iter().enumerate() {
                if !unchanged {
                    plan.tops_changed[side].push(key.to_string());
                    if !ours_same_as_theirs {
                        plan.controls_changed[side].push(key.to_string());
                        plan.screens_changed[side] |= is_controls;
                    }
                }
            }
        }
        if key.starts_with("src\\") && key.ends_with(".pa.yaml") {
            plan.has_pa_yaml = true;
            plan.pa_yaml_changed[0] |= !ours_unchanged;
            plan.pa_yaml_changed[1] |= !theirs_unchanged;
        }
        // Conflict markers are refused by the model merge, with the place named.
        for (unchanged, side, index) in [
            (ours_unchanged, &self.ours, o),
            (theirs_unchanged, &self.theirs, t),
        ] {
            if let Some(i) = index.filter(|_| !unchanged)
                && contains_marker(&side.inflate(i)?)
            {
                return Err(fallback(format!(
                    "{} may hold conflict markers",
                    side.name(i)
                )));
            }
        }
        let taken = if ours_same_as_theirs || theirs_unchanged {
            o.map(|i| (Which::Ours, i))
        } else if ours_unchanged {
            t.map(|i| (Which::Theirs, i))
        } else {
            None
        };
        if checksum::is_checksum_name(key) {
            if key != "checksum.json" {
                return Err(fallback(format!("unexpected checksum file {key}")));
            }
            plan.checksum_from = match taken {
                Some(from) => Some(from),
                None if !ours_same_as_theirs && !theirs_unchanged && !ours_unchanged => {
                    self.latest_saved(o, t)
                }
                None => None,
            };
            plan.entries.push(Planned {
                name: "checksum.json".into(),
                key: key.to_string(),
                source: Source::Checksum,
                changed: true,
                reread: false,
            });
            return Ok(());
        }
        if ours_same_as_theirs || theirs_unchanged || ours_unchanged {
            if let Some((which, index)) = taken {
                plan.entries.push(Planned {
                    name: self.side(which).name(index).to_string(),
                    key: key.to_string(),
                    source: Source::Stored(which, index),
                    changed: !(match which {
                        Which::Ours => ours_unchanged,
                        Which::Theirs => theirs_unchanged,
                    }),
                    reread: false,
                });
            }
            return Ok(());
        }
        let (Some(o), Some(t)) = (o, t) else {
            return Err(fallback(format!(
                "{key} added or deleted on one side, changed on the other"
            )));
        };
        let name = self.ours.name(o).to_string();
        if b.is_some() && (is_controls || screens::is_screen_yaml(key)) {
            plan.entries.push(Planned {
                name,
                key: key.to_string(),
                source: Source::Model,
                changed: true,
                reread: false,
            });
            return Ok(());
        }
        let b_json = b.map(|i| self.base.json(i)).transpose()?;
        let (o_json, t_json) = (self.ours.json(o)?, self.theirs.json(t)?);
        let merged = match key {
            "header.json" => merge_header(b_json.as_deref(), &o_json, &t_json)?,
            "properties.json" => merge_properties(b_json.as_deref(), &o_json, &t_json)?,
            "appcheckerresult.sarif" => {
                let (merged, clashed) = prefer_ours(b_json.as_deref(), &o_json, &t_json)?;
                if clashed {
                    plan.notes.push(Note {
                        at: APP_CHECKER_SOURCE.into(),
                        message: CACHE_CLASH.into(),
                    });
                }
                merged
            }
            _ => return Err(fallback(format!("both sides changed {name}"))),
        };
        plan.entries.push(Planned {
            name,
            key: key.to_string(),
            source: Source::Merged(json::to_compact_string(&merged).into_bytes()),
            changed: true,
            reread: false,
        });
        Ok(())
    }

    /// The side saved last in Studio, by `Header.json` (ours on a tie or when unknown).
    fn latest_saved(&self, o: Option<usize>, t: Option<usize>) -> Option<(Which, usize)> {
        let saved = |side: &Side<'_>| {
            let header = side.json(side.find("header.json")?).ok()?;
            studio_time(header.get(SAVED_AT)?.as_str()?)
        };
        let pick_theirs = match (saved(&self.ours), saved(&self.theirs)) {
            (Some(a), Some(b)) => b > a,
            (None, Some(_)) => true,
            _ => false,
        };
        match (pick_theirs, o, t) {
            (true, _, Some(t)) => Some((Which::Theirs, t)),
            (_, Some(o), _) => Some((Which::Ours, o)),
            (_, None, t) => t.map(|t| (Which::Theirs, t)),
        }
    }

    /// Adds one planned entry as the merged app holds it.
    /// Where stored entries are copied from: ours, theirs.
    fn raw_sources(&self) -> crate::error::Result<[RawSource<'_>; 2]> {
        Ok([
            RawSource::open(self.ours.stored.bytes())?,
            RawSource::open(self.theirs.stored.bytes())?,
        ])
    }

    fn put(
        &self,
        writer: &mut ArchiveWriter,
        sources: &mut [RawSource<'_>; 2],
        entry: &Planned,
    ) -> crate::error::Result<()> {
        match &entry.source {
            Source::Stored(which, index) => {
                let source = match which {
                    Which::Ours => &mut sources[0],
                    Which::Theirs => &mut sources[1],
                };
                writer.copy_raw(source, self.side(*which).name(*index))
            }
            Source::Merged(bytes) => writer.add(&entry.name, bytes),
            Source::Model | Source::Checksum => Ok(()),
        }
    }

    /// [`screens::verify_changed`] on the entries of the merged app it reads.
    fn verify(&self, plan: &Plan, opts: &MergeOptions) -> Decided<()> {
        let changed = screens::to_verify(plan);
        let failed =
            |e: crate::error::Error| fallback(format!("the merged app does not read back: {e}"));
        let mut writer = ArchiveWriter::new();
        let mut sources = self.raw_sources().map_err(failed)?;
        for entry in &plan.entries {
            if matches!(entry.source, Source::Model) {
                return Err(fallback(format!("{} was left unmerged", entry.name)));
            }
            if screens::read_by_verify(&entry.key, &changed) {
                self.put(&mut writer, &mut sources, entry).map_err(failed)?;
            }
        }
        let batch_bytes = opts.batch_bytes.unwrap_or(screens::BATCH_BYTES);
        screens::verify_changed(&writer.finish().map_err(failed)?, plan, batch_bytes)
    }

    fn write(&self, plan: &Plan) -> Decided<Vec<u8>> {
        let sums = self.checksums(plan)?;
        // The merged app is about as big as the bigger side.
        let expected = [&self.ours, &self.theirs]
            .iter()
            .map(|side| side.stored.bytes().len())
            .max()
            .unwrap_or(0);
        let mut writer = ArchiveWriter::with_capacity(expected + expected / 16);
        let failed = |e: crate::error::Error| fallback(format!("writing the merged app: {e}"));
        let mut sources = self.raw_sources().map_err(failed)?;
        let mut wrote_checksum = false;
        for entry in &plan.entries {
            match &entry.source {
                Source::Stored(..) | Source::Merged(_) => {
                    self.put(&mut writer, &mut sources, entry).map_err(failed)?
                }
                Source::Model => {
                    return Err(fallback(format!("{} was left unmerged", entry.name)));
                }
                Source::Checksum => {
                    writer
                        .add(&entry.name, &self.checksum_document(plan, &sums))
                        .map_err(failed)?;
                    wrote_checksum = true;
                }
            }
        }
        if !wrote_checksum {
            writer
                .add("checksum.json", &self.checksum_document(plan, &sums))
                .map_err(failed)?;
        }
        writer.finish().map_err(failed)
    }

    /// A fresh client checksum of the merged entries. Hashing needs every JSON entry parsed,
    /// which dominates the fast path: entries are spread over threads, largest first.
    fn checksums(&self, plan: &Plan) -> Decided<checksum::Checksums> {
        let mut work: Vec<&Planned> = plan
            .entries
            .iter()
            .filter(|e| !matches!(e.source, Source::Checksum))
            .collect();
        let size = |e: &Planned| match &e.source {
            Source::Stored(which, i) => self
                .side(*which)
                .stored
                .entries
                .get(*i)
                .map_or(0, |e| e.info.uncompressed_size),
            Source::Merged(bytes) => bytes.len() as u64,
            Source::Model | Source::Checksum => 0,
        };
        work.sort_by_key(|e| std::cmp::Reverse(size(e)));
        let next = AtomicUsize::new(0);
        let values: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::with_capacity(work.len()));
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 8)
            .min(work.len().max(1));
        let run = || -> Decided<()> {
            loop {
                let Some(entry) = work.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Ok(());
                };
                let value = match &entry.source {
                    Source::Stored(which, i) => self.stored_value(*which, *i, &entry.name)?,
                    Source::Merged(bytes) => entry_value(&entry.name, bytes)?,
                    Source::Model => return Err(fallback("an entry was left unmerged")),
                    Source::Checksum => continue,
                };
                if let Ok(mut v) = values.lock() {
                    v.push((entry.name.clone(), value));
                }
            }
        };
        let outcomes: Vec<Decided<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads).map(|_| s.spawn(run)).collect();
            let mut outcomes = vec![run()];
            for h in handles {
                outcomes.push(
                    h.join()
                        .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
                );
            }
            outcomes
        });
        outcomes.into_iter().collect::<Decided<Vec<()>>>()?;
        let values = values
            .into_inner()
            .map_err(|_| fallback("a checksum worker failed"))?;
        if values.len() != work.len() {
            return Err(fallback("a checksum worker failed"));
        }
        Ok(checksum::combine(values))
    }

    /// The checksum value of a stored entry; JSON values come from the cache when this
    /// content was hashed before.
    fn stored_value(&self, which: Which, index: usize, name: &str) -> Decided<Vec<u8>> {
        let side = self.side(which);
        let key = is_json_name(name)
            .then(|| side.stored.fingerprint(index))
            .flatten();
        if let Some(value) = key.and_then(|k| self.cache.get(&k)) {
            return Ok(value.to_vec());
        }
        let value = entry_value(name, &side.inflate(index)?)?;
        if let (Some(key), Ok(digest)) = (key, <[u8; 32]>::try_from(value.as_slice())) {
            self.cache.record(key, digest);
        }
        Ok(value)
    }

    /// `checksum.json` as pack writes it: the fresh client checksum, and the server stamp of
    /// the side the entry came from (the latest save when both changed it).
    fn checksum_document(&self, plan: &Plan, sums: &checksum::Checksums) -> Vec<u8> {
        let mut doc = Object::new();
        doc.insert("ClientStampedChecksum", Json::str(&sums.whole));
        let mut per_file = Object::new();
        for (name, sum) in &sums.per_file {
            per_file.insert(name.as_str(), Json::str(sum));
        }
        doc.insert("ClientPerFileChecksums", Json::Object(per_file));
        let old = plan
            .checksum_from
            .and_then(|(which, i)| self.side(which).json(i).ok());
        if let Some(old) = old {
            for key in ["ServerStampedChecksum", "ServerPerFileChecksums"] {
                if let Some(v) = old.get(key) {
                    doc.insert(key, v.clone());
                }
            }
        }
        json::to_compact_string(&Json::Object(doc)).into_bytes()
    }
}

/// An entry's checksum value. JSON entries are parsed as loading the app parses them, so an
/// entry the model merge would refuse sends the merge there.
fn entry_value(name: &str, bytes: &[u8]) -> Decided<Vec<u8>> {
    if !is_json_name(name) {
        return Ok(bytes.to_vec());
    }
    checksum::json_entry_value(bytes, json::MAX_ENTRY_DEPTH)
        .map_err(|e| fallback(format!("{name}: {e}")))
}

/// Git's conflict-marker opening, anywhere in the bytes (a cheap, conservative test).
/// Seven `<` in a row cover every position modulo 7, so only every seventh byte is looked
/// at until one is a `<` (changed screens are megabytes).
fn contains_marker(bytes: &[u8]) -> bool {
    const RUN: usize = 7;
    let mut at = RUN - 1;
    while let Some(&b) = bytes.get(at) {
        if b == b'<' {
            let before = bytes[..at].iter().rev().take_while(|&&c| c == b'<').count();
            let after = bytes[at..].iter().take_while(|&&c| c == b'<').count();
            if before + after >= RUN {
                return true;
            }
            // No run through here is long enough; the next one starts after it.
            at += after.max(1);
            at += RUN - 1;
        } else {
            at += RUN;
        }
    }
    false
}

fn object_of(json: &Json, what: &str) -> Decided<Object> {
    let object = json
        .as_object()
        .ok_or_else(|| fallback(format!("{what} is not an object")))?;
    let mut keys: Vec<&str> = object.keys().collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(fallback(format!("{what} has duplicate keys")));
    }
    Ok(object.clone())
}

/// One-sided or equal changes of a value; `None` when both sides changed it differently.
fn one_sided<'v, T: PartialEq>(b: Option<&'v T>, o: &'v T, t: &'v T) -> Option<&'v T> {
    if o == t || b == Some(t) {
        Some(o)
    } else if b == Some(o) {
        Some(t)
    } else {
        None
    }
}

/// `Header.json`: the save time of the side saved last; anything else changed on both sides
/// (two Studio versions) is the model merge's to settle.
fn merge_header(b: Option<&Json>, o: &Json, t: &Json) -> Decided<Json> {
    let without_saved = |j: &Json| -> Decided<Object> {
        let mut object = object_of(j, "Header.json")?;
        object.remove(SAVED_AT);
        Ok(object)
    };
    let (ob, oo, ot) = (
        b.map(without_saved).transpose()?,
        without_saved(o)?,
        without_saved(t)?,
    );
    let Some(rest) = one_sided(ob.as_ref(), &oo, &ot) else {
        return Err(fallback("both sides changed Header.json"));
    };
    let from = if std::ptr::eq(rest, &oo) { o } else { t };
    let mut merged = object_of(from, "Header.json")?;
    let saved = |j: &Json| j.get(SAVED_AT).and_then(Json::as_str).and_then(studio_time);
    let latest = match (saved(o), saved(t)) {
        (Some(a), Some(b)) if b > a => t.get(SAVED_AT),
        (None, Some(_)) => t.get(SAVED_AT),
        _ => o.get(SAVED_AT).or_else(|| t.get(SAVED_AT)),
    };
    if let Some(v) = latest {
        merged.insert(SAVED_AT, v.clone());
    }
    Ok(Json::Object(merged))
}

/// `Properties.json`: the volatile keys merge like a cache; any other key changed on both
/// sides is the model merge's to settle (it may be a real conflict).
fn merge_properties(b: Option<&Json>, o: &Json, t: &Json) -> Decided<Json> {
    let split = |j: &Json| -> Decided<(Object, Object)> {
        let mut rest = object_of(j, "Properties.json")?;
        rest.remove(LAST_ID);
        let mut volatile = Object::new();
        for key in VOLATILE_PROPERTIES {
            if let Some(v) = rest.remove(key) {
                volatile.insert(key, v);
            }
        }
        Ok((rest, volatile))
    };
    let (bs, os, ts) = (b.map(split).transpose()?, split(o)?, split(t)?);
    let Some(rest) = one_sided(bs.as_ref().map(|s| &s.0), &os.0, &ts.0) else {
        return Err(fallback("both sides changed Properties.json"));
    };
    let from = if std::ptr::eq(rest, &os.0) { o } else { t };
    let volatile = merge_json(
        bs.as_ref().map(|s| Json::Object(s.1.clone())).as_ref(),
        Some(&Json::Object(os.1.clone())),
        Some(&Json::Object(ts.1.clone())),
        &JsonMergeOptions {
            policy: Policy::PreferOurs,
            array_keys: Vec::new(),
        },
    )
    .value;
    let volatile = volatile.as_ref().and_then(Json::as_object);
    let mut merged = object_of(from, "Properties.json")?;
    match merge_id_counter(
        b.and_then(|b| b.get(LAST_ID)),
        o.get(LAST_ID),
        t.get(LAST_ID),
    ) {
        Some(counter) => merged.insert(LAST_ID, counter),
        None => {
            merged.remove(LAST_ID);
        }
    }
    for key in VOLATILE_PROPERTIES {
        match volatile.and_then(|v| v.get(key)) {
            Some(v) => merged.insert(key, v.clone()),
            None => {
                merged.remove(key);
            }
        }
    }
    Ok(Json::Object(merged))
}

/// A cache merged key by key, ours winning a clash; and whether anything clashed.
fn prefer_ours(b: Option<&Json>, o: &Json, t: &Json) -> Decided<(Json, bool)> {
    let merged = merge_json(
        b,
        Some(o),
        Some(t),
        &JsonMergeOptions {
            policy: Policy::PreferOurs,
            array_keys: Vec::new(),
        },
    );
    let clashed = !merged.conflicts.is_empty();
    merged
        .value
        .map(|value| (value, clashed))
        .ok_or_else(|| fallback("AppCheckerResult.sarif merged to nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(text: &str) -> Json {
        json::parse(text).unwrap()
    }

    #[test]
    fn header_takes_the_latest_save() {
        let b = j(r#"{"DocVersion":"1.3","LastSavedDateTimeUTC":"01/02/2025 10:00:00"}"#);
        let o = j(r#"{"DocVersion":"1.3","LastSavedDateTimeUTC":"12/01/2024 10:00:00"}"#);
        let t = j(r#"{"DocVersion":"1.3","LastSavedDateTimeUTC":"01/03/2025 09:00:00"}"#);
        let m = merge_header(Some(&b), &o, &t).unwrap();
        assert_eq!(
            m.get(SAVED_AT).and_then(Json::as_str),
            Some("01/03/2025 09:00:00")
        );
        let t2 = j(r#"{"DocVersion":"1.4","LastSavedDateTimeUTC":"01/03/2025 09:00:00"}"#);
        let o2 = j(r#"{"DocVersion":"1.5","LastSavedDateTimeUTC":"01/03/2025 09:00:00"}"#);
        assert!(merge_header(Some(&b), &o2, &t2).is_err());
    }

    #[test]
    fn properties_merge_volatile_keys_and_refuse_real_clashes() {
        let b = j(r#"{"Name":"a","ControlCount":{"button":1},"AnalysisLoadTime":1.0}"#);
        let o = j(r#"{"Name":"a","ControlCount":{"button":2},"AnalysisLoadTime":2.0}"#);
        let t = j(r#"{"Name":"a","ControlCount":{"button":1,"label":1},"AnalysisLoadTime":3.0}"#);
        let m = merge_properties(Some(&b), &o, &t).unwrap();
        assert_eq!(
            json::to_compact_string(&m),
            r#"{"Name":"a","ControlCount":{"button":2,"label":1},"AnalysisLoadTime":2.0}"#
        );
        let o2 = j(r#"{"Name":"b","ControlCount":{"button":1},"AnalysisLoadTime":1.0}"#);
        let t2 = j(r#"{"Name":"c","ControlCount":{"button":1},"AnalysisLoadTime":1.0}"#);
        assert!(merge_properties(Some(&b), &o2, &t2).is_err());
    }

    #[test]
    fn the_id_counter_takes_the_larger_of_two_moves() {
        let b = j(r#"{"Name":"a","LastControlUniqueId":"10"}"#);
        let o = j(r#"{"Name":"a","LastControlUniqueId":"12"}"#);
        let t = j(r#"{"Name":"a","LastControlUniqueId":"15"}"#);
        let counter = |m: Json| m.get(LAST_ID).cloned().unwrap();
        assert_eq!(
            counter(merge_properties(Some(&b), &o, &t).unwrap()),
            Json::str("15")
        );
        assert_eq!(
            counter(merge_properties(Some(&b), &t, &o).unwrap()),
            Json::str("15")
        );
        assert_eq!(
            counter(merge_properties(Some(&b), &b, &o).unwrap()),
            Json::str("12")
        );
        assert_eq!(
            counter(merge_properties(Some(&b), &o, &b).unwrap()),
            Json::str("12")
        );
    }

    #[test]
    fn markers_are_spotted() {
        assert!(contains_marker(b"x\n<<<<<<< ours\n"));
        assert!(!contains_marker(b"<<<<<< six"));
        // Every alignment of runs of six, seven and eight, and runs split by one byte.
        for pad in 0..16 {
            for run in [6, 7, 8] {
                for tail in [0, 1, 9] {
                    let text = [vec![b'a'; pad], vec![b'<'; run], vec![b'b'; tail]].concat();
                    let expected = text.windows(7).any(|w| w == b"<<<<<<<");
                    assert_eq!(contains_marker(&text), expected, "{pad} {run} {tail}");
                    let split = [text.clone(), b"x<<<<<<".to_vec(), text].concat();
                    let expected = split.windows(7).any(|w| w == b"<<<<<<<");
                    assert_eq!(
                        contains_marker(&split),
                        expected,
                        "split {pad} {run} {tail}"
                    );
                }
            }
        }
    }
}
