//! Default property values: control template XML (`pkgs/*.xml`), code-defined templates
//! (`appinfo`, `screen`, `groupContainer`), component definitions, theme styles and auto-layout
//! (responsive) defaults. Unpack strips properties equal to their default; pack restores them.
//!
//! The rules (fx-yaml.md §4.4) must match the reference tool exactly, including its
//! asymmetries: a property stripped here is only recoverable if pack restores the same value.

mod code_defined;
mod common_props;
mod ordered;
mod text;
mod theme;
mod xml_template;

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::json::Json;
use ordered::OrderedMap;
use theme::Theme;

pub use code_defined::RESPONSIVE_PROPERTIES;
pub use text::{default_style_name, is_localization_key};

/// `Properties.DocumentAppType`, reduced to what changes defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppType {
    Phone,
    Web,
    /// `DesktopOrTablet` and anything else.
    #[default]
    Other,
}

impl AppType {
    pub fn from_document_app_type(value: &str) -> AppType {
        if value.eq_ignore_ascii_case("Phone") {
            AppType::Phone
        } else if value.eq_ignore_ascii_case("Web") {
            AppType::Web
        } else {
            AppType::Other
        }
    }
}

/// One template's identity and input-property defaults.
#[derive(Debug, Clone)]
pub struct ControlTemplate {
    /// The name the template is registered (and looked up) under.
    pub name: String,
    /// `widget/@version` (`""` for component templates).
    pub version: String,
    /// `widget/@id` (`""` for component templates).
    pub id: String,
    input_defaults: OrderedMap,
    variant_defaults: Vec<(String, OrderedMap)>,
}

impl ControlTemplate {
    fn new(name: impl Into<String>, version: impl Into<String>, id: impl Into<String>) -> Self {
        ControlTemplate {
            name: name.into(),
            version: version.into(),
            id: id.into(),
            input_defaults: OrderedMap::new(),
            variant_defaults: Vec::new(),
        }
    }

    /// (property, default formula) in definition order. Values may be localization keys.
    pub fn input_defaults(&self) -> impl Iterator<Item = (&str, &str)> {
        self.input_defaults.iter()
    }

    /// Names of the variants with their own defaults (only the code-defined `groupContainer`).
    pub fn variant_names(&self) -> impl Iterator<Item = &str> {
        self.variant_defaults.iter().map(|(name, _)| name.as_str())
    }

    fn variant(&self, variant: Option<&str>) -> Option<&OrderedMap> {
        let variant = variant?;
        self.variant_defaults
            .iter()
            .find(|(name, _)| name == variant)
            .map(|(_, defaults)| defaults)
    }
}

/// What decides one control's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct ControlCtx<'a> {
    /// The template name the control is looked up by: the fx.yaml header type *before* the
    /// component renames, i.e. `Template.Name` for components (the GUID-like name given to
    /// [`Defaults::add_component_defaults`]), `galleryTemplate` for a gallery's template child,
    /// `group` for classic groups, the display name for PCF controls (which therefore have no
    /// template defaults). A component *definition* is compared under its renamed kind
    /// (`CanvasComponent`, `DataComponent`...).
    pub type_name: &'a str,
    /// `VariantName`; `None` when empty.
    pub variant: Option<&'a str>,
    /// The control's editor-state `StyleName`; `None` when the control has no editor state
    /// (then `default<Type>Style` is used).
    pub style_name: Option<&'a str>,
    /// The parent is an auto-layout container, see [`adds_responsive_context`].
    pub in_responsive_container: bool,
}

/// True when the children of a control of this type/variant get responsive defaults: a
/// `groupContainer` that is not the `manualLayoutContainer` variant.
pub fn adds_responsive_context(type_name: &str, variant: Option<&str>) -> bool {
    type_name == "groupContainer" && variant != Some("manualLayoutContainer")
}

