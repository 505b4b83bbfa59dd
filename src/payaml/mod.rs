//! Renders an app's control JSON as the `Src\*.pa.yaml` files Power Apps Studio writes into
//! every `.msapp` since 2024 (schema v3): `Src\App.pa.yaml`, one `Src\<Screen>.pa.yaml` per
//! screen, `Src\Components\<Component>.pa.yaml` per component definition and
//! `Src\_EditorState.pa.yaml`, each behind Studio's warning banner.
//!
//! Studio's own writer is not public. What is reproduced, and where it comes from:
//! * layout and scalar styles: YamlDotNet as configured by Microsoft's `PaYamlSerializer`
//!   (block style, indented sequences, plain scalars where possible, formulas that would need
//!   escaping as literal blocks) — [`writer`], [`scalar`];
//! * key order: Microsoft's v3 object model; `Properties` and other name maps sorted ordinally;
//! * which properties appear: those whose formula differs from the default Studio compares
//!   with, plus those the author explicitly set — [`defaults`], with the Studio-only knowledge
//!   in [`studio`] (inferred from Studio-written files; see there);
//! * `Children` in z-order (`ZIndex`), screens in `Index` order.
//!
//! Never panics. A control without `Name` or `Template` is an error; any other missing or
//! odd field is rendered as well as it can be (missing templates or themes only mean more
//! properties are written).

mod components;
mod controls;
mod defaults;
mod scalar;
mod studio;
pub mod writer;

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::json::Json;
use crate::model::{EntryData, MsApp};
use components::Definition;
use controls::Renderer;
use defaults::{ControlCtx, Defaults};
use studio::Generation;
use writer::{Node, to_yaml};

