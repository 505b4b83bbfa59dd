//! Builds the default-value source for unpack (from the app) and pack (from the tree).
//!
//! Unpack strips against the app's own templates and theme; pack restores against the tree's
//! `pkgs/*.xml` and `Src/Themes.json`, which hold the same data, so a round trip is exact.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::memo::{KeyBuilder, Memo};
use crate::model::MsApp;
use crate::templates::{AppType, ControlCtx, Defaults};

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

/// The shared defaults of [`shared`], handed out as the sources unpack and pack take.
impl DefaultSource for Arc<Defaults> {
    fn strip_default(&self, ctx: &DefaultCtx<'_>, prop: &str) -> Option<String> {
        DefaultSource::strip_default(&**self, ctx, prop)
    }
    fn restore_defaults(&self, ctx: &DefaultCtx<'_>) -> Vec<(String, String)> {
        DefaultSource::restore_defaults(&**self, ctx)
    }
    fn input_properties(&self, template: &str) -> Vec<String> {
        DefaultSource::input_properties(&**self, template)
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

/// Every unpack and pack of one merge reads the same templates and theme (three sides, the
/// merged tree, the merged app read back): build their defaults once per process.
static SHARED: Memo<Built> = Memo::new(4, usize::MAX);

#[derive(Clone)]
struct Built {
    defaults: Arc<Defaults>,
    /// The order the templates were given in, as positions in their sorted list.
    order: Arc<[usize]>,
}

/// The defaults of exactly these inputs, shared with every earlier caller that passed the same.
/// `from_app` and `from_tree` meet here when the tree's `pkgs/*.xml` and `Src/Themes.json`
/// hold what the app's `References` entries hold (as after a pack), whatever the order of the
/// templates (the tree lists them by file name): order only decides which of two templates of
/// the same name counts, and when none share a name, defaults built in any order answer alike.
pub fn shared(
    used_templates: &[(&str, &str)],
    themes: Option<&Json>,
    document_app_type: &str,
) -> Result<Arc<Defaults>> {
    shared_in(&SHARED, used_templates, themes, document_app_type)
}

fn shared_in(
    memo: &Memo<Built>,
    used_templates: &[(&str, &str)],
    themes: Option<&Json>,
    document_app_type: &str,
) -> Result<Arc<Defaults>> {
    let mut order: Vec<usize> = (0..used_templates.len()).collect();
    order.sort_by_key(|i| used_templates.get(*i));
    let order: Arc<[usize]> = order.into();

    let mut key = KeyBuilder::new("templates::Defaults, templates in any order");
    // What `Defaults::new` reads of the app type is its reduced form.
    key.tag(match AppType::from_document_app_type(document_app_type) {
        AppType::Phone => 1,
        AppType::Web => 2,
        AppType::Other => 3,
    });
    key.bytes(&(used_templates.len() as u64).to_le_bytes());
    for (name, xml) in order.iter().filter_map(|i| used_templates.get(*i)) {
        key.text(name).text(xml);
    }
    match themes {
        Some(themes) => digest_json(key.tag(1), themes),
        None => {
            key.tag(0);
        }
    }
    let contents = key.finish();

    let build = || {
        Defaults::from_borrowed(used_templates, themes, document_app_type).map(|defaults| Built {
            defaults: Arc::new(defaults),
            order: order.clone(),
        })
    };
    let any_order = memo.get_or_try(contents, 1, build)?;
    if !any_order.defaults.order_matters() || any_order.order == order {
        return Ok(any_order.defaults);
    }
    let mut key = KeyBuilder::new("templates::Defaults, templates in this order");
    key.bytes(&contents);
    for position in order.iter() {
        key.bytes(&(*position as u64).to_le_bytes());
    }
    Ok(memo.get_or_try(key.finish(), 1, build)?.defaults)
}

fn digest_json(key: &mut KeyBuilder, value: &Json) {
    match value {
        Json::Null => {
            key.tag(b'n');
        }
        Json::Bool(b) => {
            key.tag(if *b { b't' } else { b'f' });
        }
        Json::Number(n) => {
            key.tag(b'#').text(n.raw());
        }
        Json::String(s) => {
            key.tag(b's').text(s);
        }
        Json::Array(items) => {
            key.tag(b'[').bytes(&(items.len() as u64).to_le_bytes());
            for item in items {
                digest_json(key, item);
            }
        }
        Json::Object(object) => {
            key.tag(b'{').bytes(&(object.0.len() as u64).to_le_bytes());
            for (name, member) in &object.0 {
                key.text(name);
                digest_json(key, member);
            }
        }
    }
}

pub fn from_app(app: &MsApp) -> Result<Box<dyn DefaultSource>> {
    Ok(Box::new(of_app(&SHARED, app)?))
}

pub fn from_tree(tree: &SourceTree) -> Result<Box<dyn DefaultSource>> {
    Ok(Box::new(of_tree(&SHARED, tree)?))
}

fn of_app(memo: &Memo<Built>, app: &MsApp) -> Result<Arc<Defaults>> {
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
                used.push((name, xml));
            }
        }
    }
    let app_type = document_app_type(app.json("Properties.json"));
    shared_in(memo, &used, app.json("References\\Themes.json"), &app_type)
}

