//! Templates Studio builds in code rather than shipping as XML (`appinfo`, `screen`, and the
//! `groupContainer` of documents older than 1.318), and the defaults auto-layout containers
//! give their children. Values as the reference tool defines them (`GlobalTemplates.cs`,
//! `DynamicProperties.cs`).

use super::ordered::OrderedMap;
use super::{AppType, ControlTemplate};

pub fn appinfo(app: AppType) -> ControlTemplate {
    let phone = app == AppType::Phone;
    let mut t = ControlTemplate::new("appinfo", "1.0", "http://microsoft.com/appmagic/appinfo");
    t.input_defaults = [
        ("MinScreenHeight", if phone { "640" } else { "320" }),
        ("MinScreenWidth", if phone { "640" } else { "320" }),
        ("ConfirmExit", "false"),
        (
            "SizeBreakpoints",
            if phone {
                "[1200, 1800, 2400]"
            } else {
                "[600, 900, 1200]"
            },
        ),
    ]
    .into_iter()
    .collect();
    t
}

pub fn screen() -> ControlTemplate {
    let mut t = ControlTemplate::new("screen", "1.0", "http://microsoft.com/appmagic/screen");
    t.input_defaults = [
        ("Fill", "RGBA(255, 255, 255, 1)"),
        ("Height", "Max(App.Height, App.MinScreenHeight)"),
        ("Width", "Max(App.Width, App.MinScreenWidth)"),
        ("Size", "1 + CountRows(App.SizeBreakpoints) - CountIf(App.SizeBreakpoints, Value >= Self.Width)"),
        ("Orientation", "If(Self.Width < Self.Height, Layout.Vertical, Layout.Horizontal)"),
        ("LoadingSpinner", "LoadingSpinner.None"),
        ("LoadingSpinnerColor", "RGBA(0, 51, 102, 1)"),
        ("ImagePosition", "ImagePosition.Fit"),
    ]
    .into_iter()
    .collect();
    t
}

pub fn group_container(app: AppType) -> ControlTemplate {
    let mut t = ControlTemplate::new(
        "groupContainer",
        "1.0",
        "http://microsoft.com/appmagic/groupContainer",
    );
    t.input_defaults = [
        ("Width", "500"),
        ("Height", if app == AppType::Phone { "225" } else { "200" }),
        ("PaddingTop", "0"),
        ("PaddingBottom", "0"),
        ("PaddingRight", "0"),
        ("PaddingLeft", "0"),
        ("BorderColor", "RGBA(0, 0, 0, 1)"),
        ("BorderStyle", "BorderStyle.Solid"),
        ("BorderThickness", "0"),
        ("Fill", "RGBA(0, 0, 0, 0)"),
        ("X", "0"),
        ("Y", "0"),
        ("Visible", "true"),
        ("ChildTabPriority", "true"),
        ("EnableChildFocus", "true"),
    ]
    .into_iter()
    .collect();
    // The manual variant really does say `LayoutMode.Auto` in the reference.
    for (variant, direction) in [
        (
            "horizontalAutoLayoutContainer",
            "LayoutDirection.Horizontal",
        ),
        ("verticalAutoLayoutContainer", "LayoutDirection.Vertical"),
        ("manualLayoutContainer", "LayoutDirection.Manual"),
    ] {
        let defaults: OrderedMap = [
            ("LayoutMode", "LayoutMode.Auto"),
            ("LayoutDirection", direction),
            ("LayoutWrap", "false"),
            ("LayoutAlignItems", "LayoutAlignItems.Start"),
            ("LayoutJustifyContent", "LayoutJustifyContent.Start"),
            ("LayoutGap", "0"),
            ("LayoutOverflowX", "LayoutOverflow.Hide"),
            ("LayoutOverflowY", "LayoutOverflow.Hide"),
        ]
        .into_iter()
        .collect();
        t.variant_defaults.push((variant.to_string(), defaults));
    }
    t
}

/// Templates that hold other controls: inside an auto-layout container they stretch and fill
/// by default, other controls keep their own size.
const CONTAINER_LIKE: &[&str] = &[
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

/// The responsive properties in the order they are restored.
pub const RESPONSIVE_PROPERTIES: [&str; 4] = [
    "FillPortions",
    "AlignInContainer",
    "LayoutMinHeight",
    "LayoutMinWidth",
];

/// The responsive default of `property` for a child of type `type_name`; `own_default` gives the
/// child's own `Height`/`Width` default (theme, then template) for non-container children.
pub fn responsive_default(
    property: &str,
    type_name: &str,
    own_default: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let container = CONTAINER_LIKE.contains(&type_name);
    let value = match property {
        "FillPortions" => (if container { "1" } else { "0" }).to_string(),
        "AlignInContainer" => (if container {
            "AlignInContainer.Stretch"
        } else {
            "AlignInContainer.SetByContainer"
        })
        .to_string(),
        "LayoutMinHeight" | "LayoutMinWidth" if container => "32".to_string(),
        "LayoutMinHeight" => own_default("Height").unwrap_or_else(|| "0".to_string()),
        "LayoutMinWidth" => own_default("Width").unwrap_or_else(|| "0".to_string()),
        _ => return None,
    };
    Some(value)
}
