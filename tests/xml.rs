//! XML canonical form: byte-exact against the `pkgs/*.xml` files `pac` wrote, and
//! differential against Python models of `XDocument.ToString()` on every template and WADL
//! payload of the corpus.

use std::path::{Path, PathBuf};
use std::process::Command;

use msapp_merge::container::{Limits, read_archive};
use msapp_merge::json::{self, Json};
use msapp_merge::xml::canonical;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn corpus_apps() -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(corpus().join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "msapp"))
        .collect();
    for pair in std::fs::read_dir(corpus().join("pairs")).unwrap() {
        apps.push(pair.unwrap().path().join("app.msapp"));
    }
    apps.sort();
    apps
}

fn entry_json(app: &Path, name: &str) -> Option<Json> {
    let bytes = std::fs::read(app).unwrap();
    let archive = read_archive(&bytes, "app", &Limits::default()).unwrap();
    let entry = archive.entries.into_iter().find(|e| e.name == name)?;
    Some(json::parse_bytes(&entry.data).unwrap())
}

fn text_file(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .replace("\r\n", "\n")
}

fn python_oracle(mode: &str, apps: &[PathBuf]) -> Json {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/xml_oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(mode)
        .args(apps)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json::parse_bytes(&out.stdout).unwrap()
}

#[test]
fn matches_pac_pkgs_files() {
    let mut compared = 0;
    let mut total = 0;
    for pair in ["weather", "random-rolldice"] {
        let dir = corpus().join("pairs").join(pair);
        let app = dir.join("app.msapp");
        let pkgs = dir.join("tree/pkgs");
        let templates = entry_json(&app, "References\\Templates.json").unwrap();
        for t in templates
            .get("UsedTemplates")
            .and_then(Json::as_array)
            .unwrap()
        {
            let name = t.get("Name").and_then(Json::as_str).unwrap();
            let version = t.get("Version").and_then(Json::as_str).unwrap();
            let xml = t.get("Template").and_then(Json::as_str).unwrap();
            let file = pkgs.join(format!("{name}_{version}.xml"));
            assert_eq!(
                canonical(xml).unwrap(),
                text_file(&file),
                "{}",
                file.display()
            );
            compared += 1;
        }
        let sources = entry_json(&app, "References\\DataSources.json").unwrap();
        for ds in sources.get("DataSources").and_then(Json::as_array).unwrap() {
            let Some(wadl) = ds
                .get("WadlMetadata")
                .and_then(|w| w.get("WadlXml"))
                .and_then(Json::as_str)
            else {
                continue;
            };
            let name = ds.get("Name").and_then(Json::as_str).unwrap();
            let file = pkgs.join("Wadl").join(format!("{name}.xml"));
            assert_eq!(
                canonical(wadl).unwrap(),
                text_file(&file),
                "{}",
                file.display()
            );
            compared += 1;
        }
        // Every XML file pac wrote was compared.
        let xml_files = |dir: PathBuf| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "xml")
                })
                .count()
        };
        assert_eq!(
            compared,
            xml_files(pkgs.clone()) + xml_files(pkgs.join("Wadl")),
            "{pair}"
        );
        total += compared;
        compared = 0;
    }
    assert_eq!(total, 8 + 5 + 2, "templates and WADL files of both pairs");
}

#[test]
fn differential_against_python_models() {
    let oracle = python_oracle("xml", &corpus_apps());
    let mut payloads = 0;
    let mut same_as_shared_tool = 0;
    for (app, list) in oracle.as_object().unwrap().iter() {
        for p in list.as_array().unwrap() {
            let source = p.get("source").and_then(Json::as_str).unwrap();
            let dotnet = p.get("dotnet").and_then(Json::as_str).unwrap();
            let python = p.get("python").and_then(Json::as_str).unwrap();
            let name = p.get("name").and_then(Json::as_str).unwrap_or("?");
            let ours = canonical(source).unwrap_or_else(|e| panic!("{app} {name}: {e}"));
            assert!(ours == dotnet, "{app} {name}: differs from the .NET model");
            // Where the shared tool's simpler rules happen to give the .NET result, we agree
            // with it too; elsewhere it is the tool that is off (see tests/xml_oracle.py).
            if python == dotnet {
                assert_eq!(ours, python, "{app} {name}");
                same_as_shared_tool += 1;
            }
            payloads += 1;
        }
    }
    eprintln!(
        "{payloads} XML payloads; {same_as_shared_tool} also equal to msapp_checksum.py xml_canon"
    );
    assert!(payloads >= 100, "only {payloads} payloads found");
}

#[test]
fn damaged_templates_are_errors_not_panics() {
    let app = corpus().join("apps/MyWeather.msapp");
    let templates = entry_json(&app, "References\\Templates.json").unwrap();
    let xml = templates
        .get("UsedTemplates")
        .and_then(|t| t.as_array()?.first()?.get("Template")?.as_str())
        .unwrap();
    assert!(canonical(xml).is_ok());
    let mut cut = 1;
    while cut < xml.len() {
        if xml.is_char_boundary(cut) {
            // Cutting anywhere leaves an unclosed element.
            assert!(canonical(&xml[..cut]).is_err(), "cut at {cut}");
        }
        cut += 97;
    }
    let err = canonical("<a>\n  <b>\n</a>").unwrap_err().to_string();
    assert!(err.contains(":3:"), "error position: {err}");
}
