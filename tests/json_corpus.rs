//! The JSON layer against real data: pac-written trees and real apps in `../shared/corpus`.

use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

use msapp_merge::json::{self, Json, lo_cmp};

fn corpus_dir(sub: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    assert!(
        dir.is_dir(),
        "corpus directory {} is missing: these tests need the shared corpus next to the worktree (../shared)",
        dir.display()
    );
    dir
}

fn files_with_extension(dir: &Path, ext: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with_extension(&path, ext, found);
        } else if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
}

/// Every `.json` file that `pac canvas unpack` wrote, with CRLF turned into LF.
fn pac_tree_json_files() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    for pair in std::fs::read_dir(corpus_dir("pairs")).unwrap() {
        let tree = pair.unwrap().path().join("tree");
        if tree.is_dir() {
            files_with_extension(&tree, "json", &mut paths);
        }
    }
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no tree/*.json files in the corpus pairs"
    );
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap().replace("\r\n", "\n");
            (p, text)
        })
        .collect()
}

/// Every JSON entry of every corpus app: (app/entry name, bytes).
fn app_json_entries() -> Vec<(String, Vec<u8>)> {
    let mut apps = Vec::new();
    files_with_extension(&corpus_dir("apps"), "msapp", &mut apps);
    apps.sort();
    assert!(!apps.is_empty(), "no .msapp files in the corpus");
    let mut entries = Vec::new();
    for app in apps {
        let file = std::fs::File::open(&app).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let name = entry.name().unwrap().into_owned();
            if !name.to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            let app_name = app.file_name().unwrap().to_string_lossy();
            entries.push((format!("{app_name}:{name}"), data));
        }
    }
    entries
}

#[test]
fn pac_tree_files_reproduce_with_the_normalized_writer() {
    let files = pac_tree_json_files();
    let mut mismatches = Vec::new();
    for (path, text) in &files {
        let value = json::parse(text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let written = json::to_normalized_string(&value);
        if written != *text {
            let line = written
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            mismatches.push(format!(
                "{} (first difference at line {line})",
                path.display()
            ));
        }
    }
    println!(
        "{} of {} pac tree JSON files reproduce",
        files.len() - mismatches.len(),
        files.len()
    );
    assert!(
        mismatches.is_empty(),
        "not reproduced:\n{}",
        mismatches.join("\n")
    );
}

fn check_keys_sorted(
    value: &Json,
    file: &Path,
    pairs_checked: &mut usize,
    failures: &mut Vec<String>,
) {
    match value {
        Json::Object(object) => {
            let keys: Vec<&str> = object.keys().collect();
            for pair in keys.windows(2) {
                *pairs_checked += 1;
                if lo_cmp(pair[0], pair[1]) == Ordering::Greater {
                    failures.push(format!(
                        "{}: {:?} before {:?}",
                        file.display(),
                        pair[0],
                        pair[1]
                    ));
                }
            }
            for (_, v) in object.iter() {
                check_keys_sorted(v, file, pairs_checked, failures);
            }
        }
        Json::Array(items) => {
            for v in items {
                check_keys_sorted(v, file, pairs_checked, failures);
            }
        }
        _ => {}
    }
}

#[test]
fn lo_cmp_agrees_with_pac_key_order() {
    let mut pairs_checked = 0;
    let mut failures = Vec::new();
    for (path, text) in pac_tree_json_files() {
        let value = json::parse(&text).unwrap();
        check_keys_sorted(&value, &path, &mut pairs_checked, &mut failures);
    }
    println!("{pairs_checked} consecutive key pairs checked");
    assert!(
        pairs_checked > 1000,
        "suspiciously few key pairs: {pairs_checked}"
    );
    assert!(
        failures.is_empty(),
        "{} out of order:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_app_entry_survives_normalize_and_reparse() {
    let entries = app_json_entries();
    assert!(!entries.is_empty());
    let mut bytes = 0;
    for (name, data) in &entries {
        bytes += data.len();
        let value = json::parse_bytes(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (layout, text) in [
            ("normalized", json::to_normalized_string(&value)),
            ("indented", json::to_indented_string(&value)),
            ("compact", json::to_compact_string(&value)),
        ] {
            let again = json::parse(&text).unwrap_or_else(|e| panic!("{name} ({layout}): {e}"));
            if layout == "normalized" {
                assert_eq!(
                    json::to_normalized_string(&again),
                    text,
                    "{name}: normalizing is not idempotent"
                );
                assert!(
                    same_values_ignoring_key_order(&value, &again),
                    "{name}: normalized value differs"
                );
            } else {
                assert_eq!(
                    again, value,
                    "{name} ({layout}): value differs after round trip"
                );
            }
        }
    }
    println!("{} JSON entries, {} bytes", entries.len(), bytes);
}

/// Equal DOMs up to a stable reordering of object members (what normalizing does), with
/// numbers compared by the exact decimal value they spell.
fn same_values_ignoring_key_order(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut xs: Vec<_> = x.0.iter().collect();
            xs.sort_by(|p, q| json::culture_cmp(&p.0, &q.0));
            xs.len() == y.len()
                && xs
                    .iter()
                    .zip(y.0.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same_values_ignoring_key_order(v1, v2))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| same_values_ignoring_key_order(p, q))
        }
        (Json::Number(x), Json::Number(y)) => {
            x.normalized() == y.normalized() && x.as_f64().to_bits() == y.as_f64().to_bits()
        }
        _ => a == b,
    }
}

#[test]
fn special_values_survive_normalizing() {
    let text = r#"{"n":[1.0,1E+21,-0,12345678901234567890,0.10000000000000001],"d":1,"d":2,"s":"\u002B\u00e9\uD83D\uDE00"}"#;
    let value = json::parse(text).unwrap();
    let normalized = json::to_normalized_string(&value);
    assert_eq!(
        normalized,
        "{\n  \"d\": 1,\n  \"d\": 2,\n  \"n\": [\n    1,\n    1E+21,\n    -0,\n    12345678901234567890,\n    0.10000000000000001\n  ],\n  \"s\": \"+é\\uD83D\\uDE00\"\n}"
    );
    let again = json::parse(&normalized).unwrap();
    let numbers: Vec<f64> = again
        .get("n")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_f64().unwrap())
        .collect();
    assert_eq!(numbers[2].to_bits(), (-0.0f64).to_bits());
    assert_eq!(numbers[3], 12345678901234567890.0);
    assert_eq!(again.get("s").unwrap().as_str(), Some("+é😀"));
    assert_eq!(
        json::to_compact_string(&value),
        text.replace(r"\u002B", "+").replace(r"\u00e9", "é")
    );
}
