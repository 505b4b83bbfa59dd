//! Which value Studio treats as a property's default, so that only the other properties are
//! written ("only non-default properties are serialised").
//!
//! Order of the evidence (first that has an answer wins): Studio's own knowledge
//! ([`studio::known_default`]); for component instances the definition's formulas; for the
//! layout properties of children of auto-layout containers their responsive defaults; the
//! control's theme style; the template XML (its `defaultValue`s, common properties
//! included); for templates the app does not carry, the built-in sizes and neutral values.

use std::collections::HashMap;

use super::studio::{self, Known};
use crate::json::Json;
use crate::templates::{self, default_style_name, is_localization_key};

/// (property, formula) pairs in file order.
type Formulas = Vec<(String, String)>;

/// The outcome for one property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Default {
    /// Never written.
    Skip,
    /// Written whatever its value.
    None,
    /// Written unless its formula is exactly this.
    Value(String),
}

impl From<Known> for Default {
    fn from(k: Known) -> Default {
        match k {
            Known::Skip => Default::Skip,
            Known::NoDefault => Default::None,
            Known::Default(v) => Default::Value(v.to_string()),
        }
    }
}

/// What decides one control's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct ControlCtx<'a> {
    pub template: &'a str,
    /// `StyleName`; empty means `default<Template>Style`.
    pub style: &'a str,
    /// The variant when pa.yaml keeps it as is (its overrides are then defaults too).
    pub variant: &'a str,
    /// The control is an auto-layout container (`Variant: AutoLayout`).
    pub auto_layout: bool,
    /// The parent is an auto-layout container.
    pub in_auto_layout: bool,
    /// The control is an instance of this component (its template name).
    pub component: Option<&'a str>,
    /// The control is a component definition.
    pub definition: bool,
}

/// Defaults of one app.
pub struct Defaults {
    templates: Option<templates::Defaults>,
    theme: Theme,
    phone: bool,
    /// (template, variant) -> the variant's (property, default) overrides.
    variants: HashMap<(String, String), Formulas>,
    /// Component template name -> the definition's (property, formula).
    components: HashMap<String, Formulas>,
}

impl Defaults {
    /// `used_templates`: `References\Templates.json` `UsedTemplates` (name, XML); `themes`:
    /// `References\Themes.json`. Unreadable template XML only costs those templates'
    /// defaults (their properties are then all written).
    pub fn new(
        used_templates: &[(String, String)],
        themes: Option<&Json>,
        app_type: &str,
    ) -> Defaults {
        let templates = templates::Defaults::new(used_templates, None, app_type)
            .ok()
            .or_else(|| templates::Defaults::new(&[], None, app_type).ok());
        Defaults {
            templates,
            theme: themes.map(Theme::from_json).unwrap_or_default(),
            phone: app_type.eq_ignore_ascii_case("Phone"),
            variants: used_templates
                .iter()
                .flat_map(|(name, xml)| variant_overrides(name, xml))
                .collect(),
            components: HashMap::new(),
        }
    }

    pub fn add_component(&mut self, template_name: &str, formulas: Vec<(String, String)>) {
        self.components.insert(template_name.to_string(), formulas);
    }

