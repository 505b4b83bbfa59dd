//! Apps that carry Studio's YAML view (`Src/*.pa.yaml`): a merge keeps it true to the merged
//! controls and never makes it a conflict; apps without it stay without it.

use std::path::{Path, PathBuf};

use msapp_merge::app;
use msapp_merge::merge::app::merge_apps;
use msapp_merge::merge::tree::MergeOptions;
use msapp_merge::model::{EntryData, MsApp};
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;

fn corpus(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/apps")
        .join(name);
    assert!(
        p.exists(),
        "../shared/corpus is missing: {} not found",
        p.display()
    );
    p
}

fn tree_of(bytes: &[u8]) -> SourceTree {
    let msapp = app::parse_msapp(bytes, "app").unwrap();
    app::unpack_app(&msapp, "app", &UnpackOptions::default())
        .unwrap()
        .0
}

fn edit(tree: &SourceTree, path: &str, from: &str, to: &str) -> Vec<u8> {
    let mut t = tree.clone();
    let text = String::from_utf8(t.get(path).unwrap().to_vec()).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    t.insert(path, text.replacen(from, to, 1).into_bytes());
    let (packed, _) = app::pack_tree(&t).unwrap();
    app::msapp_bytes(&packed).unwrap()
}

fn pa_yaml(app: &MsApp, name: &str) -> String {
    match &app.find(name).expect("pa.yaml entry").data {
        EntryData::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
        EntryData::Json(_) => panic!("pa.yaml parsed as JSON"),
    }
}

#[test]
fn merging_two_edits_refreshes_the_yaml_view_with_both() {
    let base = std::fs::read(corpus("AppWithCategoryAndControlPropertyState.msapp")).unwrap();
    let tree = tree_of(&base);
    let ours = edit(
        &tree,
        "Src/Screen1.fx.yaml",
        "Text: =\"Simple App\"",
        "Text: =\"Simple App (ours)\"",
    );
    let theirs = edit(
        &tree,
        "Src/Screen1.fx.yaml",
        "RadiusTopLeft: =4",
        "RadiusTopLeft: =8",
    );
    let merged = merge_apps(&base, &ours, &theirs, &MergeOptions::default()).unwrap();
    assert!(merged.is_clean(), "{:?}", merged.conflicts);

    let model = app::parse_msapp(&merged.merged, "merged").unwrap();
    let screen = pa_yaml(&model, "Src\\Screen1.pa.yaml");
    assert!(screen.contains("Text: =\"Simple App (ours)\""), "{screen}");
    assert!(screen.contains("RadiusTopLeft: =8"), "{screen}");
    // The stored view is exactly what rendering the merged model gives.
    for (name, text) in msapp_merge::payaml::render_app(&model).unwrap() {
        assert_eq!(pa_yaml(&model, &name), text, "{name}");
    }
}

#[test]
fn an_unchanged_round_trip_keeps_studios_bytes() {
    let original = app::load_msapp(&corpus("EmptyTestCase.msapp")).unwrap();
    let tree = app::unpack_app(&original, "app", &UnpackOptions::default())
        .unwrap()
        .0;
    let (packed, _) = app::pack_tree(&tree).unwrap();
    for e in original
        .entries
        .iter()
        .filter(|e| e.name.ends_with(".pa.yaml"))
    {
        assert_eq!(
            packed.find(&e.name).map(|p| &p.data),
            Some(&e.data),
            "{}",
            e.name
        );
    }
}

#[test]
fn apps_without_a_yaml_view_stay_without() {
    let base = std::fs::read(corpus("MyWeather.msapp")).unwrap();
    let tree = tree_of(&base);
    let ours = edit(
        &tree,
        "Src/Screen1.fx.yaml",
        "Text: =\"Hello\"",
        "Text: =\"Hi\"",
    );
    let merged = merge_apps(&base, &ours, &base, &MergeOptions::default()).unwrap();
    let model = app::parse_msapp(&merged.merged, "merged").unwrap();
    assert!(!model.entries.iter().any(|e| e.name.ends_with(".pa.yaml")));
}

#[test]
fn apps_with_only_a_yaml_view_are_refused_clearly() {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("Header.json", &br#"{"DocVersion":"1.346"}"#[..]),
            ("Properties.json", &b"{}"[..]),
            ("Src\\App.pa.yaml", &b"App:\n  Properties: {}\n"[..]),
        ] {
            w.start_file(name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    let bytes = buf.into_inner();
    let msapp = app::parse_msapp(&bytes, "yaml-only.msapp").unwrap();
    let err = app::unpack_app(&msapp, "yaml-only.msapp", &UnpackOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("yaml-only.msapp") && err.contains("pa.yaml"),
        "{err}"
    );
    let merged = merge_apps(&bytes, &bytes, &bytes, &MergeOptions::default());
    assert!(merged.is_err(), "a merge of such apps is refused too");
}

#[test]
fn textconv_can_print_studios_yaml_view_for_any_app() {
    use msapp_merge::render::{TextFormat, textconv};
    let bytes = std::fs::read(corpus("EmptyTestCase.msapp")).unwrap();
    let text = textconv(&bytes, "EmptyTestCase.msapp", TextFormat::PaYaml);
    let model = app::parse_msapp(&bytes, "app").unwrap();
    let studio = pa_yaml(&model, "Src\\Screen1.pa.yaml").replace("\r\n", "\n");
    assert!(text.contains("=== Src/Screen1.pa.yaml\n"), "{text}");
    assert!(text.contains(&studio), "the section is Studio's own file");
    // Older apps (no YAML inside) render too; broken input still gives one line.
    let old = std::fs::read(corpus("MyWeather.msapp")).unwrap();
    assert!(textconv(&old, "MyWeather.msapp", TextFormat::PaYaml).contains("Screen1:"));
    let broken = textconv(b"not a zip", "broken.msapp", TextFormat::PaYaml);
    assert_eq!(broken.lines().count(), 1, "{broken}");
}
