//! Control JSON (`TopParent` trees) -> pa.yaml control instances.
//!
//! A control becomes `- Name: {Control, Variant, ComponentName, Layout, Locked, Group,
//! Properties, Children}` (the key order of Microsoft's v3 model). `Properties` holds the
//! formulas that differ from their defaults, sorted by name (ordinal); `Children` follow the
//! z-order. A gallery's `galleryTemplate` is folded into the gallery and classic groups into
//! their parent (each member names its group), as the v3 schema has neither.

use std::collections::{HashMap, HashSet};

use super::defaults::{ControlCtx, Default, Defaults};
use super::studio::{self, VariantOut};
use super::writer::Node;
use crate::error::{Error, Result};
use crate::json::Json;

const COMPONENT_TEMPLATE_ID: &str = "http://microsoft.com/appmagic/Component";
const CODE_COMPONENT_ID_PREFIX: &str = "http://microsoft.com/appmagic/powercontrol/";

/// What rendering needs besides the control itself.
pub struct Renderer<'a> {
    pub defaults: &'a Defaults,
    /// Component template name -> component (definition) name.
    pub component_names: &'a HashMap<String, String>,
    /// Component template name -> rules of its instances that belong to function parameters.
    pub parameter_rules: &'a HashMap<String, HashSet<String>>,
    /// The entry being rendered, for error messages.
    pub entry: &'a str,
}

/// One formula of a control.
struct Rule<'j> {
    property: &'j str,
    script: &'j str,
    /// The author touched it (a detailed `ControlPropertyState` entry): always written.
    user_set: bool,
}

pub fn template_name(control: &Json) -> &str {
    control
        .get("Template")
        .and_then(|t| t.get("Name"))
        .and_then(Json::as_str)
        .unwrap_or("")
}

fn text<'j>(control: &'j Json, key: &str) -> &'j str {
    control.get(key).and_then(Json::as_str).unwrap_or("")
}

