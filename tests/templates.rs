//! Checks the default rules against real `pac canvas unpack` output: for every control of a
//! corpus app, the properties our `strip_default` keeps must be exactly the property lines
//! the reference tool wrote for that control.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use msapp_merge::json::Json;
use msapp_merge::templates::{ControlCtx, Defaults, adds_responsive_context};

const CORPUS: &str = "../shared/corpus";

/// (golden file, app) pairs from corpus/README.md.
const GOLDEN: &[(&str, &str)] = &[
    ("Weather_Screen1.fx.yaml", "MyWeather.msapp"),
    ("GroupControl_Test.fx.yaml", "GroupControlTest.msapp"),
    ("Gallery_ScreenTest.fx.yaml", "GalleryTestApp.msapp"),
    (
        "ComponentFunction_Test.fx.yaml",
        "SimpleScopeVariables.msapp",
    ),
    ("TestStudio_Test_Suite.fx.yaml", "TestStudio_Test.msapp"),
    ("TestStudio_Test.fx.yaml", "TestStudio_Test.msapp"),
    ("AutoLayout_test.fx.yaml", "autolayouttest.msapp"),
];

const PAIRS: &[&str] = &["weather", "random-rolldice"];

// ---------------------------------------------------------------------------------------------
// Reading the app

struct App {
    entries: HashMap<String, Vec<u8>>,
}

