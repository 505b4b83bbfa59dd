//! Builds the default-value source for unpack (from the app) and pack (from the tree).
//!
//! Unpack strips against the app's own templates and theme; pack restores against the tree's
//! `pkgs/*.xml` and `Src/Themes.json`, which hold the same data, so a round trip is exact.

use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::model::MsApp;
use crate::templates::{ControlCtx, Defaults};

use super::SourceTree;
use super::transforms::{DefaultCtx, DefaultSource};

impl DefaultSource for Defaults {
    fn strip_default(&self, ctx: &DefaultCtx<'_>, prop: &str) -> Option<String> {
        Defaults::strip_default(self, &control_ctx(ctx), prop)
    }
    fn restore_defaults(&self, ctx: &DefaultCtx<'_>) -> Vec<(String, String)> {
        Defaults::restore_defaults(self, &control_ctx(ctx))
    }
    fn input_properties(&self, template: &str) -> Vec<String> {
        Defaults::input_properties(self, template)
    }
}

fn control_ctx<'a>(ctx: &DefaultCtx<'a>) -> ControlCtx<'a> {
    ControlCtx {
        type_name: ctx.type_name,
        variant: ctx.variant,
        style_name: ctx.style_name,
        in_responsive_container: ctx.in_responsive_container,
    }
}

fn document_app_type(properties: Option<&Json>) -> String {
    properties
        .and_then(|p| p.get("DocumentAppType"))
        .and_then(Json::as_str)
        .unwrap_or("DesktopOrTablet")
        .to_string()
}

pub fn from_app(app: &MsApp) -> Result<Box<dyn DefaultSource>> {
    let mut used = Vec::new();
    if let Some(list) = app
        .json("References\\Templates.json")
        .and_then(|t| t.get("UsedTemplates"))
        .and_then(Json::as_array)
    {
        for t in list {
            if let (Some(name), Some(xml)) = (
                t.get("Name").and_then(Json::as_str),
                t.get("Template").and_then(Json::as_str),
            ) {
                used.push((name.to_string(), xml.to_string()));
            }
        }
    }
    let app_type = document_app_type(app.json("Properties.json"));
    let defaults = Defaults::new(&used, app.json("References\\Themes.json"), &app_type)?;
    Ok(Box::new(defaults))
}

pub fn from_tree(tree: &SourceTree) -> Result<Box<dyn DefaultSource>> {
    let mut used = Vec::new();
    for (path, bytes) in tree.under("pkgs") {
        let file = &path[5..];
        if file.contains('/') || !file.ends_with(".xml") {
            continue;
        }
        let stem = &file[..file.len() - 4];
        let Some(cut) = stem.rfind('_') else {
            return Err(Error::invalid(
                path,
                "template file names are <name>_<version>.xml",
            ));
        };
        let text =
            std::str::from_utf8(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes))
                .map_err(|_| Error::bad_input(path, "not UTF-8 text"))?;
        used.push((stem[..cut].to_string(), text.to_string()));
    }
    let manifest = match tree.get("CanvasManifest.json") {
        Some(b) => Some(
            json::parse_bytes(b)
                .map_err(|e| Error::syntax("CanvasManifest.json", e.line, e.column, e.message))?,
        ),
        None => None,
    };
    let themes = match tree.get("Src/Themes.json") {
        Some(b) => Some(
            json::parse_bytes(b)
                .map_err(|e| Error::syntax("Src/Themes.json", e.line, e.column, e.message))?,
        ),
        None => None,
    };
    let app_type = document_app_type(manifest.as_ref().and_then(|m| m.get("Properties")));
    let defaults = Defaults::new(&used, themes.as_ref(), &app_type)?;
    Ok(Box::new(defaults))
}
