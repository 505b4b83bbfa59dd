//! Control trees: msapp control JSON (`Controls\`, `Components\`, `AppTests\`) <-> `.fx.yaml`
//! blocks + editor state + template records + entropy.
//!
//! Unpack splits each control into what a maker edits (name, type, variant, formulas,
//! children: the `.fx.yaml` block) and what Studio needs to rebuild it (rule metadata and
//! order, sibling position, style, flags: the editor state; ids and publish order: entropy;
//! the template: `ControlTemplates.json` or the component's `.json`). Pack recombines them.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::fxyaml::{Block, Function, Property};
use crate::json::{Json, Number, Object};

use super::Entropy;

/// Template ids and names the transforms key on.
pub const PCF_TEMPLATE_PREFIX: &str = "http://microsoft.com/appmagic/powercontrol";
pub const HOST_TEMPLATE_PREFIX: &str = "http://microsoft.com/appmagic/hostcontrol";
pub const COMPONENT_ID: &str = "http://microsoft.com/appmagic/Component";
pub const DATA_COMPONENT_ID: &str = "http://microsoft.com/appmagic/DataComponent";
pub const COMMAND_COMPONENT_ID: &str = "http://microsoft.com/appmagic/CommandComponent";
pub const TEST_ROOT_NAME: &str = "Test_7F478737223C4B69";

/// Keys of a control item that the split maps somewhere specific; every other key is
/// extension data and travels in the editor state entry as is.
const ITEM_KNOWN_KEYS: &[&str] = &[
    "Name",
    "ControlUniqueId",
    "VariantName",
    "Parent",
    "PublishOrderIndex",
    "Template",
    "Rules",
    "Children",
    "Index",
    "StyleName",
    "GroupedControlsKey",
    "IsGroupControl",
    "DynamicProperties",
    "HasDynamicProperties",
    "AllowAccessToGlobals",
];

/// Per-control data that is not written to `.fx.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlState {
    /// The editor-state entry exactly as written to `*.editorstate.json`.
    pub entry: Object,
    /// Which top parent's editor-state file holds the entry.
    pub top_parent: String,
    /// Group members (classic groups only); not serialized in the entry.
    pub grouped_controls: Option<Vec<Json>>,
}

impl ControlState {
    pub fn style_name(&self) -> Option<&str> {
        self.entry.get("StyleName").and_then(Json::as_str)
    }
    pub fn parent_index(&self) -> f64 {
        self.entry
            .get("ParentIndex")
            .and_then(Json::as_f64)
            .unwrap_or(-1.0)
    }
    /// Names listed in `Properties[].PropertyName`, in order.
    pub fn property_names(&self) -> Vec<String> {
        names_of(self.entry.get("Properties"), "PropertyName")
    }
    pub fn dynamic_property_names(&self) -> Vec<String> {
        names_of(self.entry.get("DynamicProperties"), "PropertyName")
    }
}

