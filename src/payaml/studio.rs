//! What Studio knows that the `.msapp` does not say: the banner it puts on every file, the
//! names it gives control types, how it renames variants, and the defaults of controls whose
//! templates are built into Studio.
//!
//! Every table here is inferred from Studio-written files (the corpus apps that carry
//! `Src\*.pa.yaml`, and Studio output published on GitHub); each entry says what backs it.
//! Anything not listed falls back to the template XML and theme in the app.

/// The banner Studio writes since DocVersion 1.346 (seen on apps saved Oct 2025 and May 2026).
const BANNER: &[&str] = &[
    "# ************************************************************************************************",
    "# Warning: YAML source code for Canvas Apps should only be used to review changes made within Power Apps Studio and for minor edits (Preview).",
    "# Use the maker portal to create and edit your Power Apps.",
    "# ",
    "# The schema file for Canvas Apps is available at https://go.microsoft.com/fwlink/?linkid=2304907",
    "# ",
    "# For more information, visit https://go.microsoft.com/fwlink/?linkid=2292623",
    "# ************************************************************************************************",
];

/// The banner of the preview (DocVersion 1.345, apps saved Jan 2025).
const PREVIEW_BANNER: &[&str] = &[
    "# ************************************************************************************************",
    "# Warning: YAML source code for Canvas Apps is in preview. The schema is being actively developed.",
    "# Content may be incomplete and subject to change.",
    "# This file is read-only and should only be used to review changes made within Power Apps Studio.",
    "# This file isn't used when loading the app. External editing, merging and conflict resolution are",
    "# not supported.",
    "# ",
    "# For more information, visit https://go.microsoft.com/fwlink/?linkid=2292623",
    "# ************************************************************************************************",
];

/// Which generation of Studio output to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// DocVersion 1.345 with MSAppStructureVersion 2.4+: preview banner, no editor-state file.
    Preview,
    /// Everything else, including apps saved before Studio wrote pa.yaml at all.
    Current,
}

impl Generation {
    /// From `Header.json`'s `DocVersion` and `MSAppStructureVersion`. Older apps never had
    /// pa.yaml, so they get the current layout (what Studio would write on the next save).
    pub fn of(doc_version: &str, structure_version: &str) -> Generation {
        let preview_doc = version_parts(doc_version) < vec![1, 346];
        let writes_yaml = version_parts(structure_version) >= vec![2, 4];
        if preview_doc && writes_yaml {
            Generation::Preview
        } else {
            Generation::Current
        }
    }

    /// The banner lines; Studio ends each with CRLF while the YAML body uses LF.
    pub fn banner(self) -> String {
        let lines = match self {
            Generation::Preview => PREVIEW_BANNER,
            Generation::Current => BANNER,
        };
        lines.iter().map(|l| format!("{l}\r\n")).collect()
    }

    pub fn writes_editor_state(self) -> bool {
        self == Generation::Current
    }
}

/// Dotted version numbers compared numerically; anything unparsable counts as 0.
fn version_parts(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|p| p.trim().parse().unwrap_or(0))
        .collect()
}

/// Classic templates whose pa.yaml type carries the `Classic/` family because a modern control
/// took the plain name (seen: `Classic/Icon`; the others from published Studio output).
const CLASSIC_FAMILY: &[(&str, &str)] = &[
    ("button", "Button"),
    ("icon", "Icon"),
    ("text", "TextInput"),
    ("dropdown", "DropDown"),
    ("combobox", "ComboBox"),
    ("datepicker", "DatePicker"),
    ("checkbox", "CheckBox"),
    ("toggleSwitch", "Toggle"),
    ("slider", "Slider"),
    ("radio", "Radio"),
    ("listbox", "ListBox"),
    ("rating", "Rating"),
];

/// Classic templates whose pa.yaml name is not just the template name capitalized.
const RENAMED: &[(&str, &str)] = &[
    ("htmlViewer", "HtmlViewer"),
    ("groupContainer", "GroupContainer"),
    ("typedDataCard", "TypedDataCard"),
];

/// First-party code components (Fluent "modern" controls) with a name other than the rule in
/// [`control_type`] gives (seen: `CheckBox@0.0.27`).
const PCF_RENAMED: &[(&str, &str)] = &[
    ("PowerApps_CoreControls_CheckboxCanvas", "CheckBox"),
    ("PowerApps_CoreControls_ComboboxCanvas", "ComboBox"),
];

const PCF_PREFIX_MODERN: &str = "PowerApps_CoreControls_";
const PCF_PREFIX_FLUENT_V8: &str = "Microsoft_CoreControls_";