impl App {
    fn open(path: &Path) -> App {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let mut entries = HashMap::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            entries.insert(entry.name().unwrap().replace('/', "\\"), data);
        }
        App { entries }
    }

    fn json(&self, name: &str) -> Option<Json> {
        self.entries.get(name).map(|bytes| parse_json(bytes))
    }

    /// Top parents of `Controls\`, `Components\` and `AppTests\`, sorted by entry name.
    fn top_parents(&self) -> Vec<Json> {
        let mut names: Vec<&String> = self
            .entries
            .keys()
            .filter(|n| {
                n.starts_with("Controls\\")
                    || n.starts_with("Components\\")
                    || n.starts_with("AppTests\\")
            })
            .collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|n| self.json(n).and_then(|j| j.get("TopParent").cloned()))
            .collect()
    }

    fn defaults(&self) -> Defaults {
        let used: Vec<(String, String)> = self
            .json("References\\Templates.json")
            .and_then(|t| t.get("UsedTemplates").and_then(Json::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .map(|u| {
                (
                    str_of(u, "Name").to_string(),
                    str_of(u, "Template").to_string(),
                )
            })
            .collect();
        let themes = self.json("References\\Themes.json");
        let app_type = self
            .json("Properties.json")
            .and_then(|p| {
                p.get("DocumentAppType")
                    .and_then(Json::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        Defaults::new(&used, themes.as_ref(), &app_type).unwrap()
    }
}

fn str_of<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or("")
}

fn array_of<'a>(json: &'a Json, key: &str) -> &'a [Json] {
    json.get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

// ---------------------------------------------------------------------------------------------
// What unpack keeps, per control

/// A control's properties (rules and dynamic-property rules) with what the fx.yaml should show.
#[derive(Debug, Default)]
struct Expected {
    /// control name → property names kept after stripping.
    kept: BTreeMap<String, BTreeSet<String>>,
    /// control name → why it is not a plain control (gallery, component, test...).
    special: BTreeMap<String, &'static str>,
    /// control name → number of properties stripped as defaults.
    stripped: BTreeMap<String, usize>,
}

/// The rules that become fx.yaml property lines (before stripping), as (property, formula).
fn ir_properties(control: &Json) -> Vec<(String, String)> {
    let template = control.get("Template").cloned().unwrap_or(Json::Null);
    let is_definition = template
        .get("IsComponentDefinition")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let mut hidden = BTreeSet::new();
    for custom in array_of(&template, "CustomProperties") {
        let Some(scope) = custom.get("PropertyScopeKey").filter(|s| !s.is_null()) else {
            continue;
        };
        if is_definition {
            hidden.insert(str_of(custom, "Name").to_string());
        }
        for param in array_of(scope, "PropertyScopeRulesKey") {
            hidden.insert(str_of(param, "Name").to_string());
        }
    }
    let mut props: Vec<(String, String)> = array_of(control, "Rules")
        .iter()
        .map(|r| {
            (
                str_of(r, "Property").to_string(),
                str_of(r, "InvariantScript").to_string(),
            )
        })
        .filter(|(p, _)| !hidden.contains(p))
        .collect();
    for dynamic in array_of(control, "DynamicProperties") {
        if let Some(rule) = dynamic.get("Rule").filter(|r| !r.is_null()) {
            props.push((
                str_of(rule, "Property").to_string(),
                str_of(rule, "InvariantScript").to_string(),
            ));
        }
    }
    props
}

/// The `Rule` names listed in a test case's `TestStepsMetadata` (a string literal holding JSON).
fn test_step_rules(control: &Json) -> Vec<String> {
    let Some(rule) = array_of(control, "Rules")
        .iter()
        .find(|r| str_of(r, "Property") == "TestStepsMetadata")
    else {
        return Vec::new();
    };
    let literal = str_of(rule, "InvariantScript");
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or(literal)
        .replace("\"\"", "\"");
    let steps = parse_json(inner.as_bytes());
    steps
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| str_of(step, "Rule").to_string())
        .collect()
}

fn header_type(control: &Json) -> String {
    let template = control.get("Template").cloned().unwrap_or(Json::Null);
    match template.get("TemplateDisplayName").and_then(Json::as_str) {
        Some(display) => display.to_string(),
        None => str_of(&template, "Name").to_string(),
    }
}

fn is_component_definition(control: &Json) -> bool {
    control
        .get("Template")
        .and_then(|t| t.get("IsComponentDefinition"))
        .and_then(Json::as_bool)
        .unwrap_or(false)
}

/// The app's defaults, with component definitions registered as their instances' templates
/// (their formulas as read, before any stripping, as the reference does on unpack).
fn app_defaults(app: &App, top_parents: &[Json]) -> Defaults {
    let mut defaults = app.defaults();
    for top in top_parents {
        if is_component_definition(top) {
            defaults.add_component_defaults(&header_type(top), ir_properties(top));
        }
    }
    defaults
}

fn expected(app: &App) -> Expected {
    let top_parents = app.top_parents();
    let defaults = app_defaults(app, &top_parents);
    let mut out = Expected::default();
    for top in &top_parents {
        visit(top, None, &mut |control, ctx| {
            record(control, ctx, &defaults, &mut out)
        });
    }
    out
}

/// Calls `f` for every control, children before parents, with the context unpack uses.
fn visit(control: &Json, parent: Option<&Json>, f: &mut dyn FnMut(&Json, &ControlCtx)) {
    for child in array_of(control, "Children") {
        visit(child, Some(control), f);
    }
    // Definitions are renamed (`CanvasComponent`...) before their own defaults are stripped.
    let type_name = if is_component_definition(control) {
        "CanvasComponent".to_string()
    } else {
        header_type(control)
    };
    let variant = Some(str_of(control, "VariantName")).filter(|v| !v.is_empty());
    let in_responsive_container = parent.is_some_and(|p| {
        let variant = Some(str_of(p, "VariantName")).filter(|v| !v.is_empty());
        adds_responsive_context(&header_type(p), variant)
    });
    let ctx = ControlCtx {
        type_name: &type_name,
        variant,
        style_name: Some(str_of(control, "StyleName")),
        in_responsive_container,
    };
    f(control, &ctx);
}

fn record(control: &Json, ctx: &ControlCtx, defaults: &Defaults, out: &mut Expected) {
    let name = str_of(control, "Name").to_string();
    let type_name = ctx.type_name;
    let all = ir_properties(control);
    let total = all.len();
    let mut kept: BTreeSet<String> = all
        .into_iter()
        .filter(|(property, formula)| {
            defaults.strip_default(ctx, property).as_deref() != Some(formula.as_str())
        })
        .map(|(property, _)| property)
        .collect();
    out.stripped.insert(name.clone(), total - kept.len());

    if is_component_definition(control) {
        out.special.insert(name.clone(), "component definition");
    } else if defaults
        .template(type_name)
        .is_some_and(|t| t.version.is_empty())
    {
        out.special.insert(name.clone(), "component instance");
    }
    if type_name == "TestCase" {
        // Test steps become `TestStep` children; their metadata rule disappears.
        for step in test_step_rules(control) {
            kept.remove(&step);
        }
        kept.remove("TestStepsMetadata");
        out.special.insert(name.clone(), "test case");
    }
    if type_name == "gallery" {
        out.special
            .insert(name.clone(), "gallery (template child merged)");
        for child in array_of(control, "Children")
            .iter()
            .filter(|c| header_type(c) == "galleryTemplate")
        {
            let child_name = str_of(child, "Name");
            if let Some(child_kept) = out.kept.remove(child_name) {
                kept.extend(child_kept);
            }
            out.special.remove(child_name);
        }
    }
    out.kept.insert(name, kept);
}

// ---------------------------------------------------------------------------------------------
// Reading property names from fx.yaml (just enough for this test)

/// control name → property names written for it. Function blocks, test steps' own lines and
/// block-scalar contents are skipped.
fn yaml_properties(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut result: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut skip_deeper_than: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(limit) = skip_deeper_than {
            if indent > limit {
                continue;
            }
            skip_deeper_than = None;
        }
        let body = &line[indent..];
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        if let Some((name, rest)) = split_name(body)
            && let Some(value) = rest.strip_prefix(": ")
            && (value.starts_with('=') || value.starts_with('|'))
        {
            if value.starts_with('|') {
                skip_deeper_than = Some(indent);
            }
            if let Some((_, control)) = stack.last() {
                result.entry(control.clone()).or_default().insert(name);
            }
            continue;
        }
        if let Some(header) = body.strip_suffix(':') {
            let header = header
                .strip_prefix('"')
                .and_then(|h| h.strip_suffix('"'))
                .map(|h| h.replace("\\\"", "\""))
                .unwrap_or(header.to_string());
            if let Some((name, rest)) = split_name(&header)
                && rest.starts_with(" As ")
            {
                result.entry(name.clone()).or_default();
                stack.push((indent, name));
                continue;
            }
        }
        // A function block or something else this test does not model.
        skip_deeper_than = Some(indent);
    }
    result
}