/// Renders `app` as Studio's pa.yaml files: (entry name such as `Src\Screen1.pa.yaml`, text).
/// Files come in this order: app, screens (screen order), components, editor state. The text
/// is exactly what Studio stores: a CRLF banner followed by an LF body.
pub fn render_app(app: &MsApp) -> Result<Vec<(String, String)>> {
    let header = app.json("Header.json");
    let header_text = |key: &str| {
        header
            .and_then(|h| h.get(key))
            .and_then(Json::as_str)
            .unwrap_or("")
    };
    let generation = Generation::of(
        header_text("DocVersion"),
        header_text("MSAppStructureVersion"),
    );
    let banner = generation.banner();

    let app_type = app
        .json("Properties.json")
        .and_then(|p| p.get("DocumentAppType"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let mut defaults = Defaults::new(
        &used_templates(app),
        app.json("References\\Themes.json"),
        app_type,
    );

    let metadata = app.json("ComponentsMetadata.json");
    let mut definitions: Vec<(&str, Definition)> = Vec::new();
    for (entry, doc) in json_entries(app, "Components") {
        if let Some(d) = Definition::read(doc, metadata) {
            definitions.push((entry, d));
        }
    }
    definitions.sort_by(|a, b| a.1.index.total_cmp(&b.1.index));
    let mut parameter_rules: HashMap<String, HashSet<String>> = HashMap::new();
    for (_, d) in &definitions {
        defaults.add_component(&d.template_name, d.formulas());
        parameter_rules.insert(d.template_name.clone(), d.parameter_rules());
    }
    let component_names: HashMap<String, String> = definitions
        .iter()
        .map(|(_, d)| (d.template_name.clone(), d.name.clone()))
        .collect();

    let mut app_control = None;
    let mut screens: Vec<(&str, &Json, f64)> = Vec::new();
    for (entry, doc) in json_entries(app, "Controls") {
        let Some(top) = doc.get("TopParent") else {
            continue;
        };
        match controls::template_name(top) {
            "appinfo" if app_control.is_none() => app_control = Some((entry, top)),
            "screen" => {
                let index = top.get("Index").and_then(Json::as_f64).unwrap_or(0.0);
                screens.push((entry, top, index));
            }
            _ => {}
        }
    }
    screens.sort_by(|a, b| a.2.total_cmp(&b.2));

    let renderer = |entry| Renderer {
        defaults: &defaults,
        component_names: &component_names,
        parameter_rules: &parameter_rules,
        entry,
    };
    let file = |body: Node| format!("{banner}{}", to_yaml(&body));
    let mut files = Vec::new();

    let app_props = match app_control {
        Some((entry, top)) => {
            let ctx = ControlCtx {
                template: "appinfo",
                ..ControlCtx::default()
            };
            renderer(entry).properties(top, &ctx, &HashSet::new())
        }
        None => Vec::new(),
    };
    let app_node = if app_props.is_empty() {
        Node::Map(Vec::new())
    } else {
        Node::Map(vec![("Properties".into(), Node::Map(app_props))])
    };
    files.push((
        "Src\\App.pa.yaml".to_string(),
        file(Node::Map(vec![("App".into(), app_node)])),
    ));

    let mut used_names = HashSet::new();
    let mut screen_order = Vec::new();
    for (entry, top, _) in &screens {
        let name = top.get("Name").and_then(Json::as_str).unwrap_or("");
        let r = renderer(entry);
        let ctx = ControlCtx {
            template: "screen",
            style: top.get("StyleName").and_then(Json::as_str).unwrap_or(""),
            ..ControlCtx::default()
        };
        let mut body = Vec::new();
        let props = r.properties(top, &ctx, &HashSet::new());
        if !props.is_empty() {
            body.push(("Properties".to_string(), Node::Map(props)));
        }
        let children = r.children(top, false)?;
        if !children.is_empty() {
            body.push(("Children".to_string(), Node::Seq(children)));
        }
        let doc = Node::Map(vec![(
            "Screens".into(),
            Node::Map(vec![(name.to_string(), Node::Map(body))]),
        )]);
        let path = format!("Src\\{}.pa.yaml", unique_file_name(name, &mut used_names));
        files.push((path, file(doc)));
        screen_order.push(Node::str(name));
    }

    let mut used_component_names = HashSet::new();
    let mut component_order = Vec::new();
    for (entry, d) in &definitions {
        let node = d.node(&renderer(entry))?;
        let doc = Node::Map(vec![(
            "ComponentDefinitions".into(),
            Node::Map(vec![(d.name.clone(), node)]),
        )]);
        let path = format!(
            "Src\\Components\\{}.pa.yaml",
            unique_file_name(&d.name, &mut used_component_names)
        );
        files.push((path, file(doc)));
        component_order.push(Node::str(d.name.as_str()));
    }

    if generation.writes_editor_state() {
        let mut state = Vec::new();
        if !screen_order.is_empty() {
            state.push(("ScreensOrder".to_string(), Node::Seq(screen_order)));
        }
        if !component_order.is_empty() {
            state.push((
                "ComponentDefinitionsOrder".to_string(),
                Node::Seq(component_order),
            ));
        }
        files.push((
            "Src\\_EditorState.pa.yaml".to_string(),
            file(Node::Map(vec![("EditorState".into(), Node::Map(state))])),
        ));
    }
    Ok(files)
}

/// `References\Templates.json` `UsedTemplates`: (name, XML).
fn used_templates(app: &MsApp) -> Vec<(String, String)> {
    app.json("References\\Templates.json")
        .and_then(|t| t.get("UsedTemplates"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Name")?.as_str()?.to_string(),
                t.get("Template")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The parsed JSON entries directly in `folder` (either separator, any case), archive order.
fn json_entries<'a>(app: &'a MsApp, folder: &str) -> Vec<(&'a str, &'a Json)> {
    let prefix = format!("{}\\", folder.to_ascii_lowercase());
    app.entries
        .iter()
        .filter_map(|e| {
            let norm = e.name.replace('/', "\\").to_ascii_lowercase();
            let rest = norm.strip_prefix(&prefix)?;
            if rest.contains('\\') || !rest.ends_with(".json") {
                return None;
            }
            match &e.data {
                EntryData::Json(j) => Some((e.name.as_str(), j)),
                EntryData::Bytes(_) => None,
            }
        })
        .collect()
}

/// A file name for `name`: characters an archive path cannot hold become `_`, and a name
/// already used (ignoring case, as archive paths compare) gets `_2`, `_3`... appended.
/// Studio's handling of such names is unknown; this only keeps the entries distinct.
/// The entry of a screen's view, `Src\\<Screen>.pa.yaml`, when no other screen's name takes
/// the same file name first.
pub fn screen_file_name(name: &str) -> String {
    format!("Src\\{}.pa.yaml", file_stem(name))
}

fn unique_file_name(name: &str, used: &mut HashSet<String>) -> String {
    let base = file_stem(name);
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.to_lowercase()) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    candidate
}

/// `name` as a file name: characters Windows refuses become `_`.
fn file_stem(name: &str) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "\\/:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if base.trim().is_empty() || base.ends_with('.') || base.trim() != base {
        base = format!("_{}_", base.trim().trim_end_matches('.'));
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let mut used = HashSet::new();
        assert_eq!(unique_file_name("Screen1", &mut used), "Screen1");
        assert_eq!(unique_file_name("ScreeN1", &mut used), "ScreeN1_2");
        assert_eq!(unique_file_name("a/b:c", &mut used), "a_b_c");
        assert_eq!(unique_file_name("", &mut used), "__");
    }
}
