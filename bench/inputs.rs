//! The apps the bench measures: edited copies of an app (one or many formulas changed, the
//! way a Studio save changes them) and generated apps of growing size.

use msapp_merge::Result;
use msapp_merge::app::{msapp_bytes, pack_tree, parse_msapp, unpack_app};
use msapp_merge::container::{self, ArchiveWriter, Limits};
use msapp_merge::json::{self, Json};
use msapp_merge::source::unpack::UnpackOptions;

/// A formula in a control entry: the byte range of its JSON string content.
#[derive(Debug, Clone)]
pub struct Script {
    pub entry: String,
    pub start: usize,
    pub end: usize,
}

/// Every non-empty formula (`InvariantScript`) of the app's screens a maker could edit, in
/// archive order. Left alone: component definitions and the controls inside component
/// instances, because Studio keeps copies of a definition's rules in every instance, so
/// editing one place alone is not an app Studio would write.
pub fn scripts(app: &[u8]) -> Result<Vec<Script>> {
    let archive = container::read_archive(app, "app", &Limits::default())?;
    let mut out = Vec::new();
    for entry in &archive.entries {
        let lower = entry.name.to_ascii_lowercase();
        if !(lower.starts_with("controls\\") || lower.starts_with("controls/")) {
            continue;
        }
        let Ok(doc) = json::parse_bytes(&entry.data) else {
            continue;
        };
        let top = doc.get("TopParent");
        if top.and_then(template_name) != Some("screen") {
            continue;
        }
        // One flag per `InvariantScript` key in document order, which is also text order.
        let mut editable = Vec::new();
        if let Some(top) = top {
            walk(top, false, &mut editable);
        }
        for ((start, end), ok) in invariant_scripts(&entry.data).into_iter().zip(editable) {
            if ok && end > start {
                out.push(Script {
                    entry: entry.name.clone(),
                    start,
                    end,
                });
            }
        }
    }
    Ok(out)
}

fn template_name(control: &Json) -> Option<&str> {
    control.get("Template")?.get("Name")?.as_str()
}

fn is_component_instance(control: &Json) -> bool {
    control
        .get("Template")
        .and_then(|t| t.get("Id"))
        .and_then(Json::as_str)
        .is_some_and(|id| id.ends_with("/Component"))
}

