//! Version-8 checksum: the reference's test vector, Microsoft's stamps in the corpus, and a
//! differential test against `msapp_checksum.py` on every corpus app.

use std::path::{Path, PathBuf};
use std::process::Command;

use msapp_merge::checksum::{Checksums, compute, compute_entries};
use msapp_merge::container::{Limits, read_archive};
use msapp_merge::json::{self, Json};
use msapp_merge::model::MsApp;

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

fn entries(app: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(app).unwrap();
    read_archive(&bytes, "app", &Limits::default())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.name, e.data))
        .collect()
}

fn checksum_of(app: &Path) -> Checksums {
    let bytes = std::fs::read(app).unwrap();
    let archive = read_archive(&bytes, "app", &Limits::default()).unwrap();
    compute(&MsApp::from_archive(&archive, "app").unwrap())
}

fn per_file(sums: &Checksums, name: &str) -> Option<String> {
    sums.per_file
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s.clone())
}

/// The stamp of `checksum.json`: whole checksum and per-file checksums, from the service or
/// else from the reference tool (`Client...`).
fn stamp(app: &Path) -> Option<(String, Vec<(String, String)>)> {
    let entries = entries(app);
    let (_, data) = entries
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("checksum.json"))?;
    let doc = json::parse_bytes(data).unwrap();
    let (whole_key, files_key) = if doc.get("ServerStampedChecksum").is_some() {
        ("ServerStampedChecksum", "ServerPerFileChecksums")
    } else {
        ("ClientStampedChecksum", "ClientPerFileChecksums")
    };
    let whole = doc.get(whole_key)?.as_str()?.to_string();
    let files = doc
        .get(files_key)
        .and_then(Json::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.to_string(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default();
    Some((whole, files))
}

#[test]
fn my_weather_test_vector() {
    let app = corpus().join("apps/MyWeather.msapp");
    let sums = checksum_of(&app);
    assert_eq!(
        sums.whole,
        "C8_ZXZwZAG3P0lmCkNAGjsIjYb503akWCyudsk8DEi2aX0="
    );
    assert_eq!(sums.per_file.len(), 11);
    assert_eq!(
        per_file(&sums, "References\\DataSources.json").as_deref(),
        Some("C8_2dpVudcymwNaHoHtQugF1MSpzsY1I6syuPiB0B+jTYc=")
    );
    assert_eq!(compute_entries(&entries(&app)).unwrap(), sums);
}

#[test]
fn reproduces_microsoft_stamps() {
    // AssetPackingCollision was edited after stamping (its resource list was changed by the
    // reference's test authors); everything else stamped C8 must match exactly.
    let edited = [("AssetPackingCollision.msapp", "References\\Resources.json")];
    let mut stamped_apps = 0;
    for app in corpus_apps() {
        let Some((whole, files)) = stamp(&app) else {
            continue;
        };
        if !whole.starts_with("C8_") {
            continue;
        }
        stamped_apps += 1;
        let file_name = app.file_name().unwrap().to_str().unwrap();
        let sums = checksum_of(&app);
        let is_edited = |name: &str| edited.iter().any(|&(a, f)| a == file_name && f == name);
        for (name, expected) in &files {
            if !is_edited(name) {
                assert_eq!(
                    per_file(&sums, name).as_ref(),
                    Some(expected),
                    "{file_name}: {name}"
                );
            }
        }
        let mut ours: Vec<&String> = sums.per_file.iter().map(|(n, _)| n).collect();
        let mut theirs: Vec<&String> = files.iter().map(|(n, _)| n).collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{file_name}: file set");
        if !edited.iter().any(|&(a, _)| a == file_name) {
            assert_eq!(sums.whole, whole, "{file_name}");
        }
    }
    assert!(stamped_apps >= 16, "only {stamped_apps} C8-stamped apps");
}

/// Runs the shared tool (as is, and with the .NET XML model of tests/xml_oracle.py).
fn python_checksums(apps: &[PathBuf]) -> Json {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/xml_oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("checksum")
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

fn sums_from(value: &Json) -> Checksums {
    let pair = value.as_array().unwrap();
    Checksums {
        whole: pair[0].as_str().unwrap().to_string(),
        per_file: pair[1]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_str().unwrap().to_string()))
            .collect(),
    }
}

#[test]
fn differential_against_msapp_checksum_py() {
    let apps = corpus_apps();
    let oracle = python_checksums(&apps);
    let mut same_as_shared_tool = 0;
    for app in &apps {
        let key = app.to_str().unwrap();
        let expected = oracle.get(key).unwrap();
        let shared_tool = sums_from(expected.get("python").unwrap());
        let dotnet_xml = sums_from(expected.get("dotnet").unwrap());
        let ours = checksum_of(app);
        assert_eq!(ours, dotnet_xml, "{key}");
        if ours.whole == shared_tool.whole {
            same_as_shared_tool += 1;
        } else {
            // The shared tool differs only where embedded XML is canonicalized.
            for ((name, a), (_, b)) in ours.per_file.iter().zip(&shared_tool.per_file) {
                if a != b {
                    assert!(
                        name == "References\\Templates.json"
                            || name == "References\\DataSources.json",
                        "{key}: {name} differs from msapp_checksum.py"
                    );
                }
            }
        }
    }
    eprintln!(
        "{} apps; {same_as_shared_tool} with the same whole checksum as msapp_checksum.py",
        apps.len()
    );
}

#[test]
fn compute_and_compute_entries_agree() {
    for app in corpus_apps() {
        assert_eq!(
            compute_entries(&entries(&app)).unwrap(),
            checksum_of(&app),
            "{}",
            app.display()
        );
    }
}

#[test]
fn content_equivalence() {
    // Reformatting JSON, reordering keys and entries, and changing zip layout keep the
    // checksum; changing a value does not.
    let app = corpus().join("apps/AppWithLabel.msapp");
    let original = entries(&app);
    let base = compute_entries(&original).unwrap();
    let mut reordered: Vec<(String, Vec<u8>)> = original
        .iter()
        .rev()
        .map(|(name, data)| {
            if name.ends_with(".json") {
                let value = json::parse_bytes(data).unwrap();
                (name.clone(), json::to_indented_string(&value).into_bytes())
            } else {
                (name.clone(), data.clone())
            }
        })
        .collect();
    assert_eq!(compute_entries(&reordered).unwrap().whole, base.whole);
    let header = reordered
        .iter_mut()
        .find(|(n, _)| n == "Header.json")
        .unwrap();
    header.1 = String::from_utf8(header.1.clone())
        .unwrap()
        .replacen("\"DocVersion\"", "\"DocVersionX\"", 1)
        .into_bytes();
    assert_ne!(compute_entries(&reordered).unwrap().whole, base.whole);
}

#[test]
fn name_order_matches_msapp_checksum_py() {
    let alphabet: Vec<char> = "aAbBzZ09_-.$'{}\\/ +~éÉÄßİ\u{2160}".chars().collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut words: Vec<String> = (0..400)
        .map(|_| {
            let len = (next() % 5) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect();
    words.sort();
    words.dedup();
    let script = "import sys, json; sys.path.insert(0, sys.argv[1]); import msapp_checksum as m; \
                  print(json.dumps(sorted(json.load(sys.stdin), key=m.order_key)))";
    let tools = corpus().join("../tools");
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(&tools)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let input = json::to_compact_string(&Json::Array(words.iter().map(Json::str).collect()));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let expected: Vec<String> = json::parse_bytes(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    let mut ours = words.clone();
    ours.sort_by(|a, b| msapp_merge::checksum::checksum_order(a, b));
    assert_eq!(ours, expected);
}
