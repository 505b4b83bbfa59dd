//! `render_app` against the pa.yaml files Studio itself wrote into the corpus apps.

use std::path::{Path, PathBuf};

use msapp_merge::app::load_msapp;
use msapp_merge::model::{EntryData, MsApp, same_entry_name};
use msapp_merge::payaml::render_app;

fn corpus_apps() -> Vec<PathBuf> {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(corpus.join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "msapp"))
        .collect();
    for pair in std::fs::read_dir(corpus.join("pairs")).unwrap() {
        apps.push(pair.unwrap().path().join("app.msapp"));
    }
    apps.sort();
    apps
}

fn is_pa_yaml(name: &str) -> bool {
    let n = name.replace('/', "\\").to_ascii_lowercase();
    n.starts_with("src\\") && n.ends_with(".pa.yaml")
}

/// The pa.yaml entries Studio stored, line ends normalized to LF.
fn studio_files(app: &MsApp) -> Vec<(String, String)> {
    app.entries
        .iter()
        .filter(|e| is_pa_yaml(&e.name))
        .map(|e| match &e.data {
            EntryData::Bytes(b) => (
                e.name.clone(),
                String::from_utf8(b.clone()).unwrap().replace("\r\n", "\n"),
            ),
            EntryData::Json(_) => panic!("{} parsed as JSON", e.name),
        })
        .collect()
}

fn name(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    if stem == "app" {
        path.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string()
    } else {
        stem
    }
}

/// The first differing line, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  studio: {e:?}\n  ours:   {a:?}", i + 1);
        }
    }
    format!(
        "line counts differ: studio {} / ours {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

/// Known, justified differences: (app, entry, line, why). Empty: every Studio file matches.
const EXCEPTIONS: &[(&str, &str, usize, &str)] = &[];

#[test]
fn studio_files_are_reproduced() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in corpus_apps() {
        let app = load_msapp(&path).unwrap();
        let expected = studio_files(&app);
        if expected.is_empty() {
            continue;
        }
        let rendered = render_app(&app).unwrap();
        let app_name = name(&path);
        // Same file set.
        let mut ours: Vec<&str> = rendered.iter().map(|(n, _)| n.as_str()).collect();
        let mut theirs: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{app_name}: file set");
        for (entry, text) in &expected {
            compared += 1;
            let (_, actual) = rendered
                .iter()
                .find(|(n, _)| same_entry_name(n, entry))
                .unwrap();
            let actual = actual.replace("\r\n", "\n");
            if &actual == text {
                continue;
            }
            let excused = EXCEPTIONS
                .iter()
                .any(|(a, e, _, _)| *a == app_name && same_entry_name(e, entry));
            if !excused {
                failures.push(format!(
                    "{app_name} {entry}: {}",
                    first_difference(text, &actual)
                ));
            }
        }
    }
    assert_eq!(compared, 10, "the corpus holds ten Studio pa.yaml files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn studio_bytes_are_reproduced_with_crlf_banner() {
    // Studio's banner lines end in CRLF, the body in LF; we write the same bytes.
    for path in corpus_apps() {
        let app = load_msapp(&path).unwrap();
        let rendered = render_app(&app).unwrap();
        for e in app.entries.iter().filter(|e| is_pa_yaml(&e.name)) {
            let EntryData::Bytes(bytes) = &e.data else {
                panic!()
            };
            let (_, ours) = rendered
                .iter()
                .find(|(n, _)| same_entry_name(n, &e.name))
                .unwrap();
            assert_eq!(
                ours.as_bytes(),
                bytes.as_slice(),
                "{} {}",
                name(&path),
                e.name
            );
        }
    }
}

#[test]
fn every_app_renders_deterministically() {
    for path in corpus_apps() {
        let app = load_msapp(&path).unwrap();
        let first = render_app(&app).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        let second = render_app(&app).unwrap();
        assert_eq!(first, second, "{}", name(&path));
        // Apps without pa.yaml still get the full file set.
        assert!(
            first.iter().any(|(n, _)| n == "Src\\App.pa.yaml"),
            "{}",
            name(&path)
        );
        for (entry, text) in &first {
            assert!(
                text.starts_with("# ****"),
                "{} {entry}: banner",
                name(&path)
            );
            assert!(
                text.ends_with('\n'),
                "{} {entry}: final line end",
                name(&path)
            );
        }
    }
}

#[test]
fn empty_and_odd_apps_do_not_panic() {
    let empty = MsApp::default();
    let files = render_app(&empty).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Src\\App.pa.yaml", "Src\\_EditorState.pa.yaml"]);
    assert!(files[0].1.ends_with("App: {}\n"));
    assert!(files[1].1.ends_with("EditorState: {}\n"));
}

mod robustness {
    use msapp_merge::json::{Json, Number, Object};
    use msapp_merge::model::{Entry, EntryData, MsApp};
    use msapp_merge::payaml::render_app;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "TopParent",
        "Name",
        "Template",
        "Children",
        "Rules",
        "Property",
        "InvariantScript",
        "ControlPropertyState",
        "DynamicProperties",
        "Rule",
        "VariantName",
        "StyleName",
        "Id",
        "Version",
        "IsComponentDefinition",
        "CustomProperties",
        "PropertyScopeKey",
        "PropertyScopeRulesKey",
        "ScopeVariableInfo",
        "GroupedControlsKey",
        "IsGroupControl",
        "Index",
        "InvariantPropertyName",
        "Hidden",
        "Category",
        "IsLocked",
        "LayoutName",
        "CurrentTheme",
        "CustomThemes",
        "styles",
        "palette",
        "propertyValuesMap",
        "name",
        "value",
        "property",
        "UsedTemplates",
        "DocVersion",
        "Components",
        "TemplateName",
    ];
    const TEXTS: &[&str] = &[
        "screen",
        "appinfo",
        "groupContainer",
        "galleryTemplate",
        "group",
        "icon",
        "label",
        "http://microsoft.com/appmagic/Component",
        "http://microsoft.com/appmagic/powercontrol/x",
        "ZIndex",
        "LayoutMode",
        "1",
        "-3",
        "NaN",
        "x",
        "",
        "Screen1",
        "1.345",
        "2.4.0",
        "horizontalAutoLayoutContainer",
        "%Palette.InputBorderColor%",
        "%Palette.%",
        "%x.RESERVED%",
        "##Label_DefaultValue_Text##",
        "<widget/>",
        "a: b",
        "😀\r\n",
        "defaultTheme",
    ];

    fn json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            (-5i64..20).prop_map(|n| Json::Number(Number::from_i64(n))),
            prop::sample::select(TEXTS).prop_map(Json::str),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..7).prop_map(
                    |members| {
                        Json::Object(Object(
                            members
                                .into_iter()
                                .map(|(k, v)| (k.to_string(), v))
                                .collect(),
                        ))
                    }
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn arbitrary_json_never_panics(docs in prop::collection::vec(json(), 6)) {
            let names = [
                "Controls\\1.json", "Components\\2.json", "ComponentsMetadata.json", "Header.json",
                "References\\Themes.json", "References\\Templates.json",
            ];
            let app = MsApp {
                entries: names
                    .iter()
                    .zip(docs)
                    .map(|(n, d)| Entry { name: n.to_string(), data: EntryData::Json(d) })
                    .collect(),
            };
            let _ = render_app(&app);
        }
    }
}

