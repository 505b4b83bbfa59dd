//! The data side of unpack/pack on real apps: pac's own trees are reproduced file for file, and
//! pack(unpack(app)) gives back every data-side entry (JSON values equal in the checksum sense,
//! assets byte for byte). Broken input gives errors, never panics.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use msapp_merge::app;
use msapp_merge::json::{self, Json, Object};
use msapp_merge::model::{Entry, EntryData, MsApp};
use msapp_merge::source::datasources::{self, DataPack, DataPacked, DataUnpack};
use msapp_merge::source::{Entropy, SourceTree, Warnings};

const OWNED_ENTROPY_FIELDS: [&str; 10] = [
    "OrderDataSource",
    "LocalResourceRootPaths",
    "LocalResourceFileNames",
    "ResourcesJsonIndices",
    "OldLogoFileName",
    "LocalConnectionIDReferences",
    "LocalDatabaseReferencesAsEmpty",
    "WasLocalDatabaseReferencesEmpty",
    "OrderXMLTemplate",
    "OrderPcfTemplate",
];

fn corpus() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(p.is_dir(), "../shared/corpus is missing");
    p
}

fn corpus_apps() -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(corpus().join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "msapp"))
        .collect();
    for pair in ["weather", "random-rolldice"] {
        apps.push(corpus().join("pairs").join(pair).join("app.msapp"));
    }
    apps.sort();
    assert!(apps.len() >= 30);
    apps
}

fn object_entry(app: &MsApp, name: &str) -> Option<Object> {
    app.json(name).and_then(Json::as_object).cloned()
}

/// Everything the data side produced for one app.
#[derive(Clone)]
struct Unpacked {
    tree: SourceTree,
    entropy: Entropy,
    properties: Object,
    publish_info: Option<Object>,
    #[allow(dead_code)]
    warnings: Warnings,
}

fn unpack_data(app: &MsApp) -> msapp_merge::Result<Unpacked> {
    let mut properties = object_entry(app, "Properties.json").unwrap_or_default();
    let mut publish_info = object_entry(app, "Resources\\PublishInfo.json");
    let mut entropy = Entropy::new();
    let mut tree = SourceTree::new();
    let mut warnings = Warnings::default();
    datasources::unpack(DataUnpack {
        app,
        data_sources: None,
        label: "app",
        properties: &mut properties,
        publish_info: publish_info.as_mut(),
        entropy: &mut entropy,
        tree: &mut tree,
        warnings: &mut warnings,
    })?;
    Ok(Unpacked {
        tree,
        entropy,
        properties,
        publish_info,
        warnings,
    })
}

fn pack_data(unpacked: &Unpacked) -> msapp_merge::Result<(DataPacked, Option<Object>, Warnings)> {
    let mut publish_info = unpacked.publish_info.clone();
    let mut warnings = Warnings::default();
    let packed = datasources::pack(DataPack {
        tree: &unpacked.tree,
        entropy: &unpacked.entropy,
        publish_info: publish_info.as_mut(),
        warnings: &mut warnings,
    })?;
    Ok((packed, publish_info, warnings))
}

// ---------------------------------------------------------------------------------------------
// Comparison in the checksum sense

/// Object members with duplicate keys dropped (the first one counts).
fn members(o: &Object) -> BTreeMap<&str, &Json> {
    let mut map = BTreeMap::new();
    for (k, v) in o.iter() {
        map.entry(k).or_insert(v);
    }
    map
}

/// Equal as the checksum sees it: key order irrelevant, numbers as f64, first duplicate wins,
/// arrays in order, strings holding JSON or XML compared after parsing.
fn equivalent(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::String(x), Json::String(y)) => x == y || equivalent_text(x, y),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equivalent(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            let (x, y) = (members(x), members(y));
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equivalent(v, w)))
        }
        _ => false,
    }
}

fn equivalent_text(x: &str, y: &str) -> bool {
    let structured = |s: &str| matches!(s.trim_start().chars().next(), Some('{' | '['));
    if structured(x)
        && structured(y)
        && let (Ok(a), Ok(b)) = (json::parse(x), json::parse(y))
    {
        return equivalent(&a, &b);
    }
    let markup = |s: &str| s.trim_start().starts_with('<');
    if markup(x)
        && markup(y)
        && let (Ok(a), Ok(b)) = (
            msapp_merge::xml::canonical(x),
            msapp_merge::xml::canonical(y),
        )
    {
        return a == b;
    }
    false
}