fn children(control: &Json) -> &[Json] {
    control
        .get("Children")
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Rules and responsive (`DynamicProperties`) rules, first occurrence of a name winning.
fn rules_of(control: &Json) -> Vec<Rule<'_>> {
    let mut user_set: HashSet<&str> = HashSet::new();
    let states = control.get("ControlPropertyState").and_then(Json::as_array);
    for state in states.into_iter().flatten() {
        if let Some(name) = state.get("InvariantPropertyName").and_then(Json::as_str) {
            user_set.insert(name);
        }
    }
    let dynamic = control.get("DynamicProperties").and_then(Json::as_array);
    for dp in dynamic.into_iter().flatten() {
        if let Some(name) = dp
            .get("ControlPropertyState")
            .and_then(|s| s.get("InvariantPropertyName"))
            .and_then(Json::as_str)
        {
            user_set.insert(name);
        }
    }

    let plain = control
        .get("Rules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten();
    let responsive = dynamic
        .into_iter()
        .flatten()
        .filter_map(|dp| dp.get("Rule"));
    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    for rule in plain.chain(responsive) {
        let (Some(property), Some(script)) = (
            rule.get("Property").and_then(Json::as_str),
            rule.get("InvariantScript").and_then(Json::as_str),
        ) else {
            continue;
        };
        if seen.insert(property) {
            rules.push(Rule {
                property,
                script,
                user_set: user_set.contains(property),
            });
        }
    }
    rules
}

/// The z-order position; controls without a numeric `ZIndex` go last, in file order.
fn z_index(control: &Json) -> f64 {
    rules_of(control)
        .iter()
        .find(|r| r.property == "ZIndex")
        .and_then(|r| r.script.trim().parse::<f64>().ok())
        .filter(|z| !z.is_nan())
        .unwrap_or(f64::INFINITY)
}

/// Ordinal (UTF-16 code unit) order, as .NET's `StringComparer.Ordinal`.
pub fn ordinal_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

impl Renderer<'_> {
    /// The non-default formulas of a control, sorted.
    pub fn properties(
        &self,
        control: &Json,
        ctx: &ControlCtx,
        hidden: &HashSet<String>,
    ) -> Vec<(String, Node)> {
        let mut props: Vec<(String, Node)> = Vec::new();
        for rule in rules_of(control) {
            if hidden.contains(rule.property) {
                continue;
            }
            let written = match self.defaults.default_of(ctx, rule.property) {
                Default::Skip => false,
                Default::None => true,
                Default::Value(v) => rule.user_set || v != rule.script,
            };
            if written {
                props.push((
                    rule.property.to_string(),
                    Node::Formula(rule.script.to_string()),
                ));
            }
        }
        props.sort_by(|a, b| ordinal_cmp(&a.0, &b.0));
        props
    }

    /// The `Children` items of a control (or screen, or component definition).
    pub fn children(&self, control: &Json, parent_auto_layout: bool) -> Result<Vec<Node>> {
        let mut members: Vec<(&Json, Option<&str>)> = Vec::new();
        collect_members(children(control), None, &mut members);
        let mut keyed: Vec<(f64, Node)> = Vec::with_capacity(members.len());
        for (child, group) in members {
            let node = self.control(child, parent_auto_layout, group)?;
            keyed.push((z_index(child), node));
        }
        // Stable: equal positions keep file order.
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, n)| n).collect())
    }

    /// `Name: {...}` as one `Children` item.
    fn control(&self, control: &Json, in_auto_layout: bool, group: Option<&str>) -> Result<Node> {
        let name = control
            .get("Name")
            .and_then(Json::as_str)
            .ok_or_else(|| Error::invalid(self.entry, "a control has no Name"))?;
        let template = control
            .get("Template")
            .ok_or_else(|| Error::invalid(self.entry, format!("control {name} has no Template")))?;
        let tname = template_name(control);
        let tid = template.get("Id").and_then(Json::as_str).unwrap_or("");
        let version = template.get("Version").and_then(Json::as_str).unwrap_or("");

        let mut entries: Vec<(String, Node)> = Vec::new();
        let component = self
            .component_names
            .get(tname)
            .map(String::as_str)
            .or((tid == COMPONENT_TEMPLATE_ID).then_some(tname));
        let mut auto_layout = false;
        let mut kept_variant = "";
        if let Some(definition) = component {
            entries.push(("Control".into(), Node::str("CanvasComponent")));
            entries.push(("ComponentName".into(), Node::str(definition)));
        } else if tid.starts_with(CODE_COMPONENT_ID_PREFIX) && !studio::is_first_party_pcf(tname) {
            entries.push(("Control".into(), Node::str("CodeComponent")));
            entries.push(("ComponentName".into(), Node::str(tname)));
        } else {
            let mut kind = studio::control_type(tname);
            if !version.is_empty() {
                kind = format!("{kind}@{version}");
            }
            entries.push(("Control".into(), Node::Str(kind)));
            let mode = rules_of(control)
                .iter()
                .find(|r| r.property == "LayoutMode")
                .map(|r| r.script);
            if let VariantOut::Name(v) = studio::variant(tname, text(control, "VariantName"), mode)
            {
                auto_layout = tname == "groupContainer" && v == "AutoLayout";
                if v == text(control, "VariantName") {
                    kept_variant = text(control, "VariantName");
                }
                entries.push(("Variant".into(), Node::Str(v)));
            }
        }
        let layout = text(control, "LayoutName");
        if !layout.is_empty() {
            entries.push(("Layout".into(), Node::str(layout)));
        }
        if control.get("IsLocked").and_then(Json::as_bool) == Some(true) {
            entries.push(("Locked".into(), Node::Bool(true)));
        }
        if let Some(g) = group {
            entries.push(("Group".into(), Node::str(g)));
        }

        let ctx = ControlCtx {
            template: tname,
            style: text(control, "StyleName"),
            variant: kept_variant,
            auto_layout,
            in_auto_layout,
            component: component.map(|_| tname),
            definition: false,
        };
        let no_hidden = HashSet::new();
        let hidden = self.parameter_rules.get(tname).unwrap_or(&no_hidden);
        let mut props = self.properties(control, &ctx, hidden);
        let mut kids = Vec::new();
        for child in children(control) {
            if template_name(child) == "galleryTemplate" {
                // The gallery's item template: its formulas and controls belong to the gallery.
                let inner = ControlCtx {
                    template: "galleryTemplate",
                    style: text(child, "StyleName"),
                    ..ControlCtx::default()
                };
                for (p, v) in self.properties(child, &inner, &no_hidden) {
                    if !props.iter().any(|(q, _)| *q == p) {
                        props.push((p, v));
                    }
                }
                kids.extend(self.children(child, false)?);
            }
        }
        props.sort_by(|a, b| ordinal_cmp(&a.0, &b.0));
        kids.extend(self.children(control, auto_layout)?);
        if !props.is_empty() {
            entries.push(("Properties".into(), Node::Map(props)));
        }
        if !kids.is_empty() {
            entries.push(("Children".into(), Node::Seq(kids)));
        }
        Ok(Node::Map(vec![(name.to_string(), Node::Map(entries))]))
    }
}

/// The controls that appear at this level: direct children minus classic group controls, whose
/// members (listed in the group's `GroupedControlsKey`, or nested in it) carry the group's
/// name; the gallery template is left to its gallery.
fn collect_members<'j>(
    list: &'j [Json],
    group: Option<&'j str>,
    out: &mut Vec<(&'j Json, Option<&'j str>)>,
) {
    let mut group_of: HashMap<&str, &str> = HashMap::new();
    for child in list.iter().filter(|c| is_group(c)) {
        let Some(name) = child.get("Name").and_then(Json::as_str) else {
            continue;
        };
        let members = child.get("GroupedControlsKey").and_then(Json::as_array);
        for member in members.into_iter().flatten().filter_map(Json::as_str) {
            group_of.entry(member).or_insert(name);
        }
    }
    for child in list {
        if template_name(child) == "galleryTemplate" {
            continue;
        }
        if is_group(child) {
            let name = child.get("Name").and_then(Json::as_str);
            collect_members(children(child), name.or(group), out);
            continue;
        }
        let own = child
            .get("Name")
            .and_then(Json::as_str)
            .and_then(|n| group_of.get(n).copied());
        out.push((child, own.or(group)));
    }
}

fn is_group(control: &Json) -> bool {
    template_name(control) == "group"
        || control.get("IsGroupControl").and_then(Json::as_bool) == Some(true)
}
