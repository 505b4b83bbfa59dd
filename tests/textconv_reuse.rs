//! textconv with a store of earlier renderings shows exactly what a fresh rendering shows,
//! whatever changed between the versions, and reuses what did not change.

mod merge_common;

use merge_common::*;
use msapp_merge::json::Json;
use msapp_merge::render::{RenderStore, TextFormat, textconv, textconv_with};
use msapp_merge::source::SourceTree;

/// Renders with the store of `git_dir`, saving what it learned; returns the text and how many
/// renderings were reused and learned.
fn render_stored(bytes: &[u8], git_dir: &std::path::Path) -> (String, usize, usize) {
    let mut store = RenderStore::in_git_dir(git_dir);
    let text = textconv_with(bytes, "app.msapp", TextFormat::FxYaml, &mut store);
    let counts = (store.reused(), store.learned());
    store.save();
    (text, counts.0, counts.1)
}

fn fresh(bytes: &[u8]) -> String {
    textconv(bytes, "app.msapp", TextFormat::FxYaml)
}

/// Renders `bytes` with the store and checks the text against a fresh rendering.
#[track_caller]
fn assert_same(bytes: &[u8], git_dir: &std::path::Path, what: &str) -> (usize, usize) {
    let (text, reused, learned) = render_stored(bytes, git_dir);
    let expected = fresh(bytes);
    if text != expected {
        let first = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{what}: the stored rendering differs from a fresh one at line {}:\n  stored: {:?}\n  fresh:  {:?}",
            first + 1,
            text.lines().nth(first),
            expected.lines().nth(first)
        );
    }
    (reused, learned)
}

fn screens_of(tree: &SourceTree) -> Vec<String> {
    screen_order(tree)
}

#[test]
fn every_corpus_app_renders_the_same_cold_and_warm() {
    for path in corpus_apps() {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (_, learned) = assert_same(&bytes, dir.path(), &format!("{name} (cold)"));
        let (reused, relearned) = assert_same(&bytes, dir.path(), &format!("{name} (warm)"));
        // What the first run learned is what the second reuses, and it learns nothing new.
        assert_eq!(reused, learned, "{name}");
        assert_eq!(relearned, 0, "{name}");
    }
}

#[test]
fn the_largest_app_is_served_from_the_store() {
    let bytes = std::fs::read(app_path("EmptyLocalDBRefsHashMismatchProperties")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, learned) = assert_same(&bytes, dir.path(), "cold");
    // 30 top controls (29 screens and the App) and the data sources.
    assert_eq!(learned, 31);
    let (reused, _) = assert_same(&bytes, dir.path(), "warm");
    assert_eq!(reused, 31);
}

/// Each edit, saved as pack saves it, is rendered with the store warmed by the version before.
#[test]
fn edits_between_versions_render_the_same_and_reuse_the_rest() {
    let apps = [
        "MyWeather",
        "DuplicateScreen",
        "AnimationControlIdIsGuid",
        "pairs/random-rolldice",
    ];
    for app in apps {
        let tree = load(app);
        let screens = screens_of(&tree);
        let first = screens[0].clone();
        let dir = tempfile::tempdir().unwrap();
        let base = pack_bytes(&tree);
        assert_same(&base, dir.path(), &format!("{app} base"));

        let mut versions: Vec<(String, SourceTree)> = Vec::new();
        let mut t = tree.clone();
        let label = format!("{first}Label");
        add_control(
            &mut t,
            &first,
            new_control(&label, "label", &[("Text", "\"added\"")]),
        );
        versions.push(("new label".into(), save(&t)));
        set_prop(&mut t, &label, "Text", "\"changed\"");
        versions.push(("formula".into(), save(&t)));
        let mut reordered = screens.clone();
        reordered.reverse();
        set_screen_order(&mut t, &reordered);
        versions.push(("screen order".into(), save(&t)));
        edit_json(&mut t, "CanvasManifest.json", |m| {
            let props = m
                .get_mut("Properties")
                .and_then(Json::as_object_mut)
                .unwrap();
            props.insert("DocumentAppType", Json::str("Phone"));
        });
        versions.push(("app type".into(), save(&t)));
        edit_json(&mut t, "Src/Themes.json", |themes| {
            let text = msapp_merge::json::to_compact_string(themes).replace("RGBA(", "RGBA( ");
            *themes = msapp_merge::json::parse(&text).unwrap();
        });
        versions.push(("theme".into(), save(&t)));
        let renamed = format!("{first} renamed");
        rename_control(&mut t, &first, &renamed);
        versions.push(("screen renamed".into(), save(&t)));
        remove_control(&mut t, &label);
        versions.push(("label removed".into(), save(&t)));

        for (what, version) in versions {
            let bytes = pack_bytes(&version);
            assert_same(&bytes, dir.path(), &format!("{app}: {what}"));
        }
    }
}

