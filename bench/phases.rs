//! Where a merge spends its time: the steps of `merge_apps`, run one after the other in this
//! process (the driver unpacks the three sides on parallel threads; here they are sequential
//! so each step has its own figure).

use std::time::{Duration, Instant};

use msapp_merge::Result;
use msapp_merge::app::{msapp_bytes, pack_tree, parse_msapp, unpack_app};
use msapp_merge::checksum;
use msapp_merge::container::{self, Limits};
use msapp_merge::merge::tree::{MergeOptions, merge_trees};
use msapp_merge::model::MsApp;
use msapp_merge::source::SourceTree;
use msapp_merge::source::unpack::UnpackOptions;

pub const STEPS: &[&str] = &[
    "inflate (3 sides)",
    "parse JSON (3 sides)",
    "unpack to source trees (3 sides)",
    "merge trees",
    "pack merged tree",
    "serialize + deflate merged app",
    "verify: re-read + re-unpack merged app",
];

/// Shown apart: part of "pack merged tree", not an extra step.
pub const CHECKSUM_STEP: &str = "of which: client checksum of the merged app";

/// Median time of each of [`STEPS`], then [`CHECKSUM_STEP`], over `runs` merges.
pub fn merge_phases(sides: [&[u8]; 3], runs: usize) -> Result<Vec<Duration>> {
    let mut per_step: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len() + 1];
    for _ in 0..runs.max(1) {
        for (step, took) in one_merge(sides)?.into_iter().enumerate() {
            if let Some(list) = per_step.get_mut(step) {
                list.push(took);
            }
        }
    }
    Ok(per_step
        .into_iter()
        .map(|mut list| {
            list.sort();
            list.get(list.len() / 2).copied().unwrap_or_default()
        })
        .collect())
}

fn one_merge(sides: [&[u8]; 3]) -> Result<Vec<Duration>> {
    let opts = UnpackOptions {
        skip_client_checksum: true,
        ..UnpackOptions::default()
    };
    let mut times = Vec::new();
    let t = Instant::now();
    let archives = sides
        .iter()
        .map(|b| container::read_archive(b, "side", &Limits::default()))
        .collect::<Result<Vec<_>>>()?;
    times.push(t.elapsed());

    let t = Instant::now();
    let apps = archives
        .iter()
        .map(|a| MsApp::from_archive(a, "side"))
        .collect::<Result<Vec<_>>>()?;
    times.push(t.elapsed());
    drop(archives);

    let t = Instant::now();
    let trees = apps
        .iter()
        .map(|a| unpack_app(a, "side", &opts).map(|(tree, _)| tree))
        .collect::<Result<Vec<SourceTree>>>()?;
    times.push(t.elapsed());
    drop(apps);

    let empty = SourceTree::new();
    let tree = |i: usize| trees.get(i).unwrap_or(&empty);
    let t = Instant::now();
    let merged = merge_trees(tree(0), tree(1), tree(2), &MergeOptions::default())?;
    times.push(t.elapsed());

    let t = Instant::now();
    let (app, _) = pack_tree(&merged.tree)?;
    times.push(t.elapsed());

    let t = Instant::now();
    let bytes = msapp_bytes(&app)?;
    times.push(t.elapsed());

    let t = Instant::now();
    let reread = parse_msapp(&bytes, "merged")?;
    unpack_app(&reread, "merged", &opts)?;
    times.push(t.elapsed());

    let t = Instant::now();
    checksum::compute(&app);
    times.push(t.elapsed());
    Ok(times)
}