/// `FillPortions`, `AlignInContainer`, `LayoutMinHeight`, `LayoutMinWidth`: the properties that
/// live in `DynamicProperties` for children of auto-layout containers.
pub fn is_responsive_property(property: &str) -> bool {
    RESPONSIVE_PROPERTIES.contains(&property)
}

/// Everything needed to decide what a property's default is.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    templates: Vec<ControlTemplate>,
    by_name: HashMap<String, usize>,
    theme: Theme,
    app_type: AppType,
    /// Two used templates registered the same name, so their order decided which one counts.
    shadowed: bool,
}

impl Defaults {
    /// `used_templates`: (`UsedTemplates[].Name`, template XML); `themes`: `References\Themes.json`;
    /// `document_app_type`: `Properties.DocumentAppType` (`Phone`, `Web`, `DesktopOrTablet`...).
    ///
    /// Fails only when a template's XML does not parse or is not a widget manifest (the
    /// reference tool refuses such apps too). When two templates claim a name, the first wins.
    pub fn new(
        used_templates: &[(String, String)],
        themes: Option<&Json>,
        document_app_type: &str,
    ) -> Result<Defaults> {
        let borrowed: Vec<(&str, &str)> = used_templates
            .iter()
            .map(|(name, xml)| (name.as_str(), xml.as_str()))
            .collect();
        Defaults::from_borrowed(&borrowed, themes, document_app_type)
    }

    /// [`Defaults::new`] for callers that hold the templates' text elsewhere (no copies made).
    pub fn from_borrowed(
        used_templates: &[(&str, &str)],
        themes: Option<&Json>,
        document_app_type: &str,
    ) -> Result<Defaults> {
        let app_type = AppType::from_document_app_type(document_app_type);
        let mut defaults = Defaults {
            theme: themes.map(Theme::from_json).unwrap_or_default(),
            app_type,
            ..Defaults::default()
        };
        for (name, xml) in used_templates {
            let parsed = xml_template::parse_template(name, xml, app_type).map_err(|message| {
                Error::bad_input(
                    "References\\Templates.json",
                    format!("template {name}: cannot read its XML: {message}"),
                )
            })?;
            for template in parsed {
                defaults.shadowed |= defaults.by_name.contains_key(&template.name);
                defaults.register_if_absent(template);
            }
        }
        defaults.replace(code_defined::appinfo(app_type));
        defaults.replace(code_defined::screen());
        defaults.register_if_absent(code_defined::group_container(app_type));
        Ok(defaults)
    }

    /// Registers a component definition as the template of its instances: `template_name` is
    /// the component's template name (`Template.Name` of its instances), `properties` the
    /// definition's property formulas (function rules excluded). On unpack the reference
    /// registers them as read, before stripping; the definition itself is then compared under
    /// its renamed type (`CanvasComponent`...), which has no template, so in practice nothing
    /// is stripped from it and both readings agree. On pack pass its fx.yaml properties.
    /// Replaces any template of the same name.
    pub fn add_component_defaults(
        &mut self,
        template_name: &str,
        properties: Vec<(String, String)>,
    ) {
        let mut template = ControlTemplate::new(template_name, "", "");
        for (property, formula) in properties {
            template.input_defaults.insert_if_absent(&property, formula);
        }
        self.replace(template);
    }

    /// False when no two used templates (nor their nested widgets) share a name: then their
    /// order changes nothing but the order of [`Defaults::templates`].
    pub fn order_matters(&self) -> bool {
        self.shadowed
    }

    pub fn app_type(&self) -> AppType {
        self.app_type
    }

    pub fn template(&self, name: &str) -> Option<&ControlTemplate> {
        self.by_name.get(name).and_then(|i| self.templates.get(*i))
    }

    /// All registered templates: XML ones in `UsedTemplates` order (each followed by its nested
    /// widgets), then the code-defined ones, then component templates.
    pub fn templates(&self) -> impl Iterator<Item = &ControlTemplate> {
        self.templates.iter()
    }