fn of_tree(memo: &Memo<Built>, tree: &SourceTree) -> Result<Arc<Defaults>> {
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
        used.push((&stem[..cut], text));
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
    shared_in(memo, &used, themes.as_ref(), &app_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{load_msapp, pack_tree, unpack_app};
    use crate::source::unpack::UnpackOptions;

    fn ctx(type_name: &str) -> DefaultCtx<'_> {
        DefaultCtx {
            type_name,
            variant: None,
            style_name: None,
            in_responsive_container: false,
        }
    }

    fn unpacked(app: &str) -> (MsApp, SourceTree) {
        let app = load_msapp(std::path::Path::new(&format!(
            "../shared/corpus/apps/{app}"
        )))
        .unwrap();
        let (tree, _) = unpack_app(&app, "app", &UnpackOptions::default()).unwrap();
        (app, tree)
    }

    #[test]
    fn app_and_tree_of_the_same_data_share_one_build() {
        let memo = Memo::new(4, usize::MAX);
        let (app, tree) = unpacked("MyWeather.msapp");
        let of_the_tree = of_tree(&memo, &tree).unwrap();
        // A packed app carries the tree's templates (in another order) and theme.
        let (packed, _) = pack_tree(&tree).unwrap();
        assert!(Arc::ptr_eq(&of_the_tree, &of_app(&memo, &packed).unwrap()));
        assert!(Arc::ptr_eq(&of_the_tree, &of_tree(&memo, &tree).unwrap()));
        // The same app read twice: one build.
        let of_the_app = of_app(&memo, &app).unwrap();
        assert!(Arc::ptr_eq(&of_the_app, &of_app(&memo, &app).unwrap()));
        // Shared or not, the defaults answer as freshly built ones do.
        let fresh = from_fresh(&app);
        for type_name in [
            "label",
            "button",
            "screen",
            "appinfo",
            "groupContainer",
            "gallery",
        ] {
            assert_eq!(
                DefaultSource::restore_defaults(&of_the_app, &ctx(type_name)),
                DefaultSource::restore_defaults(&fresh, &ctx(type_name)),
                "{type_name}"
            );
        }
    }

    fn from_fresh(app: &MsApp) -> Defaults {
        let used: Vec<(String, String)> = app
            .json("References\\Templates.json")
            .and_then(|t| t.get("UsedTemplates"))
            .and_then(Json::as_array)
            .unwrap()
            .iter()
            .map(|t| {
                let text = |k: &str| t.get(k).and_then(Json::as_str).unwrap().to_string();
                (text("Name"), text("Template"))
            })
            .collect();
        let app_type = document_app_type(app.json("Properties.json"));
        Defaults::new(&used, app.json("References\\Themes.json"), &app_type).unwrap()
    }

    #[test]
    fn other_templates_or_theme_build_other_defaults() {
        let memo = Memo::new(4, usize::MAX);
        let (_, tree) = unpacked("MyWeather.msapp");
        let original = of_tree(&memo, &tree).unwrap();
        let label = |d: &Arc<Defaults>| DefaultSource::strip_default(d, &ctx("label"), "Live");

        let (path, xml) = tree
            .under("pkgs")
            .find(|(p, _)| p.starts_with("pkgs/label_"))
            .map(|(p, b)| (p.to_string(), String::from_utf8(b.to_vec()).unwrap()))
            .unwrap();
        let mut changed_template = tree.clone();
        let edited = xml.replace("%Live.RESERVED%.Off", "%Live.RESERVED%.Polite");
        assert_ne!(edited, xml);
        changed_template.insert(path, edited.into_bytes());
        let other = of_tree(&memo, &changed_template).unwrap();
        assert!(!Arc::ptr_eq(&original, &other));
        assert_eq!(label(&original).as_deref(), Some("Live.Off"));
        assert_eq!(label(&other).as_deref(), Some("Live.Polite"));

        let themes = String::from_utf8(tree.get("Src/Themes.json").unwrap().to_vec()).unwrap();
        let mut changed_theme = tree.clone();
        let edited = themes.replacen("\"value\"", "\"value\" ", 1);
        // Whitespace is not data: the same theme.
        changed_theme.insert("Src/Themes.json", edited.into_bytes());
        assert!(Arc::ptr_eq(
            &original,
            &of_tree(&memo, &changed_theme).unwrap()
        ));
        let edited = themes.replacen("RGBA(", "RGBA( ", 1);
        assert_ne!(edited, themes);
        changed_theme.insert("Src/Themes.json", edited.into_bytes());
        assert!(!Arc::ptr_eq(
            &original,
            &of_tree(&memo, &changed_theme).unwrap()
        ));

        // Back to the original: still remembered (four entries kept).
        assert!(Arc::ptr_eq(&original, &of_tree(&memo, &tree).unwrap()));
    }

    #[test]
    fn order_counts_only_when_templates_share_a_name() {
        let memo = Memo::new(4, usize::MAX);
        let widget = |value: &str| {
            format!(
                r#"<widget xmlns="http://openajax.org/metadata" id="x" name="w" version="1"><properties><property name="P" datatype="Number" defaultValue="{value}" /></properties></widget>"#
            )
        };
        let (one, two) = (widget("1"), widget("2"));
        let get = |used: &[(&str, &str)]| shared_in(&memo, used, None, "Phone").unwrap();
        let ab = get(&[("a", &one), ("b", &two)]);
        assert!(!ab.order_matters());
        assert!(Arc::ptr_eq(&ab, &get(&[("b", &two), ("a", &one)])));

        let first = get(&[("a", &one), ("a", &two)]);
        let second = get(&[("a", &two), ("a", &one)]);
        assert!(first.order_matters());
        assert!(!Arc::ptr_eq(&first, &second));
        let p = |d: &Arc<Defaults>| DefaultSource::strip_default(d, &ctx("a"), "P");
        assert_eq!(p(&first).as_deref(), Some("1"));
        assert_eq!(p(&second).as_deref(), Some("2"));
        assert!(Arc::ptr_eq(&second, &get(&[("a", &two), ("a", &one)])));
        assert!(Arc::ptr_eq(&first, &get(&[("a", &one), ("a", &two)])));
    }
}