/// The `Control:` type (without version) of a built-in control template.
/// `PowerApps_CoreControls_ButtonCanvas` -> `Button`, `Microsoft_CoreControls_Label` ->
/// `FluentV8/Label`, `icon` -> `Classic/Icon`, `label` -> `Label`.
pub fn control_type(template_name: &str) -> String {
    if let Some((_, name)) = PCF_RENAMED.iter().find(|(t, _)| *t == template_name) {
        return name.to_string();
    }
    if let Some(rest) = template_name.strip_prefix(PCF_PREFIX_MODERN) {
        return rest.strip_suffix("Canvas").unwrap_or(rest).to_string();
    }
    if let Some(rest) = template_name.strip_prefix(PCF_PREFIX_FLUENT_V8) {
        return format!("FluentV8/{rest}");
    }
    if let Some((_, name)) = CLASSIC_FAMILY.iter().find(|(t, _)| *t == template_name) {
        return format!("Classic/{name}");
    }
    if let Some((_, name)) = RENAMED.iter().find(|(t, _)| *t == template_name) {
        return name.to_string();
    }
    capitalize(template_name)
}

/// True for the first-party code components handled like built-in controls.
pub fn is_first_party_pcf(template_name: &str) -> bool {
    template_name.starts_with(PCF_PREFIX_MODERN) || template_name.starts_with(PCF_PREFIX_FLUENT_V8)
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a control's `VariantName` appears in pa.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariantOut {
    None,
    Name(String),
}

/// Containers: Studio folds the three legacy variants into `AutoLayout` / `ManualLayout`
/// (the direction moves to `LayoutDirection`, the mode is the variant). Icons: the variant
/// only picked the glyph, which `Icon` says, so it is dropped. Others keep their variant.
pub fn variant(template_name: &str, variant_name: &str, layout_mode: Option<&str>) -> VariantOut {
    match template_name {
        "groupContainer" => {
            let auto = match variant_name {
                "horizontalAutoLayoutContainer" | "verticalAutoLayoutContainer" => true,
                "manualLayoutContainer" => false,
                _ => layout_mode == Some("LayoutMode.Auto"),
            };
            VariantOut::Name(if auto { "AutoLayout" } else { "ManualLayout" }.to_string())
        }
        "icon" => VariantOut::None,
        _ if variant_name.is_empty() => VariantOut::None,
        _ => VariantOut::Name(variant_name.to_string()),
    }
}

/// What Studio compares a property with, when it knows better than the app's templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Never written (the information lives elsewhere in pa.yaml).
    Skip,
    /// Always written.
    NoDefault,
    Default(&'static str),
}

/// Studio's own defaults for a property of a control built from `template_name`, if it has
/// them. `auto_layout`: the container's pa.yaml variant is `AutoLayout`.
pub fn known_default(
    template_name: &str,
    property: &str,
    phone: bool,
    auto_layout: bool,
) -> Option<Known> {
    // The z-order is the position in `Children`.
    if property == "ZIndex" {
        return Some(Known::Skip);
    }
    match template_name {
        "appinfo" => Some(match property {
            "MinScreenHeight" | "MinScreenWidth" => {
                Known::Default(if phone { "640" } else { "320" })
            }
            "ConfirmExit" => Known::Default("false"),
            "BackEnabled" => Known::Default("true"),
            "SizeBreakpoints" => Known::Default(if phone {
                "[1200, 1800, 2400]"
            } else {
                "[600, 900, 1200]"
            }),
            _ => Known::NoDefault,
        }),
        // Corpus: `Color.White` is left out and `RGBA(255, 255, 255, 1)` written; a spinner
        // color equal to the classic theme's `PrimaryColor1` is written, `App.Theme.Colors.Primary`
        // is not.
        "screen" => Some(match property {
            "Fill" => Known::Default("Color.White"),
            "LoadingSpinnerColor" => Known::Default("App.Theme.Colors.Primary"),
            "LoadingSpinner" => Known::Default("LoadingSpinner.None"),
            "ImagePosition" => Known::Default("ImagePosition.Fit"),
            "Height" => Known::Default("Max(App.Height, App.MinScreenHeight)"),
            "Width" => Known::Default("Max(App.Width, App.MinScreenWidth)"),
            "Size" => Known::Default(
                "1 + CountRows(App.SizeBreakpoints) - CountIf(App.SizeBreakpoints, Value >= Self.Width)",
            ),
            "Orientation" => {
                Known::Default("If(Self.Width < Self.Height, Layout.Vertical, Layout.Horizontal)")
            }
            _ => return None,
        }),
        // Corpus: the mode is the variant; an auto-layout container always states its direction.
        "groupContainer" => match property {
            "LayoutMode" => Some(Known::Skip),
            "LayoutDirection" if auto_layout => Some(Known::NoDefault),
            "LayoutWrap" => Some(Known::Default("false")),
            "ChildTabPriority" => Some(Known::Default("true")),
            _ => None,
        },
        // Corpus: `Icon` is written even when it equals the template's (or the variant's) glyph.
        "icon" if property == "Icon" => Some(Known::NoDefault),
        _ => None,
    }
}

