//! Apps read with their control entries and data sources left as bytes (parsed by unpack
//! where it splits them, as the merge reads its sides) unpack exactly as fully parsed apps do, also when unpack lets go
//! of each entry once split (`unpack_app_owned`), and refuse what those refuse with the same
//! message.

use msapp_merge::app::{parse_msapp, parse_msapp_for_unpack, unpack_app, unpack_app_owned};
use msapp_merge::container::{Limits, read_archive, write_archive};
use msapp_merge::source::unpack::UnpackOptions;

#[path = "merge_common/mod.rs"]
mod common;
use common::corpus_apps;

#[test]
fn deferred_control_entries_unpack_like_parsed_ones() {
    let mut apps = 0;
    for path in corpus_apps() {
        let bytes = std::fs::read(&path).unwrap();
        let label = path.display().to_string();
        for skip_client_checksum in [true, false] {
            let opts = UnpackOptions {
                skip_client_checksum,
                ..UnpackOptions::default()
            };
            let parsed = parse_msapp(&bytes, &label).and_then(|a| unpack_app(&a, &label, &opts));
            let deferred =
                parse_msapp_for_unpack(&bytes, &label).and_then(|a| unpack_app(&a, &label, &opts));
            let owned = parse_msapp_for_unpack(&bytes, &label)
                .and_then(|a| unpack_app_owned(a, &label, &opts));
            for (way, other) in [("deferred", deferred), ("owned", owned)] {
                match (&parsed, other) {
                    (Ok(a), Ok(b)) => assert!(a.0 == b.0, "{label}: {way}: trees differ"),
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "{label}: {way}")
                    }
                    (a, b) => panic!("{label}: {way}: {:?} vs {:?}", a.is_ok(), b.map(|_| ())),
                }
            }
        }
        apps += 1;
    }
    assert!(apps > 20);
}

#[test]
fn a_broken_deferred_entry_is_refused_as_when_parsed() {
    for (app, entry) in [
        ("AppWithLabel.msapp", "Controls\\"),
        ("MyWeather.msapp", "References\\DataSources.json"),
    ] {
        let path = corpus_apps()
            .into_iter()
            .find(|p| p.ends_with(app))
            .unwrap();
        let bytes = std::fs::read(path).unwrap();
        let mut entries: Vec<(String, Vec<u8>)> = read_archive(&bytes, "app", &Limits::default())
            .unwrap()
            .entries
            .into_iter()
            .map(|e| (e.name, e.data))
            .collect();
        let broken = entries
            .iter_mut()
            .find(|(name, _)| name.starts_with(entry))
            .unwrap();
        broken.1.truncate(broken.1.len() / 2);
        let broken = write_archive(&entries).unwrap();
        let opts = UnpackOptions {
            skip_client_checksum: true,
            ..UnpackOptions::default()
        };
        let parsed = parse_msapp(&broken, "app.msapp").unwrap_err().to_string();
        let deferred = parse_msapp_for_unpack(&broken, "app.msapp")
            .and_then(|a| unpack_app(&a, "app.msapp", &opts))
            .unwrap_err()
            .to_string();
        let owned = parse_msapp_for_unpack(&broken, "app.msapp")
            .and_then(|a| unpack_app_owned(a, "app.msapp", &opts))
            .unwrap_err()
            .to_string();
        assert!(parsed.contains(&format!("entry {entry}")), "{parsed}");
        assert_eq!(deferred, parsed, "{app}");
        assert_eq!(owned, parsed, "{app}");
    }
}
