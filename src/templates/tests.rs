use super::*;
use crate::json::Object;

const LABEL: &str = r###"<widget xmlns="http://openajax.org/metadata" id="http://microsoft.com/appmagic/label" name="label" version="2.3.0" xmlns:appMagic="http://schemas.microsoft.com/appMagic">
  <properties>
    <property name="LineHeight" datatype="Number" defaultValue="1.2" />
    <property name="Overflow" datatype="Overflow" defaultValue="%Overflow.RESERVED%.Hidden" isExpr="true" />
    <property name="AutoHeight" datatype="Boolean" defaultValue="false" />
  </properties>
  <appMagic:includeProperties>
    <appMagic:includeProperty name="Text" defaultValue="##Label_DefaultValue_Text##" isExpr="true" />
    <appMagic:includeProperty name="Color" defaultValue="RGBA(0, 0, 0, 1)" />
    <appMagic:includeProperty name="Fill" />
    <appMagic:includeProperty name="Width" defaultValue="150" />
    <appMagic:includeProperty name="Height" defaultValue="40" />
    <appMagic:includeProperty name="Tooltip" />
  </appMagic:includeProperties>
</widget>"###;

const GALLERY: &str = r#"<widget xmlns="http://openajax.org/metadata" id="http://microsoft.com/appmagic/gallery" name="gallery" version="2.10.0" xmlns:appMagic="http://schemas.microsoft.com/appMagic">
  <properties><property name="Items" datatype="Table" defaultValue="CustomGallerySample" isExpr="true" /></properties>
  <appMagic:nestedWidgets>
    <appMagic:dataControlWidget name="galleryTemplate" id="http://microsoft.com/appmagic/galleryTemplate" version="1.0">
      <properties>
        <property name="IsSelected" datatype="Boolean" direction="out" />
        <property name="TemplateFill" datatype="Color" direction="in" defaultValue="RGBA(0, 0, 0, 0)" isExpr="true" />
        <property name="OnSelect" datatype="Boolean" defaultValue="false" direction="in" />
      </properties>
    </appMagic:dataControlWidget>
  </appMagic:nestedWidgets>
</widget>"#;

fn obj(members: Vec<(&str, Json)>) -> Json {
    Json::Object(Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    ))
}

fn style(name: &str, rules: &[(&str, &str)]) -> Json {
    let rules = rules
        .iter()
        .map(|(p, v)| obj(vec![("property", Json::str(*p)), ("value", Json::str(*v))]))
        .collect();
    obj(vec![
        ("name", Json::str(name)),
        ("propertyValuesMap", Json::Array(rules)),
    ])
}

fn themes() -> Json {
    let theme = obj(vec![
        ("name", Json::str("t")),
        (
            "palette",
            Json::Array(vec![obj(vec![
                ("name", Json::str("Main")),
                ("value", Json::str("RGBA(9, 9, 9, 1)")),
            ])]),
        ),
        (
            "styles",
            Json::Array(vec![
                style(
                    "defaultLabelStyle",
                    &[
                        ("Color", "%Palette.Main%"),
                        ("LineHeight", "##loc_key##"),
                        ("Size", "13"),
                        ("Fill", "RGBA(1, 2, 3, 1)"),
                    ],
                ),
                style("headerLabelStyle", &[("Size", "20")]),
                style("defaultScreenStyle", &[("Fill", "RGBA(0, 0, 1, 1)")]),
            ]),
        ),
    ]);
    obj(vec![
        ("CurrentTheme", Json::str("t")),
        ("CustomThemes", Json::Array(vec![theme])),
    ])
}

fn defaults(app: &str) -> Defaults {
    let used = vec![
        ("label".to_string(), LABEL.to_string()),
        ("gallery".to_string(), GALLERY.to_string()),
    ];
    Defaults::new(&used, Some(&themes()), app).unwrap()
}

fn ctx(type_name: &str) -> ControlCtx<'_> {
    ControlCtx {
        type_name,
        ..ControlCtx::default()
    }
}

