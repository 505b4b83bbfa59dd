//! Defaults of the shared properties a template pulls in with `<appMagic:includeProperty>`
//! without giving its own `defaultValue`.
//!
//! Values come from `src/PAModel/ControlTemplates/commonStyleProperties.xml` of
//! microsoft/PowerApps-Tooling (commit 4c6cd9ab), the resource the reference tool embeds for
//! this purpose, already processed the way template properties are: reserved names unescaped,
//! `datatype="String"` values quoted. Properties the file lists without a default (`LayoutX`,
//! `ActualWidth`, ...) and names it does not list both default to the empty formula, so they
//! are left out.

/// (name, default, phone default when different).
const COMMON_PROPERTIES: &[(&str, &str, Option<&str>)] = &[
    ("Text", "\"\"", None),
    ("Image", "SampleImage", None),
    ("AccessibleLabel", "\"\"", None),
    ("Role", "TextRole.Default", None),
    ("Tooltip", "\"\"", None),
    ("Fill", "RGBA(0, 0, 0, 0)", None),
    ("HoverFill", "RGBA(0, 0, 0, 0)", None),
    ("PressedFill", "RGBA(0, 0, 0, 0)", None),
    ("DisabledFill", "RGBA(0, 0, 0, 0)", None),
    ("RadiusTopLeft", "0", None),
    ("RadiusTopRight", "0", None),
    ("RadiusBottomLeft", "0", None),
    ("RadiusBottomRight", "0", None),
    ("Font", "Font.'Open Sans'", None),
    ("Size", "11", None),
    ("FontWeight", "FontWeight.Normal", None),
    ("Italic", "false", None),
    ("Underline", "false", None),
    ("Strikethrough", "false", None),
    ("Color", "RGBA(0, 0, 0, 1)", None),
    ("HoverColor", "RGBA(0, 0, 0, 1)", None),
    ("PressedColor", "RGBA(0, 0, 0, 1)", None),
    ("DisabledColor", "RGBA(0, 0, 0, 1)", None),
    ("BorderStyle", "BorderStyle.Solid", None),
    ("BorderThickness", "0", None),
    ("FocusedBorderColor", "RGBA(101, 128, 187, 1)", None),
    ("FocusedBorderThickness", "2", None),
    ("BorderColor", "RGBA(0, 0, 0, 1)", None),
    ("DisabledBorderColor", "RGBA(0, 0, 0, 1)", None),
    ("HoverBorderColor", "RGBA(0, 0, 0, 1)", None),
    ("PressedBorderColor", "RGBA(0, 0, 0, 1)", None),
    ("Padding", "0", None),
    ("PaddingTop", "0", None),
    ("PaddingRight", "0", None),
    ("PaddingBottom", "0", None),
    ("PaddingLeft", "0", None),
    ("ShowControls", "true", None),
    ("Visible", "true", None),
    ("Disabled", "false", None),
    ("AutoDisableOnSelect", "true", None),
    ("DisplayMode", "DisplayMode.Edit", None),
    ("Align", "Align.Left", None),
    ("VerticalAlign", "VerticalAlign.Top", None),
    ("ImagePosition", "ImagePosition.Fill", None),
    ("ShowValue", "true", None),
    ("OnSelect", "false", None),
    ("OnChange", "false", None),
    ("OnStart", "false", None),
    ("OnPause", "false", None),
    ("OnEnd", "false", None),
    ("defaultWidth", "100", None),
    ("defaultHeight", "100", None),
    ("minimumWidth", "10", None),
    ("minimumHeight", "10", None),
    ("maximumWidth", "1366", None),
    ("maximumHeight", "768", None),
    ("X", "0", None),
    ("Y", "0", None),
    ("Width", "100", None),
    ("WidthFit", "false", None),
    ("Height", "100", None),
    ("NumberOfColumns", "3", Some("1")),
    ("SnapToColumns", "true", None),
    ("ThemeColor", "RGBA(0, 176, 240, 1)", None),
    ("ReadOnly", "false", None),
    ("PreserveAspectRatio", "false", None),
    ("TabIndex", "0", None),
    ("ResizerGrip", "\"\"", None),
    ("LayoutMode", "LayoutMode.Manual", None),
    ("LayoutDirection", "LayoutDirection.Horizontal", None),
    ("LayoutWrap", "false", None),
    ("LayoutAlignItems", "LayoutAlignItems.Start", None),
    ("LayoutJustifyContent", "LayoutJustifyContent.Start", None),
    ("LayoutOverflowX", "LayoutOverflow.Hide", None),
    ("LayoutOverflowY", "LayoutOverflow.Hide", None),
    ("LayoutGap", "0", None),
    ("GrowthPortions", "0", None),
    ("AlignInContainer", "AlignInContainer.SetByContainer", None),
    ("LayoutMinHeight", "0", None),
    ("LayoutMaxHeight", "0", None),
    ("LayoutMinWidth", "0", None),
    ("LayoutMaxWidth", "0", None),
];

/// The default of a common property for this kind of app; `""` for unknown names.
pub fn common_default(name: &str, phone: bool) -> &'static str {
    COMMON_PROPERTIES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or("", |(_, value, phone_value)| match phone_value {
            Some(p) if phone => p,
            _ => value,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(common_default("Font", false), "Font.'Open Sans'");
        assert_eq!(common_default("Text", false), "\"\"");
        assert_eq!(common_default("NumberOfColumns", true), "1");
        assert_eq!(common_default("NumberOfColumns", false), "3");
        assert_eq!(common_default("ContentLanguage", false), "");
        assert_eq!(common_default("ActualWidth", false), "");
    }
}
