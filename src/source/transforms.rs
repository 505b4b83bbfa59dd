//! Reshaping between the msapp control tree and the `.fx.yaml` tree, both directions:
//! default values, gallery templates, classic groups, component definitions and instances,
//! and Test Studio steps.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::fxyaml::{Block, Property};
use crate::json::{self, Json, Object};

use super::controls::{ControlState, StateStore};
use super::{Entropy, Warnings};

/// Answers "what is the default of this property" for a control.
pub trait DefaultSource {
    /// The value a property is compared with on unpack (`None`: never stripped).
    fn strip_default(&self, ctx: &DefaultCtx<'_>, prop: &str) -> Option<String>;
    /// Every default of a control, for restoring stripped properties on pack.
    fn restore_defaults(&self, ctx: &DefaultCtx<'_>) -> Vec<(String, String)>;
    /// Input properties of a template (gallery properties that belong to its template child).
    fn input_properties(&self, template: &str) -> Vec<String>;
}

/// What decides a control's defaults.
#[derive(Debug, Clone, Copy)]
pub struct DefaultCtx<'a> {
    pub type_name: &'a str,
    pub variant: Option<&'a str>,
    pub style_name: Option<&'a str>,
    /// The control sits in an auto-layout container (responsive layout defaults apply).
    pub in_responsive_container: bool,
}

/// Auto-layout containers add layout properties to their children.
pub fn adds_child_dynamic_properties(type_name: &str, variant: Option<&str>) -> bool {
    type_name == "groupContainer" && variant != Some("manualLayoutContainer")
}

pub const RESPONSIVE_PROPERTIES: &[&str] = &[
    "FillPortions",
    "AlignInContainer",
    "LayoutMinHeight",
    "LayoutMinWidth",
    "LayoutMaxHeight",
    "LayoutMaxWidth",
    "LayoutX",
    "LayoutY",
    "LayoutWidth",
    "LayoutHeight",
];

/// Component definitions' formulas act as defaults for their instances (keyed by the
/// component's template name, i.e. the GUID the instances reference).
#[derive(Debug, Clone, Default)]
pub struct ComponentDefaults {
    pub by_template: HashMap<String, Vec<(String, String)>>,
}

/// Shared inputs of the unpack transforms.
pub struct UnpackTransforms<'a> {
    pub defaults: &'a dyn DefaultSource,
    pub components: &'a ComponentDefaults,
    /// Component template name (GUID) -> component name.
    pub component_names: &'a HashMap<String, String>,
    /// Screen unique id -> screen name (for test steps).
    pub screen_ids: &'a HashMap<String, String>,
    pub states: &'a mut StateStore,
    pub entropy: &'a mut Entropy,
    pub warnings: &'a mut Warnings,
    pub file: &'a str,
}