    /// The default `property` of a control described by `ctx` is compared with.
    pub fn default_of(&self, ctx: &ControlCtx, property: &str) -> Default {
        if let Some(known) =
            studio::known_default(ctx.template, property, self.phone, ctx.auto_layout)
        {
            return known.into();
        }
        if ctx.definition {
            return match property {
                "X" | "Y" => Default::Value("0".into()),
                "Fill" => Default::Value("RGBA(0, 0, 0, 0)".into()),
                _ => Default::None,
            };
        }
        if let Some(component) = ctx.component {
            let own = self
                .components
                .get(component)
                .and_then(|f| f.iter().find(|(p, _)| p == property));
            return match own {
                Some((_, formula)) => Default::Value(formula.clone()),
                None if matches!(property, "X" | "Y") => Default::Value("0".into()),
                None => Default::None,
            };
        }
        if ctx.in_auto_layout
            && let Some(value) = self.responsive_default(ctx, property)
        {
            return Default::Value(value);
        }
        let style = if ctx.style.is_empty() {
            default_style_name(ctx.template)
        } else {
            ctx.style.to_string()
        };
        if let Some(value) = self.theme.lookup(&style, property) {
            return value.map_or(Default::None, Default::Value);
        }
        if !ctx.variant.is_empty()
            && let Some(overrides) = self
                .variants
                .get(&(ctx.template.to_string(), ctx.variant.to_string()))
            && let Some((_, value)) = overrides.iter().find(|(p, _)| p == property)
        {
            return Default::Value(value.clone());
        }
        if let Some(template) = self
            .templates
            .as_ref()
            .and_then(|t| t.template(ctx.template))
        {
            return match template.input_defaults().find(|(p, _)| *p == property) {
                Some((_, value)) if is_localization_key(value) => studio::localized_default(value)
                    .map_or(Default::None, |v| Default::Value(v.into())),
                Some((_, "")) => studio::common_default(property)
                    .map_or(Default::Value(String::new()), |v| Default::Value(v.into())),
                Some((_, value)) => Default::Value(value.to_string()),
                None => studio::common_default(property)
                    .map_or(Default::None, |v| Default::Value(v.into())),
            };
        }
        builtin_default(ctx.template, property)
            .or_else(|| studio::common_default(property))
            .map_or(Default::None, |v| Default::Value(v.into()))
    }

    fn responsive_default(&self, ctx: &ControlCtx, property: &str) -> Option<String> {
        let container = studio::CONTAINER_LIKE.contains(&ctx.template);
        let own_size = |size: &str| {
            let plain = ControlCtx {
                in_auto_layout: false,
                ..*ctx
            };
            match self.default_of(&plain, size) {
                Default::Value(v) => v,
                _ => "0".to_string(),
            }
        };
        Some(match property {
            "FillPortions" => (if container { "1" } else { "0" }).to_string(),
            "AlignInContainer" => (if container {
                "AlignInContainer.Stretch"
            } else {
                "AlignInContainer.SetByContainer"
            })
            .to_string(),
            "LayoutMinHeight" | "LayoutMinWidth" if container => "32".to_string(),
            "LayoutMinHeight" => own_size("Height"),
            "LayoutMinWidth" => own_size("Width"),
            "LayoutMaxHeight" | "LayoutMaxWidth" => "0".to_string(),
            _ => return None,
        })
    }
}

/// The `<controlVariant>` overrides of a template: ((template, variant), [(property,
/// default)]). XML that does not parse contributes nothing.
fn variant_overrides(template: &str, xml: &str) -> Vec<((String, String), Formulas)> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "controlVariant")
        .filter_map(|variant| {
            let name = variant.attribute("name")?;
            let overrides = variant
                .descendants()
                .filter(|n| n.is_element() && n.tag_name().name() == "overrideProperty")
                .filter_map(|o| {
                    Some((
                        o.attribute("name")?.to_string(),
                        unescape_reserved(o.attribute("defaultValue")?),
                    ))
                })
                .collect();
            Some(((template.to_string(), name.to_string()), overrides))
        })
        .collect()
}

/// Defaults of templates the app carries no XML for (first-party code components, and
/// anything unknown): position, visibility, mode, event handlers, and the known sizes.
fn builtin_default(template: &str, property: &str) -> Option<&'static str> {
    if let Some(size) = studio::pcf_size_default(template, property) {
        return Some(size);
    }
    match property {
        "X" | "Y" => Some("0"),
        "Visible" => Some("true"),
        "DisplayMode" => Some("DisplayMode.Edit"),
        // Corpus: `OnChange`/`OnCheck`/`OnUncheck` left at `false` are not written.
        p if p.starts_with("On") => Some("false"),
        _ => None,
    }
}

/// The styles of the app's theme, palette references kept so [`studio::NON_DEFAULT_PALETTE`]
/// can be honoured.
#[derive(Debug, Default)]
struct Theme {
    palette: HashMap<String, String>,
    /// Case-folded style name -> (property, raw value) in file order.
    styles: HashMap<String, Vec<(String, String)>>,
}