#[test]
fn strip_precedence() {
    let d = defaults("DesktopOrTablet");
    let label = ctx("label");
    // theme wins over template
    assert_eq!(
        d.strip_default(&label, "Color").as_deref(),
        Some("RGBA(9, 9, 9, 1)")
    );
    assert_eq!(
        d.strip_default(&label, "Fill").as_deref(),
        Some("RGBA(1, 2, 3, 1)")
    );
    // a theme localization key hides the template default
    assert_eq!(d.strip_default(&label, "LineHeight"), None);
    // template only
    assert_eq!(
        d.strip_default(&label, "Overflow").as_deref(),
        Some("Overflow.Hidden")
    );
    assert_eq!(d.strip_default(&label, "Tooltip").as_deref(), Some("\"\""));
    // template localization key: never a default
    assert_eq!(d.strip_default(&label, "Text"), None);
    assert_eq!(d.strip_default(&label, "Nope"), None);
    // the style comes from the editor state when there is one (case-insensitive)
    let header = ControlCtx {
        style_name: Some("HEADERlabelStyle"),
        ..label
    };
    assert_eq!(d.strip_default(&header, "Size").as_deref(), Some("20"));
    assert_eq!(
        d.strip_default(&header, "Color").as_deref(),
        Some("RGBA(0, 0, 0, 1)")
    );
    assert_eq!(
        d.strip_default(&header, "LineHeight").as_deref(),
        Some("1.2")
    );
    // unknown template: theme only
    assert_eq!(d.strip_default(&ctx("group"), "X"), None);
}

#[test]
fn code_defined_templates() {
    let d = defaults("Phone");
    assert_eq!(
        d.strip_default(&ctx("appinfo"), "MinScreenHeight")
            .as_deref(),
        Some("640")
    );
    assert_eq!(
        d.strip_default(&ctx("appinfo"), "SizeBreakpoints")
            .as_deref(),
        Some("[1200, 1800, 2400]")
    );
    assert_eq!(
        d.strip_default(&ctx("screen"), "Fill").as_deref(),
        Some("RGBA(0, 0, 1, 1)")
    );
    assert_eq!(
        d.strip_default(&ctx("screen"), "LoadingSpinnerColor")
            .as_deref(),
        Some("RGBA(0, 51, 102, 1)")
    );
    let d = defaults("Web");
    assert_eq!(
        d.strip_default(&ctx("appinfo"), "MinScreenWidth")
            .as_deref(),
        Some("320")
    );
    let info = d.template("appinfo").unwrap();
    assert_eq!(
        (info.version.as_str(), info.id.as_str()),
        ("1.0", "http://microsoft.com/appmagic/appinfo")
    );
}

#[test]
fn group_container_variants() {
    let d = defaults("DesktopOrTablet");
    let horizontal = ControlCtx {
        variant: Some("horizontalAutoLayoutContainer"),
        ..ctx("groupContainer")
    };
    assert_eq!(
        d.strip_default(&horizontal, "LayoutDirection").as_deref(),
        Some("LayoutDirection.Horizontal")
    );
    assert_eq!(
        d.strip_default(&horizontal, "Height").as_deref(),
        Some("200")
    );
    let manual = ControlCtx {
        variant: Some("manualLayoutContainer"),
        ..ctx("groupContainer")
    };
    assert_eq!(
        d.strip_default(&manual, "LayoutMode").as_deref(),
        Some("LayoutMode.Auto")
    );
    assert_eq!(
        d.strip_default(&manual, "LayoutDirection").as_deref(),
        Some("LayoutDirection.Manual")
    );
    assert_eq!(
        d.strip_default(&ctx("groupContainer"), "LayoutDirection"),
        None
    );
    assert_eq!(
        defaults("Phone")
            .strip_default(&ctx("groupContainer"), "Height")
            .as_deref(),
        Some("225")
    );

    let restored = d.restore_defaults(&horizontal);
    let names: Vec<&str> = restored.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&names[..3], ["LayoutMode", "LayoutDirection", "LayoutWrap"]);
    assert_eq!(names.len(), 8 + 15);

    // An XML groupContainer replaces the code-defined one, variants and all.
    let xml = r#"<widget xmlns="http://openajax.org/metadata" id="http://microsoft.com/appmagic/groupContainer" name="groupContainer" version="1.3.0"><properties><property name="Width" datatype="Number" defaultValue="300" /></properties></widget>"#;
    let d = Defaults::new(&[("groupContainer".to_string(), xml.to_string())], None, "").unwrap();
    assert_eq!(d.strip_default(&horizontal, "LayoutDirection"), None);
    assert_eq!(
        d.strip_default(&horizontal, "Width").as_deref(),
        Some("300")
    );
    assert_eq!(d.template("groupContainer").unwrap().version, "1.3.0");
}

