//! Default property values: control template XML (`pkgs/*.xml`), code-defined templates
//! (`appinfo`, `screen`, `groupContainer`), theme styles and auto-layout (responsive) defaults.
//! Unpack strips properties equal to their default; pack restores them.

use crate::error::Result;
use crate::json::Json;

/// Everything needed to decide what a property's default is.
#[derive(Debug, Clone, Default)]
pub struct Defaults {}

impl Defaults {
    /// `used_templates`: (`UsedTemplates[].Name`, template XML); `themes`: `References\Themes.json`;
    /// `document_app_type`: `Properties.DocumentAppType` (`Phone`, `Web`, `DesktopOrTablet`...).
    pub fn new(used_templates: &[(String, String)], themes: Option<&Json>, document_app_type: &str) -> Result<Defaults> {
        let _ = (used_templates, themes, document_app_type);
        todo!()
    }
}