    /// The template's input properties (everything it gives a default for, `direction="out"`
    /// excluded); empty for unknown templates. Used to move gallery properties back to the
    /// `galleryTemplate` child on pack.
    pub fn input_properties(&self, template: &str) -> Vec<String> {
        self.template(template)
            .map(|t| t.input_defaults.keys().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The value a property is compared with on unpack; the line is dropped iff its formula is
    /// exactly (ordinal) equal. `None`: never stripped.
    ///
    /// Order: the theme style (a localization key there ends the search: not a default), then
    /// the template's variant defaults, then its base defaults (localization keys are not
    /// defaults), then, for children of auto-layout containers, the responsive default.
    pub fn strip_default(&self, ctx: &ControlCtx, property: &str) -> Option<String> {
        let style = self.style_name(ctx);
        if let Some(value) = self.theme.lookup(&style, property) {
            return (!is_localization_key(value)).then(|| value.to_string());
        }
        if let Some(template) = self.template(ctx.type_name) {
            let value = template
                .variant(ctx.variant)
                .and_then(|v| v.get(property))
                .or_else(|| template.input_defaults.get(property));
            if let Some(value) = value {
                return (!is_localization_key(value)).then(|| value.to_string());
            }
        }
        if ctx.in_responsive_container {
            return self.responsive_default(ctx, property);
        }
        None
    }

    /// Every default of a control, for pack: variant defaults, then base template defaults the
    /// variant does not define, then theme style values (overriding), then responsive defaults
    /// (overriding, in a responsive context). Localization keys are skipped (except in variant
    /// defaults, which never hold any). Order: first insertion position of each name.
    ///
    /// The caller removes names the control already has and, for controls with editor state,
    /// keeps only names listed in its `Properties` (and rule-holding `DynamicProperties`).
    pub fn restore_defaults(&self, ctx: &ControlCtx) -> Vec<(String, String)> {
        let mut all = OrderedMap::new();
        if let Some(template) = self.template(ctx.type_name) {
            let variant = template.variant(ctx.variant);
            for (property, value) in variant.into_iter().flat_map(OrderedMap::iter) {
                all.set(property, value.to_string());
            }
            for (property, value) in template.input_defaults.iter() {
                let in_variant = variant.is_some_and(|v| v.contains_key(property));
                if !in_variant && !is_localization_key(value) {
                    all.set(property, value.to_string());
                }
            }
        }
        let style = self.style_name(ctx);
        for (property, value) in self
            .theme
            .style(&style)
            .into_iter()
            .flat_map(OrderedMap::iter)
        {
            if !is_localization_key(value) {
                all.set(property, value.to_string());
            }
        }
        if ctx.in_responsive_container {
            for property in RESPONSIVE_PROPERTIES {
                if let Some(value) = self.responsive_default(ctx, property) {
                    all.set(property, value);
                }
            }
        }
        all.into_vec()
    }

    fn responsive_default(&self, ctx: &ControlCtx, property: &str) -> Option<String> {
        code_defined::responsive_default(property, ctx.type_name, |own| {
            // The child's own size default, looked up without the responsive step.
            let plain = ControlCtx {
                in_responsive_container: false,
                ..*ctx
            };
            self.strip_default(&plain, own)
        })
    }

    fn style_name(&self, ctx: &ControlCtx) -> String {
        match ctx.style_name {
            Some(name) => name.to_string(),
            None => default_style_name(ctx.type_name),
        }
    }

    fn register_if_absent(&mut self, template: ControlTemplate) {
        if !self.by_name.contains_key(&template.name) {
            self.by_name
                .insert(template.name.clone(), self.templates.len());
            self.templates.push(template);
        }
    }

    fn replace(&mut self, template: ControlTemplate) {
        match self
            .by_name
            .get(&template.name)
            .and_then(|i| self.templates.get_mut(*i))
        {
            Some(slot) => *slot = template,
            None => self.register_if_absent(template),
        }
    }
}

#[cfg(test)]
mod tests;