#[test]
fn responsive_defaults() {
    let d = defaults("DesktopOrTablet");
    assert!(adds_responsive_context("groupContainer", None));
    assert!(adds_responsive_context(
        "groupContainer",
        Some("verticalAutoLayoutContainer")
    ));
    assert!(!adds_responsive_context(
        "groupContainer",
        Some("manualLayoutContainer")
    ));
    assert!(!adds_responsive_context("gallery", None));

    let label = ControlCtx {
        in_responsive_container: true,
        ..ctx("label")
    };
    assert_eq!(
        d.strip_default(&label, "FillPortions").as_deref(),
        Some("0")
    );
    assert_eq!(
        d.strip_default(&label, "AlignInContainer").as_deref(),
        Some("AlignInContainer.SetByContainer")
    );
    assert_eq!(
        d.strip_default(&label, "LayoutMinHeight").as_deref(),
        Some("40")
    );
    assert_eq!(
        d.strip_default(&label, "LayoutMinWidth").as_deref(),
        Some("150")
    );
    assert_eq!(d.strip_default(&ctx("label"), "FillPortions"), None);

    let gallery = ControlCtx {
        in_responsive_container: true,
        ..ctx("gallery")
    };
    assert_eq!(
        d.strip_default(&gallery, "FillPortions").as_deref(),
        Some("1")
    );
    assert_eq!(
        d.strip_default(&gallery, "AlignInContainer").as_deref(),
        Some("AlignInContainer.Stretch")
    );
    assert_eq!(
        d.strip_default(&gallery, "LayoutMinWidth").as_deref(),
        Some("32")
    );

    let unknown = ControlCtx {
        in_responsive_container: true,
        ..ctx("pcfThing")
    };
    assert_eq!(
        d.strip_default(&unknown, "LayoutMinHeight").as_deref(),
        Some("0")
    );

    // On pack responsive values override template and theme values.
    let restored = d.restore_defaults(&label);
    let tail: Vec<(&str, &str)> = restored[restored.len() - 4..]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tail,
        [
            ("FillPortions", "0"),
            ("AlignInContainer", "AlignInContainer.SetByContainer"),
            ("LayoutMinHeight", "40"),
            ("LayoutMinWidth", "150")
        ]
    );
}

#[test]
fn restore_order_and_values() {
    let d = defaults("DesktopOrTablet");
    let restored = d.restore_defaults(&ctx("label"));
    let as_str: Vec<(&str, &str)> = restored
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        as_str,
        [
            ("LineHeight", "1.2"),
            ("Overflow", "Overflow.Hidden"),
            ("AutoHeight", "false"),
            ("Color", "RGBA(9, 9, 9, 1)"),
            ("Fill", "RGBA(1, 2, 3, 1)"),
            ("Width", "150"),
            ("Height", "40"),
            ("Tooltip", "\"\""),
            ("Size", "13"),
        ]
    );
    // Unlike stripping, a theme localization key does not hide the template default here.
    assert!(as_str.contains(&("LineHeight", "1.2")));
}

#[test]
fn gallery_template_widget() {
    let d = defaults("DesktopOrTablet");
    assert_eq!(
        d.input_properties("galleryTemplate"),
        ["TemplateFill", "OnSelect"]
    );
    assert_eq!(
        d.strip_default(&ctx("galleryTemplate"), "TemplateFill")
            .as_deref(),
        Some("RGBA(0, 0, 0, 0)")
    );
    assert_eq!(d.input_properties("gallery"), ["Items"]);
    assert!(d.input_properties("nothing").is_empty());
    let names: Vec<&str> = d.templates().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "label",
            "gallery",
            "galleryTemplate",
            "appinfo",
            "screen",
            "groupContainer"
        ]
    );
    let t = d.template("galleryTemplate").unwrap();
    assert_eq!(
        (t.version.as_str(), t.id.as_str()),
        ("1.0", "http://microsoft.com/appmagic/galleryTemplate")
    );
}

#[test]
fn component_defaults() {
    let mut d = defaults("DesktopOrTablet");
    d.add_component_defaults(
        "cmp_1",
        vec![
            ("Width".into(), "640".into()),
            ("Label".into(), "\"x\"".into()),
        ],
    );
    let inst = ctx("cmp_1");
    assert_eq!(d.strip_default(&inst, "Width").as_deref(), Some("640"));
    assert_eq!(d.strip_default(&inst, "Height"), None);
    assert_eq!(
        d.restore_defaults(&inst),
        [
            ("Width".to_string(), "640".to_string()),
            ("Label".to_string(), "\"x\"".to_string())
        ]
    );
    assert_eq!(d.input_properties("cmp_1"), ["Width", "Label"]);
}

#[test]
fn errors_and_no_theme() {
    let err = Defaults::new(
        &[("label".to_string(), "<widget".to_string())],
        None,
        "Phone",
    )
    .unwrap_err();
    assert!(err.to_string().contains("label"), "{err}");
    let d = Defaults::new(&[], None, "Phone").unwrap();
    assert_eq!(d.app_type(), AppType::Phone);
    assert_eq!(
        d.strip_default(&ctx("screen"), "Fill").as_deref(),
        Some("RGBA(255, 255, 255, 1)")
    );
    assert!(d.restore_defaults(&ctx("unknown")).is_empty());
}