impl Theme {
    /// The theme named by `CurrentTheme`. Studio's built-in themes (`modernesqueTheme`,
    /// `convergedAppTheme`...) are not stored in the app; for those the stored classic theme
    /// (`defaultTheme`, else the first) stands in, which matches the corpus.
    fn from_json(json: &Json) -> Theme {
        let list = json.get("CustomThemes").and_then(Json::as_array);
        let name_of = |t: &Json| t.get("name").and_then(Json::as_str).map(str::to_string);
        let current = json.get("CurrentTheme").and_then(Json::as_str);
        let chosen = list.and_then(|l| {
            l.iter()
                .find(|t| current.is_some() && name_of(t).as_deref() == current)
                .or_else(|| {
                    l.iter()
                        .find(|t| name_of(t).as_deref() == Some("defaultTheme"))
                })
                .or_else(|| l.first())
        });
        let mut theme = Theme::default();
        let Some(chosen) = chosen else {
            return theme;
        };
        for entry in chosen
            .get("palette")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(n), Some(v)) = (
                entry.get("name").and_then(Json::as_str),
                entry.get("value").and_then(Json::as_str),
            ) {
                theme.palette.insert(n.to_string(), v.to_string());
            }
        }
        for style in chosen
            .get("styles")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = style.get("name").and_then(Json::as_str) else {
                continue;
            };
            let rules = theme.styles.entry(name.to_lowercase()).or_default();
            for rule in style
                .get("propertyValuesMap")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(p), Some(v)) = (
                    rule.get("property").and_then(Json::as_str),
                    rule.get("value").and_then(Json::as_str),
                ) && !rules.iter().any(|(q, _)| q == p)
                {
                    rules.push((p.to_string(), v.to_string()));
                }
            }
        }
        theme
    }

    /// `None`: the style does not set the property. `Some(None)`: it does, but Studio does
    /// not count the value as a default.
    fn lookup(&self, style: &str, property: &str) -> Option<Option<String>> {
        let raw = self
            .styles
            .get(&style.to_lowercase())?
            .iter()
            .find(|(p, _)| p == property)
            .map(|(_, v)| v.as_str())?;
        let mut value = raw.to_string();
        for (reference, name) in palette_references(raw) {
            if studio::NON_DEFAULT_PALETTE.contains(&name.as_str()) {
                return Some(None);
            }
            if let Some(resolved) = self.palette.get(&name) {
                value = value.replace(&reference, resolved);
            }
        }
        if is_localization_key(&value) {
            return Some(None);
        }
        Some(Some(unescape_reserved(&value)))
    }
}

/// Every `%Palette.Name%` in `value`: (the reference text, the entry name).
fn palette_references(value: &str) -> Vec<(String, String)> {
    const PREFIX: &str = "%Palette.";
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find(PREFIX) {
        let after = &rest[start + PREFIX.len()..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                found.push((format!("{PREFIX}{name}%"), name.to_string()));
                rest = &after[end + 1..];
            }
            _ => break,
        }
    }
    found
}

/// `%Color.RESERVED%.White` -> `Color.White`.
fn unescape_reserved(value: &str) -> String {
    const SUFFIX: &str = ".RESERVED%";
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        if after[letters..].starts_with(SUFFIX) {
            out.push_str(&rest[..start]);
            out.push_str(&after[..letters]);
            rest = &after[letters + SUFFIX.len()..];
        } else {
            out.push_str(&rest[..=start]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_palette_text() {
        assert_eq!(unescape_reserved("%Color.RESERVED%.White"), "Color.White");
        assert_eq!(unescape_reserved("50% of %x"), "50% of %x");
        assert_eq!(
            palette_references("ColorFade(%Palette.PrimaryColor1%, 20%)"),
            vec![(
                "%Palette.PrimaryColor1%".to_string(),
                "PrimaryColor1".to_string()
            )]
        );
    }
}