fn names_of(list: Option<&Json>, key: &str) -> Vec<String> {
    list.and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|p| p.get(key).and_then(Json::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// All editor states of an app, by control name.
#[derive(Debug, Clone, Default)]
pub struct StateStore {
    pub states: HashMap<String, ControlState>,
    /// Insertion order, for deterministic output.
    pub order: Vec<String>,
}

impl StateStore {
    pub fn get(&self, name: &str) -> Option<&ControlState> {
        self.states.get(name)
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ControlState> {
        self.states.get_mut(name)
    }
    /// Adds a state; the first one of a name wins (like the reference).
    pub fn add(&mut self, name: &str, state: ControlState) -> bool {
        if self.states.contains_key(name) {
            return false;
        }
        self.order.push(name.to_string());
        self.states.insert(name.to_string(), state);
        true
    }
    /// Entries grouped by top parent, each group in insertion order: one pass over all
    /// controls (a pass per top parent made a 500-screen app's unpack quadratic). The store is
    /// consumed so that each group can be written out and let go in turn.
    pub fn into_by_top_parent(mut self) -> HashMap<String, Vec<(String, ControlState)>> {
        let mut groups: HashMap<String, Vec<(String, ControlState)>> = HashMap::new();
        for name in self.order {
            if let Some(state) = self.states.remove(&name) {
                groups
                    .entry(state.top_parent.clone())
                    .or_default()
                    .push((name, state));
            }
        }
        groups
    }
}

/// Template records by the name used in `.fx.yaml` headers (template name, PCF display name,
/// or the control name for host controls).
#[derive(Debug, Clone, Default)]
pub struct TemplateStore {
    pub templates: BTreeMap<String, Object>,
}

impl TemplateStore {
    pub fn get(&self, name: &str) -> Option<&Object> {
        self.templates.get(name)
    }
}

pub fn is_pcf(template: &Object) -> bool {
    template
        .get("Id")
        .and_then(Json::as_str)
        .is_some_and(|id| id.starts_with(PCF_TEMPLATE_PREFIX))
}

pub fn is_host_control(template: &Object) -> bool {
    template
        .get("Id")
        .and_then(Json::as_str)
        .is_some_and(|id| id.starts_with(HOST_TEMPLATE_PREFIX))
}

pub fn is_component_template_id(id: &str) -> bool {
    id == COMPONENT_ID || id == DATA_COMPONENT_ID || id == COMMAND_COMPONENT_ID
}

/// The header type of a template: its display name (PCF) or its name.
pub fn header_type(template: &Object) -> String {
    template
        .get("TemplateDisplayName")
        .and_then(Json::as_str)
        .or_else(|| template.get("Name").and_then(Json::as_str))
        .unwrap_or("")
        .to_string()
}

fn str_of<'a>(obj: &'a Object, key: &str) -> &'a str {
    obj.get(key).and_then(Json::as_str).unwrap_or("")
}

/// Context for one split: where errors point, and the stores being filled.
pub struct Splitter<'a> {
    pub file: &'a str,
    pub states: &'a mut StateStore,
    pub templates: &'a mut TemplateStore,
    pub entropy: &'a mut Entropy,
    /// Template names present in `UsedTemplates` (their records get `IsWidgetTemplate`).
    pub widget_templates: &'a HashSet<String>,
}

