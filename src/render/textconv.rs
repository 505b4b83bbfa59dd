//! `msapp-merge textconv`: an `.msapp` as text for `git diff`, `git log -p`, `git blame` and
//! `git log -S`.
//!
//! Layout (sections start with `=== <path in the source tree>`, which git's `xfuncname` for
//! the `msapp` diff driver puts in hunk headers next to control headers such as
//! `    Label1 As label:`; git names the nearest header *above the hunk's leading context*, so a
//! change in the first three lines under a control header is labelled with the control before):
//!
//! 1. every `.fx.yaml` exactly as `unpack` writes it: `Src/App.fx.yaml`, the screens in
//!    `ScreenOrder`, other screens by path, each component followed by its `.json` (flattened),
//!    tests, `Defines.fx.yaml`;
//! 2. `CanvasManifest.json` (app settings) and the small JSON side files, flattened to
//!    `path: value` lines;
//! 3. `DataSources/`: one line per data source (`Name: Type key=value ...`, nested or long
//!    values as `key=<sha256:...>` of their checksum form), then `LocalDatabaseReferences`
//!    flattened;
//! 4. `Connections/Connections.json` flattened;
//! 5. `Assets/`: `path  size bytes  sha256:...`;
//! 6. `Other files`: every other file of the tree with its size and hash.
//!
//! Left out on purpose: entropy, editor state, the checksum, app-checker results,
//! `ControlTemplates.json` (derived from every control's template), and settings that change
//! on every save (`LastControlUniqueId`, error counts). The output is LF-only,
//! never coloured, and identical for identical app content.
//!
//! It never fails: a file that cannot be shown becomes one line
//! `msapp-merge: cannot show <file>: <reason>` (followed, when the zip itself is readable, by a
//! listing of its entries), because a failing textconv aborts the whole `git log -p`.

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::thread;

use crate::app;
use crate::checksum::{self, Member};
use crate::container::{self, ArchiveEntry, Limits, StoredArchive};
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::model::{Entry, EntryData, MsApp, is_json_name, same_entry_name};
use crate::parallel;
use crate::source::SourceTree;
use crate::source::datasources::DATA_SOURCES_ENTRY;
use crate::source::names::{escape_filename, truncate_name_if_too_long};
use crate::source::unpack::{UnpackOptions, control_folder};

use super::TextFormat;
use super::flatten::{self, digest, scalar};
use super::store::RenderStore;

mod reuse;

/// Entries that only hold derived or volatile data; the tree would put them under `Entropy/`.
const VOLATILE_ENTRIES: &[&str] = &["AppCheckerResult.sarif", "checksum.json"];

/// Control members that only go to the editor state, the largest part of big apps. Dropping
/// them before unpack changes no `.fx.yaml` byte (the corpus tests check it) and halves the
/// memory a big app needs.
const EDITOR_ONLY_CONTROL_KEYS: &[&str] = &["ControlPropertyState", "ControlThisItemType"];

/// Manifest settings that change on every save or are shown elsewhere.
const VOLATILE_SETTINGS: &[&str] = &[
    "FormatVersion",
    "Header.LastSavedDateTimeUTC",
    "Properties.LastControlUniqueId",
    "Properties.BindingErrorCount",
    "Properties.ParserErrorCount",
    "Properties.ErrorCount",
    "Properties.ControlCount",
    "Properties.AnalysisLoadTime",
    "Properties.DeserializationLoadTime",
    "Properties.LocalDatabaseReferences",
];

/// Component record members not shown: timestamps in disguise, and the copy of the definition's
/// controls that the component's `.fx.yaml` already shows.
const HIDDEN_COMPONENT_KEYS: &[&str] = &[
    "LastModifiedTimestamp",
    "Version",
    "ComponentDefinitionInfo",
];

/// Files shown in a section of their own, or not at all.
const NOT_OTHER_PREFIXES: &[&str] = &[
    "Entropy/",
    "Src/EditorState/",
    "DataSources/",
    "pkgs/TableDefinitions/",
    "Connections/",
    "Assets/",
];

/// Derived from the templates of all controls; the templates themselves show as `pkgs/` files.
const NOT_SHOWN_FILES: &[&str] = &["ControlTemplates.json"];

/// Data-source strings longer than this are shown as a digest.
const INLINE_FIELD_MAX: usize = 200;