impl UnpackTransforms<'_> {
    /// Bottom-up, the order the reference applies its read transforms in.
    pub fn apply(&mut self, block: &mut Block, responsive: bool) -> Result<()> {
        let child_responsive =
            adds_child_dynamic_properties(&block.type_name, block.variant.as_deref());
        for child in &mut block.children {
            self.apply(child, child_responsive)?;
        }
        self.strip_defaults(block, responsive);
        match block.type_name.as_str() {
            "gallery" => self.fold_gallery_template(block),
            "TestCase" => self.expand_test_steps(block)?,
            _ => {}
        }
        if let Some(name) = self.component_names.get(&block.type_name) {
            block.type_name = name.clone();
        }
        self.nest_groups(block)
    }

    fn strip_defaults(&self, block: &mut Block, responsive: bool) {
        let style = self
            .states
            .get(&block.name)
            .and_then(ControlState::style_name)
            .map(str::to_string);
        let ctx = DefaultCtx {
            type_name: &block.type_name,
            variant: block.variant.as_deref(),
            style_name: style.as_deref(),
            in_responsive_container: responsive,
        };
        let component = self.components.by_template.get(&block.type_name);
        block.properties.retain(|p| {
            let default = match component {
                Some(props) => props
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map(|(_, v)| v.clone()),
                None => self.defaults.strip_default(&ctx, &p.name),
            };
            default.as_deref() != Some(p.formula.as_str())
        });
    }

    fn fold_gallery_template(&mut self, block: &mut Block) {
        let Some(pos) = block
            .children
            .iter()
            .position(|c| c.type_name == "galleryTemplate")
        else {
            return;
        };
        let template = block.children.remove(pos);
        block.properties.extend(template.properties);
        if let Some(state) = self.states.get_mut(&block.name) {
            state
                .entry
                .insert("GalleryTemplateChildName", Json::str(&template.name));
        }
    }

    fn expand_test_steps(&mut self, block: &mut Block) -> Result<()> {
        let Some(meta_pos) = block
            .properties
            .iter()
            .position(|p| p.name == "TestStepsMetadata")
        else {
            let list = self.entropy.get("AppTestsMissingStepsMetadata").cloned();
            let mut names = match list {
                Some(Json::Array(a)) => a,
                _ => Vec::new(),
            };
            names.push(Json::str(&block.name));
            self.entropy
                .set("AppTestsMissingStepsMetadata", Json::Array(names));
            return Ok(());
        };
        let meta = block.properties.remove(meta_pos);
        let text = fx_string_literal_value(&meta.formula).ok_or_else(|| {
            Error::bad_input(
                self.file,
                format!(
                    "test case '{}': TestStepsMetadata is not a string literal",
                    block.name
                ),
            )
        })?;
        let steps = json::parse(&text).map_err(|e| {
            Error::bad_input(
                self.file,
                format!("test case '{}': TestStepsMetadata: {e}", block.name),
            )
        })?;
        let Json::Array(steps) = steps else {
            return Err(Error::bad_input(
                self.file,
                format!(
                    "test case '{}': TestStepsMetadata is not a list",
                    block.name
                ),
            ));
        };
        let mut step_blocks = Vec::new();
        for step in steps.iter().filter_map(Json::as_object) {
            let rule = step.get("Rule").and_then(Json::as_str).unwrap_or("");
            let description = step.get("Description").and_then(Json::as_str).unwrap_or("");
            let screen_id = step.get("ScreenId").and_then(Json::as_str);
            let value = match block.properties.iter().position(|p| p.name == rule) {
                Some(i) => block.properties.remove(i).formula,
                None => String::new(),
            };
            let screen = match screen_id {
                Some(id) => match self.screen_ids.get(id) {
                    Some(name) => name.clone(),
                    None => {
                        let key = format!("{}.{}", block.name, rule);
                        self.entropy
                            .map_set("RuleScreenIdWithoutScreen", &key, Json::str(id));
                        String::new()
                    }
                },
                None => String::new(),
            };
            step_blocks.push(Block {
                name: rule.to_string(),
                type_name: "TestStep".to_string(),
                properties: vec![
                    prop("Description", fx_string_literal(description)),
                    prop("Screen", screen),
                    prop("Value", value),
                ],
                ..Block::default()
            });
        }
        block.children.extend(step_blocks);
        Ok(())
    }

    /// Moves each classic group's members (flat siblings in the msapp) under the group.
    fn nest_groups(&mut self, block: &mut Block) -> Result<()> {
        let group_names: Vec<String> = block
            .children
            .iter()
            .filter(|c| c.type_name == "group")
            .map(|c| c.name.clone())
            .collect();
        for group in group_names {
            let members = match self.states.get(&group) {
                Some(state) => state.grouped_controls.clone().unwrap_or_default(),
                None => {
                    return Err(Error::invalid(
                        self.file,
                        format!("group control state is missing for '{group}'"),
                    ));
                }
            };
            let mut moved = Vec::new();
            for (i, member) in members.iter().enumerate() {
                let Some(member) = member.as_str() else {
                    continue;
                };
                self.entropy.map_mut("OrderGroupControls");
                let order = self.entropy.map_mut("OrderGroupControls");
                if !matches!(order.get(&group), Some(Json::Object(_))) {
                    order.insert(&group, Json::object());
                }
                if let Some(Json::Object(m)) = order.get_mut(&group) {
                    m.insert(member, Json::from_i64(i as i64));
                }
                match block.children.iter().position(|c| c.name == member) {
                    Some(pos) => moved.push(block.children.remove(pos)),
                    None => self.warnings.push(format!(
                        "{}: group '{group}' lists '{member}', which is not a sibling",
                        self.file
                    )),
                }
            }
            if let Some(g) = block.children.iter_mut().find(|c| c.name == group) {
                g.children.extend(moved);
            }
        }
        Ok(())
    }
}

fn prop(name: &str, formula: String) -> Property {
    Property {
        name: name.to_string(),
        formula,
        line: 0,
    }
}

/// The text of a Power Fx string literal (`"a ""b"""` -> `a "b"`), or `None`.
pub fn fx_string_literal_value(formula: &str) -> Option<String> {
    let inner = formula.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' && chars.next() != Some('"') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// Quotes text as a Power Fx string literal.
pub fn fx_string_literal(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Looks a control's editor-state entry up for pack.
pub fn state_of<'a>(states: &'a StateStore, name: &str) -> Option<&'a Object> {
    states.get(name).map(|s| &s.entry)
}