impl Splitter<'_> {
    /// Splits one top parent (`TopParent` of a control file).
    pub fn split_top(&mut self, top: &Object) -> Result<Block> {
        let top_name = str_of(top, "Name").to_string();
        self.split(top, &top_name, 0)
    }

    fn split(&mut self, control: &Object, top_name: &str, index: usize) -> Result<Block> {
        let name = match control.get("Name").and_then(Json::as_str) {
            Some(n) => n.to_string(),
            None => return Err(Error::bad_input(self.file, "a control has no Name")),
        };
        let empty = Object::new();
        let template = control
            .get("Template")
            .and_then(Json::as_object)
            .unwrap_or(&empty);

        let mut children = Vec::new();
        if let Some(kids) = control.get("Children").and_then(Json::as_array) {
            for (i, child) in kids.iter().enumerate() {
                let child = child.as_object().ok_or_else(|| {
                    Error::bad_input(
                        self.file,
                        format!("a child of control '{name}' is not an object"),
                    )
                })?;
                children.push(self.split(child, top_name, i)?);
            }
        }

        let is_component_def = template
            .get("IsComponentDefinition")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let rules: Vec<&Object> = control
            .get("Rules")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_object).collect())
            .unwrap_or_default();
        let rule_script = |prop: &str| -> Option<String> {
            rules
                .iter()
                .find(|r| str_of(r, "Property") == prop)
                .and_then(|r| r.get("InvariantScript"))
                .and_then(Json::as_str)
                .map(str::to_string)
        };

        let mut hidden: HashSet<String> = HashSet::new();
        let mut functions = Vec::new();
        for custom in custom_properties(template) {
            let Some(scope_rules) = function_scope_rules(&custom) else {
                continue;
            };
            let func_name = str_of(&custom, "Name").to_string();
            if !is_component_def {
                for arg in &scope_rules {
                    let arg_name = str_of(arg, "Name").to_string();
                    hidden.insert(arg_name.clone());
                    let default_rule = scope_default_rule(arg);
                    if let Some(script) = rule_script(&arg_name)
                        && Some(script.as_str()) != default_rule.as_deref()
                    {
                        let key = format!("{name}.{arg_name}");
                        self.entropy.map_set(
                            "FunctionParamsInvariantScriptsOnInstances",
                            &key,
                            pair_json(default_rule.as_deref(), &script),
                        );
                    }
                }
                continue;
            }
            hidden.insert(func_name.clone());
            let Some(body) = rule_script(&func_name) else {
                continue;
            };
            let mut params = Vec::new();
            let mut metadata = Vec::new();
            for arg in &scope_rules {
                let arg_name = str_of(arg, "Name").to_string();
                hidden.insert(arg_name.clone());
                let info = arg.get("ScopeVariableInfo").and_then(Json::as_object);
                let var_name = info
                    .map(|i| str_of(i, "ScopeVariableName"))
                    .unwrap_or("")
                    .to_string();
                let type_code = info
                    .and_then(|i| i.get("ScopePropertyDataType"))
                    .and_then(Json::as_f64)
                    .unwrap_or(-1.0);
                params.push((var_name.clone(), property_data_type_name(type_code)));
                let default_rule = scope_default_rule(arg);
                let script = rule_script(&arg_name);
                metadata.push((
                    var_name,
                    script.clone().or(default_rule.clone()).unwrap_or_default(),
                ));
                if let Some(script) = script
                    && Some(script.as_str()) != default_rule.as_deref()
                {
                    let key = format!("{name}.{arg_name}");
                    self.entropy.map_set(
                        "FunctionParamsInvariantScripts",
                        &key,
                        pair_json(default_rule.as_deref(), &script),
                    );
                }
            }
            metadata.push(("ThisProperty".to_string(), body));
            functions.push(Function {
                name: func_name,
                params,
                metadata,
                line: 0,
            });
        }

        let mut properties = Vec::new();
        let mut prop_states = Vec::new();
        for rule in &rules {
            prop_states.push(Json::Object(rule_state(rule)));
            let prop = str_of(rule, "Property");
            if hidden.contains(prop) {
                continue;
            }
            properties.push(Property {
                name: prop.to_string(),
                formula: str_of(rule, "InvariantScript").to_string(),
                line: 0,
            });
        }
        let mut dyn_states = Vec::new();
        if let Some(dyns) = control.get("DynamicProperties").and_then(Json::as_array) {
            for dp in dyns.iter().filter_map(Json::as_object) {
                let mut st = Object::new();
                match dp.get("Rule").and_then(Json::as_object) {
                    Some(rule) => {
                        st.insert("PropertyName", Json::str(str_of(rule, "Property")));
                        st.insert("Property", Json::Object(rule_state(rule)));
                        for (k, v) in dp.iter() {
                            if k != "PropertyName" && k != "Rule" {
                                st.0.push((k.to_string(), v.clone()));
                            }
                        }
                        properties.push(Property {
                            name: str_of(rule, "Property").to_string(),
                            formula: str_of(rule, "InvariantScript").to_string(),
                            line: 0,
                        });
                    }
                    None => {
                        st.insert("PropertyName", Json::str(str_of(dp, "PropertyName")));
                    }
                }
                dyn_states.push(Json::Object(st));
            }
        }

        let variant = control
            .get("VariantName")
            .and_then(Json::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let block = Block {
            name: name.clone(),
            type_name: header_type(template),
            variant,
            properties,
            functions,
            children,
            line: 0,
            column: 0,
        };

        if is_component_def && !block.functions.is_empty() {
            // The scope-variable details come back from `.fx.yaml` on pack; the stored
            // record omits them like the reference does.
            let mut stripped = template.clone();
            let emitted: Vec<&str> = block.functions.iter().map(|f| f.name.as_str()).collect();
            strip_scope_details(&mut stripped, &emitted);
            self.split_template(&name, &stripped, is_component_def);
        } else {
            self.split_template(&name, template, is_component_def);
        }
        self.record_ids(&name, control)?;

        let mut entry = Object::new();
        entry.insert("Name", Json::str(&name));
        entry.insert("Properties", Json::Array(prop_states));
        if !dyn_states.is_empty() {
            entry.insert("DynamicProperties", Json::Array(dyn_states));
        }
        for key in [
            "HasDynamicProperties",
            "StyleName",
            "IsGroupControl",
            "AllowAccessToGlobals",
        ] {
            if let Some(v) = control.get(key).filter(|v| !v.is_null()) {
                entry.insert(key, v.clone());
            }
        }
        if let Some(v) = template
            .get("IsComponentDefinition")
            .filter(|v| !v.is_null())
        {
            entry.insert("IsComponentDefinition", v.clone());
        }
        entry.insert("ParentIndex", Json::from_i64(index as i64));
        for (k, v) in control.iter() {
            if !ITEM_KNOWN_KEYS.contains(&k) {
                entry.0.push((k.to_string(), v.clone()));
            }
        }
        let grouped_controls = control
            .get("GroupedControlsKey")
            .and_then(Json::as_array)
            .cloned();
        self.states.add(
            &name,
            ControlState {
                entry,
                top_parent: top_name.to_string(),
                grouped_controls,
            },
        );
        Ok(block)
    }

    /// Records the control's template in the store (first use wins) and the per-instance
    /// template fields that differ from the stored record in entropy.
    fn split_template(&mut self, name: &str, template: &Object, is_component_def: bool) {
        if is_pcf(template) {
            self.entropy
                .map_set("PCFTemplateEntry", name, Json::Object(template.clone()));
        }
        let key = if is_host_control(template) {
            name.to_string()
        } else {
            header_type(template)
        };
        if let Some(existing) = self.templates.templates.get_mut(&key) {
            if is_component_def {
                existing.insert("IsComponentTemplate", Json::Bool(true));
                if let Some(cp) = template.get("CustomProperties") {
                    existing.insert("CustomProperties", cp.clone());
                }
            }
        } else {
            let record = template_record(template, self.widget_templates);
            self.templates.templates.insert(key.clone(), record);
        }
        // Per-instance template fields: only those that differ from the shared record need
        // entropy (keeps Entropy.json quiet for the common case).
        let Some(record) = self.templates.templates.get(&key) else {
            return;
        };
        for (field, entropy_field) in [
            ("OverridableProperties", "OverridablePropertiesEntry"),
            (
                "PCFDynamicSchemaForIRRetrieval",
                "PCFDynamicSchemaForIRRetrievalEntry",
            ),
            ("HostType", "HostTypeEntry"),
            ("HostService", "HostServiceEntry"),
            (
                "CustomControlDefinitionJson",
                "DataTableCustomControlTemplateJsons",
            ),
        ] {
            if let Some(value) = template.get(field)
                && record.get(field) != Some(value)
            {
                self.entropy.map_set(entropy_field, name, value.clone());
            }
        }
    }

    fn record_ids(&mut self, name: &str, control: &Object) -> Result<()> {
        match control.get("ControlUniqueId").and_then(Json::as_str) {
            Some(id) => match integer_id(id) {
                Some(n) => self
                    .entropy
                    .map_set("ControlUniqueIds", name, Json::from_i64(n)),
                _ => self.entropy.map_set(
                    "ControlUniqueGuids",
                    name,
                    Json::str(id.to_ascii_lowercase()),
                ),
            },
            None => {
                return Err(Error::bad_input(
                    self.file,
                    format!("control '{name}' has no ControlUniqueId"),
                ));
            }
        }
        if let Some(v) = control.get("PublishOrderIndex") {
            self.entropy.map_set("PublishOrderIndices", name, v.clone());
        }
        Ok(())
    }
}

