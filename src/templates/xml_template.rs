//! Control template XML (OpenAjax widget manifests, `References\Templates.json`
//! `UsedTemplates[].Template`) → input-property defaults.
//!
//! What counts (as the reference tool reads it): `<properties>/<property>` that are not
//! `direction="out"`, then `<appMagic:includeProperties>/<appMagic:includeProperty>`, and for
//! the gallery the `<appMagic:nestedWidgets>/<appMagic:dataControlWidget>` widgets with their
//! own `<properties>`. `<appMagic:controlVariants>` overrides are deliberately ignored: the
//! reference never applies them, so `pac` keeps e.g. a `galleryVertical` gallery's
//! `Layout: =Layout.Vertical` line, and we must strip exactly what it strips.
//!
//! Where the reference gives up on the whole app (a property without `name`, a duplicate
//! property, a missing `datatype`, a gallery without nested widgets) we keep going: first
//! definition wins, missing `datatype` means "not a string". Only XML that does not parse or
//! is not a widget is an error.

use roxmltree::{Document, Node};

use super::common_props::common_default;
use super::ordered::OrderedMap;
use super::text::{is_localization_key, unescape_reserved};
use super::{AppType, ControlTemplate};

const OPENAJAX_NS: &str = "http://openajax.org/metadata";
const APPMAGIC_NS: &str = "http://schemas.microsoft.com/appMagic";
const GALLERY_ID: &str = "http://microsoft.com/appmagic/gallery";

/// Parses one template. Returns the template registered as `name` followed by its nested
/// widgets (galleries only), or a message saying why the XML is unusable.
pub fn parse_template(name: &str, xml: &str, app: AppType) -> Result<Vec<ControlTemplate>, String> {
    let doc = Document::parse(xml).map_err(|e| e.to_string())?;
    let widget = doc.root_element();
    if !has_name(widget, OPENAJAX_NS, "widget") {
        return Err(format!(
            "root element is <{}>, expected an OpenAjax <widget>",
            widget.tag_name().name()
        ));
    }

    let mut template = ControlTemplate::new(name, attr(widget, "version"), attr(widget, "id"));
    if let Some(properties) = child(widget, OPENAJAX_NS, "properties") {
        add_properties(&mut template.input_defaults, properties, app);
    }
    if let Some(includes) = child(widget, APPMAGIC_NS, "includeProperties") {
        for include in children(includes, APPMAGIC_NS, "includeProperty") {
            add_include_property(&mut template.input_defaults, include, app);
        }
    }

    let mut nested = Vec::new();
    if template.id == GALLERY_ID
        && let Some(widgets) = child(widget, APPMAGIC_NS, "nestedWidgets")
    {
        for inner in children(widgets, APPMAGIC_NS, "dataControlWidget") {
            let mut inner_template = ControlTemplate::new(
                attr(inner, "name"),
                attr(inner, "version"),
                attr(inner, "id"),
            );
            if let Some(properties) = child(inner, OPENAJAX_NS, "properties") {
                add_properties(&mut inner_template.input_defaults, properties, app);
            }
            nested.push(inner_template);
        }
    }

    let mut all = vec![template];
    all.extend(nested);
    Ok(all)
}

fn add_properties(defaults: &mut OrderedMap, properties: Node, app: AppType) {
    for property in children(properties, OPENAJAX_NS, "property") {
        if property.attribute("direction") == Some("out") {
            continue;
        }
        if let Some((name, value)) = property_default(property, app) {
            defaults.insert_if_absent(name, value);
        }
    }
}

fn add_include_property(defaults: &mut OrderedMap, include: Node, app: AppType) {
    if include.attribute("direction") == Some("out") {
        return;
    }
    let Some(name) = include.attribute("name") else {
        return;
    };
    if defaults.contains_key(name) {
        return;
    }
    // An include's own default is only reserved-unescaped (never quoted), and its
    // phone/web variants are not consulted.
    let value = match include.attribute("defaultValue") {
        Some(own) => unescape_reserved(own),
        None => common_default(name, app == AppType::Phone).to_string(),
    };
    defaults.insert_if_absent(name, value);
}

/// A `<property>`'s name and default formula for this kind of app (`""` when it has none).
fn property_default<'a>(property: Node<'a, '_>, app: AppType) -> Option<(&'a str, String)> {
    let name = property.attribute("name")?;
    let raw = match app {
        AppType::Phone => property.attribute("phoneDefaultValue"),
        AppType::Web => property.attribute("webDefaultValue"),
        AppType::Other => None,
    }
    .or_else(|| property.attribute("defaultValue"));
    let Some(raw) = raw else {
        return Some((name, String::new()));
    };
    let value = unescape_reserved(raw);
    let is_expr = property
        .attribute("isExpr")
        .is_some_and(dotnet_bool_is_true);
    let is_uri = property.attribute("format") == Some("uri");
    let is_string = property.attribute("datatype") == Some("String");
    if is_string && !is_expr && !is_uri && !is_localization_key(&value) {
        // Plain text defaults become string literals; the reference does not double inner quotes.
        Some((name, format!("\"{value}\"")))
    } else {
        Some((name, value))
    }
}

