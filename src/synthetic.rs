//! Small generated apps: for `doctor`'s end-to-end proof (no sample file needs to ship with the
//! binary) and for benchmarks of growing size.

use crate::app::{msapp_bytes, pack_tree};
use crate::error::Result;
use crate::json::{self, Json, Object};
use crate::source::SourceTree;
use crate::source::controls::code_defined_record;

/// Label `label` on screen `screen` gets this text formula.
pub type TextEdit<'a> = (usize, usize, &'a str);

/// A source tree with `screens` screens of `labels` labels each. `edits` replace label texts.
pub fn synthetic_tree(screens: usize, labels: usize, edits: &[TextEdit<'_>]) -> SourceTree {
    let mut tree = SourceTree::new();
    let mut props = Object::new();
    props.insert("Author", Json::str(""));
    props.insert("Name", Json::str("Synthetic.msapp"));
    props.insert("Id", Json::str("8c7f2f3e-0000-4000-8000-000000000001"));
    props.insert("FileID", Json::str("8c7f2f3e-0000-4000-8000-000000000002"));
    props.insert("DocumentAppType", Json::str("Phone"));
    props.insert("DocumentLayoutWidth", Json::from_i64(640));
    props.insert("DocumentLayoutHeight", Json::from_i64(1136));
    let mut header = Object::new();
    header.insert("DocVersion", Json::str("1.330"));
    header.insert("MinVersionToLoad", Json::str("1.330"));
    header.insert("MSAppStructureVersion", Json::str("2.0"));
    let mut manifest = Object::new();
    manifest.insert("FormatVersion", Json::str("0.24"));
    manifest.insert("Header", Json::Object(header));
    manifest.insert("Properties", Json::Object(props));
    manifest.insert(
        "ScreenOrder",
        Json::Array(
            (1..=screens)
                .map(|s| Json::str(format!("Screen{s}")))
                .collect(),
        ),
    );
    tree.insert_json("CanvasManifest.json", &Json::Object(manifest));

    let mut templates = Object::new();
    for name in ["appinfo", "screen", "label"] {
        templates.insert(name, Json::Object(code_defined_record(name)));
    }
    tree.insert_json("ControlTemplates.json", &Json::Object(templates));
    let theme = r#"{"CurrentTheme":"defaultTheme","CustomThemes":[{"name":"defaultTheme","palette":[],"styles":[]}]}"#;
    if let Ok(t) = json::parse(theme) {
        tree.insert_json("Src/Themes.json", &t);
    }
    tree.insert("Src/App.fx.yaml", b"App As appinfo:\n\n".to_vec());
    for s in 1..=screens {
        let mut text = format!("Screen{s} As screen:\n\n");
        for l in 1..=labels {
            let formula = edits
                .iter()
                .find(|(es, el, _)| *es == s && *el == l)
                .map(|(_, _, f)| f.to_string())
                .unwrap_or_else(|| format!("\"Label {l} of screen {s}\""));
            text.push_str(&format!(
                "    Label{s}_{l} As label:\n        Text: ={formula}\n        X: =40\n        Y: ={}\n        ZIndex: ={l}\n\n",
                40 * l
            ));
        }
        tree.insert(format!("Src/Screen{s}.fx.yaml"), text.into_bytes());
    }
    tree
}

/// The same, packed into `.msapp` bytes.
pub fn synthetic_app(screens: usize, labels: usize, edits: &[TextEdit<'_>]) -> Result<Vec<u8>> {
    let (app, _) = pack_tree(&synthetic_tree(screens, labels, edits))?;
    msapp_bytes(&app)
}