/// A `ControlUniqueId` that is the canonical spelling of an integer (entropy files those under
/// `ControlUniqueIds`; any other, GUIDs above all, under `ControlUniqueGuids`).
pub(crate) fn integer_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| n.to_string() == raw)
}

/// `[DefaultRule, InvariantScript]` as stored in entropy.
fn pair_json(default_rule: Option<&str>, script: &str) -> Json {
    Json::Array(vec![
        default_rule.map(Json::str).unwrap_or(Json::Null),
        Json::str(script),
    ])
}

/// A rule's editor-state form: everything but the formula, `Property` renamed.
fn rule_state(rule: &Object) -> Object {
    let mut st = Object::new();
    for (k, v) in rule.iter() {
        match k {
            "Property" => st.0.push(("PropertyName".to_string(), v.clone())),
            "InvariantScript" => {}
            _ if v.is_null() => {}
            _ => st.0.push((k.to_string(), v.clone())),
        }
    }
    st
}

/// The template record kept in `ControlTemplates.json` / a component's `.json`.
fn template_record(template: &Object, widget_templates: &HashSet<String>) -> Object {
    let mut rec = Object::new();
    for (k, v) in template.iter() {
        if v.is_null() {
            continue;
        }
        match k {
            "IsComponentDefinition" => rec.0.push(("IsComponentTemplate".to_string(), v.clone())),
            _ => rec.0.push((k.to_string(), v.clone())),
        }
    }
    if !rec.contains_key("IsComponentTemplate") {
        rec.insert("IsComponentTemplate", Json::Bool(false));
    }
    let name = str_of(template, "Name");
    rec.insert(
        "IsWidgetTemplate",
        Json::Bool(widget_templates.contains(name)),
    );
    rec.insert("IsPcfControl", Json::Bool(is_pcf(template)));
    rec
}