fn show(v: &Json) -> String {
    let text = json::to_compact_string(v);
    if text.len() > 400 {
        format!(
            "{}...",
            &text[..text.char_indices().nth(400).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text
    }
}

// ---------------------------------------------------------------------------------------------
// 1. pac's trees are reproduced

fn is_data_side_file(path: &str) -> bool {
    [
        "DataSources/",
        "Connections/",
        "Assets/",
        "pkgs/Wadl/",
        "pkgs/Swagger/",
        "pkgs/TableDefinitions/",
        "pkgs/PcfConversions/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
        || (path.starts_with("pkgs/") && path.matches('/').count() == 1 && path.ends_with(".xml"))
}

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn check_pair(pair: &str) {
    let dir = corpus().join("pairs").join(pair);
    let app = app::load_msapp(&dir.join("app.msapp")).unwrap();
    let unpacked = unpack_data(&app).unwrap();
    let expected: BTreeMap<String, Vec<u8>> = read_tree(&dir.join("tree"))
        .into_iter()
        .filter(|(p, _)| is_data_side_file(p))
        .collect();
    let ours: BTreeMap<&String, &Vec<u8>> = unpacked.tree.files.iter().collect();

    let expected_names: BTreeSet<&String> = expected.keys().collect();
    let our_names: BTreeSet<&String> = ours.keys().copied().collect();
    assert_eq!(our_names, expected_names, "{pair}: data-side file set");
    for (path, bytes) in &expected {
        let is_text = !path.starts_with("Assets/") || path.ends_with(".json");
        let (want, got) = if is_text {
            (lf(bytes), lf(ours[path]))
        } else {
            (bytes.clone(), ours[path].clone())
        };
        assert!(
            want == got,
            "{pair}: {path} differs\n--- pac\n{}\n--- ours\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
    }

    let pac_entropy =
        json::parse_bytes(&std::fs::read(dir.join("tree/Entropy/Entropy.json")).unwrap()).unwrap();
    for field in OWNED_ENTROPY_FIELDS {
        let want = pac_entropy.get(field);
        let got = unpacked.entropy.get(field);
        let same = match (want, got) {
            (Some(w), Some(g)) => equivalent(w, g),
            (None, None) => true,
            (None, Some(Json::Null)) | (Some(Json::Null), None) => true,
            _ => false,
        };
        assert!(
            same,
            "{pair}: Entropy {field}: pac {:?}, ours {:?}",
            want.map(show),
            got.map(show)
        );
    }

    let manifest =
        json::parse_bytes(&std::fs::read(dir.join("tree/CanvasManifest.json")).unwrap()).unwrap();
    for key in ["LocalConnectionReferences", "LocalDatabaseReferences"] {
        let want = manifest.get("Properties").and_then(|p| p.get(key));
        assert_eq!(
            want.map(show),
            unpacked.properties.get(key).map(show),
            "{pair}: manifest Properties.{key}"
        );
    }
    let want_logo = manifest
        .get("PublishInfo")
        .and_then(|p| p.get("LogoFileName"));
    let got_logo = unpacked
        .publish_info
        .as_ref()
        .and_then(|p| p.get("LogoFileName"));
    assert_eq!(
        want_logo.map(show),
        got_logo.map(show),
        "{pair}: PublishInfo.LogoFileName"
    );
}

#[test]
fn weather_pair_matches_pac() {
    check_pair("weather");
}

#[test]
fn rolldice_pair_matches_pac() {
    check_pair("random-rolldice");
}

// ---------------------------------------------------------------------------------------------
// 2. pack(unpack(app)) gives the data side back

/// The data-side entries of an msapp: names -> data.
fn data_side_entries(app: &MsApp, logo: Option<&str>) -> BTreeMap<String, EntryData> {
    app.entries
        .iter()
        .filter(|e| datasources::handles_entry(&e.name) || Some(e.name.as_str()) == logo)
        .map(|e| (e.name.clone(), e.data.clone()))
        .collect()
}

fn templates_part(app: &MsApp, key: &str) -> Json {
    app.json("References\\Templates.json")
        .and_then(|t| t.get(key))
        .cloned()
        .unwrap_or(Json::Array(Vec::new()))
}

fn round_trip(path: &Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let original = app::load_msapp(path).unwrap();
    let unpacked = unpack_data(&original).unwrap_or_else(|e| panic!("{name}: unpack: {e}"));
    let (packed, publish_info, _) =
        pack_data(&unpacked).unwrap_or_else(|e| panic!("{name}: pack: {e}"));
    let mut problems = Vec::new();

    let original_publish = object_entry(&original, "Resources\\PublishInfo.json");
    let logo = datasources::logo_entry_name(&original, original_publish.as_ref());
    let want = data_side_entries(&original, logo.as_deref());
    let got: BTreeMap<String, EntryData> = packed.entries.iter().cloned().collect();
    if got.len() != packed.entries.len() {
        problems.push(format!("{name}: duplicate packed entry names"));
    }
    let want_names: BTreeSet<&String> = want.keys().collect();
    let got_names: BTreeSet<&String> = got.keys().collect();
    if want_names != got_names {
        problems.push(format!("{name}: entries {want_names:?} != {got_names:?}"));
    }
    for (entry, data) in &want {
        match (data, got.get(entry)) {
            (EntryData::Json(a), Some(EntryData::Json(b))) if equivalent(a, b) => {}
            (EntryData::Bytes(a), Some(EntryData::Bytes(b))) if a == b => {}
            (EntryData::Json(a), Some(EntryData::Json(b))) => problems.push(format!(
                "{name}: {entry} differs:\n  {}\n  {}",
                show(a),
                show(b)
            )),
            (_, other) => problems.push(format!(
                "{name}: {entry} differs or is missing ({})",
                other.is_some()
            )),
        }
    }

    // The properties the data side moved out come back.
    let original_props = object_entry(&original, "Properties.json").unwrap_or_default();
    for (key, value) in original_props.iter() {
        let kept = unpacked.properties.get(key);
        let rebuilt = packed
            .properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v);
        let back = rebuilt.or(kept);
        if !back.is_some_and(|b| equivalent(value, b)) {
            problems.push(format!(
                "{name}: Properties.{key}: {} -> {:?}",
                show(value),
                back.map(show)
            ));
        }
    }
    if let Some((key, _)) = packed
        .properties
        .iter()
        .find(|(k, _)| !original_props.contains_key(k))
    {
        problems.push(format!("{name}: pack added Properties.{key}"));
    }

    let want_logo = original_publish
        .as_ref()
        .and_then(|p| p.get("LogoFileName"));
    let got_logo = publish_info.as_ref().and_then(|p| p.get("LogoFileName"));
    if want_logo.map(show) != got_logo.map(show) {
        problems.push(format!(
            "{name}: LogoFileName {:?} -> {:?}",
            want_logo.map(show),
            got_logo.map(show)
        ));
    }

    for (key, rebuilt) in [
        ("UsedTemplates", &packed.used_templates),
        ("PcfTemplates", &packed.pcf_templates),
    ] {
        let want = templates_part(&original, key);
        let got = Json::Array(rebuilt.clone());
        if !equivalent(&want, &got) {
            problems.push(format!(
                "{name}: Templates.json {key}:\n  {}\n  {}",
                show(&want),
                show(&got)
            ));
        }
    }
    problems
}

#[test]
fn every_corpus_app_round_trips_its_data_side() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in corpus_apps() {
        problems.extend(round_trip(&path));
        checked += 1;
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} apps:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Unpack is a function of the app: twice the same tree.
#[test]
fn unpack_is_deterministic() {
    for path in corpus_apps() {
        let app = app::load_msapp(&path).unwrap();
        let a = unpack_data(&app).unwrap();
        let b = unpack_data(&app).unwrap();
        assert_eq!(a.tree, b.tree, "{}", path.display());
        assert_eq!(a.entropy, b.entropy, "{}", path.display());
    }
}

/// Unpacking the packed data side again gives the same tree (no drift across cycles).
#[test]
fn second_cycle_is_stable() {
    for path in corpus_apps() {
        let original = app::load_msapp(&path).unwrap();
        let first = unpack_data(&original).unwrap();
        let (packed, publish_info, _) = pack_data(&first).unwrap();
        let mut again = original.clone();
        replace_data_side(&mut again, &packed, publish_info);
        let second = unpack_data(&again).unwrap();
        assert_eq!(first.tree, second.tree, "{}", path.display());
    }
}

/// An app whose data-side entries are replaced by what pack produced.
fn replace_data_side(app: &mut MsApp, packed: &DataPacked, publish_info: Option<Object>) {
    let logo = datasources::logo_entry_name(
        app,
        object_entry(app, "Resources\\PublishInfo.json").as_ref(),
    );
    app.entries
        .retain(|e| !datasources::handles_entry(&e.name) && Some(&e.name) != logo.as_ref());
    for (name, data) in &packed.entries {
        app.entries.push(Entry {
            name: name.clone(),
            data: data.clone(),
        });
    }
    if let Some(info) = publish_info {
        for e in app
            .entries
            .iter_mut()
            .filter(|e| e.name == "Resources\\PublishInfo.json")
        {
            e.data = EntryData::Json(Json::Object(info.clone()));
        }
    }
    let templates = app
        .entries
        .iter_mut()
        .find(|e| e.name == "References\\Templates.json");
    if let Some(Entry {
        data: EntryData::Json(Json::Object(templates)),
        ..
    }) = templates
    {
        templates.insert("UsedTemplates", Json::Array(packed.used_templates.clone()));
        if packed.pcf_templates.is_empty() {
            templates.remove("PcfTemplates");
        } else {
            templates.insert("PcfTemplates", Json::Array(packed.pcf_templates.clone()));
        }
    }
    let props = app.entries.iter_mut().find(|e| e.name == "Properties.json");
    if let Some(Entry {
        data: EntryData::Json(Json::Object(props)),
        ..
    }) = props
    {
        for (k, v) in &packed.properties {
            props.insert(k.as_str(), v.clone());
        }
    }
}

/// The independent checksum oracle agrees: the app with its data side rebuilt by pack has the
/// same content checksum as the original.
#[test]
fn checksum_oracle_agrees_after_rebuilding_the_data_side() {
    let oracle = corpus().join("../tools/msapp_checksum.py");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for path in corpus_apps() {
        let original = app::load_msapp(&path).unwrap();
        let unpacked = unpack_data(&original).unwrap();
        let (packed, publish_info, _) = pack_data(&unpacked).unwrap();
        let mut rebuilt = original.clone();
        replace_data_side(&mut rebuilt, &packed, publish_info);
        let (a, b) = (dir.path().join("a.msapp"), dir.path().join("b.msapp"));
        std::fs::write(&a, app::msapp_bytes(&original).unwrap()).unwrap();
        std::fs::write(&b, app::msapp_bytes(&rebuilt).unwrap()).unwrap();
        let out = std::process::Command::new("python3")
            .arg(&oracle)
            .arg("--same")
            .arg(&a)
            .arg(&b)
            .output()
            .expect("python3 runs the checksum oracle");
        if !out.status.success() {
            failures.push(format!(
                "{}: {}{}",
                path.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Synthetic apps: collisions, logo, hostile input

fn j(text: &str) -> Json {
    json::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn app_of(entries: &[(&str, EntryData)]) -> MsApp {
    MsApp {
        entries: entries
            .iter()
            .map(|(n, d)| Entry {
                name: n.to_string(),
                data: d.clone(),
            })
            .collect(),
    }
}

fn bytes(b: &[u8]) -> EntryData {
    EntryData::Bytes(b.to_vec())
}

fn local(name: &str, file: &str) -> String {
    format!(
        r#"{{"Name":"{name}","FileName":"{file}","ResourceKind":"LocalFile","Path":"Assets\\Images\\{file}","Content":"Image","Schema":"i","Type":"ResourceInfo","IsSampleData":false,"IsWritable":false,"RootPath":"https://x/{file}"}}"#
    )
}

fn resources_app(resources: &[String], files: &[&str]) -> MsApp {
    let doc = format!(r#"{{"Resources":[{}]}}"#, resources.join(","));
    let mut entries = vec![(
        "References\\Resources.json".to_string(),
        EntryData::Json(j(&doc)),
    )];
    for f in files {
        entries.push((format!("Assets\\Images\\{f}"), bytes(f.as_bytes())));
    }
    MsApp {
        entries: entries
            .into_iter()
            .map(|(name, data)| Entry { name, data })
            .collect(),
    }
}

fn assert_round_trips(app: &MsApp) -> (Unpacked, DataPacked) {
    let unpacked = unpack_data(app).unwrap();
    let (packed, _, _) = pack_data(&unpacked).unwrap();
    let got: BTreeMap<String, EntryData> = packed.entries.iter().cloned().collect();
    for e in app
        .entries
        .iter()
        .filter(|e| datasources::handles_entry(&e.name))
    {
        let same = match (&e.data, got.get(&e.name)) {
            (EntryData::Json(a), Some(EntryData::Json(b))) => equivalent(a, b),
            (a, Some(b)) => a == b,
            _ => false,
        };
        assert!(same, "{} not given back: {:?}", e.name, got.get(&e.name));
    }
    (unpacked, packed)
}

#[test]
fn resources_differing_in_case_get_suffixes_and_come_back() {
    let app = resources_app(
        &[
            local("Image", "0001.png"),
            local("image", "0002.png"),
            local("image_1", "0003.png"),
        ],
        &["0001.png", "0002.png", "0003.png"],
    );
    let (unpacked, _) = assert_round_trips(&app);
    let files: Vec<&str> = unpacked.tree.files.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "Assets/Images/Image.png",
            "Assets/Images/image_1.png",
            "Assets/Images/image_2.png",
            "Assets/Images/image_2.png.json"
        ]
    );
    let note = j(
        std::str::from_utf8(unpacked.tree.get("Assets/Images/image_2.png.json").unwrap()).unwrap(),
    );
    assert_eq!(
        note.get("OriginalName").and_then(Json::as_str),
        Some("image")
    );
    assert!(unpacked.warnings.0.iter().any(|w| w.contains("collides")));
}

#[test]
fn renamed_asset_may_take_the_msapp_name_of_another() {
    let app = resources_app(
        &[local("0012", "0002.png"), local("0038", "0012.png")],
        &["0002.png", "0012.png"],
    );
    let (unpacked, _) = assert_round_trips(&app);
    assert_eq!(
        unpacked.tree.get("Assets/Images/0012.png"),
        Some(&b"0002.png"[..])
    );
    assert_eq!(
        unpacked.tree.get("Assets/Images/0038.png"),
        Some(&b"0012.png"[..])
    );
}

#[test]
fn unusual_local_resources_are_kept_whole() {
    let mut odd = j(&local("Odd", "0001.png"));
    odd.as_object_mut()
        .unwrap()
        .insert("Extra", Json::Bool(true));
    let shared = local("Shared", "0002.png");
    let app = resources_app(
        &[
            json::to_compact_string(&odd),
            local("First", "0002.png"),
            shared,
            local("Missing", "0009.png"),
        ],
        &["0001.png", "0002.png"],
    );
    let (unpacked, _) = assert_round_trips(&app);
    for kept in [
        "Assets/Odd.json",
        "Assets/Shared.json",
        "Assets/Missing.json",
        "Assets/Images/0001.png",
    ] {
        assert!(
            unpacked.tree.contains(kept),
            "{kept} in {:?}",
            unpacked.tree.files.keys()
        );
    }
}

#[test]
fn added_media_files_get_resources_and_unknown_files_pass_through() {
    let app = resources_app(&[local("bg", "0003.png")], &["0003.png"]);
    let mut unpacked = unpack_data(&app).unwrap();
    unpacked
        .tree
        .insert("Assets/Images/new pic.JPG", b"jpg".to_vec());
    unpacked
        .tree
        .insert("Assets/Other/readme.txt", b"txt".to_vec());
    unpacked
        .tree
        .insert("Assets/Images/.DS_Store", b"junk".to_vec());
    let (packed, _, warnings) = pack_data(&unpacked).unwrap();
    let names: Vec<&str> = packed.entries.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"Assets\\Images\\0004.JPG"), "{names:?}");
    assert!(names.contains(&"Assets\\Other\\readme.txt"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("DS_Store")));
    assert!(warnings.0.iter().any(|w| w.contains("readme.txt")));
    let resources = packed
        .entries
        .iter()
        .find(|(n, _)| n == "References\\Resources.json")
        .unwrap();
    let EntryData::Json(doc) = &resources.1 else {
        panic!()
    };
    let added = &doc.get("Resources").unwrap().as_array().unwrap()[1];
    assert_eq!(added.get("Name").and_then(Json::as_str), Some("new pic"));
    assert_eq!(added.get("RootPath").and_then(Json::as_str), Some(""));
}

#[test]
fn logo_moves_and_comes_back() {
    let app = app_of(&[
        (
            "Resources\\PublishInfo.json",
            EntryData::Json(j(r#"{"LogoFileName":"ab12cd.png"}"#)),
        ),
        ("Resources\\ab12cd.png", bytes(b"logo")),
    ]);
    let unpacked = unpack_data(&app).unwrap();
    assert_eq!(unpacked.tree.get("Assets/logo.png"), Some(&b"logo"[..]));
    assert_eq!(
        unpacked
            .entropy
            .get("OldLogoFileName")
            .and_then(Json::as_str),
        Some("ab12cd.png")
    );
    let (packed, info, _) = pack_data(&unpacked).unwrap();
    assert_eq!(
        packed.entries.first().map(|(n, _)| n.as_str()),
        Some("Resources\\ab12cd.png")
    );
    assert_eq!(
        info.unwrap().get("LogoFileName").and_then(Json::as_str),
        Some("ab12cd.png")
    );
    // No resource is generated for the logo.
    let EntryData::Json(doc) = &packed.entries[2].1 else {
        panic!()
    };
    assert_eq!(
        doc.get("Resources").and_then(Json::as_array).map(Vec::len),
        Some(0)
    );
}

#[test]
fn dangling_logo_name_is_kept() {
    let app = app_of(&[(
        "Resources\\PublishInfo.json",
        EntryData::Json(j(r#"{"LogoFileName":"gone.jpg"}"#)),
    )]);
    let unpacked = unpack_data(&app).unwrap();
    assert_eq!(
        unpacked
            .publish_info
            .as_ref()
            .unwrap()
            .get("LogoFileName")
            .and_then(Json::as_str),
        Some("gone.jpg")
    );
    let (packed, info, warnings) = pack_data(&unpacked).unwrap();
    assert!(
        packed
            .entries
            .iter()
            .all(|(n, _)| !n.starts_with("Resources\\"))
    );
    assert_eq!(
        info.unwrap().get("LogoFileName").and_then(Json::as_str),
        Some("gone.jpg")
    );
    assert!(!warnings.0.is_empty());
}

fn data_sources_app(doc: &str) -> MsApp {
    app_of(&[("References\\DataSources.json", EntryData::Json(j(doc)))])
}

#[test]
fn broken_data_sources_json_is_an_error() {
    for doc in [
        r#"{"DataSources":[],"Extra":1}"#,
        r#"{"DataSources":{}}"#,
        r#"{}"#,
        r#"[]"#,
        r#"{"DataSources":[3]}"#,
        r#"{"DataSources":[{"Type":"x"}]}"#,
        r#"{"DataSources":[{"Name":"a","RelatedEntityName":5}]}"#,
        r#"{"DataSources":[{"Name":"a","DataEntityMetadataJson":{},"ApiId":"/providers/microsoft.powerapps/apis/shared_commondataservice"}]}"#,
    ] {
        let err = unpack_data(&data_sources_app(doc)).err();
        assert!(err.is_some(), "accepted {doc}");
    }
}

#[test]
fn unparsable_payloads_stay_inline() {
    let doc = r#"{"DataSources":[
        {"Name":"T","Type":"NativeCDSDataSourceInfo","TableDefinition":"{not json","DatasetName":"d"},
        {"Name":"S","Type":"ServiceInfo","WadlMetadata":{"WadlXml":"<a><b></a>","SwaggerJson":"{"}}]}"#;
    let app = data_sources_app(doc);
    let (unpacked, _) = assert_round_trips(&app);
    assert_eq!(unpacked.warnings.0.len(), 3, "{:?}", unpacked.warnings.0);
    assert!(
        unpacked
            .tree
            .files
            .keys()
            .all(|p| p.starts_with("DataSources/")),
        "{:?}",
        unpacked.tree.files.keys()
    );
}

#[test]
fn option_sets_keep_a_foreign_dataset_name() {
    let doc = r#"{"DataSources":[
        {"Name":"E","Type":"NativeCDSDataSourceInfo","TableDefinition":"{\"a\":1}","DatasetName":"d1"},
        {"Name":"o1","RelatedEntityName":"E","Type":"OptionSetInfo","DatasetName":"d1"},
        {"Name":"o2","RelatedEntityName":"E","Type":"OptionSetInfo"},
        {"Name":"o3","RelatedEntityName":"E","Type":"OptionSetInfo","DatasetName":"other"},
        {"Name":"d1_view","RelatedEntityName":"E","Type":"ViewInfo"},
        {"Name":"lone","RelatedEntityName":"Nobody","Type":"OptionSetInfo","DatasetName":"x"}]}"#;
    let props = r#"{"LocalDatabaseReferences":"{\"d1\":{\"instanceUrl\":\"https://u\",\"state\":\"Configured\",\"dataSources\":{\"E\":{\"entitySetName\":\"es\"},\"Unused\":{\"x\":1}}},\"d2\":{\"instanceUrl\":\"https://v\"}}"}"#;
    let app = app_of(&[
        ("References\\DataSources.json", EntryData::Json(j(doc))),
        ("Properties.json", EntryData::Json(j(props))),
    ]);
    let (unpacked, packed) = assert_round_trips(&app);
    let def = j(
        std::str::from_utf8(unpacked.tree.get("pkgs/TableDefinitions/E.json").unwrap()).unwrap(),
    );
    assert_eq!(
        def.get("InstanceUrl").and_then(Json::as_str),
        Some("https://u")
    );
    assert_eq!(def.get("state").and_then(Json::as_str), Some("Configured"));
    assert!(
        def.get("UnusedDataSources")
            .and_then(|u| u.get("Unused"))
            .is_some()
    );
    assert!(unpacked.tree.contains("Connections/d2.json"));
    let (_, ldr) = packed
        .properties
        .iter()
        .find(|(k, _)| k == "LocalDatabaseReferences")
        .unwrap();
    let original = j(props);
    assert!(equivalent(
        original.get("LocalDatabaseReferences").unwrap(),
        ldr
    ));
}

fn packed_app_tree() -> Unpacked {
    let app = app::load_msapp(&corpus().join("pairs/weather/app.msapp")).unwrap();
    unpack_data(&app).unwrap()
}

#[test]
fn broken_tree_files_are_errors() {
    let cases: [(&str, &[u8]); 9] = [
        ("DataSources/DropDownSample.json", b"[{\"Name\":"),
        ("DataSources/DropDownSample.json", b"{}"),
        ("DataSources/DropDownSample.json", b"[1]"),
        ("Connections/Connections.json", b"{\"x\":{\"id\":\"y\"}}"),
        ("Connections/Connections.json", b"[]"),
        ("pkgs/label_2.5.1.xml", b"<notawidget/>"),
        ("pkgs/TableDefinitions/X.json", b"{\"DatasetName\":\"d\"}"),
        ("Assets/Images/a.png.json", b"{}"),
        ("pkgs/PcfConversions/p.json", b"{\"Version\":\"1\"}"),
    ];
    for (path, content) in cases {
        let mut unpacked = packed_app_tree();
        unpacked.tree.insert(path, content.to_vec());
        assert!(
            pack_data(&unpacked).is_err(),
            "accepted {path}: {}",
            String::from_utf8_lossy(content)
        );
    }
    let mut unpacked = packed_app_tree();
    unpacked
        .tree
        .insert("DataSources/DropDownSample.json", b"[{\"Name\":".to_vec());
    let err = pack_data(&unpacked).err().unwrap().to_string();
    assert!(
        err.starts_with("DataSources/DropDownSample.json:1:"),
        "{err}"
    );
}

#[test]
fn connection_to_a_missing_data_source_is_an_error() {
    let mut unpacked = packed_app_tree();
    unpacked
        .tree
        .files
        .remove("DataSources/OpenWeatherConnector.json");
    unpacked
        .tree
        .files
        .remove("pkgs/Wadl/OpenWeatherConnector.xml");
    let err = pack_data(&unpacked)
        .expect_err("dangling connection accepted")
        .to_string();
    assert!(err.contains("OpenWeatherConnector"), "{err}");
}

#[test]
fn garbage_entropy_does_not_panic() {
    let garbage = [
        r#"{"OrderDataSource":"x","ResourcesJsonIndices":[1],"LocalResourceFileNames":5}"#,
        r#"{"OrderDataSource":{"DropDownSample":"high"},"OrderXMLTemplate":{"label":null},"LocalDatabaseReferencesAsEmpty":"yes"}"#,
        r#"{"ResourcesJsonIndices":{"nodash":0,"Image-":1e308,"-":-5},"LocalResourceFileNames":{"a":3},"OldLogoFileName":7}"#,
        r#"{"WasLocalDatabaseReferencesEmpty":false,"LocalResourceRootPaths":{"x":[]}}"#,
    ];
    for path in corpus_apps() {
        let app = app::load_msapp(&path).unwrap();
        let original = unpack_data(&app).unwrap();
        for text in garbage {
            let mut unpacked = original.clone();
            unpacked.entropy = Entropy::from_object(j(text).as_object().unwrap().clone());
            let _ = pack_data(&unpacked);
        }
        let mut bad_ids = original;
        bad_ids.entropy.map_set(
            "LocalConnectionIDReferences",
            "anything",
            Json::str("{not json"),
        );
        let _ = pack_data(&bad_ids);
    }
}

/// Every tree file cut short or replaced by other JSON: pack answers, it never panics.
#[test]
fn mangled_tree_files_do_not_panic() {
    let replacements: [&[u8]; 6] = [
        b"",
        b"null",
        b"[]",
        b"{}",
        b"[null,{\"Name\":1}]",
        b"{\"NewFileName\":3}",
    ];
    for pair in ["weather", "random-rolldice"] {
        let app = app::load_msapp(&corpus().join("pairs").join(pair).join("app.msapp")).unwrap();
        let base = unpack_data(&app).unwrap();
        for path in base.tree.files.keys() {
            let content = &base.tree.files[path];
            let mut variants: Vec<Vec<u8>> = replacements.iter().map(|r| r.to_vec()).collect();
            variants.push(content[..content.len() / 2].to_vec());
            for variant in variants {
                let mut unpacked = base.clone();
                unpacked.tree.insert(path.clone(), variant);
                let _ = pack_data(&unpacked);
            }
        }
    }
}

/// App entries of the data side replaced by JSON of every other shape: unpack answers.
#[test]
fn mangled_app_entries_do_not_panic() {
    let shapes = [
        "null",
        "1",
        "\"text\"",
        "[]",
        "{}",
        "[null]",
        "{\"DataSources\":[{}]}",
        "{\"Resources\":[{\"ResourceKind\":\"LocalFile\"}]}",
        "{\"UsedTemplates\":[{\"Name\":\"a\",\"Version\":\"1\",\"Template\":\"<widget/>\"}],\"PcfTemplates\":[1]}",
    ];
    let props = [
        "{\"LocalConnectionReferences\":\"{\\\"a\\\":1}\"}",
        "{\"LocalDatabaseReferences\":\"[1]\"}",
        "{\"LocalDatabaseReferences\":\"{\\\"d\\\":{\\\"dataSources\\\":5}}\"}",
        "{\"LocalConnectionReferences\":7}",
    ];
    for name in [
        "References\\DataSources.json",
        "References\\Resources.json",
        "References\\Templates.json",
        "Resources\\PublishInfo.json",
    ] {
        for shape in shapes {
            let app = app_of(&[
                (name, EntryData::Json(j(shape))),
                ("Assets\\Images\\x.png", bytes(b"x")),
            ]);
            let _ = unpack_data(&app);
        }
    }
    for p in props {
        let app = app_of(&[("Properties.json", EntryData::Json(j(p)))]);
        let unpacked = unpack_data(&app).unwrap();
        assert!(
            !unpacked.warnings.0.is_empty()
                || unpacked
                    .properties
                    .contains_key("LocalConnectionReferences"),
            "{p}"
        );
        let _ = pack_data(&unpacked);
    }
}

#[test]
fn assets_with_forward_slashes_are_unpacked() {
    let mut app = resources_app(&[local("bg", "0001.png")], &[]);
    app.entries.push(Entry {
        name: "Assets/Images/0001.png".into(),
        data: bytes(b"png"),
    });
    let unpacked = unpack_data(&app).unwrap();
    assert_eq!(unpacked.tree.get("Assets/Images/bg.png"), Some(&b"png"[..]));
    let (packed, _, _) = pack_data(&unpacked).unwrap();
    assert!(
        packed
            .entries
            .iter()
            .any(|(n, d)| n == "Assets\\Images\\0001.png" && *d == bytes(b"png"))
    );
}

#[test]
fn json_asset_entries_are_kept_or_refused() {
    let nested = app_of(&[(
        "Assets\\Data\\table.json",
        EntryData::Json(j(r#"{"a":1.0}"#)),
    )]);
    let (unpacked, packed) = assert_round_trips(&nested);
    assert!(unpacked.tree.contains("Assets/Data/table.json"));
    assert_eq!(
        packed.entries.len(),
        3,
        "{:?}",
        packed.entries.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    let top = app_of(&[("Assets\\table.json", EntryData::Json(j("{}")))]);
    assert!(unpack_data(&top).is_err());
}

#[test]
fn files_of_resources_kept_whole_are_not_reported_unreferenced() {
    let mut odd = j(&local("Odd", "0001.png"));
    odd.as_object_mut()
        .unwrap()
        .insert("Extra", Json::Bool(true));
    let app = resources_app(&[json::to_compact_string(&odd)], &["0001.png", "stray.png"]);
    let unpacked = unpack_data(&app).unwrap();
    let unreferenced: Vec<&String> = unpacked
        .warnings
        .0
        .iter()
        .filter(|w| w.contains("not referenced"))
        .collect();
    assert_eq!(unreferenced.len(), 1, "{unreferenced:?}");
    assert!(unreferenced[0].contains("stray.png"));
}
