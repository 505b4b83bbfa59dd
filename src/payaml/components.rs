//! Canvas component definitions (`Components\*.json` + `ComponentsMetadata.json`) ->
//! `ComponentDefinitions:` entries, and what their instances need (the definition's name and
//! formulas, which are the instances' defaults).
//!
//! No corpus app carries both a component and Studio's pa.yaml, so this follows Microsoft's
//! v3 model (key order, which keys exist) and published Studio output; the mapping of the
//! JSON custom-property fields to `PropertyKind`/`DataType` is inferred and documented below.

use std::collections::HashSet;

use super::controls::{Renderer, ordinal_cmp};
use super::defaults::ControlCtx;
use super::writer::Node;
use crate::error::Result;
use crate::json::Json;

/// One component definition as read from the app.
pub struct Definition<'a> {
    pub name: String,
    pub template_name: String,
    pub top: &'a Json,
    /// `Index`, for `ComponentDefinitionsOrder`.
    pub index: f64,
    pub description: String,
    pub access_app_scope: bool,
}

impl<'a> Definition<'a> {
    /// Reads a `Components\*.json` document; `None` when it is not a component definition.
    pub fn read(doc: &'a Json, metadata: Option<&Json>) -> Option<Definition<'a>> {
        let top = doc.get("TopParent")?;
        let template = top.get("Template")?;
        if template
            .get("IsComponentDefinition")
            .and_then(Json::as_bool)
            != Some(true)
        {
            return None;
        }
        let name = top.get("Name").and_then(Json::as_str)?.to_string();
        let template_name = template
            .get("Name")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let meta = metadata
            .and_then(|m| m.get("Components"))
            .and_then(Json::as_array)
            .and_then(|list| {
                list.iter().find(|c| {
                    c.get("TemplateName").and_then(Json::as_str) == Some(template_name.as_str())
                        || c.get("Name").and_then(Json::as_str) == Some(name.as_str())
                })
            });
        let flag = |key: &str| {
            meta.and_then(|m| m.get(key))
                .or_else(|| top.get(key))
                .and_then(Json::as_bool)
        };
        Some(Definition {
            description: meta
                .and_then(|m| m.get("Description"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            access_app_scope: flag("AllowAccessToGlobals") == Some(true),
            index: top.get("Index").and_then(Json::as_f64).unwrap_or(0.0),
            name,
            template_name,
            top,
        })
    }

    fn custom_properties(&self) -> &'a [Json] {
        self.top
            .get("Template")
            .and_then(|t| t.get("CustomProperties"))
            .and_then(Json::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Names of the rules that hold function-parameter defaults (`Prop_Param`); they are not
    /// properties of the definition or its instances.
    pub fn parameter_rules(&self) -> HashSet<String> {
        self.custom_properties()
            .iter()
            .flat_map(parameters)
            .filter_map(|p| p.get("Name").and_then(Json::as_str))
            .map(str::to_string)
            .collect()
    }

    /// The definition's formulas (parameter rules excluded): the defaults of its instances.
    pub fn formulas(&self) -> Vec<(String, String)> {
        let hidden = self.parameter_rules();
        self.top
            .get("Rules")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let p = r.get("Property").and_then(Json::as_str)?;
                let s = r.get("InvariantScript").and_then(Json::as_str)?;
                (!hidden.contains(p)).then(|| (p.to_string(), s.to_string()))
            })
            .collect()
    }

    /// `Name: {DefinitionType, Description, AccessAppScope, CustomProperties, Properties,
    /// Children}`.
    pub fn node(&self, renderer: &Renderer) -> Result<Node> {
        let kind = self
            .top
            .get("Template")
            .and_then(|t| t.get("ComponentType"))
            .and_then(Json::as_str)
            .filter(|k| !k.is_empty())
            .unwrap_or("CanvasComponent");
        let mut entries = vec![("DefinitionType".to_string(), Node::str(kind))];
        if !self.description.is_empty() {
            entries.push(("Description".into(), Node::str(self.description.as_str())));
        }
        if self.access_app_scope {
            entries.push(("AccessAppScope".into(), Node::Bool(true)));
        }

        let formulas = self.formulas();
        let mut custom: Vec<(String, Node)> = Vec::new();
        let mut custom_names = self.parameter_rules();
        for cp in self.custom_properties() {
            let Some(name) = cp.get("Name").and_then(Json::as_str) else {
                continue;
            };
            let kind = property_kind(cp);
            let default = formulas
                .iter()
                .find(|(p, _)| p == name)
                .map(|(_, s)| s.as_str());
            if kind != "Output" {
                // An output's formula stays in `Properties`; the schema gives outputs no default.
                custom_names.insert(name.to_string());
            }
            custom.push((
                name.to_string(),
                custom_property(cp, kind, default.filter(|_| kind != "Output")),
            ));
        }
        custom.sort_by(|a, b| ordinal_cmp(&a.0, &b.0));
        if !custom.is_empty() {
            entries.push(("CustomProperties".into(), Node::Map(custom)));
        }

        let ctx = ControlCtx {
            template: "",
            definition: true,
            ..ControlCtx::default()
        };
        let props = renderer.properties(self.top, &ctx, &custom_names);
        if !props.is_empty() {
            entries.push(("Properties".into(), Node::Map(props)));
        }
        let children = renderer.children(self.top, false)?;
        if !children.is_empty() {
            entries.push(("Children".into(), Node::Seq(children)));
        }
        Ok(Node::Map(entries))
    }
}

fn parameters(cp: &Json) -> impl Iterator<Item = &Json> {
    cp.get("PropertyScopeKey")
        .and_then(|s| s.get("PropertyScopeRulesKey"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
}

/// `PropertyDataTypeKey` -> pa.yaml data type.
fn data_type(key: &str) -> String {
    match key {
        "String" => "Text".into(),
        "DateTime" => "DateAndTime".into(),
        "Media" => "VideoOrAudio".into(),
        other => other.into(),
    }
}

/// `ScopePropertyDataType` codes seen in the corpus, with the defaults they carry.
fn parameter_data_type(code: f64) -> Option<&'static str> {
    match code as i64 {
        2 => Some("Record"),
        3 => Some("Table"),
        6 => Some("Text"),
        9 => Some("DateAndTime"),
        _ => None,
    }
}

/// The `PropertyKind` of a custom property (inferred from the JSON fields): category 2
/// (behavior) -> `Event`; with parameters -> `InputFunction`; hidden from instances (their
/// formulas read the component's own controls) -> `Output`; else `Input`.
fn property_kind(cp: &Json) -> &'static str {
    let behavior = cp.get("Category").and_then(Json::as_f64) == Some(2.0);
    let function = cp.get("PropertyScopeKey").is_some_and(|k| !k.is_null());
    let hidden = cp.get("Hidden").and_then(Json::as_bool) == Some(true);
    if behavior {
        "Event"
    } else if function {
        "InputFunction"
    } else if hidden {
        "Output"
    } else {
        "Input"
    }
}

/// One custom property: `PropertyKind`, `DisplayName`, `Description`, `RaiseOnReset`,
/// `DataType`, `ReturnType`, `Parameters`, `Default` (the v3 model's order).
fn custom_property(cp: &Json, kind: &str, default: Option<&str>) -> Node {
    let s = |key: &str| cp.get(key).and_then(Json::as_str).unwrap_or("");
    let mut entries = vec![("PropertyKind".to_string(), Node::str(kind))];
    if !s("DisplayName").is_empty() {
        entries.push(("DisplayName".into(), Node::str(s("DisplayName"))));
    }
    if !s("Tooltip").is_empty() {
        entries.push(("Description".into(), Node::str(s("Tooltip"))));
    }
    if cp.get("IsResettable").and_then(Json::as_bool) == Some(true) {
        entries.push(("RaiseOnReset".into(), Node::Bool(true)));
    }
    let type_key = s("PropertyDataTypeKey");
    match kind {
        "Input" | "Output" => entries.push(("DataType".into(), Node::Str(data_type(type_key)))),
        "Event" => {
            // A behavior returns nothing unless it is declared with a real type.
            let returns = match type_key {
                "String" | "Boolean" | "" => "None".to_string(),
                other => data_type(other),
            };
            entries.push(("ReturnType".into(), Node::Str(returns)));
        }
        _ => entries.push(("ReturnType".into(), Node::Str(data_type(type_key)))),
    }
    let mut params: Vec<(f64, Node)> = Vec::new();
    for p in parameters(cp) {
        let info = p.get("ScopeVariableInfo");
        let field = |key: &str| info.and_then(|i| i.get(key));
        let name = field("ScopeVariableName")
            .and_then(Json::as_str)
            .or_else(|| p.get("Name").and_then(Json::as_str))
            .unwrap_or("");
        let mut fields = Vec::new();
        if let Some(d) = field("Description")
            .and_then(Json::as_str)
            .filter(|d| !d.is_empty())
        {
            fields.push(("Description".to_string(), Node::str(d)));
        }
        if field("IsRequired").and_then(Json::as_bool) == Some(true) {
            fields.push(("IsRequired".into(), Node::Bool(true)));
        }
        if let Some(t) = field("ScopePropertyDataType")
            .and_then(Json::as_f64)
            .and_then(parameter_data_type)
        {
            fields.push(("DataType".into(), Node::str(t)));
        }
        if let Some(d) = field("DefaultRule").and_then(Json::as_str) {
            fields.push(("Default".into(), Node::Formula(d.to_string())));
        }
        let order = field("ParameterIndex")
            .and_then(Json::as_f64)
            .unwrap_or(f64::INFINITY);
        params.push((
            order,
            Node::Map(vec![(name.to_string(), Node::Map(fields))]),
        ));
    }
    params.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !params.is_empty() {
        entries.push((
            "Parameters".into(),
            Node::Seq(params.into_iter().map(|(_, n)| n).collect()),
        ));
    }
    if let Some(d) = default {
        entries.push(("Default".into(), Node::Formula(d.to_string())));
    }
    Node::Map(entries)
}