/// One screen changed: only that screen is rendered again.
#[test]
fn a_formula_change_renders_one_screen() {
    let tree = load("MyWeather");
    let dir = tempfile::tempdir().unwrap();
    let (_, learned) = assert_same(&pack_bytes(&tree), dir.path(), "base");
    assert_eq!(learned, 3, "the App, the screen and the data sources");
    let mut t = tree.clone();
    let screen = screens_of(&t)[0].clone();
    let label = format!("{screen}Note");
    add_control(
        &mut t,
        &screen,
        new_control(&label, "label", &[("Text", "\"a\"")]),
    );
    let t = save(&t);
    let (reused, relearned) = assert_same(&pack_bytes(&t), dir.path(), "edited");
    assert_eq!(relearned, 1, "only the edited screen is new");
    assert_eq!(reused, learned - 1);
}

#[test]
fn component_definitions_changed_render_the_same() {
    let tree = load("ComponentTest");
    let dir = tempfile::tempdir().unwrap();
    assert_same(&pack_bytes(&tree), dir.path(), "ComponentTest");
    let component = tree
        .files
        .keys()
        .find(|p| p.starts_with("Src/Components/") && p.ends_with(".fx.yaml"))
        .cloned()
        .unwrap();
    let mut t = tree.clone();
    let text = String::from_utf8(t.files[&component].clone()).unwrap();
    // A definition's formulas are what its instances are compared with.
    let line = text
        .lines()
        .find(|l| l.starts_with("    ") && l.contains(": ="))
        .unwrap();
    let (head, _) = line.split_once(": =").unwrap();
    let edited = text.replacen(line, &format!("{head}: =1234"), 1);
    t.insert(component.clone(), edited.into_bytes());
    assert_same(&pack_bytes(&t), dir.path(), "definition edited");
}

/// Apps the store cannot serve exactly are rendered in full, so their text is the same too:
/// a control name used on two screens, screen file names that collide, tests.
#[test]
fn apps_outside_the_stores_reach_render_the_same() {
    for app in ["CollidingFilenames", "EmptyTestCase", "TestStudio_Test"] {
        let bytes = std::fs::read(app_path(app)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_same(&bytes, dir.path(), app);
        assert_same(&bytes, dir.path(), app);
    }
    // Studio refuses such an app and so does pack: the name is changed in the entry itself.
    let tree = load("MyWeather");
    let screen = screens_of(&tree)[0].clone();
    let label = children(&tree, &screen)[0].clone();
    let packed = pack_bytes(&tree);
    let app = msapp_merge::app::parse_msapp(&packed, "app").unwrap();
    let entries: Vec<(String, Vec<u8>)> = app
        .entries
        .iter()
        .map(|e| {
            let mut data = match &e.data {
                msapp_merge::model::EntryData::Json(j) => {
                    msapp_merge::json::to_compact_string(j).into_bytes()
                }
                msapp_merge::model::EntryData::Bytes(b) => b.clone(),
            };
            // The App's own control takes the label's name.
            if e.name.starts_with("Controls")
                && String::from_utf8_lossy(&data).contains("\"Name\":\"App\"")
            {
                data = String::from_utf8(data)
                    .unwrap()
                    .replacen("\"Name\":\"App\"", &format!("\"Name\":\"{label}\""), 1)
                    .into_bytes();
            }
            (e.name.clone(), data)
        })
        .collect();
    let bytes = msapp_merge::container::write_archive(&entries).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_same(&bytes, dir.path(), "duplicate control name");
    assert_same(&bytes, dir.path(), "duplicate control name, again");
}
