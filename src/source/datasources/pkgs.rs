//! `References\Templates.json` `UsedTemplates` <-> `pkgs/<Name>_<Version>.xml` (pretty XML)
//! and `PcfTemplates` <-> `pkgs/PcfConversions/<Name>.json`, with their orders in Entropy
//! (`OrderXMLTemplate`, `OrderPcfTemplate`).

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::memo::{KeyBuilder, Memo};
use crate::model::MsApp;
use crate::source::names::escape_filename;
use crate::source::{Entropy, SourceTree, Warnings};

use super::util::{
    direct_children, file_name, fold_case, is_hidden, parse_tree_object, str_member, tree_text,
};
use super::{ENTROPY_PCF_ORDER, ENTROPY_XML_ORDER, PCF_CONVERSIONS_DIR, PKGS_DIR};

pub const ENTRY: &str = "References\\Templates.json";
const WIDGET_NAMESPACE: &str = "http://openajax.org/metadata";

pub fn unpack(
    app: &MsApp,
    entropy: &mut Entropy,
    tree: &mut SourceTree,
    warnings: &mut Warnings,
) -> Result<()> {
    entropy.map_mut(ENTROPY_XML_ORDER);
    entropy.map_mut(ENTROPY_PCF_ORDER);
    let Some(Json::Object(templates)) = app.json(ENTRY) else {
        return Ok(());
    };
    let mut written = HashSet::new();
    for (index, item) in list(templates, "UsedTemplates")?.iter().enumerate() {
        let Json::Object(template) = item else {
            return Err(Error::bad_input(
                ENTRY,
                "a UsedTemplates item is not an object",
            ));
        };
        let (Some(name), Some(version), Some(xml)) = (
            str_member(template, "Name"),
            str_member(template, "Version"),
            str_member(template, "Template"),
        ) else {
            return Err(Error::bad_input(
                ENTRY,
                "a UsedTemplates item lacks a string Name, Version or Template",
            ));
        };
        if let Some(extra) = template
            .keys()
            .find(|k| !matches!(*k, "Name" | "Version" | "Template"))
        {
            warnings.push(format!(
                "{ENTRY}: field `{extra}` of template `{name}` is not kept"
            ));
        }
        entropy.map_set_index(ENTROPY_XML_ORDER, name, index);
        let file = escape_filename(&format!("{name}_{version}.xml"));
        if !written.insert(fold_case(&file)) {
            return Err(Error::bad_input(
                ENTRY,
                format!("two templates would be written to {PKGS_DIR}/{file}"),
            ));
        }
        let pretty = crate::xml::canonical(xml).map_err(|e| {
            Error::bad_input(ENTRY, format!("template `{name}` is not valid XML: {e}"))
        })?;
        match widget_identity(&pretty) {
            Some((xml_name, xml_version)) if template_name(&file, &xml_name) == name && xml_version == version => {}
            _ => warnings.push(format!(
                "template `{name}` {version}: its XML names another template or version; pack will use the XML's"
            )),
        }
        tree.insert(format!("{PKGS_DIR}/{file}"), pretty.into_bytes());
    }

    let mut written = HashSet::new();
    for (index, item) in list(templates, "PcfTemplates")?.iter().enumerate() {
        let name = item.as_object().and_then(|t| str_member(t, "Name"));
        let Some(name) = name else {
            return Err(Error::bad_input(
                ENTRY,
                "a PcfTemplates item lacks a string Name",
            ));
        };
        entropy.map_set_index(ENTROPY_PCF_ORDER, name, index);
        let file = escape_filename(&format!("{name}.json"));
        if !written.insert(fold_case(&file)) {
            return Err(Error::bad_input(
                ENTRY,
                format!("two PCF templates are named `{name}`"),
            ));
        }
        tree.insert_json(format!("{PCF_CONVERSIONS_DIR}/{file}"), item);
    }
    Ok(())
}

fn list<'a>(templates: &'a Object, key: &str) -> Result<&'a [Json]> {
    match templates.get(key) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(_) => Err(Error::bad_input(ENTRY, format!("`{key}` is not an array"))),
    }
}