/// `Template.CustomProperties` (an array, or a JSON string holding one in old apps).
pub fn custom_properties(template: &Object) -> Vec<Object> {
    match template.get("CustomProperties") {
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_object).cloned().collect(),
        _ => Vec::new(),
    }
}

/// The scope rules of a function custom property (`None` for ordinary properties).
pub fn function_scope_rules(custom: &Object) -> Option<Vec<Object>> {
    let scope = custom.get("PropertyScopeKey")?.as_object()?;
    let rules = scope.get("PropertyScopeRulesKey")?.as_array()?;
    Some(rules.iter().filter_map(Json::as_object).cloned().collect())
}

fn scope_default_rule(arg: &Object) -> Option<String> {
    arg.get("ScopeVariableInfo")
        .and_then(|i| i.get("DefaultRule"))
        .and_then(Json::as_str)
        .map(str::to_string)
}

const PROPERTY_DATA_TYPES: &[&str] = &[
    "Invalid",
    "_Min",
    "Record",
    "Table",
    "Boolean",
    "Number",
    "String",
    "Date",
    "Time",
    "DateTime",
    "DateTimeNoTimeZone",
    "Hyperlink",
    "Currency",
    "Image",
    "Color",
    "Enum",
    "Media",
    "Guid",
    "Screen",
    "_Lim",
];

/// The name of a `ScopePropertyDataType` code (the reference's `PropertyDataType` enum).
pub fn property_data_type_name(code: f64) -> String {
    if code >= 0.0
        && code.fract() == 0.0
        && let Some(name) = PROPERTY_DATA_TYPES.get(code as usize)
    {
        return name.to_string();
    }
    format!("{code}")
}

/// Inverse of [`property_data_type_name`].
pub fn property_data_type_code(name: &str) -> Option<i64> {
    PROPERTY_DATA_TYPES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as i64)
}

/// A number as JSON, written as an integer when integral.
pub fn index_json(v: f64) -> Json {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Json::from_i64(v as i64)
    } else {
        Json::Number(Number::from_f64(v))
    }
}

/// Removes the fields of function scope rules that `.fx.yaml` carries.
fn strip_scope_details(template: &mut Object, functions: &[&str]) {
    let Some(Json::Array(customs)) = template.get_mut("CustomProperties") else {
        return;
    };
    for custom in customs {
        let is_emitted = custom
            .get("Name")
            .and_then(Json::as_str)
            .is_some_and(|n| functions.contains(&n));
        if !is_emitted {
            continue;
        }
        let Some(Json::Array(rules)) = custom
            .get_mut("PropertyScopeKey")
            .and_then(|s| s.get_mut("PropertyScopeRulesKey"))
        else {
            continue;
        };
        for rule in rules {
            if let Some(Json::Object(info)) = rule.get_mut("ScopeVariableInfo") {
                for key in [
                    "DefaultRule",
                    "ScopePropertyDataType",
                    "ParameterIndex",
                    "ParentPropertyName",
                ] {
                    info.remove(key);
                }
            }
        }
    }
}

/// The record of a template the reference defines in code, for apps that never used it.
pub fn code_defined_record(name: &str) -> Object {
    let mut rec = Object::new();
    rec.insert("FirstParty", Json::Bool(true));
    rec.insert(
        "Id",
        Json::str(format!("http://microsoft.com/appmagic/{name}")),
    );
    rec.insert("IsComponentTemplate", Json::Bool(false));
    rec.insert("IsPcfControl", Json::Bool(false));
    rec.insert("IsWidgetTemplate", Json::Bool(false));
    rec.insert("LastModifiedTimestamp", Json::str("0"));
    rec.insert("Name", Json::str(name));
    rec.insert("Version", Json::str("1.0"));
    rec
}
