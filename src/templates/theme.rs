//! Theme styles (`References\Themes.json`): the style list of the theme named by
//! `CurrentTheme`, with palette references and reserved names resolved. Style names compare
//! case-insensitively; `phoneValue` entries are not defaults.

use std::collections::HashMap;

use super::ordered::OrderedMap;
use super::text::{first_palette_reference, unescape_reserved};
use crate::json::Json;

#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Keyed by the case-folded style name.
    styles: HashMap<String, OrderedMap>,
}

impl Theme {
    /// Reads the current theme; anything missing or malformed simply contributes no styles.
    pub fn from_json(themes: &Json) -> Theme {
        let mut theme = Theme::default();
        let Some(current) = themes.get("CurrentTheme").and_then(Json::as_str) else {
            return theme;
        };
        let Some(found) = themes
            .get("CustomThemes")
            .and_then(Json::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|t| t.get("name").and_then(Json::as_str) == Some(current))
            })
        else {
            return theme;
        };

        let mut palette: HashMap<&str, &str> = HashMap::new();
        for entry in found
            .get("palette")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(name), Some(value)) = (
                entry.get("name").and_then(Json::as_str),
                entry.get("value").and_then(Json::as_str),
            ) {
                // A repeated palette name: the later entry wins.
                palette.insert(name, value);
            }
        }

        for style in found
            .get("styles")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let Some(style_name) = style.get("name").and_then(Json::as_str) else {
                continue;
            };
            let rules = theme.styles.entry(fold_case(style_name)).or_default();
            for rule in style
                .get("propertyValuesMap")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(property), Some(value)) = (
                    rule.get("property").and_then(Json::as_str),
                    rule.get("value").and_then(Json::as_str),
                ) {
                    rules.insert_if_absent(property, resolve(value, &palette));
                }
            }
        }
        theme
    }

    pub fn lookup(&self, style_name: &str, property: &str) -> Option<&str> {
        self.style(style_name).and_then(|s| s.get(property))
    }

    pub fn style(&self, style_name: &str) -> Option<&OrderedMap> {
        self.styles.get(&fold_case(style_name))
    }
}

/// Replaces the first palette reference (every occurrence of that same reference text) by its
/// palette value when the palette has it, then unescapes reserved names.
fn resolve(value: &str, palette: &HashMap<&str, &str>) -> String {
    let substituted = match first_palette_reference(value) {
        Some((reference, name)) => match palette.get(name) {
            Some(resource) => value.replace(reference, resource),
            None => value.to_string(),
        },
        None => value.to_string(),
    };
    unescape_reserved(&substituted)
}

/// Ordinal case-insensitive key: each character upper-cased on its own.
fn fold_case(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(single), None) => single,
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Object;

    fn obj(members: Vec<(&str, Json)>) -> Json {
        Json::Object(Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
    }

    fn rule(property: &str, value: &str) -> Json {
        obj(vec![
            ("property", Json::str(property)),
            ("value", Json::str(value)),
        ])
    }

    fn pal(name: &str, value: &str) -> Json {
        obj(vec![("name", Json::str(name)), ("value", Json::str(value))])
    }

    pub(crate) fn sample_themes() -> Json {
        let current = obj(vec![
            ("name", Json::str("mine")),
            (
                "palette",
                Json::Array(vec![
                    pal("PrimaryColor1", "RGBA(1, 1, 1, 1)"),
                    pal("Font", "%Font.RESERVED%.'Segoe UI'"),
                    pal("Dup", "first"),
                    pal("Dup", "second"),
                ]),
            ),
            (
                "styles",
                Json::Array(vec![
                    obj(vec![
                        ("name", Json::str("defaultLabelStyle")),
                        (
                            "propertyValuesMap",
                            Json::Array(vec![
                                rule("Color", "%Palette.PrimaryColor1%"),
                                rule("Font", "%Palette.Font%"),
                                rule(
                                    "Both",
                                    "If(x, %Palette.PrimaryColor1%, %Palette.PrimaryColor1%, %Palette.Dup%)",
                                ),
                                rule("Missing", "%Palette.Nope%"),
                                rule("Dup", "%Palette.Dup%"),
                                rule("Overflow", "%Overflow.RESERVED%.Hidden"),
                                rule("Text", "\"##label_Text##\""),
                                rule("Color", "ignored duplicate"),
                                obj(vec![
                                    ("property", Json::str("Phone")),
                                    ("phoneValue", Json::str("1")),
                                ]),
                            ]),
                        ),
                    ]),
                    obj(vec![
                        ("name", Json::str("DEFAULTLABELSTYLE")),
                        ("propertyValuesMap", Json::Array(vec![rule("Extra", "7")])),
                    ]),
                ]),
            ),
        ]);
        let other = obj(vec![
            ("name", Json::str("other")),
            (
                "styles",
                Json::Array(vec![obj(vec![
                    ("name", Json::str("defaultButtonStyle")),
                    ("propertyValuesMap", Json::Array(vec![rule("Fill", "1")])),
                ])]),
            ),
        ]);
        obj(vec![
            ("CurrentTheme", Json::str("mine")),
            ("CustomThemes", Json::Array(vec![other, current])),
        ])
    }

    #[test]
    fn current_theme_styles() {
        let theme = Theme::from_json(&sample_themes());
        assert_eq!(
            theme.lookup("defaultLabelStyle", "Color"),
            Some("RGBA(1, 1, 1, 1)")
        );
        assert_eq!(
            theme.lookup("defaultlabelstyle", "Font"),
            Some("Font.'Segoe UI'")
        );
        assert_eq!(
            theme.lookup("defaultLabelStyle", "Both"),
            Some("If(x, RGBA(1, 1, 1, 1), RGBA(1, 1, 1, 1), %Palette.Dup%)")
        );
        assert_eq!(
            theme.lookup("defaultLabelStyle", "Missing"),
            Some("%Palette.Nope%")
        );
        assert_eq!(theme.lookup("defaultLabelStyle", "Dup"), Some("second"));
        assert_eq!(
            theme.lookup("defaultLabelStyle", "Overflow"),
            Some("Overflow.Hidden")
        );
        assert_eq!(theme.lookup("defaultLabelStyle", "Extra"), Some("7"));
        assert_eq!(theme.lookup("defaultLabelStyle", "Phone"), None);
        assert_eq!(theme.lookup("defaultButtonStyle", "Fill"), None);
        let keys: Vec<&str> = theme.style("DefaultLabelStyle").unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Color", "Font", "Both", "Missing", "Dup", "Overflow", "Text", "Extra"
            ]
        );
    }

    #[test]
    fn missing_pieces() {
        assert!(Theme::from_json(&Json::Null).styles.is_empty());
        assert!(
            Theme::from_json(&obj(vec![("CurrentTheme", Json::str("x"))]))
                .styles
                .is_empty()
        );
    }
}
