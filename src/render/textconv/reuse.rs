//! `textconv` that renders only what it has not rendered before.
//!
//! A screen's `.fx.yaml` depends on the screen's entry and on what unpack compares its
//! controls with: the templates and theme (defaults), the app type, and the component
//! definitions. Keyed by those, a screen's rendering is reused from the store; everything else
//! (header, properties, components, assets...) is small and unpacked as usual, together with
//! the screens that missed. The result is the text a full rendering gives, which holds when:
//! - control names are unique in the app (unpack looks up editor states by name across the
//!   whole app),
//! - screen file names do not collide (unpack would number them in name order),
//! - the app has no tests (test steps name screens by their ids),
//! - and, when the app defines components, every screen holding an instance is unpacked again
//!   (a component's record is the first template of its kind that unpack meets).
//!
//! An app where any of this fails is rendered in full. The data-source lines depend on their
//! entry alone and are reused by it in any app.

use std::collections::HashSet;

use crate::container::{Limits, StoredArchive};
use crate::error::Result;
use crate::json::{self, Json};
use crate::memo::KeyBuilder;
use crate::model::{Entry, EntryData, MsApp, same_entry_name};
use crate::parallel;
use crate::render::store::{Key, RenderStore};
use crate::source::SourceTree;
use crate::source::controls::{TEST_ROOT_NAME, is_component_template_id};
use crate::source::datasources::DATA_SOURCES_ENTRY;
use crate::source::names::{escape_filename, truncate_name_if_too_long};
use crate::source::unpack::control_folder;

use super::{VOLATILE_ENTRIES, assemble, data_source_lines, local_databases, parse_entry, unpack};

/// Screen facts and rendering kept per screen entry.
#[derive(Debug, Clone, PartialEq)]
struct ScreenRecord {
    name: String,
    index: f64,
    uses_components: bool,
    control_names: Vec<String>,
    fx_yaml: Vec<u8>,
}

/// A top control of the `Controls` folder: reused, or unpacked now (its facts read from its
/// entry, its rendering still empty).
enum Top {
    Reused(ScreenRecord),
    Unpacked { key: Key, record: ScreenRecord },
}

/// Renders `bytes` reusing and filling `store`; `None` when the app needs a full rendering.
pub(super) fn render_reusing(
    bytes: &[u8],
    label: &str,
    store: &mut RenderStore,
) -> Result<Option<String>> {
    let stored = StoredArchive::open(bytes, label, &Limits::default())?;
    let names: Vec<&str> = stored
        .entries
        .iter()
        .map(|e| e.info.name.as_str())
        .collect();
    if names.iter().any(|n| control_folder(n) == Some("AppTests")) {
        return Ok(None);
    }
    let sources = names
        .iter()
        .position(|n| same_entry_name(n, DATA_SOURCES_ENTRY))
        .map(|index| {
            let fingerprint = stored.fingerprint(index).unwrap_or_default();
            let key = store.key("data-sources", &[&fingerprint]);
            let lines = store.get(&key).and_then(|b| String::from_utf8(b).ok());
            (index, key, lines)
        });

    // Data sources are not needed for the controls: a miss is rendered on the other core.
    let reader = &*store;
    let (source_lines, controls) = parallel::join(
        || -> Result<String> {
            match &sources {
                Some((index, _, None)) => Ok(data_source_lines(Some(&stored.inflate(*index)?))),
                Some((_, _, Some(lines))) => Ok(lines.clone()),
                None => Ok(String::new()),
            }
        },
        || render_controls(&stored, &names, label, reader),
    );
    let source_lines = source_lines?;
    if let Some((_, key, None)) = sources {
        store.put(key, source_lines.clone().into_bytes());
    }
    let Some(Controls {
        tree,
        records,
        local_databases,
    }) = controls?
    else {
        return Ok(None);
    };
    for (key, record) in records {
        store.put(key, record.encode());
    }
    Ok(Some(assemble(
        &tree,
        &source_lines,
        local_databases.as_ref(),
    )))
}

/// Everything but the data sources, rendered.
struct Controls {
    tree: SourceTree,
    /// Renderings of screens unpacked this time, to keep.
    records: Vec<(Key, ScreenRecord)>,
    local_databases: Option<Json>,
}