fn walk(value: &Json, frozen: bool, editable: &mut Vec<bool>) {
    match value {
        Json::Object(object) => {
            let frozen = frozen || is_component_instance(value);
            for (key, child) in object.iter() {
                if key == "InvariantScript" && child.as_str().is_some() {
                    editable.push(!frozen);
                } else {
                    walk(child, frozen, editable);
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                walk(item, frozen, editable);
            }
        }
        _ => {}
    }
}

/// Byte ranges of the string values of `"InvariantScript"` keys; works on compact and
/// indented JSON alike without parsing the document.
fn invariant_scripts(data: &[u8]) -> Vec<(usize, usize)> {
    const KEY: &[u8] = b"\"InvariantScript\"";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&data[at..], KEY) {
        let mut i = at + found + KEY.len();
        at = i;
        while data.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if data.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while data.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if data.get(i) != Some(&b'"') {
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while let Some(&c) = data.get(j) {
            match c {
                b'\\' => j += 2,
                b'"' => break,
                _ => j += 1,
            }
        }
        if j <= data.len() {
            out.push((start, j));
        }
        at = j.min(data.len());
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Positions of `count` changes on each side, spread evenly over the app's formulas and
/// alternating between the sides so they never touch the same formula.
pub fn spread(scripts: &[Script], count: usize) -> (Vec<Script>, Vec<Script>) {
    let picks = (2 * count).min(scripts.len());
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for k in 0..picks {
        // The middle of each of `picks` equal slices, so one change per side lands in two
        // different controls a third of the app apart.
        let index = (2 * k + 1) * scripts.len() / (2 * picks);
        if let Some(s) = scripts.get(index) {
            if k % 2 == 0 {
                ours.push(s.clone());
            } else {
                theirs.push(s.clone());
            }
        }
    }
    (ours, theirs)
}

/// Two formulas of the same screen entry, one per side: the first and the last of the entry
/// with at least two formulas nearest the middle of the app. A merge of these needs the model
/// for that screen, and only for it.
pub fn same_screen(scripts: &[Script]) -> Option<(Script, Script)> {
    let mut entries: Vec<(&str, Vec<&Script>)> = Vec::new();
    for s in scripts {
        match entries.last_mut() {
            Some((name, list)) if *name == s.entry => list.push(s),
            _ => entries.push((s.entry.as_str(), vec![s])),
        }
    }
    let middle = entries.len() / 2;
    let (_, list) = entries
        .iter()
        .enumerate()
        .filter(|(_, (_, list))| list.len() >= 2)
        .min_by_key(|(i, _)| i.abs_diff(middle))?
        .1;
    Some(((*list.first()?).clone(), (*list.last()?).clone()))
}

/// The marker a changed formula carries, so the merged result can be checked for it.
pub fn tag(side: &str, k: usize) -> String {
    format!("msapp-bench {side} {k}")
}

/// `app` with the given formulas wrapped as `If(true, OLD, "TAG")`. Edited entries are
/// deflated again; all others are copied compressed, as Studio leaves untouched content
/// byte-identical between saves.
pub fn with_changes(app: &[u8], changes: &[Script], side: &str) -> Result<Vec<u8>> {
    let archive = container::read_archive(app, "app", &Limits::default())?;
    let mut writer = ArchiveWriter::new();
    let mut k = 0;
    for entry in &archive.entries {
        let mut mine: Vec<&Script> = changes.iter().filter(|s| s.entry == entry.name).collect();
        if mine.is_empty() {
            writer.copy_raw_from(app, &entry.name)?;
            continue;
        }
        mine.sort_by_key(|s| s.start);
        let mut data = Vec::with_capacity(entry.data.len() + 64 * mine.len());
        let mut copied = 0;
        for s in mine {
            data.extend_from_slice(entry.data.get(copied..s.start).unwrap_or_default());
            data.extend_from_slice(b"If(true, ");
            data.extend_from_slice(entry.data.get(s.start..s.end).unwrap_or_default());
            data.extend_from_slice(format!(", \\\"{}\\\")", tag(side, k)).as_bytes());
            k += 1;
            copied = s.end;
        }
        data.extend_from_slice(entry.data.get(copied..).unwrap_or_default());
        writer.add(&entry.name, &data)?;
    }
    writer.finish()
}

/// Total uncompressed size of an app's entries.
pub fn uncompressed_size(app: &[u8]) -> Result<u64> {
    Ok(container::list_entries(app, "app", &Limits::default())?
        .iter()
        .map(|e| e.uncompressed_size)
        .sum())
}

/// An app of `screens` screens made of copies of one real screen of `source` (controls
/// renamed so every name stays unique; editor state copied along), for growth figures on
/// realistic controls rather than bare labels.
pub fn cloned_app(source: &[u8], screen: &str, screens: usize) -> Result<Vec<u8>> {
    let app = parse_msapp(source, "clone source")?;
    let (mut tree, _) = unpack_app(&app, "clone source", &UnpackOptions::default())?;
    let yaml_path = format!("Src/{screen}.fx.yaml");
    let state_path = format!("Src/EditorState/{screen}.editorstate.json");
    let yaml = String::from_utf8_lossy(tree.get(&yaml_path).unwrap_or_default()).into_owned();
    let state = tree
        .get(&state_path)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let names = control_names(&yaml);
    let manifest_text =
        String::from_utf8_lossy(tree.get("CanvasManifest.json").unwrap_or_default()).into_owned();
    let mut manifest = json::parse(&manifest_text).map_err(|e| e.into_error("manifest"))?;
    let order = manifest
        .get_mut("ScreenOrder")
        .and_then(Json::as_array_mut)
        .ok_or_else(|| msapp_merge::Error::invalid("manifest", "no ScreenOrder"))?;
    let mut copy = 0;
    while order.len() < screens {
        copy += 1;
        let suffix = format!("_c{copy}");
        let new_screen = format!("{screen}{suffix}");
        tree.insert(
            format!("Src/{new_screen}.fx.yaml"),
            rename(&yaml, &names, &suffix).into_bytes(),
        );
        if let Some(state) = &state {
            tree.insert(
                format!("Src/EditorState/{new_screen}.editorstate.json"),
                rename(state, &names, &suffix).into_bytes(),
            );
        }
        order.push(Json::str(new_screen));
    }
    tree.insert_json("CanvasManifest.json", &manifest);
    let (packed, _) = pack_tree(&tree)?;
    msapp_bytes(&packed)
}

/// Control names declared in an `.fx.yaml` file (`Name As template:` lines).
fn control_names(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (name, _) = line.split_once(" As ")?;
            line.ends_with(':')
                .then(|| name.trim_matches('\'').to_string())
        })
        .filter(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
        .collect()
}

/// Every identifier token of `text` that is one of `names`, suffixed. Formula references,
/// editor-state keys and parent names all follow.
fn rename(text: &str, names: &[String], suffix: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut token = String::new();
    for c in text.chars() {
        if is_ident(c) {
            token.push(c);
            continue;
        }
        flush(&mut out, &mut token, names, suffix);
        out.push(c);
    }
    flush(&mut out, &mut token, names, suffix);
    out
}

fn flush(out: &mut String, token: &mut String, names: &[String], suffix: &str) {
    out.push_str(token);
    if !token.is_empty() && names.iter().any(|n| n == token) {
        out.push_str(suffix);
    }
    token.clear();
}

/// `app` with one new label-like control in the screen entry `entry`, as Studio saves a
/// pasted control: a copy of the screen's last leaf control under a new name, with the next
/// free id and publish order of the whole app, the id counter raised, and one formula that
/// carries the side's tag. Both sides adding to the same app give their controls the same
/// numbers, which is the clash the merge has to settle.
pub fn with_new_control(app: &[u8], entry: &str, side: &str) -> Result<Vec<u8>> {
    let archive = container::read_archive(app, "app", &Limits::default())?;
    let (mut max_id, mut max_publish) = (0_i64, -1_i64);
    for e in &archive.entries {
        let lower = e.name.to_ascii_lowercase().replace('/', "\\");
        if !(lower.starts_with("controls\\") || lower.starts_with("components\\")) {
            continue;
        }
        if let Ok(doc) = json::parse_bytes(&e.data)
            && let Some(top) = doc.get("TopParent")
        {
            numbers(top, &mut max_id, &mut max_publish);
        }
    }
    let (id, publish) = (max_id + 1, max_publish + 1);
    let mut writer = ArchiveWriter::new();
    for e in &archive.entries {
        if e.name == entry {
            let mut doc = json::parse_bytes(&e.data).map_err(|e| e.into_error(entry))?;
            let added = doc
                .get_mut("TopParent")
                .is_some_and(|top| add_copy_of_last_leaf(top, side, id, publish));
            if !added {
                return Err(msapp_merge::Error::invalid(
                    entry,
                    "no leaf control to copy",
                ));
            }
            writer.add(&e.name, json::to_compact_string(&doc).as_bytes())?;
        } else if e.name.eq_ignore_ascii_case("Properties.json") {
            let mut props =
                json::parse_bytes(&e.data).map_err(|e| e.into_error("Properties.json"))?;
            if let Some(object) = props.as_object_mut()
                && object.contains_key("LastControlUniqueId")
            {
                object.insert("LastControlUniqueId", Json::from_i64(id));
            }
            writer.add(&e.name, json::to_compact_string(&props).as_bytes())?;
        } else {
            writer.copy_raw_from(app, &e.name)?;
        }
    }
    writer.finish()
}

fn numbers(control: &Json, max_id: &mut i64, max_publish: &mut i64) {
    if let Some(id) = control
        .get("ControlUniqueId")
        .and_then(Json::as_str)
        .and_then(|s| s.parse::<i64>().ok())
    {
        *max_id = (*max_id).max(id);
    }
    if let Some(p) = control.get("PublishOrderIndex").and_then(Json::as_f64) {
        *max_publish = (*max_publish).max(p as i64);
    }
    for child in control
        .get("Children")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        numbers(child, max_id, max_publish);
    }
}

/// Appends to `parent`'s children a renamed copy of its last child without children of its
/// own (looking into the last child first when there is none).
fn add_copy_of_last_leaf(parent: &mut Json, side: &str, id: i64, publish: i64) -> bool {
    let Some(children) = parent.get_mut("Children").and_then(Json::as_array_mut) else {
        return false;
    };
    let is_leaf = |c: &Json| {
        c.get("Children")
            .and_then(Json::as_array)
            .is_none_or(Vec::is_empty)
            && !is_component_instance(c)
            && c.get("Rules")
                .and_then(Json::as_array)
                .is_some_and(|r| !r.is_empty())
    };
    if let Some(leaf) = children.iter().rev().find(|c| is_leaf(c)).cloned() {
        let mut copy = leaf;
        if let Some(object) = copy.as_object_mut() {
            object.insert("Name", Json::str(format!("MsappBench{side}")));
            object.insert("ControlUniqueId", Json::str(id.to_string()));
            object.insert("PublishOrderIndex", Json::from_i64(publish));
        }
        let tagged = copy
            .get_mut("Rules")
            .and_then(Json::as_array_mut)
            .and_then(|rules| rules.first_mut())
            .and_then(Json::as_object_mut)
            .map(|rule| {
                rule.insert(
                    "InvariantScript",
                    Json::str(format!("\"{}\"", tag(side, 0))),
                )
            })
            .is_some();
        if tagged {
            children.push(copy);
            return true;
        }
        return false;
    }
    children
        .iter_mut()
        .rev()
        .any(|c| add_copy_of_last_leaf(c, side, id, publish))
}