/// Theme palette entries Studio does not count as defaults: a property whose style takes its
/// value from one of them is always written (corpus: a classic label's `BorderColor` and
/// `Font` equal to the theme; published output shows the same for rectangles, images,
/// galleries, forms and icons).
pub const NON_DEFAULT_PALETTE: &[&str] = &["InputBorderColor", "TextBodyFontFace"];

/// English texts of the localization keys seen as template defaults (Studio resolves them
/// when the control is inserted; corpus: a label's `"Text"` is not written).
pub fn localized_default(key: &str) -> Option<&'static str> {
    match key {
        "##Label_DefaultValue_Text##" => Some("\"Text\""),
        _ => None,
    }
}

/// Defaults of shared properties for templates that do not declare them (the code-defined
/// containers of old documents) or declare them without a value. The values of the
/// reference tool's common-property list (`commonStyleProperties.xml`), plus
/// `ContentLanguage` (corpus: a label's `ContentLanguage: =""` is not written).
pub fn common_default(property: &str) -> Option<&'static str> {
    Some(match property {
        "ContentLanguage" => "\"\"",
        "X" | "Y" => "0",
        "Visible" => "true",
        "DisplayMode" => "DisplayMode.Edit",
        "LayoutMode" => "LayoutMode.Manual",
        "LayoutDirection" => "LayoutDirection.Horizontal",
        "LayoutWrap" => "false",
        "LayoutAlignItems" => "LayoutAlignItems.Start",
        "LayoutJustifyContent" => "LayoutJustifyContent.Start",
        "LayoutOverflowX" | "LayoutOverflowY" => "LayoutOverflow.Hide",
        "LayoutGap" => "0",
        "RadiusTopLeft" | "RadiusTopRight" | "RadiusBottomLeft" | "RadiusBottomRight" => "0",
        _ => return None,
    })
}

/// Sizes of first-party code components, whose templates the app does not carry (corpus:
/// these values are not written).
pub fn pcf_size_default(template_name: &str, property: &str) -> Option<&'static str> {
    let (width, height) = match template_name {
        "PowerApps_CoreControls_TextCanvas" | "PowerApps_CoreControls_ButtonCanvas" => ("96", "32"),
        "PowerApps_CoreControls_CheckboxCanvas" => ("160", "32"),
        "PowerApps_CoreControls_Toggle" => ("113", "35"),
        "Microsoft_CoreControls_Label" | "Microsoft_CoreControls_TextBox" => ("320", "32"),
        "Microsoft_CoreControls_Slider" => ("320", "64"),
        "Microsoft_CoreControls_Rating" => ("320", "36"),
        _ => return None,
    };
    match property {
        "Width" => Some(width),
        "Height" => Some(height),
        _ => None,
    }
}

/// Templates that hold other controls: in an auto-layout container they fill and stretch by
/// default, and their minimum size is 32.
pub const CONTAINER_LIKE: &[&str] = &[
    "dataCard",
    "dataGrid",
    "dataTable",
    "dataTableColumn",
    "datatableHeaderCellCard",
    "datatableRowCellCard",
    "entityForm",
    "fluidGrid",
    "form",
    "formViewer",
    "gallery",
    "groupContainer",
    "layoutContainer",
    "pcfDataField",
    "typedDataCard",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(control_type("label"), "Label");
        assert_eq!(control_type("icon"), "Classic/Icon");
        assert_eq!(control_type("groupContainer"), "GroupContainer");
        assert_eq!(control_type("PowerApps_CoreControls_TextCanvas"), "Text");
        assert_eq!(
            control_type("PowerApps_CoreControls_ButtonCanvas"),
            "Button"
        );
        assert_eq!(
            control_type("PowerApps_CoreControls_CheckboxCanvas"),
            "CheckBox"
        );
        assert_eq!(control_type("PowerApps_CoreControls_Toggle"), "Toggle");
        assert_eq!(
            control_type("Microsoft_CoreControls_Label"),
            "FluentV8/Label"
        );
        assert_eq!(control_type("rectangle"), "Rectangle");
        assert_eq!(control_type(""), "");
    }

    #[test]
    fn generations() {
        assert_eq!(Generation::of("1.345", "2.4.0"), Generation::Preview);
        assert_eq!(Generation::of("1.346", "2.4.0"), Generation::Current);
        assert_eq!(Generation::of("1.349", "2.4.0"), Generation::Current);
        assert_eq!(Generation::of("1.330", "2.2.0"), Generation::Current);
        assert_eq!(Generation::of("", ""), Generation::Current);
    }
}