/// The tree of the app with the screens `store` holds taken from it and the others unpacked
/// together with the rest of the app; `None` when the app needs a full rendering.
fn render_controls(
    stored: &StoredArchive<'_>,
    names: &[&str],
    label: &str,
    store: &RenderStore,
) -> Result<Option<Controls>> {
    let is_screen = |n: &str| control_folder(n) == Some("Controls");
    let has_definitions = names
        .iter()
        .any(|n| control_folder(n) == Some("Components"));

    // Everything but the screens and the data sources is always unpacked.
    let mut app = MsApp {
        entries: Vec::with_capacity(names.len()),
    };
    for (index, name) in names.iter().enumerate() {
        if same_entry_name(name, DATA_SOURCES_ENTRY) {
            continue;
        } else if VOLATILE_ENTRIES.iter().any(|v| same_entry_name(v, name)) {
            // Not shown, but a full rendering refuses an app whose entries do not inflate.
            // (Entries reused below inflated when they were first rendered: same bytes.)
            stored.inflate(index)?;
        } else if !is_screen(name) {
            app.entries
                .push(parse_entry(name, stored.inflate(index)?, label)?);
        }
    }
    let context = context_digest(stored, names, &app);
    let mut tops = Vec::new();
    for (index, name) in names.iter().enumerate().filter(|(_, n)| is_screen(n)) {
        let fingerprint = stored.fingerprint(index).unwrap_or_default();
        let key = store.key("screen", &[&context, &fingerprint]);
        let reused = store
            .get(&key)
            .and_then(|bytes| ScreenRecord::decode(&bytes))
            .filter(|r| !(has_definitions && r.uses_components));
        tops.push(match reused {
            Some(record) => Top::Reused(record),
            None => {
                let entry = parse_entry(name, stored.inflate(index)?, label)?;
                let Some(record) = screen_facts(&entry) else {
                    return Ok(None);
                };
                app.entries.push(entry);
                Top::Unpacked { key, record }
            }
        });
    }

    // What must hold for screens rendered apart to read as the app rendered whole.
    let mut screens: Vec<(&str, f64, bool)> = Vec::new(); // name, index, is the App
    let mut control_names: Vec<&str> = Vec::new();
    for top in &tops {
        let (Top::Reused(record) | Top::Unpacked { record, .. }) = top;
        if record.name == TEST_ROOT_NAME {
            return Ok(None);
        }
        control_names.extend(record.control_names.iter().map(String::as_str));
        screens.push((&record.name, record.index, record.name == "App"));
    }
    let mut definition_names = Vec::new();
    for entry in &app.entries {
        if control_folder(&entry.name) == Some("Components")
            && let EntryData::Json(doc) = &entry.data
        {
            definition_names.extend(tree_facts(doc).0);
        }
    }
    control_names.extend(definition_names.iter().map(String::as_str));
    let mut seen = HashSet::new();
    if !control_names.iter().all(|n| seen.insert(*n)) {
        return Ok(None);
    }
    let mut paths = HashSet::new();
    if !screens
        .iter()
        .all(|(name, _, _)| paths.insert(screen_path(name).to_lowercase()))
    {
        return Ok(None);
    }
    // Stable by `Index`, ties in archive order, as unpack orders screens.
    let mut order: Vec<&(&str, f64, bool)> = screens.iter().filter(|s| !s.2).collect();
    order.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    let order = Json::Array(order.iter().map(|s| Json::str(s.0)).collect());

    let local_databases = local_databases(&app);
    let mut tree = unpack(&app, label, true)?;
    drop(app);
    let mut records: Vec<(Key, ScreenRecord)> = Vec::new();
    for top in tops {
        match top {
            Top::Reused(record) => tree.insert(screen_path(&record.name), record.fx_yaml),
            Top::Unpacked { key, mut record } => {
                let Some(text) = tree.get(&screen_path(&record.name)) else {
                    return Ok(None);
                };
                // Never reused (see the module notes), so not kept.
                if !(has_definitions && record.uses_components) {
                    record.fx_yaml = text.to_vec();
                    records.push((key, record));
                }
            }
        }
    }
    let Some(Json::Object(mut manifest)) = tree
        .get("CanvasManifest.json")
        .and_then(|b| json::parse_bytes(b).ok())
    else {
        return Ok(None);
    };
    manifest.insert("ScreenOrder", order);
    tree.insert_json("CanvasManifest.json", &Json::Object(manifest));

    Ok(Some(Controls {
        tree,
        records,
        local_databases,
    }))
}