/// `name` and `version` of the template's root `widget` element.
fn widget_identity(xml: &str) -> Option<(String, String)> {
    // Every unpack and pack of a merge reads the same template files; parsing one whole
    // costs about as much as pretty-printing it.
    let key = KeyBuilder::new("pkgs::widget_identity").text(xml).finish();
    IDENTITIES
        .get_or_try::<()>(key, 1, || Ok(parse_widget_identity(xml)))
        .ok()
        .flatten()
}

static IDENTITIES: Memo<Option<(String, String)>> = Memo::new(256, usize::MAX);

fn parse_widget_identity(xml: &str) -> Option<(String, String)> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "widget" || root.tag_name().namespace() != Some(WIDGET_NAMESPACE) {
        return None;
    }
    Some((
        root.attribute("name")?.to_string(),
        root.attribute("version")?.to_string(),
    ))
}

/// The reference names a template after its XML, lower-cased when the file name does not start
/// with it (Studio spells some templates in lower case only).
fn template_name(file: &str, xml_name: &str) -> String {
    if file.starts_with(xml_name) {
        xml_name.to_string()
    } else {
        xml_name.to_lowercase()
    }
}

/// `UsedTemplates` and `PcfTemplates` items rebuilt from `pkgs/`, in their original order.
pub fn pack(
    tree: &SourceTree,
    entropy: &Entropy,
    warnings: &mut Warnings,
) -> Result<(Vec<Json>, Vec<Json>)> {
    let mut used = Vec::new();
    for (path, bytes) in direct_children(tree, PKGS_DIR) {
        if is_hidden(path) || !file_name(path).to_ascii_lowercase().ends_with(".xml") {
            continue;
        }
        let xml = tree_text(path, bytes)?;
        let Some((xml_name, version)) = widget_identity(xml) else {
            return Err(Error::bad_input(
                path,
                "unable to parse template file (expected a widget with name and version)",
            ));
        };
        let name = template_name(file_name(path), &xml_name);
        let mut item = Object::new();
        item.insert("Name", Json::String(name.clone()));
        item.insert("Version", Json::String(version));
        item.insert("Template", Json::str(xml));
        used.push((order(entropy, ENTROPY_XML_ORDER, &name), Json::Object(item)));
    }

    let mut pcf = Vec::new();
    for (path, bytes) in direct_children(tree, PCF_CONVERSIONS_DIR) {
        if is_hidden(path) {
            warnings.push(format!("ignored hidden file {path}"));
            continue;
        }
        let item = parse_tree_object(path, bytes)?;
        let Some(name) = str_member(&item, "Name").map(str::to_string) else {
            return Err(Error::bad_input(
                path,
                "PCF template without a string `Name`",
            ));
        };
        pcf.push((order(entropy, ENTROPY_PCF_ORDER, &name), Json::Object(item)));
    }
    Ok((sorted(used), sorted(pcf)))
}

fn order(entropy: &Entropy, field: &str, name: &str) -> f64 {
    entropy.map_index(field, name).unwrap_or(-1.0)
}

fn sorted(mut items: Vec<(f64, Json)>) -> Vec<Json> {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    items.into_iter().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_identity_reads_root_attributes() {
        let xml = r#"<widget xmlns="http://openajax.org/metadata" name="label" version="2.5.1"><x/></widget>"#;
        assert_eq!(widget_identity(xml), Some(("label".into(), "2.5.1".into())));
        let prefixed = r#"<openAjax:widget xmlns:openAjax="http://openajax.org/metadata" name="groupContainer" version="1.1.0"/>"#;
        assert_eq!(
            widget_identity(prefixed),
            Some(("groupContainer".into(), "1.1.0".into()))
        );
        assert_eq!(widget_identity("<other name='a' version='1'/>"), None);
        assert_eq!(widget_identity("<widget"), None);
    }

    #[test]
    fn template_names_follow_the_file() {
        assert_eq!(template_name("label_2.5.1.xml", "label"), "label");
        assert_eq!(template_name("rating_1.0.xml", "Rating"), "rating");
    }
}