/// Every key the renderer reads, removed or given a value of the wrong type, in every object
/// of real apps: rendering returns (an error at most) and never panics.
#[test]
fn damaged_real_apps_do_not_panic() {
    use msapp_merge::json::{Json, Number};
    const KEYS: &[&str] = &[
        "TopParent",
        "Name",
        "Template",
        "Id",
        "Version",
        "Children",
        "Rules",
        "Property",
        "InvariantScript",
        "ControlPropertyState",
        "InvariantPropertyName",
        "DynamicProperties",
        "Rule",
        "VariantName",
        "StyleName",
        "LayoutName",
        "IsLocked",
        "Index",
        "CurrentTheme",
        "CustomThemes",
        "palette",
        "styles",
        "propertyValuesMap",
        "UsedTemplates",
        "DocVersion",
        "MSAppStructureVersion",
        "DocumentAppType",
    ];
    fn mutate(json: &mut Json, key: &str, replacement: &Option<Json>) {
        match json {
            Json::Object(o) => {
                match replacement {
                    None => {
                        o.remove(key);
                    }
                    Some(r) => {
                        if o.contains_key(key) {
                            o.insert(key, r.clone());
                        }
                    }
                }
                for (_, v) in o.0.iter_mut() {
                    mutate(v, key, replacement);
                }
            }
            Json::Array(a) => a.iter_mut().for_each(|v| mutate(v, key, replacement)),
            _ => {}
        }
    }
    let replacements = [
        None,
        Some(Json::Number(Number::from_i64(7))),
        Some(Json::str("")),
        Some(Json::Array(vec![Json::Null])),
    ];
    for path in corpus_apps() {
        let app = load_msapp(&path).unwrap();
        if studio_files(&app).is_empty() {
            continue;
        }
        for key in KEYS {
            for replacement in &replacements {
                let mut damaged = app.clone();
                for entry in &mut damaged.entries {
                    if let EntryData::Json(j) = &mut entry.data {
                        mutate(j, key, replacement);
                    }
                }
                let _ = render_app(&damaged);
            }
        }
    }
}

/// Pack renders the YAML view of an edited app again and stamps the checksum of what it
/// wrote: the values of the other entries are reused, which must give what hashing the packed
/// app afresh gives.
#[test]
fn an_edited_app_is_stamped_with_the_checksum_of_its_new_yaml_view() {
    use msapp_merge::app::{pack_tree, unpack_app};
    use msapp_merge::checksum;
    use msapp_merge::json::Json;
    use msapp_merge::source::unpack::UnpackOptions;

    let mut checked = 0;
    for path in corpus_apps() {
        let app = load_msapp(&path).unwrap();
        if studio_files(&app).is_empty() {
            continue;
        }
        let (mut tree, _) = unpack_app(&app, "app", &UnpackOptions::default()).unwrap();
        let Some(file) = tree
            .files
            .keys()
            .find(|p| p.starts_with("Src/") && p.ends_with(".fx.yaml") && *p != "Src/App.fx.yaml")
            .cloned()
        else {
            continue;
        };
        let text = String::from_utf8(tree.get(&file).unwrap().to_vec()).unwrap();
        // A formula of the screen's first property, changed as a maker would.
        let Some(at) = text.find(": =") else {
            continue;
        };
        let edited = format!("{}: =\"edited\" & {}", &text[..at], &text[at + 3..]);
        tree.insert(file.clone(), edited.into_bytes());
        let (packed, _) = pack_tree(&tree).unwrap();
        let stamped = packed
            .json("checksum.json")
            .and_then(|c| c.get("ClientStampedChecksum"))
            .and_then(Json::as_str)
            .unwrap()
            .to_string();
        let old_views = studio_files(&app);
        let new_views = studio_files(&packed);
        assert_ne!(
            old_views,
            new_views,
            "{}: the view was not rendered again",
            name(&path)
        );
        assert_eq!(stamped, checksum::compute(&packed).whole, "{}", name(&path));
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} apps with Studio's YAML view");
}