/// What a screen's rendering depends on besides its own entry.
fn context_digest(stored: &StoredArchive<'_>, names: &[&str], app: &MsApp) -> [u8; 32] {
    let mut key = KeyBuilder::new("screen context");
    let mut add = |part: &[u8]| {
        key.bytes(part);
    };
    for context in [
        "References\\Templates.json",
        "References\\Themes.json",
        "ComponentsMetadata.json",
    ] {
        let fingerprint = names
            .iter()
            .position(|n| same_entry_name(n, context))
            .and_then(|i| stored.fingerprint(i));
        add(fingerprint.as_ref().map_or(&[][..], |f| &f[..]));
    }
    let app_type = app
        .json("Properties.json")
        .and_then(|p| p.get("DocumentAppType"))
        .and_then(Json::as_str)
        .unwrap_or("");
    add(app_type.as_bytes());
    for (index, name) in names.iter().enumerate() {
        if control_folder(name) == Some("Components") {
            add(name.as_bytes());
            add(&stored.fingerprint(index).unwrap_or_default());
        }
    }
    key.finish()
}

/// `Src/<name>.fx.yaml` as unpack names a top control whose name collides with no other.
fn screen_path(name: &str) -> String {
    format!(
        "Src/{}.fx.yaml",
        truncate_name_if_too_long(&escape_filename(name))
    )
}

/// Name, index, component use and control names of a parsed screen entry (rendering empty).
fn screen_facts(entry: &Entry) -> Option<ScreenRecord> {
    let EntryData::Json(doc) = &entry.data else {
        return None;
    };
    let top = doc.get("TopParent")?;
    let name = top.get("Name")?.as_str()?.to_string();
    let index = top.get("Index").and_then(Json::as_f64).unwrap_or(0.0);
    let (control_names, uses_components) = tree_facts(doc);
    Some(ScreenRecord {
        name,
        index,
        uses_components,
        control_names,
        fx_yaml: Vec::new(),
    })
}

/// The names of every control under `TopParent` (itself included), and whether any of them is
/// a component instance.
fn tree_facts(doc: &Json) -> (Vec<String>, bool) {
    fn walk(control: &Json, names: &mut Vec<String>, instances: &mut bool) {
        if let Some(name) = control.get("Name").and_then(Json::as_str) {
            names.push(name.to_string());
        }
        for child in control
            .get("Children")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if child
                .get("Template")
                .and_then(|t| t.get("Id"))
                .and_then(Json::as_str)
                .is_some_and(is_component_template_id)
            {
                *instances = true;
            }
            walk(child, names, instances);
        }
    }
    let (mut names, mut instances) = (Vec::new(), false);
    if let Some(top) = doc.get("TopParent") {
        walk(top, &mut names, &mut instances);
    }
    (names, instances)
}

impl ScreenRecord {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.fx_yaml.len() + 64);
        put_bytes(&mut out, self.name.as_bytes());
        out.extend_from_slice(&self.index.to_bits().to_le_bytes());
        out.push(u8::from(self.uses_components));
        out.extend_from_slice(&(self.control_names.len() as u64).to_le_bytes());
        for name in &self.control_names {
            put_bytes(&mut out, name.as_bytes());
        }
        put_bytes(&mut out, &self.fx_yaml);
        out
    }

    fn decode(bytes: &[u8]) -> Option<ScreenRecord> {
        let mut rest = bytes;
        let name = String::from_utf8(take_bytes(&mut rest)?.to_vec()).ok()?;
        let index = f64::from_bits(u64::from_le_bytes(*take_array::<8>(&mut rest)?));
        let uses_components = match take_array::<1>(&mut rest)? {
            [0] => false,
            [1] => true,
            _ => return None,
        };
        let count = u64::from_le_bytes(*take_array::<8>(&mut rest)?);
        let mut control_names = Vec::new();
        for _ in 0..count {
            control_names.push(String::from_utf8(take_bytes(&mut rest)?.to_vec()).ok()?);
        }
        let fx_yaml = take_bytes(&mut rest)?.to_vec();
        rest.is_empty().then_some(ScreenRecord {
            name,
            index,
            uses_components,
            control_names,
            fx_yaml,
        })
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn take_array<'a, const N: usize>(rest: &mut &'a [u8]) -> Option<&'a [u8; N]> {
    let (head, tail) = rest.split_first_chunk::<N>()?;
    *rest = tail;
    Some(head)
}

fn take_bytes<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(u64::from_le_bytes(*take_array::<8>(rest)?)).ok()?;
    if len > rest.len() {
        return None;
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damage_is_refused() {
        let record = ScreenRecord {
            name: "Screen 1".into(),
            index: 2.5,
            uses_components: true,
            control_names: vec!["Screen 1".into(), "Label1".into()],
            fx_yaml: b"\"Screen 1\" As screen:\n".to_vec(),
        };
        let bytes = record.encode();
        assert_eq!(ScreenRecord::decode(&bytes), Some(record));
        for cut in 0..bytes.len() {
            assert_eq!(ScreenRecord::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(ScreenRecord::decode(&longer), None);
    }
}