/// Splits a leading identifier (`Name` or `'Quoted Name'`) from the rest.
fn split_name(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('\'') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    name.push('\'');
                } else {
                    return Some((name, &quoted[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        return None;
    }
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_string(), &text[end..]))
}

// ---------------------------------------------------------------------------------------------
// Comparing

#[derive(Default)]
struct Tally {
    controls: usize,
    properties: usize,
    stripped: usize,
    not_controls: BTreeSet<String>,
    special_ok: BTreeMap<&'static str, usize>,
    mismatches: Vec<String>,
    special_mismatches: Vec<String>,
}

fn compare(
    label: &str,
    expected: &Expected,
    yaml: &BTreeMap<String, BTreeSet<String>>,
    tally: &mut Tally,
) {
    for (name, written) in yaml {
        let Some(kept) = expected.kept.get(name) else {
            // test steps: children made from test-case rules
            tally.not_controls.insert(format!("{label}: {name}"));
            continue;
        };
        let special = expected.special.get(name).copied();
        if kept == written {
            tally.controls += 1;
            tally.properties += kept.len();
            tally.stripped += expected.stripped.get(name).copied().unwrap_or(0);
            if let Some(kind) = special {
                *tally.special_ok.entry(kind).or_default() += 1;
            }
            continue;
        }
        let extra: Vec<&String> = kept.difference(written).collect();
        let missing: Vec<&String> = written.difference(kept).collect();
        let message = format!(
            "{label}: {name}: we keep but pac stripped {extra:?}; pac kept but we strip {missing:?}"
        );
        match special {
            Some(kind) => tally.special_mismatches.push(format!("[{kind}] {message}")),
            None => tally.mismatches.push(message),
        }
    }
}

