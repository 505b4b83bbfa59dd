//! The tree-less checksum value of JSON entries against the tree path, on every JSON entry of
//! the corpus; and (ignored) its timing on the largest app.

use std::path::Path;
use std::time::{Duration, Instant};

use msapp_merge::checksum::{json_entry_value, json_value, list_members, list_members_of_tree};
use msapp_merge::container::{Limits, read_archive};
use msapp_merge::json;
use msapp_merge::model::is_json_name;

#[path = "merge_common/mod.rs"]
mod common;
use common::{app_path, corpus_apps};

fn json_entries(app: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(app).unwrap();
    read_archive(&bytes, "app", &Limits::default())
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| is_json_name(&e.name))
        .map(|e| (e.name, e.data))
        .collect()
}

fn tree_value(bytes: &[u8], max_depth: usize) -> Result<Vec<u8>, json::JsonError> {
    json::parse_bytes_nested(bytes, max_depth).map(|j| json_value(&j))
}

#[test]
fn every_corpus_json_entry_hashes_as_the_tree_does() {
    let mut entries = 0;
    for app in corpus_apps() {
        for (name, bytes) in json_entries(&app) {
            for depth in [json::MAX_ENTRY_DEPTH, json::MAX_DEPTH] {
                assert_eq!(
                    json_entry_value(&bytes, depth).ok(),
                    tree_value(&bytes, depth).ok(),
                    "{}: {name}",
                    app.display()
                );
            }
            entries += 1;
        }
    }
    assert!(entries > 100, "only {entries} JSON entries in the corpus");
}

/// Short strings and names as they are; everything else digested.
fn inline(key: &str, len: usize) -> bool {
    len <= 20 || key == "Name"
}

#[test]
fn every_corpus_list_reads_as_the_tree_does() {
    let (mut lists, mut members) = (0, 0);
    for app in corpus_apps() {
        for (name, bytes) in json_entries(&app) {
            for list_key in ["DataSources", "UsedTemplates", "ScreenOrder", "TopParent"] {
                let tape = list_members(&bytes, list_key, &inline).unwrap();
                let tree =
                    list_members_of_tree(json::parse_bytes(&bytes).unwrap(), list_key, &inline);
                assert_eq!(tape, tree, "{}: {name}: {list_key}", app.display());
                if let Some(items) = tape {
                    lists += 1;
                    members += items.iter().flatten().map(Vec::len).sum::<usize>();
                }
            }
        }
    }
    assert!(
        lists > 40 && members > 1000,
        "only {lists} lists, {members} members"
    );
}

fn median_of_5(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

/// `cargo test --release --test checksum_stream -- --ignored --nocapture`
#[test]
#[ignore = "timing; run in release"]
fn time_tree_and_tape_on_the_largest_app() {
    let app = app_path("EmptyLocalDBRefsHashMismatchProperties");
    let entries = json_entries(&app);
    let total: usize = entries.iter().map(|(_, b)| b.len()).sum();
    let tree = median_of_5(|| {
        for (_, bytes) in &entries {
            std::hint::black_box(tree_value(bytes, json::MAX_ENTRY_DEPTH).unwrap());
        }
    });
    let tape = median_of_5(|| {
        for (_, bytes) in &entries {
            std::hint::black_box(json_entry_value(bytes, json::MAX_ENTRY_DEPTH).unwrap());
        }
    });
    println!(
        "{} JSON entries, {:.1} MB: tree {:.1} ms, tape {:.1} ms (median of 5, one thread)",
        entries.len(),
        total as f64 / 1e6,
        tree.as_secs_f64() * 1e3,
        tape.as_secs_f64() * 1e3,
    );
}