/// The one line shown instead of an app that cannot be read.
pub fn cannot_show(label: &str, reason: &str) -> String {
    let reason = reason.replace(['\n', '\r'], " ");
    format!("msapp-merge: cannot show {label}: {reason}\n")
}

/// Reads `path` and renders it, reusing renderings from `store`; never fails (see
/// [`textconv`]).
pub fn textconv_path(path: &Path, format: TextFormat, store: &mut RenderStore) -> String {
    let label = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => textconv_with(&bytes, &label, format, store),
        Err(e) => cannot_show(&label, &e.to_string()),
    }
}

/// Renders an app; on any error, and even on a bug that panics, returns the explanation instead.
pub fn textconv(bytes: &[u8], label: &str, format: TextFormat) -> String {
    textconv_with(bytes, label, format, &mut RenderStore::disabled())
}

/// [`textconv`], reusing renderings from `store` and adding to it.
pub fn textconv_with(
    bytes: &[u8],
    label: &str,
    format: TextFormat,
    store: &mut RenderStore,
) -> String {
    match panic::catch_unwind(AssertUnwindSafe(|| {
        render_with(bytes, label, format, store)
    })) {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => cannot_show(label, &reason(&e, label)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            cannot_show(
                label,
                &format!("internal error (a bug in msapp-merge): {message}"),
            )
        }
    }
}

/// Renders an app. Errors only when the bytes are not a readable zip; an app that is a zip but
/// cannot be unpacked is rendered as the explanation line plus a listing of its entries.
pub fn render(bytes: &[u8], label: &str, format: TextFormat) -> Result<String> {
    render_with(bytes, label, format, &mut RenderStore::disabled())
}

/// [`render`], reusing renderings from `store` and adding to it. The text is the same.
pub fn render_with(
    bytes: &[u8],
    label: &str,
    format: TextFormat,
    store: &mut RenderStore,
) -> Result<String> {
    if bytes.is_empty() {
        return Err(Error::bad_input(
            label,
            "empty file (0 bytes), not an .msapp",
        ));
    }
    if format == TextFormat::PaYaml {
        return render_pa_yaml(bytes, label);
    }
    // An app the store cannot serve, or one that fails, is rendered in full: that path
    // words every error.
    if store.is_enabled()
        && let Ok(Some(text)) = reuse::render_reusing(bytes, label, store)
    {
        return Ok(text);
    }
    let stored = StoredArchive::open(bytes, label, &Limits::default())?;
    match render_stored(&stored, label) {
        Ok(text) => Ok(text),
        Err(e) => {
            let mut out = cannot_show(label, &reason(&e, label));
            let archive = container::read_archive(bytes, label, &Limits::default())?;
            out.push_str("\n=== Entries\n");
            let mut entries: Vec<&ArchiveEntry> = archive.entries.iter().collect();
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            for entry in entries {
                out.push_str(&size_line(&entry.name, &entry.data));
            }
            Ok(out)
        }
    }
}