fn report(tally: &Tally) {
    eprintln!(
        "controls matched: {}, properties kept: {}, stripped: {}",
        tally.controls, tally.properties, tally.stripped
    );
    eprintln!(
        "fx.yaml blocks that are not msapp controls: {:?}",
        tally.not_controls
    );
    eprintln!("special cases matched: {:?}", tally.special_ok);
    for m in &tally.special_mismatches {
        eprintln!("special mismatch: {m}");
    }
    for m in &tally.mismatches {
        eprintln!("MISMATCH: {m}");
    }
}

#[test]
fn golden_files_keep_exactly_the_non_default_properties() {
    let mut tally = Tally::default();
    for (golden, app_name) in GOLDEN {
        let app = App::open(&Path::new(CORPUS).join("apps").join(app_name));
        let yaml = std::fs::read_to_string(Path::new(CORPUS).join("golden").join(golden)).unwrap();
        compare(golden, &expected(&app), &yaml_properties(&yaml), &mut tally);
    }
    report(&tally);
    assert!(tally.mismatches.is_empty() && tally.special_mismatches.is_empty());
    assert!(tally.controls >= 20, "{}", tally.controls);
}

#[test]
fn pac_unpacked_trees_keep_exactly_the_non_default_properties() {
    let mut tally = Tally::default();
    for pair in PAIRS {
        let root = Path::new(CORPUS).join("pairs").join(pair);
        let app = App::open(&root.join("app.msapp"));
        let expected = expected(&app);
        let mut files = Vec::new();
        for dir in ["tree/Src", "tree/Src/Components"] {
            let Ok(listing) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in listing {
                let path = entry.unwrap().path();
                if path.to_string_lossy().ends_with(".fx.yaml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        for path in files {
            let yaml = std::fs::read_to_string(&path).unwrap();
            compare(
                &format!("{pair}/{}", path.file_name().unwrap().to_string_lossy()),
                &expected,
                &yaml_properties(&yaml),
                &mut tally,
            );
        }
    }
    report(&tally);
    assert!(tally.mismatches.is_empty() && tally.special_mismatches.is_empty());
    assert!(tally.controls >= 20, "{}", tally.controls);
}

/// Pack must give back every rule unpack stripped: restoring a control's defaults (limited to
/// names it had, as the editor state does) yields the stripped formula for each of them.
#[test]
fn restore_gives_back_every_stripped_rule() {
    let mut apps: Vec<std::path::PathBuf> = std::fs::read_dir(Path::new(CORPUS).join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    apps.extend(
        PAIRS
            .iter()
            .map(|p| Path::new(CORPUS).join("pairs").join(p).join("app.msapp")),
    );
    apps.sort();
    let (mut controls, mut stripped, mut problems) = (0, 0, Vec::new());
    for path in &apps {
        let app = App::open(path);
        let top_parents = app.top_parents();
        let defaults = app_defaults(&app, &top_parents);
        for top in &top_parents {
            visit(top, None, &mut |control, ctx| {
                controls += 1;
                let restored: HashMap<String, String> =
                    defaults.restore_defaults(ctx).into_iter().collect();
                for (property, formula) in ir_properties(control) {
                    if defaults.strip_default(ctx, &property).as_deref() != Some(formula.as_str()) {
                        continue;
                    }
                    stripped += 1;
                    if restored.get(&property) != Some(&formula) {
                        problems.push(format!(
                            "{}: {}.{property}: stripped {formula:?}, restored {:?}",
                            path.file_name().unwrap().to_string_lossy(),
                            str_of(control, "Name"),
                            restored.get(&property)
                        ));
                    }
                }
            });
        }
    }
    eprintln!(
        "{} apps, {controls} controls, {stripped} stripped rules",
        apps.len()
    );
    for p in &problems {
        eprintln!("NOT RESTORED: {p}");
    }
    assert!(
        problems.is_empty(),
        "{} stripped rules would not come back",
        problems.len()
    );
    assert!(stripped > 1000);
}

/// Concrete values from a real phone app: theme palette resolution (including a palette value
/// that itself holds a reserved name) and template defaults.
#[test]
fn real_theme_and_template_values() {
    let app = App::open(&Path::new(CORPUS).join("apps/MyWeather.msapp"));
    let defaults = app.defaults();
    let label = ControlCtx {
        type_name: "label",
        style_name: Some("defaultLabelStyle"),
        ..ControlCtx::default()
    };
    let get = |ctx: &ControlCtx, p: &str| defaults.strip_default(ctx, p);
    assert_eq!(get(&label, "Color").as_deref(), Some("RGBA(0, 0, 0, 1)"));
    assert_eq!(get(&label, "Font").as_deref(), Some("Font.'Open Sans'"));
    assert_eq!(get(&label, "Size").as_deref(), Some("13"));
    assert_eq!(
        get(&label, "VerticalAlign").as_deref(),
        Some("VerticalAlign.Middle")
    );
    // Include properties ignore phoneDefaultValue: pac keeps `Width: =560` on phone labels.
    assert_eq!(get(&label, "Width").as_deref(), Some("150"));
    assert_eq!(get(&label, "Height").as_deref(), Some("40"));
    assert_eq!(get(&label, "Wrap").as_deref(), Some("true"));
    assert_eq!(get(&label, "Live").as_deref(), Some("Live.Off"));
    assert_eq!(get(&label, "Tooltip").as_deref(), Some("\"\""));
    assert_eq!(get(&label, "Text"), None);
    let screen = ControlCtx {
        type_name: "screen",
        style_name: Some("defaultScreenStyle"),
        ..ControlCtx::default()
    };
    assert_eq!(
        get(&screen, "LoadingSpinnerColor").as_deref(),
        Some("RGBA(56, 96, 178, 1)")
    );
    assert_eq!(
        get(&screen, "Height").as_deref(),
        Some("Max(App.Height, App.MinScreenHeight)")
    );
    let appinfo = ControlCtx {
        type_name: "appinfo",
        ..ControlCtx::default()
    };
    assert_eq!(get(&appinfo, "MinScreenWidth").as_deref(), Some("640"));
    let t = defaults.template("label").unwrap();
    assert_eq!(
        (t.version.as_str(), t.id.as_str()),
        ("2.3.0", "http://microsoft.com/appmagic/label")
    );
}

#[test]
fn yaml_reader_sees_controls_properties_and_skips_blocks() {
    let text = "Component1 As CanvasComponent:\n    F(A As Number):\n        A:\n            Default: =1\n        ThisProperty:\n            Default: =2\n    Fill: =1\n\n    'My Label' As label:\n        Text: |-\n            =\"a\"\n            Inner: =no\n        X: =1\n\n    \"'Quote''s' As label\":\n        Y: =2\n";
    let props = yaml_properties(text);
    let names = |c: &str| props[c].iter().cloned().collect::<Vec<_>>();
    assert_eq!(names("Component1"), ["Fill"]);
    assert_eq!(names("My Label"), ["Text", "X"]);
    assert_eq!(names("Quote's"), ["Y"]);
}

fn parse_json(bytes: &[u8]) -> Json {
    msapp_merge::json::parse_bytes(bytes).unwrap()
}