/// `bool.TryParse(s) && result`: case-insensitive, surrounding whitespace and NULs ignored.
fn dotnet_bool_is_true(value: &str) -> bool {
    value
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .eq_ignore_ascii_case("true")
}

fn has_name(node: Node, namespace: &str, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node.tag_name().namespace() == Some(namespace)
}

fn child<'a, 'i>(node: Node<'a, 'i>, namespace: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| has_name(*c, namespace, local))
}

fn children<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &'static str,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| has_name(*c, namespace, local))
}

fn attr(node: Node, name: &str) -> String {
    node.attribute(name).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = r###"<widget xmlns="http://openajax.org/metadata" id="http://microsoft.com/appmagic/label" name="label" version="2.5.1" xmlns:appMagic="http://schemas.microsoft.com/appMagic">
  <properties>
    <!-- Data -->
    <property name="Live" datatype="Live" defaultValue="%Live.RESERVED%.Off" isExpr="true" />
    <property name="LineHeight" datatype="Number" defaultValue="1.2" />
    <property name="Overflow" datatype="Overflow" defaultValue="%Overflow.RESERVED%.Hidden" isExpr=" True " />
    <property name="Caption" datatype="String" defaultValue="Hello" phoneDefaultValue="Hi" webDefaultValue="Hey" />
    <property name="Link" datatype="String" format="uri" defaultValue="https://x" />
    <property name="Loc" datatype="String" defaultValue="##label_Loc##" />
    <property name="Quoted" datatype="String" defaultValue="a&quot;b" />
    <property name="NoDefault" datatype="String" />
    <property name="AutoHeight" datatype="Boolean" defaultValue="false" />
    <property name="IsOut" datatype="Boolean" direction="out" defaultValue="true" />
    <property datatype="Boolean" defaultValue="true" />
    <property name="LineHeight" datatype="Number" defaultValue="99" />
    <property name="NoType" defaultValue="plain" />
  </properties>
  <appMagic:includeProperties>
    <appMagic:includeProperty name="Text" defaultValue="##Label_DefaultValue_Text##" isExpr="true" />
    <appMagic:includeProperty name="Tooltip" />
    <appMagic:includeProperty name="ContentLanguage" />
    <appMagic:includeProperty name="Size" defaultValue="14" phoneDefaultValue="24" />
    <appMagic:includeProperty name="VerticalAlign" defaultValue="%VerticalAlign.RESERVED%.Middle" />
    <appMagic:includeProperty name="Font" />
    <appMagic:includeProperty name="NumberOfColumns" />
    <appMagic:includeProperty name="AutoHeight" defaultValue="true" />
    <appMagic:includeProperty name="ActualWidth" direction="out" />
    <appMagic:includeProperty name="Plain" defaultValue="words" />
  </appMagic:includeProperties>
  <appMagic:controlVariants>
    <appMagic:controlVariant name="v1"><appMagic:overrideProperties><appMagic:overrideProperty name="LineHeight" defaultValue="2" /></appMagic:overrideProperties></appMagic:controlVariant>
  </appMagic:controlVariants>
</widget>"###;

    fn defaults(xml: &str, app: AppType) -> Vec<(String, String)> {
        let templates = parse_template("label", xml, app).unwrap();
        templates[0].input_defaults.clone().into_vec()
    }

    fn get(list: &[(String, String)], name: &str) -> Option<String> {
        list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn properties_and_includes() {
        let d = defaults(LABEL, AppType::Other);
        let names: Vec<&str> = d.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Live",
                "LineHeight",
                "Overflow",
                "Caption",
                "Link",
                "Loc",
                "Quoted",
                "NoDefault",
                "AutoHeight",
                "NoType",
                "Text",
                "Tooltip",
                "ContentLanguage",
                "Size",
                "VerticalAlign",
                "Font",
                "NumberOfColumns",
                "Plain"
            ]
        );
        assert_eq!(get(&d, "Live").unwrap(), "Live.Off");
        assert_eq!(get(&d, "LineHeight").unwrap(), "1.2");
        assert_eq!(get(&d, "Overflow").unwrap(), "Overflow.Hidden");
        assert_eq!(get(&d, "Caption").unwrap(), "\"Hello\"");
        assert_eq!(get(&d, "Link").unwrap(), "https://x");
        assert_eq!(get(&d, "Loc").unwrap(), "##label_Loc##");
        assert_eq!(get(&d, "Quoted").unwrap(), "\"a\"b\"");
        assert_eq!(get(&d, "NoDefault").unwrap(), "");
        assert_eq!(get(&d, "AutoHeight").unwrap(), "false");
        assert_eq!(get(&d, "NoType").unwrap(), "plain");
        assert_eq!(get(&d, "Text").unwrap(), "##Label_DefaultValue_Text##");
        assert_eq!(get(&d, "Tooltip").unwrap(), "\"\"");
        assert_eq!(get(&d, "ContentLanguage").unwrap(), "");
        assert_eq!(get(&d, "Size").unwrap(), "14");
        assert_eq!(get(&d, "VerticalAlign").unwrap(), "VerticalAlign.Middle");
        assert_eq!(get(&d, "Font").unwrap(), "Font.'Open Sans'");
        assert_eq!(get(&d, "NumberOfColumns").unwrap(), "3");
        assert_eq!(get(&d, "Plain").unwrap(), "words");
    }

    #[test]
    fn phone_and_web_values() {
        let phone = defaults(LABEL, AppType::Phone);
        assert_eq!(get(&phone, "Caption").unwrap(), "\"Hi\"");
        // include properties never use phoneDefaultValue, the common table does
        assert_eq!(get(&phone, "Size").unwrap(), "14");
        assert_eq!(get(&phone, "NumberOfColumns").unwrap(), "1");
        let web = defaults(LABEL, AppType::Web);
        assert_eq!(get(&web, "Caption").unwrap(), "\"Hey\"");
    }

    #[test]
    fn metadata_and_prefixes() {
        // Same namespaces, different prefixes (as in groupContainer 1.3.0).
        let xml = r#"<openAjax:widget id="http://microsoft.com/appmagic/groupContainer" name="groupContainer" version="1.3.0" xmlns="http://schemas.microsoft.com/appMagic" xmlns:openAjax="http://openajax.org/metadata"><includeProperties><includeProperty name="RadiusTopLeft" defaultValue="0" /><includeProperty name="Fill" /></includeProperties><openAjax:properties><openAjax:property name="LayoutMode" datatype="LayoutMode" defaultValue="%LayoutMode.RESERVED%.Manual" isExpr="true" /></openAjax:properties></openAjax:widget>"#;
        let t = parse_template("groupContainer", xml, AppType::Other).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].name.as_str(), t[0].version.as_str(), t[0].id.as_str()),
            (
                "groupContainer",
                "1.3.0",
                "http://microsoft.com/appmagic/groupContainer"
            )
        );
        let d = t[0].input_defaults.clone().into_vec();
        assert_eq!(
            d[0],
            ("LayoutMode".to_string(), "LayoutMode.Manual".to_string())
        );
        assert_eq!(d[1], ("RadiusTopLeft".to_string(), "0".to_string()));
        assert_eq!(d[2], ("Fill".to_string(), "RGBA(0, 0, 0, 0)".to_string()));
    }

    #[test]
    fn gallery_nested_widgets() {
        let xml = r#"<widget xmlns="http://openajax.org/metadata" id="http://microsoft.com/appmagic/gallery" name="gallery" version="2.10.0" xmlns:appMagic="http://schemas.microsoft.com/appMagic">
  <properties><property name="Items" datatype="Table" defaultValue="CustomGallerySample" isExpr="true" /></properties>
  <appMagic:includeProperties><appMagic:includeProperty name="Fill" /></appMagic:includeProperties>
  <appMagic:nestedWidgets>
    <appMagic:dataControlWidget name="galleryTemplate" id="http://microsoft.com/appmagic/galleryTemplate" version="1.0">
      <properties>
        <property name="IsSelected" datatype="Boolean" direction="out" />
        <property name="ItemAccessibleLabel" datatype="String" direction="in" defaultValue="" />
        <property name="TemplateFill" datatype="Color" direction="in" defaultValue="RGBA(0, 0, 0, 0)" isExpr="true" />
        <property name="OnSelect" datatype="Boolean" defaultValue="false" direction="in" />
      </properties>
      <appMagic:includeProperties><appMagic:includeProperty name="Fill" /></appMagic:includeProperties>
    </appMagic:dataControlWidget>
  </appMagic:nestedWidgets>
</widget>"#;
        let t = parse_template("gallery", xml, AppType::Other).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].name, "galleryTemplate");
        assert_eq!(t[1].id, "http://microsoft.com/appmagic/galleryTemplate");
        assert_eq!(t[1].version, "1.0");
        assert_eq!(
            t[1].input_defaults.clone().into_vec(),
            vec![
                ("ItemAccessibleLabel".to_string(), "\"\"".to_string()),
                ("TemplateFill".to_string(), "RGBA(0, 0, 0, 0)".to_string()),
                ("OnSelect".to_string(), "false".to_string()),
            ]
        );
        // Nested widgets of other templates are not registered.
        let other = xml.replace("appmagic/gallery\"", "appmagic/fluidGrid\"");
        assert_eq!(
            parse_template("fluidGrid", &other, AppType::Other)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn bad_xml_is_an_error() {
        assert!(parse_template("x", "<widget", AppType::Other).is_err());
        assert!(
            parse_template(
                "x",
                "<notAWidget xmlns=\"http://openajax.org/metadata\"/>",
                AppType::Other
            )
            .is_err()
        );
        assert!(parse_template("x", "<widget/>", AppType::Other).is_err());
        assert!(parse_template("x", "", AppType::Other).is_err());
    }
}