/// The error message without the file name the caller already shows.
fn reason(e: &Error, label: &str) -> String {
    let text = e.to_string();
    text.strip_prefix(label)
        .and_then(|rest| rest.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(text)
}

/// Apps with less JSON than this (besides their data sources) are parsed on one thread.
const PARALLEL_PARSE_FROM: u64 = 4 << 20;

/// Renders an app whose entries are inflated one at a time, each let go once parsed: holding
/// every inflated entry at once would add the app's whole uncompressed size to the peak.
fn render_stored(stored: &StoredArchive<'_>, label: &str) -> Result<String> {
    let names = || {
        stored
            .entries
            .iter()
            .map(|e| e.info.name.as_str())
            .enumerate()
    };
    let data_sources = names().find(|(_, name)| same_entry_name(name, DATA_SOURCES_ENTRY));
    let others: Vec<(usize, &str)> = names()
        .filter(|(_, name)| !same_entry_name(name, DATA_SOURCES_ENTRY))
        .collect();
    let parse_all = |part: &[(usize, &str)]| -> Result<Vec<Entry>> {
        let mut entries = Vec::with_capacity(part.len());
        for &(index, name) in part {
            // Not shown, but inflated all the same: an entry that does not inflate makes the
            // app unreadable whether or not it is shown.
            let data = stored.inflate(index)?;
            if !VOLATILE_ENTRIES.iter().any(|v| same_entry_name(v, name)) {
                entries.push(parse_entry(name, data, label)?);
            }
        }
        Ok(entries)
    };
    // The unpack of the parsed entries takes about as long as the data sources, which it
    // does not need: the entries are parsed on both cores first, then the two run side by
    // side. Before, the data sources ran beside parsing and unpacking together, and one core
    // waited: on the largest corpus app 0.25 -> 0.21 s (`perf stat`, 2 x 15 runs).
    let sizes: Vec<u64> = others
        .iter()
        .map(|&(index, _)| {
            stored
                .entries
                .get(index)
                .map_or(0, |e| e.info.uncompressed_size)
        })
        .collect();
    let data_sources_size = data_sources
        .and_then(|(index, _)| stored.entries.get(index).map(|e| e.info.uncompressed_size));
    let inflate_data_sources = || {
        data_sources
            .map(|(index, _)| stored.inflate(index))
            .transpose()
    };
    let (data_sources, entries) = if sizes.iter().sum::<u64>() < PARALLEL_PARSE_FROM {
        (inflate_data_sources(), parse_all(&others))
    } else {
        // The data sources are inflated beside the second part: inflating weighs about a
        // quarter of parsing as many bytes.
        let mut weights = sizes;
        weights.extend(data_sources_size.map(|size| size / 4));
        let cut = container::half_of_the_bytes(&weights).min(others.len());
        let (first, second) = others.split_at(cut);
        let ((data_sources, second), first) = parallel::join(
            || (inflate_data_sources(), parse_all(second)),
            || parse_all(first),
        );
        let entries = first.and_then(|mut entries| {
            entries.extend(second?);
            Ok(entries)
        });
        (data_sources, entries)
    };
    let (data_sources, entries) = (data_sources?, entries?);
    let (source_lines, unpacked) = parallel::join(
        || data_source_lines(data_sources.as_deref()),
        || unpack_parsed(entries, label),
    );
    let (app, tree, local_databases) = unpacked?;
    thread::scope(|scope| {
        // Freeing the parsed app takes a while for big apps; the other core does it meanwhile.
        // (Without a thread, the closure and the app are simply dropped here.)
        let _ = parallel::worker().spawn_scoped(scope, move || drop(app));
        Ok(assemble(&tree, &source_lines, local_databases.as_ref()))
    })
}

/// Unpacks what the rendering needs from the parsed entries. Returns the parsed app, the
/// tree and `LocalDatabaseReferences` (which unpack moves to files the rendering does not
/// show).
fn unpack_parsed(entries: Vec<Entry>, label: &str) -> Result<(MsApp, SourceTree, Option<Json>)> {
    let app = MsApp { entries };
    let local_databases = local_databases(&app);
    let tree = unpack(&app, label, false)?;
    Ok((app, tree, local_databases))
}

/// An archive entry as the rendering reads it: JSON parsed, and control trees without the
/// members only the editor state shows.
fn parse_entry(name: &str, data: Vec<u8>, label: &str) -> Result<Entry> {
    let data = if is_json_name(name) {
        let mut value = json::parse_bytes_nested(&data, json::MAX_ENTRY_DEPTH)
            .map_err(|err| Error::bad_input(label, format!("entry {name}: {err}")))?;
        if control_folder(name).is_some()
            && let Some(top) = value.get_mut("TopParent")
        {
            strip_editor_only(top);
        }
        EntryData::Json(value)
    } else {
        EntryData::Bytes(data)
    };
    Ok(Entry {
        name: name.to_string(),
        data,
    })
}

/// `LocalDatabaseReferences`, parsed when Studio stored it as JSON text; absent when empty.
fn local_databases(app: &MsApp) -> Option<Json> {
    app.json("Properties.json")
        .and_then(|p| p.get("LocalDatabaseReferences"))
        .map(|v| match v {
            Json::String(text) => json::parse(text).unwrap_or_else(|_| v.clone()),
            other => other.clone(),
        })
        .filter(|v| !matches!(v, Json::Object(o) if o.is_empty()) && !v.is_null())
}

/// The source tree of an app (`partial`: cut down to some of its top controls).
fn unpack(app: &MsApp, label: &str, partial: bool) -> Result<SourceTree> {
    // The checksum goes to `Entropy/`, which is not shown.
    let opts = UnpackOptions {
        skip_client_checksum: true,
        partial,
        ..UnpackOptions::default()
    };
    Ok(app::unpack_app(app, label, &opts)?.0)
}

fn strip_editor_only(control: &mut Json) {
    let Some(obj) = control.as_object_mut() else {
        return;
    };
    obj.0
        .retain(|(k, _)| !EDITOR_ONLY_CONTROL_KEYS.contains(&k.as_str()));
    if let Some(Json::Array(children)) = obj.get_mut("Children") {
        for child in children {
            strip_editor_only(child);
        }
    }
}

/// One line per data source, sorted by name then type (Studio's order is not meaningful).
fn data_source_lines(bytes: Option<&[u8]>) -> String {
    let Some(bytes) = bytes else {
        return String::new();
    };
    // No tree: the schemas, most of the file, are only ever shown as digests.
    let items = match checksum::list_members(bytes, "DataSources", &shown_as_is) {
        Ok(items) => items,
        Err(e) => return format!("! cannot read {DATA_SOURCES_ENTRY}: {e}\n"),
    };
    let Some(items) = items else {
        return format!("! {DATA_SOURCES_ENTRY} has no DataSources list\n");
    };
    let mut lines: Vec<(String, String, String)> = items
        .into_iter()
        .map(|item| match item {
            Some(members) => source_line(members),
            None => (String::new(), String::new(), "! not an object\n".into()),
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, _, line)| line).collect()
}

/// Data-source strings wanted as they are: short ones, and the name and type whatever their
/// length (they head the line).
fn shown_as_is(key: &str, len: usize) -> bool {
    len <= INLINE_FIELD_MAX || key == "Name" || key == "Type"
}

/// `(name, type, "Name: Type key=value ... key=<sha256:...>\n")`: short scalars as they are,
/// everything else as a digest of its checksum form, so a value that only changed spelling
/// (key order, number format, XML layout) keeps its digest, exactly as the app checksum does.
fn source_line(members: Vec<(String, Member)>) -> (String, String, String) {
    let text = |key: &str| {
        members
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, m)| match m {
                Member::Inline(Json::String(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let (name, kind) = (text("Name"), text("Type"));
    let mut fields = Vec::with_capacity(members.len());
    let (mut name_seen, mut kind_seen) = (false, false);
    for (key, value) in members {
        // The first of each is the line's head; a duplicate still shows as a field.
        match key.as_str() {
            "Name" if !name_seen => name_seen = true,
            "Type" if !kind_seen => kind_seen = true,
            _ => fields.push((key, value)),
        }
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    let mut line = format!("{name}: {kind}");
    for (key, value) in fields {
        line.push(' ');
        line.push_str(&key);
        line.push('=');
        let value = match value {
            Member::Inline(value) => match scalar(&value) {
                Some(shown) if !is_long(&value) => {
                    line.push_str(&shown);
                    continue;
                }
                // A long name or type repeated as a field.
                _ => canonical_digest(key, value),
            },
            Member::Digest(value) => digest(&value),
        };
        line.push('<');
        line.push_str(&value);
        line.push('>');
    }
    line.push('\n');
    (name, kind, line)
}

fn is_long(value: &Json) -> bool {
    value.as_str().is_some_and(|s| s.len() > INLINE_FIELD_MAX)
}

/// The digest of a data-source field in the checksum's canonical form, which knows which
/// fields hold JSON or XML text (it matches them by their path in `DataSources.json`).
fn canonical_digest(key: String, value: Json) -> String {
    digest(&checksum::wrapped_member_value("DataSources", &key, value))
}

fn assemble(tree: &SourceTree, source_lines: &str, local_databases: Option<&Json>) -> String {
    let mut out = Output::default();
    let manifest = tree
        .get("CanvasManifest.json")
        .and_then(|b| json::parse_bytes(b).ok());

    for path in fx_yaml_order(tree, manifest.as_ref()) {
        if let Some(bytes) = tree.get(&path) {
            out.section(&path);
            out.push_file(bytes);
        }
        if let Some(stem) = path
            .strip_prefix("Src/Components/")
            .and_then(|p| p.strip_suffix(".fx.yaml"))
        {
            let record = format!("Src/Components/{stem}.json");
            if let Some(Json::Object(obj)) =
                tree.get(&record).and_then(|b| json::parse_bytes(b).ok())
            {
                out.section(&record);
                flatten::flatten_object(
                    &obj,
                    &|p| HIDDEN_COMPONENT_KEYS.contains(&p),
                    &mut out.text,
                );
                out.shown.insert(record);
            }
        }
    }

    if let Some(Json::Object(manifest)) = &manifest {
        out.section("CanvasManifest.json");
        flatten::flatten_object(manifest, &|p| VOLATILE_SETTINGS.contains(&p), &mut out.text);
    }
    for side_file in ["AppInsightsKey.json", "ComponentReferences.json"] {
        if let Some(value) = tree.get(side_file).and_then(|b| json::parse_bytes(b).ok()) {
            out.section(side_file);
            flatten::flatten("", &value, &|_| false, &mut out.text);
        }
    }

    if !source_lines.is_empty() || local_databases.is_some() {
        out.section("DataSources/");
        out.text.push_str(source_lines);
        if let Some(value) = local_databases {
            flatten::flatten("LocalDatabaseReferences", value, &|_| false, &mut out.text);
        }
    }

    let connections = "Connections/Connections.json";
    if let Some(value) = tree
        .get(connections)
        .and_then(|b| json::parse_bytes(b).ok())
    {
        out.section(connections);
        flatten::flatten("", &value, &|_| false, &mut out.text);
    }

    let assets: Vec<(&str, &[u8])> = tree.under("Assets").collect();
    if !assets.is_empty() {
        out.section("Assets/");
        for (path, bytes) in assets {
            out.text.push_str(&size_line(path, bytes));
        }
    }

    let others: Vec<(&String, &Vec<u8>)> = tree
        .files
        .iter()
        .filter(|(path, _)| {
            !out.shown.contains(path.as_str())
                && path.as_str() != "CanvasManifest.json"
                && !NOT_OTHER_PREFIXES.iter().any(|p| path.starts_with(p))
                && !NOT_SHOWN_FILES.contains(&path.as_str())
                && !["AppInsightsKey.json", "ComponentReferences.json"].contains(&path.as_str())
        })
        .collect();
    if !others.is_empty() {
        out.section("Other files");
        for (path, bytes) in others {
            out.text.push_str(&size_line(path, bytes));
        }
    }
    out.text
}

/// `App` first, then `ScreenOrder`, other screens, components, tests, named formulas.
fn fx_yaml_order(tree: &SourceTree, manifest: Option<&Json>) -> Vec<String> {
    let mut order: Vec<String> = vec!["Src/App.fx.yaml".to_string()];
    let screens = manifest
        .and_then(|m| m.get("ScreenOrder"))
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    for screen in screens {
        // The same double escaping unpack applies to top-parent file names.
        let stem = truncate_name_if_too_long(&escape_filename(screen));
        order.push(format!("Src/{stem}.fx.yaml"));
    }
    let is_fx = |p: &&str| p.ends_with(".fx.yaml");
    let direct = |dir: &'static str| {
        tree.under(dir)
            .map(|(p, _)| p)
            .filter(move |p| {
                p.strip_prefix(dir)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|name| !name.contains('/'))
            })
            .filter(is_fx)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    order.extend(direct("Src"));
    order.extend(direct("Src/Components"));
    order.extend(direct("Src/Tests"));
    order.push("Defines.fx.yaml".to_string());

    let mut seen = BTreeSet::new();
    order
        .into_iter()
        .filter(|p| tree.contains(p) && seen.insert(p.clone()))
        .collect()
}

fn size_line(path: &str, bytes: &[u8]) -> String {
    format!("{path}  {} bytes  {}\n", bytes.len(), digest(bytes))
}

#[derive(Default)]
struct Output {
    text: String,
    shown: BTreeSet<String>,
}

impl Output {
    fn section(&mut self, path: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str("=== ");
        self.text.push_str(path);
        self.text.push('\n');
        self.shown.insert(path.to_string());
    }

    fn push_file(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        // Trees are LF already; a stray CR would show as noise in every diff line.
        for line in text.split_inclusive('\n') {
            let line = line.strip_suffix('\n').unwrap_or(line);
            self.text.push_str(line.strip_suffix('\r').unwrap_or(line));
            self.text.push('\n');
        }
    }
}

/// Studio's YAML view of the app, one `=== Src/<file>` section per file, LF newlines.
fn render_pa_yaml(bytes: &[u8], label: &str) -> Result<String> {
    let app = crate::app::parse_msapp(bytes, label)?;
    let mut out = String::new();
    for (name, text) in crate::payaml::render_app(&app)? {
        out.push_str(&format!("=== {}\n", name.replace('\\', "/")));
        out.push_str(&text.replace("\r\n", "\n"));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}
